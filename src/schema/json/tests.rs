//! Unit tests of the JSON Schema format: Confluent's corpus, Jackson's reading and number
//! layout, validation by draft, references, hostile input.

use super::validate::declared_draft;
use super::*;
use crate::json::MAX_JSON_DEPTH;
use crate::schema::Format;
use jsonschema::Draft;
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/confluent-7.9");

fn load(rel: &str) -> Value {
    let path = format!("{FIXTURES}/{rel}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Parse and validate, as a registration outside IMPORT mode does.
fn register(text: &str, refs: &[Dependency]) -> Result<Parsed, String> {
    let parsed = JsonSchema.parse(text, refs, true).map_err(|e| e.0)?;
    JsonSchema.validate(text, refs).map_err(|e| e.0)?;
    Ok(parsed)
}

/// Every JSON entry of Confluent's corpus (`compat/corpus.json` `schemas`): valid ones with
/// Confluent's canonical and normalized text, invalid ones with its error text.
#[test]
fn corpus_matches_golden() {
    let corpus = load("compat/corpus.json");
    let golden = load("compat/golden.json");
    let mut failures = Vec::new();
    let mut seen = 0;
    for s in corpus["schemas"].as_array().into_iter().flatten() {
        if s["type"] != "JSON" {
            continue;
        }
        seen += 1;
        let id = s["id"].as_str().unwrap_or_default();
        let text = s["schema"].as_str().unwrap_or_default();
        let refs: Vec<Dependency> = s["refs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                Dependency::new(
                    r["name"].as_str().unwrap_or_default(),
                    r["schema"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        let want = &golden["schemas"][id];
        let got = register(text, &refs);
        let ok = match (&got, want["valid"].as_bool()) {
            (Ok(p), Some(true)) => {
                p.canonical == want["canonical"] && p.normalized == want["normalized"]
            }
            (Err(e), Some(false)) => *e == want["error"],
            _ => false,
        };
        if !ok {
            failures.push(format!("{id}: want {want}, got {got:?}"));
        }
    }
    assert!(seen >= 40, "only {seen} JSON corpus entries");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Jackson's `USE_BIG_DECIMAL_FOR_FLOATS` with exact decimals: Java's `BigDecimal.toString` of
/// the literal (`Jackson.newObjectMapper` in json-schema-provider; `java.math.BigDecimal`).
#[test]
fn floats_print_as_java_big_decimals() {
    let cases = [
        ("1.0", "1.0"),
        ("1.50", "1.50"),
        ("1000.0", "1000.0"),
        ("1e3", "1E+3"),
        ("1E3", "1E+3"),
        ("1.5e2", "1.5E+2"),
        ("12.5e1", "125"),
        ("0.0001", "0.0001"),
        ("0.0000001", "1E-7"),
        ("1e-7", "1E-7"),
        ("0.00000012", "1.2E-7"),
        ("-0.0", "0.0"),
        ("-1.25", "-1.25"),
        ("0e5", "0E+5"),
        (
            "123456789012345678901234567890.5",
            "123456789012345678901234567890.5",
        ),
        ("1e-2", "0.01"),
    ];
    for (literal, want) in cases {
        let text = format!("{{\"minimum\":{literal}}}");
        let p = parse(&text).expect(literal);
        assert_eq!(p.canonical, format!("{{\"minimum\":{want}}}"), "{literal}");
    }
    // Integers keep their digits, however long; `-0` is `0`.
    let p = parse("[12345678901234567890123, -0, 7]").expect("ints");
    assert_eq!(p.canonical, "[12345678901234567890123,0,7]");
}

/// What Jackson's `readTree` accepts and how it re-serializes (Confluent's `canonicalString`).
#[test]
fn jackson_reading_rules() {
    // Duplicate keys: the last value, at the first key's position.
    let p = parse(r#"{"type":"string","title":"a","type":"integer"}"#).expect("dup");
    assert_eq!(p.canonical, r#"{"type":"integer","title":"a"}"#);
    // Content after the first value is never read.
    let p = parse(r#"{"type":"string"} trailing {"#).expect("trailing");
    assert_eq!(p.canonical, r#"{"type":"string"}"#);
    // Non-numeric numbers are numbers, written quoted.
    let p = parse(r#"{"maximum":NaN,"minimum":-Infinity}"#).expect("nan");
    assert_eq!(p.canonical, r#"{"maximum":"NaN","minimum":"-Infinity"}"#);
    // Escapes: Jackson's (upper-case hex, `/` raw, non-ASCII raw).
    let p = parse("{\"description\":\"a/b \\u0001 caf\\u00e9 \\n\"}").expect("escapes");
    assert_eq!(p.canonical, "{\"description\":\"a/b \\u0001 café \\n\"}");
    // Comments are not JSON for this mapper; nor is an empty text.
    for bad in [
        "{/* c */}",
        "// c\n{}",
        "",
        "   ",
        "{\"type\":",
        "{'a':1}",
        "[1,]",
    ] {
        let err = parse(bad).expect_err(bad);
        assert_eq!(err.0, format!("Invalid JSON {bad}"));
    }
}

/// Normalization sorts every object's keys in Java's `String` order (UTF-16 code units), at
/// every depth, arrays kept in order (`JsonSchema.normalize`, the sorting node factory).
#[test]
fn normalization_sorts_keys_everywhere() {
    let p = parse(r#"{"b":{"z":1,"a":[{"y":1,"x":2}]},"a":1,"B":2,"é":3,"𝄞":4,"\uffff":5}"#)
        .expect("parse");
    assert_eq!(
        p.normalized,
        r#"{"B":2,"a":1,"b":{"a":[{"x":2,"y":1}],"z":1},"é":3,"𝄞":4,"￿":5}"#
    );
}

/// `SpecificationVersion.getFromUrl`: exact URLs, a trailing `#` ignored, else draft-07.
#[test]
fn drafts_by_schema_url() {
    let cases = [
        (
            "http://json-schema.org/draft-04/schema#",
            Some(Draft::Draft4),
        ),
        ("https://json-schema.org/schema", Some(Draft::Draft4)),
        (
            "http://json-schema.org/draft-06/schema",
            Some(Draft::Draft6),
        ),
        (
            "https://json-schema.org/draft-07/schema#",
            Some(Draft::Draft7),
        ),
        (
            "https://json-schema.org/draft/2019-09/schema",
            Some(Draft::Draft201909),
        ),
        (
            "http://json-schema.org/draft/2020-12/schema#",
            Some(Draft::Draft202012),
        ),
        ("http://json-schema.org/draft-07/schema##", None),
        ("https://example.com/my-dialect", None),
    ];
    for (url, want) in cases {
        let doc = read(&format!("{{\"$schema\":\"{url}\"}}")).expect("read");
        assert_eq!(declared_draft(&doc), want, "{url}");
    }
}

/// Keywords are checked against the declared draft: `exclusiveMaximum` is a boolean in
/// draft-04 and a number from draft-06 on; `$defs`/`prefixItems` belong to 2020-12.
#[test]
fn validation_follows_the_draft() {
    let d4 = r#"{"$schema":"http://json-schema.org/draft-04/schema#","maximum":5,"exclusiveMaximum":true}"#;
    assert!(register(d4, &[]).is_ok());
    let d7 = r#"{"$schema":"http://json-schema.org/draft-07/schema#","maximum":5,"exclusiveMaximum":true}"#;
    assert_eq!(register(d7, &[]).unwrap_err(), "Invalid JSON Schema");
    let d2020 = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}],"items":false,"unevaluatedProperties":false}"#;
    assert!(register(d2020, &[]).is_ok());
    let bad2020 = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":{"type":"string"}}"#;
    assert_eq!(register(bad2020, &[]).unwrap_err(), "Invalid JSON Schema");
    // Unknown keywords and formats, and Confluent's own annotations, are kept as written.
    let extra = r#"{"type":"object","properties":{"ssn":{"type":"string","confluent:tags":["PII"],"format":"my-format","x-custom":{"a":1}}}}"#;
    assert_eq!(register(extra, &[]).expect("extra").canonical, extra);
    // An unknown `$schema` is read as draft-07, never fetched.
    assert!(register(
        r#"{"$schema":"http://example.invalid/s","type":"string"}"#,
        &[]
    )
    .is_ok());
}

/// References resolve by reference name, transitively, relative to `$id`, with fragments; a
/// `$ref` that is neither local nor a reference is invalid, and nothing is ever fetched.
#[test]
fn references_resolve_by_name_only() {
    let address = Dependency::new(
        "address.json",
        r#"{"type":"object","properties":{"zip":{"$ref":"zip.json"}},"definitions":{"street":{"type":"string"}}}"#,
    );
    let zip = Dependency::new("zip.json", r#"{"type":"string","pattern":"^[0-9]{5}$"}"#);
    let deps = [zip.clone(), address.clone()];
    let customer = r#"{"type":"object","properties":{"a":{"$ref":"address.json"},"s":{"$ref":"address.json#/definitions/street"}}}"#;
    assert!(register(customer, &deps).is_ok());
    // The transitive reference is needed too.
    assert_eq!(
        register(customer, std::slice::from_ref(&address)).unwrap_err(),
        "Invalid JSON Schema"
    );
    // A missing fragment inside a reference is invalid.
    let bad_fragment = r#"{"properties":{"s":{"$ref":"address.json#/definitions/nope"}}}"#;
    assert_eq!(
        register(bad_fragment, &deps).unwrap_err(),
        "Invalid JSON Schema"
    );
    // With an `$id`, names resolve against it.
    let with_id = r#"{"$id":"https://example.com/schemas/customer.json","properties":{"a":{"$ref":"address.json"}}}"#;
    assert!(register(with_id, &deps).is_ok());
    // `./name` finds the reference `name`.
    let dotted = r#"{"properties":{"a":{"$ref":"./zip.json"}}}"#;
    assert!(register(dotted, &deps).is_ok());
    // Remote references are never fetched.
    for remote in [
        r#"{"$ref":"http://127.0.0.1:9/x.json"}"#,
        r#"{"$ref":"https://json-schema.org/draft-07/schema"}"#,
        r#"{"$ref":"file:///etc/passwd"}"#,
    ] {
        assert_eq!(
            register(remote, &deps).unwrap_err(),
            "Invalid JSON Schema",
            "{remote}"
        );
    }
}

/// Self-references and reference cycles are valid schemas and terminate.
#[test]
fn recursive_references_terminate() {
    let tree =
        r##"{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#"}}}}"##;
    assert!(register(tree, &[]).is_ok());
    let a = Dependency::new("a.json", r#"{"properties":{"b":{"$ref":"b.json"}}}"#);
    let b = Dependency::new("b.json", r#"{"properties":{"a":{"$ref":"a.json"}}}"#);
    let root = r#"{"properties":{"a":{"$ref":"a.json"}}}"#;
    assert!(register(root, &[a, b]).is_ok());
    let mutual = r##"{"definitions":{"x":{"$ref":"#/definitions/y"},"y":{"$ref":"#/definitions/x"}},"properties":{"p":{"$ref":"#/definitions/x"}}}"##;
    // Whatever the verdict, it comes back.
    let _ = register(mutual, &[]);
}

/// Hostile documents: nesting beyond Jackson's limit, long arrays and keys, are refused or
/// handled without a panic or a stack overflow.
#[test]
fn hostile_documents_are_refused_cleanly() {
    let deep = format!(
        "{}{}",
        "[".repeat(MAX_JSON_DEPTH + 10),
        "]".repeat(MAX_JSON_DEPTH + 10)
    );
    assert!(parse(&deep).is_err());
    let deep_schema = format!(
        "{}{{}}{}",
        r#"{"items":"#.repeat(MAX_JSON_DEPTH - 2),
        "}".repeat(MAX_JSON_DEPTH - 2)
    );
    let _ = register(&deep_schema, &[]);
    let deep_not = format!("{}{{}}{}", r#"{"not":"#.repeat(400), "}".repeat(400));
    let _ = register(&deep_not, &[]);
    let wide_enum = format!(
        "{{\"enum\":[{}]}}",
        (0..20_000)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    assert!(register(&wide_enum, &[]).is_ok());
    assert_eq!(register("null", &[]).unwrap_err(), "Invalid JSON Schema");
    // A reference that is not JSON is simply not found.
    let junk = Dependency::new("junk.json", "{not json");
    assert_eq!(
        register(r#"{"$ref":"junk.json"}"#, &[junk]).unwrap_err(),
        "Invalid JSON Schema"
    );
}

//! Tests of the `.proto` parser and Confluent's printer against recorded Confluent 7.9 answers
//! (`tests/fixtures/confluent-7.9/compat/{corpus,golden}.json`).

use super::parse::parse_text;
use serde_json::Value;

fn load(path: &str) -> Value {
    let text =
        std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).expect("fixture");
    serde_json::from_str(&text).expect("fixture json")
}

/// (id, schema text, golden answer) of every PROTOBUF schema of the corpus.
fn corpus() -> Vec<(String, String, Value)> {
    let corpus = load("tests/fixtures/confluent-7.9/compat/corpus.json");
    let golden = load("tests/fixtures/confluent-7.9/compat/golden.json");
    let mut out = Vec::new();
    for s in corpus["schemas"].as_array().into_iter().flatten() {
        if s["type"] != "PROTOBUF" {
            continue;
        }
        let id = s["id"].as_str().unwrap_or_default().to_string();
        let g = golden["schemas"][&id].clone();
        out.push((id, s["schema"].as_str().unwrap_or_default().to_string(), g));
    }
    out
}

/// Every corpus schema parses, except those Confluent rejects with a parse error, which fail
/// with Confluent's text (`ProtobufSchema.toProtoFile`: `Could not parse Protobuf - …`).
#[test]
fn corpus_parses() {
    let mut passed = 0;
    let cases = corpus();
    for (id, text, g) in &cases {
        let result = parse_text(text);
        let error = g["error"].as_str().unwrap_or_default();
        if error.starts_with("Could not parse Protobuf") {
            let e = result.expect_err(id);
            assert_eq!(e.0, error, "{id}");
        } else {
            assert!(result.is_ok(), "{id}: {result:?}");
        }
        passed += 1;
    }
    assert_eq!(passed, cases.len());
}

/// Hostile nesting is an error, never a stack overflow, in a 2 MiB thread of a debug build.
#[test]
fn hostile_depth() {
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let deep_msg = format!(
                "syntax = \"proto3\";\n{}{}",
                "message A { ".repeat(5000),
                "}".repeat(5000)
            );
            assert!(parse_text(&deep_msg).is_err());
            let deep_opt = format!(
                "syntax = \"proto3\";\noption (a) = {}{};",
                "{ b: ".repeat(5000),
                "}".repeat(5000)
            );
            assert!(parse_text(&deep_opt).is_err());
            let deep_list = format!("option (a) = {}{};", "[".repeat(5000), "]".repeat(5000));
            assert!(parse_text(&deep_list).is_err());
            let deep_map = format!(
                "syntax = \"proto3\";\nmessage A {{ {}int32{} m = 1; }}",
                "map<int32, ".repeat(5000),
                ">".repeat(5000)
            );
            assert!(parse_text(&deep_map).is_err());
            // 100 levels are fine.
            let ok = format!(
                "syntax = \"proto3\";\n{}{}",
                "message A { ".repeat(100),
                "}".repeat(100)
            );
            assert!(parse_text(&ok).is_ok());
            // The deepest accepted file prints, plain and normalized, in the same stack.
            let deepest = format!(
                "syntax = \"proto3\";\n{}option (o) = {}1{}; M m = 1; {}",
                "message M { ".repeat(60),
                "{ a: ".repeat(30),
                "}".repeat(30),
                "}".repeat(60)
            );
            let file = parse_text(&deepest).expect("within the cap");
            assert!(!super::print::print(&file, false, false).is_empty());
            assert!(!super::print::print(&file, true, false).is_empty());
        })
        .expect("thread");
    assert!(handle.join().is_ok());
}

/// Small stand-ins for the files Confluent bundles (`ProtobufSchema.KNOWN_DEPENDENCIES`), enough
/// for the corpus' names to resolve; the integrator passes the real ones.
fn stand_in_deps() -> Vec<(String, super::model::ProtoFile)> {
    let texts = [
        ("google/protobuf/timestamp.proto", "syntax = \"proto3\"; package google.protobuf; message Timestamp { int64 seconds = 1; }"),
        ("google/protobuf/duration.proto", "syntax = \"proto3\"; package google.protobuf; message Duration { int64 seconds = 1; }"),
        ("google/protobuf/wrappers.proto", "syntax = \"proto3\"; package google.protobuf; message StringValue { string value = 1; }"),
        ("google/type/date.proto", "syntax = \"proto3\"; package google.type; message Date { int32 year = 1; }"),
        ("google/type/money.proto", "syntax = \"proto3\"; package google.type; message Money { string currency_code = 1; }"),
        ("confluent/type/decimal.proto", "syntax = \"proto3\"; package confluent.type; message Decimal { bytes value = 1; }"),
        ("confluent/meta.proto", "syntax = \"proto3\"; package confluent; import \"google/protobuf/descriptor.proto\"; message Meta { string doc = 1; map<string, string> params = 2; repeated string tags = 3; } extend google.protobuf.FieldOptions { Meta field_meta = 1036; } extend google.protobuf.MessageOptions { Meta message_meta = 1036; } extend google.protobuf.FileOptions { Meta file_meta = 1036; }"),
    ];
    texts
        .iter()
        .map(|(n, t)| (n.to_string(), parse_text(t).expect("stand-in")))
        .collect()
}

/// Every valid corpus schema prints as Confluent's canonical and normalized texts
/// (`ProtobufSchemaUtils.toString`, `toNormalizedString`), or fails normalization with
/// Confluent's `Could not resolve type: X`.
#[test]
fn corpus_prints() {
    use super::print::{print, try_print};
    let base = stand_in_deps();
    let (mut canonical_ok, mut normalized_ok, mut total) = (0, 0, 0);
    let mut failures = Vec::new();
    for (id, text, g) in corpus() {
        let Ok(file) = parse_text(&text) else {
            continue;
        };
        total += 1;
        let mut deps = base.clone();
        let corpus = load("tests/fixtures/confluent-7.9/compat/corpus.json");
        for s in corpus["schemas"].as_array().into_iter().flatten() {
            if s["id"] == id.as_str() {
                for r in s["refs"].as_array().into_iter().flatten() {
                    let dep = parse_text(r["schema"].as_str().unwrap_or_default()).expect("ref");
                    deps.push((r["name"].as_str().unwrap_or_default().to_string(), dep));
                }
            }
        }
        if let Some(error) = g["error"].as_str() {
            match try_print(&file, &deps, true, false) {
                Err(e) if e.0 == error => {
                    canonical_ok += 1;
                    normalized_ok += 1;
                }
                other => failures.push(format!("{id}: expected error {error}, got {other:?}")),
            }
            continue;
        }
        let canonical = print(&file, false, false);
        if canonical == g["canonical"].as_str().unwrap_or_default() {
            canonical_ok += 1;
        } else {
            failures.push(format!(
                "{id} canonical:\n{canonical}\n--- expected\n{}",
                g["canonical"].as_str().unwrap_or_default()
            ));
        }
        match try_print(&file, &deps, true, false) {
            Ok(n) if n == g["normalized"].as_str().unwrap_or_default() => normalized_ok += 1,
            other => failures.push(format!(
                "{id} normalized:\n{other:?}\n--- expected\n{}",
                g["normalized"].as_str().unwrap_or_default()
            )),
        }
    }
    eprintln!("canonical {canonical_ok}/{total}, normalized {normalized_ok}/{total}");
    assert!(failures.is_empty(), "{}", failures.join("\n=====\n"));
}

/// The `schema` of every recorded GET answer of a PROTOBUF schema registered as text in the
/// HTTP scenarios is our canonical text of one of the texts registered in that scenario
/// (`ProtobufSchema.canonicalString`). Answers for base64 descriptors (`proto-descriptors`,
/// `reg-proto-valid`'s `format=serialized`) and for tag edits (`tags-*`, built by Confluent's
/// rule engine) are other modules' work and not counted.
#[test]
fn http_golden_texts() {
    use super::print::print;
    let scenarios = load("tests/fixtures/confluent-7.9/http/scenarios.json");
    let golden = load("tests/fixtures/confluent-7.9/http/golden.json");
    let (mut passed, mut total) = (0, 0);
    let mut failures = Vec::new();
    for sc in scenarios.as_array().into_iter().flatten() {
        let name = sc["name"].as_str().unwrap_or_default();
        if name.starts_with("tags-") || name == "proto-descriptors" {
            continue;
        }
        let steps = sc["steps"].as_array().cloned().unwrap_or_default();
        let mut canonicals: Vec<(String, String)> = Vec::new();
        for st in &steps {
            if st["b"]["schemaType"] == "PROTOBUF" {
                if let Ok(f) = parse_text(st["b"]["schema"].as_str().unwrap_or_default()) {
                    canonicals.push((print(&f, false, false), print(&f, false, true)));
                }
            }
        }
        for (i, st) in steps.iter().enumerate() {
            let path = st["p"].as_str().unwrap_or_default();
            if st["m"] != "GET" || path.contains("format=serialized") {
                continue;
            }
            let body = &golden[name][i]["body"];
            if body["schemaType"] != "PROTOBUF" {
                continue;
            }
            let Some(schema) = body["schema"].as_str() else {
                continue;
            };
            total += 1;
            let ignore = path.contains("format=ignore_extensions");
            if canonicals
                .iter()
                .any(|(c, ie)| if ignore { ie == schema } else { c == schema })
            {
                passed += 1;
            } else {
                failures.push(format!("{name} {path}:\n{schema}"));
            }
        }
    }
    eprintln!("http golden texts {passed}/{total}");
    assert!(failures.is_empty(), "{}", failures.join("\n=====\n"));
}

fn canonical(text: &str) -> String {
    super::print::print(&parse_text(text).expect("parses"), false, false)
}

fn error(text: &str) -> String {
    parse_text(text).expect_err("fails").0
}

/// proto2 groups, `extensions` with `max`, defaults of each kind and `extend` inside a message
/// (Wire `ProtoParser.readGroup`/`readExtensions`/`stripDefault`; Confluent
/// `ProtobufSchemaUtils.toString(GroupElement|ExtensionsElement|FieldElement)` with `toKind`).
#[test]
fn proto2_groups_extensions_defaults() {
    let text = "syntax = \"proto2\";\nmessage A {\n  optional group G = 1 { optional int32 x = 2; }\n  extensions 100 to max, 5;\n  optional bool b = 3 [default = true];\n  optional E e = 4 [default = E1];\n  optional bytes y = 6 [default = \"ab\"];\n  extend A { optional int32 z = 101; }\n}\nenum E { E1 = 1; }\n";
    let expected = "syntax = \"proto2\";\n\nmessage A {\n  optional bool b = 3 [default = true];\n  optional E e = 4 [default = E1];\n  optional bytes y = 6 [default = ab];\n\n  optional group G = 1 {\n    optional int32 x = 2;\n  }\n\n  extensions 100 to max, 5;\n\n  extend A {\n    optional int32 z = 101;\n  }\n}\nenum E {\n  E1 = 1;\n}\n";
    assert_eq!(canonical(text), expected);
    let normalized = super::print::try_print(&parse_text(text).expect("parses"), &[], true, false)
        .expect("normalizes");
    assert!(
        normalized.contains("  extensions 5;\n  extensions 100 to max;\n"),
        "{normalized}"
    );
    assert!(normalized.contains("  extend .A {\n"), "{normalized}");
    // ignore_extensions drops extensions and extend blocks (`FormatContext.ignoreExtensions`).
    let ignored = super::print::print(&parse_text(text).expect("parses"), false, true);
    assert!(
        !ignored.contains("extensions") && !ignored.contains("extend"),
        "{ignored}"
    );
}

/// String escapes read by Wire's `SyntaxReader.readQuotedString` (octal, hex, adjacent strings)
/// and written by Confluent's `escapeChars`.
#[test]
fn string_escapes() {
    let text = "syntax = \"proto3\";\noption (x) = \"a\\tb\\x41\\101'\" \"c\\\"d\";\nmessage M { string a = 1; }\n";
    let out = canonical(text);
    assert!(
        out.contains("option (x) = \"a\\tbAA\\'c\\\"d\";\n"),
        "{out}"
    );
}

/// Custom options with sub-fields and aggregates (Wire `OptionReader.readOption`/`readMap`;
/// Confluent `toString(OptionElement)`, and normalized `ProtobufSchema.transform`/`merge` of a
/// non-repeated extension).
#[test]
fn custom_options() {
    let text = "syntax = \"proto3\";\nimport \"confluent/meta.proto\";\nmessage M {\n  option (confluent.message_meta).doc = \"d\";\n  option (confluent.message_meta).tags = \"t\";\n  string a = 1 [(foo).bar.baz = 1, (q) = { k: [1, 2] k: 3 }];\n}\n";
    let out = canonical(text);
    let expected = "syntax = \"proto3\";\n\nimport \"confluent/meta.proto\";\n\nmessage M {\n  option (confluent.message_meta).doc = \"d\";\n  option (confluent.message_meta).tags = \"t\";\n\n  string a = 1 [\n    (foo).bar.baz = 1,\n    (q) = {\n      k: [\n        1,\n        2,\n        3\n      ]\n    }\n  ];\n}\n";
    assert_eq!(out, expected);
    let deps = stand_in_deps();
    let n = super::print::try_print(&parse_text(text).expect("parses"), &deps, true, false)
        .expect("normalizes");
    assert!(
        n.contains(
            "  option (confluent.message_meta) = {\n    doc: \"d\",\n    tags: \"t\"\n  };\n"
        ),
        "{n}"
    );
}

/// Services with streaming and rpc options, maps, reserved names and comments everywhere
/// (Wire `readRpc`, `readDataType`, `readReserved`, `readDocumentation`).
#[test]
fn services_maps_reserved_comments() {
    let text = "/* head */ syntax = \"proto3\"; // s\npackage p; /* x */\nmessage M { // m\n  map<string, M> m = 1; // trailing\n  reserved 1 to 1, \"n\";\n}\nservice S { option deprecated = true; rpc R (stream M) returns (M) { option deprecated = true; } }\n";
    let expected = "syntax = \"proto3\";\npackage p;\n\nmessage M {\n  reserved 1 to 1, \"n\";\n\n  map<string, M> m = 1;\n}\n\nservice S {\n  option deprecated = true;\n\n  rpc R (stream M) returns (M) {\n    option deprecated = true;\n  };\n}\n";
    assert_eq!(canonical(text), expected);
    let n = super::print::try_print(&parse_text(text).expect("parses"), &[], true, false)
        .expect("normalizes");
    assert!(n.contains("  reserved 1;\n  reserved \"n\";\n"), "{n}");
    assert!(n.contains("  map<string, .p.M> m = 1;\n"), "{n}");
    assert!(n.contains("rpc R (stream .p.M) returns (.p.M)"), "{n}");
}

/// Wire's errors, with its positions (`SyntaxReader.unexpected`, `ProtoParser`).
#[test]
fn wire_errors() {
    let p = "Could not parse Protobuf - ";
    assert_eq!(
        error("message {"),
        format!("{p}Syntax error in :1:9: expected a word")
    );
    assert_eq!(
        error("message A { string a = 1; }"),
        format!("{p}Syntax error in :1:13: unexpected label: string")
    );
    assert_eq!(
        error("syntax = \"proto4\";"),
        format!("{p}Syntax error in :1:1: unexpected syntax: proto4")
    );
    assert_eq!(
        error("syntax = \"proto3\";\nmessage A { int32 a = x; }"),
        format!("{p}Syntax error in :2:24: expected an integer but was x")
    );
    assert_eq!(
        error("syntax = \"proto3\";\nmessage A {}\nmessage A {}\n"),
        format!("{p}A (:3:1) is already defined at :2:1")
    );
    assert_eq!(
        error("syntax = \"proto3\";\nmessage A { int32 a = 1; /* x */ int32 b = 2; }"),
        format!("{p}Syntax error in :2:35: no syntax may follow trailing comment")
    );
    assert_eq!(
        error("syntax = \"proto3\""),
        format!("{p}Syntax error in :1:18: unexpected end of file")
    );
    // (Wire reports the column after the offending character there.)
    // An empty text is an empty file to Wire (Confluent's "Empty schema" is the HTTP layer's).
    assert!(parse_text("").is_ok());
}

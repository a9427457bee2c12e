//! Unit tests of the Avro schema parser: Confluent's corpus and scenarios, quirks, limits.

use super::*;
use crate::json::MAX_JSON_DEPTH;
use serde_json::Value;
use std::collections::HashMap;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/confluent-7.9");

fn load(rel: &str) -> Value {
    let path = format!("{FIXTURES}/{rel}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Invalid corpus entries whose error text is allowed to differ from Confluent's.
const CORPUS_ERROR_TEXT_ALLOWED: &[(&str, &str)] = &[(
    "avro-bad-json",
    "Jackson's own parser wording and source location (Confluent's replay compares by code)",
)];

/// Compares an error text with Confluent's; Jackson parser messages compare by prefix only.
fn same_error(ours: &str, theirs: &str) -> bool {
    if theirs.starts_with("com.fasterxml.jackson") {
        return ours.starts_with("com.fasterxml.jackson");
    }
    ours == theirs
}

#[test]
fn corpus_matches_golden() {
    let corpus = load("compat/corpus.json");
    let golden = load("compat/golden.json");
    let mut failures: Vec<String> = Vec::new();
    let (mut valid, mut valid_ok, mut invalid, mut invalid_ok, mut text_ok) = (0, 0, 0, 0, 0);
    for entry in corpus["schemas"].as_array().expect("schemas") {
        if entry["type"] != "AVRO" {
            continue;
        }
        let id = entry["id"].as_str().expect("id");
        let schema = entry["schema"].as_str().expect("schema");
        let refs: Vec<&str> = entry["refs"]
            .as_array()
            .map(|a| a.iter().filter_map(|r| r["schema"].as_str()).collect())
            .unwrap_or_default();
        let g = &golden["schemas"][id];
        let result = parse(schema, &refs, true);
        if g["valid"] == true {
            valid += 1;
            match result {
                Ok(p) => {
                    let mut ok = true;
                    if p.canonical != g["canonical"].as_str().unwrap_or_default() {
                        ok = false;
                        failures.push(format!(
                            "{id}: canonical\n  ours:   {}\n  theirs: {}",
                            p.canonical, g["canonical"]
                        ));
                    }
                    if p.normalized != g["normalized"].as_str().unwrap_or_default() {
                        ok = false;
                        failures.push(format!(
                            "{id}: normalized\n  ours:   {}\n  theirs: {}",
                            p.normalized, g["normalized"]
                        ));
                    }
                    if ok {
                        valid_ok += 1;
                    }
                }
                Err(e) => failures.push(format!("{id}: expected valid, got error {e}")),
            }
        } else {
            invalid += 1;
            let theirs = g["error"].as_str().unwrap_or_default();
            match result {
                Ok(p) => failures.push(format!(
                    "{id}: expected error {theirs:?}, got {}",
                    p.canonical
                )),
                Err(e) => {
                    invalid_ok += 1;
                    if same_error(&e.0, theirs) {
                        text_ok += 1;
                    } else if !CORPUS_ERROR_TEXT_ALLOWED.iter().any(|(a, _)| *a == id) {
                        failures.push(format!(
                            "{id}: error text\n  ours:   {}\n  theirs: {theirs}",
                            e.0
                        ));
                    }
                }
            }
        }
    }
    println!(
        "corpus: {valid_ok}/{valid} valid schemas match canonical+normalized; \
         {invalid_ok}/{invalid} invalid schemas rejected, {text_ok} with Confluent's exact error text"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every Avro schema of the compatibility pairs and chains parses, and the old schema's text
/// quoted in Confluent's messages (`{oldSchema: '…'}`) is our canonical text.
#[test]
fn compat_corpus_schemas_parse() {
    let corpus = load("compat/corpus.json");
    let golden = load("compat/golden.json");
    let texts = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r["schema"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut failures: Vec<String> = Vec::new();
    let (mut parsed, mut quoted) = (0, 0);
    for pair in corpus["compat"].as_array().expect("compat") {
        if pair["type"] != "AVRO" {
            continue;
        }
        let id = pair["id"].as_str().unwrap_or_default();
        let mut old_canonical = None;
        for (key, refs_key) in [("old", "old_refs"), ("new", "new_refs")] {
            let refs = texts(&pair[refs_key]);
            let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
            match parse(pair[key].as_str().unwrap_or_default(), &refs, false) {
                Ok(p) => {
                    parsed += 1;
                    if key == "old" {
                        old_canonical = Some(p.canonical);
                    }
                }
                Err(e) => failures.push(format!("{id} {key}: {e}")),
            }
        }
        for msgs in golden["compat"][id]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            for m in msgs
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if let Some(q) = m
                    .strip_prefix("{oldSchema: '")
                    .and_then(|r| r.strip_suffix("'}"))
                {
                    quoted += 1;
                    if old_canonical.as_deref() != Some(q) {
                        failures.push(format!(
                            "{id}: oldSchema\n  ours:   {old_canonical:?}\n  theirs: {q}"
                        ));
                    }
                }
            }
        }
    }
    for chain in corpus["chains"].as_array().expect("chains") {
        if !chain["types"]
            .as_array()
            .is_some_and(|t| t.iter().all(|t| t == "AVRO"))
        {
            continue;
        }
        for v in chain["versions"].as_array().into_iter().flatten() {
            let text = v
                .as_str()
                .or_else(|| v["schema"].as_str())
                .unwrap_or_default();
            match parse(text, &[], false) {
                Ok(_) => parsed += 1,
                Err(e) => failures.push(format!("{}: {e}", chain["id"])),
            }
        }
    }
    println!("compat: {parsed} Avro schemas parsed, {quoted} quoted old schemas match");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// HTTP scenarios about Avro: 42201 texts, accepted schemas and the schema texts returned.
#[test]
fn http_scenarios_match_golden() {
    const NAMES: &[&str] = &[
        "reg-avro-invalid",
        "avro-invalid-2",
        "reg-avro",
        "reg-avro-normalize",
        "refs-avro",
        "tags-namespaced",
        "reg-body",
    ];
    let scenarios = load("http/scenarios.json");
    let golden = load("http/golden.json");
    let mut failures: Vec<String> = Vec::new();
    let (mut errors, mut errors_ok, mut accepted, mut texts) = (0, 0, 0, 0);
    for sc in scenarios.as_array().expect("scenarios") {
        let name = sc["name"].as_str().unwrap_or_default();
        if !NAMES.contains(&name) {
            continue;
        }
        let results = golden[name].as_array().expect("golden steps");
        // subject -> texts produced by schemas registered there (for refs and GET checks)
        let mut by_subject: HashMap<String, String> = HashMap::new();
        let mut known_texts: Vec<String> = Vec::new();
        for (n, (step, res)) in sc["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .zip(results)
            .enumerate()
        {
            let path = step["p"].as_str().unwrap_or_default();
            let status = res["status"].as_i64().unwrap_or_default();
            let body = &res["body"];
            if step["m"] == "GET" {
                if let (200, Some(text)) = (status, body["schema"].as_str()) {
                    if name != "tags-namespaced" {
                        texts += 1;
                        if !known_texts.iter().any(|t| t == text) {
                            failures.push(format!("{name}#{n} GET {path}: unexpected {text}"));
                        }
                    }
                }
                continue;
            }
            if step["m"] != "POST"
                || !(path.starts_with("/subjects/") || path.starts_with("/compatibility/"))
            {
                continue;
            }
            let req = &step["b"];
            if req.get("schemaType").is_some_and(|t| t != "AVRO") {
                continue;
            }
            let schema = match &req["schema"] {
                Value::String(s) => s.clone(),
                Value::Number(x) => x.to_string(),
                _ => continue,
            };
            if schema.trim().is_empty() {
                continue;
            }
            let normalize = path.contains("normalize=true");
            let register = path.starts_with("/subjects/") && path.contains("/versions");
            let refs: Vec<String> = req["references"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|r| r["subject"].as_str())
                        .filter_map(|s| by_subject.get(s).cloned())
                        .collect()
                })
                .unwrap_or_default();
            let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
            // Confluent 7.9 validates defaults only for new schemas registered with normalize=true.
            let result = parse(&schema, &refs, normalize && register);
            let message = body["message"].as_str().unwrap_or_default();
            if status == 422 {
                let Some((_, details)) = message.split_once("of type AVRO, details: ") else {
                    continue;
                };
                errors += 1;
                match result {
                    Ok(p) => failures.push(format!(
                        "{name}#{n} {path}: expected error {details:?}, got {}",
                        p.canonical
                    )),
                    Err(e) if same_error(&e.0, details) => errors_ok += 1,
                    Err(e) => failures.push(format!(
                        "{name}#{n} {path}: error text\n  ours:   {}\n  theirs: {details}",
                        e.0
                    )),
                }
            } else if status == 200 {
                accepted += 1;
                match result {
                    Ok(p) => {
                        let text = if normalize {
                            &p.normalized
                        } else {
                            &p.canonical
                        };
                        if let Some(returned) = body["schema"].as_str() {
                            texts += 1;
                            if returned != text && returned != p.canonical {
                                failures.push(format!(
                                    "{name}#{n} {path}: schema\n  ours:   {text}\n  theirs: {returned}"
                                ));
                            }
                        }
                        if register {
                            if let Some(subject) = path
                                .strip_prefix("/subjects/")
                                .and_then(|s| s.split('/').next())
                            {
                                by_subject.insert(subject.to_string(), schema.clone());
                            }
                        }
                        known_texts.push(p.canonical.clone());
                        known_texts.push(p.normalized.clone());
                    }
                    Err(e) => {
                        failures.push(format!("{name}#{n} {path}: expected success, got {e}"))
                    }
                }
            }
        }
    }
    println!(
        "http: {errors_ok}/{errors} Avro 42201 details match, {accepted} accepted schemas parsed, \
         {texts} returned schema texts checked"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn ok(schema: &str) -> ParsedAvro {
    parse(schema, &[], true).unwrap_or_else(|e| panic!("{schema}: {e}"))
}

fn err(schema: &str) -> String {
    match parse(schema, &[], true) {
        Ok(p) => panic!("{schema}: expected an error, got {}", p.canonical),
        Err(e) => e.0,
    }
}

#[test]
fn canonical_text_quirks() {
    // Numbers keep Jackson's node types; a double field's integer default stays an int in the
    // canonical text and becomes a double in the normalized one.
    let p = ok(r#"{"type":"record","name":"R","fields":[
        {"name":"d","type":"double","default":0},
        {"name":"f","type":"float","default":"1e10"},
        {"name":"l","type":"long","default":12345678901},
        {"name":"e","type":"double","default":1E2}]}"#);
    assert_eq!(
        p.canonical,
        r#"{"type":"record","name":"R","fields":[{"name":"d","type":"double","default":0},{"name":"f","type":"float","default":1.0E10},{"name":"l","type":"long","default":12345678901},{"name":"e","type":"double","default":100.0}]}"#
    );
    assert_eq!(
        p.normalized,
        r#"{"type":"record","name":"R","fields":[{"name":"d","type":"double","default":0.0},{"name":"f","type":"float","default":1.0E10},{"name":"l","type":"long","default":12345678901},{"name":"e","type":"double","default":100.0}]}"#
    );
    // A null-namespace type inside a namespaced one is written with "namespace":"".
    let p = ok(r#"{"type":"record","name":"a.Outer","fields":[
        {"name":"x","type":{"type":"enum","name":"E","namespace":"","symbols":["A"]}},
        {"name":"y","type":"E"},
        {"name":"z","type":{"type":"fixed","name":"b.F","size":2}},
        {"name":"w","type":"b.F"}]}"#);
    assert_eq!(
        p.canonical,
        r#"{"type":"record","name":"Outer","namespace":"a","fields":[{"name":"x","type":{"type":"enum","name":"E","namespace":"","symbols":["A"]}},{"name":"y","type":"E"},{"name":"z","type":{"type":"fixed","name":"F","namespace":"b","size":2}},{"name":"w","type":"b.F"}]}"#
    );
    assert_eq!(p.defined_names, vec!["a.Outer", "E", "b.F"]);
    // Error records, aliases (qualified against the type's own namespace), props after fields.
    let p = ok(
        r#"{"type":"error","name":"n.Err","aliases":["Old","m.Other"],"x":1,"fields":[{"name":"a","type":"string","aliases":["b","b"],"order":"ignore","doc":"d"}]}"#,
    );
    assert_eq!(
        p.canonical,
        r#"{"type":"error","name":"Err","namespace":"n","fields":[{"name":"a","type":"string","doc":"d","order":"ignore","aliases":["b"]}],"x":1,"aliases":["Old","m.Other"]}"#
    );
    assert_eq!(
        p.normalized,
        r#"{"type":"record","name":"Err","namespace":"n","fields":[{"name":"a","type":"string","doc":"d","order":"ignore","aliases":["b"]}],"x":1,"aliases":["m.Other","Old"]}"#
    );
    // Comments are allowed, duplicate keys keep the first position and the last value,
    // escapes are re-written the way Jackson writes them.
    let p = ok("/* c */ {\"type\":\"record\",\"name\":\"R\",\"doc\":\"x\",\"doc\":\"a\\u0001\\t\\/\\u00e9\",\"fields\":[]}");
    assert_eq!(
        p.canonical,
        "{\"type\":\"record\",\"name\":\"R\",\"doc\":\"a\\u0001\\t/\u{e9}\",\"fields\":[]}"
    );
    // Props of primitives; logical types first and props sorted in the normalized form.
    let p = ok(
        r#"{"type":"long","connect.name":"x","logicalType":"timestamp-millis","a":{"z":1,"b":[true,null]}}"#,
    );
    assert_eq!(
        p.canonical,
        r#"{"type":"long","connect.name":"x","logicalType":"timestamp-millis","a":{"z":1,"b":[true,null]}}"#
    );
    assert_eq!(
        p.normalized,
        r#"{"type":"long","logicalType":"timestamp-millis","a":{"b":[true,null],"z":1},"connect.name":"x"}"#
    );
    // Names spelled like type names are written in full.
    let p = ok(
        r#"{"type":"record","name":"n.R","fields":[{"name":"a","type":{"type":"record","name":"record","fields":[]}},{"name":"b","type":"n.record"}]}"#,
    );
    assert!(
        p.canonical.ends_with(r#"{"name":"b","type":"n.record"}]}"#),
        "{}",
        p.canonical
    );
}

#[test]
fn duplicate_keys_in_large_objects() {
    let mut props: Vec<String> = (0..40).map(|i| format!(r#""p{i}":{i}"#)).collect();
    props.push(r#""p3":"last""#.to_string());
    props.push(r#""type":"int""#.to_string());
    let p = ok(&format!("{{{}}}", props.join(",")));
    assert!(
        p.canonical
            .starts_with(r#"{"type":"int","p0":0,"p1":1,"p2":2,"p3":"last","p4":4"#),
        "{}",
        p.canonical
    );
    assert_eq!(p.canonical.matches("\"p3\"").count(), 1);
}

#[test]
fn validation_errors() {
    assert_eq!(
        err("\"string\" \"x\""),
        "dangling content after end of schema: \"x\""
    );
    assert_eq!(err("\"\""), "Empty name");
    assert_eq!(
        err("\"int\" // c"),
        "dangling content after end of schema: // c"
    );
    assert_eq!(err("42"), "Schema not yet supported: 42");
    assert_eq!(err("   "), "Cannot parse <null> schema");
    assert_eq!(err(r#"{"type":"nosuch"}"#), "Type not supported: nosuch");
    assert_eq!(
        err(r#"{"type":"record","name":"a-b","fields":[]}"#),
        "Illegal character in: a-b"
    );
    assert_eq!(
        err(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":1.5}]}"#),
        r#"Invalid default for field a: 1.5 not a "int""#
    );
    assert_eq!(
        err(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"double","default":"x"}]}"#
        ),
        r#"For input string: "x""#
    );
    assert_eq!(
        err(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"record","name":"S","fields":[{"name":"b","type":"int"}]},"default":{"b":"no"}}]}"#
        ),
        r#"Invalid default for field a: {"b":"no"} not a {"type":"record","name":"S","fields":[{"name":"b","type":"int"}]}"#
    );
    // A record's own type inside its fields prints without fields (not set yet).
    assert_eq!(
        err(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":["R","null"],"default":null}]}"#
        ),
        r#"Invalid default for field a: null not a [{"type":"record","name":"R"},"null"]"#
    );
    assert_eq!(
        err(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":["R","null"],"default":{}}]}"#
        ),
        "Schema fields not set yet"
    );
    assert_eq!(
        err(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"},{"name":"a","type":"long"}]}"#
        ),
        "Duplicate field a in record R: a type:LONG pos:2 and a type:INT pos:0."
    );
    assert_eq!(
        err(r#"["null",{"type":"array","items":"int"},{"type":"array","items":"long"}]"#),
        "Duplicate in union:array"
    );
    assert_eq!(
        err(r#"{"type":"fixed","name":"F","size":2147483647}"#),
        "Cannot read arrays longer than 2147483639 bytes in Java library"
    );
    assert_eq!(
        err(r#"{"type":"enum","name":"E","symbols":["A",1]}"#),
        "Null name"
    );
    // Lax parses skip default validation but not structure or names.
    assert!(parse(
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#,
        &[],
        false
    )
    .is_ok());
    assert!(parse(r#"{"type":"record","name":"1R","fields":[]}"#, &[], false).is_err());
    assert!(err("{\"type\":").starts_with("com.fasterxml.jackson.core.JsonParseException: "));
}

#[test]
fn normalization_drops_defaults_java_cannot_convert() {
    // Unvalidated defaults of the wrong type disappear from the normalized text, a null one
    // stays and then fails validation (Confluent: avro-invalid-2 n21).
    let s = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#;
    let p = parse(s, &[], false).expect("lax parse");
    assert_eq!(
        p.normalized,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#
    );
    let s = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":null}]}"#;
    assert_eq!(err(s), r#"Invalid default for field a: null not a "int""#);
}

#[test]
fn references() {
    let dep = r#"{"type":"record","name":"Dep","namespace":"com.x","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}}]}"#;
    let p = parse(
        r#"{"type":"record","name":"H","namespace":"com.y","fields":[{"name":"d","type":"com.x.Dep"},{"name":"e","type":"com.x.E"}]}"#,
        &[dep],
        false,
    )
    .expect("parse with refs");
    // Only the top-level names of references count as known when printing (Java toString),
    // so the nested enum of the reference is printed in full.
    assert_eq!(
        p.canonical,
        r#"{"type":"record","name":"H","namespace":"com.y","fields":[{"name":"d","type":"com.x.Dep"},{"name":"e","type":{"type":"enum","name":"E","namespace":"com.x","symbols":["A"]}}]}"#
    );
    assert_eq!(p.defined_names, vec!["com.y.H"]);
    assert!(parse(
        r#"{"type":"record","name":"Dep","namespace":"com.x","fields":[]}"#,
        &[dep],
        false
    )
    .is_err());
}

#[test]
fn depth_limits() {
    let nest = |n: usize| {
        let mut s = String::from("\"int\"");
        for _ in 0..n {
            s = format!("{{\"type\":\"array\",\"items\":{s}}}");
        }
        s
    };
    assert!(parse(&nest(MAX_DEPTH - 1), &[], true).is_ok());
    assert!(err(&nest(MAX_DEPTH + 1)).contains("nesting depth"));
    let mut rec = String::from("\"int\"");
    for i in 0..MAX_DEPTH + 5 {
        rec =
            format!(r#"{{"type":"record","name":"R{i}","fields":[{{"name":"f","type":{rec}}}]}}"#);
    }
    assert!(err(&rec).contains("nesting depth"));
    let deep_json = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse(&deep_json, &[], true).is_err());
    let deep_default = format!(
        r#"{{"type":"record","name":"R","fields":[{{"name":"a","type":"string","x":{}1{}}}]}}"#,
        "[".repeat(MAX_JSON_DEPTH - 8),
        "]".repeat(MAX_JSON_DEPTH - 8)
    );
    assert!(parse(&deep_default, &[], true).is_ok());
}

/// Mutated corpus schemas must give a result or an error, never a panic.
#[test]
fn no_panics_on_mutations() {
    let corpus = load("compat/corpus.json");
    let mut inputs: Vec<String> = Vec::new();
    for entry in corpus["schemas"].as_array().expect("schemas") {
        if let Some(s) = entry["schema"].as_str() {
            inputs.push(s.to_string());
        }
    }
    let junk = [
        "\"", "{", "}", "[", "]", ",", ":", "\\", "\\u12", "1e999", "-", "null", "/*", "é",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for s in &inputs {
        let chars: Vec<char> = s.chars().collect();
        for cut in 0..chars.len() {
            let prefix: String = chars.iter().take(cut).collect();
            let _ = parse(&prefix, &[], true);
        }
        for _ in 0..200 {
            let mut c = chars.clone();
            let pos = usize::try_from(next() % (c.len() as u64 + 1)).unwrap_or(0);
            let j = junk[usize::try_from(next() % junk.len() as u64).unwrap_or(0)];
            if pos < c.len() && next() % 2 == 0 {
                c.remove(pos);
            }
            let mut m: String = c.iter().take(pos).collect();
            m.push_str(j);
            m.extend(c.iter().skip(pos));
            let _ = parse(&m, &[], true);
            let _ = parse(&m, &[s.as_str()], false);
        }
    }
}

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

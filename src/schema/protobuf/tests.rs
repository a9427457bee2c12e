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

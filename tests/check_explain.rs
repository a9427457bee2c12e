//! `schema-registry check` explains (issue 18, point 3): each incompatibility in plain words
//! (which field, what changed, who breaks, how to fix it), Confluent's raw messages with
//! `--format confluent`, structured objects with `--format json`, parse errors as
//! FILE:LINE:COLUMN in our words, for Avro, JSON Schema and Protobuf, offline and against a
//! running registry; and `schema-registry diff`, two versions side by side with the verdict
//! at each level.

mod common;

use common::Server;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(sub: &str, args: &[&str], dir: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_schema-registry"))
        .arg(sub)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run schema-registry");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write(dir: &Path, items: &[(&str, &str)]) {
    for (name, text) in items {
        std::fs::write(dir.join(name), text).expect("write schema file");
    }
}

fn json_of(r: &Run) -> Value {
    serde_json::from_str(r.stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}{}", r.stdout, r.stderr))
}

/// The incompatibility of `--format json` output about `field`.
fn item<'a>(v: &'a Value, field: &str) -> &'a Value {
    v["incompatibilities"]
        .as_array()
        .expect("incompatibilities")
        .iter()
        .find(|i| i["field"] == field)
        .unwrap_or_else(|| panic!("no incompatibility about {field}: {v}"))
}

const AVRO_V1: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[
 {"name":"name","type":"string"},
 {"name":"kind","type":{"type":"enum","name":"K","symbols":["A","B"]}}
]}"#;
/// Adds `email` without a default, drops enum symbol B, changes `name` to int.
const AVRO_V2: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[
 {"name":"name","type":"int"},
 {"name":"kind","type":{"type":"enum","name":"K","symbols":["A"]}},
 {"name":"email","type":"string"}
]}"#;
const JSON_V1: &str = r#"{"type":"object","properties":{"name":{"type":"string"},"tags":{"type":"array"}},"additionalProperties":false}"#;
/// Drops `tags` from a closed content model.
const JSON_V2: &str =
    r#"{"type":"object","properties":{"name":{"type":"string"}},"additionalProperties":false}"#;
const PROTO_V1: &str =
    "syntax = \"proto3\";\npackage shop;\nmessage Order {\n  string id = 1;\n  int32 qty = 2;\n}\n";
/// Changes `qty` from int32 to string.
const PROTO_V2: &str = "syntax = \"proto3\";\npackage shop;\nmessage Order {\n  string id = 1;\n  string qty = 2;\n}\n";

/// Java/Jackson wording the checker must never print.
fn assert_no_java(s: &str) {
    for w in [
        "Jackson",
        "REDACTED",
        "StreamReadFeature",
        "com.fasterxml",
        "Exception",
    ] {
        assert!(!s.contains(w), "Java text {w:?} in: {s}");
    }
}

#[test]
fn avro_incompatibilities_in_plain_words_raw_and_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), &[("v1.avsc", AVRO_V1), ("v2.avsc", AVRO_V2)]);
    let text = run("check", &["v2.avsc", "v1.avsc"], dir.path());
    assert_eq!(text.code, 1, "{}{}", text.stdout, text.stderr);
    let out = &text.stdout;
    assert!(
        out.starts_with("incompatible at BACKWARD with version 1:"),
        "{out}"
    );
    assert!(
        out.contains("field `email` was added without a default"),
        "{out}"
    );
    assert!(out.contains("fix: give `email` a default"), "{out}");
    assert!(out.contains("breaks: new readers"), "{out}");
    assert!(
        out.contains("the type of `name` changed from string to int"),
        "{out}"
    );
    assert!(
        out.contains("the enum at `kind` lost symbol(s) B") && out.contains("add B back"),
        "{out}"
    );

    // FORWARD: old readers break on the new type; the new field does not matter to them.
    let fwd = run(
        "check",
        &["--level", "FORWARD", "v2.avsc", "v1.avsc"],
        dir.path(),
    );
    assert_eq!(fwd.code, 1, "{}{}", fwd.stdout, fwd.stderr);
    assert!(fwd.stdout.contains("breaks: old readers"), "{}", fwd.stdout);
    assert!(!fwd.stdout.contains("`email`"), "{}", fwd.stdout);

    let raw = run(
        "check",
        &["--format", "confluent", "v2.avsc", "v1.avsc"],
        dir.path(),
    );
    assert_eq!(raw.code, 1);
    assert!(
        raw.stdout.contains("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' at path '/fields/2' in the new schema has no default value and is missing in the old schema', additionalInfo:'email'}"),
        "{}",
        raw.stdout
    );

    let j = run(
        "check",
        &["--format", "json", "--level", "FULL", "v2.avsc", "v1.avsc"],
        dir.path(),
    );
    assert_eq!(j.code, 1);
    let v = json_of(&j);
    assert_eq!(v["compatible"], false);
    assert_eq!(v["level"], "FULL");
    assert_eq!(v["old_version"], 1);
    let email = item(&v, "email");
    assert_eq!(email["kind"], "READER_FIELD_MISSING_DEFAULT_VALUE");
    assert_eq!(email["path"], "/fields/2");
    assert_eq!(email["breaks"], "new readers");
    assert!(email["fix"].as_str().is_some_and(|f| f.contains("default")));
    assert!(email["confluent"]
        .as_str()
        .is_some_and(|c| c.starts_with("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'")));
    // Under FULL the type change breaks both sides: one finding each.
    let breaks: Vec<&Value> = v["incompatibilities"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|i| i["field"] == "name")
        .map(|i| &i["breaks"])
        .collect();
    assert_eq!(breaks, vec!["old readers", "new readers"], "{v}");
}

#[test]
fn json_schema_and_protobuf_incompatibilities_name_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        &[
            ("v1.json", JSON_V1),
            ("v2.json", JSON_V2),
            ("v1.proto", PROTO_V1),
            ("v2.proto", PROTO_V2),
        ],
    );
    let j = run("check", &["v2.json", "v1.json"], dir.path());
    assert_eq!(j.code, 1, "{}{}", j.stdout, j.stderr);
    assert!(
        j.stdout
            .contains("property `tags` is missing from the new schema")
            && j.stdout.contains("fix: keep `tags` declared"),
        "{}",
        j.stdout
    );
    let v = json_of(&run(
        "check",
        &["--format", "json", "v2.json", "v1.json"],
        dir.path(),
    ));
    let tags = item(&v, "tags");
    assert_eq!(tags["kind"], "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL");
    assert_eq!(tags["path"], "#/properties/tags");
    let raw = run(
        "check",
        &["--format", "confluent", "v2.json", "v1.json"],
        dir.path(),
    );
    assert!(
        raw.stdout
            .contains("{errorType:\"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL\""),
        "{}",
        raw.stdout
    );

    let p = run("check", &["v2.proto", "v1.proto"], dir.path());
    assert_eq!(p.code, 1, "{}{}", p.stdout, p.stderr);
    assert!(
        p.stdout
            .contains("field `Order.qty` changed to a scalar type")
            && p.stdout.contains("fix: keep the type of `Order.qty`"),
        "{}",
        p.stdout
    );
    let v = json_of(&run(
        "check",
        &["--format", "json", "v2.proto", "v1.proto"],
        dir.path(),
    ));
    let qty = item(&v, "Order.qty");
    assert_eq!(qty["kind"], "FIELD_SCALAR_KIND_CHANGED");
    assert_eq!(qty["path"], "#/Order/2");
    assert_eq!(qty["breaks"], "new readers");
    let raw = run(
        "check",
        &["--format", "confluent", "v2.proto", "v1.proto"],
        dir.path(),
    );
    assert!(
        raw.stdout
            .contains("{errorType:\"FIELD_SCALAR_KIND_CHANGED\""),
        "{}",
        raw.stdout
    );
}

#[test]
fn parse_errors_give_file_line_column_in_our_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        &[
            ("v1.avsc", AVRO_V1),
            ("syntax.avsc", "{\"type\":\"record\",\n \"name\":\"X\" \"fields\":[]}"),
            ("unknown.avsc", "{\"type\":\"record\",\"name\":\"X\",\n\"fields\":[{\"name\":\"a\",\"type\":\"nosuch\"}]}"),
            ("v1.json", JSON_V1),
            ("syntax.json", "{\"type\":\"object\",\n \"properties\": {\n  \"a\": {\"type\" \"string\"}}}"),
            ("meta.json", "{\"type\":\"object\",\n\"properties\":{\"a\":{\"type\":\"nosuch\"}}}"),
            ("v1.proto", PROTO_V1),
            ("syntax.proto", "syntax = \"proto3\";\nmessage A {\n  string x = ;\n}\n"),
            ("unknown.proto", "syntax = \"proto3\";\nmessage A {\n  Nope x = 1;\n}\n"),
        ],
    );
    for (new, old, expected) in [
        ("syntax.avsc", "v1.avsc", "syntax.avsc:2:13: invalid JSON"),
        (
            "unknown.avsc",
            "v1.avsc",
            "unknown.avsc:2:30: invalid Avro schema: \"nosuch\" is not a defined name",
        ),
        (
            "syntax.json",
            "v1.json",
            "syntax.json:3:16: invalid JSON: expected `:`",
        ),
        (
            "meta.json",
            "v1.json",
            "meta.json:2:20: invalid JSON Schema at /properties/a/type",
        ),
        (
            "syntax.proto",
            "v1.proto",
            "syntax.proto:3:14: Protobuf syntax error: expected a word",
        ),
        (
            "unknown.proto",
            "v1.proto",
            "unknown.proto:3:3: invalid Protobuf schema",
        ),
    ] {
        let r = run("check", &[new, old], dir.path());
        assert_eq!(r.code, 2, "{new}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(expected), "{new}: {}", r.stderr);
        assert_no_java(&r.stderr);
        let j = run("check", &["--format", "json", new, old], dir.path());
        assert_eq!(j.code, 2);
        assert!(json_of(&j)["error"]
            .as_str()
            .is_some_and(|e| e.contains(expected)));
    }
    // An invalid old version is reported under its own name.
    let r = run("check", &["v1.avsc", "syntax.avsc"], dir.path());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("syntax.avsc:2:13:"), "{}", r.stderr);
}

#[tokio::test]
async fn against_a_registry_every_format_is_explained() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        &[
            ("v2.avsc", AVRO_V2),
            ("v2.json", JSON_V2),
            ("v2.proto", PROTO_V2),
            (
                "syntax.avsc",
                "{\"type\":\"record\",\n \"name\":\"X\" \"fields\":[]}",
            ),
            (
                "syntax.proto",
                "syntax = \"proto3\";\nmessage A {\n  string x = ;\n}\n",
            ),
        ],
    );
    for (subject, text, ty) in [
        ("a", AVRO_V1, "AVRO"),
        ("j", JSON_V1, "JSON"),
        ("p", PROTO_V1, "PROTOBUF"),
    ] {
        let (s, v) = server
            .post(
                &format!("/subjects/{subject}/versions"),
                &json!({"schema": text, "schemaType": ty}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, v) = server
        .put("/config/a", &json!({"compatibility": "FULL"}))
        .await;
    assert_eq!(s, 200, "{v}");
    for (subject, file, field, words) in [
        ("a", "v2.avsc", "email", "fix: give `email` a default"),
        ("j", "v2.json", "tags", "fix: keep `tags` declared"),
        (
            "p",
            "v2.proto",
            "Order.qty",
            "fix: keep the type of `Order.qty`",
        ),
    ] {
        let url = ["--url", &server.url, "--subject", subject];
        let text = run("check", &[&url[..], &[file]].concat(), dir.path());
        assert_eq!(text.code, 1, "{}{}", text.stdout, text.stderr);
        assert!(text.stdout.contains(words), "{}", text.stdout);

        let (s, answer) = server
            .post(
                &format!("/compatibility/subjects/{subject}/versions?verbose=true"),
                &json!({
                    "schema": std::fs::read_to_string(dir.path().join(file)).expect("read"),
                    "schemaType": match subject { "a" => "AVRO", "j" => "JSON", _ => "PROTOBUF" },
                }),
            )
            .await;
        assert_eq!(s, 200, "{answer}");
        let raw = run(
            "check",
            &[&url[..], &["--format", "confluent", file]].concat(),
            dir.path(),
        );
        for m in answer["messages"].as_array().expect("messages") {
            let m = m.as_str().expect("string");
            assert!(raw.stdout.contains(m), "{m} not in {}", raw.stdout);
        }

        let j = json_of(&run(
            "check",
            &[&url[..], &["--format", "json", file]].concat(),
            dir.path(),
        ));
        assert_eq!(j["compatible"], false);
        assert_eq!(j["messages"], answer["messages"]);
        let it = item(&j, field);
        for key in ["kind", "path", "message", "breaks", "fix", "confluent"] {
            assert!(it[key].is_string(), "{key} in {it}");
        }
    }
    // The subject's FULL level comes from the registry's trailer; the type change breaks both.
    let j = json_of(&run(
        "check",
        &[
            "--url",
            &server.url,
            "--subject",
            "a",
            "--format",
            "json",
            "v2.avsc",
        ],
        dir.path(),
    ));
    assert_eq!(j["level"], "FULL");
    let breaks: Vec<&Value> = j["incompatibilities"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|i| i["field"] == "name")
        .map(|i| &i["breaks"])
        .collect();
    assert_eq!(breaks, vec!["old readers", "new readers"], "{j}");

    // The registry's parse errors (Jackson's for JSON syntax) become ours.
    for (subject, file, expected) in [
        ("a", "syntax.avsc", "syntax.avsc:2:13: invalid JSON"),
        (
            "p",
            "syntax.proto",
            "syntax.proto:3:14: Protobuf syntax error: expected a word",
        ),
    ] {
        let r = run(
            "check",
            &["--url", &server.url, "--subject", subject, file],
            dir.path(),
        );
        assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(expected), "{}", r.stderr);
        assert_no_java(&r.stderr);
    }
}

/// The side-by-side rows and the three verdicts of `diff`'s text output.
fn assert_diff_text(r: &Run, old: &str, new: &str, changed: &str) {
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let out = &r.stdout;
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("OLD: {old}")) && first.contains(&format!("| NEW: {new}")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains(" | ") && l.contains(changed)),
        "no changed row with {changed}: {out}"
    );
    for v in ["BACKWARD: incompatible", "FORWARD: ", "FULL: incompatible"] {
        assert!(out.contains(v), "{v} missing: {out}");
    }
}

#[tokio::test]
async fn diff_shows_both_versions_and_each_levels_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        &[
            ("v1.avsc", AVRO_V1),
            ("v2.avsc", AVRO_V2),
            ("v1.json", JSON_V1),
            ("v2.json", JSON_V2),
            ("v1.proto", PROTO_V1),
            ("v2.proto", PROTO_V2),
            (
                "syntax.avsc",
                "{\"type\":\"record\",\n \"name\":\"X\" \"fields\":[]}",
            ),
        ],
    );
    let a = run("diff", &["v1.avsc", "v2.avsc"], dir.path());
    assert_diff_text(&a, "v1.avsc", "v2.avsc", "\"type\": \"int\"");
    assert!(
        a.stdout
            .contains("field `email` was added without a default"),
        "{}",
        a.stdout
    );
    assert!(a.stdout.contains("FORWARD: incompatible"), "{}", a.stdout);
    let j = run("diff", &["v1.json", "v2.json"], dir.path());
    assert_eq!(j.code, 0, "{}{}", j.stdout, j.stderr);
    assert!(
        j.stdout.contains("OLD: v1.json") && j.stdout.contains("\"tags\""),
        "{}",
        j.stdout
    );
    assert!(
        j.stdout.contains("BACKWARD: incompatible") && j.stdout.contains("FORWARD: compatible"),
        "{}",
        j.stdout
    );
    let p = run("diff", &["v1.proto", "v2.proto"], dir.path());
    assert_diff_text(&p, "v1.proto", "v2.proto", "string qty = 2;");

    let v = json_of(&run(
        "diff",
        &["--format", "json", "v1.avsc", "v2.avsc"],
        dir.path(),
    ));
    assert_eq!(v["old"]["label"], "v1.avsc");
    assert!(v["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .any(|l| l["op"] == "changed" && l["new"] == "      \"type\": \"int\""));
    for level in ["BACKWARD", "FORWARD", "FULL"] {
        assert_eq!(v["verdicts"][level]["compatible"], false, "{level}: {v}");
        assert!(v["verdicts"][level]["incompatibilities"][0]["fix"].is_string());
    }

    let bad = run("diff", &["v1.avsc", "syntax.avsc"], dir.path());
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("syntax.avsc:2:13: invalid JSON"),
        "{}",
        bad.stderr
    );

    // From a registry: two versions of a subject.
    let server = Server::start();
    let (s, v) = server
        .put("/config/d", &json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(s, 200, "{v}");
    for text in [AVRO_V1, AVRO_V2] {
        let (s, v) = server
            .post("/subjects/d/versions", &json!({ "schema": text }))
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let r = run(
        "diff",
        &["--url", &server.url, "--subject", "d", "1", "latest"],
        dir.path(),
    );
    assert_diff_text(&r, "d version 1", "d version 2", "\"type\": \"int\"");
    let missing = run(
        "diff",
        &["--url", &server.url, "--subject", "d", "1", "9"],
        dir.path(),
    );
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("40402"), "{}", missing.stderr);
}

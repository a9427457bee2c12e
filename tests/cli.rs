//! `schema-registry check`, the CI checker: exit codes, output formats, and agreement with the
//! server (the offline verdict and messages equal what a registry holding the same versions
//! answers).

mod common;

use common::Server;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const V1: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"name","type":"string"}]}"#;
const V2: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"name","type":"string"},{"name":"age","type":"int","default":0}]}"#;
/// Changes a field's type and adds a field without a default.
const BAD: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"name","type":"int"},{"name":"email","type":"string"}]}"#;
/// Adds a field without a default: backward incompatible with every earlier version.
const NO_DEFAULT: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"name","type":"string"},{"name":"age","type":"int","default":0},{"name":"email","type":"string"}]}"#;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn check(args: &[&str], dir: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_schema-registry"))
        .arg("check")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run schema-registry check");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn files(dir: &Path, items: &[(&str, &str)]) -> Vec<PathBuf> {
    items
        .iter()
        .map(|(name, text)| {
            let p = dir.join(name);
            std::fs::write(&p, text).expect("write schema file");
            p
        })
        .collect()
}

fn json_out(run: &Run) -> Value {
    serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", run.stdout))
}

#[test]
fn offline_exit_codes_and_human_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    files(
        dir.path(),
        &[
            ("v1.avsc", V1),
            ("v2.avsc", V2),
            ("bad.avsc", BAD),
            ("nodefault.avsc", NO_DEFAULT),
            ("invalid.avsc", r#"{"type":"record","name":"X"}"#),
        ],
    );
    let ok = check(&["v2.avsc", "v1.avsc"], dir.path());
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert_eq!(ok.stdout.trim(), "compatible");

    let bad = check(&["nodefault.avsc", "v1.avsc", "v2.avsc"], dir.path());
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    assert!(bad.stdout.starts_with("incompatible"), "{}", bad.stdout);
    assert!(
        bad.stdout.contains("READER_FIELD_MISSING_DEFAULT_VALUE") && bad.stdout.contains("email"),
        "the message names the rule and the field: {}",
        bad.stdout
    );

    // NONE accepts anything that parses.
    let none = check(&["--level", "NONE", "bad.avsc", "v1.avsc"], dir.path());
    assert_eq!(none.code, 0, "{}{}", none.stdout, none.stderr);

    let invalid = check(&["invalid.avsc", "v1.avsc"], dir.path());
    assert_eq!(invalid.code, 2, "{}{}", invalid.stdout, invalid.stderr);
    assert!(
        invalid.stderr.contains("Record has no fields"),
        "{}",
        invalid.stderr
    );

    let missing = check(&["nope.avsc"], dir.path());
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("nope.avsc"), "{}", missing.stderr);

    let usage = check(&["--level", "SIDEWAYS", "v1.avsc"], dir.path());
    assert_eq!(usage.code, 2);
}

#[test]
fn transitive_levels_look_past_the_latest_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    // v2 drops the field v1 had without a default; the new one re-adds it with another type.
    let v1 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"#;
    let v2 = r#"{"type":"record","name":"R","fields":[]}"#;
    let v3 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":1}]}"#;
    files(
        dir.path(),
        &[("v1.avsc", v1), ("v2.avsc", v2), ("v3.avsc", v3)],
    );
    let plain = check(
        &["--level", "FORWARD", "v3.avsc", "v1.avsc", "v2.avsc"],
        dir.path(),
    );
    assert_eq!(plain.code, 0, "{}{}", plain.stdout, plain.stderr);
    let trans = check(
        &[
            "--level",
            "FORWARD_TRANSITIVE",
            "--format",
            "json",
            "v3.avsc",
            "v1.avsc",
            "v2.avsc",
        ],
        dir.path(),
    );
    assert_eq!(trans.code, 1, "{}{}", trans.stdout, trans.stderr);
    let v = json_out(&trans);
    assert_eq!(v["is_compatible"], false);
    let msgs: Vec<&str> = v["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(msgs.contains(&"{oldSchemaVersion: 1}"), "{msgs:?}");
    assert_eq!(
        msgs.last().copied(),
        Some("{validateFields: 'false', compatibility: 'FORWARD_TRANSITIVE'}")
    );
}

/// The offline checker and the server give the same verdicts and the same messages for the
/// same history, at every level.
#[tokio::test]
async fn offline_and_server_agree_at_every_level() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    files(
        dir.path(),
        &[
            ("v1.avsc", V1),
            ("v2.avsc", V2),
            ("bad.avsc", BAD),
            ("nodefault.avsc", NO_DEFAULT),
        ],
    );
    let (s, v) = server
        .put("/config/agree", &json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(s, 200, "{v}");
    for text in [V1, V2] {
        let (s, v) = server
            .post("/subjects/agree/versions", &json!({ "schema": text }))
            .await;
        assert_eq!(s, 200, "{v}");
    }
    for level in [
        "NONE",
        "BACKWARD",
        "BACKWARD_TRANSITIVE",
        "FORWARD",
        "FORWARD_TRANSITIVE",
        "FULL",
        "FULL_TRANSITIVE",
    ] {
        let (s, v) = server
            .put("/config/agree", &json!({ "compatibility": level }))
            .await;
        assert_eq!(s, 200, "{v}");
        for (file, text) in [("bad.avsc", BAD), ("nodefault.avsc", NO_DEFAULT)] {
            let (s, answer) = server
                .post(
                    "/compatibility/subjects/agree/versions?verbose=true",
                    &json!({ "schema": text }),
                )
                .await;
            assert_eq!(s, 200, "{answer}");
            let offline = check(
                &[
                    "--level", level, "--format", "json", file, "v1.avsc", "v2.avsc",
                ],
                dir.path(),
            );
            let off = json_out(&offline);
            let expected_code = if answer["is_compatible"] == true {
                0
            } else {
                1
            };
            assert_eq!(offline.code, expected_code, "{level} {file}: {answer}");
            assert_eq!(
                off["is_compatible"], answer["is_compatible"],
                "{level} {file}"
            );
            let server_msgs = answer.get("messages").cloned().unwrap_or(json!([]));
            assert_eq!(off["messages"], server_msgs, "{level} {file}");

            let remote = check(
                &[
                    "--url",
                    &server.url,
                    "--subject",
                    "agree",
                    "--format",
                    "json",
                    file,
                ],
                dir.path(),
            );
            assert_eq!(
                remote.code, expected_code,
                "{}{}",
                remote.stdout, remote.stderr
            );
            assert_eq!(json_out(&remote)["messages"], server_msgs, "{level} {file}");
        }
    }
}

#[tokio::test]
async fn remote_check_reports_registry_errors_with_exit_2() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    files(
        dir.path(),
        &[("v1.avsc", V1), ("invalid.avsc", "{\"type\":")],
    );
    let (s, v) = server
        .post("/subjects/present/versions", &json!({ "schema": V1 }))
        .await;
    assert_eq!(s, 200, "{v}");
    // A version that does not exist: the registry's 40402 becomes exit 2 with its message.
    let missing = check(
        &[
            "--url",
            &server.url,
            "--subject",
            "present",
            "--version",
            "7",
            "v1.avsc",
        ],
        dir.path(),
    );
    assert_eq!(missing.code, 2, "{}{}", missing.stdout, missing.stderr);
    assert!(missing.stderr.contains("40402"), "{}", missing.stderr);
    // An invalid schema: the registry's verbose answer carries Jackson's text; the checker
    // reports the error in its own words, with the file's line and column, and exits 2.
    let invalid = check(
        &["--url", &server.url, "--subject", "present", "invalid.avsc"],
        dir.path(),
    );
    assert_eq!(invalid.code, 2, "{}{}", invalid.stdout, invalid.stderr);
    assert!(
        invalid.stderr.contains("invalid.avsc:1:8: invalid JSON"),
        "{}",
        invalid.stderr
    );
    assert!(!invalid.stderr.contains("REDACTED"), "{}", invalid.stderr);
    // A subject without versions (a typo, say) is not "compatible": exit 2 unless a new
    // subject is allowed.
    let absent = check(
        &["--url", &server.url, "--subject", "presnet", "v1.avsc"],
        dir.path(),
    );
    assert_eq!(absent.code, 2, "{}{}", absent.stdout, absent.stderr);
    assert!(
        absent.stderr.contains("subject presnet has no versions"),
        "{}",
        absent.stderr
    );
    let allowed = check(
        &[
            "--url",
            &server.url,
            "--subject",
            "presnet",
            "--allow-new-subject",
            "v1.avsc",
        ],
        dir.path(),
    );
    assert_eq!(allowed.code, 0, "{}{}", allowed.stdout, allowed.stderr);
    // Nobody listening.
    let down = check(
        &[
            "--url",
            "http://127.0.0.1:9",
            "--subject",
            "present",
            "v1.avsc",
        ],
        dir.path(),
    );
    assert_eq!(down.code, 2, "{}{}", down.stdout, down.stderr);
}

const J1: &str =
    r#"{"type":"object","properties":{"name":{"type":"string"}},"additionalProperties":false}"#;
const J2: &str = r#"{"type":"object","properties":{"name":{"type":"string"},"home":{"$ref":"address.json"}},"additionalProperties":false}"#;
/// Changes a property's type: incompatible both ways.
const J_BAD: &str =
    r#"{"type":"object","properties":{"name":{"type":"integer"}},"additionalProperties":false}"#;
const ADDRESS: &str = r#"{"type":"object","properties":{"zip":{"type":"string"}}}"#;

/// JSON Schema files: the type from the `.json` extension or `--type JSON`, references by file
/// name or NAME=FILE, the same exit codes, and the same verdicts and messages as a registry
/// holding the same versions (offline and with --url).
#[tokio::test]
async fn json_schema_files_check_like_the_registry() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    files(
        dir.path(),
        &[
            ("v1.json", J1),
            ("bad.json", J_BAD),
            ("address.json", ADDRESS),
            ("bad.schema", J_BAD),
            ("v1.schema", J1),
            ("v2.json", J2),
            ("broken.json", r#"{"type":"nosuchtype"}"#),
            ("notjson.json", r#"{"type":"#),
        ],
    );
    // Offline: compatible, incompatible, by extension and by --type.
    let run = check(&["v1.json", "v1.json"], dir.path());
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = check(&["--format", "json", "bad.json", "v1.json"], dir.path());
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let off = json_out(&run);
    let by_type = check(
        &[
            "--type",
            "JSON",
            "--format",
            "json",
            "bad.schema",
            "v1.schema",
        ],
        dir.path(),
    );
    assert_eq!(by_type.code, 1, "{}{}", by_type.stdout, by_type.stderr);
    assert_eq!(json_out(&by_type)["messages"], off["messages"]);
    // Invalid schemas and unknown types: exit 2 with the reason.
    let run = check(&["broken.json", "v1.json"], dir.path());
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("invalid JSON Schema"), "{}", run.stderr);
    let run = check(&["notjson.json", "v1.json"], dir.path());
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let run = check(&["--type", "XML", "v1.json"], dir.path());
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    // A `$ref` needs its reference, by file name or by NAME=FILE.
    let run = check(&["v2.json", "v1.json"], dir.path());
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    for reference in ["address.json", "address.json=address.json"] {
        let run = check(
            &["--reference", reference, "v2.json", "v1.json"],
            dir.path(),
        );
        assert!(
            run.code == 0 || run.code == 1,
            "{reference}: {}{}",
            run.stdout,
            run.stderr
        );
    }
    // The registry agrees, offline and remote.
    let (s, v) = server
        .post(
            "/subjects/jagree/versions",
            &json!({"schema": J1, "schemaType": "JSON"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, answer) = server
        .post(
            "/compatibility/subjects/jagree/versions?verbose=true",
            &json!({"schema": J_BAD, "schemaType": "JSON"}),
        )
        .await;
    assert_eq!(s, 200, "{answer}");
    assert_eq!(answer["is_compatible"], false, "{answer}");
    assert_eq!(off["messages"], answer["messages"]);
    let remote = check(
        &[
            "--url",
            &server.url,
            "--subject",
            "jagree",
            "--format",
            "json",
            "bad.json",
        ],
        dir.path(),
    );
    assert_eq!(remote.code, 1, "{}{}", remote.stdout, remote.stderr);
    assert_eq!(json_out(&remote)["messages"], answer["messages"]);
}

const P1: &str = "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  string id = 1;\n}\n";
/// Changes a field's scalar kind: incompatible (Confluent's FIELD_SCALAR_KIND_CHANGED).
const P_BAD: &str = "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  int32 id = 1;\n}\n";
const P2: &str = "syntax = \"proto3\";\npackage acme;\n\nimport \"common/address.proto\";\n\nmessage Order {\n  string id = 1;\n  common.Address home = 2;\n}\n";
const P_ADDRESS: &str =
    "syntax = \"proto3\";\npackage common;\n\nmessage Address {\n  string zip = 1;\n}\n";

/// Protobuf files: the type from the `.proto` extension or `--type PROTOBUF`, imports as
/// NAME=FILE (the import path), the same exit codes, and the same verdicts and messages as a
/// registry holding the same versions (offline and with --url).
#[tokio::test]
async fn protobuf_files_check_like_the_registry() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    files(
        dir.path(),
        &[
            ("v1.proto", P1),
            ("bad.proto", P_BAD),
            ("bad.txt", P_BAD),
            ("v1.txt", P1),
            ("v2.proto", P2),
            ("address.proto", P_ADDRESS),
            ("broken.proto", "message {"),
        ],
    );
    let run = check(&["v1.proto", "v1.proto"], dir.path());
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = check(&["--format", "json", "bad.proto", "v1.proto"], dir.path());
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let off = json_out(&run);
    assert!(
        off["messages"]
            .to_string()
            .contains("FIELD_SCALAR_KIND_CHANGED"),
        "{off}"
    );
    let by_type = check(
        &[
            "--type", "PROTOBUF", "--format", "json", "bad.txt", "v1.txt",
        ],
        dir.path(),
    );
    assert_eq!(by_type.code, 1, "{}{}", by_type.stdout, by_type.stderr);
    assert_eq!(json_out(&by_type)["messages"], off["messages"]);
    let run = check(&["broken.proto", "v1.proto"], dir.path());
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    // An import needs its reference under the import path.
    let run = check(&["v2.proto", "v1.proto"], dir.path());
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let run = check(
        &[
            "--reference",
            "common/address.proto=address.proto",
            "v2.proto",
            "v1.proto",
        ],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // The registry agrees, offline and remote.
    let (s, v) = server
        .post(
            "/subjects/pagree/versions",
            &json!({"schema": P1, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, answer) = server
        .post(
            "/compatibility/subjects/pagree/versions?verbose=true",
            &json!({"schema": P_BAD, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(s, 200, "{answer}");
    assert_eq!(answer["is_compatible"], false, "{answer}");
    assert_eq!(off["messages"], answer["messages"]);
    let remote = check(
        &[
            "--url",
            &server.url,
            "--subject",
            "pagree",
            "--format",
            "json",
            "bad.proto",
        ],
        dir.path(),
    );
    assert_eq!(remote.code, 1, "{}{}", remote.stdout, remote.stderr);
    assert_eq!(json_out(&remote)["messages"], answer["messages"]);
}

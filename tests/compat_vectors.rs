//! Avro compatibility vectors (`tests/fixtures/avro-compat-vectors.json`,
//! format in `tests/fixtures/README.md`), replayed on one server: per vector
//! a fresh subject with level `NONE`, the history registered, the vector's
//! level set, then the candidate checked with
//! `POST /compatibility/subjects/{s}/versions?verbose=true` (200 with the
//! expected `is_compatible`) and registered (200 if compatible, else 409).
//!
//! Vector names listed in `tests/fixtures/known-gaps.txt` may mismatch; any
//! other mismatch fails the test. `COMPAT_ONLY=name1,name2` runs only some.
//!
//! Run: `cargo test --test compat_vectors -- --nocapture`.

mod common;

use std::fmt::Write as _;

use common::{truncate, KnownGaps, Server};
use serde_json::{json, Value};

/// Replays one vector; the mismatches found.
async fn check(server: &Server, vector: &Value, subject: &str) -> Vec<String> {
    let level = vector["level"].as_str().expect("vector without a level");
    let history = vector["history"]
        .as_array()
        .expect("vector without a history");
    let candidate = json!({ "schema": vector["candidate"].to_string() });
    let compatible = vector["compatible"]
        .as_bool()
        .expect("vector without `compatible`");
    let mut problems = Vec::new();
    let show =
        |status: u16, body: &Value| format!("{status} {}", truncate(&body.to_string(), 1500));

    let (status, body) = server
        .put(
            &format!("/config/{subject}"),
            &json!({"compatibility": "NONE"}),
        )
        .await;
    if status != 200 {
        problems.push(format!(
            "setup: PUT /config/{subject} NONE: {}",
            show(status, &body)
        ));
        return problems;
    }
    for (i, schema) in history.iter().enumerate() {
        let (status, body) = server
            .post(
                &format!("/subjects/{subject}/versions"),
                &json!({ "schema": schema.to_string() }),
            )
            .await;
        if status != 200 {
            problems.push(format!(
                "setup: registering history[{i}]: {}",
                show(status, &body)
            ));
            return problems;
        }
    }
    let (status, body) = server
        .put(
            &format!("/config/{subject}"),
            &json!({"compatibility": level}),
        )
        .await;
    if status != 200 {
        problems.push(format!(
            "setup: PUT /config/{subject} {level}: {}",
            show(status, &body)
        ));
        return problems;
    }

    let (status, body) = server
        .post(
            &format!("/compatibility/subjects/{subject}/versions?verbose=true"),
            &candidate,
        )
        .await;
    if status != 200 || body.get("is_compatible") != Some(&json!(compatible)) {
        problems.push(format!(
            "POST /compatibility/subjects/{subject}/versions?verbose=true: expected 200 \
             {{\"is_compatible\": {compatible}}}, got {}",
            show(status, &body)
        ));
    }

    let (status, body) = server
        .post(&format!("/subjects/{subject}/versions"), &candidate)
        .await;
    let want = if compatible { 200 } else { 409 };
    if status != want {
        problems.push(format!(
            "POST /subjects/{subject}/versions (candidate): expected {want}, got {}",
            show(status, &body)
        ));
    }
    problems
}

#[tokio::test]
async fn avro_compat_vectors() {
    let vectors = common::fixture_json("avro-compat-vectors.json");
    let vectors = vectors.as_array().expect("the vectors are a list");
    let gaps = KnownGaps::load();
    let only: Option<Vec<String>> = std::env::var("COMPAT_ONLY")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    let server = Server::start();

    let mut out = String::new();
    let (mut run, mut passed, mut known) = (0, 0, 0);
    let mut unexpected = Vec::new();
    let mut now_pass = Vec::new();
    for vector in vectors {
        let name = vector["name"].as_str().expect("vector without a name");
        if only.as_ref().is_some_and(|o| !o.iter().any(|n| n == name)) {
            continue;
        }
        run += 1;
        let subject = format!("compat-vectors.{name}");
        let problems = check(&server, vector, &subject).await;
        let gap = gaps.reason(name);
        if problems.is_empty() {
            passed += 1;
            if let Some(reason) = gap {
                now_pass.push(format!("{name}  ({reason})"));
            }
            continue;
        }
        match gap {
            Some(_) => known += 1,
            None => unexpected.push(name.to_string()),
        }
        if gap.is_none() || only.is_some() {
            let _ = writeln!(
                out,
                "--- {name} ({}, expected {}): {}",
                vector["level"].as_str().unwrap_or("?"),
                if vector["compatible"] == true {
                    "compatible"
                } else {
                    "incompatible"
                },
                vector["why"].as_str().unwrap_or("")
            );
            for p in &problems {
                let _ = writeln!(out, "    {p}");
            }
            if let Some(reason) = gap {
                let _ = writeln!(out, "    known gap: {reason}");
            }
        }
    }
    if !now_pass.is_empty() {
        let _ = writeln!(
            out,
            "\nknown gaps that now pass (remove them from known-gaps.txt):"
        );
        for k in &now_pass {
            let _ = writeln!(out, "    {k}");
        }
    }
    let _ = writeln!(
        out,
        "\nSUMMARY: {run} vectors run: {passed} passed, {known} known gaps, {} unexpected mismatches; \
         {} known gaps now pass",
        unexpected.len(),
        now_pass.len()
    );
    println!("{out}");
    assert!(
        unexpected.is_empty(),
        "{} vectors mismatch and are not in tests/fixtures/known-gaps.txt (details above): {}",
        unexpected.len(),
        unexpected.join(" ")
    );
}

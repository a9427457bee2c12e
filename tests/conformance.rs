//! Replays the request/response scenarios recorded from Confluent Schema
//! Registry 7.9.0 (`tests/fixtures/confluent-7.9/http`, format in
//! `tests/fixtures/confluent-7.9/README.md`) against our server, one fresh
//! server per scenario.
//!
//! Avro, JSON Schema and Protobuf are implemented: every scenario and step runs.
//!
//! Steps listed in `tests/fixtures/known-gaps.txt` (`scenario#step reason`,
//! steps numbered from 0 like allowed.json) may mismatch; any other mismatch
//! fails the test. Listed steps that now pass are printed so the list can be
//! pruned.
//!
//! Environment:
//! - `CONFORMANCE_ONLY=name1,name2`: run only these scenarios (and print the
//!   diffs of their known gaps too).
//! - `CONFORMANCE_SHOW_GAPS=1`: print the diffs of known gaps.
//! - `CONFORMANCE_ALL_TYPES=1`: do not skip formats not implemented (none today).
//! - `CONFORMANCE_JOBS=N`: scenarios run in parallel (default 2).
//!
//! Run: `cargo test --test conformance -- --nocapture`.

mod common;
#[path = "common/scenarios.rs"]
mod scenarios;
#[path = "common/shape8x.rs"]
mod shape8x;

use std::io::{Read, Write};

use common::Server;
use scenarios::*;
use serde_json::json;

#[test]
fn confluent_scenarios() {
    run_confluent_scenarios(None);
}

/// The same scenarios on the Kafka store (a real broker, a fresh topic per scenario).
#[test]
fn confluent_scenarios_on_kafka() {
    let Some(broker) = common::kafka::broker_or_skip("confluent_scenarios_on_kafka") else {
        return;
    };
    run_confluent_scenarios(Some(&broker.address()));
}

// ---------------------------------------------------------------------------
// The harness itself

/// The request helpers put the path on the request line byte for byte (no
/// re-encoding, no dot-segment resolution) and send Content-Type and body
/// exactly as asked.
#[tokio::test]
async fn request_targets_are_sent_verbatim() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local listener");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    let cases: Vec<(&str, Option<&str>, Option<&str>)> = vec![
        (
            "/subjects/%3A.ctx%3Aname/versions?subject=%3A.c%3Ax&deleted=true",
            None,
            None,
        ),
        ("/subjects/:.ctx:raw/versions", None, None),
        ("/subjects/a%2Fb/versions/%20", None, None),
        ("/subjects/x//versions/+1", None, None),
        ("/subjects/x/versions/1/", None, None),
        ("/subjects/%25percent%2A%2e%2E%5C%22%7B", None, None),
        ("/subjects/../config", None, None),
        ("/subjects/./x/%2e%2e/y/%2E%2E", None, None),
        ("/a\\b", None, None),
        ("/subjects?subjectPrefix=%3A%2A%3A", None, None),
        ("/schemas/ids/{$id1}", None, None),
        (
            "/subjects/caf%C3%A9/versions",
            Some("{\"schema\":\"\\\"string\\\"\"}"),
            Some(CONTENT_TYPE),
        ),
        ("/config", Some(""), Some(CONTENT_TYPE)),
        ("/config", Some("{}"), None),
    ];
    let expected: Vec<(String, Option<String>, Option<String>)> = cases
        .iter()
        .map(|(p, b, ct)| (p.to_string(), b.map(str::to_string), ct.map(str::to_string)))
        .collect();
    let echo = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..expected.len() {
            let (mut stream, _) = listener.accept().expect("accept");
            seen.push(read_request(&mut stream));
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\n{\"a\":1}\n",
            );
        }
        (seen, expected)
    });
    // Which of these reqwest can send itself; the rest goes over plain TCP.
    let by_reqwest: Vec<bool> = cases
        .iter()
        .map(|(p, _, _)| common::url_is_verbatim(&format!("{base}{p}")))
        .collect();
    assert_eq!(
        by_reqwest,
        [true, true, true, true, true, true, false, false, false, true, false, true, true, true]
    );
    let client = common::client();
    for (path, body, ct) in &cases {
        let method = if body.is_some() { "PUT" } else { "GET" };
        let (status, value) = common::request(&client, &base, method, path, *body, *ct).await;
        assert_eq!((status, value), (200, json!({"a": 1})), "{path}");
    }
    let (seen, expected) = echo.join().expect("echo thread");
    for ((target, body, ct), (want_target, want_body, want_ct)) in seen.iter().zip(&expected) {
        assert_eq!(target, want_target, "request target");
        assert_eq!(ct, want_ct, "content type of {want_target}");
        // An empty body is sent with `Content-Length: 0`, no body without.
        assert_eq!(body, want_body, "body of {want_target}");
    }
}

/// Reads one request: (target, body or `None` without Content-Length,
/// content type).
fn read_request(stream: &mut std::net::TcpStream) -> (String, Option<String>, Option<String>) {
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("set a read timeout");
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut buf).expect("read the request");
        assert!(n > 0, "connection closed before the end of the headers");
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let target = request_line.split(' ').nth(1).unwrap_or("").to_string();
    let mut length = None;
    let mut ct = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.trim().parse::<usize>().expect("content-length"));
            } else if name.eq_ignore_ascii_case("content-type") {
                ct = Some(value.trim().to_string());
            }
        }
    }
    let mut body = data[head_end + 4..].to_vec();
    let Some(length) = length else {
        return (target, None, ct);
    };
    while body.len() < length {
        let n = stream.read(&mut buf).expect("read the body");
        assert!(n > 0, "connection closed in the body");
        body.extend_from_slice(&buf[..n]);
    }
    (
        target,
        Some(String::from_utf8_lossy(&body).into_owned()),
        ct,
    )
}

/// The labelling reproduces golden.json's conventions.
#[test]
fn labels_and_contexts() {
    assert_eq!(context_of(":.ctx:name"), ".ctx");
    assert_eq!(context_of(":.ctx"), ".ctx");
    assert_eq!(context_of(":.:x"), ".");
    assert_eq!(context_of("plain"), ".");
    assert_eq!(step_context("/subjects/%3A.c%3Ax/versions"), ".c");
    assert_eq!(step_context("/subjects/:.c:x"), ".c");
    assert_eq!(step_context("/contexts/.c/schemas/ids/1"), ".c");
    assert_eq!(step_context("/contexts/c/subjects"), ".c");
    assert_eq!(step_context("/schemas/ids/1?subject=%3A.q%3Aa"), ".q");
    assert_eq!(step_context("/schemas/ids/1"), ".");
    assert_eq!(step_context("/subjects"), ".");

    let mut ids = Ids::new();
    let body = json!({"id": 7, "subject": ":.c:x", "version": 1});
    assert_eq!(
        ids.symbolize(body, ".", false),
        json!({"id": "$id1", "subject": ":.c:x", "version": 1})
    );
    let body = json!([{"id": 7, "subject": "x"}, {"id": 7, "subject": ":.c:y"}]);
    assert_eq!(
        ids.symbolize(body, ".", false),
        json!([{"id": "$id2", "subject": "x"}, {"id": "$id1", "subject": ":.c:y"}])
    );
    let body =
        json!({"error_code": 40403, "message": "Schema 9 not found; with id 7, input id -1"});
    assert_eq!(
        ids.symbolize(body, ".", false)["message"],
        "Schema $id3 not found; with id $id2, input id $id4"
    );
    assert_eq!(
        ids.symbolize(json!([7, 8]), ".c", true),
        json!(["$id1", "$id5"])
    );
    assert_eq!(
        ids.subst_path("/schemas/ids/{$id1}?x={$id2}&y={$id99}"),
        "/schemas/ids/7?x=7&y={$id99}"
    );
    assert_eq!(
        ids.subst_body(&json!({"a": "{$id3}", "b": ["x{$id3}", "{$id5}"]})),
        json!({"a": 9, "b": ["x{$id3}", 8]})
    );
    ids.reserve(&json!({"id": "$id7", "message": "with id $id6"}));
    assert_eq!(
        ids.phantom_ref(&json!({"p": "/schemas/ids/{$id7}"})),
        Some(7)
    );
    assert_eq!(
        ids.phantom_ref(&json!({"p": "/x", "b": {"id": "{$id6}"}})),
        Some(6)
    );
    assert_eq!(ids.phantom_ref(&json!({"p": "/schemas/ids/{$id1}"})), None);
    assert_eq!(
        ids.symbolize(json!({"id": 100}), ".", false),
        json!({"id": "$id8"})
    );

    let keep = [json!("a."), json!("=b")];
    assert_eq!(
        keep_filter(
            json!(["a.1", "b", "bb", {"subject": "a.2"}, {"x": 1}]),
            &keep
        ),
        json!(["a.1", "b", {"subject": "a.2"}])
    );
    assert_eq!(
        string_diff("abc version=null xyz", "abc version=-1 xyz"),
        r#"strings differ at byte 12: expected "abc version=null xyz", got "abc version=-1 xyz""#
    );
    assert_eq!(
        string_diff("ab", "abc"),
        r#"strings differ at byte 2: expected "ab", got "abc""#
    );
    let long = format!("{}X{}", "a".repeat(100), "b".repeat(100));
    let long2 = format!("{}Y{}", "a".repeat(100), "b".repeat(100));
    assert!(string_diff(&long, &long2).starts_with("strings differ at byte 100: expected …\"aaa"));
    assert_eq!(
        global_rule(400, &json!({"error_code": 400, "message": "x"})),
        Some(Relax::Code)
    );
    assert_eq!(
        global_rule(500, &json!({"error_code": 500})),
        Some(Relax::Skip)
    );
    assert_eq!(
        global_rule(
            422,
            &json!({"error_code": 42201, "message": "bad, details: com.fasterxml.jackson.X"})
        ),
        Some(Relax::Code)
    );
    assert_eq!(
        global_rule(422, &json!({"error_code": 42201, "message": "bad"})),
        None
    );
}

/// `Server::kill9` stops the process, and `Server::start_in` brings a new
/// one up on the same data directory.
#[tokio::test]
async fn server_restarts_on_its_data_directory() {
    let mut first = Server::start();
    let (status, _) = first.get("/subjects").await;
    assert_eq!(status, 200, "GET /subjects on the first server");
    first.kill9();
    assert!(first.exit_status().is_some(), "the first server still runs");
    let second = Server::start_in(&first.dir);
    assert_ne!(second.url, "", "the second server has an address");
    let (status, _) = second.get("/subjects").await;
    assert_eq!(status, 200, "GET /subjects after the restart");
}

//! Operability with the real binary: the properties file and its precedence under
//! environment variables and flags, invalid values failing the start by key, secrets kept
//! out of the log, JSON logs, and a SIGTERM during a write load losing no acknowledged write.

mod common;

use common::Server;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn write_props(dir: &Path, text: &str) -> String {
    let p = dir.join("registry.properties");
    std::fs::write(&p, text).expect("write properties");
    p.display().to_string()
}

const PROPS: &str = "\
# Confluent's names
listeners=http://127.0.0.1:0
schema.compatibility.level=full
schema.registry.group.id=sr-ops-test
mode.mutability=false
kafkastore.sasl.password=hunter2-secret
kafkastore.security.protocol=SASL_SSL
frobnicate=1
";

#[tokio::test]
async fn the_properties_file_is_applied_under_env_and_flags() {
    let dir = tempfile::tempdir().expect("tmp");
    let props = write_props(dir.path(), PROPS);

    // The file alone.
    let s = Server::builder()
        .dir(dir.path())
        .args(["--config", &props])
        .start();
    assert_eq!(
        s.get("/config").await,
        (200, json!({"compatibilityLevel":"FULL"}))
    );
    let (_, id) = s.get("/v1/metadata/id").await;
    assert_eq!(
        id["scope"]["clusters"]["schema-registry-cluster"], "sr-ops-test",
        "{id}"
    );
    let (st, v) = s.put("/mode", &json!({"mode":"READONLY"})).await;
    assert_eq!((st, v["error_code"].clone()), (422, json!(42205)), "{v}");
    let log = s.log();
    assert!(log.contains("unknown key frobnicate"), "{log}");
    assert!(log.contains("effective configuration"), "{log}");
    assert!(
        log.contains("SASL_SSL"),
        "the effective configuration is printed: {log}"
    );
    assert!(!log.contains("hunter2"), "a secret was printed: {log}");
    drop(s);

    // The environment beats the file; SR_CONFIG names the file.
    let s = Server::builder()
        .dir(dir.path())
        .env("SR_CONFIG", &props)
        .env("SR_COMPATIBILITY_LEVEL", "NONE")
        .start();
    assert_eq!(
        s.get("/config").await,
        (200, json!({"compatibilityLevel":"NONE"}))
    );
    drop(s);

    // A flag beats both.
    let s = Server::builder()
        .dir(dir.path())
        .args(["--config", &props])
        .args(["--compatibility-level", "BACKWARD_TRANSITIVE"])
        .args(["--mode-mutability", "true"])
        .env("SR_COMPATIBILITY_LEVEL", "NONE")
        .start();
    assert_eq!(
        s.get("/config").await,
        (200, json!({"compatibilityLevel":"BACKWARD_TRANSITIVE"}))
    );
    assert_eq!(s.put("/mode", &json!({"mode":"READONLY"})).await.0, 200);
}

/// Runs the binary to its end (bounded) and returns (exit code, stderr).
fn run_to_end(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_schema-registry"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            return (status.code(), err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the binary did not exit with an invalid configuration");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn invalid_values_fail_the_start_naming_the_key() {
    let dir = tempfile::tempdir().expect("tmp");
    for (line, key) in [
        (
            "schema.compatibility.level=sometimes",
            "schema.compatibility.level",
        ),
        ("listeners=0.0.0.0:8081", "listeners"),
        ("kafkastore.timeout.ms=soon", "kafkastore.timeout.ms"),
        ("leader.eligibility=maybe", "leader.eligibility"),
        (
            "kafkastore.ssl.truststore.location=/etc/t.jks",
            "kafkastore.ssl.truststore.location",
        ),
    ] {
        let props = write_props(dir.path(), &format!("{line}\n"));
        let db = format!("sqlite://{}", dir.path().join("r.db").display());
        let (code, err) = run_to_end(&[
            "--config",
            &props,
            "--listen",
            "127.0.0.1:0",
            "--store",
            &db,
        ]);
        assert_ne!(code, Some(0), "{line}: {err}");
        assert!(err.contains(key), "{line}: the message names no key: {err}");
    }
    let (code, err) = run_to_end(&["--config", "/nonexistent/registry.properties"]);
    assert_ne!(code, Some(0));
    assert!(err.contains("/nonexistent/registry.properties"), "{err}");
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = Server::builder()
        .dir(dir.path())
        .args(["--log-format", "json", "--log", "debug"])
        .args(["--kafka-property", "sasl.password=hunter2"])
        .args(["--kafka-property", "client.id=me"])
        .start();
    assert_eq!(s.get("/subjects").await.0, 200);
    assert_eq!(s.get("/subjects/nope/versions").await.0, 404);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = s.log();
        let lines: Vec<Value> = log
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        // One line per request at debug, with its status.
        let request_lines = lines
            .iter()
            .filter(|v| v.to_string().contains("/subjects/nope/versions"))
            .count();
        let config = lines
            .iter()
            .find(|v| v["message"] == "effective configuration");
        if let (true, Some(config)) = (request_lines >= 1, config) {
            // The configuration is an object (not tracing's string of one), secrets
            // redacted; the `listening on` line on stdout is a JSON line too.
            let c = &config["config"];
            assert!(c.is_object(), "{config}");
            assert_eq!(c["log_format"], "json", "{config}");
            assert_eq!(c["compatibility_level"], "BACKWARD", "{config}");
            assert_eq!(
                c["kafka_properties"]["sasl.password"], "[redacted]",
                "{config}"
            );
            assert_eq!(c["kafka_properties"]["client.id"], "me", "{config}");
            assert!(c["idle_timeout_ms"].is_u64(), "{config}");
            assert!(!log.contains("hunter2"), "a secret in the log: {log}");
            let listening = lines
                .iter()
                .find(|v| {
                    v["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("listening on "))
                })
                .unwrap_or_else(|| panic!("no JSON listening line: {log}"));
            assert_eq!(listening["url"], s.url.as_str(), "{listening}");
            assert!(
                !log.lines().any(|l| l.starts_with("listening on ")),
                "a plain listening line in the JSON log: {log}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "no JSON request line: {log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Request IDs: a usable `X-Request-ID` from the client comes back unchanged, otherwise the
/// registry makes one (different per request); the request's debug line under
/// `schema_registry` names it, with the latency as a number of milliseconds.
#[tokio::test]
async fn requests_carry_an_id_into_the_answer_and_the_log() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = Server::builder()
        .dir(dir.path())
        .args(["--log-format", "json", "--log", "schema_registry=debug"])
        .start();
    let client = common::client();
    let given = client
        .get(format!("{}/subjects", s.url))
        .header("X-Request-ID", "trace-me-42")
        .send()
        .await
        .expect("request");
    assert_eq!(
        given
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("trace-me-42")
    );
    let mut made = Vec::new();
    for bad in [None, Some("has spaces")] {
        let mut r = client.get(format!("{}/subjects", s.url));
        if let Some(b) = bad {
            r = r.header("X-Request-ID", b);
        }
        let r = r.send().await.expect("request");
        let id = r
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .expect("an X-Request-ID on every answer");
        assert!(!id.is_empty() && Some(id.as_str()) != bad, "{id}");
        made.push(id);
    }
    assert_ne!(made[0], made[1]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = s.log();
        let line = log
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v.to_string().contains("trace-me-42"));
        if let Some(v) = line {
            // The JSON format flattens the fields into the object.
            let fields = &v;
            assert_eq!(fields["request_id"], "trace-me-42", "{v}");
            assert_eq!(fields["status"], 200, "{v}");
            assert!(fields["latency_ms"].is_f64(), "{v}");
            assert_eq!(fields["method"], "GET", "{v}");
            break;
        }
        assert!(Instant::now() < deadline, "no request line: {log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_during_a_write_load_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = Server::start_in(dir.path());
    let acked: Arc<Mutex<Vec<(String, i64)>>> = Arc::default();
    let server_errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut tasks = Vec::new();
    for w in 0..8 {
        let url = s.url.clone();
        let acked = acked.clone();
        let errors = server_errors.clone();
        tasks.push(tokio::spawn(async move {
            let client = common::client();
            for n in 0..100_000 {
                let subject = format!("w{w}-s{n}");
                let schema =
                    json!({"type":"record","name":format!("R{w}x{n}"),"fields":[]}).to_string();
                let r = client
                    .post(format!("{url}/subjects/{subject}/versions"))
                    .header("content-type", "application/vnd.schemaregistry.v1+json")
                    .body(json!({"schema": schema, "schemaType": "AVRO"}).to_string())
                    .send()
                    .await;
                let Ok(r) = r else { break };
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                if status == 200 {
                    if let Some(id) = body["id"].as_i64() {
                        acked.lock().expect("lock").push((subject, id));
                    }
                } else if status >= 500 {
                    errors
                        .lock()
                        .expect("lock")
                        .push(format!("{status} {body}"));
                }
            }
        }));
    }
    // Let the load run, then stop the server with SIGTERM while it is under way.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().expect("lock").len() < 300 {
        assert!(
            Instant::now() < deadline,
            "the load did not start: {}",
            s.log()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = Command::new("kill")
        .args(["-TERM", &s.pid().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    for t in tasks {
        t.await.expect("writer task");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(st) = s.exit_status() {
            break st;
        }
        assert!(
            Instant::now() < deadline,
            "no exit after SIGTERM: {}",
            s.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(exit.success(), "exit {exit:?}: {}", s.log());
    assert!(
        server_errors.lock().expect("lock").is_empty(),
        "5xx during shutdown: {:?}",
        server_errors.lock().expect("lock")
    );
    let acked = acked.lock().expect("lock").clone();
    let s2 = Server::start_in(dir.path());
    for (subject, id) in &acked {
        let (st, v) = s2.get(&format!("/schemas/ids/{id}/versions")).await;
        assert_eq!(st, 200, "acknowledged id {id} lost: {v}");
        assert!(
            v.as_array()
                .is_some_and(|a| a.iter().any(|sv| sv["subject"] == json!(subject))),
            "acknowledged {subject} id {id} missing: {v}"
        );
    }
    eprintln!(
        "{} acknowledged writes, all present after SIGTERM",
        acked.len()
    );
}

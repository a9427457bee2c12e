//! Durability and concurrency against the real server process: `kill -9` during a
//! registration load loses no acknowledged write; 32 concurrent clients get no duplicate
//! IDs, no version gaps, and identical IDs for identical schemas.

mod common;

use common::Server;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn record_schema(name: &str, field: &str) -> String {
    json!({"type": "record", "name": name, "fields": [{"name": field, "type": "string"}]})
        .to_string()
}

/// Waits (bounded) until `cond` holds, polling; panics with `what` on timeout.
async fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill9_during_registration_load_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start_in(dir.path());
    let (s, _) = server
        .put("/config", &json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(s, 200);

    let acked: Arc<Mutex<Vec<(String, String, i64)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    // 16 clients, as issue 17's durable-registration load: most of them on subjects of
    // their own, so that their registrations are in flight together and share commits
    // (`registry/pipeline.rs`, the embedded store's group commit); four share subjects.
    for w in 0..16 {
        let url = server.url.clone();
        let client = server.client.clone();
        let acked = acked.clone();
        let stop = stop.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let subject = if w < 4 {
                    format!("load-{}", i % 5)
                } else {
                    format!("own-{w}-{}", i % 3)
                };
                let schema = record_schema(&format!("W{w}N{i}"), "f");
                let body = json!({ "schema": schema }).to_string();
                let sent = common::send(
                    &client,
                    &url,
                    "POST",
                    &format!("/subjects/{subject}/versions"),
                    Some(&body),
                    Some(common::SR_CONTENT_TYPE),
                )
                .await;
                match sent {
                    Ok((200, text)) => {
                        let v: Value = serde_json::from_str(&text).expect("json answer");
                        let id = v["id"].as_i64().expect("id in a 200 answer");
                        acked.lock().expect("lock").push((subject, schema, id));
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    // Only the crash may interrupt a request; never a 4xx.
                    Ok((status, text)) => assert!(status >= 500, "unexpected {status}: {text}"),
                    Err(_) => {}
                }
                i += 1;
            }
        }));
    }
    let c = counter.clone();
    wait_until(
        "200 acknowledged registrations",
        Duration::from_secs(120),
        || c.load(Ordering::Relaxed) >= 200,
    )
    .await;
    // Commits carried several registrations each before the crash (group commit).
    let batched = async {
        let sent = common::send(&server.client, &server.url, "GET", "/metrics", None, None).await;
        let text = sent.map(|(_, t)| t).unwrap_or_default();
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (
            value("schema_registry_store_append_batch_size_sum "),
            value("schema_registry_store_append_batch_size_count "),
        )
    };
    let (appends, commits) = batched.await;
    assert!(
        appends > commits,
        "no commit carried more than one registration: {appends} appends in {commits} commits"
    );
    // Crash while requests are in flight.
    server.kill9();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("worker");
    }
    drop(server);

    let server = Server::start_in(dir.path());
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() >= 200);
    for (subject, schema, id) in &acked {
        let (s, v) = server.get(&format!("/schemas/ids/{id}")).await;
        assert_eq!(s, 200, "acknowledged id {id} lost after kill -9: {v}");
        assert_eq!(v["schema"].as_str(), Some(schema.as_str()), "id {id}");
        let (s, v) = server
            .post(
                &format!("/subjects/{subject}"),
                &json!({ "schema": schema }),
            )
            .await;
        assert_eq!(s, 200, "acknowledged registration lost in {subject}: {v}");
        assert_eq!(v["id"].as_i64(), Some(*id));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clients_get_consistent_ids_and_versions() {
    let server = Server::start();
    let (s, _) = server
        .put("/config", &json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(s, 200);
    let subjects = ["shared-a", "shared-b", "shared-c", "shared-d"];
    // Schemas every client registers (identical across clients) and schemas only one does.
    let common_schemas: Vec<String> = (0..6)
        .map(|i| record_schema(&format!("Common{i}"), "c"))
        .collect();

    let results: Arc<Mutex<Vec<(String, String, i64)>>> = Arc::default();
    let mut tasks = Vec::new();
    for client_no in 0..32 {
        let url = server.url.clone();
        let client = server.client.clone();
        let results = results.clone();
        let common_schemas = common_schemas.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..6 {
                let subject = subjects[(client_no + round) % subjects.len()];
                let schemas = [
                    common_schemas[(client_no + round) % common_schemas.len()].clone(),
                    record_schema(&format!("Own{client_no}R{round}"), "o"),
                ];
                for schema in schemas {
                    let body = json!({ "schema": schema }).to_string();
                    let (status, v) = common::request(
                        &client,
                        &url,
                        "POST",
                        &format!("/subjects/{subject}/versions"),
                        Some(&body),
                        Some(common::SR_CONTENT_TYPE),
                    )
                    .await;
                    assert_eq!(status, 200, "register failed: {v}");
                    let id = v["id"].as_i64().expect("id");
                    results
                        .lock()
                        .expect("lock")
                        .push((subject.to_string(), schema, id));
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("client");
    }
    let results = results.lock().expect("lock").clone();

    // One schema text per ID and one ID per schema text, across all subjects.
    let mut by_id: HashMap<i64, String> = HashMap::new();
    let mut by_schema: HashMap<String, i64> = HashMap::new();
    for (_, schema, id) in &results {
        if let Some(prev) = by_id.insert(*id, schema.clone()) {
            assert_eq!(&prev, schema, "id {id} handed out for two schemas");
        }
        if let Some(prev) = by_schema.insert(schema.clone(), *id) {
            assert_eq!(prev, *id, "identical schema got two ids");
        }
    }
    // Versions are 1..=n without gaps; each schema is registered once per subject.
    for subject in subjects {
        let (s, versions) = server.get(&format!("/subjects/{subject}/versions")).await;
        assert_eq!(s, 200);
        let versions: Vec<i64> = versions
            .as_array()
            .expect("array")
            .iter()
            .filter_map(Value::as_i64)
            .collect();
        let expected: Vec<i64> = (1..=versions.len() as i64).collect();
        assert_eq!(versions, expected, "version gap in {subject}");
        let mut seen = HashSet::new();
        let mut per_version: BTreeMap<i64, i64> = BTreeMap::new();
        for v in &versions {
            let (s, body) = server
                .get(&format!("/subjects/{subject}/versions/{v}"))
                .await;
            assert_eq!(s, 200);
            let schema = body["schema"].as_str().expect("schema").to_string();
            assert!(
                seen.insert(schema.clone()),
                "{schema} registered twice in {subject}"
            );
            per_version.insert(*v, body["id"].as_i64().expect("id"));
            assert_eq!(by_schema.get(&schema).copied(), body["id"].as_i64());
        }
        let registered: HashSet<&String> = results
            .iter()
            .filter(|(s, _, _)| s == subject)
            .map(|(_, schema, _)| schema)
            .collect();
        assert_eq!(
            registered.len(),
            versions.len(),
            "{subject}: versions vs distinct schemas"
        );
    }
}

/// Clients that give up mid-request (their connection closes while their registration is
/// in flight) make no other client's registration fail: a commit runs in a task of its own,
/// so the caller that started it going away does not drop the writes it carries
/// (`src/store/sqlite.rs`, `SqliteStore::commit_detached`). Every acknowledged ID reads back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_going_away_mid_write_fail_no_other_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_in(dir.path());
    let (s, _) = server
        .put("/config", &json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(s, 200);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_micros(300))
        .build()
        .expect("client");
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let acked: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let mut tasks = Vec::new();
    for w in 0..16 {
        let url = server.url.clone();
        let client = if w < 6 {
            impatient.clone()
        } else {
            server.client.clone()
        };
        let (failures, acked) = (failures.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..150 {
                let schema = record_schema(&format!("G{w}N{i}"), "f");
                let body = json!({ "schema": schema }).to_string();
                let path = format!("/subjects/away-{w}-{}/versions", i % 4);
                let sent = common::send(
                    &client,
                    &url,
                    "POST",
                    &path,
                    Some(&body),
                    Some(common::SR_CONTENT_TYPE),
                )
                .await;
                match (w < 6, sent) {
                    (_, Ok((200, text))) => {
                        let v: Value = serde_json::from_str(&text).expect("json");
                        let id = v["id"].as_i64().expect("id");
                        acked.lock().expect("lock").push((id, schema));
                    }
                    // The impatient ones may time out; nothing else may fail.
                    (true, Err(_)) => {}
                    (_, other) => failures
                        .lock()
                        .expect("lock")
                        .push(format!("{path}: {other:?}")),
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("worker");
    }
    let failures = failures.lock().expect("lock").clone();
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() >= 10 * 150, "{} acknowledged", acked.len());
    for (id, schema) in &acked {
        let (s, v) = server.get(&format!("/schemas/ids/{id}")).await;
        assert_eq!(s, 200, "acknowledged id {id}: {v}");
        assert_eq!(v["schema"].as_str(), Some(schema.as_str()), "id {id}");
    }
}

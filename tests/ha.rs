//! Three registry nodes on one topic of a real broker: concurrent registrations sent to all
//! three, `kill -9` of the leader in the middle, then a leader paused with SIGSTOP that wakes
//! up after another node took over. Afterwards every acknowledged registration is on every
//! live node, no ID maps to two schemas, no subject has gaps in its versions, and the nodes'
//! views are identical. Prints how long writes were unavailable after the leader was killed.

mod common;

use common::kafka::broker_or_skip;
use common::Server;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill {sig} {pid}");
}

/// subject -> version -> (id, schema), as a node serves it.
async fn dump(node: &Server) -> BTreeMap<String, BTreeMap<i64, (i64, String)>> {
    let (_, subjects) = node.get("/subjects").await;
    let mut out = BTreeMap::new();
    for s in subjects.as_array().cloned().unwrap_or_default() {
        let s = s.as_str().unwrap_or_default().to_string();
        let (_, versions) = node.get(&format!("/subjects/{s}/versions")).await;
        let mut vs = BTreeMap::new();
        for v in versions.as_array().cloned().unwrap_or_default() {
            let v = v.as_i64().unwrap_or_default();
            let (_, body) = node.get(&format!("/subjects/{s}/versions/{v}")).await;
            vs.insert(
                v,
                (
                    body["id"].as_i64().unwrap_or(-1),
                    body["schema"].as_str().unwrap_or_default().to_string(),
                ),
            );
        }
        out.insert(s, vs);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_survive_a_killed_and_a_paused_leader() {
    let Some(broker) = broker_or_skip("three_nodes_survive_a_killed_and_a_paused_leader") else {
        return;
    };
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("dir")).collect();
    let nodes: Vec<Arc<Server>> = dirs
        .iter()
        .map(|d| {
            Arc::new(
                Server::builder()
                    .kafka(&broker.address())
                    .topic("_schemas")
                    .dir(d.path())
                    .start(),
            )
        })
        .collect();
    let all: Vec<&Server> = nodes.iter().map(|n| &**n).collect();
    let first_leader = common::agreed_leader(&all, Duration::from_secs(30)).await;

    // Writers: each registration goes to the next node in turn.
    let acked: Arc<Mutex<Vec<(String, i64, Instant)>>> = Arc::default();
    let alive: Arc<Mutex<Vec<bool>>> = Arc::new(Mutex::new(vec![true; 3]));
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..6 {
        let (nodes, acked, alive, stop, counter) = (
            nodes.clone(),
            acked.clone(),
            alive.clone(),
            stop.clone(),
            counter.clone(),
        );
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let k = counter.fetch_add(1, Ordering::Relaxed);
                let target = k % 3;
                if !alive.lock().expect("lock")[target] {
                    continue;
                }
                let subject = format!("ha-{}", k % 40);
                let schema = json!({"type":"record","name":"R","fields":[{"name":format!("f{k}"),"type":"string","default":""}]}).to_string();
                // A node may be dead or paused: transport errors are failed writes.
                let answer = nodes[target]
                    .client
                    .post(format!("{}/subjects/{subject}/versions", nodes[target].url))
                    .header("content-type", common::SR_CONTENT_TYPE)
                    .body(json!({ "schema": schema }).to_string())
                    .send()
                    .await;
                let Ok(answer) = answer else {
                    continue;
                };
                let s = answer.status().as_u16();
                let v: Value = answer.json().await.unwrap_or(Value::Null);
                if s == 200 {
                    if let Some(id) = v["id"].as_i64() {
                        acked.lock().expect("lock").push((subject, id, Instant::now()));
                    }
                } else {
                    assert!(
                        s == 500 || s == 409,
                        "unexpected answer from node {target}: {s} {v}"
                    );
                }
            }
        }));
    }
    let acked_count = || acked.lock().expect("lock").len();
    let wait_acks = |n: usize, what: &'static str| {
        let acked = acked.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            while acked.lock().expect("lock").len() < n {
                assert!(Instant::now() < deadline, "timed out waiting for {what}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_acks(30, "writes before the kill").await;

    // kill -9 the leader.
    let li = nodes
        .iter()
        .position(|n| n.url == first_leader)
        .expect("the leader is one of the nodes");
    alive.lock().expect("lock")[li] = false;
    let killed_at = Instant::now();
    signal(nodes[li].pid(), "-KILL");
    let before = acked_count();
    wait_acks(before + 30, "writes after the leader was killed").await;
    let first_after_kill = acked
        .lock()
        .expect("lock")
        .iter()
        .map(|a| a.2)
        .filter(|t| *t > killed_at)
        .min()
        .expect("a write after the kill");
    let unavailable = first_after_kill.duration_since(killed_at);

    // Pause the new leader; another node takes over; wake it up.
    let survivors: Vec<&Server> = (0..3).filter(|i| *i != li).map(|i| &*nodes[i]).collect();
    let second_leader = common::agreed_leader(&survivors, Duration::from_secs(30)).await;
    let pi = nodes
        .iter()
        .position(|n| n.url == second_leader)
        .expect("leader");
    alive.lock().expect("lock")[pi] = false;
    signal(nodes[pi].pid(), "-STOP");
    let third = (0..3).find(|i| *i != li && *i != pi).expect("third node");
    nodes[third].wait_until_leader().await;
    let before = acked_count();
    wait_acks(before + 30, "writes under the third leader").await;
    signal(nodes[pi].pid(), "-CONT");
    alive.lock().expect("lock")[pi] = true;
    let before = acked_count();
    wait_acks(before + 30, "writes after the paused leader woke up").await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.expect("worker");
    }

    // Every live node converges on the same view.
    let live: Vec<&Server> = [pi, third].iter().map(|i| &*nodes[*i]).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let view = loop {
        let a = dump(live[0]).await;
        let b = dump(live[1]).await;
        if a == b {
            break a;
        }
        assert!(Instant::now() < deadline, "the nodes' views differ");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let acked = acked.lock().expect("lock").clone();
    for (subject, id, _) in &acked {
        let versions = view
            .get(subject)
            .unwrap_or_else(|| panic!("{subject} missing"));
        assert!(
            versions.values().any(|(i, _)| i == id),
            "acknowledged {subject} with id {id} is missing: {versions:?}"
        );
    }
    let mut by_id: BTreeMap<i64, String> = BTreeMap::new();
    for (subject, versions) in &view {
        let numbers: Vec<i64> = versions.keys().copied().collect();
        let expected: Vec<i64> = (1..=numbers.len() as i64).collect();
        assert_eq!(numbers, expected, "{subject} has gaps in its versions");
        for (id, schema) in versions.values() {
            let previous = by_id.insert(*id, schema.clone());
            assert!(
                previous.is_none_or(|p| p == *schema),
                "ID {id} maps to two schemas"
            );
            let (_, served) = live[0].get(&format!("/schemas/ids/{id}")).await;
            assert_eq!(served["schema"].as_str(), Some(schema.as_str()));
        }
    }
    println!(
        "HA: {} registrations acknowledged; writes unavailable for {:.2} s after kill -9 of the leader (lease 1.5 s)",
        acked.len(),
        unavailable.as_secs_f64()
    );
    let _: Value = json!(null);
}

/// Starts a node on `topic` with the default leader lease (no `--leader-lease-ms`).
fn start_default_lease(broker: &common::kafka::Broker, dir: &std::path::Path) -> Server {
    Server::builder()
        .kafka(&broker.address())
        .topic("_schemas")
        .dir(dir)
        .default_lease()
        .start()
}

/// `kill -9` of the leader at the default lease (3 s, renewed every second): the followers
/// see a renewal late, find the leader's URL refusing connections and claim at once, so
/// writes resume well before the lease would run out (measured 5.2 s with the former 6 s
/// lease and no probe). Two kills in a row (a fresh node replaces the killed one); the bound
/// is generous for a loaded CI machine, the measured figures are printed. A SIGSTOP'ed
/// leader (which the probe does not take for dead) is covered by the test above.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill9_of_the_leader_at_default_settings_stops_writes_for_under_4_s() {
    let Some(broker) =
        broker_or_skip("kill9_of_the_leader_at_default_settings_stops_writes_for_under_4_s")
    else {
        return;
    };
    let kills: usize = std::env::var("HA_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let mut dirs: Vec<tempfile::TempDir> = Vec::new();
    let mut nodes: Vec<Arc<Server>> = Vec::new();
    for _ in 0..3 {
        let d = tempfile::tempdir().expect("dir");
        nodes.push(Arc::new(start_default_lease(&broker, d.path())));
        dirs.push(d);
    }
    let live: Arc<Mutex<Vec<Arc<Server>>>> = Arc::new(Mutex::new(nodes));
    let acked: Arc<Mutex<Vec<(String, i64, Instant)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..3 {
        let (live, acked, stop, counter) =
            (live.clone(), acked.clone(), stop.clone(), counter.clone());
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let k = counter.fetch_add(1, Ordering::Relaxed);
                let node = {
                    let live = live.lock().expect("lock");
                    live[k % live.len()].clone()
                };
                let subject = format!("gap-{}", k % 20);
                let schema = json!({"type":"record","name":"G","fields":[{"name":format!("f{k}"),"type":"string","default":""}]}).to_string();
                let answer = node
                    .client
                    .post(format!("{}/subjects/{subject}/versions", node.url))
                    .header("content-type", common::SR_CONTENT_TYPE)
                    .body(json!({ "schema": schema }).to_string())
                    .send()
                    .await;
                let ok = match answer {
                    Ok(a) if a.status().as_u16() == 200 => {
                        let v: Value = a.json().await.unwrap_or(Value::Null);
                        v["id"].as_i64().map(|id| {
                            acked.lock().expect("lock").push((subject, id, Instant::now()))
                        })
                    }
                    _ => None,
                };
                if ok.is_none() {
                    // The leader is gone (forwarding fails at once): do not spin.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }));
    }
    let acks_since = |t: Instant| {
        acked
            .lock()
            .expect("lock")
            .iter()
            .filter(|a| a.2 > t)
            .map(|a| a.2)
            .min()
    };
    let mut gaps = Vec::new();
    for round in 0..kills {
        let current: Vec<Arc<Server>> = live.lock().expect("lock").clone();
        let refs: Vec<&Server> = current.iter().map(|n| &**n).collect();
        let leader = common::agreed_leader(&refs, Duration::from_secs(30)).await;
        // Writes flow before the kill.
        let t0 = Instant::now();
        let deadline = t0 + Duration::from_secs(30);
        while acked
            .lock()
            .expect("lock")
            .iter()
            .filter(|a| a.2 > t0)
            .count()
            < 10
        {
            assert!(
                Instant::now() < deadline,
                "round {round}: no writes before the kill"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let victim = {
            let mut live = live.lock().expect("lock");
            let i = live
                .iter()
                .position(|n| n.url == leader)
                .expect("the leader is a live node");
            live.remove(i)
        };
        let killed_at = Instant::now();
        signal(victim.pid(), "-KILL");
        let deadline = killed_at + Duration::from_secs(30);
        let resumed = loop {
            if let Some(t) = acks_since(killed_at) {
                break t;
            }
            assert!(
                Instant::now() < deadline,
                "round {round}: no write acknowledged within 30 s of the kill\n{}",
                live.lock().expect("lock")[0].log()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        gaps.push(resumed.duration_since(killed_at));
        // A fresh node takes the killed one's place for the next round.
        let d = tempfile::tempdir().expect("dir");
        let fresh = Arc::new(start_default_lease(&broker, d.path()));
        dirs.push(d);
        live.lock().expect("lock").push(fresh);
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.expect("worker");
    }
    // Every acknowledged write is served with its ID by every live node.
    let current: Vec<Arc<Server>> = live.lock().expect("lock").clone();
    let acked = acked.lock().expect("lock").clone();
    for node in &current {
        let deadline = Instant::now() + Duration::from_secs(30);
        for (subject, id, _) in &acked {
            loop {
                let (s, v) = node.get(&format!("/schemas/ids/{id}/versions")).await;
                let listed = v
                    .as_array()
                    .is_some_and(|a| a.iter().any(|sv| sv["subject"] == subject.as_str()));
                if s == 200 && listed {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "acknowledged {subject} id {id} not served by {}: {s} {v}",
                    node.url
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    let secs: Vec<String> = gaps
        .iter()
        .map(|g| format!("{:.2}", g.as_secs_f64()))
        .collect();
    println!(
        "HA default lease: {} writes acknowledged; writes unavailable after kill -9 of the leader: {} s",
        acked.len(),
        secs.join(", ")
    );
    for g in &gaps {
        assert!(
            *g < Duration::from_secs(4),
            "writes were unavailable for {g:?} after kill -9 of the leader (gaps: {secs:?})"
        );
    }
}

/// Association writes sent to a follower are forwarded to the leader (8.3.1
/// `KafkaSchemaRegistry.createAssociationOrForward` and friends), and every node answers
/// the result from its own replay of the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn association_writes_on_a_follower_reach_the_leader() {
    let Some(broker) = broker_or_skip("association_writes_on_a_follower_reach_the_leader") else {
        return;
    };
    let topic = format!("_schemas_ha_assoc_{}", std::process::id());
    let (_dirs, nodes) = two_nodes(&broker, &topic, &[]);
    let all: Vec<&Server> = nodes.iter().collect();
    let leader = common::agreed_leader(&all, Duration::from_secs(30)).await;
    let follower = nodes.iter().find(|n| n.url != leader).expect("a follower");
    let (status, v) = follower
        .post(
            "/associations",
            &json!({"resourceName": "orders", "resourceNamespace": "lkc-1", "resourceId": "id-1",
                    "associations": [{"schema": {"schema": "\"string\""}}]}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["associations"][0]["subject"], ":.lkc-1:orders-value");
    for node in &nodes {
        until_listed(node, 1).await;
    }
    let (status, _) = follower
        .delete("/associations/resources/id-1?cascadeLifecycle=true")
        .await;
    assert_eq!(status, 204);
    for node in &nodes {
        until_listed(node, 0).await;
    }
}

/// Read-your-writes through a follower: a write it forwarded is answered only once the
/// follower has applied the leader's log up to its end (`http/forward.rs`), so the
/// client's next read through the same node sees it. Confluent's follower relays the
/// leader's answer without waiting (`KafkaSchemaRegistry.forwardRegisterRequestToLeader`)
/// and a client that registers and then asks for the latest version through it (the
/// serializers with `use.latest.version`) can get 40401; ours does not. No polling here:
/// every read comes straight after the write it depends on.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_reads_its_own_forwarded_writes() {
    let Some(broker) = broker_or_skip("a_follower_reads_its_own_forwarded_writes") else {
        return;
    };
    let topic = format!("_schemas_ha_ryw_{}", std::process::id());
    let (_dirs, nodes) = two_nodes(&broker, &topic, &[]);
    let all: Vec<&Server> = nodes.iter().collect();
    let leader = common::agreed_leader(&all, Duration::from_secs(30)).await;
    let follower = nodes.iter().find(|n| n.url != leader).expect("a follower");
    for i in 0..25 {
        let subject = format!("ryw-{i}-value");
        let schema =
            format!(r#"{{"type":"record","name":"R{i}","fields":[{{"name":"f","type":"long"}}]}}"#);
        let (status, v) = follower
            .post(
                &format!("/subjects/{subject}/versions"),
                &json!({ "schema": schema }),
            )
            .await;
        assert_eq!(status, 200, "register {subject}: {v}");
        let id = v["id"].as_i64().expect("an id");
        let (status, latest) = follower
            .get(&format!("/subjects/{subject}/versions/latest"))
            .await;
        assert_eq!(
            status, 200,
            "latest of {subject} right after its registration: {latest}"
        );
        assert_eq!(latest["id"], id);
        let (status, by_id) = follower.get(&format!("/schemas/ids/{id}")).await;
        assert_eq!(status, 200, "id {id} right after its registration: {by_id}");
        let (status, v) = follower
            .put(
                &format!("/config/{subject}"),
                &json!({"compatibility": "NONE"}),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        let (status, config) = follower.get(&format!("/config/{subject}")).await;
        assert_eq!(status, 200, "{config}");
        assert_eq!(config["compatibilityLevel"], "NONE", "config of {subject}");
        let (status, v) = follower.delete(&format!("/subjects/{subject}")).await;
        assert_eq!(status, 200, "{v}");
        let (status, v) = follower.get(&format!("/subjects/{subject}/versions")).await;
        assert_eq!(status, 404, "{subject} right after its deletion: {v}");
    }
}

/// Two nodes on one topic of the broker, each with its own data dir (kept alive by the
/// returned dirs) and these extra arguments.
fn two_nodes(
    broker: &common::kafka::Broker,
    topic: &str,
    args: &[&str],
) -> (Vec<tempfile::TempDir>, Vec<Server>) {
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().expect("dir")).collect();
    let nodes = dirs
        .iter()
        .map(|d| {
            Server::builder()
                .kafka(&broker.address())
                .topic(topic)
                .dir(d.path())
                .args(args.iter().copied())
                .start()
        })
        .collect();
    (dirs, nodes)
}

/// Polls a node until resource `id-1` lists `n` associations (a follower applies the
/// leader's records a little later), bounded.
async fn until_listed(node: &Server, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, list) = node.get("/associations/resources/id-1").await;
        if list.as_array().map(Vec::len) == Some(n) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} never listed {n}: {list}",
            node.url
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A write forwarded by a follower keeps its request ID: the client's `X-Request-ID`, or
/// the one the follower made, reaches the leader, whose request line names it, and the
/// answer carries it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_forwarded_write_keeps_its_request_id() {
    let Some(broker) = broker_or_skip("a_forwarded_write_keeps_its_request_id") else {
        return;
    };
    let topic = format!("_schemas_ha_reqid_{}", std::process::id());
    let (_dirs, nodes) = two_nodes(&broker, &topic, &["--log", "schema_registry=debug"]);
    let all: Vec<&Server> = nodes.iter().collect();
    let leader_url = common::agreed_leader(&all, Duration::from_secs(30)).await;
    let leader = nodes
        .iter()
        .find(|n| n.url == leader_url)
        .expect("the leader");
    let follower = nodes
        .iter()
        .find(|n| n.url != leader_url)
        .expect("a follower");
    let client = common::client();
    let mut ids = Vec::new();
    for (given, schema) in [(Some("fwd-req-41"), "\"string\""), (None, "\"long\"")] {
        let mut req = client
            .post(format!(
                "{}/subjects/reqid-{}/versions",
                follower.url,
                ids.len()
            ))
            .header("content-type", "application/vnd.schemaregistry.v1+json")
            .body(json!({ "schema": schema }).to_string());
        if let Some(g) = given {
            req = req.header("X-Request-ID", g);
        }
        let answer = req.send().await.expect("register through the follower");
        assert_eq!(answer.status(), 200);
        let id = answer
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .expect("an X-Request-ID");
        if let Some(g) = given {
            assert_eq!(id, g);
        }
        ids.push(id);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = leader.log();
        let seen = |id: &str| {
            log.lines()
                .any(|l| l.contains("request_id") && l.contains(id) && l.contains("POST"))
        };
        if ids.iter().all(|id| seen(id)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the leader's log names not every forwarded ID {ids:?}: {log}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Fetch-through in a cluster (issue 19): a follower's miss is the leader's to fetch (the
/// follower forwards the read, `http/forward.rs`), the leader alone calls the upstream and
/// writes, and the fetched records reach the follower's index like any others.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_miss_is_fetched_by_the_leader_and_replicated() {
    let Some(broker) = broker_or_skip("a_follower_miss_is_fetched_by_the_leader_and_replicated")
    else {
        return;
    };
    let up = Server::start();
    let (s, v) = up
        .post(
            "/subjects/orders-value/versions",
            &json!({"schema": "{\"type\":\"record\",\"name\":\"O\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"}]}"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let id = v["id"].as_i64().expect("an id");
    let topic = format!("_schemas_ha_fetch_{}", std::process::id());
    let args = [
        "--upstream-url",
        up.url.as_str(),
        "--mirror-topic-prefix",
        "src.",
    ];
    let (_dirs, nodes) = two_nodes(&broker, &topic, &args);
    let all: Vec<&Server> = nodes.iter().collect();
    let leader_url = common::agreed_leader(&all, Duration::from_secs(30)).await;
    let leader = nodes
        .iter()
        .find(|n| n.url == leader_url)
        .expect("the leader");
    let follower = nodes
        .iter()
        .find(|n| n.url != leader_url)
        .expect("a follower");

    let (s, got) = follower
        .get(&format!("/schemas/ids/{id}?subject=src.orders-value"))
        .await;
    assert_eq!(s, 200, "{got}");
    let fetched = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("schema_registry_upstream_fetches_total{outcome=\"fetched\"}"))
            .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .unwrap_or(-1.0)
    };
    let metrics = |n: &Server| {
        let (client, url) = (n.client.clone(), n.url.clone());
        async move {
            client
                .get(format!("{url}/metrics"))
                .send()
                .await
                .expect("metrics")
                .text()
                .await
                .expect("text")
        }
    };
    assert_eq!(fetched(&metrics(leader).await), 1.0, "the leader fetched");
    assert_eq!(
        fetched(&metrics(follower).await),
        0.0,
        "the follower did not"
    );
    // The follower applies the leader's records: listed there without any fetch.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, listed) = follower.get("/subjects?subjectPrefix=:.upstream:").await;
        if listed == json!([":.upstream:orders-value"]) {
            break;
        }
        assert!(Instant::now() < deadline, "not replicated: {listed}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (s, local) = follower
        .get(&format!("/schemas/ids/{id}?subject=src.orders-value"))
        .await;
    assert_eq!((s, &local["schema"]), (200, &got["schema"]));
}

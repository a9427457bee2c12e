//! Fetch-through (issue 19): a downstream registry started with `--upstream-url` answers a
//! miss by fetching from the upstream registry, writing the schema under the same ID in the
//! context `.upstream`, and answering from its own index (`src/upstream.rs`,
//! `src/registry/fetched.rs`). Two real servers on SQLite over real sockets; the upstream
//! is this registry (Confluent's paths and answers: `rest/resources/SchemasResource.java`
//! `getSchema`, `getVersions`; `SubjectVersionsResource.java` `getSchemaByVersion`).
//!
//! Confluent's rule for an ID read (`storage/AbstractSchemaRegistry.java`
//! `getSchemaKeyUsingContexts`): without a subject only the default context is read; with
//! an unqualified subject, that subject in every context. So a downstream's own ID 1 and
//! the upstream's ID 1 (in `.upstream`) both stay reachable, and a consumer's hint
//! (`src.orders-value` under MirrorMaker 2's names) picks the upstream's.

mod common;

use common::Server;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn money() -> String {
    json!({"type": "record", "name": "Money", "namespace": "shop",
           "fields": [{"name": "cents", "type": "long"}, {"name": "currency", "type": "string"}]})
    .to_string()
}

fn order(fields: usize) -> String {
    let mut fs = vec![
        json!({"name": "seq", "type": "long"}),
        json!({"name": "total", "type": "shop.Money"}),
    ];
    for i in 0..fields {
        fs.push(json!({"name": format!("extra{i}"), "type": "string", "default": ""}));
    }
    json!({"type": "record", "name": "Order", "namespace": "shop", "fields": fs}).to_string()
}

fn money_ref() -> Value {
    json!([{"name": "shop.Money", "subject": "money-value", "version": 1}])
}

async fn register(s: &Server, subject: &str, body: Value) -> i64 {
    let (status, v) = s
        .post(&format!("/subjects/{subject}/versions"), &body)
        .await;
    assert_eq!(status, 200, "register {subject}: {v}");
    v["id"].as_i64().expect("an id")
}

/// The upstream with `money-value` v1, `orders-value` v1 and v2 (both referencing it) and
/// `other` holding order v1 too. Returns (money, order v1, order v2) IDs.
async fn upstream_with_orders(up: &Server) -> (i64, i64, i64) {
    let money = register(up, "money-value", json!({"schema": money()})).await;
    let o1 = register(
        up,
        "orders-value",
        json!({"schema": order(0), "references": money_ref()}),
    )
    .await;
    let o2 = register(
        up,
        "orders-value",
        json!({"schema": order(1), "references": money_ref()}),
    )
    .await;
    let again = register(
        up,
        "other",
        json!({"schema": order(0), "references": money_ref()}),
    )
    .await;
    assert_eq!(again, o1);
    (money, o1, o2)
}

fn downstream(up: &Server, extra: &[&str]) -> Server {
    downstream_of(&up.url, extra)
}

fn downstream_of(upstream_url: &str, extra: &[&str]) -> Server {
    Server::builder()
        .args([
            "--upstream-url",
            upstream_url,
            "--mirror-topic-prefix",
            "src.",
        ])
        .args(extra.iter().copied())
        .start()
}

/// A TCP proxy to `to` that opens each connection `latency` late (a distant upstream).
async fn slow_proxy(to: String, latency: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let to = to.clone();
            tokio::spawn(async move {
                // Latency being simulated, not a wait for anything.
                tokio::time::sleep(latency).await;
                if let Ok(mut upstream) = tokio::net::TcpStream::connect(&to).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
    format!("http://{addr}")
}

async fn metrics(s: &Server) -> String {
    s.client
        .get(format!("{}/metrics", s.url))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text")
}

/// The value of the first sample whose line starts with `name{` and has every label.
fn sample(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| labels.iter().all(|lab| l.contains(lab)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Requests the upstream answered on a route with a status.
async fn upstream_calls(up: &Server, route: &str, status: u16) -> f64 {
    sample(
        &metrics(up).await,
        "schema_registry_http_requests_total",
        &[
            &format!("route=\"{route}\""),
            &format!("status=\"{status}\""),
            "method=\"GET\"",
        ],
    )
}

#[tokio::test]
async fn a_miss_is_fetched_with_its_id_references_and_every_usage() {
    let up = Server::start();
    let (money_id, o1, o2) = upstream_with_orders(&up).await;
    let down = downstream(&up, &[]);
    // The downstream's own first schema takes ID 1 in its default context.
    let own = register(&down, "local-value", json!({"schema": "\"string\""})).await;
    assert_eq!(own, 1);

    // A consumer of the mirrored topic `src.orders` asks as the stock deserializer does.
    let first = Instant::now();
    let (s, got) = down
        .get(&format!(
            "/schemas/ids/{o1}?subject=src.orders-value&fetchMaxId=false"
        ))
        .await;
    assert_eq!(s, 200, "{got}");
    let first = first.elapsed();
    let second = Instant::now();
    let (s, _) = down
        .get(&format!(
            "/schemas/ids/{o1}?subject=src.orders-value&fetchMaxId=false"
        ))
        .await;
    assert_eq!(s, 200);
    eprintln!(
        "first read of an ID (fetched: 3 upstream calls, 3 versions written): {first:?}; the next read: {:?}",
        second.elapsed()
    );
    let (_, want) = up.get(&format!("/schemas/ids/{o1}")).await;
    assert_eq!(got["schema"], want["schema"]);
    assert_eq!(got["references"], want["references"]);
    assert_eq!(
        got["guid"], want["guid"],
        "the same stored form, the same GUID"
    );
    // Every subject version using the ID came along, under the upstream's names and
    // versions, in the fetched context; the reference first, with its own ID.
    let (_, usages) = down
        .get(&format!(
            "/schemas/ids/{o1}/versions?subject=src.orders-value"
        ))
        .await;
    let mut listed = usages.as_array().cloned().unwrap_or_default();
    listed.sort_by_key(|v| v["subject"].as_str().map(str::to_string));
    assert_eq!(
        Value::Array(listed),
        json!([{"subject": ":.upstream:orders-value", "version": 1}, {"subject": ":.upstream:other", "version": 1}]),
        "{usages}"
    );
    let (s, m) = down
        .get("/subjects/:.upstream:money-value/versions/1")
        .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["id"], json!(money_id));
    assert_eq!(m["schema"], json!(money()));

    // IDs are per context: the downstream's own 1 and the upstream's 1 both answer.
    let (_, mine) = down.get("/schemas/ids/1").await;
    assert_eq!(
        mine["schema"],
        json!("\"string\""),
        "no subject: the default context"
    );
    let (_, theirs) = down.get("/schemas/ids/1?subject=src.money-value").await;
    assert_eq!(
        theirs["schema"],
        json!(money()),
        "a mirrored hint: upstream's ID 1"
    );

    // Once fetched, an ID is answered locally: no second call upstream.
    let before = upstream_calls(&up, "/schemas/ids/{id}", 200).await;
    for _ in 0..3 {
        let (s, _) = down
            .get(&format!("/schemas/ids/{o1}?subject=src.orders-value"))
            .await;
        assert_eq!(s, 200);
    }
    assert_eq!(upstream_calls(&up, "/schemas/ids/{id}", 200).await, before);

    // v2 by GUID (Confluent 8 clients): fetched through its default-context ID.
    let (_, v2) = up.get(&format!("/schemas/ids/{o2}")).await;
    let guid = v2["guid"].as_str().expect("a guid").to_string();
    let (s, by_guid) = down.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(s, 200, "{by_guid}");
    assert_eq!(by_guid["schema"], v2["schema"]);
    let (_, ids) = down.get(&format!("/schemas/guids/{guid}/ids")).await;
    assert_eq!(ids, json!([{"context": ".upstream", "id": o2}]));

    // The fetched context takes no registration without an ID (it is IMPORT's).
    let (s, refused) = down
        .post(
            "/subjects/:.upstream:orders-value/versions",
            &json!({"schema": order(2), "references": money_ref()}),
        )
        .await;
    assert_eq!(
        (s, refused["error_code"].clone()),
        (422, json!(42205)),
        "{refused}"
    );
    // A fetched schema is an ordinary record: it survives a restart of the downstream.
    let dir = down.dir.clone();
    let mut down = down;
    down.kill9();
    let again = Server::builder()
        .dir(&dir)
        .args([
            "--upstream-url",
            "http://127.0.0.1:9",
            "--upstream-timeout-ms",
            "300",
        ])
        .start();
    let (s, kept) = again
        .get(&format!("/schemas/ids/{o1}?subject=src.orders-value"))
        .await;
    assert_eq!(s, 200, "{kept}");
    assert_eq!(kept["schema"], want["schema"]);
    let m = metrics(&again).await;
    assert_eq!(
        sample(
            &m,
            "schema_registry_upstream_fetches_total",
            &["outcome=\"fetched\""]
        ),
        0.0
    );
}

#[tokio::test]
async fn mirror_names_resolve_to_the_upstream_subject() {
    let up = Server::start();
    let (_, o1, o2) = upstream_with_orders(&up).await;
    // Latest checked with the upstream on every read (TTL 0).
    let down = downstream(&up, &["--upstream-latest-ttl-ms", "0"]);

    // `use.latest.version`: GET /subjects/src.orders-value/versions/latest.
    let (s, latest) = down.get("/subjects/src.orders-value/versions/latest").await;
    assert_eq!(s, 200, "{latest}");
    assert_eq!(
        (latest["id"].clone(), latest["version"].clone()),
        (json!(o2), json!(2))
    );
    assert_eq!(latest["subject"], json!(":.upstream:orders-value"));
    // A version by number.
    let (s, v1) = down.get("/subjects/src.orders-value/versions/1").await;
    assert_eq!(s, 200, "{v1}");
    assert_eq!(v1["id"], json!(o1));
    // A new version upstream is seen by the next `latest`.
    let o3 = register(
        &up,
        "orders-value",
        json!({"schema": order(2), "references": money_ref()}),
    )
    .await;
    let (_, latest) = down.get("/subjects/src.orders-value/versions/latest").await;
    assert_eq!(latest["id"], json!(o3), "{latest}");
    // The lookup a serializer with auto.register.schemas=false makes.
    let (s, found) = down
        .post(
            "/subjects/src.orders-value",
            &json!({"schema": order(1), "references": money_ref()}),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(
        (found["id"].clone(), found["version"].clone()),
        (json!(o2), json!(2))
    );
    // A subject neither side has: 40401 as usual.
    let (s, none) = down
        .get("/subjects/src.nothing-value/versions/latest")
        .await;
    assert_eq!(
        (s, none["error_code"].clone()),
        (404, json!(40401)),
        "{none}"
    );
    // A local subject is the downstream's own, whatever the upstream has.
    register(&down, "src.orders-value", json!({"schema": "\"int\""})).await;
    let (_, mine) = down.get("/subjects/src.orders-value/versions/latest").await;
    assert_eq!(mine["schema"], json!("\"int\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_are_remembered_and_concurrent_misses_make_one_call() {
    let up = Server::start();
    let (_, o1, _) = upstream_with_orders(&up).await;
    let down = downstream(&up, &["--upstream-negative-ttl-ms", "60000"]);

    for _ in 0..5 {
        let (s, v) = down.get("/schemas/ids/4242?subject=src.orders-value").await;
        assert_eq!((s, v["error_code"].clone()), (404, json!(40403)), "{v}");
    }
    assert_eq!(
        upstream_calls(&up, "/schemas/ids/{id}", 404).await,
        1.0,
        "one call for five misses of an unknown ID"
    );

    // 64 consumers starting at once on an empty downstream, all asking for one ID, with
    // an upstream 200 ms away (a proxy that delays each new connection): they all miss
    // while the first one's fetch is under way.
    let far = slow_proxy(up.address().to_string(), Duration::from_millis(200)).await;
    let down = downstream_of(&far, &[]);
    let started = Instant::now();
    let asks = (0..64)
        .map(|_| {
            let (client, url) = (down.client.clone(), down.url.clone());
            tokio::spawn(async move {
                let t = Instant::now();
                let r = client
                    .get(format!("{url}/schemas/ids/{o1}?subject=src.orders-value"))
                    .send()
                    .await
                    .expect("answer");
                (r.status().as_u16(), t.elapsed())
            })
        })
        .collect::<Vec<_>>();
    let mut latencies = Vec::new();
    for a in asks {
        let (status, took) = a.await.expect("task");
        assert_eq!(status, 200);
        latencies.push(took);
    }
    latencies.sort();
    let m = metrics(&down).await;
    let fetched = sample(
        &m,
        "schema_registry_upstream_fetches_total",
        &["outcome=\"fetched\""],
    );
    let joined = sample(
        &m,
        "schema_registry_upstream_lookups_total",
        &["result=\"joined\""],
    );
    let hits = sample(
        &m,
        "schema_registry_upstream_lookups_total",
        &["result=\"hit\""],
    );
    eprintln!(
        "64 concurrent first reads: {:?} in all, p50 {:?}, p99 {:?}; fetches {fetched}, joined {joined}, hits {hits}",
        started.elapsed(),
        latencies[31],
        latencies[63]
    );
    assert_eq!(fetched, 1.0, "one fetch for 64 concurrent misses");
    assert!(joined >= 32.0, "most waited for the one fetch: {joined}");
    assert_eq!(upstream_calls(&up, "/schemas/ids/{id}", 200).await, 1.0);
}

#[tokio::test]
async fn an_upstream_that_is_down_or_slow_fails_misses_fast_and_serves_what_is_local() {
    let mut up = Server::start();
    let (_, o1, o2) = upstream_with_orders(&up).await;
    let down = downstream(&up, &["--upstream-timeout-ms", "800"]);
    let (s, _) = down
        .get(&format!("/schemas/ids/{o1}?subject=src.orders-value"))
        .await;
    assert_eq!(s, 200);
    up.kill9();

    // What was fetched is local: served.
    let (s, _) = down
        .get(&format!("/schemas/ids/{o1}?subject=src.orders-value"))
        .await;
    assert_eq!(s, 200);
    // A miss: 502 with the reason (unreachable), quickly; then 503 without a call.
    let t = Instant::now();
    let (s, e) = down
        .get(&format!("/schemas/ids/{o2}?subject=src.orders-value"))
        .await;
    assert_eq!((s, e["error_code"].clone()), (502, json!(50003)), "{e}");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("upstream")),
        "{e}"
    );
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let r = down
        .client
        .get(format!(
            "{}/schemas/ids/{o2}?subject=src.orders-value",
            down.url
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status().as_u16(), 503);
    assert!(r.headers().contains_key("retry-after"));

    // A slow upstream (accepts, never answers): 504 within the timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let slow = Server::builder()
        .args([
            "--upstream-url",
            &format!("http://{}", silent.local_addr().expect("addr")),
            "--upstream-timeout-ms",
            "500",
        ])
        .start();
    let t = Instant::now();
    let (s, e) = slow.get("/schemas/ids/7").await;
    assert_eq!((s, e["error_code"].clone()), (504, json!(50002)), "{e}");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let m = metrics(&slow).await;
    assert_eq!(
        sample(
            &m,
            "schema_registry_upstream_fetches_total",
            &["outcome=\"timeout\""]
        ),
        1.0
    );
    drop(silent);
}

#[tokio::test]
async fn a_collision_is_reported_and_nothing_is_overwritten() {
    let up = Server::start();
    let id = register(&up, "orders-value", json!({"schema": "\"string\""})).await;
    let down = downstream(&up, &[]);
    // Someone imported other content under the upstream's ID into the fetched context.
    let (s, v) = down
        .post(
            "/subjects/:.upstream:elsewhere/versions",
            &json!({"schema": "\"bytes\"", "id": id, "version": 1}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // The ID itself reads as the fetched context holds it (it is that context's ID)...
    let (_, held) = down
        .get(&format!("/schemas/ids/{id}?subject=src.orders-value"))
        .await;
    assert_eq!(held["schema"], json!("\"bytes\""), "{held}");
    // ...but writing the upstream's version under it would overwrite: refused.
    let (s, e) = down.get("/subjects/src.orders-value/versions/latest").await;
    assert_eq!((s, e["error_code"].clone()), (422, json!(42205)), "{e}");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("collides")),
        "{e}"
    );
    let (_, kept) = down.get("/subjects/:.upstream:elsewhere/versions/1").await;
    assert_eq!(kept["schema"], json!("\"bytes\""));
    let m = metrics(&down).await;
    assert_eq!(
        sample(
            &m,
            "schema_registry_upstream_fetches_total",
            &["outcome=\"collision\""]
        ),
        1.0
    );
}

#[tokio::test]
async fn protobuf_imports_and_json_refs_come_first() {
    let up = Server::start();
    let common = register(
        &up,
        "common.proto",
        json!({"schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";\npackage shop;\nmessage Money { int64 cents = 1; }\n"}),
    )
    .await;
    let order = register(
        &up,
        "orders-value",
        json!({"schemaType": "PROTOBUF",
               "schema": "syntax = \"proto3\";\npackage shop;\nimport \"common.proto\";\nmessage Order { shop.Money total = 1; }\n",
               "references": [{"name": "common.proto", "subject": "common.proto", "version": 1}]}),
    )
    .await;
    let addr = register(
        &up,
        "address",
        json!({"schemaType": "JSON", "schema": "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"}),
    )
    .await;
    let person = register(
        &up,
        "person-value",
        json!({"schemaType": "JSON",
               "schema": "{\"type\":\"object\",\"properties\":{\"home\":{\"$ref\":\"address.json\"}}}",
               "references": [{"name": "address.json", "subject": "address", "version": 1}]}),
    )
    .await;
    let down = downstream(&up, &[]);
    for (id, hint, dep, dep_id) in [
        (order, "src.orders-value", "common.proto", common),
        (person, "src.person-value", "address", addr),
    ] {
        let (s, got) = down.get(&format!("/schemas/ids/{id}?subject={hint}")).await;
        assert_eq!(s, 200, "{got}");
        let (_, want) = up.get(&format!("/schemas/ids/{id}")).await;
        assert_eq!(got["schema"], want["schema"]);
        assert_eq!(got["schemaType"], want["schemaType"]);
        assert_eq!(got["guid"], want["guid"]);
        let (s, r) = down
            .get(&format!("/subjects/:.upstream:{dep}/versions/1"))
            .await;
        assert_eq!((s, r["id"].clone()), (200, json!(dep_id)), "{r}");
    }
}

#[tokio::test]
async fn settings_that_cannot_work_are_refused_at_start() {
    for (args, says) in [
        (
            vec!["--upstream-url", "http://127.0.0.1:9", "--read-only"],
            "--read-only",
        ),
        (vec!["--mirror-topic-prefix", "src."], "--upstream-url"),
        (
            vec![
                "--upstream-url",
                "http://127.0.0.1:9",
                "--upstream-context",
                ".",
            ],
            "--upstream-context",
        ),
        (vec!["--upstream-url", "ftp://x"], "--upstream-url"),
    ] {
        let e = Server::builder()
            .args(args.iter().copied())
            .try_start()
            .err()
            .unwrap_or_else(|| panic!("{args:?} started"));
        assert!(e.contains(says), "{args:?}: {e}");
    }
}

#[tokio::test]
async fn a_local_id_floor_keeps_own_ids_apart() {
    let down = Server::builder()
        .args(["--local-id-floor", "1000000"])
        .start();
    assert_eq!(
        register(&down, "a", json!({"schema": "\"string\""})).await,
        1_000_000
    );
    assert_eq!(
        register(&down, "b", json!({"schema": "\"int\""})).await,
        1_000_001
    );
}

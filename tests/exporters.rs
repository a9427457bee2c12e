//! Exporters (Confluent's schema linking API) between real servers on embedded stores: the
//! API's answers and error codes, a continuous export keeping IDs, versions, soft deletes,
//! references and configs, resuming after a restart, and several sources aggregated into
//! contexts of one destination. (The Kafka picture with a consumer is in `tests/mirror.rs`.)

mod common;

use common::Server;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(30);

fn record(name: &str, extra: &[&str]) -> String {
    let mut fields = vec![json!({"name":"id","type":"long"})];
    for f in extra {
        fields.push(json!({"name": f, "type":"string", "default": ""}));
    }
    json!({"type":"record","name":name,"namespace":"shop","fields":fields}).to_string()
}

async fn register(s: &Server, subject: &str, body: Value) -> i64 {
    let (st, v) = s
        .post(&format!("/subjects/{subject}/versions"), &body)
        .await;
    assert_eq!(st, 200, "register {subject}: {v}");
    v["id"].as_i64().expect("id")
}

/// Polls `f` until it returns `Some`, failing after [`PATIENCE`] with `context()`.
async fn eventually<T, F, Fut>(what: &str, context: impl Fn() -> String, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(t) = f().await {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}\n{}",
            context()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Everything a client can see of a subject: its versions (soft-deleted ones included) as
/// served, each with its ID.
async fn subject_view(s: &Server, subject: &str) -> Vec<Value> {
    let (st, versions) = s
        .get(&format!("/subjects/{subject}/versions?deleted=true"))
        .await;
    if st != 200 {
        return vec![json!({"status": st, "body": versions})];
    }
    let mut out = Vec::new();
    for v in versions.as_array().cloned().unwrap_or_default() {
        let (_, body) = s
            .get(&format!("/subjects/{subject}/versions/{v}?deleted=true"))
            .await;
        // The subject name differs when renamed; compare the rest.
        let mut body = body;
        if let Some(m) = body.as_object_mut() {
            m.remove("subject");
        }
        out.push(common::without_ts(body));
    }
    out
}

fn exporter_body(name: &str, dest: &Server, extra: Value) -> Value {
    let mut b = json!({
        "name": name,
        "subjects": ["*"],
        "config": {"schema.registry.url": dest.url},
    });
    if let (Some(m), Some(e)) = (b.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    b
}

#[tokio::test]
async fn the_api_answers_as_confluents() {
    let src = Server::start();
    let dst = Server::start();
    // Validation.
    for (body, code) in [
        (
            json!({"name":"a b","config":{"schema.registry.url":dst.url}}),
            40950,
        ),
        (json!({"config":{"schema.registry.url":dst.url}}), 40950),
        (json!({"name":"x"}), 40951),
        (
            json!({"name":"x","config":{"schema.registry.url":"ftp://x"}}),
            40951,
        ),
        (
            json!({"name":"x","contextType":"CUSTOM","config":{"schema.registry.url":dst.url}}),
            40951,
        ),
        (
            json!({"name":"x","contextType":"SOMETIMES","config":{"schema.registry.url":dst.url}}),
            40951,
        ),
        (
            json!({"name":"x","subjects":[],"config":{"schema.registry.url":dst.url}}),
            40952,
        ),
    ] {
        let (s, v) = src.post("/exporters", &body).await;
        assert_eq!(
            (s, v["error_code"].clone()),
            (409, json!(code)),
            "{body}: {v}"
        );
    }
    let (s, v) = src.get("/exporters").await;
    assert_eq!((s, v), (200, json!([])));

    let body = exporter_body(
        "to-dr",
        &dst,
        json!({"contextType":"CUSTOM","context":"dr","subjectRenameFormat":"dc_${subject}"}),
    );
    assert_eq!(
        src.post("/exporters", &body).await,
        (200, json!({"name":"to-dr"}))
    );
    let (s, v) = src.post("/exporters", &body).await;
    assert_eq!((s, v["error_code"].clone()), (409, json!(40960)), "{v}");
    assert_eq!(src.get("/exporters").await, (200, json!(["to-dr"])));
    assert_eq!(
        src.get("/exporters/to-dr").await,
        (
            200,
            json!({"name":"to-dr","contextType":"CUSTOM","context":"dr","subjects":["*"],
                   "subjectRenameFormat":"dc_${subject}","config":{"schema.registry.url":dst.url}})
        )
    );
    assert_eq!(
        src.get("/exporters/to-dr/config").await,
        (200, json!({"schema.registry.url": dst.url}))
    );
    let (s, v) = src.get("/exporters/to-dr/status").await;
    assert_eq!(s, 200);
    assert_eq!(v["name"], "to-dr");
    assert!(
        ["STARTING", "RUNNING"].contains(&v["state"].as_str().unwrap_or("")),
        "{v}"
    );

    // Changes need a paused exporter (40963); resume of a running one is 40961.
    for (s, v) in [
        src.put("/exporters/to-dr", &json!({"subjects":["orders-*"]}))
            .await,
        src.put(
            "/exporters/to-dr/config",
            &json!({"basic.auth.user.info":"u:p"}),
        )
        .await,
        src.put("/exporters/to-dr/reset", &json!(null)).await,
        src.delete("/exporters/to-dr").await,
    ] {
        assert_eq!((s, v["error_code"].clone()), (409, json!(40963)), "{v}");
    }
    let (s, v) = src.put("/exporters/to-dr/resume", &json!(null)).await;
    assert_eq!((s, v["error_code"].clone()), (409, json!(40961)), "{v}");

    assert_eq!(
        src.put("/exporters/to-dr/pause", &json!(null)).await,
        (200, json!({"name":"to-dr"}))
    );
    let (_, v) = src.get("/exporters/to-dr/status").await;
    assert_eq!(v["state"], "PAUSED", "{v}");
    assert_eq!(
        src.put("/exporters/to-dr", &json!({"subjects":["orders-*"]}))
            .await,
        (200, json!({"name":"to-dr"}))
    );
    assert_eq!(
        src.put(
            "/exporters/to-dr/config",
            &json!({"basic.auth.user.info":"u:p"})
        )
        .await,
        (200, json!({"name":"to-dr"}))
    );
    let (_, v) = src.get("/exporters/to-dr").await;
    assert_eq!(v["subjects"], json!(["orders-*"]));
    assert_eq!(
        v["context"], "dr",
        "an update keeps what it does not change"
    );
    assert_eq!(v["config"]["basic.auth.user.info"], "u:p");
    assert_eq!(v["config"]["schema.registry.url"], json!(dst.url));
    let (s, v) = src
        .put(
            "/exporters/to-dr/config",
            &json!({"schema.registry.url":"nope"}),
        )
        .await;
    assert_eq!((s, v["error_code"].clone()), (409, json!(40951)), "{v}");
    assert_eq!(
        src.put("/exporters/to-dr/reset", &json!(null)).await,
        (200, json!({"name":"to-dr"}))
    );
    assert_eq!(
        src.put("/exporters/to-dr/resume", &json!(null)).await,
        (200, json!({"name":"to-dr"}))
    );
    src.put("/exporters/to-dr/pause", &json!(null)).await;
    let (s, _) = src.delete("/exporters/to-dr").await;
    assert_eq!(s, 204);
    for path in [
        "/exporters/to-dr",
        "/exporters/to-dr/status",
        "/exporters/to-dr/config",
    ] {
        let (s, v) = src.get(path).await;
        assert_eq!(
            (s, v["error_code"].clone()),
            (404, json!(40450)),
            "{path}: {v}"
        );
    }
    let (s, v) = src.put("/exporters/nope/pause", &json!(null)).await;
    assert_eq!((s, v["error_code"].clone()), (404, json!(40450)), "{v}");
    // The definitions are in the log: they survive a restart.
    let (s, _) = src
        .post("/exporters", &exporter_body("again", &dst, json!({})))
        .await;
    assert_eq!(s, 200);
    let dir = src.dir.clone();
    let keep = src;
    let mut keep = keep;
    keep.kill9();
    let src2 = Server::start_in(&dir);
    assert_eq!(src2.get("/exporters").await, (200, json!(["again"])));
    drop(keep);
}

#[tokio::test]
async fn an_exporter_copies_ids_versions_deletes_references_and_configs_continuously() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = Server::start_in(dir.path());
    let dst = Server::start();
    // Source state: a referenced type, three versions of a subject (one soft-deleted), a
    // config, and a subject the exporter does not take.
    register(&src, "other", json!({"schema": record("Other", &[])})).await;
    let addr = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#;
    register(&src, "address", json!({"schema": addr})).await;
    register(
        &src,
        "orders-value",
        json!({"schema": record("Order", &[])}),
    )
    .await;
    register(
        &src,
        "orders-value",
        json!({"schema": record("Order", &["a"])}),
    )
    .await;
    register(
        &src,
        "orders-value",
        json!({"schema": record("Order", &["a", "b"])}),
    )
    .await;
    let with_ref = json!({
        "schema": r#"{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"address","type":"shop.Address"}]}"#,
        "references": [{"name":"shop.Address","subject":"address","version":1}],
    });
    register(&src, "customers-value", with_ref).await;
    let (s, _) = src.delete("/subjects/orders-value/versions/2").await;
    assert_eq!(s, 200);
    let (s, _) = src
        .put("/config/orders-value", &json!({"compatibility":"FULL"}))
        .await;
    assert_eq!(s, 200);

    let body = json!({
        "name": "to-dst",
        "contextType": "NONE",
        "subjects": ["orders-*", "customers-*", "address"],
        "config": {"schema.registry.url": dst.url},
    });
    assert_eq!(src.post("/exporters", &body).await.0, 200);
    let logs = || {
        format!(
            "--- source ---\n{}\n--- destination ---\n{}",
            src.log(),
            dst.log()
        )
    };
    for subject in ["address", "orders-value", "customers-value"] {
        let want = subject_view(&src, subject).await;
        eventually(&format!("{subject} at the destination"), logs, || async {
            (subject_view(&dst, subject).await == want).then_some(())
        })
        .await;
    }
    // Same IDs, same schemas.
    for id in 1..=6 {
        let (sa, a) = src.get(&format!("/schemas/ids/{id}")).await;
        let (sb, b) = dst.get(&format!("/schemas/ids/{id}")).await;
        let (a, b) = ((sa, common::without_ts(a)), (sb, common::without_ts(b)));
        if a.0 == 200 && a.1["schema"] != json!(record("Other", &[])) {
            assert_eq!(a, b, "id {id}");
        }
    }
    assert_eq!(dst.get("/subjects/other/versions").await.0, 404);
    let want_cfg = src.get("/config/orders-value").await;
    eventually("the config at the destination", logs, || async {
        (dst.get("/config/orders-value").await == want_cfg).then_some(())
    })
    .await;
    let (_, mode) = dst.get("/mode/orders-value").await;
    assert_eq!(mode["mode"], "IMPORT");
    let (_, st) = src.get("/exporters/to-dst/status").await;
    assert_eq!(st["state"], "RUNNING", "{st}");
    assert_eq!(st["trace"], "", "{st}");

    // Continuous: a new version follows.
    let id4 = register(
        &src,
        "orders-value",
        json!({"schema": record("Order", &["a", "b", "c"])}),
    )
    .await;
    eventually("the new version at the destination", logs, || async {
        (dst.get("/subjects/orders-value/versions/4").await.1["id"] == json!(id4)).then_some(())
    })
    .await;
    // The exporter's offset is in the log: after a restart of the source it resumes from it
    // (nothing already exported is pushed again) and goes on with new versions.
    // Recorded up to the new version's record (not just any offset: a kill before the
    // record of the last round would rightly export that version again).
    let (_, ready) = src.get("/health/ready").await;
    let applied = ready["appliedOffset"].as_i64().unwrap_or(i64::MAX);
    eventually("the offset recorded", logs, || async {
        let (_, st) = src.get("/exporters/to-dst/status").await;
        (st["offset"].as_i64().unwrap_or(-1) >= applied).then_some(())
    })
    .await;
    let mut src = src;
    src.kill9();
    let src = Server::start_in(dir.path());
    let (_, st) = src.get("/exporters/to-dst/status").await;
    assert!(st["offset"].as_i64().unwrap_or(-1) >= 0, "{st}");
    eventually(
        "a first round after the restart",
        || src.log(),
        || async {
            let (_, st) = src.get("/exporters/to-dst/status").await;
            (st["state"] == "RUNNING").then_some(())
        },
    )
    .await;
    assert!(
        !src.log().contains("exported"),
        "versions exported again after the restart:\n{}",
        src.log()
    );
    let id5 = register(
        &src,
        "orders-value",
        json!({"schema": record("Order", &["a", "b", "c", "d"])}),
    )
    .await;
    let logs = || {
        format!(
            "--- source ---\n{}\n--- destination ---\n{}",
            src.log(),
            dst.log()
        )
    };
    eventually("a version registered after the restart", logs, || async {
        (dst.get("/subjects/orders-value/versions/5").await.1["id"] == json!(id5)).then_some(())
    })
    .await;
    assert_eq!(
        subject_view(&dst, "orders-value").await,
        subject_view(&src, "orders-value").await
    );
}

#[tokio::test]
async fn several_sources_land_in_their_own_contexts() {
    let dst = Server::start();
    let a = Server::start();
    let b = Server::start();
    // The same subject in both sources, with different schemas under the same ID 1.
    let ida = register(&a, "orders-value", json!({"schema": record("OrderA", &[])})).await;
    let idb = register(&b, "orders-value", json!({"schema": record("OrderB", &[])})).await;
    assert_eq!((ida, idb), (1, 1));
    assert_eq!(
        a.post(
            "/exporters",
            &exporter_body(
                "agg",
                &dst,
                json!({"contextType":"CUSTOM","context":"src-a"})
            )
        )
        .await
        .0,
        200
    );
    // AUTO: each source picks its own context name.
    assert_eq!(
        b.post("/exporters", &exporter_body("agg", &dst, json!({})))
            .await
            .0,
        200
    );
    let (_, info) = b.get("/exporters/agg").await;
    assert_eq!(info["contextType"], "AUTO");
    let auto = info["context"].as_str().expect("context").to_string();
    assert!(auto.starts_with("lsrc-"), "{info}");
    let qa = ":.src-a:orders-value".to_string();
    let qb = format!(":.{auto}:orders-value");
    let logs = || format!("--- destination ---\n{}", dst.log());
    eventually("both contexts at the destination", logs, || async {
        let (_, subjects) = dst.get("/subjects?subjectPrefix=:*:").await;
        let has = |s: &str| subjects.as_array().is_some_and(|a| a.contains(&json!(s)));
        (has(&qa) && has(&qb)).then_some(())
    })
    .await;
    let (_, contexts) = dst.get("/contexts").await;
    assert!(
        contexts.as_array().is_some_and(|c| c.contains(&json!(".src-a"))
            && c.contains(&json!(format!(".{auto}")))),
        "{contexts}"
    );
    // Each ID space resolves on its own, with a qualified hint, a context URL, or an
    // unqualified subject hint that only one context holds with this ID.
    let schema_of = |v: &Value| v["schema"].as_str().unwrap_or("").to_string();
    let (s, v) = dst.get(&format!("/schemas/ids/1?subject={qa}")).await;
    assert_eq!(s, 200);
    assert!(schema_of(&v).contains("OrderA"), "{v}");
    let (s, v) = dst.get(&format!("/contexts/.{auto}/schemas/ids/1")).await;
    assert_eq!(s, 200);
    assert!(schema_of(&v).contains("OrderB"), "{v}");
    let (s, v) = dst.get("/schemas/ids/1?subject=orders-value").await;
    assert_eq!(s, 200, "{v}");
    // Not in the default context.
    let (s, v) = dst.get("/schemas/ids/1").await;
    assert_eq!((s, v["error_code"].clone()), (404, json!(40403)), "{v}");
}

#[tokio::test]
async fn an_unreachable_destination_shows_in_the_status_and_recovers() {
    let src = Server::start();
    register(
        &src,
        "orders-value",
        json!({"schema": record("Order", &[])}),
    )
    .await;
    // A port nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_url = format!("http://{}", dead.local_addr().expect("addr"));
    drop(dead);
    let body = json!({"name":"e","contextType":"NONE","config":{"schema.registry.url":dead_url}});
    assert_eq!(src.post("/exporters", &body).await.0, 200);
    let logs = || src.log();
    let st = eventually("the error in the status", logs, || async {
        let (_, st) = src.get("/exporters/e/status").await;
        (st["state"] == "ERROR").then_some(st)
    })
    .await;
    assert!(st["trace"].as_str().is_some_and(|t| !t.is_empty()), "{st}");
    // Point it at a live registry: it catches up.
    let dst = Server::start();
    src.put("/exporters/e/pause", &json!(null)).await;
    assert_eq!(
        src.put(
            "/exporters/e/config",
            &json!({"schema.registry.url": dst.url})
        )
        .await
        .0,
        200
    );
    src.put("/exporters/e/resume", &json!(null)).await;
    eventually("the export after the fix", logs, || async {
        (dst.get("/subjects/orders-value/versions/1").await.0 == 200).then_some(())
    })
    .await;
    let (_, st) = src.get("/exporters/e/status").await;
    assert_eq!(
        (st["state"].clone(), st["trace"].clone()),
        (json!("RUNNING"), json!("")),
        "{st}"
    );
}

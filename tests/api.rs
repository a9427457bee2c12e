//! API edges not covered by the recorded scenarios: limits (body size, schema nesting depth,
//! subject name length), error codes the scenarios do not reach, and restarts.

mod common;

use common::Server;
use serde_json::json;

#[tokio::test]
async fn oversized_bodies_get_a_413_in_confluents_shape() {
    let server = Server::start();
    let big = "x".repeat(9 * 1024 * 1024);
    let body = json!({ "schema": big }).to_string();
    let (status, v) = server
        .request(
            "POST",
            "/subjects/big/versions",
            Some(&body),
            Some(common::SR_CONTENT_TYPE),
        )
        .await;
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["error_code"], 413);
    assert!(v["message"].as_str().is_some());
}

#[tokio::test]
async fn deeply_nested_schemas_are_rejected_without_crashing() {
    let server = Server::start();
    // 10,000 nested arrays: far beyond any real schema.
    let mut schema = String::from("\"int\"");
    for _ in 0..10_000 {
        schema = format!("{{\"type\":\"array\",\"items\":{schema}}}");
    }
    let (status, v) = server
        .post("/subjects/deep/versions", &json!({ "schema": schema }))
        .await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["error_code"], 42201);
    // 200 levels of records: still refused with a clear message, server still healthy.
    let mut schema = String::from("\"int\"");
    for i in 0..200 {
        schema = format!("{{\"type\":\"record\",\"name\":\"R{i}\",\"fields\":[{{\"name\":\"f\",\"type\":{schema}}}]}}");
    }
    let (status, v) = server
        .post("/subjects/deep/versions", &json!({ "schema": schema }))
        .await;
    assert_eq!(status, 422, "{v}");
    assert!(
        v["message"].as_str().is_some_and(|m| m.contains("nesting")),
        "{v}"
    );
    let (status, _) = server.get("/subjects").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn subject_names_are_limited_on_writes() {
    let server = Server::start();
    let long = "s".repeat(2000);
    let (status, v) = server
        .post(
            &format!("/subjects/{long}/versions"),
            &json!({ "schema": "\"int\"" }),
        )
        .await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["error_code"], 42208);
    let ok_name = "s".repeat(1000);
    let (status, v) = server
        .post(
            &format!("/subjects/{ok_name}/versions"),
            &json!({ "schema": "\"int\"" }),
        )
        .await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn mode_and_config_error_codes() {
    let server = Server::start();
    let (status, v) = server.get("/mode/nothing-here").await;
    assert_eq!((status, v["error_code"].clone()), (404, json!(40409)));
    // 8.3.1 `ModeResource.updateMode`: a null mode removes the scope's mode (7.9 failed
    // with a 500 here); an unknown name is 42204.
    let (status, v) = server.put("/mode", &json!({"mode": null})).await;
    assert_eq!((status, v), (200, json!({"mode": null})));
    let (status, v) = server.put("/mode", &json!({"mode": "NOPE"})).await;
    assert_eq!((status, v["error_code"].clone()), (422, json!(42204)));
    let (status, v) = server
        .put("/config", &json!({"compatibility": "SIDEWAYS"}))
        .await;
    assert_eq!((status, v["error_code"].clone()), (422, json!(42203)));
    let (status, v) = server
        .request(
            "PUT",
            "/config",
            Some("{\"compatibility\":"),
            Some(common::SR_CONTENT_TYPE),
        )
        .await;
    assert_eq!((status, v["error_code"].clone()), (400, json!(400)));
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (id, id2) = {
        let server = Server::start_in(dir.path());
        let (_, v) = server
            .post("/subjects/a/versions", &json!({"schema": "\"string\""}))
            .await;
        let (_, v2) = server
            .post("/subjects/b/versions", &json!({"schema": "\"long\""}))
            .await;
        server
            .put("/config/a", &json!({"compatibility": "FULL"}))
            .await;
        assert_eq!(server.delete("/subjects/b").await.0, 200);
        server.put("/mode/b", &json!({"mode": "READONLY"})).await;
        (v["id"].clone(), v2["id"].clone())
    };
    let server = Server::start_in(dir.path());
    let (status, v) = server.get("/subjects/a/versions/latest").await;
    assert_eq!(status, 200);
    assert_eq!(v["id"], id);
    assert_eq!(
        server.get("/config/a").await.1["compatibilityLevel"],
        "FULL"
    );
    assert_eq!(server.get("/mode/b").await.1["mode"], "READONLY");
    // The soft-deleted subject is hidden but its ID still resolves.
    assert_eq!(server.get("/subjects").await.1, json!(["a"]));
    assert_eq!(server.get(&format!("/schemas/ids/{id2}")).await.0, 200);
    // A new schema gets the next ID, never a used one.
    let (_, v3) = server
        .post("/subjects/c/versions", &json!({"schema": "\"double\""}))
        .await;
    assert!(v3["id"].as_i64() > id2.as_i64());
}

/// A permanently deleted schema's ID is never handed out again, also after a restart (the
/// store keeps the value a tombstone deleted, as an uncompacted log would).
#[tokio::test]
async fn hard_deleted_ids_are_not_reused_after_a_restart() {
    let mut first = Server::start();
    for (subject, schema) in [("a", "\"string\""), ("b", "\"int\"")] {
        let (s, v) = first
            .post(
                &format!("/subjects/{subject}/versions"),
                &json!({ "schema": schema }),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, _) = first.delete("/subjects/b").await;
    assert_eq!(s, 200);
    let (s, _) = first.delete("/subjects/b?permanent=true").await;
    assert_eq!(s, 200);
    first.kill9();
    let second = Server::start_in(&first.dir);
    let (s, _) = second.get("/schemas/ids/2").await;
    assert_eq!(s, 404);
    let (s, v) = second
        .post("/subjects/c/versions", &json!({ "schema": "\"long\"" }))
        .await;
    assert_eq!((s, &v["id"]), (200, &json!(3)), "{v}");
}

#[tokio::test]
async fn health_endpoints() {
    let server = Server::start();
    let (s, v) = server.get("/health/live").await;
    assert_eq!((s, v), (200, json!({"status": "UP"})));
    let (s, v) = server.get("/health/ready").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "UP");
}

/// `GET /v1/metadata/deployment` (Confluent 8, `ServerMetadataResource`): the deployment
/// attributes, none in an open registry (`Props.getSchemaRegistryDeployment` with the
/// property unset gives an empty list, serialized as `[]` under `NON_NULL`).
#[tokio::test]
async fn server_metadata_deployment() {
    let server = Server::start();
    let (s, v) = server.get("/v1/metadata/deployment").await;
    assert_eq!((s, v), (200, json!({"attributes": []})));
}

/// `GET /contexts` filters by `contextPrefix`, then pages (Confluent 8.3's
/// `ContextsResource.listContexts`: `startsWith` on the context name, then `skip(offset)` and
/// `limit`; a `limit` of 0 or less is the default, unlimited).
#[tokio::test]
async fn contexts_filter_by_prefix_and_page() {
    let server = Server::start();
    for s in [":.team-a:x", ":.team-b:x", ":.other:x"] {
        let (status, v) = server
            .post(
                &format!("/subjects/{s}/versions"),
                &json!({ "schema": "\"int\"" }),
            )
            .await;
        assert_eq!(status, 200, "{s}: {v}");
    }
    for (query, want) in [
        ("", json!([".", ".other", ".team-a", ".team-b"])),
        ("?contextPrefix=.team", json!([".team-a", ".team-b"])),
        (
            "?contextPrefix=",
            json!([".", ".other", ".team-a", ".team-b"]),
        ),
        ("?contextPrefix=.team&offset=1", json!([".team-b"])),
        ("?offset=1&limit=2", json!([".other", ".team-a"])),
        ("?limit=0", json!([".", ".other", ".team-a", ".team-b"])),
        ("?contextPrefix=nothing", json!([])),
    ] {
        let (status, v) = server.get(&format!("/contexts{query}")).await;
        assert_eq!((status, v), (200, want), "{query}");
    }
    let (status, _) = server.get("/contexts?limit=x").await;
    assert_eq!(status, 404);
}

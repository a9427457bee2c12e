//! `offset` and `limit` on the lists Confluent 8.3.1 pages (notes: docs/notes/responses-8x.md
//! §3): `GET /subjects/{s}/versions` (`SubjectVersionsResource.listVersions`),
//! `/schemas/ids/{id}/subjects` and `/versions` (`SchemasResource`), `referencedby`; the
//! schema lists (`GET /schemas`, `referencedby`) take at most 1000 and answer 1000 when no
//! limit or a larger one is asked (`AbstractSchemaRegistry.normalizeSchemaLimit`);
//! `referencedby` leaves out referrers no live version holds unless `deleted=true`
//! (`getReferencedBy`). A limit that is not an int leaves the route unmatched (404).

mod common;

use common::Server;
use serde_json::json;

fn record(name: &str, field: &str) -> String {
    format!(
        r#"{{"type":"record","name":"{name}","fields":[{{"name":"{field}","type":"int","default":0}}]}}"#
    )
}

#[tokio::test]
async fn lists_are_paged_and_schema_lists_capped() {
    let server = Server::start();
    for i in 0..4 {
        let (status, v) = server
            .post(
                "/subjects/s/versions",
                &json!({"schema": record("R", &format!("f{i}"))}),
            )
            .await;
        assert_eq!(status, 200, "{v}");
    }
    assert_eq!(
        server.get("/subjects/s/versions?offset=1&limit=2").await,
        (200, json!([2, 3]))
    );
    assert_eq!(server.get("/subjects/s/versions?limit=x").await.0, 404);

    // One ID under three subjects.
    for s in ["a", "b", "c"] {
        let (status, v) = server
            .post(
                &format!("/subjects/{s}/versions"),
                &json!({"schema": "\"string\""}),
            )
            .await;
        assert_eq!(status, 200, "{v}");
    }
    let (_, v) = server.get("/subjects/a/versions/1").await;
    let id = v["id"].as_i64().expect("id");
    assert_eq!(
        server
            .get(&format!("/schemas/ids/{id}/subjects?offset=1&limit=1"))
            .await,
        (200, json!(["b"]))
    );
    assert_eq!(
        server
            .get(&format!("/schemas/ids/{id}/versions?offset=2"))
            .await,
        (200, json!([{"subject": "c", "version": 1}]))
    );

    // More than 1000 schemas: GET /schemas answers at most 1000.
    for i in 0..1000 {
        let (status, v) = server
            .post(
                &format!("/subjects/many-{i}/versions"),
                &json!({"schema": record(&format!("M{i}"), "x")}),
            )
            .await;
        assert_eq!(status, 200, "{v}");
    }
    let count = |v: serde_json::Value| v.as_array().map_or(0, Vec::len);
    assert_eq!(count(server.get("/schemas").await.1), 1000);
    assert_eq!(count(server.get("/schemas?limit=5000").await.1), 1000);
    assert_eq!(count(server.get("/schemas?limit=7").await.1), 7);
    assert_eq!(count(server.get("/schemas?offset=1000").await.1), 7);
}

#[tokio::test]
async fn referencedby_leaves_out_soft_deleted_referrers_unless_asked() {
    let server = Server::start();
    let dep = r#"{"type":"record","name":"Dep","fields":[{"name":"d","type":"int"}]}"#;
    let (status, v) = server
        .post("/subjects/dep/versions", &json!({"schema": dep}))
        .await;
    assert_eq!(status, 200, "{v}");
    let mut ids = Vec::new();
    for s in ["r1", "r2"] {
        let body = json!({
            "schema": format!(r#"{{"type":"record","name":"{s}","fields":[{{"name":"x","type":"Dep"}}]}}"#),
            "references": [{"name": "Dep", "subject": "dep", "version": 1}],
        });
        let (status, v) = server.post(&format!("/subjects/{s}/versions"), &body).await;
        assert_eq!(status, 200, "{v}");
        ids.push(v["id"].as_i64().expect("id"));
    }
    let path = "/subjects/dep/versions/1/referencedby";
    assert_eq!(server.get(path).await, (200, json!(ids)));
    assert_eq!(
        server.get(&format!("{path}?offset=1")).await,
        (200, json!([ids[1]]))
    );
    let (status, _) = server.delete("/subjects/r1").await;
    assert_eq!(status, 200);
    assert_eq!(server.get(path).await, (200, json!([ids[1]])));
    assert_eq!(
        server.get(&format!("{path}?deleted=true")).await,
        (200, json!(ids))
    );
}

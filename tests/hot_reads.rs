//! The hot reads answered before the router (`src/http/fast.rs`): `GET /schemas/ids/{id}`
//! and `GET /subjects/{s}/versions/{v}` without a query. A request with an empty query
//! (`?`) takes the router instead, so each answer is checked against the routed one: same
//! status, content type and bytes, a request ID on both, the client's own kept. The bytes
//! kept per ID must follow every change of the answer (soft delete of the version, of the
//! subject, permanent delete), as `SchemasResource.getSchema` reads the stored version
//! each time (7.9 and 8.3.1 `core/.../rest/resources/SchemasResource.java`).

mod common;

use common::Server;
use serde_json::{json, Value};

/// Status, content type, request ID and body of a GET.
async fn raw(s: &Server, path: &str, request_id: Option<&str>) -> (u16, String, String, Vec<u8>) {
    let mut req = s.client.get(format!("{}{path}", s.url));
    if let Some(id) = request_id {
        req = req.header("X-Request-ID", id);
    }
    let resp = req.send().await.expect("GET");
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (ct, rid) = (header("content-type"), header("x-request-id"));
    let body = resp.bytes().await.expect("body").to_vec();
    (status, ct, rid, body)
}

/// The fast answer and the routed one agree; returns the body as JSON.
async fn same_both_ways(s: &Server, path: &str) -> (u16, Value) {
    let (fs, fct, frid, fbody) = raw(s, path, None).await;
    let (rs, rct, rrid, rbody) = raw(s, &format!("{path}?"), None).await;
    assert_eq!(fs, rs, "{path}: status");
    assert_eq!(fct, rct, "{path}: content type");
    assert_eq!(
        String::from_utf8_lossy(&fbody),
        String::from_utf8_lossy(&rbody),
        "{path}: body"
    );
    assert!(
        !frid.is_empty() && !rrid.is_empty() && frid != rrid,
        "{path}: request IDs"
    );
    (fs, serde_json::from_slice(&fbody).unwrap_or(Value::Null))
}

fn record(name: &str) -> String {
    json!({"type": "record", "name": name, "fields": [{"name": "a", "type": "int"}]}).to_string()
}

#[tokio::test]
async fn answers_before_the_router_are_the_routed_ones() {
    let s = Server::start();
    let (st, _) = s
        .put("/config/hot-a", &json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(st, 200);
    let (st, v) = s
        .post("/subjects/hot-a/versions", &json!({"schema": record("A")}))
        .await;
    assert_eq!(st, 200, "{v}");
    let id = v["id"].as_i64().expect("id");
    let meta = json!({"schema": record("B"), "metadata": {"properties": {"owner": "x"}}});
    let (st, v) = s.post("/subjects/hot-a/versions", &meta).await;
    assert_eq!(st, 200, "{v}");
    let (st, _) = s
        .post("/subjects/hot-b/versions", &json!({"schema": record("A")}))
        .await;
    assert_eq!(st, 200);

    let (st, by_id) = same_both_ways(&s, &format!("/schemas/ids/{id}")).await;
    assert_eq!(st, 200);
    assert_eq!(by_id["schema"], record("A"));
    assert!(by_id.get("subject").is_none() && by_id.get("version").is_none());
    // The second read comes from the kept bytes.
    same_both_ways(&s, &format!("/schemas/ids/{id}")).await;
    for path in [
        "/subjects/hot-a/versions/1",
        "/subjects/hot-a/versions/2",
        "/subjects/hot-a/versions/latest",
        "/subjects/hot-a/versions/-1",
        "/subjects/hot-b/versions/1",
    ] {
        let (st, v) = same_both_ways(&s, path).await;
        assert_eq!(st, 200, "{path}: {v}");
    }
    // Misses go to the router and get its errors.
    for (path, code) in [
        ("/schemas/ids/999", 40403),
        ("/subjects/nope/versions/1", 40401),
        ("/subjects/hot-a/versions/9", 40402),
    ] {
        let (st, v) = same_both_ways(&s, path).await;
        assert_eq!((st, v["error_code"].as_i64()), (404, Some(code)), "{path}");
    }
    // The client's request ID is returned as sent.
    let (_, _, rid, _) = raw(&s, &format!("/schemas/ids/{id}"), Some("trace-42")).await;
    assert_eq!(rid, "trace-42");
    // Counted under the route template, as the router's answers are.
    let (_, text) = common::send(&s.client, &s.url, "GET", "/metrics", None, None)
        .await
        .expect("metrics");
    let counted: f64 = text
        .lines()
        .filter(|l| {
            l.starts_with("schema_registry_http_requests_total{")
                && l.contains(r#"route="/schemas/ids/{id}""#)
                && l.contains(r#"status="200""#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(
        counted >= 5.0,
        "GET /schemas/ids/{{id}} counted {counted} times:\n{text}"
    );
}

#[tokio::test]
async fn the_kept_answer_follows_deletes() {
    let s = Server::start();
    let (_, v) = s
        .post("/subjects/del-a/versions", &json!({"schema": record("D")}))
        .await;
    let id = v["id"].as_i64().expect("id");
    let path = format!("/schemas/ids/{id}");
    let (_, before) = same_both_ways(&s, &path).await;
    assert_eq!(before["deleted"], json!(false));

    // A soft-deleted version still answers its ID, marked deleted.
    let (st, _) = s.delete("/subjects/del-a/versions/1").await;
    assert_eq!(st, 200);
    let (st, after) = same_both_ways(&s, &path).await;
    assert_eq!((st, &after["deleted"]), (200, &json!(true)), "{after}");

    // So does one whose whole subject was soft-deleted.
    let (_, v) = s
        .post("/subjects/del-b/versions", &json!({"schema": record("E")}))
        .await;
    let other = format!("/schemas/ids/{}", v["id"].as_i64().expect("id"));
    same_both_ways(&s, &other).await;
    let (st, v) = same_both_ways(&s, "/subjects/del-b/versions/latest").await;
    assert_eq!((st, &v["deleted"]), (200, &json!(false)), "{v}");
    let (st, _) = s.delete("/subjects/del-b").await;
    assert_eq!(st, 200);
    let (st, v) = same_both_ways(&s, &other).await;
    assert_eq!((st, &v["deleted"]), (200, &json!(true)), "{v}");
    // The version's kept answer is not served once the subject is deleted.
    for path in [
        "/subjects/del-b/versions/latest",
        "/subjects/del-b/versions/1",
    ] {
        let (st, v) = same_both_ways(&s, path).await;
        assert_eq!(st, 404, "{path}: {v}");
    }
    let (st, v) = s.get("/subjects/del-b/versions/1?deleted=true").await;
    assert_eq!((st, &v["deleted"]), (200, &json!(true)), "{v}");

    // Permanently deleted: gone both ways.
    let (st, _) = s.delete("/subjects/del-a/versions/1?permanent=true").await;
    assert_eq!(st, 200);
    let (st, v) = same_both_ways(&s, &path).await;
    assert_eq!((st, v["error_code"].as_i64()), (404, Some(40403)), "{v}");
}

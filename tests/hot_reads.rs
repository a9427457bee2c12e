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
    parts(req.send().await.expect("GET")).await
}

/// Status, content type, request ID and body of an answer.
async fn parts(resp: reqwest::Response) -> (u16, String, String, Vec<u8>) {
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (ct, rid) = (header("content-type"), header("x-request-id"));
    (status, ct, rid, resp.bytes().await.expect("body").to_vec())
}

/// The fast answer and the routed one agree; returns the body as JSON.
async fn same_both_ways(s: &Server, path: &str) -> (u16, Value) {
    let fast = raw(s, path, None).await;
    let routed = raw(s, &format!("{path}?"), None).await;
    agree(path, &fast, &routed);
    (
        fast.0,
        serde_json::from_slice(&fast.3).unwrap_or(Value::Null),
    )
}

/// The fast answer and the routed one: same status, content type and bytes, each with a
/// request ID of its own.
fn agree(
    what: &str,
    fast: &(u16, String, String, Vec<u8>),
    routed: &(u16, String, String, Vec<u8>),
) {
    let ((fs, fct, frid, fbody), (rs, rct, rrid, rbody)) = (fast, routed);
    assert_eq!(fs, rs, "{what}: status");
    assert_eq!(fct, rct, "{what}: content type");
    assert_eq!(
        String::from_utf8_lossy(fbody),
        String::from_utf8_lossy(rbody),
        "{what}: body"
    );
    assert!(
        !frid.is_empty() && !rrid.is_empty() && frid != rrid,
        "{what}: request IDs"
    );
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

/// Status, content type, request ID and body of a POST with a raw body and content type.
async fn raw_post(s: &Server, path: &str, ct: &str, body: &str) -> (u16, String, String, Vec<u8>) {
    let resp = s
        .client
        .post(format!("{}{path}", s.url))
        .header("Content-Type", ct)
        .body(body.to_string())
        .send()
        .await
        .expect("POST");
    parts(resp).await
}

/// `POST /subjects/{s}` (lookup) read before the router agrees with the routed answer (an
/// empty query forces the router) for found schemas and for every way a lookup fails,
/// which the fast path hands to the router with the bytes it read
/// (`SubjectVersionsResource.lookUpSchemaUnderSubject`, 7.9 and 8.3.1
/// `core/.../rest/resources/SubjectsResource.java`).
#[tokio::test]
async fn lookups_before_the_router_are_the_routed_ones() {
    let s = Server::start();
    let body = json!({"schema": record("L")}).to_string();
    let (st, v) = s
        .post("/subjects/hot-l/versions", &json!({"schema": record("L")}))
        .await;
    assert_eq!(st, 200, "{v}");
    let ct = "application/vnd.schemaregistry.v1+json";
    let unknown = json!({"schema": record("Other")}).to_string();
    let with_refs = json!({"schema": record("L"), "references": [{"name": "x", "subject": "nope", "version": 1}]}).to_string();
    let cases: Vec<(&str, &str, String, u16)> = vec![
        ("/subjects/hot-l", ct, body.clone(), 200),
        ("/subjects/hot-l", "application/json", body.clone(), 200),
        ("/subjects/hot-l", ct, unknown, 404),
        ("/subjects/no-such-subject", ct, body.clone(), 404),
        ("/subjects/hot-l", ct, "{not json".into(), 400),
        ("/subjects/hot-l", ct, String::new(), 422),
        ("/subjects/hot-l", ct, "[1]".into(), 400),
        ("/subjects/hot-l", ct, with_refs, 422),
        ("/subjects/hot-l", "text/plain", body.clone(), 415),
    ];
    for (path, ct, body, want) in cases {
        let fast = raw_post(&s, path, ct, &body).await;
        let routed = raw_post(&s, &format!("{path}?"), ct, &body).await;
        let what = format!("{path} {ct} {body}");
        assert_eq!(fast.0, want, "{what}: {}", String::from_utf8_lossy(&fast.3));
        agree(&what, &fast, &routed);
    }
}

/// A lookup body that does not arrive in time is answered 408 by the fast path, as the
/// extractor answers it (`--request-body-timeout-ms`).
#[tokio::test]
async fn a_stalled_lookup_body_times_out() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = Server::builder()
        .args(["--request-body-timeout-ms", "300"])
        .start();
    let addr = s.url.trim_start_matches("http://").to_string();
    let mut c = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    c.write_all(
        b"POST /subjects/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"sch",
    )
    .await
    .expect("write");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while !out.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = c.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed without an answer");
        out.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&out);
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
}

//! The committed spec must match the one generated from the handlers, and the server must
//! serve it. Regenerate with `UPDATE_OPENAPI=1 cargo test --test openapi`.

mod common;

const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

#[test]
fn committed_spec_matches_the_code() {
    let generated = schema_registry::http::openapi::spec_json();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(SPEC_PATH, &generated).expect("write openapi/openapi.json");
    }
    let committed = std::fs::read_to_string(SPEC_PATH).expect("read openapi/openapi.json");
    assert!(
        committed == generated,
        "openapi/openapi.json drifted from the code; run UPDATE_OPENAPI=1 cargo test --test openapi"
    );
    let v: serde_json::Value = serde_json::from_str(&committed).expect("spec is JSON");
    assert!(v["openapi"].as_str().is_some_and(|s| s.starts_with("3.")));
    assert!(v["paths"]["/subjects/{subject}/versions"]["post"].is_object());
}

#[tokio::test]
async fn server_serves_the_spec() {
    let server = common::Server::start();
    let (status, served) = server.get("/openapi.json").await;
    assert_eq!(status, 200);
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(SPEC_PATH).expect("read spec"))
            .expect("json");
    assert_eq!(served, committed);
}

/// The spec covers the operational routes (`/metrics`, `/health/*`, `/openapi.json`) and
/// Confluent's `/contexts/{context}/…` forms, and every GET it describes is a route the
/// server has: none answers the router's unmatched-route 404 (`HTTP 404 Not Found`, where
/// a missing subject or ID is 40401/40403). The `/ui` pages are not API and not described.
#[tokio::test]
async fn every_described_get_is_routed() {
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(SPEC_PATH).expect("read spec"))
            .expect("json");
    let paths = spec["paths"].as_object().expect("paths");
    for must in [
        "/metrics",
        "/health/live",
        "/health/ready",
        "/openapi.json",
        "/contexts/{context}/subjects",
        "/contexts/{context}/subjects/{subject}/versions/{version}",
        "/contexts/{context}/schemas/ids/{id}",
        "/contexts/{context}/config/{subject}",
        "/contexts/{context}/mode",
        "/contexts/{context}/compatibility/subjects/{subject}/versions/{version}",
    ] {
        assert!(paths.contains_key(must), "{must} is not described");
    }
    assert!(!paths.keys().any(|p| p.starts_with("/ui")));
    let server = common::Server::start();
    let (status, _) = server
        .post(
            "/subjects/s/versions",
            &serde_json::json!({"schema": "\"string\""}),
        )
        .await;
    assert_eq!(status, 200);
    let mut checked = 0;
    for (path, item) in paths {
        if item.get("get").is_none() {
            continue;
        }
        let concrete = path
            .replace("{context}", ".ctx")
            .replace("{subject}", "s")
            .replace("{version}", "1")
            .replace("{id}", "1")
            .replace("{guid}", "00000000-0000-0000-0000-000000000000")
            .replace("{name}", "n")
            .replace("{namespace}", "ns");
        assert!(!concrete.contains('{'), "an unfilled parameter in {path}");
        let (status, body) = server.get(&concrete).await;
        let unrouted = status == 404 && body["message"] == "HTTP 404 Not Found";
        assert!(
            !unrouted,
            "{path} ({concrete}) is described but not routed: {body}"
        );
        checked += 1;
    }
    assert!(checked > 40, "{checked}");
}

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

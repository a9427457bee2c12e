//! `/`, `/v1/metadata/*`, `/schemas/types`, `/contexts`.

use super::extract::Body;
use super::{ok, AppState};
use crate::error::RegistryError;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root).post(root_post))
        .route("/v1/metadata/id", get(metadata_id))
        .route("/v1/metadata/version", get(metadata_version))
        .route("/schemas/types", get(types))
        .route("/schemas/types/", get(types))
        .route("/contexts", get(contexts))
        .route("/contexts/", get(contexts))
        .route("/__invalid_context", axum::routing::any(invalid_context))
}

async fn root() -> Response {
    ok(json!({}))
}

async fn root_post(_body: Body) -> Response {
    ok(json!({}))
}

async fn metadata_id(State(st): State<AppState>) -> Response {
    ok(json!({
        "scope": {
            "path": [],
            "clusters": {
                "kafka-cluster": st.cluster_id,
                "schema-registry-cluster": "schema-registry"
            }
        }
    }))
}

async fn metadata_version() -> Response {
    ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commitId": option_env!("SR_GIT_COMMIT").unwrap_or("unknown")
    }))
}

async fn types() -> Response {
    ok(json!(["AVRO"]))
}

async fn contexts(State(st): State<AppState>) -> Response {
    ok(json!(st.registry.contexts()))
}

async fn invalid_context() -> RegistryError {
    RegistryError::BadRequest(400, "Context name cannot contain a colon".into())
}

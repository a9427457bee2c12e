//! `/`, `/v1/metadata/*`, `/schemas/types`, `/contexts`.

use super::extract::Body;
#[allow(unused_imports)]
use super::openapi::*;
use super::params::{ContextPrefix, Paging};
use super::{ok, ok_typed, AppState};
use crate::error::RegistryError;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root).post(root_post))
        .route("/v1/metadata/id", get(metadata_id))
        .route("/v1/metadata/version", get(metadata_version))
        .route("/v1/metadata/leader", get(metadata_leader))
        .route("/v1/metadata/deployment", get(metadata_deployment))
        .route("/schemas/types", get(types))
        .route("/contexts", get(contexts))
        .route("/contexts/{context}", axum::routing::delete(delete_context))
        .route("/openapi.json", get(openapi_json))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/__invalid_context", axum::routing::any(invalid_context))
}

#[utoipa::path(
    get,
    path = "/",
    tag = "root",
    responses((status = 200, description = "Empty object", body = Object))
)]
pub(crate) async fn root() -> Response {
    ok(json!({}))
}

#[utoipa::path(
    post,
    path = "/",
    tag = "root",
    request_body(content = Object, description = "Any JSON object (ignored)"),
    responses(
        (status = 200, description = "Empty object", body = Object),
        BodyErrors,
    )
)]
pub(crate) async fn root_post(Body(body): Body) -> Result<Response, RegistryError> {
    // Confluent binds the body to `Map<String, String>` (7.9 and 8.3.1
    // `RootResource.post`) and answers {}: invalid JSON, a non-object, or a value Jackson
    // cannot bind to a String (an object or an array) is 400. The route is open without
    // credentials, so it takes the small limits (64 KiB, 2,000 elements, checked before
    // anything is built): bounded, whoever sends it.
    if let Some(v) = &body {
        let m = crate::contract::object(
            v,
            "java.util.LinkedHashMap<java.lang.String,java.lang.String>",
        )?;
        for value in m.values() {
            crate::contract::string(value)?;
        }
    }
    Ok(ok(json!({})))
}

#[utoipa::path(
    get,
    path = "/v1/metadata/id",
    tag = "root",
    responses((status = 200, description = "Cluster identity", body = Object))
)]
pub(crate) async fn metadata_id(State(st): State<AppState>) -> Response {
    ok(json!({
        "scope": {
            "path": [],
            "clusters": {
                "kafka-cluster": st.cluster_id,
                "schema-registry-cluster": st.registry.group_id()
            }
        }
    }))
}

#[utoipa::path(
    get,
    path = "/v1/metadata/version",
    tag = "root",
    responses((status = 200, description = "Version and commit", body = VersionInfo))
)]
pub(crate) async fn metadata_version() -> Response {
    ok_typed(&VersionInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        commit_id: option_env!("SR_GIT_COMMIT")
            .unwrap_or("unknown")
            .to_string(),
    })
}

/// Confluent 8's `ServerMetadataResource.getSchemaRegistryDeployment`: the attributes of
/// `schema.registry.metadata.deployment.attributes`, which nothing in the open registry sets
/// (Confluent's own plugins do), so the list is empty.
#[utoipa::path(
    get,
    path = "/v1/metadata/deployment",
    tag = "root",
    responses((status = 200, description = "Deployment attributes (none)", body = Deployment))
)]
pub(crate) async fn metadata_deployment() -> Response {
    ok_typed(&Deployment {
        attributes: Vec::new(),
    })
}

#[utoipa::path(
    get,
    path = "/v1/metadata/leader",
    tag = "root",
    responses((status = 200, description = "This node's role, URL, and the leader's URL and epoch", body = LeaderInfo))
)]
pub(crate) async fn metadata_leader(State(st): State<AppState>) -> Response {
    let (me, leader, epoch) = st.registry.leadership();
    let role = match st.registry.role() {
        crate::registry::Role::Leader(_) => "LEADER",
        crate::registry::Role::Follower(_) => "FOLLOWER",
    };
    ok_typed(&LeaderInfo {
        role: role.to_string(),
        url: me,
        leader,
        epoch,
    })
}

#[utoipa::path(
    get,
    path = "/schemas/types",
    tag = "root",
    responses((status = 200, description = "Supported schema types", body = [String]))
)]
pub(crate) async fn types() -> Response {
    ok_typed(&crate::schema::supported_types())
}

/// Confluent 8's `ContextsResource.listContexts`: the contexts starting with `contextPrefix`
/// (when not empty), then `offset` and `limit`.
#[utoipa::path(
    get,
    path = "/contexts",
    tag = "root",
    params(ContextPrefix, Paging),
    responses(
        (status = 200, description = "Contexts in use", body = [String]),
        (status = 404, description = "offset or limit is not an int (Jersey leaves the request unmatched)", body = ErrorBody),
    )
)]
pub(crate) async fn contexts(
    State(st): State<AppState>,
    prefix: ContextPrefix,
    paging: Paging,
) -> Response {
    let prefix = prefix.context_prefix.unwrap_or_default();
    let page: Vec<String> = st
        .registry
        .contexts()
        .into_iter()
        .filter(|c| c.starts_with(&prefix))
        .skip(paging.offset)
        .take(paging.limit)
        .collect();
    ok_typed(&page)
}

/// Confluent 8.1's `ContextsResource.deleteContext`: the context named as `.ctx`, `ctx` or
/// `:.ctx:` (`ContextFilter` and `QualifiedSubject.normalizeContext`); the default context
/// is no route (404).
#[utoipa::path(
    delete,
    path = "/contexts/{context}",
    tag = "root",
    params(("context" = String, Path, description = "The context: `.ctx`, `ctx` or `:.ctx:`")),
    responses(
        (status = 204, description = "Deleted (also when it did not exist); GET /contexts no longer lists it"),
        (status = 404, description = "The default context (no such route)", body = ErrorBody),
        (status = 422, description = "42211 the context still has versions (soft-deleted ones count)", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_context(
    State(st): State<AppState>,
    axum::extract::Path(raw): axum::extract::Path<String>,
) -> Result<Response, RegistryError> {
    let inner = match raw.strip_prefix(':') {
        Some(rest) => rest.strip_suffix(':').unwrap_or(rest),
        None => raw.as_str(),
    };
    let ctx = if inner.starts_with('.') {
        inner.to_string()
    } else {
        format!(".{inner}")
    };
    if ctx == crate::model::DEFAULT_CONTEXT || ctx.contains(':') {
        return Err(RegistryError::BadRequest(404, "HTTP 404 Not Found".into()));
    }
    st.registry.delete_context(&ctx).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    get,
    path = "/health/live",
    tag = "health",
    responses((status = 200, description = "The process serves requests", body = Health))
)]
pub(crate) async fn live() -> Response {
    ok_typed(&Health {
        status: "UP".to_string(),
        applied_offset: None,
        log_end_offset: None,
    })
}

#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "health",
    responses(
        (status = 200, description = "Caught up with the log (with --auth-users-file, the offsets only for an authenticated caller)", body = Health),
        (status = 503, description = "Behind the log", body = Health)
    )
)]
pub(crate) async fn ready(
    State(st): State<AppState>,
    caller: Option<axum::Extension<crate::auth::Principal>>,
) -> Response {
    let r = st.registry.readiness();
    let status = if r.caught_up { "UP" } else { "DOWN" };
    // The probe stays open; the log's offsets are for authenticated callers only.
    let offsets = !(st.auth.is_some() && caller.is_none());
    let body = Health {
        status: status.to_string(),
        applied_offset: offsets.then_some(r.applied),
        log_end_offset: offsets.then_some(r.log_end),
    };
    if r.caught_up {
        ok_typed(&body)
    } else {
        super::error::unavailable_typed(&body)
    }
}

async fn invalid_context() -> RegistryError {
    super::error::bad_request("Context name cannot contain a colon")
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    responses((status = 200, description = "This description of the API (OpenAPI 3.1)", body = Object, content_type = "application/vnd.schemaregistry.v1+json"))
)]
pub(crate) async fn openapi_json() -> Response {
    super::ok_raw(super::openapi::spec_json())
}

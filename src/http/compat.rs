//! `/compatibility/subjects/{subject}/versions[/{version}]`.

use super::extract::{schema_request, Body, Query, SCHEMA_BODY};
#[allow(unused_imports)]
use super::openapi::*;
use super::subjects::Params;
use super::{ok, AppState};
use crate::error::RegistryError;
use crate::registry::VersionSpec;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(check_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(check_one),
        )
}

async fn check(
    st: AppState,
    p: Params,
    spec: Option<VersionSpec>,
    q: Option<String>,
    body: Option<serde_json::Value>,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let body = body.ok_or_else(|| {
        RegistryError::BadRequest(
            422,
            "testCompatibilityBySubjectName.arg4 must not be null (was null)".into(),
        )
    })?;
    let req = schema_request(&body)?;
    let verbose = q.flag("verbose");
    let r =
        st.registry
            .check_compatibility(&p.subject(), spec, &req, q.flag("normalize"), verbose)?;
    Ok(if verbose {
        ok(json!({ "is_compatible": r.compatible, "messages": r.messages }))
    } else {
        ok(json!({ "is_compatible": r.compatible }))
    })
}

#[utoipa::path(
    post,
    path = "/compatibility/subjects/{subject}/versions",
    operation_id = "check_compatibility_all",
    tag = "compatibility",
    request_body(content = RegisterSchemaRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    params(
        ("subject" = String, Path, description = "Subject, optionally qualified with a context as :.ctx:name"),
        ("verbose" = Option<bool>, Query, description = "Include messages"),
        ("normalize" = Option<bool>, Query, description = "Normalize first"),
    ),
    responses(
        (status = 200, description = "Verdict against the versions the level requires", body = CompatibilityCheckResponse),
        BodyErrors,
        (status = 404, description = "40401 subject not found", body = ErrorBody),
        (status = 422, description = "42201 invalid schema (or no body)", body = ErrorBody),
    )
)]
pub(crate) async fn check_all(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
    Body(body): Body<SCHEMA_BODY>,
) -> Result<Response, RegistryError> {
    check(st, p, None, q, body).await
}

#[utoipa::path(
    post,
    path = "/compatibility/subjects/{subject}/versions/{version}",
    operation_id = "check_compatibility_version",
    tag = "compatibility",
    request_body(content = RegisterSchemaRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    params(
        ("subject" = String, Path, description = "Subject, optionally qualified with a context as :.ctx:name"),
        ("version" = String, Path, pattern = "^(latest|-1|[1-9][0-9]{0,8})$", description = "Version: a number from 1, `latest` (any case) or -1 (latest)"),
        ("verbose" = Option<bool>, Query, description = "Include messages"),
        ("normalize" = Option<bool>, Query, description = "Normalize first"),
    ),
    responses(
        (status = 200, description = "Verdict against one version", body = CompatibilityCheckResponse),
        BodyErrors,
        (status = 404, description = "40401 subject not found, 40402 version not found", body = ErrorBody),
        (status = 422, description = "42201 invalid schema (or no body), 42202 invalid version", body = ErrorBody),
    )
)]
pub(crate) async fn check_one(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
    Body(body): Body<SCHEMA_BODY>,
) -> Result<Response, RegistryError> {
    let spec = VersionSpec::parse(p.get(1), true)?;
    check(st, p, Some(spec), q, body).await
}

//! `/compatibility/subjects/{subject}/versions[/{version}]`.

use super::extract::{schema_request, Body, SCHEMA_BODY};
#[allow(unused_imports)]
use super::openapi::*;
use super::params::{NamePath, Normalize, SubjectVersionPath, Verbose};
use super::{ok_typed, AppState};
use crate::error::RegistryError;
use crate::model::Subject;
use crate::registry::VersionSpec;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;

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
    subject: Subject,
    spec: Option<VersionSpec>,
    Normalize { normalize }: Normalize,
    Verbose { verbose }: Verbose,
    body: serde_json::Value,
) -> Result<Response, RegistryError> {
    let req = schema_request(&body)?;
    let subject = st.registry.alias_target(&subject);
    // On the write lane (`lane.rs`): a check parses and compares, like a registration.
    let registry = st.registry.clone();
    let r = super::lane::run(&st.writes, async move {
        registry.check_compatibility(&subject, spec, &req, normalize, verbose)
    })
    .await?;
    Ok(ok_typed(&CompatibilityCheckResponse {
        is_compatible: r.compatible,
        messages: verbose.then_some(r.messages),
    }))
}

#[utoipa::path(
    post,
    path = "/compatibility/subjects/{subject}/versions",
    operation_id = "check_compatibility_all",
    tag = "compatibility",
    request_body(content = RegisterSchemaRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    params(
        NamePath,
        Verbose,
        Normalize,
    ),
    responses(
        (status = 200, description = "Verdict against the versions the level requires", body = CompatibilityCheckResponse),
        BodyErrors,
        (status = 404, description = "40402 version not found (a subject without live versions is compatible at `latest`)", body = ErrorBody),
        (status = 422, description = "42201 invalid schema (or no body)", body = ErrorBody),
    )
)]
pub(crate) async fn check_all(
    State(st): State<AppState>,
    p: NamePath,
    normalize: Normalize,
    verbose: Verbose,
    Body(body): Body<SCHEMA_BODY>,
) -> Result<Response, RegistryError> {
    // The null body is refused by bean validation, named as Jersey names the parameter.
    let body = body.ok_or_else(|| {
        super::error::unprocessable("testCompatibilityForSubject.arg3 must not be null (was null)")
    })?;
    check(st, p.subject(), None, normalize, verbose, body).await
}

#[utoipa::path(
    post,
    path = "/compatibility/subjects/{subject}/versions/{version}",
    operation_id = "check_compatibility_version",
    tag = "compatibility",
    request_body(content = RegisterSchemaRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    params(
        SubjectVersionPath,
        Verbose,
        Normalize,
    ),
    responses(
        (status = 200, description = "Verdict against one version", body = CompatibilityCheckResponse),
        BodyErrors,
        (status = 404, description = "40402 version not found (`latest` of a subject without live versions is compatible)", body = ErrorBody),
        (status = 422, description = "42201 invalid schema (or no body), 42202 invalid version", body = ErrorBody),
    )
)]
pub(crate) async fn check_one(
    State(st): State<AppState>,
    p: SubjectVersionPath,
    normalize: Normalize,
    verbose: Verbose,
    Body(body): Body<SCHEMA_BODY>,
) -> Result<Response, RegistryError> {
    // The body (bean validation) before the version, which the method parses.
    let body = body.ok_or_else(|| {
        super::error::unprocessable(
            "testCompatibilityBySubjectName.arg4 must not be null (was null)",
        )
    })?;
    let spec = p.spec(true)?;
    check(st, p.subject(), Some(spec), normalize, verbose, body).await
}

//! `/exporters/...`: Confluent's schema linking API (definitions, status, config, pause,
//! resume, reset). The work itself is in `crate::exporter`.

use super::extract::Body;
#[allow(unused_imports)]
use super::openapi::*;
use super::params::ExporterPath;
use super::{ok_typed, AppState};
use crate::error::RegistryError;
use crate::exporter::{self, ExporterRequest};
use crate::registry::ExporterAction;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, put};
use axum::Router;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/exporters", get(list).post(create))
        .route("/exporters/{name}", get(info).put(update).delete(delete))
        .route("/exporters/{name}/status", get(status))
        .route("/exporters/{name}/config", get(get_config).put(put_config))
        .route("/exporters/{name}/pause", put(pause))
        .route("/exporters/{name}/resume", put(resume))
        .route("/exporters/{name}/reset", put(reset))
}

fn parse_request(body: Option<Value>) -> Result<ExporterRequest, RegistryError> {
    let v = body.unwrap_or_else(|| json!({}));
    serde_json::from_value(v)
        .map_err(|e| super::error::unprocessable(format!("Invalid exporter request: {e}")))
}

fn parse_config(body: Option<Value>) -> Result<BTreeMap<String, String>, RegistryError> {
    let v = body.unwrap_or_else(|| json!({}));
    serde_json::from_value(v).map_err(|e| {
        super::error::unprocessable(format!(
            "Invalid exporter config: expected an object of strings: {e}"
        ))
    })
}

fn name_answer(name: &str) -> Response {
    ok_typed(&ExporterName {
        name: name.to_string(),
    })
}

#[utoipa::path(
    get,
    path = "/exporters",
    operation_id = "list_exporters",
    tag = "exporters",
    responses((status = 200, description = "Exporter names", body = [String]))
)]
pub(crate) async fn list(State(st): State<AppState>) -> Response {
    ok_typed(&st.registry.exporter_names())
}

#[utoipa::path(
    post,
    path = "/exporters",
    operation_id = "create_exporter",
    tag = "exporters",
    request_body = ExporterRequest,
    responses(
        (status = 200, description = "Created (and running)", body = ExporterName, links(
            ("Exporter" = (operation_id = "get_exporter", parameters(("name" = "$response.body#/name")))),
            ("Status" = (operation_id = "get_exporter_status", parameters(("name" = "$response.body#/name")))),
            ("Config" = (operation_id = "get_exporter_config", parameters(("name" = "$response.body#/name")))),
            ("Pause" = (operation_id = "pause_exporter", parameters(("name" = "$response.body#/name")))),
            ("Resume" = (operation_id = "resume_exporter", parameters(("name" = "$response.body#/name")))),
            ("Reset" = (operation_id = "reset_exporter", parameters(("name" = "$response.body#/name")))),
            ("Update" = (operation_id = "update_exporter", parameters(("name" = "$response.body#/name")))),
            ("PutConfig" = (operation_id = "put_exporter_config", parameters(("name" = "$response.body#/name")))),
            ("Delete" = (operation_id = "delete_exporter", parameters(("name" = "$response.body#/name")))),
        )),
        BodyErrors,
        (status = 409, description = "40950 invalid name, 40951 invalid config, 40952 invalid subjects, 40960 exists, 40964 too many", body = ErrorBody),
        (status = 422, description = "A field of the wrong type; 42205 read-only registry", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn create(
    State(st): State<AppState>,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    let mut req = parse_request(body)?;
    let name = req.name.take().unwrap_or_default();
    let mut def = exporter::define(&name, req, None, &st.auto_context)?;
    exporter::protect_config(st.secrets.as_deref(), &name, &mut def.config)?;
    st.registry.create_exporter(def).await?;
    Ok(name_answer(&name))
}

#[utoipa::path(
    get,
    path = "/exporters/{name}",
    operation_id = "get_exporter",
    tag = "exporters",
    params(ExporterPath),
    responses(
        (status = 200, description = "The definition", body = ExporterInfo),
        BadPath,
        (status = 404, description = "40450 not found", body = ErrorBody),
    )
)]
pub(crate) async fn info(
    State(st): State<AppState>,
    p: ExporterPath,
) -> Result<Response, RegistryError> {
    Ok(ok_typed(&ExporterInfo::of(&st.registry.exporter(&p.0)?)))
}

#[utoipa::path(
    put,
    path = "/exporters/{name}",
    operation_id = "update_exporter",
    tag = "exporters",
    params(ExporterPath),
    request_body = ExporterRequest,
    responses(
        (status = 200, description = "Updated", body = ExporterName),
        BodyErrors,
        (status = 404, description = "40450 not found", body = ErrorBody),
        (status = 409, description = "40963 not paused, or an invalid field", body = ErrorBody),
        (status = 422, description = "A field of the wrong type; 42205 read-only registry", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn update(
    State(st): State<AppState>,
    p: ExporterPath,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    let name = p.0.clone();
    let mut req = parse_request(body)?;
    req.name = None;
    let auto = st.auto_context.clone();
    let secrets = st.secrets.clone();
    st.registry
        .update_exporter(&name, |cur| {
            let mut def = exporter::define(&name, req, Some(cur), &auto)?;
            exporter::protect_config(secrets.as_deref(), &name, &mut def.config)?;
            Ok(def)
        })
        .await?;
    Ok(name_answer(&name))
}

#[utoipa::path(
    delete,
    path = "/exporters/{name}",
    operation_id = "delete_exporter",
    tag = "exporters",
    params(ExporterPath),
    responses(
        (status = 204, description = "Deleted"),
        BadPath,
        (status = 404, description = "40450 not found", body = ErrorBody),
        (status = 409, description = "40963 not paused", body = ErrorBody),
        (status = 422, description = "42205 the registry is read-only (--read-only)", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete(
    State(st): State<AppState>,
    p: ExporterPath,
) -> Result<Response, RegistryError> {
    st.registry.delete_exporter(&p.0).await?;
    Ok(super::error::no_content())
}

#[utoipa::path(
    get,
    path = "/exporters/{name}/status",
    operation_id = "get_exporter_status",
    tag = "exporters",
    params(ExporterPath),
    responses(
        (status = 200, description = "State (STARTING, RUNNING, PAUSED, ERROR), the source log offset exported up to, when, and the last error", body = crate::exporter::ExporterStatus),
        BadPath,
        (status = 404, description = "40450 not found", body = ErrorBody),
    )
)]
pub(crate) async fn status(
    State(st): State<AppState>,
    p: ExporterPath,
) -> Result<Response, RegistryError> {
    let name = &p.0;
    let stored = st.registry.exporter_state(name)?;
    Ok(ok_typed(&exporter::status(
        name,
        stored.as_ref(),
        &st.exporters,
        st.registry.runs_exporters(),
    )))
}

#[utoipa::path(
    get,
    path = "/exporters/{name}/config",
    operation_id = "get_exporter_config",
    tag = "exporters",
    params(ExporterPath),
    responses(
        (status = 200, description = "The destination's client config", body = Object),
        BadPath,
        (status = 404, description = "40450 not found", body = ErrorBody),
    )
)]
pub(crate) async fn get_config(
    State(st): State<AppState>,
    p: ExporterPath,
) -> Result<Response, RegistryError> {
    Ok(ok_typed(&st.registry.exporter(&p.0)?.config))
}

#[utoipa::path(
    put,
    path = "/exporters/{name}/config",
    operation_id = "put_exporter_config",
    tag = "exporters",
    params(ExporterPath),
    request_body = BTreeMap<String, String>,
    responses(
        (status = 200, description = "Updated (the keys given replace those of the config)", body = ExporterName),
        BodyErrors,
        (status = 404, description = "40450 not found", body = ErrorBody),
        (status = 409, description = "40963 not paused, 40951 invalid config", body = ErrorBody),
        (status = 422, description = "Not an object of strings; 42205 read-only registry", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn put_config(
    State(st): State<AppState>,
    p: ExporterPath,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    let name = p.0.clone();
    let changes = parse_config(body)?;
    st.registry
        .update_exporter(&name, |cur| {
            let mut next = cur.clone();
            next.config.extend(changes);
            exporter::check_config(&next.config)?;
            exporter::protect_config(st.secrets.as_deref(), &name, &mut next.config)?;
            Ok(next)
        })
        .await?;
    Ok(name_answer(&name))
}

async fn action(
    st: &AppState,
    p: &ExporterPath,
    a: ExporterAction,
) -> Result<Response, RegistryError> {
    let name = &p.0;
    st.registry.exporter_action(name, a).await?;
    Ok(name_answer(name))
}

#[utoipa::path(
    put,
    path = "/exporters/{name}/pause",
    operation_id = "pause_exporter",
    tag = "exporters",
    params(ExporterPath),
    responses(
        (status = 200, description = "Paused", body = ExporterName),
        BadPath,
        (status = 404, description = "40450 not found", body = ErrorBody),
        (status = 422, description = "42205 the registry is read-only (--read-only)", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn pause(
    State(st): State<AppState>,
    p: ExporterPath,
) -> Result<Response, RegistryError> {
    action(&st, &p, ExporterAction::Pause).await
}

#[utoipa::path(
    put,
    path = "/exporters/{name}/resume",
    operation_id = "resume_exporter",
    tag = "exporters",
    params(ExporterPath),
    responses(
        (status = 200, description = "Running again, from where it stopped", body = ExporterName),
        BadPath,
        (status = 404, description = "40450 not found", body = ErrorBody),
        (status = 409, description = "40961 already running", body = ErrorBody),
        (status = 422, description = "42205 the registry is read-only (--read-only)", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn resume(
    State(st): State<AppState>,
    p: ExporterPath,
) -> Result<Response, RegistryError> {
    action(&st, &p, ExporterAction::Resume).await
}

#[utoipa::path(
    put,
    path = "/exporters/{name}/reset",
    operation_id = "reset_exporter",
    tag = "exporters",
    params(ExporterPath),
    responses(
        (status = 200, description = "Offset reset: everything is exported again on resume", body = ExporterName),
        BadPath,
        (status = 404, description = "40450 not found", body = ErrorBody),
        (status = 409, description = "40963 not paused", body = ErrorBody),
        (status = 422, description = "42205 the registry is read-only (--read-only)", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn reset(
    State(st): State<AppState>,
    p: ExporterPath,
) -> Result<Response, RegistryError> {
    action(&st, &p, ExporterAction::Reset).await
}

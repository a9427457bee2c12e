//! `/schemas`, `/schemas/ids/{id}` and its `/schema`, `/subjects`, `/versions`.

use super::extract::Query;
#[allow(unused_imports)]
use super::openapi::*;
use super::subjects::Params;
use super::{ok, raw_json, schema_fields, version_json, AppState};
use crate::error::RegistryError;
use crate::model::Subject;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/schemas", get(list))
        .route("/schemas/ids/{id}", get(by_id))
        .route("/schemas/ids/{id}/schema", get(by_id_schema))
        .route("/schemas/ids/{id}/subjects", get(id_subjects))
        .route("/schemas/ids/{id}/versions", get(id_versions))
}

/// IDs in paths are Java ints; anything else is an unknown path, as in Jersey.
fn parse_id(raw: &str) -> Result<i32, RegistryError> {
    raw.parse::<i32>()
        .map_err(|_| RegistryError::BadRequest(404, "HTTP 404 Not Found".into()))
}

fn hint(st: &AppState, q: &Query) -> Option<Subject> {
    q.get("subject")
        .map(|s| st.registry.read_subject(&Subject::parse(s)))
}

#[utoipa::path(
    get,
    path = "/schemas",
    operation_id = "list_schemas",
    tag = "schemas",
    params(
        ("subjectPrefix" = Option<String>, Query, description = "Only subjects starting with this"),
        ("deleted" = Option<bool>, Query, description = "Include soft-deleted versions"),
        ("latestOnly" = Option<bool>, Query, description = "Only the latest version per subject"),
        ("aliases" = Option<bool>, Query, description = "List the subjects aliasing each subject"),
        ("offset" = Option<i32>, Query, description = "Skip this many"),
        ("limit" = Option<i32>, Query, description = "At most this many"),
    ),
    responses(
        (status = 200, description = "Schemas", body = [SchemaVersion]),
        (status = 404, description = "offset or limit is not an int (Jersey leaves the request unmatched)", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let all = st.registry.schemas(
        q.get("subjectPrefix"),
        q.flag("deleted"),
        q.flag("latestOnly"),
    );
    let (offset, limit) = q.paging()?;
    let with_aliases = q.flag("aliases");
    let page: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|v| {
            let mut j = version_json(v);
            if with_aliases {
                let aliases = st.registry.aliases_of(&v.subject);
                if let (false, Some(m)) = (aliases.is_empty(), j.as_object_mut()) {
                    m.insert("aliases".into(), json!(aliases));
                }
            }
            j
        })
        .collect();
    Ok(ok(Value::Array(page)))
}

#[utoipa::path(
    get,
    path = "/schemas/ids/{id}",
    operation_id = "get_schema_by_id",
    tag = "schemas",
    params(
        ("id" = i32, Path, description = "Schema ID"),
        ("subject" = Option<String>, Query, description = "Subject whose context holds the ID"),
        ("format" = Option<String>, Query, description = "Output format (ignored for Avro)"),
        ("fetchMaxId" = Option<bool>, Query, description = "Also return the highest ID"),
    ),
    responses(
        (status = 200, description = "The schema", body = SchemaById),
        BadPath,
        (status = 404, description = "40403 schema not found; 404 when the ID is not an int", body = ErrorBody),
    )
)]
pub(crate) async fn by_id(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let id = parse_id(p.get(0))?;
    let (body, max_id) = st.registry.schema_by_id(id, hint(&st, &q).as_ref())?;
    let mut m = Map::new();
    schema_fields(&mut m, &body);
    if q.flag("fetchMaxId") {
        m.insert("maxId".into(), json!(max_id));
    }
    Ok(ok(Value::Object(m)))
}

#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/schema",
    operation_id = "get_schema_text_by_id",
    tag = "schemas",
    params(
        ("id" = i32, Path, description = "Schema ID"),
        ("subject" = Option<String>, Query, description = "Subject whose context holds the ID"),
    ),
    responses(
        (status = 200, description = "The raw schema (any JSON: object, array or string)", body = serde_json::Value),
        BadPath,
        (status = 404, description = "40403 schema not found; 404 when the ID is not an int", body = ErrorBody),
    )
)]
pub(crate) async fn by_id_schema(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let id = parse_id(p.get(0))?;
    let (body, _) = st.registry.schema_by_id(id, hint(&st, &q).as_ref())?;
    Ok(raw_json(StatusCode::OK, body.schema.clone()))
}

#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/subjects",
    operation_id = "get_subjects_by_id",
    tag = "schemas",
    params(
        ("id" = i32, Path, description = "Schema ID"),
        ("subject" = Option<String>, Query, description = "Subject whose context holds the ID"),
        ("deleted" = Option<bool>, Query, description = "Include soft-deleted versions"),
    ),
    responses(
        (status = 200, description = "Subjects using the ID", body = [String]),
        BadPath,
        (status = 404, description = "40403 schema not found; 404 when the ID is not an int", body = ErrorBody),
    )
)]
pub(crate) async fn id_subjects(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let id = parse_id(p.get(0))?;
    let usages = st
        .registry
        .id_usages(id, hint(&st, &q).as_ref(), q.flag("deleted"))?;
    let mut subjects: Vec<String> = usages.into_iter().map(|(s, _)| s).collect();
    subjects.dedup();
    Ok(ok(json!(subjects)))
}

#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/versions",
    operation_id = "get_versions_by_id",
    tag = "schemas",
    params(
        ("id" = i32, Path, description = "Schema ID"),
        ("subject" = Option<String>, Query, description = "Subject whose context holds the ID"),
        ("deleted" = Option<bool>, Query, description = "Include soft-deleted versions"),
    ),
    responses(
        (status = 200, description = "Versions using the ID", body = [SubjectVersion]),
        BadPath,
        (status = 404, description = "40403 schema not found; 404 when the ID is not an int", body = ErrorBody),
    )
)]
pub(crate) async fn id_versions(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let id = parse_id(p.get(0))?;
    let usages = st
        .registry
        .id_usages(id, hint(&st, &q).as_ref(), q.flag("deleted"))?;
    let out: Vec<Value> = usages
        .into_iter()
        .map(|(s, v)| json!({ "subject": s, "version": v }))
        .collect();
    Ok(ok(Value::Array(out)))
}

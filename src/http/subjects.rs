//! `/subjects/...`: listing, registration, lookup, versions, deletes, referencedby.

use super::extract::{schema_request, Body, Query};
use super::{ok, raw_json, version_json, AppState};
use crate::error::RegistryError;
use crate::model::Subject;
use crate::registry::VersionSpec;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/subjects", get(list))
        .route("/subjects/", get(list))
        .route("/subjects/{subject}", axum::routing::post(lookup).delete(delete_subject))
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route(
            "/subjects/{subject}/versions/{version}",
            get(get_version).delete(delete_version),
        )
        .route("/subjects/{subject}/versions/{version}/schema", get(get_version_schema))
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(referenced_by),
        )
}

/// Path parameters, with Confluent-shaped rejections.
pub struct Params(pub Vec<String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let p: Result<Path<Vec<(String, String)>>, PathRejection> =
            Path::from_request_parts(parts, state).await;
        match p {
            Ok(Path(v)) => Ok(Params(v.into_iter().map(|(_, v)| v).collect())),
            Err(e) => Err(RegistryError::BadRequest(400, format!("Invalid path: {e}"))),
        }
    }
}

impl Params {
    pub fn get(&self, i: usize) -> &str {
        self.0.get(i).map_or("", String::as_str)
    }
    pub fn subject(&self) -> Subject {
        Subject::parse(self.get(0))
    }
}

async fn list(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let q = Query::parse(q.as_deref());
    ok(json!(st.registry.subjects(
        q.get("subjectPrefix"),
        q.flag("deleted"),
        q.flag("deletedOnly")
    )))
}

async fn versions(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let v = st
        .registry
        .versions(&p.subject(), q.flag("deleted"), q.flag("deletedOnly"))?;
    Ok(ok(json!(v)))
}

async fn register(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let body = body.ok_or_else(|| {
        RegistryError::BadRequest(422, "register.arg5 must not be null (was null)".into())
    })?;
    let req = schema_request(&body)?;
    let r = st
        .registry
        .register(&p.subject(), req, q.flag("normalize"))
        .await?;
    Ok(match r.full {
        Some(v) => {
            let mut j = version_json(&v);
            if let Some(m) = j.as_object_mut() {
                m.remove("subject");
            }
            ok(j)
        }
        None => ok(json!({ "id": r.id })),
    })
}

async fn lookup(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let body = body.ok_or_else(|| {
        RegistryError::BadRequest(422, "lookUpSchemaUnderSubject.arg4 must not be null (was null)".into())
    })?;
    let req = schema_request(&body)?;
    let subject = st.registry.read_subject(&p.subject());
    let v = st
        .registry
        .lookup(&subject, &req, q.flag("normalize"), q.flag("deleted"))
        .map_err(|e| match e {
            RegistryError::SubjectNotFound(_) => RegistryError::SubjectNotFound(p.get(0).into()),
            e => e,
        })?;
    Ok(ok(version_json(&v)))
}

async fn delete_subject(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let v = st
        .registry
        .delete_subject(&p.subject(), q.flag("permanent"))
        .await?;
    Ok(ok(json!(v)))
}

async fn get_version(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let spec = VersionSpec::parse(p.get(1), true)?;
    let subject = st.registry.read_subject(&p.subject());
    let v = st.registry.version(&subject, spec, q.flag("deleted"))?;
    Ok(ok(version_json(&v)))
}

async fn get_version_schema(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let spec = VersionSpec::parse(p.get(1), true)?;
    let subject = st.registry.read_subject(&p.subject());
    let v = st.registry.version(&subject, spec, q.flag("deleted"))?;
    Ok(raw_json(StatusCode::OK, v.body.schema.clone()))
}

async fn referenced_by(
    State(st): State<AppState>,
    p: Params,
) -> Result<Response, RegistryError> {
    let spec = VersionSpec::parse(p.get(1), true)?;
    let subject = st.registry.read_subject(&p.subject());
    Ok(ok(json!(st.registry.referenced_by(&subject, spec)?)))
}

async fn delete_version(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let spec = VersionSpec::parse(p.get(1), false)?;
    let v = st
        .registry
        .delete_version(&p.subject(), spec, q.flag("permanent"))
        .await?;
    Ok(ok(json!(v)))
}

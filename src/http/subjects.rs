//! `/subjects/...`: listing, registration, lookup, versions, deletes, referencedby.

use super::extract::{schema_request, Body, Query, SCHEMA_BODY};
#[allow(unused_imports)]
use super::openapi::*;
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
        .route(
            "/subjects/{subject}",
            axum::routing::post(lookup).delete(delete_subject),
        )
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route(
            "/subjects/{subject}/versions/{version}",
            get(get_version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(get_version_schema),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(referenced_by),
        )
        .route("/subjects/{subject}/metadata", get(by_metadata))
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

#[utoipa::path(
    get,
    path = "/subjects",
    operation_id = "list_subjects",
    tag = "subjects",
    params(
        ("subjectPrefix" = Option<String>, Query, description = "Only subjects starting with this (`:*:` for every context)"),
        ("deleted" = Option<bool>, Query, description = "Include soft-deleted subjects"),
        ("deletedOnly" = Option<bool>, Query, description = "Only soft-deleted subjects"),
        ("offset" = Option<i32>, Query, description = "Skip this many"),
        ("limit" = Option<i32>, Query, description = "At most this many"),
    ),
    responses(
        (status = 200, description = "Subject names", body = [String]),
        (status = 404, description = "offset or limit is not an int (Jersey leaves the request unmatched)", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let all = st.registry.subjects(
        q.get("subjectPrefix"),
        q.flag("deleted"),
        q.flag("deletedOnly"),
    );
    let (offset, limit) = q.paging()?;
    let page: Vec<String> = all.into_iter().skip(offset).take(limit).collect();
    Ok(ok(json!(page)))
}

#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions",
    tag = "subjects",
    params(
        ("subject" = String, Path, description = "Subject, optionally qualified with a context as :.ctx:name"),
        ("deleted" = Option<bool>, Query, description = "Include soft-deleted versions"),
        ("deletedOnly" = Option<bool>, Query, description = "Only soft-deleted versions"),
    ),
    responses(
        (status = 200, description = "Version numbers", body = [i32]),
        BadPath,
        (status = 404, description = "40401 subject not found", body = ErrorBody),
    )
)]
pub(crate) async fn versions(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let subject = st.registry.alias_target(&p.subject());
    let v = st
        .registry
        .versions(&subject, q.flag("deleted"), q.flag("deletedOnly"))?;
    Ok(ok(json!(v)))
}

#[utoipa::path(
    post,
    path = "/subjects/{subject}/versions",
    tag = "subjects",
    request_body(content = RegisterSchemaRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    params(
        ("subject" = String, Path, description = "Subject, optionally qualified with a context as :.ctx:name"),
        ("normalize" = Option<bool>, Query, description = "Store the normalized form"),
    ),
    responses(
        (status = 200, description = "Registered (or already registered)", body = RegisterSchemaResponse, links(
            ("SchemaById" = (operation_id = "get_schema_by_id", parameters(("id" = "$response.body#/id")))),
            ("SchemaTextById" = (operation_id = "get_schema_text_by_id", parameters(("id" = "$response.body#/id")))),
            ("SubjectsById" = (operation_id = "get_subjects_by_id", parameters(("id" = "$response.body#/id")))),
            ("VersionsById" = (operation_id = "get_versions_by_id", parameters(("id" = "$response.body#/id")))),
            ("Versions" = (operation_id = "versions", parameters(("subject" = "$request.path.subject")))),
            ("LatestVersion" = (operation_id = "get_version", parameters(("subject" = "$request.path.subject"), ("version" = "latest")))),
            ("Lookup" = (operation_id = "lookup", parameters(("subject" = "$request.path.subject")), request_body = "$request.body")),
            ("CheckLatest" = (operation_id = "check_compatibility_version", parameters(("subject" = "$request.path.subject"), ("version" = "latest")), request_body = "$request.body")),
            ("DeleteSubject" = (operation_id = "delete_subject", parameters(("subject" = "$request.path.subject")))),
        )),
        BodyErrors,
        (status = 409, description = "Incompatible with earlier versions (409)", body = ErrorBody),
        (status = 422, description = "42201 invalid schema (or no body), 42205 not permitted in the current mode, 42208 invalid subject", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn register(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
    Body(body): Body<SCHEMA_BODY>,
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

#[utoipa::path(
    post,
    path = "/subjects/{subject}",
    tag = "subjects",
    request_body(content = RegisterSchemaRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    params(
        ("subject" = String, Path, description = "Subject, optionally qualified with a context as :.ctx:name"),
        ("normalize" = Option<bool>, Query, description = "Compare normalized forms"),
        ("deleted" = Option<bool>, Query, description = "Also match soft-deleted versions"),
    ),
    responses(
        (status = 200, description = "The version holding this schema", body = SchemaVersion),
        BodyErrors,
        (status = 404, description = "40401 subject not found, 40403 schema not found", body = ErrorBody),
        (status = 422, description = "42201 invalid schema (or no body)", body = ErrorBody),
    )
)]
pub(crate) async fn lookup(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
    Body(body): Body<SCHEMA_BODY>,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let body = body.ok_or_else(|| {
        RegistryError::BadRequest(
            422,
            "lookUpSchemaUnderSubject.arg4 must not be null (was null)".into(),
        )
    })?;
    let req = schema_request(&body)?;
    let asked = p.subject();
    let subject = st.registry.read_subject(&asked);
    let fell_back = subject != asked;
    let v = st
        .registry
        .lookup(&subject, &req, q.flag("normalize"), q.flag("deleted"))
        .map_err(|e| match e {
            RegistryError::SubjectNotFound(_) => RegistryError::SubjectNotFound(p.get(0).into()),
            // A schema not found under a subject of another context: the asked one is missing.
            RegistryError::SchemaNotFound(_) if fell_back => {
                RegistryError::SubjectNotFound(p.get(0).into())
            }
            e => e,
        })?;
    Ok(ok(version_json(&v)))
}

#[utoipa::path(
    delete,
    path = "/subjects/{subject}",
    tag = "subjects",
    params(
        ("subject" = String, Path, description = "Subject, optionally qualified with a context as :.ctx:name"),
        ("permanent" = Option<bool>, Query, description = "Hard delete (after a soft delete)"),
    ),
    responses(
        (status = 200, description = "Deleted versions", body = [i32]),
        BadPath,
        (status = 404, description = "40401 subject not found, 40404 subject soft-deleted, 40405 subject not soft-deleted", body = ErrorBody),
        (status = 422, description = "42205 not permitted in the current mode, 42206 a version is referenced", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_subject(
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

#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}",
    tag = "subjects",
    params(
        ("subject" = String, Path, description = "Subject, optionally qualified with a context as :.ctx:name"),
        ("version" = String, Path, pattern = "^(latest|-1|[1-9][0-9]{0,8})$", description = "Version: a number from 1, `latest` (any case) or -1 (latest)"),
        ("deleted" = Option<bool>, Query, description = "Also soft-deleted versions"),
    ),
    responses(
        (status = 200, description = "The version", body = SchemaVersion),
        BadPath,
        (status = 404, description = "40401 subject not found, 40402 version not found", body = ErrorBody),
        (status = 422, description = "42202 invalid version", body = ErrorBody),
    )
)]
pub(crate) async fn get_version(
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

#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}/schema",
    tag = "subjects",
    params(
        ("subject" = String, Path, description = "Subject, optionally qualified with a context as :.ctx:name"),
        ("version" = String, Path, pattern = "^(latest|-1|[1-9][0-9]{0,8})$", description = "Version: a number from 1, `latest` (any case) or -1 (latest)"),
        ("deleted" = Option<bool>, Query, description = "Also soft-deleted versions"),
    ),
    responses(
        (status = 200, description = "The raw schema (any JSON: object, array or string)", body = serde_json::Value),
        BadPath,
        (status = 404, description = "40401 subject not found, 40402 version not found", body = ErrorBody),
        (status = 422, description = "42202 invalid version", body = ErrorBody),
    )
)]
pub(crate) async fn get_version_schema(
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

#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}/referencedby",
    tag = "subjects",
    params(
        ("subject" = String, Path, description = "Subject, optionally qualified with a context as :.ctx:name"),
        ("version" = String, Path, pattern = "^(latest|-1|[1-9][0-9]{0,8})$", description = "Version: a number from 1, `latest` (any case) or -1 (latest)"),
    ),
    responses(
        (status = 200, description = "IDs of schemas referencing this version", body = [i32]),
        BadPath,
        (status = 404, description = "40401 subject not found, 40402 version not found", body = ErrorBody),
        (status = 422, description = "42202 invalid version", body = ErrorBody),
    )
)]
pub(crate) async fn referenced_by(
    State(st): State<AppState>,
    p: Params,
) -> Result<Response, RegistryError> {
    let spec = VersionSpec::parse(p.get(1), true)?;
    let subject = st.registry.read_subject(&p.subject());
    Ok(ok(json!(st.registry.referenced_by(&subject, spec)?)))
}

#[utoipa::path(
    delete,
    path = "/subjects/{subject}/versions/{version}",
    tag = "subjects",
    params(
        ("subject" = String, Path, description = "Subject, optionally qualified with a context as :.ctx:name"),
        ("version" = String, Path, pattern = "^(latest|-1|[1-9][0-9]{0,8})$", description = "Version: a number from 1, `latest` (any case) or -1 (latest)"),
        ("permanent" = Option<bool>, Query, description = "Hard delete (after a soft delete)"),
    ),
    responses(
        (status = 200, description = "The deleted version", body = i32),
        BadPath,
        (status = 404, description = "40401 subject not found, 40402 version not found, 40406 version soft-deleted, 40407 version not soft-deleted", body = ErrorBody),
        (status = 422, description = "42202 invalid version, 42205 not permitted in the current mode, 42206 the version is referenced", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_version(
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

#[utoipa::path(
    get,
    path = "/subjects/{subject}/metadata",
    tag = "subjects",
    params(
        ("subject" = String, Path, description = "Subject, optionally qualified with a context as :.ctx:name"),
        ("key" = Option<Vec<String>>, Query, description = "Metadata property names (paired with `value` by position)"),
        ("value" = Option<Vec<String>>, Query, description = "Metadata property values"),
        ("deleted" = Option<bool>, Query, description = "Also soft-deleted versions"),
    ),
    responses(
        (status = 200, description = "The latest version whose metadata properties match", body = SchemaVersion),
        BadPath,
        (status = 404, description = "40401 subject not found, 40403 no version matches", body = ErrorBody),
    )
)]
pub(crate) async fn by_metadata(
    State(st): State<AppState>,
    p: Params,
    RawQuery(q): RawQuery,
) -> Result<Response, RegistryError> {
    let q = Query::parse(q.as_deref());
    let keys = q.all("key");
    let values = q.all("value");
    let wanted: Vec<(&str, Option<&str>)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (*k, values.get(i).copied()))
        .collect();
    let subject = st.registry.read_subject(&p.subject());
    let v = st
        .registry
        .version_by_metadata(&subject, &wanted, q.flag("deleted"))?;
    Ok(ok(version_json(&v)))
}

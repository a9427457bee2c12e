//! `/dek-registry/v1/keks/...`: Confluent's DEK registry API (`DekRegistryResource.java`):
//! KEKs and their DEKs, with Confluent's checks in its order (name, subject, version, the
//! KEK and DEK a request names). A write is the leader's: a follower hands it on at once
//! (`NotLeader` makes `forward.rs` send it there) rather than first checking it against
//! its own state, which may not have applied the leader's last write yet (a client
//! creating a KEK, then its DEK, through one follower); the leader checks it all. The
//! rules are in `crate::keys`.

use super::extract::{object, opt_bool, opt_int, opt_string, type_name, Body, Query};
#[allow(unused_imports)]
use super::openapi::*;
use super::params::{Deleted, Paging, Permanent, Rewrap, TestSharing};
use super::{ok_typed, AppState};
use crate::error::RegistryError;
use crate::keys::record::{Algorithm, DekValue, KekValue};
use crate::keys::{self, KekUpdate, NewDek, NewKek, Stamped, LATEST};
use crate::registry::VersionSpec;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dek-registry/v1/keks", get(kek_names).post(create_kek))
        .route(
            "/dek-registry/v1/keks/{name}",
            get(get_kek).put(update_kek).delete(delete_kek),
        )
        .route("/dek-registry/v1/keks/{name}/test", post(test_kek))
        .route("/dek-registry/v1/keks/{name}/undelete", post(undelete_kek))
        .route(
            "/dek-registry/v1/keks/{name}/deks",
            get(dek_subjects).post(create_dek_legacy),
        )
        .route(
            "/dek-registry/v1/keks/{name}/deks/{subject}",
            get(get_dek).post(create_dek).delete(delete_deks),
        )
        .route(
            "/dek-registry/v1/keks/{name}/deks/{subject}/undelete",
            post(undelete_deks),
        )
        .route(
            "/dek-registry/v1/keks/{name}/deks/{subject}/versions",
            get(dek_versions),
        )
        .route(
            "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}",
            get(get_dek_version).delete(delete_dek_version),
        )
        .route(
            "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}/undelete",
            post(undelete_dek_version),
        )
}

/// A KEK as Confluent answers it (`Kek`: NON_NULL; `deleted` only when true).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Kek {
    pub name: String,
    pub kms_type: String,
    pub kms_key_id: String,
    pub kms_props: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    pub shared: bool,
    /// When the record was written (ms since the epoch)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
}

/// A DEK as Confluent answers it (`Dek`). `keyMaterial` (the raw key) is only answered for
/// a shared KEK, which needs a KMS on the server: never here.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dek {
    pub kek_name: String,
    pub subject: String,
    pub version: i32,
    #[schema(value_type = String, example = "AES256_GCM")]
    pub algorithm: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted_key_material: Option<String>,
    /// The raw key (base64): only for a shared KEK, unwrapped by the registry's KMS
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
}

fn kek_answer(k: Stamped<KekValue>) -> Response {
    let v = k.value;
    ok_typed(&Kek {
        name: v.name,
        kms_type: v.kms_type,
        kms_key_id: v.kms_key_id,
        kms_props: v.kms_props,
        doc: v.doc,
        shared: v.shared,
        ts: k.ts,
        deleted: v.deleted.then_some(true),
    })
}

fn dek_answer(d: Stamped<DekValue>, key_material: Option<String>) -> Response {
    let v = d.value;
    ok_typed(&Dek {
        kek_name: v.kek,
        subject: v.subject,
        version: v.version,
        algorithm: v.algorithm.name(),
        encrypted_key_material: v.encrypted_key_material,
        key_material,
        ts: d.ts,
        deleted: v.deleted.then_some(true),
    })
}

fn no_content() -> Response {
    super::error::no_content()
}

/// The path's parameters by name, percent-decoded.
pub struct KeyPath(BTreeMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for KeyPath {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, RegistryError> {
        match Path::<BTreeMap<String, String>>::from_request_parts(parts, state).await {
            Ok(Path(m)) => Ok(KeyPath(m)),
            Err(e) => Err(super::error::invalid_path(&e)),
        }
    }
}

impl KeyPath {
    fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }
    /// `{name}`, checked (`checkName`).
    fn kek(&self) -> Result<&str, RegistryError> {
        let n = self.get("name");
        keys::check_name(n)?;
        Ok(n)
    }
    /// `{subject}`, checked (`checkSubject`).
    fn subject(&self) -> Result<&str, RegistryError> {
        let s = self.get("subject");
        keys::check_subject(s)?;
        Ok(s)
    }
    /// `{name}`, `{subject}`, then `{version}`, checked in the resource's order.
    fn checked_version(&self) -> Result<i32, RegistryError> {
        self.kek()?;
        self.subject()?;
        self.version()
    }

    /// `{version}` as `VersionId` reads it (`latest` and -1 are the newest): 42202.
    fn version(&self) -> Result<i32, RegistryError> {
        Ok(match VersionSpec::parse(self.get("version"), true)? {
            VersionSpec::Latest => LATEST,
            VersionSpec::Number(n) => n,
        })
    }
}

/// `algorithm`: AES128_GCM, AES256_GCM (the default when absent or empty) or AES256_SIV;
/// any other value leaves the request unmatched (404), as JAX-RS's enum conversion does.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlgorithmParam {
    /// AES128_GCM, AES256_GCM (the default) or AES256_SIV
    #[param(value_type = Option<String>)]
    pub algorithm: Option<Algorithm>,
}

impl<S: Send + Sync> FromRequestParts<S> for AlgorithmParam {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, RegistryError> {
        let q = Query::parse(parts.uri.query());
        let algorithm = match q.get("algorithm") {
            None | Some("") => None,
            Some(a) => Some(Algorithm::parse(a).ok_or_else(super::error::not_found_error)?),
        };
        Ok(AlgorithmParam { algorithm })
    }
}

/// `subjectPrefix`, repeatable.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct SubjectPrefixes {
    /// Only KEKs with a DEK for a subject starting with this (repeatable)
    #[param(value_type = Option<Vec<String>>)]
    pub subject_prefix: Vec<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for SubjectPrefixes {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<Self, std::convert::Infallible> {
        let q = Query::parse(parts.uri.query());
        Ok(SubjectPrefixes {
            subject_prefix: q
                .all("subjectPrefix")
                .into_iter()
                .map(String::from)
                .collect(),
        })
    }
}

fn missing_body(arg: &str) -> RegistryError {
    super::error::unprocessable(format!("{arg} must not be null (was null)"))
}

const KEK_REQUEST: &str = "io.confluent.dekregistry.client.rest.entities.CreateKekRequest";
const KEK_UPDATE: &str = "io.confluent.dekregistry.client.rest.entities.UpdateKekRequest";
const DEK_REQUEST: &str = "io.confluent.dekregistry.client.rest.entities.CreateDekRequest";

/// A `Map<String, String>` as Jackson binds one (scalars coerced to text).
fn string_map(
    m: &Map<String, Value>,
    field: &str,
) -> Result<Option<Option<BTreeMap<String, String>>>, RegistryError> {
    match m.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::Object(o)) => {
            let mut out = BTreeMap::new();
            for (k, v) in o {
                let s = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Null => String::new(),
                    other => {
                        return Err(super::extract::bad(format!(
                            "Cannot deserialize value of type `java.lang.String` from {}",
                            type_name(other)
                        )))
                    }
                };
                out.insert(k.clone(), s);
            }
            Ok(Some(Some(out)))
        }
        Some(other) => Err(super::extract::bad(format!(
            "Cannot deserialize value of type `java.util.LinkedHashMap<java.lang.String,java.lang.String>` from {}",
            type_name(other)
        ))),
    }
}

fn bind_kek(body: Option<Value>) -> Result<NewKek, RegistryError> {
    let v = body.ok_or_else(|| missing_body("createKek.arg3"))?;
    let m = object(&v, KEK_REQUEST)?;
    Ok(NewKek {
        name: opt_string(m, "name")?.unwrap_or_default(),
        kms_type: opt_string(m, "kmsType")?.unwrap_or_default(),
        kms_key_id: opt_string(m, "kmsKeyId")?.unwrap_or_default(),
        kms_props: string_map(m, "kmsProps")?.flatten(),
        doc: opt_string(m, "doc")?,
        shared: opt_bool(m, "shared")?.unwrap_or(false),
        deleted: opt_bool(m, "deleted")?.unwrap_or(false),
    })
}

fn bind_dek(body: Option<Value>, arg: &str) -> Result<NewDek, RegistryError> {
    let v = body.ok_or_else(|| missing_body(arg))?;
    let m = object(&v, DEK_REQUEST)?;
    let algorithm = match m.get("algorithm") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(Algorithm::parse(s).ok_or_else(|| {
            super::extract::bad(format!(
                "Cannot deserialize value of type `io.confluent.kafka.schemaregistry.encryption.tink.DekFormat` from String \"{s}\": not one of the values accepted for Enum class: [AES256_SIV, AES128_GCM, AES256_GCM]"
            ))
        })?),
        Some(other) => {
            return Err(super::extract::bad(format!(
                "Cannot deserialize value of type `io.confluent.kafka.schemaregistry.encryption.tink.DekFormat` from {}",
                type_name(other)
            )))
        }
    };
    Ok(NewDek {
        subject: opt_string(m, "subject")?.unwrap_or_default(),
        version: opt_int(m, "version")?,
        algorithm,
        encrypted_key_material: opt_string(m, "encryptedKeyMaterial")?,
        deleted: opt_bool(m, "deleted")?.unwrap_or(false),
    })
}

#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks",
    operation_id = "list_keks",
    tag = "dek-registry",
    params(SubjectPrefixes, Deleted, Paging),
    responses(
        (status = 200, description = "KEK names", body = [String]),
        (status = 404, description = "offset or limit is not an int (unmatched, as Jersey)", body = ErrorBody),
    )
)]
pub(crate) async fn kek_names(
    State(st): State<AppState>,
    q: SubjectPrefixes,
    deleted: Deleted,
    paging: Paging,
) -> Result<Response, RegistryError> {
    let names = st.keys()?.kek_names(&q.subject_prefix, deleted.deleted);
    Ok(ok_typed(&paging.page(names)))
}

#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}",
    operation_id = "get_kek",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), Deleted),
    responses(
        (status = 200, description = "The KEK", body = Kek),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 invalid name", body = ErrorBody),
    )
)]
pub(crate) async fn get_kek(
    State(st): State<AppState>,
    p: KeyPath,
    deleted: Deleted,
) -> Result<Response, RegistryError> {
    let name = p.kek()?;
    let k = st.keys()?.kek(name, deleted.deleted);
    k.map(kek_answer).ok_or_else(|| keys::not_found(name))
}

#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}/deks",
    operation_id = "list_dek_subjects",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), Deleted, Paging),
    responses(
        (status = 200, description = "Subjects with a DEK under this KEK", body = [String]),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 invalid name", body = ErrorBody),
    )
)]
pub(crate) async fn dek_subjects(
    State(st): State<AppState>,
    p: KeyPath,
    deleted: Deleted,
    paging: Paging,
) -> Result<Response, RegistryError> {
    let name = p.kek()?;
    let keys = st.keys()?;
    if keys.kek(name, deleted.deleted).is_none() {
        return Err(keys::not_found(name));
    }
    Ok(ok_typed(
        &paging.page(keys.dek_subjects(name, deleted.deleted)),
    ))
}

#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/versions",
    operation_id = "list_dek_versions",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), AlgorithmParam, Deleted, Paging),
    responses(
        (status = 200, description = "The DEK's versions", body = [i32]),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 invalid name or subject", body = ErrorBody),
    )
)]
pub(crate) async fn dek_versions(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
    deleted: Deleted,
    paging: Paging,
) -> Result<Response, RegistryError> {
    let (name, subject) = (p.kek()?, p.subject()?);
    let keys = st.keys()?;
    if keys.kek(name, deleted.deleted).is_none() {
        return Err(keys::not_found(name));
    }
    let versions = keys.dek_versions(name, subject, q.algorithm, deleted.deleted);
    Ok(ok_typed(&paging.page(versions)))
}

/// `getDek` / `getDekByVersion`.
fn read_dek(
    st: &AppState,
    p: &KeyPath,
    version: i32,
    q: &AlgorithmParam,
    deleted: bool,
) -> Result<Response, RegistryError> {
    let (name, subject) = (p.kek()?, p.subject()?);
    let keys = st.keys()?;
    if keys.kek(name, deleted).is_none() {
        return Err(keys::not_found(name));
    }
    let d = keys
        .dek(name, subject, version, q.algorithm, deleted)
        .ok_or_else(|| keys::not_found(subject))?;
    let raw = keys.raw_material(&d.value)?;
    Ok(dek_answer(d, raw))
}

#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}",
    operation_id = "get_dek",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), AlgorithmParam, Deleted),
    responses(
        (status = 200, description = "The DEK's version 1", body = Dek),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 invalid name or subject", body = ErrorBody),
        (status = 500, description = "50070 a shared KEK's DEK: no KMS on this registry", body = ErrorBody),
    )
)]
pub(crate) async fn get_dek(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
    deleted: Deleted,
) -> Result<Response, RegistryError> {
    read_dek(&st, &p, 1, &q, deleted.deleted)
}

#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}",
    operation_id = "get_dek_version",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), ("version" = String, Path, description = "A version or latest"), AlgorithmParam, Deleted),
    responses(
        (status = 200, description = "The DEK", body = Dek),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42202 invalid version, 42271 invalid name or subject", body = ErrorBody),
        (status = 500, description = "50070 a shared KEK's DEK: no KMS on this registry", body = ErrorBody),
    )
)]
pub(crate) async fn get_dek_version(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
    deleted: Deleted,
) -> Result<Response, RegistryError> {
    let version = p.checked_version()?;
    read_dek(&st, &p, version, &q, deleted.deleted)
}

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks",
    operation_id = "create_kek",
    tag = "dek-registry",
    request_body(content = Object, description = "Confluent's CreateKekRequest: name, kmsType, kmsKeyId, kmsProps, doc, shared, deleted", content_type = "application/vnd.schemaregistry.v1+json"),
    params(TestSharing),
    responses(
        (status = 200, description = "The KEK", body = Kek),
        BodyErrors,
        (status = 409, description = "40971 key already exists, 40972 too many keys", body = ErrorBody),
        (status = 422, description = "42271 invalid or missing name, kmsType or kmsKeyId; 42205 a read-only registry", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn create_kek(
    State(st): State<AppState>,
    q: TestSharing,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let req = bind_kek(body)?;
    keys::check_name(&req.name)?;
    if req.kms_key_id.is_empty() {
        return Err(keys::invalid_key("kmsKeyId"));
    }
    if req.kms_type.is_empty() {
        return Err(keys::invalid_key("kmsType"));
    }
    if !keys::kms_key_id_valid(&req.kms_type, &req.kms_key_id) {
        return Err(keys::invalid_key("kmsKeyId"));
    }
    let keys = st.keys()?;
    if req.shared && q.test_sharing {
        keys.test_kek(&crate::keys::record::KekValue {
            name: req.name.clone(),
            kms_type: req.kms_type.clone(),
            kms_key_id: req.kms_key_id.clone(),
            kms_props: req.kms_props.clone().unwrap_or_default(),
            doc: None,
            shared: true,
            deleted: false,
        })?;
    }
    Ok(kek_answer(keys.create_kek(req).await?))
}

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/test",
    operation_id = "test_kek",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name")),
    responses(
        (status = 200, description = "The registry's KMS wrapped a new DEK with this shared KEK", body = Kek),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 the KEK is not shared", body = ErrorBody),
        (status = 500, description = "50070 no KMS client for this KEK's kmsType on this registry, or the KMS call failed", body = ErrorBody),
    )
)]
pub(crate) async fn test_kek(
    State(st): State<AppState>,
    p: KeyPath,
) -> Result<Response, RegistryError> {
    let name = p.kek()?;
    let keys = st.keys()?;
    let k = keys.kek(name, false).ok_or_else(|| keys::not_found(name))?;
    keys.test_kek(&k.value)?;
    Ok(kek_answer(k))
}

#[utoipa::path(
    put,
    path = "/dek-registry/v1/keks/{name}",
    operation_id = "update_kek",
    tag = "dek-registry",
    request_body(content = Object, description = "Confluent's UpdateKekRequest: kmsProps, doc, shared (absent: kept; null kmsProps or doc: cleared)", content_type = "application/vnd.schemaregistry.v1+json"),
    params(("name" = String, Path, description = "KEK name"), TestSharing),
    responses(
        (status = 200, description = "The KEK", body = Kek),
        BodyErrors,
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 invalid name", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn update_kek(
    State(st): State<AppState>,
    p: KeyPath,
    q: TestSharing,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let name = p.kek()?;
    let v = body.ok_or_else(|| missing_body("putKek.arg4"))?;
    let m = object(&v, KEK_UPDATE)?;
    let upd = KekUpdate {
        kms_props: string_map(m, "kmsProps")?,
        doc: match m.get("doc") {
            None => None,
            Some(_) => Some(opt_string(m, "doc")?),
        },
        shared: opt_bool(m, "shared")?,
    };
    let keys = st.keys()?;
    let old = keys.kek(name, false).ok_or_else(|| keys::not_found(name))?;
    if upd.shared.unwrap_or(old.value.shared) && q.test_sharing {
        let mut tested = old.value.clone();
        tested.shared = true;
        if let Some(p) = &upd.kms_props {
            tested.kms_props = p.clone().unwrap_or_default();
        }
        keys.test_kek(&tested)?;
    }
    let k = keys.update_kek(name, upd).await?;
    k.map(kek_answer).ok_or_else(|| keys::not_found(name))
}

#[utoipa::path(
    delete,
    path = "/dek-registry/v1/keks/{name}",
    operation_id = "delete_kek",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), Permanent),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "40470 key not found, 40471 not soft-deleted first", body = ErrorBody),
        (status = 422, description = "42271 invalid name, 42272 DEKs still use it", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_kek(
    State(st): State<AppState>,
    p: KeyPath,
    permanent: Permanent,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let name = p.kek()?;
    let keys = st.keys()?;
    keys.kek(name, true).ok_or_else(|| keys::not_found(name))?;
    keys.delete_kek(name, permanent.permanent).await?;
    Ok(no_content())
}

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/undelete",
    operation_id = "undelete_kek",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name")),
    responses(
        (status = 204, description = "Undeleted"),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 invalid name", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn undelete_kek(
    State(st): State<AppState>,
    p: KeyPath,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let name = p.kek()?;
    let keys = st.keys()?;
    keys.kek(name, true).ok_or_else(|| keys::not_found(name))?;
    keys.undelete_kek(name).await?;
    Ok(no_content())
}

/// `createDekWithSubject`.
async fn create(
    st: &AppState,
    name: &str,
    rewrap: bool,
    req: NewDek,
) -> Result<Response, RegistryError> {
    keys::check_name(name)?;
    keys::check_subject(&req.subject)?;
    let keys = st.keys()?;
    if keys.kek(name, req.deleted).is_none() {
        return Err(keys::not_found(name));
    }
    let d = keys.create_dek(name, rewrap, req).await?;
    let raw = keys.raw_material(&d.value)?;
    Ok(dek_answer(d, raw))
}

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}",
    operation_id = "create_dek",
    tag = "dek-registry",
    request_body(content = Object, description = "Confluent's CreateDekRequest: version (1), algorithm (AES256_GCM), encryptedKeyMaterial, deleted; the subject is the path's", content_type = "application/vnd.schemaregistry.v1+json"),
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), Rewrap),
    responses(
        (status = 200, description = "The DEK", body = Dek),
        BodyErrors,
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 409, description = "40971 key already exists, 40972 too many keys", body = ErrorBody),
        (status = 422, description = "42271 invalid name or subject, or no encryptedKeyMaterial for a KEK that is not shared", body = ErrorBody),
        (status = 500, description = "50070 a shared KEK: no KMS on this registry; 50001-50004 store errors", body = ErrorBody),
    )
)]
pub(crate) async fn create_dek(
    State(st): State<AppState>,
    p: KeyPath,
    rewrap: Rewrap,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let mut req = bind_dek(body, "createDekWithSubject.arg5")?;
    req.subject = p.get("subject").to_string();
    create(&st, p.get("name"), rewrap.rewrap, req).await
}

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/deks",
    operation_id = "create_dek_with_body_subject",
    tag = "dek-registry",
    request_body(content = Object, description = "Confluent's CreateDekRequest with its subject (deprecated form)", content_type = "application/vnd.schemaregistry.v1+json"),
    params(("name" = String, Path, description = "KEK name")),
    responses(
        (status = 200, description = "The DEK", body = Dek),
        BodyErrors,
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 409, description = "40971 key already exists, 40972 too many keys", body = ErrorBody),
        (status = 422, description = "42271 invalid name or subject, or no encryptedKeyMaterial", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn create_dek_legacy(
    State(st): State<AppState>,
    p: KeyPath,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let req = bind_dek(body, "createDek.arg3")?;
    create(&st, p.get("name"), false, req).await
}

/// Checks shared by the DEK deletes and undeletes: the KEK (deleted ones too), then the
/// DEK version named (`LATEST`: the newest).
fn dek_exists(
    st: &AppState,
    p: &KeyPath,
    version: i32,
    q: &AlgorithmParam,
) -> Result<(), RegistryError> {
    let (name, subject) = (p.kek()?, p.subject()?);
    let keys = st.keys()?;
    keys.kek(name, true).ok_or_else(|| keys::not_found(name))?;
    keys.dek(name, subject, version, q.algorithm, true)
        .ok_or_else(|| keys::not_found(subject))?;
    Ok(())
}

#[utoipa::path(
    delete,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}",
    operation_id = "delete_deks",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), AlgorithmParam, Permanent),
    responses(
        (status = 204, description = "Every version deleted"),
        (status = 404, description = "40470 key not found, 40471 not soft-deleted first", body = ErrorBody),
        (status = 422, description = "42271 invalid name or subject", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_deks(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
    permanent: Permanent,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    dek_exists(&st, &p, LATEST, &q)?;
    st.keys()?
        .delete_deks(
            p.get("name"),
            p.get("subject"),
            q.algorithm,
            permanent.permanent,
        )
        .await?;
    Ok(no_content())
}

#[utoipa::path(
    delete,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}",
    operation_id = "delete_dek_version",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), ("version" = String, Path, description = "A version or latest"), AlgorithmParam, Permanent),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "40470 key not found, 40471 not soft-deleted first", body = ErrorBody),
        (status = 422, description = "42202 invalid version, 42271 invalid name or subject", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_dek_version(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
    permanent: Permanent,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let version = p.checked_version()?;
    dek_exists(&st, &p, version, &q)?;
    st.keys()?
        .delete_dek_version(
            p.get("name"),
            p.get("subject"),
            version,
            q.algorithm,
            permanent.permanent,
        )
        .await?;
    Ok(no_content())
}

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/undelete",
    operation_id = "undelete_deks",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), AlgorithmParam),
    responses(
        (status = 204, description = "Every version undeleted"),
        (status = 404, description = "40470 key not found, 40472 the KEK must be undeleted first", body = ErrorBody),
        (status = 422, description = "42271 invalid name or subject", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn undelete_deks(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    dek_exists(&st, &p, LATEST, &q)?;
    st.keys()?
        .undelete_deks(p.get("name"), p.get("subject"), None, q.algorithm)
        .await?;
    Ok(no_content())
}

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}/undelete",
    operation_id = "undelete_dek_version",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), ("version" = String, Path, description = "A version or latest"), AlgorithmParam),
    responses(
        (status = 204, description = "Undeleted"),
        (status = 404, description = "40470 key not found, 40472 the KEK must be undeleted first", body = ErrorBody),
        (status = 422, description = "42202 invalid version, 42271 invalid name or subject", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn undelete_dek_version(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let version = p.checked_version()?;
    dek_exists(&st, &p, version, &q)?;
    st.keys()?
        .undelete_deks(p.get("name"), p.get("subject"), Some(version), q.algorithm)
        .await?;
    Ok(no_content())
}

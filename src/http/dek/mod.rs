//! `/dek-registry/v1/keks/...`: Confluent's DEK registry API (`DekRegistryResource.java`):
//! KEKs and their DEKs, with Confluent's checks in its order (name, subject, version, the
//! KEK and DEK a request names). A write is the leader's: a follower hands it on at once
//! (`NotLeader` makes `forward.rs` send it there) rather than first checking it against
//! its own state, which may not have applied the leader's last write yet (a client
//! creating a KEK, then its DEK, through one follower); the leader checks it all. The
//! rules are in `crate::keys`.
//!
//! Here: the routes, the answer types, the path and query extractors and the request
//! binders; the handlers are in `reads.rs`, `keks.rs` (KEK writes) and `deks.rs` (DEK
//! writes).

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

mod deks;
mod keks;
mod reads;

pub(crate) use deks::*;
pub(crate) use keks::*;
pub(crate) use reads::*;

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

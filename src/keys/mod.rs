//! The DEK registry (Confluent's `dek-registry` module, `/dek-registry/v1/…`): key
//! encryption keys (KEKs, a name for a key held in a KMS) and data encryption keys (DEKs,
//! per KEK, subject, algorithm and version, stored only encrypted by their KEK), kept in a
//! log of their own (`_dek_registry_keys`), as Confluent keeps them.
//!
//! The rules follow `dek-registry/…/storage/AbstractDekRegistry.java` and
//! `web/rest/resources/DekRegistryResource.java`; the errors `DekRegistryErrors.java`.
//! The raw key material of a DEK is never stored: clients encrypt it with their KMS before
//! they send it. A shared KEK (the registry generates and unwraps DEKs with the KMS itself)
//! needs a KMS client on the server: the local KMS (`kms.rs`) when the operator gives
//! `--dek-local-kms-secret`; anything else answers 50070, as Confluent does when its KMS
//! call fails.

pub mod kms;
pub mod log;
pub mod record;
pub mod state;

use crate::error::{RegistryError, Result};
use crate::store::RawRecord;
pub use log::KeyLog;
use record::{Algorithm, DekId, DekValue, KekId, KekValue, DEFAULT_TENANT};
pub use state::{KeyCounts, KeyState, Stamped};
use std::sync::RwLockReadGuard;

/// Confluent's `dek.registry.max.keys` default (per tenant and key type).
pub const DEFAULT_MAX_KEYS: usize = 20_000;
/// `DekRegistryResource.NAME_MAX_LENGTH`.
pub const NAME_MAX_LENGTH: usize = 256;
/// `DekRegistryClient.LATEST_VERSION`.
pub const LATEST: i32 = -1;

pub struct Keys {
    log: KeyLog,
    max_keys: usize,
    /// The local KMS for shared KEKs (`--dek-local-kms-secret`); `None`: no KMS client.
    kms: Option<kms::LocalKms>,
}

// The errors of `DekRegistryErrors.java` and its exception classes.
pub fn not_found(name: &str) -> RegistryError {
    RegistryError::Keys(404, 40470, format!("Key '{name}' not found"))
}
pub fn not_soft_deleted(name: &str) -> RegistryError {
    RegistryError::Keys(
        404,
        40471,
        format!("Key '{name}' was not deleted first before being permanently deleted"),
    )
}
pub fn soft_deleted(name: &str) -> RegistryError {
    RegistryError::Keys(404, 40472, format!("Key '{name}' must be undeleted first"))
}
pub fn already_exists(name: &str) -> RegistryError {
    RegistryError::Keys(
        409,
        40971,
        format!("Key '{name}' already exists; use a different value"),
    )
}
pub fn too_many_keys(max: usize) -> RegistryError {
    RegistryError::Keys(409, 40972, format!("A maximum of {max} keys already exist"))
}
pub fn invalid_key(field: &str) -> RegistryError {
    RegistryError::Keys(
        422,
        42271,
        format!("Invalid or missing value for field '{field}' of key"),
    )
}
pub fn references_exist(name: &str) -> RegistryError {
    RegistryError::Keys(
        422,
        42272,
        format!("One or more references exist to the key '{name}'"),
    )
}
/// The KMS call a shared KEK needs (`generateEncryptedDek` / `generateRawDek`) cannot be
/// made: no KMS client is configured on this registry. Confluent's wording when no KMS
/// driver is installed (`KmsDriverManager`), with ours on why.
pub fn no_kms(what: &str, subject: &str, kms_type: &str, kms_key_id: &str) -> RegistryError {
    RegistryError::Keys(
        500,
        50070,
        format!(
            "Could not generate {what} dek for {subject}: No KMS driver supports: {kms_type}://{kms_key_id} (this registry has no KMS client: a shared KEK needs one; with shared=false the clients wrap their DEKs themselves)"
        ),
    )
}

/// A KMS call that failed (`DekGenerationException`): 50070.
pub fn generation_failed(what: &str, subject: &str, why: &str) -> RegistryError {
    RegistryError::Keys(
        500,
        50070,
        format!("Could not generate {what} dek for {subject}: {why}"),
    )
}

/// `DekRegistryResource.checkName`: a letter or `_`, then letters, digits, `_` or `-`, at
/// most 256 characters (Java's `Character.isLetter`/`isLetterOrDigit`, Unicode).
pub fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = match chars.next() {
        Some(first) => {
            (first.is_alphabetic() || first == '_')
                && name.encode_utf16().count() <= NAME_MAX_LENGTH
                && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(invalid_key("name"))
    }
}

/// `DekRegistryResource.checkSubject`: not empty, no ISO control character.
pub fn check_subject(subject: &str) -> Result<()> {
    if subject.is_empty() || subject.chars().any(char::is_control) {
        return Err(invalid_key("subject"));
    }
    Ok(())
}

/// `AbstractDekRegistry.normalizeKmsType`.
fn normalize_kms_type(t: &str) -> String {
    let lower = t.to_lowercase();
    if lower.starts_with("aws") {
        "aws-kms".into()
    } else if lower.starts_with("azure") {
        "azure-kms".into()
    } else if lower.starts_with("gcp") {
        "gcp-kms".into()
    } else {
        t.to_string()
    }
}

/// `CreateKekRequest.validate`: the KMS key ID's shape for the KMS types it knows.
pub fn kms_key_id_valid(kms_type: &str, key_id: &str) -> bool {
    match kms_type {
        "aws-kms" => key_id.starts_with("arn:aws:kms:"),
        "azure-kms" => key_id.starts_with("https://"),
        "gcp-kms" => key_id.starts_with("projects/"),
        "hcvault" => key_id.starts_with("https://") || key_id.starts_with("http://"),
        _ => true,
    }
}

/// `EncryptionUpdateRequestHandler.addKmsDefaults`, run on a registration's (and a tag
/// request's) own rule set while the DEK registry is on: each domain rule whose params name
/// `encrypt.kms.key.id` but not both `encrypt.kek.name` and `encrypt.kms.type` gets
/// `encrypt.kek.name` = the key ID without a leading `arn:`, each character other than a
/// letter, digit, `_` or `-` replaced by `-`, and `encrypt.kms.type` = `aws-kms` for an
/// `arn:` key ID. Params stay sorted (Confluent's `Rule.params` is a sorted map).
pub fn add_kms_defaults(rule_set: &mut Option<serde_json::Value>) {
    use serde_json::Value;
    let Some(rules) = rule_set
        .as_mut()
        .and_then(|r| r.get_mut("domainRules"))
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for rule in rules {
        let Some(params) = rule.get_mut("params").and_then(Value::as_object_mut) else {
            continue;
        };
        let Some(key_id) = params
            .get("encrypt.kms.key.id")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            continue;
        };
        if params.contains_key("encrypt.kek.name") && params.contains_key("encrypt.kms.type") {
            continue;
        }
        let mut sorted: std::collections::BTreeMap<String, Value> =
            std::mem::take(params).into_iter().collect();
        let bare = key_id.strip_prefix("arn:").unwrap_or(&key_id);
        let scrubbed: String = bare
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        sorted
            .entry("encrypt.kek.name".into())
            .or_insert(Value::String(scrubbed));
        if key_id.starts_with("arn:") {
            sorted
                .entry("encrypt.kms.type".into())
                .or_insert(Value::String("aws-kms".into()));
        }
        params.extend(sorted);
    }
}

/// `POST /dek-registry/v1/keks` as bound.
#[derive(Debug, Clone, Default)]
pub struct NewKek {
    pub name: String,
    pub kms_type: String,
    pub kms_key_id: String,
    pub kms_props: Option<std::collections::BTreeMap<String, String>>,
    pub doc: Option<String>,
    pub shared: bool,
    pub deleted: bool,
}

/// `PUT /dek-registry/v1/keks/{name}`: `None` keeps the field; `Some(None)` (an explicit
/// null) clears `kmsProps` or `doc`.
#[derive(Debug, Clone, Default)]
pub struct KekUpdate {
    pub kms_props: Option<Option<std::collections::BTreeMap<String, String>>>,
    pub doc: Option<Option<String>>,
    pub shared: Option<bool>,
}

/// `POST /dek-registry/v1/keks/{name}/deks[/{subject}]` as bound.
#[derive(Debug, Clone, Default)]
pub struct NewDek {
    pub subject: String,
    pub version: Option<i32>,
    pub algorithm: Option<Algorithm>,
    pub encrypted_key_material: Option<String>,
    pub deleted: bool,
}

fn kek_id(name: &str) -> KekId {
    KekId {
        tenant: DEFAULT_TENANT.into(),
        name: name.into(),
    }
}

fn dek_id(kek: &str, subject: &str, algorithm: Algorithm, version: i32) -> DekId {
    DekId {
        tenant: DEFAULT_TENANT.into(),
        kek: kek.into(),
        subject: subject.into(),
        algorithm,
        version,
    }
}

fn put_kek(id: &KekId, v: &KekValue) -> RawRecord {
    RawRecord {
        key: record::kek_key(id),
        value: Some(record::kek_value(v)),
    }
}

fn put_dek(id: &DekId, v: &DekValue) -> RawRecord {
    RawRecord {
        key: record::dek_key(id),
        value: Some(record::dek_value(v)),
    }
}

impl Keys {
    pub fn new(log: KeyLog, max_keys: usize, kms: Option<kms::LocalKms>) -> Keys {
        Keys { log, max_keys, kms }
    }

    /// The KMS client for a shared KEK's `kmsType`, or Confluent's 50070 (`what` and
    /// `subject` name the operation in it).
    fn client(&self, kek: &KekValue, what: &str, subject: &str) -> Result<&kms::LocalKms> {
        match &self.kms {
            Some(k) if kms::SUPPORTED.contains(&kek.kms_type.as_str()) => Ok(k),
            _ => Err(no_kms(what, subject, &kek.kms_type, &kek.kms_key_id)),
        }
    }

    /// `testKek`: a shared KEK's KMS wraps a fresh DEK (50070 when it cannot); a KEK that
    /// is not shared is 42271 (`shared`).
    pub fn test_kek(&self, kek: &KekValue) -> Result<()> {
        if !kek.shared {
            return Err(invalid_key("shared"));
        }
        let kms = self.client(kek, "encrypted", "__TEST")?;
        kms::LocalKms::generate(Algorithm::Aes256Gcm)
            .and_then(|raw| kms.wrap(kek, &raw))
            .map(|_| ())
            .map_err(|e| generation_failed("encrypted", "__TEST", &e))
    }

    pub fn read(&self) -> RwLockReadGuard<'_, KeyState> {
        self.log.read()
    }

    pub fn caught_up(&self) -> bool {
        self.log.caught_up()
    }

    pub fn describe(&self) -> String {
        self.log.describe()
    }

    /// See [`KeyLog::sync`].
    pub async fn sync(&self) -> Result<()> {
        self.log.sync().await
    }

    /// `getKekNames`: all KEKs by name, or with `subjectPrefix`, the KEKs that have a DEK
    /// for a subject starting with one of the prefixes (sorted, distinct).
    pub fn kek_names(&self, prefixes: &[String], deleted: bool) -> Vec<String> {
        let st = self.read();
        if prefixes.is_empty() {
            return st
                .keks_of(DEFAULT_TENANT, deleted)
                .map(|k| k.value.name.clone())
                .collect();
        }
        let mut names: Vec<String> = st
            .deks_of(DEFAULT_TENANT, None, deleted)
            .filter(|(id, _)| prefixes.iter().any(|p| id.subject.starts_with(p.as_str())))
            .map(|(id, _)| id.kek.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// `getKek(name, lookupDeleted)`.
    pub fn kek(&self, name: &str, deleted: bool) -> Option<Stamped<KekValue>> {
        self.read()
            .kek(DEFAULT_TENANT, name)
            .filter(|k| deleted || !k.value.deleted)
            .cloned()
    }

    /// `getDekSubjects`: sorted, distinct.
    pub fn dek_subjects(&self, kek: &str, deleted: bool) -> Vec<String> {
        let st = self.read();
        let mut subjects: Vec<String> = st
            .deks_of(DEFAULT_TENANT, Some(kek), deleted)
            .map(|(id, _)| id.subject.clone())
            .collect();
        subjects.sort();
        subjects.dedup();
        subjects
    }

    /// `getDekVersions` (the algorithm defaults to AES256_GCM).
    pub fn dek_versions(
        &self,
        kek: &str,
        subject: &str,
        algorithm: Option<Algorithm>,
        deleted: bool,
    ) -> Vec<i32> {
        let alg = algorithm.unwrap_or(Algorithm::Aes256Gcm);
        self.read()
            .versions(DEFAULT_TENANT, kek, subject, alg, deleted)
            .map(|(id, _)| id.version)
            .collect()
    }

    /// `getDek` (`LATEST`: the newest version) without the shared-KEK unwrapping, which the
    /// caller does (`dek_answer`).
    pub fn dek(
        &self,
        kek: &str,
        subject: &str,
        version: i32,
        algorithm: Option<Algorithm>,
        deleted: bool,
    ) -> Option<Stamped<DekValue>> {
        let alg = algorithm.unwrap_or(Algorithm::Aes256Gcm);
        let st = self.read();
        if version == LATEST {
            return st
                .versions(DEFAULT_TENANT, kek, subject, alg, deleted)
                .last()
                .map(|(_, d)| d.clone());
        }
        st.dek(&dek_id(kek, subject, alg, version))
            .filter(|d| deleted || !d.value.deleted)
            .cloned()
    }

    /// `maybeGenerateRawDek`: a DEK of a shared KEK is answered with its raw key material
    /// (base64), unwrapped with the KMS; `None` for a KEK that is not shared.
    pub fn raw_material(&self, dek: &DekValue) -> Result<Option<String>> {
        let Some(k) = self.kek(&dek.kek, true).filter(|k| k.value.shared) else {
            return Ok(None);
        };
        let kms = self.client(&k.value, "raw", &dek.subject)?;
        let wrapped = dek.encrypted_key_material.as_deref().unwrap_or_default();
        let raw = kms
            .unwrap(&k.value, wrapped)
            .map_err(|e| generation_failed("raw", &dek.subject, &e))?;
        use base64::Engine;
        Ok(Some(base64::engine::general_purpose::STANDARD.encode(raw)))
    }

    /// `createKek`.
    pub async fn create_kek(&self, req: NewKek) -> Result<Stamped<KekValue>> {
        let id = kek_id(&req.name);
        let max = self.max_keys;
        self.log
            .write(|st| {
                if st.count(DEFAULT_TENANT, true) > max {
                    return Err(too_many_keys(max));
                }
                let value = KekValue {
                    name: req.name.clone(),
                    kms_type: normalize_kms_type(&req.kms_type),
                    kms_key_id: req.kms_key_id.clone(),
                    kms_props: req.kms_props.clone().unwrap_or_default(),
                    doc: req.doc.clone(),
                    shared: req.shared,
                    deleted: req.deleted,
                };
                if let Some(old) = st.keks.get(&id) {
                    if req.deleted == old.value.deleted || !old.value.equivalent(&value) {
                        return Err(already_exists(&req.name));
                    }
                }
                Ok((vec![put_kek(&id, &value)], ()))
            })
            .await?;
        self.read()
            .keks
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found(&req.name))
    }

    /// `putKek`: `None` when there is no live KEK of that name.
    pub async fn update_kek(
        &self,
        name: &str,
        upd: KekUpdate,
    ) -> Result<Option<Stamped<KekValue>>> {
        let id = kek_id(name);
        let found = self
            .log
            .write(|st| {
                let Some(old) = st.keks.get(&id).filter(|k| !k.value.deleted) else {
                    return Ok((vec![], false));
                };
                let old = &old.value;
                let value = KekValue {
                    name: name.to_string(),
                    kms_type: old.kms_type.clone(),
                    kms_key_id: old.kms_key_id.clone(),
                    kms_props: match &upd.kms_props {
                        Some(p) => p.clone().unwrap_or_default(),
                        None => old.kms_props.clone(),
                    },
                    doc: match &upd.doc {
                        Some(d) => d.clone(),
                        None => old.doc.clone(),
                    },
                    shared: upd.shared.unwrap_or(old.shared),
                    deleted: false,
                };
                if value.equivalent(old) {
                    return Ok((vec![], true));
                }
                Ok((vec![put_kek(&id, &value)], true))
            })
            .await?;
        Ok(found.then(|| self.read().keks.get(&id).cloned()).flatten())
    }

    /// `deleteKek`: refused while DEKs use it (live ones for a soft delete, any for a
    /// permanent one); a permanent delete needs a soft delete first.
    pub async fn delete_kek(&self, name: &str, permanent: bool) -> Result<()> {
        let id = kek_id(name);
        self.log
            .write(|st| {
                if st
                    .deks_of(DEFAULT_TENANT, Some(name), permanent)
                    .next()
                    .is_some()
                {
                    return Err(references_exist(name));
                }
                let Some(old) = st.keks.get(&id) else {
                    return Ok((vec![], ()));
                };
                if permanent {
                    if !old.value.deleted {
                        return Err(not_soft_deleted(name));
                    }
                    let tomb = RawRecord {
                        key: record::kek_key(&id),
                        value: None,
                    };
                    return Ok((vec![tomb], ()));
                }
                if old.value.deleted {
                    return Ok((vec![], ()));
                }
                let value = KekValue {
                    deleted: true,
                    ..old.value.clone()
                };
                Ok((vec![put_kek(&id, &value)], ()))
            })
            .await
    }

    /// `undeleteKek`.
    pub async fn undelete_kek(&self, name: &str) -> Result<()> {
        let id = kek_id(name);
        self.log
            .write(|st| match st.keks.get(&id) {
                Some(old) if old.value.deleted => {
                    let value = KekValue {
                        deleted: false,
                        ..old.value.clone()
                    };
                    Ok((vec![put_kek(&id, &value)], ()))
                }
                _ => Ok((vec![], ())),
            })
            .await
    }

    /// `createDek`: the client's encrypted key material is stored as given (a KEK that is
    /// not shared); `rewrap` replaces an existing version's material. `import`: the subject
    /// is in IMPORT mode, where Confluent skips the round trip through the KMS before the
    /// write for a shared KEK's DEK (and answers no raw key): a DEK imported with its
    /// wrapped material is stored even where this registry cannot unwrap it.
    pub async fn create_dek(
        &self,
        kek: &str,
        rewrap: bool,
        import: bool,
        req: NewDek,
    ) -> Result<Stamped<DekValue>> {
        let algorithm = req.algorithm.unwrap_or(Algorithm::Aes256Gcm);
        let version = req.version.unwrap_or(1);
        let id = dek_id(kek, &req.subject, algorithm, version);
        let max = self.max_keys;
        self.log
            .write(|st| {
                if st.count(DEFAULT_TENANT, false) > max {
                    return Err(too_many_keys(max));
                }
                let value = DekValue {
                    kek: kek.to_string(),
                    subject: req.subject.clone(),
                    algorithm,
                    version,
                    encrypted_key_material: req.encrypted_key_material.clone(),
                    deleted: req.deleted,
                };
                let Some(k) = st.kek(DEFAULT_TENANT, kek) else {
                    return Err(not_found(kek));
                };
                let old = st.dek(&id);
                if let Some(old) = old {
                    if !rewrap
                        && (req.deleted == old.value.deleted || !old.value.equivalent(&value))
                    {
                        return Err(already_exists(&req.subject));
                    }
                }
                let mut value = value;
                if value.encrypted_key_material.is_some() {
                    if k.value.shared && old.is_some() {
                        return Err(already_exists(&req.subject));
                    }
                } else if k.value.shared {
                    // The registry makes (or, on a rewrap, re-wraps) the DEK with the KMS.
                    let kms = self.client(&k.value, "encrypted", &req.subject)?;
                    let failed = |e: String| generation_failed("encrypted", &req.subject, &e);
                    let raw = match old.and_then(|o| o.value.encrypted_key_material.as_deref()) {
                        Some(w) => kms.unwrap(&k.value, w).map_err(failed)?,
                        None => kms::LocalKms::generate(algorithm).map_err(failed)?,
                    };
                    value.encrypted_key_material = Some(kms.wrap(&k.value, &raw).map_err(failed)?);
                } else {
                    return Err(invalid_key("encryptedKeyMaterial"));
                }
                if k.value.shared && !import {
                    // The answer carries the raw key: it must unwrap before anything is written.
                    let kms = self.client(&k.value, "raw", &req.subject)?;
                    let wrapped = value.encrypted_key_material.as_deref().unwrap_or_default();
                    kms.unwrap(&k.value, wrapped)
                        .map_err(|e| generation_failed("raw", &req.subject, &e))?;
                }
                Ok((vec![put_dek(&id, &value)], ()))
            })
            .await?;
        self.read()
            .dek(&id)
            .cloned()
            .ok_or_else(|| not_found(&req.subject))
    }

    /// `deleteDek`: every version of a subject under a KEK and algorithm.
    pub async fn delete_deks(
        &self,
        kek: &str,
        subject: &str,
        algorithm: Option<Algorithm>,
        permanent: bool,
    ) -> Result<()> {
        let alg = algorithm.unwrap_or(Algorithm::Aes256Gcm);
        self.log
            .write(|st| {
                let deks: Vec<_> = st
                    .versions(DEFAULT_TENANT, kek, subject, alg, permanent)
                    .collect();
                let mut records = Vec::new();
                if permanent {
                    if let Some((id, _)) = deks.iter().find(|(_, d)| !d.value.deleted) {
                        return Err(not_soft_deleted(&id.subject));
                    }
                    for (id, _) in deks {
                        records.push(RawRecord {
                            key: record::dek_key(id),
                            value: None,
                        });
                    }
                } else {
                    for (id, d) in deks.into_iter().filter(|(_, d)| !d.value.deleted) {
                        let value = DekValue {
                            deleted: true,
                            ..d.value.clone()
                        };
                        records.push(put_dek(id, &value));
                    }
                }
                Ok((records, ()))
            })
            .await
    }

    /// `deleteDekVersion`.
    pub async fn delete_dek_version(
        &self,
        kek: &str,
        subject: &str,
        version: i32,
        algorithm: Option<Algorithm>,
        permanent: bool,
    ) -> Result<()> {
        let id = dek_id(
            kek,
            subject,
            algorithm.unwrap_or(Algorithm::Aes256Gcm),
            version,
        );
        self.log
            .write(|st| {
                let Some(d) = st.dek(&id) else {
                    return Ok((vec![], ()));
                };
                if permanent {
                    if !d.value.deleted {
                        return Err(not_soft_deleted(subject));
                    }
                    let tomb = RawRecord {
                        key: record::dek_key(&id),
                        value: None,
                    };
                    return Ok((vec![tomb], ()));
                }
                if d.value.deleted {
                    return Ok((vec![], ()));
                }
                let value = DekValue {
                    deleted: true,
                    ..d.value.clone()
                };
                Ok((vec![put_dek(&id, &value)], ()))
            })
            .await
    }

    /// `undeleteDek` / `undeleteDekVersion` (`version`: `None` = every version): refused
    /// while the KEK is soft-deleted.
    pub async fn undelete_deks(
        &self,
        kek: &str,
        subject: &str,
        version: Option<i32>,
        algorithm: Option<Algorithm>,
    ) -> Result<()> {
        let alg = algorithm.unwrap_or(Algorithm::Aes256Gcm);
        self.log
            .write(|st| {
                let Some(k) = st.kek(DEFAULT_TENANT, kek) else {
                    return Ok((vec![], ()));
                };
                if k.value.deleted {
                    return Err(soft_deleted(kek));
                }
                let records = st
                    .versions(DEFAULT_TENANT, kek, subject, alg, true)
                    .filter(|(id, d)| d.value.deleted && version.is_none_or(|v| id.version == v))
                    .map(|(id, d)| {
                        let value = DekValue {
                            deleted: false,
                            ..d.value.clone()
                        };
                        put_dek(id, &value)
                    })
                    .collect();
                Ok((records, ()))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // DekRegistryResource.checkName / checkSubject.
    #[test]
    fn names_and_subjects() {
        for ok in ["k", "_k", "kek-1_a", "Ünïcode", &"a".repeat(256)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1k", "-k", "k.1", "k 1", "k/1", &"a".repeat(257)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(check_subject("orders-value").is_ok());
        assert!(check_subject(":.ctx:s").is_ok());
        assert!(check_subject("").is_err());
        assert!(check_subject("a\u{7}b").is_err());
    }

    // EncryptionUpdateRequestHandler (RestApiTest.testRegisterCreatesKmsDefaults).
    #[test]
    fn kms_defaults_on_registration() {
        let arn = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let mut rs = Some(serde_json::json!({"domainRules": [
            {"name": "e", "params": {"encrypt.kms.key.id": arn, "z": "1"}},
            {"name": "f", "params": {"encrypt.kms.key.id": "local/k", "encrypt.kms.type": "local-kms"}},
            {"name": "g", "params": {"encrypt.kms.key.id": "k", "encrypt.kek.name": "mine", "encrypt.kms.type": "t"}},
            {"name": "h"}
        ]}));
        add_kms_defaults(&mut rs);
        let rules = &rs.unwrap()["domainRules"];
        assert_eq!(
            rules[0]["params"],
            serde_json::json!({"encrypt.kek.name": "aws-kms-us-west-2-111122223333-key-1234abcd-12ab-34cd-56ef-1234567890ab",
                "encrypt.kms.key.id": arn, "encrypt.kms.type": "aws-kms", "z": "1"})
        );
        let keys: Vec<&String> = rules[0]["params"].as_object().unwrap().keys().collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted: {keys:?}");
        assert_eq!(rules[1]["params"]["encrypt.kek.name"], "local-k");
        assert_eq!(rules[2]["params"]["encrypt.kek.name"], "mine");
        assert!(rules[3].get("params").is_none());
    }

    // AbstractDekRegistry.normalizeKmsType and CreateKekRequest.validate.
    #[test]
    fn kms_types() {
        assert_eq!(normalize_kms_type("AWS"), "aws-kms");
        assert_eq!(normalize_kms_type("azure-kms"), "azure-kms");
        assert_eq!(normalize_kms_type("GCP-KMS"), "gcp-kms");
        assert_eq!(normalize_kms_type("local-kms"), "local-kms");
        assert!(kms_key_id_valid("aws-kms", "arn:aws:kms:us-east-1:1:key/x"));
        assert!(!kms_key_id_valid("aws-kms", "x"));
        assert!(!kms_key_id_valid("hcvault", "vault"));
        assert!(kms_key_id_valid("local-kms", "anything"));
    }
}

//! The `_dek_registry_keys` record format: keys and values as Confluent's DEK registry
//! writes them (`dek-registry/…/storage/KeyEncryptionKeyId.java`, `DataEncryptionKeyId.java`,
//! `KeyEncryptionKey.java`, `DataEncryptionKey.java`, serialized by a plain Jackson
//! `ObjectMapper`: the `@JsonCreator` parameters first in their order, then the inherited
//! `type`; `@JsonInclude(NON_NULL)`; `offset` and `ts` are only set on cached copies, never
//! written). The raw key material is `@JsonIgnore` there and is never part of a record here.
//!
//! Reading is lenient: any field order, unknown fields, a missing `deleted`; a key or value
//! that does not decode is reported and skipped by the caller.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Confluent's only tenant outside its cloud (`QualifiedSubject.DEFAULT_TENANT`).
pub const DEFAULT_TENANT: &str = "default";

/// `DekFormat`, in its declaration order (the order keys sort in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    #[serde(rename = "AES128_GCM")]
    Aes128Gcm,
    #[serde(rename = "AES256_GCM")]
    Aes256Gcm,
    #[serde(rename = "AES256_SIV")]
    Aes256Siv,
}

impl Algorithm {
    pub const ALL: [Algorithm; 3] = [
        Algorithm::Aes128Gcm,
        Algorithm::Aes256Gcm,
        Algorithm::Aes256Siv,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Aes128Gcm => "AES128_GCM",
            Algorithm::Aes256Gcm => "AES256_GCM",
            Algorithm::Aes256Siv => "AES256_SIV",
        }
    }

    /// Exactly one of the names (JAX-RS's enum conversion and Jackson's are case-sensitive).
    pub fn parse(s: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == s)
    }
}

/// A KEK's identity: `{"tenant":…,"name":…,"type":"KEK"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KekId {
    pub tenant: String,
    pub name: String,
}

/// A DEK's identity: `{"tenant":…,"kekName":…,"subject":…,"algorithm":…,"version":…,"type":"DEK"}`.
/// Field order is also the sort order (`DataEncryptionKeyId.compareTo`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DekId {
    pub tenant: String,
    pub kek: String,
    pub subject: String,
    pub algorithm: Algorithm,
    pub version: i32,
}

/// A KEK as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KekValue {
    pub name: String,
    pub kms_type: String,
    pub kms_key_id: String,
    pub kms_props: BTreeMap<String, String>,
    pub doc: Option<String>,
    pub shared: bool,
    pub deleted: bool,
}

impl KekValue {
    /// `KeyEncryptionKey.isEquivalent`: everything but `deleted`.
    pub fn equivalent(&self, other: &KekValue) -> bool {
        self.name == other.name
            && self.kms_type == other.kms_type
            && self.kms_key_id == other.kms_key_id
            && self.kms_props == other.kms_props
            && self.doc == other.doc
            && self.shared == other.shared
    }
}

/// A DEK as stored: only the encrypted key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DekValue {
    pub kek: String,
    pub subject: String,
    pub algorithm: Algorithm,
    pub version: i32,
    pub encrypted_key_material: Option<String>,
    pub deleted: bool,
}

impl DekValue {
    /// `DataEncryptionKey.isEquivalent`: everything but `deleted`.
    pub fn equivalent(&self, other: &DekValue) -> bool {
        self.kek == other.kek
            && self.subject == other.subject
            && self.algorithm == other.algorithm
            && self.version == other.version
            && self.encrypted_key_material == other.encrypted_key_material
    }
}

/// A decoded record key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyId {
    Kek(KekId),
    Dek(DekId),
}

#[derive(Serialize)]
struct KekKeyJson<'a> {
    tenant: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DekKeyJson<'a> {
    tenant: &'a str,
    kek_name: &'a str,
    subject: &'a str,
    algorithm: Algorithm,
    version: i32,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KekValueJson<'a> {
    name: &'a str,
    kms_type: &'a str,
    kms_key_id: &'a str,
    kms_props: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    doc: Option<&'a str>,
    shared: bool,
    deleted: bool,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DekValueJson<'a> {
    kek_name: &'a str,
    subject: &'a str,
    algorithm: Algorithm,
    version: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    encrypted_key_material: Option<&'a str>,
    deleted: bool,
    #[serde(rename = "type")]
    kind: &'static str,
}

fn to_bytes<T: Serialize>(v: &T) -> Vec<u8> {
    // Plain structs of strings, numbers and maps of strings: serialising cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

pub fn kek_key(id: &KekId) -> Vec<u8> {
    to_bytes(&KekKeyJson {
        tenant: &id.tenant,
        name: &id.name,
        kind: "KEK",
    })
}

pub fn dek_key(id: &DekId) -> Vec<u8> {
    to_bytes(&DekKeyJson {
        tenant: &id.tenant,
        kek_name: &id.kek,
        subject: &id.subject,
        algorithm: id.algorithm,
        version: id.version,
        kind: "DEK",
    })
}

pub fn kek_value(v: &KekValue) -> Vec<u8> {
    to_bytes(&KekValueJson {
        name: &v.name,
        kms_type: &v.kms_type,
        kms_key_id: &v.kms_key_id,
        kms_props: &v.kms_props,
        doc: v.doc.as_deref(),
        shared: v.shared,
        deleted: v.deleted,
        kind: "KEK",
    })
}

pub fn dek_value(v: &DekValue) -> Vec<u8> {
    to_bytes(&DekValueJson {
        kek_name: &v.kek,
        subject: &v.subject,
        algorithm: v.algorithm,
        version: v.version,
        encrypted_key_material: v.encrypted_key_material.as_deref(),
        deleted: v.deleted,
        kind: "DEK",
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnyKey {
    #[serde(rename = "type")]
    kind: String,
    tenant: Option<String>,
    name: Option<String>,
    kek_name: Option<String>,
    subject: Option<String>,
    algorithm: Option<Algorithm>,
    version: Option<i32>,
}

/// Reads a record key; `Err` says why it is not one.
pub fn decode_key(bytes: &[u8]) -> Result<KeyId, String> {
    let k: AnyKey = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let tenant = k.tenant.unwrap_or_else(|| DEFAULT_TENANT.to_string());
    match k.kind.as_str() {
        "KEK" => Ok(KeyId::Kek(KekId {
            tenant,
            name: k.name.ok_or("a KEK key without name")?,
        })),
        "DEK" => Ok(KeyId::Dek(DekId {
            tenant,
            kek: k.kek_name.ok_or("a DEK key without kekName")?,
            subject: k.subject.ok_or("a DEK key without subject")?,
            algorithm: k.algorithm.unwrap_or(Algorithm::Aes256Gcm),
            version: k.version.unwrap_or(1),
        })),
        other => Err(format!("unknown key type {other:?}")),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnyKekValue {
    name: Option<String>,
    kms_type: Option<String>,
    kms_key_id: Option<String>,
    #[serde(default)]
    kms_props: Option<BTreeMap<String, String>>,
    doc: Option<String>,
    #[serde(default)]
    shared: bool,
    #[serde(default)]
    deleted: bool,
}

pub fn decode_kek_value(id: &KekId, bytes: &[u8]) -> Result<KekValue, String> {
    let v: AnyKekValue = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    Ok(KekValue {
        name: v.name.unwrap_or_else(|| id.name.clone()),
        kms_type: v.kms_type.unwrap_or_default(),
        kms_key_id: v.kms_key_id.unwrap_or_default(),
        kms_props: v.kms_props.unwrap_or_default(),
        doc: v.doc,
        shared: v.shared,
        deleted: v.deleted,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnyDekValue {
    encrypted_key_material: Option<String>,
    #[serde(default)]
    deleted: bool,
}

pub fn decode_dek_value(id: &DekId, bytes: &[u8]) -> Result<DekValue, String> {
    let v: AnyDekValue = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    Ok(DekValue {
        kek: id.kek.clone(),
        subject: id.subject.clone(),
        algorithm: id.algorithm,
        version: id.version,
        encrypted_key_material: v.encrypted_key_material,
        deleted: v.deleted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The bytes Confluent's `EncryptionKeyIdSerializer` / `EncryptionKeySerializer` write
    // (creator parameters first, then `type`; NON_NULL), derived from the classes named in
    // the module docs.
    #[test]
    fn keys_and_values_in_confluents_layout() {
        let kek = KekId {
            tenant: DEFAULT_TENANT.into(),
            name: "k1".into(),
        };
        assert_eq!(
            String::from_utf8(kek_key(&kek)).unwrap(),
            r#"{"tenant":"default","name":"k1","type":"KEK"}"#
        );
        let dek = DekId {
            tenant: DEFAULT_TENANT.into(),
            kek: "k1".into(),
            subject: "orders-value".into(),
            algorithm: Algorithm::Aes256Gcm,
            version: 1,
        };
        assert_eq!(
            String::from_utf8(dek_key(&dek)).unwrap(),
            r#"{"tenant":"default","kekName":"k1","subject":"orders-value","algorithm":"AES256_GCM","version":1,"type":"DEK"}"#
        );
        let v = KekValue {
            name: "k1".into(),
            kms_type: "local-kms".into(),
            kms_key_id: "key1".into(),
            kms_props: [("b".to_string(), "2".to_string()), ("a".into(), "1".into())]
                .into_iter()
                .collect(),
            doc: None,
            shared: false,
            deleted: false,
        };
        assert_eq!(
            String::from_utf8(kek_value(&v)).unwrap(),
            r#"{"name":"k1","kmsType":"local-kms","kmsKeyId":"key1","kmsProps":{"a":"1","b":"2"},"shared":false,"deleted":false,"type":"KEK"}"#
        );
        let d = DekValue {
            kek: "k1".into(),
            subject: "orders-value".into(),
            algorithm: Algorithm::Aes256Siv,
            version: 2,
            encrypted_key_material: Some("AAAA".into()),
            deleted: true,
        };
        assert_eq!(
            String::from_utf8(dek_value(&d)).unwrap(),
            r#"{"kekName":"k1","subject":"orders-value","algorithm":"AES256_SIV","version":2,"encryptedKeyMaterial":"AAAA","deleted":true,"type":"DEK"}"#
        );
    }

    #[test]
    fn reading_is_lenient_and_never_panics() {
        let k = decode_key(br#"{"type":"DEK","version":3,"subject":"s","kekName":"k","tenant":"t","algorithm":"AES128_GCM","x":1}"#).unwrap();
        assert_eq!(
            k,
            KeyId::Dek(DekId {
                tenant: "t".into(),
                kek: "k".into(),
                subject: "s".into(),
                algorithm: Algorithm::Aes128Gcm,
                version: 3
            })
        );
        for bad in [
            &b""[..],
            b"[]",
            br#"{"type":"NOOP"}"#,
            br#"{"type":"KEK"}"#,
            br#"{"type":"DEK","kekName":"k","subject":"s","algorithm":"X"}"#,
        ] {
            assert!(decode_key(bad).is_err());
        }
        let id = KekId {
            tenant: "default".into(),
            name: "k".into(),
        };
        let v =
            decode_kek_value(&id, br#"{"kmsKeyId":"i","kmsType":"t","ts":5,"offset":2}"#).unwrap();
        assert_eq!(v.name, "k");
        assert!(!v.deleted);
        assert!(decode_kek_value(&id, b"{").is_err());
    }
}

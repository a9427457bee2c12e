//! The `_schemas` record format: keys and values exactly as Confluent Schema Registry writes
//! them to its compacted topic. This module is the only one that knows the bytes.
//!
//! Writing is strict and byte-stable (field order as Confluent's Jackson classes emit it,
//! compact JSON, absent optional fields omitted). Reading is lenient: either key field order,
//! `magic` 0 or 1, a missing or null `subject` in values, a missing `schemaType` (= AVRO),
//! unknown fields, and unknown key types (reported as [`Key::Unknown`], which callers skip).

use crate::model::Reference;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// A raw record as stored: key bytes and optional value bytes (`None` = tombstone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

/// A decoded record key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// One version of one subject.
    Schema { subject: String, version: i32 },
    /// Compatibility config; `None` = global, `:.ctx:` = context level.
    Config { subject: Option<String> },
    /// Mode; `None` = global, `:.ctx:` = context level.
    Mode { subject: Option<String> },
    /// Soft delete of a whole subject (up to the version in the value).
    DeleteSubject { subject: String },
    /// Removal of a subject's soft-deleted versions.
    ClearSubject { subject: String },
    /// No-op marker, written to find the end of the log.
    Noop,
    /// A context came into use.
    Context { tenant: String, context: String },
    /// Confluent 8.2's association of a Kafka resource with a subject (`AssociationKey`,
    /// keytype `ASSOC`; the subject is qualified).
    Association(AssociationKey),
    /// Ours, not Confluent's (its readers skip unknown key types): who leads, under which
    /// epoch. One key, so compaction keeps the newest.
    Leadership,
    /// Ours: an exporter's definition (Confluent keeps these in other topics).
    Exporter { name: String },
    /// Ours: an exporter's state (paused or running) and how far it exported.
    ExporterState { name: String },
    /// A key type this version does not know: logged and skipped.
    Unknown(String),
}

/// The fields of an `ASSOC` key, in Confluent's order (`AssociationKey`): one association
/// per resource name, namespace, type, association type and subject.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AssociationKey {
    pub tenant: String,
    pub resource_name: String,
    pub resource_namespace: String,
    pub resource_type: String,
    pub association_type: String,
    pub subject: String,
}

/// Value of an `ASSOC` record (Confluent 8.2's `AssociationValue`; `frozen` always written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub association_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<String>,
    #[serde(default)]
    pub frozen: bool,
}

/// Value of a LEADERSHIP record: `node` leads under `epoch` (a claim of `epoch + 1` takes
/// over; the same epoch and node renews the lease).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadershipValue {
    pub epoch: i64,
    pub node: String,
}

/// Value of an EXPORTER record: the definition, as Confluent's exporter API takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExporterValue {
    pub name: String,
    pub context_type: String,
    pub context: String,
    pub subjects: Vec<String>,
    pub subject_rename_format: String,
    #[serde(default)]
    pub config: std::collections::BTreeMap<String, String>,
}

/// Value of an EXPORTER_STATE record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExporterStateValue {
    /// RUNNING or PAUSED: what the exporter should do.
    pub state: String,
    /// Source log offset up to which everything is exported (-1: nothing yet).
    pub offset: i64,
    /// When `offset` was reached, ms since the epoch.
    pub ts: i64,
    /// The last error, empty when healthy.
    #[serde(default)]
    pub trace: String,
}

/// Value of a SCHEMA record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaValue {
    #[serde(default)]
    pub subject: Option<String>,
    pub version: i32,
    pub id: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<Json>,
    pub schema: String,
    #[serde(default)]
    pub deleted: bool,
}

/// Value of a CONFIG record (fields a scope sets; absent = inherited).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Confluent 8.x `aliasForDeks`: the alias the DEK registry routes use (stored and
    /// answered; `AliasFilter` applies it on `dek-registry` paths only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_for_deks: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_fields: Option<bool>,
    /// Confluent 8's `validateNewSchemas`: strict parsing (Avro defaults and names) of
    /// schemas being registered or checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_new_schemas: Option<bool>,
    /// Confluent 8.2's `validateRules`: kept and answered (no behaviour in Confluent's open
    /// code either).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_rules: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_level: Option<String>,
    /// Confluent 8.2's `compatibilityPolicy` (`STRICT`, `LENIENT`, `LOGICAL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_metadata: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_metadata: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_rule_set: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_rule_set: Option<Json>,
}

/// Value of a MODE record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub mode: String,
}

/// Value of a DELETE_SUBJECT record: every version up to `version` is soft-deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteSubjectValue {
    #[serde(default)]
    pub subject: Option<String>,
    pub version: i32,
}

/// Value of a CLEAR_SUBJECT record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClearSubjectValue {
    #[serde(default)]
    pub subject: Option<String>,
}

/// Value of a CONTEXT record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextValue {
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub context: Option<String>,
}

/// A decoded value (absent for tombstones).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Schema(SchemaValue),
    Config(ConfigValue),
    Mode(ModeValue),
    DeleteSubject(DeleteSubjectValue),
    ClearSubject(ClearSubjectValue),
    Context(ContextValue),
    Leadership(LeadershipValue),
    Exporter(ExporterValue),
    ExporterState(ExporterStateValue),
    Association(AssociationValue),
    /// NOOP records carry no meaningful value.
    Empty,
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub key: Key,
    /// `None` = tombstone.
    pub value: Option<Value>,
}

/// Why a stored record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("malformed key: {0}")]
    Key(String),
    #[error("malformed value for {keytype}: {reason}")]
    Value { keytype: String, reason: String },
}

fn null_as_empty<'de, D>(d: D) -> Result<Vec<Reference>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(Option::<Vec<Reference>>::deserialize(d)?.unwrap_or_default())
}

/// The tenant Confluent writes in CONTEXT keys.
pub const DEFAULT_TENANT: &str = "default";

fn push_str(out: &mut String, s: &str) {
    // serde_json escapes exactly like Jackson for the characters that matter here
    // (quote, backslash, control characters); non-ASCII is written as UTF-8 by both.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\"")));
}

/// Encodes a key byte for byte as Confluent does (`@JsonPropertyOrder` keytype, subject,
/// version, magic; `subject` omitted when absent).
pub fn encode_key(key: &Key) -> Vec<u8> {
    let mut out = String::with_capacity(64);
    out.push_str("{\"keytype\":");
    match key {
        Key::Schema { subject, version } => {
            out.push_str("\"SCHEMA\",\"subject\":");
            push_str(&mut out, subject);
            out.push_str(&format!(",\"version\":{version},\"magic\":1}}"));
        }
        Key::Config { subject } | Key::Mode { subject } => {
            out.push_str(if matches!(key, Key::Config { .. }) {
                "\"CONFIG\""
            } else {
                "\"MODE\""
            });
            if let Some(s) = subject {
                out.push_str(",\"subject\":");
                push_str(&mut out, s);
            }
            out.push_str(",\"magic\":0}");
        }
        Key::DeleteSubject { subject } | Key::ClearSubject { subject } => {
            out.push_str(if matches!(key, Key::DeleteSubject { .. }) {
                "\"DELETE_SUBJECT\""
            } else {
                "\"CLEAR_SUBJECT\""
            });
            out.push_str(",\"subject\":");
            push_str(&mut out, subject);
            out.push_str(",\"magic\":0}");
        }
        Key::Noop => out.push_str("\"NOOP\",\"magic\":0}"),
        Key::Leadership => out.push_str("\"LEADERSHIP\",\"magic\":0}"),
        Key::Exporter { name } | Key::ExporterState { name } => {
            out.push_str(if matches!(key, Key::Exporter { .. }) {
                "\"EXPORTER\""
            } else {
                "\"EXPORTER_STATE\""
            });
            out.push_str(",\"name\":");
            push_str(&mut out, name);
            out.push_str(",\"magic\":0}");
        }
        Key::Context { tenant, context } => {
            out.push_str("\"CONTEXT\",\"tenant\":");
            push_str(&mut out, tenant);
            out.push_str(",\"context\":");
            push_str(&mut out, context);
            out.push_str(",\"magic\":0}");
        }
        Key::Association(k) => {
            out.push_str("\"ASSOC\",\"tenant\":");
            push_str(&mut out, &k.tenant);
            for (name, v) in [
                ("resourceName", &k.resource_name),
                ("resourceNamespace", &k.resource_namespace),
                ("resourceType", &k.resource_type),
                ("associationType", &k.association_type),
                ("subject", &k.subject),
            ] {
                out.push_str(",\"");
                out.push_str(name);
                out.push_str("\":");
                push_str(&mut out, v);
            }
            out.push_str(",\"magic\":0}");
        }
        Key::Unknown(raw) => return raw.as_bytes().to_vec(),
    }
    out.into_bytes()
}

/// Encodes a value as Confluent does (compact JSON, fields in its order, empty ones omitted).
pub fn encode_value(value: &Value) -> Vec<u8> {
    let r = match value {
        Value::Schema(v) => serde_json::to_vec(v),
        Value::Config(v) => serde_json::to_vec(v),
        Value::Mode(v) => serde_json::to_vec(v),
        Value::DeleteSubject(v) => serde_json::to_vec(v),
        Value::ClearSubject(v) => serde_json::to_vec(v),
        Value::Context(v) => serde_json::to_vec(v),
        Value::Leadership(v) => serde_json::to_vec(v),
        Value::Exporter(v) => serde_json::to_vec(v),
        Value::ExporterState(v) => serde_json::to_vec(v),
        Value::Association(v) => serde_json::to_vec(v),
        Value::Empty => Ok(b"{}".to_vec()),
    };
    // Serialising these plain structs cannot fail (string keys, no custom serialisers).
    r.unwrap_or_else(|_| b"{}".to_vec())
}

/// Encodes a whole record.
pub fn encode(record: &Record) -> RawRecord {
    RawRecord {
        key: encode_key(&record.key),
        value: record.value.as_ref().map(encode_value),
    }
}

#[derive(Deserialize)]
struct AnyKey {
    keytype: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "resourceName")]
    resource_name: Option<String>,
    #[serde(default, rename = "resourceNamespace")]
    resource_namespace: Option<String>,
    #[serde(default, rename = "resourceType")]
    resource_type: Option<String>,
    #[serde(default, rename = "associationType")]
    association_type: Option<String>,
}

/// Decodes a key leniently (any field order, any magic, unknown fields ignored).
pub fn decode_key(bytes: &[u8]) -> Result<Key, DecodeError> {
    let k: AnyKey = serde_json::from_slice(bytes).map_err(|e| DecodeError::Key(e.to_string()))?;
    let keytype = k
        .keytype
        .ok_or_else(|| DecodeError::Key("no keytype".into()))?;
    let need_subject = |s: Option<String>| s.ok_or_else(|| DecodeError::Key("no subject".into()));
    Ok(match keytype.as_str() {
        "SCHEMA" => {
            let version = k
                .version
                .and_then(|v| i32::try_from(v).ok())
                .ok_or_else(|| DecodeError::Key("no valid version".into()))?;
            Key::Schema {
                subject: need_subject(k.subject)?,
                version,
            }
        }
        "CONFIG" => Key::Config { subject: k.subject },
        "MODE" => Key::Mode { subject: k.subject },
        "DELETE_SUBJECT" => Key::DeleteSubject {
            subject: need_subject(k.subject)?,
        },
        "CLEAR_SUBJECT" => Key::ClearSubject {
            subject: need_subject(k.subject)?,
        },
        "NOOP" => Key::Noop,
        "LEADERSHIP" => Key::Leadership,
        "EXPORTER" | "EXPORTER_STATE" => {
            let name = k
                .name
                .ok_or_else(|| DecodeError::Key("no exporter name".into()))?;
            if keytype == "EXPORTER" {
                Key::Exporter { name }
            } else {
                Key::ExporterState { name }
            }
        }
        "CONTEXT" => Key::Context {
            tenant: k.tenant.unwrap_or_else(|| DEFAULT_TENANT.to_string()),
            context: k.context.unwrap_or_default(),
        },
        "ASSOC" => {
            let need = |f: Option<String>, what: &str| {
                f.ok_or_else(|| DecodeError::Key(format!("no {what} in an ASSOC key")))
            };
            Key::Association(AssociationKey {
                tenant: k.tenant.unwrap_or_else(|| DEFAULT_TENANT.to_string()),
                resource_name: need(k.resource_name, "resourceName")?,
                resource_namespace: need(k.resource_namespace, "resourceNamespace")?,
                resource_type: need(k.resource_type, "resourceType")?,
                association_type: need(k.association_type, "associationType")?,
                subject: need_subject(k.subject)?,
            })
        }
        other => Key::Unknown(other.to_string()),
    })
}

/// Decodes a value for a known key. `Ok(None)` for tombstones.
pub fn decode_value(key: &Key, bytes: Option<&[u8]>) -> Result<Option<Value>, DecodeError> {
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    let err = |keytype: &str, e: serde_json::Error| DecodeError::Value {
        keytype: keytype.to_string(),
        reason: e.to_string(),
    };
    let v = match key {
        Key::Schema { .. } => {
            Value::Schema(serde_json::from_slice(bytes).map_err(|e| err("SCHEMA", e))?)
        }
        Key::Config { .. } => {
            Value::Config(serde_json::from_slice(bytes).map_err(|e| err("CONFIG", e))?)
        }
        Key::Mode { .. } => Value::Mode(serde_json::from_slice(bytes).map_err(|e| err("MODE", e))?),
        Key::DeleteSubject { .. } => Value::DeleteSubject(
            serde_json::from_slice(bytes).map_err(|e| err("DELETE_SUBJECT", e))?,
        ),
        Key::ClearSubject { .. } => {
            Value::ClearSubject(serde_json::from_slice(bytes).map_err(|e| err("CLEAR_SUBJECT", e))?)
        }
        Key::Context { .. } => {
            Value::Context(serde_json::from_slice(bytes).map_err(|e| err("CONTEXT", e))?)
        }
        Key::Leadership => {
            Value::Leadership(serde_json::from_slice(bytes).map_err(|e| err("LEADERSHIP", e))?)
        }
        Key::Exporter { .. } => {
            Value::Exporter(serde_json::from_slice(bytes).map_err(|e| err("EXPORTER", e))?)
        }
        Key::ExporterState { .. } => Value::ExporterState(
            serde_json::from_slice(bytes).map_err(|e| err("EXPORTER_STATE", e))?,
        ),
        Key::Association(_) => {
            Value::Association(serde_json::from_slice(bytes).map_err(|e| err("ASSOC", e))?)
        }
        Key::Noop | Key::Unknown(_) => Value::Empty,
    };
    Ok(Some(v))
}

/// Decodes a whole raw record.
pub fn decode(raw: &RawRecord) -> Result<Record, DecodeError> {
    let key = decode_key(&raw.key)?;
    let value = decode_value(&key, raw.value.as_deref())?;
    Ok(Record { key, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_str(k: &Key) -> String {
        String::from_utf8(encode_key(k)).expect("utf8")
    }

    /// Confluent 8.2's `AssociationKey` (`storage/AssociationKey.java`: keytype, tenant,
    /// resourceName, resourceNamespace, resourceType, associationType, subject, magic 0).
    #[test]
    fn association_keys_are_byte_identical_to_confluent() {
        let golden = r#"{"keytype":"ASSOC","tenant":"default","resourceName":"orders","resourceNamespace":"lkc-1","resourceType":"topic","associationType":"value","subject":":.lkc-1:orders-value","magic":0}"#;
        let key = decode_key(golden.as_bytes()).expect("decodes");
        assert_eq!(key_str(&key), golden);
        let value = br#"{"subject":":.lkc-1:orders-value","guid":"6f1d3c9e-0000-4000-8000-000000000001","tenant":"default","resourceName":"orders","resourceNamespace":"lkc-1","resourceId":"id-1","resourceType":"topic","associationType":"value","lifecycle":"STRONG","frozen":false,"unknown":1}"#;
        let Some(Value::Association(v)) = decode_value(&key, Some(value)).expect("value") else {
            panic!("an association value")
        };
        assert_eq!(v.lifecycle.as_deref(), Some("STRONG"));
        assert_eq!(v.resource_id.as_deref(), Some("id-1"));
    }

    #[test]
    fn keys_are_byte_identical_to_confluent() {
        assert_eq!(
            key_str(&Key::Schema {
                subject: "orders-value".into(),
                version: 3
            }),
            r#"{"keytype":"SCHEMA","subject":"orders-value","version":3,"magic":1}"#
        );
        assert_eq!(
            key_str(&Key::Config { subject: None }),
            r#"{"keytype":"CONFIG","magic":0}"#
        );
        assert_eq!(
            key_str(&Key::Config {
                subject: Some("orders-value".into())
            }),
            r#"{"keytype":"CONFIG","subject":"orders-value","magic":0}"#
        );
        assert_eq!(
            key_str(&Key::Mode { subject: None }),
            r#"{"keytype":"MODE","magic":0}"#
        );
        assert_eq!(
            key_str(&Key::Mode {
                subject: Some(":.ctx:".into())
            }),
            r#"{"keytype":"MODE","subject":":.ctx:","magic":0}"#
        );
        assert_eq!(
            key_str(&Key::DeleteSubject {
                subject: "s".into()
            }),
            r#"{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}"#
        );
        assert_eq!(
            key_str(&Key::ClearSubject {
                subject: "s".into()
            }),
            r#"{"keytype":"CLEAR_SUBJECT","subject":"s","magic":0}"#
        );
        assert_eq!(key_str(&Key::Noop), r#"{"keytype":"NOOP","magic":0}"#);
        assert_eq!(
            key_str(&Key::Context {
                tenant: "default".into(),
                context: ".ctx".into()
            }),
            r#"{"keytype":"CONTEXT","tenant":"default","context":".ctx","magic":0}"#
        );
        // Escaping as Jackson does.
        assert_eq!(
            key_str(&Key::Schema {
                subject: "a\"b\\c".into(),
                version: 1
            }),
            r#"{"keytype":"SCHEMA","subject":"a\"b\\c","version":1,"magic":1}"#
        );
    }

    #[test]
    fn values_are_byte_identical_to_confluent() {
        let v = Value::Schema(SchemaValue {
            subject: Some("orders-value".into()),
            version: 1,
            id: 7,
            schema_type: None,
            references: vec![],
            metadata: None,
            rule_set: None,
            schema: "\"string\"".into(),
            deleted: false,
        });
        assert_eq!(
            String::from_utf8(encode_value(&v)).expect("utf8"),
            r#"{"subject":"orders-value","version":1,"id":7,"schema":"\"string\"","deleted":false}"#
        );
        let v = Value::Schema(SchemaValue {
            subject: Some("s".into()),
            version: 2,
            id: 9,
            schema_type: Some("PROTOBUF".into()),
            references: vec![Reference {
                name: "r.proto".into(),
                subject: "r".into(),
                version: 1,
            }],
            metadata: None,
            rule_set: None,
            schema: "x".into(),
            deleted: true,
        });
        assert_eq!(
            String::from_utf8(encode_value(&v)).expect("utf8"),
            r#"{"subject":"s","version":2,"id":9,"schemaType":"PROTOBUF","references":[{"name":"r.proto","subject":"r","version":1}],"schema":"x","deleted":true}"#
        );
        let c = Value::Config(ConfigValue {
            compatibility_level: Some("FULL".into()),
            ..Default::default()
        });
        assert_eq!(
            String::from_utf8(encode_value(&c)).expect("utf8"),
            r#"{"compatibilityLevel":"FULL"}"#
        );
        let m = Value::Mode(ModeValue {
            subject: Some("s".into()),
            mode: "READONLY".into(),
        });
        assert_eq!(
            String::from_utf8(encode_value(&m)).expect("utf8"),
            r#"{"subject":"s","mode":"READONLY"}"#
        );
        let d = Value::DeleteSubject(DeleteSubjectValue {
            subject: Some("s".into()),
            version: 4,
        });
        assert_eq!(
            String::from_utf8(encode_value(&d)).expect("utf8"),
            r#"{"subject":"s","version":4}"#
        );
    }

    #[test]
    fn reading_is_lenient() {
        // Other field order, magic 0, unknown fields, Redpanda's seq/node.
        let k = decode_key(
            br#"{"magic":0,"subject":"s","version":2,"keytype":"SCHEMA","seq":5,"node":1}"#,
        )
        .expect("key");
        assert_eq!(
            k,
            Key::Schema {
                subject: "s".into(),
                version: 2
            }
        );
        let k = decode_key(br#"{"keytype":"CONFIG","subject":null,"magic":0}"#).expect("key");
        assert_eq!(k, Key::Config { subject: None });
        assert_eq!(
            decode_key(br#"{"keytype":"SOMETHING_NEW","magic":0}"#).expect("key"),
            Key::Unknown("SOMETHING_NEW".into())
        );
        assert!(decode_key(b"not json").is_err());
        // Value without schemaType, with unknown fields and null references.
        let v = decode_value(
            &Key::Schema {
                subject: "s".into(),
                version: 1,
            },
            Some(br#"{"subject":"s","version":1,"id":3,"schema":"\"int\"","references":null,"md5":"x","ts":1}"#),
        )
        .expect("value");
        match v {
            Some(Value::Schema(s)) => {
                assert_eq!(s.id, 3);
                assert!(!s.deleted);
                assert!(s.schema_type.is_none());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(decode_value(&Key::Noop, None).expect("tombstone"), None);
    }

    #[test]
    fn round_trip() {
        let r = Record {
            key: Key::Mode {
                subject: Some(":.x:".into()),
            },
            value: Some(Value::Mode(ModeValue {
                subject: Some(":.x:".into()),
                mode: "IMPORT".into(),
            })),
        };
        assert_eq!(decode(&encode(&r)).expect("decode"), r);
    }
}

//! The answers the handlers serialise, typed: each is also the utoipa schema that documents
//! it (no documentation-only copies). Field order is the order Confluent writes them in;
//! absent optional fields are left out, as Confluent leaves them out.

use crate::index::SchemaBody;
use crate::model::{Reference, SchemaType};
use crate::registry::VersionView;
use crate::store::record::{ConfigValue, ExporterValue};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Confluent's error body.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// HTTP status for framework errors, or Confluent's code (40401, 42201, …).
    #[schema(value_type = i32)]
    pub error_code: u32,
    pub message: String,
}

/// A reference to a version of another subject.
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct SchemaReference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// Answer of a registration: `id`, and the whole version (without its subject) when
/// Confluent returns it; then `schema` comes first, as Confluent's answer has it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterSchemaResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    pub id: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Option<Vec<SchemaReference>>)]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub rule_set: Option<Value>,
}

impl RegisterSchemaResponse {
    /// Only the ID.
    pub fn id(id: i32) -> RegisterSchemaResponse {
        RegisterSchemaResponse {
            schema: None,
            version: None,
            id,
            schema_type: None,
            references: Vec::new(),
            metadata: None,
            rule_set: None,
        }
    }

    /// The whole version.
    pub fn version(v: &VersionView) -> RegisterSchemaResponse {
        let f = SchemaFields::of(&v.body);
        RegisterSchemaResponse {
            schema: Some(f.schema),
            version: Some(v.version),
            id: v.id,
            schema_type: f.schema_type,
            references: f.references,
            metadata: f.metadata,
            rule_set: f.rule_set,
        }
    }
}

/// The schema fields shared by several answers: [schemaType], [references], [metadata],
/// [ruleSet], schema.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaFields {
    /// Omitted for AVRO.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Option<Vec<SchemaReference>>)]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub rule_set: Option<Value>,
    pub schema: String,
}

impl SchemaFields {
    pub fn of(body: &SchemaBody) -> SchemaFields {
        SchemaFields {
            schema_type: (body.schema_type != SchemaType::Avro)
                .then(|| body.schema_type.as_str().to_string()),
            references: body.references.clone(),
            metadata: body.metadata.clone(),
            rule_set: body.rule_set.clone(),
            schema: body.schema.clone(),
        }
    }
}

/// A subject version.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaVersion {
    pub subject: String,
    pub version: i32,
    pub id: i32,
    #[serde(flatten)]
    pub fields: SchemaFields,
    /// Subjects aliasing this one (`GET /schemas?aliases=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aliases: Option<Vec<String>>,
}

impl SchemaVersion {
    pub fn of(v: &VersionView) -> SchemaVersion {
        SchemaVersion {
            subject: v.subject.clone(),
            version: v.version,
            id: v.id,
            fields: SchemaFields::of(&v.body),
            aliases: None,
        }
    }
}

/// `GET /schemas/ids/{id}`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaById {
    #[serde(flatten)]
    pub fields: SchemaFields,
    /// With `fetchMaxId=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_id: Option<i32>,
}

/// `GET /schemas/guids/{guid}` (Confluent 8's `SchemaString` without subject and version).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaByGuid {
    pub guid: String,
    #[serde(flatten)]
    pub fields: SchemaFields,
}

/// An ID in a context (`GET /schemas/guids/{guid}/ids`; the default context is `.`).
#[derive(Serialize, ToSchema)]
pub struct ContextId {
    pub context: String,
    pub id: i32,
}

/// An association of a subject with a Kafka resource (Confluent 8.2's `Association`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Association {
    pub subject: String,
    pub guid: String,
    pub resource_name: String,
    pub resource_namespace: String,
    pub resource_id: String,
    pub resource_type: String,
    /// `key` or `value`
    pub association_type: String,
    /// `STRONG` or `WEAK`
    pub lifecycle: String,
    pub frozen: bool,
}

/// `GET /v1/metadata/deployment`.
#[derive(Serialize, ToSchema)]
pub struct Deployment {
    pub attributes: Vec<String>,
}

/// A (subject, version) pair.
#[derive(Serialize, ToSchema)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i32,
}

/// `GET /config` answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_fields: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatibility_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatibility_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatibility_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub default_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub override_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub default_rule_set: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub override_rule_set: Option<Value>,
}

impl Config {
    pub fn of(c: &ConfigValue) -> Config {
        Config {
            alias: c.alias.clone(),
            normalize: c.normalize,
            validate_fields: c.validate_fields,
            compatibility_level: c.compatibility_level.clone(),
            compatibility_policy: c.compatibility_policy.clone(),
            compatibility_group: c.compatibility_group.clone(),
            default_metadata: c.default_metadata.clone(),
            override_metadata: c.override_metadata.clone(),
            default_rule_set: c.default_rule_set.clone(),
            override_rule_set: c.override_rule_set.clone(),
        }
    }
}

/// Mode body: READWRITE, READONLY, READONLY_OVERRIDE or IMPORT.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"mode": "READWRITE"}))]
pub struct ModeBody {
    pub mode: String,
}

/// Compatibility check answer (`messages` with `verbose=true`).
#[derive(Serialize, ToSchema)]
pub struct CompatibilityCheckResponse {
    pub is_compatible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct ExporterName {
    pub name: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExporterInfo {
    pub name: String,
    pub context_type: String,
    pub context: String,
    pub subjects: Vec<String>,
    pub subject_rename_format: String,
    pub config: BTreeMap<String, String>,
}

impl ExporterInfo {
    pub fn of(d: &ExporterValue) -> ExporterInfo {
        ExporterInfo {
            name: d.name.clone(),
            context_type: d.context_type.clone(),
            context: d.context.clone(),
            subjects: d.subjects.clone(),
            subject_rename_format: d.subject_rename_format.clone(),
            config: d.config.clone(),
        }
    }
}

/// `GET /v1/metadata/version`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    pub version: String,
    pub commit_id: String,
}

/// `GET /v1/metadata/leader`: this node's role (LEADER or FOLLOWER) and URL, and the
/// leader's URL and epoch (null when not known or standalone).
#[derive(Serialize, ToSchema)]
pub struct LeaderInfo {
    pub role: String,
    pub url: Option<String>,
    pub leader: Option<String>,
    pub epoch: Option<i64>,
}

/// `GET /health/live` and `GET /health/ready`: UP or DOWN, and for readiness the log
/// offsets (left out for an unauthenticated caller when authentication is on).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_offset: Option<i64>,
    /// null while the end of the log is not known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub log_end_offset: Option<Option<i64>>,
}

//! The answers the handlers serialise, typed: each is also the utoipa schema that documents
//! it (no documentation-only copies). Field order is the order Confluent writes them in;
//! absent optional fields are left out, as Confluent leaves them out.

use crate::model::Reference;
use crate::registry::{
    AssociationAnswer, AssociationView, BatchResult, IdView, Registered, VersionView,
};
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

/// Answer of a registration (Confluent 8's `RegisterSchemaResponse`): the whole version
/// without its subject; `ts` and `deleted` only when Confluent answers the stored entity
/// (an existing version whose metadata differs from the request's, or an IMPORT match).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterSchemaResponse {
    pub id: i32,
    pub version: i32,
    pub guid: String,
    pub schema_type: String,
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
    /// When the version's record was written, ms since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
}

impl RegisterSchemaResponse {
    pub fn of(r: &Registered) -> RegisterSchemaResponse {
        let v = &r.version;
        let b = &v.body;
        RegisterSchemaResponse {
            id: v.id,
            version: v.version,
            guid: crate::guid::render(&v.guid),
            schema_type: b.schema_type.as_str().to_string(),
            references: b.references.clone(),
            metadata: b.metadata.clone(),
            rule_set: b.rule_set.clone(),
            schema: b.schema.clone(),
            ts: if r.stored { v.ts } else { None },
            deleted: r.stored.then_some(v.deleted),
        }
    }
}

/// A subject version (Confluent 8's `Schema`; `ExtendedSchema` in `GET /schemas`). The
/// schema type is always named (8.x writes `AVRO` too). `ts` and `deleted` come from the
/// stored record; a lookup answers without them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaVersion {
    pub subject: String,
    pub version: i32,
    pub id: i32,
    pub guid: String,
    pub schema_type: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Option<Vec<SchemaReference>>)]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    pub schema: String,
    /// With `findTags`: the inline-tagged elements that carry one of the tags asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schema_tags: Vec<SchemaTags>,
    /// When the version's record was written, ms since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// Subjects aliasing this one (`GET /schemas?aliases=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aliases: Option<Vec<String>>,
    /// The subject's associations (`GET /schemas` with an association filter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub associations: Option<Vec<Association>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub rule_set: Option<Value>,
}

impl SchemaVersion {
    /// As read from the store: with `ts` and `deleted`.
    pub fn of(v: &VersionView) -> SchemaVersion {
        let b = &v.body;
        SchemaVersion {
            subject: v.subject.clone(),
            version: v.version,
            id: v.id,
            guid: crate::guid::render(&v.guid),
            schema_type: b.schema_type.as_str().to_string(),
            references: b.references.clone(),
            metadata: b.metadata.clone(),
            schema: b.schema.clone(),
            schema_tags: Vec::new(),
            ts: v.ts,
            deleted: Some(v.deleted),
            aliases: None,
            associations: None,
            rule_set: b.rule_set.clone(),
        }
    }

    /// As a lookup answers it: a copy of the request with subject, version and ID set,
    /// no `ts` or `deleted` (8.3.1 `AbstractSchemaRegistry.lookUpSchemaUnderSubject`).
    pub fn looked_up(v: &VersionView) -> SchemaVersion {
        SchemaVersion {
            ts: None,
            deleted: None,
            ..SchemaVersion::of(v)
        }
    }
}

/// `GET /schemas/ids/{id}` and `GET /schemas/guids/{guid}` (Confluent 8's `SchemaString`):
/// `subject` and `version` only when the `subject` parameter was given (never by GUID).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaById {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    pub guid: String,
    pub schema_type: String,
    pub schema: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Option<Vec<SchemaReference>>)]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub rule_set: Option<Value>,
    /// With `findTags`: the inline-tagged elements that carry one of the tags asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schema_tags: Vec<SchemaTags>,
    /// With `fetchMaxId=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_id: Option<i32>,
    /// When the version's record was written, ms since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    pub deleted: bool,
}

impl SchemaById {
    /// `schema` is the text to answer (the stored one, or another `format`).
    pub fn of(v: &IdView, schema: String, with_subject: bool) -> SchemaById {
        let b = &v.body;
        SchemaById {
            subject: with_subject.then(|| v.subject.clone()),
            version: with_subject.then_some(v.version),
            guid: crate::guid::render(&v.guid),
            schema_type: b.schema_type.as_str().to_string(),
            schema,
            references: b.references.clone(),
            metadata: b.metadata.clone(),
            rule_set: b.rule_set.clone(),
            schema_tags: Vec::new(),
            max_id: None,
            ts: v.ts,
            deleted: v.deleted,
        }
    }
}

/// One inline-tagged schema element and its tags (Confluent's `SchemaTags`).
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SchemaTags {
    pub schema_entity: SchemaEntity,
    pub tags: Vec<String>,
}

/// A schema element (Confluent's `SchemaEntity`): `entityType` is `sr_record` or `sr_field`.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SchemaEntity {
    pub entity_path: String,
    pub entity_type: String,
}

impl SchemaTags {
    /// 7.9 and 8.3.1 `AbstractSchemaRegistry.extractSchemaTags`: the inline-tagged elements
    /// of a schema having one of `wanted` (`*`: all), in the schema's order.
    pub fn find(entities: Vec<crate::schema::TaggedEntity>, wanted: &[String]) -> Vec<SchemaTags> {
        let wildcard = wanted.iter().any(|t| t == "*");
        entities
            .into_iter()
            .filter(|e| wildcard || e.tags.iter().any(|t| wanted.contains(t)))
            .map(|e| SchemaTags {
                schema_entity: SchemaEntity {
                    entity_path: e.path,
                    entity_type: match e.entity_type {
                        crate::schema::EntityType::Record => "sr_record",
                        crate::schema::EntityType::Field => "sr_field",
                    }
                    .to_string(),
                },
                tags: e.tags,
            })
            .collect()
    }
}

/// An ID in a context (`GET /schemas/guids/{guid}/ids`; the default context is `.`).
#[derive(Serialize, ToSchema)]
pub struct ContextId {
    pub context: String,
    pub id: i32,
}

/// An association of a subject with a Kafka resource (Confluent 8.2's `Association`;
/// empty fields are left out, `frozen` is always there).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Association {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub guid: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_type: String,
    /// `key` or `value`
    #[serde(skip_serializing_if = "String::is_empty")]
    pub association_type: String,
    /// `STRONG` or `WEAK`
    pub lifecycle: String,
    pub frozen: bool,
    /// When the association was first written, ms since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_ts: Option<i64>,
    /// When it was last written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_ts: Option<i64>,
}

impl Association {
    pub fn of(a: &AssociationView) -> Association {
        Association {
            subject: a.subject.clone(),
            guid: a.guid.clone(),
            resource_name: a.resource_name.clone(),
            resource_namespace: a.resource_namespace.clone(),
            resource_id: a.resource_id.clone(),
            resource_type: a.resource_type.clone(),
            association_type: a.association_type.clone(),
            lifecycle: a.lifecycle.as_str().to_string(),
            frozen: a.frozen,
            create_ts: a.create_ts,
            update_ts: a.update_ts,
        }
    }
}

/// One association in a write's answer (Confluent 8.2's `AssociationInfo`): `schema` is
/// the version the write registered for its type (batch get: the subject's latest).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssociationInfo {
    pub subject: String,
    pub association_type: String,
    /// `STRONG` or `WEAK`
    pub lifecycle: String,
    pub frozen: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<SchemaVersion>,
}

/// The answer of an association write (Confluent 8.2's `AssociationResponse`): only the
/// associations written (none on a dry run or an idempotent repeat: then no
/// `associations` at all).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssociationResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<AssociationInfo>,
}

impl AssociationResponse {
    pub fn of(a: &AssociationAnswer) -> AssociationResponse {
        let some = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        AssociationResponse {
            resource_name: some(&a.resource_name),
            resource_namespace: some(&a.resource_namespace),
            resource_id: some(&a.resource_id),
            resource_type: some(&a.resource_type),
            associations: a
                .associations
                .iter()
                .map(|i| AssociationInfo {
                    subject: i.subject.clone(),
                    association_type: i.association_type.clone(),
                    lifecycle: i.lifecycle.as_str().to_string(),
                    frozen: i.frozen,
                    schema: i.schema.as_ref().map(|s| {
                        let v = SchemaVersion::of(&s.version);
                        if s.stored {
                            v
                        } else {
                            SchemaVersion {
                                ts: None,
                                deleted: None,
                                ..v
                            }
                        }
                    }),
                })
                .collect(),
        }
    }
}

/// One item of a batch answer (Confluent 8.2's `AssociationResult`): its error or its result.
#[derive(Serialize, ToSchema)]
pub struct AssociationResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ErrorBody>)]
    pub error: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<AssociationResponse>,
}

/// `POST /associations:batchGet` and `:batchMutate` answer 207 with one result per request,
/// in order (Confluent 8.2's `AssociationBatchResponse`).
#[derive(Serialize, ToSchema)]
pub struct AssociationBatchResponse {
    pub results: Vec<AssociationResult>,
}

impl AssociationBatchResponse {
    pub fn of(items: &[BatchResult]) -> AssociationBatchResponse {
        AssociationBatchResponse {
            results: items
                .iter()
                .map(|r| match r {
                    BatchResult::Error(e) => AssociationResult {
                        error: Some(e.clone()),
                        result: None,
                    },
                    BatchResult::Done(a) => AssociationResult {
                        error: None,
                        result: Some(AssociationResponse::of(a)),
                    },
                })
                .collect(),
        }
    }
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
    pub alias_for_deks: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_fields: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_new_schemas: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_rules: Option<bool>,
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
            alias_for_deks: c.alias_for_deks.clone(),
            normalize: c.normalize,
            validate_fields: c.validate_fields,
            validate_new_schemas: c.validate_new_schemas,
            validate_rules: c.validate_rules,
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

/// `PUT /mode[/{subject}]` request and answer (8.x): a mode name in any case (`FORWARD`
/// only on `:.__GLOBAL:`), or `null` to remove the scope's mode.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"mode": "READONLY"}))]
pub struct ModeUpdate {
    pub mode: Option<String>,
}

/// Answer of a mode delete: the removed mode, or `{}` when a recursive delete found none
/// (Confluent's `Mode` entity is NON_EMPTY).
#[derive(Serialize, ToSchema)]
pub struct DeletedMode {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
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

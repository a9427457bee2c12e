//! Turning a request into the body that would be stored: validation, parsing, Confluent's
//! `Invalid schema` messages, and the metadata merge and `confluent:version` helpers.

use super::{Registry, SchemaRequest};
use crate::error::{RegistryError, Result};
use crate::index::{Index, SchemaBody, VersionEntry};
use crate::model::{SchemaType, Subject};
use crate::schema;
use crate::store::record::ConfigValue;
use serde_json::Value as Json;
use std::collections::BTreeSet;

/// The metadata property Confluent keeps a version's own number in.
const CONFLUENT_VERSION: &str = "confluent:version";

pub(super) fn confluent_version(md: Option<&Json>) -> Option<String> {
    md.and_then(|m| m.get("properties"))
        .and_then(|p| p.get(CONFLUENT_VERSION))
        .and_then(Json::as_str)
        .map(str::to_string)
}

/// Metadata without `confluent:version` (and without parts that became empty).
pub(super) fn without_confluent_version(md: Option<&Json>) -> Option<Json> {
    let mut m = md?.as_object()?.clone();
    if let Some(Json::Object(props)) = m.get_mut("properties") {
        props.remove(CONFLUENT_VERSION);
    }
    m.retain(|_, part| match part {
        Json::Object(o) => !o.is_empty(),
        Json::Array(a) => !a.is_empty(),
        Json::Null => false,
        _ => true,
    });
    (!m.is_empty()).then_some(Json::Object(m))
}

/// Merges metadata: `over`'s properties and tags win over `under`'s; sensitive lists join.
pub(super) fn merge_metadata(under: Option<&Json>, over: Option<&Json>) -> Option<Json> {
    let (under, over) = match (under, over) {
        (None, None) => return None,
        (Some(u), None) => return Some(u.clone()),
        (None, Some(o)) => return Some(o.clone()),
        (Some(u), Some(o)) => (u, o),
    };
    let mut out = under.as_object().cloned().unwrap_or_default();
    if let Some(o) = over.as_object() {
        for (k, v) in o {
            match (out.get_mut(k), v) {
                (Some(Json::Object(base)), Json::Object(add)) => {
                    for (ak, av) in add {
                        base.insert(ak.clone(), av.clone());
                    }
                }
                (Some(Json::Array(base)), Json::Array(add)) => {
                    for item in add {
                        if !base.contains(item) {
                            base.push(item.clone());
                        }
                    }
                }
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Some(Json::Object(out))
}

pub(super) fn with_confluent_version(md: Option<Json>, version: i32) -> Option<Json> {
    let mut m = match md {
        Some(Json::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let props = m
        .entry("properties")
        .or_insert_with(|| Json::Object(serde_json::Map::new()));
    if !props.is_object() {
        *props = Json::Object(serde_json::Map::new());
    }
    if let Json::Object(p) = props {
        p.insert(CONFLUENT_VERSION.into(), Json::String(version.to_string()));
    }
    Some(Json::Object(m))
}

/// Step: the request as registered (7.9 and 8.3.1 `maybeSetMetadataRuleSet`): a request
/// without metadata inherits the subject's latest version's, and, separately, one without a
/// rule set its rule set; a request with metadata or rules but no schema re-registers the
/// latest schema with them. Then the config's defaults go under the result and its
/// overrides over it (`mergeMetadata`, `mergeRuleSets`). Nothing of this in IMPORT mode:
/// an imported version is stored as sent.
pub(super) fn effective_request(
    req: &SchemaRequest,
    latest_live: Option<&VersionEntry>,
    cfg: &ConfigValue,
    import: bool,
) -> SchemaRequest {
    let mut effective = req.clone();
    if import {
        return effective;
    }
    if let Some(latest) = latest_live {
        if req.metadata.is_none() {
            effective.metadata = latest.body.metadata.clone();
        }
        if req.rule_set.is_none() {
            effective.rule_set = latest.body.rule_set.clone();
        }
        let no_schema = req.schema.as_deref().is_none_or(|s| s.trim().is_empty());
        if no_schema && (req.metadata.is_some() || req.rule_set.is_some()) {
            effective.schema = Some(latest.body.schema.clone());
            effective.schema_type = (latest.body.schema_type != SchemaType::Avro)
                .then(|| latest.body.schema_type.as_str().to_string());
            effective.references = latest.body.references.clone();
        }
    }
    if cfg.default_metadata.is_some() || cfg.override_metadata.is_some() {
        let merged = merge_metadata(cfg.default_metadata.as_ref(), effective.metadata.as_ref());
        effective.metadata = merge_metadata(merged.as_ref(), cfg.override_metadata.as_ref());
    }
    if cfg.default_rule_set.is_some() || cfg.override_rule_set.is_some() {
        let merged =
            super::tags::merge_rule_sets(cfg.default_rule_set.clone(), effective.rule_set.take());
        effective.rule_set = super::tags::merge_rule_sets(merged, cfg.override_rule_set.clone());
    }
    effective
}

/// What parsing a request needs from the index: copied under the read lock, so that the
/// parse runs without it.
#[derive(Debug, Clone)]
pub(super) struct ParseInput {
    /// The texts of the referenced schemas in dependency order, or why they do not resolve.
    pub refs: std::result::Result<Vec<crate::schema::Dependency>, String>,
    /// Whether the subject's effective config asks for normalisation.
    pub normalize_config: bool,
    /// Whether the subject is in IMPORT mode, where Confluent skips `validate`.
    pub import: bool,
    /// The subject's effective `validateFields` (strict validation).
    pub validate_fields: bool,
    /// The effective `validateNewSchemas` (config, else the server's; `None`: 7.9's rule).
    pub validate_new: Option<bool>,
    /// Whether the schema is new: registered without an ID, or checked for compatibility
    /// (8.3.1 `KafkaSchemaRegistry.register`, `AbstractSchemaRegistry.isCompatible`).
    pub is_new: bool,
}

impl Registry {
    /// Confluent's message for a schema that does not parse (`KafkaSchemaRegistry.loadSchema`).
    pub(super) fn invalid_schema(
        subject: &Subject,
        req: &SchemaRequest,
        schema: &str,
        details: &str,
    ) -> RegistryError {
        RegistryError::InvalidSchema(format!(
            "Invalid schema {} with refs [{}] of type {}, details: {}",
            Self::schema_text(subject, req, schema),
            Self::refs_list(req).join(", "),
            req.schema_type.as_deref().unwrap_or("AVRO"),
            details
        ))
    }

    /// The request's references as Confluent's `SchemaReference.toString` prints them.
    fn refs_list(req: &SchemaRequest) -> Vec<String> {
        let refs: Vec<String> = req.references.iter().map(Self::ref_text).collect();
        if req.reference_texts.len() == refs.len() {
            req.reference_texts.clone()
        } else {
            refs
        }
    }

    /// Confluent's `Schema.toString` of the request.
    fn schema_text(subject: &Subject, req: &SchemaRequest, schema: &str) -> String {
        format!(
            "{{subject={},version=0,id=-1,schemaType={},references=[{}],metadata={},ruleSet={},schema={},schemaTags=null}}",
            subject.qualified(),
            req.schema_type.as_deref().unwrap_or("AVRO"),
            Self::refs_list(req).join(", "),
            req.metadata.as_ref().map_or("null".to_string(), |m| m.to_string()),
            req.rule_set.as_ref().map_or("null".to_string(), |m| m.to_string()),
            schema,
        )
    }

    /// Confluent's message for a schema that parses but fails `validate`
    /// (`KafkaSchemaRegistry.maybeValidateAndNormalizeSchema`): no `with refs … of type …`.
    pub(super) fn schema_not_valid(
        subject: &Subject,
        req: &SchemaRequest,
        schema: &str,
        details: &str,
    ) -> RegistryError {
        RegistryError::InvalidSchema(format!(
            "Invalid schema {}, details: {details}",
            Self::schema_text(subject, req, schema)
        ))
    }

    /// What parsing `req` needs from the index (taken under the read lock; the parse itself
    /// runs without it).
    pub(super) fn parse_input(
        &self,
        ix: &Index,
        subject: &Subject,
        req: &SchemaRequest,
    ) -> ParseInput {
        let mut texts = Vec::new();
        let refs = Self::resolve_refs(
            ix,
            subject,
            &req.references,
            0,
            &mut BTreeSet::new(),
            &mut texts,
        )
        .map(|()| texts);
        let config = self.effective_config(ix, Some(subject));
        ParseInput {
            refs,
            normalize_config: config.normalize.unwrap_or(false),
            validate_fields: config.validate_fields.unwrap_or(false),
            validate_new: config.validate_new_schemas.or(self.validate_new_default),
            is_new: false,
            import: Self::mode_for(ix, subject).is_import_or_forward(),
        }
    }

    /// Validates the request's schema and builds the body that would be stored. Holds no
    /// lock: what it needs from the index is in `input`.
    pub(super) fn prepare(
        subject: &Subject,
        req: &SchemaRequest,
        input: &ParseInput,
        normalize: bool,
    ) -> Result<SchemaBody> {
        Self::prepare_with_normalized(subject, req, input, normalize).map(|(body, _)| body)
    }

    /// [`Registry::prepare`], also returning the normalized text from the same parse.
    pub(super) fn prepare_with_normalized(
        subject: &Subject,
        req: &SchemaRequest,
        input: &ParseInput,
        normalize: bool,
    ) -> Result<(SchemaBody, String)> {
        let schema = match &req.schema {
            Some(s) if !s.trim().is_empty() => s.clone(),
            _ => return Err(RegistryError::InvalidSchema("Empty schema".into())),
        };
        let schema_type = match req.schema_type.as_deref() {
            None => SchemaType::Avro,
            Some(t) => match SchemaType::parse(t).filter(|st| st.as_str() == t) {
                Some(st) => st,
                None => {
                    return Err(RegistryError::InvalidSchema(format!(
                        "Invalid schema type {t}"
                    )))
                }
            },
        };
        if let Some(bad) = &req.invalid_reference {
            return Err(Self::invalid_schema(
                subject,
                req,
                &schema,
                &format!("Invalid reference: {bad}"),
            ));
        }
        let ref_texts = input
            .refs
            .as_ref()
            .map_err(|e| Self::invalid_schema(subject, req, &schema, e))?;
        let normalize = normalize || input.normalize_config;
        // Strict parsing (Avro defaults validated): with `validateNewSchemas` set, for new
        // schemas only (8.3.1 `AvroSchema.getParser`, `isNew`); unset, 7.9's rule: when
        // normalising (`AvroSchemaProvider`), so a bad default is otherwise accepted.
        let strict = match input.validate_new {
            Some(v) => v && input.is_new,
            None => normalize,
        };
        // A reference-free text parsed before (a lookup, a re-registration) is not parsed
        // again: its forms depend on nothing else.
        let memo_key = ref_texts.is_empty().then(|| MemoKey {
            schema_type,
            strict,
            validate: (!input.import).then_some(input.validate_fields),
            text: schema.clone(),
        });
        let remembered = memo_key.as_ref().and_then(memo_get);
        let (canonical, normalized) = match remembered {
            Some(forms) => forms,
            None => {
                let parsed = schema::parse(schema_type, &schema, ref_texts, strict)
                    .map_err(|e| Self::invalid_schema(subject, req, &schema, &e.0))?;
                if !input.import {
                    if let Some(f) = schema::format(schema_type) {
                        f.validate(&schema, ref_texts, input.validate_fields)
                            .map_err(|e| Self::schema_not_valid(subject, req, &schema, &e.0))?;
                    }
                }
                if let Some(key) = memo_key {
                    memo_put(key, &parsed.canonical, &parsed.normalized);
                }
                (parsed.canonical, parsed.normalized)
            }
        };
        let schema = if normalize {
            normalized.clone()
        } else {
            canonical
        };
        // Normalizing also sorts the references (by subject, then version; stable) and drops
        // repeated ones (Confluent's `normalize()` of every format).
        let mut references = req.references.clone();
        if normalize {
            references.sort_by(|a, b| a.subject.cmp(&b.subject).then(a.version.cmp(&b.version)));
            let mut kept: Vec<crate::model::Reference> = Vec::with_capacity(references.len());
            for r in references {
                if !kept.contains(&r) {
                    kept.push(r);
                }
            }
            references = kept;
        }
        let body = SchemaBody::new(
            schema_type,
            schema,
            references,
            req.metadata.clone().filter(|m| !m.is_null()),
            req.rule_set.clone().filter(|m| !m.is_null()),
        );
        Ok((body, normalized))
    }
}

/// What a parse of a reference-free schema text depends on.
#[derive(PartialEq, Eq, Hash)]
struct MemoKey {
    schema_type: SchemaType,
    strict: bool,
    /// `Some(validate_fields)` when the format's validation ran (not in IMPORT mode).
    validate: Option<bool>,
    text: String,
}

/// Texts parsed successfully, with their canonical and normalized forms (issue 17: a
/// lookup need not parse its text again). Bounded by bytes: emptied when full.
#[derive(Default)]
struct ParseMemo {
    forms: std::collections::HashMap<MemoKey, (String, String)>,
    bytes: usize,
}

const PARSE_MEMO_BYTES: usize = 32 << 20;

static PARSE_MEMO: std::sync::LazyLock<std::sync::Mutex<ParseMemo>> =
    std::sync::LazyLock::new(Default::default);

fn memo_get(key: &MemoKey) -> Option<(String, String)> {
    let memo = PARSE_MEMO.lock().unwrap_or_else(|p| p.into_inner());
    memo.forms.get(key).cloned()
}

fn memo_put(key: MemoKey, canonical: &str, normalized: &str) {
    let size = key.text.len() + canonical.len() + normalized.len() + 128;
    if size > PARSE_MEMO_BYTES / 64 {
        return;
    }
    let mut memo = PARSE_MEMO.lock().unwrap_or_else(|p| p.into_inner());
    if memo.bytes + size > PARSE_MEMO_BYTES {
        *memo = ParseMemo::default();
    }
    memo.bytes += size;
    memo.forms
        .insert(key, (canonical.to_string(), normalized.to_string()));
}

//! Schema tags: `POST /subjects/{s}/versions/{v}/tags` registers a new version whose text
//! is the read one with some elements' tags changed (7.9/8.3.1
//! `KafkaSchemaRegistry.modifySchemaTags` and `maybeModifyPreviousRuleSet`).

use super::prepare::with_confluent_version;
use super::{Registered, Registry, SchemaRequest, VersionSpec};
use crate::error::{RegistryError, Result};
use crate::model::{SchemaType, Subject};
use crate::schema::TagEdit;
use serde_json::Value as Json;

/// A tag edit request (Confluent's `TagSchemaRequest`), bound by the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct TagRequest {
    pub new_version: Option<i32>,
    pub edits: Vec<TagEdit>,
    pub metadata: Option<Json>,
    pub rule_set: Option<Json>,
    pub rules_to_merge: Option<Json>,
    pub rules_to_remove: Option<Vec<String>>,
}

const RULE_KINDS: [&str; 3] = ["migrationRules", "domainRules", "encodingRules"];

fn rule_name(r: &Json) -> Option<&str> {
    r.get("name").and_then(Json::as_str)
}

/// `RuleSet.mergeRuleSets`: per list, the old rules not named in the new list, then the new
/// ones; `enableAt` from the new set when it has one.
pub(super) fn merge_rule_sets(old: Option<Json>, new: Option<Json>) -> Option<Json> {
    let (Some(Json::Object(old)), Some(Json::Object(new))) = (&old, &new) else {
        return new.or(old);
    };
    let mut out = old.clone();
    for kind in RULE_KINDS {
        let new_rules = new
            .get(kind)
            .and_then(Json::as_array)
            .filter(|a| !a.is_empty());
        let Some(new_rules) = new_rules else { continue };
        let names: Vec<&str> = new_rules.iter().filter_map(rule_name).collect();
        let mut merged: Vec<Json> = old
            .get(kind)
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter(|r| rule_name(r).is_none_or(|n| !names.contains(&n)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        merged.extend(new_rules.iter().cloned());
        out.insert(kind.to_string(), Json::Array(merged));
    }
    if let Some(at) = new.get("enableAt").filter(|v| !v.is_null()) {
        out.insert("enableAt".into(), at.clone());
    }
    Some(Json::Object(out))
}

impl Registry {
    /// `POST /subjects/{subject}/versions/{version}/tags`: the version is read (falling back
    /// across contexts, as reads do; soft-deleted ones are not found), its text changed by
    /// the format, and the result registered under `subject` as version `newVersion` (or
    /// the next one) with the request's metadata (else the read version's) stamped with
    /// `confluent:version`, and the request's rule set (or, with `rulesToMerge` /
    /// `rulesToRemove`, the previous version's changed).
    pub async fn modify_tags(
        &self,
        subject: &Subject,
        spec: VersionSpec,
        req: TagRequest,
    ) -> Result<Registered> {
        Self::validate_subject(&subject.qualified())?;
        let (_, v) = self.read_using_contexts(subject, |s| self.version(s, spec, false))?;
        let format = crate::schema::format(v.body.schema_type).ok_or_else(|| {
            RegistryError::InvalidSchema(format!(
                "schema type {} is not supported",
                v.body.schema_type.as_str()
            ))
        })?;
        let text = format
            .modify_tags(&v.body.schema, &[], &req.edits)
            .map_err(|e| RegistryError::InvalidSchema(e.0))?;
        let new_version = req.new_version.unwrap_or(0);
        let metadata = with_confluent_version(
            req.metadata.clone().or_else(|| v.body.metadata.clone()),
            new_version,
        );
        let rule_set = if req.rules_to_merge.is_none() && req.rules_to_remove.is_none() {
            req.rule_set.clone()
        } else {
            let previous = match req.new_version {
                Some(n) => self.version(subject, VersionSpec::Number(n - 1), false),
                None => self.version(subject, VersionSpec::Latest, false),
            };
            let mut rs = merge_rule_sets(
                previous.ok().and_then(|p| p.body.rule_set.clone()),
                req.rules_to_merge.clone(),
            );
            if let (Some(Json::Object(m)), Some(remove)) = (&mut rs, &req.rules_to_remove) {
                // 8.3.1 `maybeModifyPreviousRuleSet` filters all three lists.
                for kind in RULE_KINDS {
                    if let Some(Json::Array(rules)) = m.get_mut(kind) {
                        rules.retain(|r| {
                            rule_name(r).is_none_or(|n| !remove.iter().any(|x| x == n))
                        });
                    }
                }
            }
            rs
        };
        let request = SchemaRequest {
            schema: Some(text),
            schema_type: (v.body.schema_type != SchemaType::Avro)
                .then(|| v.body.schema_type.as_str().to_string()),
            references: v.body.references.clone(),
            metadata,
            rule_set,
            id: None,
            version: Some(new_version),
            invalid_reference: None,
            reference_texts: Vec::new(),
            ..SchemaRequest::default()
        };
        self.register(subject, request, false).await
    }

    /// A registration's own tag edits (7.9 and 8.3.1 `AbstractSchemaRegistry.register(subject,
    /// request, normalize)`): with `schemaTagsToAdd`/`schemaTagsToRemove` the schema is
    /// parsed, its tags changed and its canonical text registered, as version `-1` (stamped
    /// with `confluent:version`) unless the request names one. An element the schema does
    /// not have is 42201, as on the tags route. Then `propagateSchemaTags`
    /// (`maybePropagateSchemaTags`, outside IMPORT/FORWARD mode): the inline tags of the
    /// subject's latest live version are added to the same elements of the new schema.
    pub(super) fn apply_request_tags(
        &self,
        subject: &Subject,
        mut req: SchemaRequest,
    ) -> Result<SchemaRequest> {
        if req.tag_edits.is_empty() && !req.propagate_schema_tags {
            return Ok(req);
        }
        let ty = match req.schema_type.as_deref() {
            None => SchemaType::Avro,
            // An unknown type is refused by the registration itself.
            Some(t) => match SchemaType::parse(t) {
                Some(ty) => ty,
                None => return Ok(req),
            },
        };
        let Some(format) = crate::schema::format(ty) else {
            return Ok(req);
        };
        let (deps, previous) = {
            let ix = self.read();
            let previous = if Self::mode_for(&ix, subject).is_import_or_forward() {
                None
            } else {
                ix.versions(&subject.qualified())
                    .and_then(|vs| vs.values().rev().find(|e| !e.deleted))
                    .map(|e| e.body.clone())
            };
            (Self::refs_texts(&ix, subject, &req.references), previous)
        };
        let change = |text: &str, edits: &[TagEdit]| {
            format
                .modify_tags(text, &deps, edits)
                .map_err(|e| RegistryError::InvalidSchema(e.0))
        };
        if !req.tag_edits.is_empty() {
            let text = req.schema.as_deref().unwrap_or_default();
            req.schema = Some(change(text, &req.tag_edits)?);
            req.version = req.version.or(Some(-1));
        }
        let blank = req.schema.as_deref().is_none_or(|s| s.trim().is_empty());
        if let (true, false, Some(previous)) = (req.propagate_schema_tags, blank, previous) {
            let edits: Vec<TagEdit> = self
                .tagged_entities(&previous, subject)
                .into_iter()
                .map(|e| TagEdit {
                    entity_type: e.entity_type,
                    path: e.path,
                    add: e.tags,
                    remove: Vec::new(),
                })
                .collect();
            if !edits.is_empty() {
                let text = req.schema.as_deref().unwrap_or_default();
                req.schema = Some(change(text, &edits)?);
            }
        }
        Ok(req)
    }
}

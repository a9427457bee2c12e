//! Registration, lookup and compatibility checks of a schema under a subject.
//! Invariant: no index lock is held while parsing or checking compatibility.
//!
//! A registration is planned in named steps: [`Registry::register_view`] copies what it
//! needs from the index under one short read lock (the subject's version entries, whose
//! bodies are shared, its config and mode, the reference texts, the applied offset);
//! [`Registry::prepare`] parses without a lock; [`find_existing`] and [`check_new`] decide
//! on the copy; [`Registry::build_records`] assigns the ID and version and encodes the
//! records under a second short read lock, only if the index has not moved since the view
//! (else the registration is planned again, up to [`REGISTER_TRIES`] times, then once more
//! on a fresh view used as it is: the single-writer lock keeps this node's writes out, as
//! before). Appending and waiting for the store happen with no index lock held.

use super::prepare::{
    confluent_version, effective_request, with_confluent_version, without_confluent_version,
    ParseInput,
};
use super::{encode, read_only_error, Registered, Registry, SchemaRequest, VersionView};
use crate::compat::{self, Candidate, Previous};
use crate::error::{RegistryError, Result};
use crate::index::{ContentKey, Index, SchemaBody, VersionEntry};
use crate::model::{Level, SchemaType, Subject};
use crate::store::record::{ContextValue, Key, SchemaValue, Value, DEFAULT_TENANT};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How many times a registration is planned again because the index moved between its
/// view and its records, before the last plan is used as it is.
pub(super) const REGISTER_TRIES: usize = 3;

/// What a registration needs from the index, copied under one short read lock.
pub(super) struct RegisterView {
    /// The index's applied offset when the view was taken.
    applied: i64,
    /// `Index::register_stamp` when the view was taken (a pipelined registration's test).
    stamp: (u64, Option<(i32, usize)>),
    pub(super) import: bool,
    /// The request's explicit ID (`>= 0`).
    explicit_id: Option<i32>,
    /// The request as registered: inherited metadata, rule set or schema, config metadata.
    effective: SchemaRequest,
    parse: ParseInput,
    /// The subject's versions (`None`: the subject has none).
    versions: Option<BTreeMap<i32, VersionEntry>>,
    /// For each version of the subject, the ID its content resolves to in the context.
    content_ids: BTreeMap<i32, Option<i32>>,
    level: Level,
    compatibility_group: Option<String>,
    validate_fields: bool,
    /// The effective `compatibilityPolicy` is LENIENT.
    lenient: bool,
    /// The live versions with the texts of their references, for the compatibility check
    /// (empty in IMPORT mode, where nothing is checked).
    previous: Vec<PreviousVersion>,
}

/// An earlier version to check a schema against, with its references resolved.
pub(super) struct PreviousVersion {
    version: i32,
    entry: VersionEntry,
    refs: Vec<crate::schema::Dependency>,
}

/// A version to write, decided and checked, waiting for its ID and records.
pub(super) struct NewVersion {
    body: SchemaBody,
    pub(super) key: ContentKey,
    /// The number of the subject's newest version (0: none).
    latest_version: i32,
}

/// What a registration does, decided on a view.
pub(super) enum Plan {
    /// Already registered: answer without writing.
    Existing(Registered),
    /// A new version, compatible with the earlier ones.
    New(Box<(RegisterView, NewVersion)>),
}

/// Step: an earlier version of the subject that this registration answers with, if any
/// (explicit version numbers are checked first). Also says whether new versions are
/// stamped with `confluent:version`.
fn find_existing(
    view: &RegisterView,
    subject: &Subject,
    req: &SchemaRequest,
    body: &SchemaBody,
) -> Result<(Option<Registered>, bool)> {
    let q = subject.qualified();
    let import = view.import;
    let key = body.content_key();
    let versions = view.versions.as_ref();
    let latest_version = latest_version(versions);
    let explicit_version = req.version.filter(|v| *v > 0);
    // `confluent:version` bookkeeping, as Confluent 7.x does: an explicit version (or -1),
    // or a subject whose versions carry the property, stamps each new version with its
    // number; such versions are compared without the property.
    let stamp = !import
        && (req.version == Some(-1)
            || explicit_version.is_some()
            || confluent_version(body.metadata.as_ref()).is_some());
    if !import {
        if let Some(rv) = explicit_version {
            if view.explicit_id.is_some_and(|id| id > 0) {
                return Err(RegistryError::OperationNotPermitted(format!(
                    "Subject {q} is not in import mode"
                )));
            }
            if rv != latest_version + 1 {
                return Err(RegistryError::InvalidSchema(
                    "Version is not one more than previous version".into(),
                ));
            }
        }
    }
    if let (true, None, Some(vs)) = (stamp, explicit_version, versions) {
        let wanted = confluent_version(req.metadata.as_ref());
        let stripped = without_confluent_version(body.metadata.as_ref());
        let matches = |(v, e): &(&i32, &VersionEntry)| {
            !e.deleted
                && e.body.schema_type == body.schema_type
                && e.body.schema == body.schema
                && e.body.references == body.references
                && without_confluent_version(e.body.metadata.as_ref()) == stripped
                && wanted.as_ref().is_none_or(|w| *w == v.to_string())
        };
        // `-1` asks for the latest version; otherwise the first one that matches.
        let found = if req.version == Some(-1) {
            vs.iter().rev().find(matches)
        } else {
            vs.iter().find(matches)
        };
        if let Some((v, e)) = found {
            let stored = without_confluent_version(req.metadata.as_ref())
                != without_confluent_version(e.body.metadata.as_ref());
            let version = Registry::view(&q, *v, e);
            return Ok((Some(Registered { version, stored }), stamp));
        }
    }
    // Already registered (and live) under this subject: answer with its ID.
    if let (false, Some(vs)) = (stamp, versions) {
        // When IMPORT gave the content several IDs, the newest binding is the one a
        // registration resolves to (as in Confluent, whose content lookup is overwritten).
        if let Some((v, e)) = vs.iter().rev().find(|(v, e)| {
            !e.deleted
                && e.body.content_key() == key
                && view
                    .content_ids
                    .get(v)
                    .copied()
                    .flatten()
                    .is_none_or(|cid| cid == e.id)
        }) {
            let id_ok = match view.explicit_id {
                Some(id) if import || id > 0 => id == e.id,
                _ => true,
            };
            let version_ok = req.version.is_none_or(|rv| rv <= 0 || rv == *v);
            if id_ok && version_ok {
                // The whole schema is answered when it differs from what was sent.
                let stored = req.metadata != e.body.metadata || (import && req.version.is_some());
                let version = Registry::view(&q, *v, e);
                return Ok((Some(Registered { version, stored }), stamp));
            }
        }
    }
    Ok((None, stamp))
}

/// Step: a version that is not registered yet: stamped if it must be, and checked for
/// compatibility with the earlier ones (not in IMPORT mode).
fn check_new(
    view: &RegisterView,
    subject: &Subject,
    body: SchemaBody,
    stamp: bool,
) -> Result<NewVersion> {
    let q = subject.qualified();
    if !view.import && view.explicit_id.is_some_and(|id| id > 0) {
        return Err(RegistryError::OperationNotPermitted(format!(
            "Subject {q} is not in import mode"
        )));
    }
    let latest_version = latest_version(view.versions.as_ref());
    let body = if stamp {
        SchemaBody::new(
            body.schema_type,
            body.schema,
            body.references,
            with_confluent_version(body.metadata, latest_version + 1),
            body.rule_set,
        )
    } else {
        body
    };
    if !view.import {
        let new_refs = view.parse.refs.clone().unwrap_or_default();
        let group = view.compatibility_group.as_deref();
        let mut messages = check_against(
            &body,
            new_refs,
            group,
            view.level,
            view.lenient,
            &view.previous,
        );
        if !messages.is_empty() {
            messages.push(compat::trailer(view.validate_fields, view.level));
            return Err(RegistryError::Incompatible {
                subject: q,
                messages,
            });
        }
    }
    let key = body.content_key();
    Ok(NewVersion {
        body,
        key,
        latest_version,
    })
}

fn latest_version(versions: Option<&BTreeMap<i32, VersionEntry>>) -> i32 {
    versions
        .and_then(|vs| vs.keys().next_back().copied())
        .unwrap_or(0)
}

/// The compatibility messages of `body` against `previous` (empty: compatible). With a
/// compatibilityGroup, only versions in the same group (same value of that metadata
/// property) are checked.
pub(super) fn check_against(
    body: &SchemaBody,
    new_refs: Vec<crate::schema::Dependency>,
    group: Option<&str>,
    level: Level,
    lenient: bool,
    previous: &[PreviousVersion],
) -> Vec<String> {
    let group_value = |md: Option<&Json>| -> Option<String> {
        let g = group?;
        md?.get("properties")?.get(g)?.as_str().map(str::to_string)
    };
    let mine = group_value(body.metadata.as_ref());
    let new = Candidate {
        schema_type: body.schema_type,
        schema: &body.schema,
        refs: new_refs,
    };
    let prev: Vec<Previous<'_>> = previous
        .iter()
        .filter(|p| group.is_none() || group_value(p.entry.body.metadata.as_ref()) == mine)
        .map(|p| Previous {
            version: Some(p.version),
            schema: Candidate {
                schema_type: p.entry.body.schema_type,
                schema: &p.entry.body.schema,
                refs: p.refs.clone(),
            },
        })
        .collect();
    compat::check_with_policy(level, lenient, &new, &prev)
}

impl Registry {
    /// `POST /subjects/{subject}/versions`.
    pub async fn register(
        &self,
        subject: &Subject,
        req: SchemaRequest,
        normalize: bool,
    ) -> Result<Registered> {
        let subject = &self.register_target(subject)?;
        let req = self.apply_request_tags(subject, req)?;
        // Fast path: already registered under the subject. No writer lock, any node.
        let planned = match self.plan_register(subject, &req, normalize)? {
            Plan::Existing(r) => return Ok(r),
            Plan::New(planned) => *planned,
        };
        // Beside other registrations in flight (`pipeline.rs`): they share commits.
        self.commit_pipelined(subject, &req, normalize, planned)
            .await
    }

    /// A registration by a caller that already holds the writer lock (an association that
    /// carries its schema).
    pub(super) async fn register_locked(
        &self,
        subject: &Subject,
        req: &SchemaRequest,
        normalize: bool,
    ) -> Result<Registered> {
        let subject = &self.register_target(subject)?;
        let planned = match self.plan_register(subject, req, normalize)? {
            Plan::Existing(r) => return Ok(r),
            Plan::New(planned) => *planned,
        };
        self.commit_planned(subject, req, normalize, planned).await
    }

    /// Would this registration pass (name, mode, schema, compatibility)? Nothing is written.
    pub(super) fn check_planned(
        &self,
        subject: &Subject,
        req: &SchemaRequest,
        normalize: bool,
    ) -> Result<()> {
        let subject = &self.register_target(subject)?;
        self.plan_register(subject, req, normalize).map(|_| ())
    }

    /// The subject a registration writes to (its alias followed), once its name passes.
    fn register_target(&self, subject: &Subject) -> Result<Subject> {
        Self::validate_subject(&subject.qualified())?;
        // No schema lives in the true global context, nor under the reserved names
        // `__GLOBAL` and `__EMPTY` (7.9 and 8.3.1 `QualifiedSubject.isValidSubject` with
        // `isConfigOrMode=false`).
        if subject.context == crate::model::GLOBAL_CONTEXT
            || matches!(subject.name.as_str(), "__GLOBAL" | "__EMPTY")
            || (self.reject_empty_subject && subject.name.is_empty())
        {
            return Err(RegistryError::InvalidSubject(subject.qualified()));
        }
        Ok(self.alias_target(subject))
    }

    /// Writes a planned registration (the writer lock held): the plan stands if the index
    /// has not moved since its view; else it is made again.
    pub(super) async fn commit_planned(
        &self,
        subject: &Subject,
        req: &SchemaRequest,
        normalize: bool,
        (mut view, mut new): (RegisterView, NewVersion),
    ) -> Result<Registered> {
        let mut tries = 0;
        loop {
            let strict = tries < REGISTER_TRIES;
            if let Some((records, outcome)) =
                self.build_records(&view, subject, req, &new, strict, None)?
            {
                self.append_and_wait(records).await?;
                return Ok(outcome);
            }
            tries += 1;
            (view, new) = match self.plan_register(subject, req, normalize)? {
                Plan::Existing(r) => return Ok(r),
                Plan::New(planned) => *planned,
            };
        }
    }

    /// Decides what a registration does: view (short read lock), then parse and check
    /// without any lock.
    pub(super) fn plan_register(
        &self,
        subject: &Subject,
        req: &SchemaRequest,
        normalize: bool,
    ) -> Result<Plan> {
        let gated = if self.read_only {
            Err(read_only_error())
        } else {
            self.register_view(subject, req, true)
        };
        let view = match gated {
            Ok(v) => v,
            Err(refused @ RegistryError::OperationNotPermitted(_)) => {
                return self.existing_despite_mode(subject, req, normalize, refused)
            }
            Err(e) => return Err(e),
        };
        let body = Self::prepare(subject, &view.effective, &view.parse, normalize)?;
        let (existing, stamp) = find_existing(&view, subject, req, &body)?;
        if let Some(r) = existing {
            return Ok(Plan::Existing(r));
        }
        let new = check_new(&view, subject, body, stamp)?;
        Ok(Plan::New(Box::new((view, new))))
    }

    /// A registration the mode refuses (READONLY, IMPORT without an ID, a `--read-only`
    /// node) still answers a schema the subject already holds: Confluent looks it up before
    /// it checks the mode, unless the config has default or override metadata or rule sets
    /// (7.9 and 8.3.1 `KafkaSchemaRegistry.registerOrForward`). A schema that does not parse
    /// is 42201 there too; anything else is the refusal.
    fn existing_despite_mode(
        &self,
        subject: &Subject,
        req: &SchemaRequest,
        normalize: bool,
        refused: RegistryError,
    ) -> Result<Plan> {
        let mut view = self.register_view(subject, req, false)?;
        let cfg = self.effective_config(&self.read(), Some(subject));
        let defaults = cfg.default_metadata.is_some()
            || cfg.override_metadata.is_some()
            || cfg.default_rule_set.is_some()
            || cfg.override_rule_set.is_some();
        if defaults {
            return Err(refused);
        }
        view.import = false;
        let body = Self::prepare(subject, &view.effective, &view.parse, normalize)?;
        match find_existing(&view, subject, req, &body) {
            Ok((Some(r), _)) => Ok(Plan::Existing(r)),
            _ => Err(refused),
        }
    }

    /// Step: the subject and its mode (writable? IMPORT? checked when `gate`), and a copy
    /// of what the rest of the plan needs from the index, under one short read lock.
    fn register_view(
        &self,
        subject: &Subject,
        req: &SchemaRequest,
        gate: bool,
    ) -> Result<RegisterView> {
        let q = subject.qualified();
        let ix = self.read();
        let mode = if gate {
            Self::check_writable(&ix, subject)?
        } else {
            Self::mode_for(&ix, subject)
        };
        // The fetched schemas' context is always in IMPORT (`fetched.rs`).
        let import = mode.is_import_or_forward() || self.is_fetched_context(&subject.context);
        let explicit_id = req.id.filter(|id| *id >= 0);
        if gate && import && explicit_id.is_none() {
            return Err(RegistryError::OperationNotPermitted(format!(
                "Subject {q} is not in read-write mode"
            )));
        }
        let versions = ix.versions(&q);
        let latest_live = versions.and_then(|vs| vs.values().rev().find(|e| !e.deleted));
        let cfg = self.effective_config(&ix, Some(subject));
        let effective = effective_request(req, latest_live, &cfg, import);
        let mut parse = self.parse_input(&ix, subject, &effective);
        parse.is_new = explicit_id.is_none();
        let content_ids = versions
            .map(|vs| {
                vs.iter()
                    .map(|(v, e)| {
                        (
                            *v,
                            ix.id_for_content(&subject.context, &e.body.content_key()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let level = self.level_for(&ix, subject);
        let previous = match (import, versions) {
            (false, Some(vs)) if level != Level::None => {
                let live = vs.iter().filter(|(_, e)| !e.deleted);
                Self::previous_versions(&ix, subject, live.map(|(v, e)| (*v, e)))
            }
            _ => Vec::new(),
        };
        Ok(RegisterView {
            applied: ix.applied,
            stamp: ix.register_stamp(&q),
            import,
            explicit_id,
            effective,
            parse,
            versions: versions.cloned(),
            content_ids,
            level,
            compatibility_group: cfg.compatibility_group,
            validate_fields: cfg.validate_fields.unwrap_or(false),
            lenient: cfg.compatibility_policy.as_deref() == Some("LENIENT"),
            previous,
        })
    }

    /// Versions with the texts of their references (resolved in the context of `subject`).
    pub(super) fn previous_versions<'a>(
        ix: &Index,
        subject: &Subject,
        versions: impl IntoIterator<Item = (i32, &'a VersionEntry)>,
    ) -> Vec<PreviousVersion> {
        versions
            .into_iter()
            .map(|(v, e)| PreviousVersion {
                version: v,
                entry: e.clone(),
                refs: Self::refs_texts(ix, subject, &e.body.references),
            })
            .collect()
    }

    /// Step: the ID and version of a new version, and its records, under a short read lock.
    /// `None` when `strict` and the index moved since the view (the plan must be redone).
    pub(super) fn build_records(
        &self,
        view: &RegisterView,
        subject: &Subject,
        req: &SchemaRequest,
        new: &NewVersion,
        strict: bool,
        flight: Option<&super::pipeline::InFlight>,
    ) -> Result<Option<(Vec<crate::store::RawRecord>, Registered)>> {
        let q = subject.qualified();
        let ix = self.read();
        // In flight beside others (`pipeline.rs`), only what the plan rests on counts.
        let moved = match flight {
            Some(_) => ix.register_stamp(&q) != view.stamp,
            None => ix.applied != view.applied,
        };
        if strict && moved {
            return Ok(None);
        }
        let (body, key) = (&new.body, new.key);
        let (id, version) = if view.import {
            let id = match view.explicit_id {
                Some(id) => {
                    if let Some(existing) = ix.schema_by_id(&subject.context, id) {
                        if existing.body.content_key() != key {
                            return Err(RegistryError::OperationNotPermitted(format!(
                                "Overwrite new schema with id {id} is not permitted."
                            )));
                        }
                    }
                    id
                }
                _ => ix
                    .id_for_content(&subject.context, &key)
                    .unwrap_or(ix.max_id(&subject.context) + 1),
            };
            let version = match req.version {
                Some(v) if v > 0 => v,
                _ => new.latest_version + 1,
            };
            (id, version)
        } else {
            // Writes in flight count as written: their IDs are taken.
            let ctx = &subject.context;
            let id = ix
                .id_for_content(ctx, &key)
                .or_else(|| flight.and_then(|f| f.id_for_content(ctx, &key)))
                .unwrap_or(
                    ix.max_id(ctx)
                        .max(flight.map_or(0, |f| f.max_id(ctx)))
                        .max(self.id_floor(ctx))
                        + 1,
                );
            (id, new.latest_version + 1)
        };
        let mut records = Vec::new();
        if !subject.is_default_context() && !ix.context_listed(&subject.context) {
            records.extend(encode(
                &ix,
                Key::Context {
                    tenant: DEFAULT_TENANT.into(),
                    context: subject.context.clone(),
                },
                Some(Value::Context(ContextValue {
                    tenant: Some(DEFAULT_TENANT.into()),
                    context: Some(subject.context.clone()),
                })),
            ));
        }
        // Confluent permanently removes soft-deleted versions of the same schema when
        // the schema is registered again under the subject.
        if let Some(vs) = &view.versions {
            for (v, _) in vs
                .iter()
                .filter(|(_, e)| e.deleted && e.body.content_key() == key)
            {
                if *v != version {
                    records.extend(encode(
                        &ix,
                        Key::Schema {
                            subject: q.clone(),
                            version: *v,
                        },
                        None,
                    ));
                }
            }
        }
        records.extend(encode(
            &ix,
            Key::Schema {
                subject: q.clone(),
                version,
            },
            Some(Value::Schema(SchemaValue {
                subject: Some(q.clone()),
                version,
                id,
                schema_type: (body.schema_type != SchemaType::Avro)
                    .then(|| body.schema_type.as_str().to_string()),
                references: body.references.clone(),
                metadata: body.metadata.clone(),
                rule_set: body.rule_set.clone(),
                schema: body.schema.clone(),
                deleted: false,
            })),
        ));
        let version = VersionView {
            subject: q.clone(),
            version,
            id,
            guid: crate::guid::of(body),
            body: Arc::new(body.clone()),
            deleted: false,
            ts: None,
        };
        Ok(Some((
            records,
            Registered {
                version,
                stored: false,
            },
        )))
    }

    /// `POST /subjects/{subject}`: is this schema registered under the subject?
    pub fn lookup(
        &self,
        subject: &Subject,
        req: &SchemaRequest,
        normalize: bool,
        deleted: bool,
    ) -> Result<VersionView> {
        let q = subject.qualified();
        // A blank schema finds nothing (`canonicalizeSchema` answers null, no error).
        if req.schema.as_deref().is_none_or(|s| s.trim().is_empty()) {
            let ix = self.read();
            Self::subject_versions(&ix, &q, deleted)?;
            return Err(RegistryError::SchemaNotFound(None));
        }
        let input = self.parse_input(&self.read(), subject, req);
        // The stored text may be the request's canonical or its normalized form.
        let (body, normalized) = Self::prepare_with_normalized(subject, req, &input, normalize)?;
        let ix = self.read();
        let vs = Self::subject_versions(&ix, &q, deleted)?;
        vs.iter()
            .rev()
            .filter(|(_, e)| deleted || !e.deleted)
            .find(|(_, e)| {
                let same = e.body.schema_type == body.schema_type
                    && (e.body.schema == body.schema || e.body.schema == normalized)
                    && e.body.references == body.references;
                // Metadata must match too; `confluent:version` only when the request has it.
                let same_metadata = if confluent_version(req.metadata.as_ref()).is_some() {
                    req.metadata == e.body.metadata
                } else {
                    without_confluent_version(req.metadata.as_ref())
                        == without_confluent_version(e.body.metadata.as_ref())
                };
                // A rule set, when given, must be the stored one (`canLookup` compares it);
                // none given finds the version as 8.3.1's retry populated from the latest
                // does (`lookUpSchemaUnderSubject`).
                let same_rules = body.rule_set.is_none() || body.rule_set == e.body.rule_set;
                same_metadata && same && same_rules
            })
            .map(|(v, e)| Self::view(&q, *v, e))
            .ok_or(RegistryError::SchemaNotFound(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record::ConfigValue;
    use serde_json::json;

    fn entry(id: i32, schema: &str, metadata: Option<Json>, deleted: bool) -> VersionEntry {
        let body = SchemaBody::new(SchemaType::Avro, schema.into(), vec![], metadata, None);
        VersionEntry {
            id,
            deleted,
            offset: 0,
            ts: None,
            guid: crate::guid::of(&body),
            body: Arc::new(body),
            rendered: Default::default(),
        }
    }

    fn view(versions: &[(i32, VersionEntry)]) -> RegisterView {
        let versions: BTreeMap<i32, VersionEntry> = versions.iter().cloned().collect();
        RegisterView {
            applied: 7,
            stamp: (0, None),
            import: false,
            explicit_id: None,
            effective: SchemaRequest::default(),
            parse: ParseInput {
                refs: Ok(vec![]),
                normalize_config: false,
                import: false,
                validate_fields: false,
                validate_new: None,
                is_new: true,
            },
            content_ids: versions.iter().map(|(v, e)| (*v, Some(e.id))).collect(),
            versions: (!versions.is_empty()).then_some(versions),
            level: Level::Backward,
            compatibility_group: None,
            validate_fields: false,
            lenient: false,
            previous: vec![],
        }
    }

    fn body(schema: &str) -> SchemaBody {
        SchemaBody::new(SchemaType::Avro, schema.into(), vec![], None, None)
    }

    #[test]
    fn effective_request_inherits_and_merges_metadata() {
        let latest = entry(
            1,
            "\"string\"",
            Some(json!({"properties": {"a": "1"}})),
            false,
        );
        let req = SchemaRequest {
            schema: Some("\"int\"".into()),
            ..Default::default()
        };
        let eff = effective_request(&req, Some(&latest), &ConfigValue::default(), false);
        assert_eq!(eff.metadata, Some(json!({"properties": {"a": "1"}})));
        assert_eq!(eff.schema.as_deref(), Some("\"int\""));
        // Metadata without a schema re-registers the latest schema.
        let req = SchemaRequest {
            metadata: Some(json!({"properties": {"b": "2"}})),
            ..Default::default()
        };
        let eff = effective_request(&req, Some(&latest), &ConfigValue::default(), false);
        assert_eq!(eff.schema.as_deref(), Some("\"string\""));
        // Config metadata: default under the request's, override over it.
        let cfg = ConfigValue {
            default_metadata: Some(json!({"properties": {"b": "0", "c": "3"}})),
            override_metadata: Some(json!({"properties": {"c": "4"}})),
            ..Default::default()
        };
        let eff = effective_request(&req, None, &cfg, false);
        assert_eq!(
            eff.metadata,
            Some(json!({"properties": {"b": "2", "c": "4"}}))
        );
    }

    #[test]
    fn existing_versions_answer_without_writing() {
        let v = view(&[
            (1, entry(10, "\"string\"", None, false)),
            (2, entry(11, "\"int\"", None, false)),
        ]);
        let subject = Subject::parse("s");
        let req = SchemaRequest::default();
        let (found, stamp) = find_existing(&v, &subject, &req, &body("\"int\"")).expect("ok");
        assert!(!stamp);
        assert_eq!(found.map(|r| r.id()), Some(11));
        let (found, _) = find_existing(&v, &subject, &req, &body("\"long\"")).expect("ok");
        assert!(found.is_none());
        assert_eq!(latest_version(v.versions.as_ref()), 2);
    }

    #[test]
    fn explicit_versions_must_follow_the_latest() {
        let v = view(&[(1, entry(10, "\"string\"", None, false))]);
        let subject = Subject::parse("s");
        let req = |version| SchemaRequest {
            version: Some(version),
            ..Default::default()
        };
        let err = find_existing(&v, &subject, &req(3), &body("\"int\""));
        assert!(matches!(err, Err(RegistryError::InvalidSchema(_))));
        let (found, stamp) = find_existing(&v, &subject, &req(2), &body("\"int\"")).expect("ok");
        assert!(found.is_none() && stamp);
        let new = check_new(&v, &subject, body("\"int\""), stamp).expect("compatible");
        assert_eq!(new.latest_version, 1);
        assert_eq!(
            confluent_version(new.body.metadata.as_ref()).as_deref(),
            Some("2")
        );
    }

    #[test]
    fn soft_deleted_versions_are_not_answered() {
        let v = view(&[(1, entry(10, "\"int\"", None, true))]);
        let subject = Subject::parse("s");
        let (found, _) =
            find_existing(&v, &subject, &SchemaRequest::default(), &body("\"int\"")).expect("ok");
        assert!(found.is_none());
    }
}

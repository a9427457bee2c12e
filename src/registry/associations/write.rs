//! Creating, updating and deleting associations, one at a time or in batches, with
//! Confluent's checks in Confluent's order (8.3.1 `AbstractSchemaRegistry
//! .createOrUpdateAssociation`, `deleteAssociations`, `batchGetAssociations`,
//! `mutateAssociations`; `AssociationValue.fromAssociationCreateOrUpdateRequest`).
//!
//! Every write holds the writer lock from its first check to its last record, so what was
//! checked is what is written. As in Confluent there is no transaction across steps: schemas
//! an association registered stay if a later step fails, and the ops of a batch item that ran
//! before a failing one are not undone.

use super::request::{default_subject, invalid, TOPIC};
use super::{
    select, AssociationFilters, AssociationQuery, AssociationView, AssociationWrite, Lifecycle,
};
use crate::error::{RegistryError, Result};
use crate::model::{Mode, Subject};
use crate::registry::{encode, Registered, Registry, VersionView};
use crate::store::record::{AssociationValue, Key, Value, DEFAULT_TENANT};
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashSet};

/// An association in a write's answer (`AssociationInfo`): with the schema the write
/// registered for its type, or (batch get) the subject's latest.
#[derive(Debug, Clone)]
pub struct AssociationInfoAnswer {
    pub subject: String,
    pub association_type: String,
    pub lifecycle: Lifecycle,
    pub frozen: bool,
    pub schema: Option<AnsweredSchema>,
}

/// A schema in an association answer, as registered (a copy of the request unless the
/// stored version was answered) or as stored.
#[derive(Debug, Clone)]
pub struct AnsweredSchema {
    pub version: VersionView,
    pub stored: bool,
}

/// `AssociationResponse`: the resource and the associations written (or listed).
#[derive(Debug, Clone, Default)]
pub struct AssociationAnswer {
    pub resource_name: Option<String>,
    pub resource_namespace: Option<String>,
    pub resource_id: Option<String>,
    pub resource_type: Option<String>,
    pub associations: Vec<AssociationInfoAnswer>,
}

/// One item of a batch answer (`AssociationResult`).
#[derive(Debug, Clone)]
pub enum BatchResult {
    /// `{error_code, message}` (or the error the request carried).
    Error(Json),
    Done(AssociationAnswer),
}

pub(super) fn error_item(code: u32, message: String) -> BatchResult {
    BatchResult::Error(serde_json::json!({"error_code": code, "message": message}))
}

fn exists_for_resource(association_type: &str, resource: &str) -> RegistryError {
    RegistryError::Association(
        40903,
        format!(
            "An association of type '{association_type}' already exists for resource '{resource}'"
        ),
    )
}

fn frozen_error(association_type: &str, subject: &str) -> RegistryError {
    // The two spaces are Confluent's (`Errors.ASSOCIATION_FROZEN_MESSAGE_FORMAT`).
    RegistryError::Association(
        40908,
        format!("The association of type  '{association_type}' is frozen for subject '{subject}'"),
    )
}

/// 40904: the subject already has an association (also refuses subject deletes).
pub fn exists_for_subject(subject: &str) -> RegistryError {
    RegistryError::Association(
        40904,
        format!("An association already exists for subject '{subject}'"),
    )
}

/// 40907: the subject has no live version (an association needs one).
pub fn no_active_version(subject: &str) -> RegistryError {
    RegistryError::Association(
        40907,
        format!("No active (non-deleted) version exists for subject '{subject}'"),
    )
}

fn read_only_subject(s: &Subject) -> RegistryError {
    RegistryError::OperationNotPermitted(format!(
        "Subject {} in context {} is in read-only mode",
        s.name, s.context
    ))
}

/// `QualifiedSubject.create(tenant, context, subject)`: an unqualified subject goes into the
/// request's context (the `context` parameter, `:.ctx:` as `/contexts/{ctx}/` sets it).
fn in_context(context: Option<&str>, subject: &str) -> Subject {
    match context {
        Some(c) => Subject::in_context(&Subject::parse(c).context, subject),
        None => Subject::parse(subject),
    }
}

impl AssociationInfoAnswer {
    fn of(a: &AssociationView, schema: Option<AnsweredSchema>) -> AssociationInfoAnswer {
        AssociationInfoAnswer {
            subject: a.subject.clone(),
            association_type: a.association_type.clone(),
            lifecycle: a.lifecycle,
            frozen: a.frozen,
            schema,
        }
    }
}

impl AssociationAnswer {
    pub(super) fn of(
        name: Option<String>,
        namespace: Option<String>,
        id: Option<String>,
        resource_type: Option<String>,
        associations: &[AssociationView],
        schemas: &BTreeMap<String, AnsweredSchema>,
    ) -> AssociationAnswer {
        AssociationAnswer {
            resource_name: name,
            resource_namespace: namespace,
            resource_id: id,
            resource_type,
            associations: associations
                .iter()
                .map(|a| AssociationInfoAnswer::of(a, schemas.get(&a.association_type).cloned()))
                .collect(),
        }
    }
}

impl Registry {
    pub(super) fn by_resource_id(
        &self,
        id: Option<&str>,
        resource_type: &str,
        types: &[String],
        lifecycle: Option<Lifecycle>,
    ) -> Vec<AssociationView> {
        let Some(id) = id else { return Vec::new() };
        select(
            &self.read(),
            &AssociationQuery::Id(id.to_string()),
            &AssociationFilters {
                resource_type: Some(resource_type.to_string()),
                association_types: types.to_vec(),
                lifecycle: lifecycle.map(|l| l.as_str().to_string()),
            },
        )
    }

    /// Does the subject have any association? (Subject and version deletes are refused.)
    pub(crate) fn has_associations(ix: &crate::index::Index, qualified: &str) -> bool {
        ix.associations.keys().any(|k| k.subject == qualified)
    }

    fn mode_of(&self, s: &Subject) -> Mode {
        Self::mode_for(&self.read(), s)
    }

    /// Is this schema a live version of the subject? (`lookUpSchemaUnderSubject`, no
    /// deleted ones.) A parse failure is the request's error.
    fn holds_schema(
        &self,
        s: &Subject,
        req: &super::super::SchemaRequest,
        normalize: bool,
    ) -> Result<bool> {
        match self.lookup(s, req, normalize, false) {
            Ok(_) => Ok(true),
            Err(RegistryError::SubjectNotFound(_) | RegistryError::SchemaNotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `POST /associations` (`is_create`) and `PUT /associations/resources/{id}`.
    pub async fn write_associations(
        &self,
        context: Option<&str>,
        dry_run: bool,
        mut req: AssociationWrite,
        is_create: bool,
    ) -> Result<AssociationAnswer> {
        req.validate(is_create, dry_run)?;
        let _w = self.lock_for_write().await?;
        self.write_locked(context, dry_run, req, is_create).await
    }

    /// `createOrUpdateAssociation`, the writer lock held and the request validated.
    pub(super) async fn write_locked(
        &self,
        context: Option<&str>,
        dry_run: bool,
        mut req: AssociationWrite,
        is_create: bool,
    ) -> Result<AssociationAnswer> {
        let name = req.resource_name.clone().unwrap_or_default();
        let namespace = req.resource_namespace.clone().unwrap_or_default();
        let resource_type = req.resource_type.clone().unwrap_or_else(|| TOPIC.into());
        let mut infos = req.associations.take().unwrap_or_default();
        // Given subjects: into the request's context, aliases followed, not read-only.
        for info in infos.iter_mut() {
            if let Some(raw) = &info.subject {
                let s = self.alias_target(&in_context(context, raw));
                if self.mode_of(&s).is_read_only() {
                    return Err(read_only_subject(&s));
                }
                info.subject = Some(s.qualified());
            }
        }
        let mut types: Vec<String> = Vec::new();
        for info in &infos {
            let t = info.association_type().to_string();
            if types.contains(&t) {
                return Err(invalid(
                    "associationType",
                    format!("Duplicate association type: {t}"),
                ));
            }
            types.push(t);
        }
        let existing =
            self.by_resource_id(req.resource_id.as_deref(), &resource_type, &types, None);
        let mut by_type: BTreeMap<String, AssociationView> = BTreeMap::new();
        if existing.is_empty() && is_create && dry_run && req.resource_id.is_none() {
            // No ID yet (a validation before the topic exists): compare with what the name
            // holds, the most recently written per type.
            let named = select(
                &self.read(),
                &AssociationQuery::Resource {
                    namespace: namespace.clone(),
                    name: name.clone(),
                },
                &AssociationFilters {
                    resource_type: Some(resource_type.clone()),
                    association_types: types.clone(),
                    lifecycle: None,
                },
            );
            for a in named {
                let newer = by_type.get(&a.association_type).is_none_or(|b| {
                    match (a.update_ts, b.update_ts) {
                        (_, None) => true,
                        (None, Some(_)) => false,
                        (Some(x), Some(y)) => x >= y,
                    }
                });
                if newer {
                    by_type.insert(a.association_type.clone(), a);
                }
            }
        } else {
            for a in existing {
                by_type.insert(a.association_type.clone(), a);
            }
        }

        let mut skip: HashSet<String> = HashSet::new();
        for info in infos.iter_mut() {
            let t = info.association_type().to_string();
            let old = by_type.get(&t);
            if old.is_none() && !is_create {
                info.apply_defaults(false).map_err(RegistryError::from)?;
            }
            let default = default_subject(&namespace, &name, &t);
            if info.subject.is_none() {
                let s = match old {
                    Some(a) => a.subject.clone(),
                    None if info.lifecycle == Some(Lifecycle::Strong) => default.clone(),
                    None => {
                        return Err(invalid("subject", "must be provided for WEAK associations"))
                    }
                };
                info.subject = Some(s);
            }
            let subject = info.subject.clone().unwrap_or_default();
            let lifecycle = info.lifecycle.or(old.map(|a| a.lifecycle));
            let Some(lifecycle) = lifecycle else {
                return Err(invalid("lifecycle", "lifecycle must be set"));
            };
            if lifecycle == Lifecycle::Weak {
                if info.schema.is_some() {
                    return Err(invalid(
                        "lifecycle",
                        "cannot be WEAK when schema is provided",
                    ));
                }
                if subject == default {
                    return Err(invalid(
                        "subject",
                        format!("WEAK associations cannot use subject '{default}'"),
                    ));
                }
            }
            let frozen = old.map_or(info.frozen == Some(true), |a| a.frozen);
            if frozen && subject != default {
                return Err(invalid(
                    "subject",
                    format!("frozen associations must use subject '{default}'"),
                ));
            }
            let s = Subject::parse(&subject);
            let normalize = info.normalize == Some(true);
            let Some(old) = old else {
                if info.frozen == Some(true) && self.mode_of(&s) != Mode::Import {
                    let Some(schema) = &info.schema else {
                        if is_create {
                            return Err(invalid(
                                "schema",
                                "schema must be provided when creating a frozen association",
                            ));
                        }
                        continue;
                    };
                    if let Some(latest) = self.latest_live(&subject) {
                        if latest.version != 1 || !self.holds_schema(&s, schema, normalize)? {
                            return Err(invalid(
                                "frozen",
                                "cannot create a frozen association when schemas already exist in the subject",
                            ));
                        }
                    }
                }
                continue;
            };
            let equivalent = old.subject == subject
                && old.association_type == t
                && info.lifecycle.is_none_or(|l| l == old.lifecycle)
                && info.frozen.is_none_or(|f| f == old.frozen);
            if equivalent {
                if is_create {
                    if let Some(schema) = &info.schema {
                        if !self.holds_schema(&s, schema, normalize)? {
                            return Err(exists_for_resource(&t, &old.resource_name));
                        }
                    }
                }
                skip.insert(t);
                continue;
            }
            if is_create {
                return Err(exists_for_resource(&t, &old.resource_name));
            }
            if info.lifecycle.is_none() && info.schema.is_none() {
                return Err(invalid(
                    "lifecycle",
                    "at least lifecycle or schema must be provided for update",
                ));
            }
            if old.subject != subject {
                return Err(invalid(
                    "subject",
                    format!(
                        "subject of association cannot be changed from '{}' to '{subject}'",
                        old.subject
                    ),
                ));
            }
            if old.lifecycle == Lifecycle::Strong
                && info.lifecycle == Some(Lifecycle::Weak)
                && old.subject == default
            {
                return Err(invalid(
                    "lifecycle",
                    format!(
                        "cannot change to WEAK when subject matches default format '{default}'"
                    ),
                ));
            }
            if info.frozen.is_some_and(|f| f != old.frozen) {
                return Err(invalid(
                    "frozen",
                    "frozen attribute of association cannot be changed",
                ));
            }
            if old.frozen {
                return Err(frozen_error(&old.association_type, &old.subject));
            }
        }

        // The subjects: live versions, and who else is associated with them.
        for info in &infos {
            let subject = info.subject.clone().unwrap_or_default();
            let t = info.association_type();
            let old = by_type.get(t);
            if info.schema.is_none() && self.latest_live(&subject).is_none() {
                return Err(no_active_version(&subject));
            }
            let others: Vec<AssociationView> = self
                .associations_of(&subject, None, &[])
                .into_iter()
                .filter(|a| {
                    old.is_none_or(|o| {
                        !(a.resource_id == o.resource_id
                            && a.resource_type == o.resource_type
                            && a.association_type == o.association_type)
                    })
                })
                .collect();
            let lifecycle = info.lifecycle.or(old.map(|a| a.lifecycle));
            match lifecycle {
                None => return Err(invalid("lifecycle", "lifecycle must be set")),
                Some(Lifecycle::Strong) if !others.is_empty() => {
                    return Err(exists_for_subject(&subject))
                }
                Some(Lifecycle::Weak) => {
                    if info.frozen == Some(true) {
                        return Err(invalid(
                            "frozen",
                            "association with lifecycle of WEAK cannot be frozen",
                        ));
                    }
                    if others.iter().any(|a| a.lifecycle == Lifecycle::Strong) {
                        return Err(RegistryError::Association(
                            40905,
                            format!("A strong association already exists for subject '{subject}'"),
                        ));
                    }
                }
                Some(Lifecycle::Strong) => {}
            }
        }

        // The schemas against the subjects' compatibility rules (no write yet). In IMPORT
        // mode a schema is not registered, so it is not checked either.
        for info in &infos {
            let Some(schema) = &info.schema else { continue };
            let s = Subject::parse(info.subject.as_deref().unwrap_or_default());
            if self.mode_of(&s) == Mode::Import {
                continue;
            }
            self.check_planned(&s, schema, info.normalize == Some(true))
                .map_err(|e| match e {
                    RegistryError::Incompatible { messages, .. } => {
                        RegistryError::Association(40901, format!("[{}]", messages.join(", ")))
                    }
                    other => other,
                })?;
        }

        let mut answer = AssociationAnswer {
            resource_name: req.resource_name.clone(),
            resource_namespace: req.resource_namespace.clone(),
            resource_id: req.resource_id.clone(),
            resource_type: Some(resource_type.clone()),
            associations: Vec::new(),
        };
        if dry_run {
            return Ok(answer);
        }

        let mut registered: BTreeMap<String, AnsweredSchema> = BTreeMap::new();
        for info in &infos {
            let Some(schema) = &info.schema else { continue };
            let s = Subject::parse(info.subject.as_deref().unwrap_or_default());
            if self.mode_of(&s) == Mode::Import {
                continue;
            }
            let r: Registered = self
                .register_locked(&s, schema, info.normalize == Some(true))
                .await?;
            registered.insert(
                info.association_type().to_string(),
                AnsweredSchema {
                    version: r.version,
                    stored: r.stored,
                },
            );
        }

        let mut written: Vec<AssociationView> = Vec::new();
        for info in infos
            .iter()
            .filter(|i| !skip.contains(i.association_type()))
        {
            let t = info.association_type().to_string();
            let view = match by_type.get(&t) {
                None => AssociationView {
                    subject: info.subject.clone().unwrap_or_default(),
                    guid: uuid::Uuid::new_v4().to_string(),
                    resource_name: name.clone(),
                    resource_namespace: namespace.clone(),
                    resource_id: req.resource_id.clone().unwrap_or_default(),
                    resource_type: resource_type.clone(),
                    association_type: t,
                    lifecycle: if info.lifecycle == Some(Lifecycle::Strong) {
                        Lifecycle::Strong
                    } else {
                        Lifecycle::Weak
                    },
                    frozen: info.frozen == Some(true),
                    create_ts: None,
                    update_ts: None,
                },
                Some(old) => AssociationView {
                    lifecycle: info.lifecycle.unwrap_or(old.lifecycle),
                    frozen: info.frozen.unwrap_or(old.frozen),
                    ..old.clone()
                },
            };
            written.push(view);
        }
        let records = {
            let ix = self.read();
            written
                .iter()
                .flat_map(|a| {
                    encode(
                        &ix,
                        Key::Association(a.key()),
                        Some(Value::Association(stored_value(a))),
                    )
                })
                .collect::<Vec<_>>()
        };
        if !records.is_empty() {
            self.append_and_wait(records).await?;
        }
        answer.associations = written
            .iter()
            .map(|a| AssociationInfoAnswer::of(a, registered.get(&a.association_type).cloned()))
            .collect();
        Ok(answer)
    }

    /// `DELETE /associations/resources/{id}`: 40410 when nothing matches.
    pub async fn delete_associations(
        &self,
        resource_id: &str,
        resource_type: Option<&str>,
        types: &[String],
        cascade: bool,
        dry_run: bool,
    ) -> Result<()> {
        let resource_type = resource_type.filter(|t| !t.is_empty()).unwrap_or(TOPIC);
        if self
            .by_resource_id(Some(resource_id), resource_type, types, None)
            .is_empty()
        {
            return Err(RegistryError::Association(
                40410,
                format!("Association for '{resource_id}' not found."),
            ));
        }
        let _w = self.lock_for_write().await?;
        self.delete_locked(resource_id, resource_type, types, cascade, dry_run)
            .await
    }

    /// `deleteAssociations`, the writer lock held: all checked first, then each tombstoned
    /// (and a STRONG one's subject deleted, soft then permanently, on `cascadeLifecycle`).
    pub(super) async fn delete_locked(
        &self,
        resource_id: &str,
        resource_type: &str,
        types: &[String],
        cascade: bool,
        dry_run: bool,
    ) -> Result<()> {
        let found = self.by_resource_id(Some(resource_id), resource_type, types, None);
        for a in &found {
            let s = Subject::parse(&a.subject);
            if self.mode_of(&s).is_read_only() {
                return Err(read_only_subject(&s));
            }
            if !cascade && a.frozen {
                return Err(frozen_error(&a.association_type, &a.subject));
            }
        }
        if dry_run {
            return Ok(());
        }
        for a in &found {
            let records = encode(&self.read(), Key::Association(a.key()), None);
            self.append_and_wait(records).await?;
            let s = Subject::parse(&a.subject);
            if self.mode_of(&s) != Mode::Import && cascade && a.lifecycle == Lifecycle::Strong {
                self.delete_subject_locked(&s, false).await?;
                self.delete_subject_locked(&s, true).await?;
            }
        }
        Ok(())
    }
}

/// The record value of an association (`AssociationValue`; `createTs` is never written).
fn stored_value(a: &AssociationView) -> AssociationValue {
    AssociationValue {
        subject: Some(a.subject.clone()),
        guid: Some(a.guid.clone()),
        tenant: Some(DEFAULT_TENANT.into()),
        resource_name: Some(a.resource_name.clone()),
        resource_namespace: Some(a.resource_namespace.clone()),
        resource_id: Some(a.resource_id.clone()).filter(|s| !s.is_empty()),
        resource_type: Some(a.resource_type.clone()),
        association_type: Some(a.association_type.clone()),
        lifecycle: Some(a.lifecycle.as_str().to_string()),
        frozen: a.frozen,
    }
}

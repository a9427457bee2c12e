//! Deleting versions and subjects, soft or permanent, with Confluent's checks (soft first,
//! then permanent; nothing still referenced).

use super::{encode, Registry, VersionSpec};
use crate::error::{RegistryError, Result};
use crate::index::VersionEntry;
use crate::model::{SchemaType, Subject};
use crate::store::record::{DeleteSubjectValue, Key, SchemaValue, Value};

impl Registry {
    /// `DELETE /subjects/{subject}/versions/{version}`.
    pub async fn delete_version(
        &self,
        subject: &Subject,
        spec: VersionSpec,
        permanent: bool,
    ) -> Result<i32> {
        let _w = self.lock_for_write().await?;
        let q = subject.qualified();
        let (records, version) = {
            let ix = self.read();
            // The version first (7.9 and 8.3.1 `validateDeleteSchemaVersion`, run before
            // the mode): `latest` (also `-1`) is the newest live version; none, or a number
            // that is not there, is 40402 when the subject has versions, else 40401.
            let versions = ix
                .versions(&q)
                .ok_or_else(|| RegistryError::SubjectNotFound(q.clone()))?;
            let (v, e) = match spec {
                VersionSpec::Latest => versions
                    .iter()
                    .rev()
                    .find(|(_, e)| !e.deleted)
                    .ok_or_else(|| RegistryError::VersionNotFound("-1".into()))?,
                VersionSpec::Number(n) => versions
                    .get_key_value(&n)
                    .ok_or_else(|| RegistryError::VersionNotFound(n.to_string()))?,
            };
            let v = *v;
            if !permanent && e.deleted {
                return Err(RegistryError::VersionSoftDeleted(q.clone(), v));
            }
            Self::check_writable(&ix, subject)?;
            // A subject bound to a resource keeps a live version and is never hard-deleted
            // (8.3.1 `KafkaSchemaRegistry.deleteSchemaVersion`). Confluent's own answer to
            // the soft case is an unmapped exception (500); we answer its code, 40907.
            if Self::has_associations(&ix, &q) {
                if permanent {
                    return Err(super::associations::exists_for_subject(&q));
                }
                if !versions.iter().any(|(o, oe)| *o != v && !oe.deleted) {
                    return Err(super::associations::no_active_version(&q));
                }
            }
            // References before "not soft-deleted first" (both versions' order).
            let referrers = ix.referenced_by(&q, v);
            let blocking = if permanent {
                !referrers.is_empty()
            } else {
                referrers.iter().any(|r| !r.3)
            };
            if blocking {
                return Err(RegistryError::ReferenceExists(q.clone(), v));
            }
            if permanent && !e.deleted {
                return Err(RegistryError::VersionNotSoftDeleted(q.clone(), v));
            }
            let key = Key::Schema {
                subject: q.clone(),
                version: v,
            };
            let records = if permanent {
                let mut records = encode(&ix, key, None);
                // The subject's last version gone: its own mode and config go too (8.3.1
                // `KafkaSchemaRegistry.deleteSchemaVersion`).
                if versions.len() == 1 {
                    records.extend(Self::scope_tombstones(&ix, &q));
                }
                records
            } else {
                encode(
                    &ix,
                    key,
                    Some(Value::Schema(Self::schema_value(&q, v, e, true))),
                )
            };
            (records, v)
        };
        self.append_and_wait(records).await?;
        Ok(version)
    }

    /// Tombstones for a subject's own mode and config records, those that exist.
    fn scope_tombstones(ix: &crate::index::Index, q: &str) -> Vec<crate::store::RawRecord> {
        let scope = Some(q.to_string());
        let mut out = Vec::new();
        if ix.modes.contains_key(&scope) {
            out.extend(encode(
                ix,
                Key::Mode {
                    subject: scope.clone(),
                },
                None,
            ));
        }
        if ix.configs.contains_key(&scope) {
            out.extend(encode(ix, Key::Config { subject: scope }, None));
        }
        out
    }

    pub(super) fn schema_value(
        subject: &str,
        version: i32,
        e: &VersionEntry,
        deleted: bool,
    ) -> SchemaValue {
        SchemaValue {
            subject: Some(subject.to_string()),
            version,
            id: e.id,
            schema_type: (e.body.schema_type != SchemaType::Avro)
                .then(|| e.body.schema_type.as_str().to_string()),
            references: e.body.references.clone(),
            metadata: e.body.metadata.clone(),
            rule_set: e.body.rule_set.clone(),
            schema: e.body.schema.clone(),
            deleted,
        }
    }

    /// `DELETE /subjects/{subject}`.
    pub async fn delete_subject(&self, subject: &Subject, permanent: bool) -> Result<Vec<i32>> {
        let _w = self.lock_for_write().await?;
        self.delete_subject_locked(subject, permanent).await
    }

    /// The same, for a caller holding the writer lock (an association's cascade).
    pub(super) async fn delete_subject_locked(
        &self,
        subject: &Subject,
        permanent: bool,
    ) -> Result<Vec<i32>> {
        let q = subject.qualified();
        let (records, answer) = {
            let ix = self.read();
            // Found and not already soft-deleted first, then the mode (7.9 and 8.3.1
            // `deleteSubjectOrForward` before `deleteSubject`).
            let versions = ix
                .versions(&q)
                .ok_or_else(|| RegistryError::SubjectNotFound(q.clone()))?;
            let live: Vec<i32> = versions
                .iter()
                .filter(|(_, e)| !e.deleted)
                .map(|(v, _)| *v)
                .collect();
            if !permanent && live.is_empty() {
                return Err(RegistryError::SubjectSoftDeleted(q.clone()));
            }
            Self::check_writable(&ix, subject)?;
            // 8.3.1 `KafkaSchemaRegistry.deleteSubject`: soft or permanent, refused while
            // any association names the subject.
            if Self::has_associations(&ix, &q) {
                return Err(super::associations::exists_for_subject(&q));
            }
            if permanent {
                // Version by version, oldest first: a reference to it refuses the delete before
                // the version's not being soft-deleted does (KafkaSchemaRegistry.deleteSubject).
                // Referrers in the subject itself do not count (8.3.1
                // `deleteSubject`: `referencedBySubjects.remove(subject)`).
                for (v, e) in versions.iter() {
                    if ix.referenced_by(&q, *v).iter().any(|r| r.0 != q) {
                        return Err(RegistryError::ReferenceExists(q.clone(), *v));
                    }
                    if !e.deleted {
                        return Err(RegistryError::SubjectNotSoftDeleted(q.clone()));
                    }
                }
                let all: Vec<i32> = versions.keys().copied().collect();
                let mut recs: Vec<_> = all
                    .iter()
                    .flat_map(|v| {
                        encode(
                            &ix,
                            Key::Schema {
                                subject: q.clone(),
                                version: *v,
                            },
                            None,
                        )
                    })
                    .collect();
                // 8.3.1 `KafkaSchemaRegistry.deleteSubject`: the subject's own mode and
                // config go with it (7.9 removed them on the soft delete already).
                recs.extend(Self::scope_tombstones(&ix, &q));
                (recs, all)
            } else {
                if live.is_empty() {
                    return Err(RegistryError::SubjectSoftDeleted(q.clone()));
                }
                for v in &live {
                    if ix.referenced_by(&q, *v).iter().any(|r| !r.3 && r.0 != q) {
                        return Err(RegistryError::ReferenceExists(q.clone(), *v));
                    }
                }
                let latest = versions.keys().next_back().copied().unwrap_or(0);
                let recs = encode(
                    &ix,
                    Key::DeleteSubject { subject: q.clone() },
                    Some(Value::DeleteSubject(DeleteSubjectValue {
                        subject: Some(q.clone()),
                        version: latest,
                    })),
                );
                (recs, live)
            }
        };
        self.append_and_wait(records).await?;
        Ok(answer)
    }

    /// `DELETE /contexts/{ctx}` (8.1, `KafkaSchemaRegistry.deleteContextOrForward`): refused
    /// with 42211 while any version of a subject in it exists, soft-deleted ones included;
    /// else its CONTEXT record is tombstoned, also when there was none (no 404). The ID
    /// space is kept: IDs are never handed out twice.
    pub async fn delete_context(&self, context: &str) -> Result<()> {
        let _w = self.lock_for_write().await?;
        let records = {
            let ix = self.read();
            if ix
                .subjects
                .keys()
                .any(|s| Subject::parse(s).context == context)
            {
                return Err(RegistryError::ContextNotEmpty(format!(":{context}:")));
            }
            encode(
                &ix,
                Key::Context {
                    tenant: crate::store::record::DEFAULT_TENANT.into(),
                    context: context.to_string(),
                },
                None,
            )
        };
        self.append_and_wait(records).await
    }
}

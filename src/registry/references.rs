//! Schema references: resolving them (transitively, in dependency order) to the texts of
//! the referenced schemas, how they print in messages, and who references a version.

use super::{Registry, VersionSpec};
use crate::error::Result;
use crate::index::{Index, SchemaBody};
use crate::model::{Reference, Subject};
use crate::schema::Dependency;
use std::collections::BTreeSet;

/// Deepest chain of schema references we follow.
const MAX_REFERENCE_DEPTH: usize = 32;

impl Registry {
    /// Resolves references to the referenced schemas (by the names they are referenced by),
    /// transitively, in dependency order (each schema after the ones it references). A
    /// subject version referenced twice appears once, under the first name met.
    pub(super) fn resolve_refs(
        ix: &Index,
        context_of: &Subject,
        refs: &[Reference],
        depth: usize,
        seen: &mut BTreeSet<(String, i32)>,
        out: &mut Vec<Dependency>,
    ) -> std::result::Result<(), String> {
        if depth > MAX_REFERENCE_DEPTH {
            return Err(format!(
                "references nested deeper than {MAX_REFERENCE_DEPTH} levels"
            ));
        }
        for r in refs {
            if r.version == 0 || r.version < -1 {
                return Err(format!(
                    "io.confluent.kafka.schemaregistry.exceptions.InvalidVersionException: {}",
                    r.version
                ));
            }
            let not_found = || {
                format!(
                    "No schema reference found for subject \"{}\" and version {}",
                    r.subject, r.version
                )
            };
            let target = Self::ref_subject(context_of, &r.subject);
            let q = target.qualified();
            let versions = ix.versions(&q).ok_or_else(not_found)?;
            let (v, entry) = if r.version == -1 {
                versions
                    .iter()
                    .rev()
                    .find(|(_, e)| !e.deleted)
                    .ok_or_else(not_found)?
            } else {
                versions.get_key_value(&r.version).ok_or_else(not_found)?
            };
            if !seen.insert((q.clone(), *v)) {
                continue;
            }
            Self::resolve_refs(ix, &target, &entry.body.references, depth + 1, seen, out)?;
            out.push(Dependency::new(r.name.clone(), entry.body.schema.clone()));
        }
        Ok(())
    }

    /// A reference as Confluent prints it in messages (absent fields as `null`).
    pub fn ref_text(r: &Reference) -> String {
        format!(
            "{{name='{}', subject='{}', version={}}}",
            r.name, r.subject, r.version
        )
    }

    pub(super) fn ref_subject(context_of: &Subject, name: &str) -> Subject {
        let s = Subject::parse(name);
        if s.is_default_context() && !context_of.is_default_context() && !name.starts_with(":.") {
            Subject::in_context(&context_of.context, name)
        } else {
            s
        }
    }

    pub(super) fn refs_texts(ix: &Index, subject: &Subject, refs: &[Reference]) -> Vec<Dependency> {
        let mut out = Vec::new();
        let _ = Self::resolve_refs(ix, subject, refs, 0, &mut BTreeSet::new(), &mut out);
        out
    }

    /// The text of a stored schema in a `?format=` output form (Confluent re-parses the stored
    /// schema and asks it for `formattedString(format)` when `format` is not blank): references
    /// are resolved from `in_context`'s context. A schema that no longer parses (it was stored
    /// by a laxer registry) answers its stored text.
    pub fn schema_in_format(
        &self,
        body: &SchemaBody,
        in_context: &Subject,
        format: &str,
    ) -> String {
        if format.trim().is_empty() {
            return body.schema.clone();
        }
        let Some(f) = crate::schema::format(body.schema_type) else {
            return body.schema.clone();
        };
        let deps = {
            let ix = self.read();
            Self::refs_texts(&ix, in_context, &body.references)
        };
        match f.formatted(&body.schema, &deps, format) {
            Ok(Some(text)) => text,
            Ok(None) | Err(_) => body.schema.clone(),
        }
    }

    /// The inline-tagged elements of a stored schema (Confluent's `inlineTaggedEntities`),
    /// references resolved from `in_context`'s context; a schema that no longer parses has
    /// none.
    pub fn tagged_entities(
        &self,
        body: &SchemaBody,
        in_context: &Subject,
    ) -> Vec<crate::schema::TaggedEntity> {
        let Some(f) = crate::schema::format(body.schema_type) else {
            return Vec::new();
        };
        let deps = {
            let ix = self.read();
            Self::refs_texts(&ix, in_context, &body.references)
        };
        f.inline_tagged_entities(&body.schema, &deps)
            .unwrap_or_default()
    }

    /// `GET …/versions/{v}/referencedby` (8.3.1 `AbstractSchemaRegistry.getReferencedBy`):
    /// the IDs of the schemas referencing the version, by context then ID; without
    /// `deleted`, only IDs some live version still holds.
    pub fn referenced_by(
        &self,
        subject: &Subject,
        spec: VersionSpec,
        deleted: bool,
    ) -> Result<Vec<i32>> {
        let v = self.version(subject, spec, true)?;
        let ix = self.read();
        let mut ids: Vec<(String, i32)> = ix
            .referenced_by(&subject.qualified(), v.version)
            .into_iter()
            .map(|r| (Subject::parse(&r.0).context, r.2))
            .filter(|(ctx, id)| {
                deleted
                    || ix.schema_by_id(ctx, *id).is_some_and(|e| {
                        e.holders.iter().any(|(s, ver)| {
                            ix.subjects
                                .get(s)
                                .and_then(|vs| vs.get(ver))
                                .is_some_and(|x| !x.deleted)
                        })
                    })
            })
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids.into_iter().map(|(_, id)| id).collect())
    }
}

//! Fetch-through's part of the registry (`--upstream-url`, `upstream.rs` does the calls):
//! where fetched schemas live, the MirrorMaker 2 name rule, and writing what was fetched.
//!
//! Fetched schemas live in one context of their own (`.upstream` unless
//! `--upstream-context` says otherwise) under the upstream's subject names, versions and
//! IDs. Contexts are separate ID spaces, so an ID this registry assigns itself (default
//! context) and a fetched one never share a slot: nothing fetched can overwrite a local
//! schema, and the local counter never moves because of a fetch. The context is always in
//! IMPORT (registrations there must carry their ID, no compatibility check): a local
//! client cannot register into it without an ID, and fetches write there as IMPORT does.

use super::{Registry, SchemaRequest};
use crate::error::{RegistryError, Result};
use crate::model::{Reference, Subject};
use serde_json::Value as Json;

/// Where fetched schemas live and how MirrorMaker 2's names map onto the upstream's.
#[derive(Debug, Clone)]
pub struct UpstreamNames {
    /// The context fetched schemas are written to (`.upstream`).
    pub context: String,
    /// MM2's remote-topic prefix (`src.` for the default replication policy with source
    /// alias `src`); `None`: subject names are the upstream's as they are.
    pub prefix: Option<String>,
}

impl UpstreamNames {
    /// The upstream subject an unqualified local subject name stands for: the name without
    /// the mirror prefix when it carries it (`src.orders-value` → `orders-value`,
    /// `src.orders-shop.Order` → `orders-shop.Order`), else the name itself
    /// (RecordNameStrategy's `shop.Order`, MM2's IdentityReplicationPolicy). A subject of
    /// the fetched context stands for its own name; other contexts for nothing.
    pub fn upstream_subject(&self, asked: &Subject) -> Option<String> {
        if asked.name.is_empty() {
            return None;
        }
        if asked.context == self.context {
            return Some(asked.name.clone());
        }
        if !asked.is_default_context() {
            return None;
        }
        Some(
            self.strip_prefix(&asked.name)
                .unwrap_or(&asked.name)
                .to_string(),
        )
    }

    /// The name without the mirror prefix, when it carries it (and more).
    pub fn strip_prefix<'a>(&self, name: &'a str) -> Option<&'a str> {
        let p = self.prefix.as_deref().filter(|p| !p.is_empty())?;
        name.strip_prefix(p).filter(|rest| !rest.is_empty())
    }

    /// The fetched-context subject an unqualified, prefixed name maps to (`None` for other
    /// names: the same name in the fetched context is already tried as in any context).
    pub fn mapped(&self, asked: &Subject) -> Option<Subject> {
        if !asked.is_default_context() {
            return None;
        }
        self.strip_prefix(&asked.name)
            .map(|rest| Subject::in_context(&self.context, rest))
    }
}

/// One upstream subject version to write locally, as the upstream answered it.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedVersion {
    /// The upstream's subject (default context, unqualified).
    pub subject: String,
    pub version: i32,
    pub id: i32,
    /// `None` for Avro.
    pub schema_type: Option<String>,
    pub schema: String,
    pub references: Vec<Reference>,
    pub metadata: Option<Json>,
    pub rule_set: Option<Json>,
}

impl Registry {
    /// Turns fetch-through's names on (`None`: off), and the first ID this registry gives
    /// its own schemas in each context other than the fetched one (`--local-id-floor`).
    pub fn with_upstream(mut self, names: Option<UpstreamNames>, floor: Option<i32>) -> Registry {
        self.upstream = names;
        self.local_id_floor = floor.unwrap_or(0);
        self
    }

    pub fn upstream_names(&self) -> Option<&UpstreamNames> {
        self.upstream.as_ref()
    }

    /// Whether a context is the one fetched schemas live in.
    pub(super) fn is_fetched_context(&self, context: &str) -> bool {
        self.upstream.as_ref().is_some_and(|n| n.context == context)
    }

    /// Whether a subject is one of the fetched ones (no parsing, no allocation: the fast
    /// path asks this of every `latest` it answers).
    pub fn is_fetched(&self, subject: &Subject) -> bool {
        self.is_fetched_context(&subject.context)
    }

    /// The ID a new local schema of `context` gets at least (fetched IDs keep theirs).
    pub(super) fn id_floor(&self, context: &str) -> i32 {
        if self.is_fetched_context(context) {
            0
        } else {
            self.local_id_floor.saturating_sub(1)
        }
    }

    /// Whether a subject has any version (soft-deleted ones too) in its context.
    pub fn holds_subject(&self, subject: &Subject) -> bool {
        self.read().versions(&subject.qualified()).is_some()
    }

    /// The ID the fetched version `subject`/`version` has locally, if it is there.
    pub fn fetched_id(&self, subject: &str, version: i32) -> Option<i32> {
        let names = self.upstream.as_ref()?;
        let q = Subject::in_context(&names.context, subject).qualified();
        self.read().versions(&q)?.get(&version).map(|e| e.id)
    }

    /// Writes one fetched version (its references already written) as IMPORT writes it:
    /// the upstream's ID and version, no compatibility check. Idempotent: a version already
    /// there with the same ID is left alone. A version or ID already there with other
    /// content is a collision, refused (42205) and never overwritten.
    pub async fn store_fetched(&self, f: &FetchedVersion) -> Result<()> {
        let Some(names) = self.upstream.as_ref() else {
            return Err(RegistryError::OperationNotPermitted(
                "Fetch-through is off (no --upstream-url)".into(),
            ));
        };
        let subject = Subject::in_context(&names.context, &f.subject);
        let collision = |what: String| {
            RegistryError::OperationNotPermitted(format!(
                "Schema {} fetched from the upstream registry as {} version {} collides with {what}; not overwritten",
                f.id,
                f.subject,
                f.version
            ))
        };
        if let Some(id) = self.fetched_id(&f.subject, f.version) {
            if id == f.id {
                return Ok(());
            }
            return Err(collision(format!(
                "the local copy of that version, which has ID {id}"
            )));
        }
        let req = SchemaRequest {
            schema: Some(f.schema.clone()),
            schema_type: f.schema_type.clone(),
            reference_texts: f
                .references
                .iter()
                .map(|r| {
                    format!(
                        "{{name='{}', subject='{}', version={}}}",
                        r.name, r.subject, r.version
                    )
                })
                .collect(),
            references: f.references.clone(),
            metadata: f.metadata.clone(),
            rule_set: f.rule_set.clone(),
            id: Some(f.id),
            version: Some(f.version),
            ..Default::default()
        };
        let registered = match self.register(&subject, req, false).await {
            Ok(r) => r,
            Err(RegistryError::OperationNotPermitted(m)) if m.starts_with("Overwrite") => {
                return Err(collision(format!(
                    "a different schema stored under ID {} in context {}",
                    f.id, names.context
                )))
            }
            Err(e) => return Err(e),
        };
        if registered.version.id != f.id {
            return Err(collision(format!(
                "the same schema stored under ID {} in context {}",
                registered.version.id, names.context
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(prefix: Option<&str>) -> UpstreamNames {
        UpstreamNames {
            context: ".upstream".into(),
            prefix: prefix.map(str::to_string),
        }
    }

    #[test]
    fn mirror_prefixed_names_map_to_the_upstream_subject() {
        let n = names(Some("src."));
        let up = |s: &str| n.upstream_subject(&Subject::parse(s));
        // TopicNameStrategy (value and key) and TopicRecordNameStrategy lose the prefix.
        assert_eq!(up("src.orders-value").as_deref(), Some("orders-value"));
        assert_eq!(up("src.orders-key").as_deref(), Some("orders-key"));
        assert_eq!(
            up("src.orders-shop.Order").as_deref(),
            Some("orders-shop.Order")
        );
        // RecordNameStrategy has no topic in the name: the same name upstream.
        assert_eq!(up("shop.Order").as_deref(), Some("shop.Order"));
        // The prefix alone is a name of its own.
        assert_eq!(up("src.").as_deref(), Some("src."));
        // The fetched context names upstream subjects directly; other contexts nothing.
        assert_eq!(
            up(":.upstream:orders-value").as_deref(),
            Some("orders-value")
        );
        assert_eq!(up(":.other:orders-value"), None);
        assert_eq!(up(":.upstream:"), None);
        assert_eq!(
            n.mapped(&Subject::parse("src.orders-value")),
            Some(Subject::in_context(".upstream", "orders-value"))
        );
        assert_eq!(n.mapped(&Subject::parse("orders-value")), None);
    }

    #[test]
    fn without_a_prefix_names_are_the_upstream_ones() {
        // MM2's IdentityReplicationPolicy keeps topic names.
        let n = names(None);
        assert_eq!(
            n.upstream_subject(&Subject::parse("src.orders-value"))
                .as_deref(),
            Some("src.orders-value")
        );
        assert_eq!(n.mapped(&Subject::parse("src.orders-value")), None);
        let empty = names(Some(""));
        assert_eq!(empty.mapped(&Subject::parse("src.orders-value")), None);
    }
}

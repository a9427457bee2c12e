//! Confluent 8.2's associations: which subject holds the schemas of a Kafka resource's key
//! or value, kept as `ASSOC` records in the log. This room answers the queries (the three
//! lists of `AssociationsResource` with their filters and order, 8.3.1 `AbstractSchemaRegistry
//! .getAssociationsBy*`, `Association.compareTo`) and holds the request and answer types;
//! `write` creates, updates and deletes them (`createOrUpdateAssociation`,
//! `deleteAssociations`, the batch forms). Research notes: `docs/notes/associations-8x.md`.

mod batch;
pub(crate) mod request;
mod write;

use super::{Registry, VersionView};
use crate::index::{AssociationEntry, Index};
use crate::store::record::AssociationKey;

pub use request::{
    AssociationWrite, BatchGetQuery, BatchMutateRequest, BatchOp, InfoRequest, Lifecycle,
};
pub(crate) use write::{exists_for_subject, no_active_version};
pub use write::{AssociationAnswer, AssociationInfoAnswer, BatchResult};

/// Which associations a list asks for.
#[derive(Debug, Clone)]
pub enum AssociationQuery {
    /// `GET /associations/subjects/{subject}`: the qualified subject, verbatim.
    Subject(String),
    /// `GET /associations/resources/{namespace}/{name}`: `-` is any namespace; a name `-`
    /// lists the namespace.
    Resource { namespace: String, name: String },
    /// `GET /associations/resources/{id}`.
    Id(String),
}

/// The filters every list takes: `resourceType` (default `topic`; `None` in a subject's
/// own checks means any), `associationType` (any when none), `lifecycle` (any when absent).
#[derive(Debug, Clone, Default)]
pub struct AssociationFilters {
    pub resource_type: Option<String>,
    pub association_types: Vec<String>,
    pub lifecycle: Option<String>,
}

/// An association as the API answers it (Confluent's `Association` entity).
#[derive(Debug, Clone, PartialEq)]
pub struct AssociationView {
    /// The subject in its unqualified form (for the default tenant: as stored).
    pub subject: String,
    pub guid: String,
    pub resource_name: String,
    pub resource_namespace: String,
    pub resource_id: String,
    pub resource_type: String,
    pub association_type: String,
    pub lifecycle: Lifecycle,
    pub frozen: bool,
    pub create_ts: Option<i64>,
    pub update_ts: Option<i64>,
}

impl AssociationView {
    fn of(k: &AssociationKey, e: &AssociationEntry) -> AssociationView {
        let v = &e.value;
        AssociationView {
            subject: v.subject.clone().unwrap_or_else(|| k.subject.clone()),
            guid: v.guid.clone().unwrap_or_default(),
            resource_name: k.resource_name.clone(),
            resource_namespace: k.resource_namespace.clone(),
            resource_id: v.resource_id.clone().unwrap_or_default(),
            resource_type: k.resource_type.clone(),
            association_type: k.association_type.clone(),
            lifecycle: Lifecycle::from_stored(v.lifecycle.as_deref()),
            frozen: v.frozen,
            create_ts: e.create_ts,
            update_ts: e.update_ts,
        }
    }

    pub(super) fn key(&self) -> AssociationKey {
        AssociationKey {
            tenant: crate::store::record::DEFAULT_TENANT.into(),
            resource_name: self.resource_name.clone(),
            resource_namespace: self.resource_namespace.clone(),
            resource_type: self.resource_type.clone(),
            association_type: self.association_type.clone(),
            subject: self.subject.clone(),
        }
    }
}

/// `-` stands for any namespace, or any name in a namespace (`SchemaRegistry.RESOURCE_WILDCARD`).
const WILDCARD: &str = "-";

/// The matching associations, sorted by resource name, namespace, type, association type,
/// then subject (the key's order, which is `Association.compareTo`'s).
pub(crate) fn select(
    ix: &Index,
    query: &AssociationQuery,
    filters: &AssociationFilters,
) -> Vec<AssociationView> {
    let resource_type = filters.resource_type.as_deref().filter(|t| !t.is_empty());
    ix.associations
        .iter()
        .filter(|(k, e)| {
            let query_ok = match query {
                AssociationQuery::Subject(s) => k.subject == *s,
                AssociationQuery::Resource { namespace, name } => {
                    (namespace == WILDCARD || k.resource_namespace == *namespace)
                        && (name == WILDCARD || k.resource_name == *name)
                }
                AssociationQuery::Id(id) => e.value.resource_id.as_deref() == Some(id.as_str()),
            };
            query_ok
                && resource_type.is_none_or(|t| k.resource_type == t)
                && (filters.association_types.is_empty()
                    || filters.association_types.contains(&k.association_type))
                && filters
                    .lifecycle
                    .as_ref()
                    .is_none_or(|l| e.value.lifecycle.as_deref() == Some(l.as_str()))
        })
        .map(|(k, e)| AssociationView::of(k, e))
        .collect()
}

impl Registry {
    /// `GET /associations/…`: the matching associations (resource type `topic` unless
    /// given), in Confluent's order.
    pub fn associations(
        &self,
        query: &AssociationQuery,
        filters: &AssociationFilters,
    ) -> Vec<AssociationView> {
        let mut filters = filters.clone();
        if filters.resource_type.as_deref().is_none_or(str::is_empty) {
            filters.resource_type = Some("topic".into());
        }
        select(&self.read(), query, &filters)
    }

    /// A subject's associations (`getAssociationsBySubject`): of any resource type unless
    /// one is given.
    pub fn associations_of(
        &self,
        subject: &str,
        resource_type: Option<&str>,
        types: &[String],
    ) -> Vec<AssociationView> {
        select(
            &self.read(),
            &AssociationQuery::Subject(subject.to_string()),
            &AssociationFilters {
                resource_type: resource_type.map(str::to_string),
                association_types: types.to_vec(),
                lifecycle: None,
            },
        )
    }

    /// The newest live version of a subject (`getLatestVersion`), if any.
    fn latest_live(&self, qualified: &str) -> Option<VersionView> {
        self.version(
            &crate::model::Subject::parse(qualified),
            super::VersionSpec::Latest,
            false,
        )
        .ok()
    }
}

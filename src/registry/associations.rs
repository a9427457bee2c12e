//! Confluent 8.2's associations as the log holds them (`ASSOC` records, written by a
//! Confluent registry or carried by a mirrored `_schemas`): the three list queries of
//! `AssociationsResource` with their filters and order (8.3.1 `AbstractSchemaRegistry
//! .getAssociationsBy*`, `Association.compareTo`). Writing them is not built yet.

use super::Registry;
use crate::store::record::AssociationValue;

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

/// The filters every list takes: `resourceType` (default `topic`), `associationType`
/// (any when none), `lifecycle` (any when absent).
#[derive(Debug, Clone, Default)]
pub struct AssociationFilters {
    pub resource_type: Option<String>,
    pub association_types: Vec<String>,
    pub lifecycle: Option<String>,
}

const WILDCARD: &str = "-";

impl Registry {
    /// The matching associations, sorted by resource name, namespace, type, association
    /// type, then subject.
    pub fn associations(
        &self,
        query: &AssociationQuery,
        filters: &AssociationFilters,
    ) -> Vec<AssociationValue> {
        let resource_type = filters
            .resource_type
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or("topic");
        let ix = self.read();
        let mut out: Vec<(crate::store::record::AssociationKey, AssociationValue)> = ix
            .associations
            .iter()
            .filter(|(k, v)| {
                let query_ok = match query {
                    AssociationQuery::Subject(s) => k.subject == *s,
                    AssociationQuery::Resource { namespace, name } => {
                        (namespace == WILDCARD || k.resource_namespace == *namespace)
                            && (name == WILDCARD || k.resource_name == *name)
                    }
                    AssociationQuery::Id(id) => v.resource_id.as_deref() == Some(id.as_str()),
                };
                query_ok
                    && k.resource_type == resource_type
                    && (filters.association_types.is_empty()
                        || filters.association_types.contains(&k.association_type))
                    && filters
                        .lifecycle
                        .as_ref()
                        .is_none_or(|l| v.lifecycle.as_deref() == Some(l.as_str()))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.sort_by(|(a, _), (b, _)| {
            (
                &a.resource_name,
                &a.resource_namespace,
                &a.resource_type,
                &a.association_type,
                &a.subject,
            )
                .cmp(&(
                    &b.resource_name,
                    &b.resource_namespace,
                    &b.resource_type,
                    &b.association_type,
                    &b.subject,
                ))
        });
        out.into_iter().map(|(_, v)| v).collect()
    }
}

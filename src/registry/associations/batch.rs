//! The batch forms: `POST /associations:batchGet` (one result per query, failures as
//! items) and `POST /associations:batchMutate` (each item's ops in order under the writer
//! lock; a failing item answers its error, earlier ops of that item stay, the other items
//! go on), as 8.3.1 `AbstractSchemaRegistry.batchGetAssociations` / `mutateAssociations`.

use super::request::{IllegalProperty, TOPIC};
use super::write::{error_item, AnsweredSchema};
use super::{
    select, AssociationAnswer, AssociationFilters, AssociationQuery, BatchGetQuery,
    BatchMutateRequest, BatchOp, BatchResult,
};
use crate::error::{RegistryError, Result};
use crate::registry::Registry;
use std::collections::BTreeMap;

impl Registry {
    /// `POST /associations:batchGet`: one result per query, failures as items.
    pub fn batch_get_associations(
        &self,
        include_schemas: bool,
        queries: &[BatchGetQuery],
    ) -> Vec<BatchResult> {
        queries
            .iter()
            .map(|q| match self.batch_get_one(include_schemas, q) {
                Ok(a) => BatchResult::Done(a),
                Err(p) => error_item(
                    500,
                    format!(
                        "Error while getting associations: property: {}; detail: {}",
                        p.property, p.detail
                    ),
                ),
            })
            .collect()
    }

    fn batch_get_one(
        &self,
        include_schemas: bool,
        q: &BatchGetQuery,
    ) -> std::result::Result<AssociationAnswer, IllegalProperty> {
        q.validate()?;
        let resource_type = q
            .resource_type
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| TOPIC.into());
        let filters = AssociationFilters {
            resource_type: Some(resource_type.clone()),
            association_types: q.association_types.clone().unwrap_or_default(),
            lifecycle: q.lifecycle.map(|l| l.as_str().to_string()),
        };
        let query = match q.resource_id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => AssociationQuery::Id(id.to_string()),
            None => AssociationQuery::Resource {
                namespace: q.resource_namespace.clone().unwrap_or_default(),
                name: q.resource_name.clone().unwrap_or_default(),
            },
        };
        let found = select(&self.read(), &query, &filters);
        let (mut name, mut namespace, mut id) = (
            q.resource_name.clone(),
            q.resource_namespace.clone(),
            q.resource_id.clone(),
        );
        if let Some(first) = found.first() {
            name.get_or_insert_with(|| first.resource_name.clone());
            namespace.get_or_insert_with(|| first.resource_namespace.clone());
            id.get_or_insert_with(|| first.resource_id.clone());
        }
        let mut schemas = BTreeMap::new();
        if include_schemas {
            for a in &found {
                if let Some(v) = self.latest_live(&a.subject) {
                    schemas.insert(
                        a.association_type.clone(),
                        AnsweredSchema {
                            version: v,
                            stored: true,
                        },
                    );
                }
            }
        }
        Ok(AssociationAnswer::of(
            name,
            namespace,
            id,
            Some(resource_type),
            &found,
            &schemas,
        ))
    }

    /// `POST /associations:batchMutate`: each item's ops in order under the writer lock;
    /// a failing item answers its error and does not stop the others.
    pub async fn batch_mutate_associations(
        &self,
        context: Option<&str>,
        dry_run: bool,
        requests: Vec<BatchMutateRequest>,
    ) -> Result<Vec<BatchResult>> {
        let _w = self.lock_for_write().await?;
        let mut out = Vec::with_capacity(requests.len());
        for req in requests {
            if let Some(e) = req.error.clone() {
                out.push(BatchResult::Error(e));
                continue;
            }
            let item = match self.mutate_one(context, dry_run, req).await {
                Ok(a) => BatchResult::Done(a),
                Err(e) => match e {
                    RegistryError::Association(code, m) if code != 500 => error_item(code, m),
                    RegistryError::InvalidSchema(m) => error_item(42212, m),
                    RegistryError::Incompatible { .. } => error_item(40901, e.to_string()),
                    RegistryError::NotLeader(_) => return Err(e),
                    other => error_item(500, format!("Error while creating association: {other}")),
                },
            };
            out.push(item);
        }
        Ok(out)
    }

    async fn mutate_one(
        &self,
        context: Option<&str>,
        dry_run: bool,
        mut req: BatchMutateRequest,
    ) -> Result<AssociationAnswer> {
        req.validate(dry_run)?;
        let resource_type = req.resource_type.clone().unwrap_or_else(|| TOPIC.into());
        let mut schemas: BTreeMap<String, AnsweredSchema> = BTreeMap::new();
        for op in req.ops.clone().unwrap_or_default() {
            let (info, is_create) = match op {
                BatchOp::Create(info) => (info, true),
                BatchOp::Upsert(info) => (info, false),
                BatchOp::Delete {
                    association_type,
                    cascade_lifecycle,
                } => {
                    let t = association_type.unwrap_or_else(|| "value".into());
                    self.delete_locked(
                        req.resource_id.as_deref().unwrap_or_default(),
                        &resource_type,
                        &[t],
                        cascade_lifecycle == Some(true),
                        dry_run,
                    )
                    .await?;
                    continue;
                }
            };
            let a = self
                .write_locked(context, dry_run, req.write_for(&info), is_create)
                .await?;
            for i in a.associations {
                if let Some(s) = i.schema {
                    schemas.insert(i.association_type, s);
                }
            }
        }
        let found = if dry_run {
            Vec::new()
        } else {
            self.by_resource_id(req.resource_id.as_deref(), &resource_type, &[], None)
        };
        Ok(AssociationAnswer::of(
            req.resource_name.clone(),
            req.resource_namespace.clone(),
            req.resource_id.clone(),
            Some(resource_type),
            &found,
            &schemas,
        ))
    }
}

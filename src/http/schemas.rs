//! `/schemas`, `/schemas/ids/{id}` and its `/schema`, `/subjects`, `/versions`;
//! `/schemas/guids/{guid}` and its `/ids` (Confluent 8).

#[allow(unused_imports)]
use super::openapi::*;
use super::params::{
    Aliases, Deleted, FetchMaxId, FindTags, GuidPath, IdPath, LatestOnly, OutputFormat, Paging,
    ReferenceFormat, SchemaFilters, SubjectHint, SubjectPrefix, SCHEMA_SEARCH_LIMIT,
};
use super::{ok_raw, ok_typed, AppState};
use crate::error::RegistryError;
use crate::model::Subject;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/schemas", get(list))
        .route("/schemas/ids/{id}", get(by_id))
        .route("/schemas/ids/{id}/schema", get(by_id_schema))
        .route("/schemas/ids/{id}/subjects", get(id_subjects))
        .route("/schemas/ids/{id}/versions", get(id_versions))
        .route("/schemas/guids/{guid}", get(by_guid))
        .route("/schemas/guids/{guid}/ids", get(guid_ids))
}

/// An ID read, fetched through from the upstream registry when it finds nothing
/// (`--upstream-url`, `upstream.rs`).
async fn id_read<T>(
    st: &AppState,
    id: i32,
    read: impl Fn() -> Result<T, RegistryError>,
) -> Result<T, RegistryError> {
    match &st.upstream {
        Some(up) => up.id_read(id, read).await,
        None => read(),
    }
}

/// A GUID read, as [`id_read`].
async fn guid_read<T>(
    st: &AppState,
    guid: &str,
    read: impl Fn() -> Result<T, RegistryError>,
) -> Result<T, RegistryError> {
    match &st.upstream {
        Some(up) => up.guid_read(guid, read).await,
        None => read(),
    }
}

fn hint(st: &AppState, q: &SubjectHint) -> Option<Subject> {
    q.subject
        .as_deref()
        .map(|s| st.registry.alias_target(&Subject::parse(s)))
}

#[utoipa::path(
    get,
    path = "/schemas",
    operation_id = "list_schemas",
    tag = "schemas",
    params(
        SubjectPrefix,
        Deleted,
        LatestOnly,
        Aliases,
        SchemaFilters,
        Paging,
    ),
    responses(
        (status = 200, description = "Schemas (with their subjects' `associations` when an association filter is given)", body = [SchemaVersion]),
        (status = 404, description = "offset or limit is not an int, or lifecycle is not STRONG, WEAK or NONE (Jersey leaves the request unmatched)", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(st): State<AppState>,
    prefix: SubjectPrefix,
    deleted: Deleted,
    latest: LatestOnly,
    aliases: Aliases,
    filters: SchemaFilters,
    paging: Paging,
) -> Result<Response, RegistryError> {
    let (mut all, alias_map) = if aliases.aliases {
        st.registry.schemas_with_aliases(
            prefix.subject_prefix.as_deref(),
            deleted.deleted,
            latest.latest_only,
        )
    } else {
        let all = st.registry.schemas(
            prefix.subject_prefix.as_deref(),
            deleted.deleted,
            latest.latest_only,
        );
        (all, Default::default())
    };
    // After `latestOnly`, as Confluent's post-filter (8.3.1 `schemasByVersion`).
    if let Some(rule_type) = filters.rule_type.as_deref().filter(|t| !t.is_empty()) {
        all.retain(|v| has_rule_of_type(v.body.rule_set.as_ref(), rule_type));
    }
    let by_association = !filters.association_type.is_empty()
        || filters.resource_type.is_some()
        || !filters.lifecycle.is_empty();
    let wanted: Vec<&str> = filters
        .lifecycle
        .iter()
        .map(String::as_str)
        .filter(|l| *l != "NONE")
        .collect();
    let unassociated = filters.lifecycle.iter().any(|l| l == "NONE");
    let paging = paging.capped(SCHEMA_SEARCH_LIMIT);
    // 8.3.1 `SchemasResource.getSchemas`: the association filters drop versions before
    // `offset` and `limit` apply.
    // Each subject's associations once, not once per version.
    let mut of_subject: std::collections::HashMap<&str, Vec<crate::registry::AssociationView>> =
        std::collections::HashMap::new();
    if by_association {
        for v in &all {
            of_subject.entry(v.subject.as_str()).or_insert_with(|| {
                st.registry.associations_of(
                    &v.subject,
                    filters.resource_type.as_deref(),
                    &filters.association_type,
                )
            });
        }
    }
    let kept = all.iter().filter_map(|v| {
        if !by_association {
            return Some((v, None));
        }
        let found = of_subject
            .get(v.subject.as_str())
            .cloned()
            .unwrap_or_default();
        if found.is_empty() {
            return unassociated.then_some((v, None));
        }
        if wanted.is_empty() {
            return filters.lifecycle.is_empty().then_some((v, Some(found)));
        }
        let matching: Vec<_> = found
            .into_iter()
            .filter(|a| wanted.contains(&a.lifecycle.as_str()))
            .collect();
        (!matching.is_empty()).then_some((v, Some(matching)))
    });
    let page: Vec<SchemaVersion> = kept
        .skip(paging.offset)
        .take(paging.limit)
        .map(|(v, associations)| {
            let mut j = SchemaVersion::of(v);
            j.aliases = alias_map.get(&v.subject).cloned();
            j.associations = associations.map(|a| a.iter().map(Association::of).collect());
            j
        })
        .collect();
    Ok(ok_typed(&page))
}

/// `RuleSet.hasRulesWithType`: a domain, migration or encoding rule of this type.
fn has_rule_of_type(rule_set: Option<&serde_json::Value>, rule_type: &str) -> bool {
    let Some(rs) = rule_set else { return false };
    ["domainRules", "migrationRules", "encodingRules"]
        .iter()
        .filter_map(|k| rs.get(*k).and_then(|v| v.as_array()))
        .flatten()
        .any(|r| r.get("type").and_then(|t| t.as_str()) == Some(rule_type))
}

#[utoipa::path(
    get,
    path = "/schemas/ids/{id}",
    operation_id = "get_schema_by_id",
    tag = "schemas",
    params(
        IdPath,
        SubjectHint,
        OutputFormat,
        FetchMaxId,
        ReferenceFormat,
        FindTags,
    ),
    responses(
        (status = 200, description = "The schema", body = SchemaById),
        BadPath,
        (status = 404, description = "40403 schema not found; 404 when the ID is not an int", body = ErrorBody),
    )
)]
pub(crate) async fn by_id(
    State(st): State<AppState>,
    IdPath(id): IdPath,
    q: SubjectHint,
    format: OutputFormat,
    fetch_max_id: FetchMaxId,
    reference_format: ReferenceFormat,
    find_tags: FindTags,
) -> Result<Response, RegistryError> {
    let plain = q.subject.is_none()
        && format.as_str().trim().is_empty()
        && !fetch_max_id.fetch_max_id
        && find_tags.find_tags.is_empty();
    if plain {
        // The bytes `fast.rs` answers before the router (the same ones).
        if let Some(bytes) = st.registry.id_answer(id, super::fast::render_by_id) {
            return Ok(super::error::ok_bytes(bytes));
        }
    }
    let v = id_read(&st, id, || {
        st.registry.schema_by_id(id, q.subject.as_deref())
    })
    .await?;
    let parent = Subject::parse(&v.subject);
    let text = st
        .registry
        .schema_in_format(&v.body, &parent, format.as_str());
    let mut out = SchemaById::of(&v, text, q.subject.is_some());
    // 7.9 and 8.3.1 `SchemasResource.getSchema`: `findTags` lists the matching
    // inline-tagged elements (`extractSchemaTags`).
    if !find_tags.find_tags.is_empty() {
        let entities = st.registry.tagged_entities(&v.body, &parent);
        out.schema_tags = SchemaTags::find(entities, &find_tags.find_tags);
    }
    out.max_id = fetch_max_id.fetch_max_id.then_some(v.max_id);
    // Only with `subject` given: the answer's subject is the parent (8.3.1 `getSchema`).
    if reference_format.qualified() && q.subject.is_some() {
        let parent = Subject::parse(&v.subject);
        for r in &mut out.references {
            r.subject = parent.qualify_reference(&r.subject);
        }
    }
    Ok(ok_typed(&out))
}

#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/schema",
    operation_id = "get_schema_text_by_id",
    tag = "schemas",
    params(
        IdPath,
        SubjectHint,
        OutputFormat,
    ),
    responses(
        (status = 200, description = "The raw schema (any JSON: object, array or string)", body = serde_json::Value),
        BadPath,
        (status = 404, description = "40403 schema not found; 404 when the ID is not an int", body = ErrorBody),
    )
)]
pub(crate) async fn by_id_schema(
    State(st): State<AppState>,
    IdPath(id): IdPath,
    q: SubjectHint,
    format: OutputFormat,
) -> Result<Response, RegistryError> {
    let v = id_read(&st, id, || {
        st.registry.schema_by_id(id, q.subject.as_deref())
    })
    .await?;
    Ok(ok_raw(st.registry.schema_in_format(
        &v.body,
        &Subject::parse(&v.subject),
        format.as_str(),
    )))
}

#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/subjects",
    operation_id = "get_subjects_by_id",
    tag = "schemas",
    params(
        IdPath,
        SubjectHint,
        Deleted,
        Paging,
    ),
    responses(
        (status = 200, description = "Subjects using the ID", body = [String]),
        BadPath,
        (status = 404, description = "40403 schema not found; 404 when the ID is not an int", body = ErrorBody),
    )
)]
pub(crate) async fn id_subjects(
    State(st): State<AppState>,
    IdPath(id): IdPath,
    q: SubjectHint,
    deleted: Deleted,
    paging: Paging,
) -> Result<Response, RegistryError> {
    let hint = hint(&st, &q);
    let usages = id_read(&st, id, || {
        st.registry.id_usages(id, hint.as_ref(), deleted.deleted)
    })
    .await?;
    let mut subjects: Vec<String> = usages.into_iter().map(|(s, _)| s).collect();
    subjects.dedup();
    Ok(ok_typed(&paging.page(subjects)))
}

#[utoipa::path(
    get,
    path = "/schemas/ids/{id}/versions",
    operation_id = "get_versions_by_id",
    tag = "schemas",
    params(
        IdPath,
        SubjectHint,
        Deleted,
        Paging,
    ),
    responses(
        (status = 200, description = "Versions using the ID", body = [SubjectVersion]),
        BadPath,
        (status = 404, description = "40403 schema not found; 404 when the ID is not an int", body = ErrorBody),
    )
)]
pub(crate) async fn id_versions(
    State(st): State<AppState>,
    IdPath(id): IdPath,
    q: SubjectHint,
    deleted: Deleted,
    paging: Paging,
) -> Result<Response, RegistryError> {
    let hint = hint(&st, &q);
    let usages = id_read(&st, id, || {
        st.registry.id_usages(id, hint.as_ref(), deleted.deleted)
    })
    .await?;
    let out = paging.page(
        usages
            .into_iter()
            .map(|(subject, version)| SubjectVersion { subject, version }),
    );
    Ok(ok_typed(&out))
}

#[utoipa::path(
    get,
    path = "/schemas/guids/{guid}",
    operation_id = "get_schema_by_guid",
    tag = "schemas",
    params(
        GuidPath,
        OutputFormat,
    ),
    responses(
        (status = 200, description = "The schema (no subject, version or ID); its GUID is that of the stored form whatever `format` asks", body = SchemaById),
        BadPath,
        (status = 404, description = "40403 no context has a schema with that GUID (also for a GUID that does not parse)", body = ErrorBody),
    )
)]
pub(crate) async fn by_guid(
    State(st): State<AppState>,
    GuidPath(raw): GuidPath,
    format: OutputFormat,
) -> Result<Response, RegistryError> {
    let v = guid_read(&st, &raw, || st.registry.schema_by_guid(&raw)).await?;
    let text = st.registry.schema_in_format(
        &v.body,
        &Subject::in_context(&v.context, ""),
        format.as_str(),
    );
    Ok(ok_typed(&SchemaById::of(&v, text, false)))
}

#[utoipa::path(
    get,
    path = "/schemas/guids/{guid}/ids",
    operation_id = "get_ids_by_guid",
    tag = "schemas",
    params(
        GuidPath,
    ),
    responses(
        (status = 200, description = "The ID the GUID has in each context (the default one is `.`), by context then ID; `[]` when none", body = [ContextId]),
        BadPath,
    )
)]
pub(crate) async fn guid_ids(
    State(st): State<AppState>,
    GuidPath(raw): GuidPath,
) -> Result<Response, RegistryError> {
    // `[]` is "not found" here: fetched through like a GUID read.
    let found = guid_read(&st, &raw, || {
        let ids = st.registry.guid_ids(&raw);
        if ids.is_empty() {
            Err(RegistryError::GuidNotFound(raw.clone()))
        } else {
            Ok(ids)
        }
    })
    .await;
    let ids = match found {
        Ok(ids) => ids,
        Err(RegistryError::GuidNotFound(_)) => Vec::new(),
        Err(e) => return Err(e),
    };
    let ids: Vec<ContextId> = ids
        .into_iter()
        .map(|(context, id)| ContextId { context, id })
        .collect();
    Ok(ok_typed(&ids))
}

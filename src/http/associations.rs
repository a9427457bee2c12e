//! Confluent 8.2's association lists (`AssociationsResource`, 8.3.1): which subjects a Kafka
//! resource (a topic's key or value) is bound to. Serializers of confluent-kafka 2.14+ and
//! @confluentinc/schemaregistry 1.10+ ask `GET /associations/resources/-/{topic}` when they
//! meet a topic, and take the subject from the answer, falling back to `{topic}-value` on an
//! empty list. The lists answer the `ASSOC` records the log holds (written by a Confluent
//! 8.2+ registry, or carried by a mirrored `_schemas`); creating them here is not built yet
//! (issue 16). Nothing matching is 200 `[]`, as Confluent answers (its lists never 404 on
//! that). Research notes: `docs/notes/associations-8x.md`.

#[allow(unused_imports)]
use super::openapi::*;
use super::params::{AssociationFilter, Paging, SCHEMA_SEARCH_LIMIT};
use super::{ok_typed, AppState};
use crate::error::RegistryError;
use crate::registry::{AssociationFilters, AssociationQuery};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/associations/subjects/{subject}", get(by_subject))
        .route(
            "/associations/resources/{namespace}/{name}",
            get(by_resource_name),
        )
        .route("/associations/resources/{id}", get(by_resource_id))
}

/// The matching associations as Confluent answers them (paged; at most 1000).
fn answer(
    st: &AppState,
    query: AssociationQuery,
    filter: AssociationFilter,
    paging: Paging,
) -> Response {
    let filters = AssociationFilters {
        resource_type: filter.resource_type,
        association_types: filter.association_type,
        lifecycle: filter.lifecycle,
    };
    let all = st.registry.associations(&query, &filters);
    let page = paging
        .capped(SCHEMA_SEARCH_LIMIT)
        .page(all.into_iter().map(|v| Association {
            subject: v.subject.unwrap_or_default(),
            guid: v.guid.unwrap_or_default(),
            resource_name: v.resource_name.unwrap_or_default(),
            resource_namespace: v.resource_namespace.unwrap_or_default(),
            resource_id: v.resource_id.unwrap_or_default(),
            resource_type: v.resource_type.unwrap_or_default(),
            association_type: v.association_type.unwrap_or_default(),
            lifecycle: v.lifecycle.unwrap_or_default(),
            frozen: v.frozen,
        }));
    ok_typed(&page)
}

#[utoipa::path(
    get,
    path = "/associations/subjects/{subject}",
    operation_id = "list_associations_by_subject",
    tag = "associations",
    params(("subject" = String, Path, description = "Qualified subject"), AssociationFilter, Paging),
    responses(
        (status = 200, description = "The subject's associations (as the log holds them)", body = [Association]),
        (status = 404, description = "lifecycle is not STRONG or WEAK, or offset/limit is not an int (unmatched, as Jersey)", body = ErrorBody),
    )
)]
pub(crate) async fn by_subject(
    State(st): State<AppState>,
    Path(subject): Path<String>,
    filter: AssociationFilter,
    paging: Paging,
) -> Result<Response, RegistryError> {
    Ok(answer(
        &st,
        AssociationQuery::Subject(subject),
        filter,
        paging,
    ))
}

#[utoipa::path(
    get,
    path = "/associations/resources/{namespace}/{name}",
    operation_id = "list_associations_by_resource_name",
    tag = "associations",
    params(
        ("namespace" = String, Path, description = "Resource namespace (a Kafka cluster ID), `-` for any"),
        ("name" = String, Path, description = "Resource name (a topic), `-` for any in the namespace"),
        AssociationFilter,
        Paging,
    ),
    responses(
        (status = 200, description = "The resource's associations (as the log holds them)", body = [Association]),
        (status = 404, description = "lifecycle is not STRONG or WEAK, or offset/limit is not an int (unmatched, as Jersey)", body = ErrorBody),
    )
)]
pub(crate) async fn by_resource_name(
    State(st): State<AppState>,
    Path((namespace, name)): Path<(String, String)>,
    filter: AssociationFilter,
    paging: Paging,
) -> Result<Response, RegistryError> {
    Ok(answer(
        &st,
        AssociationQuery::Resource { namespace, name },
        filter,
        paging,
    ))
}

#[utoipa::path(
    get,
    path = "/associations/resources/{id}",
    operation_id = "list_associations_by_resource_id",
    tag = "associations",
    params(("id" = String, Path, description = "Resource ID"), AssociationFilter, Paging),
    responses(
        (status = 200, description = "The resource's associations (as the log holds them)", body = [Association]),
        (status = 404, description = "lifecycle is not STRONG or WEAK, or offset/limit is not an int (unmatched, as Jersey)", body = ErrorBody),
    )
)]
pub(crate) async fn by_resource_id(
    State(st): State<AppState>,
    Path(id): Path<String>,
    filter: AssociationFilter,
    paging: Paging,
) -> Result<Response, RegistryError> {
    Ok(answer(&st, AssociationQuery::Id(id), filter, paging))
}

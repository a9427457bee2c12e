//! Confluent 8.2's association lists (`AssociationsResource`, 8.3.1): which subjects a Kafka
//! resource (a topic's key or value) is bound to. Serializers of confluent-kafka 2.14+ and
//! @confluentinc/schemaregistry 1.10+ ask `GET /associations/resources/-/{topic}` when they
//! meet a topic, and take the subject from the answer, falling back to `{topic}-value` on an
//! empty list. Associations cannot be created here yet (issue 16), so every list is empty:
//! 200 `[]`, as Confluent answers when nothing matches (its list routes never 404 on that).
//! Research notes: `docs/notes/associations-8x.md`.

#[allow(unused_imports)]
use super::openapi::*;
use super::params::{AssociationFilter, Paging};
use super::{ok_typed, AppState};
use crate::error::RegistryError;
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

/// No association is stored yet: every filter matches nothing.
fn none() -> Response {
    ok_typed(&Vec::<Association>::new())
}

#[utoipa::path(
    get,
    path = "/associations/subjects/{subject}",
    operation_id = "list_associations_by_subject",
    tag = "associations",
    params(("subject" = String, Path, description = "Qualified subject"), AssociationFilter, Paging),
    responses(
        (status = 200, description = "The subject's associations (none can exist yet)", body = [Association]),
        (status = 404, description = "lifecycle is not STRONG or WEAK, or offset/limit is not an int (unmatched, as Jersey)", body = ErrorBody),
    )
)]
pub(crate) async fn by_subject(
    _filter: AssociationFilter,
    _paging: Paging,
) -> Result<Response, RegistryError> {
    Ok(none())
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
        (status = 200, description = "The resource's associations (none can exist yet)", body = [Association]),
        (status = 404, description = "lifecycle is not STRONG or WEAK, or offset/limit is not an int (unmatched, as Jersey)", body = ErrorBody),
    )
)]
pub(crate) async fn by_resource_name(
    _filter: AssociationFilter,
    _paging: Paging,
) -> Result<Response, RegistryError> {
    Ok(none())
}

#[utoipa::path(
    get,
    path = "/associations/resources/{id}",
    operation_id = "list_associations_by_resource_id",
    tag = "associations",
    params(("id" = String, Path, description = "Resource ID"), AssociationFilter, Paging),
    responses(
        (status = 200, description = "The resource's associations (none can exist yet)", body = [Association]),
        (status = 404, description = "lifecycle is not STRONG or WEAK, or offset/limit is not an int (unmatched, as Jersey)", body = ErrorBody),
    )
)]
pub(crate) async fn by_resource_id(
    _filter: AssociationFilter,
    _paging: Paging,
) -> Result<Response, RegistryError> {
    Ok(none())
}

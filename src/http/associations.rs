//! Confluent 8.2's associations (`AssociationsResource`, 8.3.1): which subject holds the
//! schemas of a Kafka resource (a topic's key or value). Serializers of confluent-kafka 2.14+
//! and @confluentinc/schemaregistry 1.10+ ask `GET /associations/resources/-/{topic}` when
//! they meet a topic and take the subject from the answer, falling back to `{topic}-value`
//! on an empty list (Confluent's lists never 404 on that). The writes (create, upsert,
//! delete, batch get and mutate) bind their bodies as Jackson does and leave the rules to
//! `registry::associations`. Research notes: `docs/notes/associations-8x.md`.

use super::extract::{
    bad, object, opt_bool, opt_string, schema_request, type_name, Body, SCHEMA_BODY,
};
#[allow(unused_imports)]
use super::openapi::*;
use super::params::{
    AssociationFilter, CascadeLifecycle, ContextParam, DryRun, IncludeSchemas, Paging,
    SCHEMA_SEARCH_LIMIT,
};
use super::{ok_typed, AppState};
use crate::error::RegistryError;
use crate::registry::{
    AssociationFilters, AssociationQuery, AssociationWrite, BatchGetQuery, BatchMutateRequest,
    BatchOp, InfoRequest, Lifecycle,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{Map, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/associations", post(create))
        .route("/associations:batchGet", post(batch_get))
        .route("/associations:batchMutate", post(batch_mutate))
        .route("/associations/subjects/{subject}", get(by_subject))
        .route(
            "/associations/resources/{namespace}/{name}",
            get(by_resource_name),
        )
        .route(
            "/associations/resources/{id}",
            get(by_resource_id).put(upsert).delete(delete),
        )
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
        .page(all.iter().map(Association::of));
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

/// A JSON answer with another status (207 for the batches).
fn typed_status<T: serde::Serialize>(status: StatusCode, v: &T) -> Response {
    let mut resp = ok_typed(v);
    if resp.status() == StatusCode::OK {
        *resp.status_mut() = status;
    }
    resp
}

fn missing_body(method_arg: &str) -> RegistryError {
    super::error::unprocessable(format!("{method_arg} must not be null (was null)"))
}

const LIFECYCLE_CLASS: &str =
    "io.confluent.kafka.schemaregistry.client.rest.entities.LifecyclePolicy";
const OP_CLASS: &str =
    "io.confluent.kafka.schemaregistry.client.rest.entities.requests.AssociationOp";

/// An enum field bound as Jackson binds `LifecyclePolicy`.
fn opt_lifecycle(m: &Map<String, Value>, field: &str) -> Result<Option<Lifecycle>, RegistryError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Lifecycle::parse(s).map(Some).ok_or_else(|| {
            bad(format!(
                "Cannot deserialize value of type `{LIFECYCLE_CLASS}` from String \"{s}\": not one of the values accepted for Enum class: [STRONG, WEAK]"
            ))
        }),
        Some(other) => Err(bad(format!(
            "Cannot deserialize value of type `{LIFECYCLE_CLASS}` from {}",
            type_name(other)
        ))),
    }
}

/// A list field: absent or null is `None`; each element bound by `each`.
fn opt_list<T>(
    m: &Map<String, Value>,
    field: &str,
    element: &str,
    each: impl Fn(&Value) -> Result<T, RegistryError>,
) -> Result<Option<Vec<T>>, RegistryError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items.iter().map(each).collect::<Result<_, _>>().map(Some),
        Some(other) => Err(bad(format!(
            "Cannot deserialize value of type `java.util.ArrayList<{element}>` from {}",
            type_name(other)
        ))),
    }
}

fn opt_schema(
    m: &Map<String, Value>,
) -> Result<Option<crate::registry::SchemaRequest>, RegistryError> {
    match m.get("schema") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => schema_request(v).map(Some),
    }
}

/// `AssociationCreateOrUpdateInfo` (also the CREATE and UPSERT ops' fields).
fn info_body(m: &Map<String, Value>) -> Result<InfoRequest, RegistryError> {
    Ok(InfoRequest {
        subject: opt_string(m, "subject")?,
        association_type: opt_string(m, "associationType")?,
        lifecycle: opt_lifecycle(m, "lifecycle")?,
        frozen: opt_bool(m, "frozen")?,
        schema: opt_schema(m)?,
        normalize: opt_bool(m, "normalize")?,
    })
}

/// `AssociationCreateOrUpdateRequest`; unknown fields are ignored.
fn write_body(v: &Value) -> Result<AssociationWrite, RegistryError> {
    let m = object(v, "AssociationCreateOrUpdateRequest")?;
    Ok(AssociationWrite {
        resource_name: opt_string(m, "resourceName")?,
        resource_namespace: opt_string(m, "resourceNamespace")?,
        resource_id: opt_string(m, "resourceId")?,
        resource_type: opt_string(m, "resourceType")?,
        associations: opt_list(m, "associations", "AssociationCreateOrUpdateInfo", |v| {
            info_body(object(v, "AssociationCreateOrUpdateInfo")?)
        })?,
    })
}

/// `{"requests": [...]}` of both batches: null or empty is 42212.
fn batch_requests<T>(
    v: &Value,
    what: &str,
    element: &str,
    each: impl Fn(&Map<String, Value>) -> Result<T, RegistryError>,
) -> Result<Vec<T>, RegistryError> {
    let m = object(v, what)?;
    let requests = opt_list(m, "requests", element, |r| each(object(r, element)?))?;
    match requests {
        Some(r) if !r.is_empty() => Ok(r),
        _ => Err(crate::registry::association_invalid(
            "requests",
            "cannot be null or empty",
        )),
    }
}

fn get_query(m: &Map<String, Value>) -> Result<BatchGetQuery, RegistryError> {
    Ok(BatchGetQuery {
        resource_name: opt_string(m, "resourceName")?,
        resource_namespace: opt_string(m, "resourceNamespace")?,
        resource_id: opt_string(m, "resourceId")?,
        resource_type: opt_string(m, "resourceType")?,
        association_types: opt_list(
            m,
            "associationTypes",
            "java.lang.String",
            crate::contract::string,
        )?
        .map(|types| types.into_iter().flatten().collect()),
        lifecycle: opt_lifecycle(m, "lifecycle")?,
    })
}

/// An `AssociationOp`, by its `opType` (Jackson's type id: CREATE, UPSERT, DELETE).
fn op_body(v: &Value) -> Result<BatchOp, RegistryError> {
    let m = object(v, OP_CLASS)?;
    match m.get("opType") {
        Some(Value::String(t)) if t == "CREATE" => Ok(BatchOp::Create(info_body(m)?)),
        Some(Value::String(t)) if t == "UPSERT" => Ok(BatchOp::Upsert(info_body(m)?)),
        Some(Value::String(t)) if t == "DELETE" => Ok(BatchOp::Delete {
            association_type: opt_string(m, "associationType")?,
            cascade_lifecycle: opt_bool(m, "cascadeLifecycle")?,
        }),
        None | Some(Value::Null) => Err(bad(format!(
            "Could not resolve subtype of [simple type, class {OP_CLASS}]: missing type id property 'opType'"
        ))),
        Some(other) => {
            let id = other.as_str().map_or_else(|| other.to_string(), str::to_string);
            Err(bad(format!(
                "Could not resolve type id '{id}' as a subtype of `{OP_CLASS}`: known type ids = [CREATE, DELETE, UPSERT]"
            )))
        }
    }
}

fn mutate_request(m: &Map<String, Value>) -> Result<BatchMutateRequest, RegistryError> {
    Ok(BatchMutateRequest {
        resource_name: opt_string(m, "resourceName")?,
        resource_namespace: opt_string(m, "resourceNamespace")?,
        resource_id: opt_string(m, "resourceId")?,
        resource_type: opt_string(m, "resourceType")?,
        ops: opt_list(m, "associations", OP_CLASS, op_body)?,
        error: match m.get("error") {
            None | Some(Value::Null) => None,
            Some(e @ Value::Object(_)) => Some(e.clone()),
            Some(other) => {
                return Err(bad(format!(
                    "Cannot deserialize value of type `ErrorMessage` from {}",
                    type_name(other)
                )))
            }
        },
    })
}

#[utoipa::path(
    post,
    path = "/associations",
    operation_id = "create_association",
    tag = "associations",
    params(ContextParam, DryRun),
    request_body(content = AssociationCreateOrUpdateRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    responses(
        (status = 200, description = "The associations written (none on a dry run or a repeat), with the schemas registered", body = AssociationResponse),
        BodyErrors,
        (status = 409, description = "40901 incompatible schema, 40903 the resource has this association type, 40904 the subject has an association, 40905 the subject has a STRONG one, 40907 no live version, 40908 frozen", body = ErrorBody),
        (status = 422, description = "42212 invalid association, 42201 invalid schema, 42205 read-only subject", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn create(
    State(st): State<AppState>,
    ctx: ContextParam,
    dry_run: DryRun,
    Body(body): Body<SCHEMA_BODY>,
) -> Result<Response, RegistryError> {
    let body = body.ok_or_else(|| missing_body("createAssociation.arg4"))?;
    let req = write_body(&body)?;
    let a = st
        .registry
        .write_associations(ctx.context.as_deref(), dry_run.dry_run, req, true)
        .await?;
    Ok(ok_typed(&AssociationResponse::of(&a)))
}

#[utoipa::path(
    put,
    path = "/associations/resources/{id}",
    operation_id = "upsert_association",
    tag = "associations",
    params(("id" = String, Path, description = "Resource ID"), ContextParam, DryRun),
    request_body(content = AssociationCreateOrUpdateRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    responses(
        (status = 200, description = "The associations written (none on a dry run or a repeat), with the schemas registered", body = AssociationResponse),
        BodyErrors,
        (status = 409, description = "40901 incompatible schema, 40904 the subject has an association, 40905 the subject has a STRONG one, 40907 no live version, 40908 frozen", body = ErrorBody),
        (status = 422, description = "42212 invalid association (also a resourceId differing from the path's), 42201 invalid schema, 42205 read-only subject", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn upsert(
    State(st): State<AppState>,
    Path(id): Path<String>,
    ctx: ContextParam,
    dry_run: DryRun,
    Body(body): Body<SCHEMA_BODY>,
) -> Result<Response, RegistryError> {
    let body = body.ok_or_else(|| missing_body("createOrUpdateAssociation.arg5"))?;
    let mut req = write_body(&body)?;
    match &req.resource_id {
        None => req.resource_id = Some(id),
        Some(given) if *given != id => return Err(crate::registry::association_invalid(
            "resourceId",
            "Resource ID in the path parameter does not match the resource ID in the request body",
        )),
        Some(_) => {}
    }
    let a = st
        .registry
        .write_associations(ctx.context.as_deref(), dry_run.dry_run, req, false)
        .await?;
    Ok(ok_typed(&AssociationResponse::of(&a)))
}

#[utoipa::path(
    delete,
    path = "/associations/resources/{id}",
    operation_id = "delete_associations",
    tag = "associations",
    params(
        ("id" = String, Path, description = "Resource ID"),
        ("resourceType" = Option<String>, Query, description = "Resource type (default `topic`)"),
        ("associationType" = Option<Vec<String>>, Query, description = "`key` or `value`, repeatable; none = all"),
        CascadeLifecycle,
        DryRun,
    ),
    responses(
        (status = 204, description = "Deleted (with a STRONG association's subject on `cascadeLifecycle`)"),
        (status = 404, description = "40410 no association for the resource", body = ErrorBody),
        (status = 409, description = "40908 frozen (without `cascadeLifecycle`)", body = ErrorBody),
        (status = 422, description = "42205 read-only subject, 42206 the cascaded subject is referenced", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete(
    State(st): State<AppState>,
    Path(id): Path<String>,
    filter: AssociationFilter,
    cascade: CascadeLifecycle,
    dry_run: DryRun,
) -> Result<Response, RegistryError> {
    st.registry
        .delete_associations(
            &id,
            filter.resource_type.as_deref(),
            &filter.association_type,
            cascade.cascade_lifecycle,
            dry_run.dry_run,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    post,
    path = "/associations:batchGet",
    operation_id = "batch_get_associations",
    tag = "associations",
    params(IncludeSchemas),
    request_body(content = AssociationBatchGetRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    responses(
        (status = 207, description = "One result per request, in order: its associations or its error", body = AssociationBatchResponse),
        BodyErrors,
        (status = 422, description = "42212 no requests", body = ErrorBody),
    )
)]
pub(crate) async fn batch_get(
    State(st): State<AppState>,
    include: IncludeSchemas,
    Body(body): Body<SCHEMA_BODY>,
) -> Result<Response, RegistryError> {
    let body = body.ok_or_else(|| missing_body("batchGetAssociations.arg1"))?;
    let queries = batch_requests(
        &body,
        "AssociationBatchGetRequest",
        "AssociationGetRequest",
        get_query,
    )?;
    let results = st
        .registry
        .batch_get_associations(include.include_schemas, &queries);
    Ok(typed_status(
        StatusCode::MULTI_STATUS,
        &AssociationBatchResponse::of(&results),
    ))
}

#[utoipa::path(
    post,
    path = "/associations:batchMutate",
    operation_id = "batch_mutate_associations",
    tag = "associations",
    params(ContextParam, DryRun),
    request_body(content = AssociationBatchRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    responses(
        (status = 207, description = "One result per request, in order: the resource's associations after its ops, or the first failing op's error (earlier ops stay)", body = AssociationBatchResponse),
        BodyErrors,
        (status = 422, description = "42212 no requests", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn batch_mutate(
    State(st): State<AppState>,
    ctx: ContextParam,
    dry_run: DryRun,
    Body(body): Body<SCHEMA_BODY>,
) -> Result<Response, RegistryError> {
    let body = body.ok_or_else(|| missing_body("mutateAssociations.arg4"))?;
    let requests = batch_requests(
        &body,
        "AssociationBatchRequest",
        "AssociationOpRequest",
        mutate_request,
    )?;
    let results = st
        .registry
        .batch_mutate_associations(ctx.context.as_deref(), dry_run.dry_run, requests)
        .await?;
    Ok(typed_status(
        StatusCode::MULTI_STATUS,
        &AssociationBatchResponse::of(&results),
    ))
}

//! `/subjects/...`: listing, registration, lookup, versions, deletes, referencedby.

use super::extract::{schema_request, Body, SCHEMA_BODY};
#[allow(unused_imports)]
use super::openapi::*;
use super::params::{
    Deleted, DeletedAsNegative, DeletedOnly, FindTags, MetadataFilter, NamePath, Normalize,
    OutputFormat, Paging, Permanent, ReferenceFormat, SubjectPrefix, SubjectVersionPath,
    SCHEMA_SEARCH_LIMIT,
};
use super::{ok_raw, ok_typed, AppState};
use crate::error::RegistryError;
use crate::registry::VersionSpec;
use crate::upstream::Want;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/subjects", get(list))
        .route(
            "/subjects/{subject}",
            axum::routing::post(lookup).delete(delete_subject),
        )
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route(
            "/subjects/{subject}/versions/{version}",
            get(get_version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(get_version_schema),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(referenced_by),
        )
        .route("/subjects/{subject}/metadata", get(by_metadata))
        .route(
            "/subjects/{subject}/versions/{version}/tags",
            axum::routing::post(super::tags::modify_tags),
        )
}

#[utoipa::path(
    get,
    path = "/subjects",
    operation_id = "list_subjects",
    tag = "subjects",
    params(
        SubjectPrefix,
        Deleted,
        DeletedOnly,
        Paging,
    ),
    responses(
        (status = 200, description = "Subject names", body = [String]),
        (status = 404, description = "offset or limit is not an int (Jersey leaves the request unmatched)", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(st): State<AppState>,
    prefix: SubjectPrefix,
    deleted: Deleted,
    only: DeletedOnly,
    paging: Paging,
) -> Result<Response, RegistryError> {
    let all = st.registry.subjects(
        prefix.subject_prefix.as_deref(),
        deleted.deleted,
        only.deleted_only,
    );
    let page: Vec<String> = all
        .into_iter()
        .skip(paging.offset)
        .take(paging.limit)
        .collect();
    Ok(ok_typed(&page))
}

#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions",
    tag = "subjects",
    params(
        NamePath,
        Deleted,
        DeletedOnly,
        DeletedAsNegative,
        Paging,
    ),
    responses(
        (status = 200, description = "Version numbers", body = [i32]),
        BadPath,
        (status = 404, description = "40401 subject not found", body = ErrorBody),
    )
)]
pub(crate) async fn versions(
    State(st): State<AppState>,
    p: NamePath,
    deleted: Deleted,
    only: DeletedOnly,
    negative: DeletedAsNegative,
    paging: Paging,
) -> Result<Response, RegistryError> {
    let subject = st.registry.alias_target(&p.subject());
    let v = st.registry.versions(
        &subject,
        deleted.deleted,
        only.deleted_only,
        negative.deleted_as_negative,
    )?;
    Ok(ok_typed(&paging.page(v)))
}

#[utoipa::path(
    post,
    path = "/subjects/{subject}/versions",
    tag = "subjects",
    request_body(content = RegisterSchemaRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    params(
        NamePath,
        Normalize,
        OutputFormat,
    ),
    responses(
        (status = 200, description = "Registered (or already registered)", body = RegisterSchemaResponse, links(
            ("SchemaById" = (operation_id = "get_schema_by_id", parameters(("id" = "$response.body#/id")))),
            ("SchemaTextById" = (operation_id = "get_schema_text_by_id", parameters(("id" = "$response.body#/id")))),
            ("SubjectsById" = (operation_id = "get_subjects_by_id", parameters(("id" = "$response.body#/id")))),
            ("VersionsById" = (operation_id = "get_versions_by_id", parameters(("id" = "$response.body#/id")))),
            ("Versions" = (operation_id = "versions", parameters(("subject" = "$request.path.subject")))),
            ("LatestVersion" = (operation_id = "get_version", parameters(("subject" = "$request.path.subject"), ("version" = "latest")))),
            ("Lookup" = (operation_id = "lookup", parameters(("subject" = "$request.path.subject")), request_body = "$request.body")),
            ("CheckLatest" = (operation_id = "check_compatibility_version", parameters(("subject" = "$request.path.subject"), ("version" = "latest")), request_body = "$request.body")),
            ("DeleteSubject" = (operation_id = "delete_subject", parameters(("subject" = "$request.path.subject")))),
        )),
        BodyErrors,
        (status = 409, description = "Incompatible with earlier versions (409)", body = ErrorBody),
        (status = 422, description = "42201 invalid schema (or no body), 42205 not permitted in the current mode, 42208 invalid subject", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn register(
    State(st): State<AppState>,
    p: NamePath,
    normalize: Normalize,
    format: OutputFormat,
    Body(body): Body<SCHEMA_BODY>,
) -> Result<Response, RegistryError> {
    let body = body
        .ok_or_else(|| super::error::unprocessable("register.arg5 must not be null (was null)"))?;
    let mut req = schema_request(&body)?;
    if st.keys.is_some() {
        // The DEK registry's registration hook (`EncryptionUpdateRequestHandler`).
        crate::keys::add_kms_defaults(&mut req.rule_set);
    }
    // 8.3.1 `SubjectVersionsResource.register`: before the subject name is checked.
    if let serde_json::Value::Object(m) = &body {
        super::extract::validate_rule_sets(m, &["ruleSet"])?;
    }
    let subject = p.subject();
    // On the write lane (`lane.rs`), so that reads never queue behind its parse and check.
    let (registry, target) = (st.registry.clone(), subject.clone());
    let r = super::lane::run(&st.writes, async move {
        registry.register(&target, req, normalize.normalize).await
    })
    .await?;
    let mut answer = RegisterSchemaResponse::of(&r);
    // 8.3.1 `SubjectVersionsResource.register`: a non-blank `format` reformats the schema
    // of the answer (the GUID is kept).
    answer.schema = st
        .registry
        .schema_in_format(&r.version.body, &subject, format.as_str());
    Ok(ok_typed(&answer))
}

#[utoipa::path(
    post,
    path = "/subjects/{subject}",
    tag = "subjects",
    request_body(content = RegisterSchemaRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    params(
        NamePath,
        Normalize,
        Deleted,
        OutputFormat,
    ),
    responses(
        UpstreamErrors,
        (status = 200, description = "The version holding this schema", body = SchemaVersion),
        BodyErrors,
        (status = 404, description = "40401 subject not found, 40403 schema not found", body = ErrorBody),
        (status = 422, description = "42201 invalid schema (or no body); 42205 a fetch-through collision (`--upstream-url`)", body = ErrorBody),
    )
)]
pub(crate) async fn lookup(
    State(st): State<AppState>,
    p: NamePath,
    normalize: Normalize,
    deleted: Deleted,
    format: OutputFormat,
    Body(body): Body<SCHEMA_BODY>,
) -> Result<Response, RegistryError> {
    let body = body.ok_or_else(|| {
        super::error::unprocessable("lookUpSchemaUnderSubject.arg5 must not be null (was null)")
    })?;
    let req = schema_request(&body)?;
    let read = |s: &crate::model::Subject| {
        st.registry
            .lookup(s, &req, normalize.normalize, deleted.deleted)
    };
    let (subject, v) = match &st.upstream {
        Some(up) => {
            up.subject_read(&p.subject(), Want::Lookup(&body), read)
                .await?
        }
        None => st.registry.read_using_contexts(&p.subject(), read)?,
    };
    let mut out = SchemaVersion::looked_up(&v);
    out.schema = st
        .registry
        .schema_in_format(&v.body, &subject, format.as_str());
    Ok(ok_typed(&out))
}

#[utoipa::path(
    delete,
    path = "/subjects/{subject}",
    tag = "subjects",
    params(
        NamePath,
        Permanent,
    ),
    responses(
        (status = 200, description = "Deleted versions", body = [i32]),
        BadPath,
        (status = 404, description = "40401 subject not found, 40404 subject soft-deleted, 40405 subject not soft-deleted", body = ErrorBody),
        (status = 422, description = "42205 not permitted in the current mode, 42206 a version is referenced", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_subject(
    State(st): State<AppState>,
    p: NamePath,
    permanent: Permanent,
) -> Result<Response, RegistryError> {
    let v = st
        .registry
        .delete_subject(&st.registry.alias_target(&p.subject()), permanent.permanent)
        .await?;
    Ok(ok_typed(&v))
}

#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}",
    tag = "subjects",
    params(
        SubjectVersionPath,
        Deleted,
        OutputFormat,
        ReferenceFormat,
        FindTags,
    ),
    responses(
        UpstreamErrors,
        (status = 200, description = "The version", body = SchemaVersion),
        BadPath,
        (status = 404, description = "40401 subject not found, 40402 version not found", body = ErrorBody),
        (status = 422, description = "42202 invalid version; 42205 a fetch-through collision (`--upstream-url`)", body = ErrorBody),
    )
)]
pub(crate) async fn get_version(
    State(st): State<AppState>,
    p: SubjectVersionPath,
    deleted: Deleted,
    format: OutputFormat,
    reference_format: ReferenceFormat,
    find_tags: FindTags,
) -> Result<Response, RegistryError> {
    let spec = p.spec(true)?;
    let (subject, v) = version_read(&st, &p.subject(), spec, deleted.deleted).await?;
    if find_tags.find_tags.is_empty()
        && format.as_str().trim().is_empty()
        && !reference_format.qualified()
    {
        // What `fast.rs` answers before the router (the same bytes).
        return Ok(super::error::ok_bytes(super::fast::render_version(&v)));
    }
    let mut out = SchemaVersion::of(&v);
    // 7.9 and 8.3.1 `SubjectVersionsResource.getSchemaByVersion`: `findTags` lists the
    // matching inline-tagged elements (`extractSchemaTags`), before `format` applies.
    if !find_tags.find_tags.is_empty() {
        let entities = st.registry.tagged_entities(&v.body, &subject);
        out.schema_tags = SchemaTags::find(entities, &find_tags.find_tags);
    }
    out.schema = st
        .registry
        .schema_in_format(&v.body, &subject, format.as_str());
    if reference_format.qualified() {
        let parent = crate::model::Subject::parse(&v.subject);
        for r in &mut out.references {
            r.subject = parent.qualify_reference(&r.subject);
        }
    }
    Ok(ok_typed(&out))
}

/// A version read across contexts, fetched through from the upstream registry when it
/// finds nothing or its `latest` is due for a check (`--upstream-url`, `upstream.rs`).
async fn version_read(
    st: &AppState,
    asked: &crate::model::Subject,
    spec: VersionSpec,
    deleted: bool,
) -> Result<(crate::model::Subject, crate::registry::VersionView), RegistryError> {
    let read = |s: &crate::model::Subject| st.registry.version(s, spec, deleted);
    match &st.upstream {
        Some(up) => {
            let want = match spec {
                VersionSpec::Latest => Want::Latest,
                VersionSpec::Number(n) => Want::Version(n),
            };
            up.subject_read(asked, want, read).await
        }
        None => st.registry.read_using_contexts(asked, read),
    }
}

#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}/schema",
    tag = "subjects",
    params(
        SubjectVersionPath,
        Deleted,
        OutputFormat,
    ),
    responses(
        UpstreamErrors,
        (status = 200, description = "The raw schema (any JSON: object, array or string)", body = serde_json::Value),
        BadPath,
        (status = 404, description = "40401 subject not found, 40402 version not found", body = ErrorBody),
        (status = 422, description = "42202 invalid version; 42205 a fetch-through collision (`--upstream-url`)", body = ErrorBody),
    )
)]
pub(crate) async fn get_version_schema(
    State(st): State<AppState>,
    p: SubjectVersionPath,
    deleted: Deleted,
    format: OutputFormat,
) -> Result<Response, RegistryError> {
    let spec = p.spec(true)?;
    let (subject, v) = version_read(&st, &p.subject(), spec, deleted.deleted).await?;
    Ok(ok_raw(st.registry.schema_in_format(
        &v.body,
        &subject,
        format.as_str(),
    )))
}

#[utoipa::path(
    get,
    path = "/subjects/{subject}/versions/{version}/referencedby",
    tag = "subjects",
    params(
        SubjectVersionPath,
        Deleted,
        Paging,
    ),
    responses(
        (status = 200, description = "IDs of schemas referencing this version (by context, then ID); only IDs a live version holds unless `deleted`; `limit` at most 1000", body = [i32]),
        BadPath,
        (status = 404, description = "40401 subject not found, 40402 version not found", body = ErrorBody),
        (status = 422, description = "42202 invalid version", body = ErrorBody),
    )
)]
pub(crate) async fn referenced_by(
    State(st): State<AppState>,
    p: SubjectVersionPath,
    deleted: Deleted,
    paging: Paging,
) -> Result<Response, RegistryError> {
    let spec = p.spec(true)?;
    // 8.3.1 `SubjectVersionsResource.getReferencedBy` reads the version through
    // `getSchemaByVersion` (deleted ones included), so it falls back across contexts too.
    let (_, ids) = st.registry.read_using_contexts(&p.subject(), |s| {
        st.registry.referenced_by(s, spec, deleted.deleted)
    })?;
    Ok(ok_typed(&paging.capped(SCHEMA_SEARCH_LIMIT).page(ids)))
}

#[utoipa::path(
    delete,
    path = "/subjects/{subject}/versions/{version}",
    tag = "subjects",
    params(
        SubjectVersionPath,
        Permanent,
    ),
    responses(
        (status = 200, description = "The deleted version", body = i32),
        BadPath,
        (status = 404, description = "40401 subject not found, 40402 version not found, 40406 version soft-deleted, 40407 version not soft-deleted", body = ErrorBody),
        (status = 422, description = "42202 invalid version, 42205 not permitted in the current mode, 42206 the version is referenced", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_version(
    State(st): State<AppState>,
    p: SubjectVersionPath,
    permanent: Permanent,
) -> Result<Response, RegistryError> {
    // `-1` is `latest` here too (`VersionId`).
    let spec = p.spec(true)?;
    let v = st
        .registry
        .delete_version(
            &st.registry.alias_target(&p.subject()),
            spec,
            permanent.permanent,
        )
        .await?;
    Ok(ok_typed(&v))
}

#[utoipa::path(
    get,
    path = "/subjects/{subject}/metadata",
    tag = "subjects",
    params(
        NamePath,
        MetadataFilter,
        Deleted,
        OutputFormat,
    ),
    responses(
        (status = 200, description = "The latest version whose metadata properties match", body = SchemaVersion),
        BadPath,
        (status = 404, description = "40401 subject not found, 40403 no version matches", body = ErrorBody),
    )
)]
pub(crate) async fn by_metadata(
    State(st): State<AppState>,
    p: NamePath,
    filter: MetadataFilter,
    deleted: Deleted,
    format: OutputFormat,
) -> Result<Response, RegistryError> {
    // Keys and values paired in order (the shorter list decides; a later key wins), and
    // only the asked subject (its alias followed), as 7.9 and 8.3.1 `SubjectsResource
    // .getLatestWithMetadata` read them.
    let wanted: std::collections::BTreeMap<String, String> = filter
        .key
        .iter()
        .zip(filter.value.iter())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let subject = st.registry.alias_target(&p.subject());
    let v = st
        .registry
        .version_by_metadata(&subject, &wanted, deleted.deleted)?;
    // 8.3.1 `SubjectsResource.getLatestWithMetadata`: `format` as on the version reads.
    let mut answer = SchemaVersion::of(&v);
    answer.schema = st
        .registry
        .schema_in_format(&v.body, &subject, format.as_str());
    Ok(ok_typed(&answer))
}

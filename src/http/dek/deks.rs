//! DEK writes: create (also the deprecated form with the subject in the body), delete and
//! undelete, of all versions or one (`DekRegistryResource`).

use super::*;

/// `createDekWithSubject`.
async fn create(
    st: &AppState,
    name: &str,
    rewrap: bool,
    req: NewDek,
) -> Result<Response, RegistryError> {
    keys::check_name(name)?;
    keys::check_subject(&req.subject)?;
    let keys = st.keys()?;
    if keys.kek(name, req.deleted).is_none() {
        return Err(keys::not_found(name));
    }
    // IMPORT mode: stored without a round trip through the KMS, answered without the raw
    // key (`AbstractDekRegistry.createDek`'s `getModeInScope(subject) != IMPORT`).
    let import = st
        .registry
        .mode_in_scope(&crate::model::Subject::parse(&req.subject))
        == crate::model::Mode::Import;
    let d = keys.create_dek(name, rewrap, import, req).await?;
    let raw = if import {
        None
    } else {
        keys.raw_material(&d.value)?
    };
    Ok(dek_answer(d, raw))
}

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}",
    operation_id = "create_dek",
    tag = "dek-registry",
    request_body(content = Object, description = "Confluent's CreateDekRequest: version (1), algorithm (AES256_GCM), encryptedKeyMaterial, deleted; the subject is the path's", content_type = "application/vnd.schemaregistry.v1+json"),
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), Rewrap),
    responses(
        (status = 200, description = "The DEK", body = Dek),
        BodyErrors,
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 409, description = "40971 key already exists, 40972 too many keys", body = ErrorBody),
        (status = 422, description = "42271 invalid name or subject, or no encryptedKeyMaterial for a KEK that is not shared", body = ErrorBody),
        (status = 500, description = "50070 a shared KEK: no KMS on this registry; 50001-50004 store errors", body = ErrorBody),
    )
)]
pub(crate) async fn create_dek(
    State(st): State<AppState>,
    p: KeyPath,
    rewrap: Rewrap,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let mut req = bind_dek(body, "createDekWithSubject.arg5")?;
    req.subject = p.get("subject").to_string();
    create(&st, p.get("name"), rewrap.rewrap, req).await
}

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/deks",
    operation_id = "create_dek_with_body_subject",
    tag = "dek-registry",
    request_body(content = Object, description = "Confluent's CreateDekRequest with its subject (deprecated form)", content_type = "application/vnd.schemaregistry.v1+json"),
    params(("name" = String, Path, description = "KEK name")),
    responses(
        (status = 200, description = "The DEK", body = Dek),
        BodyErrors,
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 409, description = "40971 key already exists, 40972 too many keys", body = ErrorBody),
        (status = 422, description = "42271 invalid name or subject, or no encryptedKeyMaterial", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn create_dek_legacy(
    State(st): State<AppState>,
    p: KeyPath,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let req = bind_dek(body, "createDek.arg3")?;
    create(&st, p.get("name"), false, req).await
}

/// Checks shared by the DEK deletes and undeletes: the KEK (deleted ones too), then the
/// DEK version named (`LATEST`: the newest).
fn dek_exists(
    st: &AppState,
    p: &KeyPath,
    version: i32,
    q: &AlgorithmParam,
) -> Result<(), RegistryError> {
    let (name, subject) = (p.kek()?, p.subject()?);
    let keys = st.keys()?;
    keys.kek(name, true).ok_or_else(|| keys::not_found(name))?;
    keys.dek(name, subject, version, q.algorithm, true)
        .ok_or_else(|| keys::not_found(subject))?;
    Ok(())
}

#[utoipa::path(
    delete,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}",
    operation_id = "delete_deks",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), AlgorithmParam, Permanent),
    responses(
        (status = 204, description = "Every version deleted"),
        (status = 404, description = "40470 key not found, 40471 not soft-deleted first", body = ErrorBody),
        (status = 422, description = "42271 invalid name or subject", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_deks(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
    permanent: Permanent,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    dek_exists(&st, &p, LATEST, &q)?;
    st.keys()?
        .delete_deks(
            p.get("name"),
            p.get("subject"),
            q.algorithm,
            permanent.permanent,
        )
        .await?;
    Ok(no_content())
}

#[utoipa::path(
    delete,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}",
    operation_id = "delete_dek_version",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), ("version" = String, Path, description = "A version or latest"), AlgorithmParam, Permanent),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "40470 key not found, 40471 not soft-deleted first", body = ErrorBody),
        (status = 422, description = "42202 invalid version, 42271 invalid name or subject", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_dek_version(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
    permanent: Permanent,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let version = p.checked_version()?;
    dek_exists(&st, &p, version, &q)?;
    st.keys()?
        .delete_dek_version(
            p.get("name"),
            p.get("subject"),
            version,
            q.algorithm,
            permanent.permanent,
        )
        .await?;
    Ok(no_content())
}

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/undelete",
    operation_id = "undelete_deks",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), AlgorithmParam),
    responses(
        (status = 204, description = "Every version undeleted"),
        (status = 404, description = "40470 key not found, 40472 the KEK must be undeleted first", body = ErrorBody),
        (status = 422, description = "42271 invalid name or subject", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn undelete_deks(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    dek_exists(&st, &p, LATEST, &q)?;
    st.keys()?
        .undelete_deks(p.get("name"), p.get("subject"), None, q.algorithm)
        .await?;
    Ok(no_content())
}

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}/undelete",
    operation_id = "undelete_dek_version",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), ("version" = String, Path, description = "A version or latest"), AlgorithmParam),
    responses(
        (status = 204, description = "Undeleted"),
        (status = 404, description = "40470 key not found, 40472 the KEK must be undeleted first", body = ErrorBody),
        (status = 422, description = "42202 invalid version, 42271 invalid name or subject", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn undelete_dek_version(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let version = p.checked_version()?;
    dek_exists(&st, &p, version, &q)?;
    st.keys()?
        .undelete_deks(p.get("name"), p.get("subject"), Some(version), q.algorithm)
        .await?;
    Ok(no_content())
}

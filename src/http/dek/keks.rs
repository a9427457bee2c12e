//! KEK writes: create, test, update, delete, undelete (`DekRegistryResource`).

use super::*;

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks",
    operation_id = "create_kek",
    tag = "dek-registry",
    request_body(content = Object, description = "Confluent's CreateKekRequest: name, kmsType, kmsKeyId, kmsProps, doc, shared, deleted", content_type = "application/vnd.schemaregistry.v1+json"),
    params(TestSharing),
    responses(
        (status = 200, description = "The KEK", body = Kek),
        BodyErrors,
        (status = 409, description = "40971 key already exists, 40972 too many keys", body = ErrorBody),
        (status = 422, description = "42271 invalid or missing name, kmsType or kmsKeyId; 42205 a read-only registry", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn create_kek(
    State(st): State<AppState>,
    q: TestSharing,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let req = bind_kek(body)?;
    keys::check_name(&req.name)?;
    if req.kms_key_id.is_empty() {
        return Err(keys::invalid_key("kmsKeyId"));
    }
    if req.kms_type.is_empty() {
        return Err(keys::invalid_key("kmsType"));
    }
    if !keys::kms_key_id_valid(&req.kms_type, &req.kms_key_id) {
        return Err(keys::invalid_key("kmsKeyId"));
    }
    let keys = st.keys()?;
    if req.shared && q.test_sharing {
        keys.test_kek(&crate::keys::record::KekValue {
            name: req.name.clone(),
            kms_type: req.kms_type.clone(),
            kms_key_id: req.kms_key_id.clone(),
            kms_props: req.kms_props.clone().unwrap_or_default(),
            doc: None,
            shared: true,
            deleted: false,
        })?;
    }
    Ok(kek_answer(keys.create_kek(req).await?))
}

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/test",
    operation_id = "test_kek",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name")),
    responses(
        (status = 200, description = "The registry's KMS wrapped a new DEK with this shared KEK", body = Kek),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 the KEK is not shared", body = ErrorBody),
        (status = 500, description = "50070 no KMS client for this KEK's kmsType on this registry, or the KMS call failed", body = ErrorBody),
    )
)]
pub(crate) async fn test_kek(
    State(st): State<AppState>,
    p: KeyPath,
) -> Result<Response, RegistryError> {
    let name = p.kek()?;
    let keys = st.keys()?;
    let k = keys.kek(name, false).ok_or_else(|| keys::not_found(name))?;
    keys.test_kek(&k.value)?;
    Ok(kek_answer(k))
}

#[utoipa::path(
    put,
    path = "/dek-registry/v1/keks/{name}",
    operation_id = "update_kek",
    tag = "dek-registry",
    request_body(content = Object, description = "Confluent's UpdateKekRequest: kmsProps, doc, shared (absent: kept; null kmsProps or doc: cleared)", content_type = "application/vnd.schemaregistry.v1+json"),
    params(("name" = String, Path, description = "KEK name"), TestSharing),
    responses(
        (status = 200, description = "The KEK", body = Kek),
        BodyErrors,
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 invalid name", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn update_kek(
    State(st): State<AppState>,
    p: KeyPath,
    q: TestSharing,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let name = p.kek()?;
    let v = body.ok_or_else(|| missing_body("putKek.arg4"))?;
    let m = object(&v, KEK_UPDATE)?;
    let upd = KekUpdate {
        kms_props: string_map(m, "kmsProps")?,
        doc: match m.get("doc") {
            None => None,
            Some(_) => Some(opt_string(m, "doc")?),
        },
        shared: opt_bool(m, "shared")?,
    };
    let keys = st.keys()?;
    let old = keys.kek(name, false).ok_or_else(|| keys::not_found(name))?;
    if upd.shared.unwrap_or(old.value.shared) && q.test_sharing {
        let mut tested = old.value.clone();
        tested.shared = true;
        if let Some(p) = &upd.kms_props {
            tested.kms_props = p.clone().unwrap_or_default();
        }
        keys.test_kek(&tested)?;
    }
    let k = keys.update_kek(name, upd).await?;
    k.map(kek_answer).ok_or_else(|| keys::not_found(name))
}

#[utoipa::path(
    delete,
    path = "/dek-registry/v1/keks/{name}",
    operation_id = "delete_kek",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), Permanent),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "40470 key not found, 40471 not soft-deleted first", body = ErrorBody),
        (status = 422, description = "42271 invalid name, 42272 DEKs still use it", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_kek(
    State(st): State<AppState>,
    p: KeyPath,
    permanent: Permanent,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let name = p.kek()?;
    let keys = st.keys()?;
    keys.kek(name, true).ok_or_else(|| keys::not_found(name))?;
    keys.delete_kek(name, permanent.permanent).await?;
    Ok(no_content())
}

#[utoipa::path(
    post,
    path = "/dek-registry/v1/keks/{name}/undelete",
    operation_id = "undelete_kek",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name")),
    responses(
        (status = 204, description = "Undeleted"),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 invalid name", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn undelete_kek(
    State(st): State<AppState>,
    p: KeyPath,
) -> Result<Response, RegistryError> {
    st.registry.may_write_keys()?;
    let name = p.kek()?;
    let keys = st.keys()?;
    keys.kek(name, true).ok_or_else(|| keys::not_found(name))?;
    keys.undelete_kek(name).await?;
    Ok(no_content())
}

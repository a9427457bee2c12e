//! The DEK registry's reads: KEK names and KEKs, a KEK's DEK subjects, a DEK's versions
//! and a DEK (`DekRegistryResource`'s GETs).

use super::*;

#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks",
    operation_id = "list_keks",
    tag = "dek-registry",
    params(SubjectPrefixes, Deleted, Paging),
    responses(
        (status = 200, description = "KEK names", body = [String]),
        (status = 404, description = "offset or limit is not an int (unmatched, as Jersey)", body = ErrorBody),
    )
)]
pub(crate) async fn kek_names(
    State(st): State<AppState>,
    q: SubjectPrefixes,
    deleted: Deleted,
    paging: Paging,
) -> Result<Response, RegistryError> {
    let names = st.keys()?.kek_names(&q.subject_prefix, deleted.deleted);
    Ok(ok_typed(&paging.page(names)))
}

#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}",
    operation_id = "get_kek",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), Deleted),
    responses(
        (status = 200, description = "The KEK", body = Kek),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 invalid name", body = ErrorBody),
    )
)]
pub(crate) async fn get_kek(
    State(st): State<AppState>,
    p: KeyPath,
    deleted: Deleted,
) -> Result<Response, RegistryError> {
    let name = p.kek()?;
    let k = st.keys()?.kek(name, deleted.deleted);
    k.map(kek_answer).ok_or_else(|| keys::not_found(name))
}

#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}/deks",
    operation_id = "list_dek_subjects",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), Deleted, Paging),
    responses(
        (status = 200, description = "Subjects with a DEK under this KEK", body = [String]),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 invalid name", body = ErrorBody),
    )
)]
pub(crate) async fn dek_subjects(
    State(st): State<AppState>,
    p: KeyPath,
    deleted: Deleted,
    paging: Paging,
) -> Result<Response, RegistryError> {
    let name = p.kek()?;
    let keys = st.keys()?;
    if keys.kek(name, deleted.deleted).is_none() {
        return Err(keys::not_found(name));
    }
    Ok(ok_typed(
        &paging.page(keys.dek_subjects(name, deleted.deleted)),
    ))
}

#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/versions",
    operation_id = "list_dek_versions",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), AlgorithmParam, Deleted, Paging),
    responses(
        (status = 200, description = "The DEK's versions", body = [i32]),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 invalid name or subject", body = ErrorBody),
    )
)]
pub(crate) async fn dek_versions(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
    deleted: Deleted,
    paging: Paging,
) -> Result<Response, RegistryError> {
    let (name, subject) = (p.kek()?, p.subject()?);
    let keys = st.keys()?;
    if keys.kek(name, deleted.deleted).is_none() {
        return Err(keys::not_found(name));
    }
    let versions = keys.dek_versions(name, subject, q.algorithm, deleted.deleted);
    Ok(ok_typed(&paging.page(versions)))
}

/// `getDek` / `getDekByVersion`.
fn read_dek(
    st: &AppState,
    p: &KeyPath,
    version: i32,
    q: &AlgorithmParam,
    deleted: bool,
) -> Result<Response, RegistryError> {
    let (name, subject) = (p.kek()?, p.subject()?);
    let keys = st.keys()?;
    if keys.kek(name, deleted).is_none() {
        return Err(keys::not_found(name));
    }
    let d = keys
        .dek(name, subject, version, q.algorithm, deleted)
        .ok_or_else(|| keys::not_found(subject))?;
    let raw = keys.raw_material(&d.value)?;
    Ok(dek_answer(d, raw))
}

#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}",
    operation_id = "get_dek",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), AlgorithmParam, Deleted),
    responses(
        (status = 200, description = "The DEK's version 1", body = Dek),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42271 invalid name or subject", body = ErrorBody),
        (status = 500, description = "50070 a shared KEK's DEK: no KMS on this registry", body = ErrorBody),
    )
)]
pub(crate) async fn get_dek(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
    deleted: Deleted,
) -> Result<Response, RegistryError> {
    read_dek(&st, &p, 1, &q, deleted.deleted)
}

#[utoipa::path(
    get,
    path = "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}",
    operation_id = "get_dek_version",
    tag = "dek-registry",
    params(("name" = String, Path, description = "KEK name"), ("subject" = String, Path, description = "Subject"), ("version" = String, Path, description = "A version or latest"), AlgorithmParam, Deleted),
    responses(
        (status = 200, description = "The DEK", body = Dek),
        (status = 404, description = "40470 key not found", body = ErrorBody),
        (status = 422, description = "42202 invalid version, 42271 invalid name or subject", body = ErrorBody),
        (status = 500, description = "50070 a shared KEK's DEK: no KMS on this registry", body = ErrorBody),
    )
)]
pub(crate) async fn get_dek_version(
    State(st): State<AppState>,
    p: KeyPath,
    q: AlgorithmParam,
    deleted: Deleted,
) -> Result<Response, RegistryError> {
    let version = p.checked_version()?;
    read_dek(&st, &p, version, &q, deleted.deleted)
}

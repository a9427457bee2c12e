//! `/config[/{subject}]` and `/mode[/{subject}]`.

use super::extract::{object, opt_bool, opt_contract, opt_string, validate_rule_sets, Body};
#[allow(unused_imports)]
use super::openapi::*;
use super::params::{DefaultToGlobal, Force, NamePath, Recursive};
use super::{ok, ok_typed, AppState};
use crate::error::RegistryError;
use crate::index::Scope;
use crate::model::{Level, Mode, Subject, GLOBAL_SCOPE};
use crate::registry::ConfigUpdate;
use crate::store::record::ConfigValue;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/config",
            get(get_global).put(put_global).delete(delete_global),
        )
        .route(
            "/config/{subject}",
            get(get_subject).put(put_subject).delete(delete_subject),
        )
        .route(
            "/mode",
            get(get_mode_global)
                .put(put_mode_global)
                .delete(delete_mode_global),
        )
        .route(
            "/mode/{subject}",
            get(get_mode_subject)
                .put(put_mode_subject)
                .delete(delete_mode_subject),
        )
}

/// The scope a `/config/{x}` or `/mode/{x}` path addresses.
/// The scope a path names, qualified: errors name it in this normalised form, as 7.9 and
/// 8.3.1 `ConfigResource`/`ModeResource` do after `QualifiedSubject.normalize`.
fn scope_of(raw: &str) -> (Scope, Option<Subject>) {
    let s = Subject::parse(raw);
    if raw.starts_with(":.") && s.name.is_empty() {
        // `:.ctx:` is the context itself.
        let ctx_scope = if s.is_default_context() {
            None
        } else {
            Some(s.context_scope())
        };
        return (ctx_scope, Some(s));
    }
    (Some(s.qualified()), Some(s))
}

fn config_json(c: &ConfigValue) -> Value {
    serde_json::to_value(Config::of(c)).unwrap_or_default()
}

/// The config fields an explicit `null` clears.
const CLEARABLE: [&str; 12] = [
    "alias",
    "aliasForDeks",
    "normalize",
    "validateFields",
    "validateNewSchemas",
    "validateRules",
    "compatibilityPolicy",
    "compatibilityGroup",
    "defaultMetadata",
    "overrideMetadata",
    "defaultRuleSet",
    "overrideRuleSet",
];

/// Parses a config update; the answer echoes what was given.
fn parse_update(v: &Value) -> Result<(ConfigUpdate, Value), RegistryError> {
    let m = object(v, "ConfigUpdateRequest")?;
    // Bound to a String as Jackson binds one (a container is 400), then looked up by name.
    let compatibility = match opt_string(m, "compatibility")? {
        Some(s) if Level::parse(&s).is_none() => return Err(RegistryError::InvalidCompatibility),
        level => level,
    };
    // 8.3.1 `ConfigResource.updateTopLevelConfig`: after the level, before the write.
    validate_rule_sets(m, &["defaultRuleSet", "overrideRuleSet"])?;
    let value = ConfigValue {
        subject: None,
        alias: opt_string(m, "alias")?,
        alias_for_deks: opt_string(m, "aliasForDeks")?,
        normalize: opt_bool(m, "normalize")?,
        validate_fields: opt_bool(m, "validateFields")?,
        validate_new_schemas: opt_bool(m, "validateNewSchemas")?,
        validate_rules: opt_bool(m, "validateRules")?,
        compatibility_level: None,
        // `CompatibilityPolicy.forName`: any case; an unknown name is no policy.
        compatibility_policy: opt_string(m, "compatibilityPolicy")?.and_then(|p| {
            let p = p.to_ascii_uppercase();
            matches!(p.as_str(), "STRICT" | "LENIENT" | "LOGICAL").then_some(p)
        }),
        compatibility_group: opt_string(m, "compatibilityGroup")?,
        default_metadata: opt_contract(m, "defaultMetadata", crate::contract::metadata)?,
        override_metadata: opt_contract(m, "overrideMetadata", crate::contract::metadata)?,
        default_rule_set: opt_contract(m, "defaultRuleSet", crate::contract::rule_set)?,
        override_rule_set: opt_contract(m, "overrideRuleSet", crate::contract::rule_set)?,
    };
    let mut echo = Map::new();
    if let Some(c) = &compatibility {
        echo.insert("compatibility".into(), json!(c));
    }
    if let Value::Object(rest) = config_json(&value) {
        echo.extend(rest);
    }
    // Explicit nulls clear (8.x). The level is not among them: a scope's record always
    // carries the level in force (see `Registry::put_config`).
    let cleared: Vec<&'static str> = CLEARABLE
        .iter()
        .copied()
        .filter(|f| matches!(m.get(*f), Some(Value::Null)))
        .collect();
    // Store the canonical upper-case level name.
    let update = ConfigUpdate {
        cleared,
        compatibility: compatibility
            .as_deref()
            .and_then(Level::parse)
            .map(|l| l.as_str().to_string()),
        value,
    };
    Ok((update, Value::Object(echo)))
}

#[utoipa::path(
    get,
    path = "/config",
    operation_id = "get_global_config",
    tag = "config",
    params(
        DefaultToGlobal,
    ),
    responses((status = 200, description = "Global config", body = Config))
)]
pub(crate) async fn get_global(
    State(st): State<AppState>,
    default_to_global: DefaultToGlobal,
) -> Result<Response, RegistryError> {
    Ok(ok_typed(&Config::of(&st.registry.get_config(
        &None,
        None,
        default_to_global.default_to_global,
    )?)))
}

#[utoipa::path(
    put,
    path = "/config",
    operation_id = "put_global_config",
    tag = "config",
    request_body(content = ConfigUpdateRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    responses(
        (status = 200, description = "The update as given", body = ConfigUpdateRequest),
        BodyErrors,
        (status = 422, description = "42203 invalid compatibility level (or no body), 42205 read-only registry", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn put_global(
    State(st): State<AppState>,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    let body = body.ok_or_else(|| {
        super::error::unprocessable("updateTopLevelConfig.arg1 must not be null (was null)")
    })?;
    let (update, echo) = parse_update(&body)?;
    st.registry.put_config(None, None, update).await?;
    Ok(ok(echo))
}

#[utoipa::path(
    delete,
    path = "/config",
    operation_id = "delete_global_config",
    tag = "config",
    responses(
        (status = 200, description = "The removed config", body = Config),
        (status = 422, description = "42205 the registry is read-only (--read-only)", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_global(State(st): State<AppState>) -> Result<Response, RegistryError> {
    // The removed record, its level filled from the server default (8.3.1
    // `ConfigResource.deleteTopLevelConfig` answers `getConfig(null)`).
    let mut prev = st.registry.delete_config(None, None).await?;
    prev.subject = None;
    Ok(ok_typed(&Config::of(&prev)))
}

#[utoipa::path(
    get,
    path = "/config/{subject}",
    operation_id = "get_subject_config",
    tag = "config",
    params(
        NamePath,
        DefaultToGlobal,
    ),
    responses(
        (status = 200, description = "Subject config", body = Config),
        BadPath,
        (status = 404, description = "40408 subject has no config", body = ErrorBody),
    )
)]
pub(crate) async fn get_subject(
    State(st): State<AppState>,
    p: NamePath,
    default_to_global: DefaultToGlobal,
) -> Result<Response, RegistryError> {
    let (scope, subject) = scope_of(&p.0);
    let c = st.registry.get_config(
        &scope,
        subject.as_ref(),
        default_to_global.default_to_global,
    )?;
    Ok(ok_typed(&Config::of(&c)))
}

#[utoipa::path(
    put,
    path = "/config/{subject}",
    operation_id = "put_subject_config",
    tag = "config",
    request_body(content = ConfigUpdateRequest, content_type = "application/vnd.schemaregistry.v1+json"),
    params(
        NamePath,
    ),
    responses(
        (status = 200, description = "The update as given", body = ConfigUpdateRequest),
        BodyErrors,
        (status = 422, description = "42203 invalid compatibility level (or no body), 42205 not permitted in the current mode, 42208 invalid subject", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn put_subject(
    State(st): State<AppState>,
    p: NamePath,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    let body = body.ok_or_else(|| {
        super::error::unprocessable("updateSubjectLevelConfig.arg2 must not be null (was null)")
    })?;
    // The level and rule sets first, then the name (7.9 and 8.3.1 `ConfigResource`).
    let (update, echo) = parse_update(&body)?;
    valid_scope_name(&p.0)?;
    let (scope, subject) = scope_of(&p.0);
    st.registry
        .put_config(scope, subject.as_ref(), update)
        .await?;
    Ok(ok(echo))
}

#[utoipa::path(
    delete,
    path = "/config/{subject}",
    operation_id = "delete_subject_config",
    tag = "config",
    params(
        NamePath,
    ),
    responses(
        (status = 200, description = "The removed config", body = Config),
        BadPath,
        (status = 404, description = "40401 subject has no config", body = ErrorBody),
        (status = 422, description = "42205 not permitted in the current mode", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_subject(
    State(st): State<AppState>,
    p: NamePath,
) -> Result<Response, RegistryError> {
    let (scope, subject) = scope_of(&p.0);
    let mut prev = st.registry.delete_config(scope, subject.as_ref()).await?;
    prev.subject = None;
    Ok(ok_typed(&Config::of(&prev)))
}

/// `QualifiedSubject.isValidSubject(…, isConfigOrMode=true)`: no control character, and
/// the name part is not `__GLOBAL` or `__EMPTY` (the `:.__GLOBAL:` context itself is fine).
fn valid_scope_name(raw: &str) -> Result<(), RegistryError> {
    crate::registry::Registry::validate_subject(raw)?;
    if matches!(Subject::parse(raw).name.as_str(), "__GLOBAL" | "__EMPTY") {
        return Err(RegistryError::InvalidSubject(raw.to_string()));
    }
    Ok(())
}

/// A mode update as 8.3.1 `ModeResource.updateMode` reads it: `mode` is an
/// `Optional<String>` (scalars coerced, a container 400); `null` removes the scope's mode;
/// a name in any case, but `FORWARD` spelt exactly so only on `:.__GLOBAL:`. Returns the
/// mode and the answer (the request: `{"mode": null}` for a removal).
fn parse_mode(v: &Value, scope: &Scope) -> Result<(Option<Mode>, Value), RegistryError> {
    let m = object(v, "ModeUpdateRequest")?;
    let given = match m.get("mode") {
        // No field: Confluent's `getOptionalMode()` is null and it fails (500); we refuse.
        None => return Err(RegistryError::InvalidMode),
        Some(v) => crate::contract::string(v)?,
    };
    let mode = match &given {
        None => None,
        Some(s) => Some(Mode::parse(s).ok_or(RegistryError::InvalidMode)?),
    };
    if given.as_deref() == Some("FORWARD") && scope.as_deref() != Some(GLOBAL_SCOPE) {
        return Err(RegistryError::ForwardModeNotGlobal);
    }
    Ok((mode, json!({ "mode": given })))
}

#[utoipa::path(
    get,
    path = "/mode",
    operation_id = "get_global_mode",
    tag = "mode",
    params(
        DefaultToGlobal,
    ),
    responses((status = 200, description = "The default context's mode (READWRITE when none is set); with `defaultToGlobal`, then the true global's (`:.__GLOBAL:`)", body = ModeBody))
)]
pub(crate) async fn get_mode_global(
    State(st): State<AppState>,
    default_to_global: DefaultToGlobal,
) -> Result<Response, RegistryError> {
    let m = st
        .registry
        .get_mode(&None, None, default_to_global.default_to_global)?;
    Ok(ok_typed(&ModeBody {
        mode: m.as_str().to_string(),
    }))
}

#[utoipa::path(
    put,
    path = "/mode",
    operation_id = "put_global_mode",
    tag = "mode",
    request_body(content = ModeUpdate, content_type = "application/vnd.schemaregistry.v1+json"),
    params(
        Force,
    ),
    responses(
        (status = 200, description = "The mode as given", body = ModeUpdate),
        BodyErrors,
        (status = 422, description = "42204 invalid mode (or no body), 42205 not permitted (IMPORT with subjects, without force)", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn put_mode_global(
    State(st): State<AppState>,
    force: Force,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    let body = body.ok_or_else(|| {
        super::error::unprocessable("updateTopLevelMode.arg1 must not be null (was null)")
    })?;
    let (mode, answer) = parse_mode(&body, &None)?;
    st.registry.put_mode(None, mode, force.force).await?;
    Ok(super::ok(answer))
}

#[utoipa::path(
    get,
    path = "/mode/{subject}",
    operation_id = "get_subject_mode",
    tag = "mode",
    params(
        NamePath,
        DefaultToGlobal,
    ),
    responses(
        (status = 200, description = "Subject mode", body = ModeBody),
        BadPath,
        (status = 404, description = "40409 subject has no mode", body = ErrorBody),
    )
)]
pub(crate) async fn get_mode_subject(
    State(st): State<AppState>,
    p: NamePath,
    default_to_global: DefaultToGlobal,
) -> Result<Response, RegistryError> {
    let (scope, subject) = scope_of(&p.0);
    let m = st.registry.get_mode(
        &scope,
        subject.as_ref(),
        default_to_global.default_to_global,
    )?;
    Ok(ok_typed(&ModeBody {
        mode: m.as_str().to_string(),
    }))
}

#[utoipa::path(
    put,
    path = "/mode/{subject}",
    operation_id = "put_subject_mode",
    tag = "mode",
    request_body(content = ModeUpdate, content_type = "application/vnd.schemaregistry.v1+json"),
    params(
        NamePath,
        Force,
    ),
    responses(
        (status = 200, description = "The mode as given", body = ModeUpdate),
        BodyErrors,
        (status = 422, description = "42204 invalid mode (or no body), 42205 not permitted (IMPORT with versions, without force), 42208 invalid subject name", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn put_mode_subject(
    State(st): State<AppState>,
    p: NamePath,
    force: Force,
    Body(body): Body,
) -> Result<Response, RegistryError> {
    let body = body.ok_or_else(|| {
        super::error::unprocessable("updateMode.arg2 must not be null (was null)")
    })?;
    // The name before the mode (7.9 and 8.3.1 `ModeResource.updateMode`).
    valid_scope_name(&p.0)?;
    let (scope, _) = scope_of(&p.0);
    let (mode, answer) = parse_mode(&body, &scope)?;
    st.registry.put_mode(scope, mode, force.force).await?;
    Ok(super::ok(answer))
}

/// The answer of a mode delete: `{"mode": …}`, or `{}` when a recursive delete found none
/// (Confluent's `Mode` entity is NON_EMPTY).
fn deleted_mode(prev: Option<crate::model::Mode>) -> Response {
    ok_typed(&DeletedMode {
        mode: prev.map(|m| m.as_str().to_string()),
    })
}

#[utoipa::path(
    delete,
    path = "/mode",
    operation_id = "delete_global_mode",
    tag = "mode",
    params(
        Recursive,
    ),
    responses(
        (status = 200, description = "The removed mode of the default context (READWRITE when none was set)", body = DeletedMode),
        (status = 422, description = "42205 mode changes are not allowed, or the registry is read-only (--read-only)", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_mode_global(
    State(st): State<AppState>,
    recursive: Recursive,
) -> Result<Response, RegistryError> {
    let prev = st.registry.delete_mode(None, recursive.recursive).await?;
    Ok(deleted_mode(prev))
}

#[utoipa::path(
    delete,
    path = "/mode/{subject}",
    operation_id = "delete_subject_mode",
    tag = "mode",
    params(
        NamePath,
        Recursive,
    ),
    responses(
        (status = 200, description = "The removed mode; `{}` when `recursive` found none", body = DeletedMode),
        BadPath,
        (status = 404, description = "40401 subject has no mode (without `recursive`)", body = ErrorBody),
        (status = 422, description = "42205 mode changes are not allowed, or the registry is read-only (--read-only)", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn delete_mode_subject(
    State(st): State<AppState>,
    p: NamePath,
    recursive: Recursive,
) -> Result<Response, RegistryError> {
    let (scope, _) = scope_of(&p.0);
    let prev = st.registry.delete_mode(scope, recursive.recursive).await?;
    Ok(deleted_mode(prev))
}

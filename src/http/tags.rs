//! `POST /subjects/{subject}/versions/{version}/tags`: Confluent's `TagSchemaRequest` bound
//! as Jackson binds it, and the new version answered as a registration is.

use super::extract::{
    bad, object, opt_contract, opt_int, opt_string, type_name, Body, SCHEMA_BODY,
};
#[allow(unused_imports)]
use super::openapi::*;
use super::params::SubjectVersionPath;
use super::types::RegisterSchemaResponse;
use super::{ok_typed, AppState};
use crate::error::RegistryError;
use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

#[utoipa::path(
    post,
    path = "/subjects/{subject}/versions/{version}/tags",
    operation_id = "modify_schema_tags",
    tag = "subjects",
    request_body(content = Object, description = "Confluent's TagSchemaRequest: newVersion, tagsToAdd / tagsToRemove ([{schemaEntity: {entityPath, entityType: sr_record|sr_field}, tags}]), metadata, ruleSet, rulesToMerge, rulesToRemove", content_type = "application/vnd.schemaregistry.v1+json"),
    params(
        SubjectVersionPath,
    ),
    responses(
        (status = 200, description = "The new version, registered with the tags changed", body = RegisterSchemaResponse),
        BodyErrors,
        (status = 404, description = "40401 subject not found, 40402 version not found", body = ErrorBody),
        (status = 409, description = "Incompatible with earlier versions (409)", body = ErrorBody),
        (status = 422, description = "42201 no such element in the schema, or the new version is not the next one; 42202 invalid version; 42210 ruleSet given with rulesToMerge or rulesToRemove", body = ErrorBody),
        StoreErrors,
    )
)]
pub(crate) async fn modify_tags(
    State(st): State<AppState>,
    p: SubjectVersionPath,
    Body(body): Body<SCHEMA_BODY>,
) -> Result<Response, RegistryError> {
    let spec = p.spec(true)?;
    let body = body.ok_or_else(|| {
        super::error::unprocessable("modifyTags.arg4 must not be null (was null)")
    })?;
    let req = tag_request(&body)?;
    if (req.rules_to_merge.is_some() || req.rules_to_remove.is_some()) && req.rule_set.is_some() {
        return Err(RegistryError::InvalidRuleSet(
            "ruleSet should be omitted if specifying rulesToMerge or rulesToRemove".into(),
        ));
    }
    if let Value::Object(m) = &body {
        super::extract::validate_rule_sets(m, &["ruleSet", "rulesToMerge"])?;
    }
    let mut req = req;
    if st.keys.is_some() {
        // The DEK registry's hook (`EncryptionUpdateRequestHandler.handle(…, TagSchemaRequest)`).
        crate::keys::add_kms_defaults(&mut req.rule_set);
    }
    let r = st.registry.modify_tags(&p.subject(), spec, req).await?;
    Ok(ok_typed(&RegisterSchemaResponse::of(&r)))
}

/// `TagSchemaRequest` as Jackson binds it: `newVersion`, `tagsToAdd` / `tagsToRemove`
/// (`[{schemaEntity: {entityPath, entityType: sr_record|sr_field}, tags: [..]}]`, merged per
/// element as `schemaTagsListToMap` does), `metadata`, `ruleSet`, `rulesToMerge`,
/// `rulesToRemove`.
fn tag_request(v: &Value) -> Result<crate::registry::TagRequest, RegistryError> {
    let m = object(v, "TagSchemaRequest")?;
    let edits = tag_edits(m, "tagsToAdd", "tagsToRemove")?;
    let rules_to_remove = match m.get("rulesToRemove") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
        ),
        Some(other) => {
            return Err(bad(format!(
                "Cannot deserialize value of type `java.util.ArrayList<java.lang.String>` from {}",
                type_name(other)
            )))
        }
    };
    Ok(crate::registry::TagRequest {
        new_version: opt_int(m, "newVersion")?,
        edits,
        metadata: opt_contract(m, "metadata", crate::contract::metadata)?,
        rule_set: opt_contract(m, "ruleSet", crate::contract::rule_set)?,
        rules_to_merge: opt_contract(m, "rulesToMerge", crate::contract::rule_set)?,
        rules_to_remove,
    })
}

/// Two `List<SchemaTags>` fields (`[{schemaEntity: {entityPath, entityType}, tags}]`) as
/// Jackson binds them, merged per element as `TagSchemaRequest.schemaTagsListToMap` does:
/// the edits in the order elements are first named, additions before removals. Used by
/// the tags route (`tagsToAdd`/`tagsToRemove`) and by register
/// (`schemaTagsToAdd`/`schemaTagsToRemove`, 7.9 and 8.3.1 `RegisterSchemaRequest`).
pub(super) fn tag_edits(
    m: &serde_json::Map<String, Value>,
    add_field: &str,
    remove_field: &str,
) -> Result<Vec<crate::schema::TagEdit>, RegistryError> {
    use crate::schema::{EntityType, TagEdit};
    type Entities = Vec<((String, EntityType), Vec<String>)>;
    let entities = |field: &str| -> Result<Entities, RegistryError> {
        let mut out: Entities = Vec::new();
        let items = match m.get(field) {
            None | Some(Value::Null) => return Ok(out),
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(bad(format!(
                    "Cannot deserialize value of type `java.util.ArrayList<SchemaTags>` from {}",
                    type_name(other)
                )))
            }
        };
        for it in items {
            let t = object(it, "SchemaTags")?;
            let entity = match t.get("schemaEntity") {
                Some(e @ Value::Object(_)) => object(e, "SchemaEntity")?,
                _ => return Err(bad("schemaEntity is required".into())),
            };
            let path = opt_string(entity, "entityPath")?.unwrap_or_default();
            let kind = match opt_string(entity, "entityType")?.as_deref() {
                Some("sr_record") => EntityType::Record,
                Some("sr_field") => EntityType::Field,
                other => {
                    return Err(bad(format!(
                        "Cannot deserialize value of type `SchemaEntity$EntityType` from String {}: not one of the values accepted for Enum class: [sr_field, sr_record]",
                        other.map_or("null".to_string(), |s| format!("\"{s}\""))
                    )))
                }
            };
            let tags: Vec<String> = match t.get("tags") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| match x {
                        Value::String(s) => Ok(s.clone()),
                        Value::Number(n) => Ok(n.to_string()),
                        Value::Bool(b) => Ok(b.to_string()),
                        other => Err(bad(format!(
                            "Cannot deserialize value of type `java.lang.String` from {}",
                            type_name(other)
                        ))),
                    })
                    .collect::<Result<_, _>>()?,
                Some(other) => {
                    return Err(bad(format!(
                        "Cannot deserialize value of type `java.util.ArrayList<java.lang.String>` from {}",
                        type_name(other)
                    )))
                }
            };
            let key = (path, kind);
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some((_, existing)) => {
                    for t in tags {
                        if !existing.contains(&t) {
                            existing.push(t);
                        }
                    }
                }
                None => {
                    let mut unique = Vec::new();
                    for t in tags {
                        if !unique.contains(&t) {
                            unique.push(t);
                        }
                    }
                    out.push((key, unique));
                }
            }
        }
        Ok(out)
    };
    let add = entities(add_field)?;
    let remove = entities(remove_field)?;
    let mut edits: Vec<TagEdit> = add
        .iter()
        .map(|((path, kind), tags)| TagEdit {
            entity_type: *kind,
            path: path.clone(),
            add: tags.clone(),
            remove: Vec::new(),
        })
        .collect();
    for ((path, kind), tags) in remove {
        match edits
            .iter_mut()
            .find(|e| e.path == path && e.entity_type == kind)
        {
            Some(e) => e.remove = tags,
            None => edits.push(TagEdit {
                entity_type: kind,
                path,
                add: Vec::new(),
                remove: tags,
            }),
        }
    }
    Ok(edits)
}

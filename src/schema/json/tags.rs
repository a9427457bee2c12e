//! Schema tags on a JSON Schema, as Confluent 7.9/8.3 edits them (`JsonSchema.copy(tagsToAdd,
//! tagsToRemove)`, `JsonSchemaUtils.findMatchingEntity`): the document is read, the named
//! node gets its `confluent:tags` changed, and it is written back compactly.
//!
//! A path is a walk of type words and names (`object.a`, `object.a.object.b`,
//! `object.definitions.T.…`, `array.…`, `anyof.0.…`): `object` ends a record path or steps
//! into `properties` (or `definitions` / `$defs` when named so), where a name may itself
//! contain dots (the longest-missing join is taken word by word, as Confluent does); `array`
//! steps into `items`; `not` into `not`; `anyof`/`allof`/`oneof` take the branch at an index
//! (or, without such a keyword, a `type` list / an if-then-else). Confluent orders the
//! branches with its schema comparator first; this registry answers only when there is one
//! branch, and says so otherwise.

use super::super::tags::{child, edit_tags, extend, illegal, java_split, NodePath};
use super::super::{EntityType, TagEdit};
use crate::json::{Json, JsonReader};
use std::collections::VecDeque;

/// `findNodeFromNameBuilder`: the property of `node` named by the next words.
fn by_name<'a>(
    node: Option<(NodePath, &'a Json)>,
    ids: &mut VecDeque<String>,
) -> Option<(NodePath, &'a Json)> {
    let (at, node) = node?;
    let mut name = ids.pop_front()?;
    while child(node, &name).is_none() && !ids.is_empty() {
        name.push('.');
        name.push_str(&ids.pop_front()?);
    }
    child(node, &name).map(|(i, x)| (extend(&at, i), x))
}

fn step<'a>(at: &NodePath, node: &'a Json, key: &str) -> Option<(NodePath, &'a Json)> {
    child(node, key).map(|(i, x)| (extend(at, i), x))
}

type Found<'a> = Result<Option<(NodePath, &'a Json)>, String>;

fn helper<'a>(
    at: NodePath,
    node: &'a Json,
    kind: EntityType,
    ids: &mut VecDeque<String>,
) -> Found<'a> {
    let Some(word) = ids.pop_front() else {
        return Ok(None);
    };
    match word.as_str() {
        "object" => {
            if kind == EntityType::Record && ids.is_empty() {
                return Ok(Some((at, node)));
            }
            let Some(next) = ids.front().cloned() else {
                return Ok(None);
            };
            let container = if next == "definitions" || next == "$defs" {
                ids.pop_front();
                next.as_str()
            } else {
                "properties"
            };
            let found = by_name(step(&at, node, container), ids);
            match found {
                Some((p, x)) if !ids.is_empty() => helper(p, x, kind, ids),
                other => Ok(other),
            }
        }
        "array" => match step(&at, node, "items") {
            Some((p, x)) => helper(p, x, kind, ids),
            None => Ok(None),
        },
        "anyof" | "allof" | "oneof" => {
            let keyword = match word.as_str() {
                "anyof" => "anyOf",
                "allof" => "allOf",
                _ => "oneOf",
            };
            if let Some((ki, Json::Arr(branches))) = child(node, keyword) {
                let Some(index) = ids.pop_front() else {
                    return Ok(None);
                };
                let i: usize = index.parse().map_err(|_| {
                    format!("java.lang.NumberFormatException: For input string: \"{index}\"")
                })?;
                if branches.len() > 1 {
                    return Err(format!(
                        "tagging inside {keyword} with several branches is not supported by this registry (Confluent orders them with its schema comparator first)"
                    ));
                }
                let Some(b) = branches.get(i) else {
                    return Err(format!(
                        "java.lang.IndexOutOfBoundsException: Index {i} out of bounds for length {}",
                        branches.len()
                    ));
                };
                let mut p = extend(&at, ki);
                p.push(i);
                return helper(p, b, kind, ids);
            }
            match keyword {
                "oneOf" => Ok(None),
                "anyOf" => {
                    // `"type": ["null", "object"]`: the index word is skipped.
                    ids.pop_front();
                    helper(at, node, kind, ids)
                }
                _ => {
                    ids.pop_front();
                    if ids.front().map(String::as_str) == Some("conditional") {
                        ids.pop_front();
                        let Some(key) = ids.pop_front() else {
                            return Ok(None);
                        };
                        match step(&at, node, &key) {
                            Some((p, x)) => helper(p, x, kind, ids),
                            None => Ok(None),
                        }
                    } else {
                        helper(at, node, kind, ids)
                    }
                }
            }
        }
        "not" => match step(&at, node, "not") {
            Some((p, x)) => helper(p, x, kind, ids),
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

/// The document with `edits` applied, written compactly.
pub(super) fn modify(schema: &str, edits: &[TagEdit]) -> Result<String, String> {
    let mut root = JsonReader::for_json_schema(schema)
        .root()
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "empty schema".to_string())?;
    for edit in edits {
        let mut ids: VecDeque<String> = java_split(&edit.path)
            .into_iter()
            .map(str::to_string)
            .collect();
        let at = match helper(Vec::new(), &root, edit.entity_type, &mut ids)? {
            Some((at, _)) => at,
            None => {
                return Err(illegal(format!(
                    "No matching path '{}' found in the schema",
                    edit.path
                )))
            }
        };
        edit_tags(&mut root, &at, edit)?;
    }
    Ok(root.to_json_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(kind: EntityType, path: &str, add: &[&str]) -> TagEdit {
        TagEdit {
            entity_type: kind,
            path: path.into(),
            add: add.iter().map(|s| s.to_string()).collect(),
            remove: Vec::new(),
        }
    }

    #[test]
    fn paths_walk_properties_definitions_arrays_and_dotted_names() {
        let doc = r#"{"type":"object","properties":{"a.b":{"type":"array","items":{"type":"object","properties":{"c":{"type":"string"}}}}},"definitions":{"T":{"type":"object","properties":{"x":{"type":"integer"}}}}}"#;
        let out = modify(
            doc,
            &[edit(EntityType::Field, "object.a.b.array.object.c", &["P"])],
        )
        .expect("found");
        assert!(
            out.contains(r#""c":{"type":"string","confluent:tags":["P"]}"#),
            "{out}"
        );
        let out = modify(
            doc,
            &[edit(
                EntityType::Field,
                "object.definitions.T.object.x",
                &["Q"],
            )],
        )
        .expect("found");
        assert!(
            out.contains(r#""x":{"type":"integer","confluent:tags":["Q"]}"#),
            "{out}"
        );
        let out = modify(doc, &[edit(EntityType::Record, "object", &["R"])]).expect("root");
        assert!(out.ends_with(r#","confluent:tags":["R"]}"#), "{out}");
        assert_eq!(
            modify(doc, &[edit(EntityType::Field, "a", &["X"])]),
            Err(
                "java.lang.IllegalArgumentException: No matching path 'a' found in the schema"
                    .into()
            )
        );
    }
}

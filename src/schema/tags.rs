//! What the JSON-document formats (Avro, JSON Schema) share when they edit schema tags:
//! Java's path splitting, Jackson's `asText`, and the `confluent:tags` array of one node
//! changed as Confluent's `modifySchemaTags` does (existing tags in order, then the added
//! ones, duplicates dropped, removed ones taken out; an empty list removes the property; a
//! new property goes last).

use super::TagEdit;
use crate::json::{write_json, Json};

pub(crate) const TAGS: &str = "confluent:tags";

/// Confluent wraps the Java exception in its `InvalidSchemaException`: this is its text.
pub(crate) fn illegal(msg: impl std::fmt::Display) -> String {
    format!("java.lang.IllegalArgumentException: {msg}")
}

/// Java's `String.split("\\.")` (trailing empty parts dropped).
pub(crate) fn java_split(path: &str) -> Vec<&str> {
    if !path.contains('.') {
        return vec![path];
    }
    let mut parts: Vec<&str> = path.split('.').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// Jackson's `asText()` of a node (text as is, numbers and booleans spelled, else "").
pub(crate) fn as_text(v: Option<&Json>) -> String {
    let mut out = String::new();
    match v {
        Some(Json::Str(s)) => out.push_str(s),
        Some(
            n @ (Json::Int(_)
            | Json::Long(_)
            | Json::BigInt(_)
            | Json::Double(_)
            | Json::Decimal(_)),
        ) => write_json(&mut out, n),
        Some(Json::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        _ => {}
    }
    out
}

/// The entry `key` of an object node, with its position (Jackson's `get` on an `ObjectNode`).
pub(crate) fn child<'a>(node: &'a Json, key: &str) -> Option<(usize, &'a Json)> {
    match node {
        Json::Obj(m) => m.iter().position(|(k, _)| k == key).map(|i| (i, &m[i].1)),
        _ => None,
    }
}

/// Positions (in objects' entry lists and in arrays) from the root to a node.
pub(crate) type NodePath = Vec<usize>;

pub(crate) fn extend(at: &NodePath, i: usize) -> NodePath {
    let mut p = at.clone();
    p.push(i);
    p
}

fn node_at<'a>(root: &'a mut Json, path: &[usize]) -> Option<&'a mut Json> {
    let mut node = root;
    for &i in path {
        node = match node {
            Json::Obj(m) => &mut m.get_mut(i)?.1,
            Json::Arr(a) => a.get_mut(i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Applies one edit to the `confluent:tags` of the object at `at`.
pub(crate) fn edit_tags(root: &mut Json, at: &[usize], edit: &TagEdit) -> Result<(), String> {
    let Some(Json::Obj(m)) = node_at(root, at) else {
        return Err(illegal(format!(
            "No matching path '{}' found in the schema",
            edit.path
        )));
    };
    let mut tags: Vec<String> = Vec::new();
    if let Some((_, Json::Arr(items))) = m.iter().find(|(k, _)| k == TAGS) {
        for t in items {
            let t = as_text(Some(t));
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
    }
    for t in &edit.add {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    tags.retain(|t| !edit.remove.contains(t));
    let at = m.iter().position(|(k, _)| k == TAGS);
    match (at, tags.is_empty()) {
        (Some(_), true) => m.retain(|(k, _)| k != TAGS),
        (None, true) => {}
        (Some(i), false) => m[i].1 = Json::Arr(tags.into_iter().map(Json::Str).collect()),
        (None, false) => m.push((
            TAGS.to_string(),
            Json::Arr(tags.into_iter().map(Json::Str).collect()),
        )),
    }
    Ok(())
}

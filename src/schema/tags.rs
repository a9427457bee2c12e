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

/// Java's `toString()` of the object a JSON value becomes in Avro's `getObjectProp` or in
/// everit's unprocessed properties: text as is, numbers and booleans spelled, `null`, lists as
/// `[a, b]` and maps as `{k=v}` (entries in document order).
pub(crate) fn java_to_string(v: &Json) -> String {
    match v {
        Json::Null => "null".to_string(),
        Json::Arr(items) => {
            let parts: Vec<String> = items.iter().map(java_to_string).collect();
            format!("[{}]", parts.join(", "))
        }
        Json::Obj(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, x)| format!("{k}={}", java_to_string(x)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Json::Float(_) => {
            let mut out = String::new();
            write_json(&mut out, v);
            out
        }
        other => as_text(Some(other)),
    }
}

/// The inline tags a `confluent:tags` value holds, as Confluent's `getInlineTags` reads them:
/// only a JSON array counts; each element's `toString()`, duplicates dropped.
pub(crate) fn inline_tags(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::Arr(items)) => super::distinct(items.iter().map(java_to_string)),
        _ => Vec::new(),
    }
}

/// `String.hashCode()`.
pub(crate) fn java_hash(s: &str) -> u32 {
    s.encode_utf16()
        .fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(u32::from(c)))
}

/// Java `HashMap.tableSizeFor`: the power of two at or above `n` (1 for 0).
fn table_size_for(n: usize) -> usize {
    n.max(1).next_power_of_two()
}

/// Grows a table as `HashMap.resize` does while `n` entries exceed 3/4 of it.
fn grown(mut table: usize, n: usize) -> usize {
    while n > table * 3 / 4 {
        table *= 2;
    }
    table
}

/// The table of a `new HashMap<>()` after `n` puts.
pub(crate) fn table_default(n: usize) -> usize {
    grown(16, n)
}

/// The table of a `new HashMap<>(n)` after `n` puts.
pub(crate) fn table_sized(n: usize) -> usize {
    grown(table_size_for(n), n)
}

/// The table of a `new HashMap<>(map)` copy of `n` entries (Java 19 and later:
/// `tableSizeFor(ceil(n / 0.75))`).
pub(crate) fn table_copied(n: usize) -> usize {
    table_size_for((n * 4).div_ceil(3))
}

/// The iteration order of a Java `HashMap` with `table` buckets filled with `keys` in order:
/// by bucket (the spread `String.hashCode`), then by insertion within a bucket (resizes keep
/// it). Positions into `keys`. (Buckets of 8 and more keys turned into trees are not modelled.)
pub(crate) fn java_hash_order<S: AsRef<str>>(keys: &[S], table: usize) -> Vec<usize> {
    let mut idx: Vec<(usize, usize)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let h = java_hash(k.as_ref());
            (((h ^ (h >> 16)) as usize) & (table - 1), i)
        })
        .collect();
    idx.sort_unstable();
    idx.into_iter().map(|(_, i)| i).collect()
}

/// What the formats' tag tests compare: tagged entities as (type, path, tags) triples.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::schema::{EntityType, TaggedEntity};

    pub(crate) type Ent = (EntityType, String, Vec<String>);

    /// The entities as triples, in their order.
    pub(crate) fn flat(entities: Vec<TaggedEntity>) -> Vec<Ent> {
        entities
            .into_iter()
            .map(|e| (e.entity_type, e.path, e.tags))
            .collect()
    }

    /// One expected triple.
    pub(crate) fn ent(kind: EntityType, path: &str, tags: &[&str]) -> Ent {
        (
            kind,
            path.to_string(),
            tags.iter().map(|s| s.to_string()).collect(),
        )
    }
}

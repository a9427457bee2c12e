//! Schema tags on an Avro schema, as Confluent 7.9/8.3 edits them
//! (`AvroSchema.copy(tagsToAdd, tagsToRemove)`, `AvroSchemaUtils.findMatchingEntity`): the
//! stored text is read as a JSON tree, each named record or field gets its
//! `confluent:tags` array changed in place (an emptied one is removed), and the tree is
//! written back compactly; the registry then parses it like any new schema.
//!
//! How an element is found (a breadth-first walk from the root):
//! - the path splits at dots as Java's `String.split` does (trailing empty parts dropped);
//!   a record path ends with the record's name, a field path with the record's and the
//!   field's; what comes before is the namespace, matched against the ROOT's namespace only
//!   (Confluent never updates it while walking), and an empty namespace matches any;
//! - a record that matches answers itself (`sr_record`) or its field of that name
//!   (`sr_field`; none: the walk goes on elsewhere, not into its fields); a record that does
//!   not match is walked through its fields; arrays through `items`, maps through `values`,
//!   unions (JSON arrays) through their branches, anything else through its `type`.
//! - Nothing found: "No matching path '…' found in the schema"; a field path with fewer than
//!   two parts fails as Java's `Arrays.copyOfRange` does ("0 > -1").

use super::super::tags::{as_text, child, edit_tags, extend, illegal, java_split, NodePath};
use super::super::{EntityType, TagEdit};
use crate::json::{write_json, Json, JsonReader};
use std::collections::VecDeque;

fn find(root: &Json, kind: EntityType, path: &str) -> Result<NodePath, String> {
    let ids = java_split(path);
    let keep = match kind {
        EntityType::Record => ids.len() as i64 - 1,
        EntityType::Field => ids.len() as i64 - 2,
    };
    if keep < 0 {
        return Err(illegal(format!("0 > {keep}")));
    }
    let keep = keep as usize;
    let namespace = ids[..keep].join(".");
    let record_name = ids[keep];
    let field_name = ids.get(keep + 1).copied();
    let root_ns = child(root, "namespace").map(|(_, v)| as_text(Some(v)));
    let ns_ok = namespace.is_empty() || root_ns.as_deref() == Some(namespace.as_str());
    let mut queue: VecDeque<(NodePath, &Json)> = VecDeque::from([(Vec::new(), root)]);
    while let Some((at, node)) = queue.pop_front() {
        let Some((ti, ty)) = child(node, "type") else {
            // A union, or an object without a type: its elements (values).
            match node {
                Json::Arr(items) => {
                    for (i, x) in items.iter().enumerate() {
                        queue.push_back((extend(&at, i), x));
                    }
                }
                Json::Obj(m) => {
                    for (i, (_, x)) in m.iter().enumerate() {
                        queue.push_back((extend(&at, i), x));
                    }
                }
                _ => {}
            }
            continue;
        };
        match as_text(Some(ty)).as_str() {
            "record" => {
                let name = as_text(child(node, "name").map(|(_, v)| v));
                let fields = child(node, "fields");
                if ns_ok && name == record_name {
                    match (kind, field_name) {
                        (EntityType::Record, _) => return Ok(at),
                        (EntityType::Field, Some(f)) => {
                            if let Some((fi, Json::Arr(items))) = fields {
                                for (i, x) in items.iter().enumerate() {
                                    if as_text(child(x, "name").map(|(_, v)| v)) == f {
                                        let mut p = extend(&at, fi);
                                        p.push(i);
                                        return Ok(p);
                                    }
                                }
                            }
                        }
                        (EntityType::Field, None) => {}
                    }
                } else if let Some((fi, Json::Arr(items))) = fields {
                    for (i, x) in items.iter().enumerate() {
                        let mut p = extend(&at, fi);
                        p.push(i);
                        queue.push_back((p, x));
                    }
                }
            }
            "array" => {
                if let Some((i, x)) = child(node, "items") {
                    queue.push_back((extend(&at, i), x));
                }
            }
            "map" => {
                if let Some((i, x)) = child(node, "values") {
                    queue.push_back((extend(&at, i), x));
                }
            }
            _ => queue.push_back((extend(&at, ti), ty)),
        }
    }
    Err(illegal(format!(
        "No matching path '{path}' found in the schema"
    )))
}

/// The schema text with `edits` applied, written compactly.
pub(super) fn modify(schema: &str, edits: &[TagEdit]) -> Result<String, String> {
    let mut root = JsonReader::new(schema)
        .root()
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "empty schema".to_string())?;
    for edit in edits {
        let at = find(&root, edit.entity_type, &edit.path)?;
        edit_tags(&mut root, &at, edit)?;
    }
    let mut out = String::new();
    write_json(&mut out, &root);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(kind: EntityType, path: &str, add: &[&str], remove: &[&str]) -> TagEdit {
        TagEdit {
            entity_type: kind,
            path: path.into(),
            add: add.iter().map(|s| s.to_string()).collect(),
            remove: remove.iter().map(|s| s.to_string()).collect(),
        }
    }

    const NESTED: &str = r#"{"type":"record","name":"A","namespace":"n","fields":[{"name":"b","type":{"type":"array","items":{"type":"record","name":"B","fields":[{"name":"c","type":["null",{"type":"map","values":{"type":"record","name":"C","fields":[{"name":"d","type":"int"}]}}]}]}}}]}"#;

    #[test]
    fn nested_records_are_found_through_arrays_maps_and_unions() {
        let out = modify(
            NESTED,
            &[
                edit(EntityType::Field, "C.d", &["PII"], &[]),
                edit(EntityType::Record, "n.B", &["R"], &[]),
            ],
        )
        .expect("modified");
        assert!(
            out.contains(r#"{"name":"d","type":"int","confluent:tags":["PII"]}"#),
            "{out}"
        );
        assert!(out.contains(r#""name":"B","fields":[{"name":"c""#), "{out}");
        let b = out.find(r#""name":"B""#).expect("B");
        assert!(out[b..].contains(r#""confluent:tags":["R"]"#), "{out}");
    }

    #[test]
    fn paths_fail_as_confluents_do() {
        // Only the root's namespace counts: B is not in "m".
        let e = modify(NESTED, &[edit(EntityType::Record, "m.B", &["R"], &[])]);
        assert_eq!(
            e,
            Err(
                "java.lang.IllegalArgumentException: No matching path 'm.B' found in the schema"
                    .into()
            )
        );
        let e = modify(NESTED, &[edit(EntityType::Field, "A", &["R"], &[])]);
        assert_eq!(e, Err("java.lang.IllegalArgumentException: 0 > -1".into()));
        // A leading dot: an empty namespace, which matches any.
        assert!(modify(NESTED, &[edit(EntityType::Field, ".A.b", &["T"], &[])]).is_ok());
    }

    #[test]
    fn removing_the_last_tag_removes_the_property() {
        let s = r#"{"type":"record","name":"U","fields":[{"name":"a","type":"int","confluent:tags":["X","Y"]}]}"#;
        let out = modify(s, &[edit(EntityType::Field, "U.a", &["Z"], &["X"])]).expect("ok");
        assert!(out.contains(r#""confluent:tags":["Y","Z"]"#), "{out}");
        let out = modify(s, &[edit(EntityType::Field, "U.a", &[], &["X", "Y"])]).expect("ok");
        assert!(!out.contains("confluent:tags"), "{out}");
    }
}

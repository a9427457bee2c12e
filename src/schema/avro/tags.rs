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

use super::super::tags::{
    as_text, child, edit_tags, extend, illegal, inline_tags, java_split, NodePath, TAGS,
};
use super::super::{EntityType, TagEdit, TaggedEntities, TaggedEntity};
use super::model::{Kind, Node};
use super::{AvroSchema, MAX_PRINT_DEPTH};
use crate::json::{write_json, Json, JsonReader};
use std::collections::{HashSet, VecDeque};

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

/// Confluent's `AvroSchema.inlineTaggedEntities` (8.3.1, `getInlineTaggedEntitiesRecursively`):
/// from the root of the parsed schema (whose named types may come from its references), unions
/// through their branches, arrays through their items, maps through their values, and records
/// once each by full name: the record's own tags (`sr_record`, path its full name), then for
/// each field in order its tags (`sr_field`, `fullName.field`) followed by the walk of its
/// type. Enums, fixeds and primitives carry none. Tags: the `confluent:tags` array of the
/// record or field (anything else counts as none), each element's `toString()`, once.
pub(super) fn tagged_entities(schema: &AvroSchema) -> Vec<TaggedEntity> {
    let mut out = TaggedEntities::default();
    let mut visited: HashSet<String> = HashSet::new();
    walk(schema.nodes(), schema.root(), &mut visited, &mut out, 0);
    out.into_vec()
}

fn walk(
    nodes: &[Node],
    id: usize,
    visited: &mut HashSet<String>,
    out: &mut TaggedEntities,
    depth: usize,
) {
    let Some(node) = nodes.get(id) else { return };
    // Named types are visited once and anonymous ones nest no deeper than the parse allowed.
    if depth > MAX_PRINT_DEPTH {
        return;
    }
    match node.kind {
        Kind::Union | Kind::Array | Kind::Map => {
            for &c in &node.children {
                walk(nodes, c, visited, out, depth + 1);
            }
        }
        Kind::Record => {
            let full = node.full_name().to_string();
            if !visited.insert(full.clone()) {
                return;
            }
            out.put(EntityType::Record, full.clone(), prop_tags(&node.props));
            for f in node.fields.iter().flatten() {
                out.put(
                    EntityType::Field,
                    format!("{full}.{}", f.name),
                    prop_tags(&f.props),
                );
                walk(nodes, f.ty, visited, out, depth + 1);
            }
        }
        _ => {}
    }
}

fn prop_tags(props: &[(String, Json)]) -> Vec<String> {
    inline_tags(props.iter().find(|(k, _)| k == TAGS).map(|(_, v)| v))
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

    use crate::schema::tags::test_support::{ent, flat, Ent};

    // `AvroSchema.inlineTaggedEntities` / `getInlineTaggedEntitiesRecursively` (8.3.1).
    fn entities(schema: &str, refs: &[&str]) -> Vec<Ent> {
        let model = super::super::parse_model(schema, refs).expect("parses");
        flat(tagged_entities(&model))
    }

    #[test]
    fn records_then_each_field_then_its_type_by_full_name() {
        let s = r#"{"type":"record","name":"A","namespace":"n","confluent:tags":["R","R","S"],
            "fields":[
              {"name":"x","type":"int","confluent:tags":["PII"]},
              {"name":"b","confluent:tags":["OUTER"],"type":{"type":"array","items":{"type":"record","name":"B","confluent:tags":["BR"],
                 "fields":[{"name":"c","type":["null",{"type":"map","values":{"type":"record","name":"C","namespace":"m",
                   "fields":[{"name":"d","type":"int","confluent:tags":["D"]}]}}]}]}}},
              {"name":"again","type":"B","confluent:tags":[]},
              {"name":"e","type":{"type":"enum","name":"E","symbols":["X"],"confluent:tags":["ENUM"]}},
              {"name":"y","type":"string","confluent:tags":[1,true]}
            ]}"#;
        assert_eq!(
            entities(s, &[]),
            vec![
                ent(EntityType::Record, "n.A", &["R", "S"]),
                ent(EntityType::Field, "n.A.x", &["PII"]),
                ent(EntityType::Field, "n.A.b", &["OUTER"]),
                ent(EntityType::Record, "n.B", &["BR"]),
                ent(EntityType::Field, "m.C.d", &["D"]),
                ent(EntityType::Field, "n.A.y", &["1", "true"]),
            ]
        );
    }

    #[test]
    fn untagged_schemas_and_non_array_tags_give_nothing() {
        let s = r#"{"type":"record","name":"U","confluent:tags":"PII","fields":[{"name":"a","type":"int"}]}"#;
        assert_eq!(entities(s, &[]), vec![]);
        assert_eq!(entities(r#""string""#, &[]), vec![]);
    }

    #[test]
    fn referenced_records_are_walked_where_used() {
        let r = r#"{"type":"record","name":"Addr","namespace":"x","fields":[{"name":"zip","type":"string","confluent:tags":["PII"]}]}"#;
        let s = r#"{"type":"record","name":"User","fields":[{"name":"home","type":"x.Addr"},{"name":"work","type":"x.Addr"}]}"#;
        assert_eq!(
            entities(s, &[r]),
            vec![ent(EntityType::Field, "x.Addr.zip", &["PII"])]
        );
        // A union at the root walks its branches.
        let u = r#"["null",{"type":"record","name":"V","fields":[{"name":"v","type":"int","confluent:tags":["T"]}]}]"#;
        assert_eq!(
            entities(u, &[]),
            vec![ent(EntityType::Field, "V.v", &["T"])]
        );
    }
}

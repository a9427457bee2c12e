//! The inline tags of a JSON Schema, as Confluent 8.3.1 lists them
//! (`JsonSchema.inlineTaggedEntities`, its two `getInlineTaggedEntitiesRecursively`): a walk of
//! the schema as the everit library loads it (`model`), not of the raw document:
//!
//! - a combined schema (`allOf`/`anyOf`/`oneOf`, a `type` list, or the synthetic `allOf`
//!   everit makes of a node that yields several schemas, e.g. `type` plus `oneOf`) walks its
//!   branches sorted by Confluent's `JsonSchemaComparator`, at `<scope>allof.<i>.` (`anyof`,
//!   `oneof`);
//! - an array walks its single `items` schema at `<scope>array.`;
//! - an object is `<scope>object` (each such path once): its own `confluent:tags`
//!   (`sr_record`) unless it is a property's schema itself, then per property (in the order of
//!   the Java `HashMap`s the properties pass through) the property's tags (`sr_field`,
//!   `<scope>object.<name>`) and the walk of the property at `<scope>object.<name>.`, then its
//!   `definitions` (each re-read as a schema of its own, its `$ref`s pointing at itself, at
//!   `…object.definitions.<name>.`) and, for 2019-09 / 2020-12 documents, its `$defs`;
//! - `if`/`then`/`else` at `<scope>conditional.if.` (…), `not` at `<scope>not.`;
//! - a `$ref`, and anything else, is not walked.
//!
//! Tags live in a schema's unprocessed properties, which everit gives only to the schema it
//! returns for a node (not to the parts of a synthetic `allOf` or of a `type` list): only a
//! JSON array counts, each element's `toString()`, once.
//!
//! `tags` (the editing of tags) takes these paths back through the same model.

use super::super::tags::{inline_tags, java_hash_order, table_default, TAGS};
use super::super::{EntityType, TaggedEntities, TaggedEntity};
use super::model::{
    loaded_order, node_of, properties, reread, shape, sort_branches, Doc, Shape, View,
};
use crate::json::Json;
use std::collections::HashSet;

/// Walks deeper than this (only reachable through absurdly nested documents) stop.
const MAX_WALK_DEPTH: usize = 512;

struct Walk<'o> {
    visited: HashSet<String>,
    out: &'o mut TaggedEntities,
}

impl Walk<'_> {
    /// `getInlineTaggedEntitiesRecursively(tags, schema, scope, inField, visited)`.
    fn schema(&mut self, doc: &Doc, v: View, scope: &str, in_field: bool, depth: usize) {
        if depth > MAX_WALK_DEPTH {
            return;
        }
        match shape(doc, v) {
            Shape::Combined(crit, mut subs) => {
                let scoped = format!("{scope}{}", crit.word());
                sort_branches(doc, &mut subs);
                for (i, s) in subs.into_iter().enumerate() {
                    self.schema(doc, s, &format!("{scoped}.{i}."), false, depth + 1);
                }
            }
            Shape::Array(Some(items)) => {
                self.schema(doc, items, &format!("{scope}array."), false, depth + 1);
            }
            Shape::Object(node) => {
                let scoped = format!("{scope}object");
                if !self.visited.insert(scoped.clone()) {
                    return;
                }
                let own = v.part.is_none();
                if !in_field && own {
                    self.out.put(
                        EntityType::Record,
                        scoped.clone(),
                        inline_tags(node.get(TAGS)),
                    );
                }
                for (name, prop) in properties(doc, node) {
                    let scoped_prop = format!("{scoped}.{name}");
                    self.out.put(
                        EntityType::Field,
                        scoped_prop.clone(),
                        inline_tags(prop.get(TAGS)),
                    );
                    let child = View::whole(prop);
                    self.schema(doc, child, &format!("{scoped_prop}."), true, depth + 1);
                }
                if own {
                    self.definitions(doc, node, &format!("{scoped}."), depth);
                }
            }
            Shape::Conditional(branches) => {
                for (word, b) in ["if", "then", "else"].into_iter().zip(branches) {
                    if let Some(b) = b {
                        let s = format!("{scope}conditional.{word}.");
                        self.schema(doc, b, &s, false, depth + 1);
                    }
                }
            }
            Shape::Not(n) => self.schema(doc, n, &format!("{scope}not."), false, depth + 1),
            _ => {}
        }
    }

    /// `getInlineTaggedEntitiesRecursively(tags, unprocessedProperties, scope, visited)`.
    fn definitions(&mut self, doc: &Doc, node: &Json, scope: &str, depth: usize) {
        if let Some(Json::Obj(defs)) = node.get("definitions") {
            for name in loaded_order(defs) {
                let Some(def @ Json::Obj(_)) = node_of(defs, name) else {
                    continue;
                };
                let copy = reread(def);
                let sub = Doc::new(&copy);
                let s = format!("{scope}definitions.{name}.");
                self.schema(&sub, View::whole(&copy), &s, false, depth + 1);
            }
        }
        if !doc.modern {
            // everit leaves `$defs` a plain map, which Confluent skips.
            return;
        }
        // json-sKema's `$defs` (at the root with the `definitions` entries Confluent's
        // `mergeDefBuckets` copies in), put into the translator's `HashMap`.
        let mut names: Vec<&str> = Vec::new();
        let mut entries: Vec<&Json> = Vec::new();
        if let Some(Json::Obj(defs)) = node.get("$defs") {
            for (k, v) in defs {
                names.push(k);
                entries.push(v);
            }
        }
        if std::ptr::eq(node, doc.root) {
            if let Some(Json::Obj(defs)) = node.get("definitions") {
                for (k, v) in defs {
                    if !names.contains(&k.as_str()) {
                        names.push(k);
                        entries.push(v);
                    }
                }
            }
        }
        for i in java_hash_order(&names, table_default(names.len())) {
            let s = format!("{scope}$defs.{}.", names[i]);
            self.schema(doc, View::whole(entries[i]), &s, false, depth + 1);
        }
    }
}

/// The tagged entities of a JSON Schema document, in Confluent's order.
pub(super) fn tagged_entities(root: &Json) -> Vec<TaggedEntity> {
    let mut out = TaggedEntities::default();
    let doc = Doc::new(root);
    let mut walk = Walk {
        visited: HashSet::new(),
        out: &mut out,
    };
    walk.schema(&doc, View::whole(root), "", false, 0);
    out.into_vec()
}

#[cfg(test)]
mod tests {
    //! Following `JsonSchema.inlineTaggedEntities` and its two
    //! `getInlineTaggedEntitiesRecursively` (Confluent 8.3.1), with everit's loader and
    //! `JsonSchemaComparator` for the branch order.
    use super::*;
    use crate::json::JsonReader;
    use crate::schema::tags::test_support::{ent, flat, Ent};

    fn entities(doc: &str) -> Vec<Ent> {
        let root = JsonReader::for_json_schema(doc)
            .root()
            .expect("json")
            .expect("a value");
        flat(tagged_entities(&root))
    }

    #[test]
    fn record_then_properties_in_hash_map_order_with_nested_objects() {
        // Properties come out of Java `HashMap`s: by bucket of the spread `String.hashCode`
        // (zip 0, name 8, list 9, age 14, email 14), then in document order.
        let doc = r#"{"type":"object","confluent:tags":["REC"],"properties":{
            "name":{"type":"string","confluent:tags":["PII"]},
            "age":{"type":"integer"},
            "email":{"type":"string","confluent:tags":["PII","EMAIL","PII"]},
            "zip":{"type":"object","confluent:tags":["Z"],"properties":{"code":{"type":"string","confluent:tags":["C"]}}},
            "list":{"type":"array","items":{"type":"object","confluent:tags":["ITEM"],"properties":{"v":{"confluent:tags":["V"]}}}}
        }}"#;
        assert_eq!(
            entities(doc),
            vec![
                ent(EntityType::Record, "object", &["REC"]),
                // A property's own object schema is the field: no record entity for it.
                ent(EntityType::Field, "object.zip", &["Z"]),
                ent(EntityType::Field, "object.zip.object.code", &["C"]),
                ent(EntityType::Field, "object.name", &["PII"]),
                ent(EntityType::Record, "object.list.array.object", &["ITEM"]),
                ent(EntityType::Field, "object.list.array.object.v", &["V"]),
                ent(EntityType::Field, "object.email", &["PII", "EMAIL"]),
            ]
        );
    }

    #[test]
    fn branches_are_sorted_by_confluents_comparator() {
        let doc = r#"{"type":"object","properties":{
            "p":{"confluent:tags":["P"],"oneOf":[{"type":"string"},{"type":"object","properties":{"x":{"type":"string","confluent:tags":["X"]}}}]},
            "q":{"type":["null","object"],"properties":{"y":{"type":"string","confluent:tags":["Y"]}}},
            "r":{"anyOf":[
                {"type":"object","properties":{"a":{"confluent:tags":["A"]},"b":{}}},
                {"type":"object","properties":{"c":{"confluent:tags":["C"]}}}]}
        }}"#;
        assert_eq!(
            entities(doc),
            vec![
                ent(EntityType::Field, "object.p", &["P"]),
                // OBJECT sorts before STRING.
                ent(EntityType::Field, "object.p.oneof.0.object.x", &["X"]),
                // A `type` list is an anyOf; NULL sorts before OBJECT.
                ent(EntityType::Field, "object.q.anyof.1.object.y", &["Y"]),
                // Objects: fewer properties first.
                ent(EntityType::Field, "object.r.anyof.0.object.c", &["C"]),
                ent(EntityType::Field, "object.r.anyof.1.object.a", &["A"]),
            ]
        );
    }

    #[test]
    fn definitions_are_walked_and_refs_are_not() {
        let doc = r##"{"type":"object",
            "properties":{"t":{"$ref":"#/definitions/T","confluent:tags":["REF"]}},
            "definitions":{"T":{"type":"object","confluent:tags":["TREC"],"properties":{
                "x":{"type":"integer","confluent:tags":["TX"]},"self":{"$ref":"#/definitions/T"}}}}}"##;
        assert_eq!(
            entities(doc),
            vec![
                ent(EntityType::Field, "object.t", &["REF"]),
                ent(EntityType::Record, "object.definitions.T.object", &["TREC"]),
                ent(EntityType::Field, "object.definitions.T.object.x", &["TX"]),
            ]
        );
        // A root `$ref` is not walked at all, nor its definitions.
        let doc = r##"{"$ref":"#/definitions/T","definitions":{"T":{"type":"object","properties":{"x":{"confluent:tags":["TX"]}}}}}"##;
        assert_eq!(entities(doc), vec![]);
    }

    #[test]
    fn a_node_with_several_schemas_is_a_synthetic_all_of() {
        // everit: allOf + not + type object → allOf [allOf, not, object] (COMBINED, NOT, OBJECT
        // once sorted); the node's own tags sit on the synthetic allOf, which has no entity.
        let doc = r#"{"type":"object","confluent:tags":["LOST"],
            "properties":{"a":{"type":"string","confluent:tags":["A"]}},
            "allOf":[{"if":{"properties":{"k":{"const":"v"}}},"then":{"properties":{"w":{"confluent:tags":["W"]}}}}],
            "not":{"type":"object","properties":{"n":{"confluent:tags":["N"]}}}}"#;
        assert_eq!(
            entities(doc),
            vec![
                ent(
                    EntityType::Field,
                    "allof.0.allof.0.conditional.then.object.w",
                    &["W"]
                ),
                ent(EntityType::Field, "allof.1.not.object.n", &["N"]),
                ent(EntityType::Field, "allof.2.object.a", &["A"]),
            ]
        );
    }

    #[test]
    fn defs_count_only_in_modern_drafts() {
        let defs = r##""properties":{"u":{"$ref":"#/$defs/U"}},"$defs":{"U":{"type":"object","properties":{"id":{"type":"string","confluent:tags":["ID"]}}}}}"##;
        let modern = format!(
            r#"{{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",{defs}"#
        );
        assert_eq!(
            entities(&modern),
            vec![ent(EntityType::Field, "object.$defs.U.object.id", &["ID"])]
        );
        let draft7 = format!(r#"{{"type":"object",{defs}"#);
        assert_eq!(entities(&draft7), vec![]);
    }

    #[test]
    fn untagged_documents_give_nothing() {
        assert_eq!(
            entities(
                r#"{"type":"object","properties":{"a":{"type":"string","confluent:tags":"PII"}}}"#
            ),
            vec![]
        );
        assert_eq!(entities("true"), vec![]);
        assert_eq!(entities(r#"{"type":"string"}"#), vec![]);
    }

    #[test]
    fn java_hash_map_order_matches_known_tables() {
        // A default `HashSet` of the three keywords: buckets 1, 9 and 2 of 16.
        let keys = ["allOf", "anyOf", "oneOf"];
        let order = java_hash_order(&keys, table_default(3));
        assert_eq!(order, vec![0, 2, 1]);
    }

    #[test]
    fn cyclic_refs_in_branches_terminate() {
        let doc = r##"{"definitions":{"A":{"anyOf":[{"$ref":"#/definitions/B"},{"type":"null"}]},"B":{"anyOf":[{"$ref":"#/definitions/A"},{"type":"null"}]}},
            "type":"object","properties":{"v":{"oneOf":[{"$ref":"#/definitions/A"},{"$ref":"#/definitions/B"},{"type":"object","properties":{"z":{"confluent:tags":["Z"]}}}]}}}"##;
        assert_eq!(
            entities(doc),
            vec![ent(EntityType::Field, "object.v.oneof.0.object.z", &["Z"])]
        );
    }
}

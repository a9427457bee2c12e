//! Schema tags on a JSON Schema, as Confluent 8.3.1 edits them (`JsonSchema.copy(tagsToAdd,
//! tagsToRemove)`, `modifySchemaTags`, `JsonSchemaUtils.findMatchingEntity`): the document is
//! read, the node a path names gets its `confluent:tags` changed, and it is written back
//! compactly.
//!
//! A path is a walk of type words and names, as `entities` writes them (`object.a`,
//! `object.a.object.b`, `object.definitions.T.…`, `array.…`, `anyof.0.…`,
//! `conditional.then.…`). Confluent's `findNodeHelper` takes it through the raw document:
//! - `object` ends a record path, or steps into `properties` (`definitions` / `$defs` when
//!   named so) by a name that may itself contain dots (words joined until the container has
//!   the name, `findNodeFromNameBuilder`); `array` steps into `items`, `not` into `not`;
//! - `anyof` / `allof` / `oneof` take the node's own keyword, its branches sorted by the
//!   schema comparator (`findSubSchemasFromIndex`), at the index after the word; without the
//!   keyword, `anyof` and `allof` skip the index and stay on the node (a `type` list, the
//!   synthetic `allOf` of several keyword groups), `allof.<i>.conditional.<key>` then steps
//!   into `<key>`.
//!
//! Those words name schemas of the everit model, so the walk here holds both: the raw node it
//! edits and the schema of the model (`model`) it stands for. A combined word takes the
//! branches of that schema when it is a combined schema of the word's kind — sorted exactly as
//! `entities` sorts them, a synthetic `allOf` and a `type` list being lists of parts of the
//! same node — and otherwise Confluent's raw rule above. `object`, `array`, `not` and
//! `conditional` read the raw node, which every part of a node shares. Every path `entities`
//! lists thus names the node its tags came from. Where this differs from Confluent's raw walk
//! (which cannot reach every path its own `inlineTaggedEntities` lists):
//! - `allof.<i>` on a node with its own `allOf` beside other keyword groups is the i-th schema
//!   of everit's synthetic `allOf` (Confluent indexes the node's `allOf` branches);
//! - `conditional.<key>` is accepted anywhere (Confluent: only after `allof.<i>`);
//! - `$defs.<name>` at the root of a 2019-09 / 2020-12 document finds a `definitions` entry
//!   too (as `inlineTaggedEntities` lists it, after Confluent's `mergeDefBuckets`);
//! - branches are compared in their document (Confluent's `JsonNodeComparator` reloads each
//!   one alone with everit's defaults: draft 4 unless it has a `$schema`, no `default`s, its
//!   `#` references unresolvable, a boolean branch not read as a `JSONObject`).

use super::super::tags::{child, edit_tags, illegal, java_split, NodePath};
use super::super::{EntityType, TagEdit};
use super::model::{reread, sort_branches, sorted_branches, Doc, View};
use crate::json::{Json, JsonReader};
use std::collections::VecDeque;

/// One step from a node to one it holds: an object's entry, an array's element.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// `findNodeFromNameBuilder` on the first of `containers` present: the entry named by the
/// next words, joined with dots until a container has the name (or the words run out).
/// `containers` beyond the first are searched too (a merged map), the first holding the name
/// winning. The container's key, the name and the entry.
fn by_name<'a>(
    containers: &[(&'static str, Option<&'a Json>)],
    ids: &mut VecDeque<String>,
) -> Option<(&'static str, String, &'a Json)> {
    if ids.is_empty() || containers.iter().all(|(_, c)| c.is_none()) {
        return None;
    }
    let lookup = |name: &str| {
        containers
            .iter()
            .find_map(|(key, c)| c.and_then(|c| child(c, name)).map(|(_, x)| (*key, x)))
    };
    let mut name = ids.pop_front()?;
    while lookup(&name).is_none() && !ids.is_empty() {
        name.push('.');
        name.push_str(&ids.pop_front()?);
    }
    lookup(&name).map(|(key, x)| (key, name, x))
}

/// Java's `Integer.parseInt` of an index word, as `findSubSchemasFromIndex` reads it.
fn parse_index(index: &str) -> Result<i32, String> {
    index
        .parse::<i32>()
        .map_err(|_| format!("java.lang.NumberFormatException: For input string: \"{index}\""))
}

/// One path being followed (`findNodeHelper`): the words left, and the steps from the root
/// to the node reached.
struct Finder {
    kind: EntityType,
    ids: VecDeque<String>,
    steps: Vec<Step>,
}

impl Finder {
    /// The schema under `key` of the node.
    fn enter<'a>(&mut self, node: &'a Json, key: &str) -> Option<View<'a>> {
        let (_, x) = child(node, key)?;
        self.steps.push(Step::Key(key.to_string()));
        Some(View::whole(x))
    }

    /// The branch `branch` of `node`'s keyword `keyword` (an element of that array).
    fn enter_branch<'a>(
        &mut self,
        node: &'a Json,
        keyword: &str,
        branch: View<'a>,
    ) -> Option<View<'a>> {
        let Some((_, Json::Arr(items))) = child(node, keyword) else {
            return None;
        };
        let i = items.iter().position(|x| std::ptr::eq(x, branch.node))?;
        self.steps.push(Step::Key(keyword.to_string()));
        self.steps.push(Step::Index(i));
        Some(branch)
    }

    /// Follows the words from `view` (of `doc`): whether they name a node (then `steps` lead
    /// to it).
    fn find(&mut self, doc: &Doc, mut view: View) -> Result<bool, String> {
        loop {
            let Some(word) = self.ids.pop_front() else {
                return Ok(false);
            };
            let node = view.node;
            let next = match word.as_str() {
                "object" => {
                    if self.kind == EntityType::Record && self.ids.is_empty() {
                        return Ok(true);
                    }
                    let found = match self.ids.front().map(String::as_str) {
                        None => return Ok(false),
                        Some("definitions") => {
                            self.ids.pop_front();
                            let containers = [("definitions", node.get("definitions"))];
                            let Some((key, name, def)) = by_name(&containers, &mut self.ids) else {
                                return Ok(false);
                            };
                            self.steps.push(Step::Key(key.to_string()));
                            self.steps.push(Step::Key(name));
                            if self.ids.is_empty() {
                                return Ok(true);
                            }
                            // `inlineTaggedEntities` walks a definition as a document of its own.
                            let copy = reread(def);
                            return self.find(&Doc::new(&copy), View::whole(&copy));
                        }
                        Some("$defs") => {
                            self.ids.pop_front();
                            let merged = doc.modern && std::ptr::eq(node, doc.root);
                            let containers = [
                                ("$defs", node.get("$defs")),
                                ("definitions", node.get("definitions").filter(|_| merged)),
                            ];
                            by_name(&containers, &mut self.ids)
                        }
                        Some(_) => {
                            by_name(&[("properties", node.get("properties"))], &mut self.ids)
                        }
                    };
                    let Some((key, name, x)) = found else {
                        return Ok(false);
                    };
                    self.steps.push(Step::Key(key.to_string()));
                    self.steps.push(Step::Key(name));
                    if self.ids.is_empty() {
                        return Ok(true);
                    }
                    Some(View::whole(x))
                }
                "array" => self.enter(node, "items"),
                "not" => self.enter(node, "not"),
                "conditional" => match self.ids.pop_front() {
                    Some(key) => self.enter(node, &key),
                    None => None,
                },
                "anyof" | "allof" | "oneof" => self.branch(doc, view, &word)?,
                _ => None,
            };
            match next {
                Some(v) => view = v,
                None => return Ok(false),
            }
        }
    }

    /// `anyof` / `allof` / `oneof` (`word`) and the index after it, from `view`.
    fn branch<'a>(
        &mut self,
        doc: &Doc,
        view: View<'a>,
        word: &str,
    ) -> Result<Option<View<'a>>, String> {
        let node = view.node;
        // The model's combined schema of that kind, its branches as `inlineTaggedEntities`
        // sorts them: parts of this node (a synthetic `allOf`, a `type` list) or its keyword's.
        if let Some((crit, subs)) = sorted_branches(doc, view) {
            let index = self.ids.front().and_then(|i| i.parse::<usize>().ok());
            if let (true, Some(&sub)) = (crit.word() == word, index.and_then(|i| subs.get(i))) {
                self.ids.pop_front();
                if std::ptr::eq(sub.node, node) {
                    return Ok(Some(sub));
                }
                return Ok(self.enter_branch(node, crit.keyword(), sub));
            }
        }
        // Confluent's rule on the raw node (`findNodeHelper`, `findSubSchemasFromIndex`).
        let keyword = match word {
            "anyof" => "anyOf",
            "allof" => "allOf",
            _ => "oneOf",
        };
        if let Some((_, Json::Arr(items))) = child(node, keyword) {
            let Some(index) = self.ids.pop_front() else {
                return Ok(None);
            };
            let mut branches: Vec<View> = items.iter().map(View::whole).collect();
            sort_branches(doc, &mut branches);
            let i = parse_index(&index)?;
            let Some(&b) = usize::try_from(i).ok().and_then(|i| branches.get(i)) else {
                return Err(format!(
                    "java.lang.IndexOutOfBoundsException: Index {i} out of bounds for length {}",
                    branches.len()
                ));
            };
            return Ok(self.enter_branch(node, keyword, b));
        }
        match keyword {
            // `node.get("oneOf").elements()` (a `NullPointerException` in Confluent): no match.
            "oneOf" => Ok(None),
            // `"type": ["null", "object"]`: the index word is skipped.
            "anyOf" => {
                self.ids.pop_front();
                Ok(Some(view))
            }
            // The synthetic `allOf` of a node, an if-then-else among its parts.
            _ => {
                self.ids.pop_front();
                if self.ids.front().map(String::as_str) == Some("conditional") {
                    self.ids.pop_front();
                    return Ok(match self.ids.pop_front() {
                        Some(key) => self.enter(node, &key),
                        None => None,
                    });
                }
                Ok(Some(view))
            }
        }
    }
}

/// The positions `steps` take from `root`.
fn positions(root: &Json, steps: &[Step]) -> Option<NodePath> {
    let mut at = NodePath::new();
    let mut node = root;
    for step in steps {
        let (i, x) = match step {
            Step::Key(k) => child(node, k)?,
            Step::Index(i) => match node {
                Json::Arr(items) => (*i, items.get(*i)?),
                _ => return None,
            },
        };
        at.push(i);
        node = x;
    }
    Some(at)
}

/// The positions of the node `edit` names in `root` (`findMatchingEntity`).
fn find_matching_entity(root: &Json, edit: &TagEdit) -> Result<NodePath, String> {
    let mut finder = Finder {
        kind: edit.entity_type,
        ids: java_split(&edit.path)
            .into_iter()
            .map(str::to_string)
            .collect(),
        steps: Vec::new(),
    };
    let found = finder.find(&Doc::new(root), View::whole(root))?;
    match found.then(|| positions(root, &finder.steps)).flatten() {
        Some(at) => Ok(at),
        None => Err(illegal(format!(
            "No matching path '{}' found in the schema",
            edit.path
        ))),
    }
}

/// The document with `edits` applied in turn (`modifySchemaTags`), written compactly.
pub(super) fn modify(schema: &str, edits: &[TagEdit]) -> Result<String, String> {
    let mut root = JsonReader::for_json_schema(schema)
        .root()
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "empty schema".to_string())?;
    for edit in edits {
        let at = find_matching_entity(&root, edit)?;
        edit_tags(&mut root, &at, edit)?;
    }
    Ok(root.to_json_string())
}

#[cfg(test)]
mod tests {
    //! `JsonSchema.modifySchemaTags` / `JsonSchemaUtils.findMatchingEntity`,
    //! `findNodeHelper`, `findSubSchemasFromIndex` (Confluent 8.3.1), with the branches of
    //! combined schemas taken as `JsonSchema.inlineTaggedEntities` sorts them
    //! (`JsonSchemaComparator`).
    use super::super::entities::tagged_entities;
    use super::*;

    fn read(doc: &str) -> Json {
        JsonReader::for_json_schema(doc)
            .root()
            .expect("json")
            .expect("a value")
    }

    /// `inlineTaggedEntities` of a document: (type, path, tags).
    fn entities(doc: &str) -> Vec<(EntityType, String, Vec<String>)> {
        tagged_entities(&read(doc))
            .into_iter()
            .map(|e| (e.entity_type, e.path, e.tags))
            .collect()
    }

    fn field(path: &str, tags: &[&str]) -> (EntityType, String, Vec<String>) {
        (
            EntityType::Field,
            path.to_string(),
            tags.iter().map(|s| s.to_string()).collect(),
        )
    }

    fn no_match(path: &str) -> Result<String, String> {
        Err(format!(
            "java.lang.IllegalArgumentException: No matching path '{path}' found in the schema"
        ))
    }

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

    #[test]
    fn any_of_and_one_of_branches_are_taken_in_comparator_order() {
        // `findSubSchemasFromIndex`: the branches sorted first. `JsonSchemaComparator` orders
        // by schema class (ARRAY, BOOLEAN, …, NULL, NUMBER, OBJECT, …, STRING): not the
        // document's order here.
        let doc = r#"{"type":"object","properties":{
            "u":{"anyOf":[{"type":"string"},{"type":"object","properties":{"x":{"type":"string"}}}]},
            "v":{"oneOf":[{"type":"null"},{"type":"string"},{"type":"array","items":{"type":"object","properties":{"y":{"type":"integer"}}}}]}}}"#;
        let out = modify(
            doc,
            &[
                edit(EntityType::Field, "object.u.anyof.0.object.x", &["X"]),
                edit(EntityType::Field, "object.v.oneof.0.array.object.y", &["Y"]),
            ],
        )
        .expect("found");
        assert!(
            out.contains(r#""x":{"type":"string","confluent:tags":["X"]}"#),
            "{out}"
        );
        assert!(
            out.contains(r#""y":{"type":"integer","confluent:tags":["Y"]}"#),
            "{out}"
        );
        // The listing names them by the same paths.
        assert_eq!(
            entities(&out),
            vec![
                field("object.u.anyof.0.object.x", &["X"]),
                field("object.v.oneof.0.array.object.y", &["Y"]),
            ]
        );
        // The string branch (index 1) has no properties; past the end, a bad index, a
        // missing one: Java's exceptions, as `findSubSchemasFromIndex` throws them.
        let path = "object.u.anyof.1.object.x";
        assert_eq!(
            modify(doc, &[edit(EntityType::Field, path, &["X"])]),
            no_match(path)
        );
        assert_eq!(
            modify(
                doc,
                &[edit(EntityType::Field, "object.u.anyof.2.object.x", &["X"])]
            ),
            Err("java.lang.IndexOutOfBoundsException: Index 2 out of bounds for length 2".into())
        );
        assert_eq!(
            modify(
                doc,
                &[edit(
                    EntityType::Field,
                    "object.u.anyof.-1.object.x",
                    &["X"]
                )]
            ),
            Err("java.lang.IndexOutOfBoundsException: Index -1 out of bounds for length 2".into())
        );
        assert_eq!(
            modify(
                doc,
                &[edit(
                    EntityType::Field,
                    "object.u.anyof.one.object.x",
                    &["X"]
                )]
            ),
            Err("java.lang.NumberFormatException: For input string: \"one\"".into())
        );
        for path in [
            "object.u.anyof",
            "object.u.anyof.0",
            "object.u.oneof.0.object.x",
        ] {
            assert_eq!(
                modify(doc, &[edit(EntityType::Field, path, &["X"])]),
                no_match(path)
            );
        }
    }

    #[test]
    fn a_synthetic_all_of_is_indexed_by_its_parts() {
        // everit's `SchemaLoader.loadSchemaObject`: `type` plus `oneOf` on one node make a
        // synthetic allOf [oneOf, object], sorted COMBINED before OBJECT; its branches are
        // parts of the same node. `findNodeHelper` skips the index when the node has no
        // `allOf` of its own.
        let doc = r#"{"type":"object","properties":{"s":{"type":"object",
            "properties":{"a":{"type":"string"}},
            "oneOf":[{"type":"string"},{"type":"object","properties":{"b":{"type":"integer"}}}]}}}"#;
        let out = modify(
            doc,
            &[
                edit(EntityType::Field, "object.s.allof.1.object.a", &["A"]),
                edit(
                    EntityType::Field,
                    "object.s.allof.0.oneof.0.object.b",
                    &["B"],
                ),
            ],
        )
        .expect("found");
        assert_eq!(
            entities(&out),
            vec![
                field("object.s.allof.0.oneof.0.object.b", &["B"]),
                field("object.s.allof.1.object.a", &["A"]),
            ]
        );
        // The raw forms Confluent also takes: the synthetic level left out.
        let out = modify(
            doc,
            &[
                edit(EntityType::Field, "object.s.object.a", &["A"]),
                edit(EntityType::Field, "object.s.oneof.0.object.b", &["B"]),
            ],
        )
        .expect("found");
        assert_eq!(
            entities(&out),
            vec![
                field("object.s.allof.0.oneof.0.object.b", &["B"]),
                field("object.s.allof.1.object.a", &["A"]),
            ]
        );
    }

    #[test]
    fn a_synthetic_all_of_beside_an_own_all_of_is_the_synthetic_one() {
        // `type` plus `allOf`: everit's synthetic allOf [allOf, object]. `inlineTaggedEntities`
        // lists `a` at `allof.1.object.a`; `findNodeHelper` would index the node's own `allOf`
        // (one branch) with 1. Here the index is the synthetic list's, as listed.
        let doc = r#"{"type":"object","properties":{"t":{"type":"object",
            "properties":{"a":{"type":"string"}},
            "allOf":[{"type":"object","properties":{"b":{"type":"integer"}}}]}}}"#;
        let out = modify(
            doc,
            &[
                edit(EntityType::Field, "object.t.allof.1.object.a", &["A"]),
                edit(
                    EntityType::Field,
                    "object.t.allof.0.allof.0.object.b",
                    &["B"],
                ),
            ],
        )
        .expect("found");
        assert_eq!(
            entities(&out),
            vec![
                field("object.t.allof.0.allof.0.object.b", &["B"]),
                field("object.t.allof.1.object.a", &["A"]),
            ]
        );
    }

    #[test]
    fn type_lists_and_conditionals() {
        // A `type` list is an anyOf of typed parts of one node (NULL before OBJECT); Confluent
        // skips its index. A conditional alone is listed at `conditional.then.`; Confluent's
        // own form is `allof.<i>.conditional.then.`.
        let doc = r#"{"type":"object","properties":{
            "q":{"type":["null","object"],"properties":{"y":{"type":"string"}}},
            "c":{"if":{"properties":{"k":{"const":1}}},"then":{"properties":{"w":{"type":"string"}}}}}}"#;
        for (q, c) in [
            (
                "object.q.anyof.1.object.y",
                "object.c.conditional.then.object.w",
            ),
            (
                "object.q.anyof.7.object.y",
                "object.c.allof.0.conditional.then.object.w",
            ),
        ] {
            let out = modify(
                doc,
                &[
                    edit(EntityType::Field, q, &["Y"]),
                    edit(EntityType::Field, c, &["W"]),
                ],
            )
            .expect("found");
            assert_eq!(
                entities(&out),
                vec![
                    field("object.q.anyof.1.object.y", &["Y"]),
                    field("object.c.conditional.then.object.w", &["W"]),
                ]
            );
        }
    }

    /// Every entity `inlineTaggedEntities` lists is found again by `findMatchingEntity`:
    /// removing each one's tags leaves none.
    fn round_trip(doc: &str, expected: &[&str]) {
        let listed = tagged_entities(&read(doc));
        let paths: Vec<&str> = listed.iter().map(|e| e.path.as_str()).collect();
        for p in expected {
            assert!(paths.contains(p), "{p} not in {paths:?}");
        }
        let edits: Vec<TagEdit> = listed
            .iter()
            .map(|e| TagEdit {
                entity_type: e.entity_type,
                path: e.path.clone(),
                add: Vec::new(),
                remove: e.tags.clone(),
            })
            .collect();
        let out = modify(doc, &edits).expect("every listed path is found");
        assert!(!out.contains("confluent:tags"), "{out}");
        // One by one too, each on the untouched document.
        for e in &edits {
            let out = modify(doc, std::slice::from_ref(e)).expect("found");
            assert!(
                entities(&out).iter().all(|(_, p, _)| p != &e.path),
                "{}: {out}",
                e.path
            );
        }
    }

    #[test]
    fn every_listed_entity_can_be_untagged() {
        let doc = r##"{"type":"object","confluent:tags":["R"],"properties":{
            "u":{"confluent:tags":["U"],"anyOf":[{"type":"string"},
                {"type":"object","confluent:tags":["UO"],"properties":{"x":{"type":"string","confluent:tags":["X"]}}}]},
            "v":{"oneOf":[{"type":"null"},{"type":"string"},
                {"type":"array","items":{"type":"object","properties":{"y":{"type":"integer","confluent:tags":["Y"]}}}}]},
            "s":{"type":"object","confluent:tags":["S"],"properties":{"a":{"type":"string","confluent:tags":["A"]}},
                "oneOf":[{"type":"string"},{"type":"object","properties":{"b":{"type":"integer","confluent:tags":["B"]}}}]},
            "t":{"type":"object","properties":{"a":{"type":"string","confluent:tags":["TA"]}},
                "allOf":[{"type":"object","properties":{"b":{"confluent:tags":["TB"]}}},
                    {"not":{"type":"object","properties":{"n":{"confluent:tags":["N"]}}}}]},
            "q":{"type":["null","object"],"properties":{"y":{"type":"string","confluent:tags":["Q"]}}},
            "c":{"if":{"properties":{"k":{"const":1}}},"then":{"properties":{"w":{"confluent:tags":["W"]}}}},
            "d":{"$ref":"#/definitions/D","confluent:tags":["REF"]},
            "l":{"type":"array","items":{"anyOf":[{"type":"object","properties":{"p":{"confluent:tags":["P"]}}},{"type":"boolean"}]}}},
          "definitions":{"D":{"type":"object","confluent:tags":["D"],"properties":{
            "e":{"oneOf":[{"type":"object","properties":{"f":{"confluent:tags":["F"]}}},{"type":"integer"}]}}}}}"##;
        round_trip(
            doc,
            &[
                "object",
                "object.u",
                "object.u.anyof.0.object",
                "object.u.anyof.0.object.x",
                "object.v.oneof.0.array.object.y",
                "object.s",
                "object.s.allof.1.object.a",
                "object.s.allof.0.oneof.0.object.b",
                "object.t.allof.1.object.a",
                "object.t.allof.0.allof.0.not.object.n",
                "object.t.allof.0.allof.1.object.b",
                "object.q.anyof.1.object.y",
                "object.c.conditional.then.object.w",
                "object.d",
                "object.l.array.anyof.1.object.p",
                "object.definitions.D.object",
                // NUMBER before OBJECT.
                "object.definitions.D.object.e.oneof.1.object.f",
            ],
        );
    }

    #[test]
    fn modern_defs_include_root_definitions() {
        // 2020-12: `$defs` at the root holds the `definitions` entries too (Confluent's
        // `mergeDefBuckets`), so a definition is listed under both names.
        let doc = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
            "properties":{"a":{"type":"string","confluent:tags":["A"]}},
            "$defs":{"U":{"type":"object","properties":{"i":{"anyOf":[{"type":"string"},{"type":"object","properties":{"j":{"confluent:tags":["J"]}}}]}}}},
            "definitions":{"V":{"type":"object","properties":{"k":{"confluent:tags":["K"]}}}}}"#;
        round_trip(
            doc,
            &[
                "object.a",
                "object.$defs.U.object.i.anyof.0.object.j",
                "object.definitions.V.object.k",
                "object.$defs.V.object.k",
            ],
        );
        // Not in a draft 7 document (`$defs` is then only its own keyword).
        let draft7 = r#"{"type":"object","$defs":{},"definitions":{"V":{"type":"object","properties":{"k":{}}}}}"#;
        let path = "object.$defs.V.object.k";
        assert_eq!(
            modify(draft7, &[edit(EntityType::Field, path, &["K"])]),
            no_match(path)
        );
    }
}

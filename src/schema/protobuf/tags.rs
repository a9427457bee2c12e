//! Schema tags on a Protobuf schema, as Confluent 7.9/8.3 edits them
//! (`ProtobufSchema.copy(tagsToAdd, tagsToRemove)`, `ProtobufSchemaUtils.findMatchingElement`):
//! a message's `(confluent.message_meta)` or a field's `(confluent.field_meta)` gets its
//! `tags` changed, and the file is printed again.
//!
//! - The path (a leading dot dropped, `SchemaEntity.getNormalizedPath`) names messages from
//!   the file's top level down, without the package; a field path ends with the field, which
//!   may sit in a oneof (named or not). Messages not found: "No matching Message with name
//!   '…'"; fields: "No matching Field with name '…'".
//! - The element's options are merged by name as `mergeOptions` does (a leading dot dropped;
//!   `(x).tags = "a"` becomes the aggregate `(x) = { tags: "a" }`; two aggregates of one name
//!   merge key by key, repeated values joined without duplicates), with the added tags as one
//!   more `(meta) = { tags: [...] }`; removed tags are taken out (an emptied `tags` key, then
//!   an emptied option, disappear). The options come out in the iteration order of the Java
//!   `HashMap` Confluent collects them into.

use super::model::{Message, OptionElement, OptionValue, ProtoFile, TypeElement};
use super::{print, read};
use crate::schema::tags::{illegal, java_split};
use crate::schema::{distinct, EntityType, TagEdit, TaggedEntities, TaggedEntity};
use std::collections::HashSet;

const FIELD_META: &str = "confluent.field_meta";
const MESSAGE_META: &str = "confluent.message_meta";

fn message_mut<'a>(types: &'a mut [TypeElement], name: &str) -> Option<&'a mut Message> {
    types.iter_mut().find_map(|t| match t {
        TypeElement::Message(m) if m.name == name => Some(m),
        _ => None,
    })
}

fn has_message(types: &[TypeElement], name: &str) -> bool {
    types
        .iter()
        .any(|t| matches!(t, TypeElement::Message(m) if m.name == name))
}

/// `findMatchingElement`: the options of the element `ids` names.
fn element_options<'a>(
    file: &'a mut ProtoFile,
    ids: &[&str],
    is_field: bool,
) -> Result<&'a mut Vec<OptionElement>, String> {
    let end = if is_field {
        ids.len().saturating_sub(1)
    } else {
        ids.len()
    };
    // How many leading identifiers are messages (Confluent stops early when the last one
    // before a field is no message: it may be a oneof's name).
    let mut depth = 0;
    {
        let mut types: &[TypeElement] = &file.types;
        while depth < end {
            if has_message(types, ids[depth]) {
                let Some(TypeElement::Message(m)) = types
                    .iter()
                    .find(|t| matches!(t, TypeElement::Message(m) if m.name == ids[depth]))
                else {
                    unreachable!("has_message checked it")
                };
                types = &m.nested;
                depth += 1;
            } else if depth + 1 == end && is_field {
                break;
            } else {
                return Err(illegal(format!(
                    "No matching Message with name '{}' found in the schema",
                    ids[depth]
                )));
            }
        }
    }
    let field_name = if is_field { ids.last().copied() } else { None };
    let no_field = || {
        illegal(format!(
            "No matching Field with name '{}' found in the schema",
            field_name.unwrap_or("")
        ))
    };
    if depth == 0 {
        return Err(if is_field {
            no_field()
        } else {
            illegal("No matching Message with name '' found in the schema")
        });
    }
    let mut message = message_mut(&mut file.types, ids[0]).ok_or_else(no_field)?;
    for id in &ids[1..depth] {
        message = message_mut(&mut message.nested, id).ok_or_else(no_field)?;
    }
    let Some(field) = field_name else {
        return Ok(&mut message.options);
    };
    if depth == end {
        if let Some(i) = message.fields.iter().position(|f| f.name == field) {
            return Ok(&mut message.fields[i].options);
        }
        for o in message.oneofs.iter_mut() {
            if let Some(f) = o.fields.iter_mut().find(|f| f.name == field) {
                return Ok(&mut f.options);
            }
        }
        return Err(no_field());
    }
    // The identifier before the field names a oneof (the last one of that name).
    let oneof = ids[depth];
    let found = message.oneofs.iter_mut().filter(|o| o.name == oneof).last();
    if let Some(o) = found {
        if let Some(f) = o.fields.iter_mut().find(|f| f.name == field) {
            return Ok(&mut f.options);
        }
    }
    Err(no_field())
}

/// `transform`: an `(x).key = value` option becomes the aggregate `(x) = { key: value }`.
fn transform(o: &OptionElement) -> OptionElement {
    fn to_map(inner: &OptionElement) -> OptionValue {
        let value = match &inner.value {
            OptionValue::Option(deeper) => to_map(deeper),
            other => other.clone(),
        };
        OptionValue::Map(vec![(inner.name.clone(), value)])
    }
    match &o.value {
        OptionValue::Option(inner) => OptionElement {
            name: o.name.clone(),
            value: to_map(inner),
            parenthesized: o.parenthesized,
        },
        _ => o.clone(),
    }
}

/// `merge`: two aggregates merge key by key (a key in both: the values of both, as a list
/// without duplicates); otherwise the later option replaces the earlier.
fn merge(existing: &OptionElement, replacement: OptionElement) -> OptionElement {
    let replacement = transform(&replacement);
    let (OptionValue::Map(old), OptionValue::Map(new)) = (&existing.value, &replacement.value)
    else {
        return replacement;
    };
    let mut merged = old.clone();
    for (k, v) in new {
        match merged.iter_mut().find(|(mk, _)| mk == k) {
            Some((_, mv)) => {
                let mut set: Vec<OptionValue> = Vec::new();
                for x in [mv.clone(), v.clone()] {
                    let items = match x {
                        OptionValue::List(items) => items,
                        single => vec![single],
                    };
                    for i in items {
                        if !set.contains(&i) {
                            set.push(i);
                        }
                    }
                }
                *mv = OptionValue::List(set);
            }
            None => merged.push((k.clone(), v.clone())),
        }
    }
    OptionElement {
        name: replacement.name.clone(),
        value: OptionValue::Map(merged),
        parenthesized: replacement.parenthesized,
    }
}

/// `String.hashCode()`.
fn java_hash(s: &str) -> u32 {
    s.encode_utf16()
        .fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(u32::from(c)))
}

/// The iteration order of a Java `HashMap` filled with `keys` in order (table of 16 buckets,
/// doubled past 0.75 load; bucket order, then insertion order within a bucket).
fn java_hash_map_order(keys: &[String]) -> Vec<usize> {
    let mut table = 16usize;
    while keys.len() * 4 > table * 3 {
        table *= 2;
    }
    let mut idx: Vec<(usize, usize)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let h = java_hash(k);
            (((h ^ (h >> 16)) as usize) & (table - 1), i)
        })
        .collect();
    idx.sort();
    idx.into_iter().map(|(_, i)| i).collect()
}

/// `mergeOptions`: the options by name (leading dot dropped), merged, in `HashMap` order.
fn merge_options(options: &[OptionElement]) -> Vec<(String, OptionElement)> {
    let mut entries: Vec<(String, OptionElement)> = Vec::new();
    for o in options {
        let key = o.name.strip_prefix('.').unwrap_or(&o.name).to_string();
        match entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => *existing = merge(existing, o.clone()),
            None => entries.push((key, transform(o))),
        }
    }
    entries
}

fn apply(options: &mut Vec<OptionElement>, meta: &str, edit: &TagEdit) {
    let mut all = options.clone();
    if !edit.add.is_empty() {
        all.push(OptionElement {
            name: meta.to_string(),
            value: OptionValue::Option(Box::new(OptionElement {
                name: "tags".into(),
                value: OptionValue::List(
                    edit.add.iter().cloned().map(OptionValue::String).collect(),
                ),
                parenthesized: false,
            })),
            parenthesized: true,
        });
    }
    let mut merged = merge_options(&all);
    if !edit.remove.is_empty() {
        if let Some(pos) = merged.iter().position(|(k, _)| k == meta) {
            if let OptionValue::Map(map) = &merged[pos].1.value {
                let mut map = map.clone();
                if let Some(i) = map.iter().position(|(k, _)| k == "tags") {
                    let tags = match &map[i].1 {
                        OptionValue::List(items) => items.clone(),
                        single => vec![single.clone()],
                    };
                    let remaining: Vec<OptionValue> = tags
                        .into_iter()
                        .filter(|t| !matches!(t, OptionValue::String(s) if edit.remove.contains(s)))
                        .collect();
                    if remaining.is_empty() {
                        map.remove(i);
                    } else {
                        map[i].1 = OptionValue::List(remaining);
                    }
                    if map.is_empty() {
                        merged.remove(pos);
                    } else {
                        merged[pos].1 = OptionElement {
                            name: meta.to_string(),
                            value: OptionValue::Map(map),
                            parenthesized: true,
                        };
                    }
                }
            }
        }
    }
    let keys: Vec<String> = merged.iter().map(|(k, _)| k.clone()).collect();
    *options = java_hash_map_order(&keys)
        .into_iter()
        .map(|i| merged[i].1.clone())
        .collect();
}

/// The schema with `edits` applied, in Confluent's printed form.
pub(super) fn modify(schema: &str, edits: &[TagEdit]) -> Result<String, String> {
    let mut file = read(schema).map_err(|e| e.0)?;
    for edit in edits {
        let path = edit.path.strip_prefix('.').unwrap_or(&edit.path);
        let ids = java_split(path);
        let is_field = edit.entity_type == EntityType::Field;
        let meta = if is_field { FIELD_META } else { MESSAGE_META };
        let options = element_options(&mut file, &ids, is_field)?;
        apply(options, meta, edit);
    }
    Ok(print::print(&file, false, false))
}

/// Confluent's `ProtobufSchema.inlineTaggedEntities` (8.3.1, `getInlineTaggedEntitiesRecursively`):
/// the file's messages in declaration order (enums, services, extensions and the references'
/// files are not visited), each once by its path: the message's name below its parents'
/// (`Outer.Inner`, no package). Per message: its `(confluent.message_meta)` tags (`sr_record`),
/// then the tags of the fields of its oneofs (oneof by oneof), then those of its other fields
/// (`(confluent.field_meta)`, `sr_field`, path `Message.field`), then its nested messages.
/// Tags: the `tags` of the meta option after `mergeOptions`, a list or a single value
/// (`findTags`), each once.
pub(super) fn tagged_entities(file: &ProtoFile) -> Vec<TaggedEntity> {
    let mut out = TaggedEntities::default();
    let mut visited: HashSet<String> = HashSet::new();
    walk_types(&file.types, "", &mut visited, &mut out);
    out.into_vec()
}

fn walk_types(
    types: &[TypeElement],
    scope: &str,
    visited: &mut HashSet<String>,
    out: &mut TaggedEntities,
) {
    for t in types {
        if let TypeElement::Message(m) = t {
            walk_message(m, scope, visited, out);
        }
    }
}

fn walk_message(m: &Message, scope: &str, visited: &mut HashSet<String>, out: &mut TaggedEntities) {
    let scoped = format!("{scope}{}", m.name);
    if !visited.insert(scoped.clone()) {
        return;
    }
    out.put(
        EntityType::Record,
        scoped.clone(),
        meta_tags(&m.options, MESSAGE_META),
    );
    let oneof_fields = m.oneofs.iter().flat_map(|o| o.fields.iter());
    for f in oneof_fields.chain(m.fields.iter()) {
        out.put(
            EntityType::Field,
            format!("{scoped}.{}", f.name),
            meta_tags(&f.options, FIELD_META),
        );
    }
    walk_types(&m.nested, &format!("{scoped}."), visited, out);
}

/// `findMeta(name, options).getTags()`: the merged option's `tags` entry.
fn meta_tags(options: &[OptionElement], meta: &str) -> Vec<String> {
    let merged = merge_options(options);
    let Some((_, option)) = merged.iter().find(|(k, _)| k == meta) else {
        return Vec::new();
    };
    let value = match &option.value {
        OptionValue::Map(entries) => entries.iter().find(|(k, _)| k == "tags").map(|(_, v)| v),
        OptionValue::Option(inner) if inner.name == "tags" => Some(&inner.value),
        _ => None,
    };
    match value {
        Some(OptionValue::List(items)) => distinct(items.iter().map(option_text)),
        Some(single) => vec![option_text(single)],
        None => Vec::new(),
    }
}

/// The `toString()` of an option value as Wire holds it (scalars as written; aggregates and
/// lists in Java's `Map` and `List` forms).
fn option_text(v: &OptionValue) -> String {
    match v {
        OptionValue::String(s)
        | OptionValue::Boolean(s)
        | OptionValue::Number(s)
        | OptionValue::Enum(s) => s.clone(),
        OptionValue::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, x)| format!("{k}={}", option_text(x)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        OptionValue::List(items) => {
            let parts: Vec<String> = items.iter().map(option_text).collect();
            format!("[{}]", parts.join(", "))
        }
        OptionValue::Option(inner) => format!("{}={}", inner.name, option_text(&inner.value)),
    }
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

    const FILE: &str = "syntax = \"proto3\";\npackage p;\nmessage M {\n  message Inner {\n    string x = 1;\n  }\n  Inner i = 1;\n  oneof choice {\n    string s = 2;\n  }\n}\n";

    #[test]
    fn nested_messages_and_oneof_fields_are_found() {
        let out = modify(FILE, &[edit(EntityType::Field, "M.Inner.x", &["T"], &[])]).expect("x");
        assert!(
            out.contains("string x = 1 [(confluent.field_meta) = {"),
            "{out}"
        );
        let out = modify(FILE, &[edit(EntityType::Field, "M.choice.s", &["O"], &[])]).expect("s");
        assert!(
            out.contains("string s = 2 [(confluent.field_meta) = {"),
            "{out}"
        );
        let out = modify(FILE, &[edit(EntityType::Field, ".M.s", &["O"], &[])]).expect("s");
        assert!(
            out.contains("string s = 2 [(confluent.field_meta)"),
            "{out}"
        );
        assert_eq!(
            modify(FILE, &[edit(EntityType::Field, "M.nope", &["X"], &[])]),
            Err("java.lang.IllegalArgumentException: No matching Field with name 'nope' found in the schema".into())
        );
        assert_eq!(
            modify(FILE, &[edit(EntityType::Record, "M.Nope", &["X"], &[])]),
            Err("java.lang.IllegalArgumentException: No matching Message with name 'Nope' found in the schema".into())
        );
    }

    #[test]
    fn tags_merge_with_the_dotted_form_and_are_removed() {
        let f = "syntax = \"proto3\";\nmessage M {\n  string a = 1 [(confluent.field_meta).tags = \"A\"];\n}\n";
        let out = modify(f, &[edit(EntityType::Field, "M.a", &["B", "A"], &[])]).expect("a");
        let again = read(&out).expect("reads");
        let TypeElement::Message(m) = &again.types[0] else {
            panic!("message")
        };
        assert_eq!(
            m.fields[0].options[0].value,
            OptionValue::Map(vec![(
                "tags".into(),
                OptionValue::List(vec![
                    OptionValue::String("A".into()),
                    OptionValue::String("B".into())
                ])
            )])
        );
        let out = modify(&out, &[edit(EntityType::Field, "M.a", &[], &["A", "B"])]).expect("a");
        assert!(out.contains("string a = 1;"), "{out}");
    }

    use crate::schema::tags::test_support::{ent, flat, Ent};

    // `ProtobufSchema.inlineTaggedEntities` / `getInlineTaggedEntitiesRecursively` (8.3.1).
    fn entities(schema: &str) -> Vec<Ent> {
        flat(tagged_entities(&read(schema).expect("reads")))
    }

    #[test]
    fn messages_oneof_fields_then_fields_then_nested_messages() {
        let f = r#"syntax = "proto3";
package p.q;
import "confluent/meta.proto";
enum Color {
  option (confluent.enum_meta).tags = "ENUM";
  RED = 0;
}
message Outer {
  option (confluent.message_meta) = { tags: ["R1", "R2", "R1"] };
  string a = 1 [(confluent.field_meta).tags = "A"];
  oneof choice {
    string s = 2 [(confluent.field_meta) = { tags: "S" tags: "S2" }];
    int32 t = 3;
  }
  message Inner {
    option (confluent.message_meta).tags = "IN";
    int64 x = 1 [(confluent.field_meta) = { doc: "d", tags: ["X"] }, (confluent.field_meta).tags = "Y"];
  }
  Inner i = 4 [(confluent.field_meta) = { tags: [] }];
  map<string, Inner> m = 5 [(confluent.field_meta).tags = "M"];
}
message Second {
  string plain = 1;
}
"#;
        assert_eq!(
            entities(f),
            vec![
                ent(EntityType::Record, "Outer", &["R1", "R2"]),
                ent(EntityType::Field, "Outer.s", &["S", "S2"]),
                ent(EntityType::Field, "Outer.a", &["A"]),
                ent(EntityType::Field, "Outer.m", &["M"]),
                ent(EntityType::Record, "Outer.Inner", &["IN"]),
                ent(EntityType::Field, "Outer.Inner.x", &["X", "Y"]),
            ]
        );
    }

    #[test]
    fn untagged_files_give_nothing() {
        assert_eq!(entities(FILE), vec![]);
    }
}

//! The inline tags of a JSON Schema, as Confluent 8.3.1 lists them
//! (`JsonSchema.inlineTaggedEntities`, its two `getInlineTaggedEntitiesRecursively`): a walk of
//! the schema as the everit library loads it, not of the raw document. So this module first
//! models, for each JSON node, the everit schema it becomes (`SchemaLoader.loadSchemaObject`
//! and its extractors), then walks that:
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
//! Orders follow the Java collections: property names and definition names come out of
//! `HashMap`s (org.json's `JSONObject`, everit's `OrgJsonUtil.toMap`, `ObjectSchema.Builder`,
//! Confluent's `replaceRefs` copy), modelled by `java_hash_order` with the table sizes those
//! maps have (copies sized as Java 19+ does). Not modelled: the json-sKema translation of
//! 2019-09 / 2020-12 documents (walked here as everit reads draft 7, plus `$defs`), tree bins
//! of Java's `HashMap`, the `toString()` of org.json containers in the comparator (compact
//! JSON in document order here), and `$ref`s to other documents in the comparator (they
//! compare equal).

use super::super::tags::{
    inline_tags, java_hash_order, java_to_string, table_copied, table_default, table_sized, TAGS,
};
use super::super::{EntityType, TaggedEntities, TaggedEntity};
use crate::json::{java_cmp, Json};
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::HashSet;

/// Comparator recursion (through `$ref`s, which may cycle) stops here and calls a tie.
const MAX_COMPARE_DEPTH: usize = 64;
/// Comparisons one sort of branches may make.
const MAX_COMPARISONS: usize = 100_000;
/// Walks deeper than this (only reachable through absurdly nested documents) stop.
const MAX_WALK_DEPTH: usize = 512;

/// The everit specification version a document loads with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Draft {
    V4,
    V6,
    V7,
}

/// One document: the root the walk started from (a schema, or a re-read definition), with its
/// version. `modern`: a 2019-09 / 2020-12 document (Confluent loads it with json-sKema).
struct Doc<'a> {
    root: &'a Json,
    draft: Draft,
    modern: bool,
}

impl<'a> Doc<'a> {
    fn new(root: &'a Json) -> Doc<'a> {
        let url = root.get("$schema").and_then(Json::text).unwrap_or("");
        // Confluent's `SpecificationVersion.getFromUrl`: the exact URL, a trailing `#` dropped.
        let exact = url.strip_suffix('#').unwrap_or(url);
        let modern = matches!(
            exact,
            "http://json-schema.org/draft/2019-09/schema"
                | "https://json-schema.org/draft/2019-09/schema"
                | "http://json-schema.org/draft/2020-12/schema"
                | "https://json-schema.org/draft/2020-12/schema"
        );
        // everit's `SpecificationVersion.lookupByMetaSchemaUrl` (a prefix match); unknown
        // URLs fall back to the draft 7 Confluent asks for.
        let starts = |urls: &[&str]| urls.iter().any(|u| url.starts_with(u));
        let draft = if starts(&[
            "http://json-schema.org/draft-04/schema",
            "https://json-schema.org/draft-04/schema",
            "http://json-schema.org/schema",
            "https://json-schema.org/schema",
        ]) {
            Draft::V4
        } else if starts(&[
            "http://json-schema.org/draft-06/schema",
            "https://json-schema.org/draft-06/schema",
        ]) {
            Draft::V6
        } else {
            Draft::V7
        };
        Doc {
            root,
            draft,
            modern,
        }
    }

    fn object_keywords(&self) -> &'static [&'static str] {
        match self.draft {
            Draft::V4 => &[
                "properties",
                "required",
                "minProperties",
                "maxProperties",
                "dependencies",
                "patternProperties",
                "additionalProperties",
            ],
            _ => &[
                "properties",
                "required",
                "minProperties",
                "maxProperties",
                "dependencies",
                "patternProperties",
                "additionalProperties",
                "propertyNames",
            ],
        }
    }

    fn array_keywords(&self) -> &'static [&'static str] {
        match self.draft {
            Draft::V4 => &[
                "items",
                "additionalItems",
                "minItems",
                "maxItems",
                "uniqueItems",
            ],
            _ => &[
                "items",
                "additionalItems",
                "minItems",
                "maxItems",
                "uniqueItems",
                "contains",
            ],
        }
    }

    fn id_keyword(&self) -> &'static str {
        match self.draft {
            Draft::V4 => "id",
            _ => "$id",
        }
    }
}

const NUMBER_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];
const CONDITIONAL_KEYWORDS: &[&str] = &["if", "then", "else"];

/// Everit's schema classes, in the order of `JsonSchemaComparator.SchemaType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Array,
    Boolean,
    Combined,
    Conditional,
    Const,
    Empty,
    Enum,
    False,
    Not,
    Null,
    Number,
    Object,
    Reference,
    String,
    True,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Crit {
    All,
    Any,
    One,
}

impl Crit {
    /// `JsonSchemaComparator.getCriterion`.
    fn word(self) -> &'static str {
        match self {
            Crit::All => "allof",
            Crit::Any => "anyof",
            Crit::One => "oneof",
        }
    }

    fn keyword(self) -> &'static str {
        match self {
            Crit::All => "allOf",
            Crit::Any => "anyOf",
            Crit::One => "oneOf",
        }
    }
}

/// A type-specific schema (`type`, or a keyword group everit sniffs without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    String,
    Number,
    Boolean,
    Null,
    Array,
    Object,
}

impl Ty {
    fn named(s: &str) -> Option<Ty> {
        Some(match s {
            "string" => Ty::String,
            "integer" | "number" => Ty::Number,
            "boolean" => Ty::Boolean,
            "null" => Ty::Null,
            "array" => Ty::Array,
            "object" => Ty::Object,
            _ => return None,
        })
    }

    fn keywords(self, doc: &Doc) -> &'static [&'static str] {
        match self {
            Ty::String => STRING_KEYWORDS,
            Ty::Number => NUMBER_KEYWORDS,
            Ty::Array => doc.array_keywords(),
            Ty::Object => doc.object_keywords(),
            Ty::Boolean | Ty::Null => &[],
        }
    }
}

/// One schema builder an everit extractor makes of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Ref,
    Enum,
    Combined(Crit),
    Not,
    Const,
    Typed(Ty),
    /// A `type` list: an `anyOf` of one typed schema per entry.
    Types,
    Conditional,
}

/// A schema as everit builds it: a node's returned schema (`part: None`, which carries the
/// title, description, default and unprocessed properties), or one part of it.
#[derive(Debug, Clone, Copy)]
struct View<'a> {
    node: &'a Json,
    part: Option<Part>,
}

impl<'a> View<'a> {
    fn whole(node: &'a Json) -> View<'a> {
        View { node, part: None }
    }
}

static EMPTY: Json = Json::Obj(Vec::new());

/// What a schema is, with what the walk and the comparator read of it.
enum Shape<'a> {
    Simple(Kind),
    Enum(Vec<String>),
    Const(String),
    Reference(&'a str),
    Combined(Crit, Vec<View<'a>>),
    Not(View<'a>),
    Conditional([Option<View<'a>>; 3]),
    Array(Option<View<'a>>),
    Object(&'a Json),
}

impl Shape<'_> {
    fn kind(&self) -> Kind {
        match self {
            Shape::Simple(k) => *k,
            Shape::Enum(_) => Kind::Enum,
            Shape::Const(_) => Kind::Const,
            Shape::Reference(_) => Kind::Reference,
            Shape::Combined(..) => Kind::Combined,
            Shape::Not(_) => Kind::Not,
            Shape::Conditional(_) => Kind::Conditional,
            Shape::Array(_) => Kind::Array,
            Shape::Object(_) => Kind::Object,
        }
    }
}

/// `SchemaLoader.runSchemaExtractors`: the builders everit makes of an object node, in order
/// (a `$ref` alone; else enum, combined keywords, not, const, type, then the keyword groups
/// left unconsumed).
fn parts(doc: &Doc, node: &Json) -> Vec<Part> {
    let has = |k: &str| node.get(k).is_some();
    if has("$ref") {
        return vec![Part::Ref];
    }
    let mut out = Vec::new();
    if has("enum") {
        out.push(Part::Enum);
    }
    // `CombinedSchemaLoader`: the present keywords collected into a `HashSet`.
    let combined: Vec<Crit> = [Crit::All, Crit::Any, Crit::One]
        .into_iter()
        .filter(|c| has(c.keyword()))
        .collect();
    let words: Vec<&str> = combined.iter().map(|c| c.keyword()).collect();
    for i in java_hash_order(&words, table_default(words.len())) {
        out.push(Part::Combined(combined[i]));
    }
    if has("not") {
        out.push(Part::Not);
    }
    if doc.draft != Draft::V4 && has("const") {
        out.push(Part::Const);
    }
    let mut consumed: Vec<&str> = Vec::new();
    match node.get("type") {
        Some(Json::Str(t)) => {
            if let Some(ty) = Ty::named(t) {
                consumed.extend(ty.keywords(doc));
                out.push(Part::Typed(ty));
            }
        }
        Some(Json::Arr(types)) => {
            for ty in types.iter().filter_map(Json::text).filter_map(Ty::named) {
                consumed.extend(ty.keywords(doc));
            }
            out.push(Part::Types);
        }
        _ => {}
    }
    let sniff = |keywords: &[&str]| keywords.iter().any(|k| has(k) && !consumed.contains(k));
    if sniff(doc.array_keywords()) {
        out.push(Part::Typed(Ty::Array));
    }
    if sniff(doc.object_keywords()) {
        out.push(Part::Typed(Ty::Object));
    }
    if sniff(NUMBER_KEYWORDS) {
        out.push(Part::Typed(Ty::Number));
    }
    if sniff(STRING_KEYWORDS) {
        out.push(Part::Typed(Ty::String));
    }
    if doc.draft == Draft::V7 && sniff(CONDITIONAL_KEYWORDS) {
        out.push(Part::Conditional);
    }
    out
}

fn shape<'a>(doc: &Doc, v: View<'a>) -> Shape<'a> {
    let node = v.node;
    let part = match v.part {
        Some(p) => p,
        None => match node {
            Json::Bool(true) => return Shape::Simple(Kind::True),
            Json::Bool(false) => return Shape::Simple(Kind::False),
            Json::Obj(_) => {
                let ps = parts(doc, node);
                match ps.as_slice() {
                    [] => return Shape::Simple(Kind::Empty),
                    [p] => *p,
                    _ => {
                        let subs = ps
                            .into_iter()
                            .map(|p| View {
                                node,
                                part: Some(p),
                            })
                            .collect();
                        return Shape::Combined(Crit::All, subs);
                    }
                }
            }
            // Not a schema (everit would fail to load it).
            _ => return Shape::Simple(Kind::Empty),
        },
    };
    let child = |k: &str| node.get(k).map(View::whole);
    match part {
        Part::Ref => Shape::Reference(node.get("$ref").and_then(Json::text).unwrap_or("")),
        Part::Enum => Shape::Enum(match node.get("enum") {
            Some(Json::Arr(items)) => items.iter().map(java_to_string).collect(),
            _ => Vec::new(),
        }),
        Part::Const => Shape::Const(node.get("const").map(java_to_string).unwrap_or_default()),
        Part::Not => match child("not") {
            Some(n) => Shape::Not(n),
            None => Shape::Simple(Kind::Empty),
        },
        Part::Combined(c) => Shape::Combined(
            c,
            match node.get(c.keyword()) {
                Some(Json::Arr(items)) => items.iter().map(View::whole).collect(),
                _ => Vec::new(),
            },
        ),
        Part::Types => {
            let types = match node.get("type") {
                Some(Json::Arr(items)) => items.iter().filter_map(Json::text).collect(),
                _ => Vec::new(),
            };
            let subs = types
                .into_iter()
                .filter_map(Ty::named)
                .map(|ty| View {
                    node,
                    part: Some(Part::Typed(ty)),
                })
                .collect();
            Shape::Combined(Crit::Any, subs)
        }
        Part::Conditional => Shape::Conditional([child("if"), child("then"), child("else")]),
        Part::Typed(ty) => match ty {
            Ty::String => Shape::Simple(Kind::String),
            Ty::Number => Shape::Simple(Kind::Number),
            Ty::Boolean => Shape::Simple(Kind::Boolean),
            Ty::Null => Shape::Simple(Kind::Null),
            // `ArraySchemaLoader`: `items` as one schema (a list is a tuple: no all-item schema).
            Ty::Array => Shape::Array(match node.get("items") {
                Some(items @ (Json::Obj(_) | Json::Bool(_))) => Some(View::whole(items)),
                _ => None,
            }),
            Ty::Object => Shape::Object(node),
        },
    }
}

/// A string keyword of a returned schema (`title`, `description`).
fn common_text<'a>(v: View<'a>, key: &str) -> Option<&'a str> {
    match v.part {
        None => v.node.get(key).and_then(Json::text),
        Some(_) => None,
    }
}

/// `getDefaultValue().toString()` of a returned schema.
fn default_text(v: View) -> Option<String> {
    if v.part.is_some() {
        return None;
    }
    v.node.get("default").map(|d| match d {
        Json::Obj(_) | Json::Arr(_) => d.to_json_string(),
        other => java_to_string(other),
    })
}

/// `Comparator.nullsFirst(naturalOrder())` on strings.
fn cmp_opt(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => java_cmp(a, b),
    }
}

/// `JsonSchemaComparator.compareCollections`: by size, then by the sorted `toString`s.
fn cmp_collections(a: &[String], b: &[String]) -> Ordering {
    if a.len() != b.len() {
        return a.len().cmp(&b.len());
    }
    let mut a: Vec<&str> = a.iter().map(String::as_str).collect();
    let mut b: Vec<&str> = b.iter().map(String::as_str).collect();
    a.sort_by(|x, y| java_cmp(x, y));
    b.sort_by(|x, y| java_cmp(x, y));
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| java_cmp(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// The names of an object schema's properties (`getPropertySchemas().keySet()`).
fn property_names(doc: &Doc, node: &Json) -> Vec<String> {
    properties(doc, node).into_iter().map(|(k, _)| k).collect()
}

fn required(node: &Json) -> Vec<String> {
    match node.get("required") {
        Some(Json::Arr(items)) => items
            .iter()
            .filter_map(Json::text)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// A `$ref` within the document (`#`, `#/json/pointer`; Confluent's `mergeDefBuckets` makes
/// `#/$defs/X` find a top-level `definitions` entry too).
fn resolve<'a>(doc: &Doc<'a>, reference: &str) -> Option<&'a Json> {
    let pointer = reference.strip_prefix('#')?;
    let mut node = doc.root;
    let mut segments = pointer.split('/');
    if !pointer.is_empty() && segments.next() != Some("") {
        return None;
    }
    let mut first = true;
    for raw in segments {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        node = match node {
            Json::Obj(_) => match node.get(&seg) {
                Some(x) => x,
                None if first && seg == "$defs" => node.get("definitions")?,
                None => return None,
            },
            Json::Arr(items) => items.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
        first = false;
    }
    Some(node)
}

/// `JsonSchemaComparator.compare`. `budget`: comparisons left for this sort (a `$ref` cycle
/// makes Java recurse until its stack overflows; here the comparisons past the budget, or
/// deeper than `MAX_COMPARE_DEPTH`, call a tie).
fn compare(doc: &Doc, a: View, b: View, depth: usize, budget: &Cell<usize>) -> Ordering {
    if depth > MAX_COMPARE_DEPTH || budget.get() == 0 {
        return Ordering::Equal;
    }
    budget.set(budget.get() - 1);
    // `schema1 == schema2`: everit loads a node once (`$ref`s to it share the result).
    if std::ptr::eq(a.node, b.node) && a.part == b.part {
        return Ordering::Equal;
    }
    let (sa, sb) = (shape(doc, a), shape(doc, b));
    let order = sa
        .kind()
        .cmp(&sb.kind())
        .then_with(|| cmp_opt(common_text(a, "title"), common_text(b, "title")))
        .then_with(|| cmp_opt(common_text(a, "description"), common_text(b, "description")))
        .then_with(|| cmp_opt(default_text(a).as_deref(), default_text(b).as_deref()));
    if order.is_ne() {
        return order;
    }
    let sub = |x: View, y: View| compare(doc, x, y, depth + 1, budget);
    let opt = |x: Option<View>, y: Option<View>| match (x, y) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => sub(x, y),
    };
    match (sa, sb) {
        (Shape::Const(x), Shape::Const(y)) => java_cmp(&x, &y),
        (Shape::Enum(x), Shape::Enum(y)) => cmp_collections(&x, &y),
        (Shape::Combined(cx, mut x), Shape::Combined(cy, mut y)) => {
            let order = java_cmp(cx.word(), cy.word()).then(x.len().cmp(&y.len()));
            if order.is_ne() {
                return order;
            }
            x.sort_by(|p, q| sub(*p, *q));
            y.sort_by(|p, q| sub(*p, *q));
            x.iter()
                .zip(y.iter())
                .map(|(p, q)| sub(*p, *q))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }
        (Shape::Not(x), Shape::Not(y)) => sub(x, y),
        (Shape::Conditional(x), Shape::Conditional(y)) => {
            let empty = View::whole(&EMPTY);
            x.iter()
                .zip(y.iter())
                .map(|(p, q)| sub(p.unwrap_or(empty), q.unwrap_or(empty)))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }
        (Shape::Object(x), Shape::Object(y)) => {
            cmp_collections(&property_names(doc, x), &property_names(doc, y))
                .then_with(|| cmp_collections(&required(x), &required(y)))
        }
        (Shape::Array(x), Shape::Array(y)) => opt(x, y),
        (Shape::Reference(x), Shape::Reference(y)) => match (resolve(doc, x), resolve(doc, y)) {
            (Some(x), Some(y)) => sub(View::whole(x), View::whole(y)),
            _ => Ordering::Equal,
        },
        _ => Ordering::Equal,
    }
}

/// The keys of an object in the order a Java `HashMap` with `table` buckets, filled in `keys`'
/// order, iterates them.
fn rehash(keys: Vec<&str>, table: usize) -> Vec<&str> {
    java_hash_order(&keys, table)
        .into_iter()
        .map(|i| keys[i])
        .collect()
}

/// The keys of an object of the document in the order everit's loaded form holds them: read
/// by org.json (a `HashMap`), then copied by `OrgJsonUtil.toMap` (a `HashMap` sized for them).
fn loaded_order(m: &[(String, Json)]) -> Vec<&str> {
    let keys: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
    let n = keys.len();
    rehash(rehash(keys, table_default(n)), table_sized(n))
}

/// An object schema's properties as `getPropertySchemas()` iterates them: everit's loaded
/// order put into `ObjectSchema.Builder`'s `HashMap` (a non-object `$id` is skipped). A
/// 2019-09 / 2020-12 schema's properties reach that map straight from the document.
fn properties<'a>(doc: &Doc, node: &'a Json) -> Vec<(String, &'a Json)> {
    let Some(Json::Obj(m)) = node.get("properties") else {
        return Vec::new();
    };
    let id = doc.id_keyword();
    let order: Vec<&str> = if doc.modern {
        m.iter().map(|(k, _)| k.as_str()).collect()
    } else {
        loaded_order(m)
    };
    let kept: Vec<&str> = order
        .into_iter()
        .filter(|k| *k != id || matches!(node_of(m, k), Some(Json::Obj(_))))
        .collect();
    let n = kept.len();
    rehash(kept, table_default(n))
        .into_iter()
        .filter_map(|k| node_of(m, k).map(|x| (k.to_string(), x)))
        .collect()
}

fn node_of<'a>(m: &'a [(String, Json)], key: &str) -> Option<&'a Json> {
    m.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A definition as Confluent re-reads it (`replaceRefs`, then a new `JsonSchema` of the
/// Jackson tree): every object's keys in the order of the maps it went through (org.json,
/// `OrgJsonUtil.toMap`, the `new HashMap<>(map)` copy), every `$ref` made `#`.
fn reread(v: &Json) -> Json {
    match v {
        Json::Obj(m) => {
            let n = m.len();
            let order = rehash(loaded_order(m), table_copied(n));
            Json::Obj(
                order
                    .into_iter()
                    .filter_map(|k| {
                        let x = node_of(m, k)?;
                        let x = if k == "$ref" {
                            Json::Str("#".to_string())
                        } else {
                            reread(x)
                        };
                        Some((k.to_string(), x))
                    })
                    .collect(),
            )
        }
        Json::Arr(items) => Json::Arr(items.iter().map(reread).collect()),
        other => other.clone(),
    }
}

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
                let budget = Cell::new(MAX_COMPARISONS);
                subs.sort_by(|a, b| compare(doc, *a, *b, 0, &budget));
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

    fn entities(doc: &str) -> Vec<(EntityType, String, Vec<String>)> {
        let root = JsonReader::for_json_schema(doc)
            .root()
            .expect("json")
            .expect("a value");
        tagged_entities(&root)
            .into_iter()
            .map(|e| (e.entity_type, e.path, e.tags))
            .collect()
    }

    fn ent(kind: EntityType, path: &str, tags: &[&str]) -> (EntityType, String, Vec<String>) {
        (
            kind,
            path.to_string(),
            tags.iter().map(|s| s.to_string()).collect(),
        )
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

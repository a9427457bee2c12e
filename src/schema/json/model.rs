//! The schema everit builds of a JSON Schema document, as Confluent 8.3.1 loads it, modelled
//! node by node (`SchemaLoader.loadSchemaObject` and its extractors), with Confluent's
//! `JsonSchemaComparator` on it. Shared by the two walks of the schema that must agree:
//! `entities` (`JsonSchema.inlineTaggedEntities`) and `tags` (`JsonSchema.copy(tagsToAdd,
//! tagsToRemove)`).
//!
//! - A node yields the schemas of its keyword groups (`parts`); several make a synthetic
//!   `allOf` of them, a `type` list an `anyOf` of one typed schema per entry (`shape`).
//! - The branches of a combined schema are walked sorted by the comparator
//!   (`sort_branches`).
//! - A definition is re-read as a schema of its own (`reread`, then `Doc::new`).
//!
//! Orders follow the Java collections: property names and definition names come out of
//! `HashMap`s (org.json's `JSONObject`, everit's `OrgJsonUtil.toMap`, `ObjectSchema.Builder`,
//! Confluent's `replaceRefs` copy), modelled by `java_hash_order` with the table sizes those
//! maps have (copies sized as Java 19+ does). Not modelled: the json-sKema translation of
//! 2019-09 / 2020-12 documents (read here as everit reads draft 7, plus `$defs`), tree bins
//! of Java's `HashMap`, the `toString()` of org.json containers in the comparator (compact
//! JSON in document order here), and `$ref`s to other documents in the comparator (they
//! compare equal).

use super::super::tags::{
    java_hash_order, java_to_string, table_copied, table_default, table_sized,
};
use crate::json::{java_cmp, Json};
use std::cell::Cell;
use std::cmp::Ordering;

/// Comparator recursion (through `$ref`s, which may cycle) stops here and calls a tie.
const MAX_COMPARE_DEPTH: usize = 64;
/// Comparisons one sort of branches may make.
const MAX_COMPARISONS: usize = 100_000;

/// The everit specification version a document loads with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Draft {
    V4,
    V6,
    V7,
}

/// One document: the root the walk started from (a schema, or a re-read definition), with its
/// version. `modern`: a 2019-09 / 2020-12 document (Confluent loads it with json-sKema).
pub(super) struct Doc<'a> {
    pub(super) root: &'a Json,
    draft: Draft,
    pub(super) modern: bool,
}

impl<'a> Doc<'a> {
    pub(super) fn new(root: &'a Json) -> Doc<'a> {
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
pub(super) enum Kind {
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
pub(super) enum Crit {
    All,
    Any,
    One,
}

impl Crit {
    /// `JsonSchemaComparator.getCriterion`.
    pub(super) fn word(self) -> &'static str {
        match self {
            Crit::All => "allof",
            Crit::Any => "anyof",
            Crit::One => "oneof",
        }
    }

    pub(super) fn keyword(self) -> &'static str {
        match self {
            Crit::All => "allOf",
            Crit::Any => "anyOf",
            Crit::One => "oneOf",
        }
    }
}

/// A type-specific schema (`type`, or a keyword group everit sniffs without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ty {
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
pub(super) enum Part {
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
pub(super) struct View<'a> {
    pub(super) node: &'a Json,
    pub(super) part: Option<Part>,
}

impl<'a> View<'a> {
    pub(super) fn whole(node: &'a Json) -> View<'a> {
        View { node, part: None }
    }
}

static EMPTY: Json = Json::Obj(Vec::new());

/// What a schema is, with what the walk and the comparator read of it.
pub(super) enum Shape<'a> {
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

pub(super) fn shape<'a>(doc: &Doc, v: View<'a>) -> Shape<'a> {
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
            java_sort(&mut x, |p, q| sub(*p, *q));
            java_sort(&mut y, |p, q| sub(*p, *q));
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

/// `List.sort(new JsonSchemaComparator())` of the branches of a combined schema (a fresh
/// comparison budget per sort).
pub(super) fn sort_branches(doc: &Doc, branches: &mut [View]) {
    let budget = Cell::new(MAX_COMPARISONS);
    java_sort(branches, |a, b| compare(doc, *a, *b, 0, &budget));
}

/// The branches of `v` if it is a combined schema (`CombinedSchema`, synthetic or not, a `type`
/// list included), sorted as both walks take them, with its criterion.
pub(super) fn sorted_branches<'a>(doc: &Doc, v: View<'a>) -> Option<(Crit, Vec<View<'a>>)> {
    match shape(doc, v) {
        Shape::Combined(crit, mut subs) => {
            sort_branches(doc, &mut subs);
            Some((crit, subs))
        }
        _ => None,
    }
}

/// Java's `List.sort` (`TimSort`) as it runs on fewer than 32 elements: the leading run made
/// ascending, then a binary insertion sort. Stable, and it takes a comparator that is not a
/// total order (a budget-cut comparison) without failing; on longer lists it is the same
/// binary insertion sort (the same result whenever the comparator is consistent).
pub(super) fn java_sort<T: Copy>(a: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let n = a.len();
    if n < 2 {
        return;
    }
    // `countRunAndMakeAscending`.
    let mut run = 2;
    if cmp(&a[1], &a[0]).is_lt() {
        while run < n && cmp(&a[run], &a[run - 1]).is_lt() {
            run += 1;
        }
        a[..run].reverse();
    } else {
        while run < n && cmp(&a[run], &a[run - 1]).is_ge() {
            run += 1;
        }
    }
    // `binarySort` from the end of that run.
    for start in run..n {
        let pivot = a[start];
        let (mut left, mut right) = (0, start);
        while left < right {
            let mid = (left + right) / 2;
            if cmp(&pivot, &a[mid]).is_lt() {
                right = mid;
            } else {
                left = mid + 1;
            }
        }
        a.copy_within(left..start, left + 1);
        a[left] = pivot;
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
pub(super) fn loaded_order(m: &[(String, Json)]) -> Vec<&str> {
    let keys: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
    let n = keys.len();
    rehash(rehash(keys, table_default(n)), table_sized(n))
}

/// An object schema's properties as `getPropertySchemas()` iterates them: everit's loaded
/// order put into `ObjectSchema.Builder`'s `HashMap` (a non-object `$id` is skipped). A
/// 2019-09 / 2020-12 schema's properties reach that map straight from the document.
pub(super) fn properties<'a>(doc: &Doc, node: &'a Json) -> Vec<(String, &'a Json)> {
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

pub(super) fn node_of<'a>(m: &'a [(String, Json)], key: &str) -> Option<&'a Json> {
    m.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A definition as Confluent re-reads it (`replaceRefs`, then a new `JsonSchema` of the
/// Jackson tree): every object's keys in the order of the maps it went through (org.json,
/// `OrgJsonUtil.toMap`, the `new HashMap<>(map)` copy), every `$ref` made `#`.
pub(super) fn reread(v: &Json) -> Json {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_sort_is_stable_and_total_on_any_comparator() {
        // `TimSort` below 32 elements: a strictly descending leading run is reversed, the rest
        // inserted by binary search after equal elements (stable).
        let mut a = [(3, 'a'), (2, 'b'), (1, 'c'), (2, 'd'), (1, 'e'), (3, 'f')];
        java_sort(&mut a, |x, y| x.0.cmp(&y.0));
        assert_eq!(
            a,
            [(1, 'c'), (1, 'e'), (2, 'b'), (2, 'd'), (3, 'a'), (3, 'f')]
        );
        // A comparator that is no order at all still ends.
        let mut b: Vec<u32> = (0..100).collect();
        java_sort(&mut b, |x, y| {
            if (x + y) % 3 == 0 {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        });
        assert_eq!(b.len(), 100);
    }
}

//! Builds the `Model` of a document the way everit's `SchemaLoader` builds schema objects:
//! - a boolean is `TrueSchema` / `FalseSchema`; `{}` is an `EmptySchema`;
//! - an object with `$ref` is a `ReferenceSchema` and nothing else (its siblings are ignored,
//!   except the common properties such as `default`);
//! - otherwise the extractors run in order (enum, allOf/anyOf/oneOf, not, const, type, then
//!   sniffing of the keywords not consumed yet), each adding schemas; one schema is the
//!   result, several become a synthetic `allOf`; `"type": [..]` is an `anyOf` of one schema
//!   per type; keywords without a `type` still make an object/array/number/string schema;
//! - every reference to the same location shares one referred schema; targets are loaded
//!   from a work list (not recursively), so reference cycles and long chains terminate.

use super::javahash;
use super::model::*;
use super::refs::{self, Doc};
use crate::schema::Dependency;
use regex::RegexBuilder;
use serde_json::{Map, Value};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};

/// Deepest nesting of schemas loaded (the JSON parser already stops at 128 levels).
pub(super) const MAX_DEPTH: usize = 200;
/// Most schema nodes one document may produce.
const MAX_NODES: usize = 1_000_000;

/// Parses `text` and its references into a `Model`.
pub(super) fn load(text: &str, refs: &[Dependency]) -> Result<Model, String> {
    let mut root: Value =
        crate::schema::json::value_of(text).map_err(|e| format!("Invalid JSON Schema: {e}"))?;
    // A number (even one beyond `f64`, read as null), string or array at the root is
    // registered by Confluent and loads as the empty schema (`JsonSchema.rawSchema` converts
    // the node to an empty `JSONObject`). The text is read as Confluent's mapper reads it.
    if matches!(
        root,
        Value::Number(_) | Value::String(_) | Value::Array(_) | Value::Null
    ) {
        root = Value::Object(serde_json::Map::new());
    }
    let spec = Spec::of(&root);
    let mut docs = vec![Doc::new(String::new(), root, spec)];
    for dep in refs {
        // A reference that does not parse is left out: `$ref`s to it stay unresolved.
        if let Ok(value) = crate::schema::json::value_of(&dep.schema) {
            docs.push(Doc::new(dep.name.clone(), value, spec));
        }
    }
    let mut loader = Loader {
        docs: &docs,
        spec,
        nodes: Vec::new(),
        targets: Vec::new(),
        target_ix: HashMap::new(),
        pending: VecDeque::new(),
    };
    let root = loader.load(0, &docs[0].value, 0, false)?;
    while let Some((ix, doc, pointer)) = loader.pending.pop_front() {
        let Some(value) = docs.get(doc).and_then(|d| d.value.pointer(&pointer)) else {
            continue;
        };
        let node = loader.load(doc, value, 0, false)?;
        if let Some(slot) = loader.targets.get_mut(ix) {
            *slot = Some(node);
        }
    }
    Ok(Model {
        nodes: loader.nodes,
        targets: loader.targets,
        root,
    })
}

/// Hash of a JSON value, independent of object key order.
fn hash_value(v: &Value, h: &mut DefaultHasher) {
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => (2u8, n.to_string()).hash(h),
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(a) => {
            (4u8, a.len()).hash(h);
            for x in a {
                hash_value(x, h);
            }
        }
        Value::Object(o) => {
            (5u8, o.len()).hash(h);
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            for k in keys {
                k.hash(h);
                if let Some(x) = o.get(k) {
                    hash_value(x, h);
                }
            }
        }
    }
}

fn fingerprint(tag: &'static str, v: &Value) -> Option<(&'static str, u64)> {
    let mut h = DefaultHasher::new();
    hash_value(v, &mut h);
    Some((tag, h.finish()))
}

fn int(v: Option<&Value>) -> Option<i64> {
    let v = v?;
    v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
}

struct Loader<'d> {
    docs: &'d [Doc],
    spec: Spec,
    nodes: Vec<Node>,
    targets: Vec<Option<NodeId>>,
    target_ix: HashMap<(usize, String), usize>,
    pending: VecDeque<(usize, usize, String)>,
}

impl<'d> Loader<'d> {
    fn push(&mut self, kind: Kind) -> Result<NodeId, String> {
        if self.nodes.len() >= MAX_NODES {
            return Err("Invalid JSON Schema: too many schemas".to_string());
        }
        self.nodes.push(Node {
            kind,
            has_default: false,
            connect_bytes: false,
            fingerprint: None,
        });
        Ok(self.nodes.len() - 1)
    }

    /// `SchemaLoader.loadChild(..).build()`. `fp`: compute the equality fingerprint (only
    /// subschemas of combined schemas need one).
    fn load(&mut self, doc: usize, v: &'d Value, depth: usize, fp: bool) -> Result<NodeId, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "Invalid JSON Schema: nested deeper than {MAX_DEPTH} levels"
            ));
        }
        let id = match v {
            Value::Bool(true) => self.push(Kind::True)?,
            Value::Bool(false) => self.push(Kind::False)?,
            Value::Object(o) => self.load_object(doc, o, depth)?,
            other => {
                return Err(format!(
                    "Invalid JSON Schema: a schema must be an object or a boolean, found {other}"
                ))
            }
        };
        if fp {
            if let Some(n) = self.nodes.get_mut(id) {
                n.fingerprint = fingerprint("", v);
            }
        }
        Ok(id)
    }

    fn load_object(
        &mut self,
        doc: usize,
        o: &'d Map<String, Value>,
        depth: usize,
    ) -> Result<NodeId, String> {
        let effective = if let Some(r) = o.get("$ref") {
            let r = r
                .as_str()
                .ok_or("Invalid JSON Schema: $ref must be a string")?;
            let target = self.ref_target(doc, r);
            let reference = self.push(Kind::Ref(target))?;
            if self.spec == Spec::Modern && has_schema_keywords(o) {
                // json-sKema keeps `$ref` as one keyword among others; the translator joins
                // them into a generated allOf.
                let mut parts = vec![reference];
                self.parts(doc, o, depth, &mut parts)?;
                self.push(Kind::Combined(Criterion::All, parts))?
            } else {
                reference
            }
        } else {
            let mut parts: Vec<NodeId> = Vec::new();
            self.parts(doc, o, depth, &mut parts)?;
            match parts.len() {
                0 => self.push(Kind::Empty)?,
                1 => parts[0],
                _ => self.push(Kind::Combined(Criterion::All, parts))?,
            }
        };
        if let Some(n) = self.nodes.get_mut(effective) {
            n.has_default = o.contains_key("default");
            n.connect_bytes = o.get("connect.type").and_then(Value::as_str) == Some("bytes");
        }
        Ok(effective)
    }

    /// The schemas the extractors find in an object (before they are joined).
    fn parts(
        &mut self,
        doc: usize,
        o: &'d Map<String, Value>,
        depth: usize,
        parts: &mut Vec<NodeId>,
    ) -> Result<(), String> {
        let mut consumed: HashSet<&'static str> = HashSet::new();
        if let Some(values) = o.get("enum") {
            let values = values.as_array().cloned().unwrap_or_default();
            parts.push(self.tagged(Kind::Enum(values), "enum")?);
        }
        for crit in [Criterion::All, Criterion::Any, Criterion::One] {
            if let Some(subs) = o.get(crit.keyword()) {
                let mut ids = Vec::new();
                for sub in subs.as_array().into_iter().flatten() {
                    ids.push(self.load(doc, sub, depth + 1, true)?);
                }
                parts.push(self.tagged(Kind::Combined(crit, ids), crit.keyword())?);
            }
        }
        if let Some(not) = o.get("not") {
            let inner = self.load(doc, not, depth + 1, false)?;
            parts.push(self.tagged(Kind::Not(inner), "not")?);
        }
        if self.spec != Spec::Draft4 {
            if let Some(c) = o.get("const") {
                parts.push(self.tagged(Kind::Const(c.clone()), "const")?);
            }
        }
        match o.get("type") {
            Some(Value::String(t)) => {
                let kind = self.explicit_type(doc, o, t, depth, &mut consumed)?;
                parts.push(self.tagged(kind, "type")?);
            }
            Some(Value::Array(types)) => {
                let mut ids = Vec::new();
                for t in types {
                    let t = t
                        .as_str()
                        .ok_or("Invalid JSON Schema: type must be a string")?;
                    let kind = self.explicit_type(doc, o, t, depth, &mut consumed)?;
                    ids.push(self.tagged(kind, type_tag(t))?);
                }
                parts.push(self.tagged(Kind::Combined(Criterion::Any, ids), "type")?);
            }
            Some(_) => return Err("Invalid JSON Schema: type must be a string or an array".into()),
            None => {}
        }
        self.sniff(doc, o, depth, &consumed, parts)
    }

    /// A node standing for one extractor's part of an object (distinct from its siblings).
    fn tagged(&mut self, kind: Kind, tag: &'static str) -> Result<NodeId, String> {
        let id = self.push(kind)?;
        if let Some(n) = self.nodes.get_mut(id) {
            n.fingerprint = Some((tag, 0));
        }
        Ok(id)
    }

    /// `TypeBasedSchemaExtractor.loadForExplicitType`.
    fn explicit_type(
        &mut self,
        doc: usize,
        o: &'d Map<String, Value>,
        t: &str,
        depth: usize,
        consumed: &mut HashSet<&'static str>,
    ) -> Result<Kind, String> {
        Ok(match t {
            "string" => {
                consumed.extend(STRING_KEYWORDS);
                Kind::String(string_schema(o))
            }
            "integer" | "number" => {
                consumed.extend(NUMBER_KEYWORDS);
                let mut n = self.number_schema(o);
                n.requires_integer = t == "integer";
                Kind::Number(n)
            }
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            "array" => {
                consumed.extend(self.spec.array_keywords());
                Kind::Array(Box::new(self.array_schema(doc, o, depth)?))
            }
            "object" => {
                consumed.extend(self.spec.object_keywords());
                Kind::Object(Box::new(self.object_schema(doc, o, depth)?))
            }
            other => return Err(format!("Invalid JSON Schema: unknown type: [{other}]")),
        })
    }

    /// `PropertySnifferSchemaExtractor`: keywords not consumed by an explicit type.
    fn sniff(
        &mut self,
        doc: usize,
        o: &'d Map<String, Value>,
        depth: usize,
        consumed: &HashSet<&'static str>,
        parts: &mut Vec<NodeId>,
    ) -> Result<(), String> {
        let has = |kws: &[&'static str]| {
            kws.iter()
                .any(|k| !consumed.contains(k) && o.contains_key(*k))
        };
        if has(self.spec.array_keywords()) {
            let a = self.array_schema(doc, o, depth)?;
            parts.push(self.tagged(Kind::Array(Box::new(a)), "array")?);
        }
        if has(self.spec.object_keywords()) {
            let s = self.object_schema(doc, o, depth)?;
            parts.push(self.tagged(Kind::Object(Box::new(s)), "object")?);
        }
        if has(NUMBER_KEYWORDS) {
            let n = self.number_schema(o);
            parts.push(self.tagged(Kind::Number(n), "number")?);
        }
        if has(STRING_KEYWORDS) {
            parts.push(self.tagged(Kind::String(string_schema(o)), "string")?);
        }
        if self.spec != Spec::Draft4
            && self.spec != Spec::Draft6
            && ["if", "then", "else"].iter().any(|k| o.contains_key(*k))
        {
            parts.push(self.tagged(Kind::Conditional, "if")?);
        }
        Ok(())
    }

    fn number_schema(&self, o: &Map<String, Value>) -> NumberS {
        let f = |k: &str| o.get(k).and_then(Value::as_f64);
        let mut n = NumberS {
            minimum: f("minimum"),
            maximum: f("maximum"),
            multiple_of: o.get("multipleOf").and_then(|v| match v {
                Value::Number(n) => Some(n.clone()),
                _ => None,
            }),
            ..NumberS::default()
        };
        // Draft 4: boolean flags on maximum/minimum (no limit of their own); later: limits.
        if self.spec != Spec::Draft4 {
            n.exclusive_minimum = f("exclusiveMinimum");
            n.exclusive_maximum = f("exclusiveMaximum");
        }
        n
    }

    /// `ArraySchemaLoader.load` and the `ArraySchema` constructor.
    fn array_schema(
        &mut self,
        doc: usize,
        o: &'d Map<String, Value>,
        depth: usize,
    ) -> Result<ArrayS, String> {
        let mut a = ArrayS {
            min_items: int(o.get("minItems")),
            max_items: int(o.get("maxItems")),
            max_contains: int(o.get("maxContains")),
            min_contains: int(o.get("minContains")),
            unique_items: o
                .get("uniqueItems")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            ..ArrayS::default()
        };
        let mut additional = true;
        match o.get("additionalItems") {
            Some(Value::Bool(b)) => additional = *b,
            Some(v @ Value::Object(_)) => {
                a.additional_schema = Some(self.load(doc, v, depth + 1, false)?)
            }
            _ => {}
        }
        let prefix = if self.spec == Spec::Modern {
            o.get("prefixItems")
        } else {
            None
        };
        if self.spec == Spec::Modern {
            // SchemaTranslator.visitPrefixItemsSchema / visitItemsSchema: `items: true` adds
            // nothing, `false` closes the array, a schema is for all items or, after
            // `prefixItems`, for the additional ones.
            let tuple = match prefix {
                Some(Value::Array(items)) => Some(items),
                _ => match o.get("items") {
                    Some(Value::Array(items)) => Some(items),
                    _ => None,
                },
            };
            if let Some(items) = tuple {
                let mut ids = Vec::new();
                for it in items {
                    ids.push(self.load(doc, it, depth + 1, false)?);
                }
                a.item_schemas = Some(ids);
            }
            match o.get("items") {
                Some(Value::Bool(false)) => additional = false,
                Some(v @ Value::Object(_)) => {
                    let id = self.load(doc, v, depth + 1, false)?;
                    if a.item_schemas.as_ref().is_some_and(|t| !t.is_empty()) {
                        a.additional_schema = Some(id);
                    } else {
                        a.all_items = Some(id);
                    }
                }
                _ => {}
            }
        } else {
            match o.get("items") {
                Some(Value::Array(items)) => {
                    let mut ids = Vec::new();
                    for it in items {
                        ids.push(self.load(doc, it, depth + 1, false)?);
                    }
                    a.item_schemas = Some(ids);
                }
                Some(v @ Value::Object(_)) => {
                    a.all_items = Some(self.load(doc, v, depth + 1, false)?)
                }
                Some(v @ Value::Bool(_)) if self.spec != Spec::Draft4 => {
                    a.all_items = Some(self.load(doc, v, depth + 1, false)?)
                }
                _ => {}
            }
        }
        if let Some(v @ (Value::Object(_) | Value::Bool(_))) = o.get("unevaluatedItems") {
            if self.spec == Spec::Modern {
                a.unevaluated = Some(self.load(doc, v, depth + 1, false)?);
            }
        }
        a.additional = if !additional && a.all_items.is_some() {
            true
        } else {
            a.additional_schema.is_some() || additional
        };
        Ok(a)
    }

    /// `ObjectSchemaLoader.load`.
    fn object_schema(
        &mut self,
        doc: usize,
        o: &'d Map<String, Value>,
        depth: usize,
    ) -> Result<ObjectS, String> {
        let mut s = ObjectS {
            min_properties: int(o.get("minProperties")),
            max_properties: int(o.get("maxProperties")),
            ..ObjectS::default()
        };
        if let Some(Value::Object(props)) = o.get("properties") {
            let id_kw = self.spec.id_keyword();
            let mut loaded = Vec::new();
            for (k, v) in props {
                if k == id_kw && !v.is_object() {
                    continue;
                }
                loaded.push((k.clone(), self.load(doc, v, depth + 1, false)?));
            }
            s.properties = javahash::map_order(loaded.into_iter().map(KeyFirst).collect())
                .into_iter()
                .map(|k| k.0)
                .collect();
            s.property_index = s.properties.iter().cloned().collect();
        }
        match o.get("additionalProperties") {
            Some(Value::Bool(b)) => s.additional = *b,
            Some(v @ Value::Object(_)) => {
                s.additional_schema = Some(self.load(doc, v, depth + 1, false)?)
            }
            _ => {}
        }
        if let Some(Value::Array(req)) = o.get("required") {
            s.required = req
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
        }
        if let Some(Value::Object(pats)) = o.get("patternProperties") {
            for (p, v) in pats {
                let regex = RegexBuilder::new(p).size_limit(1 << 20).build().ok();
                let schema = self.load(doc, v, depth + 1, false)?;
                s.patterns.push(PatternProperty { regex, schema });
            }
        }
        let mut prop_deps: Vec<(String, Vec<String>)> = Vec::new();
        let mut schema_deps: Vec<(String, NodeId)> = Vec::new();
        let dep_sources: &[&str] = if self.spec == Spec::Modern {
            &["dependencies", "dependentRequired", "dependentSchemas"]
        } else {
            &["dependencies"]
        };
        for key in dep_sources {
            if let Some(Value::Object(deps)) = o.get(*key) {
                for (k, v) in deps {
                    match v {
                        Value::Array(names) => {
                            let mut set: Vec<String> = Vec::new();
                            for n in names.iter().filter_map(Value::as_str) {
                                if !set.iter().any(|x| x == n) {
                                    set.push(n.to_string());
                                }
                            }
                            match prop_deps.iter_mut().find(|(x, _)| x == k) {
                                Some((_, existing)) => existing.extend(set),
                                None => prop_deps.push((k.clone(), set)),
                            }
                        }
                        Value::Object(_) | Value::Bool(_) => {
                            let id = self.load(doc, v, depth + 1, false)?;
                            schema_deps.retain(|(x, _)| x != k);
                            schema_deps.push((k.clone(), id));
                        }
                        _ => {}
                    }
                }
            }
        }
        // ObjectSchema copies both maps with `new HashMap<>(map)`.
        let n = prop_deps.len();
        s.property_deps = javahash::order(
            javahash::map_order(prop_deps.into_iter().map(KeyFirst).collect()),
            javahash::copy_table(n, n, false),
        )
        .into_iter()
        .map(|k| k.0)
        .collect();
        let n = schema_deps.len();
        s.schema_deps = javahash::order(
            javahash::map_order(schema_deps.into_iter().map(KeyFirst).collect()),
            javahash::copy_table(n, n, false),
        )
        .into_iter()
        .map(|k| k.0)
        .collect();
        if self.spec == Spec::Modern {
            if let Some(v @ (Value::Object(_) | Value::Bool(_))) = o.get("unevaluatedProperties") {
                s.unevaluated = Some(self.load(doc, v, depth + 1, false)?);
            }
        }
        Ok(s)
    }

    /// The shared referred-schema slot for `$ref` `r` met in document `doc`.
    fn ref_target(&mut self, doc: usize, r: &str) -> usize {
        let key = refs::resolve(self.docs, doc, r).unwrap_or((usize::MAX, r.to_string()));
        if let Some(ix) = self.target_ix.get(&key) {
            return *ix;
        }
        let ix = self.targets.len();
        self.targets.push(None);
        if key.0 != usize::MAX {
            self.pending.push_back((ix, key.0, key.1.clone()));
        }
        self.target_ix.insert(key, ix);
        ix
    }
}

fn type_tag(t: &str) -> &'static str {
    match t {
        "string" => "string",
        "integer" => "integer",
        "number" => "number",
        "boolean" => "boolean",
        "null" => "null",
        "array" => "array",
        "object" => "object",
        _ => "?",
    }
}

/// `StringSchemaLoader.load`.
fn string_schema(o: &Map<String, Value>) -> StringS {
    StringS {
        min_length: int(o.get("minLength")),
        max_length: int(o.get("maxLength")),
        pattern: o.get("pattern").and_then(Value::as_str).map(str::to_string),
    }
}

/// A (key, value) pair ordered by its key in Java hash order.
struct KeyFirst<T>((String, T));

impl<T> AsRef<str> for KeyFirst<T> {
    fn as_ref(&self) -> &str {
        &(self.0).0
    }
}

/// Does an object have keywords that make a schema besides `$ref`?
fn has_schema_keywords(o: &Map<String, Value>) -> bool {
    const OTHERS: &[&str] = &[
        "type", "enum", "const", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
    ];
    let spec = Spec::Modern;
    o.keys().any(|k| {
        let k = k.as_str();
        OTHERS.contains(&k)
            || spec.object_keywords().contains(&k)
            || spec.array_keywords().contains(&k)
            || NUMBER_KEYWORDS.contains(&k)
            || STRING_KEYWORDS.contains(&k)
    })
}

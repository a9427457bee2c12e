//! Java's `Schema.Parser`: structure checks, name resolution, default validation, and
//! Avro's error texts.

use super::model::*;
use super::{fail, AvroError, MAX_DEPTH};
use crate::json::{java_parse_double, Json, JsonReader, MAX_JSON_DEPTH};
use std::collections::{HashMap, HashSet};

pub(crate) fn required_text(j: &Json, key: &str, msg: &str) -> Result<String, AvroError> {
    match j.get(key).and_then(Json::text) {
        Some(s) => Ok(s.to_string()),
        None => fail(format!("{msg}: {}", j.to_json_string())),
    }
}

pub(crate) fn optional_text(j: &Json, key: &str) -> Option<String> {
    j.get(key).and_then(Json::text).map(str::to_string)
}

/// Java `Schema.parseAliases`.
pub(crate) fn parse_aliases(node: &Json) -> Result<Option<Vec<String>>, AvroError> {
    match node.get("aliases") {
        None => Ok(None),
        Some(Json::Arr(items)) => {
            let mut out: Vec<String> = Vec::new();
            let mut seen: HashSet<&str> = HashSet::new();
            for a in items {
                match a {
                    Json::Str(s) => {
                        if seen.insert(s) {
                            out.push(s.clone());
                        }
                    }
                    other => {
                        return fail(format!("alias not a string: {}", other.to_json_string()))
                    }
                }
            }
            Ok(Some(out))
        }
        Some(_) => fail(format!("aliases not an array: {}", node.to_json_string())),
    }
}

/// What a type name resolves to (Java `Names.get(String)`).
pub(crate) enum Target {
    Prim(Kind),
    Named(usize),
}

/// One Java `Schema.Parser`: the named types known so far and the current namespace.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) nodes: Vec<Node>,
    pub(crate) names: HashMap<String, usize>,
    /// Full names in definition order.
    pub(crate) order: Vec<String>,
    pub(crate) space: Option<String>,
    pub(crate) validate_defaults: bool,
}

impl Ctx {
    pub(crate) fn new(validate_defaults: bool) -> Ctx {
        Ctx {
            nodes: Vec::new(),
            names: HashMap::new(),
            order: Vec::new(),
            space: None,
            validate_defaults,
        }
    }

    pub(crate) fn node(&self, sid: usize) -> Result<&Node, AvroError> {
        self.nodes
            .get(sid)
            .ok_or_else(|| AvroError("internal error: unknown schema".to_string()))
    }

    pub(crate) fn node_mut(&mut self, sid: usize) -> Result<&mut Node, AvroError> {
        self.nodes
            .get_mut(sid)
            .ok_or_else(|| AvroError("internal error: unknown schema".to_string()))
    }

    pub(crate) fn kind(&self, sid: usize) -> Result<Kind, AvroError> {
        Ok(self.node(sid)?.kind)
    }

    pub(crate) fn alloc(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    pub(crate) fn add_name(&mut self, sid: usize) -> Result<(), AvroError> {
        let full = match &self.node(sid)?.name {
            Some(n) => n.full.clone(),
            None => return Ok(()),
        };
        if self.names.contains_key(&full) {
            return fail(format!("Can't redefine: {full}"));
        }
        self.names.insert(full.clone(), sid);
        self.order.push(full);
        Ok(())
    }

    pub(crate) fn lookup(&self, text: &str) -> Result<Option<Target>, AvroError> {
        if let Some(k) = Kind::primitive(text) {
            return Ok(Some(Target::Prim(k)));
        }
        let n = Name::new(text, self.space.as_deref())?;
        if let Some(&sid) = self.names.get(&n.full) {
            return Ok(Some(Target::Named(sid)));
        }
        let n = Name::new(text, None)?;
        Ok(self.names.get(&n.full).map(|&sid| Target::Named(sid)))
    }

    /// `Schema.Parser.parse(String)`: JSON reading, schema parsing, dangling content check.
    pub(crate) fn parse_text(&mut self, text: &str) -> Result<usize, AvroError> {
        let mut reader = JsonReader::new(text);
        let Some(json) = reader.root()? else {
            return fail("Cannot parse <null> schema");
        };
        let sid = self.parse_schema(&json, 1)?;
        let rest = text
            .get(reader.i..)
            .unwrap_or("")
            .trim_matches(|c: char| c <= ' ');
        if !rest.is_empty() {
            return fail(format!("dangling content after end of schema: {rest}"));
        }
        Ok(sid)
    }

    pub(crate) fn parse_schema(&mut self, j: &Json, depth: usize) -> Result<usize, AvroError> {
        if depth > MAX_DEPTH {
            return fail(format!(
                "Schema nesting depth exceeds the maximum of {MAX_DEPTH} levels"
            ));
        }
        match j {
            Json::Str(s) => match self.lookup(s)? {
                Some(Target::Prim(k)) => Ok(self.alloc(Node::new(k))),
                Some(Target::Named(sid)) => Ok(sid),
                None => fail(format!("Undefined name: {}", j.to_json_string())),
            },
            Json::Obj(_) => self.parse_object(j, depth),
            Json::Arr(items) => {
                let mut types = Vec::with_capacity(items.len());
                for t in items {
                    types.push(self.parse_schema(t, depth + 1)?);
                }
                let mut node = Node::new(Kind::Union);
                node.children = types.clone();
                let sid = self.alloc(node);
                let mut seen: HashSet<String> = HashSet::new();
                for t in types {
                    let n = self.node(t)?;
                    if n.kind == Kind::Union {
                        return fail(format!("Nested union: {}", self.to_string_fresh(sid)?));
                    }
                    let full = n.full_name().to_string();
                    if !seen.insert(full.clone()) {
                        return fail(format!("Duplicate in union:{full}"));
                    }
                }
                Ok(sid)
            }
            other => fail(format!(
                "Schema not yet supported: {}",
                other.to_json_string()
            )),
        }
    }

    pub(crate) fn check_primitive_name(name: &Name) -> Result<(), AvroError> {
        if Kind::primitive(&name.full).is_some() {
            return fail(format!(
                "Schemas may not be named after primitives: {}",
                name.full
            ));
        }
        Ok(())
    }

    pub(crate) fn parse_object(&mut self, j: &Json, depth: usize) -> Result<usize, AvroError> {
        let ty = required_text(j, "type", "No type")?;
        let is_error = ty == "error";
        let is_record = ty == "record";
        let is_enum = ty == "enum";
        let is_fixed = ty == "fixed";
        let is_named = is_record || is_error || is_enum || is_fixed;
        let saved_space = self.space.clone();
        let mut name: Option<Name> = None;
        let mut doc: Option<String> = None;
        if is_named {
            let space = optional_text(j, "namespace").or_else(|| saved_space.clone());
            doc = optional_text(j, "doc");
            let n = required_text(j, "name", "No name in schema")?;
            let n = Name::new(&n, space.as_deref())?;
            self.space = n.space.clone();
            name = Some(n);
        }
        let sid = if let Some(k) = Kind::primitive(&ty) {
            self.alloc(Node::new(k))
        } else if is_record || is_error {
            let Some(nm) = name.clone() else {
                return fail(format!("No name in schema: {}", j.to_json_string()));
            };
            Self::check_primitive_name(&nm)?;
            let mut node = Node::new(Kind::Record);
            node.name = Some(nm);
            node.doc = doc;
            node.is_error = is_error;
            let sid = self.alloc(node);
            self.add_name(sid)?;
            let Some(Json::Arr(field_nodes)) = j.get("fields") else {
                return fail(format!("Record has no fields: {}", j.to_json_string()));
            };
            let mut fields = Vec::with_capacity(field_nodes.len());
            for f in field_nodes {
                fields.push(self.parse_field(f, depth)?);
            }
            self.set_fields(sid, fields)?;
            sid
        } else if is_enum {
            let Some(nm) = name.clone() else {
                return fail(format!("No name in schema: {}", j.to_json_string()));
            };
            let Some(Json::Arr(symbol_nodes)) = j.get("symbols") else {
                return fail(format!("Enum has no symbols: {}", j.to_json_string()));
            };
            let default = j.get("default").and_then(Json::text).map(str::to_string);
            Self::check_primitive_name(&nm)?;
            let mut symbols: Vec<String> = Vec::with_capacity(symbol_nodes.len());
            let mut seen: HashSet<&str> = HashSet::new();
            for s in symbol_nodes {
                let Some(s) = s.text() else {
                    return fail("Null name");
                };
                validate_name(s)?;
                if !seen.insert(s) {
                    return fail(format!("Duplicate enum symbol: {s}"));
                }
                symbols.push(s.to_string());
            }
            if let Some(d) = &default {
                if !symbols.contains(d) {
                    return fail(format!(
                        "The Enum Default: {d} is not in the enum symbol set: [{}]",
                        symbols.join(", ")
                    ));
                }
            }
            let mut node = Node::new(Kind::Enum);
            node.name = Some(nm);
            node.doc = doc;
            node.symbols = symbols;
            node.enum_default = default;
            let sid = self.alloc(node);
            self.add_name(sid)?;
            sid
        } else if ty == "array" {
            let Some(items) = j.get("items") else {
                return fail(format!("Array has no items type: {}", j.to_json_string()));
            };
            let child = self.parse_schema(items, depth + 1)?;
            let mut node = Node::new(Kind::Array);
            node.children.push(child);
            self.alloc(node)
        } else if ty == "map" {
            let Some(values) = j.get("values") else {
                return fail(format!("Map has no values type: {}", j.to_json_string()));
            };
            let child = self.parse_schema(values, depth + 1)?;
            let mut node = Node::new(Kind::Map);
            node.children.push(child);
            self.alloc(node)
        } else if is_fixed {
            let Some(nm) = name.clone() else {
                return fail(format!("No name in schema: {}", j.to_json_string()));
            };
            let size = match j.get("size") {
                Some(Json::Int(n)) => *n,
                _ => return fail(format!("Invalid or no size: {}", j.to_json_string())),
            };
            Self::check_primitive_name(&nm)?;
            if size < 0 {
                return fail(format!("Malformed data. Length is negative: {size}"));
            }
            if size > i32::MAX - 8 {
                return fail(format!(
                    "Cannot read arrays longer than {} bytes in Java library",
                    i32::MAX - 8
                ));
            }
            let mut node = Node::new(Kind::Fixed);
            node.name = Some(nm);
            node.doc = doc;
            node.size = size;
            let sid = self.alloc(node);
            self.add_name(sid)?;
            sid
        } else {
            let n = Name::new(&ty, self.space.as_deref())?;
            if let Some(&sid) = self.names.get(&n.full) {
                return Ok(sid);
            }
            return fail(format!("Type not supported: {ty}"));
        };
        let reserved = if is_enum {
            ENUM_RESERVED
        } else {
            SCHEMA_RESERVED
        };
        let mut props = Vec::new();
        if let Json::Obj(m) = j {
            for (k, v) in m {
                if !reserved.contains(&k.as_str()) {
                    props.push((k.clone(), v.clone()));
                }
            }
        }
        {
            let node = self.node_mut(sid)?;
            node.props = props;
            node.logical = logical_of(node);
        }
        self.space = saved_space;
        if is_named {
            if let Some(aliases) = parse_aliases(j)? {
                let own_space = self.node(sid)?.name.as_ref().and_then(|n| n.space.clone());
                let mut names: Vec<Name> = Vec::new();
                let mut seen: HashSet<String> = HashSet::new();
                for a in aliases {
                    let n = Name::new(&a, own_space.as_deref())?;
                    if seen.insert(n.full.clone()) {
                        names.push(n);
                    }
                }
                self.node_mut(sid)?.aliases = names;
            }
        }
        Ok(sid)
    }

    pub(crate) fn parse_field(&mut self, f: &Json, depth: usize) -> Result<Field, AvroError> {
        let fname = required_text(f, "name", "No field name")?;
        let fdoc = optional_text(f, "doc");
        let Some(ftype) = f.get("type") else {
            return fail(format!("No field type: {}", f.to_json_string()));
        };
        if let Json::Str(t) = ftype {
            if self.lookup(t)?.is_none() {
                return fail(format!(
                    "{} is not a defined name. The type of the \"{fname}\" field must be a defined name or a {{\"type\": ...}} expression.",
                    ftype.to_json_string()
                ));
            }
        }
        let fsid = self.parse_schema(ftype, depth + 1)?;
        let order = match f.get("order") {
            None => Order::Ascending,
            Some(o) => match o.text() {
                None => return fail(
                    "Cannot invoke \"String.toUpperCase(java.util.Locale)\" because the return value of \"com.fasterxml.jackson.databind.JsonNode.textValue()\" is null",
                ),
                Some(t) => match t.to_uppercase().as_str() {
                    "ASCENDING" => Order::Ascending,
                    "DESCENDING" => Order::Descending,
                    "IGNORE" => Order::Ignore,
                    other => {
                        return fail(format!(
                            "No enum constant org.apache.avro.Schema.Field.Order.{other}"
                        ))
                    }
                },
            },
        };
        let mut default = f.get("default").cloned();
        if let Some(Json::Str(t)) = &default {
            if matches!(self.kind(fsid)?, Kind::Float | Kind::Double) {
                default = Some(Json::Double(java_parse_double(t)?));
            }
        }
        validate_name(&fname)?;
        if self.validate_defaults {
            if let Some(d) = &default {
                if !self.is_valid_default(fsid, d, 0)? {
                    return fail(format!(
                        "Invalid default for field {fname}: {} not a {}",
                        d.to_json_string(),
                        self.to_string_fresh(fsid)?
                    ));
                }
            }
        }
        let mut props = Vec::new();
        if let Json::Obj(m) = f {
            for (k, v) in m {
                if !FIELD_RESERVED.contains(&k.as_str()) {
                    props.push((k.clone(), v.clone()));
                }
            }
        }
        let aliases = parse_aliases(f)?.unwrap_or_default();
        Ok(Field {
            name: fname,
            ty: fsid,
            doc: fdoc,
            default,
            order,
            aliases,
            props,
        })
    }

    pub(crate) fn set_fields(&mut self, sid: usize, fields: Vec<Field>) -> Result<(), AvroError> {
        let record = self
            .node(sid)?
            .name
            .as_ref()
            .map(|n| n.full.clone())
            .unwrap_or_default();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (pos, f) in fields.iter().enumerate() {
            if let Some(&prev) = seen.get(f.name.as_str()) {
                let describe = |f: &Field, pos: usize| -> Result<String, AvroError> {
                    Ok(format!(
                        "{} type:{} pos:{pos}",
                        f.name,
                        self.kind(f.ty)?.name().to_uppercase()
                    ))
                };
                let existing = fields.get(prev).map(|e| describe(e, prev)).transpose()?;
                return fail(format!(
                    "Duplicate field {} in record {record}: {} and {}.",
                    f.name,
                    describe(f, pos)?,
                    existing.unwrap_or_default()
                ));
            }
            seen.insert(&f.name, pos);
        }
        self.node_mut(sid)?.fields = Some(fields);
        Ok(())
    }

    /// Java 1.11 `Schema.isValidDefault` (unions: the first branch only).
    pub(crate) fn is_valid_default(
        &self,
        sid: usize,
        v: &Json,
        depth: usize,
    ) -> Result<bool, AvroError> {
        if depth > MAX_JSON_DEPTH {
            return fail("Default value nested too deeply");
        }
        let node = self.node(sid)?;
        Ok(match node.kind {
            Kind::String | Kind::Bytes | Kind::Enum | Kind::Fixed => matches!(v, Json::Str(_)),
            Kind::Int => matches!(v, Json::Int(_)),
            Kind::Long => matches!(v, Json::Int(_) | Json::Long(_)),
            Kind::Float | Kind::Double => v.is_number(),
            Kind::Boolean => matches!(v, Json::Bool(_)),
            Kind::Null => matches!(v, Json::Null),
            Kind::Array => match (v, node.children.first()) {
                (Json::Arr(items), Some(&elem)) => {
                    for x in items {
                        if !self.is_valid_default(elem, x, depth + 1)? {
                            return Ok(false);
                        }
                    }
                    true
                }
                _ => false,
            },
            Kind::Map => match (v, node.children.first()) {
                (Json::Obj(m), Some(&val)) => {
                    for (_, x) in m {
                        if !self.is_valid_default(val, x, depth + 1)? {
                            return Ok(false);
                        }
                    }
                    true
                }
                _ => false,
            },
            Kind::Union => match node.children.first() {
                Some(&first) => self.is_valid_default(first, v, depth + 1)?,
                None => return fail("Index 0 out of bounds for length 0"),
            },
            Kind::Record => {
                if !matches!(v, Json::Obj(_)) {
                    return Ok(false);
                }
                let Some(fields) = &node.fields else {
                    return fail("Schema fields not set yet");
                };
                for f in fields {
                    let value = v.get(&f.name).or(f.default.as_ref());
                    match value {
                        Some(x) => {
                            if !self.is_valid_default(f.ty, x, depth + 1)? {
                                return Ok(false);
                            }
                        }
                        None => return Ok(false),
                    }
                }
                true
            }
        })
    }
}

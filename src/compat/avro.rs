//! Avro reader/writer schema compatibility, following the rules of Apache Avro's Java
//! `SchemaCompatibility` checker (the one Confluent Schema Registry delegates to) and rendering
//! every incompatibility the way Confluent prints it.
//!
//! Behaviour reproduced on purpose, because Confluent's answers depend on it:
//! - every incompatibility is collected (not just the first), in the order the Java checker
//!   visits the schemas;
//! - results are memoized per (reader node, writer node) pair, by identity: a named type used
//!   twice is one node, so a second use of the same pair repeats the first result verbatim
//!   (same location); a pair met again while it is still being checked counts as compatible,
//!   which is what makes recursive types terminate;
//! - when the writer is a union and the reader is not, and when the branches of a union are
//!   tried, the branch checks start from a fresh location, so their paths are relative (`/`);
//! - a reader field that matches several writer fields (by name and aliases) aborts the whole
//!   check, as the Java exception does; Confluent reports it as a single message.
//!
//! The module is pure: no I/O, bounded recursion, no panics on any input.

use crate::schema::avro::read_json;
use serde_json::Value;
use std::collections::HashMap;

/// Deepest nesting of reader/writer pairs followed before giving up (keeps the stack bounded).
const MAX_CHECK_DEPTH: usize = 300;
/// Upper bound on the number of incompatibilities kept for one check.
const MAX_INCOMPATIBILITIES: usize = 1000;
/// How Confluent prefixes the message of an exception thrown by the checker.
const EXCEPTION_PREFIX: &str = "Unexpected exception during compatibility check: ";

/// Can data written with `writer` be read with `reader`? Returns every incompatibility found,
/// each already rendered as Confluent prints it, e.g.
/// `{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: INT not compatible with writer type: STRING'}`.
/// Empty = compatible. `reader`/`writer` are valid Avro schema texts (already validated by the parser);
/// `*_refs` are the texts of the schemas they reference, in dependency order (named types defined there may be used by name).
/// `reader_is_new`: true when the reader is the schema being registered (BACKWARD direction), false when the
/// writer is the new one (FORWARD direction); Confluent's description wording says "new schema"/"old schema"
/// accordingly.
pub fn incompatibilities(
    reader: &str,
    reader_refs: &[&str],
    writer: &str,
    writer_refs: &[&str],
    reader_is_new: bool,
) -> Vec<String> {
    let reader_schema = match Schema::parse(reader, reader_refs) {
        Ok(s) => s,
        Err(e) => return vec![format!("{EXCEPTION_PREFIX}invalid reader schema: {e}")],
    };
    let writer_schema = match Schema::parse(writer, writer_refs) {
        Ok(s) => s,
        Err(e) => return vec![format!("{EXCEPTION_PREFIX}invalid writer schema: {e}")],
    };
    let mut checker = Checker {
        reader: &reader_schema,
        writer: &writer_schema,
        memo: HashMap::new(),
    };
    match checker.top_level() {
        Ok(result) => {
            let (reader_label, writer_label) = if reader_is_new {
                ("new", "old")
            } else {
                ("old", "new")
            };
            result
                .items
                .iter()
                .map(|i| i.render(reader_label, writer_label))
                .collect()
        }
        Err(message) => vec![format!("{EXCEPTION_PREFIX}{message}")],
    }
}

// ---------------------------------------------------------------------------------------------
// Schema model
// ---------------------------------------------------------------------------------------------

/// Avro schema types, named as Java's `Schema.Type` prints them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Record,
    Enum,
    Array,
    Map,
    Union,
    Fixed,
}

impl Kind {
    fn java_name(self) -> &'static str {
        match self {
            Kind::Null => "NULL",
            Kind::Boolean => "BOOLEAN",
            Kind::Int => "INT",
            Kind::Long => "LONG",
            Kind::Float => "FLOAT",
            Kind::Double => "DOUBLE",
            Kind::Bytes => "BYTES",
            Kind::String => "STRING",
            Kind::Record => "RECORD",
            Kind::Enum => "ENUM",
            Kind::Array => "ARRAY",
            Kind::Map => "MAP",
            Kind::Union => "UNION",
            Kind::Fixed => "FIXED",
        }
    }

    fn primitive(name: &str) -> Option<Kind> {
        Some(match name {
            "null" => Kind::Null,
            "boolean" => Kind::Boolean,
            "int" => Kind::Int,
            "long" => Kind::Long,
            "float" => Kind::Float,
            "double" => Kind::Double,
            "bytes" => Kind::Bytes,
            "string" => Kind::String,
            _ => return None,
        })
    }
}

type NodeId = usize;

/// Name data of a named type (record, enum, fixed).
#[derive(Debug, Default)]
struct Named {
    /// Unqualified name.
    name: String,
    /// Full name (namespace-qualified).
    full: String,
    /// Full names of the aliases.
    aliases: Vec<String>,
}

#[derive(Debug)]
struct Field {
    name: String,
    aliases: Vec<String>,
    has_default: bool,
    ty: NodeId,
}

#[derive(Debug)]
enum Node {
    Primitive(Kind),
    Array(NodeId),
    Map(NodeId),
    Union(Vec<NodeId>),
    Record {
        named: Named,
        fields: Vec<Field>,
        by_name: HashMap<String, usize>,
        /// Which parsed document (index into `Schema::docs`) and where in it (JSON pointer).
        doc: usize,
        pointer: String,
    },
    Enum {
        named: Named,
        symbols: Vec<String>,
        default: Option<String>,
    },
    Fixed {
        named: Named,
        size: i64,
    },
    /// A use of a named type by name; `target` is the definition once resolved.
    Ref {
        full: String,
        fallback: String,
        target: Option<NodeId>,
    },
}

/// A parsed schema: an arena of nodes in which each named type is a single node, so that node
/// ids have the identity semantics of Java's `Schema` objects.
struct Schema {
    nodes: Vec<Node>,
    root: NodeId,
    docs: Vec<Value>,
}

/// Empty record standing in for a name that does not resolve (never happens for validated
/// schemas, but must not panic).
static EMPTY_FIELDS: [Field; 0] = [];

impl Schema {
    fn parse(text: &str, refs: &[&str]) -> Result<Schema, String> {
        let mut docs = Vec::with_capacity(refs.len() + 1);
        for r in refs {
            docs.push(
                read_doc(r).map_err(|e| format!("referenced schema is not valid JSON: {e}"))?,
            );
        }
        docs.push(read_doc(text).map_err(|e| format!("not valid JSON: {e}"))?);
        let mut parser = Parser {
            nodes: Vec::new(),
            names: HashMap::new(),
        };
        let mut root = 0;
        for (i, doc) in docs.iter().enumerate() {
            let mut pointer = String::new();
            root = parser.parse(doc, None, i, &mut pointer);
        }
        let Parser { mut nodes, names } = parser;
        for node in nodes.iter_mut() {
            if let Node::Ref {
                full,
                fallback,
                target,
            } = node
            {
                *target = names
                    .get(full.as_str())
                    .or_else(|| names.get(fallback.as_str()))
                    .copied();
            }
        }
        Ok(Schema { nodes, root, docs })
    }

    /// Follows a named reference to its definition.
    fn resolve(&self, id: NodeId) -> NodeId {
        match self.nodes.get(id) {
            Some(Node::Ref {
                target: Some(t), ..
            }) => *t,
            _ => id,
        }
    }

    fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(self.resolve(id))
    }

    fn kind(&self, id: NodeId) -> Kind {
        match self.node(id) {
            Some(Node::Primitive(k)) => *k,
            Some(Node::Array(_)) => Kind::Array,
            Some(Node::Map(_)) => Kind::Map,
            Some(Node::Union(_)) => Kind::Union,
            Some(Node::Record { .. }) => Kind::Record,
            Some(Node::Enum { .. }) => Kind::Enum,
            Some(Node::Fixed { .. }) => Kind::Fixed,
            // An unresolved name behaves as an empty record of that name.
            Some(Node::Ref { .. }) => Kind::Record,
            None => Kind::Null,
        }
    }

    /// Name data of a named node (unresolved names yield their own name).
    fn named(&self, id: NodeId) -> Named {
        match self.node(id) {
            Some(Node::Record { named, .. })
            | Some(Node::Enum { named, .. })
            | Some(Node::Fixed { named, .. }) => Named {
                name: named.name.clone(),
                full: named.full.clone(),
                aliases: named.aliases.clone(),
            },
            Some(Node::Ref { full, .. }) => Named {
                name: full.rsplit('.').next().unwrap_or_default().to_string(),
                full: full.clone(),
                aliases: Vec::new(),
            },
            _ => Named::default(),
        }
    }

    fn fields(&self, id: NodeId) -> &[Field] {
        match self.node(id) {
            Some(Node::Record { fields, .. }) => fields,
            _ => &EMPTY_FIELDS,
        }
    }

    fn field_named(&self, id: NodeId, name: &str) -> Option<&Field> {
        match self.node(id) {
            Some(Node::Record {
                fields, by_name, ..
            }) => by_name.get(name).and_then(|&i| fields.get(i)),
            _ => None,
        }
    }

    fn branches(&self, id: NodeId) -> &[NodeId] {
        match self.node(id) {
            Some(Node::Union(b)) => b,
            _ => &[],
        }
    }

    /// The schema text of a record, as close to Java's `Schema.toString()` as the source allows.
    fn record_text(&self, id: NodeId) -> String {
        match self.node(id) {
            Some(Node::Record { doc, pointer, .. }) => self
                .docs
                .get(*doc)
                .and_then(|d| d.pointer(pointer))
                .map(|v| v.to_string())
                .unwrap_or_default(),
            Some(Node::Ref { full, .. }) => format!("\"{full}\""),
            _ => String::new(),
        }
    }
}

struct Parser {
    nodes: Vec<Node>,
    names: HashMap<String, NodeId>,
}

/// Reads a schema's JSON: with serde_json (fast), else with the parser's own JSON reader, since
/// serde_json stops at 128 levels of nesting and the parser accepts up to 512 (a schema the
/// parser accepts must be checkable). The error is serde_json's when both refuse the text.
fn read_doc(text: &str) -> Result<Value, String> {
    serde_json::from_str::<Value>(text).or_else(|e| read_json(text).map_err(|_| e.to_string()))
}

fn push_pointer(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&token.replace('~', "~0").replace('/', "~1"));
}

/// Splits a possibly dotted name into (namespace, simple name); an empty namespace is none.
fn split_name(name: &str, enclosing: Option<&str>) -> (Option<String>, String) {
    match name.rfind('.') {
        Some(dot) => {
            let space = &name[..dot];
            let simple = &name[dot + 1..];
            let space = if space.is_empty() {
                None
            } else {
                Some(space.to_string())
            };
            (space, simple.to_string())
        }
        None => (
            enclosing.filter(|s| !s.is_empty()).map(str::to_string),
            name.to_string(),
        ),
    }
}

fn full_name(space: &Option<String>, simple: &str) -> String {
    match space {
        Some(s) => format!("{s}.{simple}"),
        None => simple.to_string(),
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

impl Parser {
    fn add(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// A type given by name: a primitive, or a use of a named type.
    fn parse_name(&mut self, name: &str, space: Option<&str>) -> NodeId {
        if let Some(kind) = Kind::primitive(name) {
            return self.add(Node::Primitive(kind));
        }
        let (ns, simple) = split_name(name, space);
        let full = full_name(&ns, &simple);
        let (ns0, simple0) = split_name(name, None);
        let fallback = full_name(&ns0, &simple0);
        let target = self
            .names
            .get(&full)
            .or_else(|| self.names.get(&fallback))
            .copied();
        match target {
            Some(t) => t,
            None => self.add(Node::Ref {
                full,
                fallback,
                target: None,
            }),
        }
    }

    /// Parses a schema JSON value. `space` is the enclosing namespace, `doc`/`pointer` locate
    /// the value in its document. Recursion is bounded by the nesting limit of the JSON reader.
    fn parse(
        &mut self,
        v: &Value,
        space: Option<&str>,
        doc: usize,
        pointer: &mut String,
    ) -> NodeId {
        match v {
            Value::String(s) => self.parse_name(s, space),
            Value::Array(items) => {
                let mut branches = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let len = pointer.len();
                    push_pointer(pointer, &i.to_string());
                    branches.push(self.parse(item, space, doc, pointer));
                    pointer.truncate(len);
                }
                self.add(Node::Union(branches))
            }
            Value::Object(obj) => match obj.get("type") {
                Some(Value::String(t)) => match t.as_str() {
                    "record" | "error" | "enum" | "fixed" => {
                        self.parse_named(t, obj, space, doc, pointer)
                    }
                    "array" => {
                        let len = pointer.len();
                        push_pointer(pointer, "items");
                        let items = match obj.get("items") {
                            Some(i) => self.parse(i, space, doc, pointer),
                            None => self.add(Node::Primitive(Kind::Null)),
                        };
                        pointer.truncate(len);
                        self.add(Node::Array(items))
                    }
                    "map" => {
                        let len = pointer.len();
                        push_pointer(pointer, "values");
                        let values = match obj.get("values") {
                            Some(i) => self.parse(i, space, doc, pointer),
                            None => self.add(Node::Primitive(Kind::Null)),
                        };
                        pointer.truncate(len);
                        self.add(Node::Map(values))
                    }
                    other => self.parse_name(other, space),
                },
                Some(inner @ (Value::Object(_) | Value::Array(_))) => {
                    let len = pointer.len();
                    push_pointer(pointer, "type");
                    let id = self.parse(inner, space, doc, pointer);
                    pointer.truncate(len);
                    id
                }
                _ => self.add(Node::Primitive(Kind::Null)),
            },
            _ => self.add(Node::Primitive(Kind::Null)),
        }
    }

    fn parse_named(
        &mut self,
        kind: &str,
        obj: &serde_json::Map<String, Value>,
        enclosing: Option<&str>,
        doc: usize,
        pointer: &mut String,
    ) -> NodeId {
        let raw_name = obj.get("name").and_then(Value::as_str).unwrap_or_default();
        let (space, simple) = if raw_name.contains('.') {
            split_name(raw_name, None)
        } else {
            match obj.get("namespace") {
                Some(Value::String(ns)) => split_name(raw_name, Some(ns)),
                _ => split_name(raw_name, enclosing),
            }
        };
        let full = full_name(&space, &simple);
        let aliases = string_list(obj.get("aliases"))
            .into_iter()
            .map(|a| {
                let (ns, s) = split_name(&a, space.as_deref());
                full_name(&ns, &s)
            })
            .collect();
        let named = Named {
            name: simple,
            full: full.clone(),
            aliases,
        };
        match kind {
            "enum" => {
                let id = self.add(Node::Enum {
                    named,
                    symbols: string_list(obj.get("symbols")),
                    default: obj
                        .get("default")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                });
                self.names.entry(full).or_insert(id);
                id
            }
            "fixed" => {
                let size = match obj.get("size") {
                    Some(Value::Number(n)) => n
                        .as_i64()
                        .or_else(|| n.as_f64().map(|f| f as i64))
                        .unwrap_or(0),
                    _ => 0,
                };
                let id = self.add(Node::Fixed { named, size });
                self.names.entry(full).or_insert(id);
                id
            }
            _ => {
                // Register the record before its fields so that it can refer to itself.
                let id = self.add(Node::Record {
                    named,
                    fields: Vec::new(),
                    by_name: HashMap::new(),
                    doc,
                    pointer: pointer.clone(),
                });
                self.names.entry(full).or_insert(id);
                let mut fields = Vec::new();
                let mut by_name = HashMap::new();
                if let Some(Value::Array(list)) = obj.get("fields") {
                    let base = pointer.len();
                    push_pointer(pointer, "fields");
                    for (i, f) in list.iter().enumerate() {
                        let Some(fo) = f.as_object() else { continue };
                        let len = pointer.len();
                        push_pointer(pointer, &i.to_string());
                        push_pointer(pointer, "type");
                        let ty = match fo.get("type") {
                            Some(t) => self.parse(t, space.as_deref(), doc, pointer),
                            None => self.add(Node::Primitive(Kind::Null)),
                        };
                        pointer.truncate(len);
                        let name = fo
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string();
                        by_name.entry(name.clone()).or_insert(fields.len());
                        fields.push(Field {
                            name,
                            aliases: string_list(fo.get("aliases")),
                            has_default: fo.contains_key("default"),
                            ty,
                        });
                    }
                    pointer.truncate(base);
                }
                if let Some(Node::Record {
                    fields: f,
                    by_name: b,
                    ..
                }) = self.nodes.get_mut(id)
                {
                    *f = fields;
                    *b = by_name;
                }
                id
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checker
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum IncompatibilityType {
    NameMismatch,
    FixedSizeMismatch,
    MissingEnumSymbols,
    ReaderFieldMissingDefaultValue,
    TypeMismatch,
    MissingUnionBranch,
}

impl IncompatibilityType {
    fn java_name(self) -> &'static str {
        match self {
            IncompatibilityType::NameMismatch => "NAME_MISMATCH",
            IncompatibilityType::FixedSizeMismatch => "FIXED_SIZE_MISMATCH",
            IncompatibilityType::MissingEnumSymbols => "MISSING_ENUM_SYMBOLS",
            IncompatibilityType::ReaderFieldMissingDefaultValue => {
                "READER_FIELD_MISSING_DEFAULT_VALUE"
            }
            IncompatibilityType::TypeMismatch => "TYPE_MISMATCH",
            IncompatibilityType::MissingUnionBranch => "MISSING_UNION_BRANCH",
        }
    }
}

#[derive(Clone, Debug)]
struct Incompatibility {
    kind: IncompatibilityType,
    message: String,
    /// Reference tokens from the root; the first one is the root token and is not printed.
    location: Vec<String>,
}

impl Incompatibility {
    /// JSON pointer of the location (root token skipped, tokens escaped).
    fn path(&self) -> String {
        let tokens: Vec<String> = self
            .location
            .iter()
            .skip(1)
            .map(|t| t.replace('~', "~0").replace('/', "~1"))
            .collect();
        format!("/{}", tokens.join("/"))
    }

    fn render(&self, reader: &str, writer: &str) -> String {
        let path = self.path();
        let message = &self.message;
        let description = match self.kind {
            IncompatibilityType::FixedSizeMismatch => format!(
                "The size of FIXED type field at path '{path}' in the {reader} schema does not match with the {writer} schema"
            ),
            IncompatibilityType::TypeMismatch => format!(
                "The type (path '{path}') of a field in the {reader} schema does not match with the {writer} schema"
            ),
            IncompatibilityType::NameMismatch => {
                format!("The name of the schema has changed (path '{path}')")
            }
            IncompatibilityType::MissingEnumSymbols => format!(
                "The {reader} schema is missing enum symbols '{message}' at path '{path}' in the {writer} schema"
            ),
            IncompatibilityType::MissingUnionBranch => format!(
                "The {reader} schema is missing a type inside a union field at path '{path}' in the {writer} schema"
            ),
            IncompatibilityType::ReaderFieldMissingDefaultValue => format!(
                "The field '{message}' at path '{path}' in the {reader} schema has no default value and is missing in the {writer} schema"
            ),
        };
        format!(
            "{{errorType:'{}', description:'{}', additionalInfo:'{}'}}",
            self.kind.java_name(),
            description,
            message
        )
    }
}

/// Result of checking one reader/writer pair.
#[derive(Clone, Debug, Default)]
struct CheckResult {
    incompatible: bool,
    items: Vec<Incompatibility>,
}

impl CheckResult {
    fn compatible() -> Self {
        CheckResult::default()
    }

    fn incompatible(kind: IncompatibilityType, message: String, location: &[String]) -> Self {
        CheckResult {
            incompatible: true,
            items: vec![Incompatibility {
                kind,
                message,
                location: location.to_vec(),
            }],
        }
    }

    fn merge(&mut self, other: CheckResult) {
        self.incompatible |= other.incompatible;
        let room = MAX_INCOMPATIBILITIES.saturating_sub(self.items.len());
        self.items.extend(other.items.into_iter().take(room));
    }
}

/// A check aborted the way a Java exception aborts the checker.
type Aborted = String;

enum Memo {
    InProgress,
    Done(CheckResult),
}

struct Checker<'a> {
    reader: &'a Schema,
    writer: &'a Schema,
    memo: HashMap<(NodeId, NodeId), Memo>,
}

impl Checker<'_> {
    fn top_level(&mut self) -> Result<CheckResult, Aborted> {
        let (r, w) = (self.reader.root, self.writer.root);
        self.fresh(r, w, 0)
    }

    /// Checks a pair starting from a fresh location (Java's two-argument `getCompatibility`).
    fn fresh(&mut self, r: NodeId, w: NodeId, depth: usize) -> Result<CheckResult, Aborted> {
        let mut location = Vec::new();
        self.get(String::new(), r, w, &mut location, depth)
    }

    /// Memoized check of a pair; `token` is the location step leading to it.
    fn get(
        &mut self,
        token: String,
        r: NodeId,
        w: NodeId,
        location: &mut Vec<String>,
        depth: usize,
    ) -> Result<CheckResult, Aborted> {
        if depth > MAX_CHECK_DEPTH {
            return Err("schemas are nested too deeply to be compared".to_string());
        }
        let key = (self.reader.resolve(r), self.writer.resolve(w));
        location.push(token);
        let result = match self.memo.get(&key) {
            Some(Memo::InProgress) => CheckResult::compatible(),
            Some(Memo::Done(res)) => res.clone(),
            None => {
                self.memo.insert(key, Memo::InProgress);
                let res = self.calculate(key.0, key.1, location, depth + 1)?;
                self.memo.insert(key, Memo::Done(res.clone()));
                res
            }
        };
        location.pop();
        Ok(result)
    }

    fn type_mismatch(&self, r: NodeId, w: NodeId, location: &[String]) -> CheckResult {
        CheckResult::incompatible(
            IncompatibilityType::TypeMismatch,
            format!(
                "reader type: {} not compatible with writer type: {}",
                self.reader.kind(r).java_name(),
                self.writer.kind(w).java_name()
            ),
            location,
        )
    }

    /// Java's `calculateCompatibility`, split into small functions to keep the frames of the
    /// recursive path small.
    fn calculate(
        &mut self,
        r: NodeId,
        w: NodeId,
        location: &mut Vec<String>,
        depth: usize,
    ) -> Result<CheckResult, Aborted> {
        let rk = self.reader.kind(r);
        let wk = self.writer.kind(w);
        if rk == wk {
            return match rk {
                Kind::Array | Kind::Map => self.check_children(r, w, location, depth),
                Kind::Fixed => Ok(self.check_fixed(r, w, location)),
                Kind::Enum => Ok(self.check_enum(r, w, location)),
                Kind::Record => self.check_record(r, w, location, depth),
                Kind::Union => self.check_union_branches(r, w, location, depth),
                _ => Ok(CheckResult::compatible()),
            };
        }
        if wk == Kind::Union {
            // A reader must be able to read every branch of a writer union.
            return self.check_writer_union(r, w, depth);
        }
        if rk == Kind::Union {
            return self.check_reader_union(r, w, location, depth);
        }
        Ok(self.check_promotion(rk, wk, r, w, location))
    }

    fn check_children(
        &mut self,
        r: NodeId,
        w: NodeId,
        location: &mut Vec<String>,
        depth: usize,
    ) -> Result<CheckResult, Aborted> {
        match (self.reader.node(r), self.writer.node(w)) {
            (Some(Node::Array(a)), Some(Node::Array(b))) => {
                let (a, b) = (*a, *b);
                self.get("items".to_string(), a, b, location, depth)
            }
            (Some(Node::Map(a)), Some(Node::Map(b))) => {
                let (a, b) = (*a, *b);
                self.get("values".to_string(), a, b, location, depth)
            }
            _ => Ok(CheckResult::compatible()),
        }
    }

    #[inline(never)]
    fn check_fixed(&self, r: NodeId, w: NodeId, location: &mut Vec<String>) -> CheckResult {
        let mut result = self.check_names(r, w, location);
        result.merge(self.check_fixed_size(r, w, location));
        result
    }

    #[inline(never)]
    fn check_enum(&self, r: NodeId, w: NodeId, location: &mut Vec<String>) -> CheckResult {
        let mut result = self.check_names(r, w, location);
        result.merge(self.check_enum_symbols(r, w, location));
        result
    }

    fn check_record(
        &mut self,
        r: NodeId,
        w: NodeId,
        location: &mut Vec<String>,
        depth: usize,
    ) -> Result<CheckResult, Aborted> {
        let mut result = self.check_names(r, w, location);
        result.merge(self.check_record_fields(r, w, location, depth)?);
        Ok(result)
    }

    /// Reader and writer are both unions: every writer branch must be readable.
    fn check_union_branches(
        &mut self,
        r: NodeId,
        w: NodeId,
        location: &mut Vec<String>,
        depth: usize,
    ) -> Result<CheckResult, Aborted> {
        let mut result = CheckResult::compatible();
        let count = self.writer.branches(w).len();
        for i in 0..count {
            let Some(&wb) = self.writer.branches(w).get(i) else {
                break;
            };
            location.push(i.to_string());
            if self.fresh(r, wb, depth)?.incompatible {
                result.merge(self.missing_branch(wb, location));
            }
            location.pop();
        }
        Ok(result)
    }

    #[inline(never)]
    fn missing_branch(&self, writer_type: NodeId, location: &[String]) -> CheckResult {
        CheckResult::incompatible(
            IncompatibilityType::MissingUnionBranch,
            format!(
                "reader union lacking writer type: {}",
                self.writer.kind(writer_type).java_name()
            ),
            location,
        )
    }

    /// The writer is a union and the reader is not: each branch is checked from a fresh
    /// location and all their incompatibilities are kept.
    fn check_writer_union(
        &mut self,
        r: NodeId,
        w: NodeId,
        depth: usize,
    ) -> Result<CheckResult, Aborted> {
        let mut result = CheckResult::compatible();
        let count = self.writer.branches(w).len();
        for i in 0..count {
            let Some(&wb) = self.writer.branches(w).get(i) else {
                break;
            };
            result.merge(self.fresh(r, wb, depth)?);
        }
        Ok(result)
    }

    /// The reader is a union and the writer is not: some branch must read the writer.
    fn check_reader_union(
        &mut self,
        r: NodeId,
        w: NodeId,
        location: &[String],
        depth: usize,
    ) -> Result<CheckResult, Aborted> {
        let count = self.reader.branches(r).len();
        for i in 0..count {
            let Some(&rb) = self.reader.branches(r).get(i) else {
                break;
            };
            if !self.fresh(rb, w, depth)?.incompatible {
                return Ok(CheckResult::compatible());
            }
        }
        Ok(self.missing_branch(w, location))
    }

    /// Different non-union types: only the numeric promotions and string/bytes are readable.
    #[inline(never)]
    fn check_promotion(
        &self,
        rk: Kind,
        wk: Kind,
        r: NodeId,
        w: NodeId,
        location: &[String],
    ) -> CheckResult {
        let promotable = match rk {
            Kind::Long => wk == Kind::Int,
            Kind::Float => matches!(wk, Kind::Int | Kind::Long),
            Kind::Double => matches!(wk, Kind::Int | Kind::Long | Kind::Float),
            Kind::Bytes => wk == Kind::String,
            Kind::String => wk == Kind::Bytes,
            _ => false,
        };
        if promotable {
            CheckResult::compatible()
        } else {
            self.type_mismatch(r, w, location)
        }
    }

    fn check_names(&self, r: NodeId, w: NodeId, location: &mut Vec<String>) -> CheckResult {
        let rn = self.reader.named(r);
        let wn = self.writer.named(w);
        location.push("name".to_string());
        let result = if rn.name == wn.name || rn.aliases.contains(&wn.full) {
            CheckResult::compatible()
        } else {
            CheckResult::incompatible(
                IncompatibilityType::NameMismatch,
                format!("expected: {}", wn.full),
                location,
            )
        };
        location.pop();
        result
    }

    fn check_fixed_size(&self, r: NodeId, w: NodeId, location: &mut Vec<String>) -> CheckResult {
        let size = |s: &Schema, id: NodeId| match s.node(id) {
            Some(Node::Fixed { size, .. }) => *size,
            _ => 0,
        };
        let actual = size(self.reader, r);
        let expected = size(self.writer, w);
        location.push("size".to_string());
        let result = if actual == expected {
            CheckResult::compatible()
        } else {
            CheckResult::incompatible(
                IncompatibilityType::FixedSizeMismatch,
                format!("expected: {expected}, found: {actual}"),
                location,
            )
        };
        location.pop();
        result
    }

    fn check_enum_symbols(&self, r: NodeId, w: NodeId, location: &mut Vec<String>) -> CheckResult {
        let empty = (&[][..], None);
        let (reader_symbols, reader_default) = match self.reader.node(r) {
            Some(Node::Enum {
                symbols, default, ..
            }) => (&symbols[..], default.as_ref()),
            _ => empty,
        };
        let writer_symbols: &[String] = match self.writer.node(w) {
            Some(Node::Enum { symbols, .. }) => symbols,
            _ => &[],
        };
        // Java: a TreeSet of the writer symbols minus the reader symbols.
        let mut missing: Vec<&String> = writer_symbols
            .iter()
            .filter(|s| !reader_symbols.contains(s))
            .collect();
        missing.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
        missing.dedup();
        location.push("symbols".to_string());
        let absorbed = reader_default.is_some_and(|d| reader_symbols.contains(d));
        let result = if missing.is_empty() || absorbed {
            CheckResult::compatible()
        } else {
            let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            CheckResult::incompatible(
                IncompatibilityType::MissingEnumSymbols,
                format!("[{}]", list.join(", ")),
                location,
            )
        };
        location.pop();
        result
    }

    /// Java's `lookupWriterField`: the writer field named like the reader field or like one of
    /// its aliases; more than one match aborts the check.
    fn lookup_writer_field(
        &self,
        w: NodeId,
        reader_field: &Field,
        pos: usize,
    ) -> Result<Option<NodeId>, Aborted> {
        let mut found: Vec<&Field> = Vec::new();
        if let Some(f) = self.writer.field_named(w, &reader_field.name) {
            found.push(f);
        }
        for alias in &reader_field.aliases {
            if let Some(f) = self.writer.field_named(w, alias) {
                found.push(f);
            }
        }
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.ty)),
            _ => Err(self.multiple_matches(w, reader_field, pos)),
        }
    }

    #[inline(never)]
    fn multiple_matches(&self, w: NodeId, reader_field: &Field, pos: usize) -> Aborted {
        format!(
            "Reader record field {} type:{} pos:{} matches multiple fields in writer record schema {}",
            reader_field.name,
            self.reader.kind(reader_field.ty).java_name(),
            pos,
            self.writer.record_text(w)
        )
    }

    fn check_record_fields(
        &mut self,
        r: NodeId,
        w: NodeId,
        location: &mut Vec<String>,
        depth: usize,
    ) -> Result<CheckResult, Aborted> {
        let reader = self.reader;
        let mut result = CheckResult::compatible();
        location.push("fields".to_string());
        for (pos, reader_field) in reader.fields(r).iter().enumerate() {
            location.push(pos.to_string());
            match self.lookup_writer_field(w, reader_field, pos)? {
                Some(writer_type) => {
                    let ty = reader_field.ty;
                    result.merge(self.get("type".to_string(), ty, writer_type, location, depth)?);
                }
                None if reader_field.has_default => {}
                None if self.has_enum_default(reader_field.ty) => {
                    // Java then compares the reader field's enum with the writer record itself.
                    let ty = reader_field.ty;
                    result.merge(self.get("type".to_string(), ty, w, location, depth)?);
                }
                None => result.merge(Self::missing_default(reader_field, location)),
            }
            location.pop();
        }
        location.pop();
        Ok(result)
    }

    fn has_enum_default(&self, ty: NodeId) -> bool {
        matches!(
            self.reader.node(ty),
            Some(Node::Enum {
                default: Some(_),
                ..
            })
        )
    }

    #[inline(never)]
    fn missing_default(field: &Field, location: &[String]) -> CheckResult {
        CheckResult::incompatible(
            IncompatibilityType::ReaderFieldMissingDefaultValue,
            field.name.clone(),
            location,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORPUS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/confluent-7.9/compat/corpus.json"
    );
    const GOLDEN: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/confluent-7.9/compat/golden.json"
    );
    const VECTORS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/avro-compat-vectors.json"
    );

    /// Cases that are known not to match, with the reason. Any other mismatch fails the test.
    const ALLOWED_MISMATCHES: &[(&str, &str)] = &[];

    fn load(path: &str) -> Value {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
    }

    fn text_of(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    fn ref_texts(v: Option<&Value>) -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|refs| {
                refs.iter()
                    .map(|r| match r.get("schema") {
                        Some(s) => text_of(s),
                        None => text_of(r),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn error_lines(v: &Value) -> Vec<String> {
        v.as_array()
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_str)
                    .filter(|s| s.starts_with("{errorType:"))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn is_incompatible(v: &Value) -> bool {
        v.as_array().is_some_and(|l| !l.is_empty())
    }

    fn check(
        reader: &str,
        rrefs: &[String],
        writer: &str,
        wrefs: &[String],
        new: bool,
    ) -> Vec<String> {
        let rr: Vec<&str> = rrefs.iter().map(String::as_str).collect();
        let wr: Vec<&str> = wrefs.iter().map(String::as_str).collect();
        incompatibilities(reader, &rr, writer, &wr, new)
    }

    fn allowed(id: &str) -> bool {
        ALLOWED_MISMATCHES.iter().any(|(a, _)| *a == id)
    }

    fn report(failures: &[String], checked: usize) {
        if !failures.is_empty() {
            panic!(
                "{} of {} cases mismatched:\n{}",
                failures.len(),
                checked,
                failures.join("\n")
            );
        }
    }

    #[test]
    fn golden_compat_pairs() {
        let corpus = load(CORPUS);
        let golden = load(GOLDEN);
        let mut failures = Vec::new();
        let mut checked = 0;
        for case in corpus["compat"].as_array().into_iter().flatten() {
            if case["type"] != "AVRO" {
                continue;
            }
            let id = case["id"].as_str().unwrap_or_default();
            let expected = &golden["compat"][id];
            let old = text_of(&case["old"]);
            let new = text_of(&case["new"]);
            let old_refs = ref_texts(case.get("old_refs").or(case.get("refs")));
            let new_refs = ref_texts(case.get("new_refs").or(case.get("refs")));
            for (level, got) in [
                ("BACKWARD", check(&new, &new_refs, &old, &old_refs, true)),
                ("FORWARD", check(&old, &old_refs, &new, &new_refs, false)),
            ] {
                checked += 1;
                let want = error_lines(&expected[level]);
                let verdict_ok = got.is_empty() != is_incompatible(&expected[level]);
                if (want != got || !verdict_ok) && !allowed(id) {
                    failures.push(format!("{id} {level}:\n  want {want:?}\n  got  {got:?}"));
                }
            }
        }
        assert!(checked >= 100, "only {checked} AVRO pair checks ran");
        report(&failures, checked);
    }

    /// The messages Confluent gives for `candidate` against `history` at `level`: latest only,
    /// or every version newest first up to the first incompatible one; FULL lists the forward
    /// messages before the backward ones.
    fn level_messages(level: &str, history: &[String], candidate: &str) -> Vec<String> {
        let transitive = level.ends_with("_TRANSITIVE");
        let base = level.trim_end_matches("_TRANSITIVE");
        if base == "NONE" {
            return Vec::new();
        }
        let olds: Vec<&String> = if transitive {
            history.iter().rev().collect()
        } else {
            history.last().into_iter().collect()
        };
        for old in olds {
            let mut msgs = Vec::new();
            if base == "FORWARD" || base == "FULL" {
                msgs.extend(check(old, &[], candidate, &[], false));
            }
            if base == "BACKWARD" || base == "FULL" {
                msgs.extend(check(candidate, &[], old, &[], true));
            }
            if !msgs.is_empty() {
                return msgs;
            }
        }
        Vec::new()
    }

    #[test]
    fn golden_chains() {
        let corpus = load(CORPUS);
        let golden = load(GOLDEN);
        let mut failures = Vec::new();
        let mut checked = 0;
        for chain in corpus["chains"].as_array().into_iter().flatten() {
            let all_avro = chain["types"]
                .as_array()
                .is_some_and(|t| t.iter().all(|t| t == "AVRO"));
            if !all_avro {
                continue;
            }
            let id = chain["id"].as_str().unwrap_or_default();
            let versions: Vec<String> = chain["versions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(text_of)
                .collect();
            let Some((candidate, history)) = versions.split_last() else {
                continue;
            };
            let levels = golden["chains"][id]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (level, expected) in levels {
                checked += 1;
                let got = level_messages(&level, history, candidate);
                let want = error_lines(&expected);
                let verdict_ok = got.is_empty() != is_incompatible(&expected);
                if (want != got || !verdict_ok) && !allowed(id) {
                    failures.push(format!("{id} {level}:\n  want {want:?}\n  got  {got:?}"));
                }
            }
        }
        assert!(checked >= 90, "only {checked} AVRO chain checks ran");
        report(&failures, checked);
    }

    #[test]
    fn compat_vectors() {
        let vectors = load(VECTORS);
        let mut failures = Vec::new();
        let mut checked = 0;
        for v in vectors.as_array().into_iter().flatten() {
            let name = v["name"].as_str().unwrap_or_default();
            let level = v["level"].as_str().unwrap_or_default();
            let history: Vec<String> = v["history"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| s.to_string())
                .collect();
            let candidate = v["candidate"].to_string();
            let compatible = level_messages(level, &history, &candidate).is_empty();
            checked += 1;
            if Some(compatible) != v["compatible"].as_bool() && !allowed(name) {
                failures.push(format!("{name} ({level}): got compatible={compatible}"));
            }
        }
        assert_eq!(checked, 66);
        report(&failures, checked);
    }

    #[test]
    fn invalid_json_gives_one_message() {
        let got = incompatibilities("{", &[], "\"int\"", &[], true);
        assert_eq!(got.len(), 1);
        let got = incompatibilities("\"int\"", &["nope"], "\"int\"", &[], true);
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn recursive_types_terminate() {
        let a = r#"{"type":"record","name":"N","fields":[{"name":"v","type":"int"},{"name":"l","type":["null","N"]},{"name":"r","type":{"type":"array","items":"N"}}]}"#;
        let b = r#"{"type":"record","name":"N","fields":[{"name":"v","type":"long"},{"name":"l","type":["null","N"]},{"name":"r","type":{"type":"map","values":"N"}}]}"#;
        assert!(!incompatibilities(a, &[], b, &[], true).is_empty());
        assert!(!incompatibilities(b, &[], a, &[], false).is_empty());
        assert!(incompatibilities(a, &[], a, &[], true).is_empty());
    }

    #[test]
    fn duplicate_field_match_aborts() {
        let reader =
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","aliases":["b"]}]}"#;
        let writer = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int"}]}"#;
        let got = incompatibilities(reader, &[], writer, &[], true);
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with(EXCEPTION_PREFIX), "{got:?}");
    }

    #[test]
    fn enum_field_default_quirk() {
        // A reader field missing from the writer, without a default, whose enum has a default:
        // Java compares the enum with the writer record.
        let reader = r#"{"type":"record","name":"R","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A"],"default":"A"}}]}"#;
        let writer = r#"{"type":"record","name":"R","fields":[]}"#;
        let got = incompatibilities(reader, &[], writer, &[], true);
        assert_eq!(
            got,
            vec!["{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: ENUM not compatible with writer type: RECORD'}".to_string()]
        );
    }

    #[test]
    fn deep_reference_chains_are_bounded() {
        const STACK: usize = 1024 * 1024;

        // A long chain of records defined through references, checked on a small stack.
        let mut refs = vec![
            r#"{"type":"record","name":"T0","fields":[{"name":"x","type":"int"}]}"#.to_string(),
        ];
        for i in 1..1500 {
            refs.push(format!(
                r#"{{"type":"record","name":"T{i}","fields":[{{"name":"x","type":["null","T{}"]}}]}}"#,
                i - 1
            ));
        }
        let root = r#"{"type":"record","name":"Top","fields":[{"name":"t","type":"T1499"}]}"#;
        let handle = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(move || {
                let r: Vec<&str> = refs.iter().map(String::as_str).collect();
                incompatibilities(root, &r, root, &r, true)
            })
            .expect("spawn");
        let got = handle.join().expect("no stack overflow");
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn schemas_as_deep_as_the_parser_accepts_are_checked() {
        // serde_json stops at 128 levels of JSON nesting: these schemas, valid for the parser,
        // failed with "not valid JSON: recursion limit exceeded", even against themselves.
        let nested = |depth: usize, leaf: &str| {
            let mut s = format!("\"{leaf}\"");
            for i in 0..depth {
                s = format!(
                    r#"{{"type":"record","name":"R{i}","fields":[{{"name":"f","type":{s}}}]}}"#
                );
            }
            s
        };
        let deep_prop = |leaf: &str| {
            let nesting = 500;
            let value = format!("{}1{}", "[".repeat(nesting), "]".repeat(nesting));
            format!(r#"{{"type":"{leaf}","x":{value}}}"#)
        };
        let depth = crate::schema::avro::MAX_DEPTH - 1;
        let cases = [
            (nested(depth, "int"), nested(depth, "long")),
            (deep_prop("int"), deep_prop("long")),
        ];
        // The parser and the checker recurse over the nesting; debug builds need a large stack.
        let handle = std::thread::Builder::new()
            .stack_size(16 * 1024 * 1024)
            .spawn(move || {
                for (a, b) in cases {
                    let a = crate::schema::avro::parse(&a, &[], true)
                        .expect("parses")
                        .canonical;
                    let b = crate::schema::avro::parse(&b, &[], true)
                        .expect("parses")
                        .canonical;
                    assert_eq!(
                        incompatibilities(&a, &[], &a, &[], true),
                        Vec::<String>::new()
                    );
                    // int -> long is a promotion: b reads a, a does not read b.
                    assert_eq!(
                        incompatibilities(&b, &[], &a, &[], true),
                        Vec::<String>::new()
                    );
                    let got = incompatibilities(&a, &[], &b, &[], true);
                    assert_eq!(got.len(), 1, "{got:?}");
                    assert!(got[0].starts_with("{errorType:'TYPE_MISMATCH'"), "{got:?}");
                }
            })
            .expect("spawn");
        handle.join().expect("no panic, no stack overflow");
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let odd = [
            "1",
            "null",
            "[]",
            "{}",
            r#"{"type":"record"}"#,
            r#"{"type":"enum","name":"E"}"#,
            r#"{"type":"fixed","name":"F","size":"x"}"#,
            r#"{"type":"array"}"#,
            r#"{"type":{"type":"map"}}"#,
            r#""Undefined""#,
            r#"["null","Undefined"]"#,
            r#"{"type":"record","name":"R","fields":[1,{"name":"a"},{"type":"int"}]}"#,
        ];
        for r in odd {
            for w in odd {
                let _ = incompatibilities(r, &[], w, &[], true);
                let _ = incompatibilities(r, &[w], w, &[r], false);
            }
        }
    }

    /// Tiny deterministic generator of random (valid-looking) Avro schemas.
    struct Gen {
        state: u64,
        named: usize,
    }

    impl Gen {
        fn next(&mut self, n: u64) -> u64 {
            self.state = self
                .state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.state >> 33) % n.max(1)
        }

        fn schema(&mut self, depth: usize) -> Value {
            let prims = [
                "null", "boolean", "int", "long", "float", "double", "bytes", "string",
            ];
            let choice = if depth > 3 {
                self.next(3)
            } else {
                self.next(9)
            };
            match choice {
                0 | 1 => Value::from(prims[self.next(8) as usize]),
                2 if self.named > 0 => Value::from(format!("N{}", self.next(self.named as u64))),
                2 => Value::from("int"),
                3 => serde_json::json!({"type": "array", "items": self.schema(depth + 1)}),
                4 => serde_json::json!({"type": "map", "values": self.schema(depth + 1)}),
                5 => {
                    let mut branches = vec![Value::from("null")];
                    for _ in 0..self.next(3) {
                        branches.push(self.schema(depth + 1));
                    }
                    Value::Array(branches)
                }
                6 => {
                    let name = format!("N{}", self.named);
                    self.named += 1;
                    let symbols: Vec<String> =
                        (0..1 + self.next(4)).map(|i| format!("S{i}")).collect();
                    let mut e =
                        serde_json::json!({"type": "enum", "name": name, "symbols": symbols});
                    if self.next(2) == 0 {
                        e["default"] = Value::from("S0");
                    }
                    e
                }
                7 => {
                    let name = format!("N{}", self.named);
                    self.named += 1;
                    serde_json::json!({"type": "fixed", "name": name, "size": self.next(3)})
                }
                _ => {
                    let name = format!("N{}", self.named);
                    self.named += 1;
                    let mut fields = Vec::new();
                    for i in 0..self.next(4) {
                        let mut f = serde_json::json!({"name": format!("f{i}"), "type": self.schema(depth + 1)});
                        if self.next(3) == 0 {
                            f["default"] = Value::Null;
                        }
                        if self.next(4) == 0 {
                            f["aliases"] = serde_json::json!([format!("g{}", self.next(3))]);
                        }
                        fields.push(f);
                    }
                    let mut r =
                        serde_json::json!({"type": "record", "name": name, "fields": fields});
                    if self.next(4) == 0 {
                        r["aliases"] = serde_json::json!([format!("N{}", self.next(6))]);
                    }
                    r
                }
            }
        }
    }

    #[test]
    fn random_schemas_do_not_panic_and_read_themselves() {
        let mut schemas = Vec::new();
        for seed in 0..60u64 {
            let mut g = Gen {
                state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) + 1,
                named: 0,
            };
            schemas.push(g.schema(0).to_string());
        }
        for a in &schemas {
            assert!(
                incompatibilities(a, &[], a, &[], true).is_empty(),
                "schema does not read itself: {a}"
            );
            for b in &schemas {
                let _ = incompatibilities(a, &[], b, &[], true);
            }
        }
    }
}

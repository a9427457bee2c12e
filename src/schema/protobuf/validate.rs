//! What Confluent checks when a Protobuf schema is registered, and the type index it checks with.
//!
//! Confluent 7.9 validates a Protobuf schema by normalizing it (`ProtobufSchema.validate` calls
//! `normalize()`, whose printer, `ProtobufSchemaUtils.toNormalizedString`, resolves every type
//! name): a message field type, an `extend` target or an rpc type that does not resolve fails
//! with `Could not resolve type: X`. It builds no descriptor there, so everything a descriptor
//! build would reject but the printer does not look at is ACCEPTED: duplicate field numbers,
//! field number 0, unknown custom options, an imported file that is missing but unused, a map
//! value type that does not resolve (the printer resolves it only if it can).
//!
//! Resolution (`diff/Context.java`, `resolveFull`) is against ONE index of every message and enum
//! of every referenced file (whatever name the reference has, imported or not), of every file
//! Confluent bundles (`bundled.rs`, even when not imported), and of the schema itself: a name
//! with a leading dot is looked up as is; otherwise the package's parts followed by the enclosing
//! message names are tried as prefixes, longest first, then the bare name.
//!
//! Beyond Confluent: messages nested deeper than 128 levels and import cycles among the schema's
//! dependencies are errors (hostile input must not exhaust the stack or loop).

use super::bundled;
use super::model::{Field, Message, OptionValue, ProtoFile, TypeElement};
use crate::schema::SchemaError;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Nesting levels of messages accepted.
pub const MAX_DEPTH: usize = 128;

/// Whether a name is a message or an enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Message,
    Enum,
}

/// What the index knows of a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeInfo {
    pub kind: Kind,
    /// A message with `option map_entry = true`.
    pub is_map: bool,
}

/// Every message and enum Confluent's `Context.collectTypeInfo` sees, by full name (no dot).
#[derive(Debug, Default)]
pub struct TypeIndex {
    types: HashMap<String, TypeInfo>,
}

/// The scalar type names of Wire's `ProtoType` (`isScalar`).
pub fn is_scalar(ty: &str) -> bool {
    matches!(
        ty,
        "bool"
            | "bytes"
            | "double"
            | "float"
            | "fixed32"
            | "fixed64"
            | "int32"
            | "int64"
            | "sfixed32"
            | "sfixed64"
            | "sint32"
            | "sint64"
            | "string"
            | "uint32"
            | "uint64"
    )
}

/// `map<K, V>` → `(K, V)`, trimmed.
pub fn map_types(ty: &str) -> Option<(&str, &str)> {
    let inner = ty.strip_prefix("map<")?.strip_suffix('>')?;
    let (k, v) = inner.split_once(',')?;
    Some((k.trim(), v.trim()))
}

fn is_map_entry(m: &Message) -> bool {
    m.options.iter().any(|o| {
        o.name.trim_start_matches('.') == "map_entry"
            && match &o.value {
                OptionValue::Boolean(v) | OptionValue::String(v) | OptionValue::Enum(v) => {
                    v.eq_ignore_ascii_case("true")
                }
                _ => false,
            }
    })
}

impl TypeIndex {
    /// The index over the bundled files (unless a dependency has the same name), the
    /// dependencies, then the schema itself (`dependenciesWithLogicalTypes` + the root).
    pub fn new(file: &ProtoFile, deps: &[(String, ProtoFile)]) -> Self {
        let mut index = TypeIndex::default();
        for (name, types) in bundled_types() {
            if !deps.iter().any(|(n, _)| n == name) {
                index
                    .types
                    .extend(types.iter().map(|(k, v)| (k.clone(), *v)));
            }
        }
        for (_, dep) in deps {
            index.add_file(dep);
        }
        index.add_file(file);
        index
    }

    fn add_file(&mut self, file: &ProtoFile) {
        let package = file.package.clone().unwrap_or_default();
        self.add_types(&package, &file.types, 0);
    }

    fn add_types(&mut self, prefix: &str, types: &[TypeElement], depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        for t in types {
            let name = if prefix.is_empty() {
                t.name().to_string()
            } else {
                format!("{prefix}.{}", t.name())
            };
            let info = match t {
                TypeElement::Message(m) => TypeInfo {
                    kind: Kind::Message,
                    is_map: is_map_entry(m),
                },
                TypeElement::Enum(_) => TypeInfo {
                    kind: Kind::Enum,
                    is_map: false,
                },
            };
            self.types.insert(name.clone(), info);
            if let TypeElement::Message(m) = t {
                self.add_types(&name, &m.nested, depth + 1);
            }
        }
    }

    /// The type of a full name (a leading dot is ignored).
    pub fn get(&self, full_name: &str) -> Option<&TypeInfo> {
        self.types
            .get(full_name.strip_prefix('.').unwrap_or(full_name))
    }

    /// Resolves `name` written inside the messages `scope` of a file in `package`
    /// (`Context.resolveFull`): the full name (no dot) and what it is.
    pub fn resolve(
        &self,
        package: &str,
        scope: &[String],
        name: &str,
    ) -> Option<(String, TypeInfo)> {
        if let Some(full) = name.strip_prefix('.') {
            return self.types.get(full).map(|t| (full.to_string(), *t));
        }
        let mut prefix: Vec<&str> = Vec::new();
        if !package.is_empty() {
            prefix.extend(package.split('.'));
        }
        prefix.extend(scope.iter().map(String::as_str));
        while !prefix.is_empty() {
            let candidate = format!("{}.{name}", prefix.join("."));
            if let Some(t) = self.types.get(&candidate) {
                return Some((candidate, *t));
            }
            prefix.pop();
        }
        self.types.get(name).map(|t| (name.to_string(), *t))
    }
}

/// The types of each bundled file, indexed once.
fn bundled_types() -> &'static [(&'static str, HashMap<String, TypeInfo>)] {
    static TYPES: OnceLock<Vec<(&'static str, HashMap<String, TypeInfo>)>> = OnceLock::new();
    TYPES.get_or_init(|| {
        bundled::models()
            .iter()
            .map(|(name, file)| {
                let mut index = TypeIndex::default();
                index.add_file(file);
                (*name, index.types)
            })
            .collect()
    })
}

/// Checks `file` as Confluent does at registration, with its dependencies by import name.
pub fn validate(file: &ProtoFile, deps: &[(String, ProtoFile)]) -> Result<(), SchemaError> {
    check_depth(&file.types, 0)?;
    check_import_cycles(file, deps)?;
    let index = TypeIndex::new(file, deps);
    let mut checker = Checker {
        index: &index,
        package: file.package.clone().unwrap_or_default(),
        scope: Vec::new(),
    };
    // The order of `ProtobufSchemaUtils.toString` in normalize mode: messages (fields by tag,
    // oneofs, groups, extends, nested), then top-level extends, then services.
    checker.types(&file.types)?;
    for e in &file.extends {
        checker.resolve(&e.name)?;
        checker.fields(&e.fields)?;
    }
    for s in &file.services {
        for rpc in &s.rpcs {
            checker.resolve(&rpc.request_type)?;
            checker.resolve(&rpc.response_type)?;
        }
    }
    Ok(())
}

fn check_depth(types: &[TypeElement], depth: usize) -> Result<(), SchemaError> {
    if depth >= MAX_DEPTH {
        return Err(SchemaError(format!(
            "Messages are nested more than {MAX_DEPTH} levels deep"
        )));
    }
    for t in types {
        if let TypeElement::Message(m) = t {
            check_depth(&m.nested, depth + 1)?;
        }
    }
    Ok(())
}

/// Follows imports through the dependencies (bundled files import nothing cyclic) and fails on a
/// cycle instead of looping.
fn check_import_cycles(file: &ProtoFile, deps: &[(String, ProtoFile)]) -> Result<(), SchemaError> {
    fn visit<'a>(
        name: &'a str,
        file: &'a ProtoFile,
        deps: &'a [(String, ProtoFile)],
        path: &mut Vec<&'a str>,
        done: &mut HashSet<&'a str>,
    ) -> Result<(), SchemaError> {
        if path.len() > MAX_DEPTH {
            return Err(SchemaError("Imports are nested too deeply".into()));
        }
        path.push(name);
        for import in file.imports.iter().chain(&file.public_imports) {
            let Some((dep_name, dep)) = deps.iter().find(|(n, _)| n == import) else {
                continue;
            };
            if path.contains(&dep_name.as_str()) {
                let mut cycle: Vec<&str> = path.clone();
                cycle.push(dep_name);
                return Err(SchemaError(format!("Import cycle: {}", cycle.join(" -> "))));
            }
            if done.contains(dep_name.as_str()) {
                continue;
            }
            visit(dep_name, dep, deps, path, done)?;
        }
        path.pop();
        done.insert(name);
        Ok(())
    }
    visit("", file, deps, &mut Vec::new(), &mut HashSet::new())
}

struct Checker<'a> {
    index: &'a TypeIndex,
    package: String,
    scope: Vec<String>,
}

impl Checker<'_> {
    fn resolve(&self, name: &str) -> Result<(String, TypeInfo), SchemaError> {
        self.index
            .resolve(&self.package, &self.scope, name)
            .ok_or_else(|| SchemaError(format!("Could not resolve type: {name}")))
    }

    fn field(&self, f: &Field) -> Result<(), SchemaError> {
        // Scalars and `map<K, V>` are not resolved (the map's value only if it can be).
        if is_scalar(&f.ty) || f.ty.starts_with("map<") {
            return Ok(());
        }
        self.resolve(&f.ty).map(|_| ())
    }

    fn fields(&self, fields: &[Field]) -> Result<(), SchemaError> {
        let mut sorted: Vec<&Field> = fields.iter().collect();
        sorted.sort_by_key(|f| f.tag);
        sorted.into_iter().try_for_each(|f| self.field(f))
    }

    fn message(&mut self, m: &Message) -> Result<(), SchemaError> {
        self.scope.push(m.name.clone());
        let result = self.message_body(m);
        self.scope.pop();
        result
    }

    fn message_body(&mut self, m: &Message) -> Result<(), SchemaError> {
        self.fields(&m.fields)?;
        let mut oneofs: Vec<Vec<&Field>> = m
            .oneofs
            .iter()
            .filter(|o| !o.fields.is_empty())
            .map(|o| {
                let mut fields: Vec<&Field> = o.fields.iter().collect();
                fields.sort_by_key(|f| f.tag);
                fields
            })
            .collect();
        oneofs.sort_by_key(|fields| fields.first().map(|f| f.tag));
        for fields in oneofs {
            fields.into_iter().try_for_each(|f| self.field(f))?;
        }
        let mut groups: Vec<_> = m.groups.iter().collect();
        groups.sort_by_key(|g| g.tag);
        for g in groups {
            self.fields(&g.fields)?;
        }
        for e in &m.extends {
            self.resolve(&e.name)?;
            self.fields(&e.fields)?;
        }
        self.types(&m.nested)
    }

    fn types(&mut self, types: &[TypeElement]) -> Result<(), SchemaError> {
        for t in types {
            if let TypeElement::Message(m) = t {
                // The printer leaves out map-entry messages (`filterTypes`), unchecked.
                let is_map = self
                    .index
                    .resolve(&self.package, &self.scope, &m.name)
                    .is_some_and(|(_, info)| info.is_map);
                if !is_map {
                    self.message(m)?;
                }
            }
        }
        Ok(())
    }
}

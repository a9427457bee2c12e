//! Confluent's diff `Context` (7.9 `protobuf-provider` `diff/Context.java`): the types each side
//! can see (its dependencies' and its own, by full name), the name resolution the diff uses on
//! them, the path and name scopes, the set of original messages being compared (what stops
//! recursion), and the differences found.

use super::difference::{Difference, Kind};
use crate::schema::protobuf::model::{Field, Message, OptionValue, ProtoFile, TypeElement};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// Most nested comparisons of referenced messages (`FieldSchemaDiff.compareMessageTypes`
/// recursing through a sub-context): Java would overflow its stack somewhere; we stop here.
pub(super) const MAX_DEPTH: usize = 128;
/// Most field comparisons in one check (the diff is exponential on some shapes of imported
/// types: each field of a referenced type is compared again for every path reaching it).
pub(super) const MAX_STEPS: u64 = 2_000_000;
/// Most answers `resolve` remembers in one check (hostile input must not grow it unbounded).
const MAX_MEMO: usize = 100_000;

/// Where a type was defined (`TypeElementInfo.reference()`): the schema itself (Confluent's
/// dummy reference, equal on both sides), a referenced schema (import name and text standing
/// for its subject and version), or a file Confluent bundles (no reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin<'a> {
    Local,
    Ref { name: &'a str, text: &'a str },
    Bundled,
}

impl Origin<'_> {
    /// `compareMessageTypes` skips the nested comparison when both references are present and
    /// name the same subject and version; a bundled type (null reference) is always compared.
    pub(super) fn same_as(&self, other: &Origin<'_>) -> bool {
        match (self, other) {
            (Origin::Local, Origin::Local) => true,
            (Origin::Ref { name: a, text: x }, Origin::Ref { name: b, text: y }) => {
                a == b && x == y
            }
            _ => false,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) enum TypeRef<'a> {
    Message(&'a Message),
    Enum,
}

/// `Context.TypeElementInfo`.
#[derive(Clone, Debug)]
pub(super) struct TypeInfo<'a> {
    pub package: String,
    pub origin: Origin<'a>,
    pub ty: TypeRef<'a>,
    /// For a message with `option map_entry = true`: `map<K, V>` from its `key` and `value`
    /// fields (`getMapType`), or the failure Java would meet (a missing field).
    pub map: Option<Result<String, String>>,
}

/// The types of one side, by full name (`pkg.Outer.Inner`), and the package the collection
/// ended with (the schema's own, collected last). `base`, when set, holds types collected
/// before all of `types` (the bundled files, collected once per process): a name in `types`
/// hides the same name in `base`, as a later `put` replaces an earlier one in Java.
#[derive(Debug, Default)]
pub(super) struct Side<'a> {
    pub base: Option<&'a HashMap<String, TypeInfo<'a>>>,
    pub types: HashMap<String, TypeInfo<'a>>,
    pub package: String,
}

impl<'a> Side<'a> {
    pub(super) fn get(&self, full: &str) -> Option<&TypeInfo<'a>> {
        self.types
            .get(full)
            .or_else(|| self.base.and_then(|b| b.get(full)))
    }

    pub(super) fn contains(&self, full: &str) -> bool {
        self.get(full).is_some()
    }

    fn is_empty(&self) -> bool {
        self.types.is_empty() && self.base.is_none_or(HashMap::is_empty)
    }
}

/// A file to collect with its origin, in Confluent's collection order (dependencies, then the
/// schema itself, so its own types win a clash).
pub(super) fn collect<'a>(files: &[(Origin<'a>, &'a ProtoFile)]) -> Side<'a> {
    collect_over(None, files)
}

/// `collect` on top of types collected before (see `Side::base`).
pub(super) fn collect_over<'a>(
    base: Option<&'a HashMap<String, TypeInfo<'a>>>,
    files: &[(Origin<'a>, &'a ProtoFile)],
) -> Side<'a> {
    let mut side = Side {
        base,
        ..Side::default()
    };
    for (origin, file) in files {
        side.package = package_of(file);
        let mut names = Vec::new();
        collect_types(&mut side, *origin, &file.types, &mut names);
    }
    side
}

/// The package as Confluent keeps it: absent and empty are the same.
pub(super) fn package_of(file: &ProtoFile) -> String {
    file.package.clone().unwrap_or_default()
}

fn collect_types<'a>(
    side: &mut Side<'a>,
    origin: Origin<'a>,
    types: &'a [TypeElement],
    names: &mut Vec<&'a str>,
) {
    // The parser bounds nesting; this guards a model built otherwise.
    if names.len() > MAX_DEPTH {
        return;
    }
    for t in types {
        names.push(t.name());
        let mut full = names.join(".");
        if !side.package.is_empty() {
            full = format!("{}.{full}", side.package);
        }
        let (ty, map, nested): (TypeRef<'a>, _, &'a [TypeElement]) = match t {
            TypeElement::Message(m) => (TypeRef::Message(m), map_type(m), &m.nested),
            TypeElement::Enum(_) => (TypeRef::Enum, None, &[]),
        };
        side.types.insert(
            full,
            TypeInfo {
                package: side.package.clone(),
                origin,
                ty,
                map,
            },
        );
        collect_types(side, origin, nested, names);
        names.pop();
    }
}

/// `map_entry` as `ProtobufSchema.findOption` finds it (the last option of that name) read as
/// `Boolean.valueOf(value.toString())`.
fn map_type(m: &Message) -> Option<Result<String, String>> {
    let opt = m.options.iter().rev().find(|o| o.name == "map_entry")?;
    let is_true = match &opt.value {
        OptionValue::String(s)
        | OptionValue::Boolean(s)
        | OptionValue::Number(s)
        | OptionValue::Enum(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    if !is_true {
        return None;
    }
    let find = |n: &str| m.fields.iter().find(|f: &&Field| f.name == n);
    Some(match (find("key"), find("value")) {
        (Some(k), Some(v)) => Ok(format!("map<{}, {}>", k.ty, v.ty)),
        _ => Err(format!(
            "java.lang.NullPointerException: map entry {} has no key or value field",
            m.name
        )),
    })
}

/// Both sides' types, and the check's shared state: its step budget and the first failure.
pub(super) struct World<'a> {
    pub sides: [Side<'a>; 2],
    pub steps: Cell<u64>,
    pub error: RefCell<Option<String>>,
    /// `resolve`'s answers by side, package, name scope and name (a check asks the same
    /// names, scalars included, for every field of a message).
    resolved: RefCell<HashMap<String, Option<String>>>,
}

impl<'a> World<'a> {
    pub(super) fn new(original: Side<'a>, update: Side<'a>) -> Self {
        World {
            sides: [original, update],
            steps: Cell::new(0),
            error: RefCell::new(None),
            resolved: RefCell::new(HashMap::new()),
        }
    }

    /// Records a failure (the first one is kept) that ends the check.
    pub(super) fn fail(&self, e: String) {
        let mut slot = self.error.borrow_mut();
        if slot.is_none() {
            *slot = Some(e);
        }
    }

    pub(super) fn failed(&self) -> bool {
        self.error.borrow().is_some()
    }

    /// Counts one unit of work; false (and a failure) once the budget is spent.
    pub(super) fn tick(&self) -> bool {
        let n = self.steps.get() + 1;
        self.steps.set(n);
        if n > MAX_STEPS {
            self.fail(format!(
                "the comparison needs more than {MAX_STEPS} steps (deeply shared imported types)"
            ));
            return false;
        }
        !self.failed()
    }
}

/// Side index: `true` = the original (writer), `false` = the update (reader), as Java's
/// `isOriginal` flags.
fn idx(is_original: bool) -> usize {
    if is_original {
        0
    } else {
        1
    }
}

/// One `Context`: a comparison's scopes and differences.
pub(super) struct Ctx<'w, 'a> {
    pub world: &'w World<'a>,
    /// `schemas`: the original messages being compared (by identity).
    schemas: Vec<*const Message>,
    packages: [String; 2],
    path: Vec<String>,
    name: Vec<String>,
    pub diffs: Vec<Difference>,
    /// Sub-contexts above this one.
    pub depth: usize,
}

impl<'w, 'a> Ctx<'w, 'a> {
    pub(super) fn new(world: &'w World<'a>) -> Self {
        let packages = [
            world.sides[0].package.clone(),
            world.sides[1].package.clone(),
        ];
        Ctx {
            world,
            schemas: Vec::new(),
            packages,
            path: Vec::new(),
            name: Vec::new(),
            diffs: Vec::new(),
            depth: 0,
        }
    }

    /// `getSubcontext()`: the same scopes and schemas, no differences.
    pub(super) fn subcontext(&self) -> Self {
        Ctx {
            world: self.world,
            schemas: self.schemas.clone(),
            packages: self.packages.clone(),
            path: self.path.clone(),
            name: self.name.clone(),
            diffs: Vec::new(),
            depth: self.depth + 1,
        }
    }

    pub(super) fn set_package(&mut self, package: &str, is_original: bool) {
        self.packages[idx(is_original)] = package.to_string();
    }

    /// `setFullName`: path and name both become the dotted name's parts.
    pub(super) fn set_full_name(&mut self, name: &str) {
        let parts = java_split_dots(name);
        self.path = parts.clone();
        self.name = parts;
    }

    /// Runs `f` inside `enterPath(segment)`.
    pub(super) fn in_path<R>(&mut self, segment: String, f: impl FnOnce(&mut Self) -> R) -> R {
        self.path.push(segment);
        let r = f(self);
        self.path.pop();
        r
    }

    /// Runs `f` inside `enterName(name)` (the path and the name scope).
    pub(super) fn in_name<R>(&mut self, name: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        self.path.push(name.to_string());
        self.name.push(name.to_string());
        let r = f(self);
        self.name.pop();
        self.path.pop();
        r
    }

    /// `enterSchema`: false when `m` is already being compared; otherwise marks it.
    pub(super) fn enter_schema(&mut self, m: &Message) -> bool {
        let p = m as *const Message;
        if self.schemas.contains(&p) {
            return false;
        }
        self.schemas.push(p);
        true
    }

    pub(super) fn leave_schema(&mut self, m: &Message) {
        let p = m as *const Message;
        if let Some(i) = self.schemas.iter().rposition(|x| *x == p) {
            self.schemas.remove(i);
        }
    }

    pub(super) fn add(&mut self, kind: Kind) {
        self.diffs.push(Difference {
            kind,
            path: format!("#/{}", self.path.join("/")),
        });
    }

    /// `isCompatible()`: no difference outside `COMPATIBLE_CHANGES`.
    pub(super) fn is_compatible(&self) -> bool {
        self.diffs.iter().all(|d| d.kind.is_compatible())
    }

    /// `resolve`/`resolveFull`: a leading dot is absolute; otherwise the name is tried under
    /// the package and enclosing names, innermost first, then as it is.
    pub(super) fn resolve(&self, name: &str, is_original: bool) -> Option<String> {
        let types = &self.world.sides[idx(is_original)];
        if types.is_empty() {
            return None;
        }
        if let Some(abs) = name.strip_prefix('.') {
            return types.contains(abs).then(|| abs.to_string());
        }
        let package = &self.packages[idx(is_original)];
        let mut key = String::with_capacity(package.len() + name.len() + 32);
        key.push(if is_original { 'o' } else { 'u' });
        key.push_str(package);
        for part in &self.name {
            key.push('\0');
            key.push_str(part);
        }
        key.push('\u{1}');
        key.push_str(name);
        if let Some(known) = self.world.resolved.borrow().get(&key) {
            return known.clone();
        }
        let found = self.resolve_in(types, package, name);
        let mut memo = self.world.resolved.borrow_mut();
        if memo.len() < MAX_MEMO {
            memo.insert(key, found.clone());
        }
        found
    }

    fn resolve_in(&self, types: &Side<'_>, package: &str, name: &str) -> Option<String> {
        let package_parts = if package.is_empty() {
            Vec::new()
        } else {
            java_split_dots(package)
        };
        let prefix: Vec<&str> = package_parts
            .iter()
            .chain(self.name.iter())
            .map(String::as_str)
            .collect();
        // Each candidate is `p0.p1…pk.name`, longest first, built in one reused buffer.
        let mut candidate = String::new();
        for k in (1..=prefix.len()).rev() {
            candidate.clear();
            for part in &prefix[..k] {
                candidate.push_str(part);
                candidate.push('.');
            }
            candidate.push_str(name);
            if types.contains(&candidate) {
                return Some(candidate);
            }
        }
        types.contains(name).then(|| name.to_string())
    }

    /// `getType`: the type `name` resolves to.
    pub(super) fn get_type(&self, name: &str, is_original: bool) -> Option<&'w TypeInfo<'a>> {
        let full = self.resolve(name, is_original)?;
        let full = full.strip_prefix('.').unwrap_or(&full);
        self.world.sides[idx(is_original)].get(full)
    }
}

/// Java's `s.split("\\.")`: trailing empty parts dropped (an empty string gives one part).
fn java_split_dots(s: &str) -> Vec<String> {
    let mut parts: Vec<String> = s.split('.').map(str::to_string).collect();
    while parts.len() > 1 && parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].is_empty() && !s.is_empty() {
        parts.clear();
    }
    parts
}

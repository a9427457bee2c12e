//! The checker proper: Java's `SchemaCompatibility.ReaderWriterCompatibilityChecker` over
//! two parsed schemas, and Confluent's rendering of each incompatibility.

use super::{Field, Kind, NodeId, Schema};
use std::collections::HashMap;

/// Deepest nesting of reader/writer pairs followed before giving up (keeps the stack bounded).
const MAX_CHECK_DEPTH: usize = 300;
/// Upper bound on the number of incompatibilities kept for one check.
const MAX_INCOMPATIBILITIES: usize = 1000;

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
pub(super) struct Incompatibility {
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

    pub(super) fn render(&self, reader: &str, writer: &str) -> String {
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
pub(super) struct CheckResult {
    incompatible: bool,
    pub(super) items: Vec<Incompatibility>,
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

pub(super) enum Memo {
    InProgress,
    Done(CheckResult),
}

pub(super) struct Checker<'a> {
    pub(super) reader: &'a Schema,
    pub(super) writer: &'a Schema,
    pub(super) memo: HashMap<(NodeId, NodeId), Memo>,
}

impl Checker<'_> {
    pub(super) fn top_level(&mut self) -> Result<CheckResult, Aborted> {
        let (r, w) = (self.reader.root(), self.writer.root());
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
        let key = (r, w);
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
        let token = match self.reader.kind(r) {
            Kind::Array => "items",
            _ => "values",
        };
        match (self.reader.element(r), self.writer.element(w)) {
            (Some(a), Some(b)) => self.get(token.to_string(), a, b, location, depth),
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
        fn short(s: &Schema, id: NodeId) -> &str {
            s.name(id).map_or("", |n| n.short.as_str())
        }
        let writer_full = self.writer.name(w).map_or("", |n| n.full.as_str());
        location.push("name".to_string());
        let result = if short(self.reader, r) == short(self.writer, w)
            || self.reader.aliases(r).iter().any(|a| a.full == writer_full)
        {
            CheckResult::compatible()
        } else {
            CheckResult::incompatible(
                IncompatibilityType::NameMismatch,
                format!("expected: {writer_full}"),
                location,
            )
        };
        location.pop();
        result
    }

    fn check_fixed_size(&self, r: NodeId, w: NodeId, location: &mut Vec<String>) -> CheckResult {
        let size = |s: &Schema, id: NodeId| match s.node(id) {
            Some(n) if n.kind == Kind::Fixed => n.size,
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
            Some(n) if n.kind == Kind::Enum => (&n.symbols[..], n.enum_default.as_ref()),
            _ => empty,
        };
        let writer_symbols: &[String] = match self.writer.node(w) {
            Some(n) if n.kind == Kind::Enum => &n.symbols,
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
                None if reader_field.default.is_some() => {}
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
        self.reader
            .node(ty)
            .is_some_and(|n| n.kind == Kind::Enum && n.enum_default.is_some())
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

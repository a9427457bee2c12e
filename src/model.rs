//! Plain domain types shared by every layer: subjects with their context, compatibility
//! levels, modes, schema types and references. No I/O, no HTTP.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The default context, where unqualified subjects live.
pub const DEFAULT_CONTEXT: &str = ".";

/// The context of Confluent 8.1's true global scope: config and mode under the subject
/// `:.__GLOBAL:` apply below every context's own (`QualifiedSubject.GLOBAL_CONTEXT_NAME`).
pub const GLOBAL_CONTEXT: &str = ".__GLOBAL";

/// The config and mode scope of the true global level.
pub const GLOBAL_SCOPE: &str = ":.__GLOBAL:";

/// The longest subject name we accept on writes (Confluent has no limit; Kafka topic names
/// are at most 249 characters, so 1024 leaves room for naming strategies and contexts).
pub const MAX_SUBJECT_LEN: usize = 1024;

/// A subject (or any name) as one URL path segment for a request to a registry: everything
/// but RFC 3986's unreserved characters is percent-encoded, and the dot segments `.` and
/// `..` are encoded whole (URL parsing would resolve them away).
pub fn path_segment(s: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    if s == "." || s == ".." {
        return utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    }
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// A subject together with the context it lives in.
///
/// Confluent qualifies subjects of a non-default context as `:.ctx:name`; subjects of the
/// default context are written unqualified (`:.:name` is accepted and means `name`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject {
    /// The context, always starting with `.` (`.` itself is the default context).
    pub context: String,
    /// The name inside the context (may be empty: `:.ctx:` designates the context itself).
    pub name: String,
}

impl Subject {
    /// Parses a subject as it appears in a URL or a record (`:.ctx:name` or `name`).
    pub fn parse(raw: &str) -> Subject {
        if let Some(rest) = raw.strip_prefix(':') {
            if rest.starts_with('.') {
                match rest.find(':') {
                    Some(i) => {
                        let ctx = &rest[..i];
                        return Subject {
                            context: ctx.to_string(),
                            name: rest[i + 1..].to_string(),
                        };
                    }
                    None => {
                        return Subject {
                            context: rest.to_string(),
                            name: String::new(),
                        }
                    }
                }
            }
        }
        Subject {
            context: DEFAULT_CONTEXT.to_string(),
            name: raw.to_string(),
        }
    }

    /// The context of a subject as [`Subject::parse`] finds it, without copying anything.
    pub fn context_of(raw: &str) -> &str {
        match raw.strip_prefix(':') {
            Some(rest) if rest.starts_with('.') => rest.find(':').map_or(rest, |i| &rest[..i]),
            _ => DEFAULT_CONTEXT,
        }
    }

    /// A subject `name` inside context `ctx` (as given in `/contexts/{ctx}/subjects/{name}`).
    pub fn in_context(ctx: &str, name: &str) -> Subject {
        let inner = Subject::parse(name);
        if inner.context != DEFAULT_CONTEXT {
            return inner;
        }
        let ctx = if ctx.starts_with('.') {
            ctx.to_string()
        } else {
            format!(".{ctx}")
        };
        Subject {
            context: ctx,
            name: inner.name,
        }
    }

    pub fn is_default_context(&self) -> bool {
        self.context == DEFAULT_CONTEXT
    }

    /// The qualified form: `name` in the default context, `:.ctx:name` elsewhere.
    pub fn qualified(&self) -> String {
        if self.is_default_context() {
            self.name.clone()
        } else {
            format!(":{}:{}", self.context, self.name)
        }
    }

    /// The scope key of this subject's context (`:.ctx:`), used for context-level config/mode.
    /// A reference's subject as `referenceFormat=qualified` shows it under this (parent)
    /// subject: an unqualified one in the parent's context when that is not the default
    /// (`QualifiedSubject.qualifySubjectWithParent`).
    pub fn qualify_reference(&self, reference: &str) -> String {
        let r = Subject::parse(reference);
        if !r.is_default_context() || self.is_default_context() {
            return reference.to_string();
        }
        Subject {
            context: self.context.clone(),
            name: reference.to_string(),
        }
        .qualified()
    }

    pub fn context_scope(&self) -> String {
        format!(":{}:", self.context)
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.qualified())
    }
}

/// Compatibility level = direction x scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

impl Level {
    pub const ALL: [Level; 7] = [
        Level::None,
        Level::Backward,
        Level::BackwardTransitive,
        Level::Forward,
        Level::ForwardTransitive,
        Level::Full,
        Level::FullTransitive,
    ];

    /// Case-insensitive, as Confluent accepts `backward` and `Full`.
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "NONE",
            Level::Backward => "BACKWARD",
            Level::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Level::Forward => "FORWARD",
            Level::ForwardTransitive => "FORWARD_TRANSITIVE",
            Level::Full => "FULL",
            Level::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// New schema must read data of the old ones.
    pub fn backward(self) -> bool {
        matches!(
            self,
            Level::Backward | Level::BackwardTransitive | Level::Full | Level::FullTransitive
        )
    }

    /// Old schemas must read data of the new one.
    pub fn forward(self) -> bool {
        matches!(
            self,
            Level::Forward | Level::ForwardTransitive | Level::Full | Level::FullTransitive
        )
    }

    /// Checked against every earlier version, not only the latest.
    pub fn transitive(self) -> bool {
        matches!(
            self,
            Level::BackwardTransitive | Level::ForwardTransitive | Level::FullTransitive
        )
    }
}

/// Registry mode of a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    ReadWrite,
    ReadOnly,
    ReadOnlyOverride,
    Import,
    /// 8.x `FORWARD` (only settable on `:.__GLOBAL:`): registrations behave as in IMPORT.
    Forward,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        [
            Mode::ReadWrite,
            Mode::ReadOnly,
            Mode::ReadOnlyOverride,
            Mode::Import,
            Mode::Forward,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadWrite => "READWRITE",
            Mode::ReadOnly => "READONLY",
            Mode::ReadOnlyOverride => "READONLY_OVERRIDE",
            Mode::Import => "IMPORT",
            Mode::Forward => "FORWARD",
        }
    }

    /// 8.3.1 `Mode.isImportOrForwardMode`: registrations may carry IDs and skip the
    /// compatibility check.
    pub fn is_import_or_forward(self) -> bool {
        matches!(self, Mode::Import | Mode::Forward)
    }

    pub fn is_read_only(self) -> bool {
        matches!(self, Mode::ReadOnly | Mode::ReadOnlyOverride)
    }
}

/// Schema types. Only Avro is implemented; the others are recognised so that their
/// requests get a precise error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    Avro,
    Json,
    Protobuf,
}

impl SchemaType {
    pub fn parse(s: &str) -> Option<SchemaType> {
        match s.to_ascii_uppercase().as_str() {
            "AVRO" => Some(SchemaType::Avro),
            "JSON" => Some(SchemaType::Json),
            "PROTOBUF" => Some(SchemaType::Protobuf),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Json => "JSON",
            SchemaType::Protobuf => "PROTOBUF",
        }
    }
}

/// A reference from one schema to a version of another subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_parse_with_contexts() {
        let s = Subject::parse(":.ctx:orders-value");
        assert_eq!(s.context, ".ctx");
        assert_eq!(s.name, "orders-value");
        assert_eq!(s.qualified(), ":.ctx:orders-value");
        let d = Subject::parse(":.:orders");
        assert!(d.is_default_context());
        assert_eq!(d.qualified(), "orders");
        let bare = Subject::parse(":.only");
        assert_eq!(bare.context, ".only");
        assert_eq!(bare.name, "");
        assert_eq!(Subject::parse("a:b").qualified(), "a:b");
        assert_eq!(Subject::in_context(".x", "s").qualified(), ":.x:s");
        assert_eq!(Subject::in_context(".", "s").qualified(), "s");
    }

    #[test]
    fn levels_parse_case_insensitively() {
        assert_eq!(Level::parse("backward"), Some(Level::Backward));
        assert_eq!(Level::parse("Full_Transitive"), Some(Level::FullTransitive));
        assert_eq!(Level::parse("nope"), None);
        assert!(Level::Full.backward() && Level::Full.forward() && !Level::Full.transitive());
    }
}

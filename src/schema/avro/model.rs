//! The parsed Avro schema model shared by the parser, the printers and the compatibility
//! checker: an arena of `Node`s in which each named type is one node (Java's `Schema` identity),
//! with Java's names, fields, logical types.

use super::fail;
use super::AvroError;
use crate::json::Json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Record,
    Enum,
    Array,
    Map,
    Union,
    Fixed,
    String,
    Bytes,
    Int,
    Long,
    Float,
    Double,
    Boolean,
    Null,
}

impl Kind {
    /// Java `Schema.Type.getName()`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Record => "record",
            Kind::Enum => "enum",
            Kind::Array => "array",
            Kind::Map => "map",
            Kind::Union => "union",
            Kind::Fixed => "fixed",
            Kind::String => "string",
            Kind::Bytes => "bytes",
            Kind::Int => "int",
            Kind::Long => "long",
            Kind::Float => "float",
            Kind::Double => "double",
            Kind::Boolean => "boolean",
            Kind::Null => "null",
        }
    }

    /// Java `Schema.Type.toString()` (the upper-case name the compatibility messages print).
    pub(crate) fn java_name(self) -> &'static str {
        match self {
            Kind::Record => "RECORD",
            Kind::Enum => "ENUM",
            Kind::Array => "ARRAY",
            Kind::Map => "MAP",
            Kind::Union => "UNION",
            Kind::Fixed => "FIXED",
            Kind::String => "STRING",
            Kind::Bytes => "BYTES",
            Kind::Int => "INT",
            Kind::Long => "LONG",
            Kind::Float => "FLOAT",
            Kind::Double => "DOUBLE",
            Kind::Boolean => "BOOLEAN",
            Kind::Null => "NULL",
        }
    }

    pub(crate) fn primitive(s: &str) -> Option<Kind> {
        Some(match s {
            "string" => Kind::String,
            "bytes" => Kind::Bytes,
            "int" => Kind::Int,
            "long" => Kind::Long,
            "float" => Kind::Float,
            "double" => Kind::Double,
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            _ => return None,
        })
    }

    pub(crate) fn is_type_name(s: &str) -> bool {
        matches!(
            s,
            "record"
                | "enum"
                | "array"
                | "map"
                | "union"
                | "fixed"
                | "string"
                | "bytes"
                | "int"
                | "long"
                | "float"
                | "double"
                | "boolean"
                | "null"
        )
    }
}

pub(crate) const SCHEMA_RESERVED: &[&str] = &[
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
];
pub(crate) const ENUM_RESERVED: &[&str] = &[
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
    "default",
];
pub(crate) const FIELD_RESERVED: &[&str] = &["default", "doc", "name", "order", "type", "aliases"];

/// Java `Schema.Name`.
#[derive(Debug, Clone)]
pub(crate) struct Name {
    pub(crate) short: String,
    pub(crate) space: Option<String>,
    pub(crate) full: String,
}

/// Java `Schema.validateName` (letters and digits in Java's Unicode sense).
pub(crate) fn validate_name(name: &str) -> Result<(), AvroError> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return fail("Empty name");
    };
    // Java works on UTF-16 units: a supplementary character is a surrogate, never a letter.
    if (first as u32) > 0xFFFF || !(first.is_alphabetic() || first == '_') {
        return fail(format!("Illegal initial character: {name}"));
    }
    for c in chars {
        if (c as u32) > 0xFFFF || !(c.is_alphanumeric() || c == '_') {
            return fail(format!("Illegal character in: {name}"));
        }
    }
    Ok(())
}

impl Name {
    pub(crate) fn new(name: &str, space: Option<&str>) -> Result<Name, AvroError> {
        let (short, space) = match name.rfind('.') {
            Some(dot) => (
                name.get(dot + 1..).unwrap_or(""),
                Some(name.get(..dot).unwrap_or("")),
            ),
            None => (name, space),
        };
        validate_name(short)?;
        let space = space.filter(|s| !s.is_empty()).map(str::to_string);
        let full = match &space {
            Some(s) => format!("{s}.{short}"),
            None => short.to_string(),
        };
        Ok(Name {
            short: short.to_string(),
            space,
            full,
        })
    }

    /// Java `Name.getQualified(defaultSpace)`.
    pub(crate) fn qualified(&self, default_space: Option<&str>) -> &str {
        match (&self.space, default_space) {
            (Some(s), Some(d)) if s == d && !Kind::is_type_name(&self.short) => &self.short,
            _ => &self.full,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Ascending,
    Descending,
    Ignore,
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) ty: usize,
    pub(crate) doc: Option<String>,
    pub(crate) default: Option<Json>,
    pub(crate) order: Order,
    pub(crate) aliases: Vec<String>,
    pub(crate) props: Vec<(String, Json)>,
}

#[derive(Debug, Clone)]
pub(crate) enum Logical {
    Decimal { precision: i32, scale: i32 },
    Simple(&'static str),
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) name: Option<Name>,
    pub(crate) doc: Option<String>,
    pub(crate) aliases: Vec<Name>,
    pub(crate) props: Vec<(String, Json)>,
    pub(crate) logical: Option<Logical>,
    pub(crate) is_error: bool,
    /// Record fields; `None` while the record is being parsed (Java: "fields not set yet").
    pub(crate) fields: Option<Vec<Field>>,
    pub(crate) symbols: Vec<String>,
    pub(crate) enum_default: Option<String>,
    pub(crate) size: i32,
    /// Array items, map values (one element) or union branches.
    pub(crate) children: Vec<usize>,
}

impl Node {
    pub(crate) fn new(kind: Kind) -> Node {
        Node {
            kind,
            name: None,
            doc: None,
            aliases: Vec::new(),
            props: Vec::new(),
            logical: None,
            is_error: false,
            fields: None,
            symbols: Vec::new(),
            enum_default: None,
            size: 0,
            children: Vec::new(),
        }
    }

    /// Java `getFullName()`.
    pub(crate) fn full_name(&self) -> &str {
        match &self.name {
            Some(n) => &n.full,
            None => self.kind.name(),
        }
    }
}

/// `LogicalTypes.fromSchemaIgnoreInvalid` for the logical types Avro 1.11 knows.
pub(crate) fn logical_of(node: &Node) -> Option<Logical> {
    let lt = node
        .props
        .iter()
        .find(|(k, _)| k == "logicalType")
        .and_then(|(_, v)| v.text())?;
    let prop = |key: &str| node.props.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    // `LogicalType.validate`: these Java-specific string props rule out any logical type.
    let incompatible = [
        "avro.java.string",
        "java-class",
        "java-key-class",
        "java-element-class",
    ];
    if incompatible
        .iter()
        .any(|p| prop(p).and_then(Json::text).is_some())
    {
        return None;
    }
    let simple =
        |name: &'static str, kind: Kind| (node.kind == kind).then_some(Logical::Simple(name));
    match lt {
        "decimal" => {
            let precision = match prop("precision")? {
                Json::Int(p) => *p,
                _ => return None,
            };
            let scale = match prop("scale") {
                None => 0,
                Some(Json::Int(s)) => *s,
                Some(_) => return None,
            };
            let max_precision: i64 = match node.kind {
                Kind::Bytes => i64::from(i32::MAX),
                Kind::Fixed => {
                    let bits = 8.0 * f64::from(node.size) - 1.0;
                    (2f64.log10() * bits).floor().round() as i64
                }
                _ => return None,
            };
            if precision <= 0
                || i64::from(precision) > max_precision
                || scale < 0
                || scale > precision
            {
                return None;
            }
            Some(Logical::Decimal { precision, scale })
        }
        "uuid" => simple("uuid", Kind::String),
        "date" => simple("date", Kind::Int),
        "time-millis" => simple("time-millis", Kind::Int),
        "time-micros" => simple("time-micros", Kind::Long),
        "timestamp-millis" => simple("timestamp-millis", Kind::Long),
        "timestamp-micros" => simple("timestamp-micros", Kind::Long),
        "local-timestamp-millis" => simple("local-timestamp-millis", Kind::Long),
        "local-timestamp-micros" => simple("local-timestamp-micros", Kind::Long),
        _ => None,
    }
}

//! The schema objects Confluent's diff works on: a model of the tree everit's `SchemaLoader`
//! builds (`org.everit.json.schema.*`), kept in an arena. Only what the diff reads is kept.

use regex::Regex;
use serde_json::{Number, Value};
use std::collections::{HashMap, HashSet};

pub(super) type NodeId = usize;

/// The JSON Schema dialect a document is loaded with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Spec {
    Draft4,
    Draft6,
    Draft7,
    /// 2019-09 and 2020-12 (Confluent loads them with json-sKema and translates the result
    /// into everit objects; modelled here as draft 7 plus the keywords the translator maps).
    Modern,
}

impl Spec {
    /// `$schema` → dialect, as `JsonSchema.rawSchema()` picks it (draft 7 when absent or unknown).
    pub(super) fn of(root: &Value) -> Spec {
        let url = root.get("$schema").and_then(Value::as_str).unwrap_or("");
        if url.contains("draft-04") {
            Spec::Draft4
        } else if url.contains("draft-06") {
            Spec::Draft6
        } else if url.contains("2019-09") || url.contains("2020-12") {
            Spec::Modern
        } else {
            Spec::Draft7
        }
    }

    /// `SpecificationVersion.idKeyword()`.
    pub(super) fn id_keyword(self) -> &'static str {
        if self == Spec::Draft4 {
            "id"
        } else {
            "$id"
        }
    }

    /// `SpecificationVersion.objectKeywords()` (plus the 2019-09 ones the translator maps).
    pub(super) fn object_keywords(self) -> &'static [&'static str] {
        const V4: &[&str] = &[
            "properties",
            "required",
            "minProperties",
            "maxProperties",
            "dependencies",
            "patternProperties",
            "additionalProperties",
        ];
        const V6: &[&str] = &[
            "properties",
            "required",
            "minProperties",
            "maxProperties",
            "dependencies",
            "patternProperties",
            "additionalProperties",
            "propertyNames",
        ];
        const MODERN: &[&str] = &[
            "properties",
            "required",
            "minProperties",
            "maxProperties",
            "dependencies",
            "patternProperties",
            "additionalProperties",
            "propertyNames",
            "dependentRequired",
            "dependentSchemas",
            "unevaluatedProperties",
        ];
        match self {
            Spec::Draft4 => V4,
            Spec::Draft6 | Spec::Draft7 => V6,
            Spec::Modern => MODERN,
        }
    }

    /// `SpecificationVersion.arrayKeywords()` (plus the 2019-09 ones the translator maps).
    pub(super) fn array_keywords(self) -> &'static [&'static str] {
        const V4: &[&str] = &[
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
        ];
        const V6: &[&str] = &[
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "contains",
        ];
        const MODERN: &[&str] = &[
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "contains",
            "prefixItems",
            "unevaluatedItems",
            "minContains",
            "maxContains",
        ];
        match self {
            Spec::Draft4 => V4,
            Spec::Draft6 | Spec::Draft7 => V6,
            Spec::Modern => MODERN,
        }
    }
}

pub(super) const NUMBER_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
pub(super) const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];

/// `CombinedSchema.ValidationCriterion`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Criterion {
    All,
    Any,
    One,
}

impl Criterion {
    pub(super) fn keyword(self) -> &'static str {
        match self {
            Criterion::All => "allOf",
            Criterion::Any => "anyOf",
            Criterion::One => "oneOf",
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct StringS {
    pub min_length: Option<i64>,
    pub max_length: Option<i64>,
    pub pattern: Option<String>,
}

#[derive(Debug, Default)]
pub(super) struct NumberS {
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: Option<f64>,
    pub exclusive_maximum: Option<f64>,
    pub multiple_of: Option<Number>,
    pub requires_integer: bool,
}

/// A `patternProperties` entry: the pattern (None when it does not compile here) and schema.
#[derive(Debug)]
pub(super) struct PatternProperty {
    pub regex: Option<Regex>,
    pub schema: NodeId,
}

#[derive(Debug)]
pub(super) struct ObjectS {
    /// `propertySchemas`, in the iteration order of Java's `HashMap`.
    pub properties: Vec<(String, NodeId)>,
    /// `properties` by name.
    pub property_index: HashMap<String, NodeId>,
    /// `requiredProperties`.
    pub required: HashSet<String>,
    pub additional: bool,
    pub additional_schema: Option<NodeId>,
    pub patterns: Vec<PatternProperty>,
    /// `propertyDependencies` (key → set of names), in `HashMap` order.
    pub property_deps: Vec<(String, Vec<String>)>,
    /// `schemaDependencies`, in `HashMap` order.
    pub schema_deps: Vec<(String, NodeId)>,
    pub min_properties: Option<i64>,
    pub max_properties: Option<i64>,
    /// 2019-09+: `unevaluatedProperties` (kept by the translator as an unprocessed property).
    pub unevaluated: Option<NodeId>,
}

impl Default for ObjectS {
    fn default() -> Self {
        ObjectS {
            properties: Vec::new(),
            property_index: HashMap::new(),
            required: HashSet::new(),
            additional: true,
            additional_schema: None,
            patterns: Vec::new(),
            property_deps: Vec::new(),
            schema_deps: Vec::new(),
            min_properties: None,
            max_properties: None,
            unevaluated: None,
        }
    }
}

impl ObjectS {
    pub(super) fn property(&self, name: &str) -> Option<NodeId> {
        self.property_index.get(name).copied()
    }
}

#[derive(Debug, Default)]
pub(super) struct ArrayS {
    pub all_items: Option<NodeId>,
    pub item_schemas: Option<Vec<NodeId>>,
    /// `permitsAdditionalItems()` as the `ArraySchema` constructor computes it.
    pub additional: bool,
    pub additional_schema: Option<NodeId>,
    pub min_items: Option<i64>,
    pub max_items: Option<i64>,
    pub unique_items: bool,
    /// `maxContains` / `minContains` (8.2 reads them from the unprocessed properties).
    pub max_contains: Option<i64>,
    pub min_contains: Option<i64>,
    pub unevaluated: Option<NodeId>,
}

/// The everit schema class of a node (what `SchemaDiff.schemaTypesEqual` compares).
#[derive(Debug)]
pub(super) enum Kind {
    Empty,
    /// `TrueSchema` (a subclass of `EmptySchema`).
    True,
    False,
    Null,
    Boolean,
    String(StringS),
    Number(NumberS),
    Const(Value),
    Enum(Vec<Value>),
    Combined(Criterion, Vec<NodeId>),
    Not(NodeId),
    Object(Box<ObjectS>),
    Array(Box<ArrayS>),
    Conditional,
    /// `ReferenceSchema`: an index into `Model::targets` (the referred schema, shared by every
    /// reference to the same location).
    Ref(usize),
}

impl Kind {
    /// `instanceof EmptySchema` (TrueSchema extends EmptySchema).
    pub(super) fn is_empty_schema(&self) -> bool {
        matches!(self, Kind::Empty | Kind::True)
    }

    pub(super) fn is_false(&self) -> bool {
        matches!(self, Kind::False)
    }

    /// Same Java class (all combined schemas count as one, as the diff treats them).
    pub(super) fn same_class(&self, other: &Kind) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

#[derive(Debug)]
pub(super) struct Node {
    pub kind: Kind,
    /// `hasDefaultValue()`.
    pub has_default: bool,
    /// `"connect.type": "bytes"` among the unprocessed properties (8.2 treats two such
    /// schemas of different types as equivalent).
    pub connect_bytes: bool,
    /// What `new JsonSchema(schema)` equality compares, to collapse equal subschemas of a
    /// combined schema: a tag and a hash of the source JSON. None = equal to nothing else.
    pub fingerprint: Option<(&'static str, u64)>,
}

/// A loaded document: the arena, the referred schemas and the root.
#[derive(Debug)]
pub(super) struct Model {
    pub nodes: Vec<Node>,
    /// Referred schema of each reference target (None: the reference did not resolve).
    pub targets: Vec<Option<NodeId>>,
    pub root: NodeId,
}

impl Model {
    pub(super) fn kind(&self, id: NodeId) -> &Kind {
        self.nodes.get(id).map_or(&Kind::Empty, |n| &n.kind)
    }

    pub(super) fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// `SchemaDiff.normalizeSchema`: one reference is followed (not a chain).
    pub(super) fn normalize(&self, id: NodeId) -> NodeId {
        match self.kind(id) {
            Kind::Ref(t) => self.targets.get(*t).copied().flatten().unwrap_or(id),
            _ => id,
        }
    }
}

//! Property tests of the Avro schema parser (`schema::avro::parse`) and of the compatibility
//! checker (`compat::check`), on random but valid Avro schemas.
//!
//! The generator builds records (with unique full names, optional or inherited namespaces,
//! dotted names, docs, aliases, field orders and custom properties), enums (symbols, optional
//! default), fixed types, arrays, maps, unions without duplicate branches, nested records,
//! logical types (decimal on bytes and fixed, timestamp-millis, uuid, date, …; also an unknown
//! and a misplaced one, which Avro ignores), primitives in object form with properties, and
//! uses of already-defined named types by short name, full name or `{"type": name}` (including
//! recursive uses of the record being defined). Field defaults are generated from the field's
//! type (union defaults match the first branch; record defaults give every field a value or
//! rely on that field's own default; float and double defaults may be `"NaN"`/`"Infinity"`
//! strings). It stays clear of what makes Confluent's own normalization fail (so that a strict
//! parse fails here too): property keys that need escaping in JSON, null property values, types
//! in the null namespace nested in a namespaced type, and floats above `f32::MAX` inside a
//! default; see the comments where each is avoided.
//!
//! Checked for every generated schema:
//! - a. it parses, strict (default validation) and lax, and `defined_names` lists exactly
//!   the named types the generator defined, in definition order;
//! - b. canonicalisation is idempotent: `parse(canonical).canonical == canonical`,
//!   `parse(normalized).normalized == normalized` and `parse(normalized).canonical ==
//!   normalized` (the normalized text is itself a `Schema.toString()`), the canonical text
//!   normalizes like the original, and both texts are valid JSON;
//! - c. print → parse is stable: the same schema pretty-printed gives the same canonical and
//!   normalized texts, and `defined_names` is the same for the original, canonical and
//!   normalized texts;
//! - d. a schema is compatible with itself (original text, canonical and normalized texts
//!   mixed) at each of the seven levels, against one previous version and against two;
//! - e. for record schemas: adding a field with a default is FULL compatible, adding one
//!   without a default is FORWARD but not BACKWARD compatible, removing a field that has a
//!   default is FULL compatible and removing one without a default is BACKWARD but not FORWARD
//!   compatible (the negative halves make sure the checker does not accept everything).
//!
//! Run: `cargo test --release --test avro_properties` (256 cases per property;
//! `PROPTEST_CASES=N` overrides).

use proptest::prelude::*;
use schema_registry::compat::{self, Candidate, Previous};
use schema_registry::model::{Level, SchemaType};
use schema_registry::schema::avro;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

// ---------------------------------------------------------------------------------------------
// Blueprints: the random structure proptest generates (and shrinks). Names are made unique and
// references resolved when a blueprint is rendered to JSON.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prim {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
}

impl Prim {
    fn name(self) -> &'static str {
        match self {
            Prim::Null => "null",
            Prim::Boolean => "boolean",
            Prim::Int => "int",
            Prim::Long => "long",
            Prim::Float => "float",
            Prim::Double => "double",
            Prim::Bytes => "bytes",
            Prim::String => "string",
        }
    }

    fn info(self) -> Info {
        match self {
            Prim::Null => Info::Null,
            Prim::Boolean => Info::Boolean,
            Prim::Int => Info::Int,
            Prim::Long => Info::Long,
            Prim::Float => Info::Float,
            Prim::Double => Info::Double,
            Prim::Bytes => Info::Bytes,
            Prim::String => Info::String,
        }
    }
}

type Props = Vec<(String, Value)>;

/// How a named type's name is written.
#[derive(Debug, Clone)]
enum Ns {
    /// `"name": "N"`: the enclosing namespace applies.
    Inherit,
    /// `"name": "N", "namespace": "ns"`.
    Explicit(String),
    /// `"name": "N", "namespace": ""`: the null namespace.
    Empty,
    /// `"name": "ns.N"`.
    Dotted(String),
    /// `"name": "ns.N", "namespace": "other"`: the namespace key is ignored.
    DottedIgnoring(String, String),
}

#[derive(Debug, Clone)]
struct NameBp {
    short: String,
    ns: Ns,
}

#[derive(Debug, Clone, Copy)]
enum RefForm {
    /// The shortest name that resolves to the type.
    Short,
    /// The full name.
    Full,
    /// `{"type": "<name>"}`.
    Object,
}

#[derive(Debug, Clone)]
enum Logical {
    /// `{"type": prim, "logicalType": name}`; also names Avro does not know or that do not fit
    /// the primitive (kept as plain properties).
    Simple(Prim, &'static str),
    /// `bytes` decimal.
    Decimal { precision: u32, scale: Option<u32> },
}

#[derive(Debug, Clone)]
struct FieldBp {
    name: String,
    ty: Ty,
    doc: Option<String>,
    /// Seed of the default value, when the field has one.
    default: Option<u64>,
    order: Option<&'static str>,
    aliases: bool,
    props: Props,
}

#[derive(Debug, Clone)]
struct RecordBp {
    name: NameBp,
    is_error: bool,
    doc: Option<String>,
    fields: Vec<FieldBp>,
    props: Props,
    aliases: Vec<String>,
}

#[derive(Debug, Clone)]
struct EnumBp {
    name: NameBp,
    doc: Option<String>,
    symbols: Vec<String>,
    default: Option<usize>,
    props: Props,
    aliases: Vec<String>,
}

#[derive(Debug, Clone)]
struct FixedBp {
    name: NameBp,
    doc: Option<String>,
    size: u32,
    /// Seeds of a decimal logical type (precision, scale), fitted to the size.
    decimal: Option<(u32, u32)>,
    props: Props,
    aliases: Vec<String>,
}

#[derive(Debug, Clone)]
enum Ty {
    Prim {
        prim: Prim,
        object_form: bool,
        props: Props,
    },
    Logical(Logical),
    Array(Box<Ty>, Props),
    Map(Box<Ty>, Props),
    Union(Vec<Ty>),
    Record(Box<RecordBp>),
    Enum(EnumBp),
    Fixed(FixedBp),
    /// A use of the `pick % n`-th named type defined so far.
    Reuse(usize, RefForm),
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

fn select(items: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    prop::sample::select(items).prop_map(String::from)
}

fn short_name() -> impl Strategy<Value = String> + Clone {
    select(&[
        "A",
        "B",
        "Rec",
        "Node",
        "Item",
        "_priv",
        "Größe",
        "x1",
        "Value",
        "Ünïcode",
        "Event",
    ])
}

fn namespace() -> impl Strategy<Value = String> + Clone {
    select(&["com.example", "org.acme.v1", "ns", "a.b.c", "_x.y1", "é.ü"])
}

fn ns_mode() -> impl Strategy<Value = Ns> + Clone {
    prop_oneof![
        4 => Just(Ns::Inherit),
        2 => namespace().prop_map(Ns::Explicit),
        1 => Just(Ns::Empty),
        2 => namespace().prop_map(Ns::Dotted),
        1 => (namespace(), namespace()).prop_map(|(a, b)| Ns::DottedIgnoring(a, b)),
    ]
}

fn name_bp() -> impl Strategy<Value = NameBp> + Clone {
    (short_name(), ns_mode()).prop_map(|(short, ns)| NameBp { short, ns })
}

/// Free text: docs, string defaults, property values and keys. Any character, including
/// control characters, quotes, backslashes and characters outside the BMP.
fn text() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => "[a-zA-Z0-9 _.-]{0,12}",
        2 => prop::collection::vec(any::<char>(), 0..8).prop_map(|v| v.into_iter().collect()),
        1 => select(&["", "quote \" backslash \\ slash /", "tab\tnewline\n\u{0}\u{1f}", "😀 ünï ☃", "\u{7f}\u{80}\u{ff}\u{100}"]),
    ]
}

/// Property keys. Never one that needs escaping in JSON: Confluent's normalization writes
/// property keys unescaped (`AvroSchemaUtils.setSimpleProps`), so `"` or `\` in a key makes the
/// normalized text invalid and a strict parse fails, as it does in Confluent.
fn prop_key() -> impl Strategy<Value = String> + Clone {
    select(&[
        "custom",
        "x-owner",
        "meta",
        "connect.name",
        "tags",
        "zeta",
        "Ünï",
        "with space",
    ])
}

/// A property value: any JSON without nulls (Confluent's normalization fails on null
/// property values, so a strict parse would rightly reject them).
fn prop_value() -> impl Strategy<Value = Value> + Clone {
    use prop::num::f64 as f;
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (f::POSITIVE | f::NEGATIVE | f::NORMAL | f::ZERO).prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn props() -> impl Strategy<Value = Props> + Clone {
    prop_oneof![
        3 => Just(Vec::new()),
        1 => prop::collection::btree_map(prop_key(), prop_value(), 1..3)
            .prop_map(|m| m.into_iter().collect()),
    ]
}

fn doc() -> impl Strategy<Value = Option<String>> + Clone {
    prop::option::weighted(0.3, text())
}

fn named_aliases() -> impl Strategy<Value = Vec<String>> + Clone {
    prop_oneof![
        4 => Just(Vec::new()),
        1 => prop::collection::vec(select(&["Old", "Former", "legacy.Old", "v0.Thing"]), 1..3),
    ]
}

fn prim() -> impl Strategy<Value = Prim> + Clone {
    prop::sample::select(
        &[
            Prim::Null,
            Prim::Boolean,
            Prim::Int,
            Prim::Long,
            Prim::Float,
            Prim::Double,
            Prim::Bytes,
            Prim::String,
        ][..],
    )
}

fn prim_ty() -> impl Strategy<Value = Ty> + Clone {
    prop_oneof![
        4 => prim().prop_map(|prim| Ty::Prim { prim, object_form: false, props: Vec::new() }),
        1 => (prim(), props()).prop_map(|(prim, props)| Ty::Prim { prim, object_form: true, props }),
    ]
}

fn logical_ty() -> impl Strategy<Value = Ty> + Clone {
    prop_oneof![
        6 => prop::sample::select(&[
            (Prim::Long, "timestamp-millis"),
            (Prim::Long, "timestamp-micros"),
            (Prim::Long, "local-timestamp-millis"),
            (Prim::Long, "local-timestamp-micros"),
            (Prim::Long, "time-micros"),
            (Prim::Int, "time-millis"),
            (Prim::Int, "date"),
            (Prim::String, "uuid"),
            // Ignored by Avro: unknown, or not on the primitive it is defined for.
            (Prim::Int, "my-logical-type"),
            (Prim::Int, "uuid"),
        ][..])
        .prop_map(|(p, n)| Ty::Logical(Logical::Simple(p, n))),
        2 => (1u32..40, prop::option::of(0u32..40)).prop_map(|(precision, scale)| {
            Ty::Logical(Logical::Decimal {
                precision,
                scale: scale.map(|s| s % (precision + 1)),
            })
        }),
    ]
}

fn enum_bp() -> impl Strategy<Value = EnumBp> + Clone {
    (
        name_bp(),
        doc(),
        prop::collection::btree_set(
            select(&["A", "B", "C", "RED", "GREEN", "_Z", "é", "x9"]),
            1..6,
        ),
        prop::option::of(any::<usize>()),
        props(),
        named_aliases(),
    )
        .prop_map(|(name, doc, symbols, default, props, aliases)| {
            let symbols: Vec<String> = symbols.into_iter().collect();
            EnumBp {
                default: default.map(|d| d % symbols.len()),
                name,
                doc,
                symbols,
                props,
                aliases,
            }
        })
}

fn fixed_bp() -> impl Strategy<Value = FixedBp> + Clone {
    (
        name_bp(),
        doc(),
        0u32..20,
        prop::option::weighted(0.3, (any::<u32>(), any::<u32>())),
        props(),
        named_aliases(),
    )
        .prop_map(|(name, doc, size, decimal, props, aliases)| FixedBp {
            name,
            doc,
            size,
            decimal,
            props,
            aliases,
        })
}

fn field_bp(inner: BoxedStrategy<Ty>) -> impl Strategy<Value = FieldBp> + Clone {
    (
        select(&["a", "b", "id", "value", "_x", "f1", "näme", "next"]),
        inner,
        doc(),
        prop::option::weighted(0.6, any::<u64>()),
        prop::option::weighted(
            0.2,
            prop::sample::select(&["ascending", "DESCENDING", "Ignore", "descending"][..]),
        ),
        prop::bool::weighted(0.2),
        props(),
    )
        .prop_map(|(name, ty, doc, default, order, aliases, props)| FieldBp {
            name,
            ty,
            doc,
            default,
            order,
            aliases,
            props,
        })
}

fn record_bp(inner: BoxedStrategy<Ty>) -> impl Strategy<Value = RecordBp> + Clone {
    (
        name_bp(),
        prop::bool::weighted(0.05),
        doc(),
        prop::collection::vec(field_bp(inner), 0..6),
        props(),
        named_aliases(),
    )
        .prop_map(|(name, is_error, doc, fields, props, aliases)| RecordBp {
            name,
            is_error,
            doc,
            fields,
            props,
            aliases,
        })
}

fn ref_form() -> impl Strategy<Value = RefForm> + Clone {
    prop::sample::select(&[RefForm::Short, RefForm::Full, RefForm::Object][..])
}

fn ty() -> BoxedStrategy<Ty> {
    let leaf = prop_oneof![
        8 => prim_ty(),
        2 => logical_ty(),
        2 => enum_bp().prop_map(Ty::Enum),
        2 => fixed_bp().prop_map(Ty::Fixed),
        3 => (any::<usize>(), ref_form()).prop_map(|(pick, form)| Ty::Reuse(pick, form)),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            2 => (inner.clone(), props()).prop_map(|(t, p)| Ty::Array(Box::new(t), p)),
            2 => (inner.clone(), props()).prop_map(|(t, p)| Ty::Map(Box::new(t), p)),
            3 => prop::collection::vec(inner.clone(), 1..5).prop_map(Ty::Union),
            4 => record_bp(inner).prop_map(|r| Ty::Record(Box::new(r))),
        ]
    })
    .boxed()
}

/// Mostly records (so that the field evolution properties apply), sometimes any type.
fn root() -> impl Strategy<Value = Ty> {
    prop_oneof![
        4 => record_bp(ty()).prop_map(|r| Ty::Record(Box::new(r))),
        1 => ty(),
    ]
}

// ---------------------------------------------------------------------------------------------
// Rendering a blueprint to a schema
// ---------------------------------------------------------------------------------------------

/// What the generator knows of a rendered type, to generate default values for it.
#[derive(Debug, Clone)]
enum Info {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Named(String),
    Array(Box<Info>),
    Map(Box<Info>),
    Union(Vec<Info>),
}

#[derive(Debug, Clone)]
struct FieldInfo {
    name: String,
    ty: Info,
    has_default: bool,
}

#[derive(Debug, Clone)]
enum NamedInfo {
    /// `None` while the record's fields are being rendered.
    Record(Option<Vec<FieldInfo>>),
    Enum(Vec<String>),
    Fixed(u32),
}

/// splitmix64, for default values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize].clone()
    }
}

#[derive(Default)]
struct Gen {
    /// Full names in definition order.
    defined: Vec<String>,
    named: HashMap<String, NamedInfo>,
    /// Uses of already-defined named types.
    reuses: usize,
}

fn split_full(full: &str) -> (Option<&str>, &str) {
    match full.rfind('.') {
        Some(i) => (Some(&full[..i]), &full[i + 1..]),
        None => (None, full),
    }
}

fn full_of(space: Option<&str>, short: &str) -> String {
    match space {
        Some(s) => format!("{s}.{short}"),
        None => short.to_string(),
    }
}

impl Gen {
    /// The name entries of a named type and its full name; the short name gets a suffix when
    /// the full name is already taken.
    fn name(&self, bp: &NameBp, enclosing: Option<&str>) -> (Vec<(String, Value)>, String) {
        let space: Option<String> = match &bp.ns {
            Ns::Inherit => enclosing.map(str::to_string),
            Ns::Explicit(s) | Ns::Dotted(s) | Ns::DottedIgnoring(s, _) => Some(s.clone()),
            // Confluent's normalized text writes full names without namespaces, so a type in
            // the null namespace nested in a namespaced one would move into that namespace
            // (and a strict parse could fail): `"namespace": ""` only where it changes nothing.
            Ns::Empty => enclosing.map(str::to_string),
        };
        let mut short = bp.short.clone();
        let mut n = 1;
        while self.named.contains_key(&full_of(space.as_deref(), &short)) {
            n += 1;
            short = format!("{}_{n}", bp.short);
        }
        let full = full_of(space.as_deref(), &short);
        let entries = match &bp.ns {
            Ns::Inherit => vec![("name".into(), Value::from(short))],
            Ns::Explicit(s) => vec![
                ("name".into(), Value::from(short)),
                ("namespace".into(), Value::from(s.clone())),
            ],
            Ns::Empty if enclosing.is_none() => vec![
                ("name".into(), Value::from(short)),
                ("namespace".into(), Value::from("")),
            ],
            Ns::Empty => vec![("name".into(), Value::from(short))],
            Ns::Dotted(_) => vec![("name".into(), Value::from(full.clone()))],
            Ns::DottedIgnoring(_, other) => vec![
                ("name".into(), Value::from(full.clone())),
                ("namespace".into(), Value::from(other.clone())),
            ],
        };
        (entries, full)
    }

    /// Where a type name written in namespace `space` leads (Avro's lookup: the name in the
    /// current namespace first, then as written).
    fn resolve(&self, text: &str, space: Option<&str>) -> Option<String> {
        let in_space = if text.contains('.') {
            text.to_string()
        } else {
            full_of(space, text)
        };
        if self.named.contains_key(&in_space) {
            return Some(in_space);
        }
        self.named.contains_key(text).then(|| text.to_string())
    }

    /// The text referring to the `pick`-th defined type from namespace `space`, if it can be
    /// written there; and the full name it refers to.
    fn reference(
        &self,
        pick: usize,
        form: RefForm,
        space: Option<&str>,
    ) -> Option<(Value, String)> {
        if self.defined.is_empty() {
            return None;
        }
        let target = self.defined[pick % self.defined.len()].clone();
        let (tspace, short) = split_full(&target);
        let short_text = if tspace == space {
            short.to_string()
        } else {
            target.clone()
        };
        let value = match form {
            RefForm::Short => Value::from(short_text),
            RefForm::Full => Value::from(target.clone()),
            RefForm::Object => {
                // `{"type": name}` only looks the name up in the current namespace.
                let text = if target.contains('.') {
                    target.clone()
                } else {
                    short_text
                };
                if full_of(space, &text) != target && !text.contains('.') {
                    return None;
                }
                let mut m = Map::new();
                m.insert("type".into(), Value::from(text));
                return Some((Value::Object(m), target));
            }
        };
        let text = value.as_str().unwrap_or_default();
        (self.resolve(text, space).as_deref() == Some(target.as_str())).then_some((value, target))
    }

    /// The key under which a union branch must be unique (Avro: the full name for named
    /// types, the type name otherwise), computed before the branch is rendered. Named
    /// definitions always get a fresh name, so they are never duplicates.
    fn union_key(&self, ty: &Ty, space: Option<&str>) -> Option<String> {
        Some(match ty {
            Ty::Prim { prim, .. } => prim.name().to_string(),
            Ty::Logical(Logical::Simple(p, _)) => p.name().to_string(),
            Ty::Logical(Logical::Decimal { .. }) => "bytes".to_string(),
            Ty::Array(..) => "array".to_string(),
            Ty::Map(..) => "map".to_string(),
            Ty::Union(_) => return None,
            Ty::Record(_) | Ty::Enum(_) | Ty::Fixed(_) => format!("new#{}", self.defined.len()),
            Ty::Reuse(pick, form) => match self.reference(*pick, *form, space) {
                Some((_, full)) => full,
                None => "string".to_string(),
            },
        })
    }

    fn with_props(mut obj: Map<String, Value>, props: &Props) -> Value {
        for (k, v) in props {
            obj.insert(k.clone(), v.clone());
        }
        Value::Object(obj)
    }

    fn aliases(obj: &mut Map<String, Value>, aliases: &[String]) {
        if !aliases.is_empty() {
            obj.insert("aliases".into(), Value::from(aliases.to_vec()));
        }
    }

    fn render(&mut self, ty: &Ty, space: Option<&str>) -> (Value, Info) {
        match ty {
            Ty::Prim {
                prim,
                object_form,
                props,
            } => {
                if !object_form && props.is_empty() {
                    return (Value::from(prim.name()), prim.info());
                }
                let mut m = Map::new();
                m.insert("type".into(), Value::from(prim.name()));
                (Self::with_props(m, props), prim.info())
            }
            Ty::Logical(Logical::Simple(p, name)) => {
                let mut m = Map::new();
                m.insert("type".into(), Value::from(p.name()));
                m.insert("logicalType".into(), Value::from(*name));
                (Value::Object(m), p.info())
            }
            Ty::Logical(Logical::Decimal { precision, scale }) => {
                let mut m = Map::new();
                m.insert("type".into(), Value::from("bytes"));
                m.insert("logicalType".into(), Value::from("decimal"));
                m.insert("precision".into(), Value::from(*precision));
                if let Some(s) = scale {
                    m.insert("scale".into(), Value::from(*s));
                }
                (Value::Object(m), Info::Bytes)
            }
            Ty::Array(items, props) => {
                let (v, info) = self.render(items, space);
                let mut m = Map::new();
                m.insert("type".into(), Value::from("array"));
                m.insert("items".into(), v);
                (Self::with_props(m, props), Info::Array(Box::new(info)))
            }
            Ty::Map(values, props) => {
                let (v, info) = self.render(values, space);
                let mut m = Map::new();
                m.insert("type".into(), Value::from("map"));
                m.insert("values".into(), v);
                (Self::with_props(m, props), Info::Map(Box::new(info)))
            }
            Ty::Union(branches) => {
                let mut seen = HashSet::new();
                let mut items = Vec::new();
                let mut infos = Vec::new();
                for b in branches {
                    let Some(key) = self.union_key(b, space) else {
                        continue;
                    };
                    if !seen.insert(key) {
                        continue;
                    }
                    let (v, info) = self.render(b, space);
                    if let Info::Named(full) = &info {
                        // A type defined in this branch can't be used by a later one.
                        seen.insert(full.clone());
                    }
                    items.push(v);
                    infos.push(info);
                }
                if items.is_empty() {
                    items.push(Value::from("null"));
                    infos.push(Info::Null);
                }
                (Value::Array(items), Info::Union(infos))
            }
            Ty::Reuse(pick, form) => match self.reference(*pick, *form, space) {
                Some((v, full)) => {
                    self.reuses += 1;
                    (v, Info::Named(full))
                }
                None => (Value::from("string"), Info::String),
            },
            Ty::Enum(e) => {
                let (entries, full) = self.name(&e.name, space);
                let mut m = Map::new();
                m.insert("type".into(), Value::from("enum"));
                m.extend(entries);
                if let Some(d) = &e.doc {
                    m.insert("doc".into(), Value::from(d.clone()));
                }
                m.insert("symbols".into(), Value::from(e.symbols.clone()));
                if let Some(d) = e.default {
                    m.insert("default".into(), Value::from(e.symbols[d].clone()));
                }
                Self::aliases(&mut m, &e.aliases);
                self.defined.push(full.clone());
                self.named
                    .insert(full.clone(), NamedInfo::Enum(e.symbols.clone()));
                (Self::with_props(m, &e.props), Info::Named(full))
            }
            Ty::Fixed(f) => {
                let (entries, full) = self.name(&f.name, space);
                let mut m = Map::new();
                m.insert("type".into(), Value::from("fixed"));
                m.extend(entries);
                if let Some(d) = &f.doc {
                    m.insert("doc".into(), Value::from(d.clone()));
                }
                m.insert("size".into(), Value::from(f.size));
                // Decimal needs a precision that fits: floor(log10(2^(8*size-1))).
                let max_precision = if f.size == 0 {
                    0
                } else {
                    ((8.0 * f64::from(f.size) - 1.0) * 2f64.log10()).floor() as u32
                };
                if let (Some((p, s)), true) = (f.decimal, max_precision > 0) {
                    let precision = 1 + p % max_precision;
                    m.insert("logicalType".into(), Value::from("decimal"));
                    m.insert("precision".into(), Value::from(precision));
                    m.insert("scale".into(), Value::from(s % (precision + 1)));
                }
                Self::aliases(&mut m, &f.aliases);
                self.defined.push(full.clone());
                self.named.insert(full.clone(), NamedInfo::Fixed(f.size));
                (Self::with_props(m, &f.props), Info::Named(full))
            }
            Ty::Record(r) => {
                let (entries, full) = self.name(&r.name, space);
                let own_space = split_full(&full).0.map(str::to_string);
                let mut m = Map::new();
                m.insert(
                    "type".into(),
                    Value::from(if r.is_error { "error" } else { "record" }),
                );
                m.extend(entries);
                if let Some(d) = &r.doc {
                    m.insert("doc".into(), Value::from(d.clone()));
                }
                self.defined.push(full.clone());
                self.named.insert(full.clone(), NamedInfo::Record(None));
                let mut fields = Vec::new();
                let mut infos = Vec::new();
                let mut used = HashSet::new();
                for f in &r.fields {
                    let mut name = f.name.clone();
                    let mut n = 1;
                    while !used.insert(name.clone()) {
                        n += 1;
                        name = format!("{}_{n}", f.name);
                    }
                    let (tv, info) = self.render(&f.ty, own_space.as_deref());
                    let mut fm = Map::new();
                    fm.insert("name".into(), Value::from(name.clone()));
                    fm.insert("type".into(), tv);
                    if let Some(d) = &f.doc {
                        fm.insert("doc".into(), Value::from(d.clone()));
                    }
                    let default = f
                        .default
                        .and_then(|seed| self.default_for(&info, &mut Rng(seed), 0, true));
                    let has_default = default.is_some();
                    if let Some(d) = default {
                        fm.insert("default".into(), d);
                    }
                    if let Some(o) = f.order {
                        fm.insert("order".into(), Value::from(o));
                    }
                    if f.aliases {
                        // Never the name of a field: a reader field matching two writer
                        // fields aborts the compatibility check.
                        fm.insert("aliases".into(), Value::from(vec![format!("old_{name}")]));
                    }
                    fields.push(Self::with_props(fm, &f.props));
                    infos.push(FieldInfo {
                        name,
                        ty: info,
                        has_default,
                    });
                }
                m.insert("fields".into(), Value::Array(fields));
                Self::aliases(&mut m, &r.aliases);
                self.named
                    .insert(full.clone(), NamedInfo::Record(Some(infos)));
                (Self::with_props(m, &r.props), Info::Named(full))
            }
        }
    }

    /// A default value valid for `info` (Avro 1.11: a union's default matches its first
    /// branch), or `None` when there is none (a record still being defined, or too deep).
    /// `field_top`: the value is the field's own default, where float and double defaults may
    /// also be written as strings.
    fn default_for(
        &self,
        info: &Info,
        rng: &mut Rng,
        depth: usize,
        field_top: bool,
    ) -> Option<Value> {
        if depth > 6 {
            return None;
        }
        Some(match info {
            Info::Null => Value::Null,
            Info::Boolean => Value::from(rng.below(2) == 1),
            Info::Int => {
                let r = rng.next() as i32;
                Value::from(rng.pick(&[0, 1, -1, i32::MIN, i32::MAX, r]))
            }
            Info::Long => {
                let r = rng.next() as i64;
                Value::from(rng.pick(&[0, -7, i64::MIN, i64::MAX, i64::from(i32::MAX) + 1, r]))
            }
            Info::Float | Info::Double => {
                if field_top && rng.below(4) == 0 {
                    Value::from(rng.pick(&["NaN", "Infinity", "-Infinity", "1.5", "-0.0", "2e3"]))
                } else {
                    match rng.below(4) {
                        0 => Value::from(rng.pick(&[0, 1, -3, i32::MAX])),
                        // Not above f32::MAX inside a default (array item, record field, union):
                        // Confluent's normalization turns such a float into the string
                        // "Infinity", valid only as a field's own default.
                        1 if field_top || matches!(info, Info::Double) => Value::from(rng.pick(&[
                            0.1,
                            -0.0,
                            1e-7,
                            1e7,
                            3.4028235e38,
                            1e39,
                            1e-300,
                            123.456,
                        ])),
                        1 => Value::from(rng.pick(&[0.1, -0.0, 1e-7, 3.4028235e38, 1e-300])),
                        _ => Value::from((rng.next() as i64 as f64) / 1e6),
                    }
                }
            }
            Info::Bytes => {
                let len = rng.below(6) as usize;
                Value::from(latin1(rng, len))
            }
            Info::String => Value::from(random_string(rng)),
            Info::Named(full) => match self.named.get(full)? {
                NamedInfo::Enum(symbols) => Value::from(rng.pick(symbols)),
                NamedInfo::Fixed(size) => Value::from(latin1(rng, *size as usize)),
                NamedInfo::Record(None) => return None,
                NamedInfo::Record(Some(fields)) => {
                    let mut m = Map::new();
                    for f in fields {
                        if f.has_default && rng.below(2) == 0 {
                            continue;
                        }
                        m.insert(
                            f.name.clone(),
                            self.default_for(&f.ty, rng, depth + 1, false)?,
                        );
                    }
                    Value::Object(m)
                }
            },
            Info::Array(items) => {
                let mut out = Vec::new();
                for _ in 0..rng.below(3) {
                    match self.default_for(items, rng, depth + 1, false) {
                        Some(v) => out.push(v),
                        None => return Some(Value::Array(Vec::new())),
                    }
                }
                Value::Array(out)
            }
            Info::Map(values) => {
                let mut m = Map::new();
                for _ in 0..rng.below(3) {
                    match self.default_for(values, rng, depth + 1, false) {
                        Some(v) => {
                            m.insert(random_string(rng), v);
                        }
                        None => return Some(Value::Object(Map::new())),
                    }
                }
                Value::Object(m)
            }
            Info::Union(branches) => self.default_for(branches.first()?, rng, depth + 1, false)?,
        })
    }
}

/// Bytes and fixed defaults: one character per byte, U+0000..U+00FF.
fn latin1(rng: &mut Rng, len: usize) -> String {
    (0..len).map(|_| char::from(rng.below(256) as u8)).collect()
}

fn random_string(rng: &mut Rng) -> String {
    const CHARS: &[char] = &[
        'a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u{0}', '\u{1f}', 'é', '☃', '😀',
        '\u{ffff}',
    ];
    (0..rng.below(6)).map(|_| rng.pick(CHARS)).collect()
}

#[derive(Debug, Clone)]
struct Generated {
    /// The schema text (compact JSON).
    text: String,
    value: Value,
    /// Full names of the named types, in definition order.
    defined: Vec<String>,
    reuses: usize,
}

fn render(bp: &Ty) -> Generated {
    let mut g = Gen::default();
    let (value, _) = g.render(bp, None);
    Generated {
        text: value.to_string(),
        value,
        defined: g.defined,
        reuses: g.reuses,
    }
}

fn schema() -> impl Strategy<Value = Generated> {
    root().prop_map(|bp| render(&bp))
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn parse(text: &str, strict: bool) -> Result<avro::ParsedAvro, TestCaseError> {
    avro::parse(text, &[], strict).map_err(|e| {
        TestCaseError::fail(format!(
            "parse (strict={strict}) failed: {e}\nschema: {text}"
        ))
    })
}

fn candidate(text: &str) -> Candidate<'_> {
    Candidate {
        schema_type: SchemaType::Avro,
        schema: text,
        refs: Vec::new(),
    }
}

fn previous<'a>(texts: &[&'a str]) -> Vec<Previous<'a>> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| Previous {
            version: i32::try_from(i + 1).ok(),
            schema: candidate(t),
        })
        .collect()
}

fn check(level: Level, new: &str, old: &[&str]) -> Vec<String> {
    compat::check(level, &candidate(new), &previous(old))
}

/// Whether a JSON schema value defines a named type anywhere inside.
fn defines_named(v: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().any(defines_named),
        Value::Object(m) => {
            matches!(
                m.get("type").and_then(Value::as_str),
                Some("record" | "error" | "enum" | "fixed")
            ) || m.values().any(defines_named)
        }
        _ => false,
    }
}

/// A field to add to a record, with or without its default.
fn extra_field(kind: usize, with_default: bool) -> Value {
    let (ty, default) = match kind % 5 {
        0 => (serde_json::json!("int"), serde_json::json!(42)),
        1 => (serde_json::json!("string"), serde_json::json!("x")),
        2 => (serde_json::json!(["null", "long"]), Value::Null),
        3 => (
            serde_json::json!({"type": "array", "items": "double"}),
            serde_json::json!([1.5]),
        ),
        _ => (
            serde_json::json!({"type": "map", "values": "boolean"}),
            serde_json::json!({"k": true}),
        ),
    };
    let mut m = Map::new();
    m.insert("name".into(), Value::from("zz_added"));
    m.insert("type".into(), ty);
    if with_default {
        m.insert("default".into(), default);
    }
    Value::Object(m)
}

fn fields_mut(v: &mut Value) -> Option<&mut Vec<Value>> {
    let m = v.as_object_mut()?;
    if !matches!(
        m.get("type").and_then(Value::as_str),
        Some("record" | "error")
    ) {
        return None;
    }
    m.get_mut("fields")?.as_array_mut()
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// Cases per property: 256, or `PROPTEST_CASES`.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// a. Every generated schema parses, strict and lax, and defines the expected names.
    #[test]
    fn generated_schemas_parse(g in schema()) {
        for strict in [true, false] {
            let p = parse(&g.text, strict)?;
            prop_assert_eq!(&p.defined_names, &g.defined, "schema: {}", g.text);
        }
    }

    /// b. Canonical and normalized texts are fixed points of the parser.
    #[test]
    fn canonicalisation_is_idempotent(g in schema()) {
        for strict in [true, false] {
            let p = parse(&g.text, strict)?;
            prop_assert!(serde_json::from_str::<Value>(&p.canonical).is_ok(),
                "canonical is not JSON: {}", p.canonical);
            prop_assert!(serde_json::from_str::<Value>(&p.normalized).is_ok(),
                "normalized is not JSON: {}", p.normalized);

            let again = parse(&p.canonical, strict)?;
            prop_assert_eq!(&again.canonical, &p.canonical, "schema: {}", g.text);
            prop_assert_eq!(&again.normalized, &p.normalized,
                "canonical normalizes differently; schema: {}", g.text);

            let n = parse(&p.normalized, strict)?;
            prop_assert_eq!(&n.normalized, &p.normalized, "schema: {}", g.text);
            prop_assert_eq!(&n.canonical, &p.normalized,
                "normalized text is not its own canonical; schema: {}", g.text);
        }
    }

    /// c. Printing and parsing again keeps the schema: formatting does not matter, and the
    /// named types are the same through the canonical and normalized texts.
    #[test]
    fn print_parse_round_trip(g in schema()) {
        let p = parse(&g.text, true)?;
        let pretty = serde_json::to_string_pretty(&g.value).expect("pretty");
        let q = parse(&pretty, true)?;
        prop_assert_eq!(&q.canonical, &p.canonical);
        prop_assert_eq!(&q.normalized, &p.normalized);
        prop_assert_eq!(&q.defined_names, &p.defined_names);

        let c = parse(&p.canonical, true)?;
        prop_assert_eq!(&c.defined_names, &p.defined_names, "canonical: {}", p.canonical);
        prop_assert_eq!(&c.canonical, &p.canonical);
        let n = parse(&p.normalized, true)?;
        prop_assert_eq!(&n.defined_names, &p.defined_names, "normalized: {}", p.normalized);
    }

    /// d. A schema is compatible with itself at every level, against one and two versions.
    #[test]
    fn schema_is_compatible_with_itself(g in schema()) {
        let p = parse(&g.text, false)?;
        let direct = compat::avro::incompatibilities(&g.text, &[], &g.text, &[], true);
        prop_assert!(direct.is_empty(), "{:?}\nschema: {}", direct, g.text);
        for level in Level::ALL {
            let one = check(level, &g.text, &[&p.canonical]);
            prop_assert!(one.is_empty(), "{}: {:?}\nschema: {}", level.as_str(), one, g.text);
            let two = check(level, &p.canonical, &[&g.text, &p.normalized]);
            prop_assert!(two.is_empty(), "{}: {:?}\nschema: {}", level.as_str(), two, g.text);
            let same = check(level, &g.text, &[&g.text, &g.text]);
            prop_assert!(same.is_empty(), "{}: {:?}\nschema: {}", level.as_str(), same, g.text);
        }
    }

    /// e. Field evolution of record schemas: adding or removing a field with a default is
    /// fully compatible; without a default, only in one direction.
    #[test]
    fn field_evolution(g in schema(), at in any::<usize>(), kind in any::<usize>()) {
        let mut value = g.value.clone();
        let Some(count) = fields_mut(&mut value).map(|f| f.len()) else {
            return Ok(());
        };
        let old = g.text.as_str();

        // Adding a field.
        let pos = at % (count + 1);
        for with_default in [true, false] {
            let mut v = value.clone();
            if let Some(f) = fields_mut(&mut v) {
                f.insert(pos, extra_field(kind, with_default));
            }
            let new = v.to_string();
            parse(&new, true)?;
            let full = check(Level::Full, &new, &[old]);
            let backward = check(Level::BackwardTransitive, &new, &[old, old]);
            let forward = check(Level::ForwardTransitive, &new, &[old, old]);
            if with_default {
                prop_assert!(full.is_empty(), "adding with default: {:?}\nnew: {}", full, new);
            } else {
                prop_assert!(!backward.is_empty(), "adding without default was BACKWARD compatible\nnew: {}", new);
                prop_assert!(
                    backward.iter().any(|m| m.contains("READER_FIELD_MISSING_DEFAULT_VALUE")),
                    "{:?}", backward
                );
                prop_assert!(forward.is_empty(), "adding without default: {:?}\nnew: {}", forward, new);
            }
        }

        // Removing a field (one that defines no named type, so the rest stays valid).
        let Some(fields) = fields_mut(&mut value) else {
            return Ok(());
        };
        let removable: Vec<usize> = fields
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.get("type").is_some_and(defines_named))
            .map(|(i, _)| i)
            .collect();
        if removable.is_empty() {
            return Ok(());
        }
        let i = removable[at % removable.len()];
        let has_default = fields[i].get("default").is_some();
        fields.remove(i);
        let new = value.to_string();
        parse(&new, true)?;
        let backward = check(Level::Backward, &new, &[old]);
        let forward = check(Level::Forward, &new, &[old]);
        prop_assert!(backward.is_empty(), "removing a field: {:?}\nnew: {}", backward, new);
        if has_default {
            prop_assert!(forward.is_empty(), "removing with default: {:?}\nnew: {}", forward, new);
        } else {
            prop_assert!(!forward.is_empty(), "removing without default was FORWARD compatible\nnew: {}", new);
        }
    }
}

/// The generator covers what it claims to (so that the properties are not vacuous).
#[test]
fn generator_covers_the_schema_features() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = schema();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let features: &[(&str, &str)] = &[
        ("record", "\"type\":\"record\""),
        ("enum", "\"type\":\"enum\""),
        ("fixed", "\"type\":\"fixed\""),
        ("array", "\"type\":\"array\""),
        ("map", "\"type\":\"map\""),
        ("union", "\"type\":["),
        ("namespace", "\"namespace\""),
        ("doc", "\"doc\""),
        ("default", "\"default\""),
        ("decimal", "\"decimal\""),
        ("timestamp-millis", "timestamp-millis"),
        ("uuid", "\"uuid\""),
        ("aliases", "\"aliases\""),
        ("order", "\"order\""),
        ("custom property", "\"custom\""),
        ("error", "\"type\":\"error\""),
    ];
    let mut reuses = 0;
    let mut nested_records = 0;
    for _ in 0..500 {
        let g = strategy.new_tree(&mut runner).expect("tree").current();
        for (name, needle) in features {
            if g.text.contains(needle) {
                *seen.entry(name).or_default() += 1;
            }
        }
        if g.text.matches("\"type\":\"record\"").count() > 1 {
            nested_records += 1;
        }
        if g.reuses > 0 {
            reuses += 1;
        }
    }
    eprintln!("in 500 schemas: {seen:?}, nested records {nested_records}, reuses {reuses}");
    for (name, _) in features {
        assert!(
            seen.get(name).copied().unwrap_or(0) >= 5,
            "feature {name} generated only {:?} times in 500 schemas",
            seen.get(name)
        );
    }
    assert!(nested_records >= 50, "nested records: {nested_records}");
    assert!(reuses >= 50, "reuses of named types: {reuses}");
}

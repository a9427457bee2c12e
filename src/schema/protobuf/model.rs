//! The parsed form of a `.proto` file, shaped like the element tree Confluent works on (Square
//! Wire's `ProtoFileElement` and friends, which `ProtobufSchema` keeps as its raw schema): the
//! printer, normalization, the descriptor conversion and the compatibility diff all read it.
//!
//! What it keeps and what it drops follows Confluent: declarations in source order within each
//! kind (fields, oneofs, nested messages, nested enums, options), fields of a oneof inside the
//! oneof and not among the message's fields, option values in their written form with their
//! kind; comments and locations are dropped (Confluent's printer never prints them).

/// `syntax = "…";` of a file; absent means proto2 for the semantics, but is printed as absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Proto2,
    Proto3,
}

impl Syntax {
    pub fn as_str(self) -> &'static str {
        match self {
            Syntax::Proto2 => "proto2",
            Syntax::Proto3 => "proto3",
        }
    }
}

/// A whole file (Wire's `ProtoFileElement`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProtoFile {
    pub syntax: Option<Syntax>,
    pub package: Option<String>,
    /// `import "…";` (and `import weak "…";`), in source order.
    pub imports: Vec<String>,
    /// `import public "…";`, in source order.
    pub public_imports: Vec<String>,
    /// Top-level messages and enums in source order (messages and enums interleaved as written).
    pub types: Vec<TypeElement>,
    pub services: Vec<Service>,
    /// Top-level `extend X { … }` blocks.
    pub extends: Vec<Extend>,
    pub options: Vec<OptionElement>,
}

/// A message or an enum (Wire's `TypeElement`).
#[derive(Debug, Clone, PartialEq)]
pub enum TypeElement {
    Message(Message),
    Enum(Enum),
}

impl TypeElement {
    pub fn name(&self) -> &str {
        match self {
            TypeElement::Message(m) => &m.name,
            TypeElement::Enum(e) => &e.name,
        }
    }
}

/// `message Name { … }` (Wire's `MessageElement`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    pub name: String,
    pub options: Vec<OptionElement>,
    pub reserveds: Vec<Reserved>,
    /// Fields not in a oneof, in source order (map fields have type `map<K, V>`).
    pub fields: Vec<Field>,
    pub oneofs: Vec<OneOf>,
    /// proto2 `group` fields.
    pub groups: Vec<Group>,
    /// `extensions 100 to 199;` declarations.
    pub extensions: Vec<Extensions>,
    /// `extend X { … }` blocks inside the message.
    pub extends: Vec<Extend>,
    /// Nested messages and enums in source order.
    pub nested: Vec<TypeElement>,
}

/// The label written before a field (Wire's `Field.Label`); `None` when none was written
/// (a proto3 singular field, a map field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Optional,
    Required,
    Repeated,
    /// A field inside a oneof (Wire labels them so; never printed).
    OneOf,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Optional => "optional",
            Label::Required => "required",
            Label::Repeated => "repeated",
            Label::OneOf => "oneof",
        }
    }
}

/// A field (Wire's `FieldElement`).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub label: Option<Label>,
    /// The type as written: a scalar (`int32`), a (possibly qualified or `.`-rooted) type name,
    /// or `map<K, V>`.
    pub ty: String,
    pub name: String,
    /// `[default = …]`, as written (Wire keeps it apart from the other options).
    pub default_value: Option<String>,
    /// `[json_name = "…"]` (Wire keeps it apart from the other options).
    pub json_name: Option<String>,
    pub tag: i32,
    /// The other options in `[…]`, in source order.
    pub options: Vec<OptionElement>,
}

/// `oneof name { … }` (Wire's `OneOfElement`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OneOf {
    pub name: String,
    pub fields: Vec<Field>,
    pub groups: Vec<Group>,
    pub options: Vec<OptionElement>,
}

/// A proto2 `group` (Wire's `GroupElement`).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub label: Option<Label>,
    pub name: String,
    pub tag: i32,
    pub fields: Vec<Field>,
}

/// One value of a `reserved` or `extensions` declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeValue {
    /// A single tag.
    Tag(i32),
    /// `start to end`, both inclusive (`max` is 536,870,911 for fields, i32::MAX for enums).
    Range(i32, i32),
    /// A reserved name (`reserved "foo";`).
    Name(String),
}

/// `reserved …;` (Wire's `ReservedElement`): one declaration, its values in source order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reserved {
    pub values: Vec<RangeValue>,
}

/// `extensions …;` (Wire's `ExtensionsElement`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extensions {
    pub values: Vec<RangeValue>,
    pub options: Vec<OptionElement>,
}

/// `extend Name { fields }` (Wire's `ExtendElement`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extend {
    pub name: String,
    pub fields: Vec<Field>,
}

/// `enum Name { … }` (Wire's `EnumElement`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Enum {
    pub name: String,
    pub options: Vec<OptionElement>,
    pub constants: Vec<EnumConstant>,
    pub reserveds: Vec<Reserved>,
}

/// `NAME = 1 [options];` inside an enum (Wire's `EnumConstantElement`).
#[derive(Debug, Clone, PartialEq)]
pub struct EnumConstant {
    pub name: String,
    pub tag: i32,
    pub options: Vec<OptionElement>,
}

/// `service Name { rpc … }` (Wire's `ServiceElement`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Service {
    pub name: String,
    pub rpcs: Vec<Rpc>,
    pub options: Vec<OptionElement>,
}

/// `rpc Name (stream? Req) returns (stream? Resp) { options }` (Wire's `RpcElement`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rpc {
    pub name: String,
    pub request_type: String,
    pub response_type: String,
    pub request_streaming: bool,
    pub response_streaming: bool,
    pub options: Vec<OptionElement>,
}

/// An option (Wire's `OptionElement`): `name = value`, where `name` is written in parentheses
/// when `parenthesized` (a custom option, `(my.opt)`), and a nested option path such as
/// `(my.opt).field = 1` is an `OptionValue::Option` under the outer name.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionElement {
    pub name: String,
    pub value: OptionValue,
    pub parenthesized: bool,
}

/// An option's value with its kind (Wire's `OptionElement.Kind`); scalars keep their written
/// text (numbers as written, strings unescaped, enum identifiers, `true`/`false`).
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    String(String),
    Boolean(String),
    Number(String),
    Enum(String),
    /// An aggregate `{ key: value … }`, keys in source order (a key written `[ext.name]` keeps
    /// its brackets); a key written more than once holds a `List` of its values, as Wire does.
    Map(Vec<(String, OptionValue)>),
    List(Vec<OptionValue>),
    Option(Box<OptionElement>),
}

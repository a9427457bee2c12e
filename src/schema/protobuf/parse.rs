//! `.proto` text → the model, as Square Wire's `ProtoParser` (5.1.0, the parser Confluent 7.9's
//! `ProtobufSchema.toProtoFile` calls) reads it, with its errors: Confluent answers
//! `Could not parse Protobuf - <Wire's message>` (`ProtobufSchema.toProtoFile`), e.g.
//! `Could not parse Protobuf - Syntax error in :1:9: expected a word`.
//!
//! One limit of our own: declarations, aggregate option values and `map<…>` types nest at most
//! `MAX_DEPTH` (128) levels deep, so that hostile input cannot overflow the stack; Wire has no
//! such limit (the JVM would throw a `StackOverflowError` long after that).

use super::lexer::{parse_java_int, Loc, Reader, Res};
use super::model::{
    Enum, EnumConstant, Extend, Extensions, Field, Group, Label, Message, OneOf, OptionElement,
    OptionValue, ProtoFile, RangeValue, Reserved, Rpc, Service, Syntax, TypeElement,
};
use super::parse_options::{read_option, read_options};
use crate::schema::SchemaError;

/// How deep declarations, option values and map types may nest.
pub const MAX_DEPTH: usize = 128;

/// Wire's `MAX_TAG_VALUE`: what `max` stands for in `reserved` and `extensions` ranges.
pub const MAX_TAG_VALUE: i32 = 536_870_911;

/// The nesting counter shared by every recursive reader.
pub struct Depth(usize);

impl Depth {
    pub fn enter(&mut self, r: &Reader) -> Res<()> {
        if self.0 >= MAX_DEPTH {
            return Err(r.unexpected(&format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.0 += 1;
        Ok(())
    }

    pub fn leave(&mut self) {
        self.0 = self.0.saturating_sub(1);
    }
}

/// Parses `.proto` text; the error is Confluent's `details` text.
pub fn parse_text(text: &str) -> Result<ProtoFile, SchemaError> {
    let mut parser = Parser {
        r: Reader::new(text),
        depth: Depth(0),
        declaration_count: 0,
        syntax: None,
        file: ProtoFile::default(),
    };
    parser
        .read_proto_file()
        .map_err(|m| SchemaError(format!("Could not parse Protobuf - {m}")))?;
    Ok(parser.file)
}

/// Where a declaration appears (Wire's `ProtoParser.Context`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    File,
    Message,
    Enum,
    Rpc,
    Extend,
    Service,
}

impl Ctx {
    fn permits_message(self) -> bool {
        matches!(self, Ctx::File | Ctx::Message)
    }
}

/// What one declaration turned out to be.
enum Decl {
    Nothing,
    Type(TypeElement, Loc),
    Service(Service, Loc),
    Option(OptionElement),
    Extend(Extend),
    Field(Field),
    OneOf(OneOf),
    Group(Group),
    Extensions(Extensions),
    Reserved(Reserved),
    Constant(EnumConstant),
    Rpc(Rpc),
}

struct Parser {
    r: Reader,
    depth: Depth,
    declaration_count: usize,
    syntax: Option<Syntax>,
    file: ProtoFile,
}

impl Parser {
    fn read_proto_file(&mut self) -> Res<()> {
        let mut type_locs: Vec<Loc> = Vec::new();
        let mut service_locs: Vec<Loc> = Vec::new();
        loop {
            self.r.read_documentation()?;
            if self.r.exhausted() {
                self.file.syntax = self.syntax;
                return Ok(());
            }
            match self.read_declaration(Ctx::File)? {
                Decl::Type(t, loc) => {
                    if let Some(i) = self.file.types.iter().position(|d| d.name() == t.name()) {
                        return Err(format!(
                            "{} ({loc}) is already defined at {}",
                            t.name(),
                            type_locs[i]
                        ));
                    }
                    self.file.types.push(t);
                    type_locs.push(loc);
                }
                Decl::Service(s, loc) => {
                    if let Some(i) = self.file.services.iter().position(|d| d.name == s.name) {
                        return Err(format!(
                            "{} ({loc}) is already defined at {}",
                            s.name, service_locs[i]
                        ));
                    }
                    self.file.services.push(s);
                    service_locs.push(loc);
                }
                Decl::Option(o) => self.file.options.push(o),
                Decl::Extend(e) => self.file.extends.push(e),
                _ => {}
            }
        }
    }

    fn read_declaration(&mut self, ctx: Ctx) -> Res<Decl> {
        let index = self.declaration_count;
        self.declaration_count += 1;
        if self.r.peek_is(';')? {
            return Ok(Decl::Nothing);
        }
        let loc = self.r.location();
        let label = self.r.read_word(ctx != Ctx::Enum)?;
        let file = ctx == Ctx::File;
        match label.as_str() {
            "package" if file => {
                let name = self.r.read_name(true, false)?;
                self.file.package = Some(name);
                self.r.require(';')?;
                Ok(Decl::Nothing)
            }
            "import" if file => {
                let s = self.r.read_string()?;
                if s == "public" {
                    let p = self.r.read_string()?;
                    self.file.public_imports.push(p);
                } else {
                    self.file.imports.push(s);
                }
                self.r.require(';')?;
                Ok(Decl::Nothing)
            }
            "syntax" if file => {
                if self.syntax.is_some() {
                    return Err(self.r.unexpected_at("too many syntax definitions", loc));
                }
                self.r.require('=')?;
                if index != 0 {
                    return Err(self.r.unexpected_at(
                        "'syntax' element must be the first declaration in a file",
                        loc,
                    ));
                }
                let s = self.r.read_quoted_string()?;
                self.syntax = Some(match s.as_str() {
                    "proto2" => Syntax::Proto2,
                    "proto3" => Syntax::Proto3,
                    _ => {
                        return Err(self
                            .r
                            .unexpected_at(&format!("unexpected syntax: {s}"), loc))
                    }
                });
                self.r.require(';')?;
                Ok(Decl::Nothing)
            }
            "option" => {
                let o = read_option(&mut self.r, &mut self.depth, '=')?;
                self.r.require(';')?;
                Ok(Decl::Option(o))
            }
            "reserved" => self.read_reserved(loc).map(Decl::Reserved),
            "message" if ctx.permits_message() => self.nested(|p| {
                p.read_message()
                    .map(|m| Decl::Type(TypeElement::Message(m), loc))
            }),
            "enum" if ctx.permits_message() => {
                self.nested(|p| p.read_enum().map(|e| Decl::Type(TypeElement::Enum(e), loc)))
            }
            "service" if file => self.nested(|p| p.read_service().map(|s| Decl::Service(s, loc))),
            "extend" if ctx.permits_message() => self.nested(|p| p.read_extend().map(Decl::Extend)),
            "rpc" if ctx == Ctx::Service => self.nested(|p| p.read_rpc(loc).map(Decl::Rpc)),
            "oneof" if ctx == Ctx::Message => self.nested(|p| p.read_oneof().map(Decl::OneOf)),
            "extensions" if ctx == Ctx::Message => self.read_extensions(loc).map(Decl::Extensions),
            _ if ctx == Ctx::Message || ctx == Ctx::Extend => self.read_field_or_group(loc, &label),
            _ if ctx == Ctx::Enum => self.read_enum_constant(label).map(Decl::Constant),
            "edition" if file => Err(self.r.unexpected("edition is not currently supported")),
            _ => Err(self
                .r
                .unexpected_at(&format!("unexpected label: {label}"), loc)),
        }
    }

    /// Runs a reader of a nested body one level deeper.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Parser) -> Res<T>) -> Res<T> {
        self.depth.enter(&self.r)?;
        let result = f(self);
        self.depth.leave();
        result
    }

    fn read_message(&mut self) -> Res<Message> {
        let mut m = Message {
            name: self.r.read_name(true, false)?,
            ..Message::default()
        };
        self.r.require('{')?;
        loop {
            self.r.read_documentation()?;
            if self.r.peek_is('}')? {
                break;
            }
            match self.read_declaration(Ctx::Message)? {
                Decl::Field(f) => m.fields.push(f),
                Decl::OneOf(o) => m.oneofs.push(o),
                Decl::Group(g) => m.groups.push(g),
                Decl::Type(t, _) => m.nested.push(t),
                Decl::Extensions(e) => m.extensions.push(e),
                Decl::Option(o) => m.options.push(o),
                Decl::Extend(e) => m.extends.push(e),
                Decl::Reserved(r) => m.reserveds.push(r),
                _ => {}
            }
        }
        Ok(m)
    }

    fn read_extend(&mut self) -> Res<Extend> {
        let mut e = Extend {
            name: self.r.read_name(true, false)?,
            fields: Vec::new(),
        };
        self.r.require('{')?;
        loop {
            self.r.read_documentation()?;
            if self.r.peek_is('}')? {
                break;
            }
            if let Decl::Field(f) = self.read_declaration(Ctx::Extend)? {
                e.fields.push(f);
            }
        }
        Ok(e)
    }

    fn read_service(&mut self) -> Res<Service> {
        let mut s = Service {
            name: self.r.read_name(true, false)?,
            ..Service::default()
        };
        self.r.require('{')?;
        loop {
            self.r.read_documentation()?;
            if self.r.peek_is('}')? {
                break;
            }
            match self.read_declaration(Ctx::Service)? {
                Decl::Rpc(rpc) => s.rpcs.push(rpc),
                Decl::Option(o) => s.options.push(o),
                _ => {}
            }
        }
        Ok(s)
    }

    fn read_enum(&mut self) -> Res<Enum> {
        let mut e = Enum {
            name: self.r.read_name(true, false)?,
            ..Enum::default()
        };
        self.r.require('{')?;
        loop {
            self.r.read_documentation()?;
            if self.r.peek_is('}')? {
                break;
            }
            match self.read_declaration(Ctx::Enum)? {
                Decl::Constant(c) => e.constants.push(c),
                Decl::Option(o) => e.options.push(o),
                Decl::Reserved(r) => e.reserveds.push(r),
                _ => {}
            }
        }
        Ok(e)
    }

    fn read_data_type(&mut self) -> Res<String> {
        let name = self.r.read_word(true)?;
        self.read_data_type_from(name)
    }

    fn read_data_type_from(&mut self, name: String) -> Res<String> {
        if name != "map" {
            return Ok(name);
        }
        self.nested(|p| {
            if p.r.read_char()? != b'<' as u16 {
                return Err(p.r.unexpected("expected '<'"));
            }
            let key = p.read_data_type()?;
            if p.r.read_char()? != b',' as u16 {
                return Err(p.r.unexpected("expected ','"));
            }
            let value = p.read_data_type()?;
            if p.r.read_char()? != b'>' as u16 {
                return Err(p.r.unexpected("expected '>'"));
            }
            Ok(format!("map<{key}, {value}>"))
        })
    }

    /// A field or group after its first word (a label, or the type when none is written).
    fn read_field_or_group(&mut self, loc: Loc, word: &str) -> Res<Decl> {
        let (label, ty) = match word {
            "required" => {
                if self.syntax == Some(Syntax::Proto3) {
                    return Err(self.r.unexpected_at(
                        "'required' label forbidden in proto3 field declarations",
                        loc,
                    ));
                }
                (Some(Label::Required), self.read_data_type()?)
            }
            "optional" => (Some(Label::Optional), self.read_data_type()?),
            "repeated" => (Some(Label::Repeated), self.read_data_type()?),
            _ => {
                let ok = self.syntax == Some(Syntax::Proto3)
                    || (word == "map" && self.r.peek_char()? == b'<' as u16);
                if !ok {
                    return Err(self
                        .r
                        .unexpected_at(&format!("unexpected label: {word}"), loc));
                }
                (None, self.read_data_type_from(word.to_string())?)
            }
        };
        if ty.starts_with("map<") && label.is_some() {
            return Err(self.r.unexpected_at("'map' type cannot have label", loc));
        }
        if ty == "group" {
            self.nested(|p| p.read_group(label)).map(Decl::Group)
        } else {
            self.read_field(label, ty).map(Decl::Field)
        }
    }

    fn read_field(&mut self, label: Option<Label>, ty: String) -> Res<Field> {
        let name = self.r.read_name(false, false)?;
        self.r.require('=')?;
        let tag = self.r.read_int()?;
        let mut options = read_options(&mut self.r, &mut self.depth)?;
        let default_value = strip_value("default", &mut options);
        let json_name = strip_value("json_name", &mut options);
        self.r.require(';')?;
        self.r.try_trailing_documentation()?;
        Ok(Field {
            label,
            ty,
            name,
            default_value,
            json_name,
            tag,
            options,
        })
    }

    fn read_oneof(&mut self) -> Res<OneOf> {
        let mut o = OneOf {
            name: self.r.read_name(true, false)?,
            ..OneOf::default()
        };
        self.r.require('{')?;
        loop {
            self.r.read_documentation()?;
            if self.r.peek_is('}')? {
                break;
            }
            let ty = self.read_data_type()?;
            match ty.as_str() {
                "group" => {
                    let g = self.nested(|p| p.read_group(None))?;
                    o.groups.push(g);
                }
                "option" => {
                    o.options
                        .push(read_option(&mut self.r, &mut self.depth, '=')?);
                    self.r.require(';')?;
                }
                _ => o.fields.push(self.read_field(None, ty)?),
            }
        }
        Ok(o)
    }

    fn read_group(&mut self, label: Option<Label>) -> Res<Group> {
        let name = self.r.read_word(true)?;
        self.r.require('=')?;
        let tag = self.r.read_int()?;
        let mut fields = Vec::new();
        self.r.require('{')?;
        loop {
            self.r.read_documentation()?;
            if self.r.peek_is('}')? {
                break;
            }
            let loc = self.r.location();
            let word = self.r.read_word(true)?;
            match self.read_field_or_group(loc, &word)? {
                Decl::Field(f) => fields.push(f),
                _ => {
                    return Err(self
                        .r
                        .unexpected("expected field declaration, was GroupElement"))
                }
            }
        }
        Ok(Group {
            label,
            name,
            tag,
            fields,
        })
    }

    /// `reserved 10, 12 to 14, "foo";`
    fn read_reserved(&mut self, loc: Loc) -> Res<Reserved> {
        let mut values = Vec::new();
        loop {
            let c = self.r.peek_char()?;
            if c == b'"' as u16 || c == b'\'' as u16 {
                values.push(RangeValue::Name(self.r.read_quoted_string()?));
            } else {
                values.push(self.read_range(loc, false)?);
            }
            let c = self.r.read_char()?;
            if c == b';' as u16 {
                break;
            } else if c != b',' as u16 {
                return Err(self.r.unexpected("expected ',' or ';'"));
            }
        }
        self.r.try_trailing_documentation()?;
        Ok(Reserved { values })
    }

    /// A tag or `start to end` of `reserved` or `extensions`.
    fn read_range(&mut self, loc: Loc, extensions: bool) -> Res<RangeValue> {
        let start = self.r.read_int()?;
        let c = self.r.peek_char()?;
        if c == b',' as u16 || c == b';' as u16 || (extensions && c == b'[' as u16) {
            return Ok(RangeValue::Tag(start));
        }
        if self.r.read_word(true)? != "to" {
            let message = if extensions {
                "expected ',', ';', '[' or 'to'"
            } else {
                "expected ',', ';', or 'to'"
            };
            return Err(self.r.unexpected_at(message, loc));
        }
        let end = match self.r.read_word(true)?.as_str() {
            "max" => MAX_TAG_VALUE,
            s => parse_java_int(s, 10).ok_or_else(|| format!("For input string: \"{s}\""))?,
        };
        Ok(RangeValue::Range(start, end))
    }

    /// `extensions 101;`, `extensions 101 to max [options];`
    fn read_extensions(&mut self, loc: Loc) -> Res<Extensions> {
        let mut e = Extensions::default();
        loop {
            e.values.push(self.read_range(loc, true)?);
            if self.r.peek_char()? == b'[' as u16 {
                e.options
                    .extend(read_options(&mut self.r, &mut self.depth)?);
                self.r.require(';')?;
                break;
            }
            let c = self.r.read_char()?;
            if c == b';' as u16 {
                break;
            } else if c != b',' as u16 {
                return Err(self.r.unexpected("expected ',' or ';'"));
            }
        }
        Ok(e)
    }

    /// `NAME = 1 [options];` (the name is the declaration's first word).
    fn read_enum_constant(&mut self, name: String) -> Res<EnumConstant> {
        self.r.require('=')?;
        let tag = self.r.read_int()?;
        let options = read_options(&mut self.r, &mut self.depth)?;
        self.r.require(';')?;
        self.r.try_trailing_documentation()?;
        Ok(EnumConstant { name, tag, options })
    }

    /// `rpc Name (stream? Req) returns (stream? Resp) (; | { options })`
    fn read_rpc(&mut self, loc: Loc) -> Res<Rpc> {
        let mut rpc = Rpc {
            name: self.r.read_name(true, false)?,
            ..Rpc::default()
        };
        self.r.require('(')?;
        let word = self.r.read_word(true)?;
        if word == "stream" {
            rpc.request_streaming = true;
            rpc.request_type = self.read_data_type()?;
        } else {
            rpc.request_type = self.read_data_type_from(word)?;
        }
        self.r.require(')')?;
        if self.r.read_word(true)? != "returns" {
            return Err(self.r.unexpected_at("expected 'returns'", loc));
        }
        self.r.require('(')?;
        let word = self.r.read_word(true)?;
        if word == "stream" {
            rpc.response_streaming = true;
            rpc.response_type = self.read_data_type()?;
        } else {
            rpc.response_type = self.read_data_type_from(word)?;
        }
        self.r.require(')')?;
        if self.r.peek_is('{')? {
            loop {
                self.r.read_documentation()?;
                if self.r.peek_is('}')? {
                    break;
                }
                if let Decl::Option(o) = self.read_declaration(Ctx::Rpc)? {
                    rpc.options.push(o);
                }
            }
        } else {
            self.r.require(';')?;
        }
        Ok(rpc)
    }
}

/// Removes every option called `name` and returns the last one's value as text (Wire's
/// `ProtoParser.stripValue`: `default` and `json_name` are not options in its model).
fn strip_value(name: &str, options: &mut Vec<OptionElement>) -> Option<String> {
    let mut result = None;
    options.retain(|o| {
        if o.name == name {
            result = Some(value_text(&o.value));
            false
        } else {
            true
        }
    });
    result
}

/// An option value as Kotlin's `toString` shows it (scalars: their text).
fn value_text(v: &OptionValue) -> String {
    match v {
        OptionValue::String(s)
        | OptionValue::Boolean(s)
        | OptionValue::Number(s)
        | OptionValue::Enum(s) => s.clone(),
        OptionValue::List(items) => {
            let parts: Vec<String> = items.iter().map(value_text).collect();
            format!("[{}]", parts.join(", "))
        }
        OptionValue::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{k}={}", value_text(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        OptionValue::Option(o) => format!("{}={}", o.name, value_text(&o.value)),
    }
}

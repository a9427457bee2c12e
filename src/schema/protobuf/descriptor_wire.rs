//! The wire-level half of the descriptor conversion: Confluent's `confluent.Meta` options
//! (extension 1088 of the file, message, field, enum and enum value options, `confluent/meta.proto`)
//! are extensions that `prost_types` drops, so they are read from and written to the raw bytes
//! here, in a tree shaped like the `FileDescriptorProto` they belong to.
//!
//! Encoding writes the descriptor messages field by field in field-number order, as protobuf-java's
//! `toByteArray` does (Confluent's `format=serialized` is `FileDescriptorProto.toByteArray()`
//! base64-encoded, `ProtobufSchema.formattedString`); extensions (1088) come after every known
//! field of an options message, which is where Java writes them.

use super::descriptor_options::{read_extras, OptionsKind};
use super::model::OptionElement;
use crate::schema::SchemaError;
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    ServiceDescriptorProto,
};

/// Extension number of every `confluent.*_meta` option.
pub const META_EXTENSION: u32 = 1088;

/// Nesting levels of messages the raw walker follows before it gives up with an error.
const MAX_DEPTH: usize = 128;

/// The value of a `confluent.Meta` option.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub doc: String,
    /// `params` in wire (insertion) order, as Java's map keeps them.
    pub params: Vec<(String, String)>,
    pub tags: Vec<String>,
}

impl Meta {
    fn merge(&mut self, other: Meta) {
        if !other.doc.is_empty() {
            self.doc = other.doc;
        }
        for (k, v) in other.params {
            match self.params.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => self.params.push((k, v)),
            }
        }
        self.tags.extend(other.tags);
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if !self.doc.is_empty() {
            put_bytes(&mut out, 1, self.doc.as_bytes());
        }
        for (k, v) in &self.params {
            // Java writes a map entry's key and value even when empty (`MapEntryLite.writeTo`).
            let mut entry = Vec::new();
            put_bytes(&mut entry, 1, k.as_bytes());
            put_bytes(&mut entry, 2, v.as_bytes());
            put_bytes(&mut out, 2, &entry);
        }
        for t in &self.tags {
            put_bytes(&mut out, 3, t.as_bytes());
        }
        out
    }
}

/// What an options message holds beyond `prost_types`: Confluent's meta, and the newer options
/// of `descriptor_options.rs` (as model options when read, as bytes when written).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Opts {
    pub meta: Option<Meta>,
    pub extras: Vec<OptionElement>,
    pub extra_bytes: Vec<u8>,
}

static EMPTY: Opts = Opts {
    meta: None,
    extras: Vec::new(),
    extra_bytes: Vec::new(),
};

/// The `i`-th entry, or nothing.
pub fn at(v: &[Opts], i: usize) -> &Opts {
    v.get(i).unwrap_or(&EMPTY)
}

/// The extras of a message, by the indexes of the `DescriptorProto` lists they belong to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageMetas {
    pub opts: Opts,
    pub fields: Vec<Opts>,
    pub extensions: Vec<Opts>,
    pub nested: Vec<MessageMetas>,
    pub enums: Vec<EnumMetas>,
    pub oneofs: Vec<Opts>,
    pub ranges: Vec<Opts>,
}

/// The extras of an enum and its values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnumMetas {
    pub opts: Opts,
    pub values: Vec<Opts>,
}

/// The extras of a service and its methods.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceMetas {
    pub opts: Opts,
    pub methods: Vec<Opts>,
}

/// The extras of a whole file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileMetas {
    pub opts: Opts,
    pub messages: Vec<MessageMetas>,
    pub enums: Vec<EnumMetas>,
    pub extensions: Vec<Opts>,
    pub services: Vec<ServiceMetas>,
}

// ---------------------------------------------------------------------------------------------
// Reading

fn bad(what: &str) -> SchemaError {
    SchemaError(format!("Invalid FileDescriptorProto: {what}"))
}

fn read_varint(buf: &[u8], pos: &mut usize) -> Result<u64, SchemaError> {
    let mut value = 0u64;
    for shift in 0..10 {
        let byte = *buf.get(*pos).ok_or_else(|| bad("truncated varint"))?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << (7 * shift);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(bad("varint too long"))
}

enum Wire<'a> {
    Varint,
    Bytes(&'a [u8]),
    Other,
}

/// The fields of one message: `(number, value)`, length-delimited ones with their bytes.
fn fields(buf: &[u8]) -> Result<Vec<(u32, Wire<'_>)>, SchemaError> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut groups = 0usize;
    while pos < buf.len() {
        let key = read_varint(buf, &mut pos)?;
        let number = u32::try_from(key >> 3).map_err(|_| bad("field number"))?;
        let wire = match key & 7 {
            0 => {
                read_varint(buf, &mut pos)?;
                Wire::Varint
            }
            1 => {
                pos = pos.checked_add(8).ok_or_else(|| bad("length"))?;
                Wire::Other
            }
            2 => {
                let len =
                    usize::try_from(read_varint(buf, &mut pos)?).map_err(|_| bad("length"))?;
                let end = pos.checked_add(len).ok_or_else(|| bad("length"))?;
                let bytes = buf.get(pos..end).ok_or_else(|| bad("truncated field"))?;
                pos = end;
                Wire::Bytes(bytes)
            }
            3 => {
                groups += 1;
                Wire::Other
            }
            4 => {
                groups = groups
                    .checked_sub(1)
                    .ok_or_else(|| bad("unbalanced group"))?;
                Wire::Other
            }
            5 => {
                pos = pos.checked_add(4).ok_or_else(|| bad("length"))?;
                Wire::Other
            }
            _ => return Err(bad("wire type")),
        };
        if pos > buf.len() {
            return Err(bad("truncated field"));
        }
        if groups == 0 {
            out.push((number, wire));
        }
    }
    Ok(out)
}

fn utf8(bytes: &[u8]) -> Result<String, SchemaError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| bad("invalid UTF-8"))
}

fn read_meta(buf: &[u8]) -> Result<Meta, SchemaError> {
    let mut meta = Meta::default();
    for (number, wire) in fields(buf)? {
        let Wire::Bytes(b) = wire else { continue };
        match number {
            1 => meta.doc = utf8(b)?,
            2 => {
                let (mut k, mut v) = (String::new(), String::new());
                for (n, w) in fields(b)? {
                    match (n, w) {
                        (1, Wire::Bytes(x)) => k = utf8(x)?,
                        (2, Wire::Bytes(x)) => v = utf8(x)?,
                        _ => {}
                    }
                }
                meta.merge(Meta {
                    params: vec![(k, v)],
                    ..Meta::default()
                });
            }
            3 => meta.tags.push(utf8(b)?),
            _ => {}
        }
    }
    Ok(meta)
}

/// The meta and extras in the bytes of an options message, merged over repeats as Java merges.
fn read_opts(kind: OptionsKind, buf: &[u8], slot: &mut Opts) -> Result<(), SchemaError> {
    for (number, wire) in fields(buf)? {
        if let (META_EXTENSION, Wire::Bytes(b)) = (number, wire) {
            let meta = read_meta(b)?;
            match &mut slot.meta {
                Some(existing) => existing.merge(meta),
                None => slot.meta = Some(meta),
            }
        }
    }
    slot.extras = read_extras(kind, buf)?;
    Ok(())
}

/// The extras of the options (field `number`) of a message holding them.
fn opts_at(kind: OptionsKind, number: u32, buf: &[u8]) -> Result<Opts, SchemaError> {
    let mut opts = Opts::default();
    for (n, wire) in fields(buf)? {
        if let (true, Wire::Bytes(b)) = (n == number, wire) {
            read_opts(kind, b, &mut opts)?;
        }
    }
    Ok(opts)
}

fn enum_metas(buf: &[u8]) -> Result<EnumMetas, SchemaError> {
    let mut out = EnumMetas::default();
    for (number, wire) in fields(buf)? {
        let Wire::Bytes(b) = wire else { continue };
        match number {
            2 => out.values.push(opts_at(OptionsKind::EnumValue, 3, b)?),
            3 => read_opts(OptionsKind::Enum, b, &mut out.opts)?,
            _ => {}
        }
    }
    Ok(out)
}

fn service_metas(buf: &[u8]) -> Result<ServiceMetas, SchemaError> {
    let mut out = ServiceMetas::default();
    for (number, wire) in fields(buf)? {
        let Wire::Bytes(b) = wire else { continue };
        match number {
            2 => out.methods.push(opts_at(OptionsKind::Method, 4, b)?),
            3 => read_opts(OptionsKind::Service, b, &mut out.opts)?,
            _ => {}
        }
    }
    Ok(out)
}

fn message_metas(buf: &[u8], depth: usize) -> Result<MessageMetas, SchemaError> {
    if depth > MAX_DEPTH {
        return Err(bad("messages nested too deeply"));
    }
    let mut out = MessageMetas::default();
    for (number, wire) in fields(buf)? {
        let Wire::Bytes(b) = wire else { continue };
        match number {
            2 => out.fields.push(opts_at(OptionsKind::Field, 8, b)?),
            3 => out.nested.push(message_metas(b, depth + 1)?),
            4 => out.enums.push(enum_metas(b)?),
            5 => out.ranges.push(opts_at(OptionsKind::ExtensionRange, 3, b)?),
            6 => out.extensions.push(opts_at(OptionsKind::Field, 8, b)?),
            7 => read_opts(OptionsKind::Message, b, &mut out.opts)?,
            8 => out.oneofs.push(opts_at(OptionsKind::Oneof, 2, b)?),
            _ => {}
        }
    }
    Ok(out)
}

/// The extras of the `FileDescriptorProto` in `buf`.
pub fn read_file_metas(buf: &[u8]) -> Result<FileMetas, SchemaError> {
    let mut out = FileMetas::default();
    for (number, wire) in fields(buf)? {
        let Wire::Bytes(b) = wire else { continue };
        match number {
            4 => out.messages.push(message_metas(b, 1)?),
            5 => out.enums.push(enum_metas(b)?),
            6 => out.services.push(service_metas(b)?),
            7 => out.extensions.push(opts_at(OptionsKind::Field, 8, b)?),
            8 => read_opts(OptionsKind::File, b, &mut out.opts)?,
            _ => {}
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Writing

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_key(out: &mut Vec<u8>, number: u32, wire: u8) {
    put_varint(out, (u64::from(number) << 3) | u64::from(wire));
}

fn put_bytes(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_key(out, number, 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_str(out: &mut Vec<u8>, number: u32, s: &Option<String>) {
    if let Some(s) = s {
        put_bytes(out, number, s.as_bytes());
    }
}

fn put_i32(out: &mut Vec<u8>, number: u32, v: Option<i32>) {
    if let Some(v) = v {
        put_key(out, number, 0);
        // int32 is sign-extended to 64 bits on the wire.
        put_varint(out, i64::from(v) as u64);
    }
}

fn put_bool(out: &mut Vec<u8>, number: u32, v: Option<bool>) {
    if let Some(v) = v {
        put_key(out, number, 0);
        put_varint(out, u64::from(v));
    }
}

fn put_msg<M: prost::Message>(out: &mut Vec<u8>, number: u32, m: &M) {
    put_bytes(out, number, &m.encode_to_vec());
}

/// An options message: its known fields (prost writes them in number order), the newer fields,
/// then the meta.
fn put_options<M: prost::Message>(out: &mut Vec<u8>, number: u32, options: &Option<M>, x: &Opts) {
    if options.is_none() && x.meta.is_none() && x.extra_bytes.is_empty() {
        return;
    }
    let mut bytes = options
        .as_ref()
        .map(|o| o.encode_to_vec())
        .unwrap_or_default();
    bytes.extend_from_slice(&x.extra_bytes);
    if let Some(meta) = &x.meta {
        put_bytes(&mut bytes, META_EXTENSION, &meta.encode());
    }
    put_bytes(out, number, &bytes);
}

fn encode_field(f: &FieldDescriptorProto, x: &Opts) -> Vec<u8> {
    let mut out = Vec::new();
    put_str(&mut out, 1, &f.name);
    put_str(&mut out, 2, &f.extendee);
    put_i32(&mut out, 3, f.number);
    put_i32(&mut out, 4, f.label);
    put_i32(&mut out, 5, f.r#type);
    put_str(&mut out, 6, &f.type_name);
    put_str(&mut out, 7, &f.default_value);
    put_options(&mut out, 8, &f.options, x);
    put_i32(&mut out, 9, f.oneof_index);
    put_str(&mut out, 10, &f.json_name);
    put_bool(&mut out, 17, f.proto3_optional);
    out
}

fn encode_enum(e: &EnumDescriptorProto, x: Option<&EnumMetas>) -> Vec<u8> {
    let values = x.map(|m| m.values.as_slice()).unwrap_or_default();
    let mut out = Vec::new();
    put_str(&mut out, 1, &e.name);
    for (i, v) in e.value.iter().enumerate() {
        let mut value = Vec::new();
        put_str(&mut value, 1, &v.name);
        put_i32(&mut value, 2, v.number);
        put_options(&mut value, 3, &v.options, at(values, i));
        put_bytes(&mut out, 2, &value);
    }
    put_options(&mut out, 3, &e.options, x.map_or(&EMPTY, |m| &m.opts));
    for r in &e.reserved_range {
        put_msg(&mut out, 4, r);
    }
    for n in &e.reserved_name {
        put_bytes(&mut out, 5, n.as_bytes());
    }
    out
}

fn encode_service(s: &ServiceDescriptorProto, x: Option<&ServiceMetas>) -> Vec<u8> {
    let methods = x.map(|m| m.methods.as_slice()).unwrap_or_default();
    let mut out = Vec::new();
    put_str(&mut out, 1, &s.name);
    for (i, m) in s.method.iter().enumerate() {
        let mut method = Vec::new();
        put_str(&mut method, 1, &m.name);
        put_str(&mut method, 2, &m.input_type);
        put_str(&mut method, 3, &m.output_type);
        put_options(&mut method, 4, &m.options, at(methods, i));
        put_bool(&mut method, 5, m.client_streaming);
        put_bool(&mut method, 6, m.server_streaming);
        put_bytes(&mut out, 2, &method);
    }
    put_options(&mut out, 3, &s.options, x.map_or(&EMPTY, |m| &m.opts));
    out
}

fn encode_message(m: &DescriptorProto, x: Option<&MessageMetas>) -> Vec<u8> {
    let list = |f: fn(&MessageMetas) -> &Vec<Opts>| x.map(|m| f(m).as_slice()).unwrap_or_default();
    let mut out = Vec::new();
    put_str(&mut out, 1, &m.name);
    for (i, f) in m.field.iter().enumerate() {
        put_bytes(&mut out, 2, &encode_field(f, at(list(|m| &m.fields), i)));
    }
    for (i, n) in m.nested_type.iter().enumerate() {
        put_bytes(
            &mut out,
            3,
            &encode_message(n, x.and_then(|m| m.nested.get(i))),
        );
    }
    for (i, e) in m.enum_type.iter().enumerate() {
        put_bytes(&mut out, 4, &encode_enum(e, x.and_then(|m| m.enums.get(i))));
    }
    for (i, r) in m.extension_range.iter().enumerate() {
        let mut range = Vec::new();
        put_i32(&mut range, 1, r.start);
        put_i32(&mut range, 2, r.end);
        put_options(&mut range, 3, &r.options, at(list(|m| &m.ranges), i));
        put_bytes(&mut out, 5, &range);
    }
    for (i, f) in m.extension.iter().enumerate() {
        put_bytes(
            &mut out,
            6,
            &encode_field(f, at(list(|m| &m.extensions), i)),
        );
    }
    put_options(&mut out, 7, &m.options, x.map_or(&EMPTY, |m| &m.opts));
    for (i, o) in m.oneof_decl.iter().enumerate() {
        let mut oneof = Vec::new();
        put_str(&mut oneof, 1, &o.name);
        put_options(&mut oneof, 2, &o.options, at(list(|m| &m.oneofs), i));
        put_bytes(&mut out, 8, &oneof);
    }
    for r in &m.reserved_range {
        put_msg(&mut out, 9, r);
    }
    for n in &m.reserved_name {
        put_bytes(&mut out, 10, n.as_bytes());
    }
    out
}

/// Encodes `file` with its extras, byte for byte as protobuf-java's `toByteArray`.
pub fn encode_file(file: &FileDescriptorProto, x: &FileMetas) -> Vec<u8> {
    let mut out = Vec::new();
    put_str(&mut out, 1, &file.name);
    put_str(&mut out, 2, &file.package);
    for d in &file.dependency {
        put_bytes(&mut out, 3, d.as_bytes());
    }
    for (i, m) in file.message_type.iter().enumerate() {
        put_bytes(&mut out, 4, &encode_message(m, x.messages.get(i)));
    }
    for (i, e) in file.enum_type.iter().enumerate() {
        put_bytes(&mut out, 5, &encode_enum(e, x.enums.get(i)));
    }
    for (i, s) in file.service.iter().enumerate() {
        put_bytes(&mut out, 6, &encode_service(s, x.services.get(i)));
    }
    for (i, f) in file.extension.iter().enumerate() {
        put_bytes(&mut out, 7, &encode_field(f, at(&x.extensions, i)));
    }
    put_options(&mut out, 8, &file.options, &x.opts);
    if let Some(info) = &file.source_code_info {
        put_msg(&mut out, 9, info);
    }
    for d in &file.public_dependency {
        put_i32(&mut out, 10, Some(*d));
    }
    for d in &file.weak_dependency {
        put_i32(&mut out, 11, Some(*d));
    }
    put_str(&mut out, 12, &file.syntax);
    out
}

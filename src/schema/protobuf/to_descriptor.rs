//! The model → `FileDescriptorProto`, as Confluent's `ProtobufSchema.toDynamicSchema` builds it
//! (7.9, with `dynamic/{Message,Field,Enum,Service}Definition.java`); `GET …?format=serialized`
//! answers its bytes base64-encoded (`formattedString`: `toDynamicSchema().getFileDescriptorProto()
//! .toByteArray()`), the file named `default` (`DEFAULT_NAME`).
//!
//! What Confluent's builder does, and so this one:
//! - type names stay as written (`A`, `.a.B`, `google.protobuf.Timestamp`); `type` is set for
//!   scalars, and for a message or enum only when the name resolves in the type index of
//!   `validate.rs` (a `map<K, V>` field's `XEntry` type does not, so it has no `type`);
//! - labels only where written (a proto3 singular field has none), `optional` for oneof fields;
//! - fields of oneofs first, then the others; proto3 `optional` adds a synthetic oneof `_name`
//!   after the real ones; a map field becomes `repeated XEntry` (`toMapEntry`: `a_b` → `AB`) with
//!   a nested `XEntry { key = 1; value = 2; option map_entry = true; }` after the declared types;
//! - every oneof and extension range carries an (empty) options message;
//! - imports only of files it has (references or bundled), then public imports;
//! - options Confluent knows, and `confluent.*_meta` as extension 1088.
//!
//! Not carried (known gap): edition `features`, `debug_redact`, `retention`, `targets`,
//! `edition_defaults`, extension-range `declaration`/`verification` (prost-types' descriptor.proto
//! predates them).

use super::bundled;
use super::descriptor_options::{write_extras, OptionsKind};
use super::descriptor_wire::{
    encode_file, EnumMetas, FileMetas, MessageMetas, Meta, Opts, ServiceMetas,
};
use super::model::{
    Enum, Field, Label, Message, OptionElement, OptionValue, ProtoFile, RangeValue, Service,
    Syntax, TypeElement,
};
use super::validate::{map_types, Kind, TypeIndex};
use crate::schema::SchemaError;
use base64::Engine as _;
use prost_types::descriptor_proto::{ExtensionRange, ReservedRange};
use prost_types::enum_descriptor_proto::EnumReservedRange;
use prost_types::field_descriptor_proto::{Label as PLabel, Type as PType};
use prost_types::field_options::{CType, JsType};
use prost_types::file_options::OptimizeMode;
use prost_types::method_options::IdempotencyLevel;
use prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumOptions, EnumValueDescriptorProto, EnumValueOptions,
    ExtensionRangeOptions, FieldDescriptorProto, FieldOptions, FileDescriptorProto, FileOptions,
    MessageOptions, MethodDescriptorProto, MethodOptions, OneofDescriptorProto, OneofOptions,
    ServiceDescriptorProto, ServiceOptions,
};
use std::collections::HashMap;

/// The name Confluent gives the file of a schema (`ProtobufSchema.DEFAULT_NAME`).
pub const DEFAULT_NAME: &str = "default";

/// Nesting levels of messages accepted.
const MAX_DEPTH: usize = super::validate::MAX_DEPTH;

/// The descriptor of `file` (without the `confluent.*_meta` options, which `prost_types`
/// cannot hold; `to_base64` writes them).
pub fn to_file_descriptor(
    file: &ProtoFile,
    name: &str,
    deps: &[(String, ProtoFile)],
) -> Result<FileDescriptorProto, SchemaError> {
    build(file, name, deps).map(|(d, _)| d)
}

/// Confluent's `format=serialized`: the descriptor's bytes (with the metas), base64.
pub fn to_base64(
    file: &ProtoFile,
    name: &str,
    deps: &[(String, ProtoFile)],
) -> Result<String, SchemaError> {
    let (descriptor, metas) = build(file, name, deps)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(encode_file(&descriptor, &metas)))
}

/// The descriptor and the metas beside it.
pub fn build(
    file: &ProtoFile,
    name: &str,
    deps: &[(String, ProtoFile)],
) -> Result<(FileDescriptorProto, FileMetas), SchemaError> {
    let index = TypeIndex::new(file, deps);
    let mut b = Builder {
        index: &index,
        package: file.package.clone().unwrap_or_default(),
        proto3: file.syntax == Some(Syntax::Proto3),
        scope: Vec::new(),
    };
    let mut out = FileDescriptorProto {
        name: Some(name.to_string()),
        package: file.package.clone(),
        syntax: file.syntax.map(|s| s.as_str().to_string()),
        ..FileDescriptorProto::default()
    };
    let mut metas = FileMetas::default();
    for t in &file.types {
        b.scope.push(t.name().to_string());
        match t {
            TypeElement::Message(m) => {
                let (d, meta) = b.message(m, 0)?;
                out.message_type.push(d);
                metas.messages.push(meta);
            }
            TypeElement::Enum(e) => {
                let (d, meta) = enum_type(e)?;
                out.enum_type.push(d);
                metas.enums.push(meta);
            }
        }
        b.scope.pop();
    }
    for s in &file.services {
        let (d, m) = service(s)?;
        out.service.push(d);
        metas.services.push(m);
    }
    for e in &file.extends {
        for f in &e.fields {
            let (d, meta) = b.field(f, &f.ty, label(f.label), false, None, Some(&e.name))?;
            out.extension.push(d);
            metas.extensions.push(meta);
        }
    }
    let known = |n: &str| deps.iter().any(|(d, _)| d == n) || bundled::is_bundled(n);
    for import in &file.imports {
        if known(import) && !out.dependency.contains(import) {
            out.dependency.push(import.clone());
        }
    }
    for import in &file.public_imports {
        if !known(import) {
            continue;
        }
        let i = match out.dependency.iter().position(|d| d == import) {
            Some(i) => i,
            None => {
                out.dependency.push(import.clone());
                out.dependency.len() - 1
            }
        };
        out.public_dependency
            .push(i32::try_from(i).unwrap_or(i32::MAX));
    }
    let (options, meta) = file_options(&file.options)?;
    out.options = options;
    metas.opts = meta;
    Ok((out, metas))
}

// ---------------------------------------------------------------------------------------------
// Options as Confluent reads them (`mergeOptions`, `findOption`, `findMeta`).

/// An option's value as Confluent's `getValue().toString()` gives it for scalars.
fn text(v: &OptionValue) -> String {
    match v {
        OptionValue::String(s)
        | OptionValue::Boolean(s)
        | OptionValue::Number(s)
        | OptionValue::Enum(s) => s.clone(),
        OptionValue::Map(_) | OptionValue::List(_) | OptionValue::Option(_) => String::new(),
    }
}

/// `a.b = v` (kind OPTION) → the map `{a: {b: v}}` (`transform`).
fn transform(v: &OptionValue) -> OptionValue {
    match v {
        OptionValue::Option(inner) => {
            OptionValue::Map(vec![(inner.name.clone(), transform(&inner.value))])
        }
        other => other.clone(),
    }
}

/// Repeated options of one name merge their maps, a key seen twice collecting a list of distinct
/// values (`merge`); a non-map replaces what came before.
fn merge(existing: OptionValue, replacement: OptionValue) -> OptionValue {
    match (existing, replacement) {
        (OptionValue::Map(mut old), OptionValue::Map(new)) => {
            for (k, v) in new {
                match old.iter_mut().find(|(key, _)| *key == k) {
                    Some(slot) => {
                        let mut items =
                            match std::mem::replace(&mut slot.1, OptionValue::List(vec![])) {
                                OptionValue::List(l) => l,
                                x => vec![x],
                            };
                        let more = match v {
                            OptionValue::List(l) => l,
                            x => vec![x],
                        };
                        for m in more {
                            if !items.contains(&m) {
                                items.push(m);
                            }
                        }
                        slot.1 = OptionValue::List(items);
                    }
                    None => old.push((k, v)),
                }
            }
            OptionValue::Map(old)
        }
        (_, replacement) => replacement,
    }
}

fn merged(options: &[OptionElement]) -> HashMap<String, OptionValue> {
    let mut out: HashMap<String, OptionValue> = HashMap::new();
    for o in options {
        let name = o.name.strip_prefix('.').unwrap_or(&o.name).to_string();
        let value = transform(&o.value);
        let value = match out.remove(&name) {
            Some(existing) => merge(existing, value),
            None => value,
        };
        out.insert(name, value);
    }
    out
}

fn flag(options: &HashMap<String, OptionValue>, name: &str) -> Option<bool> {
    options
        .get(name)
        .map(|v| text(v).eq_ignore_ascii_case("true"))
}

fn string(options: &HashMap<String, OptionValue>, name: &str) -> Option<String> {
    options.get(name).map(text)
}

fn enumerated<T>(
    options: &HashMap<String, OptionValue>,
    name: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<i32>, SchemaError>
where
    T: Into<i32>,
{
    match options.get(name) {
        None => Ok(None),
        Some(v) => {
            let t = text(v);
            parse(&t)
                .map(|x| Some(x.into()))
                .ok_or_else(|| SchemaError(format!("Invalid value for option {name}: {t}")))
        }
    }
}

/// `findMeta`: the `doc`, `params` and `tags` of a `confluent.*_meta` option; none when absent
/// or empty (`ProtobufMeta.isEmpty`: no doc, no params, no tags).
fn find_meta(
    options: &HashMap<String, OptionValue>,
    name: &str,
) -> Result<Option<Meta>, SchemaError> {
    let Some(value) = options.get(name) else {
        return Ok(None);
    };
    let OptionValue::Map(map) = value else {
        return Err(SchemaError(format!("Unexpected kind of option {name}")));
    };
    let get = |key: &str| map.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let doc = get("doc").map(text);
    let mut params = Vec::new();
    let entry = |v: &OptionValue, params: &mut Vec<(String, String)>| -> Result<(), SchemaError> {
        let OptionValue::Map(kv) = v else {
            return Err(SchemaError(format!("Unrecognized params in option {name}")));
        };
        let field = |key: &str| kv.iter().find(|(k, _)| k == key).map(|(_, v)| text(v));
        let (Some(k), Some(v)) = (field("key"), field("value")) else {
            return Err(SchemaError(format!("Incomplete params in option {name}")));
        };
        match params.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => params.push((k, v)),
        }
        Ok(())
    };
    match get("params") {
        None => {}
        Some(OptionValue::List(list)) => {
            for v in list {
                entry(v, &mut params)?;
            }
        }
        Some(v) => entry(v, &mut params)?,
    }
    let tags = match get("tags") {
        None => Vec::new(),
        Some(OptionValue::List(list)) => list.iter().map(text).collect(),
        Some(v) => vec![text(v)],
    };
    if doc.is_none() && params.is_empty() && tags.is_empty() {
        return Ok(None);
    }
    Ok(Some(Meta {
        doc: doc.unwrap_or_default(),
        params,
        tags,
    }))
}

/// The meta (when `meta_name` is given) and the bytes of the newer options of one element.
fn opts(
    kind: OptionsKind,
    merged: &HashMap<String, OptionValue>,
    raw: &[OptionElement],
    meta_name: &str,
) -> Result<Opts, SchemaError> {
    Ok(Opts {
        meta: if meta_name.is_empty() {
            None
        } else {
            find_meta(merged, meta_name)?
        },
        extras: Vec::new(),
        extra_bytes: write_extras(kind, merged, raw)?,
    })
}

fn file_options(options: &[OptionElement]) -> Result<(Option<FileOptions>, Opts), SchemaError> {
    let o = merged(options);
    #[allow(deprecated)]
    let out = FileOptions {
        java_package: string(&o, "java_package"),
        java_outer_classname: string(&o, "java_outer_classname"),
        java_multiple_files: flag(&o, "java_multiple_files"),
        java_generate_equals_and_hash: flag(&o, "java_generate_equals_and_hash"),
        java_string_check_utf8: flag(&o, "java_string_check_utf8"),
        optimize_for: enumerated(&o, "optimize_for", OptimizeMode::from_str_name)?,
        go_package: string(&o, "go_package"),
        cc_generic_services: flag(&o, "cc_generic_services"),
        java_generic_services: flag(&o, "java_generic_services"),
        py_generic_services: flag(&o, "py_generic_services"),
        php_generic_services: flag(&o, "php_generic_services"),
        deprecated: flag(&o, "deprecated"),
        cc_enable_arenas: flag(&o, "cc_enable_arenas"),
        objc_class_prefix: string(&o, "objc_class_prefix"),
        csharp_namespace: string(&o, "csharp_namespace"),
        swift_prefix: string(&o, "swift_prefix"),
        php_class_prefix: string(&o, "php_class_prefix"),
        php_namespace: string(&o, "php_namespace"),
        php_metadata_namespace: string(&o, "php_metadata_namespace"),
        ruby_package: string(&o, "ruby_package"),
        ..FileOptions::default()
    };
    let meta = opts(OptionsKind::File, &o, options, "confluent.file_meta")?;
    Ok(((out != FileOptions::default()).then_some(out), meta))
}

// ---------------------------------------------------------------------------------------------
// Definitions

fn label(l: Option<Label>) -> Option<PLabel> {
    match l {
        Some(Label::Optional) => Some(PLabel::Optional),
        Some(Label::Required) => Some(PLabel::Required),
        Some(Label::Repeated) => Some(PLabel::Repeated),
        Some(Label::OneOf) | None => None,
    }
}

/// `FieldDefinition`'s scalar names.
fn scalar(ty: &str) -> Option<PType> {
    Some(match ty {
        "double" => PType::Double,
        "float" => PType::Float,
        "int32" => PType::Int32,
        "int64" => PType::Int64,
        "uint32" => PType::Uint32,
        "uint64" => PType::Uint64,
        "sint32" => PType::Sint32,
        "sint64" => PType::Sint64,
        "fixed32" => PType::Fixed32,
        "fixed64" => PType::Fixed64,
        "sfixed32" => PType::Sfixed32,
        "sfixed64" => PType::Sfixed64,
        "bool" => PType::Bool,
        "string" => PType::String,
        "bytes" => PType::Bytes,
        _ => return None,
    })
}

/// `toMapEntry`: a name with `_` becomes UpperCamel (Guava's `LOWER_UNDERSCORE → UPPER_CAMEL`:
/// each word's first letter upper-cased, the rest lower-cased), then `Entry`.
pub fn map_entry_name(field: &str) -> String {
    let base = if field.contains('_') {
        field
            .split('_')
            .map(|w| {
                let mut chars = w.chars();
                match chars.next() {
                    Some(c) => {
                        c.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
                    }
                    None => String::new(),
                }
            })
            .collect()
    } else {
        field.to_string()
    };
    base + "Entry"
}

struct Builder<'a> {
    index: &'a TypeIndex,
    package: String,
    proto3: bool,
    scope: Vec<String>,
}

impl Builder<'_> {
    /// `FieldDefinition.newBuilder(…).setType(ctx, type)` and the rest of `toDynamicField`.
    fn field(
        &self,
        f: &Field,
        ty: &str,
        label: Option<PLabel>,
        proto3_optional: bool,
        oneof_index: Option<i32>,
        extendee: Option<&str>,
    ) -> Result<(FieldDescriptorProto, Opts), SchemaError> {
        let o = merged(&f.options);
        let options = FieldOptions {
            ctype: enumerated(&o, "ctype", CType::from_str_name)?,
            packed: flag(&o, "packed"),
            jstype: enumerated(&o, "jstype", JsType::from_str_name)?,
            deprecated: flag(&o, "deprecated"),
            ..FieldOptions::default()
        };
        let mut d = FieldDescriptorProto {
            name: Some(f.name.clone()),
            number: Some(f.tag),
            label: label.map(Into::into),
            extendee: extendee.map(str::to_string),
            oneof_index,
            default_value: f.default_value.clone(),
            json_name: f.json_name.clone(),
            proto3_optional: proto3_optional.then_some(true),
            options: (options != FieldOptions::default()).then_some(options),
            ..FieldDescriptorProto::default()
        };
        match scalar(ty) {
            Some(t) => d.r#type = Some(t.into()),
            None => {
                if let Some((_, info)) = self.index.resolve(&self.package, &self.scope, ty) {
                    d.r#type = Some(match info.kind {
                        Kind::Message => PType::Message.into(),
                        Kind::Enum => PType::Enum.into(),
                    });
                }
                d.type_name = Some(ty.to_string());
            }
        }
        let x = opts(OptionsKind::Field, &o, &f.options, "confluent.field_meta")?;
        Ok((d, x))
    }

    /// `toDynamicMessage` (the scope already holds the message's name).
    fn message(
        &mut self,
        m: &Message,
        depth: usize,
    ) -> Result<(DescriptorProto, MessageMetas), SchemaError> {
        if depth >= MAX_DEPTH {
            return Err(SchemaError(format!(
                "Messages are nested more than {MAX_DEPTH} levels deep"
            )));
        }
        let mut d = DescriptorProto {
            name: Some(m.name.clone()),
            ..DescriptorProto::default()
        };
        let mut metas = MessageMetas::default();
        for t in &m.nested {
            self.scope.push(t.name().to_string());
            let result = match t {
                TypeElement::Message(n) => self.message(n, depth + 1).map(|(nd, nm)| {
                    d.nested_type.push(nd);
                    metas.nested.push(nm);
                }),
                TypeElement::Enum(e) => enum_type(e).map(|(ed, em)| {
                    d.enum_type.push(ed);
                    metas.enums.push(em);
                }),
            };
            self.scope.pop();
            result?;
        }
        self.message_rest(m, &mut d, &mut metas)?;
        Ok((d, metas))
    }

    /// The part of `toDynamicMessage` after the nested types, in its own (non-inlined) frame so
    /// the recursion over nested messages stays small on the stack.
    #[inline(never)]
    fn message_rest(
        &mut self,
        m: &Message,
        d: &mut DescriptorProto,
        metas: &mut MessageMetas,
    ) -> Result<(), SchemaError> {
        let mut added: Vec<&str> = Vec::new();
        for oneof in &m.oneofs {
            let idx = i32::try_from(d.oneof_decl.len()).unwrap_or(i32::MAX);
            d.oneof_decl.push(OneofDescriptorProto {
                name: Some(oneof.name.clone()),
                options: Some(OneofOptions::default()),
            });
            let oo = merged(&oneof.options);
            metas.oneofs.push(Opts {
                extra_bytes: write_extras(OptionsKind::Oneof, &oo, &oneof.options)?,
                ..Opts::default()
            });
            for f in &oneof.fields {
                let (fd, meta) =
                    self.field(f, &f.ty, Some(PLabel::Optional), false, Some(idx), None)?;
                d.field.push(fd);
                metas.fields.push(meta);
                added.push(&f.name);
            }
        }
        for f in &m.fields {
            if added.contains(&f.name.as_str()) {
                continue;
            }
            let mut lbl = label(f.label);
            let mut ty = f.ty.clone();
            if let Some((k, v)) = map_types(&f.ty) {
                lbl = Some(PLabel::Repeated);
                ty = map_entry_name(&f.name);
                let key = Field {
                    label: None,
                    ty: k.to_string(),
                    name: "key".into(),
                    default_value: None,
                    json_name: None,
                    tag: 1,
                    options: Vec::new(),
                };
                let value = Field {
                    ty: v.to_string(),
                    name: "value".into(),
                    tag: 2,
                    ..key.clone()
                };
                let entry = DescriptorProto {
                    name: Some(ty.clone()),
                    field: vec![
                        self.field(&key, k, None, false, None, None)?.0,
                        self.field(&value, v, None, false, None, None)?.0,
                    ],
                    options: Some(MessageOptions {
                        map_entry: Some(true),
                        ..MessageOptions::default()
                    }),
                    ..DescriptorProto::default()
                };
                d.nested_type.push(entry);
                metas.nested.push(MessageMetas::default());
            }
            let (fd, meta) = if lbl == Some(PLabel::Optional) && self.proto3 {
                let idx = i32::try_from(d.oneof_decl.len()).unwrap_or(i32::MAX);
                d.oneof_decl.push(OneofDescriptorProto {
                    name: Some(format!("_{}", f.name)),
                    options: Some(OneofOptions::default()),
                });
                metas.oneofs.push(Opts::default());
                self.field(f, &ty, lbl, true, Some(idx), None)?
            } else {
                self.field(f, &ty, lbl, false, None, None)?
            };
            d.field.push(fd);
            metas.fields.push(meta);
        }
        for r in &m.reserveds {
            for v in &r.values {
                match v {
                    RangeValue::Name(n) => d.reserved_name.push(n.clone()),
                    RangeValue::Tag(t) => d.reserved_range.push(ReservedRange {
                        start: Some(*t),
                        end: Some(t.wrapping_add(1)),
                    }),
                    RangeValue::Range(s, e) => d.reserved_range.push(ReservedRange {
                        start: Some(*s),
                        end: Some(e.wrapping_add(1)),
                    }),
                }
            }
        }
        for x in &m.extensions {
            let xo = merged(&x.options);
            let extra_bytes = write_extras(OptionsKind::ExtensionRange, &xo, &x.options)?;
            for v in &x.values {
                metas.ranges.push(Opts {
                    extra_bytes: extra_bytes.clone(),
                    ..Opts::default()
                });
                let (start, end) = match v {
                    RangeValue::Tag(t) => (*t, t.wrapping_add(1)),
                    RangeValue::Range(s, e) => (*s, e.wrapping_add(1)),
                    RangeValue::Name(n) => {
                        return Err(SchemaError(format!("Unsupported extensions value: {n}")))
                    }
                };
                d.extension_range.push(ExtensionRange {
                    start: Some(start),
                    end: Some(end),
                    options: Some(ExtensionRangeOptions::default()),
                });
            }
        }
        for e in &m.extends {
            for f in &e.fields {
                let (fd, meta) =
                    self.field(f, &f.ty, label(f.label), false, None, Some(&e.name))?;
                d.extension.push(fd);
                metas.extensions.push(meta);
            }
        }
        let o = merged(&m.options);
        let options = MessageOptions {
            no_standard_descriptor_accessor: flag(&o, "no_standard_descriptor_accessor"),
            deprecated: flag(&o, "deprecated"),
            map_entry: flag(&o, "map_entry"),
            ..MessageOptions::default()
        };
        if options != MessageOptions::default() {
            d.options = Some(options);
        }
        metas.opts = opts(
            OptionsKind::Message,
            &o,
            &m.options,
            "confluent.message_meta",
        )?;
        Ok(())
    }
}

/// `toDynamicEnum`.
fn enum_type(e: &Enum) -> Result<(EnumDescriptorProto, EnumMetas), SchemaError> {
    let o = merged(&e.options);
    let options = EnumOptions {
        allow_alias: flag(&o, "allow_alias"),
        deprecated: flag(&o, "deprecated"),
        ..EnumOptions::default()
    };
    let mut d = EnumDescriptorProto {
        name: Some(e.name.clone()),
        options: (options != EnumOptions::default()).then_some(options),
        ..EnumDescriptorProto::default()
    };
    let mut metas = EnumMetas {
        opts: opts(OptionsKind::Enum, &o, &e.options, "confluent.enum_meta")?,
        values: Vec::new(),
    };
    for r in &e.reserveds {
        for v in &r.values {
            match v {
                RangeValue::Name(n) => d.reserved_name.push(n.clone()),
                RangeValue::Tag(t) => d.reserved_range.push(EnumReservedRange {
                    start: Some(*t),
                    end: Some(*t),
                }),
                RangeValue::Range(s, x) => d.reserved_range.push(EnumReservedRange {
                    start: Some(*s),
                    end: Some(*x),
                }),
            }
        }
    }
    for c in &e.constants {
        let co = merged(&c.options);
        let options = EnumValueOptions {
            deprecated: flag(&co, "deprecated"),
            ..EnumValueOptions::default()
        };
        d.value.push(EnumValueDescriptorProto {
            name: Some(c.name.clone()),
            number: Some(c.tag),
            options: (options != EnumValueOptions::default()).then_some(options),
        });
        metas.values.push(opts(
            OptionsKind::EnumValue,
            &co,
            &c.options,
            "confluent.enum_value_meta",
        )?);
    }
    Ok((d, metas))
}

/// `toDynamicService`.
fn service(s: &Service) -> Result<(ServiceDescriptorProto, ServiceMetas), SchemaError> {
    let o = merged(&s.options);
    let mut metas = ServiceMetas {
        opts: opts(OptionsKind::Service, &o, &s.options, "")?,
        methods: Vec::new(),
    };
    let options = ServiceOptions {
        deprecated: flag(&o, "deprecated"),
        ..ServiceOptions::default()
    };
    let mut method = Vec::new();
    for rpc in &s.rpcs {
        let ro = merged(&rpc.options);
        metas
            .methods
            .push(opts(OptionsKind::Method, &ro, &rpc.options, "")?);
        let options = MethodOptions {
            deprecated: flag(&ro, "deprecated"),
            idempotency_level: enumerated(
                &ro,
                "idempotency_level",
                IdempotencyLevel::from_str_name,
            )?,
            ..MethodOptions::default()
        };
        method.push(MethodDescriptorProto {
            name: Some(rpc.name.clone()),
            input_type: Some(rpc.request_type.clone()),
            output_type: Some(rpc.response_type.clone()),
            options: (options != MethodOptions::default()).then_some(options),
            client_streaming: Some(rpc.request_streaming),
            server_streaming: Some(rpc.response_streaming),
        });
    }
    let d = ServiceDescriptorProto {
        name: Some(s.name.clone()),
        method,
        options: (options != ServiceOptions::default()).then_some(options),
    };
    Ok((d, metas))
}

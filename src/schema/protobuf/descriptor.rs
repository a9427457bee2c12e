//! Base64 `FileDescriptorProto` → the model, as Confluent's `ProtobufSchema.toProtoFile`
//! (7.9) reads what the Python and Java clients register: types come back as the descriptor
//! spells them (`.pkg.Msg` or a scalar's lower-case name), map fields stay the repeated
//! `XEntry` messages with `option map_entry = true` that the descriptor holds (Confluent does not
//! turn them back into `map<K, V>`), messages before enums, one `reserved` per range or name,
//! options in Confluent's fixed order, and the `confluent.*_meta` options as maps.
//!
//! Custom options other than Confluent's own are dropped: Confluent parses with an extension
//! registry holding only its `meta` and `decimal` files, so other extensions are unknown fields.

use super::descriptor_wire::{
    at, read_file_metas, EnumMetas, FileMetas, MessageMetas, Meta, Opts, ServiceMetas,
};
use super::model::{
    Enum, EnumConstant, Extend, Extensions, Field, Label, Message, OneOf, OptionElement,
    OptionValue, ProtoFile, RangeValue, Reserved, Rpc, Service, Syntax, TypeElement,
};
use crate::schema::SchemaError;
use base64::Engine as _;
use prost::Message as _;
use prost_types::field_descriptor_proto::{Label as PLabel, Type as PType};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    ServiceDescriptorProto,
};

/// Java's `Base64.getDecoder()`: the standard alphabet, padding optional, nothing else allowed.
const JAVA_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A base64 `FileDescriptorProto` (what the Python and Java clients send) → the model.
pub fn from_base64(text: &str) -> Result<ProtoFile, SchemaError> {
    let bytes = JAVA_BASE64
        .decode(text.as_bytes())
        .map_err(|e| SchemaError(format!("Invalid base64 descriptor: {e}")))?;
    from_bytes(&bytes)
}

/// A serialized `FileDescriptorProto` → the model.
pub fn from_bytes(bytes: &[u8]) -> Result<ProtoFile, SchemaError> {
    let file = FileDescriptorProto::decode(bytes)
        .map_err(|e| SchemaError(format!("Invalid FileDescriptorProto: {e}")))?;
    let metas = read_file_metas(bytes)?;
    to_proto_file(&file, &metas)
}

/// A decoded descriptor (and the metas read beside it) → the model (`toProtoFile`).
pub fn to_proto_file(
    file: &FileDescriptorProto,
    metas: &FileMetas,
) -> Result<ProtoFile, SchemaError> {
    let syntax = match file.syntax() {
        "proto2" => Some(Syntax::Proto2),
        "proto3" => Some(Syntax::Proto3),
        _ => None,
    };
    let proto3 = file.syntax() == "proto3";
    let mut types = Vec::new();
    for (i, m) in file.message_type.iter().enumerate() {
        types.push(TypeElement::Message(to_message(
            proto3,
            m,
            metas.messages.get(i),
        )?));
    }
    for (i, e) in file.enum_type.iter().enumerate() {
        types.push(TypeElement::Enum(to_enum(e, metas.enums.get(i))));
    }
    let mut imports = Vec::new();
    let mut public_imports = Vec::new();
    for (i, dep) in file.dependency.iter().enumerate() {
        if file
            .public_dependency
            .iter()
            .any(|&p| usize::try_from(p) == Ok(i))
        {
            public_imports.push(dep.clone());
        } else {
            imports.push(dep.clone());
        }
    }
    let mut options = Vec::new();
    if let Some(o) = &file.options {
        string_opt(&mut options, "java_package", &o.java_package);
        string_opt(
            &mut options,
            "java_outer_classname",
            &o.java_outer_classname,
        );
        bool_opt(&mut options, "java_multiple_files", o.java_multiple_files);
        #[allow(deprecated)]
        let equals_and_hash = o.java_generate_equals_and_hash;
        bool_opt(
            &mut options,
            "java_generate_equals_and_hash",
            equals_and_hash,
        );
        bool_opt(
            &mut options,
            "java_string_check_utf8",
            o.java_string_check_utf8,
        );
        if o.optimize_for.is_some() {
            enum_opt(&mut options, "optimize_for", o.optimize_for().as_str_name());
        }
        string_opt(&mut options, "go_package", &o.go_package);
        bool_opt(&mut options, "cc_generic_services", o.cc_generic_services);
        bool_opt(
            &mut options,
            "java_generic_services",
            o.java_generic_services,
        );
        bool_opt(&mut options, "py_generic_services", o.py_generic_services);
        bool_opt(&mut options, "php_generic_services", o.php_generic_services);
        bool_opt(&mut options, "deprecated", o.deprecated);
        bool_opt(&mut options, "cc_enable_arenas", o.cc_enable_arenas);
        string_opt(&mut options, "objc_class_prefix", &o.objc_class_prefix);
        string_opt(&mut options, "csharp_namespace", &o.csharp_namespace);
        string_opt(&mut options, "swift_prefix", &o.swift_prefix);
        string_opt(&mut options, "php_class_prefix", &o.php_class_prefix);
        string_opt(&mut options, "php_namespace", &o.php_namespace);
        string_opt(
            &mut options,
            "php_metadata_namespace",
            &o.php_metadata_namespace,
        );
        string_opt(&mut options, "ruby_package", &o.ruby_package);
    }
    extras(&mut options, &metas.opts, "confluent.file_meta");
    Ok(ProtoFile {
        syntax,
        package: file.package.clone().filter(|p| !p.is_empty()),
        imports,
        public_imports,
        types,
        services: file
            .service
            .iter()
            .enumerate()
            .map(|(i, s)| to_service(s, metas.services.get(i)))
            .collect(),
        extends: to_extends(proto3, &file.extension, &metas.extensions),
        options,
    })
}

fn string_opt(out: &mut Vec<OptionElement>, name: &str, v: &Option<String>) {
    if let Some(v) = v {
        out.push(plain(name, OptionValue::String(v.clone())));
    }
}

fn bool_opt(out: &mut Vec<OptionElement>, name: &str, v: Option<bool>) {
    if let Some(v) = v {
        out.push(plain(name, OptionValue::Boolean(v.to_string())));
    }
}

fn enum_opt(out: &mut Vec<OptionElement>, name: &str, v: &str) {
    out.push(plain(name, OptionValue::Enum(v.to_string())));
}

fn plain(name: &str, value: OptionValue) -> OptionElement {
    OptionElement {
        name: name.to_string(),
        value,
        parenthesized: false,
    }
}

/// A `confluent.Meta` as Confluent shows it (`ProtobufSchema.toOption`): a map of `doc`,
/// `params` (a list of `{key, value}` maps, `value` first for `precision` and `scale`) and
/// `tags` (a list); an empty meta is no option.
pub fn meta_option(name: &str, meta: &Meta) -> Option<OptionElement> {
    let mut map = Vec::new();
    if !meta.doc.is_empty() {
        map.push(("doc".to_string(), OptionValue::String(meta.doc.clone())));
    }
    if !meta.params.is_empty() {
        let list = meta
            .params
            .iter()
            .map(|(k, v)| {
                let key = ("key".to_string(), OptionValue::String(k.clone()));
                let value = ("value".to_string(), OptionValue::String(v.clone()));
                if k == "precision" || k == "scale" {
                    OptionValue::Map(vec![value, key])
                } else {
                    OptionValue::Map(vec![key, value])
                }
            })
            .collect();
        map.push(("params".to_string(), OptionValue::List(list)));
    }
    if !meta.tags.is_empty() {
        let list = meta.tags.iter().cloned().map(OptionValue::String).collect();
        map.push(("tags".to_string(), OptionValue::List(list)));
    }
    (!map.is_empty()).then(|| OptionElement {
        name: name.to_string(),
        value: OptionValue::Map(map),
        parenthesized: true,
    })
}

/// The options `prost_types` does not know, then the meta named `meta_name`.
fn extras(out: &mut Vec<OptionElement>, x: &Opts, meta_name: &str) {
    out.extend(x.extras.iter().cloned());
    if let Some(o) = x.meta.as_ref().and_then(|m| meta_option(meta_name, m)) {
        out.push(o);
    }
}

/// `extend` blocks grouped by extendee in first-seen order (`toExtendElements`).
fn to_extends(proto3: bool, fields: &[FieldDescriptorProto], metas: &[Opts]) -> Vec<Extend> {
    let mut out: Vec<Extend> = Vec::new();
    for (i, fd) in fields.iter().enumerate() {
        let field = to_field(proto3, fd, false, at(metas, i));
        let extendee = fd.extendee().to_string();
        match out.iter_mut().find(|e| e.name == extendee) {
            Some(e) => e.fields.push(field),
            None => out.push(Extend {
                name: extendee,
                fields: vec![field],
            }),
        }
    }
    out
}

fn to_message(
    proto3: bool,
    d: &DescriptorProto,
    metas: Option<&MessageMetas>,
) -> Result<Message, SchemaError> {
    let list =
        |f: fn(&MessageMetas) -> &Vec<Opts>| metas.map(|m| f(m).as_slice()).unwrap_or_default();
    let mut oneofs: Vec<OneOf> = d
        .oneof_decl
        .iter()
        .enumerate()
        .map(|(i, o)| OneOf {
            name: o.name().to_string(),
            options: at(list(|m| &m.oneofs), i).extras.clone(),
            ..OneOf::default()
        })
        .collect();
    let mut fields = Vec::new();
    for (i, fd) in d.field.iter().enumerate() {
        let meta = at(list(|m| &m.fields), i);
        match fd.oneof_index {
            Some(idx) if !fd.proto3_optional() => {
                let oneof = usize::try_from(idx)
                    .ok()
                    .and_then(|i| oneofs.get_mut(i))
                    .ok_or_else(|| SchemaError(format!("Invalid oneof index {idx}")))?;
                oneof.fields.push(to_field(proto3, fd, true, meta));
            }
            _ => fields.push(to_field(proto3, fd, false, meta)),
        }
    }
    let mut nested = Vec::new();
    for (i, n) in d.nested_type.iter().enumerate() {
        let m = metas.and_then(|m| m.nested.get(i));
        nested.push(TypeElement::Message(to_message(proto3, n, m)?));
    }
    for (i, e) in d.enum_type.iter().enumerate() {
        nested.push(TypeElement::Enum(to_enum(
            e,
            metas.and_then(|m| m.enums.get(i)),
        )));
    }
    let mut reserveds: Vec<Reserved> = d
        .reserved_range
        .iter()
        .map(|r| Reserved {
            values: vec![exclusive_range(r.start(), r.end())],
        })
        .collect();
    reserveds.extend(d.reserved_name.iter().map(|n| Reserved {
        values: vec![RangeValue::Name(n.clone())],
    }));
    let extensions = d
        .extension_range
        .iter()
        .enumerate()
        .map(|(i, r)| Extensions {
            values: vec![exclusive_range(r.start(), r.end())],
            options: at(list(|m| &m.ranges), i).extras.clone(),
        })
        .collect();
    let mut options = Vec::new();
    if let Some(o) = &d.options {
        bool_opt(
            &mut options,
            "no_standard_descriptor_accessor",
            o.no_standard_descriptor_accessor,
        );
        bool_opt(&mut options, "deprecated", o.deprecated);
        bool_opt(&mut options, "map_entry", o.map_entry);
    }
    if let Some(m) = metas {
        extras(&mut options, &m.opts, "confluent.message_meta");
    }
    Ok(Message {
        name: d.name().to_string(),
        options,
        reserveds,
        fields,
        // Oneofs left empty (the synthetic ones of proto3 `optional`) are dropped.
        oneofs: {
            oneofs.retain(|o| !o.fields.is_empty());
            oneofs
        },
        groups: Vec::new(),
        extensions,
        extends: to_extends(proto3, &d.extension, list(|m| &m.extensions)),
        nested,
    })
}

/// A message range `[start, end)` as Wire holds it: a tag, or an inclusive range.
fn exclusive_range(start: i32, end: i32) -> RangeValue {
    let last = end.wrapping_sub(1);
    if start == last {
        RangeValue::Tag(start)
    } else {
        RangeValue::Range(start, last)
    }
}

fn to_enum(e: &EnumDescriptorProto, metas: Option<&EnumMetas>) -> Enum {
    let constants = e
        .value
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut options = Vec::new();
            if let Some(o) = &v.options {
                bool_opt(&mut options, "deprecated", o.deprecated);
            }
            let values = metas.map(|m| m.values.as_slice()).unwrap_or_default();
            extras(&mut options, at(values, i), "confluent.enum_value_meta");
            EnumConstant {
                name: v.name().to_string(),
                tag: v.number(),
                options,
            }
        })
        .collect();
    let mut reserveds: Vec<Reserved> = e
        .reserved_range
        .iter()
        .map(|r| Reserved {
            // Enum ranges are inclusive at both ends.
            values: vec![if r.start() == r.end() {
                RangeValue::Tag(r.start())
            } else {
                RangeValue::Range(r.start(), r.end())
            }],
        })
        .collect();
    reserveds.extend(e.reserved_name.iter().map(|n| Reserved {
        values: vec![RangeValue::Name(n.clone())],
    }));
    let mut options = Vec::new();
    if let Some(o) = &e.options {
        bool_opt(&mut options, "allow_alias", o.allow_alias);
        bool_opt(&mut options, "deprecated", o.deprecated);
    }
    if let Some(m) = metas {
        extras(&mut options, &m.opts, "confluent.enum_meta");
    }
    Enum {
        name: e.name().to_string(),
        options,
        constants,
        reserveds,
    }
}

fn to_service(s: &ServiceDescriptorProto, metas: Option<&ServiceMetas>) -> Service {
    let methods = metas.map(|m| m.methods.as_slice()).unwrap_or_default();
    let rpcs = s
        .method
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut options = Vec::new();
            if let Some(o) = &m.options {
                bool_opt(&mut options, "deprecated", o.deprecated);
                if o.idempotency_level.is_some() {
                    enum_opt(
                        &mut options,
                        "idempotency_level",
                        o.idempotency_level().as_str_name(),
                    );
                }
            }
            options.extend(at(methods, i).extras.iter().cloned());
            Rpc {
                name: m.name().to_string(),
                request_type: m.input_type().to_string(),
                response_type: m.output_type().to_string(),
                request_streaming: m.client_streaming(),
                response_streaming: m.server_streaming(),
                options,
            }
        })
        .collect();
    let mut options = Vec::new();
    if let Some(o) = &s.options {
        bool_opt(&mut options, "deprecated", o.deprecated);
    }
    if let Some(m) = metas {
        options.extend(m.opts.extras.iter().cloned());
    }
    Service {
        name: s.name().to_string(),
        rpcs,
        options,
    }
}

/// `toField`: the label (none in a oneof, none for proto3 singular fields), the type as the
/// descriptor names it, `default` only outside proto3, `json_name` when set.
fn to_field(proto3: bool, fd: &FieldDescriptorProto, in_oneof: bool, x: &Opts) -> Field {
    let mut options = Vec::new();
    if let Some(o) = &fd.options {
        if o.ctype.is_some() {
            enum_opt(&mut options, "ctype", o.ctype().as_str_name());
        }
        bool_opt(&mut options, "packed", o.packed);
        if o.jstype.is_some() {
            enum_opt(&mut options, "jstype", o.jstype().as_str_name());
        }
        bool_opt(&mut options, "deprecated", o.deprecated);
    }
    extras(&mut options, x, "confluent.field_meta");
    let label = if in_oneof {
        None
    } else if fd.proto3_optional() {
        Some(Label::Optional)
    } else {
        match fd.label() {
            PLabel::Repeated => Some(Label::Repeated),
            PLabel::Required if !proto3 => Some(Label::Required),
            PLabel::Optional if !proto3 => Some(Label::Optional),
            _ => None,
        }
    };
    Field {
        label,
        ty: data_type(fd),
        name: fd.name().to_string(),
        default_value: if proto3 {
            None
        } else {
            fd.default_value.clone()
        },
        json_name: fd.json_name.clone(),
        tag: fd.number(),
        options,
    }
}

/// The type name when set, else the scalar's lower-case name (`dataType`).
fn data_type(fd: &FieldDescriptorProto) -> String {
    if let Some(name) = &fd.type_name {
        return name.clone();
    }
    match fd.r#type() {
        PType::Double => "double",
        PType::Float => "float",
        PType::Int64 => "int64",
        PType::Uint64 => "uint64",
        PType::Int32 => "int32",
        PType::Fixed64 => "fixed64",
        PType::Fixed32 => "fixed32",
        PType::Bool => "bool",
        PType::String => "string",
        PType::Group => "group",
        PType::Message => "message",
        PType::Bytes => "bytes",
        PType::Uint32 => "uint32",
        PType::Enum => "enum",
        PType::Sfixed32 => "sfixed32",
        PType::Sfixed64 => "sfixed64",
        PType::Sint32 => "sint32",
        PType::Sint64 => "sint64",
    }
    .to_string()
}

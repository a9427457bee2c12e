//! The comparison itself, rule for rule after Confluent 7.9's `protobuf-provider` `diff/`
//! package: `SchemaDiff` (package, top-level and nested messages and enums), `MessageSchemaDiff`
//! (oneofs and fields by tag), `OneOfDiff`, `EnumSchemaDiff` and `FieldSchemaDiff` (kinds,
//! scalar groups, labels, named and map types), visiting names and tags in Java hash order.

use super::context::{Ctx, TypeRef, MAX_DEPTH};
use super::difference::Kind;
use super::javahash::{union_order, JavaMap};
use crate::schema::protobuf::model::{Enum, Field, Label, Message, OneOf, ProtoFile, TypeElement};

/// `SchemaDiff.compare(ctx, original, update)`.
pub(super) fn compare_files(ctx: &mut Ctx<'_, '_>, original: &ProtoFile, update: &ProtoFile) {
    let norm = |p: &Option<String>| p.clone().filter(|s| !s.is_empty());
    if norm(&original.package) != norm(&update.package) {
        ctx.add(Kind::PackageChanged);
    }
    compare_type_elements(ctx, &original.types, &update.types);
}

/// The messages (with their index among the messages) and enums of one scope, by name.
struct Scope<'m> {
    messages: JavaMap<String, &'m Message>,
    indexes: JavaMap<String, usize>,
    enums: JavaMap<String, &'m Enum>,
}

fn scope(types: &[TypeElement]) -> Scope<'_> {
    let mut s = Scope {
        messages: JavaMap::new(),
        indexes: JavaMap::new(),
        enums: JavaMap::new(),
    };
    let mut index = 0;
    for t in types {
        match t {
            TypeElement::Message(m) => {
                s.messages.put(m.name.clone(), m);
                s.indexes.put(m.name.clone(), index);
                index += 1;
            }
            TypeElement::Enum(e) => s.enums.put(e.name.clone(), e),
        }
    }
    s
}

/// `SchemaDiff.compareTypeElements`.
pub(super) fn compare_type_elements(
    ctx: &mut Ctx<'_, '_>,
    original: &[TypeElement],
    update: &[TypeElement],
) {
    let (o, u) = (scope(original), scope(update));
    for name in union_order(&o.messages, &u.messages) {
        if ctx.world.failed() {
            return;
        }
        ctx.in_name(&name, |ctx| {
            match (o.messages.get(&name), u.messages.get(&name)) {
                (Some(_), None) => {
                    if ctx.get_type(&name, true).is_some_and(|t| t.map.is_none()) {
                        ctx.add(Kind::MessageRemoved);
                    }
                }
                (None, Some(_)) => {
                    if ctx.get_type(&name, false).is_some_and(|t| t.map.is_none()) {
                        ctx.add(Kind::MessageAdded);
                    }
                }
                (Some(om), Some(um)) => {
                    compare_messages(ctx, om, um);
                    // Moving or reordering a message is compatible (message indexes are per
                    // schema id) but still a difference.
                    if o.indexes.get(&name) != u.indexes.get(&name) {
                        ctx.add(Kind::MessageMoved);
                    }
                }
                (None, None) => {}
            }
        });
    }
    for name in union_order(&o.enums, &u.enums) {
        ctx.in_name(&name, |ctx| {
            match (o.enums.get(&name), u.enums.get(&name)) {
                (Some(_), None) => ctx.add(Kind::EnumRemoved),
                (None, Some(_)) => ctx.add(Kind::EnumAdded),
                (Some(oe), Some(ue)) => compare_enums(ctx, oe, ue),
                (None, None) => {}
            }
        });
    }
}

/// `EnumSchemaDiff.compare`: constants by number.
fn compare_enums(ctx: &mut Ctx<'_, '_>, original: &Enum, update: &Enum) {
    fn by_tag(e: &Enum) -> JavaMap<i32, &str> {
        let mut m = JavaMap::new();
        for c in &e.constants {
            m.put(c.tag, c.name.as_str());
        }
        m
    }
    let (o, u) = (by_tag(original), by_tag(update));
    for tag in union_order(&o, &u) {
        ctx.in_path(tag.to_string(), |ctx| match (o.get(&tag), u.get(&tag)) {
            (Some(_), None) => ctx.add(Kind::EnumConstRemoved),
            (None, Some(_)) => ctx.add(Kind::EnumConstAdded),
            (Some(a), Some(b)) if a != b => ctx.add(Kind::EnumConstChanged),
            _ => {}
        });
    }
}

/// `MessageSchemaDiff.compare`.
pub(super) fn compare_messages(ctx: &mut Ctx<'_, '_>, original: &Message, update: &Message) {
    if ctx.enter_schema(original) {
        compare_message_body(ctx, original, update);
        ctx.leave_schema(original);
    }
    // Nested types are compared even when the message itself was skipped.
    compare_type_elements(ctx, &original.nested, &update.nested);
}

fn fields_by_tag(fields: &[Field]) -> JavaMap<i32, &Field> {
    let mut m = JavaMap::new();
    for f in fields {
        m.put(f.tag, f);
    }
    m
}

fn oneofs_by_name(oneofs: &[OneOf]) -> JavaMap<String, &OneOf> {
    let mut m = JavaMap::new();
    for o in oneofs {
        m.put(o.name.clone(), o);
    }
    m
}

fn compare_message_body(ctx: &mut Ctx<'_, '_>, original: &Message, update: &Message) {
    let mut original_by_tag = fields_by_tag(&original.fields);
    let update_by_tag = fields_by_tag(&update.fields);
    let original_oneofs = oneofs_by_name(&original.oneofs);
    let update_oneofs = oneofs_by_name(&update.oneofs);
    let mut original_oneof_tags = std::collections::HashSet::new();
    for o in &original.oneofs {
        original_oneof_tags.extend(o.fields.iter().map(|f| f.tag));
    }

    // Fields moved into a oneof: taken out of the plain fields (no FIELD_REMOVED for them).
    for oneof in &update.oneofs {
        ctx.in_path(oneof.name.clone(), |ctx| {
            let (mut moved, mut existing) = (0, 0);
            for f in &oneof.fields {
                if original_by_tag.remove(&f.tag).is_some() {
                    moved += 1;
                } else if original_oneof_tags.contains(&f.tag) {
                    existing += 1;
                }
            }
            if moved > 1 {
                ctx.add(Kind::MultipleFieldsMovedToOneof);
            } else if moved == 1 && existing > 0 {
                ctx.add(Kind::FieldMovedToExistingOneof);
            }
        });
    }

    for name in union_order(&original_oneofs, &update_oneofs) {
        ctx.in_path(name.clone(), |ctx| {
            match (original_oneofs.get(&name), update_oneofs.get(&name)) {
                (Some(_), None) => ctx.add(Kind::OneofRemoved),
                (None, Some(_)) => ctx.add(Kind::OneofAdded),
                (Some(a), Some(b)) => compare_oneofs(ctx, a, b),
                (None, None) => {}
            }
        });
    }

    for tag in union_order(&original_by_tag, &update_by_tag) {
        if !ctx.world.tick() {
            return;
        }
        ctx.in_path(tag.to_string(), |ctx| {
            match (original_by_tag.get(&tag), update_by_tag.get(&tag)) {
                (Some(o), None) => ctx.add(if o.label == Some(Label::Required) {
                    Kind::RequiredFieldRemoved
                } else {
                    Kind::FieldRemoved
                }),
                (None, Some(u)) => ctx.add(if u.label == Some(Label::Required) {
                    Kind::RequiredFieldAdded
                } else {
                    Kind::FieldAdded
                }),
                (Some(o), Some(u)) => compare_fields(ctx, o, u),
                (None, None) => {}
            }
        });
    }
}

/// `OneOfDiff.compare`: the oneof's fields by tag.
fn compare_oneofs(ctx: &mut Ctx<'_, '_>, original: &OneOf, update: &OneOf) {
    let (o, u) = (
        fields_by_tag(&original.fields),
        fields_by_tag(&update.fields),
    );
    for tag in union_order(&o, &u) {
        if !ctx.world.tick() {
            return;
        }
        ctx.in_path(tag.to_string(), |ctx| match (o.get(&tag), u.get(&tag)) {
            (Some(_), None) => ctx.add(Kind::OneofFieldRemoved),
            (None, Some(_)) => ctx.add(Kind::OneofFieldAdded),
            (Some(a), Some(b)) => compare_fields(ctx, a, b),
            (None, None) => {}
        });
    }
}

/// Wire's `ProtoType` as the diff uses it (`ProtoType.get(String)`).
#[derive(Clone, Debug)]
enum PType {
    Scalar(String),
    Map(Box<PType>, Box<PType>, String),
    Named(String),
}

const SCALARS: &[&str] = &[
    "bool", "bytes", "double", "float", "fixed32", "fixed64", "int32", "int64", "sfixed32",
    "sfixed64", "sint32", "sint64", "string", "uint32", "uint64",
];

impl PType {
    /// `ProtoType.get(name)`, with its failures as Java's exception text.
    fn get(name: &str, depth: usize) -> Result<PType, String> {
        if SCALARS.contains(&name) {
            return Ok(PType::Scalar(name.to_string()));
        }
        if name.is_empty() || name.contains('#') {
            return Err(format!(
                "java.lang.IllegalArgumentException: unexpected name: {name}"
            ));
        }
        if name.starts_with("map<") && name.ends_with('>') {
            if depth > 4 {
                return Err(format!(
                    "java.lang.IllegalArgumentException: unexpected name: {name}"
                ));
            }
            let Some(comma) = name.find(',') else {
                return Err(format!(
                    "java.lang.IllegalArgumentException: expected ',' in map type: {name}"
                ));
            };
            let (key_text, value_text) =
                match (name.get(4..comma), name.get(comma + 1..name.len() - 1)) {
                    (Some(k), Some(v)) => (k.trim(), v.trim()),
                    _ => {
                        return Err(format!(
                            "java.lang.IllegalArgumentException: unexpected name: {name}"
                        ))
                    }
                };
            let key = PType::get(key_text, depth + 1)?;
            let value = PType::get(value_text, depth + 1)?;
            let key_ok = matches!(&key, PType::Scalar(k) if !matches!(k.as_str(), "bytes" | "double" | "float"));
            if !key_ok {
                return Err(format!(
                    "java.lang.IllegalArgumentException: map key must be non-byte, non-floating \
                     point scalar: {}",
                    key.text()
                ));
            }
            return Ok(PType::Map(Box::new(key), Box::new(value), name.to_string()));
        }
        Ok(PType::Named(name.to_string()))
    }

    fn text(&self) -> &str {
        match self {
            PType::Scalar(s) | PType::Named(s) | PType::Map(_, _, s) => s,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldKind {
    Scalar,
    Map,
    Message,
}

/// The scalar groups of `FieldSchemaDiff.ScalarKind` (what the wire format keeps compatible).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ScalarKind {
    GeneralNumber,
    SignedNumber,
    StringOrBytes,
    Fixed32,
    Fixed64,
    Float,
    Double,
}

/// `FieldSchemaDiff.compare`.
fn compare_fields(ctx: &mut Ctx<'_, '_>, original: &Field, update: &Field) {
    if original.name != update.name {
        ctx.add(Kind::FieldNameChanged);
    }
    let types = PType::get(&original.ty, 0).and_then(|o| Ok((o, PType::get(&update.ty, 0)?)));
    match types {
        Ok((o, u)) => compare_labels_and_types(ctx, original.label, update.label, o, u),
        Err(e) => ctx.world.fail(e),
    }
}

/// `FieldSchemaDiff.compareLabelsAndTypes`.
fn compare_labels_and_types(
    ctx: &mut Ctx<'_, '_>,
    original_label: Option<Label>,
    update_label: Option<Label>,
    original: PType,
    update: PType,
) {
    let Some(original) = as_map_type(ctx, original, true) else {
        return;
    };
    let Some(update) = as_map_type(ctx, update, false) else {
        return;
    };
    let ok = kind(ctx, &original, true);
    let uk = kind(ctx, &update, false);
    if ok != uk {
        ctx.add(Kind::FieldKindChanged);
        return;
    }
    match ok {
        FieldKind::Scalar => {
            compare_scalar_types(ctx, original_label, update_label, &original, &update)
        }
        FieldKind::Message => compare_message_types(ctx, &original, &update),
        FieldKind::Map => {
            if let (PType::Map(ok, ov, _), PType::Map(uk, uv, _)) = (original, update) {
                compare_labels_and_types(ctx, None, None, *ok, *uk);
                compare_labels_and_types(ctx, None, None, *ov, *uv);
            }
        }
    }
}

/// A named type that is a map entry message stands for its `map<K, V>`; None after a failure.
fn as_map_type(ctx: &Ctx<'_, '_>, t: PType, is_original: bool) -> Option<PType> {
    match ctx
        .get_type(t.text(), is_original)
        .and_then(|i| i.map.clone())
    {
        None => Some(t),
        Some(Ok(text)) => match PType::get(&text, 0) {
            Ok(m) => Some(m),
            Err(e) => {
                ctx.world.fail(e);
                None
            }
        },
        Some(Err(e)) => {
            ctx.world.fail(e);
            None
        }
    }
}

/// `FieldSchemaDiff.kind`: enums count as scalars.
fn kind(ctx: &Ctx<'_, '_>, t: &PType, is_original: bool) -> FieldKind {
    match t {
        PType::Scalar(_) => FieldKind::Scalar,
        PType::Map(..) => FieldKind::Map,
        PType::Named(n) => match ctx.get_type(n, is_original).map(|i| i.ty) {
            Some(TypeRef::Enum) => FieldKind::Scalar,
            _ => FieldKind::Message,
        },
    }
}

/// `FieldSchemaDiff.scalarKind`: an enum is a general number.
fn scalar_kind(ctx: &Ctx<'_, '_>, t: &PType, is_original: bool) -> Option<ScalarKind> {
    if let Some(TypeRef::Enum) = ctx.get_type(t.text(), is_original).map(|i| i.ty) {
        return Some(ScalarKind::GeneralNumber);
    }
    Some(match t.text() {
        "int32" | "int64" | "uint32" | "uint64" | "bool" => ScalarKind::GeneralNumber,
        "sint32" | "sint64" => ScalarKind::SignedNumber,
        "string" | "bytes" => ScalarKind::StringOrBytes,
        "fixed32" | "sfixed32" => ScalarKind::Fixed32,
        "fixed64" | "sfixed64" => ScalarKind::Fixed64,
        "float" => ScalarKind::Float,
        "double" => ScalarKind::Double,
        other => {
            ctx.world.fail(format!(
                "java.lang.IllegalArgumentException: Unknown type {other}"
            ));
            return None;
        }
    })
}

/// `FieldSchemaDiff.compareScalarTypes`: the group must match; a label change (both written)
/// matters for numbers and is noted for strings and bytes.
fn compare_scalar_types(
    ctx: &mut Ctx<'_, '_>,
    original_label: Option<Label>,
    update_label: Option<Label>,
    original: &PType,
    update: &PType,
) {
    let (Some(ok), Some(uk)) = (
        scalar_kind(ctx, original, true),
        scalar_kind(ctx, update, false),
    ) else {
        return;
    };
    if ok != uk {
        ctx.add(Kind::FieldScalarKindChanged);
        return;
    }
    if let (Some(a), Some(b)) = (original_label, update_label) {
        if a != b {
            match ok {
                ScalarKind::StringOrBytes => ctx.add(Kind::FieldStringOrBytesLabelChanged),
                _ => ctx.add(Kind::FieldNumericLabelChanged),
            }
        }
    }
}

/// The name without its type's package (`originalLocalName`/`updateLocalName`).
fn local_name<'n>(full: &'n str, package: &str) -> &'n str {
    full.strip_prefix(package)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or(full)
}

/// `FieldSchemaDiff.compareMessageTypes`: the named types must have the same name without
/// their packages; when they come from different places (not both this schema, not the same
/// reference) the messages are compared in a sub-context whose differences are kept, and an
/// incompatible one makes the field's type incompatible too.
fn compare_message_types(ctx: &mut Ctx<'_, '_>, original: &PType, update: &PType) {
    let (Some(of), Some(uf)) = (
        ctx.resolve(original.text(), true),
        ctx.resolve(update.text(), false),
    ) else {
        if original.text() != update.text() {
            ctx.add(Kind::FieldNamedTypeChanged);
        }
        return;
    };
    let (Some(ot), Some(ut)) = (ctx.get_type(&of, true), ctx.get_type(&uf, false)) else {
        // Unreachable in Java (the full name resolves at least to itself).
        return;
    };
    let ol = local_name(&of, &ot.package);
    let ul = local_name(&uf, &ut.package);
    if ol != ul {
        ctx.add(Kind::FieldNamedTypeChanged);
        return;
    }
    if ot.origin.same_as(&ut.origin) {
        return;
    }
    let (TypeRef::Message(om), TypeRef::Message(um)) = (ot.ty, ut.ty) else {
        ctx.world.fail(
            "java.lang.ClassCastException: an enum element is not a message element".to_string(),
        );
        return;
    };
    if ctx.depth >= MAX_DEPTH {
        ctx.world.fail(format!(
            "referenced messages nest deeper than {MAX_DEPTH} levels"
        ));
        return;
    }
    let mut sub = ctx.subcontext();
    sub.set_package(&ot.package, true);
    sub.set_package(&ut.package, false);
    sub.set_full_name(ol);
    compare_messages(&mut sub, om, um);
    let compatible = sub.is_compatible();
    ctx.diffs.append(&mut sub.diffs);
    if !compatible {
        ctx.add(Kind::FieldNamedTypeChanged);
    }
}

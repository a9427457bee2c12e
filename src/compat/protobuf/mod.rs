//! Protobuf compatibility, following Confluent Schema Registry 7.9's `protobuf-provider` `diff`
//! package (`SchemaDiff`, `MessageSchemaDiff`, `OneOfDiff`, `EnumSchemaDiff`,
//! `FieldSchemaDiff`, `Context`, `Difference`) on the element model of
//! `schema::protobuf::model` (Wire's `ProtoFileElement`, which Confluent diffs).
//!
//! `ProtobufSchema.isBackwardCompatible(previous)` runs `SchemaDiff.compare(original =
//! previous, update = this)` and reports each difference outside `COMPATIBLE_CHANGES` as its
//! `toString()`; `SchemaValidatorBuilder` fills the two `%s` of each with "new"/"old". Here the
//! original is the writer and the update the reader, as in `compat::json`.
//!
//! Type resolution (`context`): each side sees the types of its referenced schemas, of every
//! file Confluent bundles (`dependenciesWithLogicalTypes`: google/protobuf, google/type and
//! confluent files, imported or not), and its own, by full name. A field whose named type comes
//! from somewhere other than the schema itself on either side is compared message against
//! message, unless both sides take it from the same reference (Confluent: same subject and
//! version; here: same import name and same text, which gives the same answer).
//!
//! Behaviour reproduced on purpose: names and tags are visited in Java `HashMap`/`HashSet`
//! order (`javahash`), so the messages come out in Confluent's order; every difference found in
//! a referenced message is kept (with its path from that message), followed by
//! `FIELD_NAMED_TYPE_CHANGED` at the field when one is incompatible.
//!
//! Limits (where Java would throw or run away): more than 128 nested comparisons of referenced
//! messages, or more than 2,000,000 field comparisons, give one
//! `Unexpected exception during compatibility check: …` message, as do the inputs Wire or the
//! diff would throw on (a malformed map type, a map entry without key or value). The module
//! is pure: no I/O, bounded recursion, no panics on any input.

mod context;
mod diff;
mod difference;
mod javahash;

#[cfg(test)]
mod cases;
#[cfg(test)]
mod tests;

use crate::schema::protobuf::model::ProtoFile;
use crate::schema::Dependency;
use context::{Ctx, Origin, Side, TypeInfo, World};
use std::collections::HashMap;
use std::sync::OnceLock;

/// How a failure of the check itself is reported (as the Avro and JSON checkers do).
const EXCEPTION_PREFIX: &str = "Unexpected exception during compatibility check: ";

/// The files `ProtobufSchema.KNOWN_DEPENDENCIES` holds (7.9): every schema sees their types.
const KNOWN_DEPENDENCIES: &[&str] = &[
    "confluent/meta.proto",
    "confluent/type/decimal.proto",
    "google/type/calendar_period.proto",
    "google/type/color.proto",
    "google/type/date.proto",
    "google/type/datetime.proto",
    "google/type/dayofweek.proto",
    "google/type/decimal.proto",
    "google/type/expr.proto",
    "google/type/fraction.proto",
    "google/type/interval.proto",
    "google/type/latlng.proto",
    "google/type/money.proto",
    "google/type/month.proto",
    "google/type/phone_number.proto",
    "google/type/postal_address.proto",
    "google/type/quaternion.proto",
    "google/type/timeofday.proto",
    "google/protobuf/any.proto",
    "google/protobuf/api.proto",
    "google/protobuf/descriptor.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/empty.proto",
    "google/protobuf/field_mask.proto",
    "google/protobuf/source_context.proto",
    "google/protobuf/struct.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/type.proto",
    "google/protobuf/wrappers.proto",
];

/// A bundled file by import name.
/// A file Confluent resolves without a reference (`google/protobuf`, `google/type`, `confluent`).
fn bundled(name: &str) -> Option<ProtoFile> {
    crate::schema::protobuf::bundled::file(name)
}

/// The bundled files, parsed once.
fn known_dependencies() -> &'static [(&'static str, ProtoFile)] {
    static KNOWN: OnceLock<Vec<(&'static str, ProtoFile)>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        KNOWN_DEPENDENCIES
            .iter()
            .filter_map(|n| bundled(n).map(|f| (*n, f)))
            .collect()
    })
}

/// A referenced schema, read.
#[derive(Debug)]
struct Dep {
    name: String,
    text: String,
    file: ProtoFile,
}

#[derive(Debug)]
struct Loaded {
    main: ProtoFile,
    deps: Vec<Dep>,
}

/// A Protobuf schema read once (with the schemas it references), to be compared with any
/// number of others; a read error is kept and reported by each comparison.
#[derive(Debug)]
pub struct PreparedProto {
    loaded: Result<Loaded, String>,
}

/// Reads `text` (`.proto` text or a base64 descriptor) and its references (by import name,
/// transitive ones included, flat) for `compare`.
pub fn prepare(text: &str, refs: &[Dependency]) -> PreparedProto {
    let read = |t: &str| crate::schema::protobuf::read(t).map_err(|e| e.0);
    let loaded = read(text).and_then(|main| {
        let deps = refs
            .iter()
            .map(|d| {
                read(&d.schema).map(|file| Dep {
                    name: d.name.clone(),
                    text: d.schema.clone(),
                    file,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Loaded { main, deps })
    });
    PreparedProto { loaded }
}

/// The files one side sees, in `Context.collectTypeInfo`'s order: the dependencies map
/// (references, then the bundled files not referenced) in Java `HashMap` order, then the
/// schema itself.
fn files_of(l: &Loaded) -> Vec<(Origin<'_>, &ProtoFile)> {
    let mut deps: javahash::JavaMap<String, (Origin<'_>, &ProtoFile)> = javahash::JavaMap::new();
    for d in &l.deps {
        deps.put(
            d.name.clone(),
            (
                Origin::Ref {
                    name: &d.name,
                    text: &d.text,
                },
                &d.file,
            ),
        );
    }
    let known = known_dependencies();
    let more: Vec<String> = known.iter().map(|(n, _)| n.to_string()).collect();
    let order = deps.copy_then_put(&more);
    let mut files = Vec::new();
    for name in order {
        if let Some(f) = deps.get(&name) {
            files.push(*f);
        } else if let Some((_, f)) = known.iter().find(|(n, _)| *n == name) {
            files.push((Origin::Bundled, f));
        }
    }
    files.push((Origin::Local, &l.main));
    files
}

/// The types of the bundled files, collected once per process (no two of them define the
/// same full name, so their relative order does not matter).
fn bundled_types() -> &'static HashMap<String, TypeInfo<'static>> {
    static TYPES: OnceLock<HashMap<String, TypeInfo<'static>>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let files: Vec<(Origin<'static>, &'static ProtoFile)> = known_dependencies()
            .iter()
            .map(|(_, f)| (Origin::Bundled, f))
            .collect();
        context::collect(&files).types
    })
}

/// The types one side sees: its references and its own types over the bundled ones collected
/// once (`bundled_types`). That is what collecting every file in `files_of` order gives unless
/// a reference stands in for a bundled file (same import name) or defines a type a bundled
/// file also defines (then which one wins depends on the map order): those sides are
/// collected in full.
fn side_of(l: &Loaded) -> Side<'_> {
    let base = bundled_types();
    let shadows_bundled = l
        .deps
        .iter()
        .any(|d| KNOWN_DEPENDENCIES.contains(&d.name.as_str()));
    if !shadows_bundled {
        let own: Vec<(Origin<'_>, &ProtoFile)> = files_of(l)
            .into_iter()
            .filter(|(o, _)| *o != Origin::Bundled)
            .collect();
        let side = context::collect_over(Some(base), &own);
        let clash = side
            .types
            .iter()
            .any(|(k, t)| matches!(t.origin, Origin::Ref { .. }) && base.contains_key(k));
        if !clash {
            return side;
        }
    }
    context::collect(&files_of(l))
}

/// Confluent's messages for the change from `writer` (original) to `reader` (update), as
/// `ProtobufSchema.isBackwardCompatible(previous)` and `SchemaValidatorBuilder` produce them;
/// empty = compatible. `reader_is_new`: true for BACKWARD (the reader is the new schema:
/// "new schema ... old schema"), false for FORWARD (the words are swapped).
pub fn compare(reader: &PreparedProto, writer: &PreparedProto, reader_is_new: bool) -> Vec<String> {
    let (first, second) = if reader_is_new {
        ("new", "old")
    } else {
        ("old", "new")
    };
    match differences(reader, writer) {
        Ok(diffs) => diffs
            .iter()
            .filter(|d| !d.kind.is_compatible())
            .map(|d| d.render(first, second))
            .collect(),
        Err(e) => vec![format!("{EXCEPTION_PREFIX}{e}")],
    }
}

/// `SchemaDiff.compare(original = writer, update = reader)`: every difference, compatible or
/// not, in Confluent's order.
fn differences(
    reader: &PreparedProto,
    writer: &PreparedProto,
) -> Result<Vec<difference::Difference>, String> {
    let update = reader.loaded.as_ref().map_err(String::clone)?;
    let original = writer.loaded.as_ref().map_err(String::clone)?;
    let world = World::new(side_of(original), side_of(update));
    let mut ctx = Ctx::new(&world);
    diff::compare_files(&mut ctx, &original.main, &update.main);
    if let Some(e) = world.error.borrow_mut().take() {
        return Err(e);
    }
    Ok(ctx.diffs)
}

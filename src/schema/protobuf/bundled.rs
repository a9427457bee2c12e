//! The files every schema may import without a reference: Confluent's `KNOWN_DEPENDENCIES`
//! (`ProtobufSchema.java`, 7.9): `confluent/meta.proto`, `confluent/type/decimal.proto`, sixteen
//! `google/type/*.proto` files and the eleven `google/protobuf/*.proto` well-known types.
//!
//! Confluent builds their models from the compiled descriptors (`toProtoFile(XProto.getDescriptor()
//! .toProto())`), so do we: the `google/protobuf` descriptors come built into prost-reflect, the
//! `google/type` files (vendored from googleapis, Apache-2.0, see `bundled/LICENSE-NOTE.md`) and
//! our own `confluent` files are compiled once with protox, and each descriptor goes through the
//! descriptor → model conversion of `descriptor.rs` (not the text parser).

use super::descriptor::to_proto_file;
use super::descriptor_wire::FileMetas;
use super::model::ProtoFile;
use prost_types::FileDescriptorProto;
use std::collections::HashMap;
use std::sync::OnceLock;

/// `google/protobuf` files, from prost-reflect's built-in pool.
const WELL_KNOWN: [&str; 11] = [
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

/// Vendored sources, compiled with protox.
const SOURCES: [(&str, &str); 18] = [
    (
        "confluent/meta.proto",
        include_str!("bundled/confluent/meta.proto"),
    ),
    (
        "confluent/type/decimal.proto",
        include_str!("bundled/confluent/type/decimal.proto"),
    ),
    (
        "google/type/calendar_period.proto",
        include_str!("bundled/google/type/calendar_period.proto"),
    ),
    (
        "google/type/color.proto",
        include_str!("bundled/google/type/color.proto"),
    ),
    (
        "google/type/date.proto",
        include_str!("bundled/google/type/date.proto"),
    ),
    (
        "google/type/datetime.proto",
        include_str!("bundled/google/type/datetime.proto"),
    ),
    (
        "google/type/dayofweek.proto",
        include_str!("bundled/google/type/dayofweek.proto"),
    ),
    (
        "google/type/decimal.proto",
        include_str!("bundled/google/type/decimal.proto"),
    ),
    (
        "google/type/expr.proto",
        include_str!("bundled/google/type/expr.proto"),
    ),
    (
        "google/type/fraction.proto",
        include_str!("bundled/google/type/fraction.proto"),
    ),
    (
        "google/type/interval.proto",
        include_str!("bundled/google/type/interval.proto"),
    ),
    (
        "google/type/latlng.proto",
        include_str!("bundled/google/type/latlng.proto"),
    ),
    (
        "google/type/money.proto",
        include_str!("bundled/google/type/money.proto"),
    ),
    (
        "google/type/month.proto",
        include_str!("bundled/google/type/month.proto"),
    ),
    (
        "google/type/phone_number.proto",
        include_str!("bundled/google/type/phone_number.proto"),
    ),
    (
        "google/type/postal_address.proto",
        include_str!("bundled/google/type/postal_address.proto"),
    ),
    (
        "google/type/quaternion.proto",
        include_str!("bundled/google/type/quaternion.proto"),
    ),
    (
        "google/type/timeofday.proto",
        include_str!("bundled/google/type/timeofday.proto"),
    ),
];

/// Whether Confluent resolves `name` without a reference.
pub fn is_bundled(name: &str) -> bool {
    names().any(|n| n == name)
}

/// The import names of the bundled files.
pub fn names() -> impl Iterator<Item = &'static str> {
    SOURCES
        .iter()
        .map(|(n, _)| *n)
        .chain(WELL_KNOWN.iter().copied())
}

/// The `FileDescriptorProto`s of every bundled file, by name.
pub fn descriptors() -> &'static HashMap<&'static str, FileDescriptorProto> {
    static DESCRIPTORS: OnceLock<HashMap<&'static str, FileDescriptorProto>> = OnceLock::new();
    DESCRIPTORS.get_or_init(build_descriptors)
}

/// The model of a bundled file.
pub fn file(name: &str) -> Option<ProtoFile> {
    models().get(name).cloned()
}

/// The models of every bundled file, by name.
pub fn models() -> &'static HashMap<&'static str, ProtoFile> {
    static MODELS: OnceLock<HashMap<&'static str, ProtoFile>> = OnceLock::new();
    MODELS.get_or_init(|| {
        descriptors()
            .iter()
            .filter_map(|(name, d)| {
                to_proto_file(d, &FileMetas::default())
                    .ok()
                    .map(|f| (*name, f))
            })
            .collect()
    })
}

/// Resolves the vendored sources, falling back to protox's built-in `google/protobuf` files.
struct Vendored;

impl protox::file::FileResolver for Vendored {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        match SOURCES.iter().find(|(n, _)| *n == name) {
            Some((n, src)) => protox::file::File::from_source(n, src),
            None => protox::file::GoogleFileResolver::new().open_file(name),
        }
    }
}

fn build_descriptors() -> HashMap<&'static str, FileDescriptorProto> {
    let mut out = HashMap::new();
    let pool = prost_reflect::DescriptorPool::global();
    for name in WELL_KNOWN {
        if let Some(f) = pool.get_file_by_name(name) {
            out.insert(name, f.file_descriptor_proto().clone());
        }
    }
    let mut compiler = protox::Compiler::with_file_resolver(Vendored);
    compiler.include_imports(true);
    for (name, _) in SOURCES {
        // The vendored files compile (a unit test checks it); a failure leaves the file out.
        if compiler.open_file(name).is_err() {
            continue;
        }
    }
    for f in compiler.file_descriptor_set().file {
        if let Some((name, _)) = SOURCES.iter().find(|(n, _)| Some(*n) == f.name.as_deref()) {
            out.insert(*name, f);
        }
    }
    out
}

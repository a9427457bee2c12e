//! Protobuf as Confluent serves it (`ProtobufSchema`, `ProtobufSchemaUtils`, 7.9): a schema is
//! `.proto` text or a base64-encoded `FileDescriptorProto`; either is read into the element tree
//! of `model.rs` (Wire's `ProtoFileElement`, Confluent's raw schema), printed by Confluent's
//! printer for the canonical and `normalize=true` texts, and validated by building descriptors
//! with its imports (references by import name, and the files Confluent bundles).
//!
//! - `parse.rs`: `.proto` text → model (Wire's grammar and its errors);
//! - `descriptor.rs`: base64 `FileDescriptorProto` ↔ model (Confluent's `toProtoFile` and
//!   `format=serialized`);
//! - `print.rs`: model → Confluent's text, plain and normalized;
//! - `validate.rs`: descriptor building with `protox` (types resolve, numbers are legal);
//! - `bundled.rs`: the `google/protobuf`, `google/type` and `confluent` files every schema may
//!   import without a reference.

pub mod bundled;
pub mod descriptor;
pub mod descriptor_options;
#[cfg(test)]
mod descriptor_tests;
pub mod descriptor_wire;
mod format;
pub mod lexer;
pub mod model;
pub mod parse;
pub mod parse_options;
pub mod print;
pub mod print_options;
mod tags;
#[cfg(test)]
mod tests;
pub mod to_descriptor;
pub mod validate;
#[cfg(test)]
mod validate_tests;

pub use format::Protobuf;

use super::{Dependency, SchemaError};
use model::ProtoFile;

/// Reads a schema as Confluent does: `.proto` text, or else a base64 `FileDescriptorProto`.
pub fn read(text: &str) -> Result<ProtoFile, SchemaError> {
    match parse::parse_text(text) {
        Ok(file) => Ok(file),
        Err(text_error) => descriptor::from_base64(text).map_err(|_| text_error),
    }
}

/// Reads each dependency (an import's file) into the model, keyed by its import name.
pub fn read_dependencies(refs: &[Dependency]) -> Result<Vec<(String, ProtoFile)>, SchemaError> {
    refs.iter()
        .map(|d| read(&d.schema).map(|f| (d.name.clone(), f)))
        .collect()
}

//! Base64 `FileDescriptorProto` ↔ the model.

use super::model::ProtoFile;
use crate::schema::SchemaError;

/// A base64 `FileDescriptorProto` (what the Python and Java clients send) → the model.
pub fn from_base64(_text: &str) -> Result<ProtoFile, SchemaError> {
    Err(SchemaError("not yet".into()))
}

//! `.proto` text → the model, as Wire's `ProtoParser` reads it.

use super::model::ProtoFile;
use crate::schema::SchemaError;

/// Parses `.proto` text.
pub fn parse_text(_text: &str) -> Result<ProtoFile, SchemaError> {
    Err(SchemaError("not yet".into()))
}

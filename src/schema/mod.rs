//! Schema parsing and canonical text, dispatched by schema type. Pure: no I/O.

pub mod avro;

use crate::model::SchemaType;

/// The result of parsing a schema.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The text Confluent stores for this schema.
    pub canonical: String,
    /// The `normalize=true` text.
    pub normalized: String,
}

/// Why a schema is invalid: the text after `details: ` in Confluent's 42201 message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct SchemaError(pub String);

/// Parses a schema. `strict` for new input from clients, lenient for stored schemas
/// (so that schemas accepted by older or laxer registries keep loading).
pub fn parse(
    schema_type: SchemaType,
    schema: &str,
    references: &[&str],
    strict: bool,
) -> Result<Parsed, SchemaError> {
    match schema_type {
        SchemaType::Avro => avro::parse(schema, references, strict)
            .map(|p| Parsed {
                canonical: p.canonical,
                normalized: p.normalized,
            })
            .map_err(|e| SchemaError(e.to_string())),
        other => Err(SchemaError(format!(
            "schema type {} is not supported by this registry yet",
            other.as_str()
        ))),
    }
}

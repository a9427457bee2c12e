//! Avro schema parsing, validation and canonical text, as Confluent Schema Registry 7.9 does it.
//!
//! Confluent parses Avro schemas with Apache Avro 1.11's Java `Schema.Parser` and stores
//! `Schema.toString()` of the result; `normalize=true` stores the `toString()` of the schema
//! re-parsed from the text `AvroSchemaUtils.toNormalizedString()` produces. This module
//! reimplements that behaviour (structure checks, error texts, name resolution, default
//! validation, Jackson's JSON reading and writing) without any Java code.
//!
//! Notes on Confluent's use of the `strict` flag (Java's `validateDefaults`): Confluent 7.9 with
//! its default configuration validates field defaults only when the schema is new *and*
//! `normalize=true` was requested (or `avro.validate.defaults=true` is configured). Names are
//! always validated, whatever the flag.

pub(crate) mod model;
mod normalize;
mod parse;
mod print;
mod tags;

#[cfg(test)]
mod tests;

use crate::json::JsonError;
use normalize::normalize;
use parse::Ctx;

/// Maximum nesting of schemas (record → field type → …, array items, map values, union branches).
pub const MAX_DEPTH: usize = 64;
/// Maximum nesting while writing schemas back to text (names printed in full in error messages
/// can nest deeper than the parse did).
pub(crate) const MAX_PRINT_DEPTH: usize = MAX_DEPTH * 8;

/// Result of parsing one Avro schema (plus the schemas it references).
#[derive(Debug, Clone)]
pub struct ParsedAvro {
    /// Java `Schema.toString()` text: what Confluent stores and returns for this schema.
    pub canonical: String,
    /// Confluent's `normalize=true` text of the same schema.
    pub normalized: String,
    /// Full names of the named types this schema defines (not those of its references).
    pub defined_names: Vec<String>,
}

/// The error's Display is exactly the text Confluent puts after `details: ` in its 42201 message,
/// e.g. `Record has no fields: {"type":"record","name":"X"}`, `Schema not yet supported: 42`,
/// `Invalid default for field f: "1" not a "int"`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct AvroError(pub String);

impl From<JsonError> for AvroError {
    fn from(e: JsonError) -> Self {
        AvroError(e.0)
    }
}

pub(crate) fn fail<T>(msg: impl Into<String>) -> Result<T, AvroError> {
    Err(AvroError(msg.into()))
}

/// `schema`: the schema text as the client sent it. `references`: the texts of the referenced schemas,
/// already in dependency order (a schema appears after the ones it references); their named types are
/// known to the parse of `schema` (Confluent parses them first into the same Avro `Schema.Parser`).
/// `strict`: true for new schemas submitted by clients (Confluent validates defaults and names);
/// false for schemas re-read from storage (must accept old lax schemas: no default validation, lenient names).
///
/// `strict` switches Java's `validateDefaults`. Name validation is on in both modes, as in
/// Confluent (its `Schema.Parser` always validates names). If only the normalized form fails
/// (a few Confluent quirks, see `normalize`), a strict parse fails with that error, a lax parse
/// falls back to `normalized == canonical`.
pub fn parse(schema: &str, references: &[&str], strict: bool) -> Result<ParsedAvro, AvroError> {
    let mut ctx = Ctx::new(strict);
    let mut ref_tops: Vec<String> = Vec::new();
    for r in references {
        let sid = ctx.parse_text(r)?;
        if let Some(n) = ctx.node(sid)?.name.as_ref() {
            ref_tops.push(n.full.clone());
        }
    }
    let base = ctx.clone();
    let before = ctx.order.len();
    let main = ctx.parse_text(schema)?;
    let defined_names = ctx.order.get(before..).unwrap_or_default().to_vec();
    let canonical = ctx.to_string_known(main, &ref_tops)?;
    let normalized = match normalize(&ctx, main, &ref_tops, base) {
        Ok(s) => s,
        Err(e) if strict => return Err(e),
        Err(_) => canonical.clone(),
    };
    Ok(ParsedAvro {
        canonical,
        normalized,
        defined_names,
    })
}

/// A parsed Avro schema (with the schemas it references): the model the compatibility checker
/// works on, the same one the canonical and normalized texts are printed from.
#[derive(Debug, Clone)]
pub struct AvroSchema {
    ctx: Ctx,
    root: usize,
}

/// Parses the model of `schema` only (no canonical or normalized text), as stored schemas are
/// read: without default validation. `references` as for `parse`.
pub fn parse_model(schema: &str, references: &[&str]) -> Result<AvroSchema, AvroError> {
    let mut ctx = Ctx::new(false);
    for r in references {
        ctx.parse_text(r)?;
    }
    let root = ctx.parse_text(schema)?;
    Ok(AvroSchema { ctx, root })
}

impl AvroSchema {
    /// The node of the schema itself.
    pub(crate) fn root(&self) -> usize {
        self.root
    }

    /// All nodes (of the schema and of its references), by id.
    pub(crate) fn nodes(&self) -> &[model::Node] {
        &self.ctx.nodes
    }

    /// Java `Schema.toString()` of one node.
    pub(crate) fn to_string_of(&self, id: usize) -> Result<String, AvroError> {
        self.ctx.to_string_fresh(id)
    }
}

/// The texts of the references (Avro finds referenced types by their full names, not by the
/// reference names).
fn texts(references: &[super::Dependency]) -> Vec<&str> {
    references.iter().map(|d| d.schema.as_str()).collect()
}

/// The Avro format: the parser of this module and the checker of `compat::avro`.
pub struct Avro;

impl super::Format for Avro {
    fn schema_type(&self) -> crate::model::SchemaType {
        crate::model::SchemaType::Avro
    }

    fn parse(
        &self,
        schema: &str,
        references: &[super::Dependency],
        strict: bool,
    ) -> Result<super::Parsed, super::SchemaError> {
        parse(schema, &texts(references), strict)
            .map(|p| super::Parsed {
                canonical: p.canonical,
                normalized: p.normalized,
                defined_names: p.defined_names,
            })
            .map_err(|e| super::SchemaError(e.to_string()))
    }

    fn prepare(&self, schema: &str, references: &[super::Dependency]) -> super::Prepared {
        super::Prepared::new(crate::compat::avro::prepare(schema, &texts(references)))
    }

    fn compare(
        &self,
        reader: &super::Prepared,
        writer: &super::Prepared,
        reader_is_new: bool,
        _lenient: bool,
    ) -> Vec<String> {
        use crate::compat::avro::{compare, PreparedAvro};
        match (reader.get::<PreparedAvro>(), writer.get::<PreparedAvro>()) {
            (Some(r), Some(w)) => compare(r, w, reader_is_new),
            _ => vec!["Incompatible because of different schema type".to_string()],
        }
    }

    fn modify_tags(
        &self,
        schema: &str,
        _references: &[super::Dependency],
        edits: &[super::TagEdit],
    ) -> Result<String, super::SchemaError> {
        tags::modify(schema, edits).map_err(super::SchemaError)
    }

    fn inline_tagged_entities(
        &self,
        schema: &str,
        references: &[super::Dependency],
    ) -> Result<Vec<super::TaggedEntity>, super::SchemaError> {
        let model = parse_model(schema, &texts(references))
            .map_err(|e| super::SchemaError(e.to_string()))?;
        Ok(tags::tagged_entities(&model))
    }
}

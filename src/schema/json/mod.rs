//! JSON Schema as Confluent serves it: the document read as Confluent's Jackson mapper reads it,
//! its canonical text (Jackson's compact re-serialization) and `normalize=true` text (keys sorted),
//! and the validation Confluent runs before registering (`validate`).
//!
//! Confluent (`JsonSchema`, `JsonSchemaProvider`, 7.9) works in two steps, and so do we:
//! - parsing: the text must be JSON (`Invalid JSON …` otherwise). Jackson reads the first value
//!   and ignores what follows it; floats are exact big decimals (`1.50` stays `1.50`, `1e3`
//!   becomes `1E+3`); duplicate keys keep the last value at the first key's position; `NaN` and
//!   `Infinity` are numbers; no comments.
//! - validation (skipped in IMPORT mode): the document must load as a schema of its draft
//!   (`$schema`: draft-04/-06/-07, 2019-09, 2020-12; draft-07 when absent or unknown), with
//!   every `$ref` resolvable among the document and its references; failures are reported as
//!   `Invalid JSON Schema`. Confluent loads with everit (drafts 4–7) or json-sKema (2019-09 and
//!   later); we check the document against its draft's meta-schema and compile it with the
//!   `jsonschema` crate, whose resolver (`referencing`) sees only the references, never the
//!   network (`validate.rs`).

mod entities;
mod model;
mod tags;
mod validate;

#[cfg(test)]
mod tests;

use super::{Dependency, Parsed, SchemaError};
use crate::json::{java_cmp, Json, JsonReader};

/// Reads a schema document as Confluent's mapper does (see the module doc).
pub(crate) fn read(text: &str) -> Result<Json, SchemaError> {
    let invalid = || SchemaError(format!("Invalid JSON {text}"));
    match JsonReader::for_json_schema(text).root() {
        Ok(Some(v)) => Ok(v),
        Ok(None) | Err(_) => Err(invalid()),
    }
}

/// A document read as Confluent's mapper reads it, as a `serde_json` value (numbers beyond
/// `f64`, and `NaN`/`Infinity`, become `null`): what the compatibility checker loads.
pub(crate) fn value_of(text: &str) -> Result<serde_json::Value, SchemaError> {
    read(text).map(|doc| validate::to_value(&doc))
}

/// The document with every object's keys in Java's `String` order (Confluent's normalization:
/// a `TreeMap` node factory), recursively.
fn sorted(v: &Json) -> Json {
    match v {
        Json::Obj(m) => {
            let mut entries: Vec<(String, Json)> =
                m.iter().map(|(k, x)| (k.clone(), sorted(x))).collect();
            entries.sort_by(|a, b| java_cmp(&a.0, &b.0));
            Json::Obj(entries)
        }
        Json::Arr(a) => Json::Arr(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Parses a JSON Schema: canonical and normalized text. Validation is `validate`'s.
pub fn parse(text: &str) -> Result<Parsed, SchemaError> {
    let doc = read(text)?;
    Ok(Parsed {
        canonical: doc.to_json_string(),
        normalized: sorted(&doc).to_json_string(),
        defined_names: Vec::new(),
    })
}

/// The JSON Schema format: the reader and validation of this module and the checker of
/// `compat::json`.
pub struct JsonSchema;

impl super::Format for JsonSchema {
    fn schema_type(&self) -> crate::model::SchemaType {
        crate::model::SchemaType::Json
    }

    fn parse(
        &self,
        schema: &str,
        _references: &[Dependency],
        _strict: bool,
    ) -> Result<Parsed, SchemaError> {
        parse(schema)
    }

    fn validate(
        &self,
        schema: &str,
        references: &[Dependency],
        validate_fields: bool,
    ) -> Result<(), SchemaError> {
        let doc = read(schema)?;
        validate::validate(&doc, references)?;
        if validate_fields {
            validate::field_names(&doc)?;
        }
        Ok(())
    }

    fn prepare(&self, schema: &str, references: &[Dependency]) -> super::Prepared {
        super::Prepared::new(crate::compat::json::prepare(schema, references))
    }

    fn compare(
        &self,
        reader: &super::Prepared,
        writer: &super::Prepared,
        reader_is_new: bool,
        lenient: bool,
    ) -> Vec<String> {
        use crate::compat::json::{compare, PreparedJson};
        match (reader.get::<PreparedJson>(), writer.get::<PreparedJson>()) {
            (Some(r), Some(w)) => compare(r, w, reader_is_new, lenient),
            _ => vec!["Incompatible because of different schema type".to_string()],
        }
    }

    fn modify_tags(
        &self,
        schema: &str,
        _references: &[Dependency],
        edits: &[super::TagEdit],
    ) -> Result<String, SchemaError> {
        tags::modify(schema, edits).map_err(SchemaError)
    }

    fn inline_tagged_entities(
        &self,
        schema: &str,
        _references: &[Dependency],
    ) -> Result<Vec<super::TaggedEntity>, SchemaError> {
        Ok(entities::tagged_entities(&read(schema)?))
    }
}

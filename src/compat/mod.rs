//! Compatibility levels: direction x scope over a single "can reader read writer" question
//! asked of the schema type's checker. Pure: no I/O.

pub mod avro;

use crate::model::{Level, SchemaType};

/// A schema with the texts of the schemas it references (dependency order).
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub schema_type: SchemaType,
    pub schema: &'a str,
    pub refs: Vec<String>,
}

/// An earlier version to check against.
#[derive(Debug, Clone)]
pub struct Previous<'a> {
    pub version: Option<i32>,
    pub schema: Candidate<'a>,
}

fn pair(reader: &Candidate<'_>, writer: &Candidate<'_>, reader_is_new: bool) -> Vec<String> {
    if reader.schema_type != writer.schema_type {
        return vec![format!("Incompatible because of different schema type")];
    }
    let rr: Vec<&str> = reader.refs.iter().map(String::as_str).collect();
    let wr: Vec<&str> = writer.refs.iter().map(String::as_str).collect();
    match reader.schema_type {
        SchemaType::Avro => {
            avro::incompatibilities(reader.schema, &rr, writer.schema, &wr, reader_is_new)
        }
        other => vec![format!("Schema type {} is not supported", other.as_str())],
    }
}

/// Checks `new` against `previous` (oldest first) at `level`. Returns Confluent's message
/// list: empty when compatible; otherwise the incompatibilities found against the newest
/// failing version, then `{oldSchemaVersion: N}` and `{oldSchema: '…'}`.
pub fn check(level: Level, new: &Candidate<'_>, previous: &[Previous<'_>]) -> Vec<String> {
    if level == Level::None || previous.is_empty() {
        return vec![];
    }
    let against: Vec<&Previous<'_>> = if level.transitive() {
        previous.iter().rev().collect()
    } else {
        previous.iter().rev().take(1).collect()
    };
    for old in against {
        let mut msgs = Vec::new();
        if level.forward() {
            msgs.extend(pair(&old.schema, new, false));
        }
        if level.backward() {
            msgs.extend(pair(new, &old.schema, true));
        }
        if !msgs.is_empty() {
            if let Some(v) = old.version {
                msgs.push(format!("{{oldSchemaVersion: {v}}}"));
            }
            msgs.push(format!("{{oldSchema: '{}'}}", old.schema.schema));
            return msgs;
        }
    }
    vec![]
}

/// The trailer Confluent appends to the list in answers.
pub fn trailer(validate_fields: bool, level: Level) -> String {
    format!(
        "{{validateFields: '{validate_fields}', compatibility: '{}'}}",
        level.as_str()
    )
}

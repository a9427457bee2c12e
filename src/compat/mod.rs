//! Compatibility levels: direction x scope over a single "can reader read writer" question
//! asked of the schema type's checker, found through the `schema::Format` seam. Pure: no I/O.

pub mod avro;
pub mod json;

use crate::model::{Level, SchemaType};
use crate::schema::{self, Dependency, Prepared};

/// A schema with the schemas it references (dependency order).
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub schema_type: SchemaType,
    pub schema: &'a str,
    pub refs: Vec<Dependency>,
}

/// An earlier version to check against.
#[derive(Debug, Clone)]
pub struct Previous<'a> {
    pub version: Option<i32>,
    pub schema: Candidate<'a>,
}

/// Both directions the level asks for, of `new` against one earlier version. `new_prepared`
/// keeps the new schema parsed for the next versions.
fn against_one(
    level: Level,
    new: &Candidate<'_>,
    new_prepared: &mut Option<Prepared>,
    old: &Candidate<'_>,
) -> Vec<String> {
    let format = if new.schema_type != old.schema_type {
        Err("Incompatible because of different schema type".to_string())
    } else {
        schema::format(new.schema_type)
            .ok_or_else(|| format!("Schema type {} is not supported", new.schema_type.as_str()))
    };
    let mut msgs = Vec::new();
    match format {
        Err(message) => {
            if level.forward() {
                msgs.push(message.clone());
            }
            if level.backward() {
                msgs.push(message);
            }
        }
        Ok(f) => {
            let new_p = new_prepared.get_or_insert_with(|| f.prepare(new.schema, &new.refs));
            let old_p = f.prepare(old.schema, &old.refs);
            if level.forward() {
                msgs.extend(f.compare(&old_p, new_p, false));
            }
            if level.backward() {
                msgs.extend(f.compare(new_p, &old_p, true));
            }
        }
    }
    msgs
}

/// Checks `new` against `previous` (oldest first) at `level`. Returns Confluent's message
/// list: empty when compatible; otherwise the incompatibilities found against the newest
/// failing version, then `{oldSchemaVersion: N}` and `{oldSchema: '…'}`. Each schema is parsed
/// once, however many versions and directions it is checked in.
pub fn check(level: Level, new: &Candidate<'_>, previous: &[Previous<'_>]) -> Vec<String> {
    if level == Level::None || previous.is_empty() {
        return vec![];
    }
    let against: Vec<&Previous<'_>> = if level.transitive() {
        previous.iter().rev().collect()
    } else {
        previous.iter().rev().take(1).collect()
    };
    let mut new_prepared = None;
    for old in against {
        let mut msgs = against_one(level, new, &mut new_prepared, &old.schema);
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

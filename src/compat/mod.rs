//! Compatibility levels: direction x scope over a single "can reader read writer" question
//! asked of the schema type's checker, found through the `schema::Format` seam. Pure: no I/O.

pub mod avro;
pub mod json;
pub mod protobuf;

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

/// What Confluent says when the new schema's type is not the old one's (`SchemaValidatorBuilder`):
/// one message, whatever the level, and no `oldSchema` trailers.
const DIFFERENT_SCHEMA_TYPE: &str = "Incompatible because of different schema type";

/// Longest old schema text quoted in full in the `{oldSchema: …}` trailer (Java chars).
const MAX_SCHEMA_SIZE_FOR_LOGGING: usize = 10 * 1024;

/// The messages of `new` against one earlier version at `level`
/// (`SchemaValidatorBuilder`'s strategies), with their trailers. `new_prepared` keeps the new
/// schema parsed for the next versions.
///
/// - BACKWARD: the new schema's messages as reader, then `{oldSchemaVersion: N}` (when the old
///   one has a version) and `{oldSchema: '…'}`.
/// - FORWARD: the old schema's messages as reader, then the same trailers.
/// - FULL: the FORWARD messages without trailers, then the BACKWARD ones with theirs (so a
///   FULL check that fails only forward has no trailers).
fn against_one(
    level: Level,
    lenient: bool,
    new: &Candidate<'_>,
    new_prepared: &mut Option<Prepared>,
    old: &Previous<'_>,
) -> Vec<String> {
    if new.schema_type != old.schema.schema_type {
        return vec![DIFFERENT_SCHEMA_TYPE.to_string()];
    }
    let Some(f) = schema::format(new.schema_type) else {
        return vec![format!(
            "Schema type {} is not supported",
            new.schema_type.as_str()
        )];
    };
    let new_p = new_prepared.get_or_insert_with(|| f.prepare(new.schema, &new.refs));
    let old_p = f.prepare(old.schema.schema, &old.schema.refs);
    let forward = if level.forward() {
        f.compare(&old_p, new_p, false, lenient)
    } else {
        vec![]
    };
    let backward = if level.backward() {
        f.compare(new_p, &old_p, true, lenient)
    } else {
        vec![]
    };
    let trailers = if level.backward() {
        !backward.is_empty()
    } else {
        !forward.is_empty()
    };
    let mut msgs = forward;
    msgs.extend(backward);
    if trailers {
        if let Some(v) = old.version {
            msgs.push(format!("{{oldSchemaVersion: {v}}}"));
        }
        msgs.push(old_schema_trailer(old.schema.schema));
    }
    msgs
}

/// `{oldSchema: '…'}`, the text cut at 10 KiB (`<truncated>`) as Confluent does.
fn old_schema_trailer(text: &str) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    if units.len() <= MAX_SCHEMA_SIZE_FOR_LOGGING {
        format!("{{oldSchema: '{text}'}}")
    } else {
        let head = String::from_utf16_lossy(&units[..MAX_SCHEMA_SIZE_FOR_LOGGING]);
        format!("{{oldSchema: <truncated> '{head}...'}}")
    }
}

/// Checks `new` against `previous` (oldest first) at `level`. Returns Confluent's message
/// list: empty when compatible; otherwise the messages against the newest failing version
/// (with their trailers, see `against_one`). Each schema is parsed once, however many versions
/// and directions it is checked in.
pub fn check(level: Level, new: &Candidate<'_>, previous: &[Previous<'_>]) -> Vec<String> {
    check_with_policy(level, false, new, previous)
}

/// `check` under a `compatibilityPolicy`: `lenient` for Confluent 8.2's LENIENT.
pub fn check_with_policy(
    level: Level,
    lenient: bool,
    new: &Candidate<'_>,
    previous: &[Previous<'_>],
) -> Vec<String> {
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
        let msgs = against_one(level, lenient, new, &mut new_prepared, old);
        if !msgs.is_empty() {
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

//! Confluent's incompatibility messages, read back into structure and explained in plain
//! words.
//!
//! Why read the messages rather than take a structure from `compat`: with `--url` the
//! registry answers only these strings, so one reader serves the offline and the remote
//! check alike. The strings are ours to read: `compat::{avro,json,protobuf}` render them in
//! Confluent's fixed shapes, `{errorType:'KIND', description:'…', additionalInfo:'…'}`
//! (Avro) and `{errorType:"KIND", description:"…"}` (JSON Schema, Protobuf), followed by the
//! trailers `{oldSchemaVersion: N}`, `{oldSchema: '…'}` and
//! `{validateFields: '…', compatibility: 'LEVEL'}`.
//!
//! The direction of each message (who breaks) is in its description: the reader schema is
//! named first ("… in the new schema … the old schema" is a BACKWARD finding: the new schema
//! reads old data). A message naming neither (Avro's NAME_MISMATCH) takes the level's only
//! direction, or, under FULL, its neighbours' (Confluent lists the FORWARD findings first).

use super::{locate, words};
use crate::model::SchemaType;
use serde_json::{json, Value};

/// Which readers an incompatibility breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The new schema reads data written with the old one (BACKWARD): new readers break.
    Backward,
    /// The old schema reads data written with the new one (FORWARD): old readers break.
    Forward,
}

impl Direction {
    /// Who breaks, in the words of `--format json`'s `breaks`.
    pub fn breaks(self) -> &'static str {
        match self {
            Direction::Backward => "new readers",
            Direction::Forward => "old readers",
        }
    }

    /// The reader's and the writer's schema: ("new", "old") or ("old", "new").
    pub fn labels(self) -> (&'static str, &'static str) {
        match self {
            Direction::Backward => ("new", "old"),
            Direction::Forward => ("old", "new"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Backward => "BACKWARD",
            Direction::Forward => "FORWARD",
        }
    }
}

/// One incompatibility, explained.
#[derive(Clone, Debug)]
pub struct Item {
    /// Confluent's error type, e.g. `READER_FIELD_MISSING_DEFAULT_VALUE`; `ERROR` for a
    /// message without one.
    pub kind: String,
    /// The location as Confluent gives it (`/fields/2`, `#/properties/a`, `#/Order/2`).
    pub path: Option<String>,
    /// The field (or property, or message) it concerns, dotted from the root, when known.
    pub field: Option<String>,
    pub direction: Option<Direction>,
    /// What changed and why it breaks, in plain words.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// Confluent's message, verbatim.
    pub confluent: String,
}

impl Item {
    pub fn breaks(&self) -> &'static str {
        self.direction
            .map_or("old or new readers", Direction::breaks)
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "kind": self.kind,
            "path": self.path,
            "breaks": self.breaks(),
            "direction": self.direction.map(Direction::as_str),
            "message": self.message,
            "fix": self.fix,
            "confluent": self.confluent,
        });
        if let (Some(f), Some(o)) = (&self.field, v.as_object_mut()) {
            o.insert("field".into(), json!(f));
        }
        v
    }
}

/// A list of Confluent messages, read.
#[derive(Clone, Debug, Default)]
pub struct Explained {
    pub items: Vec<Item>,
    /// `{oldSchemaVersion: N}`: the version the check failed against.
    pub old_version: Option<i64>,
    /// `{oldSchema: '…'}` (when not truncated): that version's text.
    pub old_schema: Option<String>,
    /// `{validateFields: …, compatibility: 'LEVEL'}`: the level applied.
    pub level: Option<String>,
}

/// The schemas behind a list of messages, to name fields.
pub struct Context<'a> {
    pub schema_type: SchemaType,
    /// The level, when the caller knows it (offline); else the trailer's.
    pub level: Option<&'a str>,
    pub new_text: &'a str,
    /// The old version's text, when known other than by the trailer.
    pub old_text: Option<&'a str>,
}

/// Reads Confluent's messages and explains each incompatibility.
pub fn explain(messages: &[String], ctx: &Context<'_>) -> Explained {
    let mut out = Explained::default();
    let mut raw = Vec::new();
    for m in messages {
        if let Some(v) = m
            .strip_prefix("{oldSchemaVersion: ")
            .and_then(|r| r.strip_suffix('}'))
        {
            out.old_version = v.trim().parse().ok();
        } else if let Some(rest) = m.strip_prefix("{oldSchema: ") {
            if !rest.starts_with("<truncated>") {
                out.old_schema = rest
                    .strip_prefix('\'')
                    .and_then(|r| r.strip_suffix("'}"))
                    .map(str::to_owned);
            }
        } else if m.starts_with("{validateFields: ") {
            out.level = between(m, "compatibility: '", "'").map(str::to_owned);
        } else {
            raw.push(m.as_str());
        }
    }
    let level = ctx.level.or(out.level.as_deref()).unwrap_or("");
    let parsed: Vec<Raw<'_>> = raw.iter().map(|m| Raw::read(m)).collect();
    let directions = directions(&parsed, level);
    let old_text = ctx.old_text.or(out.old_schema.as_deref());
    out.items = parsed
        .iter()
        .zip(directions)
        .map(|(r, d)| {
            let field = r
                .path
                .and_then(|p| locate::field_of(ctx.schema_type, p, d, ctx.new_text, old_text));
            let (message, fix) = words::explain(ctx.schema_type, r, d, field.as_deref());
            Item {
                kind: r.kind.unwrap_or("ERROR").to_string(),
                path: r.path.map(str::to_owned),
                field,
                direction: d,
                message,
                fix,
                confluent: r.text.to_string(),
            }
        })
        .collect();
    out
}

/// One message, taken apart.
#[derive(Debug)]
pub struct Raw<'a> {
    pub text: &'a str,
    pub kind: Option<&'a str>,
    pub info: Option<&'a str>,
    pub path: Option<&'a str>,
    /// From the description's wording.
    pub direction: Option<Direction>,
}

impl<'a> Raw<'a> {
    pub fn read(text: &'a str) -> Raw<'a> {
        let kind = text.find("errorType:").and_then(|i| {
            let rest = text.get(i + "errorType:".len() + 1..)?;
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            rest.get(..end).filter(|k| !k.is_empty())
        });
        let (description, info) = match text.find("description:") {
            Some(i) => {
                let rest = text.get(i + "description:".len() + 1..).unwrap_or("");
                match rest.find(", additionalInfo:'") {
                    Some(j) => (
                        rest.get(..j).unwrap_or(""),
                        rest.get(j + ", additionalInfo:'".len()..)
                            .map(|s| s.strip_suffix("'}").unwrap_or(s)),
                    ),
                    None => (
                        rest.strip_suffix("'}")
                            .or_else(|| rest.strip_suffix("\"}"))
                            .unwrap_or(rest),
                        None,
                    ),
                }
            }
            None => (text, None),
        };
        let path = ["path '", "path: '", "at '"]
            .iter()
            .find_map(|k| between(description, k, "'"));
        let direction = kind.and_then(|_| direction_in(description, path));
        Raw {
            text,
            kind,
            info,
            path,
            direction,
        }
    }
}

/// The text between `start` and the next `end` in `s`.
pub fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let rest = s.get(i..)?;
    rest.get(..rest.find(end)?)
}

/// The reader is named first in every description that names both schemas.
fn direction_in(description: &str, path: Option<&str>) -> Option<Direction> {
    let d = match path {
        Some(p) => description.replace(p, ""),
        None => description.to_string(),
    }
    .to_ascii_lowercase();
    match (d.find("the new"), d.find("the old")) {
        (Some(n), Some(o)) if n < o => Some(Direction::Backward),
        (Some(_), None) => Some(Direction::Backward),
        (_, Some(_)) => Some(Direction::Forward),
        (None, None) => None,
    }
}

/// Each message's direction: its own, else the level's only one, else (FULL) the nearest
/// known one before it, else after it.
fn directions(parsed: &[Raw<'_>], level: &str) -> Vec<Option<Direction>> {
    let only = if level.starts_with("BACKWARD") {
        Some(Direction::Backward)
    } else if level.starts_with("FORWARD") {
        Some(Direction::Forward)
    } else {
        None
    };
    let own: Vec<Option<Direction>> = parsed
        .iter()
        .map(|r| r.direction.or(r.kind.and(only)))
        .collect();
    (0..own.len())
        .map(|i| {
            own[i].or_else(|| {
                parsed[i].kind?;
                own[..i]
                    .iter()
                    .rev()
                    .find_map(|d| *d)
                    .or_else(|| own[i + 1..].iter().find_map(|d| *d))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_avro_json_and_protobuf_messages() {
        let a = Raw::read("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' at path '/fields/2' in the new schema has no default value and is missing in the old schema', additionalInfo:'email'}");
        assert_eq!(a.kind, Some("READER_FIELD_MISSING_DEFAULT_VALUE"));
        assert_eq!(a.path, Some("/fields/2"));
        assert_eq!(a.info, Some("email"));
        assert_eq!(a.direction, Some(Direction::Backward));
        let j = Raw::read("{errorType:\"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL\", description:\"The old has a closed content model and is missing a property or item present at path '#/properties/email' in the new schema'}");
        assert_eq!(j.kind, Some("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"));
        assert_eq!(j.path, Some("#/properties/email"));
        assert_eq!(j.direction, Some(Direction::Forward));
        let p = Raw::read("{errorType:\"PACKAGE_CHANGED\", description:\"The package at '#/' in the new schema does not match the package in the old schema\"}");
        assert_eq!(p.path, Some("#/"));
        assert_eq!(p.direction, Some(Direction::Backward));
        let n = Raw::read("{errorType:'NAME_MISMATCH', description:'The name of the schema has changed (path '/fields/4/type/name')', additionalInfo:'expected: com.example.Addr'}");
        assert_eq!(n.path, Some("/fields/4/type/name"));
        assert_eq!(n.direction, None);
        let e = Raw::read("Incompatible because of different schema type");
        assert_eq!(e.kind, None);
    }

    #[test]
    fn full_level_messages_without_wording_take_their_neighbours_direction() {
        let msgs = [
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the old schema does not match with the new schema', additionalInfo:'reader type: STRING not compatible with writer type: INT'}",
            "{errorType:'NAME_MISMATCH', description:'The name of the schema has changed (path '/fields/4/type/name')', additionalInfo:'expected: com.example.Addr2'}",
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: INT not compatible with writer type: STRING'}",
        ];
        let parsed: Vec<Raw<'_>> = msgs.iter().map(|m| Raw::read(m)).collect();
        let d = directions(&parsed, "FULL");
        assert_eq!(
            d,
            vec![
                Some(Direction::Forward),
                Some(Direction::Forward),
                Some(Direction::Backward)
            ]
        );
    }
}

//! Plain words for each incompatibility: what changed, who breaks, how to fix it. The meaning
//! of each error type comes from the checkers Confluent uses:
//! - Avro: Apache Avro's `SchemaCompatibility` (`SchemaIncompatibilityType`), which
//!   Confluent's `client/.../avro/AvroSchema.java` delegates to;
//! - JSON Schema: `json-schema-provider/.../json/diff/Difference.java` and the `*SchemaDiff`
//!   classes beside it (`ObjectSchemaDiff` for the content-model rules);
//! - Protobuf: `protobuf-provider/.../protobuf/diff/Difference.java`, `FieldSchemaDiff.java`
//!   (scalar kinds: int32/int64/uint32/uint64/bool are one kind, sint32/sint64 another,
//!   fixed32/sfixed32, fixed64/sfixed64, float, double, string/bytes).
//!
//! "Reader" is the schema that reads, "writer" the one the data was written with: BACKWARD
//! findings have the new schema read old data, FORWARD ones the old schema read new data.

use super::explain::{Direction, Raw};
use crate::model::SchemaType;

/// (message, fix) for one incompatibility.
pub fn explain(
    t: SchemaType,
    r: &Raw<'_>,
    d: Option<Direction>,
    field: Option<&str>,
) -> (String, String) {
    let Some(kind) = r.kind else {
        return (
            r.text.to_string(),
            "make the new schema's type and references the same as the old one's".into(),
        );
    };
    let w = Words::new(d, field, r.path);
    let (what, fix) = match t {
        SchemaType::Json => json(kind, &w),
        SchemaType::Protobuf => protobuf(kind, &w),
        _ => avro(kind, r.info.unwrap_or(""), &w),
    };
    (format!("{what}: {}", w.consequence()), fix)
}

/// The phrases shared by every explanation.
struct Words<'a> {
    d: Option<Direction>,
    /// The reader's and the writer's schema ("new"/"old").
    reader: &'static str,
    writer: &'static str,
    /// `field `x`` or `path …`.
    subject: String,
    name: &'a str,
}

impl<'a> Words<'a> {
    fn new(d: Option<Direction>, field: Option<&'a str>, path: Option<&'a str>) -> Self {
        let (reader, writer) = d.map_or(("one", "other"), Direction::labels);
        let subject = match (field, path) {
            (Some(f), _) => format!("`{f}`"),
            (None, Some(p)) => format!("`{p}`"),
            (None, None) => "the schema".into(),
        };
        Words {
            d,
            reader,
            writer,
            subject,
            name: field.or(path).unwrap_or("the field"),
        }
    }

    fn consequence(&self) -> &'static str {
        match self.d {
            Some(Direction::Backward) => {
                "consumers using the new schema cannot read data written with the old one"
            }
            Some(Direction::Forward) => {
                "consumers still using the old schema cannot read data written with the new one"
            }
            None => "consumers on one of the two schemas cannot read data written with the other",
        }
    }

    /// "the new"/"the old" schema's side: `added` when the reader (new) has it, `removed`
    /// when the writer has it, seen from the old schema to the new one.
    fn change(&self, added: &'a str, removed: &'a str) -> &'a str {
        match self.d {
            Some(Direction::Forward) => removed,
            _ => added,
        }
    }
}

/// Avro (`SchemaCompatibility`): the reader resolves the writer's data field by field.
fn avro(kind: &str, info: &str, w: &Words<'_>) -> (String, String) {
    let s = &w.subject;
    let n = w.name;
    match kind {
        "READER_FIELD_MISSING_DEFAULT_VALUE" => match w.d {
            Some(Direction::Forward) => (
                format!("field {s} was removed, and the old schema has no default for it"),
                format!("keep field `{n}` in the new schema; to drop it later, first register a version that gives it a default, then remove it"),
            ),
            _ => (
                format!("field {s} was added without a default, and old data has no value for it"),
                format!("give `{n}` a default (e.g. make it [\"null\", …] with \"default\": null), or list an old field's name in its \"aliases\" if it is a rename"),
            ),
        },
        "TYPE_MISMATCH" => {
            let reader = info
                .strip_prefix("reader type: ")
                .and_then(|r| r.split_once(" not compatible with writer type: "));
            let (old, new) = match (reader, w.d) {
                (Some((r, wr)), Some(Direction::Forward)) => (r, wr),
                (Some((r, wr)), _) => (wr, r),
                (None, _) => ("?", "?"),
            };
            let (old, new) = (old.to_ascii_lowercase(), new.to_ascii_lowercase());
            (
                format!("the type of {s} changed from {old} to {new}, and Avro cannot read one as the other"),
                format!("keep `{n}` as {old}, or use a change Avro resolves (int -> long -> float -> double, string <-> bytes, adding a union branch); otherwise add a new field with the new type and a default"),
            )
        }
        "NAME_MISMATCH" => {
            let expected = info.strip_prefix("expected: ").unwrap_or(info);
            (
                format!("the named type at {s} was renamed: the {} schema's data uses the name `{expected}`, which the {} schema neither has nor lists as an alias", w.writer, w.reader),
                match w.d {
                    Some(Direction::Forward) => "keep the type's old name: consumers on the old schema know only that one (aliases help only the schema that reads)".into(),
                    _ => format!("keep the name `{expected}`, or add \"aliases\": [\"{expected}\"] to the renamed type"),
                },
            )
        }
        "MISSING_ENUM_SYMBOLS" => {
            let symbols = info.trim_start_matches('[').trim_end_matches(']');
            match w.d {
                Some(Direction::Forward) => (
                    format!("the enum at {s} gained symbol(s) {symbols}, which the old schema does not know"),
                    "do not add symbols where FORWARD applies, or first register a version whose enum has a \"default\" symbol (Avro 1.9+), which unknown symbols are read as".into(),
                ),
                _ => (
                    format!("the enum at {s} lost symbol(s) {symbols}, which old data may hold"),
                    format!("add {symbols} back to the enum, or give the enum a \"default\" symbol (Avro 1.9+) that unknown symbols are read as"),
                ),
            }
        }
        "MISSING_UNION_BRANCH" => {
            let branch = info
                .rsplit_once(": ")
                .map_or(info, |(_, b)| b)
                .to_ascii_lowercase();
            (
                format!("the union at {s} {} the branch {branch}", w.change("lost", "gained")),
                match w.d {
                    Some(Direction::Forward) => "do not add union branches where FORWARD applies (old readers cannot read them); add a new field with a default instead".into(),
                    _ => format!("keep the {branch} branch in the union of `{n}`"),
                },
            )
        }
        "FIXED_SIZE_MISMATCH" => (
            format!("the size of the fixed type at {s} changed ({info})"),
            "keep the fixed type's size; for another size add a new field with a new fixed type".into(),
        ),
        _ => generic(kind, w),
    }
}

/// JSON Schema (`Difference.Type`): the reader validates the writer's documents.
fn json(kind: &str, w: &Words<'_>) -> (String, String) {
    let s = &w.subject;
    let n = w.name;
    let (r, wr) = (w.reader, w.writer);
    let keyword = n.rsplit('/').next().unwrap_or(n);
    if let Some(k) = kind.strip_suffix("_ADDED") {
        let k = camel(k);
        return (
            format!("the {r} schema has the keyword \"{k}\" at {s}, which the {wr} schema does not have, so documents of the {wr} schema may fail it"),
            format!("drop \"{k}\" (or put the constrained value in a new property)"),
        );
    }
    if kind.ends_with("_REMOVED") && kind.starts_with("ADDITIONAL_") {
        return (
            format!(
                "the {r} schema no longer allows additional {}, which the {wr} schema allowed",
                if kind.contains("ITEMS") {
                    "items"
                } else {
                    "properties"
                }
            ),
            format!("keep \"{keyword}\" as it was"),
        );
    }
    match kind {
        "TYPE_CHANGED" | "TYPE_NARROWED" | "COMBINED_TYPE_CHANGED" | "COMBINED_TYPE_SUBSCHEMAS_CHANGED" | "ENUM_ARRAY_CHANGED" => (
            format!("the type of {s} changed between the two schemas, so documents of the {wr} schema no longer validate"),
            format!("keep the type of `{n}`, widen it (list both types, e.g. \"type\": [\"string\", \"integer\"]), or put the new type in a new property"),
        ),
        k if k.ends_with("_INCREASED") || k.ends_with("_DECREASED") || k == "MULTIPLE_OF_EXPANDED" => (
            format!("the {r} schema tightens a bound at {s} ({}), so documents of the {wr} schema may fail it", k.to_ascii_lowercase().replace('_', " ")),
            "keep the bound as it was, or loosen it (raise a maximum, lower a minimum)".into(),
        ),
        "PATTERN_CHANGED" | "MULTIPLE_OF_CHANGED" | "DEPENDENCY_ARRAY_CHANGED" => (
            format!("the value at {s} differs between the schemas, so documents valid for the {wr} schema may fail the {r} one"),
            "keep the value as it was".into(),
        ),
        k if k.ends_with("_NARROWED") => (
            format!("{s} allows fewer values or alternatives in the {r} schema than in the {wr} one"),
            "add the removed values or alternatives back".into(),
        ),
        k if k.ends_with("_EXTENDED") => (
            format!("{s} has more elements (more conditions to meet) in the {r} schema than in the {wr} one"),
            "do not add subschemas to allOf or to dependencies; make the addition optional".into(),
        ),
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL" => (
            format!("property {s} is required by the {r} schema, and documents of the {wr} schema do not have it"),
            format!("make `{n}` optional (remove it from \"required\") or give it a \"default\""),
        ),
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" | "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL" => (
            format!("property {s} is missing from the {r} schema, which allows no additional properties, and documents of the {wr} schema may have it"),
            format!("keep `{n}` declared (even as {{}}), or allow additional properties"),
        ),
        k if k.contains("ADDED_TO_OPEN_CONTENT_MODEL") => (
            format!("property {s} is declared in the {r} schema but not in the {wr} one, whose open content model let documents carry `{n}` with any value"),
            format!("declare `{n}` with an empty schema ({{}}), or first close the content model (\"additionalProperties\": false) in a version before adding it"),
        ),
        k if k.contains("NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL") => (
            format!("property {s} is in one schema only, and the other's patternProperties do not cover it"),
            format!("keep `{n}` in both schemas, or make the patternProperties cover its name"),
        ),
        _ => generic(kind, w),
    }
}

/// Protobuf (`Difference.Type`): fields are matched by number.
fn protobuf(kind: &str, w: &Words<'_>) -> (String, String) {
    let s = &w.subject;
    let n = w.name;
    let (r, wr) = (w.reader, w.writer);
    match kind {
        "PACKAGE_CHANGED" => (
            "the package changed, so every message's full name changed".into(),
            "keep the package; to move types, create them in a new schema".into(),
        ),
        "MESSAGE_REMOVED" => (
            format!("message {s} of the {wr} schema is missing from the {r} schema"),
            format!("keep message `{n}` (it may stay unused), or rename it back"),
        ),
        "FIELD_KIND_CHANGED" => (
            format!("field {s} changed kind (scalar, message, enum or map)"),
            format!("keep the type of `{n}`; for a new type add a new field with a new number and reserve the old one"),
        ),
        "FIELD_SCALAR_KIND_CHANGED" => (
            format!("field {s} changed to a scalar type with another wire encoding"),
            format!("keep the type of `{n}`, or change only within a wire-compatible group (int32/int64/uint32/uint64/bool; sint32/sint64; fixed32/sfixed32; fixed64/sfixed64; string/bytes); otherwise add a new field and reserve the old number"),
        ),
        "FIELD_NAMED_TYPE_CHANGED" => (
            format!("field {s} now has another message type"),
            format!("keep the message type of `{n}`, or add a new field with a new number for the new type"),
        ),
        "FIELD_NUMERIC_LABEL_CHANGED" => (
            format!("numeric field {s} changed between repeated and singular"),
            format!("keep the label of `{n}`; add a new repeated (or singular) field instead"),
        ),
        "REQUIRED_FIELD_ADDED" => (
            format!("required field {s} is in the {r} schema but not in the {wr} one"),
            format!("make `{n}` optional"),
        ),
        "REQUIRED_FIELD_REMOVED" => (
            format!("required field {s} of the {wr} schema is missing from the {r} schema"),
            format!("keep required field `{n}`"),
        ),
        "ONEOF_FIELD_REMOVED" => (
            format!("field {s} of a oneof in the {wr} schema is missing from the {r} schema's oneof"),
            format!("keep `{n}` in the oneof"),
        ),
        "MULTIPLE_FIELDS_MOVED_TO_ONEOF" => (
            format!("several fields outside a oneof in the {wr} schema are inside the oneof {s} in the {r} schema"),
            "keep the fields outside the oneof; put new fields with new numbers in it".into(),
        ),
        "FIELD_MOVED_TO_EXISTING_ONEOF" => (
            format!("a field outside a oneof in the {wr} schema is inside the existing oneof {s} in the {r} schema"),
            "keep the field outside the oneof; add a new field with a new number to it".into(),
        ),
        _ => generic(kind, w),
    }
}

fn generic(kind: &str, w: &Words<'_>) -> (String, String) {
    (
        format!(
            "{} at {}",
            kind.to_ascii_lowercase().replace('_', " "),
            w.subject
        ),
        "undo this change, or make it in a new field".into(),
    )
}

/// `MAX_LENGTH` -> `maxLength`: the keyword an error type is named after.
fn camel(k: &str) -> String {
    let mut out = String::new();
    for (i, part) in k.split('_').enumerate() {
        let lower = part.to_ascii_lowercase();
        if i == 0 {
            out.push_str(&lower);
        } else {
            let mut c = lower.chars();
            if let Some(f) = c.next() {
                out.push(f.to_ascii_uppercase());
                out.extend(c);
            }
        }
    }
    out
}

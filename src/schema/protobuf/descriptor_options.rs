//! The options of newer `descriptor.proto` versions that `prost_types` (an older copy) does not
//! know: edition `features` on every options message, `debug_redact`, `retention`, `targets`
//! and `edition_defaults` of fields, `debug_redact` of enum values, `declaration` and
//! `verification` of extension ranges. They are read from and written to the raw option bytes,
//! as Confluent reads them (`ProtobufSchema.toFeaturesOption`, `toField`, `toEnum`,
//! `toExtension`) and writes them (`toFeatures`, `toDynamicField`, `toEditionDefault`,
//! `toDeclaration`, `MessageDefinition.addExtensionRange`).
//!
//! Every one of them has a field number above the options `prost_types` knows (and below the
//! 1088 of Confluent's meta), so their bytes go right after prost's, in number order.

use super::model::{OptionElement, OptionValue};
use crate::schema::SchemaError;

/// Which options message the bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionsKind {
    File,
    Message,
    Field,
    Oneof,
    ExtensionRange,
    Enum,
    EnumValue,
    Service,
    Method,
}

impl OptionsKind {
    /// The field number of `features` in this options message.
    fn features(self) -> u32 {
        match self {
            OptionsKind::File | OptionsKind::ExtensionRange => 50,
            OptionsKind::Message => 12,
            OptionsKind::Field => 21,
            OptionsKind::Oneof => 1,
            OptionsKind::Enum => 7,
            OptionsKind::EnumValue => 2,
            OptionsKind::Service => 34,
            OptionsKind::Method => 35,
        }
    }
}

type Names = &'static [(i32, &'static str)];

const FIELD_PRESENCE: Names = &[
    (0, "FIELD_PRESENCE_UNKNOWN"),
    (1, "EXPLICIT"),
    (2, "IMPLICIT"),
    (3, "LEGACY_REQUIRED"),
];
const ENUM_TYPE: Names = &[(0, "ENUM_TYPE_UNKNOWN"), (1, "OPEN"), (2, "CLOSED")];
const REPEATED_FIELD_ENCODING: Names = &[
    (0, "REPEATED_FIELD_ENCODING_UNKNOWN"),
    (1, "PACKED"),
    (2, "EXPANDED"),
];
const UTF8_VALIDATION: Names = &[(0, "UTF8_VALIDATION_UNKNOWN"), (2, "VERIFY"), (3, "NONE")];
const MESSAGE_ENCODING: Names = &[
    (0, "MESSAGE_ENCODING_UNKNOWN"),
    (1, "LENGTH_PREFIXED"),
    (2, "DELIMITED"),
];
const JSON_FORMAT: Names = &[
    (0, "JSON_FORMAT_UNKNOWN"),
    (1, "ALLOW"),
    (2, "LEGACY_BEST_EFFORT"),
];
const RETENTION: Names = &[
    (0, "RETENTION_UNKNOWN"),
    (1, "RETENTION_RUNTIME"),
    (2, "RETENTION_SOURCE"),
];
const TARGETS: Names = &[
    (0, "TARGET_TYPE_UNKNOWN"),
    (1, "TARGET_TYPE_FILE"),
    (2, "TARGET_TYPE_EXTENSION_RANGE"),
    (3, "TARGET_TYPE_MESSAGE"),
    (4, "TARGET_TYPE_FIELD"),
    (5, "TARGET_TYPE_ONEOF"),
    (6, "TARGET_TYPE_ENUM"),
    (7, "TARGET_TYPE_ENUM_ENTRY"),
    (8, "TARGET_TYPE_SERVICE"),
    (9, "TARGET_TYPE_METHOD"),
];
const EDITION: Names = &[
    (0, "EDITION_UNKNOWN"),
    (900, "EDITION_LEGACY"),
    (998, "EDITION_PROTO2"),
    (999, "EDITION_PROTO3"),
    (1000, "EDITION_2023"),
    (1001, "EDITION_2024"),
    (1, "EDITION_1_TEST_ONLY"),
    (2, "EDITION_2_TEST_ONLY"),
    (99997, "EDITION_99997_TEST_ONLY"),
    (99998, "EDITION_99998_TEST_ONLY"),
    (99999, "EDITION_99999_TEST_ONLY"),
    (i32::MAX, "EDITION_MAX"),
];
const VERIFICATION: Names = &[(0, "DECLARATION"), (1, "UNVERIFIED")];

/// `FeatureSet`'s fields: number, name, values.
const FEATURES: [(u32, &str, Names); 6] = [
    (1, "field_presence", FIELD_PRESENCE),
    (2, "enum_type", ENUM_TYPE),
    (3, "repeated_field_encoding", REPEATED_FIELD_ENCODING),
    (4, "utf8_validation", UTF8_VALIDATION),
    (5, "message_encoding", MESSAGE_ENCODING),
    (6, "json_format", JSON_FORMAT),
];

fn name_of(names: Names, n: i64) -> Option<&'static str> {
    names
        .iter()
        .find(|(v, _)| i64::from(*v) == n)
        .map(|(_, s)| *s)
}

fn number_of(names: Names, s: &str) -> Option<i32> {
    names.iter().find(|(_, n)| *n == s).map(|(v, _)| *v)
}

// ---------------------------------------------------------------------------------------------
// Raw fields

enum Raw<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn bad(what: &str) -> SchemaError {
    SchemaError(format!("Invalid descriptor options: {what}"))
}

fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, SchemaError> {
    let mut value = 0u64;
    for shift in 0..10 {
        let byte = *buf.get(*pos).ok_or_else(|| bad("truncated varint"))?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << (7 * shift);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(bad("varint too long"))
}

/// The varint and length-delimited fields of a message (others skipped); packed repeated
/// varints come as bytes.
fn raw_fields(buf: &[u8]) -> Result<Vec<(u32, Raw<'_>)>, SchemaError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let number = u32::try_from(key >> 3).map_err(|_| bad("field number"))?;
        match key & 7 {
            0 => out.push((number, Raw::Varint(varint(buf, &mut pos)?))),
            1 => pos = pos.checked_add(8).ok_or_else(|| bad("length"))?,
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).map_err(|_| bad("length"))?;
                let end = pos.checked_add(len).ok_or_else(|| bad("length"))?;
                out.push((
                    number,
                    Raw::Bytes(buf.get(pos..end).ok_or_else(|| bad("length"))?),
                ));
                pos = end;
            }
            5 => pos = pos.checked_add(4).ok_or_else(|| bad("length"))?,
            // Groups do not occur in options Confluent reads; skip their markers.
            3 | 4 => {}
            _ => return Err(bad("wire type")),
        }
    }
    if pos > buf.len() {
        return Err(bad("truncated field"));
    }
    Ok(out)
}

/// The last varint of a field (as a parser keeps the last of a non-repeated field).
fn last_varint(fields: &[(u32, Raw<'_>)], number: u32) -> Option<i64> {
    fields.iter().rev().find_map(|(n, v)| match v {
        Raw::Varint(x) if *n == number => Some(*x as i64),
        _ => None,
    })
}

fn last_string(fields: &[(u32, Raw<'_>)], number: u32) -> Option<String> {
    fields.iter().rev().find_map(|(n, v)| match v {
        Raw::Bytes(b) if *n == number => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    })
}

/// Every varint of a repeated field, packed or not.
fn all_varints(fields: &[(u32, Raw<'_>)], number: u32) -> Result<Vec<i64>, SchemaError> {
    let mut out = Vec::new();
    for (n, v) in fields {
        if *n != number {
            continue;
        }
        match v {
            Raw::Varint(x) => out.push(*x as i64),
            Raw::Bytes(b) => {
                let mut pos = 0;
                while pos < b.len() {
                    out.push(varint(b, &mut pos)? as i64);
                }
            }
        }
    }
    Ok(out)
}

fn enum_value(v: &str) -> OptionValue {
    OptionValue::Enum(v.to_string())
}

fn element(name: &str, value: OptionValue) -> OptionElement {
    OptionElement {
        name: name.to_string(),
        value,
        parenthesized: false,
    }
}

/// `toFeaturesOption`: the set features (known values only) as a map.
fn features_option(bytes: &[u8]) -> Result<OptionElement, SchemaError> {
    let fields = raw_fields(bytes)?;
    let map = FEATURES
        .iter()
        .filter_map(|(number, name, names)| {
            let v = last_varint(&fields, *number)?;
            Some((name.to_string(), enum_value(name_of(names, v)?)))
        })
        .collect();
    Ok(element("features", OptionValue::Map(map)))
}

/// The options Confluent shows for the fields of `bytes` that prost-types does not know, in
/// Confluent's order (after the known ones, before the meta).
pub fn read_extras(kind: OptionsKind, bytes: &[u8]) -> Result<Vec<OptionElement>, SchemaError> {
    let fields = raw_fields(bytes)?;
    let mut out = Vec::new();
    let boolean = |v: i64| OptionValue::Boolean((v != 0).to_string());
    match kind {
        OptionsKind::Field => {
            if let Some(v) = last_varint(&fields, 16) {
                out.push(element("debug_redact", boolean(v)));
            }
            if let Some(name) = last_varint(&fields, 17).and_then(|v| name_of(RETENTION, v)) {
                out.push(element("retention", enum_value(name)));
            }
            for v in all_varints(&fields, 19)? {
                if let Some(name) = name_of(TARGETS, v) {
                    out.push(element("targets", enum_value(name)));
                }
            }
            for (n, v) in &fields {
                let (20, Raw::Bytes(b)) = (n, v) else {
                    continue;
                };
                let ed = raw_fields(b)?;
                let mut map = Vec::new();
                if let Some(name) = last_varint(&ed, 3).and_then(|v| name_of(EDITION, v)) {
                    map.push(("edition".to_string(), enum_value(name)));
                }
                if let Some(s) = last_string(&ed, 2) {
                    map.push(("value".to_string(), OptionValue::String(s)));
                }
                out.push(element("edition_defaults", OptionValue::Map(map)));
            }
        }
        OptionsKind::ExtensionRange => {
            for (n, v) in &fields {
                let (2, Raw::Bytes(b)) = (n, v) else { continue };
                let d = raw_fields(b)?;
                let mut map = Vec::new();
                if let Some(x) = last_varint(&d, 1) {
                    map.push((
                        "number".to_string(),
                        OptionValue::Number((x as i32).to_string()),
                    ));
                }
                if let Some(s) = last_string(&d, 2) {
                    map.push(("full_name".to_string(), OptionValue::String(s)));
                }
                if let Some(s) = last_string(&d, 3) {
                    map.push(("type".to_string(), OptionValue::String(s)));
                }
                if let Some(x) = last_varint(&d, 5) {
                    map.push(("reserved".to_string(), boolean(x)));
                }
                if let Some(x) = last_varint(&d, 6) {
                    map.push(("repeated".to_string(), boolean(x)));
                }
                out.push(element("declaration", OptionValue::Map(map)));
            }
        }
        OptionsKind::EnumValue => {
            if let Some(v) = last_varint(&fields, 3) {
                out.push(element("debug_redact", boolean(v)));
            }
        }
        _ => {}
    }
    if let Some(b) = fields.iter().rev().find_map(|(n, v)| match v {
        Raw::Bytes(b) if *n == kind.features() => Some(*b),
        _ => None,
    }) {
        out.push(features_option(b)?);
    }
    if kind == OptionsKind::ExtensionRange {
        if let Some(name) = last_varint(&fields, 3).and_then(|v| name_of(VERIFICATION, v)) {
            // Confluent gives it the BOOLEAN kind with the enum's name as value.
            out.push(element(
                "verification",
                OptionValue::Boolean(name.to_string()),
            ));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Writing

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_enum(out: &mut Vec<u8>, number: u32, value: i32) {
    put_varint(out, u64::from(number) << 3);
    put_varint(out, i64::from(value) as u64);
}

fn put_len(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_varint(out, (u64::from(number) << 3) | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn text(v: &OptionValue) -> Option<&str> {
    match v {
        OptionValue::String(s)
        | OptionValue::Boolean(s)
        | OptionValue::Number(s)
        | OptionValue::Enum(s) => Some(s),
        _ => None,
    }
}

fn map_get<'a>(v: &'a OptionValue, key: &str) -> Option<&'a OptionValue> {
    match v {
        OptionValue::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn require_map(name: &str, v: &OptionValue) -> Result<(), SchemaError> {
    match v {
        OptionValue::Map(_) => Ok(()),
        _ => Err(SchemaError(format!("Expected option {name} of kind MAP"))),
    }
}

/// `toFeatures`: each feature by name, an unknown name as the `…_UNKNOWN` value.
fn features_bytes(v: &OptionValue) -> Result<Vec<u8>, SchemaError> {
    require_map("features", v)?;
    let mut out = Vec::new();
    for (number, name, names) in FEATURES {
        if let Some(x) = map_get(v, name).and_then(text) {
            put_enum(&mut out, number, number_of(names, x).unwrap_or(0));
        }
    }
    Ok(out)
}

/// The bytes of the extra fields for the model's options (`merged`: Confluent's
/// `mergeOptions` map, `raw`: the options as written, for the repeated ones).
pub fn write_extras(
    kind: OptionsKind,
    merged: &std::collections::HashMap<String, OptionValue>,
    raw: &[OptionElement],
) -> Result<Vec<u8>, SchemaError> {
    let truthy = |v: &OptionValue| text(v).is_some_and(|s| s.eq_ignore_ascii_case("true"));
    let mut out = Vec::new();
    match kind {
        OptionsKind::Field => {
            if let Some(v) = merged.get("debug_redact") {
                put_enum(&mut out, 16, i32::from(truthy(v)));
            }
            if let Some(v) = merged.get("retention") {
                let n = text(v).and_then(|s| number_of(RETENTION, s)).unwrap_or(0);
                put_enum(&mut out, 17, n);
            }
            for o in raw.iter().filter(|o| o.name == "targets") {
                let s = text(&o.value).unwrap_or_default();
                let n = number_of(TARGETS, s)
                    .ok_or_else(|| SchemaError(format!("Invalid target type: {s}")))?;
                put_enum(&mut out, 19, n);
            }
            for o in raw.iter().filter(|o| o.name == "edition_defaults") {
                require_map("edition_defaults", &o.value)?;
                let mut ed = Vec::new();
                if let Some(s) = map_get(&o.value, "value").and_then(text) {
                    put_len(&mut ed, 2, s.as_bytes());
                }
                if let Some(s) = map_get(&o.value, "edition").and_then(text) {
                    let n = number_of(EDITION, s).unwrap_or(if s == "2023" { 1000 } else { 0 });
                    put_enum(&mut ed, 3, n);
                }
                put_len(&mut out, 20, &ed);
            }
        }
        OptionsKind::ExtensionRange => {
            for o in raw.iter().filter(|o| o.name == "declaration") {
                require_map("declaration", &o.value)?;
                let mut d = Vec::new();
                if let Some(s) = map_get(&o.value, "number").and_then(text) {
                    let n: i64 = s
                        .parse()
                        .map_err(|_| SchemaError(format!("Invalid declaration number: {s}")))?;
                    put_enum(&mut d, 1, n as i32);
                }
                if let Some(s) = map_get(&o.value, "full_name").and_then(text) {
                    put_len(&mut d, 2, s.as_bytes());
                }
                if let Some(s) = map_get(&o.value, "type").and_then(text) {
                    put_len(&mut d, 3, s.as_bytes());
                }
                if let Some(v) = map_get(&o.value, "reserved") {
                    put_enum(&mut d, 5, i32::from(truthy(v)));
                }
                if let Some(v) = map_get(&o.value, "repeated") {
                    put_enum(&mut d, 6, i32::from(truthy(v)));
                }
                put_len(&mut out, 2, &d);
            }
            if let Some(n) = merged
                .get("verification")
                .and_then(text)
                .and_then(|s| number_of(VERIFICATION, s))
            {
                put_enum(&mut out, 3, n);
            }
        }
        OptionsKind::EnumValue => {
            if let Some(v) = merged.get("features") {
                put_len(&mut out, 2, &features_bytes(v)?);
            }
            if let Some(v) = merged.get("debug_redact") {
                put_enum(&mut out, 3, i32::from(truthy(v)));
            }
            return Ok(out);
        }
        _ => {}
    }
    if let Some(v) = merged.get("features") {
        put_len(&mut out, kind.features(), &features_bytes(v)?);
    }
    Ok(out)
}

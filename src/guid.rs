//! Schema GUIDs (Confluent 8.0+): the MD5 digest of a schema's stored content, shown as a
//! UUID string. Confluent derives it, never stores a random one, so the same content has the
//! same GUID in every context and on every registry (research notes: `docs/notes/guids-8x.md`).
//!
//! The digest is fed, with no separators or lengths (Confluent's `Schema.updateHash`,
//! `SchemaReference`/`Metadata`/`RuleSet`/`Rule.updateHash`, 8.3.1):
//! 1. the schema text (UTF-8);
//! 2. each reference in order: name, subject, version as 4 big-endian bytes;
//! 3. if there is metadata: a 1 byte, then each tag key followed by its values, each property
//!    key followed by its value, then each sensitive name (keys and values in Java string
//!    order, sets without duplicates);
//! 4. if there is a rule set: a 1 byte, then every migration, domain and encoding rule in list
//!    order (name, doc, kind or `TRANSFORM`, mode or `WRITEREAD`, type, sorted tags, params
//!    by key as key then value, expr, onSuccess, onFailure, a 1 byte when disabled), then
//!    `enableAt` if set.
//!
//! The schema type is not part of it. Absent fields add nothing.

use crate::index::SchemaBody;
use md5::{Digest, Md5};
use serde_json::Value as Json;
use std::cmp::Ordering;

/// 16 digest bytes.
pub type Guid = [u8; 16];

/// The GUID of a stored schema.
pub fn of(body: &SchemaBody) -> Guid {
    let mut md = Md5::new();
    md.update(body.schema.as_bytes());
    for r in &body.references {
        md.update(r.name.as_bytes());
        md.update(r.subject.as_bytes());
        md.update(r.version.to_be_bytes());
    }
    if let Some(m) = &body.metadata {
        md.update([1u8]);
        hash_metadata(&mut md, m);
    }
    if let Some(rs) = &body.rule_set {
        md.update([1u8]);
        hash_rule_set(&mut md, rs);
    }
    md.finalize().into()
}

/// Java's `UUID.toString()` of the 16 bytes read as two big-endian longs: lowercase
/// 8-4-4-4-12 hex, the bytes in order, version and variant bits untouched.
/// Every ID and version answer renders one, so it is one allocation, no formatting machinery.
pub fn render(g: &Guid) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, b) in g.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// A GUID as a path gives it (Confluent's `MD5.fromString`): a UUID string (Java's
/// `UUID.fromString`: five dash-separated hex groups of at most 8-4-4-4-12 digits, any case,
/// each group read as a number), else 32 hex digits. Anything else is no GUID (Confluent
/// answers "not found", not a 4xx of its own).
pub fn parse(s: &str) -> Option<Guid> {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() == 5 {
        let widths = [8usize, 4, 4, 4, 12];
        let mut value: u128 = 0;
        for (p, w) in parts.iter().zip(widths) {
            if p.is_empty() || p.len() > w || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            let n = u64::from_str_radix(p, 16).ok()?;
            value = (value << (4 * w)) | u128::from(n);
        }
        return Some(value.to_be_bytes());
    }
    if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut g = [0u8; 16];
        for (i, byte) in g.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        return Some(g);
    }
    None
}

/// Java's `String.compareTo`: by UTF-16 code units.
fn java_order(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// A JSON value as the string Jackson would bind it to (strings as they are, other scalars
/// printed); `None` for null.
fn text(v: &Json) -> Option<String> {
    match v {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A set of strings (an array, nulls dropped) sorted and without duplicates.
fn sorted_set(v: Option<&Json>) -> Vec<String> {
    let mut items: Vec<String> = match v {
        Some(Json::Array(a)) => a.iter().filter_map(text).collect(),
        _ => Vec::new(),
    };
    items.sort_by(|a, b| java_order(a, b));
    items.dedup();
    items
}

/// An object's entries sorted by key.
fn sorted_entries(v: Option<&Json>) -> Vec<(&String, &Json)> {
    let mut entries: Vec<(&String, &Json)> = match v {
        Some(Json::Object(o)) => o.iter().collect(),
        _ => Vec::new(),
    };
    entries.sort_by(|a, b| java_order(a.0, b.0));
    entries
}

fn hash_metadata(md: &mut Md5, m: &Json) {
    for (key, values) in sorted_entries(m.get("tags")) {
        md.update(key.as_bytes());
        for v in sorted_set(Some(values)) {
            md.update(v.as_bytes());
        }
    }
    for (key, value) in sorted_entries(m.get("properties")) {
        md.update(key.as_bytes());
        if let Some(v) = text(value) {
            md.update(v.as_bytes());
        }
    }
    for s in sorted_set(m.get("sensitive")) {
        md.update(s.as_bytes());
    }
}

fn hash_rule_set(md: &mut Md5, rs: &Json) {
    for list in ["migrationRules", "domainRules", "encodingRules"] {
        if let Some(Json::Array(rules)) = rs.get(list) {
            for rule in rules {
                hash_rule(md, rule);
            }
        }
    }
    if let Some(e) = rs.get("enableAt").and_then(text) {
        md.update(e.as_bytes());
    }
}

fn hash_rule(md: &mut Md5, rule: &Json) {
    let field = |name: &str| rule.get(name).and_then(text);
    let mut put = |s: Option<String>| {
        if let Some(s) = s {
            md.update(s.as_bytes());
        }
    };
    put(field("name"));
    put(field("doc"));
    put(Some(field("kind").unwrap_or_else(|| "TRANSFORM".into())));
    put(Some(field("mode").unwrap_or_else(|| "WRITEREAD".into())));
    put(field("type"));
    for t in sorted_set(rule.get("tags")) {
        put(Some(t));
    }
    for (k, v) in sorted_entries(rule.get("params")) {
        put(Some(k.clone()));
        put(text(v));
    }
    put(field("expr"));
    put(field("onSuccess"));
    put(field("onFailure"));
    if rule.get("disabled").and_then(Json::as_bool) == Some(true) {
        md.update([1u8]);
    }
}

#[cfg(test)]
mod tests;

//! Reference resolution (`ReferenceLookup`): local JSON pointers (`#/definitions/x`,
//! `#/$defs/x`), `$id` / `$anchor` anchors (`#foo`, `item.json`), and references to the
//! schemas registered by name (`customer.json`, `customer.json#/definitions/x`).

use super::load::MAX_DEPTH;
use super::model::Spec;
use serde_json::Value;
use std::collections::HashMap;

/// Most `$id`s indexed per document.
const MAX_IDS: usize = 100_000;

pub(super) struct Doc {
    pub name: String,
    pub value: Value,
    /// `$id` / `$anchor` values found in the document → JSON pointer of their schema.
    pub ids: HashMap<String, String>,
}

impl Doc {
    pub(super) fn new(name: String, value: Value, spec: Spec) -> Doc {
        let mut ids = HashMap::new();
        collect_ids(&value, String::new(), spec, 0, &mut ids);
        Doc { name, value, ids }
    }
}

fn escape_token(t: &str) -> String {
    t.replace('~', "~0").replace('/', "~1")
}

fn collect_ids(
    v: &Value,
    pointer: String,
    spec: Spec,
    depth: usize,
    out: &mut HashMap<String, String>,
) {
    if depth > MAX_DEPTH || out.len() > MAX_IDS {
        return;
    }
    match v {
        Value::Object(o) => {
            if let Some(id) = o.get(spec.id_keyword()).and_then(Value::as_str) {
                out.entry(id.to_string()).or_insert_with(|| pointer.clone());
            }
            if let Some(anchor) = o.get("$anchor").and_then(Value::as_str) {
                out.entry(format!("#{anchor}"))
                    .or_insert_with(|| pointer.clone());
            }
            for (k, child) in o {
                if k == "enum" || k == "const" || k == "default" || k == "examples" {
                    continue;
                }
                collect_ids(
                    child,
                    format!("{pointer}/{}", escape_token(k)),
                    spec,
                    depth + 1,
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                collect_ids(child, format!("{pointer}/{i}"), spec, depth + 1, out);
            }
        }
        _ => {}
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Does a `$ref` document part name the reference registered as `name`?
fn names_match(doc_part: &str, name: &str) -> bool {
    let d = doc_part.trim_start_matches("./");
    let n = name.trim_start_matches("./");
    !n.is_empty() && (d == n || d.ends_with(&format!("/{n}")) || n.ends_with(&format!("/{d}")))
}

/// `ReferenceLookup.lookup`: (document, JSON pointer) of a reference, if it resolves.
pub(super) fn resolve(docs: &[Doc], doc: usize, r: &str) -> Option<(usize, String)> {
    let here = docs.get(doc)?;
    if let Some(p) = here.ids.get(r) {
        return Some((doc, p.clone()));
    }
    let (doc_part, fragment) = match r.split_once('#') {
        Some((d, f)) => (d, f),
        None => (r, ""),
    };
    let (target_doc, base) = if doc_part.is_empty() {
        (doc, String::new())
    } else if let Some(p) = here.ids.get(doc_part) {
        (doc, p.clone())
    } else if let Some(i) = docs
        .iter()
        .position(|d| d.ids.get(doc_part).is_some_and(|p| p.is_empty()))
    {
        (i, String::new())
    } else {
        let i = docs
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, d)| names_match(doc_part, &d.name))
            .map(|(i, _)| i)?;
        (i, String::new())
    };
    let target = docs.get(target_doc)?;
    let pointer = if fragment.is_empty() {
        base
    } else if fragment.starts_with('/') {
        format!("{base}{}", percent_decode(fragment))
    } else {
        target.ids.get(&format!("#{fragment}"))?.clone()
    };
    target.value.pointer(&pointer)?;
    Some((target_doc, pointer))
}

//! Does a JSON document load as a schema, as Confluent's `JsonSchema.validate` asks
//! (`rawSchema()`: everit's loader for drafts 4–7, json-sKema for 2019-09 and 2020-12)? We ask
//! the `jsonschema` crate: the document must match its draft's meta-schema and compile, every
//! `$ref` resolved among the document itself and the references (by reference name). Nothing
//! is ever fetched: a remote `$ref` that is not a reference fails like a missing one.

use super::read;
use crate::json::Json;
use crate::schema::{Dependency, SchemaError};
use jsonschema::{Draft, Retrieve, Uri};
use serde_json::Value;

/// What every validation failure says, as Confluent's `rawSchema()` does.
const INVALID: &str = "Invalid JSON Schema";

/// The draft a document declares in `$schema` (Confluent's `SpecificationVersion.getFromUrl`:
/// exact URLs, a trailing `#` ignored); `None` when absent or unknown (draft-07 then).
pub(crate) fn declared_draft(doc: &Json) -> Option<Draft> {
    let url = doc.get("$schema")?.text()?;
    let url = url.strip_suffix('#').unwrap_or(url);
    let path = url
        .strip_prefix("http://json-schema.org/")
        .or_else(|| url.strip_prefix("https://json-schema.org/"))?;
    Some(match path {
        "draft-04/schema" | "schema" => Draft::Draft4,
        "draft-06/schema" => Draft::Draft6,
        "draft-07/schema" => Draft::Draft7,
        "draft/2019-09/schema" => Draft::Draft201909,
        "draft/2020-12/schema" => Draft::Draft202012,
        _ => return None,
    })
}

/// Our tree as `serde_json` holds it, for the validator. Numbers that `serde_json` cannot hold
/// (`NaN`, infinities) become `null`, which no numeric keyword accepts.
pub(crate) fn to_value(v: &Json) -> Value {
    let float = |f: f64| {
        serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    };
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Int(i) => Value::from(*i),
        Json::Long(l) => Value::from(*l),
        Json::BigInt(s) | Json::Decimal(s) => float(s.parse::<f64>().unwrap_or(f64::NAN)),
        Json::Double(d) => float(*d),
        Json::Float(f) => float(f64::from(*f)),
        Json::Str(s) => Value::String(s.clone()),
        Json::Arr(a) => Value::Array(a.iter().map(to_value).collect()),
        Json::Obj(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), to_value(x))).collect()),
    }
}

/// Serves the references to the resolver by name: a `$ref` to `address.json` (resolved
/// against the document's base URI, so `mem://input/address.json`, or against its `$id`)
/// finds the reference named `address.json` (or `./address.json`, or the full URI).
struct References {
    docs: Vec<(String, Value)>,
}

impl References {
    fn new(deps: &[Dependency]) -> References {
        let docs = deps
            .iter()
            .filter_map(|d| {
                let doc = read(&d.schema).ok()?;
                Some((
                    d.name.trim_start_matches("./").to_string(),
                    without_unknown_dialect(&doc),
                ))
            })
            .collect();
        References { docs }
    }
}

impl Retrieve for References {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let full = uri.as_str();
        let full = full.split('#').next().unwrap_or(full);
        self.docs
            .iter()
            .find(|(name, _)| {
                full == name
                    || full
                        .strip_suffix(name.as_str())
                        .is_some_and(|head| head.ends_with('/'))
            })
            .map(|(_, doc)| doc.clone())
            .ok_or_else(|| format!("{full} is not a reference of this schema").into())
    }
}

/// Where everit's loader is laxer than the meta-schemas: it takes an empty `allOf`, `anyOf` or
/// `oneOf` (an empty combination; the meta-schemas ask for one element or more). Those are
/// dropped from the copy the validator sees.
fn relax(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, x| {
                !(matches!(k.as_str(), "allOf" | "anyOf" | "oneOf")
                    && x.as_array().is_some_and(Vec::is_empty))
            });
            m.values_mut().for_each(relax);
        }
        Value::Array(a) => a.iter_mut().for_each(relax),
        _ => {}
    }
}

/// The document for the validator: a `$schema` Confluent does not know is dropped (Confluent
/// then reads the document as draft-07 instead of fetching a meta-schema); see also `relax`.
fn without_unknown_dialect(doc: &Json) -> Value {
    let mut v = to_value(doc);
    relax(&mut v);
    if declared_draft(doc).is_none() {
        if let Value::Object(m) = &mut v {
            m.shift_remove("$schema");
        }
    }
    v
}

/// Confluent's `validate`: `Ok` when the document loads as a schema.
pub(crate) fn validate(doc: &Json, references: &[Dependency]) -> Result<(), SchemaError> {
    match doc {
        // Confluent loads `true`/`false` as the always/never schemas; any other non-object
        // (a number, a string, an array) loads as the empty schema; `null` does not load.
        Json::Null => return Err(SchemaError(INVALID.into())),
        Json::Obj(_) => {}
        _ => return Ok(()),
    }
    let draft = declared_draft(doc).unwrap_or(Draft::Draft7);
    let value = without_unknown_dialect(doc);
    jsonschema::options()
        .with_draft(draft)
        .with_base_uri("mem://input")
        .with_retriever(References::new(references))
        .build(&value)
        .map(|_| ())
        .map_err(|_| SchemaError(INVALID.into()))
}

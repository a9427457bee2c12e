//! Request extraction that answers in Confluent's error shape: the JSON body (content type,
//! size, syntax), query parameters (lenient, as Jersey parses them) and typed body fields.

use crate::error::RegistryError;
use crate::model::Reference;
use crate::registry::SchemaRequest;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Request content types Confluent accepts.
const ACCEPTED: [&str; 4] = [
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
];

/// A JSON body: `None` when the body is empty or `null`.
pub struct Body(pub Option<Value>);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = RegistryError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
            let essence = ct.split(';').next().unwrap_or("").trim().to_string();
            if !ACCEPTED.contains(&essence.as_str()) {
                return Err(RegistryError::BadRequest(
                    415,
                    "HTTP 415 Unsupported Media Type".into(),
                ));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status().as_u16();
            if status == 413 {
                body_too_large()
            } else {
                RegistryError::BadRequest(400, format!("Cannot read the request body: {e}"))
            }
        })?;
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            RegistryError::BadRequest(400, "Invalid UTF-8 in the request body".into())
        })?;
        if text.trim().is_empty() {
            return Ok(Body(None));
        }
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Null) => Ok(Body(None)),
            Ok(v) => Ok(Body(Some(v))),
            Err(e) => Err(RegistryError::BadRequest(400, json_error(&e))),
        }
    }
}

fn json_error(e: &serde_json::Error) -> String {
    if e.is_eof() {
        format!("Unexpected end-of-input: {e}")
    } else {
        format!("Unrecognized token: {e}")
    }
}

/// Query parameters, parsed leniently (the first value of each name, and all pairs).
pub struct Query(pub HashMap<String, String>, pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let mut map = HashMap::new();
        let pairs = raw.map(form_urlencoded_pairs).unwrap_or_default();
        for (k, v) in &pairs {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Query(map, pairs)
    }

    /// Java's `Boolean.parseBoolean`: `true` in any case is true, anything else false.
    pub fn flag(&self, name: &str) -> bool {
        self.0
            .get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// Every value given for `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.1
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `offset` and `limit` as Jersey parses them: a value that is not an integer makes the
    /// resource unmatched (404); a non-positive limit means no limit.
    pub fn paging(&self) -> Result<(usize, usize), RegistryError> {
        let parse = |name: &str| -> Result<Option<i64>, RegistryError> {
            match self.0.get(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<i32>()
                    .map(|n| Some(i64::from(n)))
                    .map_err(|_| RegistryError::BadRequest(404, "HTTP 404 Not Found".into())),
            }
        };
        let offset = parse("offset")?.unwrap_or(0).max(0) as usize;
        let limit = match parse("limit")? {
            Some(l) if l > 0 => l as usize,
            _ => usize::MAX,
        };
        Ok((offset, limit))
    }
}

fn form_urlencoded_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "Array value (token `JsonToken.START_ARRAY`)",
        Value::Object(_) => "Object value (token `JsonToken.START_OBJECT`)",
        Value::String(_) => "String value",
        Value::Number(_) => "Number value",
        Value::Bool(_) => "Boolean value",
        Value::Null => "null",
    }
}

fn bad(msg: String) -> RegistryError {
    RegistryError::BadRequest(400, msg)
}

/// The body must be a JSON object (named `what` in messages, as Jackson does).
pub fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, RegistryError> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(bad(format!(
            "Cannot deserialize value of type `{what}` from {}",
            type_name(other)
        ))),
    }
}

/// A string field; scalars are coerced to their text as Jackson does; objects/arrays are 400.
pub fn opt_string(m: &Map<String, Value>, field: &str) -> Result<Option<String>, RegistryError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(bad(format!(
            "Cannot deserialize value of type `String` from {}",
            type_name(other)
        ))),
    }
}

/// An integer field; numeric strings are coerced as Jackson does, and so are floats
/// (`ACCEPT_FLOAT_AS_INT`, on by default: `3.0` and `3.7` are 3).
pub fn opt_int(m: &Map<String, Value>, field: &str) -> Result<Option<i32>, RegistryError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => i32::try_from(i).ok(),
            None => n
                .as_f64()
                .filter(|f| (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(f))
                .map(|f| f as i32),
        }
        .map(Some)
        .ok_or_else(|| bad(format!("Numeric value ({n}) out of range of int"))),
        Some(Value::String(s)) => s.trim().parse::<i32>().map(Some).map_err(|_| {
            bad(format!(
                "Cannot deserialize value of type `Integer` from String \"{s}\": not a valid `java.lang.Integer` value"
            ))
        }),
        Some(other) => Err(bad(format!(
            "Cannot deserialize value of type `Integer` from {}",
            type_name(other)
        ))),
    }
}

/// A boolean field; only JSON booleans and the strings "true"/"false".
pub fn opt_bool(m: &Map<String, Value>, field: &str) -> Result<Option<bool>, RegistryError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
        Some(Value::String(s)) => Err(bad(format!(
            "Cannot deserialize value of type `Boolean` from String \"{s}\": only \"true\" or \"false\" recognized"
        ))),
        Some(other) => Err(bad(format!(
            "Cannot deserialize value of type `Boolean` from {}",
            type_name(other)
        ))),
    }
}

/// An object field (metadata, rule sets), kept as JSON.
pub fn opt_object(m: &Map<String, Value>, field: &str) -> Result<Option<Value>, RegistryError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        Some(other) => Err(bad(format!(
            "Cannot deserialize value of type `{field}` from {}",
            type_name(other)
        ))),
    }
}

/// Metadata as Confluent stores it: property values are strings; empty parts are dropped.
fn normalize_metadata(v: Value) -> Value {
    match v {
        Value::Object(mut m) => {
            m.retain(|_, part| match part {
                Value::Object(o) => !o.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Null => false,
                _ => true,
            });
            if let Some(Value::Object(props)) = m.get_mut("properties") {
                for (_, pv) in props.iter_mut() {
                    if !pv.is_string() && !pv.is_null() {
                        let text = pv.to_string();
                        *pv = Value::String(text);
                    }
                }
            }
            Value::Object(m)
        }
        other => other,
    }
}

/// Parses a register / lookup / compatibility body.
pub fn schema_request(v: &Value) -> Result<SchemaRequest, RegistryError> {
    let m = object(v, "RegisterSchemaRequest")?;
    let mut invalid_reference = None;
    let mut reference_texts = Vec::new();
    let references = match m.get("references") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => {
            let mut refs = Vec::with_capacity(items.len());
            for it in items {
                let r = object(it, "SchemaReference")?;
                let name = opt_string(r, "name")?;
                let subject = opt_string(r, "subject")?;
                let version = opt_int(r, "version")?;
                let text = format!(
                    "{{name='{}', subject='{}', version={}}}",
                    name.as_deref().unwrap_or("null"),
                    subject.as_deref().unwrap_or("null"),
                    version.map_or("null".to_string(), |v| v.to_string())
                );
                if (name.is_none() || subject.is_none() || version.is_none())
                    && invalid_reference.is_none()
                {
                    invalid_reference = Some(text.clone());
                }
                reference_texts.push(text);
                refs.push(Reference {
                    name: name.unwrap_or_default(),
                    subject: subject.unwrap_or_default(),
                    version: version.unwrap_or(-1),
                });
            }
            refs
        }
        Some(other) => {
            return Err(bad(format!(
                "Cannot deserialize value of type `SchemaReference>` from {}",
                type_name(other)
            )))
        }
    };
    Ok(SchemaRequest {
        schema: opt_string(m, "schema")?,
        schema_type: opt_string(m, "schemaType")?,
        references,
        metadata: opt_object(m, "metadata")?.map(normalize_metadata),
        rule_set: opt_object(m, "ruleSet")?,
        id: opt_int(m, "id")?,
        version: opt_int(m, "version")?,
        invalid_reference,
        reference_texts,
    })
}

/// The answer to a body over [`super::MAX_BODY_BYTES`].
pub fn body_too_large() -> RegistryError {
    RegistryError::BadRequest(413, "Request body is too large".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_coerced_to_int_as_jackson_does() {
        let v = serde_json::json!({"a": 3.0, "b": -3.7, "c": 1e3, "d": 2147483648.0, "e": 7, "f": 2147483648_i64});
        let m = v.as_object().expect("object");
        assert_eq!(opt_int(m, "a").ok(), Some(Some(3)));
        assert_eq!(opt_int(m, "b").ok(), Some(Some(-3)));
        assert_eq!(opt_int(m, "c").ok(), Some(Some(1000)));
        assert!(opt_int(m, "d").is_err());
        assert_eq!(opt_int(m, "e").ok(), Some(Some(7)));
        assert!(opt_int(m, "f").is_err());
    }
}

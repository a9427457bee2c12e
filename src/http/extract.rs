//! Request extraction that answers in Confluent's error shape: the JSON body (content type,
//! size, syntax), query parameters (lenient, as Jersey parses them) and typed body fields.

use crate::error::RegistryError;
use crate::model::Reference;
use crate::registry::SchemaRequest;
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

/// Body limits of the routes that carry a schema (register, lookup, compatibility): bytes,
/// and JSON elements (containers and members) of the request document.
pub const SCHEMA_BODY: usize = super::MAX_BODY_BYTES;
/// Body limit of every other route (config, mode, exporters): small documents.
pub const SMALL_BODY: usize = 64 * 1024;
/// Nesting depth of a request document (serde_json's own recursion limit).
const MAX_DEPTH: usize = 128;
/// JSON elements of the text of a schema (its own document, parsed by `schema::parse`): a
/// record with thousands of fields or an enum with tens of thousands of symbols fits.
pub const MAX_SCHEMA_ELEMENTS: usize = 200_000;

/// Elements allowed in a request document with body limit `max_bytes`.
fn max_elements(max_bytes: usize) -> usize {
    if max_bytes > SMALL_BODY {
        20_000
    } else {
        2_000
    }
}

/// A JSON body of at most `MAX` bytes: `None` when the body is empty or `null`. Read only
/// when the handler asks for it (after authentication), within the body timeout; the
/// document's depth and size are checked on the bytes before anything is built from them.
pub struct Body<const MAX: usize = SMALL_BODY>(pub Option<Value>);

/// The `Content-Length` a request declares (`None`: absent or unreadable; hyper has already
/// refused invalid ones).
pub fn declared_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

impl<S: Send + Sync, const MAX: usize> FromRequest<S> for Body<MAX> {
    type Rejection = RegistryError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if !content_type_accepted(req.headers()) {
            return Err(super::error::unsupported_media_type());
        }
        let timeout = req
            .extensions()
            .get::<super::serve::BodyTimeout>()
            .map_or(DEFAULT_BODY_TIMEOUT, |t| t.0);
        let (parts, body) = req.into_parts();
        let bytes = read_body(&parts.headers, body, MAX, timeout).await?;
        parse_body(&bytes, MAX).map(Body)
    }
}

/// Whether the request's content type (if any) is one Confluent accepts (else 415).
pub fn content_type_accepted(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    ACCEPTED.contains(&essence)
}

/// A request body of at most `max` bytes, read within `timeout` (a declared length over
/// the limit is refused before a byte is read: no `100 Continue` is sent for it).
pub async fn read_body(
    headers: &axum::http::HeaderMap,
    body: axum::body::Body,
    max: usize,
    timeout: std::time::Duration,
) -> Result<bytes::Bytes, RegistryError> {
    if declared_length(headers).is_some_and(|n| n > max as u64) {
        return Err(body_too_large_for(max));
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, max)).await {
        Err(_) => Err(super::error::body_timeout(format!(
            "Request body not received within {} ms",
            timeout.as_millis()
        ))),
        Ok(Err(e)) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            Err(if too_large {
                body_too_large_for(max)
            } else {
                bad(format!("Cannot read the request body: {e}"))
            })
        }
        Ok(Ok(b)) => Ok(b),
    }
}

/// A body's JSON document (`None`: empty or `null`), its depth and size checked on the
/// bytes first, with the element limit of a route whose body limit is `max`.
pub fn parse_body(bytes: &[u8], max: usize) -> Result<Option<Value>, RegistryError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| bad("Invalid UTF-8 in the request body".into()))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    check_document(text.as_bytes(), MAX_DEPTH, max_elements(max)).map_err(bad)?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Null) => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(e) => Err(bad(json_error(&e))),
    }
}

/// How long a body may take when no limit was handed over (a router used without
/// `serve::run`, e.g. in unit tests).
pub const DEFAULT_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Checks a JSON text's nesting depth and element count (containers and their members) on
/// its bytes, without building anything: memory for a document is bounded before it is
/// parsed. Syntax is left to the parser.
pub fn check_document(text: &[u8], max_depth: usize, max_elements: usize) -> Result<(), String> {
    let mut depth = 0usize;
    let mut elements = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in text {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                elements += 1;
                if depth > max_depth {
                    return Err(format!(
                        "Document nesting depth exceeds the maximum allowed ({max_depth})"
                    ));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' => elements += 1,
            _ => continue,
        }
        if elements > max_elements {
            return Err(format!(
                "Document has more than the maximum allowed {max_elements} elements"
            ));
        }
    }
    Ok(())
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

    /// `offset` and `limit` as Jersey parses them: a blank value is the default; one that
    /// is not an integer (untrimmed, as `Integer.valueOf` reads it) makes the resource
    /// unmatched (404); a non-positive limit means no limit.
    pub fn paging(&self) -> Result<(usize, usize), RegistryError> {
        let parse = |name: &str| -> Result<Option<i64>, RegistryError> {
            match self.0.get(name) {
                None => Ok(None),
                Some(v) if v.is_empty() => Ok(None),
                Some(v) => v
                    .parse::<i32>()
                    .map(|n| Some(i64::from(n)))
                    .map_err(|_| super::error::not_found_error()),
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

pub(super) use crate::contract::type_name;

pub(super) fn bad(msg: String) -> RegistryError {
    super::error::bad_request(msg)
}

pub use crate::contract::object;

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

/// A `metadata` or rule set field bound to Confluent's entity (see `crate::contract`).
pub fn opt_contract(
    m: &Map<String, Value>,
    field: &str,
    bind: fn(&Value) -> Result<Value, RegistryError>,
) -> Result<Option<Value>, RegistryError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => bind(v).map(Some),
    }
}

/// `RuleSet.validate` on the request's own rule set fields (before their defaults are
/// filled in: an empty name is "Empty rule name", not a missing one): 42210.
pub fn validate_rule_sets(m: &Map<String, Value>, fields: &[&str]) -> Result<(), RegistryError> {
    for f in fields {
        if let Some(v) = m.get(*f).filter(|v| !v.is_null()) {
            crate::contract::validate_rule_set(v)?;
        }
    }
    Ok(())
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
    let schema = opt_string(m, "schema")?;
    if let Some(text) = &schema {
        // The schema parser builds a tree of the text: bound it first.
        check_document(text.as_bytes(), usize::MAX, MAX_SCHEMA_ELEMENTS)
            .map_err(|m| RegistryError::InvalidSchema(format!("Invalid schema: {m}")))?;
    }
    Ok(SchemaRequest {
        schema,
        schema_type: opt_string(m, "schemaType")?,
        references,
        metadata: opt_contract(m, "metadata", crate::contract::metadata)?,
        rule_set: opt_contract(m, "ruleSet", crate::contract::rule_set)?,
        id: opt_int(m, "id")?,
        version: opt_int(m, "version")?,
        invalid_reference,
        reference_texts,
        tag_edits: super::tags::tag_edits(m, "schemaTagsToAdd", "schemaTagsToRemove")?,
        propagate_schema_tags: opt_bool(m, "propagateSchemaTags")? == Some(true),
    })
}

/// The answer to a body over [`super::MAX_BODY_BYTES`].
pub fn body_too_large() -> RegistryError {
    body_too_large_for(super::MAX_BODY_BYTES)
}

/// The answer to a body over `max` bytes.
pub fn body_too_large_for(max: usize) -> RegistryError {
    super::error::too_large(too_large_message(max))
}

pub fn too_large_message(max: usize) -> String {
    format!("Request body is too large (the limit of this resource is {max} bytes)")
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

    #[test]
    fn documents_are_bounded_before_parsing() {
        assert!(check_document(br#"{"a":[1,2,{"b":"[[[,,,"}]}"#, 3, 6).is_ok());
        assert!(check_document(b"[[[[1]]]]", 3, 100).is_err());
        assert!(check_document(b"[1,2,3,4,5]", 10, 4).is_err());
        assert!(check_document(br#"["\",[[[[[[,,,,,"]"#, 2, 3).is_ok());
    }
}

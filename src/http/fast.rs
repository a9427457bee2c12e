//! The reads every client makes, answered before the router when they succeed and carry no
//! query: `GET /schemas/ids/{id}` (consumers) for an ID the default context holds, answered
//! with the bytes the index keeps per ID (`Registry::id_answer`); and
//! `GET /subjects/{s}/versions/{v}` (`use.latest.version` serializers), answered with the
//! bytes the version's entry keeps (`Registry::version_answer`, found as the handler's
//! `Registry::version` finds it). Both are rendered by the functions the handlers use
//! ([`render_by_id`], [`render_version`]), so both paths answer the same bytes.
//!
//! A third: `POST /subjects/{s}` without a query (a serializer looking up the ID of the
//! schema it holds), when the body declares at most [`LOOKUP_BODY`] bytes: the body is
//! read here with the limits and timeout the `Body` extractor applies, and the lookup
//! answered when it succeeds; any other outcome goes to the router with the bytes read.
//!
//! What the layers do for every request is done here too: the request ID is taken or made
//! and returned, the request is counted and timed under its route template, and its log
//! line written when enabled. Anything else (another route, a query, an unknown ID, a
//! percent-encoded or signed ID) goes to the router unchanged. Not used when basic
//! authentication is on: every request then goes through the auth layer.

use super::types::{SchemaById, SchemaVersion};
use crate::metrics::Metrics;
use crate::model::Subject;
use crate::registry::{IdView, Registry, VersionSpec, VersionView};
use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Response, Uri};
use std::sync::Arc;
use std::time::Instant;

/// The route templates the router matches these requests with (the metrics labels).
const BY_ID: &str = "/schemas/ids/{id}";
const VERSION: &str = "/subjects/{subject}/versions/{version}";
const LOOKUP: &str = "/subjects/{subject}";

/// The largest lookup body read here (declared by `Content-Length`); larger ones, chunked
/// ones and those that wait for `100 Continue` take the router's way.
pub const LOOKUP_BODY: u64 = 64 * 1024;

/// The answers served before the router.
pub struct FastPath {
    registry: Arc<Registry>,
    metrics: Arc<Metrics>,
}

/// The default answer of `GET /schemas/ids/{id}`: Confluent 8's `SchemaString` without
/// subject and version, the stored text.
pub fn render_by_id(v: &IdView) -> bytes::Bytes {
    let out = SchemaById::of(v, v.body.schema.clone(), false);
    // Plain strings, numbers and JSON values: serialising cannot fail.
    bytes::Bytes::from(serde_json::to_vec(&out).unwrap_or_default())
}

/// The default answer of `GET /subjects/{s}/versions/{v}`: the version with `ts` and
/// `deleted`, the stored text, references as stored.
pub fn render_version(v: &VersionView) -> bytes::Bytes {
    bytes::Bytes::from(serde_json::to_vec(&SchemaVersion::of(v)).unwrap_or_default())
}

/// `/subjects/{s}/versions/{v}` → the two segments, when neither needs decoding.
fn version_of_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/subjects/")?;
    let (subject, rest) = rest.split_once('/')?;
    let version = rest.strip_prefix("versions/")?;
    let plain = |s: &str| !s.is_empty() && !s.contains(['%', '/']);
    (plain(subject) && plain(version)).then_some((subject, version))
}

/// `/subjects/{s}` → the subject segment, when it needs no decoding.
fn lookup_of_path(path: &str) -> Option<&str> {
    let subject = path.strip_prefix("/subjects/")?;
    (!subject.is_empty() && !subject.contains(['%', '/'])).then_some(subject)
}

/// `/schemas/ids/{digits}` → the ID; anything else is the router's.
fn id_of_path(path: &str) -> Option<i32> {
    let digits = path.strip_prefix("/schemas/ids/")?;
    if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl FastPath {
    pub fn new(registry: Arc<Registry>, metrics: Arc<Metrics>) -> FastPath {
        FastPath { registry, metrics }
    }

    /// The answer, when this request is one served here.
    pub fn answer(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Option<Response<Body>> {
        if method != Method::GET || uri.query().is_some() {
            return None;
        }
        let start = Instant::now();
        let path = uri.path();
        let (bytes, route) = if let Some(id) = id_of_path(path) {
            (self.registry.id_answer(id, render_by_id)?, BY_ID)
        } else {
            let (subject, version) = version_of_path(path)?;
            let spec = VersionSpec::parse(version, true).ok()?;
            let (answered, bytes) = self
                .registry
                .read_using_contexts(&Subject::parse(subject), |s| {
                    self.registry.version_answer(s, spec, render_version)
                })
                .ok()?;
            // A fetched subject's `latest` may be due for a check with the upstream
            // (`upstream.rs`): the router's handler decides.
            if spec == VersionSpec::Latest && self.registry.is_fetched(&answered) {
                return None;
            }
            (bytes, VERSION)
        };
        Some(self.finish(
            method,
            uri,
            headers,
            super::error::ok_bytes(bytes),
            route,
            start,
        ))
    }

    /// Whether this request is a lookup whose body is read here ([`FastPath::lookup`]).
    pub fn takes_lookup(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
        method == Method::POST
            && uri.query().is_none()
            && lookup_of_path(uri.path()).is_some()
            && super::extract::declared_length(headers).is_some_and(|n| n <= LOOKUP_BODY)
            && !headers.contains_key(header::EXPECT)
            && super::extract::content_type_accepted(headers)
    }

    /// The answer to a lookup whose body is `body`, when the schema is found; `None`: the
    /// router answers (an error, a body that does not parse, an unknown subject).
    pub fn lookup(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        start: Instant,
    ) -> Option<Response<Body>> {
        let subject = Subject::parse(lookup_of_path(uri.path())?);
        let doc = super::extract::parse_body(body, super::extract::SCHEMA_BODY).ok()??;
        let req = super::extract::schema_request(&doc).ok()?;
        let (_, v) = self
            .registry
            .read_using_contexts(&subject, |s| self.registry.lookup(s, &req, false, false))
            .ok()?;
        let bytes = serde_json::to_vec(&SchemaVersion::looked_up(&v)).ok()?;
        let resp = super::error::ok_bytes(bytes.into());
        Some(self.finish(&Method::POST, uri, headers, resp, LOOKUP, start))
    }

    /// A lookup whose body could not be read: the extractor's error, answered here.
    pub fn lookup_failed(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
        error: crate::error::RegistryError,
        start: Instant,
    ) -> Response<Body> {
        use axum::response::IntoResponse;
        self.finish(
            &Method::POST,
            uri,
            headers,
            error.into_response(),
            LOOKUP,
            start,
        )
    }

    /// What the outer layers add to every answer: the request ID, the log line, the
    /// request's metrics under its route template.
    fn finish(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        mut resp: Response<Body>,
        route: &'static str,
        start: Instant,
    ) -> Response<Body> {
        let request_id = super::request_log::id_of(headers);
        let status = resp.status().as_u16();
        if super::request_log::logging() {
            super::request_log::log_line(method, uri, status, start, &request_id);
        }
        resp.headers_mut()
            .insert(super::request_log::REQUEST_ID, request_id);
        let label = super::metrics::method_label(method);
        self.metrics.observe(label, route, status, start.elapsed());
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::{id_of_path, version_of_path};

    #[test]
    fn only_plain_version_paths_are_taken() {
        assert_eq!(
            version_of_path("/subjects/a-value/versions/latest"),
            Some(("a-value", "latest"))
        );
        assert_eq!(
            version_of_path("/subjects/:.c:a/versions/2"),
            Some((":.c:a", "2"))
        );
        for other in [
            "/subjects/a/versions",
            "/subjects/a/versions/",
            "/subjects/a%2Fb/versions/1",
            "/subjects/a/versions/1/schema",
            "/subjects//versions/1",
            "/subjects/a/versions/1/referencedby",
        ] {
            assert_eq!(version_of_path(other), None, "{other}");
        }
    }

    #[test]
    fn only_plain_decimal_ids_are_taken() {
        assert_eq!(id_of_path("/schemas/ids/7"), Some(7));
        assert_eq!(id_of_path("/schemas/ids/007"), Some(7));
        assert_eq!(id_of_path("/schemas/ids/2147483647"), Some(i32::MAX));
        for other in [
            "/schemas/ids/",
            "/schemas/ids/2147483648",
            "/schemas/ids/-1",
            "/schemas/ids/+1",
            "/schemas/ids/%31",
            "/schemas/ids/1/schema",
            "/schemas/ids/1/",
            "/schemas/ids//1",
            "/contexts/.a/schemas/ids/1",
        ] {
            assert_eq!(id_of_path(other), None, "{other}");
        }
    }
}

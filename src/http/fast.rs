//! The reads every client makes, answered before the router when they succeed and carry no
//! query: `GET /schemas/ids/{id}` (consumers) for an ID the default context holds, answered
//! with the bytes the index keeps per ID (`Registry::id_answer`); and
//! `GET /subjects/{s}/versions/{v}` (`use.latest.version` serializers), answered with the
//! bytes the version's entry keeps (`Registry::version_answer`, found as the handler's
//! `Registry::version` finds it). Both are rendered by the functions the handlers use
//! ([`render_by_id`], [`render_version`]), so both paths answer the same bytes.
//!
//! What the layers do for every request is done here too: the request ID is taken or made
//! and returned, the request is counted and timed under its route template, and its log
//! line written when enabled. Anything else (another route, a query, an unknown ID, a
//! percent-encoded or signed ID) goes to the router unchanged. Not used when basic
//! authentication is on: every request then goes through the auth layer.

use super::error::CONTENT_TYPE;
use super::types::{SchemaById, SchemaVersion};
use crate::metrics::Metrics;
use crate::model::Subject;
use crate::registry::{IdView, Registry, VersionSpec, VersionView};
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode, Uri};
use std::sync::Arc;
use std::time::Instant;

/// The route templates the router matches these requests with (the metrics labels).
const BY_ID: &str = "/schemas/ids/{id}";
const VERSION: &str = "/subjects/{subject}/versions/{version}";

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
            let (_, bytes) = self
                .registry
                .read_using_contexts(&Subject::parse(subject), |s| {
                    self.registry.version_answer(s, spec, render_version)
                })
                .ok()?;
            (bytes, VERSION)
        };
        let request_id = super::request_log::id_of(headers);
        let mut resp = Response::new(Body::from(bytes));
        *resp.status_mut() = StatusCode::OK;
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if super::request_log::logging() {
            super::request_log::log_line(method, uri, 200, start, &request_id);
        }
        h.insert(super::request_log::REQUEST_ID, request_id);
        self.metrics.observe("GET", route, 200, start.elapsed());
        Some(resp)
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

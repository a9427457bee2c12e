//! Request IDs and the request log line, outermost on every route.
//!
//! Each request carries an ID: the client's `X-Request-ID` when it sends a usable one (1 to
//! 128 visible ASCII characters), else one made here (this process's random prefix and a
//! counter). The answer returns it in `X-Request-ID`, and the request's log line names it.
//! The line (target `schema_registry::request`, level debug, so `--log schema_registry=debug`
//! shows it) has the method, the URI, the status and the latency in milliseconds; in the
//! JSON log format these are fields of the object.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, Uri};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const MAX_ID_LEN: usize = 128;

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A per-process prefix, so that IDs of two nodes (or two runs) do not collide.
fn prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
            ^ u128::from(std::process::id()) << 64;
        // Fold the seed into 48 bits of hex.
        let folded = (seed ^ (seed >> 48) ^ (seed >> 96)) as u64 & 0xffff_ffff_ffff;
        format!("{folded:012x}")
    })
}

/// The client's ID when usable, else a new one.
fn request_id(req: &Request) -> HeaderValue {
    id_of(req.headers())
}

/// The ID of a request with these headers: the client's `X-Request-ID` when usable, else
/// a new one.
pub fn id_of(headers: &axum::http::HeaderMap) -> HeaderValue {
    if let Some(v) = headers.get(&REQUEST_ID) {
        let b = v.as_bytes();
        if !b.is_empty() && b.len() <= MAX_ID_LEN && b.iter().all(u8::is_ascii_graphic) {
            return v.clone();
        }
    }
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    HeaderValue::from_str(&format!("{}-{n:x}", prefix()))
        .unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// Whether request lines are logged (`schema_registry::request` at debug).
pub fn logging() -> bool {
    tracing::enabled!(target: "schema_registry::request", tracing::Level::DEBUG)
}

/// The request's log line (when [`logging`]).
pub fn log_line(method: &Method, uri: &Uri, status: u16, start: Instant, id: &HeaderValue) {
    tracing::debug!(
        target: "schema_registry::request",
        method = %method,
        uri = %uri,
        status,
        latency_ms = start.elapsed().as_secs_f64() * 1000.0,
        request_id = id.to_str().unwrap_or_default(),
        "request"
    );
}

pub async fn track(mut req: Request, next: Next) -> Response {
    let id = request_id(&req);
    // The handlers (and a forward to the leader) see the ID this node uses.
    req.headers_mut().insert(REQUEST_ID, id.clone());
    let described = logging().then(|| (req.method().clone(), req.uri().clone()));
    let start = Instant::now();
    let mut res = next.run(req).await;
    if let Some((method, uri)) = described {
        log_line(&method, &uri, res.status().as_u16(), start, &id);
    }
    res.headers_mut().insert(REQUEST_ID, id);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(id: Option<&[u8]>) -> Request {
        let mut b = axum::http::Request::builder().uri("/");
        if let Some(id) = id {
            b = b.header(REQUEST_ID, HeaderValue::from_bytes(id).expect("header"));
        }
        b.body(axum::body::Body::empty()).expect("request")
    }

    #[test]
    fn a_usable_client_id_is_kept_else_one_is_made() {
        assert_eq!(request_id(&with(Some(b"abc-123"))), "abc-123");
        for bad in [&b"has space"[..], &[b'x'; 129][..]] {
            let made = request_id(&with(Some(bad)));
            assert_ne!(made.as_bytes(), bad);
            assert!(made.to_str().is_ok_and(|s| s.starts_with(prefix())));
        }
        let a = request_id(&with(None));
        let b = request_id(&with(None));
        assert_ne!(a, b);
    }
}

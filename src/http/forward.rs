//! Followers forward writes to the leader. Every non-GET request is buffered; when the
//! handler answers "not the leader" (a [`ForwardTo`] marker on the response), the original
//! request (method, original URL, body, an allow-list of headers) is sent to the leader and
//! its answer returned as is. A request that was already forwarded is never forwarded again.

use super::error::ForwardTo;
use super::{AppState, MAX_BODY_BYTES};
use crate::error::RegistryError;
use crate::metrics::ForwardOutcome;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Marks a forwarded request.
pub const FORWARDED: &str = "x-schema-registry-forwarded";
/// Request headers passed on to the leader. `authorization` is the caller's own: with
/// `--auth-users-file` the leader authenticates and authorises the real user again (every
/// node needs the same users file); the forwarding client has no credentials of its own.
/// `x-request-id` is the ID this node gave the request (`request_log::track` puts it on the
/// request), so the leader's log line and answer carry the same ID.
const ALLOWED: [&str; 7] = [
    "x-request-id",
    "authorization",
    "content-type",
    "accept",
    "traceparent",
    "tracestate",
    "user-agent",
];

pub async fn forward_writes(State(st): State<AppState>, req: Request, next: Next) -> Response {
    // Only a node sharing its log can be a follower.
    if !st.registry.clustered() {
        return next.run(req).await;
    }
    // A read is forwarded only when it would write: a fetch-through miss (`upstream.rs`)
    // is the leader's to fetch and write. The leader's answer is relayed once this node has
    // applied the records it wrote (the same catch-up as after a forwarded write below).
    if req.method() == Method::GET || req.method() == Method::HEAD {
        let method = req.method().clone();
        let path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let headers = req.headers().clone();
        let resp = next.run(req).await;
        return match resp.extensions().get::<ForwardTo>().cloned() {
            Some(ForwardTo(leader)) => {
                let answer = relay(&st, leader, method, &path, &headers, bytes::Bytes::new()).await;
                if answer.status().is_success() {
                    if let Err(e) = st.registry.sync().await {
                        tracing::warn!(error = %e, "this node did not catch up after a forwarded fetch");
                    }
                }
                answer
            }
            None => resp,
        };
    }
    let (parts, body) = req.into_parts();
    // The same time bound as the body extractor's (a slow sender gets 408, not a slot).
    let timeout = parts
        .extensions
        .get::<super::serve::BodyTimeout>()
        .map_or(super::extract::DEFAULT_BODY_TIMEOUT, |t| t.0);
    let bytes =
        match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
            Ok(Ok(b)) => b,
            Ok(Err(_)) => return super::extract::body_too_large().into_response(),
            Err(_) => {
                return super::error::body_timeout(format!(
                    "Request body not received within {} ms",
                    timeout.as_millis()
                ))
                .into_response()
            }
        };
    let method = parts.method.clone();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let headers = parts.headers.clone();
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    let Some(ForwardTo(leader)) = resp.extensions().get::<ForwardTo>().cloned() else {
        return resp;
    };
    let answer = relay(&st, leader, method, &path, &headers, bytes).await;
    // A write the leader made: this node answers the client's next read from its own
    // index (or key log), so it catches up with the leader's log first (a client registers
    // through a follower, then asks it for the latest version). Bounded by the store's
    // write timeout; the leader's answer stands either way.
    if answer.status().is_success() {
        if path.starts_with("/dek-registry/") {
            if let Some(keys) = &st.keys {
                if let Err(e) = keys.sync().await {
                    tracing::warn!(error = %e, "the DEK registry did not catch up after a forwarded write");
                }
            }
        } else if let Err(e) = st.registry.sync().await {
            tracing::warn!(error = %e, "this node did not catch up after a forwarded write");
        }
    }
    answer
}

/// Sends a request this node cannot answer to the leader, once.
async fn relay(
    st: &AppState,
    leader: String,
    method: Method,
    path: &str,
    headers: &HeaderMap,
    bytes: bytes::Bytes,
) -> Response {
    let forwarded = headers.contains_key(FORWARDED);
    if forwarded {
        // The leader we were told of does not think it leads (a takeover in progress).
        st.metrics.forwarded(ForwardOutcome::Rejected);
        return RegistryError::NotLeader(None).into_response();
    }
    match send(&st.forwarder, &leader, method, path, headers, bytes).await {
        Ok(r) => {
            st.metrics.forwarded(ForwardOutcome::Answered);
            r
        }
        Err(e) => {
            st.metrics.forwarded(ForwardOutcome::Unreachable);
            RegistryError::Forwarding(format!("{leader}: {e}")).into_response()
        }
    }
}

async fn send(
    client: &reqwest::Client,
    leader: &str,
    method: Method,
    path: &str,
    headers: &HeaderMap,
    body: bytes::Bytes,
) -> Result<Response, String> {
    let url = format!("{}{path}", leader.trim_end_matches('/'));
    let method =
        reqwest::Method::from_bytes(method.as_str().as_bytes()).map_err(|e| e.to_string())?;
    let mut req = client
        .request(method, &url)
        .body(body)
        .header(FORWARDED, "1");
    for name in ALLOWED {
        if let Some(v) = headers.get(HeaderName::from_static(name)) {
            req = req.header(name, v.as_bytes());
        }
    }
    let answer = req.send().await.map_err(|e| e.to_string())?;
    let status = super::error::relayed_status(answer.status().as_u16())?;
    let content_type = answer.headers().get("content-type").cloned();
    let body = answer.bytes().await.map_err(|e| e.to_string())?;
    let mut resp = (status, body).into_response();
    if let Some(ct) =
        content_type.and_then(|v| axum::http::HeaderValue::from_bytes(v.as_bytes()).ok())
    {
        resp.headers_mut()
            .insert(axum::http::header::CONTENT_TYPE, ct);
    }
    Ok(resp)
}

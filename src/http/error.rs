//! The one place that knows HTTP status codes: it maps failures to statuses and Confluent
//! `error_code`s, and builds the successful answers (200, 204, 503) the handlers return.

use crate::error::RegistryError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

impl RegistryError {
    /// (HTTP status, Confluent error_code).
    pub fn codes(&self) -> (u16, u32) {
        use RegistryError::*;
        match self {
            SubjectNotFound(_) => (404, 40401),
            VersionNotFound(_) => (404, 40402),
            SchemaNotFound(_) | GuidNotFound(_) => (404, 40403),
            SubjectSoftDeleted(_) => (404, 40404),
            SubjectNotSoftDeleted(_) => (404, 40405),
            VersionSoftDeleted(..) => (404, 40406),
            VersionNotSoftDeleted(..) => (404, 40407),
            SubjectConfigNotFound(_) => (404, 40408),
            SubjectModeNotFound(_) => (404, 40409),
            Incompatible { .. } => (409, 409),
            InvalidSchema(_) => (422, 42201),
            InvalidVersion(_) => (422, 42202),
            InvalidCompatibility => (422, 42203),
            InvalidMode | ForwardModeNotGlobal => (422, 42204),
            OperationNotPermitted(_) => (422, 42205),
            ContextNotEmpty(_) => (422, 42211),
            InvalidRuleSet(_) => (422, 42210),
            ReferenceExists(..) => (422, 42206),
            InvalidSubject(_) => (422, 42208),
            BadRequest(status, _) => (*status, *status as u32),
            Exporter(code, _) => (if *code == 40450 { 404 } else { 409 }, *code),
            Association(code, _) => (
                (if *code >= 10000 { code / 100 } else { *code }) as u16,
                *code,
            ),
            Keys(status, code, _) => (*status, *code),
            Store(_) => (500, 50001),
            StoreTimeout(_) => (500, 50002),
            Forwarding(_) => (500, 50003),
            NotLeader(_) => (500, 50004),
            Upstream { status, code, .. } => (*status, *code),
        }
    }
}

/// The `error_code` of an error response, also kept as a response extension so that layers
/// (metrics) need not parse the body back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode(pub u32);

/// Builds a Confluent-shaped error response.
pub fn error_response(status: u16, code: u32, message: &str) -> Response {
    let body = serde_json::to_string(&super::types::ErrorBody {
        error_code: code,
        message: message.to_string(),
    })
    .unwrap_or_default();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    resp.extensions_mut().insert(ErrorCode(code));
    resp
}

/// The answer when a typed answer cannot be serialised (a bug: 500, error_code 500).
pub fn serialization_failed(e: &serde_json::Error) -> Response {
    tracing::error!(error = %e, "cannot serialise an answer");
    error_response(500, 500, &format!("Cannot serialise the answer: {e}"))
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        let (status, code) = self.codes();
        if let RegistryError::NotLeader(Some(url)) = &self {
            // The forwarding layer sends the request to the leader instead.
            let mut resp = error_response(status, code, &self.to_string());
            resp.extensions_mut().insert(ForwardTo(url.clone()));
            return resp;
        }
        if status >= 500 {
            tracing::error!(error = %self, code, "request failed");
        }
        let mut resp = error_response(status, code, &self.to_string());
        if let RegistryError::Upstream {
            retry_after: Some(s),
            ..
        } = &self
        {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*s));
        }
        resp
    }
}

/// Marks a response whose request must be forwarded to the leader at this URL.
#[derive(Debug, Clone)]
pub struct ForwardTo(pub String);

/// A JSON answer with Confluent's content type, from its serialised text.
fn json_text(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    resp
}

/// 200 with a JSON document.
pub fn ok(v: Value) -> Response {
    json_text(StatusCode::OK, v.to_string())
}

/// 200 with a typed answer, serialised as [`ok`] would write its `Value`.
pub fn ok_typed<T: Serialize>(v: &T) -> Response {
    match serde_json::to_string(v) {
        Ok(body) => json_text(StatusCode::OK, body),
        Err(e) => serialization_failed(&e),
    }
}

/// 200 with pre-serialised JSON (stored schema text returned untouched).
pub fn ok_raw(body: String) -> Response {
    json_text(StatusCode::OK, body)
}

/// 200 with JSON bytes rendered earlier (`fast::render_by_id`, kept by the index).
pub fn ok_bytes(body: bytes::Bytes) -> Response {
    // Built directly (the hot reads answer with it): no default content type to replace.
    let mut resp = Response::new(axum::body::Body::from(body));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    resp
}

/// 503 with a typed answer (readiness while behind the log).
pub fn unavailable_typed<T: Serialize>(v: &T) -> Response {
    match serde_json::to_string(v) {
        Ok(body) => json_text(StatusCode::SERVICE_UNAVAILABLE, body),
        Err(e) => serialization_failed(&e),
    }
}

/// 204, no body.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// 200 with a text body of the given content type (`GET /metrics`).
pub fn ok_text(body: String, content_type: &'static str) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// 500 without a body (the metrics could not be encoded).
pub fn internal_error() -> Response {
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// The status a relayed answer (the leader's) had, or `None` when it is not one.
pub fn relayed_status(status: u16) -> Result<StatusCode, String> {
    StatusCode::from_u16(status).map_err(|e| e.to_string())
}

/// 404 as Jersey answers an unknown path (also an `{id}` or `offset` that is not an int).
pub fn not_found() -> Response {
    error_response(404, 404, "HTTP 404 Not Found")
}

/// [`not_found`] as an error.
pub fn not_found_error() -> RegistryError {
    RegistryError::BadRequest(404, "HTTP 404 Not Found".into())
}

/// 405 as Jersey answers a known path with another method.
pub fn method_not_allowed() -> Response {
    error_response(405, 405, "HTTP 405 Method Not Allowed")
}

/// 401 (no or bad credentials); the caller adds the challenge.
pub fn unauthorized() -> Response {
    error_response(401, 401, "Unauthorized")
}

/// 403: the caller's role does not allow the request.
pub fn forbidden(message: &str) -> Response {
    error_response(403, 403, message)
}

/// 400: a malformed request.
pub fn bad_request(message: impl Into<String>) -> RegistryError {
    RegistryError::BadRequest(400, message.into())
}

/// 400: a path parameter that does not decode.
pub fn invalid_path(e: &impl std::fmt::Display) -> RegistryError {
    bad_request(format!("Invalid path: {e}"))
}

/// 422 as Jersey's bean validation answers a missing body (`register.arg5 must not be
/// null (was null)`), or another unprocessable request.
pub fn unprocessable(message: impl Into<String>) -> RegistryError {
    RegistryError::BadRequest(422, message.into())
}

/// 415: a request content type other than JSON.
pub fn unsupported_media_type() -> RegistryError {
    RegistryError::BadRequest(415, "HTTP 415 Unsupported Media Type".into())
}

/// 408: the body did not arrive in time.
pub fn body_timeout(message: String) -> RegistryError {
    RegistryError::BadRequest(408, message)
}

/// 413: a body over the route's limit, as an error.
pub fn too_large(message: String) -> RegistryError {
    RegistryError::BadRequest(413, message)
}

/// 413 as the connection layer answers it (before routing).
pub fn too_large_response(message: &str) -> Response {
    error_response(413, 413, message)
}

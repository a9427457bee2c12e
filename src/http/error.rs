//! The one place that maps failures to HTTP status codes and Confluent `error_code`s.

use crate::error::RegistryError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

impl RegistryError {
    /// (HTTP status, Confluent error_code).
    pub fn codes(&self) -> (u16, u32) {
        use RegistryError::*;
        match self {
            SubjectNotFound(_) => (404, 40401),
            VersionNotFound(_) => (404, 40402),
            SchemaNotFound(_) => (404, 40403),
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
            InvalidMode => (422, 42204),
            OperationNotPermitted(_) => (422, 42205),
            ReferenceExists(..) => (422, 42206),
            InvalidSubject(_) => (422, 42208),
            BadRequest(status, _) => (*status, *status as u32),
            Exporter(code, _) => (if *code == 40450 { 404 } else { 409 }, *code),
            Store(_) => (500, 50001),
            StoreTimeout(_) => (500, 50002),
            Forwarding(_) => (500, 50003),
            NotLeader(_) => (500, 50004),
        }
    }
}

/// The `error_code` of an error response, also kept as a response extension so that layers
/// (metrics) need not parse the body back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode(pub u32);

/// Builds a Confluent-shaped error response.
pub fn error_response(status: u16, code: u32, message: &str) -> Response {
    let body = serde_json::json!({ "error_code": code, "message": message }).to_string();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    resp.extensions_mut().insert(ErrorCode(code));
    resp
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
        error_response(status, code, &self.to_string())
    }
}

/// Marks a response whose request must be forwarded to the leader at this URL.
#[derive(Debug, Clone)]
pub struct ForwardTo(pub String);

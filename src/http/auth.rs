//! The HTTP side of `crate::auth`: the middleware that authenticates and authorises each
//! request (the decisions themselves are `auth`'s, on the method and path as strings).

use super::error::{forbidden, unauthorized as unauthorized_answer};
use crate::auth::{authorize, is_open, Auth, Decision, REALM};
use crate::mtls::ClientIdentity;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// The middleware: 401 without valid credentials, 403 when the role does not allow the
/// request, else the request goes on with the [`crate::auth::Principal`] in its extensions. A verified
/// client certificate listed in the users file (`NAME:cert:ROLE`) authenticates as that
/// principal; otherwise the `Authorization` header is checked. On the open paths the caller
/// is identified when it can be, never refused. Without a users file (`None`) every request
/// goes on.
pub async fn require(
    State(auth): State<Option<Arc<Auth>>>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(auth) = auth else {
        return next.run(req).await;
    };
    let open = is_open(req.uri().path());
    let by_cert = req
        .extensions()
        .get::<ConnectInfo<ClientIdentity>>()
        .and_then(|c| c.0.principal.as_deref())
        .and_then(|name| auth.by_certificate(name));
    let principal = match by_cert {
        Some(p) => Some(p),
        None if open && !req.headers().contains_key(header::AUTHORIZATION) => None,
        None => {
            auth.authenticate(
                req.headers()
                    .get(header::AUTHORIZATION)
                    .map(HeaderValue::as_bytes),
            )
            .await
        }
    };
    if open {
        if let Some(p) = principal {
            req.extensions_mut().insert(p);
        }
        return next.run(req).await;
    }
    let Some(principal) = principal else {
        if req.headers().contains_key(header::AUTHORIZATION) {
            tracing::info!(method = %req.method(), path = %req.uri().path(), "authentication failed");
        }
        return unauthorized();
    };
    match authorize(&principal, req.method().as_str(), req.uri().path()) {
        Decision::Allow => {
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Decision::Deny(message) => {
            tracing::info!(user = %principal.name, method = %req.method(), path = %req.uri().path(), "forbidden");
            forbidden(&message)
        }
    }
}

/// 401 in Confluent's shape, with the challenge.
pub fn unauthorized() -> Response {
    let mut resp = unauthorized_answer();
    if let Ok(v) = HeaderValue::from_str(&format!("Basic realm=\"{REALM}\"")) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

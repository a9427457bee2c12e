//! `GET /ui`: the built-in web UI, a single page (vanilla JS, hash routing) that browses the
//! registry through this same REST API. Its three files are compiled into the binary
//! (`include_str!`): no CDN, nothing fetched at run time, no Node toolchain to build.
//!
//! Access is the API's: `/ui` and its assets are GETs, a read for `crate::auth::classify`, so
//! the read-only role can browse; what the page then asks the API for needs the roles the
//! API needs (exporters: admin). Without credentials the page is 401 with the Basic
//! challenge, so a browser prompts and then sends the same credentials with its `fetch()`es.

use super::AppState;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Same origin only: scripts, styles and API calls from this server, no inline code, no
/// framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const INDEX: Asset = Asset {
    name: "index.html",
    content_type: "text/html; charset=utf-8",
    body: include_str!("ui/index.html"),
};

const ASSETS: [Asset; 2] = [
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("ui/app.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("ui/app.css"),
    },
];

pub fn routes() -> Router<AppState> {
    // The router drops a trailing slash before routing: `/ui/` is `/ui`.
    Router::new()
        .route("/ui", get(index))
        .route("/ui/{asset}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    serve(&INDEX, 0, &headers)
}

async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => serve(&ASSETS[i], i + 1, &headers),
        None if name == INDEX.name => serve(&INDEX, 0, &headers),
        None => super::error::not_found(),
    }
}

/// The strong ETag of file `slot` (0: the index, then [`ASSETS`]), hashed once.
fn etag(asset: &Asset, slot: usize) -> &'static str {
    static TAGS: [OnceLock<String>; 1 + ASSETS.len()] =
        [const { OnceLock::new() }; 1 + ASSETS.len()];
    TAGS[slot].get_or_init(|| {
        let digest = Sha256::digest(asset.body.as_bytes());
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        format!("\"{hex}\"")
    })
}

/// The file, or 304 when the browser's copy is current. `no-cache`: always revalidated, so
/// a new binary's UI is seen at the next load.
fn serve(asset: &Asset, slot: usize, headers: &HeaderMap) -> Response {
    let tag = etag(asset, slot);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, asset.body).into_response()
    };
    let h = resp.headers_mut();
    if !fresh {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_references_only_embedded_assets() {
        for a in &ASSETS {
            assert!(
                INDEX.body.contains(&format!("/ui/{}", a.name)),
                "{}",
                a.name
            );
        }
        assert!(!INDEX.body.contains("http://") && !INDEX.body.contains("https://"));
    }

    #[test]
    fn the_ui_is_a_read_behind_credentials() {
        use crate::auth::{classify, is_open, Operation};
        for path in ["/ui", "/ui/", "/ui/app.js", "/ui/app.css"] {
            assert_eq!(classify("GET", path).operation, Operation::Read, "{path}");
            assert!(!is_open(path), "{path}");
        }
    }

    #[test]
    fn etags_differ_and_are_quoted() {
        let a = etag(&INDEX, 0);
        let b = etag(&ASSETS[0], 1);
        assert_ne!(a, b);
        assert!(a.starts_with('"') && a.ends_with('"'));
    }
}

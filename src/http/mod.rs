//! The REST API v1. Only this module knows HTTP. One file per Confluent URL family;
//! `error.rs` owns status codes; `extract.rs` turns malformed input into Confluent errors.

pub mod associations;
pub mod auth;
pub mod compat;
pub mod config;
pub mod conn;
pub mod dek;
pub mod error;
pub mod exporters;
pub mod extract;
pub mod fast;
pub mod forward;
pub mod lane;
pub mod metrics;
pub mod openapi;
pub mod params;
pub mod request_log;
pub mod root;
pub mod schemas;
pub mod serve;
pub mod subjects;
pub mod tags;
pub mod types;
pub mod ui;

use crate::model::DEFAULT_CONTEXT;
use crate::registry::Registry;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, Uri};
use axum::response::Response;
use axum::Router;
use std::sync::Arc;

/// Largest request body accepted, by the schema routes (schemas are rarely above a few
/// hundred KiB); the other routes take far less (`extract::SMALL_BODY`).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub registry: Arc<Registry>,
    pub cluster_id: String,
    /// The HTTP client followers forward writes to the leader with.
    pub forwarder: reqwest::Client,
    /// Live status of the exporters this node runs.
    pub exporters: Arc<crate::exporter::Live>,
    /// This registry's context name for exporters with contextType AUTO.
    pub auto_context: String,
    /// Prometheus metrics (`GET /metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Basic authentication and roles (`--auth-users-file`); `None`: open to all.
    pub auth: Option<Arc<crate::auth::Auth>>,
    /// Encrypts exporter credentials at rest (`--password-encoder-secret`).
    pub secrets: Option<Arc<crate::secret::Encoder>>,
    /// Where registrations run (`lane.rs`).
    pub writes: tokio::runtime::Handle,
    /// Fetch-through (`--upstream-url`): misses of ID, GUID and subject reads.
    pub upstream: Option<Arc<crate::upstream::Upstream>>,
    /// The DEK registry (`--dek-registry`); `None`: its API answers 404.
    pub keys: Option<Arc<crate::keys::Keys>>,
}

impl AppState {
    /// The DEK registry, or the 404 Confluent answers without its extension.
    pub fn keys(&self) -> Result<&crate::keys::Keys, crate::error::RegistryError> {
        self.keys.as_deref().ok_or_else(error::not_found_error)
    }
}

pub use error::{ok, ok_raw, ok_typed};

async fn not_found() -> Response {
    error::not_found()
}

async fn method_not_allowed() -> Response {
    error::method_not_allowed()
}

/// Builds the router with every route of the API.
pub fn router(state: AppState) -> Router {
    let metrics = state.metrics.clone();
    let api = Router::new()
        .route("/metrics", axum::routing::get(metrics::serve_metrics))
        .merge(root::routes())
        .merge(subjects::routes())
        .merge(schemas::routes())
        .merge(config::routes())
        .merge(compat::routes())
        .merge(exporters::routes())
        .merge(associations::routes())
        .merge(dek::routes())
        .merge(ui::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            metrics.clone(),
            metrics::route_of,
        ))
        .with_state(state.clone());
    // Layers are installed only where they have work: each costs a few percent of a cheap
    // request.
    let mut app = Router::new().fallback_service(tower::ServiceExt::<Request>::map_request(
        api,
        rewrite_context_urls,
    ));
    if state.registry.clustered() {
        // Outside the API: sees the URL as the client sent it, which is what the leader gets.
        app = app.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            forward::forward_writes,
        ));
    }
    if state.auth.is_some() {
        // Outside forwarding: a follower refuses unauthenticated or forbidden requests
        // itself (the leader checks the forwarded Authorization header again).
        app = app.layer(axum::middleware::from_fn_with_state(
            state.auth.clone(),
            auth::require,
        ));
    }
    // Outside forwarding and auth: times and counts what the client gets.
    let app = app.layer(axum::middleware::from_fn_with_state(
        metrics,
        metrics::track,
    ));
    // Outermost: request IDs, and one log line per request at debug (`request_log.rs`).
    app.layer(axum::middleware::from_fn(request_log::track))
}

/// Rewrites Confluent's `/contexts/{ctx}/…` URL forms onto the plain routes:
/// subjects become `:{ctx}:{subject}`, listings get a `subjectPrefix`, ID lookups a
/// `subject` hint, and config/mode address the context scope.
fn rewrite_context_urls(mut req: Request) -> Request {
    // Jersey ignores empty path segments (`//`) and a trailing slash.
    let raw = req.uri().path();
    if raw.len() > 1 && (raw.contains("//") || raw.ends_with('/')) {
        let mut norm = String::with_capacity(raw.len());
        for seg in raw.split('/').filter(|s| !s.is_empty()) {
            norm.push('/');
            norm.push_str(seg);
        }
        if norm.is_empty() {
            norm.push('/');
        }
        let new = match req.uri().query() {
            Some(q) => format!("{norm}?{q}"),
            None => norm,
        };
        set_uri(&mut req, &new);
    }
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix("/contexts/") else {
        return req;
    };
    let Some((ctx_raw, tail)) = rest.split_once('/') else {
        return req;
    };
    let ctx_dec = percent_encoding::percent_decode_str(ctx_raw)
        .decode_utf8_lossy()
        .into_owned();
    let query = req.uri().query().map(str::to_string);
    let with_q = |p: String, extra: Option<String>| -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(e) = extra {
            parts.push(e);
        }
        if let Some(q) = &query {
            parts.push(q.clone());
        }
        if parts.is_empty() {
            p
        } else {
            format!("{p}?{}", parts.join("&"))
        }
    };
    if ctx_dec.contains(':') {
        let new = with_q("/__invalid_context".into(), None);
        set_uri(&mut req, &new);
        return req;
    }
    let ctx = if ctx_dec.starts_with('.') {
        ctx_dec
    } else {
        format!(".{ctx_dec}")
    };
    let enc_ctx =
        percent_encoding::utf8_percent_encode(&ctx, percent_encoding::NON_ALPHANUMERIC).to_string();
    let prefix = format!("%3A{enc_ctx}%3A");
    let segs: Vec<&str> = tail.split('/').collect();
    let new = match segs.as_slice() {
        ["subjects"] | ["schemas"] => with_q(
            format!("/{}", segs[0]),
            Some(format!("subjectPrefix={prefix}")),
        ),
        ["subjects", subj, more @ ..] => {
            with_q(join(&["subjects", &format!("{prefix}{subj}")], more), None)
        }
        ["schemas", "ids", more @ ..] => with_q(
            join(&["schemas", "ids"], more),
            Some(format!("subject={prefix}")),
        ),
        [kind @ ("config" | "mode")] => with_q(format!("/{kind}/{prefix}"), None),
        [kind @ ("config" | "mode"), subj, more @ ..] => {
            with_q(join(&[kind, &format!("{prefix}{subj}")], more), None)
        }
        ["compatibility", "subjects", subj, more @ ..] => with_q(
            join(
                &["compatibility", "subjects", &format!("{prefix}{subj}")],
                more,
            ),
            None,
        ),
        // 8.3.1 `ContextFilter`: association writes take the context as `context` (which
        // replaces any given); other association routes just lose the prefix.
        [first, ..] if first.starts_with("associations") => {
            let path = join(&segs, &[]);
            if matches!(*req.method(), Method::POST | Method::PUT) {
                let scope = if ctx == DEFAULT_CONTEXT {
                    String::new()
                } else {
                    format!("%3A{enc_ctx}%3A")
                };
                let kept: Vec<&str> = query
                    .as_deref()
                    .unwrap_or_default()
                    .split('&')
                    .filter(|p| !p.is_empty() && *p != "context" && !p.starts_with("context="))
                    .collect();
                let mut q = format!("context={scope}");
                for p in kept {
                    q.push('&');
                    q.push_str(p);
                }
                format!("{path}?{q}")
            } else {
                with_q(path, None)
            }
        }
        _ => return req,
    };
    set_uri(&mut req, &new);
    req
}

fn join(head: &[&str], more: &[&str]) -> String {
    let mut s = String::new();
    for p in head.iter().chain(more.iter()) {
        s.push('/');
        s.push_str(p);
    }
    s
}

fn set_uri(req: &mut Request, path_and_query: &str) {
    if let Ok(uri) = path_and_query.parse::<Uri>() {
        *req.uri_mut() = uri;
    }
}

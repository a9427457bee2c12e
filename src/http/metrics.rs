//! The HTTP side of `crate::metrics`: the layers that time and count requests by route
//! template (axum's `MatchedPath`, never the raw path), method and status, and
//! `GET /metrics`. [`track`] is the outermost layer (it sees what the client gets, forwarded
//! answers included); [`route_of`] sits inside the API router and tells it the matched
//! route through a slot in the request's extensions.
//!
//! Not part of the Confluent API, so not in the OpenAPI spec.

use super::error::ErrorCode;
use super::AppState;
use crate::metrics::{Metrics, CONTENT_TYPE, UNMATCHED};
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// The method label: the standard methods, anything else `OTHER` (bounded cardinality).
pub(super) fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

/// Where [`route_of`] leaves the matched route template for [`track`].
#[derive(Clone, Default)]
struct RouteSlot(Arc<OnceLock<&'static str>>);

/// The route template as a `&'static str`: label sets then cost no allocation per request.
/// Templates come from the router, so the set is small and fixed; each is leaked once.
fn intern(route: &str) -> &'static str {
    static ROUTES: OnceLock<std::sync::RwLock<std::collections::HashMap<String, &'static str>>> =
        OnceLock::new();
    let table = ROUTES.get_or_init(Default::default);
    if let Some(r) = table
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(route)
        .copied()
    {
        return r;
    }
    let mut w = table.write().unwrap_or_else(|e| e.into_inner());
    let interned: &'static str = w
        .entry(route.to_string())
        .or_insert_with(|| Box::leak(route.to_string().into_boxed_str()));
    interned
}

/// The outermost layer: times every request and counts it by route template, method and
/// status as the client gets it.
pub async fn track(State(m): State<Arc<Metrics>>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let slot = RouteSlot::default();
    req.extensions_mut().insert(slot.clone());
    let flight = m.enter();
    let resp = next.run(req).await;
    drop(flight);
    let route = slot.0.get().copied().unwrap_or(UNMATCHED);
    m.observe(method, route, resp.status().as_u16(), started.elapsed());
    resp
}

/// A layer of the API router (it runs after routing): hands the matched route template to
/// [`track`] and counts the store errors this node's handlers answer.
pub async fn route_of(State(m): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    if let (Some(slot), Some(path)) = (
        req.extensions().get::<RouteSlot>(),
        req.extensions().get::<MatchedPath>(),
    ) {
        let _ = slot.0.set(intern(path.as_str()));
    }
    let resp = next.run(req).await;
    if let Some(code) = resp.extensions().get::<ErrorCode>() {
        m.answered_with(code.0);
    }
    resp
}

/// `GET /metrics`.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus metrics in the OpenMetrics text format: requests, the store, schemas by type and context, exporters, the process", body = String, content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8"),
        (status = 500, description = "The metrics could not be encoded (error_code 500)", body = super::types::ErrorBody, content_type = "application/vnd.schemaregistry.v1+json")
    )
)]
pub async fn serve_metrics(State(st): State<AppState>) -> Response {
    match st
        .metrics
        .render(&st.registry, &st.exporters, st.keys.as_deref())
    {
        Ok(text) => super::error::ok_text(text, CONTENT_TYPE),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode the metrics");
            super::error::internal_error()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    /// A router laid out like `http::router`: the API inside, `track` outermost.
    fn app(m: Arc<Metrics>) -> Router {
        let api = Router::new()
            .route("/items/{id}", get(|| async { "ok" }))
            .route(
                "/fail",
                get(|| async {
                    crate::error::RegistryError::StoreTimeout("slow".into()).into_response()
                }),
            )
            .fallback(|| async { StatusCode::NOT_FOUND })
            .layer(axum::middleware::from_fn_with_state(m.clone(), route_of));
        Router::new()
            .fallback_service(api)
            .layer(axum::middleware::from_fn_with_state(m, track))
    }

    async fn call(app: &Router, path: &str) -> u16 {
        let req = Request::builder()
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap_or_default();
        match app.clone().oneshot(req).await {
            Ok(r) => r.status().as_u16(),
            Err(e) => match e {},
        }
    }

    #[tokio::test]
    async fn requests_are_counted_by_route_template() {
        let m = Arc::new(Metrics::new());
        let app = app(m.clone());
        for id in 0..3 {
            assert_eq!(call(&app, &format!("/items/{id}")).await, 200);
        }
        assert_eq!(call(&app, "/nothing/here").await, 404);
        assert_eq!(call(&app, "/fail").await, 500);
        let text = m.encode().unwrap_or_default();
        let has = |line: &str| text.lines().any(|l| l == line);
        assert!(
            has(
                r#"schema_registry_http_requests_total{method="GET",route="/items/{id}",status="200"} 3"#
            ),
            "{text}"
        );
        assert!(
            has(
                r#"schema_registry_http_requests_total{method="GET",route="unmatched",status="404"} 1"#
            ),
            "{text}"
        );
        assert!(
            has(
                r#"schema_registry_http_request_duration_seconds_count{method="GET",route="/items/{id}"} 3"#
            ),
            "{text}"
        );
        assert!(
            has(r#"schema_registry_store_errors_total{kind="timeout"} 1"#),
            "{text}"
        );
        assert!(
            has(r#"schema_registry_store_errors_total{kind="failure"} 0"#),
            "{text}"
        );
        assert!(has("schema_registry_http_requests_in_flight 0"), "{text}");
        assert!(!text.contains("/items/1"), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn error_codes_are_kept_for_the_layers() {
        use crate::http::error::error_response;
        let code_of = |resp: Response| resp.extensions().get::<ErrorCode>().map(|c| c.0);
        assert_eq!(code_of(error_response(500, 50001, "x")), Some(50001));
        assert_eq!(code_of(error_response(500, 50002, "x")), Some(50002));
        let not_ours = (StatusCode::INTERNAL_SERVER_ERROR, "not json").into_response();
        assert_eq!(code_of(not_ours), None);
    }
}

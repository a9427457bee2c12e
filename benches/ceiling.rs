//! The ceiling for `benches/bench.sh`: the least an axum server on this machine can do per
//! request. No middleware, no routing work, no state: every request gets the same fixed body
//! (shaped and sized like the registry's answer to `GET /schemas/ids/{id}` for a bench
//! schema), with the content type the registry uses. The bench runs it in the same run, with
//! the same load tool and connections as the registry, and reports each endpoint as a ratio
//! to it.
//!
//!   cargo build --release --example ceiling
//!   target/release/examples/ceiling [ADDR]     # default 127.0.0.1:0; prints its URL

use axum::http::header::{HeaderValue, CONTENT_TYPE};
use axum::response::IntoResponse;

const BODY: &str = concat!(
    r#"{"schema":"{\"type\":\"record\",\"name\":\"R1234\",\"fields\":"#,
    r#"[{\"name\":\"f1234\",\"type\":\"int\"}]}","guid":"#,
    r#""0f8fad5b-d9cb-469f-a165-70867728950e","schemaType":"AVRO"}"#
);

async fn fixed() -> impl IntoResponse {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.schemaregistry.v1+json"),
        )],
        BODY,
    )
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let app = axum::Router::new().fallback(fixed);
    axum::serve(listener, app).await
}

//! The built-in web UI (`/ui`, `src/http/ui.rs`) over HTTP against the real binary: the
//! page and its assets with their content types and headers, unknown assets, and access
//! with `--auth-users-file`. The page itself is driven in Chromium by tests/ui/run.sh.

mod common;

use common::auth::{basic, cheap_hash};
use common::Server;

struct Got {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> Got {
    let mut req = server.client.get(format!("{}{path}", server.url));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}\n{}", server.log()));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.expect("body");
    Got {
        status,
        headers,
        body,
    }
}

fn header<'a>(got: &'a Got, name: &str) -> &'a str {
    got.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn page_and_assets_are_served_with_their_types_and_policy() {
    let server = Server::start();
    for path in ["/ui", "/ui/", "/ui/index.html"] {
        let got = get(&server, path, &[]).await;
        assert_eq!(got.status, 200, "{path}");
        assert_eq!(header(&got, "content-type"), "text/html; charset=utf-8");
        let csp = header(&got, "content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("connect-src 'self'"), "{csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("http"),
            "{csp}"
        );
        assert_eq!(header(&got, "x-content-type-options"), "nosniff");
        assert_eq!(header(&got, "cache-control"), "no-cache");
        assert!(
            got.body.contains("<script src=\"/ui/app.js\""),
            "{}",
            got.body
        );
    }
    for (path, ty, needle) in [
        ("/ui/app.js", "text/javascript; charset=utf-8", "hashchange"),
        ("/ui/app.css", "text/css; charset=utf-8", ".tok-key"),
    ] {
        let got = get(&server, path, &[]).await;
        assert_eq!(got.status, 200, "{path}");
        assert_eq!(header(&got, "content-type"), ty, "{path}");
        assert!(got.body.contains(needle), "{path}");
        assert!(!header(&got, "content-security-policy").is_empty());
        // Revalidation: the same ETag answers 304 without a body.
        let tag = header(&got, "etag").to_string();
        assert!(tag.starts_with('"'), "{path}: {tag:?}");
        let again = get(&server, path, &[("if-none-match", &tag)]).await;
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty());
        let stale = get(&server, path, &[("if-none-match", "\"old\"")]).await;
        assert_eq!(stale.status, 200, "{path}");
    }
    // HEAD answers like GET, without a body.
    let head = server
        .client
        .head(format!("{}/ui/app.js", server.url))
        .send()
        .await
        .expect("HEAD");
    assert_eq!(head.status().as_u16(), 200);
    for path in ["/ui/nope.js", "/ui/app.js/x", "/ui/..%2Fsubjects"] {
        let got = get(&server, path, &[]).await;
        assert_eq!(got.status, 404, "{path}: {}", got.body);
    }
    // Only GET (and HEAD).
    let (status, _) = server.post("/ui", &serde_json::json!({})).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn with_users_the_page_asks_for_credentials_and_readers_browse() {
    let files = tempfile::tempdir().expect("temporary directory");
    let users = files.path().join("users");
    std::fs::write(
        &users,
        format!(
            "admin:{}:admin\nreader:{}:read-only\n",
            cheap_hash("a"),
            cheap_hash("r")
        ),
    )
    .expect("write users file");
    let server = Server::builder()
        .users_file(&users.display().to_string())
        .start();
    let reader = basic("reader", "r");
    let admin = basic("admin", "a");
    for path in ["/ui", "/ui/", "/ui/app.js", "/ui/app.css"] {
        let got = get(&server, path, &[]).await;
        assert_eq!(got.status, 401, "{path}");
        assert_eq!(
            header(&got, "www-authenticate"),
            "Basic realm=\"schema-registry\""
        );
        let wrong = basic("reader", "wrong");
        let got = get(&server, path, &[("authorization", &wrong)]).await;
        assert_eq!(got.status, 401, "{path}");
        let got = get(&server, path, &[("authorization", &reader)]).await;
        assert_eq!(got.status, 200, "{path}: {}", got.body);
    }
    // What the page asks the API for: a reader lists subjects; exporters need the admin.
    let got = get(&server, "/subjects", &[("authorization", &reader)]).await;
    assert_eq!(got.status, 200);
    let got = get(&server, "/exporters", &[("authorization", &reader)]).await;
    assert_eq!(got.status, 403);
    let got = get(&server, "/exporters", &[("authorization", &admin)]).await;
    assert_eq!(got.status, 200);
}

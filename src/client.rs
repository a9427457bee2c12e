//! The REST client of a Confluent-compatible registry, shared by the tools that talk to one:
//! `check --url` ([`crate::check`]), `export` / `import` ([`crate::migrate`]), the client
//! subcommands ([`crate::cli`]) and the exporter worker (`exporter::destination`).
//!
//! - [`Endpoint`]: the base URL (parsed; credentials, query and fragment taken out; no
//!   trailing slash) and the basic-auth credentials (explicit ones, else the URL's).
//! - [`Http`]: the connection pool with its timeouts, TLS trust (the system's roots plus an
//!   optional CA bundle, [`root_certificates`]), an optional client certificate
//!   ([`identity`], mutual TLS) and retry policy (reads only, on transport
//!   errors).
//! - [`Client`]: requests against an endpoint, answered as a [`Reply`] (status, JSON body,
//!   Confluent's `error_code` / `message`) or a [`TransportError`]; paths are joined with
//!   subjects encoded as one segment ([`segment`], [`scoped`]); and the IMPORT-mode push
//!   (`set_mode`, `register_with_id`, `soft_delete`, `set_config`) that `import` and the
//!   exporter both do.
//!
//! Each caller keeps its own wording: the client returns what happened, the caller phrases it.

use crate::model::SchemaType;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use reqwest::Method;

/// The media type of request bodies.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
/// What the client accepts.
pub const ACCEPT: &str = "application/vnd.schemaregistry.v1+json, application/json";
/// The mode that lets a registry take versions with given IDs.
pub const IMPORT: &str = "IMPORT";

/// A path segment: a subject, version or context encoded so that it stays one segment
/// (`/` and `:` escaped, and `.` / `..` too).
pub fn segment(s: &str) -> String {
    crate::model::path_segment(s)
}

/// `/config` or `/config/{scope}` (likewise `/mode`).
pub fn scoped(kind: &str, scope: Option<&str>) -> String {
    match scope {
        None => format!("/{kind}"),
        Some(s) => format!("/{kind}/{}", segment(s)),
    }
}

// ---- transport -------------------------------------------------------------------------

/// How the HTTP client is built.
#[derive(Debug, Clone)]
pub struct Options {
    /// Longest time for one request, answer included.
    pub timeout: Duration,
    /// Longest time to connect (`None`: only `timeout` bounds it).
    pub connect_timeout: Option<Duration>,
    /// The `User-Agent` header (`None`: none is sent).
    pub user_agent: Option<String>,
    /// A PEM bundle of CA certificates trusted besides the system's roots.
    pub ca: Option<PathBuf>,
    /// A client certificate (chain) and its private key, both PEM, for mutual TLS.
    pub identity: Option<(PathBuf, PathBuf)>,
    /// How many times a GET is tried when the registry cannot be reached or its answer cannot
    /// be read (other methods are tried once: they are not idempotent).
    pub read_attempts: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            timeout: Duration::from_secs(30),
            connect_timeout: None,
            user_agent: None,
            ca: None,
            identity: None,
            read_attempts: 1,
        }
    }
}

/// The certificates of a PEM bundle, to trust as roots.
pub fn root_certificates(ca: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(ca)
        .map_err(|e| format!("cannot read the CA bundle {}: {e}", ca.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| format!("CA bundle {}: {e}", ca.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "CA bundle {}: no PEM CERTIFICATE in it",
            ca.display()
        ));
    }
    Ok(certs)
}

/// A client identity from a PEM certificate (chain) and a PEM private key.
pub fn identity(cert: &Path, key: &Path) -> Result<reqwest::Identity, String> {
    let read = |p: &Path, what: &str| {
        std::fs::read(p).map_err(|e| format!("cannot read the client {what} {}: {e}", p.display()))
    };
    let mut pem = read(cert, "certificate")?;
    pem.push(b'\n');
    pem.extend(read(key, "key")?);
    reqwest::Identity::from_pem(&pem).map_err(|e| {
        format!(
            "client certificate {} with key {}: {}",
            cert.display(),
            key.display(),
            chain(&e)
        )
    })
}

/// The HTTP client (a connection pool; cheap to clone) and its retry policy.
#[derive(Debug, Clone)]
pub struct Http {
    inner: reqwest::Client,
    read_attempts: u32,
}

impl Http {
    pub fn new(options: &Options) -> Result<Http, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .use_rustls_tls();
        if let Some(t) = options.connect_timeout {
            builder = builder.connect_timeout(t);
        }
        if let Some(ua) = &options.user_agent {
            builder = builder.user_agent(ua.as_str());
        }
        if let Some(ca) = &options.ca {
            for c in root_certificates(ca)? {
                builder = builder.add_root_certificate(c);
            }
        }
        if let Some((cert, key)) = &options.identity {
            builder = builder.identity(identity(cert, key)?);
        }
        let inner = builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Http {
            inner,
            read_attempts: options.read_attempts.max(1),
        })
    }
}

// ---- endpoint --------------------------------------------------------------------------

/// Basic-auth credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl Credentials {
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            user: user.into(),
            password: password.into(),
        }
    }

    /// `USER:PASSWORD` (Confluent's `basic.auth.user.info`); `None` without a colon.
    pub fn from_user_info(info: &str) -> Option<Credentials> {
        info.split_once(':').map(|(u, p)| Credentials::new(u, p))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({:?}, ***)", self.user)
    }
}

/// Why a URL is not a registry's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// Not a URL (the parser's message).
    Invalid(String),
    /// Neither `http://` nor `https://`.
    Scheme,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Invalid(e) => write!(f, "not a URL: {e}"),
            UrlError::Scheme => f.write_str("only http:// and https:// are supported"),
        }
    }
}

/// A registry: its base URL and the credentials to send it.
#[derive(Clone)]
pub struct Endpoint {
    /// Scheme, host, port and path prefix, no trailing slash, no credentials.
    base: String,
    auth: Option<Credentials>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("base", &self.base)
            .field("auth", &self.auth)
            .finish()
    }
}

impl Endpoint {
    /// Parses `url` (http or https; a path prefix is kept, query and fragment dropped). The
    /// credentials are `explicit` ones, else those in the URL (`http://user:pass@host`),
    /// which never stay in the base URL (it appears in messages).
    pub fn parse(url: &str, explicit: Option<Credentials>) -> Result<Endpoint, UrlError> {
        let mut parsed =
            reqwest::Url::parse(url.trim()).map_err(|e| UrlError::Invalid(e.to_string()))?;
        if parsed.scheme() != "http" && parsed.scheme() != "https" {
            return Err(UrlError::Scheme);
        }
        let from_url = (!parsed.username().is_empty() || parsed.password().is_some()).then(|| {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            Credentials::new(
                decode(parsed.username()),
                decode(parsed.password().unwrap_or("")),
            )
        });
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
        parsed.set_query(None);
        parsed.set_fragment(None);
        Ok(Endpoint {
            base: parsed.as_str().trim_end_matches('/').to_string(),
            auth: explicit.or(from_url),
        })
    }

    /// The base URL, without credentials: fit for messages.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The URL of `path` (which starts with `/`, its segments already encoded).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn has_credentials(&self) -> bool {
        self.auth.is_some()
    }
}

// ---- answers ---------------------------------------------------------------------------

/// A registry's answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub method: Method,
    /// The path asked (after the base URL).
    pub path: String,
    pub status: u16,
    /// The body as JSON; a JSON string of the text when it is not JSON.
    pub body: Value,
    /// Whether the body was JSON.
    pub json: bool,
}

impl Reply {
    pub fn ok(&self) -> bool {
        self.status == 200
    }

    /// Confluent's `error_code`, if the body has one.
    pub fn error_code(&self) -> Option<i64> {
        error_code(&self.body)
    }

    /// Confluent's `message`, if the body has one.
    pub fn message(&self) -> Option<&str> {
        error_message(&self.body)
    }

    /// `404 (error_code 40401): Subject 'x' not found.`; a body without a message is shown
    /// (cut after 300 bytes).
    pub fn describe(&self) -> String {
        let message = self.message().map(str::to_string).unwrap_or_else(|| {
            let mut s = self.body.to_string();
            if s.len() > 300 {
                let mut cut = 300;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                s.truncate(cut);
                s.push('…');
            }
            s
        });
        match self.error_code() {
            Some(c) => format!("{} (error_code {c}): {message}", self.status),
            None => format!("{}: {message}", self.status),
        }
    }
}

/// The `error_code` of a Confluent error body (`{"error_code": 40401, "message": "…"}`).
pub fn error_code(body: &Value) -> Option<i64> {
    body.get("error_code").and_then(Value::as_i64)
}

/// The `message` of a Confluent error body.
pub fn error_message(body: &Value) -> Option<&str> {
    body.get("message").and_then(Value::as_str)
}

/// The status as `404 Not Found`.
pub fn status_text(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status) {
        Ok(s) => s.to_string(),
        Err(_) => status.to_string(),
    }
}

/// No answer: the registry could not be reached, or its answer could not be read.
#[derive(Debug)]
pub struct TransportError {
    pub method: Method,
    /// The URL asked, without credentials.
    pub url: String,
    /// The status, when the failure was reading the body of an answer.
    pub status: Option<u16>,
    pub source: reqwest::Error,
}

impl TransportError {
    /// Whether the request went out and its answer could not be read.
    pub fn reading(&self) -> bool {
        self.status.is_some()
    }

    /// The error with its causes (reqwest's own message is often just "error sending
    /// request").
    pub fn chain(&self) -> String {
        chain(&self.source)
    }
}

/// `{METHOD} {url}: {error}`.
impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.method, self.url, self.source)
    }
}

/// An error with its sources.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let _ = write!(s, ": {c}");
        cur = c.source();
    }
    s
}

// ---- the client ------------------------------------------------------------------------

/// A version to push with its ID and version (the target subject in IMPORT mode).
#[derive(Debug, Clone)]
pub struct ImportVersion<'a, R> {
    pub schema: &'a str,
    /// `AVRO` (any case) is not sent.
    pub schema_type: &'a str,
    pub references: &'a [R],
    pub metadata: Option<&'a Value>,
    pub rule_set: Option<&'a Value>,
    pub id: i32,
    pub version: i32,
}

impl<R: Serialize> ImportVersion<'_, R> {
    /// The body of `POST /subjects/{subject}/versions`.
    pub fn body(&self) -> Value {
        let mut m = Map::new();
        m.insert("schema".into(), json!(self.schema));
        m.insert("id".into(), json!(self.id));
        m.insert("version".into(), json!(self.version));
        if !self.schema_type.eq_ignore_ascii_case("AVRO") {
            m.insert("schemaType".into(), json!(self.schema_type));
        }
        if !self.references.is_empty() {
            m.insert("references".into(), json!(self.references));
        }
        if let Some(md) = self.metadata {
            m.insert("metadata".into(), md.clone());
        }
        if let Some(rs) = self.rule_set {
            m.insert("ruleSet".into(), rs.clone());
        }
        Value::Object(m)
    }
}

/// Requests to one registry.
#[derive(Debug, Clone)]
pub struct Client {
    http: Http,
    endpoint: Endpoint,
}

type Answer = Result<Reply, TransportError>;

impl Client {
    pub fn new(http: Http, endpoint: Endpoint) -> Client {
        Client { http, endpoint }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The base URL, without credentials.
    pub fn base(&self) -> &str {
        self.endpoint.base()
    }

    /// Sends a request; GETs are tried again (after 300 ms, 600 ms, …) while the registry
    /// cannot be reached, up to the client's `read_attempts`.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let url = self.endpoint.url(path);
        let attempts = if method == Method::GET {
            self.http.read_attempts
        } else {
            1
        };
        let mut attempt = 0;
        loop {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(300 * u64::from(attempt))).await;
            }
            attempt += 1;
            let err = match self.once(&method, path, &url, body).await {
                Ok(reply) => return Ok(reply),
                Err(e) => e,
            };
            if attempt >= attempts {
                return Err(err);
            }
        }
    }

    async fn once(&self, method: &Method, path: &str, url: &str, body: Option<&Value>) -> Answer {
        let mut req = self
            .http
            .inner
            .request(method.clone(), url)
            .header(reqwest::header::ACCEPT, ACCEPT);
        if let Some(c) = &self.endpoint.auth {
            req = req.basic_auth(&c.user, Some(&c.password));
        }
        if let Some(b) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
                .body(b.to_string());
        }
        let failed = |status: Option<u16>, source: reqwest::Error| TransportError {
            method: method.clone(),
            url: url.to_string(),
            status,
            source,
        };
        let resp = req.send().await.map_err(|e| failed(None, e))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| failed(Some(status), e))?;
        let (body, json) = match serde_json::from_str(&text) {
            Ok(v) => (v, true),
            Err(_) => (Value::String(text), false),
        };
        Ok(Reply {
            method: method.clone(),
            path: path.to_string(),
            status,
            body,
            json,
        })
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None).await
    }

    /// `POST /compatibility/subjects/{subject}/versions[/{version}]?verbose=true`.
    pub async fn check_compatibility(
        &self,
        subject: &str,
        version: Option<&str>,
        schema: &str,
        schema_type: SchemaType,
        normalize: bool,
    ) -> Answer {
        let mut path = format!("/compatibility/subjects/{}/versions", segment(subject));
        if let Some(v) = version {
            path.push('/');
            path.push_str(&segment(v));
        }
        path.push_str("?verbose=true");
        if normalize {
            path.push_str("&normalize=true");
        }
        let body = match schema_type {
            SchemaType::Avro => json!({ "schema": schema }),
            other => json!({ "schema": schema, "schemaType": other.as_str() }),
        };
        self.post(&path, &body).await
    }

    /// `PUT /mode[/{scope}]`, with `force=true` for IMPORT (which a registry holding
    /// versions refuses otherwise).
    pub async fn set_mode(&self, scope: Option<&str>, mode: &str) -> Answer {
        let force = if mode.eq_ignore_ascii_case(IMPORT) {
            "?force=true"
        } else {
            ""
        };
        self.put(
            &format!("{}{force}", scoped("mode", scope)),
            &json!({ "mode": mode }),
        )
        .await
    }

    /// `DELETE /mode[/{scope}]`: the scope falls back to its context's or the global mode.
    pub async fn delete_mode(&self, scope: Option<&str>) -> Answer {
        self.delete(&scoped("mode", scope)).await
    }

    /// `PUT /config[/{scope}]`.
    pub async fn set_config(&self, scope: Option<&str>, body: &Value) -> Answer {
        self.put(&scoped("config", scope), body).await
    }

    /// `POST /subjects/{subject}/versions` with the version's ID and version number.
    pub async fn register_with_id<R: Serialize>(
        &self,
        subject: &str,
        v: &ImportVersion<'_, R>,
    ) -> Answer {
        self.post(
            &format!("/subjects/{}/versions", segment(subject)),
            &v.body(),
        )
        .await
    }

    /// `DELETE /subjects/{subject}/versions/{version}` (a soft delete).
    pub async fn soft_delete(&self, subject: &str, version: i32) -> Answer {
        self.delete(&format!(
            "/subjects/{}/versions/{version}",
            segment(subject)
        ))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_encoded_as_one_segment() {
        assert_eq!(segment(":.ctx:a/b"), "%3A.ctx%3Aa%2Fb");
        assert_eq!(segment("orders-value_1.x"), "orders-value_1.x");
        assert_eq!(segment(".."), "%2E%2E");
        assert_eq!(scoped("mode", None), "/mode");
        assert_eq!(scoped("config", Some(":.c:")), "/config/%3A.c%3A");
    }

    #[test]
    fn endpoints_keep_credentials_out_of_the_base() {
        let e = Endpoint::parse(" https://u%40x:p%3Aw@h:8081/sr/?q=1#f ", None).expect("url");
        assert_eq!(e.base(), "https://h:8081/sr");
        assert_eq!(e.url("/mode"), "https://h:8081/sr/mode");
        assert_eq!(e.auth, Some(Credentials::new("u@x", "p:w")));
        assert!(!format!("{e:?}").contains("p:w"));
        let e = Endpoint::parse("http://u:p@h", Some(Credentials::new("a", "b"))).expect("url");
        assert_eq!(e.base(), "http://h");
        assert_eq!(e.auth, Some(Credentials::new("a", "b")));
        let e = Endpoint::parse("http://h:8081/", None).expect("url");
        assert_eq!((e.base(), e.has_credentials()), ("http://h:8081", false));
        assert_eq!(
            Endpoint::parse("ftp://h", None).map(|e| e.base),
            Err(UrlError::Scheme)
        );
        assert!(matches!(
            Endpoint::parse("nope", None),
            Err(UrlError::Invalid(_))
        ));
        assert_eq!(
            Credentials::from_user_info("a:b:c"),
            Some(Credentials::new("a", "b:c"))
        );
        assert_eq!(Credentials::from_user_info("ab"), None);
    }

    #[test]
    fn errors_are_described_with_their_code() {
        let reply = |status, body| Reply {
            method: Method::GET,
            path: "/".into(),
            status,
            body,
            json: true,
        };
        let r = reply(
            404,
            json!({"error_code": 40401, "message": "Subject 'x' not found."}),
        );
        assert_eq!(
            r.describe(),
            "404 (error_code 40401): Subject 'x' not found."
        );
        assert_eq!(r.error_code(), Some(40401));
        let long = reply(500, json!("é".repeat(400)));
        assert!(long.describe().starts_with("500: \"é"));
        assert!(long.describe().ends_with('…'));
        assert_eq!(status_text(404), "404 Not Found");
    }

    #[test]
    fn import_bodies() {
        let refs = [crate::model::Reference {
            name: "n".into(),
            subject: "s".into(),
            version: 1,
        }];
        let v = ImportVersion {
            schema: "\"string\"",
            schema_type: "AVRO",
            references: &refs[..0],
            metadata: None,
            rule_set: None,
            id: 7,
            version: 2,
        };
        assert_eq!(
            v.body().to_string(),
            r#"{"schema":"\"string\"","id":7,"version":2}"#
        );
        let md = json!({"properties": {"a": "b"}});
        let v = ImportVersion {
            schema_type: "PROTOBUF",
            references: &refs,
            metadata: Some(&md),
            ..v
        };
        assert_eq!(
            v.body(),
            json!({"schema": "\"string\"", "id": 7, "version": 2, "schemaType": "PROTOBUF",
                "references": [{"name": "n", "subject": "s", "version": 1}],
                "metadata": {"properties": {"a": "b"}}})
        );
    }
}

//! Security features against the real binary: client certificates (mutual TLS) mapped to
//! roles, SIGHUP reloads of the certificate and the users file, exporter credentials
//! encrypted at rest, and `/health/ready` without offsets for anonymous callers.
//!
//! Confluent's names come from rest-utils' `core/src/main/java/io/confluent/rest/RestConfig.java`
//! (`ssl.client.authentication` NONE/REQUESTED/REQUIRED, `ssl.truststore.location`) and
//! Kafka's `password.encoder.secret` (required by Confluent's schema linking).

mod common;

use common::auth::{basic, cheap_hash};
use common::Server;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SR: &str = "application/vnd.schemaregistry.v1+json";
const SCHEMA: &str =
    r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;
const SCHEMA_V2: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"team","type":"string","default":""}]}"#;
const PATIENCE: Duration = Duration::from_secs(30);

/// Polls `f` until it answers `Some`, failing after [`PATIENCE`] with `context()`.
async fn eventually<T, F, Fut>(what: &str, context: impl Fn() -> String, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(t) = f().await {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}\n{}",
            context()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    path.display().to_string()
}

/// A certificate authority that signs server and client certificates.
struct Ca {
    issuer: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().expect("CA key");
        Ca {
            issuer: rcgen::CertifiedIssuer::self_signed(params, key).expect("CA certificate"),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// (certificate PEM, key PEM) for localhost and 127.0.0.1.
    fn server(&self) -> (String, String) {
        let params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("server params");
        let key = rcgen::KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &self.issuer).expect("server cert");
        (cert.pem(), key.serialize_pem())
    }

    /// A client certificate with this CN (none when `None`) and these DNS SANs, as one PEM
    /// with its key (what `reqwest::Identity::from_pem` reads).
    fn client(&self, cn: Option<&str>, dns: &[&str]) -> String {
        let mut params =
            rcgen::CertificateParams::new(dns.iter().map(|d| d.to_string()).collect::<Vec<_>>())
                .expect("client params");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Acme");
        if let Some(cn) = cn {
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, cn);
        }
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let key = rcgen::KeyPair::generate().expect("client key");
        let cert = params.signed_by(&key, &self.issuer).expect("client cert");
        format!("{}{}", cert.pem(), key.serialize_pem())
    }
}

/// A fresh HTTPS client (no pooled connections) trusting `ca`, with an optional identity.
fn tls_client(ca: &str, identity: Option<&str>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).expect("CA PEM"))
        .pool_max_idle_per_host(0)
        .tls_info(true)
        .timeout(Duration::from_secs(30));
    if let Some(id) = identity {
        b = b.identity(reqwest::Identity::from_pem(id.as_bytes()).expect("identity PEM"));
    }
    b.build().expect("client")
}

/// (status, body) of a request, or the transport error's text.
async fn call(
    client: &reqwest::Client,
    url: &str,
    auth: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<(u16, Value), String> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client.request(method, format!("{url}{path}"));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if let Some(b) = body {
        req = req.header("content-type", SR).body(b.to_string());
    }
    let resp = req.send().await.map_err(|e| format!("{e:?}"))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| e.to_string())?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

/// The DER of the certificate the server presents to a new connection.
async fn served_certificate(url: &str, ca: &str) -> Option<Vec<u8>> {
    let resp = tls_client(ca, None)
        .get(format!("{url}/"))
        .send()
        .await
        .ok()?;
    resp.extensions()
        .get::<reqwest::tls::TlsInfo>()?
        .peer_certificate()
        .map(<[u8]>::to_vec)
}

fn pem_der(pem: &str) -> Vec<u8> {
    use base64::Engine;
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body")
}

#[tokio::test]
async fn client_certificates_map_to_roles() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = Ca::new("clients and server CA");
    let (server_cert, server_key) = ca.server();
    let ca_pem = write(dir.path(), "ca.pem", &ca.pem());
    let cert = write(dir.path(), "server.pem", &server_cert);
    let key = write(dir.path(), "server-key.pem", &server_key);
    let users = write(
        dir.path(),
        "users",
        &format!(
            "alice:{}:admin\nsvc-writer:cert:read-write\nreader.svc:cert:read-only\n",
            cheap_hash("pw")
        ),
    );
    let writer = ca.client(Some("svc-writer"), &[]);
    let reader = ca.client(None, &["reader.svc"]);
    let stranger = ca.client(Some("stranger"), &[]);
    let foreign = Ca::new("another CA").client(Some("svc-writer"), &[]);
    let ca_text = ca.pem();

    let sr = Server::builder()
        .tls(&cert, &key)
        .args(["--tls-client-ca", &ca_pem, "--tls-client-auth", "REQUESTED"])
        .users_file(&users)
        .start();
    let url = sr.url.clone();
    let register = json!({ "schema": SCHEMA });
    let as_writer = tls_client(&ca_text, Some(&writer));
    let r = call(
        &as_writer,
        &url,
        None,
        "POST",
        "/subjects/a/versions",
        Some(register.clone()),
    );
    assert_eq!(r.await.map(|r| r.0), Ok(200), "{}", sr.log());
    let r = call(
        &as_writer,
        &url,
        None,
        "PUT",
        "/config",
        Some(json!({"compatibility": "NONE"})),
    );
    assert_eq!(r.await.map(|r| r.0), Ok(403));
    // A SAN-only certificate: its DNS name is the principal.
    let as_reader = tls_client(&ca_text, Some(&reader));
    let r = call(&as_reader, &url, None, "GET", "/subjects", None).await;
    assert_eq!(r, Ok((200, json!(["a"]))));
    let r = call(
        &as_reader,
        &url,
        None,
        "POST",
        "/subjects/b/versions",
        Some(register.clone()),
    );
    assert_eq!(r.await.map(|r| r.0), Ok(403));
    // Signed by the CA but not in the users file: not authenticated, basic auth still is.
    let as_stranger = tls_client(&ca_text, Some(&stranger));
    let r = call(&as_stranger, &url, None, "GET", "/subjects", None).await;
    assert_eq!(r.map(|r| r.0), Ok(401));
    let alice = basic("alice", "pw");
    let r = call(
        &as_stranger,
        &url,
        Some(&alice),
        "PUT",
        "/config",
        Some(json!({"compatibility": "NONE"})),
    );
    assert_eq!(r.await.map(|r| r.0), Ok(200));
    // REQUESTED: no certificate at all, basic auth works.
    let anonymous = tls_client(&ca_text, None);
    let r = call(&anonymous, &url, Some(&alice), "GET", "/subjects", None).await;
    assert_eq!(r.map(|r| r.0), Ok(200));
    let r = call(&anonymous, &url, None, "GET", "/subjects", None).await;
    assert_eq!(r.map(|r| r.0), Ok(401));
    // A certificate of another CA fails the handshake, whatever its name.
    let r = call(
        &tls_client(&ca_text, Some(&foreign)),
        &url,
        None,
        "GET",
        "/subjects",
        None,
    )
    .await;
    assert!(r.is_err(), "a foreign certificate was accepted: {r:?}");
    drop(sr);

    // REQUIRED (the default with a client CA): no certificate, no connection.
    let sr = Server::builder()
        .tls(&cert, &key)
        .args(["--tls-client-ca", &ca_pem])
        .users_file(&users)
        .start();
    let r = call(
        &tls_client(&ca_text, None),
        &sr.url,
        Some(&alice),
        "GET",
        "/subjects",
        None,
    )
    .await;
    assert!(r.is_err(), "no certificate was accepted: {r:?}");
    let r = call(
        &tls_client(&ca_text, Some(&writer)),
        &sr.url,
        None,
        "GET",
        "/subjects",
        None,
    )
    .await;
    assert_eq!(r.map(|r| r.0), Ok(200), "{}", sr.log());
}

#[test]
fn client_certificate_settings_are_checked_at_start() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = Ca::new("CA");
    let (server_cert, server_key) = ca.server();
    let cert = write(dir.path(), "server.pem", &server_cert);
    let key = write(dir.path(), "server-key.pem", &server_key);
    let not_pem = write(dir.path(), "ca.jks", "not a PEM file");
    let store = format!("sqlite://{}", dir.path().join("r.db").display());
    for (args, expected) in [
        (
            vec![
                "--tls-cert",
                &cert,
                "--tls-key",
                &key,
                "--tls-client-auth",
                "REQUIRED",
            ],
            "needs --tls-client-ca",
        ),
        (
            vec![
                "--tls-cert",
                &cert,
                "--tls-key",
                &key,
                "--tls-client-ca",
                &not_pem,
            ],
            "no PEM CERTIFICATE",
        ),
        (vec!["--tls-client-ca", &not_pem], "need --tls-cert"),
        (vec!["--tls-client-auth", "SOMETIMES"], "REQUESTED"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_schema-registry"))
            .args(["--listen", "127.0.0.1:0", "--store", &store])
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} started");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

#[tokio::test]
async fn sighup_reloads_the_certificate_and_the_users_file() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = Ca::new("reload CA");
    let ca_text = ca.pem();
    let (first_cert, first_key) = ca.server();
    let cert = write(dir.path(), "server.pem", &first_cert);
    let key = write(dir.path(), "server-key.pem", &first_key);
    let users = write(
        dir.path(),
        "users",
        &format!("alice:{}:read-only\n", cheap_hash("pw")),
    );
    let sr = Server::builder()
        .tls(&cert, &key)
        .users_file(&users)
        .start();
    let url = sr.url.clone();
    let alice = basic("alice", "pw");
    let bob = basic("bob", "pw2");
    let set_config = || Some(json!({"compatibility": "NONE"}));
    let status = |auth: String, method: &'static str, path: &'static str, body: Option<Value>| {
        let (url, ca_text) = (url.clone(), ca_text.clone());
        async move {
            call(
                &tls_client(&ca_text, None),
                &url,
                Some(&auth),
                method,
                path,
                body,
            )
            .await
            .map(|r| r.0)
        }
    };
    assert_eq!(
        served_certificate(&url, &ca_text).await,
        Some(pem_der(&first_cert))
    );
    assert_eq!(
        status(alice.clone(), "PUT", "/config", set_config()).await,
        Ok(403)
    );
    assert_eq!(status(bob.clone(), "GET", "/subjects", None).await, Ok(401));

    // New certificate and key, alice promoted, bob added.
    let (second_cert, second_key) = ca.server();
    std::fs::write(&cert, &second_cert).expect("write");
    std::fs::write(&key, &second_key).expect("write");
    std::fs::write(
        &users,
        format!(
            "alice:{}:admin\nbob:{}:read-only\n",
            cheap_hash("pw"),
            cheap_hash("pw2")
        ),
    )
    .expect("write");
    sr.hangup();
    let second = pem_der(&second_cert);
    eventually(
        "the new certificate",
        || sr.log(),
        || async {
            (served_certificate(&url, &ca_text).await.as_ref() == Some(&second)).then_some(())
        },
    )
    .await;
    eventually(
        "the new users",
        || sr.log(),
        || async {
            let promoted = status(alice.clone(), "PUT", "/config", set_config()).await == Ok(200);
            let added = status(bob.clone(), "GET", "/subjects", None).await == Ok(200);
            (promoted && added).then_some(())
        },
    )
    .await;

    // Broken files are refused with an error line; what is in force stays.
    std::fs::write(&cert, "not a certificate").expect("write");
    std::fs::write(&users, "alice:plain-text-password:admin\n").expect("write");
    sr.hangup();
    eventually(
        "the refusals",
        || sr.log(),
        || async {
            let log = sr.log();
            (log.contains("TLS reload refused") && log.contains("users file reload refused"))
                .then_some(())
        },
    )
    .await;
    assert_eq!(
        served_certificate(&url, &ca_text).await,
        Some(second.clone())
    );
    assert_eq!(
        status(alice.clone(), "PUT", "/config", set_config()).await,
        Ok(200)
    );
    assert_eq!(status(bob.clone(), "GET", "/subjects", None).await, Ok(200));

    // bob removed.
    std::fs::write(&cert, &second_cert).expect("write");
    std::fs::write(&users, format!("alice:{}:admin\n", cheap_hash("pw"))).expect("write");
    sr.hangup();
    eventually(
        "bob's removal",
        || sr.log(),
        || async { (status(bob.clone(), "GET", "/subjects", None).await == Ok(401)).then_some(()) },
    )
    .await;
    assert_eq!(
        status(alice.clone(), "GET", "/subjects", None).await,
        Ok(200)
    );
}

/// Every byte of the SQLite store (the database and its write-ahead log).
fn store_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["registry.db", "registry.db-wal"] {
        let path: PathBuf = dir.join(name);
        if let Ok(b) = std::fs::read(&path) {
            all.extend(b);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn exporter_credentials_are_encrypted_at_rest() {
    const PASSWORD: &str = "Tr0ub4dor-and-3";
    let keep = tempfile::tempdir().expect("dir");
    let users = write(
        keep.path(),
        "users",
        &format!("linker:{}:admin\n", cheap_hash(PASSWORD)),
    );
    let dst_dir = tempfile::tempdir().expect("dir");
    let dst = Server::builder()
        .dir(dst_dir.path())
        .users_file(&users)
        .start();
    let dst_auth = basic("linker", PASSWORD);
    let with_secret = |dir: &Path| {
        Server::builder()
            .dir(dir)
            .args(["--password-encoder-secret", "an encoder secret"])
            .start()
    };
    let src_dir = tempfile::tempdir().expect("dir");
    let src = with_secret(src_dir.path());
    let body = json!({
        "name": "to-dst",
        "subjects": ["*"],
        "contextType": "NONE",
        "config": {
            "schema.registry.url": dst.url,
            "basic.auth.credentials.source": "USER_INFO",
            "basic.auth.user.info": format!("linker:{PASSWORD}"),
        },
    });
    let (s, v) = src.post("/exporters", &body).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = src
        .post("/subjects/orders/versions", &json!({"schema": SCHEMA}))
        .await;
    assert_eq!(s, 200, "{v}");
    let id = v["id"].clone();
    // The export works: the worker decrypted the credentials for the destination.
    let dst_client = reqwest::Client::new();
    eventually(
        "the export",
        || format!("{}\n{}", src.log(), dst.log()),
        || async {
            let resp = dst_client
                .get(format!("{}/subjects/orders/versions/1", dst.url))
                .header("authorization", &dst_auth)
                .send()
                .await
                .ok()?;
            let v: Value = resp.json().await.ok()?;
            (v["id"] == id).then_some(())
        },
    )
    .await;
    // The store holds no trace of the password; the API answers the encrypted text.
    assert!(!contains(&store_bytes(src_dir.path()), PASSWORD));
    assert!(contains(&store_bytes(src_dir.path()), "encrypted:v1:"));
    let (s, config) = src.get("/exporters/to-dst/config").await;
    assert_eq!(s, 200);
    let stored = config["basic.auth.user.info"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(stored.starts_with("encrypted:v1:"), "{config}");
    assert_eq!(config["basic.auth.credentials.source"], "USER_INFO");
    // Sending the read config back keeps the credentials working (pause, put, resume).
    assert_eq!(src.put("/exporters/to-dst/pause", &json!({})).await.0, 200);
    let (s, v) = src.put("/exporters/to-dst/config", &config).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(src.put("/exporters/to-dst/resume", &json!({})).await.0, 200);
    let (s, v) = src
        .post("/subjects/orders/versions", &json!({"schema": SCHEMA_V2}))
        .await;
    assert_eq!(s, 200, "{v}");
    eventually(
        "the export after the round trip",
        || src.log(),
        || async {
            let resp = dst_client
                .get(format!("{}/subjects/orders/versions", dst.url))
                .header("authorization", &dst_auth)
                .send()
                .await
                .ok()?;
            let v: Value = resp.json().await.ok()?;
            (v == json!([1, 2])).then_some(())
        },
    )
    .await;
    assert!(!contains(&store_bytes(src_dir.path()), PASSWORD));

    // Without a secret: stored as given (documented), with a warning.
    let clear_dir = tempfile::tempdir().expect("dir");
    let clear = Server::start_in(clear_dir.path());
    let (s, v) = clear.post("/exporters", &body).await;
    assert_eq!(s, 200, "{v}");
    assert!(contains(&store_bytes(clear_dir.path()), PASSWORD));
    assert!(clear.log().contains("stored in clear"), "{}", clear.log());
}

#[tokio::test]
async fn health_ready_hides_offsets_from_anonymous_callers() {
    let dir = tempfile::tempdir().expect("dir");
    let users = write(
        dir.path(),
        "users",
        &format!("alice:{}:read-only\n", cheap_hash("pw")),
    );
    let sr = Server::builder().users_file(&users).start();
    let client = reqwest::Client::new();
    let ready = |auth: Option<String>| {
        let (client, url) = (client.clone(), sr.url.clone());
        async move {
            let mut req = client.get(format!("{url}/health/ready"));
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let resp = req.send().await.expect("ready");
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.expect("json"))
        }
    };
    assert_eq!(ready(None).await, (200, json!({"status": "UP"})));
    assert_eq!(
        ready(Some(basic("alice", "wrong"))).await,
        (200, json!({"status": "UP"}))
    );
    let (s, body) = ready(Some(basic("alice", "pw"))).await;
    assert_eq!(s, 200);
    assert_eq!(body["status"], "UP");
    assert!(body["appliedOffset"].is_i64(), "{body}");
    assert!(body.get("logEndOffset").is_some(), "{body}");
    // Without authentication nothing is hidden.
    let open = Server::start();
    let (s, body) = open.get("/health/ready").await;
    assert_eq!(s, 200);
    assert!(body["appliedOffset"].is_i64(), "{body}");
}

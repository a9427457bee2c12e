//! Security: HTTPS on the listener with a certificate generated here (rcgen), and HTTP
//! basic authentication with roles (`--auth-users-file`), against the real binary.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;

use common::auth::{basic, cheap_hash};
use common::Server;

const SR: &str = "application/vnd.schemaregistry.v1+json";
const SCHEMA: &str =
    r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;

/// Runs the binary with `args` and `stdin`, expecting it to end within 60 s.
fn run(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_schema-registry"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the schema-registry binary");
    if let Some(mut input) = child.stdin.take() {
        // A process that ends early does not read it: ignore a broken pipe.
        let _ = input.write_all(stdin.as_bytes());
    }
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("schema-registry {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// A CA and a server certificate it signed for localhost and 127.0.0.1, as PEM files in
/// `dir`: (ca.pem, server.pem, server-key.pem).
fn make_certificates(dir: &Path) -> (String, String, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "schema-registry test CA");
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
    let server_params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("server params");
    let server_key = rcgen::KeyPair::generate().expect("server key");
    let server = server_params
        .signed_by(&server_key, &ca)
        .expect("server certificate");
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write PEM");
        path.display().to_string()
    };
    (
        write("ca.pem", ca.pem()),
        write("server.pem", server.pem()),
        write("server-key.pem", server_key.serialize_pem()),
    )
}

fn https_client(ca_pem: &str) -> reqwest::Client {
    let pem = std::fs::read(ca_pem).expect("read CA");
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA PEM"))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

#[tokio::test]
async fn tls_listener_with_a_generated_certificate() {
    let certs = tempfile::tempdir().expect("temporary directory");
    let (ca, cert, key) = make_certificates(certs.path());
    let server = Server::builder().tls(&cert, &key).start();
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let client = https_client(&ca);

    // A full round trip over TLS, by IP and by name.
    let url = format!("{}/subjects/tls-value/versions", server.url);
    let resp = client
        .post(&url)
        .header("content-type", SR)
        .body(json!({ "schema": SCHEMA }).to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("HTTPS request failed: {e:?}\n{}", server.log()));
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.expect("JSON")["id"], json!(1));
    let by_name = format!(
        "https://localhost:{}/subjects",
        server.url.rsplit(':').next().unwrap_or("")
    );
    let resp = client.get(&by_name).send().await.expect("HTTPS by name");
    assert_eq!(
        resp.json::<Value>().await.expect("JSON"),
        json!(["tls-value"])
    );

    // The forwarding client trusts --tls-ca (here: the test CA).
    let forwarder =
        schema_registry::tls::forwarding_client(Some(Path::new(&ca))).expect("forwarding client");
    let resp = forwarder
        .get(format!("{}/schemas/ids/1", server.url))
        .send()
        .await
        .expect("forwarding client over HTTPS");
    assert_eq!(resp.status(), 200);

    // A client that does not trust the CA fails the handshake.
    let untrusting = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .build()
        .expect("client");
    let err = untrusting
        .get(format!("{}/subjects", server.url))
        .send()
        .await
        .expect_err("an unknown CA must fail");
    assert!(err.is_connect(), "{err:?}");
    let no_ca = schema_registry::tls::forwarding_client(None).expect("forwarding client");
    assert!(no_ca
        .get(format!("{}/subjects", server.url))
        .send()
        .await
        .is_err());

    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .expect("client");
    let answer = plain
        .get(format!("http://{}/subjects", server.address()))
        .send()
        .await;
    assert!(answer.is_err(), "plain HTTP answered: {answer:?}");

    // A client that connects and says nothing does not hold up the others.
    let _silent = std::net::TcpStream::connect(server.address()).expect("connect");
    let resp = client
        .get(format!("{}/health/live", server.url))
        .send()
        .await
        .expect("HTTPS while a handshake is pending");
    assert_eq!(resp.status(), 200);

    // Graceful shutdown still works.
    let mut server = server;
    server.signal("TERM");
    let started = Instant::now();
    let exit = loop {
        if let Some(s) = server.exit_status() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit {exit:?}:\n{}", server.log());
}

#[test]
fn tls_settings_are_checked_at_start() {
    let certs = tempfile::tempdir().expect("temporary directory");
    let (_, cert, key) = make_certificates(certs.path());
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = format!("sqlite://{}", dir.path().join("r.db").display());
    let base = ["--listen", "127.0.0.1:0", "--store", &store];
    let fails = |extra: &[&str], needle: &str| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let out = run(&args, "");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{extra:?} started");
        assert!(stderr.contains(needle), "{extra:?}: {stderr}");
    };
    fails(&["--tls-cert", &cert], "--tls-cert needs --tls-key");
    fails(
        &["--tls-cert", &cert, "--tls-key", &cert],
        "no PEM private key",
    );
    fails(
        &["--tls-cert", &key, "--tls-key", &key],
        "no PEM CERTIFICATE",
    );
    fails(
        &["--tls-cert", "/nonexistent.pem", "--tls-key", &key],
        "cannot read the TLS certificate",
    );
    fails(&["--tls-ca", &key], "CA bundle");
}

struct Answer {
    status: u16,
    content_type: String,
    challenge: Option<String>,
    body: Value,
}

async fn call(
    server: &Server,
    auth: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client.request(method, format!("{}{path}", server.url));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if let Some(b) = body {
        req = req.header("content-type", SR).body(b.to_string());
    }
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}\n{}", server.log()));
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type").unwrap_or_default();
    let challenge = header("www-authenticate");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    Answer {
        status,
        content_type,
        challenge,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

#[tokio::test]
async fn basic_authentication_and_roles() {
    // The admin's hash comes from the subcommand (default parameters), the others from the
    // library with small parameters.
    let out = run(&["hash-password"], "adm1n:pw\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let admin_hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(admin_hash.starts_with("$argon2id$"), "{admin_hash}");
    let empty = run(&["hash-password"], "\n");
    assert_eq!(empty.status.code(), Some(2));

    let files = tempfile::tempdir().expect("temporary directory");
    let users = files.path().join("users");
    std::fs::write(
        &users,
        format!(
            "# name:hash:role\nadmin:{admin_hash}:admin\n\nwriter:{}:read-write\nreader:{}:read-only\n",
            cheap_hash("w"),
            cheap_hash("r")
        ),
    )
    .expect("write users file");
    let server = Server::builder()
        .users_file(&users.display().to_string())
        .start();
    let admin = basic("admin", "adm1n:pw");
    let writer = basic("writer", "w");
    let reader = basic("reader", "r");
    let schema = || Some(json!({ "schema": SCHEMA }));

    // 401: no, wrong, unknown or malformed credentials; on unknown paths too.
    for auth in [
        None,
        Some(basic("reader", "wrong").as_str()),
        Some(basic("nobody", "r").as_str()),
        Some("Basic !!!"),
        Some("Bearer abc"),
    ] {
        for (method, path) in [
            ("GET", "/subjects"),
            ("POST", "/subjects/a/versions"),
            ("GET", "/nope"),
        ] {
            let a = call(&server, auth, method, path, schema()).await;
            assert_eq!(a.status, 401, "{auth:?} {method} {path}: {:?}", a.body);
            assert_eq!(
                a.body,
                json!({"error_code": 401, "message": "Unauthorized"})
            );
            assert_eq!(a.content_type, SR);
            assert_eq!(
                a.challenge.as_deref(),
                Some("Basic realm=\"schema-registry\"")
            );
        }
    }

    // Open without credentials: the root and the probes.
    for path in ["/", "/health/live", "/health/ready"] {
        let a = call(&server, None, "GET", path, None).await;
        assert_eq!(a.status, 200, "{path}: {:?}", a.body);
    }

    // read-only: reads, lookups and compatibility checks; no writes.
    assert_eq!(
        call(&server, Some(&reader), "GET", "/subjects", None)
            .await
            .status,
        200
    );
    let a = call(
        &server,
        Some(&reader),
        "POST",
        "/subjects/users-value/versions",
        schema(),
    )
    .await;
    assert_eq!(a.status, 403, "{:?}", a.body);
    assert_eq!(a.body["error_code"], 403);
    assert!(
        a.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("reader")),
        "{:?}",
        a.body
    );
    assert_eq!(a.content_type, SR);
    assert_eq!(a.challenge, None);
    let a = call(
        &server,
        Some(&reader),
        "POST",
        "/contexts/.c/subjects/x/versions",
        schema(),
    )
    .await;
    assert_eq!(a.status, 403);

    // read-write: registers and deletes; no config.
    let a = call(
        &server,
        Some(&writer),
        "POST",
        "/subjects/users-value/versions",
        schema(),
    )
    .await;
    assert_eq!((a.status, &a.body["id"]), (200, &json!(1)), "{}", a.body);
    let a = call(
        &server,
        Some(&reader),
        "POST",
        "/subjects/users-value",
        schema(),
    )
    .await;
    assert_eq!(a.status, 200, "lookup: {:?}", a.body);
    let a = call(
        &server,
        Some(&reader),
        "POST",
        "/compatibility/subjects/users-value/versions/latest",
        schema(),
    )
    .await;
    assert_eq!(a.status, 200, "compatibility: {:?}", a.body);
    assert_eq!(a.body["is_compatible"], true);
    let config = Some(json!({"compatibility": "FULL"}));
    for path in ["/config", "/config/users-value"] {
        let a = call(&server, Some(&writer), "PUT", path, config.clone()).await;
        assert_eq!(a.status, 403, "{path}: {:?}", a.body);
        assert_eq!(a.body["error_code"], 403);
    }
    assert_eq!(
        call(
            &server,
            Some(&writer),
            "PUT",
            "/mode/users-value",
            Some(json!({"mode": "READONLY"}))
        )
        .await
        .status,
        403
    );
    assert_eq!(
        call(
            &server,
            Some(&reader),
            "DELETE",
            "/subjects/users-value/versions/1",
            None
        )
        .await
        .status,
        403
    );

    // admin: everything.
    let a = call(&server, Some(&admin), "PUT", "/config", config.clone()).await;
    assert_eq!(
        (a.status, &a.body),
        (200, &json!({"compatibility": "FULL"}))
    );
    let a = call(&server, Some(&admin), "GET", "/config", None).await;
    assert_eq!(a.body["compatibilityLevel"], "FULL");
    let a = call(&server, Some(&admin), "GET", "/exporters", None).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(
        call(&server, Some(&reader), "GET", "/exporters", None)
            .await
            .status,
        403
    );

    // read-write deletes (the cached credentials answer as the first time).
    let a = call(
        &server,
        Some(&writer),
        "DELETE",
        "/subjects/users-value/versions/1",
        None,
    )
    .await;
    assert_eq!((a.status, &a.body), (200, &json!(1)));
}

#[test]
fn users_file_errors_stop_the_start() {
    let files = tempfile::tempdir().expect("temporary directory");
    let store = format!("sqlite://{}", files.path().join("r.db").display());
    let cases = [
        ("alice:plaintext:admin\n", "line 1"),
        (
            &*format!("\nalice:{}:superuser\n", cheap_hash("a")),
            "unknown role",
        ),
        ("# only a comment\nbob\n", "expected NAME:HASH:ROLE"),
    ];
    for (i, (text, needle)) in cases.iter().enumerate() {
        let path = files.path().join(format!("users{i}"));
        std::fs::write(&path, text).expect("write");
        let path = path.display().to_string();
        let out = run(
            &[
                "--listen",
                "127.0.0.1:0",
                "--store",
                &store,
                "--auth-users-file",
                &path,
            ],
            "",
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{text:?} was accepted");
        assert!(stderr.contains(needle), "{text:?}: {stderr}");
    }
    let out = run(
        &[
            "--listen",
            "127.0.0.1:0",
            "--store",
            &store,
            "--auth-users-file",
            "/nonexistent/users",
        ],
        "",
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the users file"));
}

#[tokio::test]
async fn tls_ca_may_be_the_self_signed_certificate_itself() {
    let certs = tempfile::tempdir().expect("temporary directory");
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("self-signed certificate");
    let cert = certs.path().join("cert.pem");
    let key = certs.path().join("key.pem");
    std::fs::write(&cert, generated.cert.pem()).expect("write");
    std::fs::write(&key, generated.signing_key.serialize_pem()).expect("write");
    let cert = cert.display().to_string();
    let key = key.display().to_string();
    let server = Server::builder().tls(&cert, &key).start();
    // What a follower does with `--tls-ca` naming the cluster's shared self-signed certificate.
    let forwarder =
        schema_registry::tls::forwarding_client(Some(Path::new(&cert))).expect("forwarding client");
    let resp = forwarder
        .get(format!("{}/subjects", server.url))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}\n{}", server.log()));
    assert_eq!(resp.status(), 200);
}

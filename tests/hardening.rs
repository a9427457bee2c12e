//! The HTTP layer under hostile clients, with the real binary over real sockets: malformed
//! requests answered in Confluent's error shape, bodies never read before authentication or
//! beyond their route's limit, bounded memory under worst-case JSON, slow or silent
//! connections timed out and unable to starve others, and the connection cap.
//!
//! Confluent's names and defaults come from rest-utils' `RestConfig.java`
//! (`idle.timeout.ms` 30000, `server.connection.limit` 0, `max.request.header.size` 8192).

mod common;

use common::Server;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// One HTTP exchange over a fresh TCP connection: (status, content type, body text).
fn raw(addr: &str, request: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(request).expect("write");
    read_answer(&mut s)
}

/// Reads one response (head and a `content-length` body).
fn read_answer(s: &mut TcpStream) -> (u16, String, String) {
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).expect("status line");
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {line:?}"));
    let mut content_type = String::new();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).expect("header");
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':').expect("header line");
        match name.to_ascii_lowercase().as_str() {
            "content-type" => content_type = value.trim().to_string(),
            "content-length" => length = value.trim().parse().expect("length"),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).expect("body");
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn addr_of(s: &Server) -> String {
    s.url.trim_start_matches("http://").to_string()
}

fn start(extra: &[&str]) -> Server {
    Server::builder().args(extra.iter().copied()).start()
}

fn assert_confluent_error(case: &str, answer: &(u16, String, String), status: u16) {
    let (st, ct, body) = answer;
    assert_eq!(*st, status, "{case}: {body}");
    assert_eq!(
        ct, "application/vnd.schemaregistry.v1+json",
        "{case}: {body}"
    );
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{case}: {e}: {body:?}"));
    assert_eq!(v["error_code"], status, "{case}: {v}");
    assert!(v["message"].is_string(), "{case}: {v}");
}

#[test]
fn errors_raised_by_the_http_library_have_confluents_shape() {
    let s = start(&[]);
    let a = addr_of(&s);
    let long_uri = format!(
        "GET /subjects/{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(20_000)
    );
    let mut many = String::from("GET /subjects HTTP/1.1\r\nHost: x\r\n");
    for i in 0..90 {
        many.push_str(&format!("X-H{i}: {}\r\n", "v".repeat(100)));
    }
    many.push_str("\r\n");
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "invalid UTF-8 in the path",
            b"GET /subjects/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            400,
        ),
        (
            "NUL in the path",
            b"GET /sub\x00jects HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            400,
        ),
        (
            "NUL in the query",
            b"GET /subjects?a=\x00 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            400,
        ),
        (
            "NUL in a header",
            b"GET /subjects HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n".to_vec(),
            400,
        ),
        (
            "invalid UTF-8 in a header name",
            b"GET /subjects HTTP/1.1\r\nHost: x\r\nX-\xff: a\r\n\r\n".to_vec(),
            400,
        ),
        ("URI too long", long_uri.into_bytes(), 414),
        ("headers too large", many.into_bytes(), 431),
        (
            "Content-Length not a number",
            b"PUT /config HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".to_vec(),
            400,
        ),
        (
            "two Content-Lengths",
            b"PUT /config HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"
                .to_vec(),
            400,
        ),
        ("bad request line", b"GARBAGE\r\n\r\n".to_vec(), 400),
    ];
    for (case, request, status) in &cases {
        assert_confluent_error(case, &raw(&a, request), *status);
    }
    // The server still serves.
    let ok = raw(
        &a,
        b"GET /subjects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!((ok.0, ok.2.as_str()), (200, "[]"));
}

#[test]
fn expect_continue_with_an_oversized_body_gets_413_at_once() {
    let s = start(&[]);
    let a = addr_of(&s);
    for (path, length) in [
        ("/subjects/a/versions", 100_000_000u64),
        // The small routes' limit is far below the schema routes'.
        ("/config", 1_000_000),
    ] {
        let head = format!(
            "{} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {length}\r\n\r\n",
            if path == "/config" { "PUT" } else { "POST" }
        );
        let t = Instant::now();
        let answer = raw(&a, head.as_bytes());
        // Not a `100 Continue` first, and no wait for a body.
        assert_confluent_error(path, &answer, 413);
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "{path}: {:?}",
            t.elapsed()
        );
    }
}

#[test]
fn request_documents_are_bounded_per_route() {
    let s = start(&[]);
    let a = addr_of(&s);
    let put = |body: &str| {
        raw(
            &a,
            format!(
                "PUT /config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
    };
    // Within 64 KiB, but far too many elements for a config document.
    let many = format!("{{\"x\":[{}0]}}", "0,".repeat(20_000));
    let answer = put(&many);
    assert_confluent_error("many elements", &answer, 400);
    assert!(answer.2.contains("elements"), "{}", answer.2);
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert_confluent_error("deep", &put(&deep), 400);
    // Over the small routes' byte limit, sent in full without Content-Length precheck help.
    let big = format!(
        "{{\"compatibility\":\"NONE\",\"x\":\"{}\"}}",
        "a".repeat(70_000)
    );
    assert_confluent_error("big config", &put(&big), 413);
    // A normal config still works.
    let ok = put("{\"compatibility\":\"NONE\"}");
    assert_eq!(ok.0, 200, "{}", ok.2);
}

#[test]
fn the_idle_watchdog_closes_quiet_connections() {
    // The header timeout is long here: what closes the connections is idle.timeout.ms.
    let s = start(&[
        "--request-header-timeout-ms",
        "60000",
        "--idle-timeout-ms",
        "800",
    ]);
    let a = addr_of(&s);
    let mut silent = TcpStream::connect(&a).expect("connect");
    let mut kept = TcpStream::connect(&a).expect("connect");
    kept.write_all(b"GET /subjects HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    assert_eq!(read_answer(&mut kept).0, 200);
    let t = Instant::now();
    for c in [&mut silent, &mut kept] {
        c.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut buf = [0u8; 16];
        assert_eq!(c.read(&mut buf).unwrap_or(0), 0);
    }
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn a_body_not_sent_in_time_gets_408() {
    let s = start(&["--request-body-timeout-ms", "500"]);
    let a = addr_of(&s);
    let mut c = TcpStream::connect(&a).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let t = Instant::now();
    c.write_all(
        b"PUT /config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"compat",
    )
    .expect("write");
    let answer = read_answer(&mut c);
    assert_confluent_error("slow body", &answer, 408);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

/// A PHC string with small Argon2 parameters.
fn cheap_hash(password: &str) -> String {
    use argon2::PasswordHasher;
    let params = argon2::Params::new(256, 1, 1, None).expect("params");
    argon2::Argon2::from(params)
        .hash_password(password.as_bytes())
        .expect("hash")
        .to_string()
}

/// Peak resident memory of a process, in KiB (Linux).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .expect("VmHWM")
}

#[test]
fn unauthenticated_worst_case_bodies_take_no_memory() {
    let dir = tempfile::tempdir().expect("tmp");
    let users = dir.path().join("users");
    std::fs::write(&users, format!("alice:{}:admin\n", cheap_hash("pw"))).expect("users");
    let users = users.display().to_string();
    let s = start(&["--auth-users-file", &users]);
    let a = addr_of(&s);
    // Warm up, then take the idle figure.
    assert_eq!(
        raw(
            &a,
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .0,
        200
    );
    let idle = peak_rss_kib(s.pid());
    // 8 MB of `{"x":[0,0,…]}`: millions of JSON elements.
    let mut body = String::from("{\"x\":[");
    while body.len() < 8 * 1024 * 1024 - 16 {
        body.push_str("0,");
    }
    body.push_str("0]}");
    let body = std::sync::Arc::new(body);
    let mut threads = Vec::new();
    for i in 0..8 {
        let (a, body) = (a.clone(), body.clone());
        threads.push(std::thread::spawn(move || {
            let path = if i % 2 == 0 { "/" } else { "/subjects/x/versions" };
            let mut c = TcpStream::connect(&a).expect("connect");
            c.set_read_timeout(Some(Duration::from_secs(20)))
                .expect("timeout");
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            c.write_all(head.as_bytes()).expect("head");
            // The server may answer and close before taking the whole body.
            let _ = c.write_all(body.as_bytes());
            read_answer(&mut c)
        }));
    }
    for (i, t) in threads.into_iter().enumerate() {
        let (status, _, text) = t.join().expect("client");
        // `/` is open but takes the small body limit (413 on the declared length, nothing
        // read); the schema route refuses the anonymous caller before reading.
        let want = if i % 2 == 0 { 413 } else { 401 };
        assert_eq!(status, want, "{text}");
    }
    let peak = peak_rss_kib(s.pid());
    let grown_mib = peak.saturating_sub(idle) / 1024;
    eprintln!("peak RSS: idle {} MiB, under 8 worst-case unauthenticated bodies {} MiB (+{grown_mib} MiB)", idle / 1024, peak / 1024);
    assert!(grown_mib < 100, "peak RSS grew by {grown_mib} MiB");
}

/// Opens `n` connections that never complete a request: silent ones, half-sent heads, and
/// heads sent a byte at a time.
fn hostile(addr: &str, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|i| {
            let mut c = TcpStream::connect(addr).expect("hostile connect");
            match i % 3 {
                0 => {}
                1 => c
                    .write_all(b"GET /subjects HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    .expect("half head"),
                _ => c.write_all(b"G").expect("first byte"),
            }
            c
        })
        .collect()
}

/// (p99, slowest) of the samples.
fn p99(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let p = samples[(samples.len() * 99 / 100).min(samples.len() - 1)];
    (p, samples[samples.len() - 1])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_connections_neither_starve_clients_nor_stay_open() {
    let s = start(&[
        "--request-header-timeout-ms",
        "1500",
        "--idle-timeout-ms",
        "1500",
    ]);
    let a = addr_of(&s);
    let mut bad = hostile(&a, 1000);
    // Normal clients, each request on a new connection, while the 1000 are held.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let mut times = Vec::new();
    for i in 0..300 {
        if i % 30 == 0 {
            // The byte-at-a-time clients go on.
            for c in bad.iter_mut().skip(2).step_by(3) {
                let _ = c.write_all(b"E");
            }
        }
        let t = Instant::now();
        let r = client
            .get(format!("{}/subjects", s.url))
            .send()
            .await
            .expect("normal request");
        assert_eq!(r.status(), 200);
        times.push(t.elapsed());
        if i >= 100 && t.elapsed() > Duration::from_secs(1) {
            break;
        }
    }
    let (p, max) = p99(times);
    eprintln!("p99 with 1000 hostile connections: {p:?} (slowest {max:?})");
    assert!(p < Duration::from_millis(100), "p99 {p:?}");
    assert!(max < Duration::from_secs(1), "slowest {max:?}");
    // Every hostile connection is closed by the server within the header timeout (plus
    // slack), even the one still sending.
    let deadline = Instant::now() + Duration::from_secs(15);
    for (i, c) in bad.iter_mut().enumerate() {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "connection {i} still open");
        c.set_read_timeout(Some(left)).expect("timeout");
        let mut buf = [0u8; 512];
        loop {
            match c.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("connection {i} still open: {e}"),
            }
        }
    }
    // An idle kept-alive connection is closed too.
    let mut c = TcpStream::connect(&a).expect("connect");
    c.write_all(b"GET /subjects HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    assert_eq!(read_answer(&mut c).0, 200);
    c.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let t = Instant::now();
    let mut buf = [0u8; 16];
    let n = c.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "data on an idle connection");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cap_holds_further_clients_back() {
    let s = start(&["--server-connection-limit", "20"]);
    let a = addr_of(&s);
    let held = hostile(&a, 20);
    let url = s.url.clone();
    let waiting = tokio::spawn(async move {
        reqwest::Client::new()
            .get(format!("{url}/subjects"))
            .timeout(Duration::from_secs(20))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    // Not served while 20 connections are open...
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!waiting.is_finished(), "a 21st connection was served");
    // ...and served once they close.
    drop(held);
    let status = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("served after the others closed")
        .expect("task")
        .expect("request");
    assert_eq!(status, 200);
}

/// A CA and a server certificate for 127.0.0.1: (ca.pem, server.pem, server-key.pem).
fn make_certificates(dir: &Path) -> (String, String, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
    let server_params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("server params");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_tls_clients_do_not_block_handshakes() {
    let dir = tempfile::tempdir().expect("tmp");
    let (ca, cert, key) = make_certificates(dir.path());
    let server = Server::builder().dir(dir.path()).tls(&cert, &key).start();
    let url = server.url.clone();
    let a = server.address().to_string();
    // 1000 clients that open a connection and never start the handshake.
    let silent: Vec<TcpStream> = (0..1000)
        .map(|_| TcpStream::connect(&a).expect("connect"))
        .collect();
    let pem = std::fs::read(&ca).expect("CA");
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("PEM"))
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(8))
        .build()
        .expect("client");
    let mut times = Vec::new();
    for _ in 0..150 {
        let t = Instant::now();
        let r = client
            .get(format!("{url}/subjects"))
            .send()
            .await
            .expect("HTTPS request while 1000 connections are silent");
        assert_eq!(r.status(), 200);
        times.push(t.elapsed());
    }
    let (p, max) = p99(times);
    eprintln!(
        "HTTPS p99 (new connection each) with 1000 silent connections: {p:?} (slowest {max:?})"
    );
    assert!(p < Duration::from_millis(100), "p99 {p:?}");
    assert!(max < Duration::from_secs(1), "slowest {max:?}");
    drop(silent);
    drop(server);
}

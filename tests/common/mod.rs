//! Shared support for the integration tests.
//!
//! - [`Server`]: runs the `schema-registry` binary on an ephemeral port and kills it on
//!   drop; [`Server::builder`] chooses the store (SQLite by default, Kafka), the data
//!   directory, arguments, environment, TLS, users file and working directory.
//! - [`client`], [`send`], [`request`]: HTTP helpers that send the request
//!   path byte for byte (percent escapes, `..`, `//` untouched).
//! - [`KnownGaps`]: the `tests/fixtures/known-gaps.txt` list.
//! - [`kafka`]: a real broker (tansu) for the Kafka store's tests.
#![allow(dead_code)]

pub mod auth;
pub mod kafka;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

/// How long the server may take to print its `listening on` line.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Timeout of one HTTP request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The Schema Registry media type, the default Content-Type of requests.
pub const SR_CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
/// The server's stdout/stderr kept in memory (the newest part).
const LOG_CAP: usize = 1 << 20;
/// What the server prints on stdout once it accepts connections (then `http://…` or
/// `https://…`).
const LISTENING: &str = "listening on ";

/// A running `schema-registry` process.
pub struct Server {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
    /// The data directory; the store is `sqlite://<dir>/registry.db`.
    pub dir: PathBuf,
    /// A client for this server (see [`client`]).
    pub client: reqwest::Client,
    child: Child,
    log: Arc<Mutex<String>>,
    drains: Vec<JoinHandle<()>>,
    /// Removes the data directory on drop (when the builder made it).
    _tmp: Option<tempfile::TempDir>,
}

/// Where the server under test keeps its log.
#[derive(Debug, Clone)]
enum Store {
    /// SQLite: `registry.db` in the data directory, or this file.
    Sqlite(Option<PathBuf>),
    /// Kafka at `address`, on `topic` (a fresh one when `None`).
    Kafka {
        address: String,
        topic: Option<String>,
        /// `--kafka-cache <dir>/cache.db` (else the server's default, relative to its cwd).
        cache: bool,
        /// `--leader-lease-ms 1500` (else the server's default lease).
        short_lease: bool,
    },
    /// No `--store` flag: the arguments, the environment or the server's default decide.
    Unset,
}

/// How to start a [`Server`]: `Server::builder()`, chained options, then
/// [`ServerBuilder::start`] (panics with the server's output when it does not come up) or
/// [`ServerBuilder::try_start`] (returns that output). By default: a SQLite store in a fresh
/// temporary data directory, removed when the `Server` is dropped.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.start()`"]
pub struct ServerBuilder {
    store: Store,
    dir: Option<PathBuf>,
    cwd: Option<PathBuf>,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl ServerBuilder {
    /// Uses `dir` as the data directory (kept after the server stops: restart tests start a
    /// second server on `first.dir`).
    pub fn dir(mut self, dir: &Path) -> Self {
        self.dir = Some(dir.to_path_buf());
        self
    }

    /// SQLite store in the file `path` instead of `<data dir>/registry.db`.
    pub fn sqlite_file(mut self, path: &Path) -> Self {
        self.store = Store::Sqlite(Some(path.to_path_buf()));
        self
    }

    /// Kafka store on the broker at `address` (`127.0.0.1:PORT`): a fresh topic (see
    /// [`ServerBuilder::topic`]), IPv4, replication factor 1, the cache in the data directory
    /// and a short leader lease (1.5 s), so takeovers after a killed node happen within the
    /// tests' patience.
    pub fn kafka(mut self, address: &str) -> Self {
        self.store = Store::Kafka {
            address: address.to_string(),
            topic: None,
            cache: true,
            short_lease: true,
        };
        self
    }

    /// With [`ServerBuilder::kafka`]: this topic instead of a fresh one.
    pub fn topic(mut self, name: &str) -> Self {
        if let Store::Kafka { topic, .. } = &mut self.store {
            *topic = Some(name.to_string());
        } else {
            panic!("ServerBuilder::topic without ServerBuilder::kafka");
        }
        self
    }

    /// With [`ServerBuilder::kafka`]: no `--kafka-cache` (the server's default place, relative
    /// to its working directory).
    pub fn default_cache(mut self) -> Self {
        if let Store::Kafka { cache, .. } = &mut self.store {
            *cache = false;
        } else {
            panic!("ServerBuilder::default_cache without ServerBuilder::kafka");
        }
        self
    }

    /// With [`ServerBuilder::kafka`]: the server's default leader lease.
    pub fn default_lease(mut self) -> Self {
        if let Store::Kafka { short_lease, .. } = &mut self.store {
            *short_lease = false;
        } else {
            panic!("ServerBuilder::default_lease without ServerBuilder::kafka");
        }
        self
    }

    /// No `--store` flag (the arguments, the environment or the default `./data` decide).
    pub fn no_store(mut self) -> Self {
        self.store = Store::Unset;
        self
    }

    /// Starts the process in `cwd` (for defaults relative to it, such as `./data`).
    pub fn cwd(mut self, cwd: &Path) -> Self {
        self.cwd = Some(cwd.to_path_buf());
        self
    }

    /// One more command-line argument (after `--listen` and the store flags).
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// More command-line arguments.
    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// An environment variable for the process.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// HTTPS with this certificate chain and key (PEM files); the URL is then `https://…`.
    pub fn tls(self, cert: &str, key: &str) -> Self {
        self.args(["--tls-cert", cert, "--tls-key", key])
    }

    /// Basic auth from this users file.
    pub fn users_file(self, path: &str) -> Self {
        self.args(["--auth-users-file", path])
    }

    /// Starts the server; panics with the reason and its output when it does not come up.
    pub fn start(self) -> Server {
        self.try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts the binary with `--listen 127.0.0.1:0`, the store flags and the arguments, and
    /// waits for its `listening on` line; the reason with the server's output when it does
    /// not come up.
    pub fn try_start(self) -> Result<Server, String> {
        let tmp = match &self.dir {
            Some(_) => None,
            None => Some(
                tempfile::Builder::new()
                    .prefix("schema-registry-test-")
                    .tempdir()
                    .map_err(|e| format!("cannot create a temporary data directory: {e}"))?,
            ),
        };
        let dir = match (&self.dir, &tmp) {
            (Some(d), _) => d.clone(),
            (None, Some(t)) => t.path().to_path_buf(),
            (None, None) => unreachable!("a directory is given or made"),
        };
        let mut args: Vec<String> = Vec::new();
        match &self.store {
            Store::Sqlite(file) => {
                let file = file.clone().unwrap_or_else(|| dir.join("registry.db"));
                args.extend(["--store".into(), format!("sqlite://{}", file.display())]);
            }
            Store::Kafka {
                address,
                topic,
                cache,
                short_lease,
            } => {
                static TOPICS: std::sync::atomic::AtomicUsize =
                    std::sync::atomic::AtomicUsize::new(0);
                let topic = topic.clone().unwrap_or_else(|| {
                    let n = TOPICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    format!("_schemas_{}_{n}", std::process::id())
                });
                args.extend([
                    "--store".into(),
                    format!("kafka://{address}/{topic}"),
                    "--kafka-property".into(),
                    "broker.address.family=v4".into(),
                    "--kafka-replication-factor".into(),
                    "1".into(),
                ]);
                if *cache {
                    args.extend([
                        "--kafka-cache".into(),
                        dir.join("cache.db").display().to_string(),
                    ]);
                }
                if *short_lease {
                    args.extend(["--leader-lease-ms".into(), "1500".into()]);
                }
            }
            Store::Unset => {}
        }
        args.extend(self.args.iter().cloned());
        let mut server = spawn(&dir, self.cwd.as_deref(), &args, &self.env)?;
        server._tmp = tmp;
        Ok(server)
    }
}

impl Server {
    /// See [`ServerBuilder`].
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            store: Store::Sqlite(None),
            dir: None,
            cwd: None,
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// A server with default options (SQLite in a fresh temporary directory).
    pub fn start() -> Server {
        Server::builder().start()
    }

    /// A server with the SQLite store in `dir` (restart tests: keep the first `Server`
    /// alive, `kill9` it, then `start_in(&first.dir)`).
    pub fn start_in(dir: &Path) -> Server {
        Server::builder().dir(dir).start()
    }
}

/// Spawns the binary with `--listen 127.0.0.1:0` and `args` and waits for its
/// `listening on` line.
fn spawn(
    dir: &Path,
    cwd: Option<&Path>,
    args: &[String],
    env: &[(String, String)],
) -> Result<Server, String> {
    let shown = args.join(" ");
    let mut command = Command::new(env!("CARGO_BIN_EXE_schema-registry"));
    if let Some(cwd) = cwd {
        command.current_dir(cwd);
    }
    let mut child = command
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot spawn the schema-registry binary: {e}"))?;
    let log = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = mpsc::channel();
    let mut drains = Vec::new();
    if let Some(out) = child.stdout.take() {
        drains.push(drain(out, Arc::clone(&log), Some(tx)));
    } else {
        drop(tx);
    }
    if let Some(err) = child.stderr.take() {
        drains.push(drain(err, Arc::clone(&log), None));
    }
    let failure = match rx.recv_timeout(STARTUP_TIMEOUT) {
        Ok(url) => {
            return Ok(Server {
                url,
                dir: dir.to_path_buf(),
                client: client(),
                child,
                log,
                drains,
                _tmp: None,
            })
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            format!("the server printed no `{LISTENING}…` line within {STARTUP_TIMEOUT:?}")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            "the server closed its stdout before printing its `listening on` line".to_string()
        }
    };
    // Failed: stop the child, collect all it wrote (the pipes close once
    // it is dead, so the drains end).
    let _ = child.kill();
    let status = child.wait();
    for d in drains {
        let _ = d.join();
    }
    Err(format!(
        "{failure} (arguments {shown}, exit: {status:?})\n--- server output ---\n{}",
        lock(&log)
    ))
}

impl Server {
    /// Waits until this node says it leads (`GET /v1/metadata/leader`), up to 30 s.
    pub async fn wait_until_leader(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (s, v) = self.get("/v1/metadata/leader").await;
            if s == 200 && v["role"] == "LEADER" {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} did not become the leader: {v}\n{}",
                self.url,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The server's process ID (for SIGSTOP/SIGCONT in tests).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `host:port` of the listener.
    pub fn address(&self) -> &str {
        self.url.split_once("://").map_or(&self.url, |(_, a)| a)
    }

    /// Sends a signal (`"HUP"`: reload, `"TERM"`: graceful shutdown, `"STOP"`, `"CONT"`).
    pub fn signal(&self, name: &str) {
        let pid = self.pid().to_string();
        let status = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {pid}");
    }

    /// SIGHUP: the server reads its TLS and users files again.
    pub fn hangup(&self) {
        self.signal("HUP");
    }

    /// SIGKILLs the server and waits for it (a crash, no graceful shutdown).
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The exit status if the server is no longer running.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Everything the server wrote to stdout and stderr so far (capped to
    /// the last megabyte).
    pub fn log(&self) -> String {
        lock(&self.log).clone()
    }

    /// See [`request`]: any method, path appended verbatim to [`Server::url`].
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        content_type: Option<&str>,
    ) -> (u16, Value) {
        request(&self.client, &self.url, method, path, body, content_type).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.request("GET", path, None, None).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.request("DELETE", path, None, None).await
    }

    /// `POST path` with a JSON body and the Schema Registry content type.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        self.request("POST", path, Some(&body), Some(SR_CONTENT_TYPE))
            .await
    }

    /// `PUT path` with a JSON body and the Schema Registry content type.
    pub async fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        self.request("PUT", path, Some(&body), Some(SR_CONTENT_TYPE))
            .await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn lock(log: &Mutex<String>) -> std::sync::MutexGuard<'_, String> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Copies a child's output stream into `log` until it closes; the first line
/// announcing the listening address is sent on `tx`.
fn drain<R: Read + Send + 'static>(
    stream: R,
    log: Arc<Mutex<String>>,
    tx: Option<mpsc::Sender<String>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut tx = tx;
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line);
            if let Some(url) = tx.as_ref().and_then(|_| listening_url(&text)) {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(url);
                }
            }
            let mut log = lock(&log);
            log.push_str(&text);
            if log.len() > LOG_CAP {
                let mut cut = log.len() - LOG_CAP / 2;
                while !log.is_char_boundary(cut) {
                    cut += 1;
                }
                log.replace_range(..cut, "[…]\n");
            }
        }
    })
}

/// `http://127.0.0.1:PORT` (or `https://…`) from a line containing `listening on http://…`.
fn listening_url(line: &str) -> Option<String> {
    let at = line.find(LISTENING)? + LISTENING.len();
    let url: String = line[at..]
        .chars()
        // In the JSON log the URL ends at the message's closing quote.
        .take_while(|c| !c.is_whitespace() && !c.is_control() && *c != '"')
        .collect();
    let url = url.trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    (!rest.is_empty()).then(|| url.to_string())
}

/// A client that follows no redirects and times out after [`REQUEST_TIMEOUT`].
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("build the reqwest client")
}

/// Sends `method base+path` and returns the status and the raw body text.
///
/// `path` (with its query) goes on the request line byte for byte. reqwest
/// parses URLs with the `url` crate, which resolves `.`/`..` segments
/// (`%2e%2e` too), percent-encodes some characters and drops fragments; when
/// that would change the request target, the request is written over a plain
/// TCP connection instead. `content_type: None` sends no Content-Type header;
/// `body: Some("")` sends an empty body with `Content-Length: 0`.
pub async fn send(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    content_type: Option<&str>,
) -> Result<(u16, String), String> {
    let full = format!("{base}{path}");
    let verbatim =
        !path.contains('#') && reqwest::Url::parse(&full).is_ok_and(|url| url.as_str() == full);
    if !verbatim {
        return send_raw(base, method, path, body, content_type);
    }
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|e| format!("bad method {method:?}: {e}"))?;
    let mut req = client.request(method.clone(), &full);
    if let Some(ct) = content_type {
        req = req.header(reqwest::header::CONTENT_TYPE, ct);
    }
    if let Some(body) = body {
        if body.is_empty() {
            // hyper leaves out `Content-Length: 0`; an empty body is still a body.
            req = req.header(reqwest::header::CONTENT_LENGTH, "0");
        }
        req = req.body(body.to_string());
    }
    match req.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| format!("{method} {full}: reading the body: {e}"))?;
            Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
        }
        // A URL the http crate will not take: write it ourselves.
        Err(e) if e.is_builder() => send_raw(base, method.as_str(), path, body, content_type),
        Err(e) => Err(format!("{method} {full}: {e}")),
    }
}

/// Whether reqwest sends the URL's path and query unchanged (the `url` crate
/// serializes it back to the same string, and there is no fragment).
pub fn url_is_verbatim(full: &str) -> bool {
    !full.contains('#') && reqwest::Url::parse(full).is_ok_and(|url| url.as_str() == full)
}

/// [`send`], with the body parsed as JSON (`Value::Null` when it is empty or
/// not JSON). Panics if the request cannot be sent.
pub async fn request(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    content_type: Option<&str>,
) -> (u16, Value) {
    match send(client, base, method, path, body, content_type).await {
        Ok((status, text)) => (status, serde_json::from_str(&text).unwrap_or(Value::Null)),
        Err(e) => panic!("request failed: {e}"),
    }
}

/// HTTP/1.1 over a plain TCP connection (`Connection: close`), for request
/// targets the `url` crate would rewrite. Blocking, bounded by
/// [`REQUEST_TIMEOUT`] per read/write.
pub fn send_raw(
    base: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    content_type: Option<&str>,
) -> Result<(u16, String), String> {
    let what = format!("{method} {base}{path}");
    let host = base
        .strip_prefix("http://")
        .ok_or_else(|| format!("{what}: only http:// is supported"))?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(host).map_err(|e| format!("{what}: connect: {e}"))?;
    stream
        .set_read_timeout(Some(REQUEST_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(REQUEST_TIMEOUT)))
        .map_err(|e| format!("{what}: {e}"))?;
    let target = if path.is_empty() { "/" } else { path };
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body.unwrap_or("").as_bytes());
    stream
        .write_all(&out)
        .map_err(|e| format!("{what}: write: {e}"))?;
    let mut resp = Vec::new();
    stream
        .read_to_end(&mut resp)
        .map_err(|e| format!("{what}: read: {e}"))?;
    parse_response(&resp).map_err(|e| format!("{what}: {e}"))
}

/// Status and body of a complete HTTP/1.1 response.
fn parse_response(resp: &[u8]) -> Result<(u16, String), String> {
    let end = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of response headers")?;
    let head = String::from_utf8_lossy(&resp[..end]);
    let mut rest = &resp[end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        }
    }
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let eol = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or("truncated chunk size")?;
            let size_text = String::from_utf8_lossy(&rest[..eol]);
            let size_hex = size_text.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_hex, 16)
                .map_err(|_| format!("bad chunk size {size_text:?}"))?;
            rest = &rest[eol + 2..];
            if size == 0 {
                break;
            }
            let chunk = rest.get(..size).ok_or("truncated chunk")?;
            body.extend_from_slice(chunk);
            rest = rest.get(size + 2..).unwrap_or(&[]);
        }
        body
    } else {
        match length {
            Some(n) => rest.get(..n).ok_or("truncated body")?.to_vec(),
            None => rest.to_vec(),
        }
    };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// `tests/fixtures/known-gaps.txt`: steps (`scenario#step`, 0-based as in
/// allowed.json) and compatibility vectors (by name) we knowingly do not
/// match yet. One `key  reason` per line; lines starting with `#` and blank
/// lines are ignored.
pub struct KnownGaps {
    pub entries: BTreeMap<String, String>,
}

impl KnownGaps {
    pub const PATH: &'static str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/known-gaps.txt");

    /// Reads the list (a missing file is an empty list).
    pub fn load() -> KnownGaps {
        let text = match std::fs::read_to_string(Self::PATH) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => panic!("cannot read {}: {e}", Self::PATH),
        };
        let mut entries = BTreeMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, reason) = match line.split_once(char::is_whitespace) {
                Some((key, reason)) => (key, reason.trim()),
                None => (line, ""),
            };
            entries.insert(key.to_string(), reason.to_string());
        }
        KnownGaps { entries }
    }

    pub fn reason(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }
}

/// Reads a file under `tests/fixtures/` and parses it as JSON.
pub fn fixture_json(relative: &str) -> Value {
    let path = format!("{}/tests/fixtures/{relative}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// Shortens `text` to at most `max` bytes (on a char boundary) for printing.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} bytes)", &text[..cut], text.len())
}

/// The last `max` bytes of `text` (on a char boundary), for panic messages.
pub fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = text.len() - max;
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    format!("[… {} bytes]{}", cut, &text[cut..])
}

/// What a process started by [`run_bounded`] did.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Runs `cmd` with stdin closed, collecting stdout and stderr, and kills it after `limit`
/// (an `Err` with what it printed so far).
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Result<Finished, String> {
    let started = std::time::Instant::now();
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    let collect = |stream: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut s) = stream {
                let _ = s.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let out = collect(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = collect(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < limit => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    match status {
        Some(status) => Ok(Finished {
            status,
            stdout,
            stderr,
            elapsed: started.elapsed(),
        }),
        None => Err(format!(
            "{what} did not finish within {limit:?}; killed\n--- stdout ---\n{}\n--- stderr ---\n{}",
            tail(&stdout, 8192),
            tail(&stderr, 8192)
        )),
    }
}

/// How long `tests/clients/venv.sh` may take to create the client venv (pip from PyPI).
pub const VENV_TIMEOUT: Duration = Duration::from_secs(900);

/// The python of the real-client venv (`tests/clients/venv.sh` creates or reuses
/// `.venv-clients`; once per test process), or `None` (after saying so on stderr) when it
/// cannot be set up and this is not CI. Under `CI=true` that is a failure.
pub fn client_python_or_skip(test: &str) -> Option<PathBuf> {
    static PYTHON: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    let python = PYTHON.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/venv.sh");
        let done = run_bounded(Command::new("bash").arg(script), VENV_TIMEOUT)?;
        let path = done.stdout.lines().last().unwrap_or("").trim().to_string();
        if !done.status.success() || path.is_empty() || !Path::new(&path).is_file() {
            return Err(format!(
                "{script} failed ({}):\n{}{}",
                done.status,
                tail(&done.stdout, 4096),
                tail(&done.stderr, 8192)
            ));
        }
        Ok(PathBuf::from(path))
    });
    match python {
        Ok(p) => Some(p.clone()),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{test}: cannot set up the Python client venv under CI: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED {test}: no Python client venv: {e}");
            None
        }
    }
}

/// `v` without its `ts` fields (Confluent 8's record time), at any depth: two registries
/// holding the same schemas wrote them at different times, which is all `ts` tells.
pub fn without_ts(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| k != "ts")
                .map(|(k, x)| (k, without_ts(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(without_ts).collect()),
        other => other,
    }
}

/// The URL of the leader all the given nodes agree on, once they do.
pub async fn agreed_leader(nodes: &[&Server], limit: std::time::Duration) -> String {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let mut leaders = Vec::new();
        for n in nodes {
            let (s, v) = n.get("/v1/metadata/leader").await;
            if s == 200 {
                leaders.push((v["leader"].as_str().map(str::to_string), v["role"].clone()));
            }
        }
        let first = leaders.first().and_then(|l| l.0.clone());
        let agreed = leaders.len() == nodes.len()
            && first.is_some()
            && leaders.iter().all(|l| l.0 == first)
            && leaders.iter().filter(|l| l.1 == "LEADER").count() == 1;
        if agreed {
            return first.unwrap_or_default();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no agreed leader: {leaders:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

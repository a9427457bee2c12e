//! `schema-registry export` / `import`: move a whole registry's state (subjects, versions
//! including soft-deleted ones, IDs, references, configs, modes) between Confluent-compatible
//! registries through a JSON Lines dump, using IMPORT mode on the target.
//!
//! Both commands speak only the public REST API v1, so either side may be this registry,
//! Confluent's, or another compatible one:
//!
//! ```text
//! schema-registry export --url http://old:8081 > dump.jsonl
//! schema-registry import --url http://new:8081 < dump.jsonl
//! ```
//!
//! # The dump format (version 1)
//!
//! UTF-8 JSON Lines: one JSON object per line, each naming its kind in `"type"`:
//!
//! - `header` (first line): `{"type":"header","format":"schema-registry-dump","formatVersion":1,
//!   "source":URL,"exportedAt":RFC3339,"tool":"schema-registry X.Y.Z"}`. The source URL
//!   carries no credentials.
//! - `schema` (one per version, soft-deleted ones included): `{"type":"schema","subject":S,
//!   "version":V,"id":ID,"schemaType":"AVRO","schema":TEXT,"references":[{"name","subject",
//!   "version"}…],"metadata":{…}?,"ruleSet":{…}?,"deleted":BOOL}`. `subject` is qualified for
//!   non-default contexts (`:.ctx:name`) and `id` is in that context's ID space. The lines are in
//!   dependency order: every version a schema references (and the previous version of the same
//!   subject) comes before it; ties, and cycles if a source ever had one, go by ID.
//! - `config`: `{"type":"config","subject":S|null,"config":{…}}`, the body of `GET /config`
//!   (`subject` null) or `GET /config/{S}` (a subject, or a context as `:.ctx:`), as the
//!   source answered it (`compatibilityLevel`, `normalize`, `defaultMetadata`, …).
//! - `mode`: `{"type":"mode","subject":S|null,"mode":"READWRITE"|"READONLY"|…}`, likewise.
//! - `end` (last line): `{"type":"end","schemas":N,"configs":N,"modes":N}`; a dump without it
//!   (an interrupted export) is refused by `import`.
//!
//! Readers skip lines of unknown `type` (with a warning) and unknown fields.
//!
//! # What `import` does
//!
//! 1. Reads the whole dump and checks it (header, end line, counts) before any request.
//! 2. Reads the target's state for the dump's subjects: a version already there with the same
//!    ID (and schema) is "already present"; the same subject and version with another ID or
//!    schema is a conflict (reported, never overwritten).
//! 3. Puts each subject that gets new versions into IMPORT mode (`PUT /mode/{S}?force=true`),
//!    so the rest of the target keeps serving writes, registers the missing versions with their
//!    IDs and versions (`POST /subjects/{S}/versions` with `id` and `version`) in dependency
//!    order, then soft-deletes what the dump marks deleted (referrers first).
//! 4. Applies the dumped configs, then the modes: every dumped subject ends with exactly its
//!    dumped subject-level mode (none: the temporary IMPORT is removed), context and global
//!    modes are set to the dumped values (`--skip-global` leaves the global ones alone).
//!
//! Only what differs is written, so a second run writes nothing; an interrupted run is
//! finished by running it again. Exit status: 0 done, 1 some items failed (each is printed),
//! 2 usage error, unreadable or malformed dump, registry unreachable or refusing access.
//!
//! Limits of the public API: subjects that have a config or mode but no version (e.g.
//! `alias` subjects) cannot be listed, so they are not exported; schema tags are not exported.

use crate::model::Subject;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// The `format` of the header line.
pub const FORMAT: &str = "schema-registry-dump";
/// The `formatVersion` written; dumps of a higher version are refused.
pub const FORMAT_VERSION: u32 = 1;

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
const ACCEPT: &str = "application/vnd.schemaregistry.v1+json, application/json";
const IMPORT: &str = "IMPORT";

/// `schema-registry export`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Dump a registry's whole state as JSON Lines: every subject of every context, \
        every version (soft-deleted ones included) with its ID, references in dependency order, \
        configs and modes. Only the public REST API v1 is used, so the source may be any \
        Confluent-compatible registry.\n\n\
        Example:  schema-registry export --url http://old-registry:8081 > dump.jsonl\n\n\
        Exit status: 0 done, 1 some items could not be read (listed; the dump lacks them), \
        2 usage error or registry unreachable."
)]
pub struct ExportArgs {
    /// The registry to read, e.g. http://localhost:8081.
    #[arg(long)]
    pub url: String,

    /// HTTP basic auth as USER:PASSWORD (Confluent's basic.auth.user.info).
    #[arg(long, env = "SR_MIGRATE_BASIC_AUTH", hide_env_values = true)]
    pub basic_auth: Option<String>,

    /// Write the dump to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Timeout of one HTTP request, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
}

/// `schema-registry import`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Load a dump made by `export` into a registry, keeping IDs and versions: the \
        subjects being written are put in IMPORT mode, missing versions are registered in \
        dependency order, soft-deleted ones deleted again, then configs and modes are applied. \
        Versions already present with the same ID are skipped, so running it again is safe.\n\n\
        Example:  schema-registry import --url http://new-registry:8081 < dump.jsonl\n\n\
        Exit status: 0 done, 1 some items failed (listed), 2 usage error, malformed dump, \
        registry unreachable or refusing access."
)]
pub struct ImportArgs {
    /// The registry to write, e.g. http://localhost:8081.
    #[arg(long)]
    pub url: String,

    /// HTTP basic auth as USER:PASSWORD (Confluent's basic.auth.user.info).
    #[arg(long, env = "SR_MIGRATE_BASIC_AUTH", hide_env_values = true)]
    pub basic_auth: Option<String>,

    /// Read the dump from this file instead of stdin.
    #[arg(long, short = 'i', value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Only read the target and report what an import would do; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Leave the target's global config and global mode as they are (by default they are set
    /// to the dumped ones at the end).
    #[arg(long)]
    pub skip_global: bool,

    /// Timeout of one HTTP request, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
}

// ---- the dump format ---------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub exported_at: String,
    #[serde(default)]
    pub tool: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefLine {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

fn avro() -> String {
    "AVRO".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaLine {
    pub subject: String,
    pub version: i32,
    pub id: i32,
    #[serde(default = "avro")]
    pub schema_type: String,
    pub schema: String,
    #[serde(default)]
    pub references: Vec<RefLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<Value>,
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigLine {
    /// `None`: the global config; `:.ctx:`: a context's; else a subject's.
    pub subject: Option<String>,
    pub config: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeLine {
    /// `None`: the global mode; `:.ctx:`: a context's; else a subject's.
    pub subject: Option<String>,
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndLine {
    pub schemas: usize,
    pub configs: usize,
    pub modes: usize,
}

/// A whole dump, in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Dump {
    pub header: Header,
    pub schemas: Vec<SchemaLine>,
    pub configs: Vec<ConfigLine>,
    pub modes: Vec<ModeLine>,
}

/// One line of the dump: `{"type": kind, …fields}`.
fn line<T: Serialize>(kind: &str, item: &T) -> String {
    let mut m = Map::new();
    m.insert("type".into(), json!(kind));
    if let Ok(Value::Object(fields)) = serde_json::to_value(item) {
        m.extend(fields);
    }
    Value::Object(m).to_string()
}

impl Dump {
    /// The dump as JSON Lines (header, schemas, configs, modes, end), each line ended by `\n`.
    pub fn to_jsonl(&self) -> String {
        let mut out = String::new();
        let mut push = |l: String| {
            out.push_str(&l);
            out.push('\n');
        };
        push(line("header", &self.header));
        for s in &self.schemas {
            push(line("schema", s));
        }
        for c in &self.configs {
            push(line("config", c));
        }
        for m in &self.modes {
            push(line("mode", m));
        }
        push(line(
            "end",
            &EndLine {
                schemas: self.schemas.len(),
                configs: self.configs.len(),
                modes: self.modes.len(),
            },
        ));
        out
    }

    /// Parses and checks a dump; warnings (unknown line types) go to `warn`.
    pub fn parse(text: &str, warn: &mut dyn FnMut(String)) -> Result<Dump, String> {
        let mut header: Option<Header> = None;
        let mut end: Option<EndLine> = None;
        let mut schemas = Vec::new();
        let mut configs = Vec::new();
        let mut modes = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            if end.is_some() {
                return Err(format!("line {n}: content after the end line"));
            }
            let v: Value =
                serde_json::from_str(raw).map_err(|e| format!("line {n}: not JSON: {e}"))?;
            let kind = v
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("line {n}: no \"type\" field"))?
                .to_string();
            let bad = |e: serde_json::Error| format!("line {n}: malformed {kind} line: {e}");
            if header.is_none() && kind != "header" {
                return Err(format!(
                    "line {n}: the dump does not start with a header line (is this a dump made by `schema-registry export`?)"
                ));
            }
            match kind.as_str() {
                "header" => {
                    if header.is_some() {
                        return Err(format!("line {n}: a second header line"));
                    }
                    let h: Header = serde_json::from_value(v).map_err(bad)?;
                    if h.format != FORMAT {
                        return Err(format!("line {n}: format {:?} is not {FORMAT:?}", h.format));
                    }
                    if h.format_version > FORMAT_VERSION {
                        return Err(format!(
                            "line {n}: dump format version {} is newer than this tool reads ({FORMAT_VERSION})",
                            h.format_version
                        ));
                    }
                    header = Some(h);
                }
                "schema" => {
                    let s: SchemaLine = serde_json::from_value(v).map_err(bad)?;
                    if s.version < 1 || s.id < 0 || s.subject.is_empty() {
                        return Err(format!(
                            "line {n}: schema line with subject {:?}, version {}, id {}",
                            s.subject, s.version, s.id
                        ));
                    }
                    schemas.push(s);
                }
                "config" => configs.push(serde_json::from_value(v).map_err(bad)?),
                "mode" => modes.push(serde_json::from_value(v).map_err(bad)?),
                "end" => end = Some(serde_json::from_value(v).map_err(bad)?),
                other => warn(format!(
                    "line {n}: skipping a line of unknown type {other:?}"
                )),
            }
        }
        let header = header.ok_or("the dump is empty")?;
        let end =
            end.ok_or("the dump has no end line: it is incomplete (was the export interrupted?)")?;
        if (end.schemas, end.configs, end.modes) != (schemas.len(), configs.len(), modes.len()) {
            return Err(format!(
                "the end line announces {} schemas, {} configs, {} modes but the dump holds {}, {}, {}",
                end.schemas,
                end.configs,
                end.modes,
                schemas.len(),
                configs.len(),
                modes.len()
            ));
        }
        let mut seen = BTreeSet::new();
        for s in &schemas {
            if !seen.insert((s.subject.as_str(), s.version)) {
                return Err(format!(
                    "subject {:?} version {} appears twice",
                    s.subject, s.version
                ));
            }
        }
        Ok(Dump {
            header,
            schemas: order_schemas(schemas),
            configs,
            modes,
        })
    }
}

/// The subject a reference names, qualified as the registry resolves it: an unqualified
/// reference of a schema in a non-default context stays in that context.
fn reference_target(referrer: &str, name: &str) -> String {
    let of = Subject::parse(referrer);
    let s = Subject::parse(name);
    if s.is_default_context() && !of.is_default_context() && !name.starts_with(":.") {
        Subject::in_context(&of.context, name).qualified()
    } else {
        s.qualified()
    }
}

/// Orders schema lines so that every version comes after the versions it references and after
/// the previous version of its subject (Kahn's algorithm; among ready lines the lowest ID, then
/// subject and version, first). Lines in a cycle (which a registry cannot hold) follow by ID.
pub fn order_schemas(mut lines: Vec<SchemaLine>) -> Vec<SchemaLine> {
    lines.sort_by(|a, b| (a.id, &a.subject, a.version).cmp(&(b.id, &b.subject, b.version)));
    let qualified: Vec<String> = lines
        .iter()
        .map(|l| Subject::parse(&l.subject).qualified())
        .collect();
    let mut at: HashMap<(&str, i32), usize> = HashMap::new();
    let mut by_subject: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        at.insert((qualified[i].as_str(), l.version), i);
        by_subject
            .entry(qualified[i].as_str())
            .or_default()
            .push(l.version);
    }
    for vs in by_subject.values_mut() {
        vs.sort_unstable();
    }
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); lines.len()];
    let mut targets: Vec<String> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let q = qualified[i].as_str();
        if let Some(vs) = by_subject.get(q) {
            if let Some(prev) = vs.iter().rev().find(|v| **v < l.version) {
                if let Some(&j) = at.get(&(q, *prev)) {
                    deps[i].push(j);
                }
            }
        }
        targets.clear();
        for r in &l.references {
            targets.push(reference_target(&l.subject, &r.subject));
        }
        for (r, t) in l.references.iter().zip(&targets) {
            let version = if r.version == -1 {
                by_subject.get(t.as_str()).and_then(|vs| vs.last().copied())
            } else {
                Some(r.version)
            };
            if let Some(j) = version.and_then(|v| at.get(&(t.as_str(), v))) {
                if *j != i {
                    deps[i].push(*j);
                }
            }
        }
    }
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); lines.len()];
    for (i, ds) in deps.iter().enumerate() {
        for &j in ds {
            dependents[j].push(i);
        }
    }
    // Lines are sorted by (id, subject, version): the index is the tie-break.
    let mut ready: BinaryHeap<Reverse<usize>> = (0..lines.len())
        .filter(|i| waiting[*i] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(lines.len());
    let mut placed = vec![false; lines.len()];
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        placed[i] = true;
        for &d in &dependents[i] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.push(Reverse(d));
            }
        }
    }
    order.extend((0..lines.len()).filter(|i| !placed[*i]));
    let mut slots: Vec<Option<SchemaLine>> = lines.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

// ---- HTTP --------------------------------------------------------------------------------

use crate::model::path_segment as enc;

/// `/config` or `/config/{scope}` (likewise `/mode`).
fn scoped(kind: &str, scope: Option<&str>) -> String {
    match scope {
        None => format!("/{kind}"),
        Some(s) => format!("/{kind}/{}", enc(s)),
    }
}

/// How a scope is shown in messages.
fn scope_name(scope: Option<&str>) -> String {
    match scope {
        None => "(global)".to_string(),
        Some(s) => s.to_string(),
    }
}

/// A registry's answer: the status and the body (a JSON string when it is not JSON).
struct Reply {
    status: u16,
    body: Value,
}

impl Reply {
    fn ok(&self) -> bool {
        self.status == 200
    }

    fn error_code(&self) -> Option<i64> {
        self.body.get("error_code").and_then(Value::as_i64)
    }

    /// `404 (error_code 40401): Subject 'x' not found.`
    fn describe(&self) -> String {
        let message = self
            .body
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| {
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

struct Api {
    http: reqwest::Client,
    /// Scheme, host, port and path prefix, no trailing slash, no credentials.
    base: String,
    auth: Option<(String, String)>,
}

impl Api {
    fn new(url: &str, basic_auth: Option<&str>, timeout: u64) -> Result<Api, String> {
        let mut parsed = reqwest::Url::parse(url.trim())
            .map_err(|e| format!("--url {url:?} is not a URL: {e}"))?;
        if parsed.scheme() != "http" && parsed.scheme() != "https" {
            return Err(format!(
                "--url {url:?}: only http:// and https:// are supported"
            ));
        }
        let from_url = (!parsed.username().is_empty()).then(|| {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (
                decode(parsed.username()),
                decode(parsed.password().unwrap_or("")),
            )
        });
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
        parsed.set_query(None);
        parsed.set_fragment(None);
        let base = parsed.as_str().trim_end_matches('/').to_string();
        let auth = match basic_auth {
            Some(a) => {
                let (user, pass) = a.split_once(':').ok_or(
                    "--basic-auth must be USER:PASSWORD (with a colon between them)".to_string(),
                )?;
                Some((user.to_string(), pass.to_string()))
            }
            None => from_url,
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(timeout.max(1)))
            .connect_timeout(Duration::from_secs(timeout.clamp(1, 10)))
            .user_agent(concat!(
                "schema-registry-migrate/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Api { http, base, auth })
    }

    /// Sends a request. `Err` is fatal for the whole run: the registry cannot be reached, or
    /// refuses the credentials (401/403).
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, String> {
        let url = format!("{}{path}", self.base);
        // Reads are retried on transport errors (a restarting registry, a dropped connection).
        let attempts = if method == reqwest::Method::GET { 3 } else { 1 };
        let mut last_err = String::new();
        for attempt in 0..attempts {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(300 * attempt)).await;
            }
            let mut req = self
                .http
                .request(method.clone(), &url)
                .header(reqwest::header::ACCEPT, ACCEPT);
            if let Some((user, pass)) = &self.auth {
                req = req.basic_auth(user, Some(pass));
            }
            if let Some(b) = body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
                    .body(b.to_string());
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    last_err = format!("cannot reach the registry at {}: {}", self.base, chain(&e));
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let text = match resp.text().await {
                Ok(t) => t,
                Err(e) => {
                    last_err = format!("{method} {url}: reading the answer: {}", chain(&e));
                    continue;
                }
            };
            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
            let reply = Reply { status, body };
            if status == 401 || status == 403 {
                return Err(format!(
                    "the registry at {} refused access to {method} {path}: {} (check --basic-auth)",
                    self.base,
                    reply.describe()
                ));
            }
            return Ok(reply);
        }
        Err(last_err)
    }

    async fn get(&self, path: &str) -> Result<Reply, String> {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn put(&self, path: &str, body: &Value) -> Result<Reply, String> {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Reply, String> {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Result<Reply, String> {
        self.send(reqwest::Method::DELETE, path, None).await
    }
}

/// An error with its sources (reqwest's own message is often just "error sending request").
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let _ = write!(s, ": {c}");
        cur = c.source();
    }
    s
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {elapsed_precise} {wide_msg}")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_prefix(what.to_string());
    pb
}

/// Prints a line above a visible progress bar (the summary lists it again at the end).
fn say(pb: &ProgressBar, msg: &str) {
    if !pb.is_hidden() {
        pb.suspend(|| eprintln!("{msg}"));
    }
}

fn string_list(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn int_list(v: &Value) -> Option<Vec<i32>> {
    v.as_array()?
        .iter()
        .map(|n| n.as_i64().and_then(|n| i32::try_from(n).ok()))
        .collect()
}

/// Now as RFC 3339 UTC (`2024-05-01T12:34:56Z`).
fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

// ---- export ------------------------------------------------------------------------------

/// Runs `schema-registry export`.
pub fn run_export(args: &ExportArgs) -> ExitCode {
    let api = match Api::new(&args.url, args.basic_auth.as_deref(), args.timeout) {
        Ok(a) => a,
        Err(e) => return fatal("export", &e),
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return fatal("export", &e),
    };
    let (dump, failures) = match rt.block_on(export(&api)) {
        Ok(r) => r,
        Err(e) => return fatal("export", &e),
    };
    let text = dump.to_jsonl();
    let written = match &args.output {
        Some(path) => std::fs::write(path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| format!("cannot write the dump to stdout: {e}"))
        }
    };
    if let Err(e) = written {
        return fatal("export", &e);
    }
    let subjects: BTreeSet<&str> = dump.schemas.iter().map(|s| s.subject.as_str()).collect();
    let deleted = dump.schemas.iter().filter(|s| s.deleted).count();
    eprintln!(
        "export of {}: {} subjects, {} versions ({deleted} soft-deleted), {} configs, {} modes{}",
        api.base,
        subjects.len(),
        dump.schemas.len(),
        dump.configs.len(),
        dump.modes.len(),
        match &args.output {
            Some(p) => format!(" written to {}", p.display()),
            None => String::new(),
        }
    );
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "export: {} items could not be read and are missing from the dump:",
            failures.len()
        );
        for f in &failures {
            eprintln!("  - {f}");
        }
        ExitCode::from(1)
    }
}

fn fatal(what: &str, e: &str) -> ExitCode {
    eprintln!("{what}: error: {e}");
    ExitCode::from(2)
}

/// Lists a collection that may be paged (`offset`): asks again from the end of what was
/// seen until nothing new comes (a registry ignoring `offset` answers the same page again).
async fn list_all(api: &Api, path: &str) -> Result<Result<Vec<String>, Reply>, String> {
    let first = api.get(path).await?;
    if !first.ok() {
        return Ok(Err(first));
    }
    let Some(mut all) = string_list(&first.body) else {
        return Ok(Err(first));
    };
    let mut seen: BTreeSet<String> = all.iter().cloned().collect();
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut last_len = all.len();
    while last_len > 0 && all.len() < 10_000_000 {
        let next = api.get(&format!("{path}{sep}offset={}", all.len())).await?;
        let page = match (next.ok(), string_list(&next.body)) {
            (true, Some(p)) => p,
            _ => break,
        };
        let new: Vec<String> = page
            .into_iter()
            .filter(|s| seen.insert(s.clone()))
            .collect();
        if new.is_empty() {
            break;
        }
        last_len = new.len();
        all.extend(new);
    }
    Ok(Ok(all))
}

async fn export(api: &Api) -> Result<(Dump, Vec<String>), String> {
    let mut failures = Vec::new();
    let mut configs = Vec::new();
    let mut modes = Vec::new();
    // The global config is the connectivity probe: every registry answers it.
    let global_config = api.get("/config").await?;
    match &global_config.body {
        Value::Object(m) if global_config.ok() => configs.push(ConfigLine {
            subject: None,
            config: m.clone(),
        }),
        _ => {
            return Err(format!(
                "GET {}/config answered {}: is this a schema registry?",
                api.base,
                global_config.describe()
            ))
        }
    }
    let global_mode = api.get("/mode").await?;
    let global_mode = match global_mode.body.get("mode").and_then(Value::as_str) {
        Some(m) if global_mode.ok() => {
            modes.push(ModeLine {
                subject: None,
                mode: m.to_string(),
            });
            Some(m.to_string())
        }
        _ => {
            eprintln!(
                "export: warning: no global mode exported (GET /mode answered {})",
                global_mode.describe()
            );
            None
        }
    };
    let contexts = {
        let r = api.get("/contexts").await?;
        match (r.ok(), string_list(&r.body)) {
            (true, Some(c)) => c,
            _ => vec![".".to_string()],
        }
    };
    let mut subjects: BTreeSet<String> = BTreeSet::new();
    match list_all(api, "/subjects?deleted=true").await? {
        Ok(s) => subjects.extend(s),
        Err(r) => {
            return Err(format!(
                "GET {}/subjects?deleted=true answered {}",
                api.base,
                r.describe()
            ))
        }
    }
    // Subjects of every context (Confluent lists only the default context without a prefix).
    let mut prefixes = vec![":*:".to_string()];
    prefixes.extend(
        contexts
            .iter()
            .filter(|c| c.as_str() != ".")
            .map(|c| format!(":{c}:")),
    );
    for p in prefixes {
        let path = format!("/subjects?deleted=true&subjectPrefix={}", enc(&p));
        if let Ok(s) = list_all(api, &path).await? {
            subjects.extend(s);
        }
    }

    let pb = progress(subjects.len() as u64, "export");
    let mut schemas = Vec::new();
    for s in &subjects {
        pb.set_message(s.clone());
        let base = format!("/subjects/{}", enc(s));
        let all = api.get(&format!("{base}/versions?deleted=true")).await?;
        let all = match (all.status, int_list(&all.body)) {
            (200, Some(vs)) => vs,
            // Gone since it was listed.
            (404, _) => {
                pb.inc(1);
                continue;
            }
            _ => {
                failures.push(format!("subject {s}: listing versions: {}", all.describe()));
                pb.inc(1);
                continue;
            }
        };
        let live = api.get(&format!("{base}/versions")).await?;
        let live: BTreeSet<i32> = match (live.status, int_list(&live.body)) {
            (200, Some(vs)) => vs.into_iter().collect(),
            (404, _) => BTreeSet::new(),
            _ => {
                failures.push(format!(
                    "subject {s}: listing live versions: {}",
                    live.describe()
                ));
                pb.inc(1);
                continue;
            }
        };
        for v in all {
            let r = api
                .get(&format!("{base}/versions/{v}?deleted=true"))
                .await?;
            if !r.ok() {
                failures.push(format!("subject {s} version {v}: {}", r.describe()));
                continue;
            }
            match schema_line(s, v, &r.body, !live.contains(&v)) {
                Ok(l) => schemas.push(l),
                Err(e) => failures.push(format!("subject {s} version {v}: {e}")),
            }
        }
        scope_state(
            api,
            Some(s),
            global_mode.as_deref(),
            &mut configs,
            &mut modes,
            &mut failures,
            true,
        )
        .await?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    for c in contexts.iter().filter(|c| c.as_str() != ".") {
        let scope = format!(":{c}:");
        scope_state(
            api,
            Some(&scope),
            global_mode.as_deref(),
            &mut configs,
            &mut modes,
            &mut failures,
            false,
        )
        .await?;
    }
    let header = Header {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        source: api.base.clone(),
        exported_at: now_rfc3339(),
        tool: concat!("schema-registry ", env!("CARGO_PKG_VERSION")).into(),
    };
    Ok((
        Dump {
            header,
            schemas: order_schemas(schemas),
            configs,
            modes,
        },
        failures,
    ))
}

/// Reads the config and mode set at one scope (a subject or `:.ctx:`); 404 means none.
async fn scope_state(
    api: &Api,
    scope: Option<&str>,
    global_mode: Option<&str>,
    configs: &mut Vec<ConfigLine>,
    modes: &mut Vec<ModeLine>,
    failures: &mut Vec<String>,
    strict: bool,
) -> Result<(), String> {
    let name = scope_name(scope);
    let c = api.get(&scoped("config", scope)).await?;
    match &c.body {
        Value::Object(m) if c.ok() => configs.push(ConfigLine {
            subject: scope.map(str::to_string),
            config: m.clone(),
        }),
        _ if c.status == 404 => {}
        _ if strict => failures.push(format!("config of {name}: {}", c.describe())),
        _ => {}
    }
    let m = api.get(&scoped("mode", scope)).await?;
    match m.body.get("mode").and_then(Value::as_str) {
        // A global READONLY_OVERRIDE shows through every scope: it is not the scope's own.
        Some(mode) if m.ok() && !(mode == "READONLY_OVERRIDE" && global_mode == Some(mode)) => {
            modes.push(ModeLine {
                subject: scope.map(str::to_string),
                mode: mode.to_string(),
            })
        }
        _ if m.ok() || m.status == 404 => {}
        _ if strict => failures.push(format!("mode of {name}: {}", m.describe())),
        _ => {}
    }
    Ok(())
}

fn schema_line(
    subject: &str,
    version: i32,
    body: &Value,
    deleted: bool,
) -> Result<SchemaLine, String> {
    let id = body
        .get("id")
        .and_then(Value::as_i64)
        .and_then(|i| i32::try_from(i).ok())
        .ok_or_else(|| format!("the answer has no id: {body}"))?;
    let schema = body
        .get("schema")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("the answer has no schema: {body}"))?
        .to_string();
    let schema_type = body
        .get("schemaType")
        .and_then(Value::as_str)
        .map_or_else(avro, str::to_string);
    let references = match body.get("references") {
        None | Some(Value::Null) => Vec::new(),
        Some(r) => serde_json::from_value(r.clone())
            .map_err(|e| format!("unreadable references {r}: {e}"))?,
    };
    let present = |k: &str| body.get(k).filter(|v| !v.is_null()).cloned();
    Ok(SchemaLine {
        subject: subject.to_string(),
        version,
        id,
        schema_type,
        schema,
        references,
        metadata: present("metadata"),
        rule_set: present("ruleSet"),
        deleted,
    })
}

// ---- import ------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Summary {
    created: usize,
    present: usize,
    soft_deleted: usize,
    already_deleted: usize,
    configs_set: usize,
    configs_unchanged: usize,
    modes_set: usize,
    modes_unchanged: usize,
    failures: Vec<String>,
}

impl Summary {
    fn print(&self, target: &str, dry_run: bool) {
        let (created, deleted, set) = if dry_run {
            ("to create", "to soft-delete", "to set")
        } else {
            ("created", "soft-deleted", "set")
        };
        let mut s = String::new();
        if dry_run {
            let _ = writeln!(s, "import into {target}: dry run, nothing was written");
        } else {
            let _ = writeln!(s, "import into {target}:");
        }
        let _ = writeln!(s, "  versions {created}: {}", self.created);
        let _ = writeln!(s, "  versions already present: {}", self.present);
        let _ = writeln!(s, "  versions {deleted}: {}", self.soft_deleted);
        let _ = writeln!(
            s,
            "  versions already soft-deleted: {}",
            self.already_deleted
        );
        let _ = writeln!(s, "  configs {set}: {}", self.configs_set);
        let _ = writeln!(s, "  configs unchanged: {}", self.configs_unchanged);
        let _ = writeln!(s, "  modes {set}: {}", self.modes_set);
        let _ = writeln!(s, "  modes unchanged: {}", self.modes_unchanged);
        let _ = writeln!(s, "  failures: {}", self.failures.len());
        for f in &self.failures {
            let _ = writeln!(s, "    - {f}");
        }
        eprint!("{s}");
    }
}

/// Runs `schema-registry import`.
pub fn run_import(args: &ImportArgs) -> ExitCode {
    let text = match &args.input {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display())),
        None => {
            let mut t = String::new();
            std::io::stdin()
                .lock()
                .read_to_string(&mut t)
                .map(|_| t)
                .map_err(|e| format!("cannot read the dump from stdin: {e}"))
        }
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => return fatal("import", &e),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let dump = match Dump::parse(text, &mut |w| eprintln!("import: warning: {w}")) {
        Ok(d) => d,
        Err(e) => return fatal("import", &format!("malformed dump: {e}")),
    };
    let api = match Api::new(&args.url, args.basic_auth.as_deref(), args.timeout) {
        Ok(a) => a,
        Err(e) => return fatal("import", &e),
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return fatal("import", &e),
    };
    let mut summary = Summary::default();
    let result = rt.block_on(import(&api, &dump, args, &mut summary));
    match result {
        Ok(()) => {
            summary.print(&api.base, args.dry_run);
            if summary.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            if summary.created + summary.soft_deleted + summary.configs_set + summary.modes_set > 0
            {
                summary.print(&api.base, args.dry_run);
                eprintln!("import: stopped early; running it again finishes the job");
            }
            fatal("import", &e)
        }
    }
}

/// What the target holds for one dumped version.
#[derive(Debug, Clone, PartialEq)]
enum Found {
    Missing,
    /// Same ID (and schema) at that subject and version; `live`: not soft-deleted there.
    Present {
        live: bool,
    },
    /// Cannot be imported (reason given).
    Conflict(String),
}

/// The target's state of one dumped subject.
#[derive(Debug, Default)]
struct TargetSubject {
    all: BTreeSet<i32>,
    live: BTreeSet<i32>,
    /// Its own subject-level mode.
    mode: Option<String>,
    /// Reading it failed: its lines are conflicts.
    broken: Option<String>,
}

/// A missing version: `Missing` if its ID is free on the target or bound to the same schema
/// there, else a conflict. `ids` caches the target's schema per (context, ID).
async fn id_free(
    api: &Api,
    l: &SchemaLine,
    ids: &mut HashMap<(String, i32), Option<String>>,
) -> Result<Found, String> {
    let context = Subject::parse(&l.subject).context;
    let key = (context, l.id);
    if !ids.contains_key(&key) {
        // The `subject` parameter selects the subject's context (ignored by registries
        // without contexts).
        let r = api
            .get(&format!(
                "/schemas/ids/{}?subject={}",
                l.id,
                enc(&l.subject)
            ))
            .await?;
        let held = match r.body.get("schema").and_then(Value::as_str) {
            Some(s) if r.ok() => Some(s.to_string()),
            _ if r.status == 404 => None,
            _ => {
                return Ok(Found::Conflict(format!(
                    "reading id {} on the target: {}",
                    l.id,
                    r.describe()
                )))
            }
        };
        ids.insert(key.clone(), held);
    }
    Ok(match ids.get(&key).and_then(Option::as_deref) {
        Some(held) if !same_schema(held, &l.schema) => {
            Found::Conflict(format!("id {} is another schema on the target", l.id))
        }
        _ => Found::Missing,
    })
}

/// Whether two schema texts are the same schema (as JSON when both parse, else as text).
fn same_schema(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// A config as `PUT /config` takes it, from what `GET /config` answered.
fn config_update(c: &Map<String, Value>) -> Value {
    let mut m = Map::new();
    for (k, v) in c {
        if v.is_null() {
            continue;
        }
        let k = if k == "compatibilityLevel" {
            "compatibility"
        } else {
            k.as_str()
        };
        m.insert(k.to_string(), v.clone());
    }
    Value::Object(m)
}

/// Whether the target's config already has every dumped setting.
fn config_holds(target: &Value, dumped: &Map<String, Value>) -> bool {
    dumped.iter().filter(|(_, v)| !v.is_null()).all(|(k, v)| {
        let t = target.get(k);
        match (t, v) {
            (Some(Value::String(a)), Value::String(b)) if k == "compatibilityLevel" => {
                a.eq_ignore_ascii_case(b)
            }
            (Some(t), v) => t == v,
            (None, _) => false,
        }
    })
}

/// A scope's own mode on the target (`None`: not set).
async fn own_mode(api: &Api, scope: Option<&str>) -> Result<Result<Option<String>, Reply>, String> {
    let r = api.get(&scoped("mode", scope)).await?;
    Ok(
        match (r.status, r.body.get("mode").and_then(Value::as_str)) {
            (200, Some(m)) => Ok(Some(m.to_string())),
            (404, _) if scope.is_some() => Ok(None),
            _ => Err(r),
        },
    )
}

async fn import(
    api: &Api,
    dump: &Dump,
    args: &ImportArgs,
    sum: &mut Summary,
) -> Result<(), String> {
    // ---- read the target (also the connectivity probe) ----
    let global_mode = match own_mode(api, None).await? {
        Ok(m) => m,
        Err(r) => {
            return Err(format!(
                "GET {}/mode answered {}: is this a schema registry?",
                api.base,
                r.describe()
            ))
        }
    };
    if global_mode.as_deref() == Some("READONLY_OVERRIDE") && !args.dry_run {
        return Err(format!(
            "the registry at {} is in READONLY_OVERRIDE mode: nothing can be imported",
            api.base
        ));
    }
    let mut subjects: Vec<&str> = Vec::new();
    let mut target: HashMap<&str, TargetSubject> = HashMap::new();
    for s in &dump.schemas {
        if !target.contains_key(s.subject.as_str()) {
            subjects.push(&s.subject);
            target.insert(&s.subject, TargetSubject::default());
        }
    }
    let pb = progress(
        (subjects.len() + dump.schemas.len()) as u64,
        "reading target",
    );
    for s in &subjects {
        pb.set_message(s.to_string());
        let t = target.entry(s).or_default();
        let base = format!("/subjects/{}", enc(s));
        let all = api.get(&format!("{base}/versions?deleted=true")).await?;
        match (all.status, int_list(&all.body)) {
            (200, Some(vs)) => t.all = vs.into_iter().collect(),
            (404, _) => {}
            _ => t.broken = Some(format!("listing its versions: {}", all.describe())),
        }
        if !t.all.is_empty() {
            let live = api.get(&format!("{base}/versions")).await?;
            match (live.status, int_list(&live.body)) {
                (200, Some(vs)) => t.live = vs.into_iter().collect(),
                (404, _) => {}
                _ => t.broken = Some(format!("listing its versions: {}", live.describe())),
            }
        }
        match own_mode(api, Some(s)).await? {
            Ok(m) => t.mode = m,
            Err(r) => t.broken = Some(format!("reading its mode: {}", r.describe())),
        }
        pb.inc(1);
    }
    let mut found: Vec<Found> = Vec::with_capacity(dump.schemas.len());
    let mut ids: HashMap<(String, i32), Option<String>> = HashMap::new();
    for l in &dump.schemas {
        pb.inc(1);
        let Some(t) = target.get(l.subject.as_str()) else {
            found.push(Found::Conflict("internal: subject not read".into()));
            continue;
        };
        if let Some(b) = &t.broken {
            found.push(Found::Conflict(b.clone()));
            continue;
        }
        if !t.all.contains(&l.version) {
            found.push(id_free(api, l, &mut ids).await?);
            continue;
        }
        let r = api
            .get(&format!(
                "/subjects/{}/versions/{}?deleted=true",
                enc(&l.subject),
                l.version
            ))
            .await?;
        let f = if r.status == 404 {
            id_free(api, l, &mut ids).await?
        } else if !r.ok() {
            Found::Conflict(format!("reading it on the target: {}", r.describe()))
        } else {
            let id = r.body.get("id").and_then(Value::as_i64);
            let schema = r.body.get("schema").and_then(Value::as_str).unwrap_or("");
            if id != Some(i64::from(l.id)) {
                Found::Conflict(format!(
                    "the target holds this version with id {} instead of {}",
                    id.map_or("?".to_string(), |i| i.to_string()),
                    l.id
                ))
            } else if !same_schema(schema, &l.schema) {
                Found::Conflict("the target holds this version with another schema".into())
            } else {
                Found::Present {
                    live: t.live.contains(&l.version),
                }
            }
        };
        found.push(f);
    }
    pb.finish_and_clear();

    // ---- plan ----
    let what =
        |l: &SchemaLine| format!("subject {} version {} (id {})", l.subject, l.version, l.id);
    let mut to_create: Vec<usize> = Vec::new();
    let mut to_delete: Vec<usize> = Vec::new();
    for (i, (l, f)) in dump.schemas.iter().zip(&found).enumerate() {
        match f {
            Found::Missing => {
                to_create.push(i);
                if l.deleted {
                    to_delete.push(i);
                }
            }
            Found::Present { live } => {
                sum.present += 1;
                match (live, l.deleted) {
                    (true, true) => to_delete.push(i),
                    (false, true) => sum.already_deleted += 1,
                    (false, false) => sum.failures.push(format!(
                        "{}: soft-deleted on the target but live in the dump (not undeleted)",
                        what(l)
                    )),
                    (true, false) => {}
                }
            }
            Found::Conflict(why) => sum.failures.push(format!("{}: {why}", what(l))),
        }
    }
    // Subjects that get new versions go into IMPORT mode for the time of the import.
    let mut needs_import: BTreeSet<&str> = BTreeSet::new();
    for &i in &to_create {
        let s = dump.schemas[i].subject.as_str();
        let own = target.get(s).and_then(|t| t.mode.as_deref());
        if own != Some(IMPORT) {
            needs_import.insert(s);
        }
    }
    // Configs that differ.
    let mut config_writes: Vec<&ConfigLine> = Vec::new();
    for c in &dump.configs {
        if c.subject.is_none() && args.skip_global {
            continue;
        }
        let r = api.get(&scoped("config", c.subject.as_deref())).await?;
        if r.ok() && config_holds(&r.body, &c.config) {
            sum.configs_unchanged += 1;
        } else if r.ok() || r.status == 404 {
            config_writes.push(c);
        } else {
            sum.failures.push(format!(
                "config of {}: reading it on the target: {}",
                scope_name(c.subject.as_deref()),
                r.describe()
            ));
        }
    }
    // Modes: every dumped subject ends with exactly its dumped mode; context and global
    // scopes named in the dump get theirs.
    let mut desired: BTreeMap<Option<&str>, Option<&str>> = BTreeMap::new();
    for s in &subjects {
        desired.insert(Some(s), None);
    }
    for m in &dump.modes {
        if m.subject.is_none() && args.skip_global {
            continue;
        }
        desired.insert(m.subject.as_deref(), Some(m.mode.as_str()));
    }
    // (scope, wanted mode, whether it changes the target's own mode)
    let mut mode_writes: Vec<(Option<&str>, Option<&str>, bool)> = Vec::new();
    for (&scope, &want) in &desired {
        let original: Option<String> = match scope {
            None => global_mode.clone(),
            Some(s) => match target.get(s) {
                Some(t) if t.broken.is_some() => continue,
                Some(t) => t.mode.clone(),
                None => match own_mode(api, Some(s)).await? {
                    Ok(m) => m,
                    Err(r) => {
                        sum.failures.push(format!(
                            "mode of {s}: reading it on the target: {}",
                            r.describe()
                        ));
                        continue;
                    }
                },
            },
        };
        let same = match (original.as_deref(), want) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            // The global mode is never "unset": READWRITE is its default.
            (None, Some(b)) => scope.is_none() && b.eq_ignore_ascii_case("READWRITE"),
            (Some(_), None) => false,
        };
        let temporary = scope.is_some_and(|s| needs_import.contains(&s));
        if same && want.is_some() {
            sum.modes_unchanged += 1;
        }
        if !same || temporary {
            mode_writes.push((scope, want, !same));
        }
    }
    // The global scope last (a dumped READONLY must not block the other writes).
    mode_writes.sort_by_key(|(scope, _, _)| scope.is_none());

    if args.dry_run {
        sum.created = to_create.len();
        sum.soft_deleted = to_delete.len();
        sum.configs_set = config_writes.len();
        sum.modes_set = mode_writes.iter().filter(|(_, _, change)| *change).count();
        return Ok(());
    }

    // ---- write ----
    let total = needs_import.len()
        + to_create.len()
        + to_delete.len()
        + config_writes.len()
        + mode_writes.len();
    let pb = if total == 0 {
        ProgressBar::hidden()
    } else {
        progress(total as u64, "import")
    };
    let mut failed_subjects: BTreeMap<&str, String> = BTreeMap::new();
    let mut outcome = write_all(
        api,
        dump,
        &pb,
        sum,
        &needs_import,
        &to_create,
        &to_delete,
        &config_writes,
        &mut failed_subjects,
    )
    .await;
    // Modes, also after a fatal error (best effort): no subject stays in IMPORT mode.
    for (scope, want, change) in &mode_writes {
        let temporary = scope.is_some_and(|s| needs_import.contains(&s));
        if outcome.is_err() && !temporary {
            continue;
        }
        pb.set_message(format!("mode of {}", scope_name(*scope)));
        let r = match want {
            Some(m) => {
                let force = if m.eq_ignore_ascii_case(IMPORT) {
                    "?force=true"
                } else {
                    ""
                };
                api.put(
                    &format!("{}{force}", scoped("mode", *scope)),
                    &json!({ "mode": m }),
                )
                .await
            }
            None => api.delete(&scoped("mode", *scope)).await,
        };
        pb.inc(1);
        match r {
            Ok(r) if r.ok() || (want.is_none() && r.status == 404) => {
                // Undoing our own temporary IMPORT mode is not a change of the target.
                if *change {
                    sum.modes_set += 1;
                }
            }
            Ok(r) => sum.failures.push(format!(
                "mode of {}: setting it to {}: {}",
                scope_name(*scope),
                want.unwrap_or("(none)"),
                r.describe()
            )),
            Err(e) => {
                if outcome.is_ok() {
                    outcome = Err(e);
                }
                break;
            }
        }
    }
    pb.finish_and_clear();
    if global_mode.is_some() && !args.skip_global {
        if let Some(m) = desired.get(&None).copied().flatten() {
            if m.starts_with("READONLY") && mode_writes.iter().any(|(s, _, _)| s.is_none()) {
                eprintln!(
                    "import: note: the target is now in global mode {m}, as the source was \
                     (PUT /mode {{\"mode\":\"READWRITE\"}} opens it; --skip-global keeps the target's mode)"
                );
            }
        }
    }
    outcome
}

/// Registers, soft-deletes and configures; `Err` on a fatal (connectivity) error.
#[allow(clippy::too_many_arguments)]
async fn write_all<'a>(
    api: &Api,
    dump: &'a Dump,
    pb: &ProgressBar,
    sum: &mut Summary,
    needs_import: &BTreeSet<&'a str>,
    to_create: &[usize],
    to_delete: &[usize],
    config_writes: &[&ConfigLine],
    failed_subjects: &mut BTreeMap<&'a str, String>,
) -> Result<(), String> {
    let what =
        |l: &SchemaLine| format!("subject {} version {} (id {})", l.subject, l.version, l.id);
    let fail = |sum: &mut Summary, msg: String| {
        say(pb, &format!("import: failed: {msg}"));
        sum.failures.push(msg);
    };
    for s in needs_import {
        pb.set_message(format!("IMPORT mode for {s}"));
        let r = api
            .put(
                &format!("{}?force=true", scoped("mode", Some(s))),
                &json!({ "mode": IMPORT }),
            )
            .await?;
        pb.inc(1);
        if !r.ok() {
            let why = format!("cannot put it in IMPORT mode: {}", r.describe());
            failed_subjects.insert(s, why);
        }
    }
    let mut created: BTreeSet<usize> = BTreeSet::new();
    let missing: BTreeSet<usize> = to_create.iter().copied().collect();
    for &i in to_create {
        let l = &dump.schemas[i];
        pb.set_message(what(l));
        pb.inc(1);
        if let Some(why) = failed_subjects.get(l.subject.as_str()) {
            fail(sum, format!("{}: {why}", what(l)));
            continue;
        }
        let mut body = Map::new();
        body.insert("schema".into(), json!(l.schema));
        if !l.schema_type.eq_ignore_ascii_case("AVRO") {
            body.insert("schemaType".into(), json!(l.schema_type));
        }
        if !l.references.is_empty() {
            body.insert("references".into(), json!(l.references));
        }
        if let Some(m) = &l.metadata {
            body.insert("metadata".into(), m.clone());
        }
        if let Some(r) = &l.rule_set {
            body.insert("ruleSet".into(), r.clone());
        }
        body.insert("id".into(), json!(l.id));
        body.insert("version".into(), json!(l.version));
        let r = api
            .post(
                &format!("/subjects/{}/versions", enc(&l.subject)),
                &Value::Object(body),
            )
            .await?;
        if !r.ok() {
            fail(
                sum,
                format!("{}: registering it: {}", what(l), r.describe()),
            );
            continue;
        }
        match r.body.get("id").and_then(Value::as_i64) {
            Some(id) if id != i64::from(l.id) => {
                fail(
                    sum,
                    format!("{}: the target registered it with id {id}", what(l)),
                );
            }
            _ => {
                sum.created += 1;
                created.insert(i);
            }
        }
    }
    // Referrers before what they reference.
    for &i in to_delete.iter().rev() {
        let l = &dump.schemas[i];
        pb.set_message(format!("soft-deleting {}", what(l)));
        pb.inc(1);
        let was_missing = missing.contains(&i);
        if was_missing && !created.contains(&i) {
            continue; // its registration failed (already reported)
        }
        let r = api
            .delete(&format!(
                "/subjects/{}/versions/{}",
                enc(&l.subject),
                l.version
            ))
            .await?;
        if r.ok() {
            sum.soft_deleted += 1;
        } else if r.error_code() == Some(40406) {
            sum.already_deleted += 1;
        } else {
            fail(
                sum,
                format!("{}: soft-deleting it: {}", what(l), r.describe()),
            );
        }
    }
    for c in config_writes {
        let name = scope_name(c.subject.as_deref());
        pb.set_message(format!("config of {name}"));
        pb.inc(1);
        let r = api
            .put(
                &scoped("config", c.subject.as_deref()),
                &config_update(&c.config),
            )
            .await?;
        if r.ok() {
            sum.configs_set += 1;
        } else {
            fail(sum, format!("config of {name}: {}", r.describe()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(subject: &str, version: i32, id: i32, refs: &[(&str, i32)]) -> SchemaLine {
        SchemaLine {
            subject: subject.into(),
            version,
            id,
            schema_type: avro(),
            schema: "\"string\"".into(),
            references: refs
                .iter()
                .map(|(s, v)| RefLine {
                    name: format!("{s}.Type"),
                    subject: s.to_string(),
                    version: *v,
                })
                .collect(),
            metadata: None,
            rule_set: None,
            deleted: false,
        }
    }

    fn keys(lines: &[SchemaLine]) -> Vec<(String, i32)> {
        lines
            .iter()
            .map(|l| (l.subject.clone(), l.version))
            .collect()
    }

    #[test]
    fn references_come_before_their_referrers() {
        // `a` v1 (id 1) references `b` v2 (id 5); `b` v1 has id 9 (an ID reused later).
        let lines = vec![
            line("a", 1, 1, &[("b", 2)]),
            line("b", 1, 9, &[]),
            line("b", 2, 5, &[]),
            line("c", 1, 2, &[("b", -1)]),
        ];
        let ordered = order_schemas(lines);
        assert_eq!(
            keys(&ordered),
            vec![
                ("b".to_string(), 1),
                ("b".to_string(), 2),
                ("a".to_string(), 1),
                ("c".to_string(), 1)
            ]
        );
    }

    #[test]
    fn references_in_a_context_resolve_in_that_context() {
        let lines = vec![
            line(":.ctx:a", 1, 1, &[("b", 1)]),
            line("b", 1, 0, &[]),
            line(":.ctx:b", 1, 2, &[]),
        ];
        let ordered = order_schemas(lines);
        assert_eq!(
            keys(&ordered),
            vec![
                ("b".to_string(), 1),
                (":.ctx:b".to_string(), 1),
                (":.ctx:a".to_string(), 1)
            ]
        );
    }

    #[test]
    fn cycles_fall_back_to_id_order() {
        let lines = vec![line("a", 1, 2, &[("b", 1)]), line("b", 1, 1, &[("a", 1)])];
        assert_eq!(
            keys(&order_schemas(lines)),
            vec![("b".to_string(), 1), ("a".to_string(), 1)]
        );
    }

    #[test]
    fn dumps_round_trip_and_truncation_is_detected() {
        let dump = Dump {
            header: Header {
                format: FORMAT.into(),
                format_version: 1,
                source: "http://x".into(),
                exported_at: now_rfc3339(),
                tool: "t".into(),
            },
            schemas: vec![line("a", 1, 1, &[])],
            configs: vec![ConfigLine {
                subject: None,
                config: Map::from_iter([("compatibilityLevel".to_string(), json!("FULL"))]),
            }],
            modes: vec![ModeLine {
                subject: Some("a".into()),
                mode: "READONLY".into(),
            }],
        };
        let text = dump.to_jsonl();
        assert!(text.starts_with("{\"type\":\"header\""), "{text}");
        let mut warnings = Vec::new();
        let back = Dump::parse(&text, &mut |w| warnings.push(w));
        assert_eq!(back, Ok(dump));
        let cut: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
        let err = Dump::parse(&cut, &mut |_| {}).unwrap_err();
        assert!(err.contains("no end line"), "{err}");
        let extra = text.replacen("\n", "\n{\"type\":\"future\",\"x\":1}\n", 1);
        let mut warnings = Vec::new();
        assert!(Dump::parse(&extra, &mut |w| warnings.push(w)).is_ok());
        assert_eq!(warnings.len(), 1);
        assert!(Dump::parse("{\"type\":\"schema\"}", &mut |_| {}).is_err());
        assert!(Dump::parse("not json", &mut |_| {}).is_err());
    }

    #[test]
    fn config_bodies_become_updates() {
        let got = Map::from_iter([
            ("compatibilityLevel".to_string(), json!("FULL")),
            ("normalize".to_string(), json!(true)),
            ("alias".to_string(), Value::Null),
        ]);
        assert_eq!(
            config_update(&got),
            json!({"compatibility": "FULL", "normalize": true})
        );
        assert!(config_holds(
            &json!({"compatibilityLevel": "full", "normalize": true, "x": 1}),
            &got
        ));
        assert!(!config_holds(&json!({"compatibilityLevel": "FULL"}), &got));
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }

    #[test]
    fn subjects_are_encoded_as_one_segment() {
        assert_eq!(enc(":.ctx:a/b"), "%3A.ctx%3Aa%2Fb");
        assert_eq!(enc("orders-value_1.x"), "orders-value_1.x");
        assert_eq!(enc(".."), "%2E%2E");
    }
}

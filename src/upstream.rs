//! Fetch-through (`--upstream-url`): a read that finds nothing locally asks the upstream
//! registry, writes what it got to the log (`Registry::store_fetched`, same IDs, in the
//! fetched context), and is answered from the index like any other read.
//!
//! What is fetched: an ID (`GET /schemas/ids/{id}` and every subject version using it,
//! `/schemas/ids/{id}/versions`, deleted ones only if there are no others), the
//! references first, depth first (`/subjects/{s}/versions/{v}`); a GUID through its
//! default-context ID; a subject's latest or numbered version, or a lookup (`POST
//! /subjects/{s}`), through the ID the upstream answers. Only the upstream's default
//! context is mirrored.
//!
//! Bounds: one fetch per key at a time (the others wait for it: `joined`); "not found"
//! remembered for `--upstream-negative-ttl-ms`; a token bucket (`--upstream-rate`, bursts
//! of twice that) and `--upstream-timeout-ms` over a fetch's upstream part; after the
//! upstream could not be reached, misses fail at once for a while (1 s, doubling up to
//! 8 s, reset by the next success), so a dead upstream costs no waiting. What is local is
//! served whatever the upstream does: only misses ask it.
//!
//! Only the leader writes: on a follower a miss is the leader's to fetch
//! (`RegistryError::NotLeader`, which the HTTP layer turns into a forward of the read).

use crate::client::{self, Client, Credentials, Endpoint, Http, Options, Reply};
use crate::error::{RegistryError, Result};
use crate::metrics::Metrics;
use crate::model::{Reference, Subject};
use crate::registry::{FetchedVersion, Registry, Role};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// References followed below one schema at most (a cycle ends here too).
const MAX_DEPTH: usize = 32;
/// Subject versions one fetch may write at most.
const MAX_VERSIONS: usize = 256;
/// Entries the negative and latest caches keep at most.
const MAX_REMEMBERED: usize = 100_000;
/// The first and the longest time misses fail at once after the upstream was unreachable.
const DOWN_FIRST: Duration = Duration::from_secs(1);
const DOWN_MAX: Duration = Duration::from_secs(8);

/// How fetch-through reaches the upstream and how hard it may be asked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub url: String,
    pub user_info: Option<String>,
    pub ca: Option<PathBuf>,
    pub identity: Option<(PathBuf, PathBuf)>,
    pub timeout: Duration,
    pub negative_ttl: Duration,
    /// Fetches per second.
    pub rate: f64,
    pub latest_ttl: Duration,
}

/// What one key's fetch came to; shared by every request that waited for it.
#[derive(Debug, Clone, PartialEq)]
enum Failure {
    /// The upstream does not have it (404 with 40401/40402/40403).
    NotFound,
    /// This node does not lead: the leader fetches.
    NotLeader(Option<String>),
    /// The upstream could not be reached, or answered something unusable: 502.
    Error(String),
    Timeout,
    /// No turn within the timeout: 503, try again after the seconds given.
    RateLimited(u64),
    /// Marked down after a failure: 503.
    Down(u64, String),
    /// The upstream's ID or version is taken locally by other content: 42205.
    Collision(String),
    /// The fetched context's mode refuses the write: 42205.
    NotPermitted(String),
    /// Writing locally failed.
    Local(String),
}

impl Failure {
    fn outcome(&self) -> &'static str {
        match self {
            Failure::NotFound => "not_found",
            Failure::NotLeader(_)
            | Failure::Error(_)
            | Failure::Local(_)
            | Failure::NotPermitted(_) => "error",
            Failure::Timeout => "timeout",
            Failure::RateLimited(_) => "rate_limited",
            Failure::Down(..) => "down",
            Failure::Collision(_) => "collision",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
enum Key {
    Id(i32),
    Guid(String),
    Latest(String),
    Version(String, i32),
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Id(id) => write!(f, "schema {id}"),
            Key::Guid(g) => write!(f, "schema {g}"),
            Key::Latest(s) => write!(f, "the latest version of subject {s}"),
            Key::Version(s, v) => write!(f, "version {v} of subject {s}"),
        }
    }
}

/// What a subject read wants from the upstream when it finds nothing locally.
pub enum Want<'a> {
    Latest,
    Version(i32),
    /// `POST /subjects/{s}`: the request body as sent.
    Lookup(&'a Json),
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

struct Down {
    until: Instant,
    next: Duration,
    cause: String,
}

type Flight = Arc<OnceCell<std::result::Result<(), Failure>>>;

pub struct Upstream {
    client: Client,
    registry: Arc<Registry>,
    metrics: Arc<Metrics>,
    settings: Settings,
    flights: Mutex<HashMap<Key, Flight>>,
    negative: Mutex<HashMap<Key, Instant>>,
    latest_checked: Mutex<HashMap<String, Instant>>,
    bucket: Mutex<Bucket>,
    down: Mutex<Option<Down>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Upstream {
    pub fn new(
        settings: Settings,
        registry: Arc<Registry>,
        metrics: Arc<Metrics>,
    ) -> std::result::Result<Upstream, String> {
        let credentials = settings
            .user_info
            .as_deref()
            .map(|u| {
                Credentials::from_user_info(u).ok_or("--upstream-user-info: expected USER:PASSWORD")
            })
            .transpose()?;
        let endpoint = Endpoint::parse(&settings.url, credentials)
            .map_err(|e| format!("--upstream-url: {e}"))?;
        let http = Http::new(&Options {
            timeout: settings.timeout,
            connect_timeout: Some(settings.timeout.min(Duration::from_secs(2))),
            user_agent: Some(format!("schema-registry/{}", env!("CARGO_PKG_VERSION"))),
            ca: settings.ca.clone(),
            identity: settings.identity.clone(),
            read_attempts: 1,
        })?;
        if !(settings.rate > 0.0 && settings.rate.is_finite()) {
            return Err("--upstream-rate must be a positive number".into());
        }
        let burst = (settings.rate * 2.0).max(1.0);
        Ok(Upstream {
            client: Client::new(http, endpoint),
            registry,
            metrics,
            bucket: Mutex::new(Bucket {
                tokens: burst,
                last: Instant::now(),
            }),
            settings,
            flights: Mutex::default(),
            negative: Mutex::default(),
            latest_checked: Mutex::default(),
            down: Mutex::default(),
        })
    }

    /// The upstream's base URL (no credentials).
    pub fn base(&self) -> &str {
        self.client.base()
    }

    // ---- the reads ------------------------------------------------------------------

    /// An ID read (`read` looks in the index): fetched and read again when it finds nothing.
    pub async fn id_read<T>(&self, id: i32, read: impl Fn() -> Result<T>) -> Result<T> {
        self.read_or_fetch(Key::Id(id), read).await
    }

    /// A GUID read, as [`Upstream::id_read`].
    pub async fn guid_read<T>(&self, guid: &str, read: impl Fn() -> Result<T>) -> Result<T> {
        if crate::guid::parse(guid).is_none() {
            return read();
        }
        self.read_or_fetch(Key::Guid(guid.to_ascii_lowercase()), read)
            .await
    }

    async fn read_or_fetch<T>(&self, key: Key, read: impl Fn() -> Result<T>) -> Result<T> {
        let missing = match read() {
            Ok(v) => {
                self.metrics.upstream.lookup("hit");
                return Ok(v);
            }
            Err(e) if crate::registry::is_not_found(&e) => e,
            Err(e) => return Err(e),
        };
        let key_text = key.to_string();
        match self.fetch(key).await {
            Ok(()) => read(),
            Err(Failure::NotFound) => Err(missing),
            Err(f) => Err(self.error(f, &key_text)),
        }
    }

    /// A read of one of `asked`'s versions or a lookup under it (`read` through
    /// `read_using_contexts`, which follows the MirrorMaker 2 name into the fetched
    /// context): a miss, or a `latest` of a fetched subject not checked for
    /// `--upstream-latest-ttl-ms`, asks the upstream for that subject's version first.
    /// When the upstream cannot answer, what is local is answered.
    pub async fn subject_read<T>(
        &self,
        asked: &Subject,
        want: Want<'_>,
        mut read: impl FnMut(&Subject) -> Result<T>,
    ) -> Result<(Subject, T)> {
        let first = self.registry.read_using_contexts(asked, &mut read);
        // A subject of this registry's own (in any other context, or holding versions
        // here) is answered as Confluent answers it.
        if matches!(&first, Ok((s, _)) if !self.registry.is_fetched(s)) {
            return first;
        }
        let target = self.registry.alias_target(asked);
        let names = self.registry.upstream_names();
        let Some(upstream_subject) = names.and_then(|n| n.upstream_subject(&target)) else {
            return first;
        };
        if self.registry.holds_subject(&target) && !self.registry.is_fetched(&target) {
            return first;
        }
        let context = names.map(|n| n.context.as_str()).unwrap_or_default();
        let fetched = Subject::in_context(context, &upstream_subject);
        // Read in the fetched context itself, where the upstream's references resolve.
        let local = read(&fetched);
        let ask = match (&local, &want) {
            (Ok(_), Want::Latest) => self.latest_due(&upstream_subject),
            (Ok(_), _) => false,
            (Err(e), _) => crate::registry::is_not_found(e),
        };
        if !ask {
            return match local {
                Ok(v) => {
                    self.metrics.upstream.lookup("hit");
                    Ok((fetched, v))
                }
                Err(e) if crate::registry::is_not_found(&e) => first,
                Err(e) => Err(e),
            };
        }
        let upstream_name = upstream_subject.clone();
        let outcome = match want {
            Want::Latest => self.fetch(Key::Latest(upstream_subject)).await,
            Want::Version(v) => self.fetch(Key::Version(upstream_subject, v)).await,
            Want::Lookup(body) => {
                self.metrics.upstream.lookup("miss");
                self.lookup(&upstream_subject, body).await
            }
        };
        match (outcome, local) {
            (Ok(()), _) => match read(&fetched) {
                Ok(v) => Ok((fetched, v)),
                Err(e) if crate::registry::is_not_found(&e) => first,
                Err(e) => Err(e),
            },
            // The upstream cannot say: what is here is answered.
            (Err(_), Ok(v)) => Ok((fetched, v)),
            (Err(Failure::NotFound), Err(_)) => first,
            (Err(f), Err(_)) => Err(self.error(f, &format!("subject {upstream_name}"))),
        }
    }

    fn latest_due(&self, subject: &str) -> bool {
        lock(&self.latest_checked)
            .get(subject)
            .is_none_or(|at| at.elapsed() >= self.settings.latest_ttl)
    }

    // ---- one fetch per key ------------------------------------------------------------

    /// Fetches `key` once for every request asking for it meanwhile.
    async fn fetch(&self, key: Key) -> std::result::Result<(), Failure> {
        if let Role::Follower(leader) = self.registry.role() {
            return Err(Failure::NotLeader(leader));
        }
        if self.negatively_cached(&key) {
            self.metrics.upstream.lookup("negative");
            return Err(Failure::NotFound);
        }
        let cell = lock(&self.flights).entry(key.clone()).or_default().clone();
        let mut led = false;
        let out = cell
            .get_or_init(|| {
                led = true;
                self.fetch_now(key.clone())
            })
            .await
            .clone();
        if led {
            let mut flights = lock(&self.flights);
            if flights.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                flights.remove(&key);
            }
            if out == Err(Failure::NotFound) {
                self.remember_not_found(key);
            }
        }
        self.metrics
            .upstream
            .lookup(if led { "miss" } else { "joined" });
        out
    }

    async fn fetch_now(&self, key: Key) -> std::result::Result<(), Failure> {
        let started = Instant::now();
        let out = self.fetch_and_store(&key).await;
        let outcome = match &out {
            Ok(()) => "fetched",
            Err(f) => f.outcome(),
        };
        self.metrics.upstream.fetch(outcome, started.elapsed());
        match &out {
            Ok(()) | Err(Failure::NotFound) => {}
            Err(f) => {
                tracing::warn!(?key, failure = ?f, upstream = self.base(), "fetch-through failed")
            }
        }
        out
    }

    async fn fetch_and_store(&self, key: &Key) -> std::result::Result<(), Failure> {
        let versions = self
            .bounded(async {
                let id = match key {
                    Key::Id(id) => *id,
                    Key::Guid(g) => self.id_of_guid(g).await?,
                    Key::Latest(s) => {
                        let (id, version) = self.id_of_version(s, "latest").await?;
                        self.checked_latest(s);
                        // The usual case of a check: the latest is here already.
                        if self.registry.fetched_id(s, version) == Some(id) {
                            return Ok(Vec::new());
                        }
                        id
                    }
                    Key::Version(s, v) => self.id_of_version(s, &v.to_string()).await?.0,
                };
                self.gather_id(id, key).await
            })
            .await?;
        self.store(versions).await
    }

    /// `POST /subjects/{s}` upstream, then that ID.
    async fn lookup(&self, subject: &str, body: &Json) -> std::result::Result<(), Failure> {
        if let Role::Follower(leader) = self.registry.role() {
            return Err(Failure::NotLeader(leader));
        }
        let started = Instant::now();
        let out = async {
            let versions = self
                .bounded(async {
                    let path = format!("/subjects/{}", client::segment(subject));
                    let reply = self.call(self.client.post(&path, body).await)?;
                    let id = int(&reply.body, "id")?;
                    self.gather_id(id, &Key::Id(id)).await
                })
                .await?;
            self.store(versions).await
        }
        .await;
        let outcome = match &out {
            Ok(()) => "fetched",
            Err(f) => f.outcome(),
        };
        self.metrics.upstream.fetch(outcome, started.elapsed());
        out
    }

    // ---- the upstream calls -----------------------------------------------------------

    /// Runs a fetch's upstream part under the down marker, the rate limit and the timeout.
    async fn bounded<T>(
        &self,
        work: impl Future<Output = std::result::Result<T, Failure>>,
    ) -> std::result::Result<T, Failure> {
        if let Some(d) = lock(&self.down).as_ref() {
            let left = d.until.saturating_duration_since(Instant::now());
            if !left.is_zero() {
                return Err(Failure::Down(left.as_secs().max(1), d.cause.clone()));
            }
        }
        let deadline = Instant::now() + self.settings.timeout;
        loop {
            let wait = self.take_token();
            let Some(wait) = wait else { break };
            if Instant::now() + wait > deadline {
                return Err(Failure::RateLimited(wait.as_secs().max(1)));
            }
            // Pacing for the token bucket, not synchronisation.
            tokio::time::sleep(wait).await;
        }
        let out =
            match tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), work).await {
                Ok(r) => r,
                Err(_) => Err(Failure::Timeout),
            };
        let mut down = lock(&self.down);
        match &out {
            Err(Failure::Error(cause)) if cause.starts_with("unreachable") => {
                let next = down.as_ref().map_or(DOWN_FIRST, |d| d.next);
                *down = Some(Down {
                    until: Instant::now() + next,
                    next: (next * 2).min(DOWN_MAX),
                    cause: cause.clone(),
                });
            }
            Err(Failure::Timeout | Failure::Error(_)) => {}
            _ => *down = None,
        }
        out
    }

    /// Takes a token; `Some(wait)` when there is none yet.
    fn take_token(&self) -> Option<Duration> {
        let rate = self.settings.rate;
        let burst = (rate * 2.0).max(1.0);
        let mut b = lock(&self.bucket);
        let now = Instant::now();
        b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * rate).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            None
        } else {
            Some(Duration::from_secs_f64((1.0 - b.tokens) / rate))
        }
    }

    /// A 200's reply; 404 with a not-found code is [`Failure::NotFound`].
    fn call(
        &self,
        answer: std::result::Result<Reply, client::TransportError>,
    ) -> std::result::Result<Reply, Failure> {
        let reply = answer.map_err(|e| {
            if e.source.is_timeout() {
                Failure::Timeout
            } else {
                Failure::Error(format!("unreachable: {}", e.chain()))
            }
        })?;
        match reply.status {
            200 => Ok(reply),
            404 if matches!(reply.error_code(), Some(40401..=40403)) => Err(Failure::NotFound),
            _ => Err(Failure::Error(format!(
                "{} {} answered {}",
                reply.method,
                reply.path,
                reply.describe()
            ))),
        }
    }

    async fn get(&self, path: &str) -> std::result::Result<Reply, Failure> {
        self.call(self.client.get(path).await)
    }

    async fn id_of_guid(&self, guid: &str) -> std::result::Result<i32, Failure> {
        let reply = self
            .get(&format!("/schemas/guids/{}/ids", client::segment(guid)))
            .await?;
        let ids = reply.body.as_array().cloned().unwrap_or_default();
        ids.iter()
            .find(|c| c.get("context").and_then(Json::as_str) == Some("."))
            .map(|c| int(c, "id"))
            .unwrap_or(Err(Failure::NotFound))
    }

    async fn id_of_version(
        &self,
        subject: &str,
        version: &str,
    ) -> std::result::Result<(i32, i32), Failure> {
        let path = format!("/subjects/{}/versions/{version}", client::segment(subject));
        let reply = self.get(&path).await?;
        Ok((int(&reply.body, "id")?, int(&reply.body, "version")?))
    }

    /// ID `id` and its references, as the versions to write, references first.
    async fn gather_id(
        &self,
        id: i32,
        key: &Key,
    ) -> std::result::Result<Vec<FetchedVersion>, Failure> {
        // Already there (a subject read whose ID another fetch brought)?
        let present = |s: &str, v: i32| self.registry.fetched_id(s, v) == Some(id);
        if let Key::Version(s, v) = key {
            if present(s, *v) {
                return Ok(Vec::new());
            }
        }
        let reply = self.get(&format!("/schemas/ids/{id}")).await?;
        let body = &reply.body;
        let mut usages = self.usages(id, false).await?;
        if usages.is_empty() {
            usages = self.usages(id, true).await?;
        }
        if usages.is_empty() {
            return Err(Failure::Error(format!(
                "the upstream lists no default-context subject for schema {id}"
            )));
        }
        let references = references(body)?;
        let mut out = Vec::new();
        for r in &references {
            self.gather_reference(r, &mut out, 1).await?;
        }
        for (subject, version) in usages {
            if present(&subject, version) {
                continue;
            }
            out.push(version_of(body, subject, version, id, references.clone())?);
            if out.len() > MAX_VERSIONS {
                return Err(Failure::Error(format!(
                    "schema {id} needs more than {MAX_VERSIONS} subject versions"
                )));
            }
        }
        Ok(out)
    }

    async fn usages(
        &self,
        id: i32,
        deleted: bool,
    ) -> std::result::Result<Vec<(String, i32)>, Failure> {
        let query = if deleted { "?deleted=true" } else { "" };
        let reply = self
            .get(&format!("/schemas/ids/{id}/versions{query}"))
            .await?;
        let items = reply
            .body
            .as_array()
            .ok_or_else(|| unusable(&reply.path, "not an array"))?;
        let mut out = Vec::new();
        for it in items {
            let subject = it
                .get("subject")
                .and_then(Json::as_str)
                .ok_or_else(|| unusable(&reply.path, "no subject"))?;
            let version = int(it, "version")?;
            // Only the upstream's default context is mirrored.
            if Subject::parse(subject).is_default_context() && !subject.is_empty() {
                out.push((subject.to_string(), version));
            }
        }
        Ok(out)
    }

    /// A reference and, first, its own references (depth first, each once).
    fn gather_reference<'a>(
        &'a self,
        r: &'a Reference,
        out: &'a mut Vec<FetchedVersion>,
        depth: usize,
    ) -> Pin<Box<dyn Future<Output = std::result::Result<(), Failure>> + Send + 'a>> {
        Box::pin(async move {
            if depth > MAX_DEPTH || out.len() > MAX_VERSIONS {
                return Err(Failure::Error(format!(
                    "references nested deeper than {MAX_DEPTH} or more than {MAX_VERSIONS} (a cycle?) at {} version {}",
                    r.subject, r.version
                )));
            }
            if !Subject::parse(&r.subject).is_default_context() {
                return Err(Failure::Error(format!(
                    "reference {} is in an upstream context; only the default context is fetched",
                    r.subject
                )));
            }
            let known = out
                .iter()
                .any(|f| f.subject == r.subject && f.version == r.version);
            if known || self.registry.fetched_id(&r.subject, r.version).is_some() {
                return Ok(());
            }
            let path = format!(
                "/subjects/{}/versions/{}?deleted=true",
                client::segment(&r.subject),
                r.version
            );
            let reply = self.get(&path).await?;
            let body = &reply.body;
            let refs = references(body)?;
            for child in &refs {
                self.gather_reference(child, out, depth + 1).await?;
            }
            let id = int(body, "id")?;
            out.push(version_of(body, r.subject.clone(), r.version, id, refs)?);
            Ok(())
        })
    }

    /// Writes fetched versions in order (references first).
    async fn store(&self, versions: Vec<FetchedVersion>) -> std::result::Result<(), Failure> {
        for f in &versions {
            match self.registry.store_fetched(f).await {
                Ok(()) => {}
                Err(RegistryError::OperationNotPermitted(m)) if m.contains(" collides ") => {
                    tracing::error!(id = f.id, subject = %f.subject, version = f.version, "{m}");
                    return Err(Failure::Collision(m));
                }
                // A mode that refuses writes (a READONLY global mode, say).
                Err(RegistryError::OperationNotPermitted(m)) => {
                    return Err(Failure::NotPermitted(m))
                }
                Err(RegistryError::NotLeader(l)) => return Err(Failure::NotLeader(l)),
                Err(e) => return Err(Failure::Local(e.to_string())),
            }
        }
        Ok(())
    }

    // ---- caches ---------------------------------------------------------------------------

    fn negatively_cached(&self, key: &Key) -> bool {
        let mut neg = lock(&self.negative);
        match neg.get(key) {
            Some(at) if at.elapsed() < self.settings.negative_ttl => true,
            Some(_) => {
                neg.remove(key);
                false
            }
            None => false,
        }
    }

    fn remember_not_found(&self, key: Key) {
        if self.settings.negative_ttl.is_zero() {
            return;
        }
        let ttl = self.settings.negative_ttl;
        let mut neg = lock(&self.negative);
        if neg.len() >= MAX_REMEMBERED {
            neg.retain(|_, at| at.elapsed() < ttl);
            if neg.len() >= MAX_REMEMBERED {
                neg.clear();
            }
        }
        neg.insert(key, Instant::now());
    }

    fn checked_latest(&self, subject: &str) {
        let mut latest = lock(&self.latest_checked);
        if latest.len() >= MAX_REMEMBERED {
            latest.clear();
        }
        latest.insert(subject.to_string(), Instant::now());
    }

    /// The answer a request gets for a failed fetch.
    fn error(&self, f: Failure, asked: &str) -> RegistryError {
        let base = self.base();
        let upstream = |status, code, what: String, retry_after| RegistryError::Upstream {
            status,
            code,
            message: format!(
                "Error while fetching {asked} from the upstream registry {base}: {what}"
            ),
            retry_after,
        };
        match f {
            Failure::NotFound => RegistryError::SchemaNotFound(None),
            Failure::NotLeader(l) => RegistryError::NotLeader(l),
            Failure::Error(m) => upstream(502, 50003, m, None),
            Failure::Timeout => upstream(
                504,
                50002,
                format!("no answer within {} ms", self.settings.timeout.as_millis()),
                None,
            ),
            Failure::RateLimited(s) => upstream(
                503,
                50003,
                "the fetch rate limit (--upstream-rate) is reached".into(),
                Some(s),
            ),
            Failure::Down(s, cause) => upstream(
                503,
                50003,
                format!("it failed recently ({cause}); not asked again for {s} s"),
                Some(s),
            ),
            Failure::Collision(m) | Failure::NotPermitted(m) => {
                RegistryError::OperationNotPermitted(m)
            }
            Failure::Local(m) => RegistryError::Store(m),
        }
    }
}

fn unusable(path: &str, what: &str) -> Failure {
    Failure::Error(format!("unusable answer to {path}: {what}"))
}

fn int(v: &Json, field: &str) -> std::result::Result<i32, Failure> {
    v.get(field)
        .and_then(Json::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| unusable("the upstream", &format!("no integer {field}")))
}

fn references(body: &Json) -> std::result::Result<Vec<Reference>, Failure> {
    let Some(items) = body.get("references").filter(|r| !r.is_null()) else {
        return Ok(Vec::new());
    };
    let items = items
        .as_array()
        .ok_or_else(|| unusable("the upstream", "references is not an array"))?;
    items
        .iter()
        .map(|r| {
            let text = |f: &str| {
                r.get(f)
                    .and_then(Json::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| unusable("the upstream", &format!("a reference has no {f}")))
            };
            Ok(Reference {
                name: text("name")?,
                subject: text("subject")?,
                version: int(r, "version")?,
            })
        })
        .collect()
}

/// One subject version of a schema the upstream answered (`body`: an ID's or a version's).
fn version_of(
    body: &Json,
    subject: String,
    version: i32,
    id: i32,
    references: Vec<Reference>,
) -> std::result::Result<FetchedVersion, Failure> {
    let schema = body
        .get("schema")
        .and_then(Json::as_str)
        .ok_or_else(|| unusable("the upstream", "no schema text"))?
        .to_string();
    let schema_type = body
        .get("schemaType")
        .and_then(Json::as_str)
        .filter(|t| *t != "AVRO")
        .map(str::to_string);
    let contract = |field: &str, bind: fn(&Json) -> Result<Json>| {
        body.get(field)
            .filter(|v| !v.is_null())
            .map(|v| bind(v).map_err(|e| unusable("the upstream", &format!("{field}: {e}"))))
            .transpose()
    };
    Ok(FetchedVersion {
        subject,
        version,
        id,
        schema_type,
        schema,
        references,
        metadata: contract("metadata", crate::contract::metadata)?,
        rule_set: contract("ruleSet", crate::contract::rule_set)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upstream_version_becomes_a_fetched_version() {
        let body = serde_json::json!({
            "subject": "orders-value", "version": 3, "id": 7, "schemaType": "PROTOBUF",
            "schema": "syntax = \"proto3\";",
            "references": [{"name": "a.proto", "subject": "a", "version": 1}],
        });
        let refs = references(&body).expect("references");
        let f = version_of(&body, "orders-value".into(), 3, 7, refs).expect("version");
        assert_eq!(f.schema_type.as_deref(), Some("PROTOBUF"));
        assert_eq!(f.references.len(), 1);
        assert_eq!(f.references[0].subject, "a");
        // Avro is the default type and is stored without one.
        let avro = serde_json::json!({"schema": "\"string\"", "schemaType": "AVRO"});
        let f = version_of(&avro, "s".into(), 1, 1, vec![]).expect("avro");
        assert_eq!(f.schema_type, None);
        // Unusable answers are errors, not panics.
        assert!(version_of(&serde_json::json!({}), "s".into(), 1, 1, vec![]).is_err());
        assert!(references(&serde_json::json!({"references": [{"name": "x"}]})).is_err());
        assert!(int(&serde_json::json!({"id": 1e12}), "id").is_err());
    }
}

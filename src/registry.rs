//! The registry's use cases: register, look up, delete, config, mode, compatibility.
//!
//! Reads are answered from the in-memory [`Index`] under a short read lock. Writes take the
//! single-writer lock, decide against the index, append records to the store, and wait
//! until the replay loop has applied their offset before answering (read-your-writes).
//! The index is never changed here: only the replay loop applies records.

use crate::compat::{self, Candidate, Previous};
use crate::error::{RegistryError, Result};
use crate::exporter;
use crate::index::{Index, SchemaBody, Scope, VersionEntry};
use crate::model::{Level, Mode, Reference, SchemaType, Subject, DEFAULT_CONTEXT, MAX_SUBJECT_LEN};
use crate::schema;
use crate::store::record::{
    ConfigValue, ContextValue, DeleteSubjectValue, ExporterStateValue, ExporterValue, Key,
    ModeValue, SchemaValue, Value, DEFAULT_TENANT,
};
use crate::store::{LogEntry, Store};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;
use tokio::sync::{mpsc, watch, Mutex};

mod leadership;

/// How long a write waits for its own record to be applied before reporting 50002.
/// How often the start-up replay reports its progress.
const CATCH_UP_REPORT_EVERY: Duration = Duration::from_secs(2);
/// Deepest chain of schema references we follow.
const MAX_REFERENCE_DEPTH: usize = 32;

/// A version selector from a URL: a number or `latest` (`-1` is `latest` on reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSpec {
    Latest,
    Number(i32),
}

impl VersionSpec {
    /// Parses as Confluent does: `latest` in any case, or an integer in [1, 2^31-1]
    /// (surrounding spaces and a `+` accepted); `-1` means latest when `minus_one_is_latest`.
    pub fn parse(raw: &str, minus_one_is_latest: bool) -> Result<VersionSpec> {
        if raw.eq_ignore_ascii_case("latest") {
            return Ok(VersionSpec::Latest);
        }
        match raw.trim().parse::<i32>() {
            Ok(-1) if minus_one_is_latest => Ok(VersionSpec::Latest),
            Ok(-1) => Ok(VersionSpec::Number(-1)),
            Ok(n) if n >= 1 => Ok(VersionSpec::Number(n)),
            _ => Err(RegistryError::InvalidVersion(raw.to_string())),
        }
    }
}

/// A register / lookup / compatibility request body.
#[derive(Debug, Clone, Default)]
pub struct SchemaRequest {
    pub schema: Option<String>,
    pub schema_type: Option<String>,
    pub references: Vec<Reference>,
    pub metadata: Option<Json>,
    pub rule_set: Option<Json>,
    pub id: Option<i32>,
    pub version: Option<i32>,
    /// Set when a reference has a null field: Confluent's `Invalid reference: {…}` text.
    pub invalid_reference: Option<String>,
    /// The references as Confluent prints them in messages (null fields as `null`).
    pub reference_texts: Vec<String>,
}

/// A subject version as answered by the API.
#[derive(Debug, Clone)]
pub struct VersionView {
    pub subject: String,
    pub version: i32,
    pub id: i32,
    pub body: Arc<SchemaBody>,
    pub deleted: bool,
}

/// What a registration answers.
#[derive(Debug, Clone)]
pub struct Registered {
    pub id: i32,
    /// Set when Confluent answers with the whole schema (metadata/rule set given, or an
    /// explicit version in IMPORT mode).
    pub full: Option<VersionView>,
}

/// What a registration does.
enum Plan {
    /// Already registered: answer without writing.
    Existing(Registered),
    /// Append these records, then answer.
    Write(Vec<crate::store::RawRecord>, Registered),
}

/// A config update as sent (`None` = not given).
#[derive(Debug, Clone, Default)]
pub struct ConfigUpdate {
    pub compatibility: Option<String>,
    pub value: ConfigValue,
}

/// Result of a compatibility check.
#[derive(Debug, Clone)]
pub struct CompatResult {
    pub compatible: bool,
    pub messages: Vec<String>,
}

/// Counts of the index, read under one short read lock (`Registry::counts`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexCounts {
    /// Distinct schema IDs, over all contexts (an ID held only by soft-deleted versions
    /// still counts: it still resolves).
    pub schemas: usize,
    /// Subjects with at least one live version.
    pub subjects: usize,
    /// Subjects whose versions are all soft-deleted.
    pub subjects_soft_deleted: usize,
    pub versions: usize,
    pub versions_soft_deleted: usize,
    pub contexts: usize,
}

/// Whether this node is caught up with the log (`GET /health/ready`).
#[derive(Debug, Clone, Copy)]
pub struct Readiness {
    pub caught_up: bool,
    pub applied: i64,
    pub log_end: Option<i64>,
}

pub struct Registry {
    index: Arc<RwLock<Index>>,
    store: Arc<dyn Store>,
    writer: Mutex<()>,
    applied: watch::Receiver<i64>,
    default_level: Level,
    /// Highest offset this node appended.
    last_own: AtomicI64,
    /// A write failed with an unknown outcome: find the end of the log before the next one.
    unsure: AtomicBool,
    /// This node, when the log is shared (Kafka): who it is and whether it may lead.
    node: Option<NodeConfig>,
    /// The leader epoch the current holder of the writer lock writes under (-1: none).
    fence: AtomicI64,
    /// `--read-only`: this node serves a log another registry writes (a mirrored topic) and
    /// refuses every write with 42205.
    read_only: bool,
    /// Whether modes may be changed through the API (Confluent's mode.mutability).
    mode_mutable: bool,
    /// The cluster's name (Confluent's schema.registry.group.id).
    group_id: String,
}

/// The 42205 answer of a `--read-only` node.
fn read_only_error() -> RegistryError {
    RegistryError::OperationNotPermitted(
        "This schema registry is read-only (--read-only): it serves a log that another registry writes"
            .into(),
    )
}

/// A node of a registry cluster sharing one log.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The URL peers reach this node at (the leader's is where writes are forwarded).
    pub url: String,
    /// Whether this node may become the leader.
    pub eligible: bool,
    /// The leader renews its lease every `lease / 3`; a lease not renewed for `lease` is
    /// taken over by an eligible node.
    pub lease: Duration,
}

/// This node's part in a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Writes; `Some(epoch)` on a shared log.
    Leader(Option<i64>),
    /// Forwards writes to the leader at this URL (`None`: no leader known).
    Follower(Option<String>),
}

/// Applies records to the index, in log order, forever. The only writer of the index.
pub async fn replay_loop(
    index: Arc<RwLock<Index>>,
    mut rx: mpsc::UnboundedReceiver<LogEntry>,
    applied: watch::Sender<i64>,
    store: Arc<dyn Store>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        let mut judged = Vec::with_capacity(batch.len());
        let last = {
            let mut ix = index.write().unwrap_or_else(|p| p.into_inner());
            for e in batch {
                ix.apply_fenced(e.offset, &e.record, e.epoch);
                // A refused record is the newest of the index's refusals.
                let accepted = ix.rejected.back() != Some(&e.offset);
                judged.push((e, accepted));
            }
            ix.applied
        };
        applied.send_replace(last);
        store.applied(judged);
    }
}

/// The metadata property Confluent keeps a version's own number in.
const CONFLUENT_VERSION: &str = "confluent:version";

fn confluent_version(md: Option<&Json>) -> Option<String> {
    md.and_then(|m| m.get("properties"))
        .and_then(|p| p.get(CONFLUENT_VERSION))
        .and_then(Json::as_str)
        .map(str::to_string)
}

/// Metadata without `confluent:version` (and without parts that became empty).
fn without_confluent_version(md: Option<&Json>) -> Option<Json> {
    let mut m = md?.as_object()?.clone();
    if let Some(Json::Object(props)) = m.get_mut("properties") {
        props.remove(CONFLUENT_VERSION);
    }
    m.retain(|_, part| match part {
        Json::Object(o) => !o.is_empty(),
        Json::Array(a) => !a.is_empty(),
        Json::Null => false,
        _ => true,
    });
    (!m.is_empty()).then_some(Json::Object(m))
}

/// Merges metadata: `over`'s properties and tags win over `under`'s; sensitive lists join.
fn merge_metadata(under: Option<&Json>, over: Option<&Json>) -> Option<Json> {
    let (under, over) = match (under, over) {
        (None, None) => return None,
        (Some(u), None) => return Some(u.clone()),
        (None, Some(o)) => return Some(o.clone()),
        (Some(u), Some(o)) => (u, o),
    };
    let mut out = under.as_object().cloned().unwrap_or_default();
    if let Some(o) = over.as_object() {
        for (k, v) in o {
            match (out.get_mut(k), v) {
                (Some(Json::Object(base)), Json::Object(add)) => {
                    for (ak, av) in add {
                        base.insert(ak.clone(), av.clone());
                    }
                }
                (Some(Json::Array(base)), Json::Array(add)) => {
                    for item in add {
                        if !base.contains(item) {
                            base.push(item.clone());
                        }
                    }
                }
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Some(Json::Object(out))
}

fn with_confluent_version(md: Option<Json>, version: i32) -> Option<Json> {
    let mut m = match md {
        Some(Json::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let props = m
        .entry("properties")
        .or_insert_with(|| Json::Object(serde_json::Map::new()));
    if !props.is_object() {
        *props = Json::Object(serde_json::Map::new());
    }
    if let Json::Object(p) = props {
        p.insert(CONFLUENT_VERSION.into(), Json::String(version.to_string()));
    }
    Some(Json::Object(m))
}

/// The records writing `value` under `key`, in the key bytes the log already uses for it.
fn encode(ix: &Index, key: Key, value: Option<Value>) -> Vec<crate::store::RawRecord> {
    ix.records_for(key, value)
}

impl Registry {
    /// Opens the registry on a store: replays what the store holds, then follows it.
    ///
    /// `node`: this node's identity when the log is shared; `read_only`: serve the log
    /// without ever writing to it (no leadership, every write refused with 42205).
    pub async fn open(
        store: Arc<dyn Store>,
        default_level: Level,
        node: Option<NodeConfig>,
        read_only: bool,
    ) -> Result<Registry> {
        let store_shared = store.shared();
        let (existing, rx) = store.follow().await?;
        let mut ix = Index::new();
        let started = std::time::Instant::now();
        let count = existing.len();
        // By value: each record's bytes are freed as soon as it is applied.
        for e in existing {
            ix.apply_fenced(e.offset, &e.record, e.epoch);
        }
        tracing::info!(
            records = count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "replayed the log"
        );
        crate::metrics::REPLAY.loaded(count, started.elapsed());
        let (tx, applied) = watch::channel(ix.applied);
        let index = Arc::new(RwLock::new(ix));
        tokio::spawn(replay_loop(index.clone(), rx, tx, store.clone()));
        Self::catch_up(store.as_ref(), applied.clone()).await?;
        Ok(Registry {
            index,
            store,
            writer: Mutex::new(()),
            applied,
            default_level,
            last_own: AtomicI64::new(-1),
            unsure: AtomicBool::new(false),
            node: node.filter(|_| store_shared && !read_only),
            fence: AtomicI64::new(-1),
            read_only,
            mode_mutable: true,
            group_id: "schema-registry".into(),
        })
    }

    /// Sets the operator's policies: whether modes may change (mode.mutability) and the
    /// cluster's name (schema.registry.group.id).
    pub fn with_policy(mut self, mode_mutable: bool, group_id: String) -> Registry {
        self.mode_mutable = mode_mutable;
        self.group_id = group_id;
        self
    }

    /// The cluster's name, for `/v1/metadata/id`.
    pub fn group_id(&self) -> &str {
        &self.group_id
    }

    fn check_mode_mutable(&self) -> Result<()> {
        if !self.mode_mutable {
            return Err(RegistryError::OperationNotPermitted(
                "Mode changes are not allowed (mode.mutability=false)".into(),
            ));
        }
        Ok(())
    }

    /// Waits until the index has applied the log up to its current end, logging progress.
    /// A registry is not served before that: it would answer stale data as current.
    async fn catch_up(store: &dyn Store, mut applied: watch::Receiver<i64>) -> Result<()> {
        let end = store.end_of_log().await?;
        let started = std::time::Instant::now();
        let first = *applied.borrow();
        crate::metrics::REPLAY.catching_up(first, end);
        loop {
            let now = *applied.borrow_and_update();
            crate::metrics::REPLAY.applied(now);
            if now >= end {
                break;
            }
            let waited = tokio::time::timeout(CATCH_UP_REPORT_EVERY, applied.changed()).await;
            if let Ok(Err(_)) = waited {
                return Err(RegistryError::Store("the replay loop stopped".into()));
            }
            if waited.is_err() {
                let done = (*applied.borrow() - first).max(0);
                let secs = started.elapsed().as_secs_f64().max(0.001);
                tracing::info!(
                    records = done,
                    remaining = end - *applied.borrow(),
                    records_per_s = (done as f64 / secs) as u64,
                    "replaying the log"
                );
            }
        }
        let done = (end - first).max(0);
        tracing::info!(
            records = done,
            end_offset = end,
            elapsed_ms = started.elapsed().as_millis() as u64,
            records_per_s = (done as f64 / started.elapsed().as_secs_f64().max(0.001)) as u64,
            "caught up with the log"
        );
        crate::metrics::REPLAY.caught_up(started.elapsed());
        Ok(())
    }

    /// Caught up = this node has applied the log up to the end its reader last saw (a node
    /// is only served after its start-up catch-up; see `catch_up`).
    pub fn readiness(&self) -> Readiness {
        let applied = *self.applied.borrow();
        let log_end = self.store.log_end_hint();
        Readiness {
            caught_up: log_end.is_none_or(|end| applied >= end),
            applied,
            log_end,
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the single-writer lock and makes sure the index has applied every record this
    /// node wrote before (or, after a write of unknown outcome, the whole log, found with
    /// [`Store::end_of_log`]): a plan made on an index behind the log could hand out an ID
    /// that is already taken.
    async fn lock_for_write(&self) -> Result<tokio::sync::MutexGuard<'_, ()>> {
        if self.read_only {
            return Err(read_only_error());
        }
        let guard = self.writer.lock().await;
        let target = if self.unsure.load(Ordering::Acquire) {
            self.store.end_of_log().await?
        } else {
            self.last_own.load(Ordering::Acquire)
        };
        self.wait_applied(target).await?;
        self.unsure.store(false, Ordering::Release);
        // No leader known yet (a takeover in progress): wait for one, up to a lease.
        let patience = self.node.as_ref().map_or(Duration::ZERO, |n| n.lease);
        let deadline = tokio::time::Instant::now() + patience;
        let mut changes = self.applied.clone();
        loop {
            match self.role() {
                Role::Leader(epoch) => {
                    self.fence.store(epoch.unwrap_or(-1), Ordering::Release);
                    return Ok(guard);
                }
                Role::Follower(None) if tokio::time::Instant::now() < deadline => {
                    let _ = tokio::time::timeout_at(deadline, changes.changed()).await;
                }
                Role::Follower(url) => return Err(RegistryError::NotLeader(url)),
            }
        }
    }

    /// Whether this node shares its log with others (and may have to forward writes).
    pub fn clustered(&self) -> bool {
        self.node.is_some()
    }

    /// Leader or follower, as the index says now.
    pub fn role(&self) -> Role {
        let Some(node) = &self.node else {
            return Role::Leader(None);
        };
        match &self.read().leadership {
            Some(l) if l.node == node.url => Role::Leader(Some(l.epoch)),
            Some(l) => Role::Follower(Some(l.node.clone())),
            None => Role::Follower(None),
        }
    }

    /// Counts of schemas, subjects, versions and contexts, for `GET /metrics`.
    pub fn counts(&self) -> IndexCounts {
        let ix = self.read();
        let mut c = IndexCounts {
            schemas: ix.contexts.values().map(|c| c.ids.len()).sum(),
            contexts: ix.contexts.len(),
            ..Default::default()
        };
        for versions in ix.subjects.values() {
            let live = versions.values().filter(|e| !e.deleted).count();
            c.versions += live;
            c.versions_soft_deleted += versions.len() - live;
            if live > 0 {
                c.subjects += 1;
            } else {
                c.subjects_soft_deleted += 1;
            }
        }
        c
    }

    /// (this node's URL, the leader's URL, the leader epoch) for `/v1/metadata/leader`.
    pub fn leadership(&self) -> (Option<String>, Option<String>, Option<i64>) {
        let me = self.node.as_ref().map(|n| n.url.clone());
        let ix = self.read();
        match &ix.leadership {
            Some(l) => (me, Some(l.node.clone()), Some(l.epoch)),
            None => (me, None, None),
        }
    }

    async fn wait_applied(&self, offset: i64) -> Result<()> {
        let mut rx = self.applied.clone();
        let limit = self.store.write_timeout();
        let waited = tokio::time::timeout(limit, async {
            rx.wait_for(|a| *a >= offset).await.map(|_| ())
        })
        .await;
        match waited {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(RegistryError::Store("the replay loop stopped".into())),
            Err(_) => Err(RegistryError::StoreTimeout(format!(
                "the log up to offset {offset} was not applied within {limit:?}"
            ))),
        }
    }

    /// Appends under the writer lock and answers once this node applied the records.
    async fn append_and_wait(&self, records: Vec<crate::store::RawRecord>) -> Result<()> {
        let fence = Some(self.fence.load(Ordering::Acquire)).filter(|e| *e >= 0);
        let offsets = match self.store.append(records, fence).await {
            Ok(o) => o,
            Err(e) => {
                // The records may or may not be in the log: find its end before the next write.
                self.unsure.store(true, Ordering::Release);
                return Err(e.into());
            }
        };
        let last = offsets.iter().copied().max().unwrap_or(-1);
        self.last_own.fetch_max(last, Ordering::AcqRel);
        self.wait_applied(last).await?;
        let ix = self.read();
        if offsets.iter().any(|o| ix.rejected.contains(o)) {
            return Err(RegistryError::Store(
                "the write was refused by the log (another writer or a new leader won); retry"
                    .into(),
            ));
        }
        Ok(())
    }

    pub fn validate_subject(subject: &str) -> Result<()> {
        if subject.len() > MAX_SUBJECT_LEN || subject.chars().any(|c| c.is_control()) {
            return Err(RegistryError::InvalidSubject(subject.to_string()));
        }
        Ok(())
    }

    // ---- config and mode resolution -------------------------------------------------

    fn scopes(subject: &Subject) -> [Scope; 3] {
        [
            Some(subject.qualified()),
            Some(subject.context_scope()),
            None,
        ]
    }

    fn effective_config(ix: &Index, subject: Option<&Subject>) -> ConfigValue {
        let scopes: Vec<Scope> = match subject {
            Some(s) => Self::scopes(s).to_vec(),
            None => vec![None],
        };
        let mut out = ConfigValue::default();
        for sc in scopes {
            if let Some(c) = ix.configs.get(&sc) {
                macro_rules! fill {
                    ($f:ident) => {
                        if out.$f.is_none() {
                            out.$f = c.$f.clone();
                        }
                    };
                }
                fill!(alias);
                fill!(normalize);
                fill!(validate_fields);
                fill!(compatibility_level);
                fill!(compatibility_group);
                fill!(default_metadata);
                fill!(override_metadata);
                fill!(default_rule_set);
                fill!(override_rule_set);
            }
        }
        out
    }

    fn level_for(&self, ix: &Index, subject: &Subject) -> Level {
        Self::effective_config(ix, Some(subject))
            .compatibility_level
            .as_deref()
            .and_then(Level::parse)
            .unwrap_or(self.default_level)
    }

    /// Mode in force for a subject: a global READONLY_OVERRIDE wins everywhere; then the
    /// subject's own mode; then its context's (the global mode is the default context's).
    fn mode_for(ix: &Index, subject: &Subject) -> Mode {
        let global = ix.modes.get(&None).copied();
        if global == Some(Mode::ReadOnlyOverride) {
            return Mode::ReadOnlyOverride;
        }
        if let Some(m) = ix.modes.get(&Some(subject.qualified())) {
            return *m;
        }
        let context_mode = if subject.is_default_context() {
            global
        } else {
            ix.modes.get(&Some(subject.context_scope())).copied()
        };
        context_mode.unwrap_or(Mode::ReadWrite)
    }

    fn check_writable(ix: &Index, subject: &Subject) -> Result<Mode> {
        let mode = Self::mode_for(ix, subject);
        if mode.is_read_only() {
            return Err(RegistryError::OperationNotPermitted(format!(
                "Subject {} is in read-only mode",
                subject.qualified()
            )));
        }
        Ok(mode)
    }

    // ---- references ------------------------------------------------------------------

    /// Resolves references to the texts of the referenced schemas, transitively, in
    /// dependency order (each schema after the ones it references).
    fn resolve_refs(
        ix: &Index,
        context_of: &Subject,
        refs: &[Reference],
        depth: usize,
        seen: &mut BTreeSet<(String, i32)>,
        out: &mut Vec<String>,
    ) -> std::result::Result<(), String> {
        if depth > MAX_REFERENCE_DEPTH {
            return Err(format!(
                "references nested deeper than {MAX_REFERENCE_DEPTH} levels"
            ));
        }
        for r in refs {
            if r.version == 0 || r.version < -1 {
                return Err(format!(
                    "io.confluent.kafka.schemaregistry.exceptions.InvalidVersionException: {}",
                    r.version
                ));
            }
            let not_found = || {
                format!(
                    "No schema reference found for subject \"{}\" and version {}",
                    r.subject, r.version
                )
            };
            let target = Self::ref_subject(context_of, &r.subject);
            let q = target.qualified();
            let versions = ix.versions(&q).ok_or_else(not_found)?;
            let (v, entry) = if r.version == -1 {
                versions
                    .iter()
                    .rev()
                    .find(|(_, e)| !e.deleted)
                    .ok_or_else(not_found)?
            } else {
                versions.get_key_value(&r.version).ok_or_else(not_found)?
            };
            if !seen.insert((q.clone(), *v)) {
                continue;
            }
            Self::resolve_refs(ix, &target, &entry.body.references, depth + 1, seen, out)?;
            out.push(entry.body.schema.clone());
        }
        Ok(())
    }

    /// A reference as Confluent prints it in messages (absent fields as `null`).
    pub fn ref_text(r: &Reference) -> String {
        format!(
            "{{name='{}', subject='{}', version={}}}",
            r.name, r.subject, r.version
        )
    }

    fn ref_subject(context_of: &Subject, name: &str) -> Subject {
        let s = Subject::parse(name);
        if s.is_default_context() && !context_of.is_default_context() && !name.starts_with(":.") {
            Subject::in_context(&context_of.context, name)
        } else {
            s
        }
    }

    fn refs_texts(ix: &Index, subject: &Subject, refs: &[Reference]) -> Vec<String> {
        let mut out = Vec::new();
        let _ = Self::resolve_refs(ix, subject, refs, 0, &mut BTreeSet::new(), &mut out);
        out
    }

    fn invalid_schema(
        subject: &Subject,
        req: &SchemaRequest,
        schema: &str,
        details: &str,
    ) -> RegistryError {
        let refs: Vec<String> = req.references.iter().map(Self::ref_text).collect();
        let refs = if req.reference_texts.len() == refs.len() {
            req.reference_texts.clone()
        } else {
            refs
        };
        RegistryError::InvalidSchema(format!(
            "Invalid schema {{subject={},version=0,id=-1,schemaType={},references=[{}],metadata={},ruleSet={},schema={},schemaTags=null}} with refs [{}] of type {}, details: {}",
            subject.qualified(),
            req.schema_type.as_deref().unwrap_or("AVRO"),
            refs.join(", "),
            req.metadata.as_ref().map_or("null".to_string(), |m| m.to_string()),
            req.rule_set.as_ref().map_or("null".to_string(), |m| m.to_string()),
            schema,
            refs.join(", "),
            req.schema_type.as_deref().unwrap_or("AVRO"),
            details
        ))
    }

    /// Validates the request's schema and builds the body that would be stored.
    fn prepare(
        &self,
        ix: &Index,
        subject: &Subject,
        req: &SchemaRequest,
        normalize: bool,
    ) -> Result<SchemaBody> {
        self.prepare_with_normalized(ix, subject, req, normalize)
            .map(|(body, _)| body)
    }

    /// [`Registry::prepare`], also returning the normalized text from the same parse.
    fn prepare_with_normalized(
        &self,
        ix: &Index,
        subject: &Subject,
        req: &SchemaRequest,
        normalize: bool,
    ) -> Result<(SchemaBody, String)> {
        let schema = match &req.schema {
            Some(s) if !s.trim().is_empty() => s.clone(),
            _ => return Err(RegistryError::InvalidSchema("Empty schema".into())),
        };
        let schema_type = match req.schema_type.as_deref() {
            None => SchemaType::Avro,
            Some(t) => match SchemaType::parse(t).filter(|st| st.as_str() == t) {
                Some(st) => st,
                None => {
                    return Err(RegistryError::InvalidSchema(format!(
                        "Invalid schema type {t}"
                    )))
                }
            },
        };
        if let Some(bad) = &req.invalid_reference {
            return Err(Self::invalid_schema(
                subject,
                req,
                &schema,
                &format!("Invalid reference: {bad}"),
            ));
        }
        let mut ref_texts = Vec::new();
        Self::resolve_refs(
            ix,
            subject,
            &req.references,
            0,
            &mut BTreeSet::new(),
            &mut ref_texts,
        )
        .map_err(|e| Self::invalid_schema(subject, req, &schema, &e))?;
        let refs: Vec<&str> = ref_texts.iter().map(String::as_str).collect();
        let normalize = normalize
            || Self::effective_config(ix, Some(subject))
                .normalize
                .unwrap_or(false);
        // Confluent validates defaults only when normalising (or when configured to); a
        // schema with a bad default is otherwise accepted as it was before 7.x.
        let parsed = schema::parse(schema_type, &schema, &refs, normalize)
            .map_err(|e| Self::invalid_schema(subject, req, &schema, &e.0))?;
        let schema = if normalize {
            parsed.normalized.clone()
        } else {
            parsed.canonical
        };
        let body = SchemaBody::new(
            schema_type,
            schema,
            req.references.clone(),
            req.metadata.clone().filter(|m| !m.is_null()),
            req.rule_set.clone().filter(|m| !m.is_null()),
        );
        Ok((body, parsed.normalized))
    }

    fn view(subject: &str, version: i32, e: &VersionEntry) -> VersionView {
        VersionView {
            subject: subject.to_string(),
            version,
            id: e.id,
            body: e.body.clone(),
            deleted: e.deleted,
        }
    }

    // ---- writes ------------------------------------------------------------------------

    /// `POST /subjects/{subject}/versions`.
    pub async fn register(
        &self,
        subject: &Subject,
        req: SchemaRequest,
        normalize: bool,
    ) -> Result<Registered> {
        Self::validate_subject(&subject.qualified())?;
        if self.read_only {
            return Err(read_only_error());
        }
        let subject = &self.alias_target(subject);
        // Fast path: already registered under the subject. No writer lock, any node.
        if let Plan::Existing(r) = self.plan_register(subject, &req, normalize)? {
            return Ok(r);
        }
        let _w = self.lock_for_write().await?;
        // Decide again under the lock: the index may have moved meanwhile.
        match self.plan_register(subject, &req, normalize)? {
            Plan::Existing(r) => Ok(r),
            Plan::Write(records, outcome) => {
                self.append_and_wait(records).await?;
                Ok(outcome)
            }
        }
    }

    /// Decides what a registration does against the current index.
    fn plan_register(
        &self,
        subject: &Subject,
        req: &SchemaRequest,
        normalize: bool,
    ) -> Result<Plan> {
        let q = subject.qualified();
        let ix = self.read();
        let mode = Self::check_writable(&ix, subject)?;
        let import = mode == Mode::Import;
        let explicit_id = req.id.filter(|id| *id >= 0);
        if import && explicit_id.is_none() {
            return Err(RegistryError::OperationNotPermitted(format!(
                "Subject {q} is not in read-write mode"
            )));
        }
        let versions = ix.versions(&q);
        // As Confluent 7.x: a request without metadata and rule set inherits those of the
        // subject's latest version; a request with metadata but no schema re-registers the
        // latest schema with the new metadata.
        let latest_live = versions.and_then(|vs| vs.values().rev().find(|e| !e.deleted));
        let mut effective = req.clone();
        if let Some(latest) = latest_live {
            if req.metadata.is_none() && req.rule_set.is_none() {
                effective.metadata = latest.body.metadata.clone();
                effective.rule_set = latest.body.rule_set.clone();
            }
            let no_schema = req.schema.as_deref().is_none_or(|s| s.trim().is_empty());
            if no_schema && (req.metadata.is_some() || req.rule_set.is_some()) {
                effective.schema = Some(latest.body.schema.clone());
                effective.schema_type = (latest.body.schema_type != SchemaType::Avro)
                    .then(|| latest.body.schema_type.as_str().to_string());
                effective.references = latest.body.references.clone();
            }
        }
        // Config defaultMetadata under the request's, overrideMetadata over it.
        let cfg = Self::effective_config(&ix, Some(subject));
        if cfg.default_metadata.is_some() || cfg.override_metadata.is_some() {
            let merged = merge_metadata(cfg.default_metadata.as_ref(), effective.metadata.as_ref());
            effective.metadata = merge_metadata(merged.as_ref(), cfg.override_metadata.as_ref());
        }
        let body = self.prepare(&ix, subject, &effective, normalize)?;
        let key = body.content_key();
        let latest_version = versions
            .and_then(|vs| vs.keys().next_back().copied())
            .unwrap_or(0);
        let explicit_version = req.version.filter(|v| *v > 0);
        // `confluent:version` bookkeeping, as Confluent 7.x does: an explicit version (or -1),
        // or a subject whose versions carry the property, stamps each new version with its
        // number; such versions are compared without the property.
        let stamp = !import
            && (req.version == Some(-1)
                || explicit_version.is_some()
                || confluent_version(body.metadata.as_ref()).is_some());
        if !import {
            if let Some(rv) = explicit_version {
                if explicit_id.is_some_and(|id| id > 0) {
                    return Err(RegistryError::OperationNotPermitted(format!(
                        "Subject {q} is not in import mode"
                    )));
                }
                if rv != latest_version + 1 {
                    return Err(RegistryError::InvalidSchema(
                        "Version is not one more than previous version".into(),
                    ));
                }
            }
        }
        if let (true, None, Some(vs)) = (stamp, explicit_version, versions) {
            let wanted = confluent_version(req.metadata.as_ref());
            let stripped = without_confluent_version(body.metadata.as_ref());
            let matches = |(v, e): &(&i32, &VersionEntry)| {
                !e.deleted
                    && e.body.schema_type == body.schema_type
                    && e.body.schema == body.schema
                    && e.body.references == body.references
                    && without_confluent_version(e.body.metadata.as_ref()) == stripped
                    && wanted.as_ref().is_none_or(|w| *w == v.to_string())
            };
            // `-1` asks for the latest version; otherwise the first one that matches.
            let found = if req.version == Some(-1) {
                vs.iter().rev().find(matches)
            } else {
                vs.iter().find(matches)
            };
            if let Some((v, e)) = found {
                let full = (without_confluent_version(req.metadata.as_ref())
                    != without_confluent_version(e.body.metadata.as_ref()))
                .then(|| Self::view(&q, *v, e));
                return Ok(Plan::Existing(Registered { id: e.id, full }));
            }
        }
        // Already registered (and live) under this subject: answer with its ID.
        if let (false, Some(vs)) = (stamp, versions) {
            // When IMPORT gave the content several IDs, the newest binding is the one a
            // registration resolves to (as in Confluent, whose content lookup is overwritten).
            let content_id = ix.id_for_content(&subject.context, &key);
            if let Some((v, e)) = vs.iter().rev().find(|(_, e)| {
                !e.deleted
                    && e.body.content_key() == key
                    && content_id.is_none_or(|cid| cid == e.id)
            }) {
                let id_ok = match explicit_id {
                    Some(id) if import || id > 0 => id == e.id,
                    _ => true,
                };
                let version_ok = req.version.is_none_or(|rv| rv <= 0 || rv == *v);
                if id_ok && version_ok {
                    // The whole schema is answered when it differs from what was sent.
                    let full = (req.metadata != e.body.metadata
                        || (import && req.version.is_some()))
                    .then(|| Self::view(&q, *v, e));
                    return Ok(Plan::Existing(Registered { id: e.id, full }));
                }
            }
        }
        if !import && explicit_id.is_some_and(|id| id > 0) {
            return Err(RegistryError::OperationNotPermitted(format!(
                "Subject {q} is not in import mode"
            )));
        }
        let (body, key) = if stamp {
            let stamped = SchemaBody::new(
                body.schema_type,
                body.schema,
                body.references,
                with_confluent_version(body.metadata, latest_version + 1),
                body.rule_set,
            );
            let key = stamped.content_key();
            (stamped, key)
        } else {
            (body, key)
        };
        let (id, version) = if import {
            let id = match explicit_id {
                Some(id) => {
                    if let Some(existing) = ix.schema_by_id(&subject.context, id) {
                        if existing.body.content_key() != key {
                            return Err(RegistryError::OperationNotPermitted(format!(
                                "Overwrite new schema with id {id} is not permitted."
                            )));
                        }
                    }
                    id
                }
                _ => ix
                    .id_for_content(&subject.context, &key)
                    .unwrap_or(ix.max_id(&subject.context) + 1),
            };
            let version = match req.version {
                Some(v) if v > 0 => v,
                _ => latest_version + 1,
            };
            (id, version)
        } else {
            let level = self.level_for(&ix, subject);
            let previous: Vec<(i32, &VersionEntry)> = versions
                .map(|vs| {
                    vs.iter()
                        .filter(|(_, e)| !e.deleted)
                        .map(|(v, e)| (*v, e))
                        .collect()
                })
                .unwrap_or_default();
            let messages = self.check_against(&ix, subject, &body, level, &previous);
            if !messages.is_empty() {
                let mut messages = messages;
                let validate = Self::effective_config(&ix, Some(subject))
                    .validate_fields
                    .unwrap_or(false);
                messages.push(compat::trailer(validate, level));
                return Err(RegistryError::Incompatible {
                    subject: q.clone(),
                    messages,
                });
            }
            let id = ix
                .id_for_content(&subject.context, &key)
                .unwrap_or(ix.max_id(&subject.context) + 1);
            (id, latest_version + 1)
        };
        let mut records = Vec::new();
        if !subject.is_default_context() && !ix.contexts.contains_key(&subject.context) {
            records.extend(encode(
                &ix,
                Key::Context {
                    tenant: DEFAULT_TENANT.into(),
                    context: subject.context.clone(),
                },
                Some(Value::Context(ContextValue {
                    tenant: Some(DEFAULT_TENANT.into()),
                    context: Some(subject.context.clone()),
                })),
            ));
        }
        // Confluent permanently removes soft-deleted versions of the same schema when
        // the schema is registered again under the subject.
        if let Some(vs) = versions {
            for (v, _) in vs
                .iter()
                .filter(|(_, e)| e.deleted && e.body.content_key() == key)
            {
                if *v != version {
                    records.extend(encode(
                        &ix,
                        Key::Schema {
                            subject: q.clone(),
                            version: *v,
                        },
                        None,
                    ));
                }
            }
        }
        records.extend(encode(
            &ix,
            Key::Schema {
                subject: q.clone(),
                version,
            },
            Some(Value::Schema(SchemaValue {
                subject: Some(q.clone()),
                version,
                id,
                schema_type: (body.schema_type != SchemaType::Avro)
                    .then(|| body.schema_type.as_str().to_string()),
                references: body.references.clone(),
                metadata: body.metadata.clone(),
                rule_set: body.rule_set.clone(),
                schema: body.schema.clone(),
                deleted: false,
            })),
        ));
        let full = body.metadata.is_some().then(|| VersionView {
            subject: q.clone(),
            version,
            id,
            body: Arc::new(body.clone()),
            deleted: false,
        });
        Ok(Plan::Write(records, Registered { id, full }))
    }

    fn check_against(
        &self,
        ix: &Index,
        subject: &Subject,
        body: &SchemaBody,
        level: Level,
        previous: &[(i32, &VersionEntry)],
    ) -> Vec<String> {
        // With a compatibilityGroup, only versions in the same group (same value of that
        // metadata property) are checked.
        let group = Self::effective_config(ix, Some(subject)).compatibility_group;
        let group_value = |md: Option<&Json>| -> Option<String> {
            let g = group.as_deref()?;
            md?.get("properties")?.get(g)?.as_str().map(str::to_string)
        };
        let previous: Vec<(i32, &VersionEntry)> = match &group {
            Some(_) => {
                let mine = group_value(body.metadata.as_ref());
                previous
                    .iter()
                    .filter(|(_, e)| group_value(e.body.metadata.as_ref()) == mine)
                    .copied()
                    .collect()
            }
            None => previous.to_vec(),
        };
        let previous = previous.as_slice();
        let new_refs = Self::refs_texts(ix, subject, &body.references);
        let new = Candidate {
            schema_type: body.schema_type,
            schema: &body.schema,
            refs: new_refs,
        };
        let prev: Vec<Previous<'_>> = previous
            .iter()
            .map(|(v, e)| Previous {
                version: Some(*v),
                schema: Candidate {
                    schema_type: e.body.schema_type,
                    schema: &e.body.schema,
                    refs: Self::refs_texts(ix, subject, &e.body.references),
                },
            })
            .collect();
        compat::check(level, &new, &prev)
    }

    /// `DELETE /subjects/{subject}/versions/{version}`.
    pub async fn delete_version(
        &self,
        subject: &Subject,
        spec: VersionSpec,
        permanent: bool,
    ) -> Result<i32> {
        let _w = self.lock_for_write().await?;
        let q = subject.qualified();
        let (records, version) = {
            let ix = self.read();
            Self::check_writable(&ix, subject)?;
            let versions = ix
                .versions(&q)
                .ok_or_else(|| RegistryError::SubjectNotFound(q.clone()))?;
            let (v, e) = match spec {
                VersionSpec::Latest => versions
                    .iter()
                    .rev()
                    .find(|(_, e)| !e.deleted)
                    .ok_or_else(|| RegistryError::SubjectNotFound(q.clone()))?,
                VersionSpec::Number(n) => versions
                    .get_key_value(&n)
                    .ok_or_else(|| RegistryError::VersionNotFound(n.to_string()))?,
            };
            let v = *v;
            if !permanent && e.deleted {
                return Err(RegistryError::VersionSoftDeleted(q.clone(), v));
            }
            if permanent && !e.deleted {
                return Err(RegistryError::VersionNotSoftDeleted(q.clone(), v));
            }
            let referrers = ix.referenced_by(&q, v);
            let blocking = if permanent {
                !referrers.is_empty()
            } else {
                referrers.iter().any(|r| !r.3)
            };
            if blocking {
                return Err(RegistryError::ReferenceExists(q.clone(), v));
            }
            let key = Key::Schema {
                subject: q.clone(),
                version: v,
            };
            let records = if permanent {
                encode(&ix, key, None)
            } else {
                encode(
                    &ix,
                    key,
                    Some(Value::Schema(Self::schema_value(&q, v, e, true))),
                )
            };
            (records, v)
        };
        self.append_and_wait(records).await?;
        Ok(version)
    }

    fn schema_value(subject: &str, version: i32, e: &VersionEntry, deleted: bool) -> SchemaValue {
        SchemaValue {
            subject: Some(subject.to_string()),
            version,
            id: e.id,
            schema_type: (e.body.schema_type != SchemaType::Avro)
                .then(|| e.body.schema_type.as_str().to_string()),
            references: e.body.references.clone(),
            metadata: e.body.metadata.clone(),
            rule_set: e.body.rule_set.clone(),
            schema: e.body.schema.clone(),
            deleted,
        }
    }

    /// `DELETE /subjects/{subject}`.
    pub async fn delete_subject(&self, subject: &Subject, permanent: bool) -> Result<Vec<i32>> {
        let _w = self.lock_for_write().await?;
        let q = subject.qualified();
        let (records, answer) = {
            let ix = self.read();
            Self::check_writable(&ix, subject)?;
            let versions = ix
                .versions(&q)
                .ok_or_else(|| RegistryError::SubjectNotFound(q.clone()))?;
            let live: Vec<i32> = versions
                .iter()
                .filter(|(_, e)| !e.deleted)
                .map(|(v, _)| *v)
                .collect();
            if permanent {
                if !live.is_empty() {
                    return Err(RegistryError::SubjectNotSoftDeleted(q.clone()));
                }
                for v in versions.keys() {
                    if !ix.referenced_by(&q, *v).is_empty() {
                        return Err(RegistryError::ReferenceExists(q.clone(), *v));
                    }
                }
                let all: Vec<i32> = versions.keys().copied().collect();
                let recs = all
                    .iter()
                    .flat_map(|v| {
                        encode(
                            &ix,
                            Key::Schema {
                                subject: q.clone(),
                                version: *v,
                            },
                            None,
                        )
                    })
                    .collect();
                (recs, all)
            } else {
                if live.is_empty() {
                    return Err(RegistryError::SubjectSoftDeleted(q.clone()));
                }
                for v in &live {
                    if ix.referenced_by(&q, *v).iter().any(|r| !r.3) {
                        return Err(RegistryError::ReferenceExists(q.clone(), *v));
                    }
                }
                let latest = versions.keys().next_back().copied().unwrap_or(0);
                let recs = encode(
                    &ix,
                    Key::DeleteSubject { subject: q.clone() },
                    Some(Value::DeleteSubject(DeleteSubjectValue {
                        subject: Some(q.clone()),
                        version: latest,
                    })),
                );
                (recs, live)
            }
        };
        self.append_and_wait(records).await?;
        Ok(answer)
    }

    /// `PUT /config[/{subject}]`. Returns nothing: the handler echoes the request.
    pub async fn put_config(
        &self,
        scope: Scope,
        subject: Option<&Subject>,
        update: ConfigUpdate,
    ) -> Result<()> {
        let _w = self.lock_for_write().await?;
        let records = {
            let ix = self.read();
            if let Some(s) = subject {
                Self::check_writable(&ix, s)?;
            }
            let mut merged = ix.configs.get(&scope).cloned().unwrap_or_default();
            let u = update.value;
            if let Some(level) = update.compatibility {
                merged.compatibility_level = Some(level);
            }
            macro_rules! take {
                ($f:ident) => {
                    if u.$f.is_some() {
                        merged.$f = u.$f;
                    }
                };
            }
            take!(alias);
            take!(normalize);
            take!(validate_fields);
            take!(compatibility_group);
            take!(default_metadata);
            take!(override_metadata);
            take!(default_rule_set);
            take!(override_rule_set);
            if merged.compatibility_level.is_none() && scope.is_some() {
                // Confluent stores the level in force at the time with a new scope config.
                let parent = match subject {
                    Some(s)
                        if scope.as_deref() != Some(s.context_scope().as_str())
                            && !s.is_default_context() =>
                    {
                        ix.configs
                            .get(&Some(s.context_scope()))
                            .or_else(|| ix.configs.get(&None))
                    }
                    _ => ix.configs.get(&None),
                };
                merged.compatibility_level = Some(
                    parent
                        .and_then(|c| c.compatibility_level.clone())
                        .unwrap_or_else(|| self.default_level.as_str().to_string()),
                );
            }
            merged.subject = scope.clone();
            encode(
                &ix,
                Key::Config {
                    subject: scope.clone(),
                },
                Some(Value::Config(merged)),
            )
        };
        self.append_and_wait(records).await
    }

    /// `DELETE /config[/{subject}]`: returns the config that was removed.
    pub async fn delete_config(
        &self,
        scope: Scope,
        subject: Option<&Subject>,
    ) -> Result<ConfigValue> {
        let _w = self.lock_for_write().await?;
        let (previous, records) = {
            let ix = self.read();
            let prev = match (ix.configs.get(&scope), &scope) {
                (Some(c), _) => c.clone(),
                (None, None) => ConfigValue::default(),
                (None, Some(s)) => return Err(RegistryError::SubjectNotFound(s.clone())),
            };
            if let Some(s) = subject {
                Self::check_writable(&ix, s)?;
            }
            (prev, encode(&ix, Key::Config { subject: scope }, None))
        };
        self.append_and_wait(records).await?;
        Ok(previous)
    }

    /// `PUT /mode[/{subject}]`.
    pub async fn put_mode(&self, scope: Scope, mode: Mode, force: bool) -> Result<()> {
        self.check_mode_mutable()?;
        let _w = self.lock_for_write().await?;
        let mut records = Vec::new();
        {
            let ix = self.read();
            // As Confluent: the empty-scope check only applies when entering IMPORT mode.
            let current = match &scope {
                None => ix.modes.get(&None).copied().unwrap_or(Mode::ReadWrite),
                Some(sc) => Self::mode_for(&ix, &Subject::parse(sc)),
            };
            if mode == Mode::Import && !force && current != Mode::Import {
                let in_scope = |s: &str| match &scope {
                    None => true,
                    Some(sc) if sc.starts_with(":.") && sc.ends_with(':') => {
                        Subject::parse(s).context_scope() == *sc
                    }
                    Some(sc) => s == sc,
                };
                let has_live = ix
                    .subjects
                    .iter()
                    .any(|(s, vs)| in_scope(s) && vs.values().any(|e| !e.deleted));
                if has_live {
                    return Err(RegistryError::OperationNotPermitted(
                        "Cannot import since found existing subjects".into(),
                    ));
                }
                // Soft-deleted versions in the scope are removed so imported IDs cannot clash.
                for (s, vs) in ix.subjects.iter().filter(|(s, _)| in_scope(s)) {
                    for v in vs.keys() {
                        records.extend(encode(
                            &ix,
                            Key::Schema {
                                subject: s.clone(),
                                version: *v,
                            },
                            None,
                        ));
                    }
                }
            }
            records.extend(encode(
                &ix,
                Key::Mode {
                    subject: scope.clone(),
                },
                Some(Value::Mode(ModeValue {
                    subject: scope,
                    mode: mode.as_str().to_string(),
                })),
            ));
        }
        self.append_and_wait(records).await
    }

    /// `DELETE /mode/{subject}`: returns the mode that was removed.
    pub async fn delete_mode(&self, scope: Scope) -> Result<Mode> {
        self.check_mode_mutable()?;
        let _w = self.lock_for_write().await?;
        let (previous, records) = {
            let ix = self.read();
            let global = ix.modes.get(&None).copied();
            let previous = match (ix.modes.get(&scope), &scope) {
                _ if global == Some(Mode::ReadOnlyOverride) && scope.is_some() => {
                    Mode::ReadOnlyOverride
                }
                (Some(m), _) => *m,
                (None, None) => Mode::ReadWrite,
                (None, Some(s)) => return Err(RegistryError::SubjectNotFound(s.clone())),
            };
            (previous, encode(&ix, Key::Mode { subject: scope }, None))
        };
        self.append_and_wait(records).await?;
        Ok(previous)
    }

    // ---- reads -------------------------------------------------------------------------

    pub fn get_config(
        &self,
        scope: &Scope,
        subject: Option<&Subject>,
        default_to_global: bool,
    ) -> Result<ConfigValue> {
        let ix = self.read();
        let mut cfg = if default_to_global || scope.is_none() {
            Self::effective_config(&ix, subject)
        } else {
            match ix.configs.get(scope) {
                Some(c) => c.clone(),
                None => {
                    return Err(RegistryError::SubjectConfigNotFound(
                        scope.clone().unwrap_or_default(),
                    ))
                }
            }
        };
        if cfg.compatibility_level.is_none() && (default_to_global || scope.is_none()) {
            cfg.compatibility_level = Some(self.default_level.as_str().to_string());
        }
        cfg.subject = None;
        Ok(cfg)
    }

    pub fn get_mode(
        &self,
        scope: &Scope,
        subject: Option<&Subject>,
        default_to_global: bool,
    ) -> Result<Mode> {
        let ix = self.read();
        if ix.modes.get(&None) == Some(&Mode::ReadOnlyOverride) {
            return Ok(Mode::ReadOnlyOverride);
        }
        if let Some(m) = ix.modes.get(scope) {
            return Ok(*m);
        }
        match (scope, subject) {
            (None, _) => Ok(Mode::ReadWrite),
            (Some(_), Some(s)) if default_to_global => Ok(Self::mode_for(&ix, s)),
            (Some(_), _) if default_to_global => {
                Ok(ix.modes.get(&None).copied().unwrap_or(Mode::ReadWrite))
            }
            (Some(sc), _) => Err(RegistryError::SubjectModeNotFound(sc.clone())),
        }
    }

    pub fn contexts(&self) -> Vec<String> {
        let ix = self.read();
        let mut out: Vec<String> = ix.contexts.keys().cloned().collect();
        out.sort_by(|a, b| (a != DEFAULT_CONTEXT, a).cmp(&(b != DEFAULT_CONTEXT, b)));
        out
    }

    pub fn subjects(&self, prefix: Option<&str>, deleted: bool, deleted_only: bool) -> Vec<String> {
        let ix = self.read();
        let matches_prefix = |s: &str| match prefix {
            None => true,
            Some(p) if p.starts_with(":*:") => {
                let rest = &p[3..];
                Subject::parse(s).name.starts_with(rest)
            }
            Some(p) => s.starts_with(p),
        };
        ix.subjects
            .iter()
            .filter(|(s, _)| matches_prefix(s))
            .filter(|(_, vs)| {
                let any_live = vs.values().any(|e| !e.deleted);
                let any_deleted = vs.values().any(|e| e.deleted);
                if deleted_only {
                    any_deleted
                } else if deleted {
                    true
                } else {
                    any_live
                }
            })
            .map(|(s, _)| s.clone())
            .collect()
    }

    pub fn versions(
        &self,
        subject: &Subject,
        deleted: bool,
        deleted_only: bool,
    ) -> Result<Vec<i32>> {
        let ix = self.read();
        let q = subject.qualified();
        let vs = match ix.versions(&q) {
            Some(vs) => vs,
            None if subject.name.is_empty() => return Ok(vec![]),
            None => return Err(RegistryError::SubjectNotFound(q)),
        };
        let out: Vec<i32> = vs
            .iter()
            .filter(|(_, e)| {
                if deleted_only {
                    e.deleted
                } else {
                    deleted || !e.deleted
                }
            })
            .map(|(v, _)| *v)
            .collect();
        if out.is_empty() && !deleted_only {
            return Err(RegistryError::SubjectNotFound(q));
        }
        Ok(out)
    }

    /// The versions of a subject that has any to show (live ones, or any with `deleted`).
    fn subject_versions<'a>(
        ix: &'a Index,
        q: &str,
        deleted: bool,
    ) -> Result<&'a BTreeMap<i32, VersionEntry>> {
        ix.versions(q)
            .filter(|vs| deleted || vs.values().any(|e| !e.deleted))
            .ok_or_else(|| RegistryError::SubjectNotFound(q.to_string()))
    }

    pub fn version(
        &self,
        subject: &Subject,
        spec: VersionSpec,
        deleted: bool,
    ) -> Result<VersionView> {
        let ix = self.read();
        let q = subject.qualified();
        let vs = Self::subject_versions(&ix, &q, deleted)?;
        match spec {
            VersionSpec::Latest => vs
                .iter()
                .rev()
                .find(|(_, e)| deleted || !e.deleted)
                .map(|(v, e)| Self::view(&q, *v, e))
                .ok_or(RegistryError::SubjectNotFound(q)),
            VersionSpec::Number(n) => vs
                .get(&n)
                .filter(|e| deleted || !e.deleted)
                .map(|e| Self::view(&q, n, e))
                .ok_or(RegistryError::VersionNotFound(n.to_string())),
        }
    }

    /// `GET /subjects/{subject}/metadata`: the latest version whose metadata properties
    /// have every wanted key (with the paired value, when one is given).
    pub fn version_by_metadata(
        &self,
        subject: &Subject,
        wanted: &[(&str, Option<&str>)],
        deleted: bool,
    ) -> Result<VersionView> {
        let ix = self.read();
        let q = subject.qualified();
        let vs = Self::subject_versions(&ix, &q, deleted)?;
        vs.iter()
            .rev()
            .filter(|(_, e)| deleted || !e.deleted)
            .find(|(_, e)| {
                let props = e
                    .body
                    .metadata
                    .as_ref()
                    .and_then(|m| m.get("properties"))
                    .and_then(Json::as_object);
                wanted.iter().all(|(k, v)| {
                    props
                        .and_then(|p| p.get(*k))
                        .is_some_and(|pv| v.is_none_or(|v| pv.as_str() == Some(v)))
                })
            })
            .map(|(v, e)| Self::view(&q, *v, e))
            .ok_or(RegistryError::SchemaNotFound(None))
    }

    pub fn referenced_by(&self, subject: &Subject, spec: VersionSpec) -> Result<Vec<i32>> {
        let v = self.version(subject, spec, true)?;
        let ix = self.read();
        let mut ids: Vec<i32> = ix
            .referenced_by(&subject.qualified(), v.version)
            .into_iter()
            .filter(|r| !r.3)
            .map(|r| r.2)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Finds the context an ID is looked up in, as Confluent does: a qualified hint names
    /// its context; an unqualified subject name is looked for with this ID in the default
    /// context, then in every other context (so a consumer passing its subject finds IDs an
    /// exporter put in a context); otherwise the default context.
    fn context_for_id(ix: &Index, id: i32, hint: Option<&Subject>) -> String {
        let Some(h) = hint else {
            return DEFAULT_CONTEXT.to_string();
        };
        if !h.is_default_context() || h.name.is_empty() {
            return h.context.clone();
        }
        let holds = |ctx: &str| {
            let q = Subject::in_context(ctx, &h.name).qualified();
            ix.schema_by_id(ctx, id)
                .is_some_and(|e| e.holders.iter().any(|(s, _)| *s == q))
        };
        if holds(DEFAULT_CONTEXT) {
            return DEFAULT_CONTEXT.to_string();
        }
        ix.contexts
            .keys()
            .find(|c| c.as_str() != DEFAULT_CONTEXT && holds(c))
            .cloned()
            .unwrap_or_else(|| DEFAULT_CONTEXT.to_string())
    }

    /// A subject without versions whose subject-level config names an `alias` stands for
    /// that other subject.
    pub fn alias_target(&self, subject: &Subject) -> Subject {
        Self::alias_in(&self.read(), subject)
    }

    fn alias_in(ix: &Index, subject: &Subject) -> Subject {
        let q = subject.qualified();
        if ix.subjects.contains_key(&q) {
            return subject.clone();
        }
        match ix.configs.get(&Some(q)).and_then(|c| c.alias.as_deref()) {
            Some(target) if !target.is_empty() => {
                let t = Subject::parse(target);
                if t.is_default_context() && !subject.is_default_context() {
                    Subject::in_context(&subject.context, target)
                } else {
                    t
                }
            }
            _ => subject.clone(),
        }
    }

    /// Subjects whose config makes them aliases of `subject`.
    pub fn aliases_of(&self, subject: &str) -> Vec<String> {
        let ix = self.read();
        let mut out: Vec<String> = ix
            .configs
            .iter()
            .filter(|(_, c)| c.alias.as_deref() == Some(subject))
            .filter_map(|(scope, _)| scope.clone())
            .collect();
        out.sort();
        out
    }

    /// Reads of an unqualified subject that does not exist in the default context fall
    /// back to the first other context holding a subject of that name, as Confluent does.
    pub fn read_subject(&self, subject: &Subject) -> Subject {
        let ix = self.read();
        let subject = &Self::alias_in(&ix, subject);
        if !subject.is_default_context() || subject.name.is_empty() {
            return subject.clone();
        }
        if ix.subjects.contains_key(&subject.qualified()) {
            return subject.clone();
        }
        ix.contexts
            .keys()
            .filter(|c| c.as_str() != DEFAULT_CONTEXT)
            .map(|c| Subject::in_context(c, &subject.name))
            .find(|s| ix.subjects.contains_key(&s.qualified()))
            .unwrap_or_else(|| subject.clone())
    }

    pub fn schema_by_id(&self, id: i32, hint: Option<&Subject>) -> Result<(Arc<SchemaBody>, i32)> {
        let ix = self.read();
        let ctx = Self::context_for_id(&ix, id, hint);
        let e = ix
            .schema_by_id(&ctx, id)
            .ok_or(RegistryError::SchemaNotFound(Some(id as i64)))?;
        Ok((e.body.clone(), ix.max_id(&ctx)))
    }

    pub fn id_usages(
        &self,
        id: i32,
        hint: Option<&Subject>,
        deleted: bool,
    ) -> Result<Vec<(String, i32)>> {
        let ix = self.read();
        let ctx = Self::context_for_id(&ix, id, hint);
        let e = ix
            .schema_by_id(&ctx, id)
            .ok_or(RegistryError::SchemaNotFound(None))?;
        Ok(e.holders
            .iter()
            .filter(|(s, v)| {
                deleted
                    || ix
                        .versions(s)
                        .and_then(|vs| vs.get(v))
                        .is_some_and(|e| !e.deleted)
            })
            .cloned()
            .collect())
    }

    pub fn schemas(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        latest_only: bool,
    ) -> Vec<VersionView> {
        let ix = self.read();
        let mut out = Vec::new();
        for (s, vs) in &ix.subjects {
            if let Some(p) = prefix {
                if !s.starts_with(p) {
                    continue;
                }
            }
            let live: Vec<(&i32, &VersionEntry)> =
                vs.iter().filter(|(_, e)| deleted || !e.deleted).collect();
            if latest_only {
                if let Some((v, e)) = live.last() {
                    out.push(Self::view(s, **v, e));
                }
            } else {
                out.extend(live.into_iter().map(|(v, e)| Self::view(s, *v, e)));
            }
        }
        out
    }

    /// `POST /subjects/{subject}`: is this schema registered under the subject?
    pub fn lookup(
        &self,
        subject: &Subject,
        req: &SchemaRequest,
        normalize: bool,
        deleted: bool,
    ) -> Result<VersionView> {
        let ix = self.read();
        let q = subject.qualified();
        // The stored text may be the request's canonical or its normalized form.
        let (body, normalized) = self.prepare_with_normalized(&ix, subject, req, normalize)?;
        let vs = Self::subject_versions(&ix, &q, deleted)?;
        vs.iter()
            .rev()
            .filter(|(_, e)| deleted || !e.deleted)
            .find(|(_, e)| {
                let same = e.body.schema_type == body.schema_type
                    && (e.body.schema == body.schema || e.body.schema == normalized)
                    && e.body.references == body.references;
                // Metadata must match too; `confluent:version` only when the request has it.
                let same_metadata = if confluent_version(req.metadata.as_ref()).is_some() {
                    req.metadata == e.body.metadata
                } else {
                    without_confluent_version(req.metadata.as_ref())
                        == without_confluent_version(e.body.metadata.as_ref())
                };
                same_metadata && same
            })
            .map(|(v, e)| Self::view(&q, *v, e))
            .ok_or(RegistryError::SchemaNotFound(None))
    }

    /// `POST /compatibility/subjects/{subject}/versions[/{version}]`.
    pub fn check_compatibility(
        &self,
        subject: &Subject,
        spec: Option<VersionSpec>,
        req: &SchemaRequest,
        normalize: bool,
        verbose: bool,
    ) -> Result<CompatResult> {
        let ix = self.read();
        let q = subject.qualified();
        let body = match self.prepare(&ix, subject, req, normalize) {
            Ok(b) => b,
            Err(e @ RegistryError::InvalidSchema(_)) if verbose => {
                return Ok(CompatResult {
                    compatible: false,
                    messages: vec![e.to_string()],
                })
            }
            Err(e) => return Err(e),
        };
        let level = self.level_for(&ix, subject);
        let live: Vec<(i32, &VersionEntry)> = ix
            .versions(&q)
            .map(|vs| {
                vs.iter()
                    .filter(|(_, e)| !e.deleted)
                    .map(|(v, e)| (*v, e))
                    .collect()
            })
            .unwrap_or_default();
        let previous: Vec<(i32, &VersionEntry)> = match spec {
            None => live,
            Some(VersionSpec::Latest) => live.last().copied().into_iter().collect(),
            Some(VersionSpec::Number(n)) => match live.iter().find(|(v, _)| *v == n) {
                Some(x) => vec![*x],
                None if live.is_empty() => {
                    return Err(RegistryError::SubjectNotFound(q));
                }
                None => return Err(RegistryError::VersionNotFound(n.to_string())),
            },
        };
        if spec.is_some() && previous.is_empty() && ix.versions(&q).is_none() {
            return Err(RegistryError::SubjectNotFound(q));
        }
        // A single named version is checked as if non-transitive against it alone.
        let mut messages = self.check_against(&ix, subject, &body, level, &previous);
        let compatible = messages.is_empty();
        if !compatible {
            let validate = Self::effective_config(&ix, Some(subject))
                .validate_fields
                .unwrap_or(false);
            messages.push(compat::trailer(validate, level));
        }
        Ok(CompatResult {
            compatible,
            messages,
        })
    }
}

// ---- exporters ---------------------------------------------------------------------------

impl Registry {
    /// The offset applied so far, as a watch (the exporter worker wakes on changes).
    pub fn applied_watch(&self) -> watch::Receiver<i64> {
        self.applied.clone()
    }

    /// Whether this node runs the exporters: it writes (leads) and is not read-only.
    pub fn runs_exporters(&self) -> bool {
        !self.read_only && matches!(self.role(), Role::Leader(_))
    }

    /// `GET /exporters`.
    pub fn exporter_names(&self) -> Vec<String> {
        self.read().exporters.keys().cloned().collect()
    }

    /// `GET /exporters/{name}`.
    pub fn exporter(&self, name: &str) -> Result<ExporterValue> {
        self.read()
            .exporters
            .get(name)
            .cloned()
            .ok_or_else(|| exporter::not_found(name))
    }

    /// The stored state of an exporter (`None`: never written).
    pub fn exporter_state(&self, name: &str) -> Result<Option<ExporterStateValue>> {
        let ix = self.read();
        if !ix.exporters.contains_key(name) {
            return Err(exporter::not_found(name));
        }
        Ok(ix.exporter_states.get(name).cloned())
    }

    pub fn exporters_with_states(&self) -> Vec<(ExporterValue, Option<ExporterStateValue>)> {
        let ix = self.read();
        ix.exporters
            .values()
            .map(|d| (d.clone(), ix.exporter_states.get(&d.name).cloned()))
            .collect()
    }

    fn require_paused(ix: &Index, name: &str) -> Result<()> {
        let paused = ix
            .exporter_states
            .get(name)
            .is_some_and(|s| s.state == exporter::PAUSED);
        if !paused {
            return Err(exporter::error(
                exporter::code::NOT_PAUSED,
                format!("Exporter '{name}' must be paused first."),
            ));
        }
        Ok(())
    }

    /// `POST /exporters`: a new exporter, running.
    pub async fn create_exporter(&self, def: ExporterValue) -> Result<()> {
        let _w = self.lock_for_write().await?;
        let records = {
            let ix = self.read();
            if ix.exporters.contains_key(&def.name) {
                return Err(exporter::error(
                    exporter::code::EXISTS,
                    format!("Exporter '{}' already exists.", def.name),
                ));
            }
            if ix.exporters.len() >= exporter::MAX_EXPORTERS {
                return Err(exporter::error(
                    exporter::code::TOO_MANY,
                    format!(
                        "Too many exporters: at most {} per registry",
                        exporter::MAX_EXPORTERS
                    ),
                ));
            }
            // The definition first: a state never lands without its exporter.
            let name = def.name.clone();
            let mut records = encode(
                &ix,
                Key::Exporter { name: name.clone() },
                Some(Value::Exporter(def)),
            );
            records.extend(encode(
                &ix,
                Key::ExporterState { name },
                Some(Value::ExporterState(exporter::fresh_state())),
            ));
            records
        };
        self.append_and_wait(records).await
    }

    /// `PUT /exporters/{name}` and `PUT /exporters/{name}/config`: the exporter must be
    /// paused. `change` builds the new definition from the current one.
    pub async fn update_exporter(
        &self,
        name: &str,
        change: impl FnOnce(&ExporterValue) -> Result<ExporterValue>,
    ) -> Result<()> {
        let _w = self.lock_for_write().await?;
        let records = {
            let ix = self.read();
            let current = ix
                .exporters
                .get(name)
                .ok_or_else(|| exporter::not_found(name))?;
            Self::require_paused(&ix, name)?;
            let def = change(current)?;
            encode(
                &ix,
                Key::Exporter {
                    name: name.to_string(),
                },
                Some(Value::Exporter(def)),
            )
        };
        self.append_and_wait(records).await
    }

    /// `DELETE /exporters/{name}`: the exporter must be paused.
    pub async fn delete_exporter(&self, name: &str) -> Result<()> {
        let _w = self.lock_for_write().await?;
        let records = {
            let ix = self.read();
            if !ix.exporters.contains_key(name) {
                return Err(exporter::not_found(name));
            }
            Self::require_paused(&ix, name)?;
            let name = name.to_string();
            let mut records = encode(&ix, Key::ExporterState { name: name.clone() }, None);
            records.extend(encode(&ix, Key::Exporter { name }, None));
            records
        };
        self.append_and_wait(records).await
    }

    /// `PUT /exporters/{name}/pause|resume|reset`.
    pub async fn exporter_action(&self, name: &str, action: ExporterAction) -> Result<()> {
        let _w = self.lock_for_write().await?;
        let records = {
            let ix = self.read();
            if !ix.exporters.contains_key(name) {
                return Err(exporter::not_found(name));
            }
            let mut st = ix
                .exporter_states
                .get(name)
                .cloned()
                .unwrap_or_else(exporter::fresh_state);
            match action {
                ExporterAction::Pause => st.state = exporter::PAUSED.into(),
                ExporterAction::Resume => {
                    if st.state == exporter::RUNNING {
                        return Err(exporter::error(
                            exporter::code::ALREADY_RUNNING,
                            format!("Exporter '{name}' is already running."),
                        ));
                    }
                    st.state = exporter::RUNNING.into();
                    st.trace.clear();
                }
                ExporterAction::Reset => {
                    Self::require_paused(&ix, name)?;
                    st.offset = -1;
                    st.ts = 0;
                    st.trace.clear();
                }
            }
            encode(
                &ix,
                Key::ExporterState {
                    name: name.to_string(),
                },
                Some(Value::ExporterState(st)),
            )
        };
        self.append_and_wait(records).await
    }

    /// The exporter worker's progress or error, written only while the exporter still
    /// exists and runs (a pause or reset meanwhile wins).
    pub async fn record_exporter_progress(&self, name: &str, st: ExporterStateValue) -> Result<()> {
        let _w = self.lock_for_write().await?;
        let records = {
            let ix = self.read();
            let running = ix.exporters.contains_key(name)
                && ix
                    .exporter_states
                    .get(name)
                    .is_none_or(|s| s.state == exporter::RUNNING);
            if !running {
                return Ok(());
            }
            encode(
                &ix,
                Key::ExporterState {
                    name: name.to_string(),
                },
                Some(Value::ExporterState(st)),
            )
        };
        self.append_and_wait(records).await
    }

    /// What `def` has to push: versions of its subjects changed after `after`, in log
    /// order, and the subject-level configs of its subjects.
    pub fn export_snapshot(&self, def: &ExporterValue, after: i64) -> exporter::Snapshot {
        let ix = self.read();
        let mut versions = Vec::new();
        let mut configs = BTreeMap::new();
        for (q, vs) in &ix.subjects {
            let subject = Subject::parse(q);
            if !exporter::matches(def, &subject) {
                continue;
            }
            for (v, e) in vs {
                if e.offset > after {
                    versions.push(exporter::PendingVersion {
                        offset: e.offset,
                        subject: subject.clone(),
                        version: *v,
                        id: e.id,
                        deleted: e.deleted,
                        body: e.body.clone(),
                    });
                }
            }
            if let Some(c) = ix.configs.get(&Some(q.clone())) {
                let mut body = serde_json::Map::new();
                if let Some(l) = &c.compatibility_level {
                    body.insert("compatibility".into(), Json::String(l.clone()));
                }
                if let Some(n) = c.normalize {
                    body.insert("normalize".into(), Json::Bool(n));
                }
                if let Some(g) = &c.compatibility_group {
                    body.insert("compatibilityGroup".into(), Json::String(g.clone()));
                }
                if !body.is_empty() {
                    configs.insert(q.clone(), Json::Object(body));
                }
            }
        }
        versions.sort_by_key(|p| (p.offset, p.version));
        exporter::Snapshot {
            applied: ix.applied,
            versions,
            configs,
        }
    }
}

/// `PUT /exporters/{name}/pause|resume|reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExporterAction {
    Pause,
    Resume,
    Reset,
}

//! The registry's handle ([`Registry`]), its locks, and the types its use cases share.
//! Use cases live in the submodules; reads go through a short read lock on the [`Index`].
//!
//! Reads are answered from the in-memory [`Index`] under a short read lock. Writes take the
//! single-writer lock, decide against the index, append records to the store, and wait
//! until the replay loop has applied their offset before answering (read-your-writes).
//! The index is never changed here: only the replay loop applies records.

use crate::error::{RegistryError, Result};
use crate::index::{Decoded, Index, SchemaBody, VersionEntry};
use crate::model::{Level, Reference, MAX_SUBJECT_LEN};
use crate::store::record::{ConfigValue, Key, Value};
use crate::store::{Backlog, BacklogItem, LogEntry, Store, BACKLOG_CHUNK};
use serde_json::Value as Json;
use std::sync::atomic::{AtomicBool, AtomicI64};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;
use tokio::sync::{watch, Mutex};

mod associations;
mod compatibility;
mod config;
mod deletes;
pub mod exporters;
mod fetched;
mod leadership;
mod log;
mod pipeline;
mod prepare;
mod reads;
mod references;
mod register;
mod tags;

pub use associations::request::invalid as association_invalid;
pub use associations::{
    AssociationAnswer, AssociationFilters, AssociationInfoAnswer, AssociationQuery,
    AssociationView, AssociationWrite, BatchGetQuery, BatchMutateRequest, BatchOp, BatchResult,
    InfoRequest, Lifecycle,
};
pub use exporters::ExporterAction;
pub use fetched::{FetchedVersion, UpstreamNames};
pub use log::replay_loop;
pub(crate) use reads::is_not_found;
pub use tags::TagRequest;

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
        // `VersionId` trims before it matches `latest`.
        if raw.trim().eq_ignore_ascii_case("latest") {
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
    /// Register only: `schemaTagsToAdd`/`schemaTagsToRemove`, applied to the schema before
    /// it is registered (7.9 and 8.3.1 `AbstractSchemaRegistry.register(subject, request, …)`).
    pub tag_edits: Vec<crate::schema::TagEdit>,
    /// Register only: `propagateSchemaTags` (the previous version's inline tags are copied).
    pub propagate_schema_tags: bool,
}

/// A subject version as answered by the API.
#[derive(Debug, Clone)]
pub struct VersionView {
    pub subject: String,
    pub version: i32,
    pub id: i32,
    pub body: Arc<SchemaBody>,
    pub deleted: bool,
    pub guid: crate::guid::Guid,
    /// When the version's record was written (Confluent 8's `ts`), if known.
    pub ts: Option<i64>,
}

/// A schema read by ID (or GUID), with the version Confluent reads it from.
#[derive(Debug, Clone)]
pub struct IdView {
    pub body: Arc<SchemaBody>,
    pub guid: crate::guid::Guid,
    /// The highest ID of the context (`fetchMaxId`).
    pub max_id: i32,
    pub context: String,
    /// The qualified subject and version the answer is read from.
    pub subject: String,
    pub version: i32,
    pub deleted: bool,
    pub ts: Option<i64>,
}

/// What a registration answers: the version (Confluent 8 answers it whole, with its GUID).
#[derive(Debug, Clone)]
pub struct Registered {
    pub version: VersionView,
    /// Whether Confluent answers the stored entity (then with `ts` and `deleted`) rather than
    /// a copy of the request: an existing version whose metadata differs from what was sent,
    /// or an explicit version matched in IMPORT mode (8.3.1 `KafkaSchemaRegistry.register`
    /// and `registerOrForward`).
    pub stored: bool,
}

impl Registered {
    pub fn id(&self) -> i32 {
        self.version.id
    }
}

/// A config update as sent (`None` = not given).
#[derive(Debug, Clone, Default)]
pub struct ConfigUpdate {
    pub compatibility: Option<String>,
    pub value: ConfigValue,
    /// Fields given as an explicit JSON `null`: 8.x clears them (`ConfigUpdateRequest`'s
    /// `Optional` fields, `ConfigValue.update`); absent ones are kept.
    pub cleared: Vec<&'static str>,
}

/// Result of a compatibility check.
#[derive(Debug, Clone)]
pub struct CompatResult {
    pub compatible: bool,
    pub messages: Vec<String>,
}

/// Counts of the index, read under one short read lock (`Registry::counts`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
    /// Schema IDs per (context, schema type), e.g. `(".", "AVRO")`.
    pub schemas_by_type: std::collections::BTreeMap<(String, &'static str), usize>,
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
    /// Registrations appended and not yet applied (`pipeline.rs`), and how many.
    in_flight: std::sync::Mutex<pipeline::InFlight>,
    in_flight_count: watch::Sender<usize>,
    /// This node, when the log is shared (Kafka): who it is and whether it may lead.
    node: Option<NodeConfig>,
    /// The leader epoch the current holder of the writer lock writes under (-1: none).
    fence: AtomicI64,
    /// `--read-only`: this node serves a log another registry writes (a mirrored topic) and
    /// refuses every write with 42205.
    read_only: bool,
    /// Whether modes may be changed through the API (Confluent's mode.mutability).
    mode_mutable: bool,
    /// Whether registering under an empty subject name (`:.ctx:`) is refused (Confluent
    /// 8.3's schema.reject.empty.subject).
    reject_empty_subject: bool,
    /// schema.validate.new.schemas (`None`: 7.9's rule).
    validate_new_default: Option<bool>,
    /// The cluster's name (Confluent's schema.registry.group.id).
    group_id: String,
    /// Fetch-through (`--upstream-url`): the fetched schemas' context and MM2's prefix.
    upstream: Option<UpstreamNames>,
    /// `--local-id-floor`: the smallest ID this registry gives its own new schemas (0: none).
    local_id_floor: i32,
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
        let (backlog, rx) = store.follow().await?;
        let started = std::time::Instant::now();
        let (ix, count) = tokio::task::spawn_blocking(move || replay_backlog(backlog))
            .await
            .map_err(|e| RegistryError::Store(format!("the replay stopped: {e}")))??;
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
            in_flight: Default::default(),
            in_flight_count: watch::Sender::new(0),
            node: node.filter(|_| store_shared && !read_only),
            fence: AtomicI64::new(-1),
            read_only,
            mode_mutable: true,
            reject_empty_subject: false,
            validate_new_default: None,
            group_id: "schema-registry".into(),
            upstream: None,
            local_id_floor: 0,
        })
    }

    /// Sets the operator's policies: whether modes may change (mode.mutability) and the
    /// cluster's name (schema.registry.group.id).
    pub fn with_policy(mut self, mode_mutable: bool, group_id: String) -> Registry {
        self.mode_mutable = mode_mutable;
        self.group_id = group_id;
        self
    }

    /// Sets schema.reject.empty.subject.
    pub fn rejecting_empty_subjects(mut self, reject: bool) -> Registry {
        self.reject_empty_subject = reject;
        self
    }

    /// Sets schema.validate.new.schemas (`None`: 7.9's rule).
    pub fn validating_new_schemas(mut self, validate: Option<bool>) -> Registry {
        self.validate_new_default = validate;
        self
    }

    /// The cluster's name, for `/v1/metadata/id`.
    pub fn group_id(&self) -> &str {
        &self.group_id
    }

    fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
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

    /// Whether this node may write to the DEK registry's log now: not on a `--read-only`
    /// node (42205), and only as the leader (a follower's write goes to the leader:
    /// `NotLeader`, which the HTTP layer forwards; 50004 while no leader is known).
    pub fn may_write_keys(&self) -> Result<()> {
        if self.read_only {
            return Err(read_only_error());
        }
        match self.role() {
            Role::Leader(_) => Ok(()),
            Role::Follower(url) => Err(RegistryError::NotLeader(url)),
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
        for (name, ctx) in &ix.contexts {
            for e in ctx.ids.values() {
                *c.schemas_by_type
                    .entry((name.clone(), e.body.schema_type.as_str()))
                    .or_default() += 1;
            }
        }
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

    pub fn validate_subject(subject: &str) -> Result<()> {
        if subject.len() > MAX_SUBJECT_LEN || subject.chars().any(|c| c.is_control()) {
            return Err(RegistryError::InvalidSubject(subject.to_string()));
        }
        Ok(())
    }

    fn view(subject: &str, version: i32, e: &VersionEntry) -> VersionView {
        VersionView {
            subject: subject.to_string(),
            version,
            id: e.id,
            body: e.body.clone(),
            deleted: e.deleted,
            guid: e.guid,
            ts: e.ts,
        }
    }
}

/// The next message of a backlog; a backlog that stops without its end marker fails.
fn next_item(backlog: &mut Backlog) -> Result<BacklogItem> {
    match backlog.blocking_recv() {
        Some(item) => Ok(item?),
        None => Err(RegistryError::Store(
            "the store stopped before its whole log was read".into(),
        )),
    }
}

/// A backlog chunk decoded ahead of the index (`replay_backlog`).
enum Ready {
    Records(Vec<(LogEntry, Decoded)>),
    Restart,
    End,
}

/// Builds the index from the records a store held at start-up, in order; runs on a
/// blocking thread. A backlog longer than a chunk is decoded on a second thread a chunk
/// ahead of the index applying it (decoding and hashing are about half the work), while the
/// store reads on: the bounded hand-offs keep at most a few chunks in memory at once. A
/// restart ([`BacklogItem::Restart`]) drops what was applied and begins again.
fn replay_backlog(mut backlog: Backlog) -> Result<(Index, usize)> {
    let mut ix = Index::new();
    let mut count = 0;
    let first = loop {
        match next_item(&mut backlog)? {
            BacklogItem::End => return Ok((ix, 0)),
            BacklogItem::Restart => {}
            BacklogItem::Records(c) => break c,
        }
    };
    if first.len() < BACKLOG_CHUNK {
        // All of it fits in a chunk: not worth a thread.
        let mut chunk = first;
        loop {
            count += chunk.len();
            for e in chunk {
                ix.apply_entry(&e);
            }
            chunk = loop {
                match next_item(&mut backlog)? {
                    BacklogItem::Records(c) => break c,
                    BacklogItem::Restart => (ix, count) = (Index::new(), 0),
                    BacklogItem::End => return Ok((ix, count)),
                }
            };
        }
    }
    let decode = |chunk: Vec<LogEntry>| -> Vec<(LogEntry, Decoded)> {
        chunk
            .into_iter()
            .map(|mut e| {
                let d = Decoded::new(&e.record);
                // The index reads only whether a record has a value: the bytes are freed
                // here, off the applying thread.
                if let Some(v) = e.record.value.as_mut() {
                    *v = Vec::new();
                }
                (e, d)
            })
            .collect()
    };
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Ready>>(2);
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("replay-decode".into())
            .spawn_scoped(s, move || {
                let mut next = Some(first);
                loop {
                    let item = match next.take() {
                        Some(c) => Ok(BacklogItem::Records(c)),
                        None => next_item(&mut backlog),
                    };
                    let (msg, last) = match item {
                        Ok(BacklogItem::Records(c)) => (Ok(Ready::Records(decode(c))), false),
                        Ok(BacklogItem::Restart) => (Ok(Ready::Restart), false),
                        Ok(BacklogItem::End) => (Ok(Ready::End), true),
                        Err(e) => (Err(e), true),
                    };
                    if tx.send(msg).is_err() || last {
                        break;
                    }
                }
            })
            .map_err(|e| {
                RegistryError::Store(format!("cannot start a thread to replay on: {e}"))
            })?;
        loop {
            match rx.recv() {
                Ok(Ok(Ready::Records(chunk))) => {
                    count += chunk.len();
                    for (e, d) in chunk {
                        ix.apply_decoded(&e, d);
                    }
                }
                Ok(Ok(Ready::Restart)) => (ix, count) = (Index::new(), 0),
                Ok(Ok(Ready::End)) => return Ok(()),
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    return Err(RegistryError::Store(
                        "the replay's decoding thread stopped".into(),
                    ))
                }
            }
        }
    })?;
    Ok((ix, count))
}

//! The Kafka store: the record log is the compacted, single-partition `_schemas` topic, read
//! and written through librdkafka (rdkafka). A local SQLite cache keeps the records already
//! applied and the offset they reach, so a restart reads only what came after.
//!
//! - Topic: created if missing (1 partition, `cleanup.policy=compact`, replication factor
//!   capped at the number of brokers); an existing topic with more partitions or another
//!   cleanup policy is refused, as Confluent does.
//! - Writes: an idempotent producer with `acks=all` to partition 0; `append` returns the
//!   offsets the broker assigned and the registry answers once its own reader applied them.
//! - Reads: one consumer thread, `assign`ed to partition 0 (no consumer group), hands every
//!   record in order to the replay loop and to the cache writer.
//! - End of log: a NOOP record (null value), as Confluent's `KafkaStore` writes one, tells a
//!   node that does not know its last write where the log ends right now. A read-only node
//!   (a mirrored topic) writes nothing and has no producer: it asks for the high watermark.

use super::sqlite::{CacheMeta, OpenError, SqliteStore};
use super::{
    now_ms, Backlog, BacklogItem, BacklogSender, LogEntry, RawRecord, Store, StoreError,
    StoreFuture,
};
use crate::store::record::{self, Key, Record};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// `segment.ms` of a topic the registry creates (1 hour).
const SEGMENT_MS: &str = "3600000";
/// The record header carrying the leader epoch a record was written under.
pub const EPOCH_HEADER: &str = "sr-leader-epoch";
/// Kafka's default `delete.retention.ms` (24 h), used when the broker does not report it.
const DEFAULT_DELETE_RETENTION_MS: i64 = 24 * 60 * 60 * 1000;
/// How long broker metadata and admin calls may take at start.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(15);
/// How often the reader asks for the end of the log (readiness), and for how long at most.
const WATERMARK_EVERY: Duration = Duration::from_secs(5);
const WATERMARK_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the cache writer waits before saving again after a failed save.
const CACHE_RETRY_AFTER: Duration = Duration::from_secs(1);
/// Bytes of records the cache writer holds while saves fail before it gives up on the cache.
const CACHE_MAX_PENDING_BYTES: usize = 256 << 20;
/// How often the cache writer flushes what the reader saw.
const CACHE_FLUSH_EVERY: Duration = Duration::from_millis(200);

/// Settings of the Kafka store.
#[derive(Debug, Clone)]
pub struct KafkaSettings {
    pub bootstrap: Vec<String>,
    pub topic: String,
    /// librdkafka properties passed through (security.protocol, sasl.*, ssl.*, …).
    pub properties: Vec<(String, String)>,
    /// Wanted replication factor of a topic we create (capped at the broker count).
    pub replication_factor: i32,
    /// The local cache file; `None` disables the cache (every start replays the topic).
    pub cache: Option<PathBuf>,
    /// How long a write may wait for the broker before it fails.
    pub write_timeout: Duration,
    /// Never write to the topic (a mirrored log): no producer is created, the topic must
    /// exist, and the end of the log is found from the partition's high watermark.
    pub read_only: bool,
    /// Find the end of the log by writing a NOOP marker (`_schemas`, as Confluent does);
    /// `false`: from the high watermark, for topics whose other readers know no NOOP key
    /// (`_dek_registry_keys`).
    pub end_markers: bool,
}

fn backend<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn read_only_refusal() -> StoreError {
    StoreError::Backend("the store is read-only: nothing is written to the topic".into())
}

pub struct KafkaStore {
    settings: KafkaSettings,
    /// Identity of the log, kept in the cache so a cache of another cluster/topic is not used.
    source: String,
    /// `None` when read-only.
    producer: Option<StdMutex<TopicProducer>>,
    /// Writes the NOOP end-of-log markers. Not idempotent: a duplicate marker is harmless,
    /// and it is ready at once, while the idempotent producer's ID handshake (hundreds of
    /// ms) runs in the background during start-up. `None` when read-only.
    marker_producer: Option<TopicProducer>,
    cache: Option<Arc<SqliteStore>>,
    /// Where the records the index accepted go to be cached, and the cache's checkpoint at
    /// start (records up to it came from the cache itself).
    cache_feed: CacheFeed,
    delete_retention_ms: i64,
    /// The cache's records, being read since the store opened (see [`EarlyCache`]).
    early: StdMutex<Option<EarlyCache>>,
    stop: Arc<AtomicBool>,
    /// The idempotent producer's last write failed or timed out.
    producer_failed: AtomicBool,
    /// Last offset of the topic as the reader last saw it (-1: empty or not known yet).
    log_end: Arc<AtomicI64>,
    /// The consumer [`KafkaStore::high_watermark`] asks, made on first use and kept (a
    /// follower asks at each forwarded key write); dropped after a failure.
    watermarks: Arc<StdMutex<Option<TopicConsumer>>>,
}

/// Where the records the index accepted go to be cached, and the cache's checkpoint at start.
type CacheFeed = Arc<StdMutex<Option<(mpsc::UnboundedSender<LogEntry>, i64)>>>;

/// An early cache read under way: its task, and what the cache said of itself before.
type EarlyRead = (
    tokio::task::JoinHandle<Result<(), StoreError>>,
    CacheMeta,
    Option<LogEntry>,
);

/// A cache read started as the store opens, before the topic is checked: its records reach
/// the replay while the topic checks run; a cache found unusable then is forgotten
/// ([`BacklogItem::Restart`]).
struct EarlyCache {
    out: BacklogSender,
    backlog: Backlog,
    reading: tokio::task::JoinHandle<Result<(), StoreError>>,
    /// What the cache said of itself before the read: its checkpoint and the record there.
    meta: CacheMeta,
    last: Option<LogEntry>,
}

impl KafkaStore {
    /// Connects, checks or creates the topic, and opens the cache (and starts reading it).
    pub async fn open(settings: KafkaSettings) -> Result<KafkaStore, StoreError> {
        let cache = match &settings.cache {
            Some(path) => match SqliteStore::open_cache(path).await {
                Ok(c) => Some(Arc::new(c)),
                // Another node of this host uses it: this one replays the topic at each
                // start instead of dying.
                Err(OpenError::Locked(why)) => {
                    tracing::warn!(cache = %path.display(), reason = %why, "local cache in use by another process: running without it (--kafka-cache)");
                    None
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let early = match &cache {
            Some(c) => {
                let meta = c.meta().await?;
                if meta.checkpoint >= 0 {
                    let last = c.row_at(meta.checkpoint).await?;
                    let (out, backlog) = mpsc::channel(64);
                    let reading = c.read_cached(out.clone()).await;
                    Some(EarlyCache {
                        out,
                        backlog,
                        reading,
                        meta,
                        last,
                    })
                } else {
                    None
                }
            }
            None => None,
        };
        // A metadata request may otherwise create the topic with the broker's defaults.
        let admin: AdminClient<Quiet> = base_config(&settings)
            .set("allow.auto.create.topics", "false")
            .create_with_context(Quiet::default())
            .map_err(backend)?;
        let topic = settings.topic.clone();
        let delete_retention_ms = ensure_topic(&admin, &settings).await?;
        let (producer, marker_producer) = if settings.read_only {
            (None, None)
        } else {
            (
                Some(StdMutex::new(make_producer(&settings, true)?)),
                Some(make_producer(&settings, false)?),
            )
        };
        // Destroying a librdkafka client waits for its threads (about 100 ms): not on the
        // start's path.
        tokio::task::spawn_blocking(move || drop(admin));
        let source = format!("kafka://{}/{}", settings.bootstrap.join(","), topic);
        Ok(KafkaStore {
            settings,
            source,
            producer,
            marker_producer,
            cache,
            cache_feed: Arc::new(StdMutex::new(None)),
            delete_retention_ms,
            early: StdMutex::new(early),
            stop: Arc::new(AtomicBool::new(false)),
            log_end: Arc::new(AtomicI64::new(-1)),
            watermarks: Arc::new(StdMutex::new(None)),
            producer_failed: AtomicBool::new(false),
        })
    }

    fn producer(&self) -> Result<TopicProducer, StoreError> {
        let mut p = self
            .producer
            .as_ref()
            .ok_or_else(read_only_refusal)?
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // An idempotent producer that hit a fatal error is unusable: start a new one.
        if let Some((code, reason)) = p.client().fatal_error() {
            tracing::warn!(?code, %reason, "producer hit a fatal error; creating a new one");
            *p = make_producer(&self.settings, true)?;
        } else if self.producer_failed.swap(false, Ordering::AcqRel) {
            // The last write failed or timed out, its outcome unknown (the registry finds
            // the end of the log with a NOOP before it plans again). The next write goes
            // through a new producer with a new producer ID instead of this one, whose
            // sequence state the broker may have lost (a restart) and which librdkafka
            // repairs after a batch timed out in flight by bumping the producer epoch
            // locally (KIP-360). Apache Kafka accepts that bump; tansu 0.6.0's sqlite engine
            // panics on it and then fails every produce of every client until it restarts
            // (the broker-outage test's "Unknown broker error"). A new producer ID is valid
            // on any broker and costs one InitProducerId after a failed write.
            tracing::warn!("the last write failed; creating a new producer");
            *p = make_producer(&self.settings, true)?;
        }
        Ok(p.clone())
    }
}

/// What the start of the reading needs of the store, owned: the topic checks run in a task
/// of their own while the cached records are replayed.
struct Start {
    settings: KafkaSettings,
    source: String,
    delete_retention_ms: i64,
    cache: Option<Arc<SqliteStore>>,
    cache_feed: CacheFeed,
    stop: Arc<AtomicBool>,
    log_end: Arc<AtomicI64>,
}

impl Start {
    /// Waits for the early cache read, decides where reading starts, starts the cache
    /// writer and the reader. `Ok(true)`: the cached records stand.
    async fn run(
        self,
        consumer: TopicConsumer,
        early: Option<EarlyRead>,
        tx: mpsc::UnboundedSender<LogEntry>,
    ) -> Result<bool, StoreError> {
        let checkpoint = match (&self.cache, early) {
            (Some(cache), Some((reading, meta, last))) => {
                reading
                    .await
                    .map_err(backend)?
                    .map_err(|e| backend(format!("cannot read the local cache: {e}")))?;
                self.plan(&consumer, cache, meta, last).await?
            }
            _ => -1,
        };
        let from = if checkpoint >= 0 {
            Offset::Offset(checkpoint + 1)
        } else {
            Offset::Beginning
        };
        assign(&consumer, &self.settings.topic, from)?;
        if let Some(c) = &self.cache {
            let (ctx, crx) = mpsc::unbounded_channel();
            tokio::spawn(cache_writer(c.clone(), self.source.clone(), crx));
            *self.cache_feed.lock().unwrap_or_else(|p| p.into_inner()) = Some((ctx, checkpoint));
        }
        let (stop, log_end, topic) = (self.stop, self.log_end, self.settings.topic);
        std::thread::Builder::new()
            .name("kafka-reader".into())
            .spawn(move || reader(consumer, &topic, tx, stop, log_end))
            .map_err(backend)?;
        Ok(checkpoint >= 0)
    }

    /// Decides where reading starts: after the cached checkpoint when the cache is still a
    /// faithful prefix of the topic, else from the beginning (the cache is emptied).
    async fn plan(
        &self,
        consumer: &TopicConsumer,
        cache: &SqliteStore,
        meta: CacheMeta,
        last: Option<LogEntry>,
    ) -> Result<i64, StoreError> {
        let checkpoint = meta.checkpoint;
        if checkpoint < 0 {
            return Ok(-1);
        }
        let (low, high) = consumer
            .fetch_watermarks(&self.settings.topic, 0, ADMIN_TIMEOUT)
            .map_err(backend)?;
        let age = now_ms() - meta.saved_at_ms;
        let reason = if meta.source != self.source {
            Some(format!("the cache belongs to {}", meta.source))
        } else if checkpoint >= high {
            Some(format!(
                "the topic ends at offset {high} but the cache reached {checkpoint} (topic recreated or truncated)"
            ))
        } else if low > checkpoint + 1 {
            Some(format!(
                "the log now starts at offset {low}, past the cache's offset {checkpoint}"
            ))
        } else if age > self.delete_retention_ms {
            Some(format!(
                "the cache is {} s old, older than the topic's delete.retention.ms ({} ms): tombstones may be gone",
                age / 1000,
                self.delete_retention_ms
            ))
        } else {
            match last {
                None => Some("the cache has no record at its checkpoint".to_string()),
                Some(last) => match read_one(consumer, &self.settings.topic, checkpoint)? {
                    Some(found) if found.offset == checkpoint && found.record == last.record => {
                        None
                    }
                    _ => Some(format!(
                        "the record at offset {checkpoint} differs from the cached one (topic recreated)"
                    )),
                },
            }
        };
        match reason {
            None => {
                tracing::info!(checkpoint, "warm start from the local cache");
                Ok(checkpoint)
            }
            Some(why) => {
                tracing::warn!(reason = %why, "local cache not usable: full replay of the topic");
                cache.clear().await?;
                Ok(-1)
            }
        }
    }
}

/// Routes librdkafka's logs and errors to tracing, at warn, each distinct message at most
/// once per [`REPEAT_QUIET`] (a broker outage otherwise logs the same lines every second).
#[derive(Default)]
pub struct Quiet {
    seen: StdMutex<std::collections::HashMap<String, Instant>>,
}

const REPEAT_QUIET: Duration = Duration::from_secs(30);

impl Quiet {
    fn fresh(&self, text: &str) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if seen.len() > 1024 {
            seen.retain(|_, at| now.duration_since(*at) < REPEAT_QUIET);
        }
        match seen.get(text) {
            Some(at) if now.duration_since(*at) < REPEAT_QUIET => false,
            _ => {
                seen.insert(text.to_string(), now);
                true
            }
        }
    }
}

impl ClientContext for Quiet {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        use RDKafkaLogLevel::*;
        match level {
            Emerg | Alert | Critical | Error | Warning => {
                if self.fresh(message) {
                    tracing::warn!(target: "librdkafka", facility = fac, "{message}");
                }
            }
            _ => tracing::debug!(target: "librdkafka", facility = fac, "{message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        let text = format!("{error}: {reason}");
        if self.fresh(&text) {
            tracing::warn!(target: "librdkafka", "{text}");
        }
    }
}

impl ConsumerContext for Quiet {}

type TopicProducer = FutureProducer<Quiet>;
type TopicConsumer = BaseConsumer<Quiet>;

fn base_config(settings: &KafkaSettings) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", settings.bootstrap.join(","));
    for (k, v) in &settings.properties {
        c.set(k, v);
    }
    c
}

fn make_producer(settings: &KafkaSettings, idempotent: bool) -> Result<TopicProducer, StoreError> {
    let mut c = base_config(settings);
    c.set("acks", "all")
        .set("enable.idempotence", idempotent.to_string())
        .set("linger.ms", "0")
        .set(
            "message.timeout.ms",
            settings.write_timeout.as_millis().max(1).to_string(),
        );
    c.create_with_context(Quiet::default()).map_err(backend)
}

fn make_consumer(settings: &KafkaSettings) -> Result<TopicConsumer, StoreError> {
    let mut c = base_config(settings);
    // No consumer group: the partition is assigned, offsets are ours (the cache).
    c.set("group.id", "schema-registry-reader")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false")
        .set("fetch.wait.max.ms", "100")
        // Large fetches: a cold start reads the whole topic.
        .set("max.partition.fetch.bytes", "16777216")
        .set("allow.auto.create.topics", "false");
    c.create_with_context(Quiet::default()).map_err(backend)
}

fn assign(consumer: &TopicConsumer, topic: &str, from: Offset) -> Result<(), StoreError> {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, from).map_err(backend)?;
    consumer.assign(&tpl).map_err(backend)
}

fn to_entry(m: &rdkafka::message::BorrowedMessage<'_>) -> LogEntry {
    let epoch = m.headers().and_then(|hs| {
        hs.iter()
            .find(|h| h.key == EPOCH_HEADER)
            .and_then(|h| h.value)
            .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
    });
    LogEntry {
        epoch,
        ts: m.timestamp().to_millis(),
        offset: m.offset(),
        record: RawRecord {
            key: m.key().map(<[u8]>::to_vec).unwrap_or_default(),
            value: m.payload().map(<[u8]>::to_vec),
        },
    }
}

/// Reads the record at `offset` (or the first one after it, if compaction removed it).
fn read_one(
    consumer: &TopicConsumer,
    topic: &str,
    offset: i64,
) -> Result<Option<LogEntry>, StoreError> {
    assign(consumer, topic, Offset::Offset(offset))?;
    let deadline = Instant::now() + ADMIN_TIMEOUT;
    while Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => return Ok(Some(to_entry(&m))),
            Some(Err(e)) => tracing::debug!(error = %e, "reading the checkpoint record"),
            None => {}
        }
    }
    Ok(None)
}

/// Checks the topic, creating it when missing. Returns its `delete.retention.ms`.
async fn ensure_topic(
    admin: &AdminClient<Quiet>,
    settings: &KafkaSettings,
) -> Result<i64, StoreError> {
    let topic = settings.topic.as_str();
    let md = admin
        .inner()
        .fetch_metadata(Some(topic), ADMIN_TIMEOUT)
        .map_err(|e| {
            backend(format!(
                "cannot reach the Kafka cluster at {}: {e}",
                settings.bootstrap.join(",")
            ))
        })?;
    let brokers = md.brokers().len().max(1) as i32;
    let exists = md
        .topics()
        .iter()
        .any(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty());
    let opts = AdminOptions::new().operation_timeout(Some(ADMIN_TIMEOUT));
    if !exists && settings.read_only {
        return Err(backend(format!(
            "the topic {topic} does not exist, and a read-only registry does not create it \
             (start it once the mirror has created the topic)"
        )));
    }
    if !exists {
        let mut rf = settings.replication_factor.max(1);
        if rf > brokers {
            tracing::warn!(
                wanted = rf,
                brokers,
                "replication factor capped at the number of brokers"
            );
            rf = brokers;
        }
        let new = NewTopic::new(topic, 1, TopicReplication::Fixed(rf))
            .set("cleanup.policy", "compact")
            // Compaction never touches the active segment; rolling it hourly keeps the
            // leader's lease renewals (one key) from piling up for Kafka's default week.
            .set("segment.ms", SEGMENT_MS);
        let results = admin.create_topics([&new], &opts).await.map_err(backend)?;
        for r in results {
            match r {
                Ok(_) => tracing::info!(topic, replication_factor = rf, "created the topic"),
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((name, code)) => {
                    return Err(backend(format!("cannot create topic {name}: {code}")))
                }
            }
        }
    }
    // Partition count, from fresh metadata.
    let md = admin
        .inner()
        .fetch_metadata(Some(topic), ADMIN_TIMEOUT)
        .map_err(backend)?;
    let partitions = md
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .map_or(0, |t| t.partitions().len());
    if partitions != 1 {
        return Err(backend(format!(
            "The schema topic {topic} should have only 1 partition but has {partitions}."
        )));
    }
    let described = admin
        .describe_configs([&ResourceSpecifier::Topic(topic)], &opts)
        .await
        .map_err(backend)?;
    let resource = described
        .into_iter()
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| {
            backend(format!(
                "cannot describe the configuration of topic {topic}"
            ))
        })?;
    let value = |name: &str| resource.get(name).and_then(|e| e.value.clone());
    // An absent entry is the broker default, which is `delete` in Kafka.
    let policy = value("cleanup.policy").unwrap_or_else(|| "delete".into());
    if !policy.split(',').any(|p| p.trim() == "compact") || policy.contains("delete") {
        return Err(backend(format!(
            "The retention policy of the schema topic {topic} is incorrect ({policy}). \
             You must configure the topic to 'compact' cleanup policy to avoid Kafka \
             deleting your schemas after a week."
        )));
    }
    Ok(value("delete.retention.ms")
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_DELETE_RETENTION_MS))
}

/// Writes what the reader saw to the cache, in batches, checkpoint last.
async fn cache_writer(
    cache: Arc<SqliteStore>,
    source: String,
    mut rx: mpsc::UnboundedReceiver<LogEntry>,
) {
    let mut batch = Vec::new();
    while let Some(first) = rx.recv().await {
        batch.push(first);
        let until = tokio::time::Instant::now() + CACHE_FLUSH_EVERY;
        loop {
            tokio::select! {
                more = rx.recv() => match more {
                    Some(e) => batch.push(e),
                    None => break,
                },
                _ = tokio::time::sleep_until(until) => break,
            }
            if batch.len() >= 10_000 {
                break;
            }
        }
        match cache.save(&batch, &source, now_ms()).await {
            Ok(()) => {
                tracing::debug!(
                    records = batch.len(),
                    checkpoint = batch.last().map_or(-1, |e| e.offset),
                    "local cache updated"
                );
                batch.clear();
            }
            // The batch is kept and saved again with the next one: dropping it would leave
            // a hole under a later checkpoint, and a warm start would then miss records.
            Err(e)
                if batch
                    .iter()
                    .map(|e| e.record.key.len() + e.record.value.as_ref().map_or(0, Vec::len))
                    .sum::<usize>()
                    < CACHE_MAX_PENDING_BYTES =>
            {
                tracing::warn!(error = %e, pending = batch.len(), "cannot update the local cache (will retry)");
                tokio::time::sleep(CACHE_RETRY_AFTER).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "giving up on the local cache for this run: it stays at its last checkpoint and the next start reads the rest from the topic");
                return;
            }
        }
    }
}

impl Store for KafkaStore {
    fn append(&self, records: Vec<RawRecord>, fence: Option<i64>) -> StoreFuture<'_, Vec<i64>> {
        Box::pin(async move {
            // Leadership records and markers repeat harmlessly: they go through the
            // non-idempotent producer, which never waits for a producer-ID handshake and
            // keeps no sequence state a restarted broker could have lost.
            let markers = records.iter().all(|r| {
                r.key.starts_with(br#"{"keytype":"LEADERSHIP""#)
                    || r.key.starts_with(br#"{"keytype":"NOOP""#)
            });
            if markers {
                let marker = self
                    .marker_producer
                    .as_ref()
                    .ok_or_else(read_only_refusal)?;
                return self.send(marker, records, fence).await;
            }
            let producer = self.producer()?;
            let started = std::time::Instant::now();
            let sent = self.send(&producer, records, fence).await;
            crate::metrics::STORE.appended(started.elapsed());
            if sent.is_err() {
                // Whatever failed (a timeout included), a new producer takes over at once
                // (see `producer()`), and the old one is dropped, its queue purged, before
                // the broker can see any more of its batches.
                self.producer_failed.store(true, Ordering::Release);
                let _ = self.producer();
                tokio::task::spawn_blocking(move || drop(producer));
            }
            sent
        })
    }

    fn follow(&self) -> StoreFuture<'_, (Backlog, mpsc::UnboundedReceiver<LogEntry>)> {
        Box::pin(async move {
            let consumer = make_consumer(&self.settings)?;
            let early = self.early.lock().unwrap_or_else(|p| p.into_inner()).take();
            let (out, backlog, early) = match early {
                Some(e) => (e.out, e.backlog, Some((e.reading, e.meta, e.last))),
                None => {
                    let (out, backlog) = mpsc::channel(4);
                    (out, backlog, None)
                }
            };
            let (tx, rx) = mpsc::unbounded_channel();
            let start = Start {
                settings: self.settings.clone(),
                source: self.source.clone(),
                delete_retention_ms: self.delete_retention_ms,
                cache: self.cache.clone(),
                cache_feed: self.cache_feed.clone(),
                stop: self.stop.clone(),
                log_end: self.log_end.clone(),
            };
            // The cached records already stream to the replay; the topic is checked
            // meanwhile, and the backlog ends (or restarts, the cache unusable) after.
            tokio::spawn(async move {
                let read_early = early.is_some();
                let last = match start.run(consumer, early, tx).await {
                    Ok(true) => Ok(BacklogItem::End),
                    Ok(false) => {
                        if read_early && out.send(Ok(BacklogItem::Restart)).await.is_err() {
                            return;
                        }
                        Ok(BacklogItem::End)
                    }
                    Err(e) => Err(e),
                };
                let _ = out.send(last).await;
            });
            Ok((backlog, rx))
        })
    }

    fn applied(&self, entries: Vec<(LogEntry, bool)>) {
        let feed = self.cache_feed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((tx, from)) = feed.as_ref() {
            for (e, accepted) in entries {
                if accepted && e.offset > *from {
                    // A closed writer gave up on the cache for this run (it logged why).
                    let _ = tx.send(e);
                }
            }
        }
    }

    fn end_of_log(&self) -> StoreFuture<'_, i64> {
        Box::pin(async move {
            let marker = match &self.marker_producer {
                Some(m) if self.settings.end_markers => m,
                _ => return self.high_watermark().await,
            };
            let noop = record::encode(&Record {
                key: Key::Noop,
                value: None,
            });
            let offsets = self.send(marker, vec![noop], None).await?;
            Ok(offsets.last().copied().unwrap_or(-1))
        })
    }

    fn shared(&self) -> bool {
        true
    }

    fn log_end_hint(&self) -> Option<i64> {
        Some(self.log_end.load(Ordering::Acquire))
    }

    fn write_timeout(&self) -> Duration {
        self.settings.write_timeout
    }

    fn describe(&self) -> String {
        self.source.clone()
    }
}

impl KafkaStore {
    /// The offset of the last record in the partition (high watermark - 1), where no NOOP
    /// marker is written: a read-only node, and the DEK registry's topic. Unlike the
    /// marker, it is not ordered with the writes of other nodes in flight, which neither
    /// needs (a read-only node writes nothing; the key log's writes are the leader's,
    /// acknowledged by all in-sync replicas, so below the high watermark once answered).
    async fn high_watermark(&self) -> Result<i64, StoreError> {
        let (settings, cached) = (self.settings.clone(), self.watermarks.clone());
        tokio::task::spawn_blocking(move || {
            let mut slot = cached.lock().unwrap_or_else(|p| p.into_inner());
            let consumer = match slot.take() {
                Some(c) => c,
                None => {
                    let mut c = base_config(&settings);
                    c.set("allow.auto.create.topics", "false");
                    c.create_with_context(Quiet::default()).map_err(backend)?
                }
            };
            let (_, high) = consumer
                .fetch_watermarks(&settings.topic, 0, ADMIN_TIMEOUT)
                .map_err(|e| backend(format!("cannot find the end of the topic: {e}")))?;
            *slot = Some(consumer);
            Ok(high - 1)
        })
        .await
        .map_err(backend)?
    }

    /// Sends records to partition 0 and returns their offsets.
    async fn send(
        &self,
        producer: &TopicProducer,
        records: Vec<RawRecord>,
        fence: Option<i64>,
    ) -> Result<Vec<i64>, StoreError> {
        let epoch_text = fence.map(|e| e.to_string());
        {
            let topic = self.settings.topic.as_str();
            // Enqueue everything first (one idempotent producer keeps the order), then wait
            // for each acknowledgement.
            let mut pending = Vec::with_capacity(records.len());
            for r in &records {
                let mut rec: FutureRecord<'_, [u8], [u8]> =
                    FutureRecord::to(topic).partition(0).key(r.key.as_slice());
                if let Some(v) = &r.value {
                    rec = rec.payload(v.as_slice());
                }
                if let Some(e) = &epoch_text {
                    rec = rec.headers(OwnedHeaders::new().insert(Header {
                        key: EPOCH_HEADER,
                        value: Some(e.as_str()),
                    }));
                }
                match producer.send_result(rec) {
                    Ok(f) => pending.push(f),
                    Err((e, _)) => return Err(backend(format!("write to Kafka failed: {e}"))),
                }
            }
            let mut offsets = Vec::with_capacity(pending.len());
            for f in pending {
                // librdkafka fails a message after message.timeout.ms; this bound only guards
                // against a delivery report that never comes.
                let f =
                    tokio::time::timeout(self.settings.write_timeout + Duration::from_secs(5), f);
                let Ok(f) = f.await else {
                    return Err(StoreError::Timeout(format!(
                        "no acknowledgement from the Kafka cluster within {:?}",
                        self.settings.write_timeout
                    )));
                };
                match f {
                    Ok(Ok(d)) => offsets.push(d.offset),
                    Ok(Err((
                        KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut),
                        _,
                    ))) => {
                        return Err(StoreError::Timeout(format!(
                            "the write was not acknowledged by the Kafka cluster within {:?}",
                            self.settings.write_timeout
                        )))
                    }
                    Ok(Err((e, _))) => {
                        return Err(backend(format!("write to Kafka failed: {e}")));
                    }
                    Err(_) => return Err(backend("the Kafka producer shut down")),
                }
            }
            Ok(offsets)
        }
    }
}

impl Drop for KafkaStore {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(Ok(p)) = self.producer.as_ref().map(|p| p.lock()) {
            let _ = p.flush(Duration::from_secs(5));
        }
    }
}

/// The reader thread: polls the partition forever, in order, and hands records on.
fn reader(
    consumer: TopicConsumer,
    topic: &str,
    tx: mpsc::UnboundedSender<LogEntry>,
    stop: Arc<AtomicBool>,
    log_end: Arc<AtomicI64>,
) {
    let mut last_error: Option<(String, Instant)> = None;
    let mut next_watermark_check = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        if Instant::now() >= next_watermark_check {
            // How far the log goes, for readiness; a failed check keeps the last answer.
            if let Ok((_, high)) = consumer.fetch_watermarks(topic, 0, WATERMARK_TIMEOUT) {
                log_end.fetch_max(high - 1, Ordering::AcqRel);
            }
            next_watermark_check = Instant::now() + WATERMARK_EVERY;
        }
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Ok(m)) => {
                log_end.fetch_max(m.offset(), Ordering::AcqRel);
                if tx.send(to_entry(&m)).is_err() {
                    return;
                }
            }
            Some(Err(e)) => {
                // librdkafka retries and reconnects by itself; log each distinct error at most
                // every 10 s.
                let text = e.to_string();
                let repeat = matches!(&last_error, Some((t, at)) if *t == text && at.elapsed() < Duration::from_secs(10));
                if !repeat {
                    tracing::warn!(error = %text, "reading the schemas topic");
                    last_error = Some((text, Instant::now()));
                }
            }
        }
    }
}

//! Storage of the record log. A store appends records durably and hands every committed
//! record, in log order, to the single replay loop that builds the index.
//!
//! Backends are chosen by URL: `sqlite://PATH` (embedded, the default) and
//! `kafka://HOST:PORT[,…]/TOPIC` (the `_schemas` topic, with a local SQLite cache).

pub mod kafka;
pub mod record;
pub mod sqlite;

use std::future::Future;
use std::pin::Pin;
use tokio::sync::{mpsc, watch};

pub use record::RawRecord;

/// A record together with its position in the log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub offset: i64,
    pub record: RawRecord,
    /// The leader epoch the writer stamped on the record (Kafka header), if any.
    pub epoch: Option<i64>,
    /// When the record was written, ms since the Unix epoch (the embedded store's clock at
    /// the append, the Kafka record's timestamp); `None` when not known (older files).
    pub ts: Option<i64>,
}

/// The clock a record's `ts` comes from: ms since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Failures of the store; the registry maps them to 50001 / 50002.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store error: {0}")]
    Backend(String),
    #[error("store timed out: {0}")]
    Timeout(String),
}

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The records a log held when it was followed, in log order, in chunks of at most
/// [`BACKLOG_CHUNK`] sent while the rest is still being read, ended by
/// [`BacklogItem::End`] or an error. A backlog that stops without either was cut short.
pub type Backlog = mpsc::Receiver<Result<BacklogItem, StoreError>>;

/// Where a [`Backlog`] is sent from.
pub type BacklogSender = mpsc::Sender<Result<BacklogItem, StoreError>>;

/// One message of a [`Backlog`].
#[derive(Debug)]
pub enum BacklogItem {
    /// The next records, in log order.
    Records(Vec<LogEntry>),
    /// Forget every record sent so far: the store found them unusable after all (a Kafka
    /// cache read while the topic was checked, and not a prefix of it); what follows
    /// replaces them.
    Restart,
    /// Every record was sent.
    End,
}

/// The size of a [`Backlog`]'s chunks.
pub const BACKLOG_CHUNK: usize = 2048;

/// The log of records.
pub trait Store: Send + Sync {
    /// Appends records durably; returns the offset each one got, in order. `fence`: the
    /// leader epoch this node writes under, stamped on each record (Kafka).
    /// Committed records are also delivered to the follower (see [`Store::follow`]).
    fn append(&self, records: Vec<RawRecord>, fence: Option<i64>) -> StoreFuture<'_, Vec<i64>>;

    /// Starts following the log: returns everything already in it (its [`Backlog`], in
    /// order, possibly still being read) and a channel on which every later committed
    /// record arrives, in order, exactly once. May be called once.
    fn follow(&self) -> StoreFuture<'_, (Backlog, mpsc::UnboundedReceiver<LogEntry>)>;

    /// The offset of the last record in the log right now (-1 when empty). Records up to it
    /// reach the follower; a node is caught up once it applied them. Kafka finds it by
    /// writing a NOOP record, as Confluent does.
    fn end_of_log(&self) -> StoreFuture<'_, i64>;

    /// The records the index has just applied, in log order, each with its verdict (`true`:
    /// accepted; `false`: refused by fencing or the duplicate-ID guard). The Kafka store's
    /// cache keeps only accepted ones: a cached record is replayed later without the
    /// leadership records that refused it (compaction keeps one per key), so a refused one
    /// would be taken for valid. Default: dropped.
    fn applied(&self, _entries: Vec<(LogEntry, bool)>) {}

    /// The offset of the last record in the log as last seen by the reader, when the
    /// reader can lag behind the log (Kafka); `None` when every record is followed as it is
    /// appended (embedded).
    fn log_end_hint(&self) -> Option<i64> {
        None
    }

    /// How long a write may take, from the append to the record applied by this node;
    /// past it the write fails with 50002.
    fn write_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(30)
    }

    /// Whether several nodes may share this log (they then elect a leader that writes).
    fn shared(&self) -> bool {
        false
    }

    /// A short description for logs (no secrets).
    fn describe(&self) -> String;
}

// The store is used as a trait object; keep it object safe.
const _: Option<&dyn Store> = None;

/// Where the registry keeps its state, parsed from `--store`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Sqlite(std::path::PathBuf),
    Kafka {
        bootstrap: Vec<String>,
        topic: String,
    },
}

impl StoreUrl {
    pub fn parse(url: &str) -> Result<StoreUrl, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// URL needs a path, e.g. sqlite://./data/registry.db".into());
            }
            return Ok(StoreUrl::Sqlite(path.into()));
        }
        if let Some(rest) = url.strip_prefix("kafka://") {
            let (hosts, topic) = rest
                .split_once('/')
                .ok_or("kafka:// URL needs a topic: kafka://HOST:PORT[,HOST:PORT...]/TOPIC")?;
            if hosts.is_empty() || topic.is_empty() {
                return Err("kafka:// URL needs hosts and a topic".into());
            }
            return Ok(StoreUrl::Kafka {
                bootstrap: hosts.split(',').map(str::to_string).collect(),
                topic: topic.to_string(),
            });
        }
        Err(format!(
            "unsupported store URL {url:?}: expected sqlite://PATH or kafka://HOST:PORT/TOPIC"
        ))
    }
}

/// Waits until a log's apply loop (its last applied offset on `applied`) has reached
/// `offset`, at most the store's write timeout. `log` names the log in the errors.
pub async fn wait_applied(
    store: &dyn Store,
    applied: &watch::Receiver<i64>,
    offset: i64,
    log: &str,
) -> Result<(), StoreError> {
    let limit = store.write_timeout();
    let mut rx = applied.clone();
    let reached = async { rx.wait_for(|a| *a >= offset).await.map(|_| ()) };
    match tokio::time::timeout(limit, reached).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(StoreError::Backend(format!(
            "{log}: the replay loop stopped"
        ))),
        Err(_) => Err(StoreError::Timeout(format!(
            "{log} up to offset {offset} was not applied within {limit:?}"
        ))),
    }
}

/// Waits until a log's apply loop has applied the log up to its end as it is now.
pub async fn sync(
    store: &dyn Store,
    applied: &watch::Receiver<i64>,
    log: &str,
) -> Result<(), StoreError> {
    let end = store.end_of_log().await?;
    wait_applied(store, applied, end, log).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls() {
        assert_eq!(
            StoreUrl::parse("sqlite://./data/r.db"),
            Ok(StoreUrl::Sqlite("./data/r.db".into()))
        );
        assert_eq!(
            StoreUrl::parse("kafka://a:9092,b:9092/_schemas"),
            Ok(StoreUrl::Kafka {
                bootstrap: vec!["a:9092".into(), "b:9092".into()],
                topic: "_schemas".into()
            })
        );
        assert!(StoreUrl::parse("kafka://a:9092").is_err());
        assert!(StoreUrl::parse("postgres://x").is_err());
        assert!(StoreUrl::parse("sqlite://").is_err());
    }
}

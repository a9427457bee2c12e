//! The embedded store: the record log in one SQLite file, keyed like a compacted topic.

use super::{LogEntry, RawRecord, Store, StoreError, StoreFuture};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteLockingMode, SqliteSynchronous};
use sqlx::{Connection, Row, SqliteConnection};
use std::path::{Path, PathBuf};
use tokio::sync::{mpsc, Mutex};

struct Inner {
    conn: SqliteConnection,
    next_offset: i64,
    follower: Option<mpsc::UnboundedSender<LogEntry>>,
}

/// The SQLite-backed log. One connection, held exclusively: a second registry process on the
/// same file fails at start instead of allocating conflicting IDs.
pub struct SqliteStore {
    path: PathBuf,
    inner: Mutex<Inner>,
}

fn backend<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies the migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, SqliteSynchronous::Full).await
    }

    /// Opens the file as the Kafka store's cache: the log itself is durable in Kafka, so a
    /// commit need not reach the disk before the next one (`synchronous=NORMAL`; a crash
    /// loses at most the newest cache updates, which are read again from the topic).
    pub async fn open_cache(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, SqliteSynchronous::Normal).await
    }

    async fn open_with(path: &Path, sync: SqliteSynchronous) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| backend(format!("cannot create {}: {e}", dir.display())))?;
            }
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL for the embedded log: a commit is on disk before the registry answers.
            .synchronous(sync)
            .locking_mode(SqliteLockingMode::Exclusive)
            .busy_timeout(std::time::Duration::from_secs(5));
        let mut conn = SqliteConnection::connect_with(&opts)
            .await
            .map_err(|e| backend(format!("cannot open {}: {e}", path.display())))?;
        sqlx::migrate!("./migrations")
            .run(&mut conn)
            .await
            .map_err(|e| backend(format!("migrating {}: {e}", path.display())))?;
        let next_offset: i64 = sqlx::query("SELECT next_offset FROM log_meta WHERE id = 1")
            .fetch_one(&mut conn)
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            inner: Mutex::new(Inner {
                conn,
                next_offset,
                follower: None,
            }),
        })
    }
}

/// What the cache knows of the log it copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheMeta {
    /// The log the records come from (empty when nothing was cached yet).
    pub source: String,
    /// Offset of the last record applied (-1 when none).
    pub checkpoint: i64,
    /// When the cache was last written, ms since the Unix epoch.
    pub saved_at_ms: i64,
}

/// The cache side of the file, used by the Kafka store: rows keep the topic's offsets.
impl SqliteStore {
    /// What the cache is a copy of, and how far it goes.
    pub async fn meta(&self) -> Result<CacheMeta, StoreError> {
        let mut inner = self.inner.lock().await;
        let row = sqlx::query("SELECT source, saved_at_ms FROM cache_meta WHERE id = 1")
            .fetch_one(&mut inner.conn)
            .await
            .map_err(backend)?;
        Ok(CacheMeta {
            source: row.try_get(0).map_err(backend)?,
            checkpoint: inner.next_offset - 1,
            saved_at_ms: row.try_get(1).map_err(backend)?,
        })
    }

    /// The cached record at `offset`, if any.
    pub async fn row_at(&self, offset: i64) -> Result<Option<LogEntry>, StoreError> {
        let mut inner = self.inner.lock().await;
        for table in ["records", "superseded"] {
            let sql = format!("SELECT {COLUMNS} FROM {table} WHERE \"offset\" = ?1");
            if let Some(row) = sqlx::query(&sql)
                .bind(offset)
                .fetch_optional(&mut inner.conn)
                .await
                .map_err(backend)?
            {
                return entry_of(&row).map(Some);
            }
        }
        Ok(None)
    }

    /// Sends every cached row, in log order, to `tx` (the receiver applies one chunk while
    /// the next is read). Returns the count.
    pub async fn stream_into(
        &self,
        tx: &mpsc::UnboundedSender<LogEntry>,
    ) -> Result<usize, StoreError> {
        let mut inner = self.inner.lock().await;
        Self::each_row(&mut inner.conn, |e| {
            tx.send(e).map_err(|_| backend("the replay loop stopped"))
        })
        .await
    }

    /// Stores records read from `source` (in log order) and moves the checkpoint to the
    /// last one, in one transaction.
    pub async fn save(
        &self,
        entries: &[LogEntry],
        source: &str,
        saved_at_ms: i64,
    ) -> Result<(), StoreError> {
        let Some(last) = entries.last() else {
            return Ok(());
        };
        let mut inner = self.inner.lock().await;
        let mut tx = inner.conn.begin().await.map_err(backend)?;
        for e in entries {
            Self::upsert(&mut tx, e.offset, &e.record, e.epoch).await?;
        }
        let next = last.offset + 1;
        sqlx::query("UPDATE log_meta SET next_offset = ?1 WHERE id = 1")
            .bind(next)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query("UPDATE cache_meta SET source = ?1, saved_at_ms = ?2 WHERE id = 1")
            .bind(source)
            .bind(saved_at_ms)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        inner.next_offset = next;
        Ok(())
    }

    /// Forgets everything cached.
    pub async fn clear(&self) -> Result<(), StoreError> {
        let mut inner = self.inner.lock().await;
        let mut tx = inner.conn.begin().await.map_err(backend)?;
        for q in [
            "DELETE FROM records",
            "DELETE FROM superseded",
            "UPDATE log_meta SET next_offset = 0 WHERE id = 1",
            "UPDATE cache_meta SET source = '', saved_at_ms = 0 WHERE id = 1",
        ] {
            sqlx::query(q).execute(&mut *tx).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        inner.next_offset = 0;
        Ok(())
    }

    async fn upsert(
        conn: &mut SqliteConnection,
        offset: i64,
        r: &RawRecord,
        epoch: Option<i64>,
    ) -> Result<(), StoreError> {
        if r.value.is_none() {
            // Keep the value a tombstone deletes (see the `superseded` table).
            sqlx::query(
                "INSERT OR REPLACE INTO superseded (\"offset\", key, value, epoch) \
                 SELECT \"offset\", key, value, epoch FROM records WHERE key = ?1 AND value IS NOT NULL",
            )
            .bind(&r.key)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        }
        sqlx::query(
            "INSERT INTO records (\"offset\", key, value, epoch) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT(key) DO UPDATE SET \"offset\" = excluded.\"offset\", value = excluded.value, \
             epoch = excluded.epoch",
        )
        .bind(offset)
        .bind(&r.key)
        .bind(r.value.as_deref())
        .bind(epoch)
        .execute(conn)
        .await
        .map_err(backend)?;
        Ok(())
    }

    /// Hands every row to `sink` in log order: the live records, read in chunks of the
    /// offset index, merged with the values tombstones superseded (few, read at once).
    async fn each_row(
        conn: &mut SqliteConnection,
        mut sink: impl FnMut(LogEntry) -> Result<(), StoreError>,
    ) -> Result<usize, StoreError> {
        const CHUNK: i64 = 8192;
        let sql = format!("SELECT {COLUMNS} FROM superseded ORDER BY \"offset\"");
        let mut old = Vec::new();
        for row in sqlx::query(&sql)
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?
        {
            old.push(entry_of(&row)?);
        }
        let mut old = old.into_iter().peekable();
        let sql = format!(
            "SELECT {COLUMNS} FROM records WHERE \"offset\" > ?1 ORDER BY \"offset\" LIMIT ?2"
        );
        let (mut count, mut after) = (0, i64::MIN);
        loop {
            let rows = sqlx::query(&sql)
                .bind(after)
                .bind(CHUNK)
                .fetch_all(&mut *conn)
                .await
                .map_err(backend)?;
            let n = rows.len();
            for row in rows {
                let entry = entry_of(&row)?;
                while let Some(o) = old.next_if(|o| o.offset < entry.offset) {
                    sink(o)?;
                    count += 1;
                }
                after = entry.offset;
                sink(entry)?;
                count += 1;
            }
            if (n as i64) < CHUNK {
                break;
            }
        }
        for o in old {
            sink(o)?;
            count += 1;
        }
        Ok(count)
    }
}

/// The columns [`entry_of`] reads, in its order.
const COLUMNS: &str = "\"offset\", key, value, epoch";

fn entry_of(row: &sqlx::sqlite::SqliteRow) -> Result<LogEntry, StoreError> {
    Ok(LogEntry {
        offset: row.try_get(0).map_err(backend)?,
        record: RawRecord {
            key: row.try_get(1).map_err(backend)?,
            value: row.try_get(2).map_err(backend)?,
        },
        epoch: row.try_get(3).map_err(backend)?,
    })
}

impl Store for SqliteStore {
    fn append(&self, records: Vec<RawRecord>, _fence: Option<i64>) -> StoreFuture<'_, Vec<i64>> {
        Box::pin(async move {
            let mut inner = self.inner.lock().await;
            let first = inner.next_offset;
            let mut tx = inner.conn.begin().await.map_err(backend)?;
            let mut offset = first;
            for r in &records {
                Self::upsert(&mut tx, offset, r, None).await?;
                offset += 1;
            }
            sqlx::query("UPDATE log_meta SET next_offset = ?1 WHERE id = 1")
                .bind(offset)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            inner.next_offset = offset;
            if let Some(f) = &inner.follower {
                for (i, r) in records.into_iter().enumerate() {
                    // A closed follower means the registry is shutting down; the data is committed.
                    let _ = f.send(LogEntry {
                        offset: first + i as i64,
                        record: r,
                        epoch: None,
                    });
                }
            }
            Ok((first..offset).collect())
        })
    }

    fn follow(&self) -> StoreFuture<'_, (Vec<LogEntry>, mpsc::UnboundedReceiver<LogEntry>)> {
        Box::pin(async move {
            let mut inner = self.inner.lock().await;
            let mut existing = Vec::new();
            Self::each_row(&mut inner.conn, |e| {
                existing.push(e);
                Ok(())
            })
            .await?;
            let (tx, rx) = mpsc::unbounded_channel();
            inner.follower = Some(tx);
            Ok((existing, rx))
        })
    }

    fn end_of_log(&self) -> StoreFuture<'_, i64> {
        Box::pin(async move { Ok(self.inner.lock().await.next_offset - 1) })
    }

    fn describe(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }
}

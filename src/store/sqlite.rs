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
            // FULL: a commit is on disk before the registry answers the request.
            .synchronous(SqliteSynchronous::Full)
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

impl Store for SqliteStore {
    fn append(&self, records: Vec<RawRecord>) -> StoreFuture<'_, i64> {
        Box::pin(async move {
            let mut inner = self.inner.lock().await;
            let first = inner.next_offset;
            let mut tx = inner.conn.begin().await.map_err(backend)?;
            let mut offset = first;
            for r in &records {
                sqlx::query(
                    "INSERT INTO records (\"offset\", key, value) VALUES (?1, ?2, ?3) \
                     ON CONFLICT(key) DO UPDATE SET \"offset\" = excluded.\"offset\", value = excluded.value",
                )
                .bind(offset)
                .bind(&r.key)
                .bind(r.value.as_deref())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
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
                    });
                }
            }
            Ok(offset - 1)
        })
    }

    fn follow(&self) -> StoreFuture<'_, (Vec<LogEntry>, mpsc::UnboundedReceiver<LogEntry>)> {
        Box::pin(async move {
            let mut inner = self.inner.lock().await;
            let rows =
                sqlx::query("SELECT \"offset\", key, value FROM records ORDER BY \"offset\"")
                    .fetch_all(&mut inner.conn)
                    .await
                    .map_err(backend)?;
            let mut existing = Vec::with_capacity(rows.len());
            for row in rows {
                existing.push(LogEntry {
                    offset: row.try_get(0).map_err(backend)?,
                    record: RawRecord {
                        key: row.try_get(1).map_err(backend)?,
                        value: row.try_get(2).map_err(backend)?,
                    },
                });
            }
            let (tx, rx) = mpsc::unbounded_channel();
            inner.follower = Some(tx);
            Ok((existing, rx))
        })
    }

    fn describe(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }
}

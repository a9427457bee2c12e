//! The embedded store: the record log in one SQLite file, keyed like a compacted topic.

use super::{
    Backlog, BacklogItem, BacklogSender, LogEntry, RawRecord, Store, StoreError, StoreFuture,
    BACKLOG_CHUNK,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteLockingMode, SqliteSynchronous};
use sqlx::{Connection, Row, SqliteConnection};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::{mpsc, Mutex};

/// `PRAGMA application_id` of the files this registry writes (the bytes "SRrg"): a file
/// that carries another one belongs to another program and is never touched.
pub const APPLICATION_ID: i32 = 0x5352_7267;
/// `PRAGMA user_version`: the layout of our tables (the migrations in `migrations/`).
const FORMAT_VERSION: i32 = 1;
/// The tables a file of ours may hold (sqlx keeps its migration ledger in the last one).
const OUR_TABLES: [&str; 5] = [
    "records",
    "log_meta",
    "cache_meta",
    "superseded",
    "_sqlx_migrations",
];

struct Inner {
    /// `None` after a failure the connection could not be trusted through: the next use
    /// reopens the file (and re-reads where the log ends) or fails with the reason.
    conn: Option<SqliteConnection>,
    next_offset: i64,
    follower: Option<mpsc::UnboundedSender<LogEntry>>,
}

/// The SQLite-backed log. One connection, held exclusively: a second registry process on the
/// same file fails at start instead of allocating conflicting IDs.
///
/// A failed write (disk full, I/O error, a failed commit) never leaves the connection in an
/// unknown state: the connection is closed (SQLite rolls back whatever was open), the file
/// reopened and its end of log read again, so what the registry believes is in the log is
/// what the file holds. Until the file can be reopened, every use fails (50001).
pub struct Core {
    path: PathBuf,
    opts: SqliteConnectOptions,
    /// How long to wait for the file's lock (the whole-log read opens it again).
    busy_timeout: Duration,
    inner: std::sync::Arc<Mutex<Inner>>,
    /// Appends waiting for a commit, in call order (group commit: whoever commits next
    /// writes them all in one transaction, one sync to disk for all).
    queue: std::sync::Mutex<Vec<Queued>>,
}

/// The store: its state is shared with the commits it runs in tasks of their own (a caller
/// that goes away mid-commit must not cancel a commit that carries other callers' writes).
pub struct SqliteStore(std::sync::Arc<Core>);

impl std::ops::Deref for SqliteStore {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.0
    }
}

impl SqliteStore {
    /// See [`Core::open`].
    pub async fn open(path: &Path, create_parent: bool) -> Result<SqliteStore, OpenError> {
        Core::open(path, create_parent).await
    }

    /// See [`Core::open_cache`].
    pub async fn open_cache(path: &Path) -> Result<SqliteStore, OpenError> {
        Core::open_cache(path).await
    }

    /// Sends every cached row to `out`, in log order, without an end marker (see
    /// [`SqliteStore::read_all`]); the task tells whether all of them were sent.
    pub async fn read_cached(
        &self,
        out: BacklogSender,
    ) -> tokio::task::JoinHandle<Result<(), StoreError>> {
        let inner = self.inner.clone().lock_owned().await;
        self.read_all(inner, None, out)
    }

    /// Sends every row of the log to `out` in order, in [`BacklogItem::Records`] chunks:
    /// the live records merged with the values tombstones superseded; then `follower` is
    /// set to receive what is appended. The task ends with the outcome (nothing more sent).
    ///
    /// Read on a connection of its own, on a blocking thread: sqlx hands a row at a time
    /// from its SQLite thread (two thread switches and a copy of each value), which at a
    /// million records was half of the start-up. The store's connection holds the file's
    /// lock exclusively, so it is closed for the read and opened again after, all under
    /// `inner`: nothing is written meanwhile, and a registry that took the file in between
    /// makes this one fail at the reopen instead of sharing the file.
    fn read_all(
        &self,
        mut inner: tokio::sync::OwnedMutexGuard<Inner>,
        follower: Option<mpsc::UnboundedSender<LogEntry>>,
        out: BacklogSender,
    ) -> tokio::task::JoinHandle<Result<(), StoreError>> {
        let core = self.0.clone();
        tokio::spawn(async move {
            if let Some(conn) = inner.conn.take() {
                conn.close().await.map_err(backend)?;
            }
            let (path, busy) = (core.path.clone(), core.busy_timeout);
            let read = tokio::task::spawn_blocking(move || read_log(&path, busy, &out))
                .await
                .map_err(backend)
                .and_then(|r| r.map_err(backend));
            let reopened = core.reopen(&mut inner).await;
            read?;
            reopened?;
            inner.follower = follower;
            Ok(())
        })
    }

    /// Commits what is queued in a task of its own, and waits for it.
    async fn commit_detached(&self, inner: tokio::sync::OwnedMutexGuard<Inner>) {
        let core = self.0.clone();
        let _ = tokio::spawn(async move { core.commit_queued_locked(inner).await }).await;
    }
}

/// An append waiting in the queue, and where its outcome goes.
struct Queued {
    records: Vec<RawRecord>,
    reply: tokio::sync::oneshot::Sender<Result<Vec<i64>, StoreError>>,
}

fn backend<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// How a store file is opened.
#[derive(Debug, Clone, Copy)]
pub struct OpenMode {
    /// `FULL` for the embedded log (a commit is on disk before the registry answers);
    /// `NORMAL` for the Kafka store's cache (the topic is the durable copy).
    pub sync: SqliteSynchronous,
    /// Whether a missing parent directory is created (only for default paths: a typo in
    /// an explicit path must not start an empty registry silently).
    pub create_parent: bool,
    /// How long to wait for a lock another process holds.
    pub busy_timeout: Duration,
}

/// Why a store file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Another process holds the file (exclusive locking mode).
    #[error("{0}")]
    Locked(String),
    #[error("{0}")]
    Other(String),
}

impl From<OpenError> for StoreError {
    fn from(e: OpenError) -> Self {
        StoreError::Backend(e.to_string())
    }
}

/// What the file at a path is, judged from its header (and its tables when unmarked)
/// before anything is written to it.
enum Ownership {
    /// No file, or an empty one: ours to create and mark.
    Fresh,
    /// Marked as ours.
    Ours,
    /// Ours by its tables, written before files were marked: marked on open.
    Unmarked,
}

/// Turns an SQLite failure at open into a sentence for the operator.
fn open_failure(path: &Path, what: &str, e: impl std::fmt::Display) -> OpenError {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    let p = path.display();
    if lower.contains("locked") || lower.contains("busy") {
        OpenError::Locked(format!(
            "{p} is in use by another process (database is locked): one registry per file"
        ))
    } else if lower.contains("readonly") || lower.contains("read-only") {
        OpenError::Other(format!(
            "{p} is read-only ({text}): the store needs to write to its file and directory"
        ))
    } else if lower.contains("malformed") || lower.contains("not a database") {
        OpenError::Other(format!(
            "{p} is damaged ({text}): restore it from a copy, or move it away to start empty"
        ))
    } else {
        OpenError::Other(format!("cannot {what} {p}: {text}"))
    }
}

impl Core {
    /// Opens (creating if needed) the embedded log at `path` and applies the migrations.
    pub async fn open(path: &Path, create_parent: bool) -> Result<SqliteStore, OpenError> {
        Self::open_with(
            path,
            OpenMode {
                sync: SqliteSynchronous::Full,
                create_parent,
                busy_timeout: Duration::from_secs(5),
            },
        )
        .await
    }

    /// Opens the file as the Kafka store's cache: the log itself is durable in Kafka, so a
    /// commit need not reach the disk before the next one (`synchronous=NORMAL`; a crash
    /// loses at most the newest cache updates, which are read again from the topic). A
    /// cache another process holds is reported at once as [`OpenError::Locked`].
    pub async fn open_cache(path: &Path) -> Result<SqliteStore, OpenError> {
        Self::open_with(
            path,
            OpenMode {
                sync: SqliteSynchronous::Normal,
                create_parent: true,
                busy_timeout: Duration::from_millis(200),
            },
        )
        .await
    }

    pub async fn open_with(path: &Path, mode: OpenMode) -> Result<SqliteStore, OpenError> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() && !dir.is_dir() {
                if !mode.create_parent {
                    return Err(OpenError::Other(format!(
                        "the directory {} of the store {} does not exist (create it first, or check the path)",
                        dir.display(),
                        path.display()
                    )));
                }
                std::fs::create_dir_all(dir).map_err(|e| {
                    OpenError::Other(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        let ownership = Self::ownership(path, mode.busy_timeout).await?;
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(mode.sync)
            .locking_mode(SqliteLockingMode::Exclusive)
            .busy_timeout(mode.busy_timeout);
        let mut conn = SqliteConnection::connect_with(&opts)
            .await
            .map_err(|e| open_failure(path, "open", e))?;
        if !matches!(ownership, Ownership::Ours) {
            // Marked before the first table is made: a file is never ours-but-unmarked again.
            sqlx::query(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {FORMAT_VERSION}"
            ))
            .execute(&mut conn)
            .await
            .map_err(|e| open_failure(path, "mark", e))?;
        }
        sqlx::migrate!("./migrations")
            .run(&mut conn)
            .await
            .map_err(|e| open_failure(path, "migrate", e))?;
        let next_offset = read_next_offset(&mut conn)
            .await
            .map_err(|e| open_failure(path, "read", e))?;
        Ok(SqliteStore(std::sync::Arc::new(Core {
            path: path.to_path_buf(),
            opts,
            busy_timeout: mode.busy_timeout,
            inner: std::sync::Arc::new(Mutex::new(Inner {
                conn: Some(conn),
                next_offset,
                follower: None,
            })),
            queue: std::sync::Mutex::new(Vec::new()),
        })))
    }

    /// Tells whether the file at `path` is ours, without writing to it: the SQLite header's
    /// `application_id`, and for an unmarked database its tables (read on a connection that
    /// sets no journal mode and creates nothing).
    async fn ownership(path: &Path, busy: Duration) -> Result<Ownership, OpenError> {
        let p = path.display();
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ownership::Fresh),
            Err(e) => return Err(OpenError::Other(format!("cannot read {p}: {e}"))),
        };
        if meta.is_dir() {
            return Err(OpenError::Other(format!(
                "{p} is a directory, not a store file"
            )));
        }
        // Opening for writing changes nothing, and tells a read-only file or file system.
        if let Err(e) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
        {
            use std::io::ErrorKind::{PermissionDenied, ReadOnlyFilesystem};
            if matches!(e.kind(), PermissionDenied | ReadOnlyFilesystem) {
                return Err(OpenError::Other(format!(
                    "{p} is read-only ({e}): the store needs to write to its file and directory"
                )));
            }
        }
        if meta.len() == 0 {
            return Ok(Ownership::Fresh);
        }
        let mut header = [0u8; 100];
        {
            use std::io::Read;
            let mut f = std::fs::File::open(path)
                .map_err(|e| OpenError::Other(format!("cannot read {p}: {e}")))?;
            f.read_exact(&mut header).map_err(|_| {
                OpenError::Other(format!(
                    "{p} is not an SQLite database (shorter than its header): refusing to touch it"
                ))
            })?;
        }
        if &header[..16] != b"SQLite format 3\0" {
            return Err(OpenError::Other(format!(
                "{p} is not an SQLite database: refusing to touch it"
            )));
        }
        let app_id = i32::from_be_bytes([header[68], header[69], header[70], header[71]]);
        if app_id == APPLICATION_ID {
            return Ok(Ownership::Ours);
        }
        if app_id != 0 {
            return Err(OpenError::Other(format!(
                "{p} belongs to another program (SQLite application_id {app_id:#010x}): refusing to touch it"
            )));
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(false)
            .busy_timeout(busy);
        let mut conn = SqliteConnection::connect_with(&opts)
            .await
            .map_err(|e| open_failure(path, "open", e))?;
        let rows = sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&mut conn)
        .await
        .map_err(|e| open_failure(path, "read", e));
        let app_id_now: Result<i32, _> = sqlx::query_scalar("PRAGMA application_id")
            .fetch_one(&mut conn)
            .await;
        let _ = conn.close().await;
        let mut tables = Vec::new();
        for row in rows? {
            tables.push(
                row.try_get::<String, _>(0)
                    .map_err(|e| open_failure(path, "read", e))?,
            );
        }
        // The header can lag behind a write-ahead log that was never checkpointed.
        if app_id_now.is_ok_and(|id| id == APPLICATION_ID) {
            return Ok(Ownership::Ours);
        }
        if tables.is_empty() {
            return Ok(Ownership::Fresh);
        }
        let ours = tables.iter().all(|t| OUR_TABLES.contains(&t.as_str()))
            && tables.iter().any(|t| t == "records")
            && tables.iter().any(|t| t == "_sqlx_migrations");
        if ours {
            Ok(Ownership::Unmarked)
        } else {
            Err(OpenError::Other(format!(
                "{p} is an SQLite database of another program (tables: {}): refusing to touch it",
                tables.join(", ")
            )))
        }
    }

    /// The connection, reopening the file first if an earlier failure closed it.
    async fn conn<'a>(&self, inner: &'a mut Inner) -> Result<&'a mut SqliteConnection, StoreError> {
        if inner.conn.is_none() {
            self.reopen(inner).await?;
        }
        inner
            .conn
            .as_mut()
            .ok_or_else(|| backend("the store file is not open"))
    }

    /// Closes the connection (SQLite rolls back any transaction left open), reopens the
    /// file and reads where its log ends. On failure the connection stays closed and the
    /// next use tries again.
    async fn reopen(&self, inner: &mut Inner) -> Result<(), StoreError> {
        if let Some(conn) = inner.conn.take() {
            if let Err(e) = conn.close().await {
                tracing::warn!(error = %e, "closing the store connection after a failure");
            }
        }
        let mut conn = SqliteConnection::connect_with(&self.opts)
            .await
            .map_err(|e| backend(open_failure(&self.path, "reopen", e)))?;
        let next = read_next_offset(&mut conn)
            .await
            .map_err(|e| backend(format!("reading {}: {e}", self.path.display())))?;
        if next < inner.next_offset && inner.follower.is_some() {
            // The file lost records this node applied: nothing more is written on top.
            let _ = conn.close().await;
            return Err(backend(format!(
                "{} ends at offset {next}, behind what this node applied ({}): writes are refused; restart the registry",
                self.path.display(),
                inner.next_offset
            )));
        }
        if next > inner.next_offset {
            tracing::warn!(
                file = next,
                expected = inner.next_offset,
                "a write reported as failed reached the store file"
            );
            // Those rows are in the log: the index must have them too.
            if let Some(f) = &inner.follower {
                let sql = format!(
                    "SELECT {COLUMNS} FROM records WHERE \"offset\" >= ?1 AND \"offset\" < ?2 ORDER BY \"offset\""
                );
                let rows = sqlx::query(&sql)
                    .bind(inner.next_offset)
                    .bind(next)
                    .fetch_all(&mut conn)
                    .await
                    .map_err(|e| backend(format!("reading {}: {e}", self.path.display())))?;
                for row in rows {
                    let _ = f.send(entry_of(&row)?);
                }
            }
        }
        inner.next_offset = next;
        inner.conn = Some(conn);
        Ok(())
    }

    /// After a failed write meant to end the log at `end`: reopens the file and tells
    /// whether the write reached it after all (`Ok(true)`), did not (`Ok(false)`), or the
    /// file cannot be read (`Err`: writes fail until it can).
    async fn settle(&self, inner: &mut Inner, first: i64, end: i64) -> Result<bool, StoreError> {
        // Whatever the connection believes is not to be trusted any more.
        inner.next_offset = first;
        self.reopen(inner).await?;
        if inner.next_offset == end {
            Ok(true)
        } else if inner.next_offset == first {
            Ok(false)
        } else {
            Err(backend(format!(
                "{}: the log ends at offset {} after a failed write, expected {first} or {end}",
                self.path.display(),
                inner.next_offset
            )))
        }
    }

    /// Writes `entries` (with their offsets) and moves `next_offset` to `end` in one
    /// transaction; `cache` also records the cache's source and time.
    ///
    /// The transaction is sent to SQLite's thread as a few SQL texts of several statements
    /// each: a statement at a time costs two thread switches, more than the rest of a
    /// registration. A text is closed once it passes [`SQL_TEXT_BYTES`]: SQLite copies the
    /// rest of a length-bounded text before it parses each statement, so one text for a
    /// batch of thousands of records (a Kafka cache catching up) would cost time quadratic
    /// in the batch. Values are written as hex blob literals (`X'…'`), so no byte of a
    /// record is ever read as SQL. A failure part-way leaves the transaction open; the
    /// caller then closes the connection, which rolls it back (see [`SqliteStore::settle`]).
    async fn write_rows(
        conn: &mut SqliteConnection,
        entries: &[(i64, &RawRecord, Option<i64>, Option<i64>)],
        end: i64,
        cache: Option<(&str, i64)>,
    ) -> Result<(), StoreError> {
        // Sized for the batch, up to one text's worth (a single registration stays small).
        let size: usize = entries
            .iter()
            .map(|(_, r, _, _)| 2 * (r.key.len() + r.value.as_ref().map_or(0, Vec::len)) + 400)
            .sum();
        let mut sql = String::with_capacity(size.min(SQL_TEXT_BYTES) + 200);
        sql.push_str("BEGIN;\n");
        for (offset, r, epoch, ts) in entries {
            if sql.len() >= SQL_TEXT_BYTES {
                Self::execute_text(conn, &sql).await?;
                sql.clear();
            }
            if r.value.is_none() {
                // Keep the value a tombstone deletes (see the `superseded` table).
                sql.push_str(
                    "INSERT OR REPLACE INTO superseded (\"offset\", key, value, epoch, ts) \
                     SELECT \"offset\", key, value, epoch, ts FROM records WHERE key = ",
                );
                push_blob(&mut sql, &r.key);
                sql.push_str(" AND value IS NOT NULL;\n");
            }
            sql.push_str("INSERT INTO records (\"offset\", key, value, epoch, ts) VALUES (");
            push_int(&mut sql, Some(*offset));
            sql.push(',');
            push_blob(&mut sql, &r.key);
            sql.push(',');
            match &r.value {
                Some(v) => push_blob(&mut sql, v),
                None => sql.push_str("NULL"),
            }
            sql.push(',');
            push_int(&mut sql, *epoch);
            sql.push(',');
            push_int(&mut sql, *ts);
            sql.push_str(
                ") ON CONFLICT(key) DO UPDATE SET \"offset\" = excluded.\"offset\", \
                 value = excluded.value, epoch = excluded.epoch, ts = excluded.ts;\n",
            );
        }
        sql.push_str("UPDATE log_meta SET next_offset = ");
        push_int(&mut sql, Some(end));
        sql.push_str(" WHERE id = 1;\n");
        if let Some((source, saved_at_ms)) = cache {
            sql.push_str("UPDATE cache_meta SET source = CAST(");
            push_blob(&mut sql, source.as_bytes());
            sql.push_str(" AS TEXT), saved_at_ms = ");
            push_int(&mut sql, Some(saved_at_ms));
            sql.push_str(" WHERE id = 1;\n");
        }
        sql.push_str("COMMIT;");
        Self::execute_text(conn, &sql).await
    }

    /// Runs one SQL text of several statements (not kept as a prepared statement: each
    /// text is used once).
    async fn execute_text(conn: &mut SqliteConnection, sql: &str) -> Result<(), StoreError> {
        sqlx::query(sql)
            .persistent(false)
            .execute(conn)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// Where [`SqliteStore::write_rows`] closes a SQL text (the statement under way ends it).
const SQL_TEXT_BYTES: usize = 32 << 10;

/// `X'…'`: bytes as an SQL blob literal (hex digits only).
fn push_blob(sql: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    sql.reserve(bytes.len() * 2 + 3);
    sql.push_str("X'");
    for b in bytes {
        sql.push(HEX[usize::from(b >> 4)] as char);
        sql.push(HEX[usize::from(b & 15)] as char);
    }
    sql.push('\'');
}

/// An integer literal, or `NULL`.
fn push_int(sql: &mut String, n: Option<i64>) {
    use std::fmt::Write;
    match n {
        Some(n) => {
            let _ = write!(sql, "{n}");
        }
        None => sql.push_str("NULL"),
    }
}

async fn read_next_offset(conn: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT next_offset FROM log_meta WHERE id = 1")
        .fetch_one(conn)
        .await
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
impl Core {
    /// What the cache is a copy of, and how far it goes.
    pub async fn meta(&self) -> Result<CacheMeta, StoreError> {
        let mut inner = self.inner.lock().await;
        let row = sqlx::query("SELECT source, saved_at_ms FROM cache_meta WHERE id = 1")
            .fetch_one(self.conn(&mut inner).await?)
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
        let conn = self.conn(&mut inner).await?;
        for table in ["records", "superseded"] {
            let sql = format!("SELECT {COLUMNS} FROM {table} WHERE \"offset\" = ?1");
            if let Some(row) = sqlx::query(&sql)
                .bind(offset)
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?
            {
                return entry_of(&row).map(Some);
            }
        }
        Ok(None)
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
        self.conn(&mut inner).await?;
        let first = inner.next_offset;
        let end = last.offset + 1;
        let rows: Vec<_> = entries
            .iter()
            .map(|e| (e.offset, &e.record, e.epoch, e.ts))
            .collect();
        let conn = self.conn(&mut inner).await?;
        match Self::write_rows(conn, &rows, end, Some((source, saved_at_ms))).await {
            Ok(()) => {
                inner.next_offset = end;
                Ok(())
            }
            // The cache stays a faithful prefix of the log (its old checkpoint) unless the
            // batch reached the file after all.
            Err(e) => match self.settle(&mut inner, first, end).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(e),
                Err(again) => Err(backend(format!("{e}; then: {again}"))),
            },
        }
    }

    /// Forgets everything cached.
    pub async fn clear(&self) -> Result<(), StoreError> {
        let mut inner = self.inner.lock().await;
        let result = Self::clear_rows(self.conn(&mut inner).await?).await;
        match result {
            Ok(()) => {
                inner.next_offset = 0;
                Ok(())
            }
            Err(e) => {
                // Reopened: the file says what survived (the transaction is all or nothing).
                inner.next_offset = 0;
                if let Err(again) = self.reopen(&mut inner).await {
                    return Err(backend(format!("{e}; then: {again}")));
                }
                if inner.next_offset == 0 {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn clear_rows(conn: &mut SqliteConnection) -> Result<(), StoreError> {
        let mut tx = conn.begin().await.map_err(backend)?;
        for q in [
            "DELETE FROM records",
            "DELETE FROM superseded",
            "UPDATE log_meta SET next_offset = 0 WHERE id = 1",
            "UPDATE cache_meta SET source = '', saved_at_ms = 0 WHERE id = 1",
        ] {
            sqlx::query(q).execute(&mut *tx).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(())
    }
}

/// See [`SqliteStore::read_all`]: sends the rows in chunks to `out`.
fn read_log(path: &Path, busy: Duration, out: &BacklogSender) -> Result<(), String> {
    read_rows(path, busy, out).map_err(|e| match e {
        ReadError::Sql(e) => format!("reading {}: {e}", path.display()),
        ReadError::Stopped => "the start-up stopped".to_string(),
    })
}

enum ReadError {
    Sql(rusqlite::Error),
    Stopped,
}

impl From<rusqlite::Error> for ReadError {
    fn from(e: rusqlite::Error) -> ReadError {
        ReadError::Sql(e)
    }
}

fn read_rows(path: &Path, busy: Duration, out: &BacklogSender) -> Result<(), ReadError> {
    fn entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<LogEntry> {
        let bytes = |i: usize| -> rusqlite::Result<Option<Vec<u8>>> {
            let v = row.get_ref(i)?;
            match v {
                rusqlite::types::ValueRef::Null => Ok(None),
                _ => v.as_bytes().map(|b| Some(b.to_vec())).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(i, v.data_type(), e.into())
                }),
            }
        };
        Ok(LogEntry {
            offset: row.get(0)?,
            record: RawRecord {
                key: bytes(1)?.unwrap_or_default(),
                value: bytes(2)?,
            },
            epoch: row.get(3)?,
            ts: row.get(4)?,
        })
    }
    let mut conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(busy)?;
    // As the store's own connection: a WAL file in exclusive mode has no shared memory.
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    let tx = conn.transaction()?;
    let mut old = Vec::new();
    {
        let mut q = tx.prepare(&format!(
            "SELECT {COLUMNS} FROM superseded ORDER BY \"offset\""
        ))?;
        let mut rows = q.query([])?;
        while let Some(row) = rows.next()? {
            old.push(entry(row)?);
        }
    }
    let mut old = old.into_iter().peekable();
    let mut chunk = Vec::with_capacity(BACKLOG_CHUNK);
    let push = |e: LogEntry, chunk: &mut Vec<LogEntry>| -> Result<(), ReadError> {
        chunk.push(e);
        if chunk.len() == BACKLOG_CHUNK {
            let full = std::mem::replace(chunk, Vec::with_capacity(BACKLOG_CHUNK));
            out.blocking_send(Ok(BacklogItem::Records(full)))
                .map_err(|_| ReadError::Stopped)?;
        }
        Ok(())
    };
    {
        let mut q = tx.prepare(&format!(
            "SELECT {COLUMNS} FROM records ORDER BY \"offset\""
        ))?;
        let mut rows = q.query([])?;
        while let Some(row) = rows.next()? {
            let e = entry(row)?;
            while let Some(o) = old.next_if(|o| o.offset < e.offset) {
                push(o, &mut chunk)?;
            }
            push(e, &mut chunk)?;
        }
    }
    for o in old {
        push(o, &mut chunk)?;
    }
    tx.commit()?;
    if !chunk.is_empty() {
        out.blocking_send(Ok(BacklogItem::Records(chunk)))
            .map_err(|_| ReadError::Stopped)?;
    }
    Ok(())
}

/// The columns [`entry_of`] reads, in its order.
const COLUMNS: &str = "\"offset\", key, value, epoch, ts";

fn entry_of(row: &sqlx::sqlite::SqliteRow) -> Result<LogEntry, StoreError> {
    Ok(LogEntry {
        offset: row.try_get(0).map_err(backend)?,
        record: RawRecord {
            key: row.try_get(1).map_err(backend)?,
            value: row.try_get(2).map_err(backend)?,
        },
        epoch: row.try_get(3).map_err(backend)?,
        ts: row.try_get(4).map_err(backend)?,
    })
}

impl Core {
    /// Commits every queued append, in queue order, in one transaction, and tells each its
    /// outcome. A failed commit fails them all, and none is acknowledged even when the
    /// reopened file holds them (see [`SqliteStore::settle`]).
    async fn commit_queued_locked(&self, mut inner: tokio::sync::OwnedMutexGuard<Inner>) {
        let batch = std::mem::take(&mut *self.queue.lock().unwrap_or_else(|p| p.into_inner()));
        if batch.is_empty() {
            return;
        }
        crate::metrics::STORE.batch(batch.len());
        let started = std::time::Instant::now();
        let outcome = self.write_batch(&mut inner, &batch).await;
        crate::metrics::STORE.appended(started.elapsed());
        match outcome {
            Ok((first, ts)) => {
                let mut offset = first;
                for q in batch {
                    let n = q.records.len() as i64;
                    if let Some(f) = &inner.follower {
                        for (i, r) in q.records.into_iter().enumerate() {
                            // A closed follower means the registry is shutting down; the
                            // data is committed.
                            let _ = f.send(LogEntry {
                                offset: offset + i as i64,
                                record: r,
                                epoch: None,
                                ts,
                            });
                        }
                    }
                    // A caller that went away still had its records committed.
                    let _ = q.reply.send(Ok((offset..offset + n).collect()));
                    offset += n;
                }
            }
            Err(text) => {
                for q in batch {
                    let _ = q.reply.send(Err(backend(&text)));
                }
            }
        }
    }

    /// Writes a batch in one transaction: `Ok` with its first offset and time once
    /// committed, else the reason (the offsets in memory follow the file again).
    async fn write_batch(
        &self,
        inner: &mut Inner,
        batch: &[Queued],
    ) -> Result<(i64, Option<i64>), String> {
        // Reopened first if an earlier failure closed it: `next_offset` is the file's.
        self.conn(inner).await.map_err(|e| e.to_string())?;
        let first = inner.next_offset;
        let ts = Some(super::now_ms());
        let rows: Vec<_> = batch
            .iter()
            .flat_map(|q| q.records.iter())
            .zip(first..)
            .map(|(r, offset)| (offset, r, None, ts))
            .collect();
        let end = first + rows.len() as i64;
        let conn = self.conn(inner).await.map_err(|e| e.to_string())?;
        let written = Self::write_rows(conn, &rows, end, None).await;
        drop(rows);
        if let Err(e) = written {
            // Never acknowledged unless the file really holds it; the offsets in memory
            // follow the file again, whatever the connection went through.
            return Err(match self.settle(inner, first, end).await {
                // In the file (and handed to the index by the reopen), but its commit
                // failed: it may not be on disk, so it is not acknowledged.
                Ok(true) => format!(
                    "{e} (the write reached the store file, but its commit reported a failure)"
                ),
                Ok(false) => e.to_string(),
                Err(again) => format!("{e}; then: {again}"),
            });
        }
        inner.next_offset = end;
        Ok((first, ts))
    }
}

impl Store for SqliteStore {
    /// Queues the records at once (the log keeps the order of the calls) and resolves once
    /// they are committed, in a transaction shared with the appends queued meanwhile.
    fn append(&self, records: Vec<RawRecord>, _fence: Option<i64>) -> StoreFuture<'_, Vec<i64>> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Queued { records, reply });
        Box::pin(async move {
            let mut outcome = outcome;
            loop {
                // Done as soon as a commit took this append along; else this caller commits
                // what is queued (this append included) once the running commit is over.
                tokio::select! {
                    biased;
                    done = &mut outcome => {
                        return done.unwrap_or_else(|_| Err(backend("the store dropped the write")));
                    }
                    inner = self.inner.clone().lock_owned() => self.commit_detached(inner).await,
                }
            }
        })
    }

    fn follow(&self) -> StoreFuture<'_, (Backlog, mpsc::UnboundedReceiver<LogEntry>)> {
        Box::pin(async move {
            let inner = self.inner.clone().lock_owned().await;
            let (tx, rx) = mpsc::unbounded_channel();
            let (out, backlog) = mpsc::channel(64);
            let reading = self.read_all(inner, Some(tx), out.clone());
            tokio::spawn(async move {
                let read = reading.await.map_err(backend).and_then(|r| r);
                let _ = out.send(read.map(|()| BacklogItem::End)).await;
            });
            Ok((backlog, rx))
        })
    }

    fn end_of_log(&self) -> StoreFuture<'_, i64> {
        Box::pin(async move {
            // Appends queued before this call (their callers may have gone) are part of it.
            self.commit_detached(self.inner.clone().lock_owned().await)
                .await;
            let mut inner = self.inner.lock().await;
            // After a failure, the end of the log is the file's, read again.
            self.conn(&mut inner).await?;
            Ok(inner.next_offset - 1)
        })
    }

    fn describe(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }
}

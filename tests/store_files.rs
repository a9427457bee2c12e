//! The embedded store touches only files that are its own (issue 12, point 5): a database
//! another program owns is refused before anything is written to it (no table added, no
//! switch to WAL, no altered table); a missing directory in an explicit `--store` path is
//! refused (the default `./data` is still created); read-only and damaged files fail the
//! start with a sentence that says so. Our files carry `PRAGMA application_id`.
//! Several nodes of one Kafka registry in one working directory (point 6) are in
//! `tests/kafka.rs`.

mod common;

use common::Server;
use serde_json::json;
use sqlx::{Connection, Executor, Row, SqliteConnection};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Our `application_id` ("SRrg"), see `src/store/sqlite.rs`.
const APPLICATION_ID: i64 = 0x5352_7267;

async fn sqlite(path: &Path) -> SqliteConnection {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    SqliteConnection::connect_with(&opts)
        .await
        .expect("open a test database")
}

/// Starts the server on `path`, expecting it to refuse; returns its output.
fn refused(dir: &Path, path: &Path) -> String {
    match Server::builder().dir(dir).sqlite_file(path).try_start() {
        Ok(server) => panic!("the server started on {}\n{}", path.display(), server.log()),
        Err(output) => {
            assert!(
                !output.contains("Error while registering schema"),
                "a start-up failure reads like a request failure: {output}"
            );
            output
        }
    }
}

/// The file's bytes and the names of what sits beside it (`-wal`, `-shm`).
fn snapshot(path: &Path) -> (Vec<u8>, Vec<String>) {
    let bytes = std::fs::read(path).expect("read the file");
    let dir = path.parent().expect("parent");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    (bytes, names)
}

#[tokio::test]
async fn a_database_of_another_program_is_never_touched() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // 1. Unmarked, with tables of its own (one of them named like ours).
    let path = tmp.path().join("app.db");
    {
        let mut c = sqlite(&path).await;
        c.execute("CREATE TABLE records (id INTEGER PRIMARY KEY, payload TEXT); INSERT INTO records (payload) VALUES ('theirs'); CREATE TABLE users (name TEXT)")
            .await
            .expect("create");
        c.close().await.expect("close");
    }
    let before = snapshot(&path);
    let out = refused(tmp.path(), &path);
    assert!(out.contains("another program"), "{out}");
    assert!(out.contains("users"), "the message names its tables: {out}");
    assert_eq!(
        snapshot(&path),
        before,
        "the foreign file or its directory changed"
    );
    let mut c = sqlite(&path).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut c)
        .await
        .expect("journal mode");
    assert_eq!(mode, "delete", "switched to WAL");
    c.close().await.expect("close");

    // 2. Marked by another application.
    let path = tmp.path().join("marked.db");
    {
        let mut c = sqlite(&path).await;
        c.execute("PRAGMA application_id = 1234; CREATE TABLE t (x)")
            .await
            .expect("create");
        c.close().await.expect("close");
    }
    let before = snapshot(&path);
    let out = refused(tmp.path(), &path);
    assert!(out.contains("application_id"), "{out}");
    assert_eq!(snapshot(&path), before);

    // 3. Not a database at all.
    let path = tmp.path().join("notes.txt");
    std::fs::write(&path, "x".repeat(4096)).expect("write");
    let before = snapshot(&path);
    let out = refused(tmp.path(), &path);
    assert!(out.contains("not an SQLite database"), "{out}");
    assert_eq!(snapshot(&path), before);
}

#[tokio::test]
async fn our_files_are_marked_and_unmarked_ones_of_ours_are_adopted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("registry.db");
    let server = Server::builder().dir(tmp.path()).sqlite_file(&path).start();
    let (s, v) = server
        .post(
            "/subjects/a/versions",
            &json!({"schema": "{\"type\":\"string\"}"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    drop(server);
    let mut c = sqlite(&path).await;
    let id: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&mut c)
        .await
        .expect("application_id");
    assert_eq!(id, APPLICATION_ID);
    // A file written before files were marked: same tables, no mark.
    c.execute("PRAGMA application_id = 0")
        .await
        .expect("unmark");
    c.close().await.expect("close");
    let server = Server::builder().dir(tmp.path()).sqlite_file(&path).start();
    let (s, v) = server.get("/subjects/a/versions/1").await;
    assert_eq!(s, 200, "{v}");
    drop(server);
    let mut c = sqlite(&path).await;
    let id: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&mut c)
        .await
        .expect("application_id");
    assert_eq!(id, APPLICATION_ID, "adopted files are marked");
    let row = sqlx::query("SELECT count(*) FROM records")
        .fetch_one(&mut c)
        .await
        .expect("count");
    assert!(row.get::<i64, _>(0) >= 1);
    c.close().await.expect("close");
}

#[tokio::test]
async fn an_explicit_path_in_a_missing_directory_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let typo = tmp.path().join("dta").join("registry.db");
    let out = refused(tmp.path(), &typo);
    assert!(out.contains("does not exist"), "{out}");
    assert!(
        !tmp.path().join("dta").exists(),
        "the directory was created"
    );

    // The default location is created in the working directory.
    let server = Server::builder()
        .dir(tmp.path())
        .cwd(tmp.path())
        .no_store()
        .start();
    let (s, _) = server.get("/subjects").await;
    assert_eq!(s, 200);
    assert!(tmp.path().join("data").join("registry.db").is_file());
}

#[tokio::test]
async fn a_damaged_file_fails_the_start_with_a_clear_message() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("registry.db");
    let server = Server::builder().dir(tmp.path()).sqlite_file(&path).start();
    for i in 0..200 {
        let schema = json!({"type": "record", "name": format!("R{i}"), "fields": [{"name": "f", "type": "string", "doc": "x".repeat(200)}]});
        let (s, v) = server
            .post(
                &format!("/subjects/s{i}/versions"),
                &json!({"schema": schema.to_string()}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    drop(server);
    // Checkpoint the write-ahead log into the file, then overwrite pages past the first.
    {
        let mut c = sqlite(&path).await;
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .expect("checkpoint");
        c.close().await.expect("close");
    }
    let mut bytes = std::fs::read(&path).expect("read");
    assert!(
        bytes.len() > 3 * 4096,
        "file too small to damage: {}",
        bytes.len()
    );
    for b in &mut bytes[4096..] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).expect("damage");
    let out = refused(tmp.path(), &path);
    assert!(out.contains("damaged"), "{out}");
}

/// A read-only file system under the store (a tmpfs remounted read-only; needs root).
#[tokio::test]
async fn a_read_only_store_fails_the_start_with_a_clear_message() {
    let holder = tempfile::tempdir().expect("tempdir");
    let mnt: PathBuf = holder.path().join("ro");
    std::fs::create_dir(&mnt).expect("mkdir");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root)");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let path = mnt.join("registry.db");
    let server = Server::builder()
        .dir(holder.path())
        .sqlite_file(&path)
        .start();
    let (s, _) = server
        .post(
            "/subjects/a/versions",
            &json!({"schema": "{\"type\":\"string\"}"}),
        )
        .await;
    assert_eq!(s, 200);
    drop(server);
    let ok = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "remount read-only");
    let out = refused(holder.path(), &path);
    assert!(out.contains("read-only"), "{out}");
}

//! Start-up replay of a long log (`registry/mod.rs`, `replay_backlog`; `store/sqlite.rs`,
//! `read_all`): the store file is read on a connection of its own and streamed in chunks
//! while a second thread decodes them ahead of the index. These tests use logs of several
//! chunks, so the threaded path runs, and check that every record arrives, in log order,
//! and that the registry started on such a file answers as the log says.

mod common;

use common::Server;
use schema_registry::store::sqlite::SqliteStore;
use schema_registry::store::{BacklogItem, LogEntry, RawRecord, Store, BACKLOG_CHUNK};
use serde_json::json;

fn entry(offset: i64, key: &str, value: Option<String>) -> LogEntry {
    LogEntry {
        offset,
        record: RawRecord {
            key: key.as_bytes().to_vec(),
            value: value.map(String::into_bytes),
        },
        epoch: None,
        ts: Some(1_700_000_000_000 + offset),
    }
}

/// Every record of a cache of several chunks comes out of the read once, in offset order,
/// values deleted by tombstones included (they sit in another table), and the store is
/// usable after it.
#[tokio::test]
async fn a_backlog_of_many_chunks_holds_every_record_in_order() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("cache.db");
    let n = (BACKLOG_CHUNK * 3 + 17) as i64;
    let mut entries = Vec::new();
    for i in 0..n {
        let tombstone = i % 100 == 99;
        let subject = if tombstone { i - 1 } else { i };
        let key = format!(r#"{{"keytype":"SCHEMA","subject":"s{subject}","version":1}}"#);
        entries.push(entry(
            i,
            &key,
            (!tombstone).then(|| format!(r#"{{"n":{i}}}"#)),
        ));
    }
    {
        let store = SqliteStore::open_cache(&path).await.expect("open");
        store
            .save(&entries, "kafka://b/_schemas", 1)
            .await
            .expect("save");
    }
    let store = SqliteStore::open_cache(&path).await.expect("reopen");
    let (out, mut backlog) = tokio::sync::mpsc::channel(4);
    let reading = store.read_cached(out).await;
    let mut got = Vec::new();
    let mut chunks = 0;
    // The read sends records only; the channel closes when it is done.
    while let Some(item) = backlog.recv().await {
        match item {
            Ok(BacklogItem::Records(chunk)) => {
                assert!(!chunk.is_empty() && chunk.len() <= BACKLOG_CHUNK);
                chunks += 1;
                got.extend(chunk);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    reading.await.expect("join").expect("read");
    assert!(chunks >= 4, "{chunks} chunks");
    assert_eq!(got.len(), entries.len());
    for (g, e) in got.iter().zip(&entries) {
        assert_eq!(g.offset, e.offset);
        assert_eq!(g.record, e.record, "offset {}", e.offset);
        assert_eq!(g.ts, e.ts);
    }
    // The store is usable after the read: its connection was opened again.
    assert_eq!(store.meta().await.expect("meta").checkpoint, n - 1);
}

/// A registry started on an embedded log of several chunks (written through the store, as
/// records in Confluent's form) answers what the log says: IDs, versions after hard
/// deletes, a subject's config, and the next ID after the highest.
#[tokio::test]
async fn a_registry_replays_a_long_log_in_order() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("registry.db");
    let versions = 1000;
    let subjects = 5;
    {
        let store = SqliteStore::open(&path, false).await.expect("open");
        let mut records = Vec::new();
        let mut id = 0;
        for v in 1..=versions {
            for s in 0..subjects {
                id += 1;
                let schema = format!(
                    r#"{{"type":"record","name":"R{id}","fields":[{{"name":"f{id}","type":"int"}}]}}"#
                );
                let key = json!({"keytype": "SCHEMA", "subject": format!("s{s}"), "version": v, "magic": 1});
                let value = json!({"subject": format!("s{s}"), "version": v, "id": id, "schema": schema, "deleted": false});
                records.push(RawRecord {
                    key: key.to_string().into_bytes(),
                    value: Some(value.to_string().into_bytes()),
                });
            }
        }
        // Version 7 of s0 soft-deleted (a rewrite), then hard-deleted (a tombstone); s1's
        // config set late in the log.
        let key7 = json!({"keytype": "SCHEMA", "subject": "s0", "version": 7, "magic": 1});
        let soft = json!({"subject": "s0", "version": 7, "id": 31, "schema": r#"{"type":"record","name":"R31","fields":[{"name":"f31","type":"int"}]}"#, "deleted": true});
        records.push(RawRecord {
            key: key7.to_string().into_bytes(),
            value: Some(soft.to_string().into_bytes()),
        });
        records.push(RawRecord {
            key: key7.to_string().into_bytes(),
            value: None,
        });
        records.push(RawRecord {
            key: json!({"keytype": "CONFIG", "subject": "s1", "magic": 0})
                .to_string()
                .into_bytes(),
            value: Some(
                json!({"compatibilityLevel": "NONE"})
                    .to_string()
                    .into_bytes(),
            ),
        });
        assert!(records.len() > 2 * BACKLOG_CHUNK);
        for batch in records.chunks(500) {
            store.append(batch.to_vec(), None).await.expect("append");
        }
    }
    let server = Server::builder().sqlite_file(&path).start();
    let (status, body) = server.get("/schemas/ids/4998").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["schema"],
        r#"{"type":"record","name":"R4998","fields":[{"name":"f4998","type":"int"}]}"#
    );
    let (_, body) = server.get("/subjects/s0/versions").await;
    let list = body.as_array().expect("versions");
    assert_eq!(list.len(), versions - 1);
    assert!(!list.contains(&json!(7)));
    let (status, _) = server.get("/subjects/s0/versions/7?deleted=true").await;
    assert_eq!(status, 404);
    let (_, body) = server.get("/subjects/s4/versions/latest").await;
    assert_eq!(body["version"], versions);
    assert_eq!(body["id"], versions * subjects);
    let (_, body) = server.get("/config/s1").await;
    assert_eq!(body["compatibilityLevel"], "NONE");
    // The next ID follows the highest one in the log.
    let (status, body) = server
        .post(
            "/subjects/new/versions",
            &json!({"schema": r#"{"type":"record","name":"N","fields":[]}"#}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], versions * subjects + 1);
}

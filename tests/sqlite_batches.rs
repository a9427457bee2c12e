//! A batch of thousands of records (what a Kafka cache saves while it catches up) goes to
//! SQLite as several SQL texts in one transaction (`store/sqlite.rs`, `write_rows`): every
//! record of a batch spanning many texts lands, tombstones keep what they delete even when
//! the deleted value came earlier in the same batch, and the checkpoint moves to the last
//! record, all read back through a fresh open of the file.

use schema_registry::store::sqlite::SqliteStore;
use schema_registry::store::{LogEntry, RawRecord};

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

#[tokio::test]
async fn a_batch_spanning_many_sql_texts_lands_whole() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("cache.db");
    // 3,000 records of ~1 KB (over 6 MB of SQL text in hex), every 10th a tombstone for
    // the record just before it.
    let mut entries = Vec::new();
    for i in 0..3000i64 {
        let tombstone = i % 10 == 9;
        let subject = if tombstone { i - 1 } else { i };
        let key = format!(r#"{{"keytype":"SCHEMA","subject":"s{subject}","version":1}}"#);
        let value = (!tombstone).then(|| format!(r#"{{"n":{i},"pad":"{}"}}"#, "x".repeat(1000)));
        entries.push(entry(i, &key, value));
    }
    {
        let store = SqliteStore::open_cache(&path).await.expect("open");
        store
            .save(&entries, "kafka://b/_schemas", 42)
            .await
            .expect("save");
    }
    let store = SqliteStore::open_cache(&path).await.expect("reopen");
    assert_eq!(store.meta().await.expect("meta").checkpoint, 2999);
    // Live rows, tombstones (9, 2999) and the values they deleted (8, 2998), by offset.
    for offset in [0i64, 1, 7, 8, 9, 1500, 2998, 2999] {
        let row = store.row_at(offset).await.expect("row").expect("present");
        assert_eq!(
            row.record.key, entries[offset as usize].record.key,
            "{offset}"
        );
        assert_eq!(
            row.record.value, entries[offset as usize].record.value,
            "{offset}"
        );
    }
}

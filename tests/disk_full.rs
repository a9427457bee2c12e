//! The embedded store on a full disk (issue 12, point 1): a write is acknowledged only once
//! its commit really reached the file, a failed commit leaves the store in a known state
//! (it refuses writes with 50001 until it can commit again, then accepts them), and after a
//! restart every acknowledged schema is there under its ID and no ID is handed out twice.
//!
//! The store lives on a small tmpfs this test mounts (it needs root; without the mount it
//! skips with a message). Confluent answers a storage failure with 500/50001
//! (`rest/exceptions/Errors.java`, `STORE_ERROR_CODE`).

mod common;

use common::Server;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for the length of the test, unmounted on drop.
struct Tmpfs {
    dir: PathBuf,
    _holder: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let holder = tempfile::Builder::new()
            .prefix("sr-disk-full-")
            .tempdir()
            .ok()?;
        let dir = holder.path().join("mnt");
        std::fs::create_dir(&dir).ok()?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .ok()?;
        if !out.status.success() {
            eprintln!(
                "SKIPPED: cannot mount a tmpfs here ({}); the disk-full test needs root",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        Some(Tmpfs {
            dir,
            _holder: holder,
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

fn fill(path: &Path, bytes: usize) {
    std::fs::write(path, vec![0x5a_u8; bytes]).expect("write the filler file");
}

/// A record schema of about 1 KB, distinct per `n`.
fn schema(n: usize) -> String {
    let fields: Vec<Value> = (0..12)
        .map(|f| json!({"name": format!("field_{f}_with_a_long_enough_name"), "type": "string", "doc": "padding padding padding padding padding"}))
        .collect();
    json!({"type": "record", "name": format!("Full{n}"), "fields": fields}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_disk_never_acknowledges_an_unsaved_write_nor_reuses_an_id() {
    let Some(fs) = Tmpfs::mount("8m") else {
        return;
    };
    fill(&fs.dir.join("filler-a"), 3 << 20);
    let mut server = Server::start_in(&fs.dir);
    let (s, _) = server
        .put("/config", &json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(s, 200);

    // Register until the disk is full, then keep trying for a while: every answer must be
    // either a durable 200 or a clean 50001.
    let mut acked: Vec<(String, i64, i64, String)> = Vec::new();
    let mut failures = 0;
    let mut n = 0;
    while failures < 40 && n < 20_000 {
        let subject = format!("full-{}", n % 7);
        let body = schema(n);
        let (s, v) = server
            .post(
                &format!("/subjects/{subject}/versions"),
                &json!({"schema": body}),
            )
            .await;
        match s {
            200 => {
                let id = v["id"].as_i64().expect("id");
                let (s, v) = server
                    .post(&format!("/subjects/{subject}"), &json!({"schema": body}))
                    .await;
                assert_eq!(s, 200, "lookup of an acknowledged schema: {v}");
                acked.push((subject, v["version"].as_i64().expect("version"), id, body));
            }
            500 => {
                assert_eq!(v["error_code"], 50001, "a storage failure is 50001: {v}");
                failures += 1;
            }
            other => panic!("unexpected answer {other} {v}"),
        }
        n += 1;
    }
    assert!(failures >= 40, "the disk never filled ({n} registrations)");
    let before_free = acked.len();

    // Space comes back: the store must accept writes again.
    std::fs::remove_file(fs.dir.join("filler-a")).expect("free the filler");
    let mut after_free = 0;
    for k in 0..20 {
        let subject = "after-free".to_string();
        let body = schema(100_000 + k);
        let (s, v) = server
            .post(
                &format!("/subjects/{subject}/versions"),
                &json!({"schema": body}),
            )
            .await;
        if s == 200 {
            let id = v["id"].as_i64().expect("id");
            let (s2, v2) = server
                .post(&format!("/subjects/{subject}"), &json!({"schema": body}))
                .await;
            assert_eq!(s2, 200, "{v2}");
            acked.push((subject, v2["version"].as_i64().expect("version"), id, body));
            after_free += 1;
        } else {
            assert_eq!(v["error_code"], 50001, "{v}");
        }
    }
    assert!(
        after_free > 0,
        "the store did not recover once space was freed\n{}",
        common::tail(&server.log(), 4000)
    );

    // Restart: every acknowledged write is there, under its ID, and a new schema gets a
    // new ID.
    server.kill9();
    let server = Server::start_in(&fs.dir);
    let mut by_id: HashMap<i64, &str> = HashMap::new();
    for (subject, version, id, body) in &acked {
        if let Some(prev) = by_id.insert(*id, body) {
            assert_eq!(prev, body, "ID {id} was given to two schemas");
        }
        let (s, v) = server
            .get(&format!("/subjects/{subject}/versions/{version}"))
            .await;
        assert_eq!(
            s, 200,
            "acknowledged {subject} v{version} (id {id}) lost after restart: {v} \
             ({before_free} acknowledged before space was freed)"
        );
        assert_eq!(v["id"], *id, "{subject} v{version} changed its ID");
    }
    let fresh = schema(999_999);
    let (s, v) = server
        .post("/subjects/fresh/versions", &json!({"schema": fresh}))
        .await;
    assert_eq!(s, 200, "{v}");
    let id = v["id"].as_i64().expect("id");
    assert!(
        !by_id.contains_key(&id),
        "ID {id} handed out again after a restart"
    );
}

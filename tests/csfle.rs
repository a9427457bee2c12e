//! Client-side field-level encryption with the stock confluent-kafka client (issue 20),
//! against registries on a real Kafka-compatible broker (tansu): through a follower (its
//! DEK registry writes forwarded to the leader, `tests/clients/csfle_test.py` with
//! `SR_FOLLOWER_URL`), and across a restart (the keys replayed from `_dek_registry_keys`
//! alone: `--phase produce`, kill, start again, `--phase consume`). The single-node round
//! trips in Avro, JSON Schema and Protobuf, and the JS client's, run in
//! `tests/clients/run.sh`.
//!
//! Raw key material never reaches the registry: Confluent's `DataEncryptionKey` stores only
//! `encryptedKeyMaterial` (`keyMaterial` is `@JsonIgnore`), and for a KEK that is not shared
//! (what the clients create) it never has the raw key at all. Checked on what the registry
//! holds and logs: no `keyMaterial` field anywhere.

mod common;

use common::kafka::{broker_or_skip, Broker};
use common::{client_python_or_skip, run_bounded, tail, Server};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/csfle_test.py");
const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/csfle_shared.py");
const CLIENT_TIMEOUT: Duration = Duration::from_secs(300);

/// Runs the script with `args` and the environment given; panics with its output unless it
/// ends with "N passed, 0 failed" and exits 0. Returns its stdout.
fn run_client(python: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    run_script(python, SCRIPT, args, env)
}

fn run_script(python: &Path, script: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(python);
    cmd.arg(script).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let done = run_bounded(&mut cmd, CLIENT_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    let last = done
        .stdout
        .lines()
        .rev()
        .find(|l| l.ends_with(" failed"))
        .unwrap_or_default()
        .to_string();
    assert!(
        done.status.success() && last.ends_with(" passed, 0 failed"),
        "{script} {args:?}: {}\n{}\n{}",
        done.status,
        tail(&done.stdout, 12_000),
        tail(&done.stderr, 6_000)
    );
    done.stdout
}

/// Every record of a topic, as text.
fn topic_text(broker: &Broker, topic: &str) -> String {
    let mut out = String::new();
    for (_, key, value) in broker.records(topic) {
        out.push_str(&key);
        out.push('\n');
        if let Some(v) = value {
            out.push_str(&v);
            out.push('\n');
        }
    }
    out
}

fn no_raw_key_material(what: &str, text: &str) {
    assert!(
        !text.contains("\"keyMaterial\""),
        "{what} holds raw key material:\n{}",
        tail(text, 4000)
    );
}

fn node(broker: &Broker, dir: &Path) -> Server {
    Server::builder()
        .kafka(&broker.address())
        .topic("_schemas")
        .dir(dir)
        .start()
}

#[tokio::test]
async fn csfle_through_a_follower() {
    let test = "csfle_through_a_follower";
    let Some(python) = client_python_or_skip(test) else {
        return;
    };
    let Some(broker) = broker_or_skip(test) else {
        return;
    };
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().expect("dir")).collect();
    let nodes: Vec<Server> = dirs.iter().map(|d| node(&broker, d.path())).collect();
    let all: Vec<&Server> = nodes.iter().collect();
    let leader = common::agreed_leader(&all, Duration::from_secs(30)).await;
    let l = nodes.iter().find(|n| n.url == leader).expect("the leader");
    let f = nodes.iter().find(|n| n.url != leader).expect("a follower");
    // Produce at the leader, consume at the follower; then the other way round (the
    // follower's KEK, DEK and schema writes forwarded to the leader).
    let out = run_client(
        &python,
        &[],
        &[
            ("SR_URL", l.url.as_str()),
            ("SR_FOLLOWER_URL", f.url.as_str()),
        ],
    );
    for (p, c) in [(&l.url, &f.url), (&f.url, &l.url)] {
        let round = format!("produce at {p}, consume at {c}");
        assert!(out.contains(&round), "{round}:\n{}", tail(&out, 3000));
    }
    no_raw_key_material("the key topic", &topic_text(&broker, "_dek_registry_keys"));
    for n in &nodes {
        no_raw_key_material("a node's log", &n.log());
    }
}

#[tokio::test]
async fn csfle_after_a_restart_reads_the_keys_back_from_the_topic() {
    let test = "csfle_after_a_restart_reads_the_keys_back_from_the_topic";
    let Some(python) = client_python_or_skip(test) else {
        return;
    };
    let Some(broker) = broker_or_skip(test) else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let state = dir.path().join("csfle-state.json");
    let state = state.to_str().expect("utf-8 path");
    let mut first = node(&broker, dir.path());
    run_client(
        &python,
        &["--phase", "produce", "--state", state, "--url", &first.url],
        &[],
    );
    first.kill9();
    // A fresh data directory: nothing cached, the keys come from the topic alone.
    let other = tempfile::tempdir().expect("dir");
    let second = node(&broker, other.path());
    assert!(
        second.log().contains("DEK registry on"),
        "{}",
        tail(&second.log(), 3000)
    );
    run_client(
        &python,
        &["--phase", "consume", "--state", state, "--url", &second.url],
        &[],
    );
    no_raw_key_material("the key topic", &topic_text(&broker, "_dek_registry_keys"));
    no_raw_key_material("the log", &second.log());
}

/// A shared KEK: the registry's local KMS (`--dek-local-kms-secret`) makes the DEK, and the
/// stock client, without any KMS of its own, encrypts and decrypts with the key material
/// the registry answers; its own `LocalKmsClient` unwraps what the registry stored.
#[tokio::test]
async fn a_shared_kek_with_the_registrys_local_kms() {
    let Some(python) = client_python_or_skip("a_shared_kek_with_the_registrys_local_kms") else {
        return;
    };
    let s = Server::builder()
        .args(["--dek-local-kms-secret", "registry-local-secret"])
        .start();
    run_script(
        &python,
        SHARED,
        &[],
        &[
            ("SR_URL", s.url.as_str()),
            ("SR_SECRET", "registry-local-secret"),
        ],
    );
    assert!(!s.log().contains("registry-local-secret"));
}

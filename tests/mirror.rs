//! Mirroring and migration end to end (issue 6): two clusters, the same IDs on both sides.
//!
//! Two tansu brokers (upstream, downstream), a registry on the upstream `_schemas`, and
//! Confluent's real Python client (tests/clients/mirror_produce.py: `AvroSerializer`,
//! auto-registration) writing 10,000 records to `orders` while the value schema evolves
//! through three BACKWARD-compatible versions. MirrorMaker 2 cannot be installed here, so
//! [`Mirror`] stands in for it: a consume-and-produce copier that names the copies as MM2
//! does (`src.<topic>`), keeps key, value (tombstones too), headers, timestamp, partition
//! and order, and creates the copy with the source's partition count and topic configs.
//!
//! - `topic_mirror_…`: `orders` → `src.orders` and `_schemas` → `src._schemas`; a second
//!   registry follows `src._schemas` with `--read-only`. Its subjects, versions and IDs
//!   equal the upstream's, writes are refused (42205), a version registered upstream later
//!   shows up downstream, and `AvroDeserializer` against it decodes all of `src.orders`
//!   (tests/clients/mirror_consume.py).
//! - `exporter_…`: only `orders` is copied; the downstream registry has its own `_schemas`
//!   and the upstream one exports to it (`POST /exporters`, Confluent's exporter API);
//!   the same checks of IDs and decoding.
//!
//! Needs the broker (tests/common/kafka.rs) and the client venv (tests/clients/venv.sh);
//! without them the tests are skipped loudly, except under `CI=true`. The two tests run
//! one after the other (each starts two brokers, two registries and Python clients).

mod common;

use common::kafka::{broker_or_skip, Broker};
use common::{client_python_or_skip, run_bounded, tail, Server};
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Records the producer writes.
const COUNT: usize = 10_000;
/// Partitions of `orders` (so the copier's partition mapping is exercised).
const PARTITIONS: i32 = 2;
/// Upper bound of each Python client's run.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(240);
/// How long the consumer keeps reading before it gives up (below [`CLIENT_TIMEOUT`]).
const CONSUME_SECONDS: u64 = 180;
/// How long the downstream registry may take to show what the upstream one has.
const SYNC_TIMEOUT: Duration = Duration::from_secs(90);
/// Bytes of each log in a panic message.
const LOG_TAIL: usize = 6000;

/// The two tests each start four servers and Python clients: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

const CLIENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients");

/// The schema version registered upstream after the producer's three (BACKWARD-compatible
/// with v3 of mirror_produce.py: one more field with a default).
fn order_v4() -> String {
    json!({"type":"record","name":"Order","namespace":"shop","fields":[
        {"name":"seq","type":"long"},
        {"name":"customer","type":"string"},
        {"name":"amount","type":"double"},
        {"name":"currency","type":"string","default":"EUR"},
        {"name":"note","type":["null","string"],"default":null},
        {"name":"channel","type":"string","default":"web"}
    ]})
    .to_string()
}

// ---------------------------------------------------------------------------------------
// The copier.

/// Counts the copier's deliveries and keeps the first failures.
#[derive(Default)]
struct Deliveries {
    ok: AtomicU64,
    failed: Mutex<Vec<String>>,
}

struct MirrorContext(Arc<Deliveries>);

impl ClientContext for MirrorContext {}

impl ProducerContext for MirrorContext {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.0.ok.fetch_add(1, Ordering::Relaxed);
            }
            Err((e, m)) => {
                let mut failed = self.0.failed.lock().unwrap_or_else(|p| p.into_inner());
                if failed.len() < 20 {
                    failed.push(format!("{}/{}: {e}", m.topic(), m.partition()));
                }
            }
        }
    }
}

/// What the copier has done so far, for assertions and diagnostics.
#[derive(Default, Debug)]
struct MirrorProgress {
    /// Source topic → records read (and handed to the producer).
    copied: BTreeMap<String, u64>,
    /// (source topic, partition) → the offset of the last record read.
    last_offset: BTreeMap<(String, i32), i64>,
    /// Consumer and producer errors (the first ones).
    errors: Vec<String>,
    /// Set once the thread has ended (with its final flush).
    finished: bool,
}

/// A MirrorMaker 2 stand-in: copies `source` topics of one broker to `prefix.source` on
/// another, continuously, until stopped. No consumer group: every source partition is
/// `assign`ed from the beginning.
struct Mirror {
    stop: Arc<AtomicBool>,
    progress: Arc<Mutex<MirrorProgress>>,
    deliveries: Arc<Deliveries>,
    thread: Option<JoinHandle<()>>,
}

impl Mirror {
    /// MM2's name of the copy of `topic` from the cluster aliased `src`.
    fn remote_name(topic: &str) -> String {
        format!("src.{topic}")
    }

    /// Creates each copy (the source's partition count and explicitly set configs, as MM2
    /// does) and starts copying.
    async fn start(up: &Broker, down: &Broker, topics: &[&str]) -> Result<Mirror, String> {
        let mut assignment = TopicPartitionList::new();
        let mut names = BTreeMap::new();
        for topic in topics {
            let partitions = up.partition_count(topic)?;
            let configs = up.topic_configs(topic).await?;
            let configs: Vec<(&str, &str)> = configs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let remote = Self::remote_name(topic);
            down.create_topic(&remote, partitions, &configs).await?;
            for p in 0..partitions {
                assignment
                    .add_partition_offset(topic, p, Offset::Beginning)
                    .map_err(|e| e.to_string())?;
            }
            names.insert(topic.to_string(), remote);
        }
        let consumer: BaseConsumer = up
            .client_config()
            .set("group.id", "mirror-copier")
            .set("enable.auto.commit", "false")
            .set("fetch.wait.max.ms", "50")
            .create()
            .map_err(|e| format!("copier consumer: {e}"))?;
        consumer
            .assign(&assignment)
            .map_err(|e| format!("copier assign: {e}"))?;
        let deliveries = Arc::new(Deliveries::default());
        let producer: BaseProducer<MirrorContext> = down
            .client_config()
            .set("acks", "all")
            .set("enable.idempotence", "true")
            .set("linger.ms", "5")
            .create_with_context(MirrorContext(Arc::clone(&deliveries)))
            .map_err(|e| format!("copier producer: {e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(Mutex::new(MirrorProgress::default()));
        let thread = {
            let (stop, progress) = (Arc::clone(&stop), Arc::clone(&progress));
            std::thread::spawn(move || copy_loop(consumer, producer, names, stop, progress))
        };
        Ok(Mirror {
            stop,
            progress,
            deliveries,
            thread: Some(thread),
        })
    }

    /// Records of `topic` read from upstream so far.
    fn copied(&self, topic: &str) -> u64 {
        lock(&self.progress).copied.get(topic).copied().unwrap_or(0)
    }

    /// One line of progress for panic messages.
    fn describe(&self) -> String {
        let p = lock(&self.progress);
        format!(
            "mirror: copied {:?}, last offsets {:?}, delivered {}, delivery failures {:?}, \
             errors {:?}, finished {}",
            p.copied,
            p.last_offset,
            self.deliveries.ok.load(Ordering::Relaxed),
            lock(&self.deliveries.failed),
            p.errors,
            p.finished
        )
    }

    /// Stops copying (after a final flush) and returns the delivery failures.
    fn stop(&mut self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        lock(&self.deliveries.failed).clone()
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn copy_loop(
    consumer: BaseConsumer,
    producer: BaseProducer<MirrorContext>,
    names: BTreeMap<String, String>,
    stop: Arc<AtomicBool>,
    progress: Arc<Mutex<MirrorProgress>>,
) {
    let note = |e: String| {
        let mut p = lock(&progress);
        if p.errors.len() < 20 {
            p.errors.push(e);
        }
    };
    while !stop.load(Ordering::Relaxed) {
        producer.poll(Duration::ZERO);
        let m = match consumer.poll(Duration::from_millis(100)) {
            None => continue,
            Some(Err(e)) => {
                note(format!("consume: {e}"));
                continue;
            }
            Some(Ok(m)) => m,
        };
        let Some(remote) = names.get(m.topic()) else {
            note(format!("record of unexpected topic {}", m.topic()));
            continue;
        };
        let mut record: BaseRecord<'_, [u8], [u8]> =
            BaseRecord::to(remote).partition(m.partition());
        if let Some(k) = m.key() {
            record = record.key(k);
        }
        if let Some(v) = m.payload() {
            record = record.payload(v);
        }
        if let Some(h) = m.headers() {
            record = record.headers(h.detach());
        }
        if let Some(ts) = m.timestamp().to_millis() {
            record = record.timestamp(ts);
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    producer.poll(Duration::from_millis(50));
                }
                Err((e, _)) => {
                    note(format!("produce to {remote}: {e}"));
                    break;
                }
            }
        }
        let mut p = lock(&progress);
        *p.copied.entry(m.topic().to_string()).or_default() += 1;
        p.last_offset
            .insert((m.topic().to_string(), m.partition()), m.offset());
    }
    if let Err(e) = producer.flush(Duration::from_secs(30)) {
        note(format!("final flush: {e}"));
    }
    lock(&progress).finished = true;
}

// ---------------------------------------------------------------------------------------
// Registries, clients, comparisons.

/// Everything a registry serves about its schemas: `/subjects`, each subject's
/// `/versions` and every version (ID and schema), and `/schemas/ids/{id}` of every ID.
async fn dump(server: &Server) -> Result<Value, String> {
    let (s, subjects) = server.get("/subjects").await;
    if s != 200 {
        return Err(format!("GET /subjects: {s} {subjects}"));
    }
    let mut versions = serde_json::Map::new();
    let mut entries = serde_json::Map::new();
    let mut ids = BTreeMap::new();
    for subject in subjects.as_array().cloned().unwrap_or_default() {
        let subject = subject.as_str().unwrap_or_default().to_string();
        let (s, list) = server.get(&format!("/subjects/{subject}/versions")).await;
        if s != 200 {
            return Err(format!("GET /subjects/{subject}/versions: {s} {list}"));
        }
        let mut of_subject = serde_json::Map::new();
        for v in list.as_array().cloned().unwrap_or_default() {
            let (s, body) = server
                .get(&format!("/subjects/{subject}/versions/{v}"))
                .await;
            if s != 200 {
                return Err(format!("GET /subjects/{subject}/versions/{v}: {s} {body}"));
            }
            let id = body["id"].as_i64().unwrap_or(-1);
            of_subject.insert(
                v.to_string(),
                json!({"id": id, "schema": body["schema"], "schemaType": body["schemaType"]}),
            );
            ids.insert(id, Value::Null);
        }
        versions.insert(subject.clone(), list);
        entries.insert(subject, Value::Object(of_subject));
    }
    for (id, body) in ids.iter_mut() {
        let (s, b) = server.get(&format!("/schemas/ids/{id}")).await;
        if s != 200 {
            return Err(format!("GET /schemas/ids/{id}: {s} {b}"));
        }
        *body = common::without_ts(b);
    }
    let ids: serde_json::Map<String, Value> =
        ids.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    Ok(json!({"subjects": subjects, "versions": versions, "entries": entries, "ids": ids}))
}

/// Polls `check` (every 200 ms) until it returns `Ok`; panics after `limit` with its last
/// answer and `context()`.
async fn wait_until<F, Fut>(what: &str, limit: Duration, mut check: F, context: impl Fn() -> String)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let deadline = Instant::now() + limit;
    loop {
        let last = match check().await {
            Ok(()) => return,
            Err(e) => e,
        };
        if Instant::now() > deadline {
            panic!(
                "timed out after {limit:?} waiting for {what}\nlast: {}\n{}",
                tail(&last, 20_000),
                context()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs a Python client script; its last stdout line is its JSON result.
fn run_client(python: &Path, script: &str, args: &[String]) -> Result<Value, String> {
    let path = format!("{CLIENTS}/{script}");
    let done = run_bounded(Command::new(python).arg(&path).args(args), CLIENT_TIMEOUT)?;
    let line = done.stdout.lines().last().unwrap_or("").to_string();
    let result: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
    eprintln!("{script} ({:.1?}): {line}", done.elapsed);
    if !done.status.success() || !result.is_object() || result.get("error").is_some() {
        return Err(format!(
            "{script} {args:?} failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
            done.status,
            tail(&done.stdout, 8000),
            tail(&done.stderr, 8000)
        ));
    }
    Ok(result)
}

/// Brokers and a registry with their logs, for panic messages.
fn logs(brokers: &[(&str, &Broker)], servers: &[(&str, &Server)], mirror: &Mirror) -> String {
    let mut out = String::new();
    for (name, s) in servers {
        out.push_str(&format!(
            "--- {name} registry {} ---\n{}\n",
            s.url,
            tail(&s.log(), LOG_TAIL)
        ));
    }
    for (name, b) in brokers {
        out.push_str(&format!(
            "--- {name} broker {} ---\n{}\n",
            b.address(),
            tail(&b.log(), LOG_TAIL)
        ));
    }
    out.push_str(&mirror.describe());
    out
}

/// The Python client, and the two brokers; `None` (said on stderr) when one cannot run
/// here and this is not CI.
fn prerequisites(test: &str) -> Option<(PathBuf, Broker, Broker)> {
    let python = client_python_or_skip(test)?;
    let up = broker_or_skip(test)?;
    let down = broker_or_skip(test)?;
    Some((python, up, down))
}

fn start_registry(broker: &Broker, topic: &str, dir: &Path, extra: &[&str]) -> Server {
    let started = Server::builder()
        .kafka(&broker.address())
        .topic(topic)
        .dir(dir)
        .args(extra.iter().copied())
        .try_start();
    match started {
        Ok(s) => s,
        Err(e) => panic!(
            "registry on {topic} did not start: {e}\n--- broker ---\n{}",
            tail(&broker.log(), LOG_TAIL)
        ),
    }
}

/// Runs the producer against the upstream broker and registry; returns its per-ID counts.
fn produce(python: &Path, up: &Broker, upstream: &Server, context: impl Fn() -> String) -> Value {
    let args = [
        up.address(),
        upstream.url.clone(),
        "orders".to_string(),
        COUNT.to_string(),
        PARTITIONS.to_string(),
    ];
    let produced = match run_client(python, "mirror_produce.py", &args) {
        Ok(v) => v,
        Err(e) => panic!("{e}\n{}", context()),
    };
    assert_eq!(produced["produced"], json!(COUNT), "{produced}");
    let ids = produced["ids"].as_array().cloned().unwrap_or_default();
    assert_eq!(ids.len(), 3, "three schema versions, three IDs: {produced}");
    produced["per_id"].clone()
}

/// Runs the consumer on the downstream copy against the downstream registry and checks
/// that it decoded every record with the producer's schema IDs.
fn consume_all(
    python: &Path,
    down: &Broker,
    downstream: &Server,
    per_id: &Value,
    context: impl Fn() -> String,
) {
    let args = [
        down.address(),
        downstream.url.clone(),
        Mirror::remote_name("orders"),
        COUNT.to_string(),
        CONSUME_SECONDS.to_string(),
    ];
    let consumed = match run_client(python, "mirror_consume.py", &args) {
        Ok(v) => v,
        Err(e) => panic!(
            "the downstream consumer did not decode every record: {e}\n{}",
            context()
        ),
    };
    assert_eq!(
        consumed["decoded"],
        json!(COUNT),
        "{consumed}\n{}",
        context()
    );
    assert_eq!(consumed["failed"], json!(0), "{consumed}");
    assert_eq!(consumed["missing"], json!(0), "{consumed}");
    assert_eq!(consumed["mismatches"], json!(0), "{consumed}");
    assert_eq!(
        &consumed["per_id"], per_id,
        "the same schema IDs downstream as upstream: {consumed}"
    );
    assert_eq!(
        consumed["partitions"],
        json!((0..PARTITIONS).collect::<Vec<_>>())
    );
}

/// Registers [`order_v4`] upstream and waits until the downstream serves it under the
/// same ID (and otherwise the same state).
async fn new_version_reaches_downstream(
    upstream: &Server,
    downstream: &Server,
    context: impl Fn() -> String,
) {
    let (s, v) = upstream
        .post(
            "/subjects/orders-value/versions",
            &json!({"schema": order_v4()}),
        )
        .await;
    assert_eq!(s, 200, "register v4 upstream: {v}\n{}", context());
    let id = v["id"].as_i64().expect("an id");
    let want = dump(upstream).await.expect("upstream state");
    assert_eq!(
        want["versions"]["orders-value"],
        json!([1, 2, 3, 4]),
        "{want}"
    );
    wait_until(
        &format!("the downstream to serve version 4 (ID {id}) like the upstream"),
        SYNC_TIMEOUT,
        || async {
            let got = dump(downstream).await?;
            if got == want {
                Ok(())
            } else {
                Err(format!("downstream {got}\nupstream {want}"))
            }
        },
        &context,
    )
    .await;
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

// ---------------------------------------------------------------------------------------
// The tests.

#[test]
fn topic_mirror_with_a_read_only_downstream_registry_decodes_every_record() {
    let _serial = lock(&SERIAL);
    runtime().block_on(topic_mirror());
}

#[test]
fn exporter_to_a_downstream_registry_decodes_every_record() {
    let _serial = lock(&SERIAL);
    runtime().block_on(exporter());
}

async fn topic_mirror() {
    let test = "topic_mirror_with_a_read_only_downstream_registry_decodes_every_record";
    let Some((python, up, down)) = prerequisites(test) else {
        return;
    };
    let started = Instant::now();
    let (up_dir, down_dir) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let upstream = start_registry(&up, "_schemas", up_dir.path(), &[]);
    upstream.wait_until_leader().await;
    up.create_topic("orders", PARTITIONS, &[])
        .await
        .expect("orders");
    let mut mirror = Mirror::start(&up, &down, &["orders", "_schemas"])
        .await
        .unwrap_or_else(|e| panic!("mirror: {e}"));
    let copy_configs = down.topic_configs("src._schemas").await.expect("configs");
    assert!(
        copy_configs.contains(&("cleanup.policy".to_string(), "compact".to_string())),
        "the copy of _schemas is compacted like the original: {copy_configs:?}"
    );
    // The downstream registry follows the copy from the start, while it is being written.
    let downstream = start_registry(&down, "src._schemas", down_dir.path(), &["--read-only"]);
    let context = || {
        logs(
            &[("upstream", &up), ("downstream", &down)],
            &[("upstream", &upstream), ("downstream", &downstream)],
            &mirror,
        )
    };

    let per_id = produce(&python, &up, &upstream, context);
    eprintln!("{test}: produced after {:.1?}", started.elapsed());
    let want = dump(&upstream).await.expect("upstream state");
    assert_eq!(want["versions"]["orders-value"], json!([1, 2, 3]), "{want}");
    wait_until(
        "the downstream registry to serve the upstream's subjects, versions and IDs",
        SYNC_TIMEOUT,
        || async {
            let got = dump(&downstream).await?;
            if got == want {
                Ok(())
            } else {
                Err(format!("downstream {got}\nupstream {want}"))
            }
        },
        context,
    )
    .await;

    // Read-only: a new schema is refused, a lookup (a read over POST) answers.
    let (s, v) = downstream
        .post(
            "/subjects/orders-value/versions",
            &json!({"schema": order_v4()}),
        )
        .await;
    assert_eq!(
        (s, v["error_code"].clone()),
        (422, json!(42205)),
        "a write to the read-only downstream: {v}\n{}",
        context()
    );
    let v1 = want["entries"]["orders-value"]["1"].clone();
    let (s, v) = downstream
        .post("/subjects/orders-value", &json!({"schema": v1["schema"]}))
        .await;
    assert_eq!(
        (s, v["id"].clone(), v["version"].clone()),
        (200, v1["id"].clone(), json!(1)),
        "lookup on the read-only downstream: {v}"
    );

    // A version registered upstream later is followed.
    new_version_reaches_downstream(&upstream, &downstream, context).await;
    eprintln!("{test}: registries in sync after {:.1?}", started.elapsed());

    consume_all(&python, &down, &downstream, &per_id, context);
    let failures = mirror.stop();
    assert!(
        failures.is_empty(),
        "copier delivery failures: {failures:?}"
    );
    assert!(
        mirror.copied("orders") == COUNT as u64,
        "{}",
        mirror.describe()
    );
    // The read-only registry wrote nothing: its topic holds exactly the copied records.
    let copied = mirror.copied("_schemas") as i64;
    let end = high_watermark(&down, "src._schemas");
    assert_eq!(
        end,
        copied,
        "src._schemas has {end} records, the copier wrote {copied}\n{}\n--- downstream ---\n{}",
        mirror.describe(),
        tail(&downstream.log(), LOG_TAIL)
    );
    eprintln!("{test}: passed in {:.1?}", started.elapsed());
}

async fn exporter() {
    let test = "exporter_to_a_downstream_registry_decodes_every_record";
    let Some((python, up, down)) = prerequisites(test) else {
        return;
    };
    let started = Instant::now();
    let (up_dir, down_dir) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let upstream = start_registry(&up, "_schemas", up_dir.path(), &[]);
    let downstream = start_registry(&down, "_schemas", down_dir.path(), &[]);
    upstream.wait_until_leader().await;
    downstream.wait_until_leader().await;
    up.create_topic("orders", PARTITIONS, &[])
        .await
        .expect("orders");
    let mut mirror = Mirror::start(&up, &down, &["orders"])
        .await
        .unwrap_or_else(|e| panic!("mirror: {e}"));
    let context = || {
        logs(
            &[("upstream", &up), ("downstream", &down)],
            &[("upstream", &upstream), ("downstream", &downstream)],
            &mirror,
        )
    };

    // The upstream cluster is in use before the exporter exists.
    let per_id = produce(&python, &up, &upstream, context);
    eprintln!("{test}: produced after {:.1?}", started.elapsed());
    let want = dump(&upstream).await.expect("upstream state");
    assert_eq!(want["versions"]["orders-value"], json!([1, 2, 3]), "{want}");

    let (s, v) = upstream
        .post(
            "/exporters",
            &json!({
                "name": "to-downstream",
                "contextType": "NONE",
                "subjects": ["*"],
                "config": {"schema.registry.url": downstream.url},
            }),
        )
        .await;
    assert_eq!(s, 200, "POST /exporters: {v}\n{}", context());
    assert_eq!(v["name"], "to-downstream", "{v}");
    let status = || async { upstream.get("/exporters/to-downstream/status").await.1 };
    wait_until(
        "the downstream registry to serve the upstream's subjects, versions and IDs",
        SYNC_TIMEOUT,
        || async {
            let st = status().await;
            if st["state"] == "ERROR" {
                return Err(format!("exporter in ERROR: {st}"));
            }
            let got = dump(&downstream).await?;
            if got == want {
                Ok(())
            } else {
                Err(format!("exporter {st}\ndownstream {got}\nupstream {want}"))
            }
        },
        context,
    )
    .await;
    let st = status().await;
    assert_eq!(st["name"], "to-downstream", "{st}");
    assert_eq!(st["state"], "RUNNING", "{st}\n{}", context());

    // A version registered upstream later is exported too.
    new_version_reaches_downstream(&upstream, &downstream, context).await;
    eprintln!("{test}: registries in sync after {:.1?}", started.elapsed());

    consume_all(&python, &down, &downstream, &per_id, context);
    let failures = mirror.stop();
    assert!(
        failures.is_empty(),
        "copier delivery failures: {failures:?}"
    );
    assert!(
        mirror.copied("orders") == COUNT as u64,
        "{}",
        mirror.describe()
    );
    eprintln!("{test}: passed in {:.1?}", started.elapsed());
}

/// The high watermark of partition 0 of `topic`.
fn high_watermark(broker: &Broker, topic: &str) -> i64 {
    let c: BaseConsumer = broker.client_config().create().expect("consumer");
    c.fetch_watermarks(topic, 0, Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("watermarks of {topic}: {e}"))
        .1
}

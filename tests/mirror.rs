//! Mirroring and migration end to end (issue 6, issue 19): two clusters, the same IDs on
//! both sides.
//!
//! Two tansu brokers (upstream, downstream), a registry on the upstream `_schemas`, and
//! Confluent's real Python client (tests/clients/mirror_produce.py: the stock serializers,
//! auto-registration) writing records to a topic while the value schema evolves through
//! BACKWARD-compatible versions (tests/clients/mirror_formats.py). MirrorMaker 2 cannot be
//! installed here, so [`Mirror`] stands in for it: a consume-and-produce copier that names
//! the copies as MM2 does (`src.<topic>`), keeps key, value (tombstones too), headers,
//! timestamp, partition and order, and creates the copy with the source's partition count
//! and topic configs.
//!
//! - `topic_mirror_…`: 10,000 Avro records, `orders` → `src.orders` and `_schemas` →
//!   `src._schemas`; a second registry follows `src._schemas` with `--read-only`. Its
//!   subjects, versions and IDs equal the upstream's, writes are refused (42205), a version
//!   registered upstream later shows up downstream, and `AvroDeserializer` against it
//!   decodes all of `src.orders` (tests/clients/mirror_consume.py).
//! - `exporter_…`: only `orders` is copied; the downstream registry has its own `_schemas`
//!   and the upstream one exports to it (`POST /exporters`, Confluent's exporter API);
//!   the same checks of IDs and decoding.
//! - `fetch_through_downstream_…` (issue 19): only the data topics are copied (`orders-avro`,
//!   `orders-json`, `orders-protobuf` → `src.…`); the downstream registry has its own, empty
//!   `_schemas` and `--upstream-url` (through [`Relay`], so the URL survives a restart of
//!   the upstream registry) `--mirror-topic-prefix src.`: it answers an ID it lacks by
//!   fetching it from the upstream (stored in the context `.upstream`). Per format, 1,500
//!   records over versions 1–3 written while the downstream runs, then 150 with a version 4
//!   registered after the downstream fetched the first three: the stock deserializer
//!   (`AvroDeserializer`, `JSONDeserializer`, `ProtobufDeserializer`) decodes every record
//!   downstream with the upstream's IDs, the downstream's `/metrics` count one fetch per
//!   ID, and its `GET /schemas/ids/{id}` answers what the upstream does. Then 50 records
//!   with a version 5, the upstream registry killed before any consumer saw them: the
//!   schemas fetched before keep decoding, version 5 fails fast with a 5xx naming the
//!   upstream, and once the upstream registry is back (same `_schemas`, same state) the
//!   same consumer, retrying, decodes them.
//! - `fetch_through_64_consumers_…`: per format, a fresh downstream registry with an
//!   empty store, and 64 Python threads (tests/clients/mirror_burst.py) released together,
//!   each with its own client and deserializer, decoding the same records: one upstream
//!   fetch per distinct ID (single-flight, also counted on the upstream's own `/metrics`);
//!   wall time, first-decode latency p50/p99, and the latency a first fetch adds (first vs
//!   second `GET /schemas/ids/{id}?subject=…`) are printed for the record.
//!
//! Needs the broker (tests/common/kafka.rs) and the client venv (tests/clients/venv.sh);
//! without them the tests are skipped loudly, except under `CI=true`. The tests run one
//! after the other (each starts two brokers, several registries and Python clients).

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
use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
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

// ---------------------------------------------------------------------------------------
// Fetch-through (issue 19).

/// The formats of the fetch-through variant, each with its topic `orders-<format>`.
const FORMATS: [&str; 3] = ["avro", "json", "protobuf"];
/// Records per format written with versions 1–3 (a third each) …
const FT_COUNT: usize = 1_500;
/// … then with version 4, registered after the downstream fetched the first three …
const FT_V4: usize = 150;
/// … then with version 5, just before the upstream registry is killed.
const FT_V5: usize = 50;
/// How long a fetch-through consumer keeps reading before it gives up.
const FT_CONSUME_SECONDS: u64 = 90;
/// Longest one record whose schema cannot be fetched may take to fail, the client not
/// retrying (`--sr-max-retries 0`): the downstream's whole-fetch timeout
/// (`--upstream-timeout-ms`, 5 s by default) and some slack. A hang would take the
/// consumer's whole timeout instead.
const FT_FAIL_BOUND_SECONDS: f64 = 7.0;
/// How long the consumer retries the records that failed while the upstream was down.
const FT_RETRY_SECONDS: u64 = 90;
/// Threads of the start-at-once run …
const BURST_THREADS: usize = 64;
/// … and records per format they read from (versions 1–5, a fifth each).
const BURST_COUNT: usize = 500;
/// Schemas whose first and second `GET /schemas/ids/{id}?subject=…` are timed.
const PROBES: usize = 10;

/// The downstream's counters and histogram of fetch-through, and the request counter.
const FETCHES: &str = "schema_registry_upstream_fetches_total";
const LOOKUPS: &str = "schema_registry_upstream_lookups_total";
const FETCH_SECONDS: &str = "schema_registry_upstream_fetch_duration_seconds";
const HTTP_REQUESTS: &str = "schema_registry_http_requests_total";
const STORE_APPEND_SECONDS: &str = "schema_registry_store_append_duration_seconds";
/// The fetch outcomes other than `fetched` (`down`: refused at once after a recent failure).
const FETCH_FAILURES: [&str; 6] = [
    "not_found",
    "error",
    "timeout",
    "rate_limited",
    "down",
    "collision",
];

fn ft_topic(format: &str) -> String {
    format!("orders-{format}")
}

/// The downstream's flags: fetch from `upstream`, MM2's `src.` prefix.
fn ft_flags(upstream: &str) -> [&str; 4] {
    ["--upstream-url", upstream, "--mirror-topic-prefix", "src."]
}

/// A TCP relay in front of the upstream registry, so the downstream's `--upstream-url`
/// stays valid when the upstream registry is killed and started again (on another port:
/// [`Server`] always listens on a fresh one). [`Relay::close`] stops listening and cuts the
/// open connections, so the downstream sees what a dead registry gives (connection
/// refused); [`Relay::open`] listens again on the same port, towards the new process.
struct Relay {
    port: u16,
    target: Arc<Mutex<String>>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Relay {
    fn start(target: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("relay: bind");
        let port = listener.local_addr().expect("relay: address").port();
        let mut relay = Relay {
            port,
            target: Arc::new(Mutex::new(target.to_string())),
            conns: Arc::default(),
            stop: Arc::default(),
            thread: None,
        };
        relay.serve(listener);
        relay
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn serve(&mut self, listener: TcpListener) {
        let stop = Arc::new(AtomicBool::new(false));
        self.stop = Arc::clone(&stop);
        let (target, conns) = (Arc::clone(&self.target), Arc::clone(&self.conns));
        self.thread = Some(std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                let to: Option<SocketAddr> = lock(&target).parse().ok();
                let Some(server) =
                    to.and_then(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).ok())
                else {
                    continue; // dropped: the client sees its connection closed
                };
                let (Ok(c2), Ok(s2), Ok(c3), Ok(s3)) = (
                    client.try_clone(),
                    server.try_clone(),
                    client.try_clone(),
                    server.try_clone(),
                ) else {
                    continue;
                };
                lock(&conns).extend([c3, s3]);
                std::thread::spawn(move || pipe(client, s2));
                std::thread::spawn(move || pipe(server, c2));
            }
        }));
    }

    /// Stops listening and cuts every relayed connection.
    fn close(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // Wakes the accept loop, which then sees `stop` and drops the listener.
            let _ = TcpStream::connect(("127.0.0.1", self.port));
            let _ = t.join();
        }
        for c in lock(&self.conns).drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }

    /// Listens again on the same port, relaying to `target`.
    fn open(&mut self, target: &str) {
        *lock(&self.target) = target.to_string();
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .unwrap_or_else(|e| panic!("relay: bind 127.0.0.1:{} again: {e}", self.port));
        self.serve(listener);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.close();
    }
}

/// Copies `from` to `to` until `from` ends, then ends `to`'s writing side.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = to.flush();
    let _ = to.shutdown(Shutdown::Write);
}

/// The samples of a registry's `/metrics` (OpenMetrics text): name, labels, value.
struct Scrape(Vec<(String, BTreeMap<String, String>, f64)>);

impl Scrape {
    async fn of(server: &Server) -> Scrape {
        let text = async {
            let resp = server
                .client
                .get(format!("{}/metrics", server.url))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = resp.status();
            let body = resp.text().await.map_err(|e| e.to_string())?;
            if status.is_success() {
                Ok(body)
            } else {
                Err(format!("{status}: {body}"))
            }
        }
        .await;
        text.and_then(|t| parse_metrics(&t))
            .unwrap_or_else(|e| panic!("GET {}/metrics: {e}", server.url))
    }

    /// The sum of the samples named `name` whose labels include `with`.
    fn sum(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.0
            .iter()
            .filter(|(n, labels, _)| {
                n == name
                    && with
                        .iter()
                        .all(|(k, v)| labels.get(*k).is_some_and(|x| x == v))
            })
            .map(|(_, _, v)| v)
            .sum()
    }

    /// `after - before` of [`Scrape::sum`].
    fn delta(before: &Scrape, after: &Scrape, name: &str, with: &[(&str, &str)]) -> f64 {
        after.sum(name, with) - before.sum(name, with)
    }

    /// The fetch-through samples, for messages.
    fn upstream_samples(&self) -> String {
        self.0
            .iter()
            .filter(|(n, _, _)| n.starts_with("schema_registry_upstream_"))
            .map(|(n, l, v)| format!("{n}{l:?} {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Sample lines of the text exposition (comments skipped).
fn parse_metrics(text: &str) -> Result<Scrape, String> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let bad = || format!("bad sample line {line:?}");
        let end = line.find(['{', ' ']).ok_or_else(bad)?;
        let mut labels = BTreeMap::new();
        let mut rest = &line[end..];
        if let Some(mut inner) = rest.strip_prefix('{') {
            loop {
                if let Some(r) = inner.strip_prefix('}') {
                    rest = r;
                    break;
                }
                let eq = inner.find('=').ok_or_else(bad)?;
                let quoted = inner[eq + 1..].strip_prefix('"').ok_or_else(bad)?;
                let mut value = String::new();
                let mut chars = quoted.char_indices();
                let close = loop {
                    match chars.next() {
                        Some((i, '"')) => break i,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, 'n')) => value.push('\n'),
                            Some((_, c)) => value.push(c),
                            None => return Err(bad()),
                        },
                        Some((_, c)) => value.push(c),
                        None => return Err(bad()),
                    }
                };
                labels.insert(inner[..eq].to_string(), value);
                inner = &quoted[close + 1..];
                inner = inner.strip_prefix(',').unwrap_or(inner);
            }
        }
        let value = rest.trim_start().split(' ').next().unwrap_or_default();
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().map_err(|_| bad())?,
        };
        out.push((line[..end].to_string(), labels, value));
    }
    Ok(Scrape(out))
}

/// Checks that the fetches between two scrapes were `want` successful ones and no failed one.
fn assert_fetches(before: &Scrape, after: &Scrape, want: usize, what: &str) {
    let fetched = Scrape::delta(before, after, FETCHES, &[("outcome", "fetched")]);
    let failed: Vec<(&str, f64)> = FETCH_FAILURES
        .iter()
        .map(|o| (*o, Scrape::delta(before, after, FETCHES, &[("outcome", o)])))
        .filter(|(_, n)| *n != 0.0)
        .collect();
    assert!(
        fetched == want as f64 && failed.is_empty(),
        "{what}: want {want} upstream fetches (one per new ID: single-flight, then local) and \
         no failed one; got {fetched} fetched, failed {failed:?}\n--- downstream ---\n{}",
        after.upstream_samples()
    );
}

/// The arguments of mirror_consume.py reading `src.orders-<format>` downstream.
fn ft_consume_args(
    down: &Broker,
    registry: &str,
    format: &str,
    count: usize,
    extra: &[&str],
) -> Vec<String> {
    let mut args = vec![
        down.address(),
        registry.to_string(),
        Mirror::remote_name(&ft_topic(format)),
        count.to_string(),
        FT_CONSUME_SECONDS.to_string(),
        "--format".to_string(),
        format.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Runs mirror_produce.py for `format` upstream: `count` records from `seq_start`, with
/// `versions` (`--versions N` or `--only-version N`); its JSON result.
#[allow(clippy::too_many_arguments)]
fn ft_produce(
    python: &Path,
    up: &Broker,
    registry: &Server,
    format: &str,
    count: usize,
    seq_start: usize,
    versions: &[&str],
    context: &dyn Fn() -> String,
) -> Value {
    let mut args = vec![
        up.address(),
        registry.url.clone(),
        ft_topic(format),
        count.to_string(),
        PARTITIONS.to_string(),
        "--format".to_string(),
        format.to_string(),
        "--seq-start".to_string(),
        seq_start.to_string(),
    ];
    args.extend(versions.iter().map(|s| s.to_string()));
    let produced = run_client(python, "mirror_produce.py", &args)
        .unwrap_or_else(|e| panic!("{e}\n{}", context()));
    assert_eq!(produced["produced"], json!(count), "{produced}");
    produced
}

/// The schema IDs a producer reports, in version order.
fn ids_of(produced: &Value) -> Vec<i64> {
    produced["ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// Two `per_id` maps added up.
fn merged(a: &Value, b: &Value) -> Value {
    let mut out = a.as_object().cloned().unwrap_or_default();
    for (id, n) in b.as_object().cloned().unwrap_or_default() {
        let sum = out.get(&id).and_then(Value::as_u64).unwrap_or(0) + n.as_u64().unwrap_or(0);
        out.insert(id, json!(sum));
    }
    Value::Object(out)
}

/// Checks a consumer's result: all `count` records decoded, with the producer's IDs.
fn assert_decoded(consumed: &Value, count: usize, per_id: &Value, context: &dyn Fn() -> String) {
    let got = (
        &consumed["decoded"],
        &consumed["failed"],
        &consumed["missing"],
        &consumed["mismatches"],
        &consumed["duplicates"],
    );
    let want = (&json!(count), &json!(0), &json!(0), &json!(0), &json!(0));
    assert_eq!(
        got,
        want,
        "decoded, failed, missing, mismatches, duplicates: {consumed}\n{}",
        context()
    );
    assert_eq!(
        &consumed["per_id"], per_id,
        "the same schema IDs downstream as upstream: {consumed}"
    );
}

/// Checks a consumer's pass while the upstream registry is down: every record decodes but
/// those of `missing_id` (never fetched), which fail quickly with a 5xx naming the upstream.
fn assert_outage_pass(
    pass: &Value,
    total: usize,
    missing_id: i64,
    fail_seconds_max: f64,
    relay_url: &str,
    context: &dyn Fn() -> String,
) {
    assert_eq!(
        (&pass["decoded"], &pass["failed"], &pass["failed_per_id"]),
        (
            &json!(total - FT_V5),
            &json!(FT_V5),
            &json!({ missing_id.to_string(): FT_V5 })
        ),
        "upstream down: the schemas fetched before decode, only version 5 (ID {missing_id}) \
         fails: {pass}\n{}",
        context()
    );
    let error = pass["first_error"].as_str().unwrap_or_default();
    let status_5xx = ["502", "503", "504"]
        .iter()
        .any(|s| error.contains(&format!("HTTP status code {s}")));
    let names_upstream = error.to_lowercase().contains("upstream") || error.contains(relay_url);
    assert!(
        status_5xx && names_upstream,
        "the failure says 502/503/504 and names the upstream: {error:?}\n{pass}"
    );
    assert!(
        fail_seconds_max < FT_FAIL_BOUND_SECONDS,
        "a record whose schema cannot be fetched fails within {FT_FAIL_BOUND_SECONDS} s, \
         took {fail_seconds_max} s: {pass}"
    );
}

/// Every ID: the downstream's `GET /schemas/ids/{id}` answers what the upstream's does.
async fn same_schemas(
    upstream: &Server,
    downstream: &Server,
    ids: &[i64],
    context: &dyn Fn() -> String,
) {
    for id in ids {
        let path = format!("/schemas/ids/{id}");
        let (us, ub) = upstream.get(&path).await;
        let (ds, db) = downstream.get(&path).await;
        assert_eq!(
            (ds, common::without_ts(db)),
            (us, common::without_ts(ub)),
            "GET {path}: downstream (left) and upstream (right)\n{}",
            context()
        );
        assert_eq!(us, 200, "GET {path} upstream");
    }
}

#[test]
fn fetch_through_downstream_registry_fetches_missing_ids_and_decodes_every_record() {
    let _serial = lock(&SERIAL);
    runtime().block_on(fetch_through());
}

#[test]
fn fetch_through_64_consumers_starting_at_once_cause_one_fetch_per_id() {
    let _serial = lock(&SERIAL);
    runtime().block_on(fetch_through_burst());
}

async fn fetch_through() {
    let test = "fetch_through_downstream_registry_fetches_missing_ids_and_decodes_every_record";
    let Some((python, up, down)) = prerequisites(test) else {
        return;
    };
    let started = Instant::now();
    let (up_dir, down_dir, work) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let mut upstream = start_registry(&up, "_schemas", up_dir.path(), &[]);
    upstream.wait_until_leader().await;
    let mut relay = Relay::start(upstream.address());
    let relay_url = relay.url();
    let downstream = start_registry(&down, "_schemas", down_dir.path(), &ft_flags(&relay_url));
    downstream.wait_until_leader().await;
    let topics: Vec<String> = FORMATS.iter().map(|f| ft_topic(f)).collect();
    for t in &topics {
        up.create_topic(t, PARTITIONS, &[]).await.expect("topic");
    }
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    let mut mirror = Mirror::start(&up, &down, &names)
        .await
        .unwrap_or_else(|e| panic!("mirror: {e}"));
    macro_rules! context {
        () => {
            &|| {
                logs(
                    &[("upstream", &up), ("downstream", &down)],
                    &[("upstream", &upstream), ("downstream", &downstream)],
                    &mirror,
                )
            }
        };
    }

    // Versions 1–3 while the copier runs and the downstream is up, then version 4.
    let mut per_id = BTreeMap::new();
    let mut all_ids = Vec::new();
    for format in FORMATS {
        let before = Scrape::of(&downstream).await;
        let p123 = ft_produce(
            &python,
            &up,
            &upstream,
            format,
            FT_COUNT,
            0,
            &["--versions", "3"],
            context!(),
        );
        let v123 = ids_of(&p123);
        assert_eq!(v123.len(), 3, "three versions, three IDs: {p123}");
        let args = ft_consume_args(&down, &downstream.url, format, FT_COUNT, &[]);
        let consumed = run_client(&python, "mirror_consume.py", &args)
            .unwrap_or_else(|e| panic!("{format}: the downstream consumer: {e}\n{}", context!()()));
        assert_decoded(&consumed, FT_COUNT, &p123["per_id"], context!());
        let after = Scrape::of(&downstream).await;
        assert_fetches(&before, &after, 3, &format!("{format}, versions 1–3"));

        let p4 = ft_produce(
            &python,
            &up,
            &upstream,
            format,
            FT_V4,
            FT_COUNT,
            &["--only-version", "4"],
            context!(),
        );
        let v4 = ids_of(&p4);
        assert!(
            v4.len() == 1 && !v123.contains(&v4[0]),
            "version 4 has a new ID: {p4}"
        );
        let want = merged(&p123["per_id"], &p4["per_id"]);
        let args = ft_consume_args(&down, &downstream.url, format, FT_COUNT + FT_V4, &[]);
        let consumed = run_client(&python, "mirror_consume.py", &args)
            .unwrap_or_else(|e| panic!("{format}: the downstream consumer: {e}\n{}", context!()()));
        assert_decoded(&consumed, FT_COUNT + FT_V4, &want, context!());
        let after4 = Scrape::of(&downstream).await;
        assert_fetches(&after, &after4, 1, &format!("{format}, version 4"));
        eprintln!(
            "{test}: {format}: {} records decoded downstream, IDs {v123:?} + {v4:?} fetched \
             once each, after {:.1?}",
            FT_COUNT + FT_V4,
            started.elapsed()
        );
        per_id.insert(format, want);
        all_ids.extend(v123.into_iter().chain(v4));
    }
    same_schemas(&upstream, &downstream, &all_ids, context!()).await;

    // Version 5, written just before the upstream registry dies; no consumer saw it yet.
    let mut v5 = BTreeMap::new();
    for format in FORMATS {
        let seq_start = FT_COUNT + FT_V4;
        let p5 = ft_produce(
            &python,
            &up,
            &upstream,
            format,
            FT_V5,
            seq_start,
            &["--only-version", "5"],
            context!(),
        );
        let id = ids_of(&p5);
        assert!(
            id.len() == 1 && !all_ids.contains(&id[0]),
            "version 5 has a new ID: {p5}"
        );
        v5.insert(format, id[0]);
        let want = merged(&per_id[format], &p5["per_id"]);
        per_id.insert(format, want);
    }
    let total = FT_COUNT + FT_V4 + FT_V5;
    wait_until(
        "the copier to copy every record",
        SYNC_TIMEOUT,
        || async {
            let copied: Vec<u64> = topics.iter().map(|t| mirror.copied(t)).collect();
            if copied.iter().all(|n| *n >= total as u64) {
                Ok(())
            } else {
                Err(format!("copied {copied:?} of {total} each"))
            }
        },
        context!(),
    )
    .await;

    let before_outage = Scrape::of(&downstream).await;
    upstream.kill9();
    relay.close();
    eprintln!(
        "{test}: upstream registry killed after {:.1?}",
        started.elapsed()
    );
    let no_retries = ["--allow-failures", "--sr-max-retries", "0"];
    for format in ["json", "protobuf"] {
        let args = ft_consume_args(&down, &downstream.url, format, total, &no_retries);
        let pass = run_client(&python, "mirror_consume.py", &args)
            .unwrap_or_else(|e| panic!("{format}, upstream down: {e}\n{}", context!()()));
        let slowest = pass["fail_seconds_max"].as_f64().unwrap_or(f64::MAX);
        assert_outage_pass(&pass, total, v5[format], slowest, &relay_url, context!());
        eprintln!(
            "{test}: {format}, upstream down: {} decoded, {} failed (slowest failure {slowest} s): {}",
            pass["decoded"], pass["failed"], pass["first_error"]
        );
    }
    // Avro: one consumer keeps retrying its failed records while the upstream comes back.
    let progress = work.path().join("avro-first-pass.json");
    let retrying = {
        let mut extra = no_retries.to_vec();
        let (seconds, file) = (FT_RETRY_SECONDS.to_string(), progress.display().to_string());
        extra.extend(["--retry-seconds", &seconds, "--progress-file", &file]);
        let args = ft_consume_args(&down, &downstream.url, "avro", total, &extra);
        let python = python.clone();
        std::thread::spawn(move || run_client(&python, "mirror_consume.py", &args))
    };
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    let first_pass: Value = loop {
        if let Some(v) = std::fs::read_to_string(&progress)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
        {
            break v;
        }
        if retrying.is_finished() || Instant::now() > deadline {
            let r = retrying.join();
            panic!(
                "the retrying avro consumer wrote no first pass: {r:?}\n{}",
                context!()()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Its first pass's slowest failure is in the final result; the counts are here.
    assert_outage_pass(&first_pass, total, v5["avro"], 0.0, &relay_url, context!());

    // Back: a new process on the same `_schemas` holds the same schemas.
    upstream = start_registry(&up, "_schemas", up_dir.path(), &[]);
    wait_until(
        "the restarted upstream registry to serve the version-5 IDs",
        SYNC_TIMEOUT,
        || async {
            for id in v5.values() {
                let (s, b) = upstream.get(&format!("/schemas/ids/{id}")).await;
                if s != 200 {
                    return Err(format!("GET /schemas/ids/{id}: {s} {b}"));
                }
            }
            Ok(())
        },
        context!(),
    )
    .await;
    relay.open(upstream.address());
    let back = Instant::now();
    let recovered = retrying
        .join()
        .expect("the consumer thread")
        .unwrap_or_else(|e| panic!("avro, upstream back: {e}\n{}", context!()()));
    let waited = back.elapsed();
    assert_decoded(&recovered, total, &per_id["avro"], context!());
    let slowest = recovered["fail_seconds_max"].as_f64().unwrap_or(f64::MAX);
    assert!(
        slowest < FT_FAIL_BOUND_SECONDS,
        "avro: each failed attempt took under {FT_FAIL_BOUND_SECONDS} s: {recovered}"
    );
    assert_eq!(recovered["retry"]["recovered"], json!(FT_V5), "{recovered}");
    eprintln!(
        "{test}: avro: the {FT_V5} version-5 records decoded {waited:.1?} after the upstream \
         was back ({} retry rounds, slowest failure {slowest} s, first error {})",
        recovered["retry"]["rounds"], first_pass["first_error"]
    );
    for format in ["json", "protobuf"] {
        let args = ft_consume_args(&down, &downstream.url, format, total, &[]);
        let consumed = run_client(&python, "mirror_consume.py", &args)
            .unwrap_or_else(|e| panic!("{format}, upstream back: {e}\n{}", context!()()));
        assert_decoded(&consumed, total, &per_id[format], context!());
    }
    let after_outage = Scrape::of(&downstream).await;
    let fetched = Scrape::delta(
        &before_outage,
        &after_outage,
        FETCHES,
        &[("outcome", "fetched")],
    );
    let errors: f64 = ["error", "down"]
        .iter()
        .map(|o| Scrape::delta(&before_outage, &after_outage, FETCHES, &[("outcome", o)]))
        .sum();
    assert_eq!(
        fetched,
        v5.len() as f64,
        "one fetch per version-5 ID once the upstream was back\n{}",
        after_outage.upstream_samples()
    );
    assert!(
        errors >= 1.0,
        "the failed fetches are counted (outcome=\"error\" or \"down\")\n{}",
        after_outage.upstream_samples()
    );
    let v5_ids: Vec<i64> = v5.values().copied().collect();
    same_schemas(&upstream, &downstream, &v5_ids, context!()).await;

    let failures = mirror.stop();
    assert!(
        failures.is_empty(),
        "copier delivery failures: {failures:?}"
    );
    for t in &topics {
        assert_eq!(mirror.copied(t), total as u64, "{}", mirror.describe());
    }
    let last = Scrape::of(&downstream).await;
    eprintln!(
        "{test}: downstream fetch-through metrics at the end:\n{}",
        last.upstream_samples()
    );
    eprintln!("{test}: passed in {:.1?}", started.elapsed());
}

/// Nearest-rank percentile of sorted `values`.
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

async fn fetch_through_burst() {
    let test = "fetch_through_64_consumers_starting_at_once_cause_one_fetch_per_id";
    let Some((python, up, down)) = prerequisites(test) else {
        return;
    };
    let started = Instant::now();
    let up_dir = tempfile::tempdir().expect("dir");
    let upstream = start_registry(&up, "_schemas", up_dir.path(), &[]);
    upstream.wait_until_leader().await;
    let topics: Vec<String> = FORMATS.iter().map(|f| ft_topic(f)).collect();
    for t in &topics {
        up.create_topic(t, PARTITIONS, &[]).await.expect("topic");
    }
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    let mut mirror = Mirror::start(&up, &down, &names)
        .await
        .unwrap_or_else(|e| panic!("mirror: {e}"));
    let context = || {
        logs(
            &[("upstream", &up), ("downstream", &down)],
            &[("upstream", &upstream)],
            &mirror,
        )
    };
    for format in FORMATS {
        let p = ft_produce(
            &python,
            &up,
            &upstream,
            format,
            BURST_COUNT,
            0,
            &["--versions", "5"],
            &context,
        );
        assert_eq!(ids_of(&p).len(), 5, "five versions, five IDs: {p}");
    }
    wait_until(
        "the copier to copy every record",
        SYNC_TIMEOUT,
        || async {
            let copied: Vec<u64> = topics.iter().map(|t| mirror.copied(t)).collect();
            if copied.iter().all(|n| *n >= BURST_COUNT as u64) {
                Ok(())
            } else {
                Err(format!("copied {copied:?} of {BURST_COUNT} each"))
            }
        },
        context,
    )
    .await;
    eprintln!(
        "{test}: produced and copied after {:.1?}",
        started.elapsed()
    );

    for format in FORMATS {
        // A downstream registry with an empty store of its own.
        let dir = tempfile::tempdir().expect("dir");
        let topic = format!("_schemas_burst_{format}");
        let fresh = start_registry(&down, &topic, dir.path(), &ft_flags(&upstream.url));
        fresh.wait_until_leader().await;
        let context = || {
            logs(
                &[("upstream", &up), ("downstream", &down)],
                &[("upstream", &upstream), ("downstream", &fresh)],
                &mirror,
            )
        };
        let (d0, u0) = (Scrape::of(&fresh).await, Scrape::of(&upstream).await);
        let args = [
            down.address(),
            fresh.url.clone(),
            Mirror::remote_name(&ft_topic(format)),
            "--format".to_string(),
            format.to_string(),
            "--threads".to_string(),
            BURST_THREADS.to_string(),
        ];
        let r = run_client(&python, "mirror_burst.py", &args)
            .unwrap_or_else(|e| panic!("{format}: {e}\n{}", context()));
        let (d1, u1) = (Scrape::of(&fresh).await, Scrape::of(&upstream).await);
        let distinct = r["ids"].as_array().map_or(0, Vec::len);
        assert_eq!(distinct, 5, "the records carry five IDs: {r}");
        let per_thread = r["records_per_thread"].as_u64().unwrap_or(0);
        assert_eq!(
            (&r["decoded"], &r["failed"], &r["mismatches"]),
            (
                &json!(per_thread * BURST_THREADS as u64),
                &json!(0),
                &json!(0)
            ),
            "{format}: every thread decoded every record: {r}\n{}",
            context()
        );
        let fetched = Scrape::delta(&d0, &d1, FETCHES, &[("outcome", "fetched")]);
        let joined = Scrape::delta(&d0, &d1, LOOKUPS, &[("result", "joined")]);
        let hits = Scrape::delta(&d0, &d1, LOOKUPS, &[("result", "hit")]);
        let calls = Scrape::delta(&u0, &u1, HTTP_REQUESTS, &[("route", "/schemas/ids/{id}")]);
        eprintln!(
            "fetch-through report: {format}: {BURST_THREADS} consumers at once on an empty \
             downstream: {} decodes ({per_thread} records each, IDs {}), wall {} ms, first \
             decode ms {}, per-thread total ms {}; downstream fetches {fetched}, lookups joined \
             {joined}, hit {hits}; upstream GET /schemas/ids/{{id}} calls {calls}",
            r["decoded"], r["ids"], r["wall_ms"], r["first_decode_ms"], r["thread_ms"]
        );
        assert_fetches(
            &d0,
            &d1,
            distinct,
            &format!("{format}, {BURST_THREADS} consumers at once"),
        );
        assert_eq!(
            calls, distinct as f64,
            "{format}: the upstream answered one GET /schemas/ids/{{id}} per distinct ID"
        );
    }

    // The latency a first fetch adds: first and second GET of fresh IDs with the hint.
    let dir = tempfile::tempdir().expect("dir");
    let fresh = start_registry(
        &down,
        "_schemas_probe",
        dir.path(),
        &ft_flags(&upstream.url),
    );
    fresh.wait_until_leader().await;
    let (mut probes, mut registrations) = (Vec::new(), Vec::new());
    for i in 0..PROBES {
        let schema = json!({"type": "record", "name": format!("Probe{i}"), "namespace": "shop",
            "fields": [{"name": "n", "type": "long"}]});
        let subject = format!("probe{i}-value");
        let t = Instant::now();
        let (s, v) = upstream
            .post(
                &format!("/subjects/{subject}/versions"),
                &json!({"schema": schema.to_string()}),
            )
            .await;
        registrations.push(t.elapsed());
        assert_eq!(s, 200, "register {subject}: {v}");
        probes.push((v["id"].as_i64().expect("an id"), subject));
    }
    let before = Scrape::of(&fresh).await;
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for (id, subject) in &probes {
        let path = format!("/schemas/ids/{id}?subject=src.{subject}");
        for times in [&mut first, &mut second] {
            let t = Instant::now();
            let (s, v) = fresh.get(&path).await;
            times.push(t.elapsed());
            assert_eq!(s, 200, "GET {path} downstream: {v}\n{}", fresh.log());
        }
    }
    let after = Scrape::of(&fresh).await;
    assert_fetches(&before, &after, PROBES, "probes");
    first.sort();
    second.sort();
    registrations.sort();
    let mean_ms = |family: &str| {
        let sum = Scrape::delta(&before, &after, &format!("{family}_sum"), &[]);
        let count = Scrape::delta(&before, &after, &format!("{family}_count"), &[]);
        let mean = if count > 0.0 {
            sum / count * 1000.0
        } else {
            0.0
        };
        (count, mean)
    };
    let (fetches, fetch_ms) = mean_ms(FETCH_SECONDS);
    let (appends, append_ms) = mean_ms(STORE_APPEND_SECONDS);
    eprintln!(
        "fetch-through report: first GET /schemas/ids/{{id}}?subject=… (a fetch) p50 {:.1?} \
         max {:.1?}; second (local) p50 {:.1?} max {:.1?}; {PROBES} IDs; the downstream's \
         fetch histogram: {fetches} fetches, mean {fetch_ms:.1} ms, of which its store's \
         appends (Kafka): {appends}, mean {append_ms:.1} ms; for comparison a registration \
         on the upstream (Kafka store too) p50 {:.1?}",
        percentile(&first, 0.5),
        first.last().copied().unwrap_or_default(),
        percentile(&second, 0.5),
        second.last().copied().unwrap_or_default(),
        percentile(&registrations, 0.5),
    );
    let failures = mirror.stop();
    assert!(
        failures.is_empty(),
        "copier delivery failures: {failures:?}"
    );
    eprintln!("{test}: passed in {:.1?}", started.elapsed());
}

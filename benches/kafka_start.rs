//! Start-up on the Kafka store: a cold start (no local cache) that replays a topic holding
//! `SR_BENCH_SCHEMAS` (100,000) schemas, and a warm restart from the local cache. Prints the
//! time from process start to serving, and the resident memory once serving.
//!
//! `cargo bench --bench kafka_start` (needs tansu with the sqlite engine, see
//! tests/common/kafka.rs). Numbers, not assertions; goals: cold < 3 s, warm < 0.5 s.

#[path = "../tests/common/kafka.rs"]
#[allow(dead_code)]
mod kafka;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(300);

/// A schema record in Confluent's bytes for version 1 of `subject-<i>` with ID `i + 1`.
fn record(i: usize) -> (String, String) {
    let subject = format!("subject-{i}");
    let schema = format!(
        r#"{{"type":"record","name":"R{i}","namespace":"bench","fields":[{{"name":"id","type":"long"}},{{"name":"name{i}","type":"string"}},{{"name":"tags","type":{{"type":"array","items":"string"}},"default":[]}}]}}"#
    );
    let key = format!(r#"{{"keytype":"SCHEMA","subject":"{subject}","version":1,"magic":1}}"#);
    let value = serde_json::json!({
        "subject": subject, "version": 1, "id": i + 1, "schema": schema, "deleted": false
    })
    .to_string();
    (key, value)
}

struct Started {
    child: Child,
    url: String,
    to_serving: Duration,
    log: mpsc::Receiver<String>,
}

fn start_registry(address: &str, dir: &Path) -> Started {
    let t0 = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_schema-registry"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--store",
            &format!("kafka://{address}/_schemas"),
            "--kafka-property",
            "broker.address.family=v4",
            "--kafka-replication-factor",
            "1",
            "--kafka-cache",
            &dir.join("cache.db").display().to_string(),
            "--log",
            "warn,schema_registry=info,schema_registry::store::kafka=debug",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the registry");
    let (tx, rx) = mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let mut lines = Vec::new();
    let (to_serving, url) = loop {
        match rx.recv_timeout(TIMEOUT) {
            Ok(l) if l.contains("listening on http://") => {
                let url = l
                    .split("listening on ")
                    .nth(1)
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                if std::env::var("SR_BENCH_VERBOSE").is_ok() {
                    eprintln!("{}", lines.join("\n"));
                }
                break (t0.elapsed(), url);
            }
            Ok(l) => lines.push(l),
            Err(_) => panic!("the registry did not start:\n{}", lines.join("\n")),
        }
    };
    Started {
        child,
        url,
        to_serving,
        log: rx,
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The process's CPU time so far (user + system), from /proc (clock ticks of 1/100 s).
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at ") ".
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

/// Waits for the cache writer's log line covering `offset`.
fn wait_cached(s: &Started, offset: i64) {
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(line) = s.log.recv_timeout(Duration::from_secs(1)) {
            if let Some(cp) = line
                .split("checkpoint=")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .and_then(|v| v.parse::<i64>().ok())
            {
                if cp >= offset {
                    return;
                }
            }
        }
    }
    panic!("the cache did not reach offset {offset}");
}

fn stop(mut s: Started) {
    let _ = Command::new("kill").arg(s.child.id().to_string()).status();
    let _ = s.child.wait();
}

fn http_get(port_url: &str, path: &str) -> String {
    let addr = port_url.trim_start_matches("http://");
    let mut c = std::net::TcpStream::connect(addr).expect("connect");
    write!(c, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").expect("write");
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    out
}

fn main() {
    let n: usize = std::env::var("SR_BENCH_SCHEMAS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let broker = match kafka::Broker::start() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("no broker: {e}");
            std::process::exit(1);
        }
    };
    let address = broker.address();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let produce_time = rt.block_on(async {
        let admin: AdminClient<DefaultClientContext> =
            broker.client_config().create().expect("admin");
        let t = NewTopic::new("_schemas", 1, TopicReplication::Fixed(1))
            .set("cleanup.policy", "compact");
        admin
            .create_topics([&t], &AdminOptions::new())
            .await
            .expect("create topic");
        let p: FutureProducer = broker
            .client_config()
            .set("linger.ms", "50")
            .set("batch.num.messages", "10000")
            .set("queue.buffering.max.messages", "1000000")
            .create()
            .expect("producer");
        let t0 = Instant::now();
        let records: Vec<(String, String)> = (0..n).map(record).collect();
        let mut pending = Vec::with_capacity(n);
        for (k, v) in &records {
            let r = FutureRecord::to("_schemas")
                .partition(0)
                .key(k.as_str())
                .payload(v.as_str());
            pending.push(p.send_result(r).map_err(|(e, _)| e).expect("enqueue"));
        }
        for f in pending {
            f.await
                .expect("delivery")
                .map_err(|(e, _)| e)
                .expect("delivered");
        }
        t0.elapsed()
    });
    println!(
        "topic filled: {n} schemas in {:.1} s ({:.0} records/s)",
        produce_time.as_secs_f64(),
        n as f64 / produce_time.as_secs_f64()
    );

    let dir = tempfile::tempdir().expect("dir");
    let cold = start_registry(&address, dir.path());
    let cold_rss = rss_kib(cold.child.id());
    let cold_cpu = cpu_secs(cold.child.id());
    let answer = http_get(&cold.url, &format!("/schemas/ids/{n}"));
    assert!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );
    // The NOOP end-of-log marker follows the n schemas: offset n.
    wait_cached(&cold, n as i64);
    let cold_time = cold.to_serving;
    stop(cold);
    let warm = start_registry(&address, dir.path());
    let warm_rss = rss_kib(warm.child.id());
    let warm_cpu = cpu_secs(warm.child.id());
    let answer = http_get(&warm.url, &format!("/schemas/ids/{n}"));
    assert!(answer.contains(" 200 "), "{answer}");
    let warm_time = warm.to_serving;
    stop(warm);

    println!();
    println!(
        "| start (Kafka store, {n} schemas) | process start to serving | registry CPU by then | RSS when serving |"
    );
    println!("| --- | --- | --- | --- |");
    println!(
        "| cold: no cache, full replay of the topic | {:.3} s | {:.2} s | {:.1} MiB |",
        cold_time.as_secs_f64(),
        cold_cpu,
        cold_rss as f64 / 1024.0
    );
    println!(
        "| warm: from the local cache | {:.3} s | {:.2} s | {:.1} MiB |",
        warm_time.as_secs_f64(),
        warm_cpu,
        warm_rss as f64 / 1024.0
    );
    if std::env::var("SR_BENCH_KEEP").is_ok() {
        // For profiling by hand: leave the broker and the cache behind.
        println!("kept: broker {address}, cache {}", dir.keep().display());
        std::mem::forget(broker);
    }
}

//! A real Kafka-compatible broker for the tests: tansu 0.6.0 with its sqlite engine, started
//! on a free port with its own data directory (see ../shared/BROKER.md).
//!
//! The binary is `$TANSU_BIN`, else `tansu` on `PATH`, else `~/.cargo/bin/tansu`; it must
//! list the `libsql` storage engine in `tansu --help`. `.ci/run` installs it. Without it,
//! Kafka tests fail under `CI=true` and are skipped loudly (a message on stderr) otherwise.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the broker may take to accept connections.
const BROKER_START_TIMEOUT: Duration = Duration::from_secs(30);

/// Finds a tansu binary with the sqlite engine.
pub fn tansu_binary() -> Result<PathBuf, String> {
    let mut candidates = Vec::new();
    if let Ok(p) = std::env::var("TANSU_BIN") {
        candidates.push(PathBuf::from(p));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            candidates.push(dir.join("tansu"));
        }
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".cargo/bin/tansu"));
    }
    for c in candidates {
        if !c.is_file() {
            continue;
        }
        let help = Command::new(&c)
            .arg("--help")
            .stdin(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        if help.contains("libsql") {
            return Ok(c);
        }
    }
    Err(
        "no tansu broker with the sqlite (libsql) engine found: run \
         `cargo install tansu --version 0.6.0 --locked --features dynostore,libsql` \
         or set TANSU_BIN"
            .into(),
    )
}

/// Returns a broker, or `None` (after saying so on stderr) when none can run here and this
/// is not CI. Under `CI=true` a missing broker is a failure.
pub fn broker_or_skip(test: &str) -> Option<Broker> {
    match Broker::start() {
        Ok(b) => Some(b),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{test}: cannot start the Kafka broker under CI: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED {test}: {e}");
            None
        }
    }
}

/// A running broker; killed on drop. `stop`/`start_again` keep its data directory and port.
pub struct Broker {
    pub port: u16,
    pub dir: tempfile::TempDir,
    bin: PathBuf,
    child: Option<Child>,
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

impl Broker {
    pub fn start() -> Result<Broker, String> {
        let bin = tansu_binary()?;
        let dir = tempfile::Builder::new()
            .prefix("tansu-test-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let mut b = Broker {
            port: free_port()?,
            dir,
            bin,
            child: None,
        };
        b.start_again()?;
        Ok(b)
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The `--store` URL of a registry on `topic` of this broker.
    pub fn store_url(&self, topic: &str) -> String {
        format!("kafka://{}/{topic}", self.address())
    }

    /// A librdkafka configuration for this broker (IPv4, no topic auto-creation), for the
    /// tests' own producers, consumers and admin clients.
    pub fn client_config(&self) -> rdkafka::ClientConfig {
        let mut c = rdkafka::ClientConfig::new();
        c.set("bootstrap.servers", self.address())
            .set("broker.address.family", "v4")
            .set("allow.auto.create.topics", "false");
        c
    }

    /// Every record of `topic`'s partition 0 up to its current end, in order: (offset, key,
    /// value) as text (`None`: a tombstone). Bounded: panics after 20 s.
    pub fn records(&self, topic: &str) -> Vec<(i64, String, Option<String>)> {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        use rdkafka::{Message, Offset, TopicPartitionList};
        let limit = Duration::from_secs(20);
        let c: BaseConsumer = self
            .client_config()
            .set("group.id", "test-reader")
            .set("enable.auto.commit", "false")
            .create()
            .expect("consumer");
        let (_, high) = c.fetch_watermarks(topic, 0, limit).expect("watermarks");
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, 0, Offset::Beginning)
            .expect("tpl");
        c.assign(&tpl).expect("assign");
        let mut out = Vec::new();
        let deadline = Instant::now() + limit;
        while out.last().is_none_or(|(o, _, _)| *o < high - 1) {
            assert!(
                Instant::now() < deadline,
                "{topic} not read to {high} in time: {out:?}"
            );
            if let Some(Ok(m)) = c.poll(Duration::from_millis(200)) {
                let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
                out.push((
                    m.offset(),
                    text(m.key()).unwrap_or_default(),
                    text(m.payload()),
                ));
            }
        }
        out
    }

    /// (Re)starts the broker process on the same port and data directory.
    pub fn start_again(&mut self) -> Result<(), String> {
        if self.child.is_some() {
            return Ok(());
        }
        let url = format!("tcp://{}", self.address());
        let log =
            std::fs::File::create(self.dir.path().join("broker.log")).map_err(|e| e.to_string())?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(&self.bin)
            .args([
                "broker",
                "--cluster-id",
                "test",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "sqlite://broker.db",
            ])
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
        self.child = Some(child);
        let addr: SocketAddr = self.address().parse().map_err(|e| format!("{e}"))?;
        let deadline = Instant::now() + BROKER_START_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    self.child = None;
                    return Err(format!(
                        "the broker exited at start ({status}):\n{}",
                        self.log()
                    ));
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the broker did not accept connections within {BROKER_START_TIMEOUT:?}:\n{}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends `sig` (`-STOP`, `-CONT`, …) to the broker process.
    pub fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().map(Child::id).expect("the broker runs");
        let ok = Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill {sig} {pid}");
    }

    /// Kills the broker (its data stays).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("broker.log")).unwrap_or_default()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Topic helpers for tests that shape their own topics (mirroring).
impl Broker {
    /// Creates `topic` with `partitions` partitions, replication factor 1 and the given
    /// topic configs (`TOPIC_ALREADY_EXISTS` is an error).
    pub async fn create_topic(
        &self,
        topic: &str,
        partitions: i32,
        configs: &[(&str, &str)],
    ) -> Result<(), String> {
        use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
        let admin: AdminClient<rdkafka::client::DefaultClientContext> =
            self.client_config().create().map_err(|e| e.to_string())?;
        let mut t = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
        for (k, v) in configs {
            t = t.set(k, v);
        }
        let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        let results = admin
            .create_topics([&t], &opts)
            .await
            .map_err(|e| format!("create topic {topic}: {e}"))?;
        for r in results {
            r.map_err(|(t, e)| format!("create topic {t}: {e}"))?;
        }
        Ok(())
    }

    /// The number of partitions of `topic` (an error if the broker does not know it).
    pub fn partition_count(&self, topic: &str) -> Result<i32, String> {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        let c: BaseConsumer = self.client_config().create().map_err(|e| e.to_string())?;
        let md = c
            .fetch_metadata(Some(topic), Duration::from_secs(20))
            .map_err(|e| format!("metadata of {topic}: {e}"))?;
        let t = md
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .ok_or_else(|| format!("no metadata for {topic}"))?;
        match (t.error(), t.partitions().len()) {
            (None, n) if n > 0 => Ok(n as i32),
            (e, n) => Err(format!("topic {topic}: error {e:?}, {n} partitions")),
        }
    }

    /// The topic configs the broker reports for `topic` (with a value, not read-only or
    /// sensitive), e.g. `cleanup.policy`. tansu 0.6.0 reports only the explicitly set ones,
    /// flagged `is_default` with source `Default`, so the flags are not used; Apache Kafka
    /// also reports its defaults, which are then copied as explicit values.
    pub async fn topic_configs(&self, topic: &str) -> Result<Vec<(String, String)>, String> {
        use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
        let admin: AdminClient<rdkafka::client::DefaultClientContext> =
            self.client_config().create().map_err(|e| e.to_string())?;
        let r = admin
            .describe_configs([&ResourceSpecifier::Topic(topic)], &AdminOptions::new())
            .await
            .map_err(|e| format!("describe configs of {topic}: {e}"))?;
        let resource = r
            .into_iter()
            .next()
            .ok_or_else(|| format!("no configs of {topic}"))?
            .map_err(|e| format!("describe configs of {topic}: {e}"))?;
        Ok(resource
            .entries
            .into_iter()
            .filter(|e| !e.is_read_only && !e.is_sensitive)
            .filter_map(|e| e.value.map(|v| (e.name, v)))
            .collect())
    }
}

//! deploy/: the Kubernetes (Strimzi) and compose examples agree with the binary. No cluster
//! or container engine runs here, so the manifests are parsed (yaml-rust2) and checked
//! against each other and against the real binary: every `SR_…` variable and flag they use
//! is one `serve --help` lists and the binary accepts; every properties file starts the
//! binary without a warning; names, topics and ports line up (the KafkaTopics =
//! kafkastore.topic and dek.registry.topic, container port = Service targetPort =
//! `listeners`, published port = `listeners`, the downstream registry reads MirrorMaker 2's
//! copy of the upstream's topic); every probe, health check and scrape path answers 200 on
//! a server started from the same properties.

mod common;

use common::Server;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use yaml_rust2::{Yaml, YamlLoader};

const BIN: &str = env!("CARGO_BIN_EXE_schema-registry");

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
}

// ---------------------------------------------------------------------------------------
// Parsing

/// A YAML node as JSON; merge keys (`<<: *anchor`, which compose files use) applied, the
/// anchors themselves resolved by the loader.
fn to_json(y: &Yaml, at: &str) -> Value {
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(s.clone()), Value::Number),
        Yaml::Integer(i) => json!(i),
        Yaml::String(s) => json!(s),
        Yaml::Boolean(b) => json!(b),
        Yaml::Null => Value::Null,
        Yaml::Array(items) => Value::Array(items.iter().map(|i| to_json(i, at)).collect()),
        Yaml::Hash(h) => {
            let mut out = Map::new();
            let mut merged = Vec::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    Yaml::Real(r) => r.clone(),
                    other => panic!("{at}: unexpected key {other:?}"),
                };
                if key == "<<" {
                    merged.push(to_json(v, at));
                } else {
                    out.insert(key, to_json(v, at));
                }
            }
            // Explicit keys win over merged ones; earlier merged maps over later ones.
            for m in merged {
                let maps = match m {
                    Value::Array(a) => a,
                    other => vec![other],
                };
                for map in maps {
                    let Value::Object(map) = map else {
                        panic!("{at}: `<<` merges a non-map")
                    };
                    for (k, v) in map {
                        out.entry(k).or_insert(v);
                    }
                }
            }
            Value::Object(out)
        }
        Yaml::Alias(_) | Yaml::BadValue => panic!("{at}: unresolved YAML node {y:?}"),
    }
}

/// Every document of a YAML file under the repository.
fn yaml_docs(rel: &str) -> Vec<Value> {
    let docs = YamlLoader::load_from_str(&read(rel))
        .unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"));
    docs.iter()
        .map(|d| to_json(d, rel))
        .filter(|d| !d.is_null())
        .collect()
}

/// A Java properties text, with the binary's own reader (the `java-properties` crate).
fn properties(text: &str, what: &str) -> BTreeMap<String, String> {
    java_properties::read(text.as_bytes())
        .unwrap_or_else(|e| panic!("{what}: not a properties file: {e}"))
        .into_iter()
        .collect()
}

fn s<'a>(v: &'a Value, path: &str) -> &'a str {
    v.pointer(path)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {path} in {v}"))
}

fn arr<'a>(v: &'a Value, path: &str) -> &'a [Value] {
    v.pointer(path)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A YAML scalar as text (`1`, `"1"` and `true` alike).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `listeners=http://HOST:PORT[,…]` → PORT (the binary serves the first listener).
fn listener_port(props: &BTreeMap<String, String>, what: &str) -> u16 {
    let l = props
        .get("listeners")
        .unwrap_or_else(|| panic!("{what}: no listeners"));
    let first = l.split(',').next().unwrap_or_default().trim();
    first
        .rsplit_once(':')
        .and_then(|(_, p)| p.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("{what}: listeners={l} has no port"))
}

/// The Kafka topic of a properties file (Confluent's default `_schemas`).
fn topic_of(props: &BTreeMap<String, String>) -> String {
    props
        .get("kafkastore.topic")
        .cloned()
        .unwrap_or_else(|| "_schemas".into())
}

/// `kafkastore.bootstrap.servers` as HOST:PORT entries (the protocol prefix dropped).
fn bootstrap_of(props: &BTreeMap<String, String>, what: &str) -> Vec<String> {
    props
        .get("kafkastore.bootstrap.servers")
        .unwrap_or_else(|| panic!("{what}: no kafkastore.bootstrap.servers"))
        .split(',')
        .map(|s| {
            let s = s.trim();
            s.split_once("://").map_or(s, |(_, hp)| hp).to_string()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The binary

/// What `serve --help` lists: flags and environment variables.
struct Help {
    text: String,
    flags: BTreeSet<String>,
    env: BTreeSet<String>,
}

fn help() -> Help {
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .expect("run serve --help");
    assert!(out.status.success(), "serve --help failed");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let flag = regex::Regex::new(r"(?m)^\s+(?:-[A-Za-z], )?(--[a-z0-9-]+)").expect("regex");
    let env = regex::Regex::new(r"\[env: (SR_[A-Z0-9_]+)").expect("regex");
    let flags: BTreeSet<String> = flag.captures_iter(&text).map(|c| c[1].into()).collect();
    let env: BTreeSet<String> = env.captures_iter(&text).map(|c| c[1].into()).collect();
    assert!(
        flags.contains("--config") && flags.contains("--read-only"),
        "{text}"
    );
    assert!(
        env.contains("SR_CONFIG") && env.contains("SR_ADVERTISED_URL"),
        "{text}"
    );
    Help { text, flags, env }
}

impl Help {
    /// Arguments as a manifest passes them (`serve`, then flags and values): the subcommand
    /// is `serve`, each flag is listed.
    fn check_args(&self, args: &[String], what: &str) {
        if let Some(first) = args.first().filter(|a| !a.starts_with('-')) {
            assert_eq!(first, "serve", "{what}: the subcommand");
        }
        for a in args.iter().filter(|a| a.starts_with("--")) {
            let name = a.split('=').next().unwrap_or_default();
            assert!(
                self.flags.contains(name),
                "{what}: {name} is not a flag of `schema-registry serve`:\n{}",
                self.text
            );
        }
    }

    /// clap accepts these arguments (`--help` appended: the names are checked, the run
    /// stops before anything starts); paths already mapped to the test's files.
    fn accepts(&self, args: &[String], what: &str) {
        let out = Command::new(BIN)
            .args(args)
            .arg("--help")
            .env_clear()
            .output()
            .expect("run the binary");
        assert!(
            out.status.success(),
            "{what}: the binary refuses {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn check_env(&self, names: impl IntoIterator<Item = String>, what: &str) {
        for name in names.into_iter().filter(|n| n.starts_with("SR_")) {
            assert!(
                self.env.contains(&name),
                "{what}: {name} is not a variable of `schema-registry serve`"
            );
        }
    }
}

/// The `effective configuration` the binary logs at start with these arguments and this
/// environment (nothing else from the test's), before it reaches any Kafka; the process is
/// stopped once the line is out. `--listen 127.0.0.1:0` is appended so nothing binds a
/// fixed port.
fn effective_config(args: &[String], env: &[(String, String)], cwd: &Path) -> String {
    let mut child = Command::new(BIN)
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the binary");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("effective configuration") {
                let _ = tx.send(Ok(line));
                return;
            }
            seen.push_str(&line);
            seen.push('\n');
        }
        let _ = tx.send(Err(seen));
    });
    let got = rx.recv_timeout(Duration::from_secs(20));
    let _ = child.kill();
    let _ = child.wait();
    let line = match got {
        Ok(Ok(line)) => line,
        Ok(Err(out)) => panic!("no effective configuration with {args:?} {env:?}:\n{out}"),
        Err(_) => panic!("no effective configuration within 20 s with {args:?}"),
    };
    // SR_LOG_FORMAT=json: the settings are the `config` object, laid out here as the text
    // line's ` name: value,` pairs for `setting`.
    match serde_json::from_str::<Value>(&line) {
        Ok(v) => v
            .get("config")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| format!(" {k}: {v},")).collect())
            .unwrap_or_default(),
        Err(_) => line,
    }
}

/// `store: "…"` and friends of a `ServeArgs { … }` debug line.
fn setting(config: &str, name: &str) -> String {
    let key = format!(" {name}: ");
    let at = config
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {config}"))
        + key.len();
    let rest = &config[at..];
    if let Some(q) = rest.strip_prefix('"') {
        q[..q.find('"').unwrap_or(q.len())].to_string()
    } else {
        rest[..rest.find([',', ' ', '}']).unwrap_or(rest.len())].to_string()
    }
}

/// `GET url+path` → status.
async fn status(server: &Server, path: &str) -> u16 {
    match server
        .client
        .get(format!("{}{path}", server.url))
        .send()
        .await
    {
        Ok(r) => r.status().as_u16(),
        Err(e) => panic!("GET {path}: {e}"),
    }
}

/// Starts the binary as a manifest would (its arguments, its environment, its properties
/// file), changed only where a test must: the store is a fresh SQLite file and the
/// listener a free local port (both through `SR_` variables, which beat the file), and the
/// container's paths are mapped into `root`. Then every path in `paths` must answer 200,
/// and the start must have logged no warning (an unknown or ignored property is one).
async fn serve_like(
    what: &str,
    args: &[String],
    env: &[(String, String)],
    root: &Path,
    paths: &BTreeSet<String>,
) {
    let mut b = Server::builder()
        .no_store()
        .cwd(root)
        .env(
            "SR_STORE",
            &format!("sqlite://{}", root.join("r.db").display()),
        )
        .env("SR_LISTEN", "127.0.0.1:0");
    for (k, v) in env {
        if k != "SR_STORE" && k != "SR_LISTEN" {
            b = b.env(k, v);
        }
    }
    // The builder puts `--listen 127.0.0.1:0` first: before a `serve` subcommand it is not
    // read (SR_LISTEN is), without one it is the same.
    let server = b.args(args.iter().cloned()).start();
    for p in paths {
        assert_eq!(status(&server, p).await, 200, "{what}: GET {p}");
    }
    let log = server.log();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("WARN") || l.contains(" is ignored"))
        .collect();
    assert!(
        warnings.is_empty(),
        "{what}: the start logged warnings:\n{}",
        warnings.join("\n")
    );
}

/// The uid of the image's user (`useradd … --uid N`), and the `SR_` variables its `ENV`
/// lines set (they would beat a properties file).
fn dockerfile() -> (u64, Vec<String>) {
    let text = read("Dockerfile").replace("\\\n", " ");
    let uid = regex::Regex::new(r"--uid (\d+)")
        .expect("regex")
        .captures(&text)
        .and_then(|c| c[1].parse().ok())
        .expect("the Dockerfile's useradd --uid");
    let sr = regex::Regex::new(r"\b(SR_[A-Z0-9_]+)=").expect("regex");
    let env = text
        .lines()
        .filter(|l| l.trim_start().starts_with("ENV "))
        .flat_map(|l| sr.captures_iter(l).map(|c| c[1].to_string()))
        .collect();
    (uid, env)
}

/// The image sets no `SR_` variable: one would silently beat the properties file that
/// every example configures the registry with (an `SR_STORE` there once made a Kafka
/// configuration run on SQLite).
#[test]
fn the_image_leaves_the_configuration_to_the_properties_file() {
    let (uid, env) = dockerfile();
    assert!(uid > 0);
    assert!(
        env.is_empty(),
        "the Dockerfile sets {env:?}: they beat --config's file"
    );
}

// ---------------------------------------------------------------------------------------
// Kubernetes

fn of_kind<'a>(docs: &'a [(String, Value)], kind: &str) -> Vec<&'a Value> {
    docs.iter()
        .filter(|(_, d)| d["kind"] == kind)
        .map(|(_, d)| d)
        .collect()
}

fn one<'a>(docs: &'a [(String, Value)], kind: &str) -> &'a Value {
    let found = of_kind(docs, kind);
    assert_eq!(found.len(), 1, "one {kind} in deploy/kubernetes");
    found[0]
}

/// Every `key: value` of `selector` is among `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    selector
        .as_object()
        .is_some_and(|m| !m.is_empty() && m.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

#[tokio::test]
async fn kubernetes_example_agrees_with_the_binary() {
    let help = help();
    let dir = "deploy/kubernetes";

    // kustomization.yaml lists every manifest (the scrape job is a prometheus.yml fragment).
    let kustomization = &yaml_docs(&format!("{dir}/kustomization.yaml"))[0];
    let listed: BTreeSet<String> = arr(kustomization, "/resources").iter().map(text).collect();
    let mut files: BTreeSet<String> = std::fs::read_dir(repo(dir))
        .expect("deploy/kubernetes")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    files.remove("kustomization.yaml");
    files.remove("prometheus-scrape.yaml");
    assert_eq!(listed, files, "kustomization.yaml's resources");
    let docs: Vec<(String, Value)> = files
        .iter()
        .flat_map(|f| {
            yaml_docs(&format!("{dir}/{f}"))
                .into_iter()
                .map(move |d| (f.clone(), d))
        })
        .collect();
    for (f, d) in &docs {
        assert!(d["apiVersion"].is_string() && d["kind"].is_string(), "{f}");
        assert!(d.pointer("/metadata/name").is_some(), "{f}: a name");
    }

    // The properties file in the ConfigMap.
    let cm = one(&docs, "ConfigMap");
    let data = cm["data"].as_object().expect("ConfigMap data");
    let (prop_key, prop_text) = data
        .iter()
        .find(|(k, _)| k.ends_with(".properties"))
        .expect("a .properties key in the ConfigMap");
    let props = properties(prop_text.as_str().unwrap_or_default(), "ConfigMap");
    let port = listener_port(&props, "ConfigMap");

    // The topics: Strimzi's KafkaTopics are the registry's kafkastore.topic and its DEK
    // registry's dek.registry.topic, each with one partition, compacted, replicated as
    // kafkastore.topic.replication.factor says (the key topic is created with it too).
    let topics = of_kind(&docs, "KafkaTopic");
    let name_of = |t: &Value| {
        t.pointer("/spec/topicName")
            .or(t.pointer("/metadata/name"))
            .map(text)
            .unwrap_or_default()
    };
    let mut names: Vec<String> = topics.iter().map(|t| name_of(t)).collect();
    names.sort();
    let mut wanted = vec![
        topic_of(&props),
        props
            .get("dek.registry.topic")
            .cloned()
            .unwrap_or_else(|| "_dek_registry_keys".into()),
    ];
    wanted.sort();
    assert_eq!(
        names, wanted,
        "KafkaTopics vs kafkastore.topic and dek.registry.topic"
    );
    for topic in &topics {
        let name = name_of(topic);
        assert_eq!(topic.pointer("/spec/partitions"), Some(&json!(1)), "{name}");
        assert_eq!(
            topic.pointer("/spec/config/cleanup.policy"),
            Some(&json!("compact")),
            "{name}"
        );
        let replicas = topic.pointer("/spec/replicas").map(text);
        assert_eq!(
            replicas.as_deref(),
            Some(
                props
                    .get("kafkastore.topic.replication.factor")
                    .map_or("3", String::as_str)
            ),
            "{name}: KafkaTopic replicas vs kafkastore.topic.replication.factor"
        );
        let min_isr: u64 = topic
            .pointer("/spec/config/min.insync.replicas")
            .map(text)
            .and_then(|t| t.parse().ok())
            .unwrap_or(1);
        assert!(min_isr >= 2, "{name}: min.insync.replicas");
    }
    // The registry reaches the Strimzi cluster the topics belong to.
    let servers = bootstrap_of(&props, "ConfigMap");
    for topic in &topics {
        let cluster = s(topic, "/metadata/labels/strimzi.io~1cluster");
        assert!(
            servers
                .iter()
                .all(|s| s.starts_with(&format!("{cluster}-kafka-bootstrap"))),
            "{servers:?} vs Strimzi's {cluster}-kafka-bootstrap"
        );
    }

    // The Deployment.
    let deploy = of_kind(&docs, "Deployment")[0];
    assert_eq!(deploy.pointer("/spec/replicas"), Some(&json!(3)));
    let pod_labels = &deploy
        .pointer("/spec/template/metadata/labels")
        .cloned()
        .unwrap_or_default();
    assert!(selects(
        &deploy["spec"]["selector"]["matchLabels"],
        pod_labels
    ));
    let pod = &deploy["spec"]["template"]["spec"];
    let containers = arr(pod, "/containers");
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    assert!(s(c, "/image").contains("schema-registry"));
    let named_ports: BTreeMap<String, u64> = arr(c, "/ports")
        .iter()
        .map(|p| {
            (
                p.get("name").map(text).unwrap_or_default(),
                p["containerPort"].as_u64().expect("containerPort"),
            )
        })
        .collect();
    assert!(
        named_ports.values().any(|p| *p == u64::from(port)),
        "a container port is listeners' {port}: {named_ports:?}"
    );
    let resolve = |p: &Value| -> u64 {
        match p {
            Value::Number(n) => n.as_u64().unwrap_or_default(),
            Value::String(name) => *named_ports
                .get(name)
                .unwrap_or_else(|| panic!("no container port named {name}")),
            other => panic!("port {other}"),
        }
    };

    // Probes: on the listener, at /health/live and /health/ready.
    let mut paths = BTreeSet::new();
    for (probe, want) in [
        ("livenessProbe", Some("/health/live")),
        ("readinessProbe", Some("/health/ready")),
        ("startupProbe", None),
    ] {
        let Some(get) = c.get(probe).and_then(|p| p.get("httpGet")) else {
            assert!(want.is_none(), "no {probe}");
            continue;
        };
        let path = s(get, "/path");
        if let Some(want) = want {
            assert_eq!(path, want, "{probe}");
        }
        assert_eq!(resolve(&get["port"]), u64::from(port), "{probe}'s port");
        paths.insert(path.to_string());
    }

    // Runs as the image's non-root user, within resources.
    let (uid, _) = dockerfile();
    assert_eq!(
        pod.pointer("/securityContext/runAsNonRoot"),
        Some(&json!(true))
    );
    assert_eq!(
        pod.pointer("/securityContext/runAsUser"),
        Some(&json!(uid)),
        "the Dockerfile's user"
    );
    assert_eq!(
        c.pointer("/securityContext/allowPrivilegeEscalation"),
        Some(&json!(false))
    );
    for r in ["/resources/requests/memory", "/resources/limits/memory"] {
        assert!(c.pointer(r).is_some(), "{r}");
    }

    // The ConfigMap is mounted where --config (or SR_CONFIG) looks.
    let args: Vec<String> = arr(c, "/args").iter().map(text).collect();
    assert!(
        c.get("command").is_none(),
        "the image's entrypoint is the binary"
    );
    help.check_args(&args, "deployment.yaml args");
    let env_list = arr(c, "/env");
    let mut defined = BTreeSet::new();
    let mut env: Vec<(String, String)> = Vec::new();
    let reference = regex::Regex::new(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)").expect("regex");
    for e in env_list {
        let name = s(e, "/name").to_string();
        if let Some(v) = e.get("value") {
            let v = text(v);
            for r in reference.captures_iter(&v) {
                assert!(
                    defined.contains(&r[1]),
                    "{name} uses $({}) before it is set",
                    &r[1]
                );
            }
            env.push((name.clone(), v));
        } else {
            assert_eq!(
                e.pointer("/valueFrom/fieldRef/fieldPath")
                    .map(text)
                    .as_deref(),
                Some("status.podIP"),
                "{name}"
            );
            env.push((name.clone(), "127.0.0.1".into()));
        }
        defined.insert(name);
    }
    help.check_env(env.iter().map(|(k, _)| k.clone()), "deployment.yaml env");
    let config_path = args
        .windows(2)
        .find(|w| w[0] == "--config")
        .map(|w| w[1].clone())
        .or_else(|| {
            env.iter()
                .find(|(k, _)| k == "SR_CONFIG")
                .map(|(_, v)| v.clone())
        })
        .expect("--config or SR_CONFIG");
    let volumes = arr(pod, "/volumes");
    let mounts = arr(c, "/volumeMounts");
    let config_volume = volumes
        .iter()
        .find(|v| v.pointer("/configMap/name") == cm.pointer("/metadata/name"))
        .expect("a volume of the ConfigMap");
    let config_mount = mounts
        .iter()
        .find(|m| m["name"] == config_volume["name"])
        .expect("the ConfigMap's volume is mounted");
    assert_eq!(
        config_path,
        format!("{}/{prop_key}", s(config_mount, "/mountPath")),
        "--config is the ConfigMap's file"
    );

    // Each pod advertises itself on the listener's port (the others forward writes there).
    let advertised = env
        .iter()
        .find(|(k, _)| k == "SR_ADVERTISED_URL")
        .map(|(_, v)| v.clone())
        .expect("SR_ADVERTISED_URL: followers forward to the leader's URL");
    assert!(
        advertised.ends_with(&format!(":{port}")),
        "{advertised} vs listeners' {port}"
    );

    // The Service and the scrape configurations.
    let svc = one(&docs, "Service");
    assert!(
        selects(&svc["spec"]["selector"], pod_labels),
        "the Service selects the pods"
    );
    let svc_ports = arr(svc, "/spec/ports");
    assert_eq!(svc_ports.len(), 1);
    assert_eq!(
        resolve(&svc_ports[0]["targetPort"]),
        u64::from(port),
        "targetPort"
    );
    let svc_port_name = s(&svc_ports[0], "/name");
    let monitor = one(&docs, "ServiceMonitor");
    assert!(selects(
        &monitor["spec"]["selector"]["matchLabels"],
        &svc["metadata"]["labels"]
    ));
    for ep in arr(monitor, "/spec/endpoints") {
        assert_eq!(s(ep, "/port"), svc_port_name, "ServiceMonitor port");
        paths.insert(s(ep, "/path").to_string());
    }
    for pdb in of_kind(&docs, "PodDisruptionBudget") {
        assert!(selects(&pdb["spec"]["selector"]["matchLabels"], pod_labels));
    }
    let scrape = &yaml_docs(&format!("{dir}/prometheus-scrape.yaml"))[0];
    for job in arr(scrape, "/scrape_configs") {
        paths.insert(s(job, "/metrics_path").to_string());
        let keeps: Vec<String> = arr(job, "/relabel_configs")
            .iter()
            .filter(|r| r["action"] == "keep")
            .map(|r| text(&r["regex"]))
            .collect();
        assert!(keeps.contains(&text(&pod_labels["app.kubernetes.io/name"])));
        assert!(
            keeps.iter().any(|k| named_ports.contains_key(k)),
            "{keeps:?}"
        );
    }
    assert!(paths.contains("/metrics"), "{paths:?}");

    // The pod's environment and arguments with the ConfigMap's file: the store is the
    // file's Kafka topic (nothing in the image or the manifest shadows it) ...
    let root = tempfile::tempdir().expect("tempdir");
    let mount_root = |p: &str| -> String {
        for m in mounts {
            let at = s(m, "/mountPath");
            if let Some(rest) = p.strip_prefix(at) {
                let host = root.path().join(s(m, "/name"));
                std::fs::create_dir_all(&host).expect("mkdir");
                return format!("{}{rest}", host.display());
            }
        }
        p.to_string()
    };
    let args: Vec<String> = args.iter().map(|a| mount_root(a)).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.clone(), mount_root(v)))
        .collect();
    std::fs::write(
        mount_root(&config_path),
        prop_text.as_str().unwrap_or_default(),
    )
    .expect("write the properties");
    help.accepts(&args, "deployment.yaml args");
    let effective = effective_config(&args, &env, root.path());
    assert_eq!(
        setting(&effective, "store"),
        format!("kafka://{}/{}", servers.join(","), topic_of(&props)),
        "{effective}"
    );
    assert_eq!(setting(&effective, "read_only"), "false");
    // ... and served from a SQLite store instead, every probe and scrape path answers.
    serve_like("deployment.yaml", &args, &env, root.path(), &paths).await;
}

// ---------------------------------------------------------------------------------------
// compose

/// A compose service's bind mounts from the host: (source, target).
fn mounts(svc: &Value) -> Vec<(String, String)> {
    arr(svc, "/volumes")
        .iter()
        .map(text)
        .filter_map(|v| {
            let mut parts = v.split(':');
            let (host, target) = (parts.next()?, parts.next()?);
            host.starts_with('.').then(|| {
                (
                    host.trim_start_matches("./").to_string(),
                    target.to_string(),
                )
            })
        })
        .collect()
}

/// One registry service of compose.yaml.
struct Registry {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    props: BTreeMap<String, String>,
    props_text: String,
    config_path: String,
    port: u16,
    read_only: bool,
    paths: BTreeSet<String>,
}

#[tokio::test]
async fn compose_example_agrees_with_the_binary() {
    let help = help();
    let dir = "deploy/compose";
    let compose = &yaml_docs(&format!("{dir}/compose.yaml"))[0];
    let services = compose["services"].as_object().expect("services");
    for (name, svc) in services {
        assert!(
            svc.get("image").is_some() || svc.get("build").is_some(),
            "{name}: an image"
        );
        let deps: Vec<String> = match svc.get("depends_on") {
            Some(Value::Object(m)) => m.keys().cloned().collect(),
            Some(Value::Array(a)) => a.iter().map(text).collect(),
            _ => Vec::new(),
        };
        for d in deps {
            assert!(services.contains_key(&d), "{name} depends on {d}");
        }
    }

    // The registries: the services built from this repository.
    let mut registries = Vec::new();
    for (name, svc) in services {
        if svc.pointer("/build/context").map(text).as_deref() != Some("../..") {
            continue;
        }
        let what = format!("compose.yaml {name}");
        let args: Vec<String> = match svc.get("command") {
            Some(Value::Array(a)) => a.iter().map(text).collect(),
            Some(other) => text(other).split_whitespace().map(String::from).collect(),
            None => Vec::new(),
        };
        help.check_args(&args, &what);
        let env: Vec<(String, String)> = match svc.get("environment") {
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|e| {
                    let e = text(e);
                    let (k, v) = e.split_once('=').unwrap_or((&e, ""));
                    (k.to_string(), v.to_string())
                })
                .collect(),
            _ => Vec::new(),
        };
        help.check_env(env.iter().map(|(k, _)| k.clone()), &what);
        let config_path = args
            .windows(2)
            .find(|w| w[0] == "--config")
            .map(|w| w[1].clone())
            .or_else(|| {
                env.iter()
                    .find(|(k, _)| k == "SR_CONFIG")
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_else(|| panic!("{what}: --config or SR_CONFIG"));
        // The properties file is mounted from deploy/compose.
        let host = arr(svc, "/volumes")
            .iter()
            .map(text)
            .find_map(|v| {
                let mut parts = v.split(':');
                let (host, target) = (parts.next()?, parts.next()?);
                (target == config_path).then(|| host.to_string())
            })
            .unwrap_or_else(|| panic!("{what}: {config_path} is not mounted"));
        let props_text = read(&format!("{dir}/{}", host.trim_start_matches("./")));
        let props = properties(&props_text, &what);
        let port = listener_port(&props, &what);
        // Published on the listener's port.
        let published: Vec<String> = arr(svc, "/ports").iter().map(text).collect();
        assert!(
            published
                .iter()
                .any(|p| p.rsplit(':').next() == Some(&port.to_string())),
            "{what}: ports {published:?} vs listeners' {port}"
        );
        // The health check asks the listener for a health endpoint.
        let check: Vec<String> = arr(svc, "/healthcheck/test").iter().map(text).collect();
        let url = check
            .iter()
            .find(|a| a.starts_with("http://"))
            .unwrap_or_else(|| panic!("{what}: the health check names no URL: {check:?}"));
        let rest = url.trim_start_matches("http://");
        let (hostport, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        assert_eq!(
            hostport.rsplit(':').next(),
            Some(port.to_string().as_str()),
            "{what}: the health check's port"
        );
        assert!(path.starts_with("/health/"), "{what}: {path}");
        let read_only = args
            .iter()
            .any(|a| a == "--read-only" || a == "--read-only=true")
            || env.iter().any(|(k, v)| k == "SR_READ_ONLY" && v == "true");
        registries.push(Registry {
            name: name.clone(),
            args,
            env,
            props,
            props_text,
            config_path,
            port,
            read_only,
            paths: BTreeSet::from([path.to_string(), "/metrics".to_string()]),
        });
    }
    assert_eq!(registries.len(), 2, "two registries");
    let up = registries
        .iter()
        .find(|r| !r.read_only)
        .expect("a writable registry");
    let down = registries
        .iter()
        .find(|r| r.read_only)
        .expect("a --read-only registry");

    // Their Kafka clusters are services that advertise the address the registries use.
    let advertises = |server: &str, what: &str| {
        let (host, _) = server.split_once(':').expect("HOST:PORT");
        let kafka = services
            .get(host)
            .unwrap_or_else(|| panic!("{what}: {host} is not a service"));
        let advertised = kafka
            .pointer("/environment/KAFKA_ADVERTISED_LISTENERS")
            .map(text)
            .unwrap_or_default();
        assert!(
            advertised.contains(&format!("://{server}")),
            "{what}: {host} advertises {advertised}"
        );
    };
    let up_servers = bootstrap_of(&up.props, &up.name);
    let down_servers = bootstrap_of(&down.props, &down.name);
    for s in &up_servers {
        advertises(s, &up.name);
    }
    for s in &down_servers {
        advertises(s, &down.name);
    }
    assert_ne!(up_servers, down_servers, "two clusters");

    // MirrorMaker 2 copies the upstream registry's topic to the downstream cluster, under
    // the name its replication policy gives it: <source alias><separator><topic>.
    let mm2_svc = services
        .values()
        .find(|s| {
            arr(s, "/command")
                .iter()
                .any(|a| text(a).ends_with("connect-mirror-maker.sh"))
        })
        .expect("a MirrorMaker 2 service");
    let mm2_file = arr(mm2_svc, "/volumes")
        .iter()
        .map(text)
        .find_map(|v| {
            v.split(':')
                .next()
                .filter(|h| h.ends_with(".properties"))
                .map(String::from)
        })
        .expect("mm2.properties mounted");
    let mm2 = properties(
        &read(&format!("{dir}/{}", mm2_file.trim_start_matches("./"))),
        "mm2",
    );
    let aliases: Vec<&str> = mm2["clusters"].split(',').map(str::trim).collect();
    let cluster_at = |servers: &[String]| -> String {
        aliases
            .iter()
            .find(|a| {
                mm2.get(&format!("{a}.bootstrap.servers")).is_some_and(|b| {
                    b.split(',')
                        .map(str::trim)
                        .eq(servers.iter().map(String::as_str))
                })
            })
            .unwrap_or_else(|| panic!("no MM2 cluster at {servers:?}"))
            .to_string()
    };
    let (source, target) = (cluster_at(&up_servers), cluster_at(&down_servers));
    let flow = format!("{source}->{target}");
    assert_eq!(
        mm2.get(&format!("{flow}.enabled")).map(String::as_str),
        Some("true")
    );
    let upstream_topic = topic_of(&up.props);
    let topics = mm2
        .get(&format!("{flow}.topics"))
        .or(mm2.get("topics"))
        .expect("the mirrored topics");
    assert!(
        topics
            .split(',')
            .map(str::trim)
            .any(|t| regex::Regex::new(&format!("^(?:{t})$"))
                .is_ok_and(|r| r.is_match(&upstream_topic))),
        "MM2 mirrors {topics}, not {upstream_topic}"
    );
    if let Some(policy) = mm2.get("replication.policy.class") {
        assert!(policy.ends_with(".DefaultReplicationPolicy"), "{policy}");
    }
    let separator = mm2
        .get("replication.policy.separator")
        .map_or(".", String::as_str);
    assert_eq!(
        topic_of(&down.props),
        format!("{source}{separator}{upstream_topic}"),
        "the downstream registry reads MM2's copy of the upstream topic"
    );

    // Every bind mount's source exists (relative to deploy/compose).
    for (name, svc) in services {
        for (host, _) in mounts(svc) {
            assert!(
                repo(dir).join(&host).exists(),
                "compose.yaml {name} mounts {host}, which does not exist"
            );
        }
    }

    // Prometheus scrapes both registries on their listeners.
    let (prom_name, prom_svc) = services
        .iter()
        .find(|(_, s)| text(&s["image"]).starts_with("prom/prometheus"))
        .expect("a Prometheus service");
    let prom_file = mounts(prom_svc)
        .into_iter()
        .find(|(_, target)| target == "/etc/prometheus/prometheus.yml")
        .map(|(host, _)| host)
        .expect("prometheus.yml mounted where Prometheus reads it");
    let prom = &yaml_docs(&format!("{dir}/{prom_file}"))[0];
    let mut scraped = BTreeSet::new();
    for job in arr(prom, "/scrape_configs") {
        let path = job.get("metrics_path").map_or("/metrics".into(), text);
        for sc in arr(job, "/static_configs") {
            for t in arr(sc, "/targets") {
                let t = text(t);
                let r = registries
                    .iter()
                    .find(|r| t == format!("{}:{}", r.name, r.port))
                    .unwrap_or_else(|| panic!("prometheus.yml scrapes {t}: no registry there"));
                scraped.insert(r.name.clone());
                assert_eq!(path, "/metrics");
            }
        }
    }
    assert_eq!(scraped.len(), 2, "{scraped:?}");

    // Grafana reads that Prometheus and the repository's dashboard.
    if let Some(grafana) = services
        .values()
        .find(|s| text(&s["image"]).starts_with("grafana/grafana"))
    {
        let mounted = mounts(grafana);
        let provisioned = |kind: &str| -> Value {
            let (host, _) = mounted
                .iter()
                .find(|(_, t)| t.starts_with(&format!("/etc/grafana/provisioning/{kind}/")))
                .unwrap_or_else(|| panic!("Grafana's {kind} provisioning"));
            yaml_docs(&format!("{dir}/{host}")).remove(0)
        };
        let sources = provisioned("datasources");
        let url = s(&arr(&sources, "/datasources")[0], "/url").to_string();
        assert_eq!(
            url,
            format!("http://{prom_name}:9090"),
            "Grafana's data source is the Prometheus service"
        );
        let dashboards = provisioned("dashboards");
        let path = s(&arr(&dashboards, "/providers")[0], "/options/path").to_string();
        let (host, _) = mounted
            .iter()
            .find(|(_, t)| *t == path)
            .expect("the dashboards folder is mounted");
        assert!(
            repo(dir).join(host).join("schema-registry.json").is_file(),
            "{host} holds the dashboard"
        );
    }

    // Each registry: the binary takes the arguments, environment and file as they are
    // (the store is the file's topic, --read-only where meant), and served from SQLite
    // instead, its health check and /metrics answer.
    for r in &registries {
        let root = tempfile::tempdir().expect("tempdir");
        let file = root.path().join("registry.properties");
        std::fs::write(&file, &r.props_text).expect("write");
        let map = |v: &String| {
            if *v == r.config_path {
                file.display().to_string()
            } else {
                v.clone()
            }
        };
        let args: Vec<String> = r.args.iter().map(map).collect();
        let env: Vec<(String, String)> = r.env.iter().map(|(k, v)| (k.clone(), map(v))).collect();
        help.accepts(&args, &r.name);
        let effective = effective_config(&args, &env, root.path());
        assert_eq!(
            setting(&effective, "store"),
            format!(
                "kafka://{}/{}",
                bootstrap_of(&r.props, &r.name).join(","),
                topic_of(&r.props)
            ),
            "{}: {effective}",
            r.name
        );
        assert_eq!(setting(&effective, "read_only"), r.read_only.to_string());
        serve_like(&r.name, &args, &env, root.path(), &r.paths).await;
    }
}

/// The parser used above: merge keys, anchors and scalars come out as compose reads them.
#[test]
fn yaml_merge_keys_are_applied() {
    let docs = YamlLoader::load_from_str(
        "a: &x {k: 1, j: two}\nb:\n  <<: *x\n  j: three\nc: [1, 2.5, true, null]\n",
    )
    .expect("yaml");
    let v = to_json(&docs[0], "inline");
    assert_eq!(v["b"], json!({"k": 1, "j": "three"}));
    assert_eq!(v["c"], json!([1, 2.5, true, null]));
}

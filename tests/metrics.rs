//! `GET /metrics`: the exposition parses as OpenMetrics text, request counters and latency
//! histograms follow a burst of concurrent requests exactly, routes are labelled by their
//! template (never the raw path), 404s carry their status, and the index gauges equal what
//! the API reports.

mod common;

use common::{Server, SR_CONTENT_TYPE};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One sample line: `name{labels} value`.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A parsed scrape.
struct Scrape {
    samples: Vec<Sample>,
    /// Family name -> declared type.
    types: BTreeMap<String, String>,
    text: String,
}

impl Scrape {
    /// The sum of the samples named `name` whose labels include `with`.
    fn sum(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.matching(name, with).map(|s| s.value).sum()
    }

    fn matching<'a>(
        &'a self,
        name: &'a str,
        with: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            s.name == name
                && with
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// The value of the one sample named `name` with labels including `with`.
    fn one(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        let found: Vec<&Sample> = self.matching(name, with).collect();
        assert_eq!(
            found.len(),
            1,
            "expected one sample {name} {with:?}, found {found:?}\n{}",
            self.text
        );
        found[0].value
    }

    /// The labelled value, 0 when the series does not exist (yet).
    fn get(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.sum(name, with)
    }
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Parses `{k="v",…}` (escapes `\\`, `\"`, `\n`); returns the labels and the rest.
fn parse_labels(s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    let mut rest = s
        .strip_prefix('{')
        .ok_or_else(|| format!("no '{{' in {s:?}"))?;
    loop {
        if let Some(r) = rest.strip_prefix('}') {
            return Ok((labels, r));
        }
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("no '=' in {rest:?}"))?;
        let key = &rest[..eq];
        if !is_name(key) {
            return Err(format!("bad label name {key:?}"));
        }
        rest = rest[eq + 1..]
            .strip_prefix('"')
            .ok_or_else(|| format!("unquoted label value in {rest:?}"))?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => value.push(c),
                    other => return Err(format!("bad escape {other:?}")),
                },
                Some((_, c)) => value.push(c),
                None => return Err(format!("unterminated label value in {s:?}")),
            }
        };
        if labels.insert(key.to_string(), value).is_some() {
            return Err(format!("label {key} twice in {s:?}"));
        }
        rest = &rest[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// Parses the OpenMetrics text exposition, failing on any malformed line.
fn parse(text: &str) -> Result<Scrape, String> {
    let mut samples = Vec::new();
    let mut types = BTreeMap::new();
    let mut helps = BTreeSet::new();
    let mut saw_eof = false;
    for line in text.lines() {
        if saw_eof {
            return Err(format!("line after # EOF: {line:?}"));
        }
        if line == "# EOF" {
            saw_eof = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let kind = parts.next().unwrap_or_default();
            let family = parts.next().unwrap_or_default();
            let what = parts.next().unwrap_or_default();
            if !is_name(family) {
                return Err(format!("bad family name in {line:?}"));
            }
            match kind {
                "TYPE" => {
                    let known = [
                        "counter",
                        "gauge",
                        "histogram",
                        "info",
                        "stateset",
                        "summary",
                        "unknown",
                        "gaugehistogram",
                    ];
                    if !known.contains(&what) {
                        return Err(format!("unknown type in {line:?}"));
                    }
                    types.insert(family.to_string(), what.to_string());
                }
                "HELP" => {
                    helps.insert(family.to_string());
                }
                "UNIT" => {}
                _ => return Err(format!("unknown descriptor {line:?}")),
            }
            continue;
        }
        let name_end = line
            .find(['{', ' '])
            .ok_or_else(|| format!("no value in {line:?}"))?;
        let name = &line[..name_end];
        if !is_name(name) {
            return Err(format!("bad metric name in {line:?}"));
        }
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end..])?
        } else {
            (BTreeMap::new(), &line[name_end..])
        };
        let rest = rest
            .strip_prefix(' ')
            .ok_or_else(|| format!("no space before the value in {line:?}"))?;
        let raw = rest.split(' ').next().unwrap_or_default();
        let value = match raw {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v
                .parse::<f64>()
                .map_err(|e| format!("bad value in {line:?}: {e}"))?,
        };
        let family = ["_total", "_bucket", "_count", "_sum", "_created", "_info"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix).filter(|f| types.contains_key(*f)))
            .unwrap_or(name);
        if !types.contains_key(family) || !helps.contains(family) {
            return Err(format!("sample {name} has no # TYPE/# HELP of its own"));
        }
        samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    if !saw_eof {
        return Err("no # EOF at the end".into());
    }
    Ok(Scrape {
        samples,
        types,
        text: text.to_string(),
    })
}

async fn scrape(server: &Server) -> Scrape {
    let resp = match server
        .client
        .get(format!("{}/metrics", server.url))
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => panic!("GET /metrics: {e}"),
    };
    assert_eq!(resp.status().as_u16(), 200);
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        ct.starts_with("application/openmetrics-text") || ct.starts_with("text/plain"),
        "content type {ct:?}"
    );
    let text = match resp.text().await {
        Ok(t) => t,
        Err(e) => panic!("reading /metrics: {e}"),
    };
    match parse(&text) {
        Ok(s) => s,
        Err(e) => panic!("malformed exposition: {e}\n{text}"),
    }
}

const REGISTER: &str = "/subjects/{subject}/versions";
const BY_ID: &str = "/schemas/ids/{id}";
const LATEST: &str = "/subjects/{subject}/versions/{version}";
const TASKS: usize = 8;
const PER_TASK: usize = 25;
const SUBJECTS_PER_TASK: usize = 5;
const MISSING_PER_TASK: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_are_exposed_and_change_under_load() {
    let server = Server::start();
    let (s, v) = server
        .put("/config", &json!({ "compatibility": "NONE" }))
        .await;
    assert_eq!(s, 200, "{v}");

    let before = scrape(&server).await;
    for family in [
        "schema_registry_build",
        "schema_registry_http_requests",
        "schema_registry_http_request_duration_seconds",
        "schema_registry_http_requests_in_flight",
        "schema_registry_forwarded_requests",
        "schema_registry_store_errors",
        "schema_registry_schemas",
        "schema_registry_subjects",
        "schema_registry_versions",
        "schema_registry_contexts",
        "schema_registry_log_applied_offset",
        "schema_registry_log_end_offset",
        "schema_registry_log_lag_records",
        "schema_registry_ready",
        "schema_registry_replay_records",
        "schema_registry_replay_end_offset",
        "schema_registry_replay_duration_seconds",
        "schema_registry_leader",
        "schema_registry_role",
        "schema_registry_leader_epoch",
        "schema_registry_exporters",
    ] {
        assert!(
            before.types.contains_key(family),
            "{family} missing\n{}",
            before.text
        );
    }
    assert_eq!(
        before.types["schema_registry_http_request_duration_seconds"],
        "histogram"
    );
    assert_eq!(before.types["schema_registry_http_requests"], "counter");
    assert_eq!(before.one("schema_registry_schemas", &[]), 0.0);
    assert_eq!(before.one("schema_registry_ready", &[]), 1.0);
    assert_eq!(
        before.one("schema_registry_store_errors_total", &[("kind", "failure")]),
        0.0
    );

    // The burst: TASKS concurrent clients, each registering PER_TASK distinct schemas over
    // SUBJECTS_PER_TASK subjects and reading each back by ID and as latest, plus a few 404s.
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let client = server.client.clone();
        let url = server.url.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..PER_TASK {
                let subject = format!("load-{t}-{}", i % SUBJECTS_PER_TASK);
                let schema = json!({
                    "type": "record",
                    "name": format!("R{t}x{i}"),
                    "fields": [{ "name": "f", "type": "int" }],
                })
                .to_string();
                let body = json!({ "schema": schema }).to_string();
                let (s, v) = common::request(
                    &client,
                    &url,
                    "POST",
                    &format!("/subjects/{subject}/versions"),
                    Some(&body),
                    Some(SR_CONTENT_TYPE),
                )
                .await;
                assert_eq!(s, 200, "{v}");
                let id = v["id"].as_i64().unwrap_or(-1);
                let (s, v) = common::request(
                    &client,
                    &url,
                    "GET",
                    &format!("/schemas/ids/{id}"),
                    None,
                    None,
                )
                .await;
                assert_eq!(s, 200, "{v}");
                let (s, v) = common::request(
                    &client,
                    &url,
                    "GET",
                    &format!("/subjects/{subject}/versions/latest"),
                    None,
                    None,
                )
                .await;
                assert_eq!(s, 200, "{v}");
            }
            for i in 0..MISSING_PER_TASK {
                let path = format!("/subjects/missing-{t}-{i}/versions");
                let (s, v) = common::request(&client, &url, "GET", &path, None, None).await;
                assert_eq!(s, 404, "{v}");
                assert_eq!(v["error_code"], 40401);
                let path = format!("/no/such/path/{t}/{i}");
                let (s, _) = common::request(&client, &url, "GET", &path, None, None).await;
                assert_eq!(s, 404);
            }
        }));
    }
    for task in tasks {
        if let Err(e) = task.await {
            panic!("a load task failed: {e}");
        }
    }

    let after = scrape(&server).await;
    let total = "schema_registry_http_requests_total";
    let delta =
        |name: &str, labels: &[(&str, &str)]| after.get(name, labels) - before.get(name, labels);
    let n = (TASKS * PER_TASK) as f64;
    let missing = (TASKS * MISSING_PER_TASK) as f64;

    // Counters, exactly: the requests are over before the scrape starts.
    assert_eq!(
        delta(
            total,
            &[("method", "POST"), ("route", REGISTER), ("status", "200")]
        ),
        n,
        "{}",
        after.text
    );
    assert_eq!(
        delta(
            total,
            &[("method", "GET"), ("route", BY_ID), ("status", "200")]
        ),
        n
    );
    assert_eq!(
        delta(
            total,
            &[("method", "GET"), ("route", LATEST), ("status", "200")]
        ),
        n
    );
    assert_eq!(
        delta(
            total,
            &[("method", "GET"), ("route", REGISTER), ("status", "404")]
        ),
        missing
    );
    assert_eq!(
        delta(
            total,
            &[("method", "GET"), ("route", "unmatched"), ("status", "404")]
        ),
        missing
    );
    // The first scrape was counted under its route.
    assert!(after.get(total, &[("route", "/metrics"), ("status", "200")]) >= 1.0);
    // Only templates, never raw paths, in the route label.
    for s in after
        .samples
        .iter()
        .filter(|s| s.labels.contains_key("route"))
    {
        let route = &s.labels["route"];
        assert!(
            route == "unmatched" || !(route.contains("load-") || route.contains("missing-")),
            "raw path as a route label: {s:?}"
        );
        assert!(route == "unmatched" || route.starts_with('/'), "{s:?}");
    }

    // The latency histogram of registrations: one observation per request, cumulative
    // buckets ending with +Inf = count.
    let hist = "schema_registry_http_request_duration_seconds";
    let reg = [("method", "POST"), ("route", REGISTER)];
    let count = after.one(&format!("{hist}_count"), &reg);
    assert_eq!(count - before.get(&format!("{hist}_count"), &reg), n);
    assert!(after.one(&format!("{hist}_sum"), &reg) > 0.0);
    let mut buckets: Vec<(f64, f64)> = after
        .matching(&format!("{hist}_bucket"), &reg)
        .map(|s| {
            let le = s.labels.get("le").map(String::as_str).unwrap_or("?");
            let bound = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap_or(f64::NAN)
            };
            (bound, s.value)
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(buckets.len() >= 10, "{buckets:?}");
    assert!(buckets.iter().all(|(b, _)| !b.is_nan()), "{buckets:?}");
    assert!(
        buckets.windows(2).all(|w| w[0].1 <= w[1].1),
        "buckets not cumulative: {buckets:?}"
    );
    assert_eq!(buckets.last().map(|b| b.0), Some(f64::INFINITY));
    assert_eq!(buckets.last().map(|b| b.1), Some(count));
    assert_eq!(buckets.first().map(|b| b.0), Some(0.0005));

    // Only the scrape itself is in flight.
    assert_eq!(
        after.one("schema_registry_http_requests_in_flight", &[]),
        1.0
    );

    // The index gauges equal what the API reports.
    let (s, subjects) = server.get("/subjects").await;
    assert_eq!(s, 200);
    let subjects: Vec<String> = serde_json::from_value(subjects).unwrap_or_default();
    assert_eq!(subjects.len(), TASKS * SUBJECTS_PER_TASK);
    let mut versions = 0;
    for subject in &subjects {
        let (s, v) = server.get(&format!("/subjects/{subject}/versions")).await;
        assert_eq!(s, 200, "{v}");
        versions += v.as_array().map_or(0, Vec::len);
    }
    let (s, all) = server.get("/schemas").await;
    assert_eq!(s, 200);
    let ids: BTreeSet<i64> = all
        .as_array()
        .map(|a| a.iter().filter_map(|v| v["id"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(ids.len(), TASKS * PER_TASK);
    assert_eq!(
        after.one("schema_registry_subjects", &[("state", "live")]),
        subjects.len() as f64
    );
    assert_eq!(
        after.one("schema_registry_versions", &[("state", "live")]),
        versions as f64
    );
    assert_eq!(after.one("schema_registry_schemas", &[]), ids.len() as f64);
    assert_eq!(
        after.one("schema_registry_versions", &[("state", "soft_deleted")]),
        0.0
    );

    // Log offsets moved with the writes; a standalone node is caught up and writes.
    let applied = after.one("schema_registry_log_applied_offset", &[]);
    assert!(applied >= before.one("schema_registry_log_applied_offset", &[]) + n);
    assert_eq!(after.one("schema_registry_log_end_offset", &[]), applied);
    assert_eq!(after.one("schema_registry_log_lag_records", &[]), 0.0);
    let (_, ready) = server.get("/health/ready").await;
    assert_eq!(ready["appliedOffset"].as_f64(), Some(applied));
    assert_eq!(after.one("schema_registry_ready", &[]), 1.0);
    assert_eq!(after.one("schema_registry_leader", &[]), 1.0);
    assert_eq!(
        after.one("schema_registry_role", &[("role", "standalone")]),
        1.0
    );
    assert_eq!(
        after.one("schema_registry_role", &[("role", "follower")]),
        0.0
    );
    assert_eq!(after.one("schema_registry_leader_epoch", &[]), -1.0);
    assert_eq!(
        after.sum("schema_registry_forwarded_requests_total", &[]),
        0.0
    );
    assert_eq!(after.sum("schema_registry_store_errors_total", &[]), 0.0);

    // The dashboard's queries against this exposition: tests/grafana.rs.

    // Soft deletes move versions and subjects between states.
    let (s, v) = server.delete("/subjects/load-0-0/versions/1").await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = server.delete("/subjects/load-1-1").await;
    assert_eq!(s, 200, "{v}");
    let deleted_subject_versions = v.as_array().map_or(0, Vec::len);
    let later = scrape(&server).await;
    assert_eq!(
        later.one("schema_registry_versions", &[("state", "soft_deleted")]),
        (1 + deleted_subject_versions) as f64
    );
    assert_eq!(
        later.one("schema_registry_versions", &[("state", "live")]),
        (versions - 1 - deleted_subject_versions) as f64
    );
    assert_eq!(
        later.one("schema_registry_subjects", &[("state", "live")]),
        (subjects.len() - 1) as f64
    );
    assert_eq!(
        later.one("schema_registry_subjects", &[("state", "soft_deleted")]),
        1.0
    );
    // Soft-deleted schemas still resolve by ID.
    assert_eq!(later.one("schema_registry_schemas", &[]), ids.len() as f64);
    assert_eq!(
        later.get(
            total,
            &[("method", "DELETE"), ("route", "/subjects/{subject}")]
        ),
        1.0
    );
    assert!(later.one("schema_registry_log_applied_offset", &[]) > applied);
}

#[tokio::test]
async fn context_urls_are_labelled_by_the_route_they_map_to() {
    let server = Server::start();
    let schema = json!({ "schema": "\"string\"" });
    let (s, v) = server
        .post("/contexts/.ctx/subjects/in-ctx/versions", &schema)
        .await;
    assert_eq!(s, 200, "{v}");
    let m = scrape(&server).await;
    assert_eq!(
        m.get(
            "schema_registry_http_requests_total",
            &[("method", "POST"), ("route", REGISTER), ("status", "200")]
        ),
        1.0,
        "{}",
        m.text
    );
    assert_eq!(m.one("schema_registry_contexts", &[]), 2.0);
    let (_, contexts) = server.get("/contexts").await;
    assert_eq!(contexts.as_array().map(Vec::len), Some(2), "{contexts}");
}

#[tokio::test]
async fn a_restart_reports_its_start_up_replay() {
    let mut first = Server::start();
    for i in 0..5 {
        let schema = json!({ "schema": json!({"type": "fixed", "name": format!("F{i}"), "size": 4}).to_string() });
        let (s, v) = first
            .post(&format!("/subjects/replayed-{i}/versions"), &schema)
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let before: Value = json!(scrape(&first)
        .await
        .one("schema_registry_log_applied_offset", &[]));
    first.kill9();
    let second = Server::start_in(&first.dir);
    let m = scrape(&second).await;
    assert!(
        m.one("schema_registry_replay_records", &[]) >= 5.0,
        "{}",
        m.text
    );
    assert_eq!(
        json!(m.one("schema_registry_log_applied_offset", &[])),
        before
    );
    assert!(m.one("schema_registry_replay_duration_seconds", &[]) >= 0.0);
    assert_eq!(m.one("schema_registry_subjects", &[("state", "live")]), 5.0);
    assert_eq!(m.one("schema_registry_schemas", &[]), 5.0);
}

/// Process metrics under the names Prometheus' client libraries use (`process_*`,
/// unprefixed), read from `/proc/self` when scraped: resident memory and CPU time are this
/// server process's, its start time is the recent past, and a scrape moves CPU time on.
/// Also the schema counts by context and type.
#[tokio::test]
async fn process_metrics_have_their_conventional_names() {
    let server = Server::start();
    let m = scrape(&server).await;
    for (family, kind) in [
        ("process_cpu_seconds", "counter"),
        ("process_resident_memory_bytes", "gauge"),
        ("process_virtual_memory_bytes", "gauge"),
        ("process_start_time_seconds", "gauge"),
        ("process_open_fds", "gauge"),
        ("process_max_fds", "gauge"),
    ] {
        assert_eq!(
            m.types.get(family).map(String::as_str),
            Some(kind),
            "{family}\n{}",
            m.text
        );
    }
    assert!(
        m.one("process_resident_memory_bytes", &[]) > 1e6,
        "{}",
        m.text
    );
    assert!(m.one("process_open_fds", &[]) >= 3.0, "{}", m.text);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let started = m.one("process_start_time_seconds", &[]);
    assert!(
        started <= now + 1.0 && started > now - 600.0,
        "{started} vs {now}"
    );
    let cpu = m.one("process_cpu_seconds_total", &[]);
    // Schema counts by context and type, rebuilt at each scrape.
    let (s, v) = server
        .post(
            "/subjects/:.c:j/versions",
            &json!({"schema": "{\"type\":\"string\"}", "schemaType": "JSON"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // Enough work to cost well over one 10 ms tick of CPU time, even in release.
    for i in 0..500 {
        server
            .post(
                &format!("/subjects/p{i}/versions"),
                &json!({"schema": json!({"type": "fixed", "name": format!("P{i}"), "size": 4}).to_string()}),
            )
            .await;
    }
    let later = scrape(&server).await;
    assert_eq!(
        later.one(
            "schema_registry_schemas_by_type",
            &[("context", ".c"), ("type", "JSON")]
        ),
        1.0
    );
    assert_eq!(
        later.one(
            "schema_registry_schemas_by_type",
            &[("context", "."), ("type", "AVRO")]
        ),
        500.0
    );
    assert!(
        later.one("process_cpu_seconds_total", &[]) > cpu,
        "{}",
        later.text
    );
}

/// The DEK registry's key counts: Confluent's `num_keks`, `num_keks_shared` and `num_deks`
/// (`dek-registry/…/metrics/MetricsManager.java`, moved by `DefaultDekCacheUpdateHandler`
/// per record added or removed: a soft delete keeps counting, a permanent delete does not),
/// here as `schema_registry_dek_registry_keks{state}`, `…_keks_shared` and
/// `…_deks{state}`, the soft-deleted ones apart.
#[tokio::test]
async fn the_dek_registry_keys_are_counted() {
    const K: &str = "/dek-registry/v1/keks";
    let server = Server::builder()
        .args(["--dek-local-kms-secret", "metrics-secret"])
        .start();
    let counts = |s: &Scrape| {
        [
            s.one("schema_registry_dek_registry_keks", &[("state", "live")]),
            s.one(
                "schema_registry_dek_registry_keks",
                &[("state", "soft_deleted")],
            ),
            s.one("schema_registry_dek_registry_keks_shared", &[]),
            s.one("schema_registry_dek_registry_deks", &[("state", "live")]),
            s.one(
                "schema_registry_dek_registry_deks",
                &[("state", "soft_deleted")],
            ),
        ]
    };
    assert_eq!(counts(&scrape(&server).await), [0.0; 5]);
    for (name, shared) in [("mk-plain", false), ("mk-shared", true)] {
        let (st, v) = server
            .post(
                K,
                &json!({"name": name, "kmsType": "local-kms", "kmsKeyId": "k", "shared": shared}),
            )
            .await;
        assert_eq!(st, 200, "{v}");
    }
    let wrapped = json!({"encryptedKeyMaterial": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"});
    for body in [
        wrapped.clone(),
        json!({"version": 2, "encryptedKeyMaterial": wrapped["encryptedKeyMaterial"]}),
    ] {
        let (st, v) = server
            .post(&format!("{K}/mk-plain/deks/a-value"), &body)
            .await;
        assert_eq!(st, 200, "{v}");
    }
    let (st, v) = server
        .post(&format!("{K}/mk-shared/deks/b-value"), &json!({}))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(counts(&scrape(&server).await), [2.0, 0.0, 1.0, 3.0, 0.0]);

    // Soft deletes keep the records: counted apart.
    let (st, v) = server.delete(&format!("{K}/mk-plain/deks/a-value")).await;
    assert_eq!(st, 204, "{v}");
    let (st, v) = server.delete(&format!("{K}/mk-plain")).await;
    assert_eq!(st, 204, "{v}");
    assert_eq!(counts(&scrape(&server).await), [1.0, 1.0, 1.0, 1.0, 2.0]);

    // A permanent delete removes them.
    let (st, v) = server
        .delete(&format!("{K}/mk-plain/deks/a-value?permanent=true"))
        .await;
    assert_eq!(st, 204, "{v}");
    let (st, v) = server.delete(&format!("{K}/mk-plain?permanent=true")).await;
    assert_eq!(st, 204, "{v}");
    assert_eq!(counts(&scrape(&server).await), [1.0, 0.0, 1.0, 1.0, 0.0]);
}

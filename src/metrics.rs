//! Prometheus metrics on `GET /metrics`, in the OpenMetrics text format
//! (`prometheus-client`, the Prometheus organisation's Rust client).
//!
//! - HTTP: requests by route template (never the raw path), method and status, with a
//!   latency histogram ([`Metrics::observe`], [`Metrics::enter`]; the layers that feed them
//!   are in `http/metrics.rs`). Requests no route matched are labelled `route="unmatched"`.
//! - Counters kept as things happen: forwarded writes by outcome (`http/forward.rs`), store
//!   errors (handler answers with `error_code` 50001/50002).
//! - Gauges computed at scrape time from the registry (a short read lock of the index):
//!   schemas, subjects, versions, contexts, log offsets and lag, readiness, leadership,
//!   exporters, the start-up replay ([`REPLAY`], filled by `Registry::open`), and the DEK
//!   registry's keys (Confluent's `num_keks`, `num_keks_shared`, `num_deks`).
//!
//! - Process metrics under their usual unprefixed names (`process_*`, [`process`]).
//!
//! Not part of the Confluent API, so not in the OpenAPI spec.

mod process;

use crate::exporter::Live;
use crate::registry::{Registry, Role};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry as PromRegistry, Unit};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The content type of the exposition (Prometheus negotiates OpenMetrics natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// Upper bounds (seconds) of the request latency histogram's buckets (+Inf is implicit).
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// The route label of requests no route matched.
pub const UNMATCHED: &str = "unmatched";
/// Exporter states always exposed (0 when none is in it).
const EXPORTER_STATES: [&str; 4] = ["STARTING", "RUNNING", "PAUSED", "ERROR"];
/// Node roles, exposed as a state set (`schema_registry_role{role}`).
const ROLES: [&str; 3] = ["leader", "follower", "standalone"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabels {
    context: String,
    r#type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RoleLabels {
    role: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// What happened to a write a follower forwarded to the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardOutcome {
    /// The leader answered (whatever its status).
    Answered,
    /// The leader could not be reached (50003).
    Unreachable,
    /// Already forwarded once and this node does not lead either (50004).
    Rejected,
}

impl ForwardOutcome {
    fn label(self) -> &'static str {
        match self {
            ForwardOutcome::Answered => "answered",
            ForwardOutcome::Unreachable => "unreachable",
            ForwardOutcome::Rejected => "rejected",
        }
    }
}

/// What a fetch from the upstream registry came to (`upstream.rs`).
pub const FETCH_OUTCOMES: [&str; 7] = [
    "fetched",
    "not_found",
    "error",
    "timeout",
    "rate_limited",
    "down",
    "collision",
];
/// How an ID or subject read of fetch-through was answered (`upstream.rs`).
pub const LOOKUP_RESULTS: [&str; 4] = ["hit", "miss", "joined", "negative"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// Fetch-through's counters (`--upstream-url`; all 0 without it).
pub struct UpstreamMetrics {
    fetches: Family<OutcomeLabels, Counter>,
    lookups: Family<ResultLabels, Counter>,
    duration: Histogram,
}

impl UpstreamMetrics {
    /// Counts one fetch and, when the upstream was asked (not `rate_limited` or `down`,
    /// refused without a call), its duration (its upstream calls and its local write).
    pub fn fetch(&self, outcome: &'static str, elapsed: Duration) {
        self.fetches.get_or_create(&OutcomeLabels { outcome }).inc();
        if !matches!(outcome, "rate_limited" | "down") {
            self.duration.observe(elapsed.as_secs_f64());
        }
    }

    /// Counts a read: `hit` found locally, `miss` fetched by this request, `joined` waited
    /// for another request's fetch, `negative` answered "not found" from the negative cache.
    pub fn lookup(&self, result: &'static str) {
        self.lookups.get_or_create(&ResultLabels { result }).inc();
    }
}

/// Progress of the start-up replay (`Registry::open`: the records the store handed over,
/// then the catch-up to the end of the log). One per process.
pub struct ReplayProgress {
    loaded: AtomicI64,
    first: AtomicI64,
    applied: AtomicI64,
    end: AtomicI64,
    micros: AtomicU64,
}

/// The start-up replay of this process.
pub static REPLAY: ReplayProgress = ReplayProgress {
    loaded: AtomicI64::new(0),
    first: AtomicI64::new(-1),
    applied: AtomicI64::new(-1),
    end: AtomicI64::new(-1),
    micros: AtomicU64::new(0),
};

impl ReplayProgress {
    /// The records the store held at open were applied, in `elapsed`.
    pub fn loaded(&self, records: usize, elapsed: Duration) {
        self.loaded.store(
            i64::try_from(records).unwrap_or(i64::MAX),
            Ordering::Relaxed,
        );
        self.micros.store(micros(elapsed), Ordering::Relaxed);
    }

    /// The catch-up starts at applied offset `first` and goes to `end`.
    pub fn catching_up(&self, first: i64, end: i64) {
        self.first.store(first, Ordering::Relaxed);
        self.applied.store(first, Ordering::Relaxed);
        self.end.store(end, Ordering::Relaxed);
    }

    /// The catch-up has applied the log up to `offset`.
    pub fn applied(&self, offset: i64) {
        self.applied.fetch_max(offset, Ordering::Relaxed);
    }

    /// The catch-up is done, after `elapsed`.
    pub fn caught_up(&self, elapsed: Duration) {
        self.micros.fetch_add(micros(elapsed), Ordering::Relaxed);
    }

    /// Records applied by the start-up replay so far.
    pub fn records(&self) -> i64 {
        let caught =
            (self.applied.load(Ordering::Relaxed) - self.first.load(Ordering::Relaxed)).max(0);
        self.loaded.load(Ordering::Relaxed).saturating_add(caught)
    }

    fn end(&self) -> i64 {
        self.end.load(Ordering::Relaxed)
    }

    fn seconds(&self) -> f64 {
        self.micros.load(Ordering::Relaxed) as f64 / 1e6
    }
}

/// The store's writes, process-wide (the store has no handle on [`Metrics`]): how long a
/// write to the log took (one commit of the embedded store, one append on Kafka, until
/// acknowledged), and how many appends one commit of the embedded store carried (its group
/// commit: appends queued while the previous commit was syncing go together).
pub struct StoreStats {
    append: Histogram,
    batch: Histogram,
}

pub static STORE: std::sync::LazyLock<StoreStats> = std::sync::LazyLock::new(|| StoreStats {
    append: Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.0001, 2.0, 16,
    )),
    batch: Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        1.0, 2.0, 10,
    )),
});

impl StoreStats {
    /// A write reached the log (or failed) after `elapsed`.
    pub fn appended(&self, elapsed: Duration) {
        self.append.observe(elapsed.as_secs_f64());
    }

    /// One commit carried `appends` appends.
    pub fn batch(&self, appends: usize) {
        self.batch.observe(appends as f64);
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Gauges set from the registry at each scrape.
#[derive(Default)]
struct Snapshot {
    schemas: Gauge,
    schemas_by_type: Family<TypeLabels, Gauge>,
    subjects: Family<StateLabels, Gauge>,
    versions: Family<StateLabels, Gauge>,
    contexts: Gauge,
    applied: Gauge,
    log_end: Gauge,
    lag: Gauge,
    ready: Gauge,
    replay_records: Gauge,
    replay_end: Gauge,
    replay_seconds: Gauge<f64, AtomicU64>,
    leader: Gauge,
    role: Family<RoleLabels, Gauge>,
    epoch: Gauge,
    exporters: Family<StateLabels, Gauge>,
    dek_keks: Family<StateLabels, Gauge>,
    dek_keks_shared: Gauge,
    dek_deks: Family<StateLabels, Gauge>,
}

/// This node's metrics (one per server, in `AppState`).
pub struct Metrics {
    registry: PromRegistry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    forwarded: Family<OutcomeLabels, Counter>,
    store_errors: Family<KindLabels, Counter>,
    /// Fetch-through (`upstream.rs`).
    pub upstream: UpstreamMetrics,
    snapshot: Snapshot,
    /// One scrape at a time: the snapshot gauges are set, then encoded.
    scrape: Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut root = PromRegistry::default();
        root.register_collector(Box::new(process::ProcessCollector));
        let reg = root.sub_registry_with_prefix("schema_registry");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let in_flight = Gauge::default();
        let forwarded = Family::<OutcomeLabels, Counter>::default();
        let store_errors = Family::<KindLabels, Counter>::default();
        let s = Snapshot::default();
        // Series that exist from the start, so that rate() and alerts see a 0 first.
        for o in [
            ForwardOutcome::Answered,
            ForwardOutcome::Unreachable,
            ForwardOutcome::Rejected,
        ] {
            forwarded
                .get_or_create(&OutcomeLabels { outcome: o.label() })
                .inc_by(0);
        }
        for kind in ["failure", "timeout"] {
            store_errors.get_or_create(&KindLabels { kind }).inc_by(0);
        }
        let upstream = UpstreamMetrics {
            fetches: Family::default(),
            lookups: Family::default(),
            duration: Histogram::new(LATENCY_BUCKETS),
        };
        for outcome in FETCH_OUTCOMES {
            upstream
                .fetches
                .get_or_create(&OutcomeLabels { outcome })
                .inc_by(0);
        }
        for result in LOOKUP_RESULTS {
            upstream
                .lookups
                .get_or_create(&ResultLabels { result })
                .inc_by(0);
        }
        reg.register(
            "upstream_fetches",
            "Fetches from the upstream registry (--upstream-url), by outcome (fetched: written locally; not_found: the upstream has no such schema; error: unreachable or unusable answer, 502; timeout: 504; rate_limited and down: refused without a call, 503; collision: the upstream's ID or version is taken locally by other content, 42205)",
            upstream.fetches.clone(),
        );
        reg.register(
            "upstream_lookups",
            "Fetch-through reads by result (hit: found locally; miss: this request fetched; joined: waited for another request's fetch of the same schema; negative: not found, from the negative cache)",
            upstream.lookups.clone(),
        );
        reg.register_with_unit(
            "upstream_fetch_duration",
            "Time one fetch from the upstream registry took, its local write included (fetches refused without a call are not counted)",
            Unit::Seconds,
            upstream.duration.clone(),
        );

        reg.register(
            "build",
            "Build information",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        reg.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        reg.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request (forwarding included), by route template and method",
            Unit::Seconds,
            latency.clone(),
        );
        reg.register_with_unit(
            "store_append_duration",
            "Time a write to the log took: one commit of the embedded store, or one append to Kafka until acknowledged",
            Unit::Seconds,
            STORE.append.clone(),
        );
        reg.register(
            "store_append_batch_size",
            "Appends carried by one commit of the embedded store (group commit)",
            STORE.batch.clone(),
        );
        reg.register(
            "http_requests_in_flight",
            "HTTP requests being answered",
            in_flight.clone(),
        );
        reg.register(
            "forwarded_requests",
            "Writes this follower forwarded to the leader, by outcome (answered: the leader answered, whatever its status; unreachable: 50003; rejected: a forwarded request reached a node that does not lead, 50004)",
            forwarded.clone(),
        );
        reg.register(
            "store_errors",
            "Requests that failed in the store (failure: 50001, timeout: 50002)",
            store_errors.clone(),
        );
        reg.register(
            "schemas",
            "Distinct schema IDs over all contexts",
            s.schemas.clone(),
        );
        reg.register(
            "subjects",
            "Subjects, by state (live: at least one live version; soft_deleted: every version soft-deleted)",
            s.subjects.clone(),
        );
        reg.register(
            "versions",
            "Subject versions, by state (live or soft_deleted)",
            s.versions.clone(),
        );
        reg.register(
            "schemas_by_type",
            "Schema IDs by context (`.` is the default one) and schema type (AVRO, JSON, PROTOBUF)",
            s.schemas_by_type.clone(),
        );
        reg.register("contexts", "Schema contexts", s.contexts.clone());
        reg.register(
            "log_applied_offset",
            "Offset of the last log record this node applied (-1: none)",
            s.applied.clone(),
        );
        reg.register(
            "log_end_offset",
            "Offset of the last record in the log, as this node last saw it",
            s.log_end.clone(),
        );
        reg.register(
            "log_lag_records",
            "Records in the log this node has not applied yet",
            s.lag.clone(),
        );
        reg.register(
            "ready",
            "1 when this node has applied the log up to its end (GET /health/ready answers 200)",
            s.ready.clone(),
        );
        reg.register(
            "replay_records",
            "Records applied by the start-up replay (the store's records, then the catch-up to the end of the log)",
            s.replay_records.clone(),
        );
        reg.register(
            "replay_end_offset",
            "End of the log the start-up replay caught up to",
            s.replay_end.clone(),
        );
        reg.register_with_unit(
            "replay_duration",
            "Time the start-up replay took",
            Unit::Seconds,
            s.replay_seconds.clone(),
        );
        reg.register(
            "leader",
            "1 when this node writes (the leader, or a standalone node), else 0",
            s.leader.clone(),
        );
        reg.register(
            "role",
            "This node's role (leader, follower, standalone): 1 for the current one",
            s.role.clone(),
        );
        reg.register(
            "leader_epoch",
            "Epoch of the current leader of a shared log (-1: none known, or a standalone node)",
            s.epoch.clone(),
        );
        reg.register(
            "exporters",
            "Schema exporters, by state",
            s.exporters.clone(),
        );
        reg.register(
            "dek_registry_keks",
            "DEK registry: key encryption keys held, by state (Confluent's num_keks counts both)",
            s.dek_keks.clone(),
        );
        reg.register(
            "dek_registry_keks_shared",
            "DEK registry: shared key encryption keys held (Confluent's num_keks_shared)",
            s.dek_keks_shared.clone(),
        );
        reg.register(
            "dek_registry_deks",
            "DEK registry: data encryption key versions held, by state (Confluent's num_deks counts both)",
            s.dek_deks.clone(),
        );
        Metrics {
            registry: root,
            requests,
            latency,
            in_flight,
            forwarded,
            store_errors,
            upstream,
            snapshot: s,
            scrape: Mutex::new(()),
        }
    }

    /// Counts a write forwarded to the leader.
    pub fn forwarded(&self, outcome: ForwardOutcome) {
        self.forwarded
            .get_or_create(&OutcomeLabels {
                outcome: outcome.label(),
            })
            .inc();
    }

    /// Counts a request answered with `status` after `elapsed` (`method`: one of the
    /// standard methods or `OTHER`; `route`: the route template, or [`UNMATCHED`]).
    pub fn observe(
        &self,
        method: &'static str,
        route: &'static str,
        status: u16,
        elapsed: Duration,
    ) {
        self.latency
            .get_or_create(&RouteLabels { method, route })
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// A request is being answered, until the returned guard is dropped.
    pub fn enter(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    /// Counts an answer's `error_code` when it is a store error (50001, 50002).
    pub fn answered_with(&self, error_code: u32) {
        if let Some(kind) = store_error_kind(error_code) {
            self.store_errors.get_or_create(&KindLabels { kind }).inc();
        }
    }

    /// Encodes every metric, the registry's gauges taken now (`exporters`: the live status
    /// of the exporters this node runs).
    /// `keys`: the DEK registry, when it runs (its gauges stay 0 otherwise).
    pub fn render(
        &self,
        registry: &Registry,
        exporters: &Live,
        keys: Option<&crate::keys::Keys>,
    ) -> Result<String, std::fmt::Error> {
        let _one = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
        self.refresh(registry, exporters);
        self.refresh_keys(keys);
        self.encode()
    }

    /// Encodes every metric as they stand.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::with_capacity(16 * 1024);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }

    fn refresh(&self, reg: &Registry, exporters: &Live) {
        let s = &self.snapshot;
        let c = reg.counts();
        s.schemas.set(as_i64(c.schemas));
        // Rebuilt each scrape: a context that is gone leaves no stale series.
        s.schemas_by_type.clear();
        for ((context, ty), n) in &c.schemas_by_type {
            s.schemas_by_type
                .get_or_create(&TypeLabels {
                    context: context.clone(),
                    r#type: ty,
                })
                .set(as_i64(*n));
        }
        s.contexts.set(as_i64(c.contexts));
        set_state(&s.subjects, "live", c.subjects);
        set_state(&s.subjects, "soft_deleted", c.subjects_soft_deleted);
        set_state(&s.versions, "live", c.versions);
        set_state(&s.versions, "soft_deleted", c.versions_soft_deleted);

        let r = reg.readiness();
        let end = r.log_end.unwrap_or(r.applied).max(r.applied);
        s.applied.set(r.applied);
        s.log_end.set(end);
        s.lag.set(end.saturating_sub(r.applied).max(0));
        s.ready.set(i64::from(r.caught_up));

        s.replay_records.set(REPLAY.records());
        s.replay_end.set(REPLAY.end());
        s.replay_seconds.set(REPLAY.seconds());

        let role = match reg.role() {
            Role::Leader(Some(_)) => "leader",
            Role::Leader(None) => "standalone",
            Role::Follower(_) => "follower",
        };
        s.leader.set(i64::from(role != "follower"));
        for r in ROLES {
            s.role
                .get_or_create(&RoleLabels { role: r })
                .set(i64::from(r == role));
        }
        let (_, _, epoch) = reg.leadership();
        s.epoch.set(epoch.unwrap_or(-1));

        let mut states: BTreeMap<String, usize> =
            EXPORTER_STATES.iter().map(|s| (s.to_string(), 0)).collect();
        let runs_here = reg.runs_exporters();
        for (def, stored) in reg.exporters_with_states() {
            let status = crate::exporter::status(&def.name, stored.as_ref(), exporters, runs_here);
            *states.entry(status.state).or_default() += 1;
        }
        for (state, n) in states {
            s.exporters
                .get_or_create(&StateLabels { state })
                .set(as_i64(n));
        }
    }

    /// The DEK registry's counts, of the default tenant (the only one served).
    fn refresh_keys(&self, keys: Option<&crate::keys::Keys>) {
        let s = &self.snapshot;
        let c = keys.map_or_else(Default::default, |k| {
            k.read().counts(crate::keys::record::DEFAULT_TENANT)
        });
        set_state(&s.dek_keks, "live", c.keks - c.keks_deleted);
        set_state(&s.dek_keks, "soft_deleted", c.keks_deleted);
        s.dek_keks_shared.set(as_i64(c.keks_shared));
        set_state(&s.dek_deks, "live", c.deks - c.deks_deleted);
        set_state(&s.dek_deks, "soft_deleted", c.deks_deleted);
    }
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn set_state(family: &Family<StateLabels, Gauge>, state: &str, n: usize) {
    family
        .get_or_create(&StateLabels {
            state: state.to_string(),
        })
        .set(as_i64(n));
}

/// Decrements the in-flight gauge when the request ends, answered or dropped.
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// `failure` (50001) or `timeout` (50002) from an answer's `error_code`.
fn store_error_kind(code: u32) -> Option<&'static str> {
    match code {
        50001 => Some("failure"),
        50002 => Some("timeout"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_error_kinds() {
        assert_eq!(store_error_kind(50001), Some("failure"));
        assert_eq!(store_error_kind(50002), Some("timeout"));
        assert_eq!(store_error_kind(50003), None);
        let m = Metrics::new();
        m.answered_with(50002);
        m.answered_with(404);
        let text = m.encode().unwrap_or_default();
        assert!(text.contains("schema_registry_store_errors_total{kind=\"timeout\"} 1\n"));
        assert!(text.contains("schema_registry_store_errors_total{kind=\"failure\"} 0\n"));
    }

    #[test]
    fn forwarded_outcomes_are_counted() {
        let m = Metrics::new();
        m.forwarded(ForwardOutcome::Answered);
        m.forwarded(ForwardOutcome::Answered);
        m.forwarded(ForwardOutcome::Unreachable);
        let text = m.encode().unwrap_or_default();
        assert!(text.contains("schema_registry_forwarded_requests_total{outcome=\"answered\"} 2\n"));
        assert!(
            text.contains("schema_registry_forwarded_requests_total{outcome=\"unreachable\"} 1\n")
        );
        assert!(text.contains("schema_registry_forwarded_requests_total{outcome=\"rejected\"} 0\n"));
    }
}

//! Exporters (Confluent's schema linking): push subjects, versions, IDs and subject configs
//! to another Confluent-compatible registry, continuously, in IMPORT mode there.
//!
//! - Definitions and states are records in the log (keys `EXPORTER` / `EXPORTER_STATE`, ours),
//!   so every node knows them and a new leader resumes where the old one stopped.
//! - The worker ([`run`]) runs on the leader only. Each round takes the versions changed since
//!   the exporter's offset (a version remembers the offset of its last record), in log order
//!   (so a referenced schema goes before its referrers), and pushes them: the destination
//!   subject is put in IMPORT mode, each version is registered with its ID and version, and
//!   soft-deleted ones are deleted there too. When a round succeeds the exporter's offset
//!   moves to the log offset the round saw, in an `EXPORTER_STATE` record.
//! - Not exported: hard deletes, modes (the destination subjects stay in IMPORT mode) and
//!   global configs.

use crate::model::{Reference, Subject, DEFAULT_CONTEXT};
pub use crate::registry::exporters::{
    auto_context, check_config, code, define, error, fresh_state, matches, not_found,
    protect_config, ExporterRequest, PendingVersion, Snapshot, MAX_EXPORTERS, PAUSED, RUNNING,
};
use crate::registry::Registry;
use crate::store::record::{ExporterStateValue, ExporterValue};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Pause between rounds that failed, and the longest wait for news between rounds.
const RETRY_EVERY: Duration = Duration::from_secs(2);
/// How long the destination may take for one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The destination context for a source context.
fn destination_context(def: &ExporterValue, source: &str) -> String {
    match def.context_type.as_str() {
        "NONE" => source.to_string(),
        "DEFAULT" => DEFAULT_CONTEXT.to_string(),
        _ => {
            let base = format!(".{}", def.context.trim_start_matches('.'));
            if source == DEFAULT_CONTEXT {
                base
            } else {
                format!("{base}{source}")
            }
        }
    }
}

/// The destination subject (qualified) for a source subject.
pub fn destination_subject(def: &ExporterValue, source: &Subject) -> String {
    Subject {
        context: destination_context(def, &source.context),
        name: def
            .subject_rename_format
            .replace("${subject}", &source.name),
    }
    .qualified()
}

/// References renamed as their subjects are: a qualified one fully, an unqualified one (it
/// resolves in its referrer's context) by name only.
fn destination_refs(def: &ExporterValue, refs: &[Reference]) -> Vec<Reference> {
    refs.iter()
        .map(|r| {
            let s = Subject::parse(&r.subject);
            let subject = if r.subject.starts_with(":.") {
                destination_subject(def, &s)
            } else {
                def.subject_rename_format.replace("${subject}", &r.subject)
            };
            Reference {
                name: r.name.clone(),
                subject,
                version: r.version,
            }
        })
        .collect()
}

/// The live status of the exporters this node runs.
#[derive(Debug, Default)]
pub struct Live {
    inner: Mutex<HashMap<String, LiveStatus>>,
}

#[derive(Debug, Clone)]
pub struct LiveStatus {
    pub state: &'static str,
    pub offset: i64,
    pub ts: i64,
    pub trace: String,
}

impl Live {
    pub fn get(&self, name: &str) -> Option<LiveStatus> {
        self.lock().get(name).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveStatus>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, name: &str, s: LiveStatus) {
        self.lock().insert(name.to_string(), s);
    }

    fn clear(&self) {
        self.lock().clear();
    }
}

/// The status answered for an exporter: this node's live one when it runs the exporter
/// (STARTING until its first round here), else what the log says.
pub fn status(
    name: &str,
    stored: Option<&ExporterStateValue>,
    live: &Live,
    runs_here: bool,
) -> ExporterStatus {
    let s = match (live.get(name), stored) {
        (Some(l), Some(st)) if st.state == RUNNING => l,
        (None, Some(st)) if st.state == RUNNING && runs_here => LiveStatus {
            state: "STARTING",
            offset: st.offset,
            ts: st.ts,
            trace: String::new(),
        },
        (_, Some(st)) => LiveStatus {
            state: if st.state == PAUSED {
                PAUSED
            } else if st.trace.is_empty() {
                RUNNING
            } else {
                "ERROR"
            },
            offset: st.offset,
            ts: st.ts,
            trace: st.trace.clone(),
        },
        (Some(l), None) => l,
        (None, None) => LiveStatus {
            state: "STARTING",
            offset: -1,
            ts: 0,
            trace: String::new(),
        },
    };
    ExporterStatus {
        name: name.to_string(),
        state: s.state.to_string(),
        offset: s.offset,
        ts: s.ts,
        trace: s.trace,
    }
}

/// An exporter's status as `GET /exporters/{name}/status` answers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ExporterStatus {
    pub name: String,
    /// STARTING, RUNNING, PAUSED or ERROR.
    pub state: String,
    pub offset: i64,
    pub ts: i64,
    pub trace: String,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// What the worker remembers of one exporter between rounds.
#[derive(Default)]
struct Runtime {
    /// Everything changed up to this offset is exported.
    done: i64,
    /// The definition the runtime was built for (a changed definition starts over).
    def: Option<ExporterValue>,
    /// Destination subjects already put in IMPORT mode.
    prepared: HashSet<String>,
    /// Configs pushed, by destination subject.
    configs: HashMap<String, serde_json::Value>,
    /// Last error written to the log (to write each new error once).
    reported_trace: String,
    /// A round succeeded since this runtime was built: while the log has not moved past
    /// `done`, there is nothing to do (no snapshot is taken).
    synced: bool,
}

/// Runs the exporters while this node leads. Never returns.
pub async fn run(
    registry: Arc<Registry>,
    live: Arc<Live>,
    secrets: Option<Arc<crate::secret::Encoder>>,
) {
    let client = match crate::client::Http::new(&crate::client::Options {
        timeout: REQUEST_TIMEOUT,
        connect_timeout: Some(Duration::from_secs(5)),
        ..Default::default()
    }) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "exporters disabled: cannot build their HTTP client");
            return;
        }
    };
    let mut changes = registry.applied_watch();
    let mut runtimes: HashMap<String, Runtime> = HashMap::new();
    loop {
        if let Ok(Err(_)) = tokio::time::timeout(RETRY_EVERY, changes.changed()).await {
            // The replay loop is gone (shutting down): no more news, poll slowly.
            tokio::time::sleep(RETRY_EVERY).await;
        }
        if !registry.runs_exporters() {
            runtimes.clear();
            live.clear();
            continue;
        }
        let exporters = registry.exporters_with_states();
        runtimes.retain(|n, _| exporters.iter().any(|(d, _)| &d.name == n));
        for (def, state) in exporters {
            let name = def.name.clone();
            let stored = state.unwrap_or_else(fresh_state);
            if stored.state != RUNNING {
                runtimes.remove(&name);
                live.set(
                    &name,
                    LiveStatus {
                        state: PAUSED,
                        offset: stored.offset,
                        ts: stored.ts,
                        trace: stored.trace.clone(),
                    },
                );
                continue;
            }
            let rt = runtimes.entry(name.clone()).or_default();
            if rt.def.as_ref() != Some(&def) {
                // New to this node (start, takeover, resume, reset, redefinition): resume
                // from the offset in the log.
                *rt = Runtime {
                    done: stored.offset,
                    def: Some(def.clone()),
                    reported_trace: stored.trace.clone(),
                    ..Runtime::default()
                };
                if live.get(&name).is_none_or(|l| l.state == PAUSED) {
                    live.set(
                        &name,
                        LiveStatus {
                            state: "STARTING",
                            offset: stored.offset,
                            ts: stored.ts,
                            trace: String::new(),
                        },
                    );
                }
            }
            if rt.synced && *changes.borrow() <= rt.done {
                continue;
            }
            let snap = registry.export_snapshot(&def, rt.done);
            match round(&client, &def, secrets.as_deref(), rt, &snap).await {
                Ok(pushed) => {
                    live.set(
                        &name,
                        LiveStatus {
                            state: RUNNING,
                            offset: snap.applied,
                            ts: now_ms(),
                            trace: String::new(),
                        },
                    );
                    let advance = pushed > 0 || !rt.reported_trace.is_empty();
                    rt.done = snap.applied;
                    rt.synced = true;
                    if advance {
                        let st = ExporterStateValue {
                            state: RUNNING.into(),
                            offset: snap.applied,
                            ts: now_ms(),
                            trace: String::new(),
                        };
                        match registry.record_exporter_progress(&name, st).await {
                            Ok(()) => rt.reported_trace.clear(),
                            Err(e) => {
                                tracing::warn!(exporter = %name, error = %e, "cannot record the exporter's progress")
                            }
                        }
                        if pushed > 0 {
                            tracing::info!(exporter = %name, versions = pushed, offset = snap.applied, "exported");
                        }
                    }
                }
                Err(trace) => {
                    tracing::warn!(exporter = %name, error = %trace, "export failed; retrying");
                    live.set(
                        &name,
                        LiveStatus {
                            state: "ERROR",
                            offset: rt.done,
                            ts: now_ms(),
                            trace: trace.clone(),
                        },
                    );
                    if rt.reported_trace != trace {
                        let st = ExporterStateValue {
                            state: RUNNING.into(),
                            offset: rt.done,
                            ts: now_ms(),
                            trace: trace.clone(),
                        };
                        if registry.record_exporter_progress(&name, st).await.is_ok() {
                            rt.reported_trace = trace;
                        }
                    }
                }
            }
        }
    }
}

/// Pushes a snapshot; returns how many versions went out, or the error trace.
async fn round(
    client: &crate::client::Http,
    def: &ExporterValue,
    secrets: Option<&crate::secret::Encoder>,
    rt: &mut Runtime,
    snap: &Snapshot,
) -> std::result::Result<usize, String> {
    // Credentials are decrypted here only, for this round's requests.
    let config = crate::secret::open_config(secrets, &def.config)?;
    let dest = Destination::new(client, &config)?;
    let mut pushed = 0;
    for v in &snap.versions {
        let dst = destination_subject(def, &v.subject);
        if !rt.prepared.contains(&dst) {
            dest.set_import_mode(&dst).await?;
            rt.prepared.insert(dst.clone());
        }
        dest.register(&dst, v, &destination_refs(def, &v.body.references))
            .await?;
        if v.deleted {
            dest.soft_delete(&dst, v.version).await?;
        }
        pushed += 1;
    }
    for (src, body) in &snap.configs {
        let dst = destination_subject(def, &Subject::parse(src));
        if rt.configs.get(&dst) != Some(body) {
            dest.put_config(&dst, body).await?;
            rt.configs.insert(dst, body.clone());
        }
    }
    Ok(pushed)
}

mod destination;
use destination::Destination;

#[cfg(test)]
mod tests {
    use super::*;

    fn def(context_type: &str, context: &str, subjects: &[&str], fmt: &str) -> ExporterValue {
        ExporterValue {
            name: "e".into(),
            context_type: context_type.into(),
            context: context.into(),
            subjects: subjects.iter().map(|s| s.to_string()).collect(),
            subject_rename_format: fmt.into(),
            config: BTreeMap::new(),
        }
    }

    #[test]
    fn destination_names() {
        let s = Subject::parse("orders-value");
        let c = Subject::parse(":.corp:orders-value");
        let none = def("NONE", ".", &["*"], "${subject}");
        assert_eq!(destination_subject(&none, &s), "orders-value");
        assert_eq!(destination_subject(&none, &c), ":.corp:orders-value");
        let custom = def("CUSTOM", "site1", &["*"], "dc_${subject}");
        assert_eq!(destination_subject(&custom, &s), ":.site1:dc_orders-value");
        assert_eq!(
            destination_subject(&custom, &c),
            ":.site1.corp:dc_orders-value"
        );
        let default = def("DEFAULT", ".", &["*"], "${subject}");
        assert_eq!(destination_subject(&default, &c), "orders-value");
        let refs = destination_refs(
            &custom,
            &[Reference {
                name: "a.B".into(),
                subject: "b".into(),
                version: 1,
            }],
        );
        assert_eq!(refs[0].subject, "dc_b");
    }
}

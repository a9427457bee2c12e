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

use crate::error::{RegistryError, Result};
use crate::model::{Reference, Subject, DEFAULT_CONTEXT};
use crate::registry::Registry;
use crate::store::record::{ExporterStateValue, ExporterValue};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const RUNNING: &str = "RUNNING";
pub const PAUSED: &str = "PAUSED";
/// Most exporters one registry keeps.
pub const MAX_EXPORTERS: usize = 100;
/// Longest exporter name.
const MAX_NAME_LEN: usize = 255;
/// Pause between rounds that failed, and the longest wait for news between rounds.
const RETRY_EVERY: Duration = Duration::from_secs(2);
/// How long the destination may take for one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Confluent's exporter error codes (HTTP 404 for 40450, 409 for the others).
pub mod code {
    pub const NOT_FOUND: u32 = 40450;
    pub const INVALID_NAME: u32 = 40950;
    pub const INVALID_CONFIG: u32 = 40951;
    pub const INVALID_SUBJECTS: u32 = 40952;
    pub const EXISTS: u32 = 40960;
    pub const ALREADY_RUNNING: u32 = 40961;
    pub const NOT_PAUSED: u32 = 40963;
    pub const TOO_MANY: u32 = 40964;
}

pub fn error(code: u32, message: impl Into<String>) -> RegistryError {
    RegistryError::Exporter(code, message.into())
}

pub fn not_found(name: &str) -> RegistryError {
    error(code::NOT_FOUND, format!("Exporter '{name}' not found."))
}

/// The body of `POST /exporters` and `PUT /exporters/{name}` (every field optional on PUT).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "name": "to-dr",
    "subjects": ["*"],
    "config": {"schema.registry.url": "http://dr-registry:8081"}
}))]
pub struct ExporterRequest {
    /// 1 to 255 letters, digits, '.', '_' or '-'.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,255}$")]
    pub name: Option<String>,
    /// AUTO (default), CUSTOM, NONE or DEFAULT.
    pub context_type: Option<String>,
    /// The destination context with CUSTOM.
    pub context: Option<String>,
    /// Subjects to export: names or globs (`*`: the default context, `:*:` every context,
    /// `:.ctx:*` one context). Default `["*"]`.
    pub subjects: Option<Vec<String>>,
    /// Destination subject name; `${subject}` stands for the source name. Default
    /// `${subject}`.
    pub subject_rename_format: Option<String>,
    /// The destination: `schema.registry.url`, `basic.auth.credentials.source`,
    /// `basic.auth.user.info`.
    pub config: Option<BTreeMap<String, String>>,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks a definition, filling defaults. `auto_context`: this registry's context name for
/// contextType AUTO.
pub fn define(
    name: &str,
    req: ExporterRequest,
    base: Option<&ExporterValue>,
    auto_context: &str,
) -> Result<ExporterValue> {
    if !valid_name(name) {
        return Err(error(
            code::INVALID_NAME,
            format!("Missing or invalid exporter name {name:?}: use 1 to {MAX_NAME_LEN} letters, digits, '.', '_' or '-'"),
        ));
    }
    let context_type = req
        .context_type
        .map(|t| t.to_ascii_uppercase())
        .or_else(|| base.map(|b| b.context_type.clone()))
        .unwrap_or_else(|| "AUTO".into());
    let context = match context_type.as_str() {
        "CUSTOM" => {
            let c = req
                .context
                .or_else(|| base.map(|b| b.context.clone()))
                .unwrap_or_default();
            let c = c.trim_start_matches('.').to_string();
            if c.is_empty() || c.contains(':') || c.len() > MAX_NAME_LEN {
                return Err(error(
                    code::INVALID_CONFIG,
                    "Invalid exporter context: CUSTOM needs a context name without ':'",
                ));
            }
            c
        }
        "AUTO" => auto_context.to_string(),
        "NONE" | "DEFAULT" => DEFAULT_CONTEXT.to_string(),
        other => {
            return Err(error(
                code::INVALID_CONFIG,
                format!(
                "Invalid exporter contextType {other:?}: expected AUTO, CUSTOM, NONE or DEFAULT"
            ),
            ))
        }
    };
    let subjects = req
        .subjects
        .or_else(|| base.map(|b| b.subjects.clone()))
        .unwrap_or_else(|| vec!["*".into()]);
    if subjects.is_empty() || subjects.iter().any(|s| s.trim().is_empty()) {
        return Err(error(
            code::INVALID_SUBJECTS,
            "Invalid exporter subjects: give at least one subject name or pattern",
        ));
    }
    let subject_rename_format = req
        .subject_rename_format
        .or_else(|| base.map(|b| b.subject_rename_format.clone()))
        .unwrap_or_else(|| "${subject}".into());
    if subject_rename_format.is_empty() {
        return Err(error(
            code::INVALID_CONFIG,
            "Invalid subjectRenameFormat: it is empty",
        ));
    }
    let config = req
        .config
        .or_else(|| base.map(|b| b.config.clone()))
        .unwrap_or_default();
    check_config(&config)?;
    Ok(ExporterValue {
        name: name.to_string(),
        context_type,
        context,
        subjects,
        subject_rename_format,
        config,
    })
}

pub fn check_config(config: &BTreeMap<String, String>) -> Result<()> {
    let url = config
        .get("schema.registry.url")
        .map(String::as_str)
        .unwrap_or("");
    let ok = !url.is_empty()
        && url
            .split(',')
            .all(|u| u.trim().starts_with("http://") || u.trim().starts_with("https://"));
    if !ok {
        return Err(error(
            code::INVALID_CONFIG,
            "Missing or invalid exporter config: schema.registry.url must be http(s)://HOST:PORT",
        ));
    }
    Ok(())
}

/// Encrypts the credentials of a config about to be stored (`--password-encoder-secret`);
/// without a secret, warns that they are stored in clear.
pub fn protect_config(
    secrets: Option<&crate::secret::Encoder>,
    name: &str,
    config: &mut BTreeMap<String, String>,
) -> Result<()> {
    match secrets {
        Some(enc) => enc.seal_config(config).map_err(|e| {
            error(
                code::INVALID_CONFIG,
                format!("Invalid exporter config: {e}"),
            )
        }),
        None => {
            let clear = crate::secret::clear_credentials(config);
            if !clear.is_empty() {
                tracing::warn!(exporter = %name, keys = ?clear, "exporter credentials are stored in clear: set --password-encoder-secret (password.encoder.secret) to encrypt them");
            }
            Ok(())
        }
    }
}

/// Glob match with `*` only.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.len() >= part.len() && rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Whether the exporter takes this (qualified) subject.
pub fn matches(def: &ExporterValue, subject: &Subject) -> bool {
    def.subjects.iter().any(|p| {
        if let Some(rest) = p.strip_prefix(":*:") {
            // `:*:` alone: every subject of every context.
            return rest.is_empty() || glob(rest, &subject.name);
        }
        let pat = Subject::parse(p);
        pat.context == subject.context && glob(&pat.name, &subject.name)
    })
}

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

/// This registry's context name for contextType AUTO: `lsrc-` and 6 hex digits of a stable
/// hash of where it is (advertised URL and store), so that several source registries export
/// into distinct contexts of one destination.
pub fn auto_context(advertised_url: &str, store: &str) -> String {
    // FNV-1a: stable across builds and platforms (std's hashers are not).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in advertised_url.bytes().chain([0u8]).chain(store.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("lsrc-{:06x}", h & 0xff_ffff)
}

/// What one version to export carries.
#[derive(Debug, Clone)]
pub struct PendingVersion {
    pub offset: i64,
    pub subject: Subject,
    pub version: i32,
    pub id: i32,
    pub deleted: bool,
    pub body: Arc<crate::index::SchemaBody>,
}

/// A consistent view of what an exporter has to push.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The log offset the view reflects.
    pub applied: i64,
    /// Versions changed after the exporter's offset, in log order.
    pub versions: Vec<PendingVersion>,
    /// Subject-level configs of the exported subjects (qualified source subject -> body).
    pub configs: BTreeMap<String, serde_json::Value>,
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
) -> serde_json::Value {
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
    serde_json::json!({
        "name": name,
        "state": s.state,
        "offset": s.offset,
        "ts": s.ts,
        "trace": s.trace,
    })
}

/// The state of an exporter that runs and has exported nothing yet.
pub fn fresh_state() -> ExporterStateValue {
    ExporterStateValue {
        state: RUNNING.into(),
        offset: -1,
        ts: 0,
        trace: String::new(),
    }
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
    fn subject_patterns() {
        let d = def("NONE", ".", &["*"], "${subject}");
        assert!(matches(&d, &Subject::parse("orders-value")));
        assert!(!matches(&d, &Subject::parse(":.ctx:orders-value")));
        let d = def("NONE", ".", &[":*:"], "${subject}");
        assert!(matches(&d, &Subject::parse(":.ctx:orders-value")));
        assert!(matches(&d, &Subject::parse("x")));
        let d = def("NONE", ".", &["orders-*", ":.b:pay*"], "${subject}");
        assert!(matches(&d, &Subject::parse("orders-value")));
        assert!(!matches(&d, &Subject::parse("payments-value")));
        assert!(matches(&d, &Subject::parse(":.b:payments")));
        assert!(!matches(&d, &Subject::parse(":.c:payments")));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(glob("*", ""));
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

    #[test]
    fn definitions_are_checked() {
        let cfg = |url: &str| {
            Some(BTreeMap::from([(
                "schema.registry.url".to_string(),
                url.to_string(),
            )]))
        };
        let ok = define(
            "to-dr",
            ExporterRequest {
                config: cfg("http://dr:8081"),
                ..Default::default()
            },
            None,
            "lsrc-abc123",
        )
        .expect("valid");
        assert_eq!(
            (ok.context_type.as_str(), ok.context.as_str()),
            ("AUTO", "lsrc-abc123")
        );
        assert_eq!(ok.subjects, vec!["*"]);
        let code_of = |r: Result<ExporterValue>| match r {
            Err(RegistryError::Exporter(c, _)) => c,
            other => panic!("{other:?}"),
        };
        let bad_name = define(
            "a b",
            ExporterRequest {
                config: cfg("http://x"),
                ..Default::default()
            },
            None,
            "",
        );
        assert_eq!(code_of(bad_name), code::INVALID_NAME);
        let no_url = define("a", ExporterRequest::default(), None, "");
        assert_eq!(code_of(no_url), code::INVALID_CONFIG);
        let custom_without_context = define(
            "a",
            ExporterRequest {
                context_type: Some("CUSTOM".into()),
                config: cfg("http://x"),
                ..Default::default()
            },
            None,
            "",
        );
        assert_eq!(code_of(custom_without_context), code::INVALID_CONFIG);
        let no_subjects = define(
            "a",
            ExporterRequest {
                subjects: Some(vec![]),
                config: cfg("http://x"),
                ..Default::default()
            },
            None,
            "",
        );
        assert_eq!(code_of(no_subjects), code::INVALID_SUBJECTS);
    }

    #[test]
    fn auto_contexts_differ_by_source() {
        let a = auto_context("http://a:8081", "kafka://k/_schemas");
        let b = auto_context("http://b:8081", "kafka://k/_schemas");
        assert_ne!(a, b);
        assert_eq!(a, auto_context("http://a:8081", "kafka://k/_schemas"));
        assert!(a.starts_with("lsrc-") && a.len() == 11);
    }
}

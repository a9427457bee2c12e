//! Exporters as registry data: the definition rules and their error codes, and the use
//! cases that store definitions and states (create, update, delete, pause/resume/reset).

use super::{encode, Registry, Role};
use crate::error::{RegistryError, Result};
use crate::index::Index;
use crate::model::{Subject, DEFAULT_CONTEXT};
use crate::store::record::{ExporterStateValue, ExporterValue, Key, Value};
use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::watch;

pub const RUNNING: &str = "RUNNING";
pub const PAUSED: &str = "PAUSED";
/// Most exporters one registry keeps.
pub const MAX_EXPORTERS: usize = 100;
/// Longest exporter name.
const MAX_NAME_LEN: usize = 255;

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

/// The state of an exporter that runs and has exported nothing yet.
pub fn fresh_state() -> ExporterStateValue {
    ExporterStateValue {
        state: RUNNING.into(),
        offset: -1,
        ts: 0,
        trace: String::new(),
    }
}

impl Registry {
    /// The offset applied so far, as a watch (the exporter worker wakes on changes).
    pub fn applied_watch(&self) -> watch::Receiver<i64> {
        self.applied.clone()
    }

    /// Whether this node runs the exporters: it writes (leads) and is not read-only.
    pub fn runs_exporters(&self) -> bool {
        !self.read_only && matches!(self.role(), Role::Leader(_))
    }

    /// `GET /exporters`.
    pub fn exporter_names(&self) -> Vec<String> {
        self.read().exporters.keys().cloned().collect()
    }

    /// `GET /exporters/{name}`.
    pub fn exporter(&self, name: &str) -> Result<ExporterValue> {
        self.read()
            .exporters
            .get(name)
            .cloned()
            .ok_or_else(|| not_found(name))
    }

    /// The stored state of an exporter (`None`: never written).
    pub fn exporter_state(&self, name: &str) -> Result<Option<ExporterStateValue>> {
        let ix = self.read();
        if !ix.exporters.contains_key(name) {
            return Err(not_found(name));
        }
        Ok(ix.exporter_states.get(name).cloned())
    }

    pub fn exporters_with_states(&self) -> Vec<(ExporterValue, Option<ExporterStateValue>)> {
        let ix = self.read();
        ix.exporters
            .values()
            .map(|d| (d.clone(), ix.exporter_states.get(&d.name).cloned()))
            .collect()
    }

    pub(super) fn require_paused(ix: &Index, name: &str) -> Result<()> {
        let paused = ix
            .exporter_states
            .get(name)
            .is_some_and(|s| s.state == PAUSED);
        if !paused {
            return Err(error(
                code::NOT_PAUSED,
                format!("Exporter '{name}' must be paused first."),
            ));
        }
        Ok(())
    }

    /// `POST /exporters`: a new exporter, running.
    pub async fn create_exporter(&self, def: ExporterValue) -> Result<()> {
        let _w = self.lock_for_write().await?;
        let records = {
            let ix = self.read();
            if ix.exporters.contains_key(&def.name) {
                return Err(error(
                    code::EXISTS,
                    format!("Exporter '{}' already exists.", def.name),
                ));
            }
            if ix.exporters.len() >= MAX_EXPORTERS {
                return Err(error(
                    code::TOO_MANY,
                    format!("Too many exporters: at most {} per registry", MAX_EXPORTERS),
                ));
            }
            // The definition first: a state never lands without its exporter.
            let name = def.name.clone();
            let mut records = encode(
                &ix,
                Key::Exporter { name: name.clone() },
                Some(Value::Exporter(def)),
            );
            records.extend(encode(
                &ix,
                Key::ExporterState { name },
                Some(Value::ExporterState(fresh_state())),
            ));
            records
        };
        self.append_and_wait(records).await
    }

    /// `PUT /exporters/{name}` and `PUT /exporters/{name}/config`: the exporter must be
    /// paused. `change` builds the new definition from the current one.
    pub async fn update_exporter(
        &self,
        name: &str,
        change: impl FnOnce(&ExporterValue) -> Result<ExporterValue>,
    ) -> Result<()> {
        let _w = self.lock_for_write().await?;
        let records = {
            let ix = self.read();
            let current = ix.exporters.get(name).ok_or_else(|| not_found(name))?;
            Self::require_paused(&ix, name)?;
            let def = change(current)?;
            encode(
                &ix,
                Key::Exporter {
                    name: name.to_string(),
                },
                Some(Value::Exporter(def)),
            )
        };
        self.append_and_wait(records).await
    }

    /// `DELETE /exporters/{name}`: the exporter must be paused.
    pub async fn delete_exporter(&self, name: &str) -> Result<()> {
        let _w = self.lock_for_write().await?;
        let records = {
            let ix = self.read();
            if !ix.exporters.contains_key(name) {
                return Err(not_found(name));
            }
            Self::require_paused(&ix, name)?;
            let name = name.to_string();
            let mut records = encode(&ix, Key::ExporterState { name: name.clone() }, None);
            records.extend(encode(&ix, Key::Exporter { name }, None));
            records
        };
        self.append_and_wait(records).await
    }

    /// `PUT /exporters/{name}/pause|resume|reset`.
    pub async fn exporter_action(&self, name: &str, action: ExporterAction) -> Result<()> {
        let _w = self.lock_for_write().await?;
        let records = {
            let ix = self.read();
            if !ix.exporters.contains_key(name) {
                return Err(not_found(name));
            }
            let mut st = ix
                .exporter_states
                .get(name)
                .cloned()
                .unwrap_or_else(fresh_state);
            match action {
                ExporterAction::Pause => st.state = PAUSED.into(),
                ExporterAction::Resume => {
                    if st.state == RUNNING {
                        return Err(error(
                            code::ALREADY_RUNNING,
                            format!("Exporter '{name}' is already running."),
                        ));
                    }
                    st.state = RUNNING.into();
                    st.trace.clear();
                }
                ExporterAction::Reset => {
                    Self::require_paused(&ix, name)?;
                    st.offset = -1;
                    st.ts = 0;
                    st.trace.clear();
                }
            }
            encode(
                &ix,
                Key::ExporterState {
                    name: name.to_string(),
                },
                Some(Value::ExporterState(st)),
            )
        };
        self.append_and_wait(records).await
    }

    /// The exporter worker's progress or error, written only while the exporter still
    /// exists and runs (a pause or reset meanwhile wins).
    pub async fn record_exporter_progress(&self, name: &str, st: ExporterStateValue) -> Result<()> {
        let _w = self.lock_for_write().await?;
        let records = {
            let ix = self.read();
            let running = ix.exporters.contains_key(name)
                && ix
                    .exporter_states
                    .get(name)
                    .is_none_or(|s| s.state == RUNNING);
            if !running {
                return Ok(());
            }
            encode(
                &ix,
                Key::ExporterState {
                    name: name.to_string(),
                },
                Some(Value::ExporterState(st)),
            )
        };
        self.append_and_wait(records).await
    }

    /// What `def` has to push: versions of its subjects changed after `after`, in log
    /// order, and the subject-level configs of its subjects.
    pub fn export_snapshot(&self, def: &ExporterValue, after: i64) -> Snapshot {
        let ix = self.read();
        let mut versions = Vec::new();
        let mut configs = BTreeMap::new();
        for (q, vs) in &ix.subjects {
            let subject = Subject::parse(q);
            if !matches(def, &subject) {
                continue;
            }
            for (v, e) in vs {
                if e.offset > after {
                    versions.push(PendingVersion {
                        offset: e.offset,
                        subject: subject.clone(),
                        version: *v,
                        id: e.id,
                        deleted: e.deleted,
                        body: e.body.clone(),
                    });
                }
            }
            if let Some(c) = ix.configs.get(&Some(q.clone())) {
                let mut body = serde_json::Map::new();
                if let Some(l) = &c.compatibility_level {
                    body.insert("compatibility".into(), Json::String(l.clone()));
                }
                if let Some(n) = c.normalize {
                    body.insert("normalize".into(), Json::Bool(n));
                }
                if let Some(g) = &c.compatibility_group {
                    body.insert("compatibilityGroup".into(), Json::String(g.clone()));
                }
                if !body.is_empty() {
                    configs.insert(q.clone(), Json::Object(body));
                }
            }
        }
        versions.sort_by_key(|p| (p.offset, p.version));
        Snapshot {
            applied: ix.applied,
            versions,
            configs,
        }
    }
}

/// `PUT /exporters/{name}/pause|resume|reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExporterAction {
    Pause,
    Resume,
    Reset,
}

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

//! `schema-registry export` / `import`: move a whole registry's state (subjects, versions
//! including soft-deleted ones, IDs, references, configs, modes, and the DEK registry's KEKs
//! and DEKs) between Confluent-compatible registries through a JSON Lines dump, using IMPORT
//! mode on the target for the schemas.
//!
//! Both commands speak only the public REST API v1, so either side may be this registry,
//! Confluent's, or another compatible one:
//!
//! ```text
//! schema-registry export --url http://old:8081 > dump.jsonl
//! schema-registry import --url http://new:8081 < dump.jsonl
//! ```
//!
//! # The dump format (version 1)
//!
//! UTF-8 JSON Lines: one JSON object per line, each naming its kind in `"type"`:
//!
//! - `header` (first line): `{"type":"header","format":"schema-registry-dump","formatVersion":1,
//!   "source":URL,"exportedAt":RFC3339,"tool":"schema-registry X.Y.Z"}`. The source URL
//!   carries no credentials.
//! - `schema` (one per version, soft-deleted ones included): `{"type":"schema","subject":S,
//!   "version":V,"id":ID,"schemaType":"AVRO","schema":TEXT,"references":[{"name","subject",
//!   "version"}…],"metadata":{…}?,"ruleSet":{…}?,"deleted":BOOL}`. `subject` is qualified for
//!   non-default contexts (`:.ctx:name`) and `id` is in that context's ID space. The lines are in
//!   dependency order: every version a schema references (and the previous version of the same
//!   subject) comes before it; ties, and cycles if a source ever had one, go by ID.
//! - `config`: `{"type":"config","subject":S|null,"config":{…}}`, the body of `GET /config`
//!   (`subject` null) or `GET /config/{S}` (a subject, or a context as `:.ctx:`), as the
//!   source answered it (`compatibilityLevel`, `normalize`, `defaultMetadata`, …).
//! - `mode`: `{"type":"mode","subject":S|null,"mode":"READWRITE"|"READONLY"|…}`, likewise.
//! - `kek` (one per KEK of the DEK registry, soft-deleted ones included):
//!   `{"type":"kek","name":N,"kmsType":T,"kmsKeyId":ID,"kmsProps":{…},"doc":D?,"shared":BOOL,
//!   "deleted":BOOL}`, the answer of `GET /dek-registry/v1/keks/{N}?deleted=true` without `ts`.
//! - `dek` (one per DEK version, soft-deleted ones included): `{"type":"dek","kekName":N,
//!   "subject":S,"version":V,"algorithm":"AES128_GCM"|"AES256_GCM"|"AES256_SIV",
//!   "encryptedKeyMaterial":E?,"deleted":BOOL}`, the answer of `GET /dek-registry/v1/keks/{N}/
//!   deks/{S}/versions/{V}?deleted=true&algorithm=A` without `ts`. Only the key material
//!   encrypted by the KEK (in the KMS) is dumped, never raw key material (`keyMaterial`, which a
//!   registry with a KMS answers for a shared KEK's DEKs, is not read). The DEKs of a shared KEK
//!   that the registry cannot answer (50070: it has no KMS) are left out with a warning. A
//!   registry without the DEK registry (404 on `GET /dek-registry/v1/keks`: Confluent without
//!   its `dek-registry` module, Karapace) has no such lines.
//! - `end` (last line): `{"type":"end","schemas":N,"configs":N,"modes":N,"keks":N,"deks":N}`; a
//!   dump without it (an interrupted export) is refused by `import`. `keks` and `deks` are 0
//!   when absent (dumps written before keys were exported).
//!
//! Readers skip lines of unknown `type` (with a warning) and unknown fields. The `kek` and
//! `dek` lines came within version 1 for that reason: an older `import` reads a newer dump's
//! schemas, configs and modes, warns about each key line it skips, and ignores the end line's
//! key counts.
//!
//! # What `import` does
//!
//! 1. Reads the whole dump and checks it (header, end line, counts) before any request.
//! 2. Reads the target's state for the dump's subjects: a version already there with the same
//!    ID (and schema) is "already present"; the same subject and version with another ID or
//!    schema is a conflict (reported, never overwritten).
//! 3. Puts each subject that gets new versions into IMPORT mode (`PUT /mode/{S}?force=true`),
//!    so the rest of the target keeps serving writes, registers the missing versions with their
//!    IDs and versions (`POST /subjects/{S}/versions` with `id` and `version`) in dependency
//!    order, then soft-deletes what the dump marks deleted (referrers first).
//! 4. Applies the dumped configs, then the modes: every dumped subject ends with exactly its
//!    dumped subject-level mode (none: the temporary IMPORT is removed), context and global
//!    modes are set to the dumped values (`--skip-global` leaves the global ones alone).
//!
//! 5. Between the two (after the configs, before the modes), the DEK registry's keys: the
//!    target's are read first (`GET …?deleted=true`); a key it holds with the same content is
//!    "already present", with other content a conflict (reported, never overwritten). Missing
//!    KEKs are created (`POST /dek-registry/v1/keks`) with their dumped `deleted` flag, then
//!    missing DEKs (`POST /dek-registry/v1/keks/{N}/deks/{S}`) with theirs: Confluent's
//!    `createDek` looks the KEK up with `getKek(name, request.isDeleted())`, so the soft-deleted
//!    DEKs of a soft-deleted KEK go in under it, and the KEK is never live on the target. Keys
//!    the target holds live that the dump marks deleted are soft-deleted, DEKs before their KEK;
//!    keys soft-deleted on the target but live in the dump are reported, not undeleted. IMPORT
//!    mode plays no part (the DEK registry ignores modes).
//!
//! Only what differs is written, so a second run writes nothing; an interrupted run is
//! finished by running it again. Exit status: 0 done, 1 some items failed (each is printed),
//! 2 usage error, unreadable or malformed dump, registry unreachable or refusing access.
//!
//! Limits of the public API: subjects that have a config or mode but no version (e.g.
//! `alias` subjects) cannot be listed, so they are not exported; schema tags are not exported.
//! DEKs of a shared KEK cannot be imported into this registry (it has no KMS: 50070).

use crate::client::{self, Client, Credentials, Endpoint, ImportVersion, Reply, TransportError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

mod dump;
mod export;
mod import;
mod keys;

pub use dump::{
    order_schemas, ConfigLine, DekLine, Dump, EndLine, Header, KekLine, ModeLine, RefLine,
    SchemaLine, DEK_ALGORITHMS, FORMAT, FORMAT_VERSION,
};
pub use export::run_export;
pub use import::run_import;

/// `schema-registry export`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Dump a registry's whole state as JSON Lines: every subject of every context, \
        every version (soft-deleted ones included) with its ID, references in dependency order, \
        configs and modes, and the DEK registry's KEKs and DEKs (encrypted key material \
        only). Only the public REST API is used, so the source may be any \
        Confluent-compatible registry.\n\n\
        Example:  schema-registry export --url http://old-registry:8081 > dump.jsonl\n\n\
        Exit status: 0 done, 1 some items could not be read (listed; the dump lacks them), \
        2 usage error or registry unreachable."
)]
pub struct ExportArgs {
    /// The registry to read, e.g. http://localhost:8081.
    #[arg(long)]
    pub url: String,

    /// HTTP basic auth as USER:PASSWORD (Confluent's basic.auth.user.info).
    #[arg(long, env = "SR_MIGRATE_BASIC_AUTH", hide_env_values = true)]
    pub basic_auth: Option<String>,

    /// Write the dump to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Timeout of one HTTP request, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
}

/// `schema-registry import`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Load a dump made by `export` into a registry, keeping IDs and versions: the \
        subjects being written are put in IMPORT mode, missing versions are registered in \
        dependency order, soft-deleted ones deleted again, then configs, KEKs and DEKs and modes \
        are applied. Versions and keys already present with the same ID are skipped, so running it again is safe.\n\n\
        Example:  schema-registry import --url http://new-registry:8081 < dump.jsonl\n\n\
        Exit status: 0 done, 1 some items failed (listed), 2 usage error, malformed dump, \
        registry unreachable or refusing access."
)]
pub struct ImportArgs {
    /// The registry to write, e.g. http://localhost:8081.
    #[arg(long)]
    pub url: String,

    /// HTTP basic auth as USER:PASSWORD (Confluent's basic.auth.user.info).
    #[arg(long, env = "SR_MIGRATE_BASIC_AUTH", hide_env_values = true)]
    pub basic_auth: Option<String>,

    /// Read the dump from this file instead of stdin.
    #[arg(long, short = 'i', value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Only read the target and report what an import would do; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Leave the target's global config and global mode as they are (by default they are set
    /// to the dumped ones at the end).
    #[arg(long)]
    pub skip_global: bool,

    /// Timeout of one HTTP request, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
}

// ---- HTTP --------------------------------------------------------------------------------

/// How a scope is shown in messages.
fn scope_name(scope: Option<&str>) -> String {
    match scope {
        None => "(global)".to_string(),
        Some(s) => s.to_string(),
    }
}

/// The registry exported from or imported into, through [`crate::client`]. Every error is
/// fatal for the whole run: the registry cannot be reached, or refuses the credentials
/// (401/403).
struct Api {
    client: Client,
}

impl Api {
    fn new(url: &str, basic_auth: Option<&str>, timeout: u64) -> Result<Api, String> {
        let auth = basic_auth
            .map(|a| {
                Credentials::from_user_info(a).ok_or(
                    "--basic-auth must be USER:PASSWORD (with a colon between them)".to_string(),
                )
            })
            .transpose();
        let endpoint = Endpoint::parse(url, auth.clone().unwrap_or(None)).map_err(|e| match e {
            client::UrlError::Invalid(e) => format!("--url {url:?} is not a URL: {e}"),
            client::UrlError::Scheme => {
                format!("--url {url:?}: only http:// and https:// are supported")
            }
        })?;
        auth?;
        let http = client::Http::new(&client::Options {
            timeout: Duration::from_secs(timeout.max(1)),
            connect_timeout: Some(Duration::from_secs(timeout.clamp(1, 10))),
            user_agent: Some(concat!("schema-registry-migrate/", env!("CARGO_PKG_VERSION")).into()),
            ca: None,
            identity: None,
            // Reads are retried on transport errors (a restarting registry, a dropped
            // connection).
            read_attempts: 3,
        })?;
        Ok(Api {
            client: Client::new(http, endpoint),
        })
    }

    /// Scheme, host, port and path prefix, no trailing slash, no credentials.
    fn base(&self) -> &str {
        self.client.base()
    }

    fn answer(&self, r: Result<Reply, TransportError>) -> Result<Reply, String> {
        let r = r.map_err(|e| {
            if e.reading() {
                format!("{} {}: reading the answer: {}", e.method, e.url, e.chain())
            } else {
                format!(
                    "cannot reach the registry at {}: {}",
                    self.base(),
                    e.chain()
                )
            }
        })?;
        if r.status == 401 || r.status == 403 {
            return Err(format!(
                "the registry at {} refused access to {} {}: {} (check --basic-auth)",
                self.base(),
                r.method,
                r.path,
                r.describe()
            ));
        }
        Ok(r)
    }

    async fn get(&self, path: &str) -> Result<Reply, String> {
        self.answer(self.client.get(path).await)
    }

    async fn set_mode(&self, scope: Option<&str>, mode: &str) -> Result<Reply, String> {
        self.answer(self.client.set_mode(scope, mode).await)
    }

    async fn delete_mode(&self, scope: Option<&str>) -> Result<Reply, String> {
        self.answer(self.client.delete_mode(scope).await)
    }

    async fn set_config(&self, scope: Option<&str>, body: &Value) -> Result<Reply, String> {
        self.answer(self.client.set_config(scope, body).await)
    }

    async fn register_with_id<R: Serialize>(
        &self,
        subject: &str,
        v: &ImportVersion<'_, R>,
    ) -> Result<Reply, String> {
        self.answer(self.client.register_with_id(subject, v).await)
    }

    async fn soft_delete(&self, subject: &str, version: i32) -> Result<Reply, String> {
        self.answer(self.client.soft_delete(subject, version).await)
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Reply, String> {
        self.answer(self.client.post(path, body).await)
    }

    async fn delete(&self, path: &str) -> Result<Reply, String> {
        self.answer(self.client.delete(path).await)
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {elapsed_precise} {wide_msg}")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_prefix(what.to_string());
    pb
}

/// Prints a line above a visible progress bar (the summary lists it again at the end).
fn say(pb: &ProgressBar, msg: &str) {
    if !pb.is_hidden() {
        pb.suspend(|| eprintln!("{msg}"));
    }
}

fn string_list(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn int_list(v: &Value) -> Option<Vec<i32>> {
    v.as_array()?
        .iter()
        .map(|n| n.as_i64().and_then(|n| i32::try_from(n).ok()))
        .collect()
}

fn fatal(what: &str, e: &str) -> ExitCode {
    eprintln!("{what}: error: {e}");
    ExitCode::from(2)
}

//! The client subcommands: `subjects`, `versions`, `get`, `register`, `delete`, `config`,
//! `mode` (one REST request or two against a registry, through [`crate::client`]) and
//! `completions` (a shell completion script, from clap's own description of the CLI).
//!
//! Output is `--output text` (plain lines a shell loop can read) or `--output json` (the
//! registry's answer as it came, one JSON document on stdout, for `jq`). Failures go to
//! stderr, never stdout; the exit status tells them apart (see [`EXIT_CODES`]).

use crate::client::{self, Client, Credentials, Endpoint, Http, Method, Options, Reply};
use clap::{Args, CommandFactory, Subcommand, ValueEnum};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// The exit statuses of the client subcommands (shown by `--help`).
pub const EXIT_CODES: &str = "Exit status:\n  \
    0  done\n  \
    1  the registry refused the request: it answered 4xx (not found, invalid or incompatible \
    schema, unauthorized, forbidden); its error_code and message are printed on stderr\n  \
    2  usage error, unreadable file, registry unreachable, TLS failure, a 5xx answer or an \
    answer that is not JSON";

/// Query values: everything but unreserved characters is escaped.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The client subcommands (flattened into [`crate::config::Command`]).
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// List the subjects of a registry.
    #[command(after_long_help = EXIT_CODES)]
    Subjects(SubjectsArgs),
    /// List the versions of a subject.
    #[command(after_long_help = EXIT_CODES)]
    Versions(VersionsArgs),
    /// Print a schema: a subject's version (latest by default), or the schema with an ID.
    #[command(after_long_help = EXIT_CODES)]
    Get(GetArgs),
    /// Register a schema file under a subject and print its ID.
    #[command(after_long_help = EXIT_CODES)]
    Register(RegisterArgs),
    /// Delete a subject or one of its versions (soft by default).
    #[command(after_long_help = EXIT_CODES)]
    Delete(DeleteArgs),
    /// Show, set or remove the compatibility level (global, or a subject's or context's).
    #[command(after_long_help = EXIT_CODES)]
    Config(ConfigArgs),
    /// Show, set or remove the mode (global, or a subject's or context's).
    #[command(after_long_help = EXIT_CODES)]
    Mode(ModeArgs),
    /// Print a shell completion script for this command on stdout.
    #[command(
        long_about = "Print a shell completion script for this command on stdout.\n\n\
            bash:  schema-registry completions bash > /etc/bash_completion.d/schema-registry\n\
            zsh:   schema-registry completions zsh > \"${fpath[1]}/_schema-registry\"\n\
            fish:  schema-registry completions fish > ~/.config/fish/completions/schema-registry.fish"
    )]
    Completions(CompletionsArgs),
}

/// How to reach the registry and how to print its answers (every client subcommand).
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// The registry's base URL (credentials in it are used for basic auth).
    #[arg(
        long,
        env = "SR_URL",
        default_value = "http://localhost:8081",
        hide_env_values = true
    )]
    pub url: String,

    /// HTTP basic auth as USER:PASSWORD (Confluent's basic.auth.user.info).
    #[arg(
        long,
        env = "SR_BASIC_AUTH",
        value_name = "USER:PASSWORD",
        hide_env_values = true
    )]
    pub basic_auth: Option<String>,

    /// CA certificates (PEM bundle) trusted besides the system's roots, for an https:// URL.
    #[arg(long, env = "SR_CA_CERT", value_name = "PATH")]
    pub ca_cert: Option<PathBuf>,

    /// A client certificate (PEM) for mutual TLS; needs --client-key.
    #[arg(
        long,
        env = "SR_CLIENT_CERT",
        value_name = "PATH",
        requires = "client_key"
    )]
    pub client_cert: Option<PathBuf>,

    /// The private key (PEM) of --client-cert.
    #[arg(
        long,
        env = "SR_CLIENT_KEY",
        value_name = "PATH",
        requires = "client_cert"
    )]
    pub client_key: Option<PathBuf>,

    /// Longest time for one request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,

    /// text: plain lines; json: the registry's answer as it came (one JSON document).
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct SubjectsArgs {
    /// Only the subjects whose name starts with this (e.g. `:.ctx:` for a context's).
    #[arg(long)]
    pub prefix: Option<String>,
    /// Include soft-deleted subjects.
    #[arg(long)]
    pub deleted: bool,
    #[command(flatten)]
    pub conn: Connection,
}

#[derive(Debug, Clone, Args)]
pub struct VersionsArgs {
    pub subject: String,
    /// Include soft-deleted versions.
    #[arg(long)]
    pub deleted: bool,
    #[command(flatten)]
    pub conn: Connection,
}

#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Print a schema: a subject's version (latest by default), or the schema with an ID.\n\n\
        Text output is the schema itself; JSON output is the registry's object (subject, version, \
        id, schemaType, references, schema …)."
)]
pub struct GetArgs {
    /// The subject (with --id: optional, it names the context the ID belongs to).
    #[arg(required_unless_present = "id")]
    pub subject: Option<String>,
    /// A version number or `latest`.
    #[arg(default_value = "latest", value_parser = parse_version, conflicts_with = "id")]
    pub version: String,
    /// The schema with this ID instead of a subject's version.
    #[arg(long)]
    pub id: Option<u32>,
    /// Also find a soft-deleted version.
    #[arg(long, conflicts_with = "id")]
    pub deleted: bool,
    #[command(flatten)]
    pub conn: Connection,
}

#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Register a schema file under a subject and print its ID (the existing ID when the \
        subject already holds the same schema).\n\n\
        Example: schema-registry register orders-value orders.avsc\n         \
        schema-registry register --reference com/acme/address.proto=address-value:1 orders-value orders.proto"
)]
pub struct RegisterArgs {
    pub subject: String,
    /// The schema file.
    pub file: PathBuf,
    /// The schema type. By default from the file name: `.json` is JSON Schema, `.proto`
    /// Protobuf, anything else Avro.
    #[arg(long = "type", value_name = "TYPE", ignore_case = true, value_parser = ["AVRO", "JSON", "PROTOBUF"])]
    pub schema_type: Option<String>,
    /// A schema this one references, as NAME=SUBJECT:VERSION (NAME is the Avro type name,
    /// the `$ref` or the import path); repeatable.
    #[arg(long = "reference", value_name = "NAME=SUBJECT:VERSION", value_parser = parse_reference)]
    pub references: Vec<Value>,
    /// Have the registry normalize the schema first (`?normalize=true`).
    #[arg(long)]
    pub normalize: bool,
    #[command(flatten)]
    pub conn: Connection,
}

#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Delete a subject (all its versions) or one version. By default the deletion is soft: \
        the versions stay readable with --deleted and their IDs stay taken. --permanent removes \
        them for good (soft-deleting first where needed, as the registry requires).\n\n\
        Text output: the deleted version numbers, one per line."
)]
pub struct DeleteArgs {
    pub subject: String,
    /// A version number or `latest`; without it, the whole subject.
    #[arg(value_parser = parse_version)]
    pub version: Option<String>,
    /// Delete for good (hard delete).
    #[arg(long)]
    pub permanent: bool,
    #[command(flatten)]
    pub conn: Connection,
}

#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Show, set or remove the compatibility level, globally or for a subject or a \
        context (`:.ctx:`).\n\n\
        Text output is the level; JSON output the registry's answer (with any other settings).\n\n\
        Examples: schema-registry config                       (the global level)\n          \
        schema-registry config orders-value --effective (its level, else the global one)\n          \
        schema-registry config orders-value --set FULL_TRANSITIVE\n          \
        schema-registry config orders-value --delete"
)]
pub struct ConfigArgs {
    /// A subject or context; without it, the global setting.
    pub subject: Option<String>,
    /// Set this level: NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE,
    /// FULL, FULL_TRANSITIVE.
    #[arg(long, value_name = "LEVEL", ignore_case = true, value_parser = clap::builder::PossibleValuesParser::new(crate::model::Level::ALL.map(crate::model::Level::as_str)), conflicts_with = "delete")]
    pub set: Option<String>,
    /// Remove the setting (the subject then follows its context's or the global one).
    #[arg(long)]
    pub delete: bool,
    /// With a subject and neither --set nor --delete: the level that applies to it, its own
    /// or else the global one (`defaultToGlobal=true`), instead of 404 when it has none.
    #[arg(long, requires = "subject", conflicts_with_all = ["set", "delete"])]
    pub effective: bool,
    #[command(flatten)]
    pub conn: Connection,
}

#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Show, set or remove the mode (READWRITE, READONLY, READONLY_OVERRIDE, IMPORT), \
        globally or for a subject or a context (`:.ctx:`).\n\n\
        Text output is the mode; JSON output the registry's answer."
)]
pub struct ModeArgs {
    /// A subject or context; without it, the global setting.
    pub subject: Option<String>,
    /// Set this mode: READWRITE, READONLY, READONLY_OVERRIDE or IMPORT.
    #[arg(long, value_name = "MODE", ignore_case = true, value_parser = ["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"], conflicts_with = "delete")]
    pub set: Option<String>,
    /// With --set IMPORT: switch even though the scope holds schemas (`force=true`).
    #[arg(long, requires = "set")]
    pub force: bool,
    /// Remove the setting (the subject then follows its context's or the global one).
    #[arg(long)]
    pub delete: bool,
    /// With a subject and neither --set nor --delete: the mode that applies to it, its own or
    /// else the global one (`defaultToGlobal=true`).
    #[arg(long, requires = "subject", conflicts_with_all = ["set", "delete"])]
    pub effective: bool,
    #[command(flatten)]
    pub conn: Connection,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

fn parse_version(s: &str) -> Result<String, String> {
    if s.eq_ignore_ascii_case("latest") {
        return Ok("latest".into());
    }
    match s.parse::<i32>() {
        Ok(v) if v >= 1 || v == -1 => Ok(v.to_string()),
        _ => Err(format!(
            "{s:?} is not a version: expected a number from 1, or latest"
        )),
    }
}

/// `NAME=SUBJECT:VERSION` as a reference object (the version after the last colon, so a
/// context-qualified subject such as `:.ctx:address` works).
fn parse_reference(s: &str) -> Result<Value, String> {
    let bad = || format!("expected NAME=SUBJECT:VERSION, got {s:?}");
    let (name, rest) = s.split_once('=').ok_or_else(bad)?;
    let (subject, version) = rest.rsplit_once(':').ok_or_else(bad)?;
    if name.is_empty() || subject.is_empty() {
        return Err(bad());
    }
    let version: i32 = match version {
        v if v.eq_ignore_ascii_case("latest") => -1,
        v => v.parse().map_err(|_| bad())?,
    };
    Ok(json!({ "name": name, "subject": subject, "version": version }))
}

// ---- running ---------------------------------------------------------------------------

/// Why a command failed, and so its exit status.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    /// The registry answered 4xx: exit 1.
    Refused(String),
    /// Anything else: exit 2.
    Error(String),
}

/// What a command prints on success: the registry's JSON and its text rendering.
struct Shown {
    json: Value,
    text: String,
}

/// Runs a client subcommand: prints the result and returns the exit status.
pub fn run(command: &ClientCommand) -> ExitCode {
    let (conn, result) = match command {
        ClientCommand::Completions(a) => return completions(a.shell),
        ClientCommand::Subjects(a) => (&a.conn, execute(&a.conn, |s| subjects(s, a))),
        ClientCommand::Versions(a) => (&a.conn, execute(&a.conn, |s| versions(s, a))),
        ClientCommand::Get(a) => (&a.conn, execute(&a.conn, |s| get(s, a))),
        ClientCommand::Register(a) => (&a.conn, execute(&a.conn, |s| register(s, a))),
        ClientCommand::Delete(a) => (&a.conn, execute(&a.conn, |s| delete(s, a))),
        ClientCommand::Config(a) => (&a.conn, execute(&a.conn, |s| config(s, a))),
        ClientCommand::Mode(a) => (&a.conn, execute(&a.conn, |s| mode(s, a))),
    };
    match result {
        Ok(shown) => {
            let out = match conn.output {
                Output::Json => serde_json::to_string_pretty(&shown.json)
                    .unwrap_or_else(|_| shown.json.to_string()),
                Output::Text => shown.text,
            };
            let newline = if out.is_empty() || out.ends_with('\n') {
                ""
            } else {
                "\n"
            };
            emit(format!("{out}{newline}").as_bytes())
        }
        Err(Failure::Refused(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
        Err(Failure::Error(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
    }
}

fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut cmd = crate::config::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "schema-registry", &mut script);
    emit(&script)
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
fn emit(bytes: &[u8]) -> ExitCode {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            ExitCode::from(2)
        }
    }
}

/// A registry session: the client and a runtime to drive it.
struct Session {
    client: Client,
    rt: tokio::runtime::Runtime,
}

fn execute(
    conn: &Connection,
    command: impl FnOnce(&Session) -> Result<Shown, Failure>,
) -> Result<Shown, Failure> {
    let session = Session::open(conn)?;
    command(&session)
}

impl Session {
    fn open(conn: &Connection) -> Result<Session, Failure> {
        let auth = conn
            .basic_auth
            .as_deref()
            .map(|a| {
                Credentials::from_user_info(a).ok_or_else(|| {
                    Failure::Error(
                        "--basic-auth must be USER:PASSWORD (with a colon between them)".into(),
                    )
                })
            })
            .transpose()?;
        let endpoint = Endpoint::parse(&conn.url, auth)
            .map_err(|e| Failure::Error(format!("--url {}: {e}", conn.url)))?;
        let identity = match (&conn.client_cert, &conn.client_key) {
            (Some(c), Some(k)) => Some((c.clone(), k.clone())),
            _ => None,
        };
        let http = Http::new(&Options {
            timeout: Duration::from_secs(conn.timeout),
            connect_timeout: Some(Duration::from_secs(conn.timeout.min(10))),
            user_agent: Some(concat!("schema-registry/", env!("CARGO_PKG_VERSION")).into()),
            ca: conn.ca_cert.clone(),
            identity,
            read_attempts: 1,
        })
        .map_err(Failure::Error)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::Error(format!("cannot start the runtime: {e}")))?;
        Ok(Session {
            client: Client::new(http, endpoint),
            rt,
        })
    }

    /// Sends a request and returns the registry's answer.
    fn reply(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Reply, Failure> {
        self.rt
            .block_on(self.client.send(method, path, body))
            .map_err(|e| {
                if e.reading() {
                    Failure::Error(format!(
                        "{} {}: cannot read the registry's answer: {}",
                        e.method,
                        e.url,
                        e.chain()
                    ))
                } else {
                    Failure::Error(format!(
                        "cannot reach the registry at {}: {}",
                        self.client.base(),
                        e.chain()
                    ))
                }
            })
    }

    /// Sends a request: a 2xx JSON answer is its body, anything else a [`Failure`].
    fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, Failure> {
        let r = self.reply(method, path, body)?;
        accept(&r)
    }

    fn get(&self, path: &str) -> Result<Value, Failure> {
        self.call(Method::GET, path, None)
    }
}

/// A reply's body when it succeeded, else why not.
fn accept(r: &Reply) -> Result<Value, Failure> {
    let what = format!("{} {}", r.method, r.path);
    match r.status {
        200..=299 if r.json => Ok(r.body.clone()),
        200..=299 => Err(Failure::Error(format!(
            "{what}: the registry answered {} with a body that is not JSON",
            client::status_text(r.status)
        ))),
        400..=499 => {
            let hint = match r.status {
                401 => " (check --basic-auth / SR_BASIC_AUTH)",
                403 => " (these credentials lack the role for this request)",
                _ => "",
            };
            Err(Failure::Refused(format!(
                "{what}: the registry refused: {}{hint}",
                r.describe()
            )))
        }
        _ => Err(Failure::Error(format!(
            "{what}: the registry failed: {}",
            r.describe()
        ))),
    }
}

/// `?a=b&c=d` from the pairs given (empty without any).
fn query(pairs: &[(&str, Option<&str>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", utf8_percent_encode(v, QUERY))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn flag(on: bool) -> Option<&'static str> {
    on.then_some("true")
}

/// One line per element of a JSON array (strings unquoted).
fn lines(v: &Value) -> String {
    match v {
        Value::Array(items) => items.iter().map(|i| scalar(i) + "\n").collect(),
        other => scalar(other),
    }
}

/// A JSON scalar as text (strings unquoted).
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The value of the first of `keys` in an object, as text.
fn field(v: &Value, keys: &[&str]) -> String {
    keys.iter()
        .find_map(|k| v.get(k))
        .map(scalar)
        .unwrap_or_else(|| v.to_string())
}

fn shown(json: Value, text: String) -> Shown {
    Shown { json, text }
}

// ---- the commands ----------------------------------------------------------------------

fn subjects(s: &Session, a: &SubjectsArgs) -> Result<Shown, Failure> {
    let q = query(&[
        ("subjectPrefix", a.prefix.as_deref()),
        ("deleted", flag(a.deleted)),
    ]);
    let v = s.get(&format!("/subjects{q}"))?;
    let text = lines(&v);
    Ok(shown(v, text))
}

fn versions(s: &Session, a: &VersionsArgs) -> Result<Shown, Failure> {
    let q = query(&[("deleted", flag(a.deleted))]);
    let v = s.get(&format!(
        "/subjects/{}/versions{q}",
        client::segment(&a.subject)
    ))?;
    let text = lines(&v);
    Ok(shown(v, text))
}

fn get(s: &Session, a: &GetArgs) -> Result<Shown, Failure> {
    let path = match (a.id, &a.subject) {
        (Some(id), subject) => format!(
            "/schemas/ids/{id}{}",
            query(&[("subject", subject.as_deref())])
        ),
        (None, Some(subject)) => format!(
            "/subjects/{}/versions/{}{}",
            client::segment(subject),
            client::segment(&a.version),
            query(&[("deleted", flag(a.deleted))])
        ),
        (None, None) => return Err(Failure::Error("give a SUBJECT or --id".into())),
    };
    let v = s.get(&path)?;
    let text = field(&v, &["schema"]);
    Ok(shown(v, text))
}

/// The schema type of a file: `.json` JSON Schema, `.proto` Protobuf, anything else Avro.
fn type_of(file: &std::path::Path) -> &'static str {
    let ext = file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("json") => "JSON",
        Some("proto") => "PROTOBUF",
        _ => "AVRO",
    }
}

fn register(s: &Session, a: &RegisterArgs) -> Result<Shown, Failure> {
    let schema = std::fs::read_to_string(&a.file)
        .map_err(|e| Failure::Error(format!("cannot read {}: {e}", a.file.display())))?;
    let schema_type = a
        .schema_type
        .as_deref()
        .map(str::to_ascii_uppercase)
        .unwrap_or_else(|| type_of(&a.file).to_string());
    let mut body = Map::new();
    body.insert("schema".into(), json!(schema));
    if schema_type != "AVRO" {
        body.insert("schemaType".into(), json!(schema_type));
    }
    if !a.references.is_empty() {
        body.insert("references".into(), json!(a.references));
    }
    let path = format!(
        "/subjects/{}/versions{}",
        client::segment(&a.subject),
        query(&[("normalize", flag(a.normalize))])
    );
    let v = s.call(Method::POST, &path, Some(&Value::Object(body)))?;
    let text = field(&v, &["id"]);
    Ok(shown(v, text))
}

fn delete(s: &Session, a: &DeleteArgs) -> Result<Shown, Failure> {
    let subject = format!("/subjects/{}", client::segment(&a.subject));
    let path = match &a.version {
        Some(v) => format!("{subject}/versions/{}", client::segment(v)),
        None => subject.clone(),
    };
    let soft = s.reply(Method::DELETE, &path, None)?;
    if !a.permanent {
        let v = accept(&soft)?;
        let text = lines(&v);
        return Ok(shown(v, text));
    }
    // The registry deletes for good only what is soft-deleted already: soft-delete first,
    // unless it was (40404 for a subject, 40406 for a version).
    let already = if a.version.is_some() { 40406 } else { 40404 };
    let hard = if soft.status == 404 && soft.error_code() == Some(already) {
        if a.version
            .as_deref()
            .is_some_and(|v| v == "latest" || v == "-1")
        {
            return Err(Failure::Error(
                "the latest version is soft-deleted already: give its number to delete it permanently"
                    .into(),
            ));
        }
        path
    } else {
        // `latest` names another version once this one is soft-deleted: use the number the
        // registry answered.
        match (accept(&soft)?, &a.version) {
            (Value::Number(n), Some(_)) => format!("{subject}/versions/{n}"),
            _ => path,
        }
    };
    let v = s.call(Method::DELETE, &format!("{hard}?permanent=true"), None)?;
    let text = lines(&v);
    Ok(shown(v, text))
}

/// GET, PUT or DELETE `/config` or `/mode`, globally or for a scope.
fn setting(
    s: &Session,
    kind: &str,
    scope: Option<&str>,
    set: Option<Value>,
    force: bool,
    delete: bool,
    effective: bool,
) -> Result<Value, Failure> {
    let path = client::scoped(kind, scope);
    match set {
        Some(body) => s.call(
            Method::PUT,
            &format!("{path}{}", query(&[("force", flag(force))])),
            Some(&body),
        ),
        None if delete => s.call(Method::DELETE, &path, None),
        None => s.get(&format!(
            "{path}{}",
            query(&[("defaultToGlobal", flag(effective))])
        )),
    }
}

fn config(s: &Session, a: &ConfigArgs) -> Result<Shown, Failure> {
    let set = a
        .set
        .as_deref()
        .map(|l| json!({ "compatibility": l.to_ascii_uppercase() }));
    let v = setting(
        s,
        "config",
        a.subject.as_deref(),
        set,
        false,
        a.delete,
        a.effective,
    )?;
    let text = field(&v, &["compatibilityLevel", "compatibility"]);
    Ok(shown(v, text))
}

fn mode(s: &Session, a: &ModeArgs) -> Result<Shown, Failure> {
    let set = a
        .set
        .as_deref()
        .map(|m| json!({ "mode": m.to_ascii_uppercase() }));
    let v = setting(
        s,
        "mode",
        a.subject.as_deref(),
        set,
        a.force,
        a.delete,
        a.effective,
    )?;
    let text = field(&v, &["mode"]);
    Ok(shown(v, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_versions_parse() {
        assert_eq!(
            parse_reference("com/acme/a.proto=:.ctx:address:3"),
            Ok(json!({"name": "com/acme/a.proto", "subject": ":.ctx:address", "version": 3}))
        );
        assert_eq!(
            parse_reference("A=a-value:latest"),
            Ok(json!({"name": "A", "subject": "a-value", "version": -1}))
        );
        for bad in ["A", "A=b", "=b:1", "A=:1", "A=b:x"] {
            assert!(parse_reference(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_version("LATEST"), Ok("latest".into()));
        assert_eq!(parse_version("3"), Ok("3".into()));
        assert!(parse_version("0").is_err());
        assert!(parse_version("x").is_err());
    }

    #[test]
    fn queries_are_encoded() {
        assert_eq!(query(&[("a", None)]), "");
        assert_eq!(
            query(&[
                ("subjectPrefix", Some(":.c:x y&z")),
                ("deleted", flag(true))
            ]),
            "?subjectPrefix=%3A.c%3Ax%20y%26z&deleted=true"
        );
    }

    #[test]
    fn text_renderings() {
        assert_eq!(lines(&json!(["a", "b"])), "a\nb\n");
        assert_eq!(lines(&json!([1, 2])), "1\n2\n");
        assert_eq!(lines(&json!(3)), "3");
        assert_eq!(
            field(
                &json!({"compatibility": "FULL"}),
                &["compatibilityLevel", "compatibility"]
            ),
            "FULL"
        );
        assert_eq!(type_of(std::path::Path::new("a/B.PROTO")), "PROTOBUF");
        assert_eq!(type_of(std::path::Path::new("x.json")), "JSON");
        assert_eq!(type_of(std::path::Path::new("x.avsc")), "AVRO");
    }

    #[test]
    fn answers_map_to_exit_statuses() {
        let reply = |status, body| Reply {
            method: Method::GET,
            path: "/subjects/x/versions".into(),
            status,
            body,
            json: true,
        };
        assert_eq!(accept(&reply(200, json!([1]))), Ok(json!([1])));
        let refused = accept(&reply(
            404,
            json!({"error_code": 40401, "message": "Subject 'x' not found."}),
        ));
        assert_eq!(
            refused,
            Err(Failure::Refused(
                "GET /subjects/x/versions: the registry refused: 404 (error_code 40401): Subject 'x' not found.".into()
            ))
        );
        assert!(matches!(
            accept(&reply(500, json!({"error_code": 50001, "message": "boom"}))),
            Err(Failure::Error(_))
        ));
        let mut not_json = reply(200, json!("<html>"));
        not_json.json = false;
        assert!(matches!(accept(&not_json), Err(Failure::Error(_))));
    }
}

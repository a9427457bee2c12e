//! `schema-registry check`: the compatibility check for CI pipelines, offline (schema files)
//! or against a running registry. Offline it calls the very same parser and checker as the
//! server (`schema::parse`, `compat::check`), so its verdicts and messages are the server's.
//! The messages are then explained (`explain`, `words`): each incompatibility in plain words,
//! with the field it concerns (`locate`), who breaks and a fix; `--format confluent` prints
//! them raw, `--format json` as objects. A schema that does not parse is reported as
//! FILE:LINE:COLUMN in our words (`locate::parse_error`), never the Java/Jackson text some
//! server errors reproduce. `diff` (`diff.rs`) shows two versions side by side with the verdict
//! at each level.
//!
//! Exit codes: 0 compatible, 1 incompatible, 2 usage error, unreadable file, invalid schema,
//! registry unreachable, or (with `--url`) a subject without versions unless
//! `--allow-new-subject`.

mod diff;
mod explain;
mod locate;
mod words;

pub use diff::{run as run_diff, DiffArgs};
pub use explain::{explain, Context, Direction, Explained, Item};

use crate::client::{self, status_text, Client, Credentials, Endpoint, Http, Options};
use crate::compat::{self, Candidate, Previous};
use crate::model::{Level, SchemaType};
use crate::schema::{self, Dependency};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
#[command(
    about = "Check a new schema for compatibility, offline against older schema files or against a registry",
    long_about = "Check a new schema for compatibility, with the registry's own parser and checker.\n\n\
        Offline:   schema-registry check --level BACKWARD_TRANSITIVE new.avsc v1.avsc v2.avsc   (older versions oldest first)\n\
        JSON:      schema-registry check --reference address.json new.json v1.json   (type from the .json extension, or --type JSON)\n\
        Protobuf:  schema-registry check --reference common/address.proto=address.proto new.proto v1.proto   (type from the .proto extension, or --type PROTOBUF)\n\
        Registry:  schema-registry check --url http://registry:8081 --subject orders-value new.avsc\n\n\
        Each incompatibility is explained: the field, what changed, who breaks (new readers: consumers \
        on the new schema reading old data; old readers: consumers still on the old schema reading new \
        data) and a fix. --format confluent prints the registry's raw messages, --format json objects.\n\n\
        A subject without versions is an error (exit 2) unless --allow-new-subject is given.\n\n\
        Exit status: 0 compatible, 1 incompatible, 2 usage error, invalid schema or registry unreachable."
)]
pub struct CheckArgs {
    /// The new schema (.avsc, .json, .proto), then, offline, the earlier versions oldest first.
    #[arg(required = true, value_name = "NEW [OLD...]")]
    pub files: Vec<PathBuf>,

    /// Offline: the compatibility level (NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD,
    /// FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE).
    #[arg(long, default_value = "BACKWARD", value_parser = crate::config::parse_level, conflicts_with = "url")]
    pub level: Level,

    /// Ask this registry instead (its configured level applies), e.g. http://localhost:8081.
    #[arg(long, requires = "subject")]
    pub url: Option<String>,

    /// With --url: the subject to check against.
    #[arg(long, requires = "url")]
    pub subject: Option<String>,

    /// With --url: check against this version only (a number or `latest`); by default against
    /// the versions the subject's level covers.
    #[arg(long, requires = "url")]
    pub version: Option<String>,

    /// With --url: accept the schema when the subject has no versions yet (a first
    /// registration). Without it such a subject is an error (exit 2): a mistyped subject
    /// must not pass CI as "compatible".
    #[arg(long, requires = "url")]
    pub allow_new_subject: bool,

    /// With --url: HTTP basic auth as USER:PASSWORD (Confluent's basic.auth.user.info).
    #[arg(
        long,
        env = "SR_CHECK_BASIC_AUTH",
        requires = "url",
        hide_env_values = true
    )]
    pub basic_auth: Option<String>,

    /// The schema type: AVRO, JSON or PROTOBUF. By default from the new schema's file name:
    /// `.json` is JSON Schema, `.proto` Protobuf, anything else Avro.
    #[arg(long = "type", value_name = "TYPE", value_parser = parse_type)]
    pub schema_type: Option<SchemaType>,

    /// Schema files referenced by the schemas (Avro named types defined elsewhere; JSON Schema
    /// `$ref` targets; Protobuf imports), in dependency order, as FILE (known by its file name,
    /// e.g. a `$ref` to `address.json`) or NAME=FILE (an import path such as
    /// `common/address.proto=./address.proto`); offline they are known to every schema, with --url they
    /// are not sent.
    #[arg(long = "reference", value_name = "[NAME=]FILE", conflicts_with = "url")]
    pub references: Vec<String>,

    /// Validate the new schema's field defaults and check its normalized form (as the
    /// registry does for `?normalize=true`).
    #[arg(long)]
    pub normalize: bool,

    /// Output: `text` (default): each incompatibility in plain words (what changed, who
    /// breaks, how to fix it); `confluent`: the registry's raw messages, one a line; `json`:
    /// `{"compatible", "level", "incompatibilities": [{"kind", "path", "field", "message",
    /// "breaks", "fix", "confluent"}], "is_compatible", "messages"}`. `human` is `text`'s
    /// former name.
    #[arg(long, default_value = "text", value_parser = ["text", "confluent", "json", "human"])]
    pub format: String,
}

fn parse_type(s: &str) -> Result<SchemaType, String> {
    match SchemaType::parse(&s.to_ascii_uppercase()) {
        Some(t) if schema::format(t).is_some() => Ok(t),
        _ => Err(format!(
            "unknown schema type {s} (supported: {})",
            schema::supported_types().join(", ")
        )),
    }
}

/// The schema type of a check: `--type`, else from the new schema's extension.
fn schema_type_of(args: &CheckArgs) -> SchemaType {
    args.schema_type
        .unwrap_or_else(|| match args.files.first() {
            Some(f) => schema_type_of_path(f),
            None => SchemaType::Avro,
        })
}

/// `.json` is JSON Schema, `.proto` Protobuf, anything else Avro.
fn schema_type_of_path(path: &std::path::Path) -> SchemaType {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("json") => SchemaType::Json,
        Some("proto") => SchemaType::Protobuf,
        _ => SchemaType::Avro,
    }
}

/// The outcome of a check, before it is printed.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Compatible,
    /// Confluent's messages, trailers included.
    Incompatible(Vec<String>),
    /// Usage error, unreadable or invalid input, unreachable registry.
    Error(String),
}

impl Outcome {
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Compatible => 0,
            Outcome::Incompatible(_) => 1,
            Outcome::Error(_) => 2,
        }
    }
}

/// Runs the subcommand: prints the result and returns the exit status.
pub fn run(args: &CheckArgs) -> ExitCode {
    let outcome = match &args.url {
        Some(url) => remote(args, url),
        None => offline(args),
    };
    let new_text = args
        .files
        .first()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .unwrap_or_default();
    let level = args.url.is_none().then(|| args.level.as_str());
    let ctx = Context {
        schema_type: schema_type_of(args),
        level,
        new_text: &new_text,
        old_text: None,
    };
    print(&outcome, &args.format, &ctx);
    if args.url.is_none() && args.format != "json" && matches!(outcome, Outcome::Incompatible(_)) {
        let names: Vec<String> = args.files[1..]
            .iter()
            .enumerate()
            .map(|(i, f)| format!("{} = {}", i + 1, f.display()))
            .collect();
        println!(
            "(old schema versions, in the order given: {})",
            names.join(", ")
        );
    }
    ExitCode::from(outcome.exit_code())
}

fn read(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Offline check of `files[0]` against `files[1..]` (oldest first).
pub fn offline(args: &CheckArgs) -> Outcome {
    let mut texts = Vec::with_capacity(args.files.len());
    for f in &args.files {
        match read(f) {
            Ok(t) => texts.push(t),
            Err(e) => return Outcome::Error(e),
        }
    }
    let refs = match read_references(&args.references) {
        Ok(r) => r,
        Err(e) => return Outcome::Error(e),
    };
    check_texts(
        schema_type_of(args),
        args.level,
        &texts,
        &refs,
        args.normalize,
        &args.files,
    )
}

/// `--reference` files, each `FILE` (known by its file name) or `NAME=FILE`.
fn read_references(specs: &[String]) -> Result<Vec<Dependency>, String> {
    let mut refs = Vec::with_capacity(specs.len());
    for spec in specs {
        let (name, file) = match spec.split_once('=') {
            Some((name, file)) if !std::path::Path::new(spec).exists() => {
                (name.to_string(), PathBuf::from(file))
            }
            _ => (
                reference_name(std::path::Path::new(spec)),
                PathBuf::from(spec),
            ),
        };
        refs.push(Dependency::new(name, read(&file)?));
    }
    Ok(refs)
}

/// The name a reference file is known by in `$ref`s and imports: its file name.
fn reference_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Parses every schema as the registry would (the new one as new input, the older ones as
/// stored schemas) and checks the new one at `level`.
pub fn check_texts(
    schema_type: SchemaType,
    level: Level,
    texts: &[String],
    refs: &[Dependency],
    normalize: bool,
    names: &[PathBuf],
) -> Outcome {
    let name = |i: usize| {
        names
            .get(i)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| format!("schema #{i}"))
    };
    let mut parsed = Vec::with_capacity(texts.len());
    for (i, t) in texts.iter().enumerate() {
        let is_new = i == 0;
        let result = schema::parse(schema_type, t, refs, is_new && normalize).and_then(|p| {
            if is_new {
                if let Some(f) = schema::format(schema_type) {
                    f.validate(t, refs, false)?;
                }
            }
            Ok(p)
        });
        match result {
            Ok(p) => parsed.push(if is_new && normalize {
                p.normalized
            } else {
                p.canonical
            }),
            Err(e) => {
                return Outcome::Error(format!(
                    "{}:{}",
                    name(i),
                    locate::parse_error(schema_type, t, &e.to_string())
                ))
            }
        }
    }
    let Some((new, older)) = parsed.split_first() else {
        return Outcome::Error("no schema given".into());
    };
    let cand = |s, refs: &[Dependency]| Candidate {
        schema_type,
        schema: s,
        refs: refs.to_vec(),
    };
    let previous: Vec<Previous<'_>> = older
        .iter()
        .enumerate()
        .map(|(i, s)| Previous {
            version: i32::try_from(i + 1).ok(),
            schema: cand(s, refs),
        })
        .collect();
    let mut messages = compat::check(level, &cand(new, refs), &previous);
    if messages.is_empty() {
        Outcome::Compatible
    } else {
        messages.push(compat::trailer(false, level));
        Outcome::Incompatible(messages)
    }
}

/// Asks a registry: `POST /compatibility/subjects/{subject}/versions[/{version}]?verbose=true`.
fn remote(args: &CheckArgs, url: &str) -> Outcome {
    let subject = args.subject.as_deref().unwrap_or_default();
    if args.files.len() != 1 {
        return Outcome::Error(
            "with --url give only the new schema file; the registry holds the older versions"
                .into(),
        );
    }
    let text = match read(&args.files[0]) {
        Ok(t) => t,
        Err(e) => return Outcome::Error(e),
    };
    // Explicit credentials win over those in the URL; without a colon, all is the user.
    let auth = args.basic_auth.as_deref().map(|a| {
        let (user, pass) = a.split_once(':').unwrap_or((a, ""));
        Credentials::new(user, pass)
    });
    let endpoint = match Endpoint::parse(url, auth) {
        Ok(e) => e,
        Err(e) => return Outcome::Error(format!("--url: {e}")),
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return Outcome::Error(format!("cannot start the runtime: {e}")),
    };
    rt.block_on(async {
        let http = match Http::new(&Options {
            timeout: Duration::from_secs(30),
            ..Options::default()
        }) {
            Ok(c) => c,
            Err(e) => return Outcome::Error(e),
        };
        let client = Client::new(http, endpoint);
        // A subject without versions would check against nothing and pass: say so instead.
        let versions = format!("/subjects/{}/versions", client::segment(subject));
        if let Ok(r) = client.get(&versions).await {
            if r.status == 404 && r.error_code() == Some(40401) {
                return if args.allow_new_subject {
                    Outcome::Compatible
                } else {
                    Outcome::Error(format!(
                        "subject {subject} has no versions (use --allow-new-subject to accept a schema for a new subject)"
                    ))
                };
            }
        }
        let reply = client
            .check_compatibility(
                subject,
                args.version.as_deref(),
                &text,
                schema_type_of(args),
                args.normalize,
            )
            .await;
        match reply {
            Ok(r) if r.json => match interpret(r.status, &r.body) {
                // The registry's parse error (Jackson's words for JSON syntax): ours instead.
                Outcome::Incompatible(m) if is_parse_error(&m) => Outcome::Error(format!(
                    "{}:{}",
                    args.files[0].display(),
                    locate::parse_error(schema_type_of(args), &text, &m[0])
                )),
                Outcome::Error(e) if r.status == 422 && e.contains("(error_code 42201)") => {
                    Outcome::Error(format!(
                        "{}:{}",
                        args.files[0].display(),
                        locate::parse_error(schema_type_of(args), &text, &e)
                    ))
                }
                other => other,
            },
            Ok(r) => Outcome::Error(format!(
                "the registry answered {} with a body that is not JSON: error decoding response body",
                status_text(r.status)
            )),
            Err(e) => match e.status {
                Some(status) => Outcome::Error(format!(
                    "the registry answered {} with a body that is not JSON: {}",
                    status_text(status),
                    e.source
                )),
                None => Outcome::Error(format!(
                    "cannot reach the registry at {}: {}",
                    client.base(),
                    e.source
                )),
            },
        }
    })
}

/// Turns a registry's answer into an outcome.
pub fn interpret(status: u16, body: &Value) -> Outcome {
    if status == 200 {
        let compatible = body.get("is_compatible").and_then(Value::as_bool);
        let messages: Vec<String> = body
            .get("messages")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        return match compatible {
            Some(true) => Outcome::Compatible,
            Some(false) => Outcome::Incompatible(messages),
            None => Outcome::Error(format!("unexpected answer from the registry: {body}")),
        };
    }
    let code = client::error_code(body);
    let message = client::error_message(body)
        .map(str::to_owned)
        .unwrap_or_else(|| body.to_string());
    Outcome::Error(format!(
        "the registry answered {status}{}: {message}",
        code.map(|c| format!(" (error_code {c})"))
            .unwrap_or_default()
    ))
}

/// A verbose answer whose only message is the new schema's parse error.
fn is_parse_error(messages: &[String]) -> bool {
    messages
        .first()
        .is_some_and(|m| m.starts_with("Invalid schema") && !m.contains("errorType:"))
}

/// The level an explained outcome names: the trailer's, else the caller's.
fn level_of(e: &Explained, ctx: &Context<'_>) -> Option<String> {
    e.level.clone().or(ctx.level.map(str::to_owned))
}

/// The JSON document of `--format json`.
pub fn outcome_json(outcome: &Outcome, ctx: &Context<'_>) -> Value {
    match outcome {
        Outcome::Compatible => json!({
            "compatible": true, "level": ctx.level, "incompatibilities": [],
            "is_compatible": true, "messages": [],
        }),
        Outcome::Incompatible(m) => {
            let e = explain(m, ctx);
            json!({
                "compatible": false,
                "level": level_of(&e, ctx),
                "old_version": e.old_version,
                "incompatibilities": e.items.iter().map(Item::to_json).collect::<Vec<_>>(),
                "is_compatible": false,
                "messages": m,
            })
        }
        Outcome::Error(e) => json!({"error": e}),
    }
}

/// Prints explained incompatibilities, numbered, in plain words.
pub fn print_items(items: &[Item], indent: &str) {
    for (i, it) in items.iter().enumerate() {
        let at = match (&it.field, &it.path) {
            (Some(f), Some(p)) => format!("`{f}` ({p})"),
            (None, Some(p)) => p.clone(),
            _ => "schema".into(),
        };
        println!("{indent}{}. {at} [{}]", i + 1, it.kind);
        println!("{indent}   {}", it.message);
        println!("{indent}   breaks: {}", it.breaks());
        println!("{indent}   fix: {}", it.fix);
    }
}

fn print(outcome: &Outcome, format: &str, ctx: &Context<'_>) {
    if format == "json" {
        println!("{}", outcome_json(outcome, ctx));
        return;
    }
    match outcome {
        Outcome::Compatible => println!("compatible"),
        Outcome::Incompatible(msgs) if format == "confluent" => {
            println!("incompatible:");
            for m in msgs {
                println!("  - {m}");
            }
        }
        Outcome::Incompatible(msgs) => {
            let e = explain(msgs, ctx);
            let level = level_of(&e, ctx).unwrap_or_else(|| "the subject's level".into());
            match e.old_version {
                Some(v) => println!("incompatible at {level} with version {v}:"),
                None => println!("incompatible at {level}:"),
            }
            if e.items.is_empty() {
                println!("  (the registry gave no details: it may not support ?verbose=true)");
            }
            print_items(&e.items, "  ");
            println!("(Confluent's messages: --format confluent)");
        }
        Outcome::Error(e) => eprintln!("error: {e}"),
    }
}

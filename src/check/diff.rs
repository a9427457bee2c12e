//! `schema-registry diff`: two versions of a schema side by side (a line diff of their
//! pretty-printed texts) and the verdict at each level (BACKWARD, FORWARD, FULL of NEW
//! against OLD), each incompatibility in plain words. Offline from two files, or from a
//! registry's subject (two versions). Exit status: 0 when the diff was shown (whatever the
//! verdicts), 2 on a usage error, an unreadable or invalid schema, or an unreachable registry.

use super::{check_texts, explain, print_items, schema_type_of_path, Context, Item, Outcome};
use crate::client::{self, Client, Credentials, Endpoint, Http, Options};
use crate::model::{Level, SchemaType};
use crate::schema::Dependency;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
#[command(
    about = "Show two versions of a schema side by side, with the verdict at each compatibility level",
    long_about = "Show two versions of a schema side by side, with the verdict at each level.\n\n\
        Offline:   schema-registry diff old.avsc new.avsc\n\
        Registry:  schema-registry diff --url http://registry:8081 --subject orders-value 3 latest\n\n\
        Markers between the columns: `|` changed, `<` only in OLD, `>` only in NEW.\n\
        The verdicts check NEW against OLD at BACKWARD, FORWARD and FULL.\n\n\
        Exit status: 0 when the diff was shown (whatever the verdicts), 2 on a usage error, \
        an invalid schema or an unreachable registry. Use `check` to gate CI on a verdict."
)]
pub struct DiffArgs {
    /// The old schema file, or with --url a version of the subject (a number or `latest`).
    #[arg(value_name = "OLD")]
    pub old: String,

    /// The new schema file, or with --url a version of the subject (a number or `latest`).
    #[arg(value_name = "NEW")]
    pub new: String,

    /// Read the two versions from this registry, e.g. http://localhost:8081.
    #[arg(long, requires = "subject")]
    pub url: Option<String>,

    /// With --url: the subject whose versions are compared.
    #[arg(long, requires = "url")]
    pub subject: Option<String>,

    /// With --url: HTTP basic auth as USER:PASSWORD.
    #[arg(
        long,
        env = "SR_CHECK_BASIC_AUTH",
        requires = "url",
        hide_env_values = true
    )]
    pub basic_auth: Option<String>,

    /// Offline: the schema type (AVRO, JSON, PROTOBUF); by default from OLD's extension.
    #[arg(long = "type", value_name = "TYPE", value_parser = super::parse_type, conflicts_with = "url")]
    pub schema_type: Option<SchemaType>,

    /// Offline: referenced schema files, as for `check --reference`.
    #[arg(long = "reference", value_name = "[NAME=]FILE", conflicts_with = "url")]
    pub references: Vec<String>,

    /// Output: text (two columns, then the verdicts) or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,

    /// Width of the two-column view, in characters.
    #[arg(long, default_value_t = 160)]
    pub width: usize,
}

/// One side of the diff.
struct Side {
    label: String,
    text: String,
}

/// The two sides, their type and references, however they were obtained.
struct Inputs {
    schema_type: SchemaType,
    old: Side,
    new: Side,
    refs: Vec<Dependency>,
}

pub fn run(args: &DiffArgs) -> ExitCode {
    let inputs = match &args.url {
        Some(url) => remote(args, url),
        None => offline(args),
    };
    match inputs {
        Ok(i) => match report(&i, args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e, &args.format),
        },
        Err(e) => fail(&e, &args.format),
    }
}

fn fail(e: &str, format: &str) -> ExitCode {
    if format == "json" {
        println!("{}", json!({ "error": e }));
    } else {
        eprintln!("error: {e}");
    }
    ExitCode::from(2)
}

fn offline(args: &DiffArgs) -> Result<Inputs, String> {
    let (old, new) = (PathBuf::from(&args.old), PathBuf::from(&args.new));
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let refs = super::read_references(&args.references)?;
    Ok(Inputs {
        schema_type: args
            .schema_type
            .unwrap_or_else(|| schema_type_of_path(&old)),
        old: Side {
            label: old.display().to_string(),
            text: read(&old)?,
        },
        new: Side {
            label: new.display().to_string(),
            text: read(&new)?,
        },
        refs,
    })
}

fn remote(args: &DiffArgs, url: &str) -> Result<Inputs, String> {
    let subject = args.subject.as_deref().unwrap_or_default();
    let auth = args.basic_auth.as_deref().map(|a| {
        let (user, pass) = a.split_once(':').unwrap_or((a, ""));
        Credentials::new(user, pass)
    });
    let endpoint = Endpoint::parse(url, auth).map_err(|e| format!("--url: {e}"))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(async {
        let http = Http::new(&Options {
            timeout: Duration::from_secs(30),
            ..Options::default()
        })?;
        let client = Client::new(http, endpoint);
        let old = fetch(&client, subject, &args.old).await?;
        let new = fetch(&client, subject, &args.new).await?;
        let mut refs = Vec::new();
        for r in old.refs.iter().chain(&new.refs) {
            fetch_reference(&client, r, &mut refs, 0).await?;
        }
        if old.schema_type != new.schema_type {
            return Err(format!(
                "versions {} and {} have different schema types ({} and {})",
                old.version,
                new.version,
                old.schema_type.as_str(),
                new.schema_type.as_str()
            ));
        }
        Ok(Inputs {
            schema_type: new.schema_type,
            old: Side {
                label: format!("{subject} version {}", old.version),
                text: old.schema,
            },
            new: Side {
                label: format!("{subject} version {}", new.version),
                text: new.schema,
            },
            refs,
        })
    })
}

/// A version as the registry gives it.
struct Fetched {
    version: i64,
    schema: String,
    schema_type: SchemaType,
    /// (name, subject, version) of each reference.
    refs: Vec<(String, String, i64)>,
}

async fn fetch(client: &Client, subject: &str, version: &str) -> Result<Fetched, String> {
    let path = format!(
        "/subjects/{}/versions/{}",
        client::segment(subject),
        client::segment(version)
    );
    let r = client.get(&path).await.map_err(|e| {
        format!(
            "cannot reach the registry at {}: {}",
            client.base(),
            e.source
        )
    })?;
    if r.status != 200 {
        return Err(format!(
            "GET {path}: the registry answered {}",
            r.describe()
        ));
    }
    let b = &r.body;
    let schema_type = b
        .get("schemaType")
        .and_then(Value::as_str)
        .and_then(SchemaType::parse)
        .unwrap_or(SchemaType::Avro);
    let refs = b
        .get("references")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| {
                    Some((
                        r.get("name")?.as_str()?.to_string(),
                        r.get("subject")?.as_str()?.to_string(),
                        r.get("version")?.as_i64()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Fetched {
        version: b.get("version").and_then(Value::as_i64).unwrap_or(0),
        schema: b
            .get("schema")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("GET {path}: no schema in the answer"))?
            .to_string(),
        schema_type,
        refs,
    })
}

/// Fetches a reference and, first, its own references (dependency order), once each.
async fn fetch_reference(
    client: &Client,
    r: &(String, String, i64),
    out: &mut Vec<Dependency>,
    depth: usize,
) -> Result<(), String> {
    if depth > 32 || out.iter().any(|d| d.name == r.0) {
        return Ok(());
    }
    let f = fetch(client, &r.1, &r.2.to_string()).await?;
    for inner in &f.refs {
        Box::pin(fetch_reference(client, inner, out, depth + 1)).await?;
    }
    out.push(Dependency::new(r.0.clone(), f.schema));
    Ok(())
}

/// The levels a diff reports.
const LEVELS: [Level; 3] = [Level::Backward, Level::Forward, Level::Full];

fn report(i: &Inputs, args: &DiffArgs) -> Result<(), String> {
    let names = [PathBuf::from(&i.new.label), PathBuf::from(&i.old.label)];
    let texts = [i.new.text.clone(), i.old.text.clone()];
    let mut verdicts = Vec::new();
    for level in LEVELS {
        let outcome = check_texts(i.schema_type, level, &texts, &i.refs, false, &names);
        let items: Vec<Item> = match &outcome {
            Outcome::Error(e) => return Err(e.clone()),
            Outcome::Compatible => vec![],
            Outcome::Incompatible(m) => {
                let ctx = Context {
                    schema_type: i.schema_type,
                    level: Some(level.as_str()),
                    new_text: &i.new.text,
                    old_text: Some(&i.old.text),
                };
                explain(m, &ctx).items
            }
        };
        verdicts.push((level, items, outcome));
    }
    let old = pretty(i.schema_type, &i.old.text);
    let new = pretty(i.schema_type, &i.new.text);
    let rows = line_diff(&old, &new);
    if args.format == "json" {
        let lines: Vec<Value> = rows
            .iter()
            .map(|(op, o, n)| json!({"op": op.name(), "old": o, "new": n}))
            .collect();
        let mut levels = serde_json::Map::new();
        for (level, items, outcome) in &verdicts {
            let messages = match outcome {
                Outcome::Incompatible(m) => m.clone(),
                _ => vec![],
            };
            levels.insert(
                level.as_str().into(),
                json!({
                    "compatible": items.is_empty(),
                    "incompatibilities": items.iter().map(Item::to_json).collect::<Vec<_>>(),
                    "messages": messages,
                }),
            );
        }
        println!(
            "{}",
            json!({
                "type": i.schema_type.as_str(),
                "old": {"label": i.old.label, "schema": old},
                "new": {"label": i.new.label, "schema": new},
                "lines": lines,
                "verdicts": levels,
            })
        );
        return Ok(());
    }
    let col = args.width.saturating_sub(3).max(20) / 2;
    println!(
        "{} | {}",
        fit(&format!("OLD: {}", i.old.label), col),
        format_args!("NEW: {}", i.new.label)
    );
    println!("{}-+-{}", "-".repeat(col), "-".repeat(col));
    for (op, o, n) in &rows {
        println!(
            "{} {} {}",
            fit(o.as_deref().unwrap_or(""), col),
            op.marker(),
            n.as_deref().unwrap_or("")
        );
    }
    println!();
    for (level, items, _) in &verdicts {
        if items.is_empty() {
            println!("{}: compatible", level.as_str());
        } else {
            println!("{}: incompatible", level.as_str());
            print_items(items, "  ");
        }
    }
    Ok(())
}

/// Pads or cuts a line to `width` characters.
fn fit(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        format!("{s}{}", " ".repeat(width - n))
    } else {
        let cut: String = s.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// A JSON schema pretty-printed (key order kept); Protobuf as written.
fn pretty(t: SchemaType, text: &str) -> String {
    if t == SchemaType::Protobuf {
        return text.trim_end().to_string();
    }
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.trim_end().to_string())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Same,
    Changed,
    Removed,
    Added,
}

impl Op {
    fn marker(self) -> char {
        match self {
            Op::Same => ' ',
            Op::Changed => '|',
            Op::Removed => '<',
            Op::Added => '>',
        }
    }

    fn name(self) -> &'static str {
        match self {
            Op::Same => "same",
            Op::Changed => "changed",
            Op::Removed => "removed",
            Op::Added => "added",
        }
    }
}

type Row = (Op, Option<String>, Option<String>);

/// Longest above which the diff does not look for common lines (quadratic table).
const MAX_DIFF_LINES: usize = 4000;

/// A line diff (longest common subsequence); a run of removed lines followed by added ones
/// is shown as changed pairs.
fn line_diff(old: &str, new: &str) -> Vec<Row> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut ops: Vec<Row> = Vec::new();
    if n > MAX_DIFF_LINES || m > MAX_DIFF_LINES {
        for k in 0..n.max(m) {
            let (o, x) = (a.get(k), b.get(k));
            let op = match (o, x) {
                (Some(o), Some(x)) if o == x => Op::Same,
                (Some(_), Some(_)) => Op::Changed,
                (Some(_), None) => Op::Removed,
                _ => Op::Added,
            };
            ops.push((op, o.map(|s| s.to_string()), x.map(|s| s.to_string())));
        }
        return ops;
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut removed: Vec<&str> = Vec::new();
    let mut added: Vec<&str> = Vec::new();
    let flush = |ops: &mut Vec<Row>, removed: &mut Vec<&str>, added: &mut Vec<&str>| {
        for k in 0..removed.len().max(added.len()) {
            let (o, x) = (removed.get(k), added.get(k));
            let op = match (o, x) {
                (Some(_), Some(_)) => Op::Changed,
                (Some(_), None) => Op::Removed,
                _ => Op::Added,
            };
            ops.push((op, o.map(|s| s.to_string()), x.map(|s| s.to_string())));
        }
        removed.clear();
        added.clear();
    };
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            flush(&mut ops, &mut removed, &mut added);
            ops.push((Op::Same, Some(a[i].to_string()), Some(b[j].to_string())));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            added.push(b[j]);
            j += 1;
        } else {
            removed.push(a[i]);
            i += 1;
        }
    }
    flush(&mut ops, &mut removed, &mut added);
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_removed_and_added_lines_as_changes() {
        let rows = line_diff("a\nb\nc\nd", "a\nB\nc\nd\ne");
        let ops: Vec<Op> = rows.iter().map(|r| r.0).collect();
        assert_eq!(
            ops,
            vec![Op::Same, Op::Changed, Op::Same, Op::Same, Op::Added]
        );
        assert_eq!(rows[1].1.as_deref(), Some("b"));
        assert_eq!(rows[1].2.as_deref(), Some("B"));
    }
}

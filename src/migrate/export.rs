//! `schema-registry export`: reads a registry through its REST API into a [`Dump`].

use super::dump::{avro, now_rfc3339, ConfigLine, Dump, Header, ModeLine, SchemaLine};
use super::dump::{order_schemas, FORMAT, FORMAT_VERSION};
use super::{fatal, int_list, progress, runtime, scope_name, string_list, Api, ExportArgs};
use crate::client::{scoped, segment as enc, Reply};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::process::ExitCode;

/// Runs `schema-registry export`.
pub fn run_export(args: &ExportArgs) -> ExitCode {
    let api = match Api::new(&args.url, args.basic_auth.as_deref(), args.timeout) {
        Ok(a) => a,
        Err(e) => return fatal("export", &e),
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return fatal("export", &e),
    };
    let (dump, failures) = match rt.block_on(export(&api)) {
        Ok(r) => r,
        Err(e) => return fatal("export", &e),
    };
    let text = dump.to_jsonl();
    let written = match &args.output {
        Some(path) => std::fs::write(path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| format!("cannot write the dump to stdout: {e}"))
        }
    };
    if let Err(e) = written {
        return fatal("export", &e);
    }
    let subjects: BTreeSet<&str> = dump.schemas.iter().map(|s| s.subject.as_str()).collect();
    let deleted = dump.schemas.iter().filter(|s| s.deleted).count();
    eprintln!(
        "export of {}: {} subjects, {} versions ({deleted} soft-deleted), {} configs, {} modes, {} KEKs, {} DEK versions{}",
        api.base(),
        subjects.len(),
        dump.schemas.len(),
        dump.configs.len(),
        dump.modes.len(),
        dump.keks.len(),
        dump.deks.len(),
        match &args.output {
            Some(p) => format!(" written to {}", p.display()),
            None => String::new(),
        }
    );
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "export: {} items could not be read and are missing from the dump:",
            failures.len()
        );
        for f in &failures {
            eprintln!("  - {f}");
        }
        ExitCode::from(1)
    }
}
/// Lists a collection that may be paged (`offset`): asks again from the end of what was
/// seen until nothing new comes (a registry ignoring `offset` answers the same page again).
pub(super) async fn list_all(api: &Api, path: &str) -> Result<Result<Vec<String>, Reply>, String> {
    let first = api.get(path).await?;
    if !first.ok() {
        return Ok(Err(first));
    }
    let Some(mut all) = string_list(&first.body) else {
        return Ok(Err(first));
    };
    let mut seen: BTreeSet<String> = all.iter().cloned().collect();
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut last_len = all.len();
    while last_len > 0 && all.len() < 10_000_000 {
        let next = api.get(&format!("{path}{sep}offset={}", all.len())).await?;
        let page = match (next.ok(), string_list(&next.body)) {
            (true, Some(p)) => p,
            _ => break,
        };
        let new: Vec<String> = page
            .into_iter()
            .filter(|s| seen.insert(s.clone()))
            .collect();
        if new.is_empty() {
            break;
        }
        last_len = new.len();
        all.extend(new);
    }
    Ok(Ok(all))
}

async fn export(api: &Api) -> Result<(Dump, Vec<String>), String> {
    let mut failures = Vec::new();
    let mut configs = Vec::new();
    let mut modes = Vec::new();
    // The global config is the connectivity probe: every registry answers it.
    let global_config = api.get("/config").await?;
    match &global_config.body {
        Value::Object(m) if global_config.ok() => configs.push(ConfigLine {
            subject: None,
            config: m.clone(),
        }),
        _ => {
            return Err(format!(
                "GET {}/config answered {}: is this a schema registry?",
                api.base(),
                global_config.describe()
            ))
        }
    }
    let global_mode = api.get("/mode").await?;
    let global_mode = match global_mode.body.get("mode").and_then(Value::as_str) {
        Some(m) if global_mode.ok() => {
            modes.push(ModeLine {
                subject: None,
                mode: m.to_string(),
            });
            Some(m.to_string())
        }
        _ => {
            eprintln!(
                "export: warning: no global mode exported (GET /mode answered {})",
                global_mode.describe()
            );
            None
        }
    };
    let contexts = {
        let r = api.get("/contexts").await?;
        match (r.ok(), string_list(&r.body)) {
            (true, Some(c)) => c,
            _ => vec![".".to_string()],
        }
    };
    let mut subjects: BTreeSet<String> = BTreeSet::new();
    match list_all(api, "/subjects?deleted=true").await? {
        Ok(s) => subjects.extend(s),
        Err(r) => {
            return Err(format!(
                "GET {}/subjects?deleted=true answered {}",
                api.base(),
                r.describe()
            ))
        }
    }
    // Subjects of every context (Confluent lists only the default context without a prefix).
    let mut prefixes = vec![":*:".to_string()];
    prefixes.extend(
        contexts
            .iter()
            .filter(|c| c.as_str() != ".")
            .map(|c| format!(":{c}:")),
    );
    for p in prefixes {
        let path = format!("/subjects?deleted=true&subjectPrefix={}", enc(&p));
        if let Ok(s) = list_all(api, &path).await? {
            subjects.extend(s);
        }
    }

    let pb = progress(subjects.len() as u64, "export");
    let mut schemas = Vec::new();
    for s in &subjects {
        pb.set_message(s.clone());
        let base = format!("/subjects/{}", enc(s));
        let all = api.get(&format!("{base}/versions?deleted=true")).await?;
        let all = match (all.status, int_list(&all.body)) {
            (200, Some(vs)) => vs,
            // Gone since it was listed.
            (404, _) => {
                pb.inc(1);
                continue;
            }
            _ => {
                failures.push(format!("subject {s}: listing versions: {}", all.describe()));
                pb.inc(1);
                continue;
            }
        };
        let live = api.get(&format!("{base}/versions")).await?;
        let live: BTreeSet<i32> = match (live.status, int_list(&live.body)) {
            (200, Some(vs)) => vs.into_iter().collect(),
            (404, _) => BTreeSet::new(),
            _ => {
                failures.push(format!(
                    "subject {s}: listing live versions: {}",
                    live.describe()
                ));
                pb.inc(1);
                continue;
            }
        };
        for v in all {
            let r = api
                .get(&format!("{base}/versions/{v}?deleted=true"))
                .await?;
            if !r.ok() {
                failures.push(format!("subject {s} version {v}: {}", r.describe()));
                continue;
            }
            match schema_line(s, v, &r.body, !live.contains(&v)) {
                Ok(l) => schemas.push(l),
                Err(e) => failures.push(format!("subject {s} version {v}: {e}")),
            }
        }
        scope_state(
            api,
            Some(s),
            global_mode.as_deref(),
            &mut configs,
            &mut modes,
            &mut failures,
            true,
        )
        .await?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    for c in contexts.iter().filter(|c| c.as_str() != ".") {
        let scope = format!(":{c}:");
        scope_state(
            api,
            Some(&scope),
            global_mode.as_deref(),
            &mut configs,
            &mut modes,
            &mut failures,
            false,
        )
        .await?;
    }
    let (keks, deks) = super::keys::export_keys(api, &mut failures).await?;
    let header = Header {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        source: api.base().to_string(),
        exported_at: now_rfc3339(),
        tool: concat!("schema-registry ", env!("CARGO_PKG_VERSION")).into(),
    };
    Ok((
        Dump {
            header,
            schemas: order_schemas(schemas),
            configs,
            modes,
            keks,
            deks,
        },
        failures,
    ))
}

/// Reads the config and mode set at one scope (a subject or `:.ctx:`); 404 means none.
async fn scope_state(
    api: &Api,
    scope: Option<&str>,
    global_mode: Option<&str>,
    configs: &mut Vec<ConfigLine>,
    modes: &mut Vec<ModeLine>,
    failures: &mut Vec<String>,
    strict: bool,
) -> Result<(), String> {
    let name = scope_name(scope);
    let c = api.get(&scoped("config", scope)).await?;
    match &c.body {
        Value::Object(m) if c.ok() => configs.push(ConfigLine {
            subject: scope.map(str::to_string),
            config: m.clone(),
        }),
        _ if c.status == 404 => {}
        _ if strict => failures.push(format!("config of {name}: {}", c.describe())),
        _ => {}
    }
    let m = api.get(&scoped("mode", scope)).await?;
    match m.body.get("mode").and_then(Value::as_str) {
        // A global READONLY_OVERRIDE shows through every scope: it is not the scope's own.
        Some(mode) if m.ok() && !(mode == "READONLY_OVERRIDE" && global_mode == Some(mode)) => {
            modes.push(ModeLine {
                subject: scope.map(str::to_string),
                mode: mode.to_string(),
            })
        }
        _ if m.ok() || m.status == 404 => {}
        _ if strict => failures.push(format!("mode of {name}: {}", m.describe())),
        _ => {}
    }
    Ok(())
}

fn schema_line(
    subject: &str,
    version: i32,
    body: &Value,
    deleted: bool,
) -> Result<SchemaLine, String> {
    let id = body
        .get("id")
        .and_then(Value::as_i64)
        .and_then(|i| i32::try_from(i).ok())
        .ok_or_else(|| format!("the answer has no id: {body}"))?;
    let schema = body
        .get("schema")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("the answer has no schema: {body}"))?
        .to_string();
    let schema_type = body
        .get("schemaType")
        .and_then(Value::as_str)
        .map_or_else(avro, str::to_string);
    let references = match body.get("references") {
        None | Some(Value::Null) => Vec::new(),
        Some(r) => serde_json::from_value(r.clone())
            .map_err(|e| format!("unreadable references {r}: {e}"))?,
    };
    let present = |k: &str| body.get(k).filter(|v| !v.is_null()).cloned();
    Ok(SchemaLine {
        subject: subject.to_string(),
        version,
        id,
        schema_type,
        schema,
        references,
        metadata: present("metadata"),
        rule_set: present("ruleSet"),
        deleted,
    })
}

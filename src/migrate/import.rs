//! `schema-registry import`: loads a [`Dump`] into a registry, in IMPORT mode, writing only
//! what differs.

use super::dump::{ConfigLine, Dump, SchemaLine};
use super::keys::{self, KeySummary};
use super::{fatal, int_list, progress, runtime, say, scope_name, Api, ImportArgs};
use crate::client::{scoped, segment as enc, ImportVersion, Reply, IMPORT};
use crate::model::Subject;
use indicatif::ProgressBar;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Read;
use std::process::ExitCode;

#[derive(Debug, Default)]
struct Summary {
    created: usize,
    present: usize,
    soft_deleted: usize,
    already_deleted: usize,
    configs_set: usize,
    configs_unchanged: usize,
    modes_set: usize,
    modes_unchanged: usize,
    keys: KeySummary,
    failures: Vec<String>,
}

impl Summary {
    fn print(&self, target: &str, dry_run: bool) {
        let (created, deleted, set) = if dry_run {
            ("to create", "to soft-delete", "to set")
        } else {
            ("created", "soft-deleted", "set")
        };
        let mut s = String::new();
        if dry_run {
            let _ = writeln!(s, "import into {target}: dry run, nothing was written");
        } else {
            let _ = writeln!(s, "import into {target}:");
        }
        let _ = writeln!(s, "  versions {created}: {}", self.created);
        let _ = writeln!(s, "  versions already present: {}", self.present);
        let _ = writeln!(s, "  versions {deleted}: {}", self.soft_deleted);
        let _ = writeln!(
            s,
            "  versions already soft-deleted: {}",
            self.already_deleted
        );
        let _ = writeln!(s, "  configs {set}: {}", self.configs_set);
        let _ = writeln!(s, "  configs unchanged: {}", self.configs_unchanged);
        let _ = writeln!(s, "  modes {set}: {}", self.modes_set);
        let _ = writeln!(s, "  modes unchanged: {}", self.modes_unchanged);
        let k = &self.keys;
        let _ = writeln!(s, "  KEKs {created}: {}", k.keks_created);
        let _ = writeln!(s, "  KEKs already present: {}", k.keks_present);
        let _ = writeln!(s, "  DEKs {created}: {}", k.deks_created);
        let _ = writeln!(s, "  DEKs already present: {}", k.deks_present);
        let _ = writeln!(s, "  keys {deleted}: {}", k.soft_deleted);
        let _ = writeln!(s, "  failures: {}", self.failures.len());
        for f in &self.failures {
            let _ = writeln!(s, "    - {f}");
        }
        eprint!("{s}");
    }
}

/// Runs `schema-registry import`.
pub fn run_import(args: &ImportArgs) -> ExitCode {
    let text = match &args.input {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display())),
        None => {
            let mut t = String::new();
            std::io::stdin()
                .lock()
                .read_to_string(&mut t)
                .map(|_| t)
                .map_err(|e| format!("cannot read the dump from stdin: {e}"))
        }
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => return fatal("import", &e),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let dump = match Dump::parse(text, &mut |w| eprintln!("import: warning: {w}")) {
        Ok(d) => d,
        Err(e) => return fatal("import", &format!("malformed dump: {e}")),
    };
    let api = match Api::new(&args.url, args.basic_auth.as_deref(), args.timeout) {
        Ok(a) => a,
        Err(e) => return fatal("import", &e),
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return fatal("import", &e),
    };
    let mut summary = Summary::default();
    let result = rt.block_on(import(&api, &dump, args, &mut summary));
    match result {
        Ok(()) => {
            summary.print(api.base(), args.dry_run);
            if summary.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            let written = summary.created
                + summary.soft_deleted
                + summary.configs_set
                + summary.modes_set
                + summary.keys.written();
            if written > 0 {
                summary.print(api.base(), args.dry_run);
                eprintln!("import: stopped early; running it again finishes the job");
            }
            fatal("import", &e)
        }
    }
}

/// What the target holds for one dumped version.
#[derive(Debug, Clone, PartialEq)]
enum Found {
    Missing,
    /// Same ID (and schema) at that subject and version; `live`: not soft-deleted there.
    Present {
        live: bool,
    },
    /// Cannot be imported (reason given).
    Conflict(String),
}

/// The target's state of one dumped subject.
#[derive(Debug, Default)]
struct TargetSubject {
    all: BTreeSet<i32>,
    live: BTreeSet<i32>,
    /// Its own subject-level mode.
    mode: Option<String>,
    /// Reading it failed: its lines are conflicts.
    broken: Option<String>,
}

/// A missing version: `Missing` if its ID is free on the target or bound to the same schema
/// there, else a conflict. `ids` caches the target's schema per (context, ID).
async fn id_free(
    api: &Api,
    l: &SchemaLine,
    ids: &mut HashMap<(String, i32), Option<String>>,
) -> Result<Found, String> {
    let context = Subject::parse(&l.subject).context;
    let key = (context, l.id);
    if !ids.contains_key(&key) {
        // The `subject` parameter selects the subject's context (ignored by registries
        // without contexts).
        let r = api
            .get(&format!(
                "/schemas/ids/{}?subject={}",
                l.id,
                enc(&l.subject)
            ))
            .await?;
        let held = match r.body.get("schema").and_then(Value::as_str) {
            Some(s) if r.ok() => Some(s.to_string()),
            _ if r.status == 404 => None,
            _ => {
                return Ok(Found::Conflict(format!(
                    "reading id {} on the target: {}",
                    l.id,
                    r.describe()
                )))
            }
        };
        ids.insert(key.clone(), held);
    }
    Ok(match ids.get(&key).and_then(Option::as_deref) {
        Some(held) if !same_schema(held, &l.schema) => {
            Found::Conflict(format!("id {} is another schema on the target", l.id))
        }
        _ => Found::Missing,
    })
}

/// Whether two schema texts are the same schema (as JSON when both parse, else as text).
fn same_schema(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// A config as `PUT /config` takes it, from what `GET /config` answered.
fn config_update(c: &Map<String, Value>) -> Value {
    let mut m = Map::new();
    for (k, v) in c {
        if v.is_null() {
            continue;
        }
        let k = if k == "compatibilityLevel" {
            "compatibility"
        } else {
            k.as_str()
        };
        m.insert(k.to_string(), v.clone());
    }
    Value::Object(m)
}

/// Whether the target's config already has every dumped setting.
fn config_holds(target: &Value, dumped: &Map<String, Value>) -> bool {
    dumped.iter().filter(|(_, v)| !v.is_null()).all(|(k, v)| {
        let t = target.get(k);
        match (t, v) {
            (Some(Value::String(a)), Value::String(b)) if k == "compatibilityLevel" => {
                a.eq_ignore_ascii_case(b)
            }
            (Some(t), v) => t == v,
            (None, _) => false,
        }
    })
}

/// A scope's own mode on the target (`None`: not set).
async fn own_mode(api: &Api, scope: Option<&str>) -> Result<Result<Option<String>, Reply>, String> {
    let r = api.get(&scoped("mode", scope)).await?;
    Ok(
        match (r.status, r.body.get("mode").and_then(Value::as_str)) {
            (200, Some(m)) => Ok(Some(m.to_string())),
            (404, _) if scope.is_some() => Ok(None),
            _ => Err(r),
        },
    )
}

async fn import(
    api: &Api,
    dump: &Dump,
    args: &ImportArgs,
    sum: &mut Summary,
) -> Result<(), String> {
    // ---- read the target (also the connectivity probe) ----
    let global_mode = match own_mode(api, None).await? {
        Ok(m) => m,
        Err(r) => {
            return Err(format!(
                "GET {}/mode answered {}: is this a schema registry?",
                api.base(),
                r.describe()
            ))
        }
    };
    if global_mode.as_deref() == Some("READONLY_OVERRIDE") && !args.dry_run {
        return Err(format!(
            "the registry at {} is in READONLY_OVERRIDE mode: nothing can be imported",
            api.base()
        ));
    }
    let mut subjects: Vec<&str> = Vec::new();
    let mut target: HashMap<&str, TargetSubject> = HashMap::new();
    for s in &dump.schemas {
        if !target.contains_key(s.subject.as_str()) {
            subjects.push(&s.subject);
            target.insert(&s.subject, TargetSubject::default());
        }
    }
    let pb = progress(
        (subjects.len() + dump.schemas.len()) as u64,
        "reading target",
    );
    for s in &subjects {
        pb.set_message(s.to_string());
        let t = target.entry(s).or_default();
        let base = format!("/subjects/{}", enc(s));
        let all = api.get(&format!("{base}/versions?deleted=true")).await?;
        match (all.status, int_list(&all.body)) {
            (200, Some(vs)) => t.all = vs.into_iter().collect(),
            (404, _) => {}
            _ => t.broken = Some(format!("listing its versions: {}", all.describe())),
        }
        if !t.all.is_empty() {
            let live = api.get(&format!("{base}/versions")).await?;
            match (live.status, int_list(&live.body)) {
                (200, Some(vs)) => t.live = vs.into_iter().collect(),
                (404, _) => {}
                _ => t.broken = Some(format!("listing its versions: {}", live.describe())),
            }
        }
        match own_mode(api, Some(s)).await? {
            Ok(m) => t.mode = m,
            Err(r) => t.broken = Some(format!("reading its mode: {}", r.describe())),
        }
        pb.inc(1);
    }
    let mut found: Vec<Found> = Vec::with_capacity(dump.schemas.len());
    let mut ids: HashMap<(String, i32), Option<String>> = HashMap::new();
    for l in &dump.schemas {
        pb.inc(1);
        let Some(t) = target.get(l.subject.as_str()) else {
            found.push(Found::Conflict("internal: subject not read".into()));
            continue;
        };
        if let Some(b) = &t.broken {
            found.push(Found::Conflict(b.clone()));
            continue;
        }
        if !t.all.contains(&l.version) {
            found.push(id_free(api, l, &mut ids).await?);
            continue;
        }
        let r = api
            .get(&format!(
                "/subjects/{}/versions/{}?deleted=true",
                enc(&l.subject),
                l.version
            ))
            .await?;
        let f = if r.status == 404 {
            id_free(api, l, &mut ids).await?
        } else if !r.ok() {
            Found::Conflict(format!("reading it on the target: {}", r.describe()))
        } else {
            let id = r.body.get("id").and_then(Value::as_i64);
            let schema = r.body.get("schema").and_then(Value::as_str).unwrap_or("");
            if id != Some(i64::from(l.id)) {
                Found::Conflict(format!(
                    "the target holds this version with id {} instead of {}",
                    id.map_or("?".to_string(), |i| i.to_string()),
                    l.id
                ))
            } else if !same_schema(schema, &l.schema) {
                Found::Conflict("the target holds this version with another schema".into())
            } else {
                Found::Present {
                    live: t.live.contains(&l.version),
                }
            }
        };
        found.push(f);
    }
    pb.finish_and_clear();

    // ---- plan ----
    let what =
        |l: &SchemaLine| format!("subject {} version {} (id {})", l.subject, l.version, l.id);
    let mut to_create: Vec<usize> = Vec::new();
    let mut to_delete: Vec<usize> = Vec::new();
    for (i, (l, f)) in dump.schemas.iter().zip(&found).enumerate() {
        match f {
            Found::Missing => {
                to_create.push(i);
                if l.deleted {
                    to_delete.push(i);
                }
            }
            Found::Present { live } => {
                sum.present += 1;
                match (live, l.deleted) {
                    (true, true) => to_delete.push(i),
                    (false, true) => sum.already_deleted += 1,
                    (false, false) => sum.failures.push(format!(
                        "{}: soft-deleted on the target but live in the dump (not undeleted)",
                        what(l)
                    )),
                    (true, false) => {}
                }
            }
            Found::Conflict(why) => sum.failures.push(format!("{}: {why}", what(l))),
        }
    }
    // Subjects that get new versions go into IMPORT mode for the time of the import.
    let mut needs_import: BTreeSet<&str> = BTreeSet::new();
    for &i in &to_create {
        let s = dump.schemas[i].subject.as_str();
        let own = target.get(s).and_then(|t| t.mode.as_deref());
        if own != Some(IMPORT) {
            needs_import.insert(s);
        }
    }
    // Configs that differ.
    let mut config_writes: Vec<&ConfigLine> = Vec::new();
    for c in &dump.configs {
        if c.subject.is_none() && args.skip_global {
            continue;
        }
        let r = api.get(&scoped("config", c.subject.as_deref())).await?;
        if r.ok() && config_holds(&r.body, &c.config) {
            sum.configs_unchanged += 1;
        } else if r.ok() || r.status == 404 {
            config_writes.push(c);
        } else {
            sum.failures.push(format!(
                "config of {}: reading it on the target: {}",
                scope_name(c.subject.as_deref()),
                r.describe()
            ));
        }
    }
    // Modes: every dumped subject ends with exactly its dumped mode; context and global
    // scopes named in the dump get theirs.
    let mut desired: BTreeMap<Option<&str>, Option<&str>> = BTreeMap::new();
    for s in &subjects {
        desired.insert(Some(s), None);
    }
    for m in &dump.modes {
        if m.subject.is_none() && args.skip_global {
            continue;
        }
        desired.insert(m.subject.as_deref(), Some(m.mode.as_str()));
    }
    // (scope, wanted mode, whether it changes the target's own mode)
    let mut mode_writes: Vec<(Option<&str>, Option<&str>, bool)> = Vec::new();
    for (&scope, &want) in &desired {
        let original: Option<String> = match scope {
            None => global_mode.clone(),
            Some(s) => match target.get(s) {
                Some(t) if t.broken.is_some() => continue,
                Some(t) => t.mode.clone(),
                None => match own_mode(api, Some(s)).await? {
                    Ok(m) => m,
                    Err(r) => {
                        sum.failures.push(format!(
                            "mode of {s}: reading it on the target: {}",
                            r.describe()
                        ));
                        continue;
                    }
                },
            },
        };
        let same = match (original.as_deref(), want) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            // The global mode is never "unset": READWRITE is its default.
            (None, Some(b)) => scope.is_none() && b.eq_ignore_ascii_case("READWRITE"),
            (Some(_), None) => false,
        };
        let temporary = scope.is_some_and(|s| needs_import.contains(&s));
        if same && want.is_some() {
            sum.modes_unchanged += 1;
        }
        if !same || temporary {
            mode_writes.push((scope, want, !same));
        }
    }
    // The global scope last (a dumped READONLY must not block the other writes).
    mode_writes.sort_by_key(|(scope, _, _)| scope.is_none());
    // The DEK registry's keys.
    let key_plan = keys::plan(api, dump, &mut sum.keys, &mut sum.failures).await?;

    if args.dry_run {
        sum.created = to_create.len();
        sum.soft_deleted = to_delete.len();
        sum.configs_set = config_writes.len();
        sum.modes_set = mode_writes.iter().filter(|(_, _, change)| *change).count();
        key_plan.dry_run(&mut sum.keys);
        return Ok(());
    }

    // ---- write ----
    let total = needs_import.len()
        + to_create.len()
        + to_delete.len()
        + config_writes.len()
        + key_plan.writes()
        + mode_writes.len();
    let pb = if total == 0 {
        ProgressBar::hidden()
    } else {
        progress(total as u64, "import")
    };
    let mut failed_subjects: BTreeMap<&str, String> = BTreeMap::new();
    let mut outcome = write_all(
        api,
        dump,
        &pb,
        sum,
        &needs_import,
        &to_create,
        &to_delete,
        &config_writes,
        &mut failed_subjects,
    )
    .await;
    if outcome.is_ok() {
        outcome = keys::write(api, &key_plan, &pb, &mut sum.keys, &mut sum.failures).await;
    }
    // Modes, also after a fatal error (best effort): no subject stays in IMPORT mode.
    for (scope, want, change) in &mode_writes {
        let temporary = scope.is_some_and(|s| needs_import.contains(&s));
        if outcome.is_err() && !temporary {
            continue;
        }
        pb.set_message(format!("mode of {}", scope_name(*scope)));
        let r = match want {
            Some(m) => api.set_mode(*scope, m).await,
            None => api.delete_mode(*scope).await,
        };
        pb.inc(1);
        match r {
            Ok(r) if r.ok() || (want.is_none() && r.status == 404) => {
                // Undoing our own temporary IMPORT mode is not a change of the target.
                if *change {
                    sum.modes_set += 1;
                }
            }
            Ok(r) => sum.failures.push(format!(
                "mode of {}: setting it to {}: {}",
                scope_name(*scope),
                want.unwrap_or("(none)"),
                r.describe()
            )),
            Err(e) => {
                if outcome.is_ok() {
                    outcome = Err(e);
                }
                break;
            }
        }
    }
    pb.finish_and_clear();
    if global_mode.is_some() && !args.skip_global {
        if let Some(m) = desired.get(&None).copied().flatten() {
            if m.starts_with("READONLY") && mode_writes.iter().any(|(s, _, _)| s.is_none()) {
                eprintln!(
                    "import: note: the target is now in global mode {m}, as the source was \
                     (PUT /mode {{\"mode\":\"READWRITE\"}} opens it; --skip-global keeps the target's mode)"
                );
            }
        }
    }
    outcome
}

/// Registers, soft-deletes and configures; `Err` on a fatal (connectivity) error.
#[allow(clippy::too_many_arguments)]
async fn write_all<'a>(
    api: &Api,
    dump: &'a Dump,
    pb: &ProgressBar,
    sum: &mut Summary,
    needs_import: &BTreeSet<&'a str>,
    to_create: &[usize],
    to_delete: &[usize],
    config_writes: &[&ConfigLine],
    failed_subjects: &mut BTreeMap<&'a str, String>,
) -> Result<(), String> {
    let what =
        |l: &SchemaLine| format!("subject {} version {} (id {})", l.subject, l.version, l.id);
    let fail = |sum: &mut Summary, msg: String| {
        say(pb, &format!("import: failed: {msg}"));
        sum.failures.push(msg);
    };
    for s in needs_import {
        pb.set_message(format!("IMPORT mode for {s}"));
        let r = api.set_mode(Some(s), IMPORT).await?;
        pb.inc(1);
        if !r.ok() {
            let why = format!("cannot put it in IMPORT mode: {}", r.describe());
            failed_subjects.insert(s, why);
        }
    }
    let mut created: BTreeSet<usize> = BTreeSet::new();
    let missing: BTreeSet<usize> = to_create.iter().copied().collect();
    for &i in to_create {
        let l = &dump.schemas[i];
        pb.set_message(what(l));
        pb.inc(1);
        if let Some(why) = failed_subjects.get(l.subject.as_str()) {
            fail(sum, format!("{}: {why}", what(l)));
            continue;
        }
        let version = ImportVersion {
            schema: &l.schema,
            schema_type: &l.schema_type,
            references: &l.references,
            metadata: l.metadata.as_ref(),
            rule_set: l.rule_set.as_ref(),
            id: l.id,
            version: l.version,
        };
        let r = api.register_with_id(&l.subject, &version).await?;
        if !r.ok() {
            fail(
                sum,
                format!("{}: registering it: {}", what(l), r.describe()),
            );
            continue;
        }
        match r.body.get("id").and_then(Value::as_i64) {
            Some(id) if id != i64::from(l.id) => {
                fail(
                    sum,
                    format!("{}: the target registered it with id {id}", what(l)),
                );
            }
            _ => {
                sum.created += 1;
                created.insert(i);
            }
        }
    }
    // Referrers before what they reference.
    for &i in to_delete.iter().rev() {
        let l = &dump.schemas[i];
        pb.set_message(format!("soft-deleting {}", what(l)));
        pb.inc(1);
        let was_missing = missing.contains(&i);
        if was_missing && !created.contains(&i) {
            continue; // its registration failed (already reported)
        }
        let r = api.soft_delete(&l.subject, l.version).await?;
        if r.ok() {
            sum.soft_deleted += 1;
        } else if r.error_code() == Some(40406) {
            sum.already_deleted += 1;
        } else {
            fail(
                sum,
                format!("{}: soft-deleting it: {}", what(l), r.describe()),
            );
        }
    }
    for c in config_writes {
        let name = scope_name(c.subject.as_deref());
        pb.set_message(format!("config of {name}"));
        pb.inc(1);
        let r = api
            .set_config(c.subject.as_deref(), &config_update(&c.config))
            .await?;
        if r.ok() {
            sum.configs_set += 1;
        } else {
            fail(sum, format!("config of {name}: {}", r.describe()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_bodies_become_updates() {
        let got = Map::from_iter([
            ("compatibilityLevel".to_string(), json!("FULL")),
            ("normalize".to_string(), json!(true)),
            ("alias".to_string(), Value::Null),
        ]);
        assert_eq!(
            config_update(&got),
            json!({"compatibility": "FULL", "normalize": true})
        );
        assert!(config_holds(
            &json!({"compatibilityLevel": "full", "normalize": true, "x": 1}),
            &got
        ));
        assert!(!config_holds(&json!({"compatibilityLevel": "FULL"}), &got));
    }
}

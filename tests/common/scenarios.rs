//! The runner of the recorded Confluent scenarios: fixtures, ID and context labelling, the
//! comparison rules (allowed.json, known gaps), one fresh server per scenario. The tests
//! and the environment variables that steer the runner are described in
//! `tests/conformance.rs`, the only test binary that compiles this file (a `#[path]`
//! module there, so the other test binaries do not carry it).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::common::{self, truncate, KnownGaps, Server};
use crate::shape8x;
use percent_encoding::percent_decode_str;
use serde_json::{json, Map, Value};

pub const CONTENT_TYPE: &str = common::SR_CONTENT_TYPE;
/// What the recorder's HTTP client sent for a body without a Content-Type.
pub const URLLIB_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";
/// Printed size limit of request and response bodies in diffs.
pub const SHOW: usize = 1500;

// ---------------------------------------------------------------------------
// Fixtures

pub struct Fixtures {
    scenarios: Vec<Value>,
    golden: Map<String, Value>,
    /// `scenario#step` -> relaxation from allowed.json.
    allowed: HashMap<String, Relax>,
}

pub fn load_fixtures() -> Fixtures {
    let scenarios = match common::fixture_json("confluent-7.9/http/scenarios.json") {
        Value::Array(list) => list,
        _ => panic!("scenarios.json is not a list"),
    };
    let golden = match common::fixture_json("confluent-7.9/http/golden.json") {
        Value::Object(map) => map,
        _ => panic!("golden.json is not an object"),
    };
    let mut allowed = HashMap::new();
    if let Value::Array(list) = common::fixture_json("confluent-7.9/http/allowed.json") {
        for entry in list {
            let step = entry["step"]
                .as_str()
                .expect("allowed.json: step is a string");
            let relax = match entry["cmp"].as_str() {
                Some("skip") => Relax::Skip,
                Some("code") => Relax::Code,
                Some("verdict") => Relax::Verdict,
                other => panic!("allowed.json: unknown cmp {other:?} for {step}"),
            };
            allowed.insert(step.to_string(), relax);
        }
    } else {
        panic!("allowed.json is not a list");
    }
    Fixtures {
        scenarios,
        golden,
        allowed,
    }
}

/// Why a whole scenario is not run: every format is implemented (Avro, JSON Schema and
/// Protobuf), so none is skipped; kept for a format recorded before it is built.
pub fn scenario_skip_reason(_name: &str) -> Option<&'static str> {
    None
}

/// The schema type a step's body registers or checks that this server does not implement yet:
/// none today (see `scenario_skip_reason`).
pub fn other_schema_type(_step: &Value) -> Option<&str> {
    None
}

pub fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

// ---------------------------------------------------------------------------
// Contexts and id labels

pub fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Confluent's context of a (decoded) subject: `:.ctx:name` -> `.ctx`.
pub fn context_of(subject: &str) -> String {
    match subject.strip_prefix(":.") {
        Some(rest) => match rest.find(':') {
            Some(i) => subject[1..2 + i].to_string(),
            None => subject[1..].to_string(),
        },
        None => ".".to_string(),
    }
}

/// Splits a request path into decoded segments and raw query pairs.
pub fn split_path(path: &str) -> (Vec<&str>, Vec<(&str, &str)>) {
    let (p, q) = path.split_once('?').unwrap_or((path, ""));
    let segs = p.trim_matches('/').split('/').collect();
    let query = q
        .split('&')
        .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
        .collect();
    (segs, query)
}

/// The context a step's ids live in: from `/contexts/{ctx}/…`, the subject
/// after `/subjects/`, or the `subject` query parameter; default `.`.
pub fn step_context(path: &str) -> String {
    let (segs, query) = split_path(path);
    if segs.len() > 1 && segs[0] == "contexts" {
        let c = decode(segs[1]);
        return if c.starts_with('.') {
            c
        } else {
            format!(".{c}")
        };
    }
    if let Some(subject) = path_subject(&segs) {
        return context_of(&subject);
    }
    if let Some((_, v)) = query.iter().find(|(k, _)| *k == "subject") {
        return context_of(&decode(v));
    }
    ".".to_string()
}

/// The decoded segment after the first `subjects` segment (not the last one).
pub fn path_subject(segs: &[&str]) -> Option<String> {
    let i = segs[..segs.len().saturating_sub(1)]
        .iter()
        .position(|s| *s == "subjects")?;
    Some(decode(segs[i + 1]))
}

/// Positions and numbers of `{$idN}` placeholders in `s`.
pub fn placeholders(s: &str) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = s[from..].find("{$id") {
        let start = from + at;
        let digits_start = start + 4;
        let digits = s[digits_start..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let end = digits_start + digits;
        if digits > 0 && s[end..].starts_with('}') {
            if let Ok(n) = s[digits_start..end].parse() {
                out.push((start, end + 1, n));
            }
            from = end + 1;
        } else {
            from = digits_start;
        }
    }
    out
}

/// Label numbers `N` of the `$idN` strings found anywhere in `v`.
pub fn labels_in(v: &Value, out: &mut BTreeSet<usize>) {
    match v {
        Value::String(s) => {
            let mut from = 0;
            while let Some(at) = s[from..].find("$id") {
                let digits_start = from + at + 3;
                let digits = s[digits_start..]
                    .bytes()
                    .take_while(u8::is_ascii_digit)
                    .count();
                if let Ok(n) = s[digits_start..digits_start + digits].parse() {
                    out.insert(n);
                }
                from = digits_start;
            }
        }
        Value::Array(items) => items.iter().for_each(|x| labels_in(x, out)),
        Value::Object(map) => map.values().for_each(|x| labels_in(x, out)),
        _ => {}
    }
}

/// `(context, server id)` <-> `$idN`, numbered in first-seen order within a
/// scenario, exactly as the recording labelled Confluent's answers.
pub struct Ids {
    to_sym: HashMap<(String, i64), usize>,
    from_sym: HashMap<usize, i64>,
    next: usize,
    /// Labels that only skipped steps introduced (in the recording).
    phantom: HashSet<usize>,
}

impl Ids {
    pub fn new() -> Ids {
        Ids {
            to_sym: HashMap::new(),
            from_sym: HashMap::new(),
            next: 1,
            phantom: HashSet::new(),
        }
    }

    pub fn sym(&mut self, real: i64, ctx: &str) -> String {
        let n = match self.to_sym.get(&(ctx.to_string(), real)) {
            Some(n) => *n,
            None => {
                let n = self.next;
                self.next += 1;
                self.to_sym.insert((ctx.to_string(), real), n);
                self.from_sym.insert(n, real);
                n
            }
        };
        format!("$id{n}")
    }

    /// A skipped step: the labels its recorded answer introduced are taken,
    /// so the following labels keep the recording's numbers.
    pub fn reserve(&mut self, golden_body: &Value) {
        let mut found = BTreeSet::new();
        labels_in(golden_body, &mut found);
        let first_new = self.next;
        for n in found.into_iter().filter(|n| *n >= first_new) {
            self.phantom.insert(n);
            self.next = n + 1;
        }
    }

    /// Replaces every bound `{$idN}` in a path by its id.
    pub fn subst_path(&self, p: &str) -> String {
        let mut out = String::new();
        let mut last = 0;
        for (start, end, n) in placeholders(p) {
            out.push_str(&p[last..start]);
            match self.from_sym.get(&n) {
                Some(real) => out.push_str(&real.to_string()),
                None => out.push_str(&p[start..end]),
            }
            last = end;
        }
        out.push_str(&p[last..]);
        out
    }

    /// Replaces body strings that are exactly a bound `{$idN}` by the id.
    pub fn subst_body(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => match placeholders(s).as_slice() {
                [(0, end, n)] if *end == s.len() => match self.from_sym.get(n) {
                    Some(real) => json!(real),
                    None => v.clone(),
                },
                _ => v.clone(),
            },
            Value::Array(items) => Value::Array(items.iter().map(|x| self.subst_body(x)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, x)| (k.clone(), self.subst_body(x)))
                    .collect(),
            ),
            _ => v.clone(),
        }
    }

    /// A phantom label the step refers to (in its path or body strings).
    pub fn phantom_ref(&self, step: &Value) -> Option<usize> {
        let mut strings = vec![step["p"].as_str().unwrap_or("").to_string()];
        fn collect(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::String(s) => out.push(s.clone()),
                Value::Array(items) => items.iter().for_each(|x| collect(x, out)),
                Value::Object(map) => map.values().for_each(|x| collect(x, out)),
                _ => {}
            }
        }
        if let Some(b) = step.get("b") {
            collect(b, &mut strings);
        }
        strings.iter().find_map(|s| {
            placeholders(s)
                .into_iter()
                .map(|(_, _, n)| n)
                .find(|n| self.phantom.contains(n))
        })
    }

    /// Labels a response as the recording did.
    pub fn symbolize(&mut self, body: Value, ctx: &str, id_list: bool) -> Value {
        if id_list {
            if let Value::Array(items) = body {
                return Value::Array(
                    items
                        .into_iter()
                        .map(|x| match x.as_i64() {
                            Some(id) => Value::String(self.sym(id, ctx)),
                            None => x,
                        })
                        .collect(),
                );
            }
        }
        self.walk(body, ctx)
    }

    pub fn walk(&mut self, v: Value, ctx: &str) -> Value {
        match v {
            Value::Object(map) => {
                let ctx = match map.get("subject") {
                    Some(Value::String(s)) => context_of(s),
                    _ => ctx.to_string(),
                };
                let mut out = Map::new();
                for (k, x) in map {
                    let x = match (k.as_str(), x) {
                        ("id" | "maxId", Value::Number(n)) if n.as_i64().is_some() => {
                            Value::String(self.sym(n.as_i64().unwrap_or_default(), &ctx))
                        }
                        ("message", Value::String(m)) => Value::String(self.sym_message(&m, &ctx)),
                        (_, x) => self.walk(x, &ctx),
                    };
                    out.insert(k, x);
                }
                Value::Object(out)
            }
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|x| self.walk(x, ctx)).collect())
            }
            other => other,
        }
    }

    /// Labels the ids after `Schema `, `with id ` and `input id ` in a message.
    pub fn sym_message(&mut self, msg: &str, ctx: &str) -> String {
        const PREFIXES: [&str; 3] = ["Schema ", "with id ", "input id "];
        let mut out = String::new();
        let mut i = 0;
        'scan: while i < msg.len() {
            for prefix in PREFIXES {
                if !msg[i..].starts_with(prefix) {
                    continue;
                }
                let num_start = i + prefix.len();
                let sign = usize::from(msg[num_start..].starts_with('-'));
                let digits = msg[num_start + sign..]
                    .bytes()
                    .take_while(u8::is_ascii_digit)
                    .count();
                if digits == 0 {
                    continue;
                }
                let end = num_start + sign + digits;
                if let Ok(id) = msg[num_start..end].parse::<i64>() {
                    out.push_str(prefix);
                    out.push_str(&self.sym(id, ctx));
                    i = end;
                    continue 'scan;
                }
            }
            let c = msg[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
        out
    }
}

/// Keeps the list elements (names, or objects' `subject`) that match one of
/// the prefixes (`=x`: exactly `x`).
pub fn keep_filter(body: Value, keep: &[Value]) -> Value {
    let Value::Array(items) = body else {
        return body;
    };
    let ok = |name: &str| {
        keep.iter()
            .filter_map(Value::as_str)
            .any(|k| match k.strip_prefix('=') {
                Some(exact) => name == exact,
                None => name.starts_with(k),
            })
    };
    Value::Array(
        items
            .into_iter()
            .filter(|x| {
                let name = match x {
                    Value::String(s) => s.as_str(),
                    Value::Object(map) => map.get("subject").and_then(Value::as_str).unwrap_or(""),
                    _ => "",
                };
                ok(name)
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// Comparison

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Relax {
    /// Not compared.
    Skip,
    /// Status and `error_code` only.
    Code,
    /// Status and `is_compatible` only.
    Verdict,
}

impl Relax {
    pub fn describe(self) -> &'static str {
        match self {
            Relax::Skip => "not compared",
            Relax::Code => "status and error_code compared",
            Relax::Verdict => "status and is_compatible compared",
        }
    }
}

/// The README's global relaxations, keyed on Confluent's answer.
pub fn global_rule(status: u16, body: &Value) -> Option<Relax> {
    let detail = |m: &str| {
        m.contains("details: com.fasterxml.jackson")
            || m.contains("details: Could not parse Protobuf")
    };
    let code = body.get("error_code").and_then(Value::as_i64);
    let msg = body.get("message").and_then(Value::as_str).unwrap_or("");
    if status == 400 && code == Some(400) {
        return Some(Relax::Code);
    }
    if code == Some(500) {
        return Some(Relax::Skip);
    }
    if detail(msg) {
        return Some(Relax::Code);
    }
    let messages = body.get("messages").and_then(Value::as_array);
    if messages.is_some_and(|ms| ms.iter().filter_map(Value::as_str).any(detail)) {
        return Some(Relax::Verdict);
    }
    None
}

pub fn field<'a>(body: &'a Value, key: &str) -> Option<&'a Value> {
    body.as_object().and_then(|m| m.get(key))
}

pub fn same(cmp: &str, relax: Option<Relax>, want: (u16, &Value), got: (u16, &Value)) -> bool {
    if relax == Some(Relax::Skip) {
        return true;
    }
    if want.0 != got.0 {
        return false;
    }
    match relax {
        Some(Relax::Code) => return field(want.1, "error_code") == field(got.1, "error_code"),
        Some(Relax::Verdict) => {
            return field(want.1, "is_compatible") == field(got.1, "is_compatible")
        }
        _ => {}
    }
    match cmp {
        "status" => true,
        "keys" => match (want.1, got.1) {
            (Value::Object(w), Value::Object(g)) => {
                w.keys().collect::<BTreeSet<_>>() == g.keys().collect::<BTreeSet<_>>()
            }
            (Value::Object(_), _) => false,
            _ => true,
        },
        _ => want.1 == got.1,
    }
}

/// Where two JSON values differ (a few lines).
pub fn diff(want: &Value, got: &Value, at: &str, out: &mut Vec<String>) {
    if out.len() >= 8 || want == got {
        return;
    }
    let at_or_root = if at.is_empty() { "(body)" } else { at };
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => diff(wv, gv, &format!("{at}.{k}"), out),
                    None => out.push(format!("{at}.{k}: missing")),
                }
            }
            for k in g.keys().filter(|k| !w.contains_key(*k)) {
                out.push(format!("{at}.{k}: unexpected"));
            }
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                diff(wv, gv, &format!("{at}[{i}]"), out);
            }
        }
        (Value::Array(w), Value::Array(g)) => out.push(format!(
            "{at_or_root}: {} elements expected, got {}",
            w.len(),
            g.len()
        )),
        (Value::String(w), Value::String(g)) => {
            out.push(format!("{at_or_root}: {}", string_diff(w, g)))
        }
        _ => out.push(format!(
            "{at_or_root}: expected {}, got {}",
            truncate(&want.to_string(), 300),
            truncate(&got.to_string(), 300)
        )),
    }
}

/// Two strings around their first difference.
pub fn string_diff(want: &str, got: &str) -> String {
    const AROUND: usize = 60;
    let common = want
        .char_indices()
        .zip(got.chars())
        .find(|((_, w), g)| w != g)
        .map(|((i, _), _)| i)
        .unwrap_or_else(|| want.len().min(got.len()));
    let window = |s: &str| {
        let mut start = common.saturating_sub(AROUND);
        while !s.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (common + AROUND).min(s.len());
        while !s.is_char_boundary(end) {
            end += 1;
        }
        let pre = if start > 0 { "…" } else { "" };
        let post = if end < s.len() { "…" } else { "" };
        format!("{pre}{:?}{post}", &s[start..end])
    };
    format!(
        "strings differ at byte {common}: expected {}, got {}",
        window(want),
        window(got)
    )
}

// ---------------------------------------------------------------------------
// Running

#[derive(Debug)]
pub enum Outcome {
    Pass,
    SkipType(&'static str),
    SkipDep(String),
    Fail(String),
}

pub struct ScenarioResult {
    name: String,
    steps: Vec<(String, Outcome)>,
}

/// Sends one step; the answer labelled like golden.json.
pub async fn send_step(
    server: &Server,
    step: &Value,
    ids: &mut Ids,
) -> (String, Option<String>, u16, Value) {
    let template = step["p"].as_str().expect("step without a path");
    let method = step["m"].as_str().expect("step without a method");
    let ctx = step_context(template);
    let path = ids.subst_path(template);
    let body = match (step.get("raw"), step.get("b")) {
        (Some(raw), _) => Some(raw.as_str().expect("raw is a string").to_string()),
        (None, Some(b)) => Some(ids.subst_body(b).to_string()),
        (None, None) => None,
    };
    // A Content-Type header only with a body. `ct: null` sends none (README).
    // `ct: ""`: the recorder (Python urllib) skipped its header for an empty
    // string and urllib then added its default for bodies,
    // `application/x-www-form-urlencoded`; Confluent's 415 answers that.
    let content_type = match step.get("ct") {
        None => Some(CONTENT_TYPE),
        Some(Value::String(ct)) if ct.is_empty() => Some(URLLIB_CONTENT_TYPE),
        Some(Value::String(ct)) => Some(ct.as_str()),
        Some(_) => None,
    }
    .filter(|_| body.is_some());
    let request = format!("{method} {path}");
    let sent = common::send(
        &server.client,
        &server.url,
        method,
        &path,
        body.as_deref(),
        content_type,
    )
    .await;
    let (status, body_value) = match sent {
        Ok((status, text)) => {
            let parsed = if text.trim().is_empty() {
                None
            } else {
                serde_json::from_str(&text).ok()
            };
            (status, parsed.unwrap_or_else(|| json!({ "text": text })))
        }
        Err(e) => (0, json!({ "transport_error": e })),
    };
    let body_value = match step.get("keep").and_then(Value::as_array) {
        Some(keep) => keep_filter(body_value, keep),
        None => body_value,
    };
    let id_list = step.get("ids").and_then(Value::as_bool).unwrap_or(false);
    let labelled = ids.symbolize(body_value, &ctx, id_list);
    (request, body, status, labelled)
}

/// A registration the recording answered with 200: the subject it created.
pub fn registered_subject(step: &Value, want_status: u16) -> Option<String> {
    let (segs, _) = split_path(step["p"].as_str()?);
    let registers = step["m"] == "POST"
        && segs.len() == 3
        && segs[0] == "subjects"
        && segs[2] == "versions"
        && want_status == 200;
    registers.then(|| decode(segs[1]))
}

/// Why a step depends on a skipped one, if it visibly does.
pub fn dependency(step: &Value, ids: &Ids, tainted: &HashSet<String>) -> Option<String> {
    if let Some(n) = ids.phantom_ref(step) {
        return Some(format!("uses $id{n} of a skipped step"));
    }
    let (segs, query) = split_path(step["p"].as_str().unwrap_or(""));
    let mut subjects: Vec<String> = path_subject(&segs).into_iter().collect();
    subjects.extend(
        query
            .iter()
            .filter(|(k, _)| *k == "subject")
            .map(|(_, v)| decode(v)),
    );
    if let Some(refs) = step
        .get("b")
        .and_then(|b| b.get("references"))
        .and_then(Value::as_array)
    {
        subjects.extend(
            refs.iter()
                .filter_map(|r| r.get("subject").and_then(Value::as_str))
                .map(str::to_string),
        );
    }
    subjects
        .into_iter()
        .find(|s| tainted.contains(s))
        .map(|s| format!("subject {s} was created by a skipped step"))
}

pub async fn run_scenario(
    scenario: &Value,
    golden: &[Value],
    fixtures: &Fixtures,
    gaps: &KnownGaps,
    show_gaps: bool,
    all_types: bool,
    kafka: Option<&str>,
) -> ScenarioResult {
    let name = scenario["name"].as_str().unwrap_or("?").to_string();
    let steps = scenario["steps"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    assert_eq!(
        steps.len(),
        golden.len(),
        "{name}: golden.json has {} answers for {} steps",
        golden.len(),
        steps.len()
    );
    let mut result = ScenarioResult {
        name: name.clone(),
        steps: Vec::new(),
    };
    let started = match kafka {
        Some(address) => Server::builder().kafka(address).try_start(),
        None => Server::builder().try_start(),
    };
    let mut server = match started {
        Ok(server) => server,
        Err(e) => {
            for i in 0..steps.len() {
                result.steps.push((
                    format!("{name}#{i}"),
                    Outcome::Fail(format!("--- {name}#{i}: the server did not start: {e}\n")),
                ));
            }
            return result;
        }
    };
    let mut ids = Ids::new();
    let mut tainted = HashSet::new();
    let mut server_dead = false;
    for (i, (step, want)) in steps.iter().zip(golden).enumerate() {
        let key = format!("{name}#{i}");
        let want_status = want["status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(0);
        let want_body = &want["body"];
        let skip = match other_schema_type(step).filter(|_| !all_types) {
            Some(_) => Some(Outcome::SkipType("Protobuf")),
            None => dependency(step, &ids, &tainted).map(Outcome::SkipDep),
        };
        if let Some(skip) = skip {
            ids.reserve(want_body);
            tainted.extend(registered_subject(step, want_status));
            result.steps.push((key, skip));
            continue;
        }
        let (request, sent_body, got_status, got_body) = send_step(&server, step, &mut ids).await;
        let got_body = shape8x::as_recorded(want_body, got_body, step);
        let relax = fixtures
            .allowed
            .get(&key)
            .copied()
            .or_else(|| global_rule(want_status, want_body));
        let cmp = step.get("cmp").and_then(Value::as_str).unwrap_or("exact");
        if same(
            cmp,
            relax,
            (want_status, want_body),
            (got_status, &got_body),
        ) {
            result.steps.push((key, Outcome::Pass));
            continue;
        }
        let gap = gaps.reason(&key);
        let mut report = String::new();
        if gap.is_none() || show_gaps {
            let _ = writeln!(report, "--- {key}  {request}");
            if let Some(b) = &sent_body {
                let _ = writeln!(report, "    request body: {}", truncate(b, SHOW));
            }
            let _ = writeln!(
                report,
                "    expected: {want_status} {}",
                truncate(&want_body.to_string(), SHOW)
            );
            let _ = writeln!(
                report,
                "    got:      {got_status} {}",
                truncate(&got_body.to_string(), SHOW)
            );
            if want_status != got_status {
                let _ = writeln!(
                    report,
                    "    differs: status {want_status} expected, got {got_status}"
                );
            } else {
                let mut lines = Vec::new();
                match relax {
                    Some(Relax::Code) => diff(
                        field(want_body, "error_code").unwrap_or(&Value::Null),
                        field(&got_body, "error_code").unwrap_or(&Value::Null),
                        ".error_code",
                        &mut lines,
                    ),
                    Some(Relax::Verdict) => diff(
                        field(want_body, "is_compatible").unwrap_or(&Value::Null),
                        field(&got_body, "is_compatible").unwrap_or(&Value::Null),
                        ".is_compatible",
                        &mut lines,
                    ),
                    _ if cmp == "keys" => lines.push("key sets differ".to_string()),
                    _ => diff(want_body, &got_body, "", &mut lines),
                }
                for line in lines {
                    let _ = writeln!(report, "    differs: {line}");
                }
            }
            if let Some(relax) = relax {
                let _ = writeln!(report, "    relaxed: {}", relax.describe());
            }
            if let Some(reason) = gap {
                let _ = writeln!(report, "    known gap: {reason}");
            }
            if !server_dead {
                if let Some(status) = server.exit_status() {
                    server_dead = true;
                    let log = server.log();
                    let tail = &log[log.len().saturating_sub(4000)..];
                    let _ = writeln!(
                        report,
                        "    THE SERVER EXITED ({status}); its output ends with:\n{tail}"
                    );
                }
            }
        }
        result.steps.push((key, Outcome::Fail(report)));
    }
    result
}

pub fn run_confluent_scenarios(kafka: Option<&str>) {
    let fixtures = load_fixtures();
    let gaps = KnownGaps::load();
    let only: Option<Vec<String>> = std::env::var("CONFORMANCE_ONLY")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        });
    let all_types = env_flag("CONFORMANCE_ALL_TYPES");
    let show_gaps = only.is_some() || env_flag("CONFORMANCE_SHOW_GAPS");
    let jobs = std::env::var("CONFORMANCE_JOBS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(2);

    if let Some(only) = &only {
        for name in only {
            assert!(
                fixtures
                    .scenarios
                    .iter()
                    .any(|s| s["name"] == name.as_str()),
                "CONFORMANCE_ONLY: no scenario named {name:?}"
            );
        }
    }
    let mut selected = Vec::new();
    let mut skipped_scenarios = Vec::new();
    for scenario in &fixtures.scenarios {
        let name = scenario["name"].as_str().expect("scenario without a name");
        if only.as_ref().is_some_and(|o| !o.iter().any(|n| n == name)) {
            continue;
        }
        match scenario_skip_reason(name).filter(|_| !all_types) {
            Some(reason) => skipped_scenarios.push(format!("{name} ({reason})")),
            None => selected.push(scenario),
        }
    }

    // Run the selected scenarios on `jobs` threads, one server each.
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<ScenarioResult>>> =
        Mutex::new(selected.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(selected.len()) {
            scope.spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("build a tokio runtime");
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(scenario) = selected.get(i) else {
                        break;
                    };
                    let name = scenario["name"].as_str().unwrap_or("?");
                    let golden = fixtures
                        .golden
                        .get(name)
                        .and_then(Value::as_array)
                        .unwrap_or_else(|| panic!("golden.json has no answers for {name}"));
                    let result = runtime.block_on(run_scenario(
                        scenario, golden, &fixtures, &gaps, show_gaps, all_types, kafka,
                    ));
                    let mut results = results.lock().unwrap_or_else(|p| p.into_inner());
                    results[i] = Some(result);
                }
            });
        }
    });
    let results: Vec<ScenarioResult> = results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|r| r.expect("every scenario ran"))
        .collect();

    // Report.
    let mut out = String::new();
    let (mut compared, mut passed, mut skip_type, mut skip_dep, mut known, mut unexpected) =
        (0, 0, 0, 0, 0, 0);
    let mut now_pass = Vec::new();
    let mut unexpected_keys = Vec::new();
    let mut ran_keys = HashSet::new();
    for result in &results {
        let mut line = String::new();
        let (mut ok, mut total) = (0, 0);
        for (key, outcome) in &result.steps {
            ran_keys.insert(key.clone());
            let gap = gaps.reason(key);
            match outcome {
                Outcome::Pass => {
                    compared += 1;
                    total += 1;
                    passed += 1;
                    ok += 1;
                    if let Some(reason) = gap {
                        now_pass.push(format!("{key}  ({reason})"));
                    }
                }
                Outcome::SkipType(_) => skip_type += 1,
                Outcome::SkipDep(_) => skip_dep += 1,
                Outcome::Fail(report) => {
                    compared += 1;
                    total += 1;
                    if gap.is_some() {
                        known += 1;
                    } else {
                        unexpected += 1;
                        unexpected_keys.push(key.clone());
                    }
                    line.push_str(report);
                }
            }
        }
        let skipped: Vec<String> = result
            .steps
            .iter()
            .filter_map(|(key, o)| match o {
                Outcome::SkipType(t) => Some(format!("{key} ({t})")),
                Outcome::SkipDep(why) => Some(format!("{key} ({why})")),
                _ => None,
            })
            .collect();
        let _ = writeln!(out, "=== {}: {ok}/{total} steps match", result.name);
        if !skipped.is_empty() {
            let _ = writeln!(out, "    skipped: {}", skipped.join(", "));
        }
        out.push_str(&line);
    }
    // Listed entries that name no step that ran (stale, or skipped steps).
    let ran_scenarios: HashSet<&str> = results.iter().map(|r| r.name.as_str()).collect();
    let stale: Vec<&String> = gaps
        .entries
        .keys()
        .filter(|k| {
            k.split_once('#')
                .is_some_and(|(s, _)| ran_scenarios.contains(s))
                && !ran_keys.contains(*k)
        })
        .collect();
    let skipped_listed: Vec<&String> = gaps
        .entries
        .keys()
        .filter(|k| {
            results.iter().flat_map(|r| &r.steps).any(|(key, o)| {
                key == *k && matches!(o, Outcome::SkipType(_) | Outcome::SkipDep(_))
            })
        })
        .collect();
    if !now_pass.is_empty() {
        let _ = writeln!(
            out,
            "\nknown gaps that now pass (remove them from known-gaps.txt):"
        );
        for k in &now_pass {
            let _ = writeln!(out, "    {k}");
        }
    }
    if !stale.is_empty() || !skipped_listed.is_empty() {
        let _ = writeln!(
            out,
            "\nknown-gaps.txt entries for steps that do not exist or were not compared:"
        );
        for k in stale.iter().chain(&skipped_listed) {
            let _ = writeln!(out, "    {k}");
        }
    }
    if !skipped_scenarios.is_empty() {
        let _ = writeln!(out, "\nscenarios skipped: {}", skipped_scenarios.join(", "));
    }
    let _ = writeln!(
        out,
        "\nSUMMARY ({}): {} scenarios run ({} skipped), {compared} steps compared: {passed} passed, \
         {known} known gaps, {unexpected} unexpected mismatches; {} steps skipped ({skip_type} JSON Schema/Protobuf, \
         {skip_dep} depending on them); {} known gaps now pass",
        if kafka.is_some() { "kafka store" } else { "embedded store" },
        results.len(),
        skipped_scenarios.len(),
        skip_type + skip_dep,
        now_pass.len()
    );
    println!("{out}");
    assert!(
        unexpected_keys.is_empty(),
        "{unexpected} steps mismatch and are not in tests/fixtures/known-gaps.txt (diffs above): {}{}",
        unexpected_keys[..unexpected_keys.len().min(40)].join(" "),
        if unexpected_keys.len() > 40 { " …" } else { "" }
    );
}

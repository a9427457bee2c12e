//! grafana/schema-registry.json asks only for what the server exposes, and shows all of it.
//!
//! Every PromQL expression of the dashboard (panel targets and template variables) is
//! tokenized; the metric names it selects must be sample names of a real server's
//! `GET /metrics` after traffic that makes every family appear (schemas of the three
//! formats in two contexts, so `schema_registry_schemas_by_type` has samples; appends, so
//! the store's histograms move; errors). Label names in selectors and in `by (…)` must be
//! labels of those metrics, exact label values must occur. Every family the server exposes
//! must be on the dashboard (or in [`NOT_ON_THE_DASHBOARD`], with a reason). Every panel has
//! the dashboard's Prometheus data source and at least one query.

mod common;

use common::Server;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const DASHBOARD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/grafana/schema-registry.json");

/// Families the server exposes that the dashboard deliberately leaves out, with why.
const NOT_ON_THE_DASHBOARD: &[(&str, &str)] = &[];

/// Labels Prometheus adds to every series of a scrape (not in the exposition).
const TARGET_LABELS: [&str; 2] = ["instance", "job"];

// ---------------------------------------------------------------------------------------
// The exposition

/// Sample name → label name → the values seen.
type Exposed = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// The samples of an OpenMetrics/Prometheus text exposition, and the `# TYPE` families.
fn parse_exposition(text: &str) -> (Exposed, BTreeSet<String>) {
    let mut samples = Exposed::new();
    let mut families = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            if let Some(name) = rest.split_whitespace().next() {
                families.insert(name.to_string());
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let end = line.find(['{', ' ']).unwrap_or(line.len());
        let name = &line[..end];
        let labels = samples.entry(name.to_string()).or_default();
        let mut rest = line[end..].chars().peekable();
        if rest.peek() != Some(&'{') {
            continue;
        }
        rest.next();
        // key="value" pairs, values with \" \\ \n escapes, until the closing brace.
        loop {
            let key: String = rest.by_ref().take_while(|c| *c != '=').collect();
            let key = key.trim_start_matches(',').trim().to_string();
            if key.is_empty() || key.starts_with('}') {
                break;
            }
            assert_eq!(rest.next(), Some('"'), "{line}");
            let mut value = String::new();
            while let Some(c) = rest.next() {
                match c {
                    '\\' => value.push(rest.next().unwrap_or('\\')),
                    '"' => break,
                    c => value.push(c),
                }
            }
            labels.entry(key).or_default().insert(value);
            match rest.peek() {
                Some(',') => {
                    rest.next();
                }
                _ => break,
            }
        }
    }
    (samples, families)
}

// ---------------------------------------------------------------------------------------
// PromQL

/// A label matcher: (label, operator, value).
type Matcher = (String, String, String);

/// What an expression asks for.
#[derive(Debug, Default)]
struct Query {
    /// (metric name, label matchers as (name, operator, value)).
    selectors: Vec<(String, Vec<Matcher>)>,
    /// Label names of `by (…)`, `without (…)`, `on (…)`, `ignoring (…)`, `group_*(…)`.
    grouping: Vec<String>,
}

const KEYWORDS: [&str; 12] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "and",
    "or",
    "unless",
    "atan2",
];

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// A quoted string starting at `chars[i]` (`"`, `'` or a backtick); returns its value and
/// the index after it.
fn string_at(chars: &[char], mut i: usize) -> (String, usize) {
    let quote = chars[i];
    i += 1;
    let mut out = String::new();
    while i < chars.len() && chars[i] != quote {
        if chars[i] == '\\' && quote != '`' && i + 1 < chars.len() {
            i += 1;
        }
        out.push(chars[i]);
        i += 1;
    }
    (out, i + 1)
}

/// `{name op "value", …}` starting at `chars[i] == '{'`; the matchers and the index after.
fn matchers_at(chars: &[char], mut i: usize, expr: &str) -> (Vec<Matcher>, usize) {
    let mut out = Vec::new();
    i += 1;
    loop {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
            i += 1;
        }
        if i >= chars.len() {
            panic!("unclosed {{ in {expr}");
        }
        if chars[i] == '}' {
            return (out, i + 1);
        }
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        while chars[i].is_whitespace() {
            i += 1;
        }
        let op_start = i;
        while i < chars.len() && "=!~".contains(chars[i]) {
            i += 1;
        }
        let op: String = chars[op_start..i].iter().collect();
        while chars[i].is_whitespace() {
            i += 1;
        }
        assert!(
            !name.is_empty() && ["=", "!=", "=~", "!~"].contains(&op.as_str()),
            "bad matcher in {expr}"
        );
        let (value, next) = string_at(chars, i);
        i = next;
        out.push((name, op, value));
    }
}

/// A small PromQL tokenizer: metric names are identifiers not followed by `(` (functions
/// and aggregations are), not keywords, not inside `{…}` (label matchers), `[…]` (ranges)
/// or the label list of `by (…)` and friends; numbers, strings and `$variables` are
/// skipped.
fn parse_promql(expr: &str) -> Query {
    let chars: Vec<char> = expr.chars().collect();
    let mut q = Query::default();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            i = string_at(&chars, i).1;
        } else if c == '[' {
            while i < chars.len() && chars[i] != ']' {
                i += 1;
            }
            i += 1;
        } else if c == '{' {
            // A selector without a name: {__name__="…"}.
            let (m, next) = matchers_at(&chars, i, expr);
            let name = m
                .iter()
                .find(|(k, op, _)| k == "__name__" && op == "=")
                .map(|(_, _, v)| v.clone())
                .unwrap_or_else(|| panic!("a selector without a metric name in {expr}"));
            q.selectors.push((name, m));
            i = next;
        } else if c == '$' {
            i += 1;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            // Numbers, 1e-9, 0x1f, durations.
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric()
                    || chars[i] == '.'
                    || ((chars[i] == '-' || chars[i] == '+') && matches!(chars[i - 1], 'e' | 'E')))
            {
                i += 1;
            }
        } else if is_ident_start(c) {
            let start = i;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            let lower = word.to_ascii_lowercase();
            // `sum by (…) (…)`: an aggregation whose grouping comes first.
            let next: String = chars[j..].iter().take_while(|c| is_ident(**c)).collect();
            let next = next.to_ascii_lowercase();
            let aggregation = next == "by" || next == "without";
            if [
                "by",
                "without",
                "on",
                "ignoring",
                "group_left",
                "group_right",
            ]
            .contains(&lower.as_str())
                && chars.get(j) == Some(&'(')
            {
                let close = chars[j..]
                    .iter()
                    .position(|c| *c == ')')
                    .map(|p| j + p)
                    .unwrap_or_else(|| panic!("unclosed ( in {expr}"));
                let list: String = chars[j + 1..close].iter().collect();
                q.grouping.extend(
                    list.split(',')
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(String::from),
                );
                i = close + 1;
            } else if chars.get(j) == Some(&'(')
                || aggregation
                || KEYWORDS.contains(&lower.as_str())
                || lower == "inf"
                || lower == "nan"
            {
                // A function, an aggregation or a keyword.
            } else if chars.get(j) == Some(&'{') {
                let (m, next) = matchers_at(&chars, j, expr);
                q.selectors.push((word, m));
                i = next;
            } else {
                q.selectors.push((word, Vec::new()));
            }
        } else {
            i += 1;
        }
    }
    q
}

/// `label_values(metric, label)` and `query_result(expr)` of a template variable.
fn variable_query(v: &Value) -> Option<String> {
    let q = v
        .pointer("/query/query")
        .or(v.get("query"))?
        .as_str()?
        .to_string();
    if let Some(inner) = q
        .strip_prefix("label_values(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let (metric, label) = inner.rsplit_once(',')?;
        // As a selector with a `by` of the label, so that both are checked.
        return Some(format!("count by ({}) ({})", label.trim(), metric.trim()));
    }
    q.strip_prefix("query_result(")
        .and_then(|r| r.strip_suffix(')'))
        .map(String::from)
}

// ---------------------------------------------------------------------------------------
// The dashboard

fn dashboard() -> Value {
    let text = std::fs::read_to_string(DASHBOARD).expect("read the dashboard");
    serde_json::from_str(&text).expect("the dashboard is JSON")
}

/// Every panel, rows' nested panels included.
fn panels(d: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for p in d["panels"].as_array().expect("panels") {
        out.push(p);
        if let Some(inner) = p.get("panels").and_then(Value::as_array) {
            out.extend(inner);
        }
    }
    out
}

/// Every PromQL expression: (where, expression).
fn expressions(d: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in panels(d) {
        for t in p
            .get("targets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(e) = t.get("expr").and_then(Value::as_str) {
                out.push((format!("panel {:?}", p["title"]), e.to_string()));
            }
        }
    }
    for v in d["templating"]["list"].as_array().into_iter().flatten() {
        if v["type"] == "query" {
            let q = variable_query(v).unwrap_or_else(|| panic!("variable {}: query", v["name"]));
            out.push((format!("variable {}", v["name"]), q));
        }
    }
    out
}

#[test]
fn the_dashboard_is_well_formed() {
    let d = dashboard();
    assert!(
        d["schemaVersion"].as_u64().is_some_and(|v| v >= 30),
        "schemaVersion"
    );
    assert!(d["uid"].is_string() && d["title"].is_string());
    // The data source: a template variable of type datasource (Prometheus).
    let vars = d["templating"]["list"].as_array().expect("templating");
    let ds_vars: Vec<String> = vars
        .iter()
        .filter(|v| v["type"] == "datasource" && v["query"] == "prometheus")
        .map(|v| format!("${{{}}}", v["name"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(ds_vars.len(), 1, "one Prometheus data source variable");
    let ds = json!({"type": "prometheus", "uid": ds_vars[0]});

    let mut ids = BTreeSet::new();
    let mut cells: BTreeMap<(u64, u64), String> = BTreeMap::new();
    for p in panels(&d) {
        let title = p["title"].as_str().unwrap_or_default();
        assert!(
            ids.insert(p["id"].as_u64().expect("a panel id")),
            "id of {title}"
        );
        let g = &p["gridPos"];
        let (x, y, w, h) = (
            g["x"].as_u64().expect("x"),
            g["y"].as_u64().expect("y"),
            g["w"].as_u64().expect("w"),
            g["h"].as_u64().expect("h"),
        );
        assert!(w > 0 && h > 0 && x + w <= 24, "{title}: gridPos {g}");
        for cx in x..x + w {
            for cy in y..y + h {
                if let Some(other) = cells.insert((cx, cy), title.to_string()) {
                    panic!("{title} overlaps {other}");
                }
            }
        }
        if p["type"] == "row" {
            continue;
        }
        assert!(!title.is_empty(), "a panel without a title");
        assert_eq!(p["datasource"], ds, "{title}: data source");
        let targets = p["targets"].as_array().map_or(&[][..], Vec::as_slice);
        assert!(!targets.is_empty(), "{title}: no query");
        let mut refs = BTreeSet::new();
        for t in targets {
            assert!(
                t.get("datasource").is_none_or(|v| *v == ds),
                "{title}: a target's data source"
            );
            assert!(
                refs.insert(t["refId"].as_str().expect("refId")),
                "{title}: refId"
            );
            let e = t["expr"].as_str().unwrap_or_default();
            assert!(!e.trim().is_empty(), "{title}: an empty query");
        }
    }
}

/// The tokenizer itself: the names it finds and the ones it must not.
#[test]
fn promql_names_are_found() {
    let q = parse_promql(
        r#"histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{instance=~"$instance",status=~"5.."}[$__rate_interval]))) / clamp_min(sum without(x) (b_total offset 5m), 1e-9) > bool 2 or on(instance) c == 1 and time() - d"#,
    );
    let names: Vec<&str> = q.selectors.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a_bucket", "b_total", "c", "d"]);
    assert_eq!(q.grouping, ["le", "route", "x", "instance"]);
    assert_eq!(
        q.selectors[0].1,
        [
            (
                "instance".to_string(),
                "=~".to_string(),
                "$instance".to_string()
            ),
            ("status".to_string(), "=~".to_string(), "5..".to_string())
        ]
    );
    let v = variable_query(&json!({"query": {"query": "label_values(up, instance)"}}));
    assert_eq!(v.as_deref(), Some("count by (instance) (up)"));
}

#[tokio::test]
async fn every_query_names_an_exposed_metric_and_every_metric_is_shown() {
    let server = Server::start();
    // Traffic that makes every family have samples.
    let register = |subject: &str, body: Value| {
        let path = format!("/subjects/{subject}/versions");
        let server = &server;
        async move {
            let (s, v) = server.post(&path, &body).await;
            assert_eq!(s, 200, "{path}: {v}");
        }
    };
    register(
        "orders-value",
        json!({"schema": r#"{"type":"record","name":"O","fields":[{"name":"id","type":"long"}]}"#}),
    )
    .await;
    register(
        "users-value",
        json!({"schemaType": "JSON", "schema": r#"{"type":"object","properties":{"n":{"type":"string"}}}"#}),
    )
    .await;
    register(
        ":.eu:events-value",
        json!({"schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";\nmessage E { string id = 1; }\n"}),
    )
    .await;
    let (s, _) = server.get("/subjects/missing/versions").await;
    assert_eq!(s, 404);
    let (s, _) = server.get("/no/such/route").await;
    assert_eq!(s, 404);
    let (s, _) = server
        .post(
            "/subjects/bad-value/versions",
            &json!({"schema": "{not json"}),
        )
        .await;
    assert_eq!(s, 422);

    let text = server
        .client
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("the exposition");
    let (exposed, families) = parse_exposition(&text);
    assert!(
        exposed.contains_key("schema_registry_schemas_by_type"),
        "{text}"
    );

    let d = dashboard();
    let mut used = BTreeSet::new();
    for (at, expr) in expressions(&d) {
        let q = parse_promql(&expr);
        assert!(!q.selectors.is_empty(), "{at}: no metric in {expr}");
        let mut labels: BTreeSet<&str> = TARGET_LABELS.into_iter().collect();
        for (name, matchers) in &q.selectors {
            let Some(have) = exposed.get(name) else {
                panic!("{at}: {name} is not exposed by the server (in {expr})")
            };
            used.insert(name.clone());
            labels.extend(have.keys().map(String::as_str));
            for (label, op, value) in matchers {
                if TARGET_LABELS.contains(&label.as_str()) {
                    continue;
                }
                let Some(values) = have.get(label) else {
                    panic!("{at}: {name} has no label {label} (in {expr})")
                };
                if op == "=" {
                    assert!(
                        values.contains(value),
                        "{at}: {name}{{{label}={value:?}}} never occurs: {values:?}"
                    );
                }
            }
        }
        for l in &q.grouping {
            assert!(
                labels.contains(l.as_str()),
                "{at}: no metric of {expr} has the label {l}"
            );
        }
    }

    // Every family is on the dashboard: a sample name of it is used.
    let suffixes = ["", "_total", "_info", "_bucket", "_sum", "_count"];
    for family in &families {
        if NOT_ON_THE_DASHBOARD.iter().any(|(f, _)| f == family) {
            continue;
        }
        assert!(
            suffixes
                .iter()
                .any(|s| used.contains(&format!("{family}{s}"))),
            "{family} is exposed but not on the dashboard (add a panel, or list it in NOT_ON_THE_DASHBOARD)"
        );
    }
}

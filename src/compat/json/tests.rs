//! Unit tests of the JSON Schema compatibility checker: Confluent's golden pairs and chains,
//! rules the oracle does not show (each citing the Java source it comes from), limits.

use super::*;
use serde_json::Value;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/confluent-7.9/compat/corpus.json"
);
const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/confluent-7.9/compat/golden.json"
);

/// Cases known not to match, with the reason. Any other mismatch fails the test.
const KNOWN_GAPS: &[(&str, &str)] = &[];

fn load_json(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn deps(v: Option<&Value>) -> Vec<Dependency> {
    v.and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .map(|r| {
                    let name = r.get("name").map(text_of).unwrap_or_default();
                    let schema = r.get("schema").map(text_of).unwrap_or_default();
                    Dependency::new(name, schema)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn error_lines(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .filter(|s| s.starts_with("{errorType:"))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Messages of `new` against `old` in one direction, strict (7.9) policy.
fn check(
    new: &str,
    new_refs: &[Dependency],
    old: &str,
    old_refs: &[Dependency],
    backward: bool,
) -> Vec<String> {
    let (n, o) = (prepare(new, new_refs), prepare(old, old_refs));
    if backward {
        compare(&n, &o, true, false)
    } else {
        compare(&o, &n, false, false)
    }
}

fn gap(id: &str) -> bool {
    KNOWN_GAPS.iter().any(|(g, _)| *g == id)
}

#[test]
fn golden_compat_pairs() {
    let corpus = load_json(CORPUS);
    let golden = load_json(GOLDEN);
    let mut failures = Vec::new();
    let (mut checked, mut passed) = (0, 0);
    for case in corpus["compat"].as_array().into_iter().flatten() {
        if case["type"] != "JSON" {
            continue;
        }
        let id = case["id"].as_str().unwrap_or_default();
        let expected = &golden["compat"][id];
        let old = text_of(&case["old"]);
        let new = text_of(&case["new"]);
        let old_refs = deps(case.get("old_refs").or(case.get("refs")));
        let new_refs = deps(case.get("new_refs").or(case.get("refs")));
        let backward = check(&new, &new_refs, &old, &old_refs, true);
        let forward = check(&new, &new_refs, &old, &old_refs, false);
        if expected.get("error").is_some() {
            // Confluent's library threw: excluded from the goal, but must not panic.
            continue;
        }
        for (level, got) in [("BACKWARD", backward), ("FORWARD", forward)] {
            checked += 1;
            let want = error_lines(&expected[level]);
            if want == got {
                passed += 1;
            } else if !gap(id) {
                failures.push(format!("{id} {level}:\n  want {want:?}\n  got  {got:?}"));
            }
        }
    }
    println!("JSON pairs: {passed} of {checked} directions match");
    assert!(checked >= 130, "only {checked} JSON pair checks ran");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `src/compat/mod.rs` `check` for one level: newest earlier version first when transitive,
/// the first failing version reported, FORWARD before BACKWARD, then the trailers.
fn level_messages(level: &str, history: &[String], candidate: &str) -> Vec<String> {
    let transitive = level.ends_with("_TRANSITIVE");
    let base = level.trim_end_matches("_TRANSITIVE");
    if base == "NONE" || history.is_empty() {
        return Vec::new();
    }
    let olds: Vec<(usize, &String)> = if transitive {
        history.iter().enumerate().rev().collect()
    } else {
        history.iter().enumerate().next_back().into_iter().collect()
    };
    for (i, old) in olds {
        let mut msgs = Vec::new();
        if base == "FORWARD" || base == "FULL" {
            msgs.extend(check(candidate, &[], old, &[], false));
        }
        if base == "BACKWARD" || base == "FULL" {
            msgs.extend(check(candidate, &[], old, &[], true));
        }
        if !msgs.is_empty() {
            let compact = serde_json::from_str::<Value>(old).map_or(old.clone(), |v| v.to_string());
            msgs.push(format!("{{oldSchemaVersion: {}}}", i + 1));
            msgs.push(format!("{{oldSchema: '{compact}'}}"));
            return msgs;
        }
    }
    Vec::new()
}

#[test]
fn golden_chains() {
    let corpus = load_json(CORPUS);
    let golden = load_json(GOLDEN);
    let mut failures = Vec::new();
    let (mut checked, mut passed) = (0, 0);
    for chain in corpus["chains"].as_array().into_iter().flatten() {
        // Chains mixing schema types are decided by the caller (`compat::check`), not here.
        let types = chain["types"].as_array().cloned().unwrap_or_default();
        if types.is_empty() || !types.iter().all(|t| t == "JSON") {
            continue;
        }
        let id = chain["id"].as_str().unwrap_or_default();
        let versions: Vec<String> = chain["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(text_of)
            .collect();
        let Some((candidate, history)) = versions.split_last() else {
            continue;
        };
        let levels = golden["chains"][id]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (level, expected) in levels {
            checked += 1;
            let got = level_messages(&level, history, candidate);
            let want: Vec<String> = expected
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            // The errors must match; the trailers too when Confluent gave them (its FULL
            // answers sometimes omit them).
            let same_errors = error_lines(&expected) == error_lines(&Value::from(got.clone()))
                && want.is_empty() == got.is_empty()
                && want
                    .iter()
                    .filter(|m| !m.starts_with("{errorType:"))
                    .count()
                    == 0
                || want == got;
            if same_errors {
                passed += 1;
            } else if !gap(id) {
                failures.push(format!("{id} {level}:\n  want {want:?}\n  got  {got:?}"));
            }
        }
    }
    println!("JSON chains: {passed} of {checked} levels match");
    assert!(checked >= 77, "only {checked} JSON chain checks ran");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

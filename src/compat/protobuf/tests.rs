//! Confluent 7.9's recorded answers for the Protobuf pairs and chains of
//! `tests/fixtures/confluent-7.9/compat`, driven through `prepare`/`compare` as `compat::check`
//! drives them.

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

/// The diff's own lines (the `{oldSchema…}` trailers quote Confluent's printed text, which
/// `compat::check` adds).
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

fn check(
    new: &str,
    new_refs: &[Dependency],
    old: &str,
    old_refs: &[Dependency],
    backward: bool,
) -> Vec<String> {
    let (n, o) = (prepare(new, new_refs), prepare(old, old_refs));
    if backward {
        compare(&n, &o, true)
    } else {
        compare(&o, &n, false)
    }
}

#[test]
fn golden_compat_pairs() {
    let corpus = load_json(CORPUS);
    let golden = load_json(GOLDEN);
    let mut failures = Vec::new();
    let (mut checked, mut passed) = (0, 0);
    for case in corpus["compat"].as_array().into_iter().flatten() {
        if case["type"] != "PROTOBUF" {
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
            continue;
        }
        for (level, got) in [("BACKWARD", backward), ("FORWARD", forward)] {
            checked += 1;
            let want = error_lines(&expected[level]);
            if want == got {
                passed += 1;
            } else {
                failures.push(format!("{id} {level}:\n  want {want:?}\n  got  {got:?}"));
            }
        }
    }
    println!("PROTOBUF pairs: {passed} of {checked} directions match");
    assert!(checked >= 100, "only {checked} PROTOBUF pair checks ran");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `compat::check` for one level, trailers reduced to `{oldSchemaVersion: N}` (the
/// `{oldSchema: …}` one quotes the stored canonical text, outside this module).
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
            msgs.push(format!("{{oldSchemaVersion: {}}}", i + 1));
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
        let types = chain["types"].as_array().cloned().unwrap_or_default();
        if types.is_empty() || !types.iter().all(|t| t == "PROTOBUF") {
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
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|m| !m.starts_with("{oldSchema:"))
                .map(str::to_string)
                .collect();
            if want == got {
                passed += 1;
            } else {
                failures.push(format!("{id} {level}:\n  want {want:?}\n  got  {got:?}"));
            }
        }
    }
    println!("PROTOBUF chains: {passed} of {checked} levels match");
    assert!(checked >= 63, "only {checked} PROTOBUF chain checks ran");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The types of a side, whichever way collected, as (full name, origin, is a map) sorted.
fn types_seen(side: &Side<'_>) -> Vec<(String, String, bool)> {
    let mut names: Vec<&String> = side.types.keys().collect();
    if let Some(base) = side.base {
        names.extend(base.keys());
    }
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| {
            let t = side.get(n).expect("listed");
            (n.clone(), format!("{:?}", t.origin), t.map.is_some())
        })
        .collect()
}

/// `side_of` (bundled types collected once, the schema's own over them) sees exactly what
/// collecting every file in Confluent's order sees: with no references, with references, with
/// a reference defining a bundled type's name, and with one standing in for a bundled file.
#[test]
fn cached_bundled_types_see_what_a_full_collection_sees() {
    // No two bundled files define the same full name.
    let total: usize = known_dependencies()
        .iter()
        .map(|(_, f)| context::collect(&[(Origin::Bundled, f)]).types.len())
        .sum();
    assert_eq!(bundled_types().len(), total);

    let dep = |name: &str, text: &str| Dependency::new(name.to_string(), text.to_string());
    let cases = [
        (
            "syntax = \"proto3\";\npackage a;\nimport \"google/protobuf/timestamp.proto\";\nmessage M { google.protobuf.Timestamp t = 1; }\n",
            vec![],
        ),
        (
            "syntax = \"proto3\";\npackage a;\nimport \"b.proto\";\nmessage M { b.B x = 1; }\n",
            vec![dep("b.proto", "syntax = \"proto3\";\npackage b;\nmessage B { string s = 1; }\n")],
        ),
        (
            "syntax = \"proto3\";\npackage a;\nimport \"mine.proto\";\nmessage M { google.type.Date d = 1; }\n",
            vec![dep("mine.proto", "syntax = \"proto3\";\npackage google.type;\nmessage Date { string iso = 1; }\n")],
        ),
        (
            "syntax = \"proto3\";\npackage a;\nimport \"google/type/date.proto\";\nmessage M { google.type.Date d = 1; }\n",
            vec![dep("google/type/date.proto", "syntax = \"proto3\";\npackage google.type;\nmessage Date { string iso = 1; }\n")],
        ),
    ];
    for (text, refs) in cases {
        let p = prepare(text, &refs);
        let loaded = p.loaded.as_ref().expect("reads");
        let full = context::collect(&files_of(loaded));
        assert_eq!(types_seen(&side_of(loaded)), types_seen(&full), "{text}");
    }
}

//! Unit tests of the Avro compatibility checker: Confluent's golden pairs and chains, the
//! compatibility vectors, quirks, limits, random schemas.

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
const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/avro-compat-vectors.json"
);

/// Cases that are known not to match, with the reason. Any other mismatch fails the test.
const ALLOWED_MISMATCHES: &[(&str, &str)] = &[];

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn ref_texts(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .map(|r| match r.get("schema") {
                    Some(s) => text_of(s),
                    None => text_of(r),
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

fn is_incompatible(v: &Value) -> bool {
    v.as_array().is_some_and(|l| !l.is_empty())
}

fn check(reader: &str, rrefs: &[String], writer: &str, wrefs: &[String], new: bool) -> Vec<String> {
    let rr: Vec<&str> = rrefs.iter().map(String::as_str).collect();
    let wr: Vec<&str> = wrefs.iter().map(String::as_str).collect();
    incompatibilities(reader, &rr, writer, &wr, new)
}

fn allowed(id: &str) -> bool {
    ALLOWED_MISMATCHES.iter().any(|(a, _)| *a == id)
}

fn report(failures: &[String], checked: usize) {
    if !failures.is_empty() {
        panic!(
            "{} of {} cases mismatched:\n{}",
            failures.len(),
            checked,
            failures.join("\n")
        );
    }
}

#[test]
fn golden_compat_pairs() {
    let corpus = load(CORPUS);
    let golden = load(GOLDEN);
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in corpus["compat"].as_array().into_iter().flatten() {
        if case["type"] != "AVRO" {
            continue;
        }
        let id = case["id"].as_str().unwrap_or_default();
        let expected = &golden["compat"][id];
        let old = text_of(&case["old"]);
        let new = text_of(&case["new"]);
        let old_refs = ref_texts(case.get("old_refs").or(case.get("refs")));
        let new_refs = ref_texts(case.get("new_refs").or(case.get("refs")));
        for (level, got) in [
            ("BACKWARD", check(&new, &new_refs, &old, &old_refs, true)),
            ("FORWARD", check(&old, &old_refs, &new, &new_refs, false)),
        ] {
            checked += 1;
            let want = error_lines(&expected[level]);
            let verdict_ok = got.is_empty() != is_incompatible(&expected[level]);
            if (want != got || !verdict_ok) && !allowed(id) {
                failures.push(format!("{id} {level}:\n  want {want:?}\n  got  {got:?}"));
            }
        }
    }
    assert!(checked >= 100, "only {checked} AVRO pair checks ran");
    report(&failures, checked);
}

/// The messages Confluent gives for `candidate` against `history` at `level`: latest only,
/// or every version newest first up to the first incompatible one; FULL lists the forward
/// messages before the backward ones.
fn level_messages(level: &str, history: &[String], candidate: &str) -> Vec<String> {
    let transitive = level.ends_with("_TRANSITIVE");
    let base = level.trim_end_matches("_TRANSITIVE");
    if base == "NONE" {
        return Vec::new();
    }
    let olds: Vec<&String> = if transitive {
        history.iter().rev().collect()
    } else {
        history.last().into_iter().collect()
    };
    for old in olds {
        let mut msgs = Vec::new();
        if base == "FORWARD" || base == "FULL" {
            msgs.extend(check(old, &[], candidate, &[], false));
        }
        if base == "BACKWARD" || base == "FULL" {
            msgs.extend(check(candidate, &[], old, &[], true));
        }
        if !msgs.is_empty() {
            return msgs;
        }
    }
    Vec::new()
}

#[test]
fn golden_chains() {
    let corpus = load(CORPUS);
    let golden = load(GOLDEN);
    let mut failures = Vec::new();
    let mut checked = 0;
    for chain in corpus["chains"].as_array().into_iter().flatten() {
        let all_avro = chain["types"]
            .as_array()
            .is_some_and(|t| t.iter().all(|t| t == "AVRO"));
        if !all_avro {
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
            let want = error_lines(&expected);
            let verdict_ok = got.is_empty() != is_incompatible(&expected);
            if (want != got || !verdict_ok) && !allowed(id) {
                failures.push(format!("{id} {level}:\n  want {want:?}\n  got  {got:?}"));
            }
        }
    }
    assert!(checked >= 90, "only {checked} AVRO chain checks ran");
    report(&failures, checked);
}

#[test]
fn compat_vectors() {
    let vectors = load(VECTORS);
    let mut failures = Vec::new();
    let mut checked = 0;
    for v in vectors.as_array().into_iter().flatten() {
        let name = v["name"].as_str().unwrap_or_default();
        let level = v["level"].as_str().unwrap_or_default();
        let history: Vec<String> = v["history"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| s.to_string())
            .collect();
        let candidate = v["candidate"].to_string();
        let compatible = level_messages(level, &history, &candidate).is_empty();
        checked += 1;
        if Some(compatible) != v["compatible"].as_bool() && !allowed(name) {
            failures.push(format!("{name} ({level}): got compatible={compatible}"));
        }
    }
    assert_eq!(checked, 66);
    report(&failures, checked);
}

#[test]
fn invalid_json_gives_one_message() {
    let got = incompatibilities("{", &[], "\"int\"", &[], true);
    assert_eq!(got.len(), 1);
    let got = incompatibilities("\"int\"", &["nope"], "\"int\"", &[], true);
    assert_eq!(got.len(), 1);
}

#[test]
fn recursive_types_terminate() {
    let a = r#"{"type":"record","name":"N","fields":[{"name":"v","type":"int"},{"name":"l","type":["null","N"]},{"name":"r","type":{"type":"array","items":"N"}}]}"#;
    let b = r#"{"type":"record","name":"N","fields":[{"name":"v","type":"long"},{"name":"l","type":["null","N"]},{"name":"r","type":{"type":"map","values":"N"}}]}"#;
    assert!(!incompatibilities(a, &[], b, &[], true).is_empty());
    assert!(!incompatibilities(b, &[], a, &[], false).is_empty());
    assert!(incompatibilities(a, &[], a, &[], true).is_empty());
}

#[test]
fn duplicate_field_match_aborts() {
    let reader =
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","aliases":["b"]}]}"#;
    let writer = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int"}]}"#;
    let got = incompatibilities(reader, &[], writer, &[], true);
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with(EXCEPTION_PREFIX), "{got:?}");
}

#[test]
fn enum_field_default_quirk() {
    // A reader field missing from the writer, without a default, whose enum has a default:
    // Java compares the enum with the writer record.
    let reader = r#"{"type":"record","name":"R","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A"],"default":"A"}}]}"#;
    let writer = r#"{"type":"record","name":"R","fields":[]}"#;
    let got = incompatibilities(reader, &[], writer, &[], true);
    assert_eq!(
        got,
        vec!["{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: ENUM not compatible with writer type: RECORD'}".to_string()]
    );
}

#[test]
fn deep_reference_chains_are_bounded() {
    const STACK: usize = 1024 * 1024;

    // A long chain of records defined through references, checked on a small stack.
    let mut refs =
        vec![r#"{"type":"record","name":"T0","fields":[{"name":"x","type":"int"}]}"#.to_string()];
    for i in 1..1500 {
        refs.push(format!(
            r#"{{"type":"record","name":"T{i}","fields":[{{"name":"x","type":["null","T{}"]}}]}}"#,
            i - 1
        ));
    }
    let root = r#"{"type":"record","name":"Top","fields":[{"name":"t","type":"T1499"}]}"#;
    let handle = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let r: Vec<&str> = refs.iter().map(String::as_str).collect();
            incompatibilities(root, &r, root, &r, true)
        })
        .expect("spawn");
    let got = handle.join().expect("no stack overflow");
    assert_eq!(got.len(), 1);
}

#[test]
fn schemas_as_deep_as_the_parser_accepts_are_checked() {
    // serde_json stops at 128 levels of JSON nesting: these schemas, valid for the parser,
    // failed with "not valid JSON: recursion limit exceeded", even against themselves.
    let nested = |depth: usize, leaf: &str| {
        let mut s = format!("\"{leaf}\"");
        for i in 0..depth {
            s = format!(
                r#"{{"type":"record","name":"R{i}","fields":[{{"name":"f","type":{s}}}]}}"#
            );
        }
        s
    };
    let deep_prop = |leaf: &str| {
        let nesting = 500;
        let value = format!("{}1{}", "[".repeat(nesting), "]".repeat(nesting));
        format!(r#"{{"type":"{leaf}","x":{value}}}"#)
    };
    let depth = crate::schema::avro::MAX_DEPTH - 1;
    let cases = [
        (nested(depth, "int"), nested(depth, "long")),
        (deep_prop("int"), deep_prop("long")),
    ];
    // The parser and the checker recurse over the nesting; debug builds need a large stack.
    let handle = std::thread::Builder::new()
        .stack_size(16 * 1024 * 1024)
        .spawn(move || {
            for (a, b) in cases {
                let a = crate::schema::avro::parse(&a, &[], true)
                    .expect("parses")
                    .canonical;
                let b = crate::schema::avro::parse(&b, &[], true)
                    .expect("parses")
                    .canonical;
                assert_eq!(
                    incompatibilities(&a, &[], &a, &[], true),
                    Vec::<String>::new()
                );
                // int -> long is a promotion: b reads a, a does not read b.
                assert_eq!(
                    incompatibilities(&b, &[], &a, &[], true),
                    Vec::<String>::new()
                );
                let got = incompatibilities(&a, &[], &b, &[], true);
                assert_eq!(got.len(), 1, "{got:?}");
                assert!(got[0].starts_with("{errorType:'TYPE_MISMATCH'"), "{got:?}");
            }
        })
        .expect("spawn");
    handle.join().expect("no panic, no stack overflow");
}

#[test]
fn odd_inputs_do_not_panic() {
    let odd = [
        "1",
        "null",
        "[]",
        "{}",
        r#"{"type":"record"}"#,
        r#"{"type":"enum","name":"E"}"#,
        r#"{"type":"fixed","name":"F","size":"x"}"#,
        r#"{"type":"array"}"#,
        r#"{"type":{"type":"map"}}"#,
        r#""Undefined""#,
        r#"["null","Undefined"]"#,
        r#"{"type":"record","name":"R","fields":[1,{"name":"a"},{"type":"int"}]}"#,
    ];
    for r in odd {
        for w in odd {
            let _ = incompatibilities(r, &[], w, &[], true);
            let _ = incompatibilities(r, &[w], w, &[r], false);
        }
    }
}

/// Tiny deterministic generator of random (valid-looking) Avro schemas.
struct Gen {
    state: u64,
    named: usize,
}

impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.state = self
            .state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.state >> 33) % n.max(1)
    }

    fn schema(&mut self, depth: usize) -> Value {
        let prims = [
            "null", "boolean", "int", "long", "float", "double", "bytes", "string",
        ];
        let choice = if depth > 3 {
            self.next(3)
        } else {
            self.next(9)
        };
        match choice {
            0 | 1 => Value::from(prims[self.next(8) as usize]),
            2 if self.named > 0 => Value::from(format!("N{}", self.next(self.named as u64))),
            2 => Value::from("int"),
            3 => serde_json::json!({"type": "array", "items": self.schema(depth + 1)}),
            4 => serde_json::json!({"type": "map", "values": self.schema(depth + 1)}),
            5 => {
                let mut branches = vec![Value::from("null")];
                for _ in 0..self.next(3) {
                    branches.push(self.schema(depth + 1));
                }
                Value::Array(branches)
            }
            6 => {
                let name = format!("N{}", self.named);
                self.named += 1;
                let symbols: Vec<String> = (0..1 + self.next(4)).map(|i| format!("S{i}")).collect();
                let mut e = serde_json::json!({"type": "enum", "name": name, "symbols": symbols});
                if self.next(2) == 0 {
                    e["default"] = Value::from("S0");
                }
                e
            }
            7 => {
                let name = format!("N{}", self.named);
                self.named += 1;
                serde_json::json!({"type": "fixed", "name": name, "size": self.next(3)})
            }
            _ => {
                let name = format!("N{}", self.named);
                self.named += 1;
                let mut fields = Vec::new();
                for i in 0..self.next(4) {
                    let mut f = serde_json::json!({"name": format!("f{i}"), "type": self.schema(depth + 1)});
                    if self.next(3) == 0 {
                        f["default"] = Value::Null;
                    }
                    if self.next(4) == 0 {
                        f["aliases"] = serde_json::json!([format!("g{}", self.next(3))]);
                    }
                    fields.push(f);
                }
                let mut r = serde_json::json!({"type": "record", "name": name, "fields": fields});
                if self.next(4) == 0 {
                    r["aliases"] = serde_json::json!([format!("N{}", self.next(6))]);
                }
                r
            }
        }
    }
}

#[test]
fn random_schemas_do_not_panic_and_read_themselves() {
    let mut schemas = Vec::new();
    for seed in 0..60u64 {
        let mut g = Gen {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) + 1,
            named: 0,
        };
        schemas.push(g.schema(0).to_string());
    }
    for a in &schemas {
        // The checker works on the parser's model: a generated schema the parser rejects (a
        // duplicate union branch, say) gives one "invalid schema" message instead.
        let valid = crate::schema::avro::parse_model(a, &[]).is_ok();
        assert!(
            !valid || incompatibilities(a, &[], a, &[], true).is_empty(),
            "schema does not read itself: {a}"
        );
        for b in &schemas {
            let _ = incompatibilities(a, &[], b, &[], true);
        }
    }
}

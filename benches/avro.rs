//! Micro-benchmarks of the Avro parser and compatibility checker (no server, no I/O), timed
//! with `std::time` only. Run: `cargo bench --bench avro` (`AVRO_BENCH_RUNS=N` sets the runs
//! per measurement, default 5; the median is reported).
//!
//! 1. Transitive compatibility: a new 200-field record checked at BACKWARD_TRANSITIVE and
//!    FULL_TRANSITIVE against 1,000 earlier versions. Version k has the 20 required fields and
//!    the first ⌊k·180/1000⌋ of the 180 optional fields (all with defaults) of the new schema,
//!    so the new schema is compatible with every version and the checker visits all 1,000
//!    (both directions for FULL).
//! 2. Canonicalisation of a ~1 MB schema (a record of records with docs, defaults, enums,
//!    arrays, maps and logical types): `parse` lax and strict (each yields the canonical and the
//!    normalized text), then `parse` of the canonical text and of the normalized text.

use schema_registry::compat::{self, Candidate, Previous};
use schema_registry::model::{Level, SchemaType};
use schema_registry::schema::avro;
use serde_json::{json, Value};
use std::hint::black_box;
use std::time::{Duration, Instant};

const REQUIRED: usize = 20;
const OPTIONAL: usize = 180;
const VERSIONS: usize = 1000;

fn runs() -> usize {
    std::env::var("AVRO_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(5)
}

/// Runs `f` `runs` times; the median duration and the last result.
fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = black_box(f());
        times.push(start.elapsed());
        last = Some(out);
    }
    times.sort();
    (times[times.len() / 2], last.expect("at least one run"))
}

/// Field `i` of the evolving record: a mix of types; optional fields carry a default.
fn field(i: usize, optional: bool) -> Value {
    let name = format!("f{i:03}");
    let (ty, default) = match i % 8 {
        0 => (json!("int"), json!(0)),
        1 => (json!("long"), json!(1)),
        2 => (json!("string"), json!("")),
        3 => (json!("double"), json!(0.5)),
        4 => (json!(["null", "string"]), Value::Null),
        5 => (json!({"type": "array", "items": "long"}), json!([])),
        6 => (json!({"type": "map", "values": "string"}), json!({})),
        _ => (
            json!({"type": "long", "logicalType": "timestamp-millis"}),
            json!(0),
        ),
    };
    let mut f = json!({"name": name, "type": ty, "doc": format!("field number {i}")});
    if optional {
        f["default"] = default;
    }
    f
}

/// The record with the required fields and the first `optional` optional ones. The first
/// required field is an enum and the second a nested record, defined inline.
fn evolving_record(optional: usize) -> String {
    let mut fields = vec![
        json!({"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B", "C"], "default": "A"}}),
        json!({"name": "meta", "type": {"type": "record", "name": "Meta", "fields": [
            {"name": "source", "type": "string"},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []}
        ]}}),
    ];
    fields.extend((2..REQUIRED).map(|i| field(i, false)));
    fields.extend((REQUIRED..REQUIRED + optional).map(|i| field(i, true)));
    json!({"type": "record", "name": "Evolving", "namespace": "bench.avro", "fields": fields})
        .to_string()
}

fn cand(schema: &str) -> Candidate<'_> {
    Candidate {
        schema_type: SchemaType::Avro,
        schema,
        refs: Vec::new(),
    }
}

fn transitive(runs: usize) -> Vec<[String; 4]> {
    let new_text = evolving_record(OPTIONAL);
    let old_texts: Vec<String> = (0..VERSIONS)
        .map(|k| evolving_record(k * OPTIONAL / VERSIONS))
        .collect();
    let new = cand(&new_text);
    let previous: Vec<Previous<'_>> = old_texts
        .iter()
        .enumerate()
        .map(|(i, s)| Previous {
            version: i32::try_from(i + 1).ok(),
            schema: cand(s),
        })
        .collect();
    // Not compatible: a required field added (proves the check looks at the fields).
    let mut broken: Value = serde_json::from_str(&new_text).expect("json");
    if let Some(fields) = broken["fields"].as_array_mut() {
        fields.push(json!({"name": "required_new", "type": "int"}));
    }
    let broken = broken.to_string();
    assert!(
        !compat::check(Level::Backward, &cand(&broken), &previous).is_empty(),
        "the checker accepted a required field added"
    );

    let mut rows = Vec::new();
    for level in [Level::BackwardTransitive, Level::FullTransitive] {
        let (t, msgs) = median(runs, || compat::check(level, &new, &previous));
        assert!(msgs.is_empty(), "{}: {msgs:?}", level.as_str());
        let pairs = if level == Level::FullTransitive {
            2 * VERSIONS
        } else {
            VERSIONS
        };
        rows.push([
            format!("{} vs {VERSIONS} versions", level.as_str()),
            format!("{:.1} ms", ms(t)),
            format!("{:.1} µs", ms(t) * 1000.0 / pairs as f64),
            format!("{pairs} reader/writer pairs, compatible"),
        ]);
    }
    rows
}

/// A record of `n` nested records of 20 fields each, every field documented.
fn big_schema(n: usize) -> String {
    let lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod \
                 tempor incididunt ut labore et dolore magna aliqua: \"quoted\", \\ backslash, \
                 café ☃.";
    let inner_fields = |r: usize| -> Vec<Value> {
        (0..20)
            .map(|i| {
                let mut f = field(i, i % 2 == 0);
                f["doc"] = json!(format!("{lorem} ({r}.{i})"));
                if i == 19 {
                    f["type"] = json!({"type": "enum", "name": format!("E{r}"),
                        "symbols": ["X", "Y", "Z"], "doc": lorem});
                    f["default"] = json!("Y");
                }
                f
            })
            .collect()
    };
    let fields: Vec<Value> = (0..n)
        .map(|r| {
            json!({
                "name": format!("part{r}"),
                "type": {"type": "record", "name": format!("Part{r}"),
                         "namespace": format!("bench.part{}", r % 7),
                         "doc": lorem, "fields": inner_fields(r),
                         "x-custom": {"owner": "bench", "n": r}},
                "doc": lorem,
            })
        })
        .collect();
    json!({"type": "record", "name": "Big", "namespace": "bench", "doc": lorem, "fields": fields})
        .to_string()
}

fn canonicalisation(runs: usize) -> Vec<[String; 4]> {
    // Grow until the text is at least 1 MB.
    let mut n = 100;
    let mut text = big_schema(n);
    while text.len() < 1_000_000 {
        n += 20;
        text = big_schema(n);
    }
    let mut rows = Vec::new();
    let mut row = |what: String, input: &str, strict: bool| -> avro::ParsedAvro {
        let (t, p) = median(runs, || avro::parse(input, &[], strict).expect("parses"));
        let mb = input.len() as f64 / 1e6;
        rows.push([
            what,
            format!("{:.1} ms", ms(t)),
            format!("{:.0} MB/s", mb / t.as_secs_f64()),
            format!(
                "in {} B -> canonical {} B{}, normalized {} B{}",
                input.len(),
                p.canonical.len(),
                if p.canonical == input {
                    " (same text)"
                } else {
                    ""
                },
                p.normalized.len(),
                if p.normalized == p.canonical {
                    " (= canonical)"
                } else {
                    ""
                },
            ),
        ]);
        p
    };
    let lax = row(format!("parse lax, {n} records"), &text, false);
    let strict = row(format!("parse strict, {n} records"), &text, true);
    assert_eq!(lax.canonical, strict.canonical);
    let again = row(
        "parse lax of the canonical text".into(),
        &lax.canonical,
        false,
    );
    assert_eq!(again.canonical, lax.canonical);
    let norm = row(
        "parse lax of the normalized text".into(),
        &lax.normalized,
        false,
    );
    assert_eq!(norm.normalized, lax.normalized);
    rows
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn print_table(title: &str, header: [&str; 4], rows: &[[String; 4]]) {
    let mut widths = header.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    println!("\n{title}");
    let line = |cells: [&str; 4]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w - c.chars().count();
            if i == 1 || i == 2 {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            }
            s.push_str("  ");
        }
        println!("{}", s.trim_end());
    };
    line(header);
    println!(
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ")
    );
    for r in rows {
        line([&r[0], &r[1], &r[2], &r[3]]);
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported, everything runs.
    let runs = runs();
    println!("Avro micro-benchmarks (median of {runs} runs each)");
    let rows = transitive(runs);
    print_table(
        &format!(
            "Transitive compatibility: {}-field record vs {VERSIONS} versions",
            REQUIRED + OPTIONAL
        ),
        ["check", "time", "per pair", "notes"],
        &rows,
    );
    let rows = canonicalisation(runs);
    print_table(
        "Canonicalisation of a large schema (each parse yields canonical + normalized)",
        ["operation", "time", "throughput", "sizes"],
        &rows,
    );
}

//! Micro-benchmarks of the JSON Schema path (no server, no I/O), side by side with the Avro
//! path on a record of the same shape as the reference, timed with `std::time` only.
//! Run: `cargo bench --bench json` (`JSON_BENCH_RUNS=N` sets the runs per measurement,
//! default 5; the median is reported).
//!
//! 1. Registration's schema work: read, canonical and normalized text, and validation of an
//!    object schema with 200 properties (a mix of types, nested objects, arrays, enums,
//!    `$ref`s to local definitions), against Avro's parse of a 200-field record.
//! 2. Compatibility: the 200-property schema plus one optional property checked against the
//!    200-property one at BACKWARD and FULL, and at FULL_TRANSITIVE against 100 earlier
//!    versions (version k has the first 100 + k properties), against Avro's same checks.

use schema_registry::compat::{self, Candidate, Previous};
use schema_registry::model::{Level, SchemaType};
use schema_registry::schema;
use serde_json::{json, Map, Value};
use std::hint::black_box;
use std::time::{Duration, Instant};

const PROPERTIES: usize = 200;

fn runs() -> usize {
    std::env::var("JSON_BENCH_RUNS")
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

fn json_property(i: usize) -> Value {
    match i % 6 {
        0 => json!({"type": "integer", "minimum": 0, "description": format!("property {i}")}),
        1 => json!({"type": "string", "maxLength": 64}),
        2 => json!({"type": ["string", "null"]}),
        3 => json!({"type": "array", "items": {"type": "number"}}),
        4 => {
            json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "boolean"}}})
        }
        _ => json!({"$ref": "#/definitions/kind"}),
    }
}

/// An object schema with the first `n` properties (and `extra` more, the last one new).
fn json_schema(n: usize) -> String {
    let mut props = Map::new();
    for i in 0..n {
        props.insert(format!("p{i:03}"), json_property(i));
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "definitions": {"kind": {"type": "string", "enum": ["A", "B", "C"]}},
        "properties": props,
        "required": ["p000", "p001"],
    })
    .to_string()
}

fn avro_field(i: usize) -> Value {
    let ty = match i % 6 {
        0 => json!("int"),
        1 => json!("string"),
        2 => json!(["null", "string"]),
        3 => json!({"type": "array", "items": "double"}),
        4 => {
            json!({"type": "record", "name": format!("R{i}"), "fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "boolean"}]})
        }
        _ => json!("Kind"),
    };
    let mut f = json!({"name": format!("p{i:03}"), "type": ty});
    if i >= 2 {
        f["default"] = match i % 6 {
            0 => json!(0),
            1 => json!(""),
            2 => Value::Null,
            3 => json!([]),
            4 => json!({"a": "", "b": false}),
            _ => json!("A"),
        };
    }
    f
}

fn avro_schema(n: usize) -> String {
    let mut fields = vec![
        json!({"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B", "C"]}, "default": "A"}),
    ];
    fields.extend((0..n).map(avro_field));
    json!({"type": "record", "name": "Wide", "namespace": "bench", "fields": fields}).to_string()
}

fn candidate(t: SchemaType, text: &str) -> Candidate<'_> {
    Candidate {
        schema_type: t,
        schema: text,
        refs: vec![],
    }
}

fn check(t: SchemaType, level: Level, new: &str, older: &[String]) -> Vec<String> {
    let previous: Vec<Previous<'_>> = older
        .iter()
        .enumerate()
        .map(|(i, s)| Previous {
            version: i32::try_from(i + 1).ok(),
            schema: candidate(t, s),
        })
        .collect();
    compat::check(level, &candidate(t, new), &previous)
}

fn main() {
    let runs = runs();
    let json_text = json_schema(PROPERTIES);
    let avro_text = avro_schema(PROPERTIES);
    println!(
        "schemas: JSON {} bytes, Avro {} bytes ({PROPERTIES} properties/fields); median of {runs} runs",
        json_text.len(),
        avro_text.len()
    );

    let jf = schema::format(SchemaType::Json).expect("JSON format");
    let af = schema::format(SchemaType::Avro).expect("Avro format");
    let (t_json, ok) = median(runs, || {
        jf.parse(&json_text, &[], true)
            .and_then(|p| jf.validate(&json_text, &[], false).map(|()| p))
            .is_ok()
    });
    assert!(ok, "the JSON schema is valid");
    let (t_avro, ok) = median(runs, || af.parse(&avro_text, &[], true).is_ok());
    assert!(ok, "the Avro schema is valid");
    println!("registration's schema work (parse + canonical + normalized + validation):");
    println!("  JSON Schema  {:>10.3?}", t_json);
    println!("  Avro (ref.)  {:>10.3?}", t_avro);

    let json_new = json_schema(PROPERTIES + 1);
    let avro_new = avro_schema(PROPERTIES + 1);
    for level in [Level::Backward, Level::Full] {
        let (tj, mj) = median(runs, || {
            check(
                SchemaType::Json,
                level,
                &json_new,
                std::slice::from_ref(&json_text),
            )
        });
        let (ta, ma) = median(runs, || {
            check(
                SchemaType::Avro,
                level,
                &avro_new,
                std::slice::from_ref(&avro_text),
            )
        });
        println!(
            "compatibility {} against 1 version: JSON {:>10.3?} ({} messages)   Avro {:>10.3?} ({} messages)",
            level.as_str(),
            tj,
            mj.len(),
            ta,
            ma.len()
        );
    }
    let json_versions: Vec<String> = (1..=100).map(|k| json_schema(100 + k)).collect();
    let avro_versions: Vec<String> = (1..=100).map(|k| avro_schema(100 + k)).collect();
    let (tj, mj) = median(runs, || {
        check(
            SchemaType::Json,
            Level::FullTransitive,
            &json_new,
            &json_versions,
        )
    });
    let (ta, ma) = median(runs, || {
        check(
            SchemaType::Avro,
            Level::FullTransitive,
            &avro_new,
            &avro_versions,
        )
    });
    println!(
        "compatibility FULL_TRANSITIVE against 100 versions: JSON {:>10.3?} ({} messages)   Avro {:>10.3?} ({} messages)",
        tj,
        mj.len(),
        ta,
        ma.len()
    );
}

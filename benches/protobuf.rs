//! Micro-benchmarks of the Protobuf path (no server, no I/O), side by side with the Avro path
//! on a record of the same shape as the reference, timed with `std::time` only.
//! Run: `cargo bench --bench protobuf` (`PROTO_BENCH_RUNS=N` sets the runs per measurement,
//! default 5; the median is reported).
//!
//! 1. Registration's schema work: read, canonical and normalized text, and validation
//!    (descriptor building) of a proto3 message with 300 fields (scalars, repeated, maps,
//!    nested messages, an enum, `google.protobuf.Timestamp` from the bundled files), against
//!    Avro's parse of a 300-field record.
//! 2. Compatibility: the 300-field file plus one field checked against the 300-field one at
//!    BACKWARD and FULL, and at FULL_TRANSITIVE against 100 earlier versions (version k has
//!    the first 200 + k fields), against Avro's same checks.

use schema_registry::compat::{self, Candidate, Previous};
use schema_registry::model::{Level, SchemaType};
use schema_registry::schema;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

const FIELDS: usize = 300;

fn runs() -> usize {
    std::env::var("PROTO_BENCH_RUNS")
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

/// A proto3 file whose message `Wide` has the first `n` fields.
fn proto(n: usize) -> String {
    let mut s = String::from(
        "syntax = \"proto3\";\npackage bench.v1;\n\nimport \"google/protobuf/timestamp.proto\";\n\n\
         option java_package = \"com.example.bench\";\n\n\
         enum Kind {\n  KIND_UNSPECIFIED = 0;\n  KIND_A = 1;\n  KIND_B = 2;\n}\n\n\
         message Pair {\n  string a = 1;\n  bool b = 2;\n}\n\nmessage Wide {\n",
    );
    for i in 0..n {
        let tag = i + 1;
        let line = match i % 6 {
            0 => format!("  int64 p{i:03} = {tag};\n"),
            1 => format!("  string p{i:03} = {tag} [deprecated = true];\n"),
            2 => format!("  repeated double p{i:03} = {tag};\n"),
            3 => format!("  map<string, int32> p{i:03} = {tag};\n"),
            4 => format!("  Pair p{i:03} = {tag};\n"),
            _ => {
                if i % 12 == 5 {
                    format!("  Kind p{i:03} = {tag};\n")
                } else {
                    format!("  google.protobuf.Timestamp p{i:03} = {tag};\n")
                }
            }
        };
        s.push_str(&line);
    }
    let _ = writeln!(s, "}}");
    s
}

fn avro_field(i: usize) -> Value {
    // Each field has a default, so adding one is compatible both ways (as in proto3).
    let (ty, default) = match i % 6 {
        0 => (json!("long"), json!(0)),
        1 => (json!("string"), json!("")),
        2 => (json!({"type": "array", "items": "double"}), json!([])),
        3 => (json!({"type": "map", "values": "int"}), json!({})),
        4 => (
            json!({"type": "record", "name": format!("R{i}"), "fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "boolean"}]}),
            json!({"a": "", "b": false}),
        ),
        _ => (json!("Kind"), json!("A")),
    };
    json!({"name": format!("p{i:03}"), "type": ty, "default": default})
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
    let proto_text = proto(FIELDS);
    let avro_text = avro_schema(FIELDS);
    println!(
        "schemas: Protobuf {} bytes, Avro {} bytes ({FIELDS} fields); median of {runs} runs",
        proto_text.len(),
        avro_text.len()
    );

    let pf = schema::format(SchemaType::Protobuf).expect("Protobuf format");
    let af = schema::format(SchemaType::Avro).expect("Avro format");
    let (t_proto, ok) = median(runs, || {
        pf.parse(&proto_text, &[], true)
            .and_then(|p| pf.validate(&proto_text, &[], false).map(|()| p))
    });
    if let Err(e) = &ok {
        panic!("the Protobuf schema is valid: {e}");
    }
    let (t_ser, ser) = median(runs, || pf.formatted(&proto_text, &[], "serialized"));
    assert!(matches!(ser, Ok(Some(_))), "serialized form: {ser:?}");
    let (t_avro, ok) = median(runs, || af.parse(&avro_text, &[], true).is_ok());
    assert!(ok, "the Avro schema is valid");
    println!("registration's schema work (parse + canonical + normalized + validation):");
    println!("  Protobuf     {:>10.3?}", t_proto);
    println!("  Avro (ref.)  {:>10.3?}", t_avro);
    println!(
        "format=serialized (base64 FileDescriptorProto): {:>10.3?}",
        t_ser
    );

    let proto_new = proto(FIELDS + 1);
    let avro_new = avro_schema(FIELDS + 1);
    for level in [Level::Backward, Level::Full] {
        let (tp, mp) = median(runs, || {
            check(
                SchemaType::Protobuf,
                level,
                &proto_new,
                std::slice::from_ref(&proto_text),
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
            "compatibility {} against 1 version: Protobuf {:>10.3?} ({} messages)   Avro {:>10.3?} ({} messages)",
            level.as_str(),
            tp,
            mp.len(),
            ta,
            ma.len()
        );
    }
    let proto_versions: Vec<String> = (1..=100).map(|k| proto(200 + k)).collect();
    let avro_versions: Vec<String> = (1..=100).map(|k| avro_schema(200 + k)).collect();
    let (tp, mp) = median(runs, || {
        check(
            SchemaType::Protobuf,
            Level::FullTransitive,
            &proto_new,
            &proto_versions,
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
        "compatibility FULL_TRANSITIVE against 100 versions: Protobuf {:>10.3?} ({} messages)   Avro {:>10.3?} ({} messages)",
        tp,
        mp.len(),
        ta,
        ma.len()
    );
}

//! Unit tests of the Jackson-compatible JSON reader and writer.

use super::read::java_parse_double;
use super::write::{java_double, java_float};
use super::*;

#[test]
fn java_number_layout() {
    let cases: &[(f64, &str)] = &[
        (1.0, "1.0"),
        (1.5, "1.5"),
        (-2.25, "-2.25"),
        (100.0, "100.0"),
        (1234567.0, "1234567.0"),
        (1.0e7, "1.0E7"),
        (1.0e10, "1.0E10"),
        (12345678.9, "1.23456789E7"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (1.25e-5, "1.25E-5"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (0.1, "0.1"),
        (f64::MAX, "1.7976931348623157E308"),
    ];
    for (v, want) in cases {
        assert_eq!(java_double(*v), *want, "{v}");
    }
    assert_eq!(java_float(0.1), "0.1");
    assert_eq!(java_float(1.0e10), "1.0E10");
    assert_eq!(java_parse_double(" 1.5d ").ok(), Some(1.5));
    assert_eq!(java_parse_double("-Infinity").ok(), Some(f64::NEG_INFINITY));
    assert_eq!(
        java_parse_double("abc").err().map(|e| e.0),
        Some("For input string: \"abc\"".to_string())
    );
}

/// Reads a whole document as the Avro parser does: one value, then only white space.
fn read(text: &str) -> Result<Json, JsonError> {
    let mut reader = JsonReader::new(text);
    let value = reader
        .root()?
        .ok_or_else(|| JsonError("no value".to_string()))?;
    let rest = text
        .get(reader.i..)
        .unwrap_or("")
        .trim_matches(|c: char| c <= ' ');
    if !rest.is_empty() {
        return Err(JsonError(format!("dangling content: {rest}")));
    }
    Ok(value)
}

#[test]
fn reader_follows_jacksons_rules() {
    let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    assert!(read(&deep(MAX_JSON_DEPTH)).is_ok());
    assert!(read(&deep(MAX_JSON_DEPTH + 1)).is_err());
    let v = read(
        r#" /* c */ {"a": [1, 2.5, "x\ud800"], "a": 1e999, "b": 123456789012345678901234567890}"#,
    )
    .expect("reads");
    assert_eq!(
        v.to_json_string(),
        r#"{"a":"Infinity","b":123456789012345678901234567890}"#
    );
    assert!(read("").is_err());
    assert!(read("1 2").is_err());
    assert!(read("1 // dangling, as in Avro").is_err());
    assert!(read("{").is_err());
}

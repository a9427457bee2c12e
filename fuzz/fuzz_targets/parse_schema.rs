//! Fuzzes the Avro schema parser (`schema::avro::parse`, strict and lax) and the Avro
//! compatibility checker. For every input that parses:
//! - the canonical text parses again, to the same canonical text (and the same defined names);
//! - the normalized text parses again, to the same normalized text (unless a property key
//!   needs escaping: Confluent writes those keys raw into the normalized text);
//! - the schema is compatible with itself (`compat::avro::incompatibilities` of the canonical
//!   text against itself is empty), except for what Avro's Java checker itself rejects: a
//!   field whose aliases match several fields of the same record.
//!
//! Any panic, and any of these checks failing, is a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use schema_registry::compat::avro::incompatibilities;
use schema_registry::schema::avro::parse;

/// Java's checker aborts when a reader field matches two writer fields (by name and
/// aliases), even for a schema checked against itself; Confluent reports it as one message.
fn ambiguous_aliases(messages: &[String]) -> bool {
    messages.len() == 1 && messages[0].contains("matches multiple fields in writer record schema")
}

/// Confluent writes property keys into the normalized text unescaped
/// (`AvroSchemaUtils.setSimpleProps`), and so does the parser: a key with `"`, `\` or a control
/// character changes at each normalization, or makes the normalized text invalid JSON. Such
/// texts are left out of the normalized-text checks.
fn has_key_needing_escape(normalized: &str) -> bool {
    fn walk(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Array(items) => items.iter().any(walk),
            serde_json::Value::Object(m) => m
                .iter()
                .any(|(k, v)| k.chars().any(|c| c == '"' || c == '\\' || c < ' ') || walk(v)),
            _ => false,
        }
    }
    match serde_json::from_str(normalized) {
        Ok(v) => walk(&v),
        // Too deep for serde_json: be conservative.
        Err(_) => normalized.contains('\\'),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for strict in [true, false] {
        let Ok(p) = parse(text, &[], strict) else {
            continue;
        };
        let again = parse(&p.canonical, &[], strict).unwrap_or_else(|e| {
            panic!(
                "canonical text does not parse again (strict={strict}): {e}\ncanonical: {}",
                p.canonical
            )
        });
        assert_eq!(
            again.canonical, p.canonical,
            "canonical text is not stable (strict={strict})"
        );
        assert_eq!(
            again.defined_names, p.defined_names,
            "defined names change (strict={strict})"
        );
        if !has_key_needing_escape(&p.normalized) {
            let n = parse(&p.normalized, &[], strict).unwrap_or_else(|e| {
                panic!(
                    "normalized text does not parse again (strict={strict}): {e}\nnormalized: {}",
                    p.normalized
                )
            });
            assert_eq!(
                n.normalized, p.normalized,
                "normalized text is not stable (strict={strict})"
            );
        }
        let issues = incompatibilities(&p.canonical, &[], &p.canonical, &[], true);
        assert!(
            issues.is_empty() || ambiguous_aliases(&issues),
            "schema is not compatible with itself: {issues:?}\ncanonical: {}",
            p.canonical
        );
    }
});

//! Fuzzes the JSON Schema path: reading (`schema::json::parse`), validation (the format's
//! `validate`) and the compatibility checker (`compat::json`). The input is one document, or two
//! separated by a NUL byte (old, then new). For every document that reads:
//! - the canonical text reads again to the same canonical text, and the normalized text to the
//!   same normalized text;
//! - validation answers (any verdict) and the document is compatible with itself;
//! - two documents are compared both ways and at both policies without a panic or a hang.
//!
//! Any panic, and any of these checks failing, is a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use schema_registry::compat::json::{compare, prepare};
use schema_registry::model::SchemaType;
use schema_registry::schema::{self, json::parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let format = schema::format(SchemaType::Json).expect("JSON Schema is a format");
    let mut docs = Vec::new();
    for part in text.splitn(2, '\0') {
        let Ok(p) = parse(part) else {
            continue;
        };
        let again = parse(&p.canonical).expect("canonical text reads again");
        assert_eq!(again.canonical, p.canonical, "canonical text is not stable");
        let n = parse(&p.normalized).expect("normalized text reads again");
        assert_eq!(n.normalized, p.normalized, "normalized text is not stable");
        let valid = format.validate(part, &[], true).is_ok();
        let prepared = prepare(&p.canonical, &[]);
        if valid {
            let issues = compare(&prepared, &prepared, true, false);
            assert!(
                issues.is_empty(),
                "schema is not compatible with itself: {issues:?}\ncanonical: {}",
                p.canonical
            );
        }
        docs.push(prepared);
    }
    if let [old, new] = docs.as_slice() {
        for lenient in [false, true] {
            let _ = compare(new, old, true, lenient);
            let _ = compare(old, new, false, lenient);
        }
    }
});

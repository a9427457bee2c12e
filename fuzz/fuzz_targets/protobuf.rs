//! Fuzzes the Protobuf path: reading (`.proto` text or a base64 `FileDescriptorProto`), the
//! printer (canonical and normalized text), validation, `format=serialized` and the
//! compatibility checker (`compat::protobuf`). The input is one file, or two separated by a NUL
//! byte (old, then new). For every file that reads:
//! - the canonical text reads again to the same canonical text (the printer is a fixed point);
//! - validation and the serialized form answer (any verdict), and a valid file is compatible
//!   with itself;
//! - two files are compared both ways without a panic or a hang.
//!
//! Any panic, and any of these checks failing, is a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use schema_registry::compat::protobuf::{compare, prepare};
use schema_registry::model::SchemaType;
use schema_registry::schema;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let format = schema::format(SchemaType::Protobuf).expect("Protobuf is a format");
    let mut files = Vec::new();
    for part in text.splitn(2, '\0') {
        let Ok(p) = format.parse(part, &[], false) else {
            continue;
        };
        let again = format
            .parse(&p.canonical, &[], false)
            .expect("canonical text reads again");
        assert_eq!(again.canonical, p.canonical, "canonical text is not stable");
        let valid = format.validate(part, &[], false).is_ok();
        let _ = format.formatted(part, &[], "serialized");
        let _ = format.formatted(part, &[], "ignore_extensions");
        let prepared = prepare(&p.canonical, &[]);
        if valid {
            let issues = compare(&prepared, &prepared, true);
            assert!(
                issues.is_empty(),
                "schema is not compatible with itself: {issues:?}\ncanonical: {}",
                p.canonical
            );
        }
        files.push(prepared);
    }
    if let [old, new] = files.as_slice() {
        let _ = compare(new, old, true);
        let _ = compare(old, new, false);
    }
});

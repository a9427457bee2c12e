//! Fuzzes the Protobuf path: reading (`.proto` text or a base64 `FileDescriptorProto`), the
//! printer (canonical and normalized text), validation, `format=serialized` and the
//! compatibility checker (`compat::protobuf`). The input is one file, or two separated by a NUL
//! byte (old, then new). For every file that reads:
//! - the canonical text reads again to the same canonical text (the printer is a fixed point,
//!   where the text has no backslash and no string over several lines);
//! - validation and the serialized form answer (any verdict), and a valid file is compatible
//!   with itself (or the check fails as Confluent's throws: one "Unexpected exception" line);
//! - two files are compared both ways without a panic or a hang.
//!
//! Any panic, and any of these checks failing, is a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use schema_registry::compat::protobuf::{compare, prepare};
use schema_registry::model::SchemaType;
use schema_registry::schema;

const EXCEPTION_PREFIX: &str = "Unexpected exception during compatibility check: ";

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
        // Confluent's validation builds no descriptor, so it accepts files protoc would refuse
        // (duplicate field numbers, …), and its diff can find such a file incompatible with
        // itself (two fields on one tag: `MessageSchemaDiff` keys fields by tag). The
        // self-compatibility check below is for files a descriptor pool also accepts.
        let valid = format.validate(part, &[], false).is_ok() && builds_descriptor(format, part);
        // Wire's printer writes strings (import paths, reserved names) verbatim while its
        // reader unescapes them (`\\s` reads as `\s`, which reads as `s`; a path ending in
        // `\` no longer reads at all), and indents every line of a nested element, those
        // inside a string too; so Confluent's canonical text is not a fixed point (or not
        // readable) when it holds a backslash or a string over several lines (a line with an
        // odd number of quotes). Nor is it for files protoc would refuse (a default that does not
        // fit the field's type prints as an enum name). Otherwise it must read again to itself.
        let multiline_string = p.canonical.lines().any(|l| l.matches('"').count() % 2 == 1);
        if valid && !p.canonical.contains('\\') && !multiline_string {
            let again = format
                .parse(&p.canonical, &[], false)
                .expect("canonical text reads again");
            assert_eq!(again.canonical, p.canonical, "canonical text is not stable");
        } else {
            let _ = format.parse(&p.canonical, &[], false);
        }
        let _ = format.formatted(part, &[], "serialized");
        let _ = format.formatted(part, &[], "ignore_extensions");
        let prepared = prepare(&p.canonical, &[]);
        if valid {
            // Confluent's diff throws on some files that validate (a `map_entry` message
            // without `key`/`value` used as a field type: `Context.TypeElementInfo.getMapType`
            // dereferences the missing field), reported as one "Unexpected exception" line;
            // any other difference of a file with itself is a bug.
            let issues = compare(&prepared, &prepared, true);
            assert!(
                issues.iter().all(|i| i.starts_with(EXCEPTION_PREFIX)),
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

/// Whether the file's `format=serialized` descriptor builds in prost-reflect's pool (which
/// holds the google/protobuf files; a file importing anything else counts as not building).
fn builds_descriptor(format: &dyn schema::Format, text: &str) -> bool {
    use base64::Engine;
    use prost::Message;
    let Ok(Some(b64)) = format.formatted(text, &[], "serialized") else {
        return false;
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) else {
        return false;
    };
    let Ok(file) = prost_types::FileDescriptorProto::decode(bytes.as_slice()) else {
        return false;
    };
    let mut pool = prost_reflect::DescriptorPool::global();
    pool.add_file_descriptor_proto(file).is_ok()
}

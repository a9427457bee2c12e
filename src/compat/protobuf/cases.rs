//! Rules of Confluent's diff checked difference by difference (compatible ones included, in
//! Confluent's order). The cases are derived from the scenarios of 7.9's
//! `protobuf-provider/src/test/java/.../protobuf/diff/SchemaDiffTest.java` and its resource
//! `diff-schema-examples.json` (the rule each exercises, with our own schemas).

use super::*;

/// Every difference of `original` → `update` as `KIND #/path`, and whether all are compatible.
fn diffs(
    original: &str,
    original_refs: &[Dependency],
    update: &str,
    update_refs: &[Dependency],
) -> (Vec<String>, bool) {
    let (o, u) = (
        prepare(original, original_refs),
        prepare(update, update_refs),
    );
    let d = differences(&u, &o).unwrap_or_else(|e| panic!("diff failed: {e}"));
    let compatible = d.iter().all(|x| x.kind.is_compatible());
    (
        d.iter()
            .map(|x| format!("{} {}", x.kind.as_str(), x.path))
            .collect(),
        compatible,
    )
}

fn local(original: &str, update: &str) -> (Vec<String>, bool) {
    diffs(original, &[], update, &[])
}

#[test]
fn changed_field_number_is_a_removal_and_an_addition() {
    // "Detect changed field number".
    let (d, ok) = local(
        "syntax = \"proto3\"; message M { string s = 1; }",
        "syntax = \"proto3\"; message M { string s = 2; }",
    );
    assert_eq!(d, ["FIELD_REMOVED #/M/1", "FIELD_ADDED #/M/2"]);
    assert!(ok);
}

#[test]
fn number_to_enum_is_compatible() {
    // "Detect field number type to enum change": enums are general numbers.
    let (d, ok) = local(
        "syntax = \"proto3\"; message M { int32 n = 2; }",
        "syntax = \"proto3\"; message M { Level n = 2; } enum Level { LOW = 0; HIGH = 1; }",
    );
    assert_eq!(d, ["ENUM_ADDED #/Level"]);
    assert!(ok);
}

#[test]
fn number_to_nested_message_named_like_an_enum() {
    // "Detect field number type to message with same name as enum": the absolute name picks
    // the nested message, so the kind changes.
    let (d, ok) = local(
        "syntax = \"proto3\"; message M { int32 n = 2; }",
        "syntax = \"proto3\"; message M { .M.Level n = 2; message Level { string s = 1; } } \
         enum Level { LOW = 0; }",
    );
    assert_eq!(
        d,
        [
            "FIELD_KIND_CHANGED #/M/2",
            "MESSAGE_ADDED #/M/Level",
            "ENUM_ADDED #/Level"
        ]
    );
    assert!(!ok);
}

#[test]
fn enum_constant_renamed() {
    // "Detect enum const change".
    let (d, ok) = local(
        "syntax = \"proto3\"; message M { Level l = 1; } enum Level { LOW = 0; HIGH = 1; }",
        "syntax = \"proto3\"; message M { Level l = 1; } enum Level { LOW = 0; TOP = 1; }",
    );
    assert_eq!(d, ["ENUM_CONST_CHANGED #/Level/1"]);
    assert!(ok);
}

#[test]
fn several_fields_into_a_new_oneof() {
    // "Detect incompatible field to oneof change".
    let (d, ok) = local(
        "syntax = \"proto3\"; message M { string a = 1; string b = 2; }",
        "syntax = \"proto3\"; message M { oneof o { string a = 1; string b = 2; int32 c = 3; } }",
    );
    assert_eq!(
        d,
        ["MULTIPLE_FIELDS_MOVED_TO_ONEOF #/M/o", "ONEOF_ADDED #/M/o"]
    );
    assert!(!ok);
}

#[test]
fn field_into_an_existing_oneof() {
    // "Detect incompatible move field to oneof".
    let (d, ok) = local(
        "syntax = \"proto3\"; message M { string a = 1; oneof o { string b = 2; string c = 3; } }",
        "syntax = \"proto3\"; message M { oneof o { string a = 1; string b = 2; string c = 3; } }",
    );
    assert_eq!(
        d,
        [
            "FIELD_MOVED_TO_EXISTING_ONEOF #/M/o",
            "ONEOF_FIELD_ADDED #/M/o/1"
        ]
    );
    assert!(!ok);
}

#[test]
fn field_into_a_renamed_oneof() {
    // "Detect incompatible move field to renamed oneof": oneofs are matched by name.
    let (d, ok) = local(
        "syntax = \"proto3\"; message M { string a = 1; oneof o { string b = 2; string c = 3; } }",
        "syntax = \"proto3\"; message M { oneof o2 { string a = 1; string b = 2; string c = 3; } }",
    );
    assert_eq!(
        d,
        [
            "FIELD_MOVED_TO_EXISTING_ONEOF #/M/o2",
            "ONEOF_ADDED #/M/o2",
            "ONEOF_REMOVED #/M/o"
        ]
    );
    assert!(!ok);
}

#[test]
fn message_type_renamed() {
    // "Detect incompatible field type change" (a renamed message type).
    let (d, ok) = local(
        "syntax = \"proto3\"; message M { X x = 2; } message X { string s = 1; }",
        "syntax = \"proto3\"; message M { Y x = 2; } message Y { string s = 1; }",
    );
    let mut sorted = d.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "FIELD_NAMED_TYPE_CHANGED #/M/2",
            "MESSAGE_ADDED #/Y",
            "MESSAGE_REMOVED #/X"
        ]
    );
    assert!(!ok);
}

#[test]
fn numeric_label_change() {
    // "Detect incompatible field label change for number" / "... for string" (compatible).
    let (d, ok) = local(
        "syntax = \"proto3\"; message M { optional int32 n = 1; }",
        "syntax = \"proto3\"; message M { repeated int32 n = 1; }",
    );
    assert_eq!(d, ["FIELD_NUMERIC_LABEL_CHANGED #/M/1"]);
    assert!(!ok);
    let (d, ok) = local(
        "syntax = \"proto3\"; message M { optional string s = 1; }",
        "syntax = \"proto3\"; message M { repeated string s = 1; }",
    );
    assert_eq!(d, ["FIELD_STRING_OR_BYTES_LABEL_CHANGED #/M/1"]);
    assert!(ok);
}

#[test]
fn message_index_change() {
    // "Detect compatible message index change".
    let (d, ok) = local(
        "syntax = \"proto3\"; message M { string s = 1; }",
        "syntax = \"proto3\"; message N { string s = 1; } message M { string s = 1; }",
    );
    // Names in Java `HashSet` order: "M" (hash 77) before "N" (78).
    assert_eq!(d, ["MESSAGE_MOVED #/M", "MESSAGE_ADDED #/N"]);
    assert!(ok);
}

const DEP_V1: &str = "syntax = \"proto3\"; package acme.home; message Device { int32 id = 1; \
                      bool on = 2; }";
const DEP_V2: &str = "syntax = \"proto3\"; package acme.home; message Device { string id = 1; \
                      bool on = 2; }";

#[test]
fn imported_type_changed_incompatibly() {
    // "Detect incompatible import change": the imported messages are compared, their
    // difference kept with its own path, then the field's type is incompatible.
    let (d, ok) = diffs(
        "syntax = \"proto3\"; import \"dev.proto\"; message M { .acme.home.Device d = 1; }",
        &[Dependency::new("dev.proto", DEP_V1)],
        "syntax = \"proto3\"; import \"dev2.proto\"; message M { .acme.home.Device d = 1; }",
        &[Dependency::new("dev2.proto", DEP_V2)],
    );
    assert_eq!(
        d,
        [
            "FIELD_SCALAR_KIND_CHANGED #/Device/1",
            "FIELD_NAMED_TYPE_CHANGED #/M/1"
        ]
    );
    assert!(!ok);
}

#[test]
fn same_reference_is_not_compared() {
    // Same subject and version on both sides (here: same import and text): nothing compared.
    let (d, ok) = diffs(
        "syntax = \"proto3\"; import \"dev.proto\"; message M { .acme.home.Device d = 1; }",
        &[Dependency::new("dev.proto", DEP_V1)],
        "syntax = \"proto3\"; import \"dev.proto\"; message M { acme.home.Device d = 1; }",
        &[Dependency::new("dev.proto", DEP_V1)],
    );
    assert!(d.is_empty(), "{d:?}");
    assert!(ok);
}

#[test]
fn moving_a_message_to_an_import() {
    // "Detect moving to import" / "Detect moving from import": the local names match (package
    // stripped) and the messages agree; only the top-level message's removal counts.
    let local_text = "syntax = \"proto3\"; message M { Device d = 1; } \
                      message Device { int32 id = 1; bool on = 2; }";
    let imported = "syntax = \"proto3\"; import \"dev.proto\"; \
                    message M { .acme.home.Device d = 1; }";
    let refs = [Dependency::new("dev.proto", DEP_V1)];
    let (d, ok) = diffs(local_text, &[], imported, &refs);
    assert_eq!(d, ["MESSAGE_REMOVED #/Device"]);
    assert!(!ok);
    let (d, ok) = diffs(imported, &refs, local_text, &[]);
    assert_eq!(d, ["MESSAGE_ADDED #/Device"]);
    assert!(ok);
}

#[test]
fn recursive_imported_types_terminate() {
    // `Context.enterSchema`: a message already being compared is skipped.
    let dep = |t: &str| {
        format!("syntax = \"proto3\"; package q; message Node {{ Node next = 1; {t} v = 2; }}")
    };
    let (d, ok) = diffs(
        "syntax = \"proto3\"; import \"n.proto\"; message M { q.Node n = 1; }",
        &[Dependency::new("n.proto", dep("int32"))],
        "syntax = \"proto3\"; import \"n.proto\"; message M { q.Node n = 1; }",
        &[Dependency::new("n.proto", dep("string"))],
    );
    assert_eq!(
        d,
        [
            "FIELD_SCALAR_KIND_CHANGED #/Node/2",
            "FIELD_NAMED_TYPE_CHANGED #/M/1"
        ]
    );
    assert!(!ok);
}

#[test]
fn unreadable_schema_is_one_exception_message() {
    let bad = prepare("message {", &[]);
    let good = prepare("syntax = \"proto3\"; message M { int32 a = 1; }", &[]);
    let msgs = compare(&good, &bad, true);
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0].starts_with(EXCEPTION_PREFIX), "{msgs:?}");
}

#[test]
fn long_chains_of_imported_types_stop_at_the_depth_limit() {
    // Each imported message refers to the next: comparing them nests one sub-context per
    // message; past 128 the check reports a failure instead of recursing further.
    let chain = |last: &str| {
        let mut s = String::from("syntax = \"proto3\"; package q;\n");
        for i in 0..300 {
            s.push_str(&format!("message T{i} {{ T{} next = 1; }}\n", i + 1));
        }
        s.push_str(&format!("message T300 {{ {last} v = 1; }}\n"));
        s
    };
    let main = "syntax = \"proto3\"; import \"c.proto\"; message M { q.T0 t = 1; }";
    let o = prepare(main, &[Dependency::new("c.proto", chain("int32"))]);
    let u = prepare(main, &[Dependency::new("c.proto", chain("string"))]);
    let msgs = compare(&u, &o, true);
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(msgs[0].starts_with(EXCEPTION_PREFIX), "{msgs:?}");
}

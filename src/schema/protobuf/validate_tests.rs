//! Tests of `validate` and `bundled` against Confluent 7.9's recorded verdicts
//! (`tests/fixtures/confluent-7.9`, Apache-2.0) and the rules of Confluent's source, cited per test.

use super::bundled;
use super::descriptor_tests::{field, fixture, message, proto3};
use super::model::{
    Enum, EnumConstant, Extend, Label, OptionElement, OptionValue, ProtoFile, Rpc, Service,
    TypeElement,
};
use super::to_descriptor::{to_base64, DEFAULT_NAME};
use super::validate::validate;

// ---------------------------------------------------------------------------------------------
// validate

fn error(file: &ProtoFile, deps: &[(String, ProtoFile)]) -> String {
    match validate(file, deps) {
        Ok(()) => "ok".into(),
        Err(e) => e.0,
    }
}

/// ProtobufSchemaUtils.resolve: `Could not resolve type: X` (reg-proto-invalid#1, proto-bad-type).
#[test]
fn unresolvable_field_type_fails() {
    let file = proto3(vec![TypeElement::Message(message(
        "M",
        vec![field(None, "Missing", "a", 1)],
    ))]);
    assert_eq!(error(&file, &[]), "Could not resolve type: Missing");
}

/// refs-proto#3 (no reference: fails) and refs-proto#4 (reference under another name: the
/// Context indexes every reference's types whatever its name, so it resolves).
#[test]
fn reference_types_resolve_whatever_the_reference_name() {
    let dep = ProtoFile {
        package: Some("dep".into()),
        types: vec![TypeElement::Message(message("D", vec![]))],
        ..ProtoFile::default()
    };
    let mut file = proto3(vec![TypeElement::Message(message(
        "H",
        vec![field(None, "dep.D", "d", 1)],
    ))]);
    file.imports.push("dep.proto".into());
    assert_eq!(error(&file, &[]), "Could not resolve type: dep.D");
    assert_eq!(error(&file, &[("other.proto".into(), dep.clone())]), "ok");
    assert_eq!(error(&file, &[("dep.proto".into(), dep)]), "ok");
}

/// reg-proto-invalid#4 and #5, proto-dup-number, proto-missing-import, proto-unknown-option:
/// accepted (Confluent builds no descriptor when validating).
#[test]
fn lenient_where_confluent_is() {
    let mut file = proto3(vec![TypeElement::Message(message(
        "M",
        vec![field(None, "string", "a", 0), field(None, "string", "b", 0)],
    ))]);
    file.imports.push("missing.proto".into());
    if let TypeElement::Message(m) = &mut file.types[0] {
        m.fields[0].options.push(OptionElement {
            name: "foo.bar".into(),
            value: OptionValue::Number("3".into()),
            parenthesized: true,
        });
        // The printer resolves a map's value type only when it can.
        m.fields.push(field(None, "map<string, Nope>", "c", 3));
    }
    assert_eq!(error(&file, &[]), "ok");
}

/// Bundled files resolve without import or reference (proto-wkt, proto-google-type-date,
/// proto-decimal; KNOWN_DEPENDENCIES are always in the Context).
#[test]
fn bundled_types_resolve() {
    let file = proto3(vec![TypeElement::Message(message(
        "A",
        vec![
            field(None, "google.protobuf.Timestamp", "t", 1),
            field(None, "google.type.Money", "m", 2),
            field(None, ".google.type.Date", "d", 3),
            field(None, "confluent.type.Decimal", "x", 4),
            field(None, "google.protobuf.Struct", "s", 5),
        ],
    ))]);
    assert_eq!(error(&file, &[]), "ok");
}

/// Context.resolveFull: package and enclosing messages as prefixes, longest first; nested
/// enums and messages; leading-dot names as is.
#[test]
fn scoped_resolution() {
    let mut outer = message(
        "Outer",
        vec![
            field(None, "Inner", "i", 1),
            field(None, "Kind", "k", 2),
            field(None, ".a.b.Outer.Inner", "j", 3),
            field(None, "b.Outer", "o", 4),
        ],
    );
    outer.nested.push(TypeElement::Message(message(
        "Inner",
        vec![field(None, "Kind", "k", 1)],
    )));
    outer.nested.push(TypeElement::Enum(Enum {
        name: "Kind".into(),
        constants: vec![EnumConstant {
            name: "K0".into(),
            tag: 0,
            options: vec![],
        }],
        ..Enum::default()
    }));
    let mut file = proto3(vec![TypeElement::Message(outer)]);
    file.package = Some("a.b".into());
    assert_eq!(error(&file, &[]), "ok");
    let mut bad = file.clone();
    if let TypeElement::Message(m) = &mut bad.types[0] {
        m.fields.push(field(None, ".Outer", "x", 5));
    }
    assert_eq!(error(&bad, &[]), "Could not resolve type: .Outer");
}

/// Extend targets and rpc types are resolved too (ProtobufSchemaUtils: extends, RpcElement).
#[test]
fn extends_and_rpcs_are_resolved() {
    let mut file = proto3(vec![TypeElement::Message(message("M", vec![]))]);
    file.services.push(Service {
        name: "S".into(),
        rpcs: vec![Rpc {
            name: "Get".into(),
            request_type: "M".into(),
            response_type: "Resp".into(),
            ..Rpc::default()
        }],
        ..Service::default()
    });
    assert_eq!(error(&file, &[]), "Could not resolve type: Resp");
    let mut ext = proto3(vec![TypeElement::Message(message("M", vec![]))]);
    ext.extends.push(Extend {
        name: "Nope".into(),
        fields: vec![field(Some(Label::Optional), "int32", "x", 100)],
    });
    assert_eq!(error(&ext, &[]), "Could not resolve type: Nope");
}

/// The first unresolvable name in the normalized printer's order is reported: fields by tag.
#[test]
fn first_error_in_printer_order() {
    let file = proto3(vec![TypeElement::Message(message(
        "M",
        vec![field(None, "B", "b", 2), field(None, "A", "a", 1)],
    ))]);
    assert_eq!(error(&file, &[]), "Could not resolve type: A");
}

/// Import cycles among dependencies are errors, not loops (beyond Confluent, see validate.rs).
#[test]
fn import_cycles_are_errors() {
    let a = ProtoFile {
        imports: vec!["b.proto".into()],
        ..ProtoFile::default()
    };
    let b = ProtoFile {
        imports: vec!["a.proto".into()],
        ..ProtoFile::default()
    };
    let mut file = proto3(vec![]);
    file.imports.push("a.proto".into());
    let deps = vec![("a.proto".to_string(), a), ("b.proto".to_string(), b)];
    assert!(error(&file, &deps).starts_with("Import cycle"));
}

/// Deep nesting is an error, not a stack overflow.
#[test]
fn deep_nesting_is_an_error() {
    let mut m = message("M", vec![]);
    for _ in 0..500 {
        let mut outer = message("M", vec![]);
        outer.nested.push(TypeElement::Message(m));
        m = outer;
    }
    let file = proto3(vec![TypeElement::Message(m)]);
    assert!(validate(&file, &[]).is_err());
    assert!(to_base64(&file, DEFAULT_NAME, &[]).is_err());
    // Dropping a 500-deep tree recurses too; do it on a thread with room.
    let _ = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || drop(file))
        .map(|h| h.join());
}

// ---------------------------------------------------------------------------------------------
// bundled

/// ProtobufSchema.KNOWN_DEPENDENCIES: 2 confluent, 16 google/type, 11 google/protobuf files, all
/// of which compile and convert.
#[test]
fn bundled_files_are_all_there() {
    let names: Vec<&str> = bundled::names().collect();
    assert_eq!(names.len(), 29);
    for n in &names {
        assert!(bundled::is_bundled(n));
        let f = bundled::file(n).unwrap_or_else(|| panic!("{n} missing"));
        assert!(
            !f.types.is_empty() || n.ends_with("empty.proto") || !f.extends.is_empty(),
            "{n}"
        );
    }
    assert!(!bundled::is_bundled("google/type/localized_text.proto"));
    let meta = bundled::file("confluent/meta.proto").unwrap_or_default();
    assert_eq!(meta.package.as_deref(), Some("confluent"));
    assert_eq!(meta.extends.len(), 5);
    assert_eq!(meta.extends[0].fields[0].tag, 1088);
}

/// The compat corpus (`compat/corpus.json`, 38 Protobuf schemas): every schema the text parser
/// reads is accepted or refused by `validate` as Confluent recorded (`golden.json` `valid` /
/// `error`); schemas the parser cannot read (yet, or by design) are skipped and counted.
#[test]
fn corpus_validity_matches_confluent() {
    let corpus = fixture("compat/corpus.json");
    let golden = fixture("compat/golden.json");
    let (mut checked, mut total) = (0, 0);
    for s in corpus["schemas"].as_array().into_iter().flatten() {
        if s["type"] != "PROTOBUF" {
            continue;
        }
        total += 1;
        let id = s["id"].as_str().unwrap_or_default();
        let Ok(file) = super::parse::parse_text(s["schema"].as_str().unwrap_or_default()) else {
            continue;
        };
        let deps: Vec<(String, ProtoFile)> = s["refs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| {
                let text = r["schema"].as_str().unwrap_or_default();
                let dep = super::parse::parse_text(text).ok()?;
                Some((r["name"].as_str().unwrap_or_default().to_string(), dep))
            })
            .collect();
        let expected = &golden["schemas"][id];
        let got = validate(&file, &deps);
        if expected["valid"] == true {
            assert!(got.is_ok(), "{id}: {got:?}");
        } else if let Some(err) = expected["error"].as_str() {
            if err.starts_with("Could not resolve type") {
                assert_eq!(got.map_err(|e| e.0), Err(err.to_string()), "{id}");
            }
        }
        checked += 1;
    }
    eprintln!("corpus schemas validated: {checked}/{total}");
}

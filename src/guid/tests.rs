//! GUIDs against Confluent 8.3.1's own regression vectors
//! (`core/src/test/resources/schema-md5-golden-data.json`, checked by
//! `storage/SchemaMD5RegressionTest.java`): one schema with every combination of references,
//! metadata and rule set, and the GUID Confluent computes for each.

use super::*;
use crate::model::{Reference, SchemaType};
use serde_json::json;

const PERSON: &str = r#"{"type":"record","name":"Person","namespace":"io.confluent.kafka.example","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},{"name":"ssn","type":"string"},{"name":"user","type":"io.confluent.kafka.example.User"},{"name":"address","type":"io.confluent.kafka.example.Address"}]}"#;

fn references() -> Vec<Reference> {
    vec![
        Reference {
            name: "io.confluent.kafka.example.User".into(),
            subject: "User".into(),
            version: 1,
        },
        Reference {
            name: "io.confluent.kafka.example.Address".into(),
            subject: "Address".into(),
            version: 2,
        },
    ]
}

fn metadata() -> Json {
    // Given out of order on purpose: the digest sorts keys and set members.
    json!({
        "tags": {"team": ["data-engineering"], "environment": ["staging", "production"]},
        "properties": {"version": "1.0.0", "owner": "data-team", "description": "Person schema for user management"},
        "sensitive": ["ssn", "credit-card"]
    })
}

fn rule(name: &str, doc: &str, kind: &str, mode: &str, ty: &str, field: &str, expr: &str) -> Json {
    json!({
        "name": name, "doc": doc, "kind": kind, "mode": mode, "type": ty,
        "tags": ["PERSON"], "params": {"field": field}, "expr": expr,
        "onSuccess": "none", "onFailure": "error", "disabled": false
    })
}

fn rule_set() -> Json {
    json!({
        "migrationRules": [
            rule("upgrade-rule-1", "Upgrade rule for field changes", "TRANSFORM", "UPGRADE", "FIELD_UPDATE", "name", "field.name = field.name.toUpperCase()"),
            rule("downgrade-rule-1", "Downgrade rule for compatibility", "TRANSFORM", "DOWNGRADE", "FIELD_DELETE", "ssn", "delete field.ssn"),
        ],
        "domainRules": [
            rule("validation-rule-1", "Validate age field", "CONDITION", "WRITE", "FIELD_VALIDATION", "age", "field.age >= 0 && field.age <= 150"),
            rule("masking-rule-1", "Mask sensitive data on read", "TRANSFORM", "READ", "DATA_MASKING", "ssn", "field.ssn = '***-**-****'"),
        ]
    })
}

/// The 8 Avro vectors: the key's digits say whether references, metadata and the rule set are
/// present (in that order, as the regression test builds them).
#[test]
fn confluent_golden_guids() {
    let expected = [
        ("000", "d629bb05-ad85-3d20-fbcb-895de3c459f7"),
        ("001", "c0708b8f-65f6-b698-bffe-45c1dfa8987c"),
        ("010", "2034166c-90a8-1166-0ff2-f5f62c80dbe0"),
        ("011", "d9877161-cfdf-d8c5-4eb4-ab37ed50e9d5"),
        ("100", "5c08d70e-5347-41b2-6369-199425d044eb"),
        ("101", "96825311-eb10-b7f5-48be-2a023b4c018e"),
        ("110", "3619d8e0-2ee8-de51-0d9e-2520d39174d5"),
        ("111", "589556fb-ad98-e8e0-94fa-e6da3455433a"),
    ];
    for (bits, guid) in expected {
        let b: Vec<bool> = bits.chars().map(|c| c == '1').collect();
        let body = SchemaBody::new(
            SchemaType::Avro,
            PERSON.to_string(),
            if b[0] { references() } else { vec![] },
            b[1].then(metadata),
            b[2].then(rule_set),
        );
        assert_eq!(render(&of(&body)), guid, "vector {bits}");
        // The schema type is not part of the digest.
        let as_json = SchemaBody::new(
            SchemaType::Json,
            body.schema.clone(),
            body.references.clone(),
            body.metadata.clone(),
            body.rule_set.clone(),
        );
        assert_eq!(of(&as_json), of(&body));
    }
}

/// `MD5.fromString`: a UUID string in any case, or 32 hex digits; anything else is none.
#[test]
fn guids_parse_as_confluent_reads_them() {
    let g = parse("d629bb05-ad85-3d20-fbcb-895de3c459f7").expect("dashed");
    assert_eq!(render(&g), "d629bb05-ad85-3d20-fbcb-895de3c459f7");
    assert_eq!(parse("D629BB05-AD85-3D20-FBCB-895DE3C459F7"), Some(g));
    assert_eq!(parse("d629bb05ad853d20fbcb895de3c459f7"), Some(g));
    // Groups shorter than their width are numbers (Java's lenient UUID.fromString).
    assert_eq!(
        parse("1-2-3-4-5").map(|g| render(&g)).as_deref(),
        Some("00000001-0002-0003-0004-000000000005")
    );
    for bad in [
        "",
        "not-a-guid",
        "d629bb05-ad85-3d20-fbcb",
        "d629bb05-ad85-3d20-fbcb-895de3c459f7a",
        "d629bb05ad853d20fbcb895de3c459f",
        "g629bb05-ad85-3d20-fbcb-895de3c459f7",
        "d629bb05--3d20-fbcb-895de3c459f7",
    ] {
        assert_eq!(parse(bad), None, "{bad}");
    }
}

//! Data contracts over the real server: metadata and rule sets as Confluent binds, checks,
//! stores and merges them (8.3.1 `Rule`, `RuleSet.validate`, `Metadata`,
//! `AbstractSchemaRegistry.maybeSetMetadataRuleSet`, `SubjectVersionsResource.register`,
//! `ConfigResource.updateSubjectLevelConfig`; 7.9's `KafkaSchemaRegistry
//! .maybeSetMetadataRuleSet` merges the same way). Research notes:
//! `docs/notes/data-contracts-8x.md` (G1–G5, G11).

mod common;

use common::Server;
use serde_json::{json, Value};

const S1: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"#;
const S2: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":["null","string"],"default":null}]}"#;
const S3: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":["null","string"],"default":null},{"name":"c","type":["null","string"],"default":null}]}"#;

fn rule(name: &str, mode: &str, rule_type: &str) -> Value {
    json!({"name": name, "mode": mode, "type": rule_type})
}

fn names(v: &Value, list: &str) -> Vec<String> {
    v["ruleSet"][list]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `RuleSet.validate` (42210) runs on register (before the subject name is checked), on
/// config updates (after the level) and on tag edits; not on lookups.
#[tokio::test]
async fn invalid_rule_sets_are_refused_with_42210() {
    let server = Server::start();
    let cases = [
        (
            json!({"migrationRules": [{"name": "m", "type": "JSONATA", "expr": "$"}]}),
            "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN",
        ),
        (
            json!({"domainRules": [{"name": "x", "mode": "WRITE"}]}),
            "Missing rule type",
        ),
        (
            json!({"domainRules": [{"name": "1x", "type": "CEL"}]}),
            "Illegal initial character in rule name: 1x",
        ),
        (
            json!({"domainRules": [{"name": "", "type": "CEL"}]}),
            "Empty rule name",
        ),
        (
            json!({"domainRules": [rule("x", "WRITE", "CEL")], "encodingRules": [rule("x", "WRITE", "ENCRYPT")]}),
            "Found rule with duplicate name 'x'",
        ),
    ];
    for (rs, message) in cases {
        let (status, v) = server
            .post(
                "/subjects/s/versions",
                &json!({"schema": S1, "ruleSet": rs}),
            )
            .await;
        assert_eq!(
            (status, &v["error_code"], &v["message"]),
            (422, &json!(42210), &json!(message)),
            "{rs}"
        );
    }
    // Before the subject name (42208).
    let (status, v) = server
        .post(
            "/subjects/:.__GLOBAL:x/versions",
            &json!({"schema": S1, "ruleSet": {"domainRules": [{"name": "1x", "type": "CEL"}]}}),
        )
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42210)), "{v}");
    // An enum outside its values is a binding error (400).
    let (status, v) = server
        .post(
            "/subjects/s/versions",
            &json!({"schema": S1, "ruleSet": {"domainRules": [{"name": "x", "type": "CEL", "kind": "FOO"}]}}),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    // Config: after the level check.
    let bad = json!({"migrationRules": [rule("foo", "READ", "IGNORE")]});
    let (status, v) = server.put("/config", &json!({"defaultRuleSet": bad})).await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42210)), "{v}");
    let (status, v) = server
        .put(
            "/config/s",
            &json!({"compatibility": "BAD", "overrideRuleSet": bad}),
        )
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42203)), "{v}");
    // Tag edits.
    let (status, _) = server
        .post("/subjects/s/versions", &json!({"schema": S1}))
        .await;
    assert_eq!(status, 200);
    let (status, v) = server
        .post(
            "/subjects/s/versions/1/tags",
            &json!({"rulesToMerge": {"domainRules": [{"name": "1x", "type": "CEL"}]}}),
        )
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42210)), "{v}");
    // A lookup does not validate: not found.
    let (status, v) = server
        .post(
            "/subjects/s",
            &json!({"schema": S1, "ruleSet": {"domainRules": [{"name": "1x", "type": "CEL"}]}}),
        )
        .await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40403)), "{v}");
}

/// Rules and metadata are stored in Confluent's entity form: defaults filled, sorted, unknown
/// fields and empty lists dropped; two requests differing only in that are one version
/// (the form the Python client sends back: empty lists, `kind`/`mode` spelled out).
#[tokio::test]
async fn rule_sets_and_metadata_are_stored_in_confluents_form() {
    let server = Server::start();
    let (status, v) = server
        .post(
            "/subjects/n/versions",
            &json!({"schema": S1,
                    "metadata": {"properties": {"b": "1", "a": 2}, "sensitive": ["y", "x", "x"]},
                    "ruleSet": {"foo": 1, "domainRules": [{"name": "c", "type": "CEL",
                        "expr": "message.a != ''", "params": {"z": "1", "a": 2}, "bar": 2}]}}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let expected_rules = json!({"domainRules": [{"name": "c", "kind": "TRANSFORM", "mode": "WRITEREAD",
        "type": "CEL", "params": {"a": "2", "z": "1"}, "expr": "message.a != ''", "disabled": false}]});
    let (_, stored) = server.get("/subjects/n/versions/1").await;
    assert_eq!(stored["ruleSet"], expected_rules, "{stored}");
    assert_eq!(
        stored["metadata"].to_string(),
        r#"{"properties":{"a":"2","b":"1"},"sensitive":["x","y"]}"#
    );
    let (status, again) = server
        .post(
            "/subjects/n/versions",
            &json!({"schema": S1,
                    "metadata": {"sensitive": ["x", "y"], "properties": {"a": "2", "b": "1"}, "tags": {}},
                    "ruleSet": {"migrationRules": [], "encodingRules": [], "domainRules": [{"name": "c",
                        "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "CEL", "params": {"z": "1", "a": "2"},
                        "expr": "message.a != ''", "disabled": false, "tags": []}]}}),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["version"], 1, "the same schema: {again}");
    // A property value must be a string (or a scalar Jackson turns into one).
    let (status, v) = server
        .post(
            "/subjects/n/versions",
            &json!({"schema": S1, "metadata": {"properties": {"k": {"x": 1}}}}),
        )
        .await;
    assert_eq!(status, 400, "{v}");
}

/// Inheritance and config rule sets (`maybeSetMetadataRuleSet`): metadata and rule set are
/// inherited from the latest version each on its own; the config's `defaultRuleSet` goes
/// under, `overrideRuleSet` over (`RestApiCompatibilityTest` 616-789 in 8.3.1); nothing of
/// this in IMPORT mode.
#[tokio::test]
async fn rule_sets_are_inherited_and_merged_with_the_config() {
    let server = Server::start();
    let (status, _) = server
        .put(
            "/config/m",
            &json!({"compatibility": "NONE",
                    "defaultRuleSet": {"migrationRules": [rule("foo", "UPGRADE", "IGNORE")]}}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, v) = server
        .post(
            "/subjects/m/versions",
            &json!({"schema": S1, "ruleSet": {"migrationRules": [rule("bar", "UPGRADE", "type1")]}}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(names(&v, "migrationRules"), ["foo", "bar"], "{v}");
    let (_, v) = server
        .post("/subjects/m/versions", &json!({"schema": S2}))
        .await;
    assert_eq!(
        names(&v, "migrationRules"),
        ["foo", "bar"],
        "inherited: {v}"
    );
    let (_, v) = server
        .post(
            "/subjects/m/versions",
            &json!({"schema": S3, "ruleSet": {"migrationRules": [rule("zap", "UPGRADE", "type2")]}}),
        )
        .await;
    assert_eq!(names(&v, "migrationRules"), ["foo", "zap"], "{v}");
    let (_, v) = server.get("/schemas/ids/3?subject=m").await;
    assert_eq!(names(&v, "migrationRules"), ["foo", "zap"], "{v}");
    let (_, v) = server.get("/schemas?ruleType=type1").await;
    assert_eq!(v.as_array().map(Vec::len), Some(2), "{v}");
    let (_, v) = server.get("/schemas?ruleType=type1&latestOnly=true").await;
    assert_eq!(v, json!([]));

    // Metadata and rule set are inherited separately.
    let (status, _) = server
        .post(
            "/subjects/i/versions",
            &json!({"schema": S1, "metadata": {"properties": {"owner": "x"}},
                    "ruleSet": {"domainRules": [rule("c", "WRITE", "CEL")]}}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, v) = server
        .post(
            "/subjects/i/versions",
            &json!({"schema": S2, "metadata": {"properties": {"owner": "y"}}}),
        )
        .await;
    assert_eq!(names(&v, "domainRules"), ["c"], "{v}");
    assert_eq!(v["metadata"]["properties"]["owner"], "y");
    let (_, v) = server
        .post(
            "/subjects/i/versions",
            &json!({"schema": S3, "ruleSet": {"domainRules": [rule("d", "WRITE", "CEL")]}}),
        )
        .await;
    assert_eq!(v["metadata"]["properties"]["owner"], "y", "{v}");
    assert_eq!(names(&v, "domainRules"), ["d"]);

    // IMPORT: stored as sent.
    let (status, _) = server
        .put(
            "/config/imp",
            &json!({"overrideMetadata": {"properties": {"x": "1"}},
                    "defaultRuleSet": {"domainRules": [rule("d", "WRITE", "CEL")]}}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .put("/mode/imp?force=true", &json!({"mode": "IMPORT"}))
        .await;
    assert_eq!(status, 200);
    let (status, v) = server
        .post(
            "/subjects/imp/versions",
            &json!({"schema": S1, "id": 100, "version": 1}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = server.get("/subjects/imp/versions/1").await;
    assert!(
        v.get("metadata").is_none() && v.get("ruleSet").is_none(),
        "{v}"
    );
}

/// `validateRules` (8.2) is kept and answered.
#[tokio::test]
async fn validate_rules_is_kept_in_configs() {
    let server = Server::start();
    let (status, v) = server
        .put("/config/s", &json!({"validateRules": true}))
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = server.get("/config/s").await;
    assert_eq!(v["validateRules"], true, "{v}");
}

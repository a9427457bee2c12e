//! Schema tags over the real server: the rules the recorded sample does not show, read
//! from Confluent 7.9/8.3.1:
//! - `rulesToMerge` / `rulesToRemove` change the PREVIOUS version's rule set
//!   (`KafkaSchemaRegistry.maybeModifyPreviousRuleSet`, `RuleSet.mergeRuleSets`: old rules
//!   not named in the new list, then the new ones); giving `ruleSet` with either is 42210
//!   (`SubjectVersionsResource.modifyTags`);
//! - without them, the request's `ruleSet` is the new version's;
//! - a soft-deleted version is not found (`getUsingContexts(…, false)`);
//! - JSON Schema paths step through `properties` with dotted names joined word by word
//!   (`JsonSchemaUtils.findNodeFromNameBuilder`).

mod common;

use common::Server;
use serde_json::{json, Value};

fn rule(name: &str, expr: &str) -> Value {
    json!({"name": name, "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": expr})
}

fn names(v: &Value, list: &str) -> Vec<String> {
    v["ruleSet"][list]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    format!(
                        "{}={}",
                        r["name"].as_str().unwrap_or("?"),
                        r["expr"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

const USER: &str = r#"{"type":"record","name":"User","fields":[{"name":"ssn","type":"string"}]}"#;

#[tokio::test]
async fn rule_sets_are_merged_and_removed_on_tag_edits() {
    let server = Server::start();
    let (status, v) = server
        .post(
            "/subjects/u/versions",
            &json!({"schema": USER, "ruleSet": {"domainRules": [rule("A", "1"), rule("B", "2")],
                    "encodingRules": [rule("E", "9")]}}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let add_pii = json!([{"schemaEntity": {"entityPath": "User.ssn", "entityType": "sr_field"}, "tags": ["PII"]}]);

    // ruleSet with rulesToMerge: refused.
    let (status, v) = server
        .post(
            "/subjects/u/versions/1/tags",
            &json!({"tagsToAdd": add_pii, "ruleSet": {}, "rulesToMerge": {}}),
        )
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42210)), "{v}");
    assert_eq!(
        v["message"],
        "ruleSet should be omitted if specifying rulesToMerge or rulesToRemove"
    );

    let (status, v) = server
        .post(
            "/subjects/u/versions/1/tags",
            &json!({"newVersion": 2, "tagsToAdd": add_pii,
                    "rulesToMerge": {"domainRules": [rule("B", "20"), rule("C", "3")]}}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["version"], json!(2));
    assert_eq!(names(&v, "domainRules"), ["A=1", "B=20", "C=3"], "{v}");
    assert!(
        v["schema"]
            .as_str()
            .is_some_and(|s| s.contains(r#""confluent:tags":["PII"]"#)),
        "{v}"
    );

    let (status, v) = server
        .post(
            "/subjects/u/versions/2/tags",
            &json!({"newVersion": 3, "rulesToRemove": ["A", "E"]}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(names(&v, "domainRules"), ["B=20", "C=3"], "{v}");
    // All three lists are filtered (8.3.1 `maybeModifyPreviousRuleSet`).
    assert_eq!(names(&v, "encodingRules"), Vec::<String>::new(), "{v}");
    let (_, stored) = server.get("/subjects/u/versions/3").await;
    assert_eq!(names(&stored, "domainRules"), ["B=20", "C=3"], "{stored}");
    assert_eq!(stored["metadata"]["properties"]["confluent:version"], "3");

    // A soft-deleted version is not found.
    server.delete("/subjects/u/versions/1").await;
    let (status, v) = server
        .post(
            "/subjects/u/versions/1/tags",
            &json!({"tagsToAdd": add_pii}),
        )
        .await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40402)), "{v}");
    // A bad entity type is a binding error.
    let (status, v) = server
        .post(
            "/subjects/u/versions/3/tags",
            &json!({"tagsToAdd": [{"schemaEntity": {"entityPath": "User", "entityType": "record"}, "tags": ["X"]}]}),
        )
        .await;
    assert!((400..500).contains(&status), "{status} {v}");
}

#[tokio::test]
async fn json_schema_paths_join_dotted_property_names() {
    let server = Server::start();
    let doc = r#"{"type":"object","properties":{"a.b":{"type":"object","properties":{"c":{"type":"string"}}},"u":{"anyOf":[{"type":"string"},{"type":"object","properties":{"x":{"type":"string"}}}]}}}"#;
    let (status, v) = server
        .post(
            "/subjects/j/versions",
            &json!({"schema": doc, "schemaType": "JSON"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = server
        .post(
            "/subjects/j/versions/latest/tags",
            &json!({"tagsToAdd": [{"schemaEntity": {"entityPath": "object.a.b.object.c", "entityType": "sr_field"}, "tags": ["T"]}]}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["schemaType"], "JSON");
    assert!(
        v["schema"]
            .as_str()
            .is_some_and(|s| s.contains(r#""c":{"type":"string","confluent:tags":["T"]}"#)),
        "{v}"
    );
    // Branches of a composition are indexed after Confluent's sort
    // (`JsonSchemaUtils.findSubSchemasFromIndex` with `JsonNodeComparator`): the object
    // branch comes before the string one, whatever the document order.
    let (status, v) = server
        .post(
            "/subjects/j/versions/latest/tags",
            &json!({"tagsToAdd": [{"schemaEntity": {"entityPath": "object.u.anyof.0.object.x", "entityType": "sr_field"}, "tags": ["B"]}]}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert!(
        v["schema"]
            .as_str()
            .is_some_and(|s| s.contains(r#""x":{"type":"string","confluent:tags":["B"]}"#)),
        "{v}"
    );
    // A path that ends at a branch names no field: "No matching path" (42201).
    let (status, v) = server
        .post(
            "/subjects/j/versions/latest/tags",
            &json!({"tagsToAdd": [{"schemaEntity": {"entityPath": "object.u.anyof.0", "entityType": "sr_field"}, "tags": ["T"]}]}),
        )
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42201)), "{v}");
}

/// 7.9 and 8.3.1 `RegisterSchemaRequest.schemaTagsToAdd`/`schemaTagsToRemove` and
/// `AbstractSchemaRegistry.register(subject, request, normalize)`: the schema's tags are
/// changed before it is registered, as version -1 (so `confluent:version` is stamped)
/// unless the request gives one; an element the schema lacks is 42201.
#[tokio::test]
async fn register_applies_schema_tags_to_add_and_remove() {
    let server = Server::start();
    let add_pii = json!([{"schemaEntity": {"entityPath": "User.ssn", "entityType": "sr_field"}, "tags": ["PII", "X"]}]);
    let (status, v) = server
        .post(
            "/subjects/r/versions",
            &json!({"schema": USER, "schemaTagsToAdd": add_pii}),
        )
        .await;
    assert_eq!((status, &v["version"]), (200, &json!(1)), "{v}");
    let (_, stored) = server.get("/subjects/r/versions/1").await;
    assert!(
        stored["schema"]
            .as_str()
            .is_some_and(|s| s.contains(r#""confluent:tags":["PII","X"]"#)),
        "{stored}"
    );
    assert_eq!(stored["metadata"]["properties"]["confluent:version"], "1");

    let tagged = stored["schema"].as_str().unwrap_or_default().to_string();
    let (status, v) = server
        .post(
            "/subjects/r/versions",
            &json!({"schema": tagged, "schemaTagsToRemove": [{"schemaEntity": {"entityPath": "User.ssn", "entityType": "sr_field"}, "tags": ["X"]}]}),
        )
        .await;
    assert_eq!((status, &v["version"]), (200, &json!(2)), "{v}");
    let (_, stored) = server.get("/subjects/r/versions/2").await;
    assert!(
        stored["schema"]
            .as_str()
            .is_some_and(|s| s.contains(r#""confluent:tags":["PII"]"#)),
        "{stored}"
    );

    let (status, v) = server
        .post(
            "/subjects/r/versions",
            &json!({"schema": USER, "schemaTagsToAdd": [{"schemaEntity": {"entityPath": "User.nope", "entityType": "sr_field"}, "tags": ["T"]}]}),
        )
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42201)), "{v}");
}

/// 7.9 and 8.3.1 `findTags` (`SchemasResource.getSchema`,
/// `SubjectVersionsResource.getSchemaByVersion`, `AbstractSchemaRegistry.extractSchemaTags`):
/// the inline-tagged elements carrying one of the tags asked for (`*`: all) come back as
/// `schemaTags`; none matching leaves the field out (`Schema` is NON_EMPTY). And
/// `propagateSchemaTags` on register (`maybePropagateSchemaTags`): the latest version's
/// inline tags are added to the same elements of the new schema.
#[tokio::test]
async fn find_tags_and_propagate_schema_tags() {
    const USER2: &str = r#"{"type":"record","name":"User","fields":[{"name":"ssn","type":"string"},{"name":"age","type":"int","default":0}]}"#;
    let server = Server::start();
    let tags = json!([
        {"schemaEntity": {"entityPath": "User.ssn", "entityType": "sr_field"}, "tags": ["PII"]},
        {"schemaEntity": {"entityPath": "User", "entityType": "sr_record"}, "tags": ["REC"]}
    ]);
    let (status, v) = server
        .post(
            "/subjects/f/versions",
            &json!({"schema": USER, "schemaTagsToAdd": tags}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let id = v["id"].as_i64().unwrap_or_default();
    let pii = json!([{"schemaEntity": {"entityPath": "User.ssn", "entityType": "sr_field"}, "tags": ["PII"]}]);
    for path in [
        format!("/schemas/ids/{id}?findTags=PII"),
        "/subjects/f/versions/1?findTags=PII".to_string(),
        "/subjects/f/versions/latest?findTags=X&findTags=PII".to_string(),
    ] {
        let (status, v) = server.get(&path).await;
        assert_eq!((status, &v["schemaTags"]), (200, &pii), "{path}: {v}");
    }
    let (_, v) = server.get("/subjects/f/versions/1?findTags=*").await;
    assert_eq!(v["schemaTags"].as_array().map(Vec::len), Some(2), "{v}");
    let (_, v) = server
        .get(&format!("/schemas/ids/{id}?findTags=NOPE"))
        .await;
    assert!(v.get("schemaTags").is_none(), "{v}");

    // Without propagation the new version has no tags; with it, the latest's are copied.
    let (status, v) = server
        .post("/subjects/f/versions", &json!({"schema": USER2}))
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = server.get("/subjects/f/versions/latest?findTags=*").await;
    assert!(v.get("schemaTags").is_none(), "{v}");
    const USER3: &str = r#"{"type":"record","name":"User","fields":[{"name":"ssn","type":"string"},{"name":"age","type":"int","default":0},{"name":"n","type":"int","default":1}]}"#;
    server.delete("/subjects/f/versions/2").await;
    let (status, v) = server
        .post(
            "/subjects/f/versions",
            &json!({"schema": USER3, "propagateSchemaTags": true}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = server.get("/subjects/f/versions/latest?findTags=*").await;
    assert_eq!(v["schemaTags"].as_array().map(Vec::len), Some(2), "{v}");
    assert!(
        v["schema"]
            .as_str()
            .is_some_and(|s| s.contains(r#""confluent:tags":["PII"]"#)),
        "{v}"
    );
}

//! Confluent 8.2's associations over the real server (`AssociationsResource`,
//! `AbstractSchemaRegistry.createOrUpdateAssociation` / `deleteAssociations` /
//! `batchGetAssociations` / `mutateAssociations`, the request entities' `validate`, 8.3.1;
//! notes in `docs/notes/associations-8x.md`). The default subject strategy of confluent-kafka
//! 2.14+ and @confluentinc/schemaregistry 1.10+ probes `GET /associations/resources/-/{topic}`
//! for every topic it meets: Confluent answers 200 `[]` when nothing is associated, and a
//! client then uses `{topic}-value`; any other status but 404 fails every produce.

mod common;

use common::Server;
use serde_json::{json, Value};

const V1: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#;
const V2: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"n","type":"int","default":0}]}"#;
/// Not BACKWARD compatible with V1: a new field without a default.
const V_BAD: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"m","type":"int"}]}"#;

fn invalid(property: &str, detail: &str) -> String {
    format!(
        "The association specified an invalid value for property: '{property}', detail: {detail}"
    )
}

fn assert_error(got: &(u16, Value), status: u16, code: u64, message: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error_code"], json!(code), "{}", got.1);
    assert_eq!(got.1["message"], json!(message), "{}", got.1);
}

fn resource(id: &str, name: &str, associations: Value) -> Value {
    json!({"resourceName": name, "resourceNamespace": "lkc-1", "resourceId": id,
           "associations": associations})
}

#[tokio::test]
async fn association_lists_answer_as_confluent_does_when_nothing_is_associated() {
    let server = Server::start();
    for path in [
        "/associations/resources/-/orders?resourceType=topic&associationType=value",
        "/associations/resources/-/orders?resourceType=topic&associationType=key",
        "/associations/resources/lkc-1/-",
        "/associations/resources/some-resource-id",
        "/associations/subjects/orders-value?lifecycle=STRONG&offset=0&limit=10",
    ] {
        let (status, v) = server.get(path).await;
        assert_eq!((status, v), (200, json!([])), "{path}");
    }
    // JAX-RS cannot convert these parameters: the request is unmatched.
    for path in [
        "/associations/subjects/orders-value?lifecycle=sometimes",
        "/associations/resources/-/orders?offset=x",
    ] {
        let (status, v) = server.get(path).await;
        assert_eq!(status, 404, "{path}: {v}");
    }
    // Deeper paths are not routes.
    let (status, _) = server.get("/associations/resources/a/b/c").await;
    assert_eq!(status, 404);
}

/// A create with a schema: a frozen STRONG association on `:.{ns}:{name}-value`, its schema
/// registered there; repeated, it writes nothing; its subject cannot be deleted; the
/// association only goes with `cascadeLifecycle`, which takes the subject with it.
#[tokio::test]
async fn a_frozen_strong_association_owns_its_subject_until_a_cascading_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start_in(dir.path());
    let body = resource("t-1", "orders", json!([{"schema": {"schema": V1}}]));
    let (status, v) = server.post("/associations", &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["resourceName"], "orders");
    assert_eq!(v["resourceNamespace"], "lkc-1");
    assert_eq!(v["resourceId"], "t-1");
    assert_eq!(v["resourceType"], "topic");
    let a = &v["associations"][0];
    assert_eq!(a["subject"], ":.lkc-1:orders-value", "{v}");
    assert_eq!(a["associationType"], "value");
    assert_eq!(a["lifecycle"], "STRONG");
    assert_eq!(a["frozen"], true);
    assert_eq!(a["schema"]["subject"], ":.lkc-1:orders-value");
    assert_eq!(a["schema"]["version"], 1);
    assert_eq!(a["schema"]["id"], 1);
    assert!(a["schema"]["guid"].is_string(), "{v}");

    let (status, list) = server
        .get("/associations/resources/-/orders?resourceType=topic&associationType=value")
        .await;
    assert_eq!(status, 200);
    let listed = &list[0];
    assert_eq!(listed["subject"], ":.lkc-1:orders-value", "{list}");
    assert_eq!(listed["resourceId"], "t-1");
    assert_eq!(listed["frozen"], true);
    assert_eq!(
        listed["guid"].as_str().map(str::len),
        Some(36),
        "a random UUID: {list}"
    );
    assert!(
        listed["createTs"].is_i64() && listed["updateTs"].is_i64(),
        "{list}"
    );
    let (_, by_subject) = server
        .get("/associations/subjects/:.lkc-1:orders-value")
        .await;
    assert_eq!(by_subject, list);

    // The same again: idempotent (the schema is in the subject), nothing written.
    let (status, again) = server.post("/associations", &body).await;
    assert_eq!(status, 200, "{again}");
    assert!(again.get("associations").is_none(), "{again}");
    // Another schema for the same resource and type: 40903.
    let other = resource("t-1", "orders", json!([{"schema": {"schema": V2}}]));
    assert_error(
        &server.post("/associations", &other).await,
        409,
        40903,
        "An association of type 'value' already exists for resource 'orders'",
    );

    // The subject is the resource's: no subject or version delete (KafkaSchemaRegistry
    // .deleteSubject / .deleteSchemaVersion).
    let owned = "An association already exists for subject ':.lkc-1:orders-value'";
    assert_error(
        &server.delete("/subjects/:.lkc-1:orders-value").await,
        409,
        40904,
        owned,
    );
    assert_error(
        &server
            .delete("/subjects/:.lkc-1:orders-value/versions/1")
            .await,
        409,
        40907,
        "No active (non-deleted) version exists for subject ':.lkc-1:orders-value'",
    );

    // Survives a restart.
    server.kill9();
    let server = Server::start_in(dir.path());
    let (_, after) = server.get("/associations/resources/t-1").await;
    assert_eq!(after, list);

    // Frozen: only a cascading delete removes it (note Confluent's two spaces).
    assert_error(
        &server.delete("/associations/resources/t-1").await,
        409,
        40908,
        "The association of type  'value' is frozen for subject ':.lkc-1:orders-value'",
    );
    let (status, _) = server
        .delete("/associations/resources/t-1?cascadeLifecycle=true&dryRun=true")
        .await;
    assert_eq!(status, 204);
    assert_eq!(server.get("/associations/resources/t-1").await.1, list);
    let (status, _) = server
        .delete("/associations/resources/t-1?cascadeLifecycle=true")
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        server.get("/associations/resources/t-1").await,
        (200, json!([]))
    );
    let (status, _) = server.get("/subjects/:.lkc-1:orders-value/versions").await;
    assert_eq!(status, 404, "the subject went with it, permanently");
    assert_error(
        &server.delete("/associations/resources/t-1").await,
        404,
        40410,
        "Association for 't-1' not found.",
    );
}

/// The request checks of `AssociationCreateOrUpdateRequest.validate`, `…Info.validate` and
/// `RestValidation`, in their order.
#[tokio::test]
async fn invalid_requests_get_42212_naming_the_property() {
    let server = Server::start();
    let cases = [
        (
            json!({"resourceNamespace": "lkc-1", "resourceId": "x", "associations": [{}]}),
            invalid("resourceName", "cannot be null or empty"),
        ),
        (
            json!({"resourceName": "a.b", "resourceNamespace": "lkc-1", "resourceId": "x", "associations": [{}]}),
            invalid("resourceName", "illegal character '.'"),
        ),
        (
            json!({"resourceName": "a", "resourceNamespace": "lkc-1", "associations": [{}]}),
            invalid("resourceId", "cannot be null or empty"),
        ),
        (
            json!({"resourceName": "a", "resourceNamespace": "lkc-1", "resourceId": "x",
                   "resourceType": "table", "associations": [{}]}),
            invalid("resourceType", "must be 'topic'"),
        ),
        (
            resource("x", "a", json!([])),
            invalid("associations", "cannot be null or empty"),
        ),
        (
            resource("x", "a", json!([{}])),
            invalid("subject", "must be provided for WEAK associations"),
        ),
        (
            resource("x", "a", json!([{"subject": ""}])),
            invalid("subject", "must not be empty"),
        ),
        (
            resource(
                "x",
                "a",
                json!([{"subject": "s", "associationType": "both"}]),
            ),
            invalid("associationType", "must be either 'key' or 'value'"),
        ),
        (
            resource("x", "a", json!([{"subject": ":.lkc-1:a-value"}])),
            invalid(
                "subject",
                "WEAK associations cannot use subject ':.lkc-1:a-value'",
            ),
        ),
        (
            resource(
                "x",
                "a",
                json!([{"schema": {"schema": V1}, "lifecycle": "WEAK"}]),
            ),
            invalid("lifecycle", "cannot be WEAK when schema is provided"),
        ),
        (
            resource(
                "x",
                "a",
                json!([{"schema": {"schema": V1}, "frozen": false}]),
            ),
            invalid(
                "frozen",
                "cannot be false when schema is provided for create",
            ),
        ),
        (
            resource(
                "x",
                "a",
                json!([{"schema": {"schema": V1}, "subject": "mine"}]),
            ),
            invalid(
                "subject",
                "frozen associations must use subject ':.lkc-1:a-value'",
            ),
        ),
        (
            resource(
                "x",
                "a",
                json!([{"schema": {"schema": V1}}, {"schema": {"schema": V1}, "associationType": "value"}]),
            ),
            invalid("associationType", "Duplicate association type: value"),
        ),
    ];
    for (body, message) in cases {
        assert_error(
            &server.post("/associations", &body).await,
            422,
            42212,
            &message,
        );
    }
    // Jackson binding: the lifecycle is an enum; a null body is refused as Jersey does.
    let (status, v) = server
        .post(
            "/associations",
            &resource(
                "x",
                "a",
                json!([{"subject": "s", "lifecycle": "SOMETIMES"}]),
            ),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = server
        .request(
            "POST",
            "/associations",
            Some("null"),
            Some("application/json"),
        )
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(422)), "{v}");
    // Nothing was written by any of them.
    assert_eq!(
        server.get("/associations/resources/lkc-1/-").await,
        (200, json!([]))
    );
    let (_, subjects) = server.get("/subjects").await;
    assert_eq!(subjects, json!([]));
}

/// WEAK associations point at a subject someone else owns: several may share it, but not
/// with a STRONG one; the subject needs a live version (40907).
#[tokio::test]
async fn weak_associations_share_a_subject_that_no_strong_one_holds() {
    let server = Server::start();
    assert_error(
        &server
            .post(
                "/associations",
                &resource(
                    "t-2",
                    "o2",
                    json!([{"subject": "shared", "lifecycle": "WEAK"}]),
                ),
            )
            .await,
        409,
        40907,
        "No active (non-deleted) version exists for subject 'shared'",
    );
    let (status, _) = server
        .post("/subjects/shared/versions", &json!({"schema": V1}))
        .await;
    assert_eq!(status, 200);
    for (id, name) in [("t-2", "o2"), ("t-3", "o3")] {
        let (status, v) = server
            .post(
                "/associations",
                &resource(id, name, json!([{"subject": "shared"}])),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(
            v["associations"],
            json!([{"subject": "shared", "associationType": "value", "lifecycle": "WEAK", "frozen": false}])
        );
    }
    assert_error(
        &server
            .put(
                "/associations/resources/t-4",
                &json!({"resourceName": "o4", "resourceNamespace": "lkc-1",
                        "associations": [{"subject": "shared", "lifecycle": "STRONG"}]}),
            )
            .await,
        409,
        40904,
        "An association already exists for subject 'shared'",
    );
    let (_, list) = server.get("/associations/subjects/shared").await;
    let ids: Vec<&str> = list
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["resourceId"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["t-2", "t-3"], "sorted by resource name: {list}");
    // A WEAK association is not frozen: it goes without cascade, and the subject stays.
    let (status, _) = server.delete("/associations/resources/t-2").await;
    assert_eq!(status, 204);
    let (status, _) = server.get("/subjects/shared/versions/1").await;
    assert_eq!(status, 200);
    // An unqualified subject of a write inside a context is that context's.
    let (status, _) = server
        .post("/contexts/.c1/subjects/s1/versions", &json!({"schema": V1}))
        .await;
    assert_eq!(status, 200);
    let (status, v) = server
        .post(
            "/contexts/.c1/associations",
            &resource("t-5", "o5", json!([{"subject": "s1"}])),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["associations"][0]["subject"], ":.c1:s1");
}

/// The upsert (`PUT /associations/resources/{id}`): creates a STRONG, unfrozen association
/// with a schema; later schemas are registered (compatibility checked first, 40901); what
/// may not change is refused.
#[tokio::test]
async fn upserts_register_new_versions_and_keep_what_may_not_change() {
    let server = Server::start();
    let path = "/associations/resources/t-7";
    let body = |schema: &str| {
        json!({"resourceName": "pay", "resourceNamespace": "lkc-1",
               "associations": [{"schema": {"schema": schema}}]})
    };
    let (status, v) = server.put(path, &body(V1)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["resourceId"], "t-7", "taken from the path");
    assert_eq!(v["associations"][0]["lifecycle"], "STRONG");
    assert_eq!(v["associations"][0]["frozen"], false);
    assert_eq!(v["associations"][0]["schema"]["version"], 1);

    // Same association, new schema: registered; the association itself is unchanged.
    let (status, v) = server.put(path, &body(V2)).await;
    assert_eq!(status, 200, "{v}");
    assert!(v.get("associations").is_none(), "{v}");
    let (_, versions) = server.get("/subjects/:.lkc-1:pay-value/versions").await;
    assert_eq!(versions, json!([1, 2]));

    let (status, v) = server.put(path, &body(V_BAD)).await;
    assert_eq!((status, &v["error_code"]), (409, &json!(40901)), "{v}");
    assert!(
        v["message"].as_str().is_some_and(|m| m.starts_with('[')),
        "the checker's list, as Confluent prints it: {v}"
    );
    let (_, versions) = server.get("/subjects/:.lkc-1:pay-value/versions").await;
    assert_eq!(versions, json!([1, 2]), "nothing registered");

    assert_error(
        &server
            .put(
                path,
                &json!({"resourceName": "pay", "resourceNamespace": "lkc-1", "resourceId": "t-8",
                        "associations": [{"lifecycle": "STRONG"}]}),
            )
            .await,
        422,
        42212,
        &invalid(
            "resourceId",
            "Resource ID in the path parameter does not match the resource ID in the request body",
        ),
    );
    let lifecycle = |l: &str| {
        json!({"resourceName": "pay", "resourceNamespace": "lkc-1",
               "associations": [{"lifecycle": l}]})
    };
    // Confluent checks WEAK against the default subject before the update rules, so its
    // "cannot change to WEAK" branch is never reached on this route.
    assert_error(
        &server.put(path, &lifecycle("WEAK")).await,
        422,
        42212,
        &invalid(
            "subject",
            "WEAK associations cannot use subject ':.lkc-1:pay-value'",
        ),
    );
    assert_error(
        &server
            .put(
                path,
                &json!({"resourceName": "pay", "resourceNamespace": "lkc-1",
                        "associations": [{"frozen": true, "lifecycle": "STRONG"}]}),
            )
            .await,
        422,
        42212,
        &invalid(
            "frozen",
            "frozen attribute of association cannot be changed",
        ),
    );
    // Not frozen: deleted without cascade, and the subject stays.
    let (status, _) = server
        .delete(&format!("{path}?associationType=value"))
        .await;
    assert_eq!(status, 204);
    let (_, versions) = server.get("/subjects/:.lkc-1:pay-value/versions").await;
    assert_eq!(versions, json!([1, 2]));
}

/// `:batchGet` and `:batchMutate` answer 207, one result per request, failures as items.
#[tokio::test]
async fn batches_answer_one_result_per_request() {
    let server = Server::start();
    assert_error(
        &server
            .post("/associations:batchGet", &json!({"requests": []}))
            .await,
        422,
        42212,
        &invalid("requests", "cannot be null or empty"),
    );
    let (status, v) = server
        .post(
            "/associations:batchMutate",
            &json!({"requests": [
                {"resourceName": "inv", "resourceNamespace": "lkc-1", "resourceId": "t-9",
                 "associations": [
                     {"opType": "CREATE", "schema": {"schema": V1}},
                     {"opType": "CREATE", "associationType": "key", "schema": {"schema": "\"string\""}}
                 ]},
                {"resourceName": "bad.name", "resourceNamespace": "lkc-1", "resourceId": "t-10",
                 "associations": [{"opType": "DELETE"}]},
                {"resourceName": "inv", "resourceNamespace": "lkc-1", "resourceId": "t-9",
                 "associations": [{"opType": "CREATE", "schema": {"schema": V2}}]}
            ]}),
        )
        .await;
    assert_eq!(status, 207, "{v}");
    let results = v["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 3, "{v}");
    let listed: Vec<(&str, &str, i64)> = results[0]["result"]["associations"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    (
                        x["associationType"].as_str().unwrap_or("?"),
                        x["subject"].as_str().unwrap_or("?"),
                        x["schema"]["version"].as_i64().unwrap_or(-1),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        listed,
        [
            ("key", ":.lkc-1:inv-key", 1),
            ("value", ":.lkc-1:inv-value", 1)
        ],
        "the resource's associations after the ops, with the schemas registered: {v}"
    );
    assert_eq!(
        results[1]["error"],
        json!({"error_code": 42212, "message": invalid("resourceName", "illegal character '.'")})
    );
    assert_eq!(results[2]["error"]["error_code"], 40903, "{v}");

    let (status, v) = server
        .post(
            "/associations:batchGet?includeSchemas=true",
            &json!({"requests": [
                {"resourceId": "t-9", "associationTypes": ["value"]},
                {"resourceName": "inv", "resourceNamespace": "lkc-1"},
                {"resourceName": "inv"},
                {"resourceId": "nothing-here"}
            ]}),
        )
        .await;
    assert_eq!(status, 207, "{v}");
    let r = &v["results"];
    assert_eq!(r[0]["result"]["resourceName"], "inv", "back-filled: {v}");
    assert_eq!(
        r[0]["result"]["associations"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(r[0]["result"]["associations"][0]["schema"]["version"], 1);
    assert_eq!(r[1]["result"]["resourceId"], "t-9");
    assert_eq!(
        r[1]["result"]["associations"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        r[2]["error"],
        json!({"error_code": 500, "message": "Error while getting associations: property: resourceNamespace; detail: resourceNamespace is required when resourceName is specified"})
    );
    assert_eq!(
        r[3]["result"],
        json!({"resourceId": "nothing-here", "resourceType": "topic"})
    );

    // A cascading DELETE op takes the STRONG key association and its subject.
    let (status, v) = server
        .post(
            "/associations:batchMutate",
            &json!({"requests": [{"resourceName": "inv", "resourceNamespace": "lkc-1", "resourceId": "t-9",
                    "associations": [{"opType": "DELETE", "associationType": "key", "cascadeLifecycle": true}]}]}),
        )
        .await;
    assert_eq!(status, 207, "{v}");
    assert_eq!(
        v["results"][0]["result"]["associations"][0]["associationType"], "value",
        "{v}"
    );
    let (status, _) = server.get("/subjects/:.lkc-1:inv-key/versions").await;
    assert_eq!(status, 404);
}

/// `GET /schemas` filters of 8.2 (8.3.1 `SchemasResource.getSchemas`): an association filter
/// keeps the subjects with matching associations and answers them with each version;
/// `lifecycle=NONE` keeps subjects without any; `ruleType` keeps versions with such a rule.
#[tokio::test]
async fn schema_lists_filter_by_association_and_rule_type() {
    let server = Server::start();
    let rule = json!({"domainRules": [{"name": "r", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true"}]});
    for (subject, body) in [
        ("free", json!({"schema": V1, "ruleSet": rule})),
        ("shared", json!({"schema": V1})),
    ] {
        let (status, v) = server
            .post(&format!("/subjects/{subject}/versions"), &body)
            .await;
        assert_eq!(status, 200, "{v}");
    }
    let (status, _) = server
        .post(
            "/associations",
            &resource("t-1", "orders", json!([{"schema": {"schema": V1}}])),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .post(
            "/associations",
            &resource("t-2", "audit", json!([{"subject": "shared"}])),
        )
        .await;
    assert_eq!(status, 200);
    let subjects = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["subject"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (_, v) = server
        .get("/schemas?subjectPrefix=:*:&lifecycle=STRONG")
        .await;
    assert_eq!(subjects(&v), [":.lkc-1:orders-value"], "{v}");
    assert_eq!(v[0]["associations"][0]["resourceId"], "t-1", "{v}");
    let (_, v) = server.get("/schemas?lifecycle=NONE").await;
    assert_eq!(subjects(&v), ["free"], "{v}");
    assert!(v[0].get("associations").is_none(), "{v}");
    let (_, v) = server
        .get("/schemas?subjectPrefix=:*:&resourceType=topic")
        .await;
    assert_eq!(subjects(&v), [":.lkc-1:orders-value", "shared"], "{v}");
    let (_, v) = server.get("/schemas?associationType=key").await;
    assert_eq!(v, json!([]));
    let (_, v) = server.get("/schemas?lifecycle=WEAK&lifecycle=NONE").await;
    assert_eq!(subjects(&v), ["free", "shared"], "{v}");
    let (_, v) = server.get("/schemas?subjectPrefix=:*:").await;
    assert!(
        v[0].get("associations").is_none(),
        "no filter, no associations: {v}"
    );
    let (_, v) = server.get("/schemas?ruleType=CEL").await;
    assert_eq!(subjects(&v), ["free"], "{v}");
    let (_, v) = server.get("/schemas?ruleType=JSONATA").await;
    assert_eq!(v, json!([]));
    let (status, _) = server.get("/schemas?lifecycle=SOMETIMES").await;
    assert_eq!(status, 404);
}

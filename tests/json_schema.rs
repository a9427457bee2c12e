//! JSON Schema over the real server: the endpoints and flags Avro has, contexts, IMPORT mode,
//! references and their deletion rules, and hostile input. The rules come from Confluent's
//! code (7.9): `KafkaSchemaRegistry.canonicalizeSchema` / `maybeValidateAndNormalizeSchema`
//! (validation skipped in IMPORT mode; the two `Invalid schema` message shapes),
//! `JsonSchemaProvider.parseSchemaOrElseThrow` (references resolved by name),
//! `JsonSchema.normalize` (sorted keys, sorted references), `SubjectVersionsResource`
//! (reference checks on deletes).

mod common;

use common::Server;
use serde_json::{json, Value};

fn js(schema: &str) -> Value {
    json!({ "schema": schema, "schemaType": "JSON" })
}

const PERSON: &str = r#"{"type":"object","properties":{"name":{"type":"string"}}}"#;

#[tokio::test]
async fn every_read_endpoint_answers_schema_type_json() {
    let server = Server::start();
    let (status, v) = server.post("/subjects/p/versions", &js(PERSON)).await;
    assert_eq!(status, 200, "{v}");
    let id = v["id"].as_i64().expect("id");
    for path in [
        "/subjects/p/versions/1".to_string(),
        "/subjects/p/versions/latest".to_string(),
        format!("/schemas/ids/{id}"),
        format!("/schemas/ids/{id}?subject=p"),
        format!("/schemas/ids/{id}?fetchMaxId=true"),
    ] {
        let (status, v) = server.get(&path).await;
        assert_eq!(status, 200, "{path}: {v}");
        assert_eq!(v["schemaType"], "JSON", "{path}: {v}");
        assert_eq!(v["schema"], PERSON, "{path}: {v}");
    }
    let (_, v) = server
        .get(&format!("/schemas/ids/{id}?fetchMaxId=true"))
        .await;
    assert_eq!(v["maxId"], id);
    // The raw schema is the document itself.
    let (status, v) = server.get("/subjects/p/versions/1/schema").await;
    assert_eq!(status, 200);
    assert_eq!(v, serde_json::from_str::<Value>(PERSON).expect("json"));
    // Lookup by the same document in any layout (the canonical text is compact); other key
    // orders only with normalize.
    let spaced = r#"{ "type": "object", "properties": { "name": { "type": "string" } } }"#;
    for text in [PERSON, spaced] {
        let (status, v) = server.post("/subjects/p", &js(text)).await;
        assert_eq!((status, v["version"].as_i64()), (200, Some(1)), "{v}");
    }
    let reordered = r#"{"properties":{"name":{"type":"string"}},"type":"object"}"#;
    let (status, v) = server.post("/subjects/p", &js(reordered)).await;
    assert_eq!(
        (status, v["error_code"].as_i64()),
        (404, Some(40403)),
        "{v}"
    );
    // The list of all schemas carries the type too.
    let (_, v) = server.get("/schemas?subjectPrefix=p").await;
    assert_eq!(v[0]["schemaType"], "JSON", "{v}");
    // Soft delete, `deleted=true` reads, permanent delete.
    let (status, _) = server.delete("/subjects/p/versions/1").await;
    assert_eq!(status, 200);
    let (status, _) = server.get("/subjects/p/versions/1").await;
    assert_eq!(status, 404);
    let (status, v) = server.get("/subjects/p/versions/1?deleted=true").await;
    assert_eq!((status, &v["schemaType"]), (200, &json!("JSON")), "{v}");
    let (status, _) = server.delete("/subjects/p/versions/1?permanent=true").await;
    assert_eq!(status, 200);
    let (status, _) = server.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(status, 404);
}

/// `normalize=true` stores the key-sorted text (`JsonSchema.normalize`), and a lookup with
/// `normalize=true` finds it from any key order.
#[tokio::test]
async fn normalize_sorts_keys_and_finds_reordered_documents() {
    let server = Server::start();
    let (status, v) = server
        .post("/subjects/n/versions?normalize=true", &js(PERSON))
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = server.get("/subjects/n/versions/1").await;
    assert_eq!(
        v["schema"],
        r#"{"properties":{"name":{"type":"string"}},"type":"object"}"#
    );
    let reordered = r#"{"properties":{"name":{"type":"string"}},"type":"object"}"#;
    let (status, v) = server
        .post("/subjects/n?normalize=true", &js(reordered))
        .await;
    assert_eq!((status, v["version"].as_i64()), (200, Some(1)), "{v}");
}

/// Identical documents share an ID across subjects and contexts keep their own IDs; a
/// document is never given the ID of a schema of another type.
#[tokio::test]
async fn ids_are_shared_within_a_context_and_by_type() {
    let server = Server::start();
    let (_, a) = server.post("/subjects/a/versions", &js(PERSON)).await;
    let (_, b) = server.post("/subjects/b/versions", &js(PERSON)).await;
    assert_eq!(a["id"], b["id"]);
    let (status, c) = server
        .post("/subjects/:.other:a/versions", &js(PERSON))
        .await;
    assert_eq!(status, 200, "{c}");
    let (_, v) = server.get("/subjects/:.other:a/versions/1").await;
    assert_eq!(v["schemaType"], "JSON", "{v}");
    // Avro's `{"type":"string"}` is stored as `"string"`: a different text, its own ID.
    let (_, j) = server
        .post("/subjects/j/versions", &js(r#"{"type":"string"}"#))
        .await;
    let (_, avro) = server
        .post(
            "/subjects/avro/versions",
            &json!({"schema": r#"{"type":"string"}"#}),
        )
        .await;
    assert_ne!(j["id"], avro["id"]);
    let (_, v) = server.get(&format!("/schemas/ids/{}", avro["id"])).await;
    // Confluent 8 names Avro too (8.3.1 `entities/SchemaString.java`; 7.9 left it out).
    assert_eq!(v["schemaType"], "AVRO", "{v}");
}

/// Confluent's two shapes of 42201: text that is not JSON fails parsing (`… with refs [] of
/// type JSON, details: Invalid JSON …`); JSON that is not a schema fails validation
/// (`…, details: Invalid JSON Schema`, no `with refs`).
#[tokio::test]
async fn invalid_documents_get_confluents_two_messages() {
    let server = Server::start();
    let (status, v) = server.post("/subjects/x/versions", &js("{\"type\":")).await;
    assert_eq!(
        (status, v["error_code"].as_i64()),
        (422, Some(42201)),
        "{v}"
    );
    let m = v["message"].as_str().unwrap_or_default();
    assert!(
        m.ends_with("with refs [] of type JSON, details: Invalid JSON {\"type\":"),
        "{m}"
    );
    for bad in [
        r#"{"type":"nosuchtype"}"#,
        r##"{"properties":{"a":{"$ref":"#/definitions/missing"}}}"##,
        r#"{"properties":{"a":{"$ref":"https://example.com/remote.json"}}}"#,
        r#"{"type":"string","pattern":"("}"#,
        "null",
    ] {
        let (status, v) = server.post("/subjects/x/versions", &js(bad)).await;
        assert_eq!(
            (status, v["error_code"].as_i64()),
            (422, Some(42201)),
            "{bad}: {v}"
        );
        let m = v["message"].as_str().unwrap_or_default();
        assert!(
            m.ends_with("schemaTags=null}, details: Invalid JSON Schema"),
            "{bad}: {m}"
        );
        assert!(
            m.starts_with("Invalid schema {subject=x,version=0,id=-1,schemaType=JSON,"),
            "{m}"
        );
    }
    // Lookups and compatibility checks validate too.
    server.post("/subjects/ok/versions", &js(PERSON)).await;
    for path in ["/subjects/ok", "/compatibility/subjects/ok/versions/latest"] {
        let (status, v) = server.post(path, &js(r#"{"type":12}"#)).await;
        assert_eq!(
            (status, v["error_code"].as_i64()),
            (422, Some(42201)),
            "{path}: {v}"
        );
    }
    let (status, _) = server.get("/subjects").await;
    assert_eq!(status, 200);
}

/// In IMPORT mode Confluent skips validation (`maybeValidateAndNormalizeSchema`): a document
/// that is JSON but not a valid schema is imported with its ID; text that is not JSON is not.
#[tokio::test]
async fn import_mode_keeps_documents_that_do_not_validate() {
    let server = Server::start();
    let (status, v) = server.put("/mode/imp", &json!({"mode": "IMPORT"})).await;
    assert_eq!(status, 200, "{v}");
    let mut body = js(r#"{"type":12}"#);
    body["id"] = json!(4242);
    body["version"] = json!(1);
    let (status, v) = server.post("/subjects/imp/versions", &body).await;
    assert_eq!((status, &v["id"]), (200, &json!(4242)), "{v}");
    let (_, v) = server.get("/schemas/ids/4242").await;
    assert_eq!(
        (&v["schema"], &v["schemaType"]),
        (&json!(r#"{"type":12}"#), &json!("JSON"))
    );
    let mut body = js("{not json");
    body["id"] = json!(4243);
    body["version"] = json!(2);
    let (status, v) = server.post("/subjects/imp/versions", &body).await;
    assert_eq!(status, 422, "{v}");
}

/// References: `$ref` by reference name, transitively; `referencedby`; a referenced version
/// cannot be deleted while a live schema references it (42206).
#[tokio::test]
async fn references_resolve_transitively_and_guard_deletes() {
    let server = Server::start();
    let zip = r#"{"type":"string","pattern":"^[0-9]{5}$"}"#;
    let (_, z) = server.post("/subjects/zip/versions", &js(zip)).await;
    let address = r#"{"type":"object","properties":{"zip":{"$ref":"zip.json"}}}"#;
    let mut body = js(address);
    body["references"] = json!([{"name": "zip.json", "subject": "zip", "version": 1}]);
    let (status, a) = server.post("/subjects/address/versions", &body).await;
    assert_eq!(status, 200, "{a}");
    let customer = r#"{"type":"object","properties":{"home":{"$ref":"address.json"}}}"#;
    let mut body = js(customer);
    body["references"] = json!([{"name": "address.json", "subject": "address", "version": 1}]);
    let (status, c) = server.post("/subjects/customer/versions", &body).await;
    assert_eq!(status, 200, "{c}");
    // Without the reference the `$ref` does not resolve.
    let (status, v) = server
        .post("/subjects/lonely/versions", &js(customer))
        .await;
    assert_eq!(status, 422, "{v}");
    let (_, v) = server
        .get("/subjects/address/versions/1/referencedby")
        .await;
    assert_eq!(v, json!([c["id"]]));
    let (_, v) = server.get("/subjects/zip/versions/1/referencedby").await;
    assert_eq!(v, json!([a["id"]]));
    let (status, v) = server.delete("/subjects/address/versions/1").await;
    assert_eq!(
        (status, v["error_code"].as_i64()),
        (422, Some(42206)),
        "{v}"
    );
    let (status, _) = server.delete("/subjects/customer/versions/1").await;
    assert_eq!(status, 200);
    let (status, v) = server
        .delete("/subjects/customer/versions/1?permanent=true")
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = server.delete("/subjects/address/versions/1").await;
    assert_eq!(status, 200, "{v}");
    assert!(z["id"].is_i64());
}

/// Hostile bodies: deep nesting, a huge enum, duplicate keys, invalid UTF-8 — a clear 4xx or
/// a normal answer, never a 500, and the server stays up.
#[tokio::test]
async fn hostile_json_schemas_get_clear_answers() {
    let server = Server::start();
    let deep = format!("{}{{}}{}", r#"{"items":"#.repeat(5_000), "}".repeat(5_000));
    let (status, v) = server.post("/subjects/h/versions", &js(&deep)).await;
    assert_eq!(
        (status, v["error_code"].as_i64()),
        (422, Some(42201)),
        "{v}"
    );
    // Just under the reader's nesting limit, in every nesting keyword: an answer, not a crash.
    for (open, close, levels) in [
        (r#"{"items":"#, "}", 500),
        (r#"{"not":"#, "}", 500),
        (r#"{"allOf":["#, "]}", 250),
        (r#"{"properties":{"a":"#, "}}", 250),
        (r#"{"additionalProperties":"#, "}", 500),
    ] {
        let doc = format!("{}{{}}{}", open.repeat(levels), close.repeat(levels));
        let (status, v) = server.post("/subjects/deep/versions", &js(&doc)).await;
        assert!(status == 200 || status == 422, "{open}: {status} {v}");
        server
            .put("/config/deep", &json!({"compatibility": "NONE"}))
            .await;
    }
    let wide = format!(
        "{{\"type\":\"object\",\"properties\":{{{}}}}}",
        (0..5_000)
            .map(|i| format!("\"p{i}\":{{\"type\":\"string\"}}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (status, v) = server.post("/subjects/h/versions", &js(&wide)).await;
    assert_eq!(status, 200, "{v}");
    // Duplicate keys: the last value wins at the first position (Jackson's readTree).
    let dup = r#"{"type":"string","maxLength":3,"type":"integer"}"#;
    let (status, _) = server.post("/subjects/d/versions", &js(dup)).await;
    assert_eq!(status, 200);
    let (_, v) = server.get("/subjects/d/versions/1").await;
    assert_eq!(v["schema"], r#"{"type":"integer","maxLength":3}"#);
    // Invalid UTF-8 in the body: a 400 from the body reader.
    let mut raw = br#"{"schemaType":"JSON","schema":"{\"title\":\""#.to_vec();
    raw.extend_from_slice(&[0xff, 0xfe]);
    raw.extend_from_slice(br#"\"}"}"#);
    let response = common::client()
        .post(format!("http://{}/subjects/u/versions", server.address()))
        .header("content-type", common::SR_CONTENT_TYPE)
        .body(raw)
        .send()
        .await
        .expect("send");
    let status = response.status().as_u16();
    assert!((400..500).contains(&status), "{status}");
    let (status, _) = server.get("/subjects").await;
    assert_eq!(status, 200);
}

/// `validateFields` makes validation strict (`JsonSchema.validate(true)`): an object schema's
/// top-level property may not start with `$$`; without it such a schema registers.
#[tokio::test]
async fn validate_fields_refuses_reserved_property_names() {
    let server = Server::start();
    let doc = r#"{"type":"object","properties":{"$$id":{"type":"string"}}}"#;
    let (status, v) = server.post("/subjects/lax/versions", &js(doc)).await;
    assert_eq!(status, 200, "{v}");
    let (status, _) = server
        .put("/config/strict", &json!({"validateFields": true}))
        .await;
    assert_eq!(status, 200);
    let (status, v) = server.post("/subjects/strict/versions", &js(doc)).await;
    assert_eq!(
        (status, v["error_code"].as_i64()),
        (422, Some(42201)),
        "{v}"
    );
    let m = v["message"].as_str().unwrap_or_default();
    assert!(
        m.ends_with("schemaTags=null}, details: #: Field names cannot start with $$ prefix"),
        "{m}"
    );
}

/// Confluent 8.2's `compatibilityPolicy` config: any case in, the upper-case name out, an
/// unknown name ignored (`CompatibilityPolicy.forName`), inherited from the global config.
#[tokio::test]
async fn compatibility_policy_is_a_config_field() {
    let server = Server::start();
    let (status, v) = server
        .put("/config/s", &json!({"compatibilityPolicy": "lenient"}))
        .await;
    assert_eq!(
        (status, &v["compatibilityPolicy"]),
        (200, &json!("LENIENT")),
        "{v}"
    );
    let (_, v) = server.get("/config/s").await;
    assert_eq!(v["compatibilityPolicy"], "LENIENT", "{v}");
    let (status, v) = server
        .put("/config", &json!({"compatibilityPolicy": "whatever"}))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v.get("compatibilityPolicy"), None, "{v}");
    server
        .put("/config", &json!({"compatibilityPolicy": "STRICT"}))
        .await;
    let (_, v) = server.get("/config/other?defaultToGlobal=true").await;
    assert_eq!(v["compatibilityPolicy"], "STRICT", "{v}");
}

//! The 8.x response shapes over the real server, on both stores. Rules read from Confluent
//! 8.3.1 (notes with line numbers: `docs/notes/responses-8x.md`):
//! - registering answers the whole version, `{id, version, guid, schemaType, schema}` (plus
//!   references, metadata, rule set), not just `{"id"}`: `KafkaSchemaRegistry.register`
//!   returns the request entity with version and ID set (`RegisterSchemaResponse(Schema)`);
//!   an already registered schema answers the same way; no `ts` on either;
//! - `schemaType` is always written, `AVRO` included (`entities/Schema.java` defaults it,
//!   the 7.9 `SchemaTypeConverter` is gone);
//! - versions read from the store (`GET /subjects/{s}/versions/{v}`, `GET /schemas`,
//!   `GET /schemas/ids/{id}`, `GET /schemas/guids/{guid}`) carry `guid`, `ts` (the record's
//!   time, `KafkaStoreMessageHandler.validateUpdate`) and `deleted`
//!   (`SchemaValue.toSchemaEntity`); a soft delete writes a new record, so it moves `ts`;
//! - a lookup (`POST /subjects/{s}`) answers a copy of the request: `guid` but no `ts` or
//!   `deleted` (`AbstractSchemaRegistry.lookUpSchemaUnderSubject`);
//! - `GET /schemas/ids/{id}` names `subject` and `version` only when `?subject` is given
//!   (`KafkaSchemaRegistry.get`), found by `getSchemaKeyUsingContexts`: a qualified subject
//!   that does not hold the ID finds nothing (40403), an unqualified one falls back to the
//!   other contexts, then to any holder.

mod common;

use common::kafka::broker_or_skip;
use common::Server;
use serde_json::{json, Value};

const V1: &str = r#"{"type":"record","name":"Pay","fields":[{"name":"a","type":"int"}]}"#;
const V2: &str = r#"{"type":"record","name":"Pay","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]}"#;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

async fn shapes(server: &Server) -> (String, i64) {
    let before = now_ms();
    let (status, reg) = server
        .post("/subjects/pay-value/versions", &json!({ "schema": V1 }))
        .await;
    assert_eq!(status, 200, "{reg}");
    assert_eq!(
        keys(&reg),
        ["id", "version", "guid", "schemaType", "schema"],
        "field order of RegisterSchemaResponse: {reg}"
    );
    assert_eq!(
        (&reg["version"], &reg["schemaType"]),
        (&json!(1), &json!("AVRO"))
    );
    let guid = reg["guid"].as_str().expect("guid").to_string();
    let id = reg["id"].as_i64().expect("id");

    // Registering it again answers the same version, still without ts.
    let (status, again) = server
        .post("/subjects/pay-value/versions", &json!({ "schema": V1 }))
        .await;
    assert_eq!((status, &again), (200, &reg));

    // Read from the store: guid, ts and deleted.
    let (status, v) = server.get("/subjects/pay-value/versions/1").await;
    assert_eq!(status, 200);
    assert_eq!(
        keys(&v),
        [
            "subject",
            "version",
            "id",
            "guid",
            "schemaType",
            "schema",
            "ts",
            "deleted"
        ],
        "{v}"
    );
    assert_eq!((&v["guid"], &v["deleted"]), (&json!(guid), &json!(false)));
    let ts = v["ts"].as_i64().expect("ts is an integer");
    assert!(
        ts >= before - 1000 && ts <= now_ms() + 1000,
        "ts {ts} is the write time"
    );

    // A lookup: a copy of the request, no ts or deleted.
    let (status, found) = server
        .post("/subjects/pay-value", &json!({ "schema": V1 }))
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        keys(&found),
        ["subject", "version", "id", "guid", "schemaType", "schema"]
    );

    // By ID: no subject or version unless asked for.
    let (_, by_id) = server.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(
        keys(&by_id),
        ["guid", "schemaType", "schema", "ts", "deleted"],
        "{by_id}"
    );
    assert_eq!(by_id["ts"], json!(ts));
    let (_, by_id) = server
        .get(&format!(
            "/schemas/ids/{id}?subject=pay-value&fetchMaxId=true"
        ))
        .await;
    assert_eq!(
        keys(&by_id),
        [
            "subject",
            "version",
            "guid",
            "schemaType",
            "schema",
            "maxId",
            "ts",
            "deleted"
        ],
        "{by_id}"
    );
    assert_eq!(
        (&by_id["subject"], &by_id["version"]),
        (&json!("pay-value"), &json!(1))
    );
    // Another subject's name: the holder is answered (fallback), as Confluent does.
    let (status, by_id) = server
        .get(&format!("/schemas/ids/{id}?subject=nobody"))
        .await;
    assert_eq!((status, &by_id["subject"]), (200, &json!("pay-value")));
    // A qualified subject that does not hold the ID finds nothing.
    let (status, by_id) = server
        .get(&format!("/schemas/ids/{id}?subject=:.elsewhere:pay-value"))
        .await;
    assert_eq!(status, 404, "{by_id}");
    assert_eq!(by_id["error_code"], json!(40403));

    // The list of schemas: stored elements.
    let (_, all) = server.get("/schemas?subjectPrefix=pay").await;
    assert_eq!(all[0]["guid"], json!(guid));
    assert_eq!(all[0]["ts"], json!(ts));
    assert_eq!(all[0]["deleted"], json!(false));

    // By GUID: no subject or version, ts and deleted as read.
    let (_, by_guid) = server.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(
        keys(&by_guid),
        ["guid", "schemaType", "schema", "ts", "deleted"],
        "{by_guid}"
    );

    // A second version, then a soft delete of the first: a new record, a later ts.
    let (status, reg2) = server
        .post("/subjects/pay-value/versions", &json!({ "schema": V2 }))
        .await;
    assert_eq!((status, &reg2["version"]), (200, &json!(2)), "{reg2}");
    assert_ne!(reg2["guid"], json!(guid));
    let (status, _) = server.delete("/subjects/pay-value/versions/1").await;
    assert_eq!(status, 200);
    let (status, gone) = server
        .get("/subjects/pay-value/versions/1?deleted=true")
        .await;
    assert_eq!(status, 200, "{gone}");
    assert_eq!(gone["deleted"], json!(true));
    let deleted_ts = gone["ts"].as_i64().expect("ts");
    assert!(
        deleted_ts >= ts,
        "a soft delete is a newer record: {deleted_ts} < {ts}"
    );
    (guid, deleted_ts)
}

/// IMPORT with an explicit version and ID that match: Confluent answers the stored entity,
/// so with `ts` and `deleted` (8.3.1 `KafkaSchemaRegistry.registerOrForward`).
async fn import_answer(server: &Server) {
    let (status, _) = server.put("/mode/imp", &json!({"mode": "IMPORT"})).await;
    assert_eq!(status, 200);
    let body = json!({"schema": V1, "id": 4242, "version": 3});
    let (status, first) = server.post("/subjects/imp/versions", &body).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!((&first["id"], &first["version"]), (&json!(4242), &json!(3)));
    let (status, again) = server.post("/subjects/imp/versions", &body).await;
    assert_eq!(status, 200, "{again}");
    assert!(again["ts"].is_i64(), "{again}");
    assert_eq!(again["deleted"], json!(false));
}

#[tokio::test]
async fn responses_8x_on_the_embedded_store() {
    let mut server = Server::start();
    let (guid, ts) = shapes(&server).await;
    import_answer(&server).await;
    // `ts` is stored with the record: the same after a restart.
    server.kill9();
    let server = Server::start_in(&server.dir);
    let (_, gone) = server
        .get("/subjects/pay-value/versions/1?deleted=true")
        .await;
    assert_eq!((&gone["ts"], &gone["guid"]), (&json!(ts), &json!(guid)));
}

#[tokio::test]
async fn responses_8x_on_kafka() {
    let Some(broker) = broker_or_skip("responses_8x_on_kafka") else {
        return;
    };
    let topic = format!("_schemas_8x_{}", std::process::id());
    let mut server = Server::builder()
        .kafka(&broker.address())
        .topic(&topic)
        .start();
    let (guid, ts) = shapes(&server).await;
    import_answer(&server).await;
    // The record's timestamp, read back from the topic (or the cache) after a restart.
    server.kill9();
    let server = Server::builder()
        .kafka(&broker.address())
        .topic(&topic)
        .dir(&server.dir)
        .start();
    server.wait_until_leader().await;
    let (_, gone) = server
        .get("/subjects/pay-value/versions/1?deleted=true")
        .await;
    assert_eq!((&gone["ts"], &gone["guid"]), (&json!(ts), &json!(guid)));
}

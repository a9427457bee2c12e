//! Schema GUIDs (Confluent 8.0+) over the real server, on both stores. The rules come from
//! Confluent 8.3.1 (research notes with line numbers: `docs/notes/guids-8x.md`):
//! - a GUID is the MD5 of the stored form (text, then references, metadata, rule set),
//!   shown as a UUID (`storage/MD5.java`, `client/.../entities/Schema.java` `updateHash`);
//! - `GET /schemas/guids/{guid}` (`rest/resources/SchemasResource.java` `getSchemaByGuid`)
//!   answers the schema without subject, version or ID, looking in the default context
//!   first, then the others (`AbstractSchemaRegistry.getByGuid`); an unknown or unparsable
//!   GUID is 404 40403 "Schema {guid} not found" (`Errors.schemaNotFoundException(String)`);
//! - `GET /schemas/guids/{guid}/ids` lists `{context, id}` by context then ID, `[]` when none;
//! - a soft-deleted schema still resolves; a hard-deleted one no longer does (Confluent keeps
//!   a stale `/ids` entry until restart; we drop it at once, as its notes advise).

mod common;

use common::kafka::broker_or_skip;
use common::Server;
use md5::{Digest, Md5};
use serde_json::json;

const ORDER: &str =
    r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"}]}"#;

/// The GUID of a schema with no references, metadata or rule set, computed here from the
/// text the registry serves (the stored form), independently of the server's code.
fn guid_of_text(text: &str) -> String {
    let d: [u8; 16] = Md5::digest(text.as_bytes()).into();
    let h: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

async fn guid_rules(server: &Server) {
    let (status, v) = server
        .post(
            "/subjects/orders-value/versions",
            &json!({ "schema": ORDER }),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let id = v["id"].as_i64().expect("id");
    let (_, stored) = server.get("/subjects/orders-value/versions/1").await;
    let guid = guid_of_text(stored["schema"].as_str().expect("schema"));

    let (status, v) = server.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v,
        json!({"guid": guid, "schemaType": "AVRO", "schema": stored["schema"],
               "ts": stored["ts"], "deleted": false})
    );
    // Any case, and 32 hex digits without dashes, name the same GUID.
    for form in [guid.to_uppercase(), guid.replace('-', "")] {
        let (status, v) = server.get(&format!("/schemas/guids/{form}")).await;
        assert_eq!((status, &v["guid"]), (200, &json!(guid)), "{form}: {v}");
    }

    // The same content in another context: one GUID, an ID per context.
    let (status, v) = server
        .post(
            "/subjects/:.other:orders-value/versions",
            &json!({ "schema": ORDER }),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let other_id = v["id"].as_i64().expect("id");
    let (status, v) = server.get(&format!("/schemas/guids/{guid}/ids")).await;
    assert_eq!(status, 200);
    assert_eq!(
        v,
        json!([{"context": ".", "id": id}, {"context": ".other", "id": other_id}])
    );

    // Unknown and unparsable GUIDs.
    for raw in ["00000000-0000-0000-0000-000000000000", "not-a-guid"] {
        let (status, v) = server.get(&format!("/schemas/guids/{raw}")).await;
        assert_eq!(
            (status, v.clone()),
            (
                404,
                json!({"error_code": 40403, "message": format!("Schema {raw} not found")})
            ),
            "{raw}"
        );
        let (status, v) = server.get(&format!("/schemas/guids/{raw}/ids")).await;
        assert_eq!((status, v), (200, json!([])), "{raw}");
    }

    // Soft-deleted: still served. Hard-deleted in the default context: found in the other.
    let (status, _) = server.delete("/subjects/orders-value/versions/1").await;
    assert_eq!(status, 200);
    let (status, _) = server.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(status, 200);
    let (status, _) = server
        .delete("/subjects/orders-value/versions/1?permanent=true")
        .await;
    assert_eq!(status, 200);
    let (_, v) = server.get(&format!("/schemas/guids/{guid}/ids")).await;
    assert_eq!(v, json!([{"context": ".other", "id": other_id}]));
    let (status, _) = server.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn guids_on_the_embedded_store() {
    let mut server = Server::start();
    guid_rules(&server).await;
    // Derived, not stored: the same answers after a restart.
    let (_, before) = server
        .get("/subjects/:.other:orders-value/versions/1")
        .await;
    let guid = guid_of_text(before["schema"].as_str().expect("schema"));
    server.kill9();
    let server = Server::start_in(&server.dir);
    let (status, v) = server.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!((status, &v["guid"]), (200, &json!(guid)), "{v}");
}

#[tokio::test]
async fn guids_on_kafka() {
    let Some(broker) = broker_or_skip("guids_on_kafka") else {
        return;
    };
    let server = Server::builder().kafka(&broker.address()).start();
    guid_rules(&server).await;
}

/// The GUID of a Protobuf schema is that of its stored text, whatever `format` asks, and
/// references and metadata are part of it (two schemas differing only there differ).
#[tokio::test]
async fn guid_of_formatted_and_referencing_schemas() {
    let server = Server::start();
    let dep = "syntax = \"proto3\";\npackage d;\n\nmessage D {\n  string s = 1;\n}\n";
    let (status, v) = server
        .post(
            "/subjects/dep/versions",
            &json!({"schemaType": "PROTOBUF", "schema": dep}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, stored) = server.get("/subjects/dep/versions/1").await;
    let guid = guid_of_text(stored["schema"].as_str().expect("schema"));
    let (status, v) = server
        .get(&format!("/schemas/guids/{guid}?format=serialized"))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["guid"], json!(guid));
    assert_eq!(v["schemaType"], json!("PROTOBUF"));
    assert_ne!(
        v["schema"], stored["schema"],
        "the serialized form is served"
    );

    // With metadata the text alone no longer gives the GUID.
    let (status, v) = server
        .post(
            "/subjects/meta/versions",
            &json!({"schema": ORDER, "metadata": {"properties": {"owner": "shop"}}}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, stored) = server.get("/subjects/meta/versions/1").await;
    let text_only = guid_of_text(stored["schema"].as_str().expect("schema"));
    let (status, _) = server.get(&format!("/schemas/guids/{text_only}")).await;
    assert_eq!(status, 404);
    // Its digest: text, 0x01, then the property key and value.
    let mut md = Md5::new();
    md.update(stored["schema"].as_str().expect("schema").as_bytes());
    md.update([1u8]);
    md.update(b"owner");
    md.update(b"shop");
    let d: [u8; 16] = md.finalize().into();
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    let (status, v) = server.get(&format!("/schemas/guids/{hex}")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["metadata"], json!({"properties": {"owner": "shop"}}));
}

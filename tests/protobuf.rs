//! Protobuf over the real server: the endpoints and flags Avro has, both input forms (`.proto`
//! text and a base64 `FileDescriptorProto`), `?format=`, references and bundled imports,
//! compatibility, and hostile input. The rules come from Confluent's code (7.9):
//! `ProtobufSchema` (text first, else a base64 descriptor; `canonicalString` is the printer's
//! text of the parsed file; `formattedString`: `serialized` is the base64 descriptor,
//! `ignore_extensions` the printer without extensions, any other format the canonical text),
//! `KafkaSchemaRegistry.get` (a non-blank `format` re-parses the stored schema),
//! `ProtobufSchemaProvider` (references resolved by import name) and `SubjectVersionsResource`
//! (reference checks on deletes).

mod common;

use base64::Engine;
use common::Server;
use prost::Message;
use serde_json::{json, Value};

fn pb(schema: &str) -> Value {
    json!({ "schema": schema, "schemaType": "PROTOBUF" })
}

fn pb_refs(schema: &str, refs: Value) -> Value {
    json!({ "schema": schema, "schemaType": "PROTOBUF", "references": refs })
}

const ORDER: &str = "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  string id = 1;\n  int32 qty = 2;\n}\n";

/// The raw body of `GET path` (the `/schema` routes answer the text itself).
async fn get_text(server: &Server, path: &str) -> (u16, String) {
    common::send(
        &common::client(),
        &format!("http://{}", server.address()),
        "GET",
        path,
        None,
        None,
    )
    .await
    .expect("request")
}

fn descriptor_of(base64_text: &str) -> prost_types::FileDescriptorProto {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_text)
        .expect("base64");
    prost_types::FileDescriptorProto::decode(bytes.as_slice()).expect("a FileDescriptorProto")
}

#[tokio::test]
async fn every_read_endpoint_answers_schema_type_protobuf() {
    let server = Server::start();
    let (status, v) = server.post("/subjects/o/versions", &pb(ORDER)).await;
    assert_eq!(status, 200, "{v}");
    let id = v["id"].as_i64().expect("id");
    for path in [
        "/subjects/o/versions/1".to_string(),
        "/subjects/o/versions/latest".to_string(),
        format!("/schemas/ids/{id}"),
        format!("/schemas/ids/{id}?subject=o"),
        format!("/schemas/ids/{id}?format=default"),
        format!("/schemas/ids/{id}?format=nonsense"),
    ] {
        let (status, v) = server.get(&path).await;
        assert_eq!(status, 200, "{path}: {v}");
        assert_eq!(v["schemaType"], "PROTOBUF", "{path}: {v}");
        assert_eq!(v["schema"], ORDER, "{path}: {v}");
    }
    // The raw schema is the .proto text itself.
    let (status, text) = get_text(&server, "/subjects/o/versions/1/schema").await;
    assert_eq!((status, text.as_str()), (200, ORDER));
    // Lookup finds it from any layout of the same file (the canonical text is the printer's).
    let compact = "syntax=\"proto3\";package acme;message Order{string id=1;int32 qty=2;}";
    let (status, v) = server.post("/subjects/o", &pb(compact)).await;
    assert_eq!((status, v["version"].as_i64()), (200, Some(1)), "{v}");
    assert_eq!(v["schemaType"], "PROTOBUF", "{v}");
    let (_, v) = server.get("/schemas?subjectPrefix=o").await;
    assert_eq!(v[0]["schemaType"], "PROTOBUF", "{v}");
    // Soft delete, deleted reads, permanent delete.
    let (status, _) = server.delete("/subjects/o/versions/1").await;
    assert_eq!(status, 200);
    let (status, v) = server.get("/subjects/o/versions/1?deleted=true").await;
    assert_eq!((status, &v["schemaType"]), (200, &json!("PROTOBUF")), "{v}");
    let (status, _) = server.delete("/subjects/o/versions/1?permanent=true").await;
    assert_eq!(status, 200);
    let (status, _) = server.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(status, 404);
}

/// `format=serialized` answers the base64 `FileDescriptorProto` (`ProtobufSchema.formattedString`)
/// on every route that takes `format`; registering that descriptor is the same schema (the
/// canonical text is printed from the parsed file whatever the input form), so it gets the
/// same ID and version.
#[tokio::test]
async fn serialized_descriptors_round_trip_to_the_same_id() {
    let server = Server::start();
    let (status, v) = server.post("/subjects/s/versions", &pb(ORDER)).await;
    assert_eq!(status, 200, "{v}");
    let id = v["id"].as_i64().expect("id");
    let (status, v) = server
        .get(&format!("/schemas/ids/{id}?format=serialized"))
        .await;
    assert_eq!(status, 200, "{v}");
    let b64 = v["schema"].as_str().expect("schema").to_string();
    let file = descriptor_of(&b64);
    assert_eq!(file.package.as_deref(), Some("acme"));
    assert_eq!(file.syntax.as_deref(), Some("proto3"));
    let order = &file.message_type[0];
    assert_eq!(order.name.as_deref(), Some("Order"));
    let fields: Vec<_> = order
        .field
        .iter()
        .map(|f| (f.name().to_string(), f.number()))
        .collect();
    assert_eq!(fields, [("id".to_string(), 1), ("qty".to_string(), 2)]);
    for path in [
        "/subjects/s/versions/1?format=serialized",
        "/subjects/s/versions/latest?format=serialized",
    ] {
        let (_, v) = server.get(path).await;
        assert_eq!(v["schema"], b64.as_str(), "{path}");
    }
    let (status, text) = get_text(
        &server,
        &format!("/schemas/ids/{id}/schema?format=serialized"),
    )
    .await;
    assert_eq!((status, text.as_str()), (200, b64.as_str()));
    // The descriptor as input: the same file.
    let (status, v) = server.post("/subjects/s/versions", &pb(&b64)).await;
    assert_eq!((status, v["id"].as_i64()), (200, Some(id)), "{v}");
    let (status, v) = server.post("/subjects/s", &pb(&b64)).await;
    assert_eq!((status, v["version"].as_i64()), (200, Some(1)), "{v}");
    // What a descriptor registers is stored as .proto text.
    let (_, v) = server.get("/subjects/s/versions/1").await;
    assert_eq!(v["schema"], ORDER);
    // 8.3.1 `SubjectVersionsResource.register` and `SubjectsResource.getLatestWithMetadata`
    // take `format` too; without it the text is the stored one.
    let (status, v) = server
        .post("/subjects/s/versions?format=serialized", &pb(ORDER))
        .await;
    assert_eq!(
        (status, v["schema"].as_str()),
        (200, Some(b64.as_str())),
        "{v}"
    );
    let (_, v) = server.post("/subjects/s/versions", &pb(ORDER)).await;
    assert_eq!(v["schema"], ORDER);
    let mut with_meta = pb(ORDER);
    with_meta["metadata"] = serde_json::json!({"properties": {"team": "a"}});
    let (status, v) = server.post("/subjects/m/versions", &with_meta).await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = server
        .get("/subjects/m/metadata?key=team&value=a&format=serialized")
        .await;
    assert_eq!(
        (status, v["schema"].as_str()),
        (200, Some(b64.as_str())),
        "{v}"
    );
}

/// Imports resolve through references by import name, transitively; `google/protobuf/*` and
/// the other files Confluent bundles need no reference; `referencedby` and the delete guard
/// (42206) apply as for the other formats.
#[tokio::test]
async fn references_and_bundled_imports() {
    let server = Server::start();
    let money = "syntax = \"proto3\";\npackage common;\n\nmessage Money {\n  int64 cents = 1;\n  string currency = 2;\n}\n";
    let address = "syntax = \"proto3\";\npackage common;\n\nimport \"common/money.proto\";\n\nmessage Address {\n  string street = 1;\n  common.Money fee = 2;\n}\n";
    let (status, v) = server.post("/subjects/money/versions", &pb(money)).await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = server
        .post(
            "/subjects/address/versions",
            &pb_refs(
                address,
                json!([{"name": "common/money.proto", "subject": "money", "version": 1}]),
            ),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let customer = "syntax = \"proto3\";\npackage shop;\n\nimport \"common/address.proto\";\nimport \"google/protobuf/timestamp.proto\";\nimport \"google/type/date.proto\";\n\nmessage Customer {\n  common.Address home = 1;\n  google.protobuf.Timestamp since = 2;\n  google.type.Date born = 3;\n}\n";
    let (status, v) = server
        .post(
            "/subjects/customer/versions",
            &pb_refs(
                customer,
                json!([{"name": "common/address.proto", "subject": "address", "version": 1}]),
            ),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let customer_id = v["id"].as_i64().expect("id");
    // The serialized form names its dependencies by import name.
    let (_, v) = server
        .get(&format!("/schemas/ids/{customer_id}?format=serialized"))
        .await;
    let file = descriptor_of(v["schema"].as_str().expect("schema"));
    assert!(
        file.dependency
            .contains(&"common/address.proto".to_string()),
        "{:?}",
        file.dependency
    );
    // A type of an import that has no reference does not resolve.
    let (status, v) = server
        .post("/subjects/orphan/versions", &pb(customer))
        .await;
    assert_eq!(
        (status, v["error_code"].as_i64()),
        (422, Some(42201)),
        "{v}"
    );
    let (status, v) = server
        .get("/subjects/address/versions/1/referencedby")
        .await;
    assert_eq!((status, v), (200, json!([customer_id])));
    let (status, v) = server.delete("/subjects/money").await;
    assert_eq!(
        (status, v["error_code"].as_i64()),
        (422, Some(42206)),
        "{v}"
    );
}

/// Registration is checked against the subject's level with Confluent's Protobuf rules: a new
/// field is compatible, a changed field type is not (with the verbose message naming it).
#[tokio::test]
async fn compatibility_follows_the_level() {
    let server = Server::start();
    let (status, _) = server.post("/subjects/c/versions", &pb(ORDER)).await;
    assert_eq!(status, 200);
    let added = "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  string id = 1;\n  int32 qty = 2;\n  string note = 3;\n}\n";
    let (status, v) = server
        .post(
            "/compatibility/subjects/c/versions/latest?verbose=true",
            &pb(added),
        )
        .await;
    assert_eq!((status, &v["is_compatible"]), (200, &json!(true)), "{v}");
    let changed = "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  string id = 1;\n  string qty = 2;\n}\n";
    let (status, v) = server
        .post(
            "/compatibility/subjects/c/versions/latest?verbose=true",
            &pb(changed),
        )
        .await;
    assert_eq!((status, &v["is_compatible"]), (200, &json!(false)), "{v}");
    let messages = v["messages"].to_string();
    assert!(messages.contains("FIELD_SCALAR_KIND_CHANGED"), "{v}");
    let (status, v) = server.post("/subjects/c/versions", &pb(changed)).await;
    assert_eq!((status, v["error_code"].as_i64()), (409, Some(409)), "{v}");
    let (status, _) = server.post("/subjects/c/versions", &pb(added)).await;
    assert_eq!(status, 200);
}

/// `normalize=true` stores the printer's normalized text (fields by number, imports sorted,
/// Confluent's `FormatContext(normalize)`), and finds a reordered file by it.
#[tokio::test]
async fn normalize_orders_by_field_number() {
    let server = Server::start();
    let swapped = "syntax = \"proto3\";\npackage acme;\nmessage Order {\n  int32 qty = 2;\n  string id = 1;\n}\n";
    let (status, v) = server
        .post("/subjects/n/versions?normalize=true", &pb(swapped))
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = server.get("/subjects/n/versions/1").await;
    assert_eq!(v["schema"], ORDER);
    let (status, v) = server.post("/subjects/n?normalize=true", &pb(ORDER)).await;
    assert_eq!((status, v["version"].as_i64()), (200, Some(1)), "{v}");
    // Without normalize the lookup still finds it: after the text as sent, Confluent tries its
    // normalized form (KafkaSchemaRegistry.lookUpSchemaUnderSubject), as for Avro.
    let (status, v) = server.post("/subjects/n", &pb(swapped)).await;
    assert_eq!((status, v["version"].as_i64()), (200, Some(1)), "{v}");
    // A file that differs in more than order is another schema.
    let other = swapped.replace("qty", "quantity");
    let (status, v) = server.post("/subjects/n", &pb(&other)).await;
    assert_eq!(
        (status, v["error_code"].as_i64()),
        (404, Some(40403)),
        "{v}"
    );
}

/// IMPORT mode keeps the given ID for a Protobuf schema, and it reads back like any other.
#[tokio::test]
async fn import_mode_and_contexts() {
    let server = Server::start();
    let (status, v) = server
        .put("/mode/imp?force=true", &json!({"mode": "IMPORT"}))
        .await;
    assert_eq!(status, 200, "{v}");
    let mut body = pb(ORDER);
    body["id"] = json!(4242);
    body["version"] = json!(3);
    let (status, v) = server.post("/subjects/imp/versions", &body).await;
    assert_eq!((status, v["id"].as_i64()), (200, Some(4242)), "{v}");
    let (_, v) = server.get("/schemas/ids/4242").await;
    assert_eq!(v["schemaType"], "PROTOBUF", "{v}");
    // A context has its own ID space.
    let (status, v) = server.post("/subjects/:.ctx:o/versions", &pb(ORDER)).await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = server.get("/subjects/:.ctx:o/versions/1").await;
    assert_eq!(v["schema"], ORDER, "{v}");
}

/// Hostile input gets a clear 4xx, never a 500, a hang or a crash: deep nesting, a huge file,
/// an import cycle, bytes that are neither text nor a descriptor.
#[tokio::test]
async fn hostile_protobuf_input_gets_clear_answers() {
    let server = Server::start();
    let deep = format!(
        "syntax = \"proto3\";\n{}{}",
        "message M { ".repeat(5_000),
        "}".repeat(5_000)
    );
    let nested_option = format!(
        "syntax = \"proto3\";\noption (x) = {}1{};\nmessage M {{ string a = 1; }}\n",
        "{ a: ".repeat(5_000),
        " }".repeat(5_000)
    );
    let many_fields = {
        let mut s = String::from("syntax = \"proto3\";\nmessage Big {\n");
        for i in 1..=20_000 {
            s.push_str(&format!("  string f{i} = {i};\n"));
        }
        s.push_str("}\n");
        s
    };
    for (what, text, ok) in [
        ("deep nesting", deep.as_str(), false),
        ("deep option value", nested_option.as_str(), false),
        ("not base64", "!!!! definitely not a descriptor", false),
        ("base64 of garbage", "AAAAAAAAAAAA/////w==", false),
        // A FileDescriptorProto whose `name` (field 1) holds the bytes ff fe: not UTF-8.
        ("descriptor with invalid UTF-8", "CgL//g==", false),
        ("20,000 fields", many_fields.as_str(), true),
    ] {
        let (status, v) = server.post("/subjects/h/versions", &pb(text)).await;
        if ok {
            assert_eq!(status, 200, "{what}: {v}");
        } else {
            assert_eq!(
                (status, v["error_code"].as_i64()),
                (422, Some(42201)),
                "{what}: {v}"
            );
        }
    }
    // A body that is not UTF-8 (inside the schema string): a client error, not a 500.
    let raw = b"{\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax = \\\"proto3\\\"; message M { string \xff\xfe = 1; }\"}".to_vec();
    let resp = common::client()
        .post(format!("http://{}/subjects/h/versions", server.address()))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(raw)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    assert!(
        (400..500).contains(&status),
        "invalid UTF-8 body: {status} {body}"
    );
    // An import nobody provides (as in a cycle, where the other half does not exist yet): the
    // type does not resolve.
    let a = "syntax = \"proto3\";\nimport \"b.proto\";\nmessage A { B b = 1; }\n";
    let (status, v) = server.post("/subjects/cyc-a/versions", &pb(a)).await;
    assert_eq!(
        (status, v["error_code"].as_i64()),
        (422, Some(42201)),
        "{v}"
    );
    // The server is still healthy.
    let (status, _) = server.get("/subjects").await;
    assert_eq!(status, 200);
}

/// A real import cycle through references to `latest` (version -1, resolved when used, as
/// Confluent's `AbstractSchemaRegistry.resolveReferences` does): `a` v1 has no imports, `b` v1
/// imports `a.proto` = subject `a` latest, then `a` v2 imports `b.proto` = `b` v1. Registering
/// `a` v2 sees `b` → `a` v1 (no cycle yet); afterwards every use of `b` v1 resolves
/// `a` latest = v2, which imports `b` again. Each route that resolves those references must
/// answer (a clear 4xx where the schema is needed, the stored text where only shown), never
/// loop, overflow or 500; the registry stays healthy.
#[tokio::test]
async fn import_cycle_through_latest_references_gets_clear_answers() {
    let server = Server::start();
    let a1 = "syntax = \"proto3\";\npackage cyc;\n\nmessage A {\n  string id = 1;\n}\n";
    let b1 = "syntax = \"proto3\";\npackage cyc;\n\nimport \"a.proto\";\n\nmessage B {\n  cyc.A a = 1;\n}\n";
    let a2 = "syntax = \"proto3\";\npackage cyc;\n\nimport \"b.proto\";\n\nmessage A {\n  string id = 1;\n  cyc.B back = 2;\n}\n";
    let b_refs = json!([{"name": "a.proto", "subject": "a", "version": -1}]);
    let (status, v) = server.post("/subjects/a/versions", &pb(a1)).await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = server
        .post("/subjects/b/versions", &pb_refs(b1, b_refs.clone()))
        .await;
    assert_eq!(status, 200, "{v}");
    let b_id = v["id"].as_i64().expect("id");
    server
        .put("/config/a", &json!({"compatibility": "NONE"}))
        .await;
    let (status, v) = server
        .post(
            "/subjects/a/versions",
            &pb_refs(
                a2,
                json!([{"name": "b.proto", "subject": "b", "version": 1}]),
            ),
        )
        .await;
    assert_eq!(status, 200, "{v}");

    // Now `b` v1's references lead back to itself. Shown: the stored text, in either form.
    let (status, v) = server.get(&format!("/schemas/ids/{b_id}")).await;
    assert_eq!((status, v["schema"].as_str()), (200, Some(b1)), "{v}");
    let (status, v) = server
        .get(&format!("/schemas/ids/{b_id}?format=serialized"))
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = server.get("/subjects/b/versions/1").await;
    assert_eq!(status, 200, "{v}");

    // Needed as a schema: the cycle is named, with Confluent's invalid-schema code.
    let (status, v) = server
        .post("/subjects/b/versions", &pb_refs(b1, b_refs.clone()))
        .await;
    assert!(
        status == 200 || (status, v["error_code"].as_i64()) == (422, Some(42201)),
        "re-registering b v1: {status} {v}"
    );
    let b2 = "syntax = \"proto3\";\npackage cyc;\n\nimport \"a.proto\";\n\nmessage B {\n  cyc.A a = 1;\n  string note = 2;\n}\n";
    let (status, v) = server
        .post("/subjects/b/versions", &pb_refs(b2, b_refs.clone()))
        .await;
    assert_eq!(
        (status, v["error_code"].as_i64()),
        (422, Some(42201)),
        "{v}"
    );
    let message = v["message"].as_str().unwrap_or_default();
    assert!(message.contains("Import cycle"), "{message}");
    let (status, v) = server
        .post(
            "/compatibility/subjects/b/versions/latest",
            &pb_refs(b2, b_refs.clone()),
        )
        .await;
    assert_eq!(
        (status, v["error_code"].as_i64()),
        (422, Some(42201)),
        "{v}"
    );
    // Lookup of the same text: found or a clear 4xx, not a loop.
    let (status, v) = server.post("/subjects/b", &pb_refs(b1, b_refs)).await;
    assert!(
        status == 200 || (400..500).contains(&status),
        "{status} {v}"
    );

    let (status, _) = server.get("/subjects").await;
    assert_eq!(status, 200);
}

//! Confluent 8.1–8.2 modes and contexts over the real server (notes with line numbers:
//! `docs/notes/modes-contexts-8x.md`, from 8.3.1):
//! - `DELETE /mode[/{s}]?recursive=` (`rest/resources/ModeResource.java` `deleteSubjectMode`,
//!   `KafkaSchemaRegistry.deleteSubjectMode` / `deleteModesForSubjectsUnderContext`): the
//!   `null` key and `:.__GLOBAL:` answer their mode or READWRITE, a subject without a mode
//!   is 404 40401 unless `recursive` (then `{}`); recursive on a context also clears every
//!   subject mode in that context and nothing else;
//! - `DELETE /contexts/{ctx}` (`ContextsResource.deleteContext`): 422 42211 while any
//!   version exists (soft-deleted ones count), else 204 and the context leaves the list;
//! - the true global scope `:.__GLOBAL:` (`InMemoryCache.config` / `.mode`): below the
//!   context's own setting; `GET /config` and `GET /mode` reach it only with
//!   `defaultToGlobal=true`; no schema can be registered in it (42208).

mod common;

use common::Server;
use serde_json::json;

const S: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;

async fn mode_of(server: &Server, path: &str) -> serde_json::Value {
    server.get(path).await.1
}

#[tokio::test]
async fn mode_deletes_recursive_and_global() {
    let server = Server::start();
    // Nothing stored: the null key answers READWRITE, a subject 40401, recursive `{}`.
    assert_eq!(
        server.delete("/mode").await,
        (200, json!({"mode": "READWRITE"}))
    );
    let (status, v) = server.delete("/mode/nobody").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40401)), "{v}");
    assert_eq!(v["message"], "Subject 'nobody' not found.");
    assert_eq!(
        server.delete("/mode/nobody?recursive=true").await,
        (200, json!({}))
    );
    assert_eq!(
        server.delete("/mode/:.__GLOBAL:").await,
        (200, json!({"mode": "READWRITE"}))
    );

    for (path, mode) in [
        ("/mode", "READONLY"),
        ("/mode/a", "IMPORT"),
        ("/mode/b", "READONLY"),
        ("/mode/:.c:", "READONLY"),
        ("/mode/:.c:x", "IMPORT"),
        ("/mode/:.d:y", "READONLY"),
        ("/mode/:.__GLOBAL:", "READONLY"),
    ] {
        let (status, v) = server.put(path, &json!({"mode": mode})).await;
        assert_eq!(status, 200, "{path}: {v}");
    }
    // Recursive on a named context: the context and its subjects, nothing else.
    assert_eq!(
        server.delete("/mode/:.c:?recursive=true").await,
        (200, json!({"mode": "READONLY"}))
    );
    assert_eq!(server.get("/mode/:.c:x").await.0, 404);
    assert_eq!(
        mode_of(&server, "/mode/:.d:y").await,
        json!({"mode": "READONLY"})
    );
    assert_eq!(mode_of(&server, "/mode/a").await, json!({"mode": "IMPORT"}));
    // Recursive on the default context: the null key and its subjects; the true global stays.
    assert_eq!(
        server.delete("/mode?recursive=true").await,
        (200, json!({"mode": "READONLY"}))
    );
    assert_eq!(server.get("/mode/a").await.0, 404);
    assert_eq!(server.get("/mode/b").await.0, 404);
    assert_eq!(
        mode_of(&server, "/mode/:.d:y").await,
        json!({"mode": "READONLY"})
    );
    assert_eq!(
        mode_of(&server, "/mode").await,
        json!({"mode": "READWRITE"})
    );
    assert_eq!(
        mode_of(&server, "/mode?defaultToGlobal=true").await,
        json!({"mode": "READONLY"})
    );
    assert_eq!(
        mode_of(&server, "/mode/:.__GLOBAL:").await,
        json!({"mode": "READONLY"})
    );
    // The true global's READONLY holds below every context without its own mode...
    let (status, v) = server
        .post("/subjects/s/versions", &json!({"schema": S}))
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42205)), "{v}");
    // ...and a subject's own READWRITE overrides it.
    server.put("/mode/s", &json!({"mode": "READWRITE"})).await;
    let (status, v) = server
        .post("/subjects/s/versions", &json!({"schema": S}))
        .await;
    assert_eq!(status, 200, "{v}");
    // A plain subject with recursive: just its own mode.
    assert_eq!(
        server.delete("/mode/s?recursive=true").await,
        (200, json!({"mode": "READWRITE"}))
    );
    assert_eq!(
        server.delete("/mode/:.__GLOBAL:").await,
        (200, json!({"mode": "READONLY"}))
    );
    assert_eq!(
        mode_of(&server, "/mode?defaultToGlobal=true").await,
        json!({"mode": "READWRITE"})
    );
}

#[tokio::test]
async fn true_global_config_and_subjects() {
    let server = Server::start();
    let (status, v) = server
        .put("/config/:.__GLOBAL:", &json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(status, 200, "{v}");
    // `GET /config` is the default context's unless asked to fall back.
    assert_eq!(
        server.get("/config").await.1["compatibilityLevel"],
        json!("BACKWARD")
    );
    assert_eq!(
        server.get("/config?defaultToGlobal=true").await.1["compatibilityLevel"],
        json!("NONE")
    );
    assert_eq!(
        server.get("/config/:.c:x?defaultToGlobal=true").await.1["compatibilityLevel"],
        json!("NONE")
    );
    // It governs registrations: an incompatible change passes under NONE.
    let next = r#"{"type":"record","name":"R","fields":[{"name":"b","type":"string"}]}"#;
    for schema in [S, next] {
        let (status, v) = server
            .post("/subjects/:.c:x/versions", &json!({"schema": schema}))
            .await;
        assert_eq!(status, 200, "{v}");
    }
    // The default context's own config wins over it.
    server
        .put("/config", &json!({"compatibility": "FULL"}))
        .await;
    assert_eq!(
        server.get("/config/y?defaultToGlobal=true").await.1["compatibilityLevel"],
        json!("FULL")
    );
    // The global scope never 404s; deleting it answers what it was.
    let (status, v) = server.delete("/config/:.__GLOBAL:").await;
    assert_eq!(
        (status, &v["compatibilityLevel"]),
        (200, &json!("NONE")),
        "{v}"
    );
    let (status, v) = server.get("/config/:.__GLOBAL:").await;
    assert_eq!(
        (status, &v["compatibilityLevel"]),
        (200, &json!("BACKWARD")),
        "{v}"
    );
    // No schema lives in the global context.
    let (status, v) = server
        .post("/subjects/:.__GLOBAL:z/versions", &json!({"schema": S}))
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42208)), "{v}");
}

#[tokio::test]
async fn context_delete_only_when_empty() {
    let mut server = Server::start();
    let (status, v) = server
        .post("/subjects/:.gone:s/versions", &json!({"schema": S}))
        .await;
    assert_eq!(status, 200, "{v}");
    let first_id = v["id"].as_i64().expect("id");
    assert_eq!(server.get("/contexts").await.1, json!([".", ".gone"]));
    // Live, then soft-deleted: still not empty.
    for _ in 0..2 {
        let (status, v) = server.delete("/contexts/.gone").await;
        assert_eq!((status, &v["error_code"]), (422, &json!(42211)), "{v}");
        assert_eq!(
            v["message"],
            "The specified context ':.gone:' is not empty."
        );
        server.delete("/subjects/:.gone:s").await;
    }
    let (status, _) = server.delete("/subjects/:.gone:s?permanent=true").await;
    assert_eq!(status, 200);
    // Each spelling names the same context; the default context is no route.
    for path in ["/contexts/.gone", "/contexts/gone", "/contexts/:.gone:"] {
        let (status, body) = server.delete(path).await;
        assert_eq!((status, body), (204, serde_json::Value::Null), "{path}");
    }
    assert_eq!(server.get("/contexts").await.1, json!(["."]));
    assert_eq!(server.delete("/contexts/.").await.0, 404);
    // After a restart too; a new registration lists it again, with a fresh ID.
    server.kill9();
    let server = Server::start_in(&server.dir);
    assert_eq!(server.get("/contexts").await.1, json!(["."]));
    let other = r#"{"type":"record","name":"Q","fields":[{"name":"q","type":"int"}]}"#;
    let (status, v) = server
        .post("/subjects/:.gone:t/versions", &json!({"schema": other}))
        .await;
    assert_eq!(status, 200, "{v}");
    assert!(v["id"].as_i64().expect("id") > first_id, "{v}");
    assert_eq!(server.get("/contexts").await.1, json!([".", ".gone"]));
}

/// `referenceFormat=qualified` (8.1, `SchemasResource.getSchema`,
/// `SubjectVersionsResource.getSchemaByVersion`, `QualifiedSubject.qualifySubjectWithParent`):
/// references of a schema in a non-default context are named in that context; only the
/// exact word `qualified` does it, and by ID only when `subject` is given.
#[tokio::test]
async fn reference_format_qualified_names_references_in_their_context() {
    let server = Server::start();
    let dep = r#"{"type":"record","name":"Dep","fields":[{"name":"d","type":"int"}]}"#;
    let (status, v) = server
        .post("/subjects/:.c:dep/versions", &json!({"schema": dep}))
        .await;
    assert_eq!(status, 200, "{v}");
    let body = json!({
        "schema": r#"{"type":"record","name":"R","fields":[{"name":"x","type":"Dep"}]}"#,
        "references": [{"name": "Dep", "subject": "dep", "version": 1}],
    });
    let (status, v) = server.post("/subjects/:.c:r/versions", &body).await;
    assert_eq!(status, 200, "{v}");
    let id = v["id"].as_i64().expect("id");
    let reference = |v: &serde_json::Value| v["references"][0]["subject"].clone();
    let (_, v) = server
        .get("/subjects/:.c:r/versions/1?referenceFormat=qualified")
        .await;
    assert_eq!(reference(&v), json!(":.c:dep"), "{v}");
    let (_, v) = server
        .get("/subjects/:.c:r/versions/1?referenceFormat=QUALIFIED")
        .await;
    assert_eq!(reference(&v), json!("dep"), "{v}");
    let (_, v) = server
        .get(&format!(
            "/schemas/ids/{id}?subject=:.c:r&referenceFormat=qualified"
        ))
        .await;
    assert_eq!(reference(&v), json!(":.c:dep"), "{v}");
    let (_, v) = server
        .get(&format!(
            "/contexts/.c/schemas/ids/{id}?referenceFormat=qualified"
        ))
        .await;
    assert_eq!(reference(&v), json!(":.c:dep"), "{v}");
}

/// `schema.reject.empty.subject` (8.3.0, `SubjectVersionsResource.register` →
/// `isValidSubject(…, allowEmpty)`): off by default; on, a registration under an empty
/// subject name (`:.ctx:`) is 42208. Lookups are not affected.
#[tokio::test]
async fn empty_subjects_are_refused_only_when_configured() {
    let default = Server::start();
    let (status, v) = default
        .post("/subjects/:.c:/versions", &json!({"schema": S}))
        .await;
    assert_eq!(status, 200, "{v}");
    let strict = Server::builder()
        .args(["--schema-reject-empty-subject", "true"])
        .start();
    let (status, v) = strict
        .post("/subjects/:.c:/versions", &json!({"schema": S}))
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42208)), "{v}");
    assert_eq!(v["message"], "The specified subject ':.c:' is not a valid.");
    let (status, v) = strict
        .post("/subjects/:.c:/versions", &json!({"schema": S}))
        .await;
    assert_eq!(status, 422, "{v}");
    let (status, _) = strict.post("/subjects/:.c:", &json!({"schema": S})).await;
    assert_eq!(status, 404);
}

/// `validateNewSchemas` (8.x config field and `schema.validate.new.schemas`; 8.3.1
/// `AbstractSchemaRegistry.isSchemaNewSchemaValidationEnabled`, `KafkaSchemaRegistry.register`
/// passes `isNew = id < 0 && validateNewSchemas`, `isCompatible` passes `validateNewSchemas`,
/// `AvroSchema.getParser` validates defaults when new). Unset, the 7.9 rule stays: a bad
/// default is accepted unless normalizing.
#[tokio::test]
async fn validate_new_schemas_makes_new_avro_defaults_strict() {
    const BAD: &str =
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#;
    const GOOD: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
    let server = Server::start();
    let (status, v) = server
        .post("/subjects/lenient/versions", &json!({"schema": BAD}))
        .await;
    assert_eq!(status, 200, "7.9's rule by default: {v}");

    let (status, v) = server
        .put("/config/strict", &json!({"validateNewSchemas": true}))
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = server.get("/config/strict").await;
    assert_eq!(v["validateNewSchemas"], true, "{v}");
    let (status, v) = server
        .post("/subjects/strict/versions", &json!({"schema": BAD}))
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42201)), "{v}");
    let (status, v) = server
        .post("/subjects/strict/versions", &json!({"schema": GOOD}))
        .await;
    assert_eq!(status, 200, "{v}");
    // A compatibility check parses the candidate as new too.
    let (status, v) = server
        .post(
            "/compatibility/subjects/strict/versions/latest",
            &json!({"schema": BAD}),
        )
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42201)), "{v}");
    // A registration with an explicit ID (IMPORT) is not new: not strict.
    let (status, _) = server
        .put("/mode/strict?force=true", &json!({"mode": "IMPORT"}))
        .await;
    assert_eq!(status, 200);
    let (status, v) = server
        .post(
            "/subjects/strict/versions",
            &json!({"schema": BAD, "id": 100, "version": 5}),
        )
        .await;
    assert_eq!(status, 200, "{v}");

    // The server-wide default, and a config that turns it off again.
    let strict = Server::builder()
        .args(["--schema-validate-new-schemas", "true"])
        .start();
    let (status, v) = strict
        .post("/subjects/any/versions", &json!({"schema": BAD}))
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42201)), "{v}");
    let (status, _) = strict
        .put("/config/loose", &json!({"validateNewSchemas": false}))
        .await;
    assert_eq!(status, 200);
    let (status, v) = strict
        .post(
            "/subjects/loose/versions?normalize=true",
            &json!({"schema": BAD}),
        )
        .await;
    assert_eq!(status, 200, "false: never strict, even normalizing: {v}");
}

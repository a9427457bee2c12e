//! Rules read from Confluent's code (7.9 and 8.3.1 agree on each) that the recorded sample
//! does not show, found by the endpoint reviews in `docs/notes/review-subjects-8x.md` and
//! `docs/notes/review-config-schemas-8x.md`. Each test names the Java it follows.

mod common;

use common::Server;
use serde_json::{json, Value};

const A: &str = r#"{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}"#;
const B: &str = r#"{"type":"record","name":"A","fields":[{"name":"x","type":"int"},{"name":"y","type":"int","default":1}]}"#;

async fn register(server: &Server, subject: &str, body: Value) -> Value {
    let (status, v) = server
        .post(&format!("/subjects/{subject}/versions"), &body)
        .await;
    assert_eq!(status, 200, "{subject}: {v}");
    v
}

/// `CompatibilityResource.testCompatibilityBySubjectName`: the version is looked up first;
/// `latest` of a subject without live versions checks against nothing (compatible); a
/// number that is not a live version is 40402, before the schema is parsed.
#[tokio::test]
async fn compatibility_checks_on_missing_subjects_and_versions() {
    let server = Server::start();
    let (status, v) = server
        .post(
            "/compatibility/subjects/nothing-yet/versions/latest",
            &json!({"schema": A}),
        )
        .await;
    assert_eq!((status, v), (200, json!({"is_compatible": true})));
    let (status, v) = server
        .post(
            "/compatibility/subjects/nothing-yet/versions/3",
            &json!({"schema": "not a schema"}),
        )
        .await;
    assert_eq!(
        (status, v),
        (
            404,
            json!({"error_code": 40402, "message": "Version 3 not found."})
        )
    );
}

/// `KafkaSchemaRegistry.registerOrForward`: a schema the subject already holds is answered
/// before the mode is checked, so producers that auto-register keep working against a
/// READONLY subject (and in IMPORT mode without an ID); a new one is refused.
#[tokio::test]
async fn registering_a_known_schema_succeeds_in_readonly_and_import_modes() {
    let server = Server::start();
    let first = register(&server, "ro", json!({"schema": A})).await;
    for mode in ["READONLY", "IMPORT"] {
        let (status, _) = server
            .put("/mode/ro?force=true", &json!({"mode": mode}))
            .await;
        assert_eq!(status, 200);
        let (status, v) = server
            .post("/subjects/ro/versions", &json!({"schema": A}))
            .await;
        assert_eq!(status, 200, "{mode}: {v}");
        assert_eq!(v["id"], first["id"], "{mode}: {v}");
        let (status, v) = server
            .post("/subjects/ro/versions", &json!({"schema": B}))
            .await;
        assert_eq!(
            (status, &v["error_code"]),
            (422, &json!(42205)),
            "{mode}: {v}"
        );
    }
}

/// `get(subject, -1, …)` is `getLatestVersion`: the newest live version even with
/// `deleted=true`; none live: 40402 "Version -1 not found." with `deleted`, else 40401
/// (`SubjectVersionsResource.getSchemaByVersion`). `DELETE …/versions/-1` is `latest`
/// (`VersionId`), and the version is validated before the mode
/// (`validateDeleteSchemaVersion`). `deletedOnly` lists subjects whose versions are all
/// soft-deleted (`extractUniqueSubjects`).
#[tokio::test]
async fn latest_is_the_newest_live_version() {
    let server = Server::start();
    register(&server, "l", json!({"schema": A})).await;
    register(&server, "l", json!({"schema": B})).await;
    let (status, _) = server.delete("/subjects/l/versions/2").await;
    assert_eq!(status, 200);
    let (_, v) = server.get("/subjects/l/versions/latest?deleted=true").await;
    assert_eq!(v["version"], 1, "{v}");
    let (_, subjects) = server.get("/subjects?deletedOnly=true").await;
    assert_eq!(subjects, json!([]), "l still has a live version");

    let (status, v) = server.delete("/subjects/l/versions/-1").await;
    assert_eq!(
        (status, v),
        (200, json!(1)),
        "-1 deleted the latest live version"
    );
    let (_, subjects) = server.get("/subjects?deletedOnly=true").await;
    assert_eq!(subjects, json!(["l"]));
    let (status, v) = server.get("/subjects/l/versions/latest?deleted=true").await;
    assert_eq!(
        (status, v),
        (
            404,
            json!({"error_code": 40402, "message": "Version -1 not found."})
        )
    );
    let (status, v) = server.get("/subjects/l/versions/latest").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40401)), "{v}");
    let (status, v) = server.delete("/subjects/l/versions/latest").await;
    assert_eq!(
        (status, v),
        (
            404,
            json!({"error_code": 40402, "message": "Version -1 not found."})
        )
    );
    // The version is checked before the mode: a soft-deleted one is 40406 in READONLY too.
    let (status, _) = server
        .put("/mode/l?force=true", &json!({"mode": "READONLY"}))
        .await;
    assert_eq!(status, 200);
    let (status, v) = server.delete("/subjects/l/versions/1").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40406)), "{v}");
}

/// `InMemoryCache.schemaRegistered` qualifies an unqualified reference with its holder's
/// context: a holder in `.a` referencing `dep` references `:.a:dep` (so `referencedby`
/// lists it and deletes are refused), not the default context's `dep`.
#[tokio::test]
async fn references_inside_a_context_name_that_contexts_subjects() {
    let server = Server::start();
    let dep = register(&server, ":.a:dep", json!({"schema": A})).await;
    register(&server, "dep", json!({"schema": B})).await;
    let holder = register(
        &server,
        ":.a:holder",
        json!({"schema": r#"{"type":"record","name":"H","fields":[{"name":"a","type":"A"}]}"#,
               "references": [{"name": "A", "subject": "dep", "version": 1}]}),
    )
    .await;
    assert_ne!(holder["id"], dep["id"]);
    let (_, by) = server
        .get("/subjects/:.a:dep/versions/1/referencedby")
        .await;
    assert_eq!(by, json!([holder["id"]]));
    let (_, by) = server.get("/subjects/dep/versions/1/referencedby").await;
    assert_eq!(by, json!([]), "the default context's dep is not referenced");
    let (status, v) = server.delete("/subjects/:.a:dep/versions/1").await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42206)), "{v}");
    let (status, _) = server.delete("/subjects/dep/versions/1").await;
    assert_eq!(status, 200);
}

/// Small rules: `deleteSubjectOrForward` checks 40401/40404 before the mode; `__GLOBAL` and
/// `__EMPTY` are not subject names (`QualifiedSubject.isValidSubject`); a blank schema looks
/// up nothing (`canonicalizeSchema` → null: 40401 or 40403); a blank `offset`/`limit` is the
/// default (Jersey's `@DefaultValue`); `VersionId` trims; the lookup's body is `arg5`.
#[tokio::test]
async fn small_rules_read_from_the_resources() {
    let server = Server::start();
    register(&server, "gone", json!({"schema": A})).await;
    let (status, _) = server.delete("/subjects/gone").await;
    assert_eq!(status, 200);
    let (status, _) = server
        .put("/mode?force=true", &json!({"mode": "READONLY"}))
        .await;
    assert_eq!(status, 200);
    let (status, v) = server.delete("/subjects/missing").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40401)), "{v}");
    let (status, v) = server.delete("/subjects/gone").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40404)), "{v}");
    let (status, _) = server
        .put("/mode?force=true", &json!({"mode": "READWRITE"}))
        .await;
    assert_eq!(status, 200);

    for name in ["__GLOBAL", "__EMPTY", ":.c:__GLOBAL"] {
        let (status, v) = server
            .post(&format!("/subjects/{name}/versions"), &json!({"schema": A}))
            .await;
        assert_eq!(
            (status, &v["error_code"]),
            (422, &json!(42208)),
            "{name}: {v}"
        );
    }

    register(&server, "s", json!({"schema": A})).await;
    let (status, v) = server.post("/subjects/s", &json!({"schema": "  "})).await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40403)), "{v}");
    let (status, v) = server.post("/subjects/none", &json!({})).await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40401)), "{v}");
    let (status, v) = server
        .request(
            "POST",
            "/subjects/s",
            Some("null"),
            Some("application/json"),
        )
        .await;
    assert_eq!(
        (status, &v["message"]),
        (
            422,
            &json!("lookUpSchemaUnderSubject.arg5 must not be null (was null)")
        )
    );

    let (status, v) = server.get("/subjects?offset=&limit=").await;
    assert_eq!(status, 200, "{v}");
    let (status, _) = server.get("/subjects?limit=%205").await;
    assert_eq!(status, 404, "Integer.valueOf does not trim");
    let (status, v) = server.get("/subjects/s/versions/%20latest").await;
    assert_eq!((status, &v["version"]), (200, &json!(1)), "{v}");
}

/// `AliasFilter` (7.9 and 8.3.1): a subject whose own config names an alias is replaced by
/// it on every `/subjects/{s}` and `/compatibility/subjects/{s}` route, deletes included,
/// whether or not it holds versions itself; `/config/{s}` is not rewritten.
#[tokio::test]
async fn aliases_apply_on_every_subject_route() {
    let server = Server::start();
    register(&server, "target", json!({"schema": A})).await;
    register(&server, "old", json!({"schema": B})).await;
    let (status, _) = server.put("/config/old", &json!({"alias": "target"})).await;
    assert_eq!(status, 200);
    let (_, v) = server.get("/subjects/old/versions/latest").await;
    assert_eq!(v["subject"], "target", "{v}");
    let (_, v) = server
        .post(
            "/compatibility/subjects/old/versions/latest",
            &json!({"schema": B}),
        )
        .await;
    assert_eq!(v["is_compatible"], true, "{v}");
    let (_, v) = server.get("/config/old").await;
    assert_eq!(v["alias"], "target", "{v}");
    let (status, v) = server.delete("/subjects/old/versions/1").await;
    assert_eq!((status, v), (200, json!(1)));
    let (status, _) = server.get("/subjects/target/versions").await;
    assert_eq!(status, 404, "the target's version went");
    let (_, v) = server.get("/subjects/target/versions?deleted=true").await;
    assert_eq!(v, json!([1]));
    let (_, v) = server.get("/subjects/old/versions?deleted=true").await;
    assert_eq!(v, json!([1]), "old's own version is behind the alias");
}

/// The top-level config is refused under a read-only global mode (7.9 and 8.3.1
/// `updateConfig` / `deleteSubjectConfig` ask `isReadOnlyMode(null)`).
#[tokio::test]
async fn the_top_level_config_is_read_only_under_a_read_only_global_mode() {
    let server = Server::start();
    let (status, _) = server
        .put("/mode?force=true", &json!({"mode": "READONLY"}))
        .await;
    assert_eq!(status, 200);
    let refused = json!({"error_code": 42205, "message": "Subject null is in read-only mode"});
    let (status, v) = server
        .put("/config", &json!({"compatibility": "NONE"}))
        .await;
    assert_eq!((status, v), (422, refused.clone()));
    let (status, v) = server.delete("/config").await;
    assert_eq!((status, v), (422, refused));
    let (status, _) = server
        .put("/mode?force=true", &json!({"mode": "READWRITE"}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .put("/config", &json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(status, 200);
}

/// Prefixes (`SchemasResource` default `""`, `SubjectsResource` default `:*:`; `allVersions`
/// ranges under `QualifiedSubject`'s order): no prefix on `/schemas` and an explicit empty
/// one on `/subjects` mean the default context; `:*:x` is `x…` in every context.
/// `DELETE /config/:.__GLOBAL:` always finds a config (the server default). A scope without
/// a mode is 40401 before `mode.mutability` is looked at (`ModeResource`).
#[tokio::test]
async fn prefixes_global_config_and_mode_deletes() {
    let server = Server::start();
    register(&server, "foo", json!({"schema": A})).await;
    register(&server, ":.c:foo", json!({"schema": A})).await;
    register(&server, ":.c:bar", json!({"schema": A})).await;
    let subjects = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["subject"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (_, v) = server.get("/schemas").await;
    assert_eq!(subjects(&v), ["foo"]);
    let (_, v) = server.get("/schemas?subjectPrefix=:*:foo").await;
    assert_eq!(subjects(&v), [":.c:foo", "foo"]);
    let (_, v) = server.get("/subjects?subjectPrefix=").await;
    assert_eq!(v, json!(["foo"]));
    let (_, v) = server.get("/subjects").await;
    assert_eq!(v, json!([":.c:bar", ":.c:foo", "foo"]));

    let (status, v) = server.delete("/config/:.__GLOBAL:").await;
    assert_eq!(
        (status, v),
        (200, json!({"compatibilityLevel": "BACKWARD"}))
    );

    let frozen = Server::builder()
        .args(["--mode-mutability", "false"])
        .start();
    let (status, v) = frozen.delete("/mode/nothing").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40401)), "{v}");
    let (status, v) = frozen.delete("/mode").await;
    assert_eq!(
        (status, v),
        (
            422,
            json!({"error_code": 42205, "message": "Mode changes are not allowed"})
        )
    );
}

/// `/schemas/ids/{id}/subjects` and `/versions` read the ID where
/// `getSchemaKeyUsingContexts` finds it (`listVersionsForId`): a qualified subject that does
/// not hold it finds nothing (40403 "Schema not found"); an unqualified one falls back to
/// the contexts that hold it.
#[tokio::test]
async fn id_usages_follow_get_schema_key_using_contexts() {
    let server = Server::start();
    let held = register(&server, ":.c:x", json!({"schema": A})).await;
    register(&server, ":.c:y", json!({"schema": B})).await;
    let id = held["id"].as_i64().unwrap_or(-1);
    let (status, v) = server
        .get(&format!("/schemas/ids/{id}/subjects?subject=:.c:y"))
        .await;
    assert_eq!(
        (status, v),
        (
            404,
            json!({"error_code": 40403, "message": "Schema not found"})
        )
    );
    let (status, v) = server
        .get(&format!("/schemas/ids/{id}/versions?subject=x"))
        .await;
    assert_eq!(
        (status, v),
        (200, json!([{"subject": ":.c:x", "version": 1}]))
    );
}

/// `isValidSubject(…, isConfigOrMode=true)` on `PUT /config/{s}` (after the level, 7.9 and
/// 8.3.1 `ConfigResource`) and `PUT /mode/{s}` (before the mode, `ModeResource`).
#[tokio::test]
async fn config_and_mode_names_are_checked_where_confluent_checks_them() {
    let server = Server::start();
    let (status, v) = server
        .put("/config/__GLOBAL", &json!({"compatibility": "bogus"}))
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42203)), "{v}");
    let (status, v) = server
        .put("/config/:.c:__EMPTY", &json!({"compatibility": "NONE"}))
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42208)), "{v}");
    let (status, v) = server
        .put("/mode/__GLOBAL", &json!({"mode": "bogus"}))
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42208)), "{v}");
    let (status, _) = server
        .put("/mode/:.__GLOBAL:", &json!({"mode": "READWRITE"}))
        .await;
    assert_eq!(
        status, 200,
        "the global scope itself is a name for config and mode"
    );
}

/// `GET /subjects/{s}/metadata` (7.9 and 8.3.1 `getLatestWithMetadata`): keys and values
/// paired in order (an unpaired key is dropped, a later duplicate wins); only versions with
/// properties match; the asked subject only (no other context).
#[tokio::test]
async fn metadata_lookups_pair_keys_with_values() {
    let server = Server::start();
    register(
        &server,
        "m",
        json!({"schema": A, "metadata": {"properties": {"owner": "x", "tier": "1"}}}),
    )
    .await;
    register(&server, "m", json!({"schema": B, "metadata": {}})).await;
    let (status, v) = server.get("/subjects/m/metadata?key=zz").await;
    assert_eq!(
        (status, &v["version"]),
        (200, &json!(1)),
        "unpaired key dropped: {v}"
    );
    let (_, v) = server
        .get("/subjects/m/metadata?key=owner&value=y&key=owner&value=x")
        .await;
    assert_eq!(v["version"], 1, "the later duplicate wins: {v}");
    let (status, v) = server.get("/subjects/m/metadata?key=tier&value=2").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40403)), "{v}");
    register(
        &server,
        ":.c:only",
        json!({"schema": A, "metadata": {"properties": {"k": "v"}}}),
    )
    .await;
    let (status, v) = server.get("/subjects/only/metadata?key=k&value=v").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40401)), "{v}");
}

/// 8.x `ConfigUpdateRequest` fields are `Optional`: an explicit JSON `null` clears the stored
/// value, an absent field keeps it (`ConfigValue.update`).
#[tokio::test]
async fn null_clears_a_config_field() {
    let server = Server::start();
    let rules =
        json!({"domainRules": [{"name": "r", "mode": "WRITE", "type": "CEL", "expr": "true"}]});
    let (status, _) = server
        .put(
            "/config/s",
            &json!({"alias": "t", "normalize": true, "defaultRuleSet": rules}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .put("/config/s", &json!({"alias": null, "validateFields": true}))
        .await;
    assert_eq!(status, 200);
    let (_, v) = server.get("/config/s").await;
    assert!(v.get("alias").is_none(), "{v}");
    assert_eq!(v["normalize"], true, "{v}");
    assert_eq!(v["validateFields"], true, "{v}");
    assert_eq!(v["defaultRuleSet"]["domainRules"][0]["name"], "r", "{v}");
    let (_, _) = server
        .put("/config/s", &json!({"defaultRuleSet": null}))
        .await;
    let (_, v) = server.get("/config/s").await;
    assert!(v.get("defaultRuleSet").is_none(), "{v}");
}

/// 8.x `deletedAsNegative` (`SubjectVersionsResource.listVersions`,
/// `LookupFilter.DELETED_AS_NEGATIVE`): every version, soft-deleted ones negative, in the
/// order of their absolute values; a subject with only soft-deleted versions is 40401
/// unless `deleted` is given too.
#[tokio::test]
async fn versions_can_list_soft_deleted_ones_as_negative() {
    let server = Server::start();
    register(&server, "n", json!({"schema": A})).await;
    register(&server, "n", json!({"schema": B})).await;
    let (status, _) = server.delete("/subjects/n/versions/1").await;
    assert_eq!(status, 200);
    let (_, v) = server
        .get("/subjects/n/versions?deletedAsNegative=true")
        .await;
    assert_eq!(v, json!([-1, 2]));
    let (status, _) = server.delete("/subjects/n/versions/2").await;
    assert_eq!(status, 200);
    let (status, v) = server
        .get("/subjects/n/versions?deletedAsNegative=true")
        .await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40401)), "{v}");
    let (_, v) = server
        .get("/subjects/n/versions?deletedAsNegative=true&deleted=true")
        .await;
    assert_eq!(v, json!([-1, -2]));
}

/// 7.9 and 8.3.1 `InMemoryCache.config`: the config in force is the first stored record of
/// subject → its context (`:.ctx:`, or the `null` key in the default context) → `:.__GLOBAL:`,
/// taken **whole**; a record without a level gets the server default's
/// (`populateCompatibilityLevel`), never the next scope's. The writer
/// (`KafkaSchemaRegistry.updateConfig` → `ConfigValue.update`) merges only into the same
/// key's record, so a new subject record stores just the fields given.
#[tokio::test]
async fn the_config_in_force_is_the_nearest_record_whole() {
    const X_STRING: &str =
        r#"{"type":"record","name":"A","fields":[{"name":"x","type":"string"}]}"#;
    let server = Server::start();
    // The default context's top-level record does not reach a named context.
    let (status, _) = server
        .put("/config", &json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(status, 200);
    register(&server, ":.c:s", json!({"schema": A})).await;
    let (status, v) = server
        .post("/subjects/:.c:s/versions", &json!({"schema": X_STRING}))
        .await;
    assert_eq!((status, &v["error_code"]), (409, &json!(409)), "{v}");
    // ...but it does reach the default context's subjects.
    register(&server, "plain", json!({"schema": A})).await;
    register(&server, "plain", json!({"schema": X_STRING})).await;

    // A subject record without a level: the server default (BACKWARD), not the top-level
    // FULL, is shown and enforced.
    let (status, _) = server
        .put(
            "/config",
            &json!({"compatibility": "FULL", "normalize": true}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .put("/config/s", &json!({"compatibilityGroup": "g"}))
        .await;
    assert_eq!(status, 200);
    let (_, v) = server.get("/config/s").await;
    assert_eq!(v["compatibilityLevel"], "BACKWARD", "{v}");
    let (_, v) = server.get("/config/s?defaultToGlobal=true").await;
    assert_eq!(v["compatibilityLevel"], "BACKWARD", "{v}");
    assert_eq!(v["compatibilityGroup"], "g", "{v}");
    assert!(
        v.get("normalize").is_none(),
        "fields are not merged across scopes: {v}"
    );
    // Dropping a field without a default is BACKWARD-compatible (the new reader ignores it)
    // but not FORWARD (an old reader needs it): accepted in `s`, refused under the FULL of
    // the top-level record in a subject without its own.
    const EMPTY: &str = r#"{"type":"record","name":"A","fields":[]}"#;
    register(&server, "s", json!({"schema": A})).await;
    register(&server, "s", json!({"schema": EMPTY})).await;
    register(&server, "full", json!({"schema": A})).await;
    let (status, v) = server
        .post("/subjects/full/versions", &json!({"schema": EMPTY}))
        .await;
    assert_eq!((status, &v["error_code"]), (409, &json!(409)), "{v}");

    // Deleting the subject record answers it, its missing level filled from the default.
    let (status, v) = server.delete("/config/s").await;
    assert_eq!(status, 200);
    assert_eq!(v["compatibilityLevel"], "BACKWARD", "{v}");
    assert_eq!(v["compatibilityGroup"], "g", "{v}");
    // Now the top-level record is the nearest: FULL and normalize.
    let (_, v) = server.get("/config/s?defaultToGlobal=true").await;
    assert_eq!(v["compatibilityLevel"], "FULL", "{v}");
    assert_eq!(v["normalize"], true, "{v}");
}

/// Small binding and naming rules of the config, mode and root resources:
/// - 7.9 and 8.3.1 `ConfigResource`/`ModeResource` normalise the subject
///   (`QualifiedSubject.normalize`) before they name it in a 404, so `:.:foo` is `foo`;
/// - `ConfigUpdateRequest.compatibility` is a `String`: a container is Jackson's 400, a
///   scalar is coerced and then refused as a level (42203);
/// - 8.x `ConfigUpdateRequest`/`Config` carry `aliasForDeks`, stored, answered and cleared
///   by an explicit null like `alias`;
/// - `RootResource.post` binds `Map<String, String>`: a non-object body or a container
///   value is 400, scalars are fine.
#[tokio::test]
async fn config_mode_and_root_bindings() {
    let server = Server::start();
    let (status, v) = server.get("/config/:.:foo").await;
    assert_eq!(
        (status, v),
        (
            404,
            json!({"error_code": 40408, "message": "Subject 'foo' does not have subject-level compatibility configured"})
        )
    );
    let (status, v) = server.get("/mode/:.:foo").await;
    assert_eq!(status, 404, "{v}");
    assert_eq!(
        v["message"],
        "Subject 'foo' does not have subject-level mode configured"
    );
    let (status, v) = server.delete("/config/:.:foo").await;
    assert_eq!(
        (status, v),
        (
            404,
            json!({"error_code": 40401, "message": "Subject 'foo' not found."})
        )
    );

    for bad in [json!({}), json!([])] {
        let (status, v) = server
            .put("/config/c", &json!({"compatibility": bad}))
            .await;
        assert_eq!((status, &v["error_code"]), (400, &json!(400)), "{v}");
    }
    let (status, v) = server.put("/config/c", &json!({"compatibility": 5})).await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42203)), "{v}");

    let (status, v) = server
        .put("/config/d", &json!({"aliasForDeks": "other"}))
        .await;
    assert_eq!((status, &v["aliasForDeks"]), (200, &json!("other")), "{v}");
    let (_, v) = server.get("/config/d").await;
    assert_eq!(v["aliasForDeks"], "other", "{v}");
    server
        .put(
            "/config/d",
            &json!({"aliasForDeks": null, "normalize": true}),
        )
        .await;
    let (_, v) = server.get("/config/d").await;
    assert!(v.get("aliasForDeks").is_none(), "{v}");

    for bad in [json!([1]), json!({"a": {"b": 1}}), json!({"a": [1]})] {
        let (status, v) = server.post("/", &bad).await;
        assert_eq!((status, &v["error_code"]), (400, &json!(400)), "{bad}: {v}");
    }
    let (status, v) = server
        .post("/", &json!({"a": 1, "b": "x", "c": null, "d": true}))
        .await;
    assert_eq!((status, v), (200, json!({})));
}

/// 8.3.1 `ModeResource.updateMode`, `KafkaSchemaRegistry.setMode`, `Mode.isImportOrForwardMode`:
/// `FORWARD` spelt exactly is refused (42204) except on `:.__GLOBAL:` (the check compares
/// the exact text, so another spelling passes it); under FORWARD registrations behave as
/// under IMPORT (`AbstractSchemaRegistry.checkRegisterMode`: an ID is required). A `null`
/// mode is accepted, answered as given, and removes the scope's mode.
#[tokio::test]
async fn forward_mode_and_null_mode() {
    let server = Server::start();
    for path in ["/mode", "/mode/s", "/mode/:.c:"] {
        let (status, v) = server.put(path, &json!({"mode": "FORWARD"})).await;
        assert_eq!(
            (status, v),
            (
                422,
                json!({"error_code": 42204, "message": "Forward mode only supported on global level"})
            ),
            "{path}"
        );
    }
    let (status, v) = server
        .put("/mode/:.__GLOBAL:", &json!({"mode": "FORWARD"}))
        .await;
    assert_eq!((status, v), (200, json!({"mode": "FORWARD"})));
    let (_, v) = server.get("/mode/f?defaultToGlobal=true").await;
    assert_eq!(v, json!({"mode": "FORWARD"}));
    let (status, v) = server
        .post("/subjects/f/versions", &json!({"schema": A}))
        .await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42205)), "{v}");
    let v = register(&server, "f", json!({"schema": A, "id": 50})).await;
    assert_eq!(v["id"], 50, "{v}");

    let (status, v) = server
        .put("/mode/:.__GLOBAL:", &json!({"mode": null}))
        .await;
    assert_eq!((status, v), (200, json!({"mode": null})));
    let (_, v) = server.get("/mode/f?defaultToGlobal=true").await;
    assert_eq!(v, json!({"mode": "READWRITE"}));

    let (status, _) = server.put("/mode/s", &json!({"mode": "READONLY"})).await;
    assert_eq!(status, 200);
    let (status, v) = server.put("/mode/s", &json!({"mode": null})).await;
    assert_eq!((status, v), (200, json!({"mode": null})));
    let (status, v) = server.get("/mode/s").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40409)), "{v}");

    let (status, v) = server.put("/mode/s", &json!({"mode": {}})).await;
    assert_eq!((status, &v["error_code"]), (400, &json!(400)), "{v}");
    let (status, v) = server.put("/mode/s", &json!({"mode": "forward"})).await;
    assert_eq!((status, v), (200, json!({"mode": "forward"})));
}

/// 7.9 and 8.3.1 `AbstractSchemaRegistry.getUsingContexts` and
/// `lookUpSchemaUnderSubjectUsingContexts` fall back **per request**: the default context's
/// subject first, then the same name in each other context, for that very version or
/// schema; when none answers, `SubjectVersionsResource.getSchemaByVersion` and
/// `SubjectsResource.lookUpSchemaUnderSubject` decide 40401/40402/40403 on the asked subject.
#[tokio::test]
async fn reads_fall_back_across_contexts_per_version() {
    const C: &str = r#"{"type":"record","name":"A","fields":[{"name":"x","type":"int"},{"name":"y","type":"int","default":1},{"name":"z","type":"int","default":2}]}"#;
    let server = Server::start();
    register(&server, ":.a:only", json!({"schema": A})).await;
    let (status, v) = server.get("/subjects/only/versions/5").await;
    assert_eq!(
        (status, v),
        (
            404,
            json!({"error_code": 40401, "message": "Subject 'only' not found."})
        )
    );
    let (_, v) = server.get("/subjects/only/versions/1").await;
    assert_eq!(v["subject"], ":.a:only", "{v}");

    register(&server, "foo", json!({"schema": A})).await;
    register(&server, "foo", json!({"schema": B})).await;
    for s in [A, B, C] {
        register(&server, ":.a:foo", json!({"schema": s})).await;
    }
    let (status, v) = server.get("/subjects/foo/versions/3").await;
    assert_eq!((status, &v["subject"]), (200, &json!(":.a:foo")), "{v}");
    assert_eq!(v["schema"], C, "{v}");
    let (status, v) = server.get("/subjects/foo/versions/2").await;
    assert_eq!((status, &v["subject"]), (200, &json!("foo")), "{v}");
    let (status, _) = server.get("/subjects/foo/versions/3/schema").await;
    assert_eq!(status, 200);
    let (status, v) = server.get("/subjects/foo/versions/4").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40402)), "{v}");

    let (status, v) = server.post("/subjects/foo", &json!({"schema": C})).await;
    assert_eq!((status, &v["subject"]), (200, &json!(":.a:foo")), "{v}");
    assert_eq!(v["version"], 3, "{v}");
    let (status, v) = server
        .post("/subjects/foo", &json!({"schema": "\"string\""}))
        .await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40403)), "{v}");
    let (status, v) = server
        .post("/subjects/nowhere", &json!({"schema": "\"string\""}))
        .await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40401)), "{v}");
}

/// `GET /schemas?aliases=true` (7.9 and 8.3.1 `AbstractSchemaRegistry
/// .allVersionsIncludingAliasesWithSubjectPrefix` and `getAliases`): aliases are read from
/// the configs of the subjects the prefix matches, qualified with their config's context
/// (`qualifySubjectWithParent`); a target outside the prefix has its versions added.
#[tokio::test]
async fn schemas_with_aliases_follow_the_prefix_configs() {
    let server = Server::start();
    register(&server, "new", json!({"schema": A})).await;
    let (status, _) = server.put("/config/old", &json!({"alias": "new"})).await;
    assert_eq!(status, 200);
    let (_, v) = server.get("/schemas?subjectPrefix=old&aliases=true").await;
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v[0]["subject"], "new", "{v}");
    assert_eq!(v[0]["aliases"], json!(["old"]), "{v}");
    let (_, v) = server.get("/schemas?subjectPrefix=old").await;
    assert_eq!(v, json!([]));
    // The prefix `new` matches no aliasing config: no aliases listed.
    let (_, v) = server.get("/schemas?subjectPrefix=new&aliases=true").await;
    assert_eq!(v[0]["subject"], "new", "{v}");
    assert!(v[0].get("aliases").is_none(), "{v}");

    register(&server, ":.c:n2", json!({"schema": A})).await;
    let (status, _) = server.put("/config/:.c:o2", &json!({"alias": "n2"})).await;
    assert_eq!(status, 200);
    let (_, v) = server
        .get("/schemas?subjectPrefix=:.c:o&aliases=true")
        .await;
    assert_eq!(v[0]["subject"], ":.c:n2", "{v}");
    assert_eq!(v[0]["aliases"], json!([":.c:o2"]), "{v}");
}

/// 7.9 and 8.3.1 `SubjectVersionsResource.listVersions` on `:.ctx:` (an empty subject
/// name): `hasSubjects` matches any subject of the context
/// (`InMemoryCache.matchingSubjectPredicate`), so the answer is `[]` when the context
/// holds one, else 40401; the listing itself is of the exact key (no versions).
#[tokio::test]
async fn versions_of_a_bare_context() {
    let server = Server::start();
    register(&server, ":.c:x", json!({"schema": A})).await;
    let (status, v) = server.get("/subjects/:.c:/versions").await;
    assert_eq!((status, v), (200, json!([])));
    let (status, v) = server.get("/subjects/:.d:/versions").await;
    assert_eq!(
        (status, v),
        (
            404,
            json!({"error_code": 40401, "message": "Subject ':.d:' not found."})
        )
    );
}

/// 8.3.1 `KafkaSchemaRegistry.deleteSubject` and `deleteSchemaVersion`: a permanent delete
/// that leaves the subject without versions removes its own mode and config (7.9 did it
/// at the soft delete; after the permanent one both agree); a soft delete keeps them.
#[tokio::test]
async fn permanent_deletes_take_the_subject_config_and_mode() {
    let server = Server::start();
    for s in ["whole", "last"] {
        register(&server, s, json!({"schema": A})).await;
        let (status, _) = server
            .put(&format!("/config/{s}"), &json!({"compatibility": "NONE"}))
            .await;
        assert_eq!(status, 200);
        let (status, _) = server
            .put(&format!("/mode/{s}"), &json!({"mode": "READWRITE"}))
            .await;
        assert_eq!(status, 200);
    }
    let (status, _) = server.delete("/subjects/whole").await;
    assert_eq!(status, 200);
    let (status, v) = server.get("/config/whole").await;
    assert_eq!((status, &v["compatibilityLevel"]), (200, &json!("NONE")));
    let (status, _) = server.delete("/subjects/whole?permanent=true").await;
    assert_eq!(status, 200);
    let (status, v) = server.get("/config/whole").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40408)), "{v}");
    let (status, v) = server.get("/mode/whole").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40409)), "{v}");

    server.delete("/subjects/last/versions/1").await;
    let (status, _) = server
        .delete("/subjects/last/versions/1?permanent=true")
        .await;
    assert_eq!(status, 200);
    let (status, v) = server.get("/config/last").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40408)), "{v}");
    let (status, v) = server.get("/mode/last").await;
    assert_eq!((status, &v["error_code"]), (404, &json!(40409)), "{v}");
}

/// 8.3.1 `KafkaSchemaRegistry.deleteSubject`: referrers held by the subject being deleted
/// do not block it (`referencedBySubjects.remove(subject)`); one elsewhere does (42206).
#[tokio::test]
async fn a_subject_referencing_itself_can_be_deleted() {
    const INNER: &str = r#"{"type":"record","name":"Inner","fields":[{"name":"a","type":"int"}]}"#;
    const OUTER: &str =
        r#"{"type":"record","name":"Outer","fields":[{"name":"i","type":"Inner"}]}"#;
    let server = Server::start();
    let (status, _) = server
        .put("/config/own", &json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(status, 200);
    register(&server, "own", json!({"schema": INNER})).await;
    let outer =
        json!({"schema": OUTER, "references": [{"name": "Inner", "subject": "own", "version": 1}]});
    register(&server, "own", outer.clone()).await;
    let (status, v) = server.delete("/subjects/own").await;
    assert_eq!((status, v), (200, json!([1, 2])));
    let (status, v) = server.delete("/subjects/own?permanent=true").await;
    assert_eq!((status, v), (200, json!([1, 2])));

    register(&server, "base", json!({"schema": INNER})).await;
    let outer = json!({"schema": OUTER, "references": [{"name": "Inner", "subject": "base", "version": 1}]});
    register(&server, "user", outer).await;
    let (status, v) = server.delete("/subjects/base").await;
    assert_eq!((status, &v["error_code"]), (422, &json!(42206)), "{v}");
}

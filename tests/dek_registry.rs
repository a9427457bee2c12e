//! The DEK registry (issue 20): Confluent's `/dek-registry/v1` API over a real socket, on a
//! real SQLite file and on a real Kafka-compatible broker (tansu).
//!
//! The rules checked here were read in Confluent's `dek-registry` module:
//! `web/rest/resources/DekRegistryResource.java` (paths, check order, `checkName`,
//! `checkSubject`, 200 with the entity for creates, 204 for deletes),
//! `storage/AbstractDekRegistry.java` (`createKek`, `putKek`, `deleteKek`, `createDek`,
//! `deleteDek`, `undeleteDek`, `getDek`: version 1 for `/deks/{subject}`, -1 = latest,
//! AES256_GCM when no algorithm is given), `web/rest/exceptions/DekRegistryErrors.java`
//! (40470, 40471, 40472, 40971, 42271, 42272, 50070) and the client entities
//! `dek-registry-client/…/rest/entities/Kek.java`, `Dek.java` (field order, NON_NULL,
//! `deleted` only when true). The `_dek_registry_keys` records follow
//! `storage/KeyEncryptionKeyId.java`, `DataEncryptionKeyId.java`, `KeyEncryptionKey.java`,
//! `DataEncryptionKey.java` (`keyMaterial` is `@JsonIgnore`: never stored).

mod common;

use common::auth::{basic, cheap_hash};
use common::kafka::broker_or_skip;
use common::Server;
use serde_json::{json, Value};
use std::time::Duration;

const K: &str = "/dek-registry/v1/keks";

fn kek(name: &str) -> Value {
    json!({"name": name, "kmsType": "local-kms", "kmsKeyId": "mykey"})
}

fn dek(material: &str) -> Value {
    json!({"encryptedKeyMaterial": material})
}

/// An answer without its `ts` (the record's time), which must be there.
fn no_ts(mut v: Value) -> Value {
    assert!(v["ts"].is_i64(), "a ts: {v}");
    if let Some(o) = v.as_object_mut() {
        o.remove("ts");
    }
    v
}

fn code(v: &Value) -> i64 {
    v["error_code"].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn keks_in_confluents_shape_and_rules() {
    let s = Server::start();
    let (st, v) = s.post(K, &kek("k1")).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        no_ts(v),
        json!({"name":"k1","kmsType":"local-kms","kmsKeyId":"mykey","kmsProps":{},"shared":false})
    );
    // The same create again: 40971 (createKek: same `deleted` as the stored one).
    let (st, v) = s.post(K, &kek("k1")).await;
    assert_eq!((st, code(&v)), (409, 40971), "{v}");
    assert_eq!(
        v["message"],
        "Key 'k1' already exists; use a different value"
    );
    // Field order as Jackson writes Kek: name, kmsType, kmsKeyId, kmsProps, doc, shared, ts.
    let text = common::client()
        .get(format!("{}{K}/k1", s.url))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(
        text.starts_with(r#"{"name":"k1","kmsType":"local-kms","kmsKeyId":"mykey","kmsProps":{},"shared":false,"ts":"#),
        "{text}"
    );

    // checkName, then the kmsKeyId, kmsType and validate() checks of createKek: 42271.
    for (body, field) in [
        (
            json!({"name":"1bad","kmsType":"local-kms","kmsKeyId":"k"}),
            "name",
        ),
        (
            json!({"name":"a.b","kmsType":"local-kms","kmsKeyId":"k"}),
            "name",
        ),
        (json!({"kmsType":"local-kms","kmsKeyId":"k"}), "name"),
        (json!({"name":"k2","kmsType":"local-kms"}), "kmsKeyId"),
        (
            json!({"name":"k2","kmsType":"local-kms","kmsKeyId":""}),
            "kmsKeyId",
        ),
        (json!({"name":"k2","kmsKeyId":"k"}), "kmsType"),
        (
            json!({"name":"k2","kmsType":"aws-kms","kmsKeyId":"k"}),
            "kmsKeyId",
        ),
        (
            json!({"name":"k2","kmsType":"gcp-kms","kmsKeyId":"k"}),
            "kmsKeyId",
        ),
    ] {
        let (st, v) = s.post(K, &body).await;
        assert_eq!((st, code(&v)), (422, 42271), "{body}: {v}");
        assert_eq!(
            v["message"],
            format!("Invalid or missing value for field '{field}' of key"),
            "{body}"
        );
    }
    // kmsType is normalized on create (normalizeKmsType); props are sorted.
    let (st, v) = s
        .post(
            K,
            &json!({"name":"k2","kmsType":"AWS","kmsKeyId":"arn:aws:kms:us-east-1:1:key/x",
                    "kmsProps":{"b":"2","a":1},"doc":"d","unknown":true}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["kmsType"], "aws-kms", "{v}");
    let (_, v) = s.get(&format!("{K}/k2")).await;
    assert_eq!(v["kmsType"], "aws-kms");
    assert_eq!(v["kmsProps"], json!({"a":"1","b":"2"}));
    assert_eq!(v["doc"], "d");

    // putKek: absent fields kept, null doc/kmsProps cleared; kmsType/kmsKeyId immutable.
    let (st, v) = s
        .put(
            &format!("{K}/k2"),
            &json!({"doc":"new","kmsKeyId":"ignored"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (
            v["doc"].clone(),
            v["kmsProps"].clone(),
            v["kmsKeyId"].clone()
        ),
        (
            json!("new"),
            json!({"a":"1","b":"2"}),
            json!("arn:aws:kms:us-east-1:1:key/x")
        )
    );
    let (_, v) = s
        .put(&format!("{K}/k2"), &json!({"kmsProps":null,"doc":null}))
        .await;
    assert_eq!(v["kmsProps"], json!({}), "{v}");
    assert!(v.get("doc").is_none(), "{v}");
    let (st, v) = s.put(&format!("{K}/nope"), &json!({"doc":"x"})).await;
    assert_eq!((st, code(&v)), (404, 40470), "{v}");
    assert_eq!(v["message"], "Key 'nope' not found");
    // A missing body: 422 as Jersey's bean validation answers it.
    let (st, v) = s.request("POST", K, None, Some("application/json")).await;
    assert_eq!(st, 422, "{v}");

    // Lists: names in key order; deleted ones only with deleted=true.
    let (_, v) = s.get(K).await;
    assert_eq!(v, json!(["k1", "k2"]));
    let (st, _) = s.delete(&format!("{K}/k2")).await;
    assert_eq!(st, 204);
    let (_, v) = s.get(K).await;
    assert_eq!(v, json!(["k1"]));
    let (_, v) = s.get(&format!("{K}?deleted=TRUE")).await;
    assert_eq!(v, json!(["k1", "k2"]));
    let (_, v) = s.get(&format!("{K}?deleted=true&offset=1&limit=1")).await;
    assert_eq!(v, json!(["k2"]));
    let (st, v) = s.get(&format!("{K}?limit=x")).await;
    assert_eq!((st, code(&v)), (404, 404), "{v}");
    let (st, v) = s.get(&format!("{K}/k2")).await;
    assert_eq!((st, code(&v)), (404, 40470), "{v}");
    let (_, v) = s.get(&format!("{K}/k2?deleted=true")).await;
    assert_eq!(v["deleted"], true, "{v}");
    // A PUT of a soft-deleted KEK: 40470 (putKek reads live keys only).
    let (st, v) = s.put(&format!("{K}/k2"), &json!({"doc":"x"})).await;
    assert_eq!((st, code(&v)), (404, 40470), "{v}");
    // Undelete, then the same create again is a 409; a create with deleted=true of a live
    // key is an update of `deleted` (createKek writes when `deleted` differs and the rest
    // is equivalent).
    let (st, _) = s.post(&format!("{K}/k2/undelete"), &json!({})).await;
    assert_eq!(st, 204);
    let (_, v) = s.get(&format!("{K}/k2")).await;
    assert!(v.get("deleted").is_none(), "{v}");
    let mut again = kek("k1");
    again["deleted"] = json!(true);
    let (st, v) = s.post(K, &again).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["deleted"], true, "{v}");

    // Permanent delete: only after a soft delete (40471), then gone for deleted=true too.
    let (st, v) = s.delete(&format!("{K}/k2?permanent=true")).await;
    assert_eq!((st, code(&v)), (404, 40471), "{v}");
    assert_eq!(
        v["message"],
        "Key 'k2' was not deleted first before being permanently deleted"
    );
    let (st, _) = s.delete(&format!("{K}/k1?permanent=true")).await;
    assert_eq!(st, 204);
    let (st, v) = s.get(&format!("{K}/k1?deleted=true")).await;
    assert_eq!((st, code(&v)), (404, 40470), "{v}");
    let (st, v) = s.delete(&format!("{K}/k1")).await;
    assert_eq!((st, code(&v)), (404, 40470), "{v}");

    // A shared KEK is stored, but what needs its KMS is 50070: no KMS on this server.
    let mut shared = kek("shared1");
    shared["shared"] = json!(true);
    let (st, v) = s.post(&format!("{K}?testSharing=true"), &shared).await;
    assert_eq!((st, code(&v)), (500, 50070), "{v}");
    let (st, v) = s.post(K, &shared).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["shared"], true);
    let (st, v) = s
        .post(&format!("{K}/shared1/deks/orders-value"), &json!({}))
        .await;
    assert_eq!((st, code(&v)), (500, 50070), "{v}");
    let (st, v) = s.post(&format!("{K}/k2/test"), &json!({})).await;
    assert_eq!(
        (st, code(&v)),
        (422, 42271),
        "a KEK that is not shared: {v}"
    );
}

#[tokio::test]
async fn deks_versions_algorithms_and_deletes() {
    let s = Server::start();
    let (st, _) = s.post(K, &kek("k")).await;
    assert_eq!(st, 200);
    let sub = "orders-value";
    let base = format!("{K}/k/deks/{sub}");
    let (st, v) = s.post(&base, &dek("AQID")).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        no_ts(v),
        json!({"kekName":"k","subject":sub,"version":1,"algorithm":"AES256_GCM","encryptedKeyMaterial":"AQID"})
    );
    // Version 2, and an AES256_SIV key (deterministic encryption) beside it.
    let (st, v) = s
        .post(&base, &json!({"version":2,"encryptedKeyMaterial":"BBBB"}))
        .await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = s
        .post(
            &base,
            &json!({"algorithm":"AES256_SIV","encryptedKeyMaterial":"CCCC"}),
        )
        .await;
    assert_eq!((st, v["algorithm"].clone()), (200, json!("AES256_SIV")));
    // The deprecated form takes the subject from the body.
    let (st, v) = s
        .post(
            &format!("{K}/k/deks"),
            &json!({"subject":"a/b","encryptedKeyMaterial":"DDDD"}),
        )
        .await;
    assert_eq!((st, v["subject"].clone()), (200, json!("a/b")), "{v}");

    // Reads: /deks/{subject} is version 1; latest and -1 the newest; per algorithm.
    let (_, v) = s.get(&base).await;
    assert_eq!(v["version"], 1);
    for latest in ["latest", "-1", " LATEST"] {
        let (st, v) = s
            .get(&format!("{base}/versions/{}", latest.replace(' ', "%20")))
            .await;
        assert_eq!((st, v["version"].clone()), (200, json!(2)), "{latest}: {v}");
    }
    let (_, v) = s.get(&format!("{base}/versions")).await;
    assert_eq!(v, json!([1, 2]));
    let (_, v) = s
        .get(&format!("{base}/versions?algorithm=AES256_SIV"))
        .await;
    assert_eq!(v, json!([1]));
    let (_, v) = s
        .get(&format!("{base}/versions/1?algorithm=AES256_SIV"))
        .await;
    assert_eq!(v["encryptedKeyMaterial"], "CCCC");
    let (st, v) = s.get(&format!("{base}?algorithm=aes256_gcm")).await;
    assert_eq!((st, code(&v)), (404, 404), "enum conversion: {v}");
    let (st, v) = s.get(&format!("{base}/versions/0")).await;
    assert_eq!((st, code(&v)), (422, 42202), "{v}");
    let (st, v) = s.get(&format!("{base}/versions/9")).await;
    assert_eq!((st, code(&v)), (404, 40470), "{v}");
    assert_eq!(v["message"], format!("Key '{sub}' not found"));
    let (_, v) = s.get(&format!("{K}/k/deks")).await;
    assert_eq!(v, json!(["a/b", sub]));
    let (_, v) = s
        .get(&format!("{K}?subjectPrefix=orders&subjectPrefix=zzz"))
        .await;
    assert_eq!(v, json!(["k"]));
    let (_, v) = s.get(&format!("{K}?subjectPrefix=zzz")).await;
    assert_eq!(v, json!([]));
    let (_, v) = s.get(&format!("{K}/k/deks/a%2Fb")).await;
    assert_eq!(v["encryptedKeyMaterial"], "DDDD", "{v}");

    // createDek's checks: KEK, material, existing version; rewrap replaces the material.
    let (st, v) = s.post(&format!("{K}/nokek/deks/{sub}"), &dek("x")).await;
    assert_eq!((st, code(&v)), (404, 40470), "{v}");
    let (st, v) = s.post(&format!("{K}/k/deks/other"), &json!({})).await;
    assert_eq!((st, code(&v)), (422, 42271), "{v}");
    assert_eq!(
        v["message"],
        "Invalid or missing value for field 'encryptedKeyMaterial' of key"
    );
    let (st, v) = s.post(&base, &dek("AQID")).await;
    assert_eq!((st, code(&v)), (409, 40971), "{v}");
    assert_eq!(
        v["message"],
        format!("Key '{sub}' already exists; use a different value")
    );
    let (st, v) = s.post(&format!("{base}?rewrap=true"), &dek("EEEE")).await;
    assert_eq!(
        (st, v["encryptedKeyMaterial"].clone()),
        (200, json!("EEEE")),
        "{v}"
    );
    let (st, v) = s
        .post(
            &base,
            &json!({"algorithm":"AES512","encryptedKeyMaterial":"x"}),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    let (st, v) = s.post(&format!("{K}/k/deks/a%07b"), &dek("x")).await;
    assert_eq!((st, code(&v)), (422, 42271), "{v}");

    // The KEK cannot be deleted while live DEKs use it (42272).
    let (st, v) = s.delete(&format!("{K}/k")).await;
    assert_eq!((st, code(&v)), (422, 42272), "{v}");
    assert_eq!(v["message"], "One or more references exist to the key 'k'");
    // Deletes: latest deletes nothing (deleteDekVersion looks up version -1) but answers 204.
    let (st, _) = s.delete(&format!("{base}/versions/latest")).await;
    assert_eq!(st, 204);
    let (_, v) = s.get(&format!("{base}/versions")).await;
    assert_eq!(v, json!([1, 2]));
    let (st, _) = s.delete(&format!("{base}/versions/2")).await;
    assert_eq!(st, 204);
    let (_, v) = s.get(&format!("{base}/versions")).await;
    assert_eq!(v, json!([1]));
    let (_, v) = s.get(&format!("{base}/versions?deleted=true")).await;
    assert_eq!(v, json!([1, 2]));
    let (_, v) = s.get(&format!("{base}/versions/2?deleted=true")).await;
    assert_eq!(v["deleted"], true, "{v}");
    let (st, v) = s.delete(&format!("{base}/versions/1?permanent=true")).await;
    assert_eq!((st, code(&v)), (404, 40471), "{v}");
    // Every version of the subject (this algorithm), then the KEK.
    let (st, _) = s.delete(&base).await;
    assert_eq!(st, 204);
    let (st, v) = s.get(&base).await;
    assert_eq!((st, code(&v)), (404, 40470), "{v}");
    for other in [
        format!("{base}?algorithm=AES256_SIV"),
        format!("{K}/k/deks/a%2Fb"),
    ] {
        let (st, _) = s.delete(&other).await;
        assert_eq!(st, 204, "{other}");
    }
    let (st, v) = s.delete(&format!("{K}/k")).await;
    assert_eq!(st, 204, "{v}");
    // With the KEK soft-deleted: no new DEK (40470) and no undelete (40472).
    let (st, v) = s.post(&format!("{K}/k/deks/new"), &dek("x")).await;
    assert_eq!((st, code(&v)), (404, 40470), "{v}");
    let (st, v) = s.post(&format!("{base}/undelete"), &json!({})).await;
    assert_eq!((st, code(&v)), (404, 40472), "{v}");
    assert_eq!(v["message"], "Key 'k' must be undeleted first");
    let (st, _) = s.post(&format!("{K}/k/undelete"), &json!({})).await;
    assert_eq!(st, 204);
    let (st, _) = s
        .post(&format!("{base}/versions/2/undelete"), &json!({}))
        .await;
    assert_eq!(st, 204);
    let (_, v) = s.get(&format!("{base}/versions")).await;
    assert_eq!(v, json!([2]));
    let (st, _) = s.post(&format!("{base}/undelete"), &json!({})).await;
    assert_eq!(st, 204);
    let (_, v) = s.get(&format!("{base}/versions")).await;
    assert_eq!(v, json!([1, 2]));
    // Permanent: the KEK still has DEK records (soft-deleted ones count): 42272.
    for path in [format!("{base}?algorithm=AES256_SIV&permanent=true")] {
        let (st, _) = s.delete(&path).await;
        assert_eq!(st, 204, "{path}");
    }
    let (_, v) = s
        .get(&format!(
            "{base}/versions?algorithm=AES256_SIV&deleted=true"
        ))
        .await;
    assert_eq!(v, json!([]), "tombstoned");
}

#[tokio::test]
async fn keys_survive_a_restart_and_a_read_only_node_refuses_writes() {
    let mut first = Server::start();
    let (st, _) = first.post(K, &kek("k")).await;
    assert_eq!(st, 200);
    let (st, _) = first.post(&format!("{K}/k/deks/s"), &dek("AQID")).await;
    assert_eq!(st, 200);
    let (st, _) = first.delete(&format!("{K}/k/deks/s/versions/1")).await;
    assert_eq!(st, 204);
    let (_, before) = first
        .get(&format!("{K}/k/deks/s/versions/1?deleted=true"))
        .await;
    first.kill9();
    let again = Server::start_in(&first.dir);
    let (_, after) = again
        .get(&format!("{K}/k/deks/s/versions/1?deleted=true"))
        .await;
    assert_eq!(before, after, "the same answer, ts included");
    assert_eq!(after["deleted"], true);
    drop(again);
    let ro = Server::builder().dir(&first.dir).arg("--read-only").start();
    let (_, v) = ro.get(K).await;
    assert_eq!(v, json!(["k"]));
    for (method, path) in [
        ("POST", K.to_string()),
        ("POST", format!("{K}/k/deks/t")),
        ("DELETE", format!("{K}/k/deks/s")),
        ("POST", format!("{K}/k/undelete")),
    ] {
        let body = if method == "POST" {
            Some(r#"{"name":"x","kmsType":"local-kms","kmsKeyId":"i","encryptedKeyMaterial":"AA"}"#)
        } else {
            None
        };
        let (st, v) = ro
            .request(method, &path, body, Some("application/json"))
            .await;
        assert_eq!((st, code(&v)), (422, 42205), "{method} {path}: {v}");
    }
    // Turned off, the API is not there (Confluent without its DEK extension).
    drop(ro);
    let off = Server::builder()
        .dir(&first.dir)
        .args(["--dek-registry", "false"])
        .start();
    let (st, v) = off.get(K).await;
    assert_eq!((st, code(&v)), (404, 404), "{v}");
}

/// `--auth-users-file` roles (`src/auth.rs::dek_operation`): reads for read-only users;
/// creating a KEK or a DEK for read-write users (the producers' serializers create them on
/// first use, as they register schemas); updates, deletes and undeletes for admins.
#[tokio::test]
async fn key_operations_need_the_roles_their_methods_need() {
    let files = tempfile::tempdir().expect("dir");
    let users = files.path().join("users");
    std::fs::write(
        &users,
        format!(
            "admin:{}:admin\nwriter:{}:read-write\nreader:{}:read-only\n",
            cheap_hash("a"),
            cheap_hash("w"),
            cheap_hash("r")
        ),
    )
    .expect("users file");
    let s = Server::builder()
        .users_file(&users.display().to_string())
        .start();
    let call = |user: &'static str,
                pw: &'static str,
                method: &'static str,
                path: String,
                body: Option<Value>| {
        let (client, url) = (s.client.clone(), s.url.clone());
        async move {
            let mut req = client
                .request(method.parse().expect("method"), format!("{url}{path}"))
                .header("Authorization", basic(user, pw));
            if let Some(b) = body {
                req = req
                    .header("Content-Type", "application/json")
                    .body(b.to_string());
            }
            req.send().await.expect("send").status().as_u16()
        }
    };
    let dek_path = format!("{K}/k/deks/orders-value");
    assert_eq!(
        call("reader", "r", "POST", K.into(), Some(kek("k"))).await,
        403
    );
    assert_eq!(
        call("writer", "w", "POST", K.into(), Some(kek("k"))).await,
        200
    );
    assert_eq!(
        call("reader", "r", "POST", dek_path.clone(), Some(dek("AQID"))).await,
        403
    );
    assert_eq!(
        call("writer", "w", "POST", dek_path.clone(), Some(dek("AQID"))).await,
        200
    );
    for path in [
        K.to_string(),
        format!("{K}/k"),
        format!("{dek_path}/versions/latest"),
    ] {
        assert_eq!(
            call("reader", "r", "GET", path.clone(), None).await,
            200,
            "{path}"
        );
    }
    for (method, path, body) in [
        ("PUT", format!("{K}/k"), Some(json!({"doc": "d"}))),
        ("DELETE", dek_path.clone(), None),
        ("DELETE", format!("{K}/k"), None),
        ("POST", format!("{K}/k/undelete"), None),
    ] {
        assert_eq!(
            call("writer", "w", method, path.clone(), body.clone()).await,
            403,
            "{method} {path}"
        );
        let ok = call("admin", "a", method, path.clone(), body).await;
        assert!(ok == 200 || ok == 204, "{method} {path}: {ok}");
    }
}

/// A shared KEK with the registry's local KMS (`--dek-local-kms-secret`,
/// `src/keys/kms.rs`): the registry generates the DEK (`generateEncryptedDek`), stores it
/// wrapped only, and answers the raw key as `keyMaterial` (`generateRawDek`, on create and
/// on every read), as Confluent's `AbstractDekRegistry.createDek`/`maybeGenerateRawDek` do.
#[tokio::test]
async fn a_shared_kek_uses_the_registrys_local_kms() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let s = Server::builder()
        .args(["--dek-local-kms-secret", "operator-secret"])
        .start();
    assert!(
        !s.log().contains("operator-secret"),
        "the secret is not logged"
    );
    let mut shared = kek("sk");
    shared["shared"] = json!(true);
    let (st, v) = s.post(&format!("{K}?testSharing=true"), &shared).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = s.post(&format!("{K}/sk/test"), &json!({})).await;
    assert_eq!((st, v["name"].clone()), (200, json!("sk")), "{v}");
    let base = format!("{K}/sk/deks/orders-value");
    let (st, created) = s.post(&base, &json!({})).await;
    assert_eq!(st, 200, "{created}");
    let raw = b64
        .decode(created["keyMaterial"].as_str().expect("keyMaterial"))
        .expect("base64");
    // Tink's serialized AesGcmKey: field 3, 32 bytes.
    assert_eq!((raw.len(), raw[0], raw[1]), (34, 0x1a, 32));
    let wrapped = created["encryptedKeyMaterial"]
        .as_str()
        .expect("wrapped")
        .to_string();
    assert_eq!(b64.decode(&wrapped).expect("base64").len(), 12 + 34 + 16);
    let (_, read) = s.get(&format!("{base}/versions/latest")).await;
    assert_eq!(read["keyMaterial"], created["keyMaterial"], "{read}");
    // A rewrap wraps the same key again.
    let (st, again) = s.post(&format!("{base}?rewrap=true"), &json!({})).await;
    assert_eq!(st, 200, "{again}");
    assert_eq!(again["keyMaterial"], created["keyMaterial"]);
    assert_ne!(again["encryptedKeyMaterial"], json!(wrapped));
    // A KEK of another KMS type cannot be used by the registry: 50070.
    let other = json!({"name":"aws","kmsType":"aws-kms","kmsKeyId":"arn:aws:kms:x","shared":true});
    let (st, _) = s.post(K, &other).await;
    assert_eq!(st, 200);
    let (st, v) = s.post(&format!("{K}/aws/deks/s"), &json!({})).await;
    assert_eq!((st, code(&v)), (500, 50070), "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("No KMS driver supports: aws-kms://arn:aws:kms:x"),
        "{v}"
    );
    // The raw key is in no file of the registry: only the wrapped one is stored.
    let key = created["keyMaterial"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for entry in std::fs::read_dir(&s.dir).expect("dir") {
        let path = entry.expect("entry").path();
        if let Ok(bytes) = std::fs::read(&path) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(&key), "{} holds the raw key", path.display());
            assert!(
                !text.contains("operator-secret"),
                "{} holds the secret",
                path.display()
            );
        }
    }
    assert!(!s.log().contains(&key));
}

#[tokio::test]
async fn on_kafka_the_keys_are_confluent_records_in_their_own_topic() {
    let Some(broker) = broker_or_skip("on_kafka_the_keys_are_confluent_records_in_their_own_topic")
    else {
        return;
    };
    // A KEK and a DEK Confluent wrote before this registry started are served.
    {
        use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
        use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
        let admin: AdminClient<rdkafka::client::DefaultClientContext> =
            broker.client_config().create().expect("admin");
        let topic = NewTopic::new("_dek_registry_keys", 1, TopicReplication::Fixed(1))
            .set("cleanup.policy", "compact");
        admin
            .create_topics([&topic], &AdminOptions::new())
            .await
            .expect("create");
        let p: BaseProducer = broker.client_config().create().expect("producer");
        for (k, v) in [
            (
                r#"{"tenant":"default","name":"old","type":"KEK"}"#,
                r#"{"name":"old","kmsType":"aws-kms","kmsKeyId":"arn:aws:kms:x","kmsProps":{},"shared":false,"deleted":false,"type":"KEK"}"#,
            ),
            (
                r#"{"tenant":"default","kekName":"old","subject":"s","algorithm":"AES256_GCM","version":1,"type":"DEK"}"#,
                r#"{"kekName":"old","subject":"s","algorithm":"AES256_GCM","version":1,"encryptedKeyMaterial":"QUJD","deleted":false,"type":"DEK"}"#,
            ),
        ] {
            p.send(BaseRecord::to("_dek_registry_keys").key(k).payload(v))
                .expect("send");
        }
        p.flush(Duration::from_secs(10)).expect("flush");
    }
    let dir = tempfile::tempdir().expect("dir");
    let s = Server::builder()
        .kafka(&broker.address())
        .topic("_schemas")
        .dir(dir.path())
        .start();
    // A registry that finds no key topic creates it as Confluent's KafkaCache does: one
    // partition, compacted.
    {
        use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
        let other = tempfile::tempdir().expect("dir");
        let fresh = Server::builder()
            .kafka(&broker.address())
            .topic("_schemas_other")
            .dir(other.path())
            .args(["--dek-registry-topic", "_keys_fresh"])
            .start();
        let admin: AdminClient<rdkafka::client::DefaultClientContext> =
            broker.client_config().create().expect("admin");
        let md = admin
            .inner()
            .fetch_metadata(Some("_keys_fresh"), Duration::from_secs(10))
            .expect("metadata");
        assert_eq!(md.topics()[0].partitions().len(), 1);
        let cfg = admin
            .describe_configs(
                [&ResourceSpecifier::Topic("_keys_fresh")],
                &AdminOptions::new(),
            )
            .await
            .expect("describe");
        let r = cfg.into_iter().next().expect("one").expect("ok");
        assert_eq!(
            r.get("cleanup.policy")
                .and_then(|e| e.value.clone())
                .as_deref(),
            Some("compact")
        );
        drop(fresh);
    }
    let (_, v) = s.get(&format!("{K}/old/deks/s")).await;
    assert_eq!(v["encryptedKeyMaterial"], "QUJD", "{v}");

    let (st, _) = s.post(K, &kek("k1")).await;
    assert_eq!(st, 200);
    let (st, _) = s
        .post(&format!("{K}/k1/deks/orders-value"), &dek("AQID"))
        .await;
    assert_eq!(st, 200);
    let (st, _) = s
        .delete(&format!("{K}/k1/deks/orders-value/versions/1"))
        .await;
    assert_eq!(st, 204);
    let (st, _) = s
        .delete(&format!(
            "{K}/k1/deks/orders-value/versions/1?permanent=true"
        ))
        .await;
    assert_eq!(st, 204);
    let all = broker.records("_dek_registry_keys");
    let ours: Vec<_> = all
        .iter()
        .skip(2)
        .map(|(_, k, v)| (k.as_str(), v.as_deref()))
        .collect();
    let dek_key = r#"{"tenant":"default","kekName":"k1","subject":"orders-value","algorithm":"AES256_GCM","version":1,"type":"DEK"}"#;
    assert_eq!(
        ours,
        vec![
            (
                r#"{"tenant":"default","name":"k1","type":"KEK"}"#,
                Some(
                    r#"{"name":"k1","kmsType":"local-kms","kmsKeyId":"mykey","kmsProps":{},"shared":false,"deleted":false,"type":"KEK"}"#
                )
            ),
            (
                dek_key,
                Some(
                    r#"{"kekName":"k1","subject":"orders-value","algorithm":"AES256_GCM","version":1,"encryptedKeyMaterial":"AQID","deleted":false,"type":"DEK"}"#
                )
            ),
            (
                dek_key,
                Some(
                    r#"{"kekName":"k1","subject":"orders-value","algorithm":"AES256_GCM","version":1,"encryptedKeyMaterial":"AQID","deleted":true,"type":"DEK"}"#
                )
            ),
            (dek_key, None),
        ],
        "no NOOP marker, no leadership record in Confluent's key topic"
    );
    // The registry's own records stay in _schemas.
    assert!(broker
        .records("_schemas")
        .iter()
        .all(|(_, k, _)| !k.contains("\"KEK\"") && !k.contains("\"DEK\"")));
}

#[tokio::test]
async fn a_follower_forwards_key_writes_and_serves_what_the_leader_wrote() {
    let Some(broker) =
        broker_or_skip("a_follower_forwards_key_writes_and_serves_what_the_leader_wrote")
    else {
        return;
    };
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().expect("dir")).collect();
    let nodes: Vec<Server> = dirs
        .iter()
        .map(|d| {
            Server::builder()
                .kafka(&broker.address())
                .topic("_schemas")
                .dir(d.path())
                .start()
        })
        .collect();
    let all: Vec<&Server> = nodes.iter().collect();
    let leader = common::agreed_leader(&all, Duration::from_secs(30)).await;
    let l = nodes.iter().find(|n| n.url == leader).expect("the leader");
    let f = nodes.iter().find(|n| n.url != leader).expect("a follower");
    let (st, v) = f.post(K, &kek("viaf")).await;
    assert_eq!(st, 200, "forwarded: {v}");
    let (st, v) = f.post(&format!("{K}/viaf/deks/s"), &dek("AQID")).await;
    assert_eq!(st, 200, "forwarded: {v}");
    // The leader answered it; both serve it from their own state at once: the follower
    // caught up with the key log before it answered the forwarded write.
    for n in [f, l] {
        let (st, v) = n.get(&format!("{K}/viaf/deks/s/versions/latest")).await;
        assert_eq!(
            (st, v["encryptedKeyMaterial"].clone()),
            (200, json!("AQID")),
            "{v}"
        );
    }
    // A follower's refusal is the leader's answer.
    let (st, v) = f.post(K, &kek("viaf")).await;
    assert_eq!((st, code(&v)), (409, 40971), "{v}");
}

/// A key write while the broker is gone is never acknowledged: 500 with 50001/50002 (as
/// Confluent answers a store failure), nothing served that is not in the topic; once the
/// broker is back, writes succeed again without a restart (the key log finds the topic's
/// end before the next write), and every acknowledged DEK is on a node that reads the topic
/// cold.
#[tokio::test]
async fn a_key_write_while_the_broker_is_gone_is_not_acknowledged() {
    let Some(mut broker) =
        broker_or_skip("a_key_write_while_the_broker_is_gone_is_not_acknowledged")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let s = Server::builder()
        .kafka(&broker.address())
        .topic("_schemas")
        .dir(dir.path())
        .args(["--kafka-write-timeout-ms", "2000"])
        .start();
    let (st, _) = s.post(K, &kek("k")).await;
    assert_eq!(st, 200);
    broker.stop();
    let (st, v) = s.post(&format!("{K}/k/deks/down"), &dek("AQID")).await;
    assert!(
        st == 500 && matches!(code(&v), 50001 | 50002),
        "a write the broker did not take: {st} {v}"
    );
    broker.start_again().expect("broker back");
    let mut acked = Vec::new();
    let mut tried = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while acked.len() < 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "no write succeeded again: {acked:?}\n{}",
            common::tail(&s.log(), 4000)
        );
        let subject = format!("after-{tried}");
        let (st, v) = s.post(&format!("{K}/k/deks/{subject}"), &dek("AQID")).await;
        match (st, code(&v)) {
            (200, _) => {
                acked.push(subject);
                tried += 1;
            }
            // An earlier attempt that was not acknowledged reached the topic after all:
            // every write syncs with the topic first (Confluent's `syncStore()`), so the
            // retry finds it, and an identical create is 40971 as in Confluent.
            (409, 40971) => {
                acked.push(subject);
                tried += 1;
            }
            _ => assert!(matches!(code(&v), 50001 | 50002), "{st} {v}"),
        }
    }
    let cold_dir = tempfile::tempdir().expect("dir");
    let cold = Server::builder()
        .kafka(&broker.address())
        .topic("_schemas")
        .dir(cold_dir.path())
        .start();
    for subject in &acked {
        let (st, v) = cold.get(&format!("{K}/k/deks/{subject}")).await;
        assert_eq!(st, 200, "{subject}: {v}");
    }
}

/// IMPORT mode and a shared KEK (`AbstractDekRegistry.createDek`): outside IMPORT, a DEK
/// given with its wrapped material must unwrap through the registry's KMS before it is
/// written (the answer carries the raw key), so material this registry cannot unwrap is
/// refused with 50070 and nothing is stored; with the subject in IMPORT mode
/// (`getModeInScope(subject) == IMPORT`) the round trip is skipped: the DEK is stored as
/// given and answered without `keyMaterial`, which is how DEKs move between registries.
#[tokio::test]
async fn import_mode_stores_a_shared_keks_dek_without_unwrapping_it() {
    let s = Server::builder()
        .args(["--dek-local-kms-secret", "import-secret"])
        .start();
    let mut shared = kek("imp");
    shared["shared"] = json!(true);
    let (st, v) = s.post(K, &shared).await;
    assert_eq!(st, 200, "{v}");
    // 12-byte IV, a 34-byte key, a 16-byte tag: the shape of a wrapped key, but not one
    // this registry's secret wrapped.
    let foreign = json!({"encryptedKeyMaterial": "q".repeat(84)});
    let base = format!("{K}/imp/deks/imp-value");
    let (st, v) = s.post(&base, &foreign).await;
    assert_eq!((st, code(&v)), (500, 50070), "{v}");
    let (st, v) = s.get(&base).await;
    assert_eq!((st, code(&v)), (404, 40470), "nothing stored: {v}");

    let (st, v) = s.put("/mode/imp-value", &json!({"mode": "IMPORT"})).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = s.post(&base, &foreign).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["encryptedKeyMaterial"], foreign["encryptedKeyMaterial"]);
    assert!(
        v.get("keyMaterial").is_none(),
        "no raw key in IMPORT mode: {v}"
    );
    // Another subject, not in IMPORT mode, still gets the round trip.
    let (st, v) = s.post(&format!("{K}/imp/deks/other-value"), &foreign).await;
    assert_eq!((st, code(&v)), (500, 50070), "{v}");
}

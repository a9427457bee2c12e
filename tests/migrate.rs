//! `schema-registry export` / `import`: round trips between two of our registries (every
//! subject of every context, versions with their IDs, soft-deleted versions, hard-deleted
//! gaps, references, configs, modes), idempotent re-runs, an import into a registry that holds
//! its own data and is in IMPORT mode, conflicts, dry runs, malformed dumps and exit codes.

mod common;

use common::Server;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary with `args`, feeding `stdin` (if any).
fn cli(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_schema-registry"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn schema-registry");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait for schema-registry");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn export(server: &Server) -> String {
    let run = cli(&["export", "--url", &server.url], None);
    assert_eq!(run.code, 0, "export failed: {}", run.stderr);
    run.stdout
}

fn import_file(server: &Server, dump: &Path, extra: &[&str]) -> Run {
    let path = dump.to_str().expect("utf-8 path");
    let mut args = vec!["import", "--url", &server.url, "--input", path];
    args.extend_from_slice(extra);
    cli(&args, None)
}

/// A number from the import summary (`  versions created: 12`).
fn count(run: &Run, key: &str) -> usize {
    let prefix = format!("  {key}: ");
    run.stderr
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{key}` in the summary:\n{}", run.stderr))
}

fn record(name: &str, fields: &[(&str, Value)]) -> String {
    let fields: Vec<Value> = fields
        .iter()
        .map(|(n, t)| match (*n, t.as_str()) {
            // Every added field has a default, so versions stay compatible in every direction.
            (_, Some("int")) if *n != "id" => json!({ "name": n, "type": t, "default": 0 }),
            (_, Some("string")) if *n != "id" => json!({ "name": n, "type": t, "default": "" }),
            _ => json!({ "name": n, "type": t }),
        })
        .collect();
    json!({"type": "record", "name": name, "namespace": "com.example", "fields": fields})
        .to_string()
}

fn enc(s: &str) -> String {
    s.replace(':', "%3A")
}

async fn register(server: &Server, subject: &str, schema: &str, refs: Value) -> i64 {
    let mut body = json!({ "schema": schema });
    if refs.as_array().is_some_and(|a| !a.is_empty()) {
        body["references"] = refs;
    }
    let (status, v) = server
        .post(&format!("/subjects/{}/versions", enc(subject)), &body)
        .await;
    assert_eq!(status, 200, "register {subject}: {v}");
    v["id"].as_i64().expect("id")
}

async fn ok(server: &Server, method: &str, path: &str, body: Option<Value>) -> Value {
    let text = body.map(|b| b.to_string());
    let (status, v) = server
        .request(method, path, text.as_deref(), Some(common::SR_CONTENT_TYPE))
        .await;
    assert_eq!(status, 200, "{method} {path}: {v}");
    v
}

/// Three versions of a record: one field, then two more added with defaults.
fn three(name: &str) -> [String; 3] {
    [
        record(name, &[("id", json!("string"))]),
        record(name, &[("id", json!("string")), ("a", json!("int"))]),
        record(
            name,
            &[
                ("id", json!("string")),
                ("a", json!("int")),
                ("b", json!("string")),
            ],
        ),
    ]
}

/// Fills a registry with a bit of everything the dump carries.
async fn populate(src: &Server) {
    // A named type in its own subject, referenced from another subject.
    let address = three("Address");
    for s in &address {
        register(src, "address", s, json!([])).await;
    }
    let person = |extra: bool| {
        let mut fields = vec![
            json!({"name": "id", "type": "string"}),
            json!({"name": "home", "type": "com.example.Address"}),
        ];
        if extra {
            fields.push(json!({"name": "age", "type": "int", "default": 0}));
        }
        json!({"type": "record", "name": "Person", "namespace": "com.example", "fields": fields})
            .to_string()
    };
    let r = |v: i32| json!([{"name": "com.example.Address", "subject": "address", "version": v}]);
    register(src, "person-value", &person(false), r(1)).await;
    register(src, "person-value", &person(true), r(2)).await;
    register(src, "person-value", &person(true), r(3)).await;

    let orders = three("Order");
    for s in &orders {
        register(src, "orders-value", s, json!([])).await;
    }
    // The same schema under another subject keeps its ID.
    register(src, "orders-copy", &orders[2], json!([])).await;
    ok(src, "DELETE", "/subjects/orders-value/versions/2", None).await;
    ok(
        src,
        "PUT",
        "/config/orders-value",
        Some(json!({"compatibility": "NONE"})),
    )
    .await;

    for s in &three("Customer") {
        register(src, "customers-value", s, json!([])).await;
    }
    ok(
        src,
        "PUT",
        "/mode/customers-value",
        Some(json!({"mode": "READONLY"})),
    )
    .await;

    // A wholly soft-deleted subject.
    for s in &three("Legacy") {
        register(src, "legacy-value", s, json!([])).await;
    }
    ok(src, "DELETE", "/subjects/legacy-value", None).await;

    // A hard-deleted version leaves a gap: only version 2 and 3 remain.
    for s in &three("Gap") {
        register(src, "gaps-value", s, json!([])).await;
    }
    ok(src, "DELETE", "/subjects/gaps-value/versions/1", None).await;
    ok(
        src,
        "DELETE",
        "/subjects/gaps-value/versions/1?permanent=true",
        None,
    )
    .await;

    // A non-default context with its own ID space and a reference resolved inside it.
    for s in &address {
        register(src, ":.ctx:address", s, json!([])).await;
    }
    for v in 1..=3 {
        register(src, ":.ctx:sub", &person(v > 1), r(v)).await;
    }
    ok(
        src,
        "PUT",
        "/config/%3A.ctx%3A",
        Some(json!({"compatibility": "FORWARD"})),
    )
    .await;
    ok(
        src,
        "PUT",
        "/mode/%3A.ctx%3A",
        Some(json!({"mode": "READONLY"})),
    )
    .await;

    ok(
        src,
        "PUT",
        "/config",
        Some(json!({"compatibility": "FULL"})),
    )
    .await;
}

/// Everything a client can read about the registry's schemas, keyed by request.
async fn snapshot(server: &Server) -> BTreeMap<String, (u16, Value)> {
    let mut out = BTreeMap::new();
    let get = |path: String| async move {
        let r = server.get(&path).await;
        (path, r)
    };
    let mut paths: Vec<String> = [
        "/subjects",
        "/subjects?deleted=true",
        "/subjects?subjectPrefix=%3A*%3A&deleted=true",
        "/contexts",
        "/config",
        "/mode",
        "/config/%3A.ctx%3A",
        "/mode/%3A.ctx%3A",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (_, all) = get("/subjects?subjectPrefix=%3A*%3A&deleted=true".into()).await;
    let subjects: Vec<String> = all
        .1
        .as_array()
        .expect("subject list")
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect();
    let mut ids: BTreeSet<(String, i64)> = BTreeSet::new();
    for s in &subjects {
        let base = format!("/subjects/{}", enc(s));
        paths.push(format!("{base}/versions"));
        paths.push(format!("{base}/versions?deleted=true"));
        paths.push(format!("/config/{}", enc(s)));
        paths.push(format!("/mode/{}", enc(s)));
        let (_, vs) = get(format!("{base}/versions?deleted=true")).await;
        for v in vs.1.as_array().expect("versions") {
            let path = format!("{base}/versions/{v}?deleted=true");
            let (_, body) = get(path.clone()).await;
            let ctx = if s.starts_with(":.") {
                s[..s[1..].find(':').map_or(0, |i| i + 2)].to_string()
            } else {
                String::new()
            };
            ids.insert((ctx, body.1["id"].as_i64().expect("id")));
            paths.push(path);
            paths.push(format!("{base}/versions/{v}/referencedby"));
        }
    }
    for (ctx, id) in ids {
        let hint = if ctx.is_empty() {
            String::new()
        } else {
            format!("&subject={}", enc(&ctx))
        };
        paths.push(format!("/schemas/ids/{id}?x=1{hint}"));
        paths.push(format!("/schemas/ids/{id}/versions?deleted=true{hint}"));
    }
    for p in paths {
        let (path, (status, body)) = get(p).await;
        out.insert(path, (status, common::without_ts(body)));
    }
    out
}

fn assert_same(a: &BTreeMap<String, (u16, Value)>, b: &BTreeMap<String, (u16, Value)>) {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut diffs = Vec::new();
    for k in keys {
        if a.get(k) != b.get(k) {
            diffs.push(format!(
                "{k}:\n  source {:?}\n  target {:?}",
                a.get(k),
                b.get(k)
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[tokio::test]
async fn round_trip_between_two_of_our_registries() {
    let src = Server::start();
    let dst = Server::start();
    populate(&src).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let dump_path = dir.path().join("dump.jsonl");

    // Export to a file; the same as to stdout.
    let run = cli(
        &[
            "export",
            "--url",
            &src.url,
            "--output",
            dump_path.to_str().expect("path"),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let text = std::fs::read_to_string(&dump_path).expect("read dump");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines[0]["type"], "header");
    assert_eq!(lines[0]["format"], "schema-registry-dump");
    assert_eq!(lines[0]["source"], src.url.as_str());
    assert_eq!(lines.last().expect("lines")["type"], "end");
    let schemas: Vec<&Value> = lines.iter().filter(|l| l["type"] == "schema").collect();
    // 3 address + 3 person + 3 orders + 1 copy + 3 customers + 3 legacy + 2 gaps + 3 + 3 (ctx)
    assert_eq!(schemas.len(), 24, "{text}");
    assert_eq!(schemas.iter().filter(|s| s["deleted"] == true).count(), 4);
    // Every referenced version comes before its referrer.
    let pos = |subject: &str, version: i64| {
        schemas
            .iter()
            .position(|s| s["subject"] == subject && s["version"] == version)
            .unwrap_or_else(|| panic!("{subject} v{version} not in the dump"))
    };
    assert!(pos("address", 3) < pos("person-value", 3));
    assert!(pos(":.ctx:address", 2) < pos(":.ctx:sub", 2));
    assert!(pos("orders-value", 1) < pos("orders-value", 2));
    let first = export(&src);
    let strip = |t: &str| t.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(&first), strip(&text), "stdout and --output agree");

    // A dry run reads the target and writes nothing.
    let run = import_file(&dst, &dump_path, &["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count(&run, "versions to create"), 24, "{}", run.stderr);
    assert_eq!(dst.get("/subjects?deleted=true").await.1, json!([]));

    let before = snapshot(&src).await;
    // The snapshot covers what the source was given.
    let at = |p: &str| {
        before
            .get(p)
            .cloned()
            .unwrap_or_else(|| panic!("{p} not read"))
    };
    assert!(before.len() > 100, "{}", before.len());
    assert_eq!(
        at("/subjects/gaps-value/versions?deleted=true").1,
        json!([2, 3])
    );
    assert_eq!(at("/subjects/orders-value/versions").1, json!([1, 3]));
    assert_eq!(at("/subjects/legacy-value/versions").0, 404);
    assert_eq!(at("/mode/customers-value").1, json!({"mode": "READONLY"}));
    assert_eq!(at("/mode/%3A.ctx%3A").1, json!({"mode": "READONLY"}));
    assert_eq!(at("/config/%3A.ctx%3A").1["compatibilityLevel"], "FORWARD");
    assert_eq!(at("/config/orders-value").1["compatibilityLevel"], "NONE");
    assert_eq!(at("/config").1["compatibilityLevel"], "FULL");
    assert_eq!(at("/contexts").1, json!([".", ".ctx"]));
    assert_eq!(
        at("/subjects/%3A.ctx%3Asub/versions/3?deleted=true").1["references"][0]["subject"],
        "address"
    );
    let run = import_file(&dst, &dump_path, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(count(&run, "versions created"), 24, "{}", run.stderr);
    assert_eq!(count(&run, "versions soft-deleted"), 4, "{}", run.stderr);
    assert_eq!(count(&run, "failures"), 0, "{}", run.stderr);
    assert_same(&before, &snapshot(&dst).await);

    // Again, through stdin: nothing new, nothing written.
    let run = cli(&["import", "--url", &dst.url], Some(&text));
    assert_eq!(run.code, 0, "{}", run.stderr);
    for key in [
        "versions created",
        "versions soft-deleted",
        "configs set",
        "modes set",
        "failures",
    ] {
        assert_eq!(count(&run, key), 0, "{key}: {}", run.stderr);
    }
    assert_eq!(
        count(&run, "versions already present"),
        24,
        "{}",
        run.stderr
    );
    assert_eq!(
        count(&run, "versions already soft-deleted"),
        4,
        "{}",
        run.stderr
    );
    assert_same(&before, &snapshot(&dst).await);

    // An interrupted run can leave a subject in IMPORT mode: the next run clears it.
    ok(
        &dst,
        "PUT",
        "/mode/address?force=true",
        Some(json!({"mode": "IMPORT"})),
    )
    .await;
    let run = import_file(&dst, &dump_path, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count(&run, "modes set"), 1, "{}", run.stderr);
    assert_eq!(count(&run, "versions created"), 0, "{}", run.stderr);
    assert_same(&before, &snapshot(&dst).await);

    // The target is an ordinary registry afterwards: a new schema gets the next free ID.
    let max = before
        .iter()
        .filter(|(k, _)| k.starts_with("/schemas/ids/") && !k.contains("subject="))
        .filter_map(|(_, (_, v))| v.get("maxId").and_then(Value::as_i64))
        .max()
        .unwrap_or(0);
    let id = register(
        &dst,
        "fresh-value",
        &record("Fresh", &[("id", json!("string"))]),
        json!([]),
    )
    .await;
    assert!(id > max, "new id {id} after max {max}");
    // And the source's subject mode holds there too.
    let (status, v) = dst
        .post(
            "/subjects/customers-value/versions",
            &json!({ "schema": record("Customer", &[("id", json!("string")), ("z", json!("int"))]) }),
        )
        .await;
    assert_eq!(
        (status, v["error_code"].clone()),
        (422, json!(42205)),
        "{v}"
    );
}

#[tokio::test]
async fn import_into_a_registry_in_import_mode_with_its_own_data() {
    let src = Server::start();
    let dst = Server::start();
    populate(&src).await;
    // The target holds unrelated subjects (with IDs far from the source's) and was put in
    // IMPORT mode by its operator, as Confluent's migration guide says.
    ok(&dst, "PUT", "/mode", Some(json!({"mode": "IMPORT"}))).await;
    for (i, s) in three("Own").iter().enumerate() {
        let body = json!({"schema": s, "id": 1000 + i, "version": i + 1});
        ok(&dst, "POST", "/subjects/own-value/versions", Some(body)).await;
    }
    ok(
        &dst,
        "PUT",
        "/config/own-value",
        Some(json!({"compatibility": "FULL_TRANSITIVE"})),
    )
    .await;
    let own_before: Vec<(u16, Value)> = {
        let mut v = Vec::new();
        for p in [
            "/subjects/own-value/versions",
            "/subjects/own-value/versions/3",
            "/config/own-value",
            "/schemas/ids/1001",
        ] {
            v.push(dst.get(p).await);
        }
        v
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let dump_path = dir.path().join("dump.jsonl");
    std::fs::write(&dump_path, export(&src)).expect("write dump");

    // --skip-global: the target keeps its global mode (IMPORT) and config.
    let run = import_file(&dst, &dump_path, &["--skip-global"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count(&run, "versions created"), 24, "{}", run.stderr);
    assert_eq!(dst.get("/mode").await.1, json!({"mode": "IMPORT"}));
    assert_eq!(dst.get("/config").await.1["compatibilityLevel"], "BACKWARD");

    // The imported part answers as the source does.
    let src_snap = snapshot(&src).await;
    let dst_snap = snapshot(&dst).await;
    for (path, answer) in &src_snap {
        let global = path == "/mode" || path == "/config";
        let listing = path == "/subjects" || path.starts_with("/subjects?") || path == "/contexts";
        // maxId counts the target's own IDs too.
        let by_id = path.starts_with("/schemas/ids/") && !path.contains("/versions");
        if global || listing || by_id {
            continue;
        }
        assert_eq!(dst_snap.get(path), Some(answer), "{path}");
    }
    for (path, (_, v)) in &src_snap {
        if path.starts_with("/schemas/ids/") && !path.contains("/versions") {
            let mut v = v.clone();
            let mut d = dst_snap[path].1.clone();
            v.as_object_mut().map(|m| m.remove("maxId"));
            d.as_object_mut().map(|m| m.remove("maxId"));
            assert_eq!(v, d, "{path}");
        }
    }
    // The target's own data is untouched and still listed.
    let mut own_after = Vec::new();
    for p in [
        "/subjects/own-value/versions",
        "/subjects/own-value/versions/3",
        "/config/own-value",
        "/schemas/ids/1001",
    ] {
        own_after.push(dst.get(p).await);
    }
    assert_eq!(own_before, own_after);
    let listed = dst.get("/subjects").await.1;
    assert!(
        listed
            .as_array()
            .is_some_and(|a| a.contains(&json!("own-value"))),
        "{listed}"
    );

    // Without --skip-global the dumped global config and mode are applied; only they change.
    let run = import_file(&dst, &dump_path, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count(&run, "versions created"), 0, "{}", run.stderr);
    assert_eq!(count(&run, "configs set"), 1, "{}", run.stderr);
    assert_eq!(count(&run, "modes set"), 1, "{}", run.stderr);
    assert_eq!(dst.get("/mode").await.1, json!({"mode": "READWRITE"}));
    assert_eq!(dst.get("/config").await.1["compatibilityLevel"], "FULL");
}

#[tokio::test]
async fn conflicting_ids_are_reported_and_nothing_is_overwritten() {
    let src = Server::start();
    let dst = Server::start();
    let [a1, a2, _] = three("A");
    register(&src, "a-value", &a1, json!([])).await; // id 1
    register(&src, "a-value", &a2, json!([])).await; // id 2
                                                     // On the target, ID 1 is another schema and a-value does not exist.
    let other = record("Other", &[("id", json!("string"))]);
    register(&dst, "other-value", &other, json!([])).await; // id 1
    let held = dst.get("/schemas/ids/1").await;
    let dump = export(&src);

    // A dry run finds the conflict.
    let run = cli(&["import", "--url", &dst.url, "--dry-run"], Some(&dump));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("dry run"), "{}", run.stderr);
    assert_eq!(count(&run, "versions to create"), 1, "{}", run.stderr);
    assert_eq!(count(&run, "failures"), 1, "{}", run.stderr);
    assert_eq!(dst.get("/subjects/a-value/versions").await.0, 404);

    let run = cli(&["import", "--url", &dst.url], Some(&dump));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(count(&run, "failures"), 1, "{}", run.stderr);
    assert_eq!(count(&run, "versions created"), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("subject a-value version 1 (id 1): id 1 is another schema"),
        "the failure names the version: {}",
        run.stderr
    );
    assert_eq!(dst.get("/schemas/ids/1").await, held);
    assert_eq!(dst.get("/subjects/a-value/versions").await.1, json!([2]));
    // No temporary IMPORT mode is left behind.
    assert_eq!(dst.get("/mode/a-value").await.0, 404);

    // The same subject and version with another ID on the target: a conflict as well.
    let dst2 = Server::start();
    register(&dst2, "a-value", &a2, json!([])).await; // version 1, id 1, but not A v1
    let run = cli(&["import", "--url", &dst2.url], Some(&dump));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "subject a-value version 1 (id 1): the target holds this version with another schema"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn exit_codes_for_unreachable_registries_and_bad_dumps() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let run = cli(&["export", "--url", &url, "--timeout", "2"], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot reach the registry"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());

    let dump = concat!(
        r#"{"type":"header","format":"schema-registry-dump","formatVersion":1,"source":"x","exportedAt":"","tool":""}"#,
        "\n",
        r#"{"type":"end","schemas":0,"configs":0,"modes":0}"#,
        "\n"
    );
    let run = cli(&["import", "--url", &url, "--timeout", "2"], Some(dump));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot reach the registry"),
        "{}",
        run.stderr
    );

    // Malformed or truncated dumps are refused before any request.
    let truncated = dump.lines().next().expect("header");
    let run = cli(&["import", "--url", &url], Some(truncated));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no end line"), "{}", run.stderr);
    let run = cli(&["import", "--url", &url], Some("{\"subject\": 1}\n"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = cli(&["import", "--url", "not a url"], Some(dump));
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = cli(
        &[
            "import",
            "--url",
            &url,
            "--input",
            "/nonexistent/dump.jsonl",
        ],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = cli(&["export", "--url", &url, "--basic-auth", "no-colon"], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("USER:PASSWORD"), "{}", run.stderr);
    // Usage errors (clap).
    let run = cli(&["export"], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

// ---- the DEK registry ------------------------------------------------------------------

const KEKS: &str = "/dek-registry/v1/keks";
const ALGORITHMS: [&str; 3] = ["AES128_GCM", "AES256_GCM", "AES256_SIV"];

async fn create_dek(server: &Server, kek: &str, subject: &str, alg: &str, version: i64) {
    let body = json!({
        "version": version,
        "algorithm": alg,
        // What a client sends: the DEK encrypted by its KEK in the KMS (opaque here).
        "encryptedKeyMaterial": format!("{kek}/{subject}/{alg}/{version}"),
    });
    let path = format!("{KEKS}/{kek}/deks/{}", enc(subject));
    ok(server, "POST", &path, Some(body)).await;
}

async fn no_content(server: &Server, method: &str, path: &str) {
    let (status, v) = server.request(method, path, None, None).await;
    assert_eq!(status, 204, "{method} {path}: {v}");
}

/// Two KEKs, DEKs under two algorithms with two versions, soft-deleted DEKs under a live KEK
/// and a soft-deleted KEK with its soft-deleted DEKs. Confluent's rules (`crate::keys`, from
/// `AbstractDekRegistry` / `DekRegistryResource`) shape the way there: a KEK can only be
/// soft-deleted once its DEKs are (42272 otherwise), so `legacy`'s DEKs go first.
async fn populate_keys(src: &Server) {
    let payments = json!({
        "name": "payments", "kmsType": "aws-kms",
        "kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/payments",
        "kmsProps": {"region": "us-east-1"}, "doc": "Payment data", "shared": false,
    });
    ok(src, "POST", KEKS, Some(payments)).await;
    let legacy = json!({
        "name": "legacy", "kmsType": "gcp-kms",
        "kmsKeyId": "projects/p/locations/l/keyRings/r/cryptoKeys/legacy", "shared": false,
    });
    ok(src, "POST", KEKS, Some(legacy)).await;
    create_dek(src, "payments", "orders-value", "AES256_GCM", 1).await;
    create_dek(src, "payments", "orders-value", "AES256_GCM", 2).await;
    create_dek(src, "payments", "orders-value", "AES128_GCM", 1).await;
    create_dek(src, "payments", ":.ctx:sub", "AES256_SIV", 1).await;
    create_dek(src, "payments", ":.ctx:sub", "AES256_GCM", 1).await;
    let sub = format!("{KEKS}/payments/deks/{}", enc(":.ctx:sub"));
    no_content(
        src,
        "DELETE",
        &format!("{sub}/versions/1?algorithm=AES256_GCM"),
    )
    .await;
    create_dek(src, "legacy", "legacy-value", "AES256_GCM", 1).await;
    create_dek(src, "legacy", "legacy-value", "AES256_GCM", 2).await;
    let (status, v) = src.delete(&format!("{KEKS}/legacy")).await;
    assert_eq!(
        (status, v["error_code"].clone()),
        (422, json!(42272)),
        "{v}"
    );
    no_content(src, "DELETE", &format!("{KEKS}/legacy/deks/legacy-value")).await;
    no_content(src, "DELETE", &format!("{KEKS}/legacy")).await;
}

/// Every answer of the DEK registry's reads, keyed by request; `ts` dropped unless `raw`.
async fn key_snapshot(server: &Server, raw: bool) -> BTreeMap<String, (u16, Value)> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap_or_else(|| panic!("a list: {v}"))
            .iter()
            .map(|s| s.as_str().expect("a string").to_string())
            .collect()
    };
    let mut paths = vec![KEKS.to_string(), format!("{KEKS}?deleted=true")];
    let names = strings(&server.get(&format!("{KEKS}?deleted=true")).await.1);
    for k in &names {
        let kek = format!("{KEKS}/{k}");
        for q in ["", "?deleted=true"] {
            paths.push(format!("{kek}{q}"));
            paths.push(format!("{kek}/deks{q}"));
        }
        let subjects = strings(&server.get(&format!("{kek}/deks?deleted=true")).await.1);
        for s in &subjects {
            let dek = format!("{kek}/deks/{}", enc(s));
            for alg in ALGORITHMS {
                for q in [
                    format!("?algorithm={alg}"),
                    format!("?deleted=true&algorithm={alg}"),
                ] {
                    paths.push(format!("{dek}{q}"));
                    paths.push(format!("{dek}/versions{q}"));
                    paths.push(format!("{dek}/versions/latest{q}"));
                    let (_, vs) = server
                        .get(&format!("{dek}/versions?deleted=true&algorithm={alg}"))
                        .await;
                    for v in vs.as_array().into_iter().flatten() {
                        paths.push(format!("{dek}/versions/{v}{q}"));
                    }
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    for p in paths {
        let (status, body) = server.get(&p).await;
        let body = if raw { body } else { common::without_ts(body) };
        out.insert(p, (status, body));
    }
    out
}

#[tokio::test]
async fn the_dek_registry_goes_along() {
    let src = Server::start();
    let dst = Server::start();
    populate_keys(&src).await;
    register(&src, "orders-value", &three("Order")[0], json!([])).await;
    let text = export(&src);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let keks: Vec<&Value> = lines.iter().filter(|l| l["type"] == "kek").collect();
    let deks: Vec<&Value> = lines.iter().filter(|l| l["type"] == "dek").collect();
    assert_eq!(keks.len(), 2, "{text}");
    assert_eq!(deks.len(), 7, "{text}");
    assert_eq!(
        lines.last().expect("end")["deks"],
        json!(7),
        "the end line counts them"
    );
    assert_eq!(
        *keks.iter().find(|k| k["name"] == "legacy").expect("legacy"),
        &json!({"type": "kek", "name": "legacy", "kmsType": "gcp-kms",
            "kmsKeyId": "projects/p/locations/l/keyRings/r/cryptoKeys/legacy",
            "kmsProps": {}, "shared": false, "deleted": true})
    );
    assert!(deks.contains(&&json!({"type": "dek", "kekName": "payments",
        "subject": "orders-value", "version": 2, "algorithm": "AES256_GCM",
        "encryptedKeyMaterial": "payments/orders-value/AES256_GCM/2", "deleted": false})));
    assert_eq!(deks.iter().filter(|d| d["deleted"] == true).count(), 3);
    assert!(
        !text.contains("\"ts\"") && !text.contains("\"keyMaterial\""),
        "{text}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let dump_path = dir.path().join("dump.jsonl");
    std::fs::write(&dump_path, &text).expect("write dump");

    // A dry run reports the keys to create and writes nothing.
    let run = import_file(&dst, &dump_path, &["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count(&run, "KEKs to create"), 2, "{}", run.stderr);
    assert_eq!(count(&run, "DEKs to create"), 7, "{}", run.stderr);
    assert_eq!(count(&run, "keys to soft-delete"), 0, "{}", run.stderr);
    assert_eq!(dst.get(&format!("{KEKS}?deleted=true")).await.1, json!([]));

    let before = key_snapshot(&src, false).await;
    assert!(before.len() > 70, "{}", before.len());
    let at = |p: &str| {
        before
            .get(p)
            .cloned()
            .unwrap_or_else(|| panic!("{p} not read"))
    };
    assert_eq!(at(KEKS).1, json!(["payments"]));
    assert_eq!(at(&format!("{KEKS}/legacy")).0, 404);
    assert_eq!(
        at(&format!("{KEKS}/legacy?deleted=true")).1["deleted"],
        true
    );
    let orders = format!("{KEKS}/payments/deks/orders-value/versions");
    assert_eq!(
        at(&format!("{orders}?algorithm=AES256_GCM")).1,
        json!([1, 2])
    );
    assert_eq!(at(&format!("{orders}?algorithm=AES128_GCM")).1, json!([1]));
    let sub = format!("{KEKS}/payments/deks/{}/versions", enc(":.ctx:sub"));
    assert_eq!(at(&format!("{sub}?algorithm=AES256_GCM")).1, json!([]));
    assert_eq!(
        at(&format!("{sub}?deleted=true&algorithm=AES256_GCM")).1,
        json!([1])
    );

    // `legacy` goes in soft-deleted from the start and its DEKs under it with `deleted: true`:
    // Confluent's `DekRegistryResource.createDek` looks the KEK up with
    // `getKek(kekName, request.isDeleted())` (as `crate::keys` does), so one create per key
    // restores the state without the KEK ever being live on the target.
    let run = import_file(&dst, &dump_path, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count(&run, "KEKs created"), 2, "{}", run.stderr);
    assert_eq!(count(&run, "DEKs created"), 7, "{}", run.stderr);
    assert_eq!(count(&run, "keys soft-deleted"), 0, "{}", run.stderr);
    assert_eq!(count(&run, "failures"), 0, "{}", run.stderr);
    assert_same(&before, &key_snapshot(&dst, false).await);

    // Again: everything is already there and nothing is written (`ts` stays the first
    // import's).
    let stamped = key_snapshot(&dst, true).await;
    let run = import_file(&dst, &dump_path, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for key in [
        "KEKs created",
        "DEKs created",
        "keys soft-deleted",
        "failures",
    ] {
        assert_eq!(count(&run, key), 0, "{key}: {}", run.stderr);
    }
    assert_eq!(count(&run, "KEKs already present"), 2, "{}", run.stderr);
    assert_eq!(count(&run, "DEKs already present"), 7, "{}", run.stderr);
    assert_same(&stamped, &key_snapshot(&dst, true).await);
    let run = import_file(&dst, &dump_path, &["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count(&run, "KEKs to create"), 0, "{}", run.stderr);
    assert_eq!(count(&run, "DEKs to create"), 0, "{}", run.stderr);

    // A target holding some of the keys: `legacy` live with its version 1 (the same content)
    // is soft-deleted as the dump has it, version 2 created under it; `payments` with another
    // KMS key is a conflict, its DEKs are not imported, nothing of it is overwritten.
    let dst2 = Server::start();
    let other = json!({"name": "payments", "kmsType": "aws-kms",
        "kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/other", "shared": false});
    ok(&dst2, "POST", KEKS, Some(other)).await;
    let legacy = json!({"name": "legacy", "kmsType": "gcp-kms",
        "kmsKeyId": "projects/p/locations/l/keyRings/r/cryptoKeys/legacy", "shared": false});
    ok(&dst2, "POST", KEKS, Some(legacy)).await;
    create_dek(&dst2, "legacy", "legacy-value", "AES256_GCM", 1).await;
    let payments_before = dst2.get(&format!("{KEKS}/payments")).await;
    let run = import_file(&dst2, &dump_path, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(count(&run, "KEKs already present"), 1, "{}", run.stderr);
    assert_eq!(count(&run, "DEKs already present"), 1, "{}", run.stderr);
    assert_eq!(count(&run, "DEKs created"), 1, "{}", run.stderr);
    assert_eq!(count(&run, "keys soft-deleted"), 2, "{}", run.stderr);
    assert_eq!(count(&run, "failures"), 6, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "KEK payments: the target holds another KEK of that name (kmsKeyId, kmsProps, doc differ)"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "DEK of KEK payments, subject orders-value, AES256_GCM version 2: its KEK is not imported"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(dst2.get(&format!("{KEKS}/payments")).await, payments_before);
    let after = key_snapshot(&dst2, false).await;
    for (path, answer) in &before {
        if path.contains("/legacy") {
            assert_eq!(after.get(path), Some(answer), "{path}");
        }
    }

    // A shared KEK's DEKs cannot be read without a KMS (50070): skipped with a warning.
    let shared = json!({"name": "shared", "kmsType": "aws-kms",
        "kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/shared", "shared": false});
    ok(&src, "POST", KEKS, Some(shared)).await;
    create_dek(&src, "shared", "s-value", "AES256_GCM", 1).await;
    ok(
        &src,
        "PUT",
        &format!("{KEKS}/shared"),
        Some(json!({"shared": true})),
    )
    .await;
    let run = cli(&["export", "--url", &src.url], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: skipping the DEK of KEK shared, subject s-value, AES256_GCM version 1"
        ),
        "{}",
        run.stderr
    );
    let kinds = |t: &str, kind: &str| {
        t.lines()
            .filter(|l| l.contains(&format!("\"type\":\"{kind}\"")))
            .count()
    };
    assert_eq!(
        (kinds(&run.stdout, "kek"), kinds(&run.stdout, "dek")),
        (3, 7)
    );

    // A registry without the DEK registry (404, error_code 404) exports no keys, silently,
    // and an import into it reports the keys it cannot take.
    let bare = Server::builder().args(["--dek-registry", "false"]).start();
    assert_eq!(bare.get(KEKS).await.0, 404);
    let run = cli(&["export", "--url", &bare.url], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert_eq!(
        (kinds(&run.stdout, "kek"), kinds(&run.stdout, "dek")),
        (0, 0)
    );
    let run = import_file(&bare, &dump_path, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("2 KEKs and 7 DEKs not imported: the target has no DEK registry"),
        "{}",
        run.stderr
    );
    assert_eq!(count(&run, "versions created"), 1, "{}", run.stderr);
}

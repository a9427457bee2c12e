//! The client subcommands (`subjects`, `versions`, `get`, `register`, `delete`, `config`,
//! `mode`, `completions`): the real binary against a real server, their text and JSON output
//! and their exit statuses (0 done, 1 refused by the registry, 2 anything else).

mod common;

use common::auth::cheap_hash;
use common::Server;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

const V1: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"name","type":"string"}]}"#;
const V2: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"name","type":"string"},{"name":"age","type":"int","default":0}]}"#;
const ADDRESS: &str = r#"{"type":"object","properties":{"zip":{"type":"string"}}}"#;
const PERSON: &str = r#"{"type":"object","properties":{"home":{"$ref":"address.json"}}}"#;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// Asserts the exit status, showing the output when it differs.
    fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs the binary with `args` in `dir`, without any of the client's environment variables
/// but those in `env`.
fn sr_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schema-registry"));
    for v in [
        "SR_URL",
        "SR_BASIC_AUTH",
        "SR_CA_CERT",
        "SR_CLIENT_CERT",
        "SR_CLIENT_KEY",
    ] {
        cmd.env_remove(v);
    }
    let out = cmd
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .expect("run schema-registry");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `schema-registry COMMAND --url URL ARGS…`.
fn sr(dir: &Path, url: &str, command: &str, args: &[&str]) -> Run {
    let mut all = vec![command, "--url", url];
    all.extend_from_slice(args);
    sr_env(dir, &all, &[])
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    path.display().to_string()
}

fn same_json(a: &str, b: &str) -> bool {
    let parse = |s: &str| serde_json::from_str::<Value>(s.trim()).ok();
    parse(a).is_some() && parse(a) == parse(b)
}

#[test]
fn register_get_versions_and_subjects_in_text_and_json() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let url = server.url.as_str();
    write(d, "v1.avsc", V1);
    write(d, "v2.avsc", V2);
    write(d, "address.json", ADDRESS);
    write(d, "person.json", PERSON);

    let first = sr(d, url, "register", &["orders-value", "v1.avsc"]).expect(0);
    assert_eq!(first.stdout, "1\n");
    let second = sr(
        d,
        url,
        "register",
        &["orders-value", "v2.avsc", "-o", "json"],
    )
    .expect(0);
    // The registry's answer as it came (8.x answers with the version too).
    assert_eq!(second.json()["id"], 2, "{}", second.stdout);
    // The same schema again: its ID, no new version.
    let again = sr(d, url, "register", &["orders-value", "v2.avsc"]).expect(0);
    assert_eq!(again.stdout, "2\n");

    let latest = sr(d, url, "get", &["orders-value"]).expect(0);
    assert!(same_json(&latest.stdout, V2), "{}", latest.stdout);
    let v1 = sr(d, url, "get", &["orders-value", "1", "-o", "json"])
        .expect(0)
        .json();
    assert_eq!(
        (&v1["subject"], &v1["version"], &v1["id"]),
        (&json!("orders-value"), &json!(1), &json!(1))
    );
    assert!(same_json(v1["schema"].as_str().unwrap_or(""), V1), "{v1}");
    let by_id = sr(d, url, "get", &["--id", "1"]).expect(0);
    assert!(same_json(&by_id.stdout, V1), "{}", by_id.stdout);

    assert_eq!(
        sr(d, url, "versions", &["orders-value"]).expect(0).stdout,
        "1\n2\n"
    );
    assert_eq!(
        sr(d, url, "versions", &["orders-value", "--output", "json"])
            .expect(0)
            .json(),
        json!([1, 2])
    );

    // JSON Schema from the .json extension, with a reference; a subject in a context with a
    // slash in its name (percent-encoded as one path segment).
    sr(d, url, "register", &[":.team:address/v", "address.json"]).expect(0);
    let person = sr(
        d,
        url,
        "register",
        &[
            "person-value",
            "person.json",
            "--reference",
            "address.json=:.team:address/v:1",
        ],
    )
    .expect(0);
    let person_id = person.stdout.trim().to_string();
    let got = sr(d, url, "get", &["person-value", "-o", "json"])
        .expect(0)
        .json();
    assert_eq!(got["schemaType"], "JSON", "{got}");
    assert_eq!(got["id"].to_string(), person_id, "{got}");
    assert_eq!(
        got["references"],
        json!([{"name": "address.json", "subject": ":.team:address/v", "version": 1}])
    );
    let ctx = sr(d, url, "get", &[":.team:address/v", "latest"]).expect(0);
    assert!(same_json(&ctx.stdout, ADDRESS), "{}", ctx.stdout);

    let all = sr(d, url, "subjects", &[]).expect(0);
    assert_eq!(all.stdout, ":.team:address/v\norders-value\nperson-value\n");
    let team = sr(d, url, "subjects", &["--prefix", ":.team:", "-o", "json"]).expect(0);
    assert_eq!(team.json(), json!([":.team:address/v"]));
    // SR_URL instead of --url.
    let from_env = sr_env(d, &["versions", "person-value"], &[("SR_URL", url)]).expect(0);
    assert_eq!(from_env.stdout, "1\n");
}

#[test]
fn config_and_mode_are_read_set_and_removed() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let url = server.url.as_str();
    write(d, "v1.avsc", V1);
    sr(d, url, "register", &["orders-value", "v1.avsc"]).expect(0);

    assert_eq!(sr(d, url, "config", &[]).expect(0).stdout, "BACKWARD\n");
    let set = sr(
        d,
        url,
        "config",
        &["orders-value", "--set", "full_transitive"],
    )
    .expect(0);
    assert_eq!(set.stdout, "FULL_TRANSITIVE\n");
    let shown = sr(d, url, "config", &["orders-value", "-o", "json"]).expect(0);
    assert_eq!(shown.json()["compatibilityLevel"], "FULL_TRANSITIVE");
    // A subject without its own level: 40408, unless the effective level is asked for.
    let none = sr(d, url, "config", &["other"]).expect(1);
    assert!(none.stderr.contains("40408"), "{}", none.stderr);
    assert!(none.stdout.is_empty(), "{}", none.stdout);
    let effective = sr(d, url, "config", &["other", "--effective"]).expect(0);
    assert_eq!(effective.stdout, "BACKWARD\n");
    sr(d, url, "config", &["orders-value", "--delete"]).expect(0);
    sr(d, url, "config", &["orders-value"]).expect(1);
    sr(d, url, "config", &["--set", "NONE"]).expect(0);
    assert_eq!(sr(d, url, "config", &[]).expect(0).stdout, "NONE\n");

    assert_eq!(sr(d, url, "mode", &[]).expect(0).stdout, "READWRITE\n");
    let ro = sr(d, url, "mode", &["orders-value", "--set", "READONLY"]).expect(0);
    assert_eq!(ro.stdout, "READONLY\n");
    assert_eq!(
        sr(d, url, "mode", &["orders-value", "-o", "json"])
            .expect(0)
            .json(),
        json!({"mode": "READONLY"})
    );
    // A read-only subject refuses registrations: exit 1 with the registry's code.
    write(d, "v2.avsc", V2);
    let refused = sr(d, url, "register", &["orders-value", "v2.avsc"]).expect(1);
    assert!(refused.stderr.contains("42205"), "{}", refused.stderr);
    sr(d, url, "mode", &["orders-value", "--delete"]).expect(0);
    sr(d, url, "register", &["orders-value", "v2.avsc"]).expect(0);
    // Invalid values are usage errors.
    sr(d, url, "mode", &["--set", "SIDEWAYS"]).expect(2);
    sr(d, url, "config", &["--set", "SOMETIMES"]).expect(2);
}

#[test]
fn soft_and_permanent_deletes() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let url = server.url.as_str();
    write(d, "v1.avsc", V1);
    write(d, "v2.avsc", V2);
    sr(d, url, "register", &["s", "v1.avsc"]).expect(0);
    sr(d, url, "register", &["s", "v2.avsc"]).expect(0);

    assert_eq!(sr(d, url, "delete", &["s", "1"]).expect(0).stdout, "1\n");
    assert_eq!(sr(d, url, "versions", &["s"]).expect(0).stdout, "2\n");
    assert_eq!(
        sr(d, url, "versions", &["s", "--deleted"]).expect(0).stdout,
        "1\n2\n"
    );
    sr(d, url, "get", &["s", "1"]).expect(1);
    sr(d, url, "get", &["s", "1", "--deleted"]).expect(0);
    // Permanent, on a version already soft-deleted.
    assert_eq!(
        sr(d, url, "delete", &["s", "1", "--permanent"])
            .expect(0)
            .stdout,
        "1\n"
    );
    assert_eq!(
        sr(d, url, "versions", &["s", "--deleted"]).expect(0).stdout,
        "2\n"
    );

    let soft = sr(d, url, "delete", &["s", "-o", "json"]).expect(0);
    assert_eq!(soft.json(), json!([2]));
    assert_eq!(sr(d, url, "subjects", &[]).expect(0).stdout, "");
    assert_eq!(
        sr(d, url, "subjects", &["--deleted"]).expect(0).stdout,
        "s\n"
    );
    sr(d, url, "delete", &["s", "--permanent"]).expect(0);
    assert_eq!(sr(d, url, "subjects", &["--deleted"]).expect(0).stdout, "");

    // Permanent in one go, on a live subject (soft-deleted first).
    sr(d, url, "register", &["t", "v1.avsc"]).expect(0);
    let hard = sr(d, url, "delete", &["t", "--permanent"]).expect(0);
    assert_eq!(hard.stdout, "1\n");
    sr(d, url, "versions", &["t", "--deleted"]).expect(1);

    // `latest --permanent` deletes the latest version, not the one before it.
    sr(d, url, "register", &["u", "v1.avsc"]).expect(0);
    sr(d, url, "config", &["u", "--set", "NONE"]).expect(0);
    sr(d, url, "register", &["u", "v2.avsc"]).expect(0);
    let latest = sr(d, url, "delete", &["u", "latest", "--permanent"]).expect(0);
    assert_eq!(latest.stdout, "2\n");
    assert_eq!(
        sr(d, url, "versions", &["u", "--deleted"]).expect(0).stdout,
        "1\n"
    );
}

#[test]
fn failures_exit_1_when_refused_and_2_otherwise() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let url = server.url.as_str();

    let missing = sr(d, url, "versions", &["nope", "-o", "json"]).expect(1);
    assert!(
        missing.stderr.contains("40401") && missing.stderr.contains("nope"),
        "{}",
        missing.stderr
    );
    assert!(missing.stdout.is_empty(), "{}", missing.stdout);
    sr(d, url, "get", &["nope"]).expect(1);
    sr(d, url, "get", &["--id", "99"]).expect(1);
    sr(d, url, "delete", &["nope"]).expect(1);
    write(d, "bad.avsc", "{\"type\":");
    let invalid = sr(d, url, "register", &["s", "bad.avsc"]).expect(1);
    assert!(invalid.stderr.contains("42201"), "{}", invalid.stderr);

    // Nobody listening; an unreadable file; usage errors.
    let down = sr(d, "http://127.0.0.1:9", "subjects", &[]).expect(2);
    assert!(
        down.stderr.contains("cannot reach the registry"),
        "{}",
        down.stderr
    );
    let unreadable = sr(d, url, "register", &["s", "absent.avsc"]).expect(2);
    assert!(
        unreadable.stderr.contains("absent.avsc"),
        "{}",
        unreadable.stderr
    );
    sr(d, url, "get", &["s", "first"]).expect(2);
    sr(d, "ftp://x", "subjects", &[]).expect(2);
    sr(d, url, "register", &["s", "bad.avsc", "--reference", "x"]).expect(2);
    sr(d, url, "subjects", &["--basic-auth", "no-colon"]).expect(2);
}

#[test]
fn basic_auth_from_the_flag_or_the_environment() {
    let files = tempfile::tempdir().expect("tempdir");
    let d = files.path();
    let users = write(
        d,
        "users",
        &format!(
            "admin:{}:admin\nreader:{}:read-only\n",
            cheap_hash("s3cret:pw"),
            cheap_hash("r")
        ),
    );
    let server = Server::builder().users_file(&users).start();
    let url = server.url.as_str();
    write(d, "v1.avsc", V1);

    let anonymous = sr(d, url, "subjects", &[]).expect(1);
    assert!(anonymous.stderr.contains("401"), "{}", anonymous.stderr);
    sr(
        d,
        url,
        "register",
        &["s", "v1.avsc", "--basic-auth", "admin:s3cret:pw"],
    )
    .expect(0);
    let listed = sr_env(
        d,
        &["subjects", "--url", url],
        &[("SR_BASIC_AUTH", "reader:r")],
    )
    .expect(0);
    assert_eq!(listed.stdout, "s\n");
    // Credentials in the URL.
    let in_url = url.replacen("://", "://reader:r@", 1);
    sr(d, &in_url, "versions", &["s"]).expect(0);
    // A read-only user may not register: 403, exit 1.
    let forbidden = sr(
        d,
        url,
        "register",
        &["t", "v1.avsc", "--basic-auth", "reader:r"],
    )
    .expect(1);
    assert!(forbidden.stderr.contains("403"), "{}", forbidden.stderr);
    sr(d, url, "subjects", &["--basic-auth", "admin:wrong"]).expect(1);
    // --help does not show the password from the environment.
    let help = sr_env(
        d,
        &["subjects", "--help"],
        &[("SR_BASIC_AUTH", "admin:s3cret:pw")],
    )
    .expect(0);
    assert!(help.stdout.contains("SR_BASIC_AUTH"), "{}", help.stdout);
    assert!(!help.stdout.contains("s3cret"), "{}", help.stdout);
}

#[test]
fn https_with_a_ca_and_a_client_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "test CA");
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA");
    let server_key = rcgen::KeyPair::generate().expect("server key");
    let server_cert =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("server params")
            .signed_by(&server_key, &ca)
            .expect("server certificate");
    let mut client_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    client_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ci-bot");
    client_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let client_key = rcgen::KeyPair::generate().expect("client key");
    let client_cert = client_params
        .signed_by(&client_key, &ca)
        .expect("client certificate");

    let ca_pem = write(d, "ca.pem", &ca.pem());
    let cert = write(d, "server.pem", &server_cert.pem());
    let key = write(d, "server.key", &server_key.serialize_pem());
    let ccert = write(d, "client.pem", &client_cert.pem());
    let ckey = write(d, "client.key", &client_key.serialize_pem());
    let users = write(d, "users", "ci-bot:cert:admin\n");
    let server = Server::builder()
        .tls(&cert, &key)
        .users_file(&users)
        .args(["--tls-client-ca", &ca_pem])
        .start();
    assert!(server.url.starts_with("https://"), "{}", server.url);
    write(d, "v1.avsc", V1);
    let tls = [
        "--ca-cert",
        &ca_pem,
        "--client-cert",
        &ccert,
        "--client-key",
        &ckey,
    ];
    let mut register = vec!["s", "v1.avsc"];
    register.extend_from_slice(&tls);
    assert_eq!(
        sr(d, &server.url, "register", &register).expect(0).stdout,
        "1\n"
    );
    // The server's certificate is not trusted without the CA: a TLS failure, exit 2.
    let untrusted = sr(d, &server.url, "subjects", &[]).expect(2);
    assert!(
        untrusted.stderr.contains("cannot reach the registry"),
        "{}",
        untrusted.stderr
    );
    // Without a client certificate the handshake fails too.
    sr(d, &server.url, "subjects", &["--ca-cert", &ca_pem]).expect(2);
    // A key without its certificate is a usage error.
    sr(d, &server.url, "subjects", &["--client-key", &ckey]).expect(2);
}

#[test]
fn completion_scripts_name_the_subcommands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bash = sr_env(dir.path(), &["completions", "bash"], &[]).expect(0);
    for word in [
        "subjects",
        "versions",
        "register",
        "delete",
        "mode",
        "completions",
        "--basic-auth",
    ] {
        assert!(bash.stdout.contains(word), "{word} missing");
    }
    assert!(bash.stdout.contains("complete -F"), "not a bash script");
    for shell in ["zsh", "fish"] {
        let out = sr_env(dir.path(), &["completions", shell], &[]).expect(0);
        assert!(out.stdout.contains("register"), "{shell}");
    }
    sr_env(dir.path(), &["completions", "tcsh"], &[]).expect(2);
}

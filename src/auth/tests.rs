//! Unit tests of `auth`.

use super::*;

fn cheap_hash(password: &str) -> String {
    let params = argon2::Params::new(64, 1, 1, None).expect("params");
    Argon2::from(params)
        .hash_password(password.as_bytes())
        .expect("hash")
        .to_string()
}

fn who(role: Role) -> Principal {
    Principal {
        name: "u".into(),
        role,
    }
}

fn header(user: &str, pass: &str) -> Vec<u8> {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    format!("Basic {token}").into_bytes()
}

#[test]
fn auth_classifies_routes() {
    let c = |m: &str, p: &str| classify(m, p).operation;
    use Operation::*;
    assert_eq!(c("GET", "/subjects"), Read);
    assert_eq!(c("HEAD", "/schemas/ids/1"), Read);
    assert_eq!(c("GET", "/config"), Read);
    assert_eq!(c("POST", "/subjects/a"), Read);
    assert_eq!(c("POST", "//subjects//a/"), Read);
    assert_eq!(c("POST", "/compatibility/subjects/a/versions/latest"), Read);
    assert_eq!(c("POST", "/compatibility/subjects/a/versions"), Read);
    assert_eq!(c("POST", "/"), Read);
    assert_eq!(c("POST", "/subjects/a/versions"), Write);
    assert_eq!(c("POST", "/contexts/.c/subjects/a/versions"), Write);
    assert_eq!(c("POST", "/contexts/.c/subjects/a"), Read);
    assert_eq!(c("DELETE", "/subjects/a"), Write);
    assert_eq!(c("DELETE", "/subjects/a/versions/3"), Write);
    assert_eq!(c("PUT", "/config"), Admin);
    assert_eq!(c("PUT", "/config/a"), Admin);
    assert_eq!(c("DELETE", "/config/a"), Admin);
    assert_eq!(c("PUT", "/mode/a"), Admin);
    assert_eq!(c("PUT", "/contexts/.c/mode"), Admin);
    assert_eq!(c("POST", "/exporters"), Admin);
    assert_eq!(c("GET", "/exporters/x/config"), Admin);
    // A tag edit registers a new version.
    assert_eq!(c("POST", "/subjects/a/versions/1/tags"), Write);
    assert_eq!(c("PATCH", "/subjects/a"), Admin);
    assert_eq!(c("POST", "/something/new"), Admin);
}

#[test]
fn auth_names_the_subject() {
    let s = |p: &str| classify("POST", p).subject;
    assert_eq!(
        s("/subjects/orders-value/versions"),
        Some("orders-value".into())
    );
    assert_eq!(s("/subjects/a%2Fb"), Some("a/b".into()));
    assert_eq!(s("/contexts/.c/subjects/x/versions"), Some(":.c:x".into()));
    assert_eq!(s("/contexts/c/config/x"), Some(":.c:x".into()));
    assert_eq!(s("/compatibility/subjects/y/versions"), Some("y".into()));
    assert_eq!(s("/schemas/ids/1"), None);
}

#[test]
fn auth_roles_nest() {
    let post = |r: Role, p: &str| authorize(&who(r), "POST", p) == Decision::Allow;
    let put = |r: Role, p: &str| authorize(&who(r), "PUT", p) == Decision::Allow;
    assert!(post(Role::ReadOnly, "/subjects/a"));
    assert!(!post(Role::ReadOnly, "/subjects/a/versions"));
    assert!(post(Role::ReadWrite, "/subjects/a/versions"));
    assert!(!put(Role::ReadWrite, "/config"));
    assert!(put(Role::Admin, "/config"));
    assert!(put(Role::Admin, "/mode/a"));
    match authorize(&who(Role::ReadOnly), "POST", "/subjects/a/versions") {
        Decision::Deny(m) => assert!(m.contains("Write on subject a"), "{m}"),
        Decision::Allow => panic!("allowed"),
    }
}

#[test]
fn auth_open_paths() {
    assert!(is_open("/"));
    assert!(is_open("/health/live"));
    assert!(is_open("/health//ready/"));
    assert!(!is_open("/health"));
    assert!(!is_open("/subjects"));
}

#[test]
fn auth_parses_the_users_file() {
    let text = format!(
        "# users\n\nalice:{}:admin\n bob : {} : read-only \n",
        cheap_hash("a"),
        cheap_hash("b")
    );
    let auth = Auth::parse(&text).expect("parse");
    assert_eq!(auth.user_count(), 2);
    assert_eq!(auth.current().passwords["bob"].role, Role::ReadOnly);
    let bad = |t: &str| Auth::parse(t).err().unwrap_or_default();
    assert!(bad("alice").contains("line 1"));
    assert!(bad(&format!("a:{}:root", cheap_hash("a"))).contains("unknown role"));
    assert!(bad("a:plain:admin").contains("PHC"));
    assert!(bad("a:$2b$12$abcdefghijklmnopqrstuu:admin").contains("line 1"));
    let twice = format!("a:{h}:admin\na:{h}:admin", h = cheap_hash("a"));
    assert!(bad(&twice).contains("twice"));
    assert!(bad(&format!(":{}:admin", cheap_hash("a"))).contains("empty user"));
}

#[tokio::test]
async fn auth_verifies_and_caches() {
    let text = format!("alice:{}:read-write\n", cheap_hash("s3cret:x"));
    let auth = Auth::parse(&text).expect("parse");
    let ok = header("alice", "s3cret:x");
    let p = auth
        .authenticate(Some(ok.as_slice()))
        .await
        .expect("authenticated");
    assert_eq!(p.role, Role::ReadWrite);
    assert_eq!(auth.cached_count(), 1);
    assert!(auth.authenticate(Some(ok.as_slice())).await.is_some());
    assert!(auth
        .authenticate(Some(header("alice", "wrong").as_slice()))
        .await
        .is_none());
    assert!(auth
        .authenticate(Some(header("mallory", "s3cret:x").as_slice()))
        .await
        .is_none());
    assert!(auth.authenticate(None).await.is_none());
    let bearer = b"Bearer abc".to_vec();
    assert!(auth.authenticate(Some(bearer.as_slice())).await.is_none());
    assert_eq!(auth.cached_count(), 1);
}

#[test]
fn auth_normalizes_basic_credentials() {
    let token = base64::engine::general_purpose::STANDARD.encode("alice:pw: x ");
    let want = Some(("alice".to_string(), "pw: x ".to_string()));
    for v in [
        format!("Basic {token}"),
        format!("basic {token}"),
        format!("BASIC   {token}  "),
        format!("  bAsIc\t{token}"),
        format!("Basic \t {token}\t"),
    ] {
        assert_eq!(basic_credentials(v.as_bytes()), want, "{v:?}");
        let (u, p) = basic_credentials(v.as_bytes()).expect("parsed");
        assert_eq!(cache_key(&u, &p), cache_key("alice", "pw: x "));
    }
    assert_eq!(basic_credentials(format!("Basic{token}").as_bytes()), None);
    assert_eq!(basic_credentials(b"Bearer abc"), None);
    assert_eq!(basic_credentials(b"Basic !!!"), None);
    // The pairs (user, password) cannot be confused by where the split falls.
    assert_ne!(cache_key("ab", "c"), cache_key("a", "bc"));
}

/// Spellings of one credential (scheme case, spaces, tabs) share one cache entry and
/// one Argon2 verification; before the key was normalized each spelling was a new entry.
#[tokio::test]
async fn auth_cache_does_not_grow_with_spellings() {
    let text = format!("alice:{}:read-write\n", cheap_hash("pw"));
    let auth = Auth::parse(&text).expect("parse");
    let token = base64::engine::general_purpose::STANDARD.encode("alice:pw");
    let schemes = ["Basic", "basic", "BASIC", "bAsIc"];
    for i in 0..1000 {
        let v = format!(
            "{}{}{}{token}{}",
            " ".repeat(i % 3),
            schemes[i % 4],
            " ".repeat(1 + i % 7),
            "\t".repeat(i % 5 / 2)
        );
        let hv = v.clone().into_bytes();
        assert!(
            auth.authenticate(Some(hv.as_slice())).await.is_some(),
            "{v:?}"
        );
    }
    assert_eq!(auth.cached_count(), 1);
    assert_eq!(
        auth.verifications
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    // Bounded: distinct verified credentials never exceed the capacity.
    assert!(auth.cached_count() <= CACHE_CAPACITY);
}

#[test]
fn auth_certificate_principals() {
    let text = format!(
        "svc-orders:cert:read-write\nspiffe://acme/ns/p:cert:admin\nalice:{}:read-only\nalice:cert:admin\n",
        cheap_hash("a")
    );
    let auth = Auth::parse(&text).expect("parse");
    assert_eq!(auth.user_count(), 4);
    assert_eq!(
        auth.by_certificate("svc-orders").map(|p| p.role),
        Some(Role::ReadWrite)
    );
    assert_eq!(
        auth.by_certificate("spiffe://acme/ns/p").map(|p| p.role),
        Some(Role::Admin)
    );
    assert_eq!(
        auth.by_certificate("alice").map(|p| p.role),
        Some(Role::Admin)
    );
    assert_eq!(auth.by_certificate("nobody"), None);
    let bad = |t: &str| Auth::parse(t).err().unwrap_or_default();
    assert!(bad("a:cert:admin\na:cert:read-only").contains("twice"));
    assert!(bad("a:cert:root").contains("unknown role"));
    assert!(bad(&format!("a:b:{}:admin", cheap_hash("a"))).contains("may not contain"));
}

#[tokio::test]
async fn auth_reload_swaps_users_or_keeps_them() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("users");
    std::fs::write(&path, format!("alice:{}:read-only\n", cheap_hash("pw"))).expect("write");
    let auth = Auth::load(&path).expect("load");
    let alice = header("alice", "pw");
    assert_eq!(
        auth.authenticate(Some(alice.as_slice()))
            .await
            .map(|p| p.role),
        Some(Role::ReadOnly)
    );
    std::fs::write(&path, "alice:not-a-hash:admin\n").expect("write");
    assert!(auth.reload().expect_err("refused").contains("line 1"));
    assert_eq!(
        auth.authenticate(Some(alice.as_slice()))
            .await
            .map(|p| p.role),
        Some(Role::ReadOnly)
    );
    std::fs::write(&path, format!("alice:{}:admin\n", cheap_hash("pw"))).expect("write");
    assert_eq!(auth.reload(), Ok(1));
    assert_eq!(auth.cached_count(), 0);
    assert_eq!(
        auth.authenticate(Some(alice.as_slice()))
            .await
            .map(|p| p.role),
        Some(Role::Admin)
    );
}

#[test]
fn auth_hash_password_is_argon2id() {
    let h = hash_password("pw").expect("hash");
    assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
    let parsed = parse_hash(&h).expect("valid");
    assert!(Argon2::default().verify_password(b"pw", &parsed).is_ok());
}

//! HTTP basic authentication and role-based authorisation (`--auth-users-file`).
//!
//! The users file holds one user per line, `NAME:HASH:ROLE`:
//!
//! ```text
//! # comments and blank lines are ignored
//! alice:$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$…:admin
//! ci:$argon2id$v=19$m=19456,t=2,p=1$…:read-write
//! grafana:$argon2id$v=19$m=19456,t=2,p=1$…:read-only
//! ```
//!
//! `HASH` is an Argon2 PHC string (`$argon2id$…`, also `$argon2i$`/`$argon2d$`), as printed
//! by `schema-registry hash-password` (password on stdin). `NAME` may not contain `:` (basic
//! authentication cannot carry one) and is unique; `ROLE` is `read-only`, `read-write` or
//! `admin`. The file is read once at start.
//!
//! The decision is split so that per-subject rules can be added without touching HTTP:
//! [`classify`] turns (method, path) into an [`Access`] (an [`Operation`] and, where the URL
//! names one, the subject), [`decide`] answers Allow/Deny for a [`Principal`] and that access,
//! and [`authorize`] is the two together. [`require`] is the axum middleware: outermost, so
//! a follower refuses an unauthenticated write itself instead of forwarding it; the leader
//! authorises the same caller again from the forwarded `Authorization` header.

use crate::http::error::error_response;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Paths served without credentials (any method the route takes): the root and the
/// Kubernetes probes. Compared after dropping empty segments, as the router does.
pub const OPEN_PATHS: [&str; 3] = ["/", "/health/live", "/health/ready"];
/// The realm announced in `WWW-Authenticate`.
pub const REALM: &str = "schema-registry";
/// How many verified credentials are remembered (Argon2 costs tens of milliseconds).
const CACHE_CAPACITY: usize = 1024;

/// What a user may do: each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads, lookups and compatibility checks.
    ReadOnly,
    /// Also registers and deletes schemas, versions and subjects.
    ReadWrite,
    /// Everything: also config, mode and exporters.
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "read-only" => Some(Role::ReadOnly),
            "read-write" => Some(Role::ReadWrite),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ReadOnly => "read-only",
            Role::ReadWrite => "read-write",
            Role::Admin => "admin",
        }
    }

    /// The most this role may do.
    fn allows(self, op: Operation) -> bool {
        let needed = match op {
            Operation::Read => Role::ReadOnly,
            Operation::Write => Role::ReadWrite,
            Operation::Admin => Role::Admin,
        };
        self >= needed
    }
}

/// An authenticated caller (put into the request's extensions for the handlers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
}

/// The kind of operation a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Reads, and POSTs that only read (lookup, compatibility check).
    Read,
    /// Registering and deleting schemas, versions and subjects.
    Write,
    /// Config, mode, exporters, and anything not known to be a read or a write.
    Admin,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Read => "Read",
            Operation::Write => "Write",
            Operation::Admin => "Admin",
        }
    }
}

/// What a request asks to do, and to which subject when its URL names one (for per-subject
/// rules later; `:.ctx:name` for the `/contexts/{ctx}/…` forms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub operation: Operation,
    pub subject: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Refused, with the message for the 403 answer.
    Deny(String),
}

/// The path's segments as the router sees them (empty segments dropped, as Jersey does),
/// still percent-encoded.
fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// Whether `path` is served without credentials.
pub fn is_open(path: &str) -> bool {
    let segs = segments(path);
    OPEN_PATHS.iter().any(|open| segments(open) == segs)
}

/// What `method path` asks to do. Anything not known to be a read or a write is
/// [`Operation::Admin`], so a route added later is refused to the lesser roles until it is
/// classified here.
pub fn classify(method: &Method, path: &str) -> Access {
    let mut segs = segments(path);
    // `/contexts/{ctx}/…` addresses the same resources inside a context.
    let mut context = None;
    if segs.len() > 2 && segs[0] == "contexts" {
        context = Some(decode(segs[1]));
        segs.drain(..2);
    }
    let subject = match segs.as_slice() {
        ["subjects" | "config" | "mode", s, ..] | ["compatibility", "subjects", s, ..] => {
            let name = decode(s);
            Some(match &context {
                Some(ctx) => {
                    let ctx = ctx.strip_prefix('.').unwrap_or(ctx);
                    format!(":.{ctx}:{name}")
                }
                None => name,
            })
        }
        _ => None,
    };
    let operation = if segs.first() == Some(&"exporters") {
        // Exporter definitions hold the credentials of the destination registry.
        Operation::Admin
    } else if *method == Method::GET || *method == Method::HEAD {
        Operation::Read
    } else if *method == Method::POST {
        match segs.as_slice() {
            // Root POST answers {} (Confluent's no-op); lookup of a schema under a subject;
            // compatibility checks.
            [] | ["subjects", _] => Operation::Read,
            ["compatibility", "subjects", _, "versions"]
            | ["compatibility", "subjects", _, "versions", _] => Operation::Read,
            ["subjects", _, "versions"] => Operation::Write,
            _ => Operation::Admin,
        }
    } else if *method == Method::DELETE {
        match segs.as_slice() {
            ["subjects", _] | ["subjects", _, "versions", _] => Operation::Write,
            _ => Operation::Admin,
        }
    } else {
        Operation::Admin
    };
    Access { operation, subject }
}

fn decode(seg: &str) -> String {
    percent_encoding::percent_decode_str(seg)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether `principal` may do `access`. The place for per-subject rules.
pub fn decide(principal: &Principal, access: &Access) -> Decision {
    if principal.role.allows(access.operation) {
        Decision::Allow
    } else {
        let on = match &access.subject {
            Some(s) => format!(" on subject {s}"),
            None => String::new(),
        };
        Decision::Deny(format!(
            "User {} (role {}) is denied operation {}{on}",
            principal.name,
            principal.role.as_str(),
            access.operation.as_str()
        ))
    }
}

/// [`decide`] for the request `method path`.
pub fn authorize(principal: &Principal, method: &Method, path: &str) -> Decision {
    decide(principal, &classify(method, path))
}

struct User {
    role: Role,
    hash: PasswordHash,
}

/// The users file, loaded, and the cache of verified credentials.
pub struct Auth {
    users: HashMap<String, User>,
    /// A hash verified for unknown users too, so that they take as long as known ones.
    decoy: Option<PasswordHash>,
    /// SHA-256 of an `Authorization` value that verified → who it is.
    cache: Mutex<HashMap<[u8; 32], Principal>>,
    /// Bounds the CPU (and memory) spent on Argon2 at once.
    verifying: Semaphore,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("users", &self.users.len())
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Reads the users file.
    pub fn load(path: &Path) -> Result<Auth, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the users file {}: {e}", path.display()))?;
        Auth::parse(&text).map_err(|e| format!("users file {}: {e}", path.display()))
    }

    /// Parses the users file's text (`NAME:HASH:ROLE` per line).
    pub fn parse(text: &str) -> Result<Auth, String> {
        let mut users = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = n + 1;
            let Some((name, (hash, role))) = line
                .split_once(':')
                .and_then(|(name, rest)| Some((name, rest.rsplit_once(':')?)))
            else {
                return Err(format!("line {at}: expected NAME:HASH:ROLE"));
            };
            let (name, hash, role) = (name.trim(), hash.trim(), role.trim());
            if name.is_empty() {
                return Err(format!("line {at}: empty user name"));
            }
            let role = Role::parse(role).ok_or_else(|| {
                format!(
                    "line {at}: unknown role {role:?} (expected read-only, read-write or admin)"
                )
            })?;
            let hash = parse_hash(hash).map_err(|e| format!("line {at} (user {name}): {e}"))?;
            if users
                .insert(name.to_string(), User { role, hash })
                .is_some()
            {
                return Err(format!("line {at}: user {name} is listed twice"));
            }
        }
        let decoy = users.values().next().map(|u| u.hash.clone());
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Auth {
            users,
            decoy,
            cache: Mutex::new(HashMap::new()),
            verifying: Semaphore::new(parallel),
        })
    }

    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// Who the `Authorization` header value says the caller is, if the password is right.
    pub async fn authenticate(&self, authorization: Option<&HeaderValue>) -> Option<Principal> {
        let value = authorization?.as_bytes();
        let key: [u8; 32] = Sha256::digest(value).into();
        if let Some(p) = self.cached(&key) {
            return Some(p);
        }
        let (name, password) = basic_credentials(value)?;
        let (hash, principal) = match self.users.get(&name) {
            Some(u) => (u.hash.clone(), Some(Principal { name, role: u.role })),
            None => (self.decoy.clone()?, None),
        };
        let _permit = self.verifying.acquire().await.ok()?;
        let ok = tokio::task::spawn_blocking(move || {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .await
        .unwrap_or(false);
        let principal = principal.filter(|_| ok)?;
        self.remember(key, &principal);
        Some(principal)
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Principal> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(key).cloned()
    }

    fn remember(&self, key: [u8; 32], principal: &Principal) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            // Rare (1024 distinct credentials): start afresh rather than track recency.
            cache.clear();
        }
        cache.insert(key, principal.clone());
    }
}

/// A PHC string of one of the Argon2 variants, with valid parameters, a salt and a hash.
fn parse_hash(s: &str) -> Result<PasswordHash, String> {
    let hash = PasswordHash::new(s).map_err(|e| format!("not a PHC hash string ({e})"))?;
    argon2::Algorithm::new(hash.algorithm.as_str()).map_err(|_| {
        format!(
            "unsupported hash algorithm {} (expected argon2id, argon2i or argon2d; make hashes with `schema-registry hash-password`)",
            hash.algorithm
        )
    })?;
    argon2::Params::try_from(&hash).map_err(|e| format!("invalid Argon2 parameters ({e})"))?;
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err("the PHC string has no salt or no hash".into());
    }
    Ok(hash)
}

/// (user, password) of a `Basic` authorization value.
fn basic_credentials(value: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let (scheme, token) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// The middleware: 401 without valid credentials, 403 when the role does not allow the
/// request, else the request goes on with the [`Principal`] in its extensions. Without a
/// users file (`None`) every request goes on.
pub async fn require(
    State(auth): State<Option<Arc<Auth>>>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(auth) = auth.filter(|_| !is_open(req.uri().path())) else {
        return next.run(req).await;
    };
    let Some(principal) = auth
        .authenticate(req.headers().get(header::AUTHORIZATION))
        .await
    else {
        if req.headers().contains_key(header::AUTHORIZATION) {
            tracing::info!(method = %req.method(), path = %req.uri().path(), "authentication failed");
        }
        return unauthorized();
    };
    match authorize(&principal, req.method(), req.uri().path()) {
        Decision::Allow => {
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Decision::Deny(message) => {
            tracing::info!(user = %principal.name, method = %req.method(), path = %req.uri().path(), "forbidden");
            error_response(403, 403, &message)
        }
    }
}

/// 401 in Confluent's shape, with the challenge.
pub fn unauthorized() -> Response {
    let mut resp = error_response(401, 401, "Unauthorized");
    if let Ok(v) = HeaderValue::from_str(&format!("Basic realm=\"{REALM}\"")) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// An Argon2id PHC string for `password` (default parameters: 19 MiB, 2 passes), with a
/// random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// `schema-registry hash-password`: reads the password from stdin (one line; the line end
/// is not part of it) and prints its PHC string for the users file.
pub fn run_hash_password() -> std::process::ExitCode {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password (echoed; pipe it in to keep it off the screen): ");
    }
    let mut line = String::new();
    if let Err(e) = stdin.lock().read_line(&mut line) {
        eprintln!("error: cannot read the password from stdin: {e}");
        return std::process::ExitCode::from(2);
    }
    let password = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(&line);
    if password.is_empty() {
        eprintln!("error: empty password (give it on stdin, e.g. `printf %s \"$PW\" | schema-registry hash-password`)");
        return std::process::ExitCode::from(2);
    }
    match hash_password(password) {
        Ok(h) => {
            println!("{h}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
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

    fn header(user: &str, pass: &str) -> HeaderValue {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        HeaderValue::from_str(&format!("Basic {token}")).expect("header")
    }

    #[test]
    fn auth_classifies_routes() {
        let c = |m: Method, p: &str| classify(&m, p).operation;
        use Operation::*;
        assert_eq!(c(Method::GET, "/subjects"), Read);
        assert_eq!(c(Method::HEAD, "/schemas/ids/1"), Read);
        assert_eq!(c(Method::GET, "/config"), Read);
        assert_eq!(c(Method::POST, "/subjects/a"), Read);
        assert_eq!(c(Method::POST, "//subjects//a/"), Read);
        assert_eq!(
            c(Method::POST, "/compatibility/subjects/a/versions/latest"),
            Read
        );
        assert_eq!(c(Method::POST, "/compatibility/subjects/a/versions"), Read);
        assert_eq!(c(Method::POST, "/"), Read);
        assert_eq!(c(Method::POST, "/subjects/a/versions"), Write);
        assert_eq!(c(Method::POST, "/contexts/.c/subjects/a/versions"), Write);
        assert_eq!(c(Method::POST, "/contexts/.c/subjects/a"), Read);
        assert_eq!(c(Method::DELETE, "/subjects/a"), Write);
        assert_eq!(c(Method::DELETE, "/subjects/a/versions/3"), Write);
        assert_eq!(c(Method::PUT, "/config"), Admin);
        assert_eq!(c(Method::PUT, "/config/a"), Admin);
        assert_eq!(c(Method::DELETE, "/config/a"), Admin);
        assert_eq!(c(Method::PUT, "/mode/a"), Admin);
        assert_eq!(c(Method::PUT, "/contexts/.c/mode"), Admin);
        assert_eq!(c(Method::POST, "/exporters"), Admin);
        assert_eq!(c(Method::GET, "/exporters/x/config"), Admin);
        assert_eq!(c(Method::POST, "/subjects/a/versions/1/tags"), Admin);
        assert_eq!(c(Method::PATCH, "/subjects/a"), Admin);
        assert_eq!(c(Method::POST, "/something/new"), Admin);
    }

    #[test]
    fn auth_names_the_subject() {
        let s = |p: &str| classify(&Method::POST, p).subject;
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
        let post = |r: Role, p: &str| authorize(&who(r), &Method::POST, p) == Decision::Allow;
        let put = |r: Role, p: &str| authorize(&who(r), &Method::PUT, p) == Decision::Allow;
        assert!(post(Role::ReadOnly, "/subjects/a"));
        assert!(!post(Role::ReadOnly, "/subjects/a/versions"));
        assert!(post(Role::ReadWrite, "/subjects/a/versions"));
        assert!(!put(Role::ReadWrite, "/config"));
        assert!(put(Role::Admin, "/config"));
        assert!(put(Role::Admin, "/mode/a"));
        match authorize(&who(Role::ReadOnly), &Method::POST, "/subjects/a/versions") {
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
        assert_eq!(auth.users["bob"].role, Role::ReadOnly);
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
        let p = auth.authenticate(Some(&ok)).await.expect("authenticated");
        assert_eq!(p.role, Role::ReadWrite);
        assert_eq!(auth.cache.lock().expect("lock").len(), 1);
        assert!(auth.authenticate(Some(&ok)).await.is_some());
        assert!(auth
            .authenticate(Some(&header("alice", "wrong")))
            .await
            .is_none());
        assert!(auth
            .authenticate(Some(&header("mallory", "s3cret:x")))
            .await
            .is_none());
        assert!(auth.authenticate(None).await.is_none());
        let bearer = HeaderValue::from_static("Bearer abc");
        assert!(auth.authenticate(Some(&bearer)).await.is_none());
        assert_eq!(auth.cache.lock().expect("lock").len(), 1);
    }

    #[test]
    fn auth_hash_password_is_argon2id() {
        let h = hash_password("pw").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        let parsed = parse_hash(&h).expect("valid");
        assert!(Argon2::default().verify_password(b"pw", &parsed).is_ok());
    }
}

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
//! `admin`.
//!
//! A line whose `HASH` is the word `cert` names a client-certificate principal instead
//! (`--tls-client-ca`): `NAME` is the certificate's subject CN (or, without a CN, its first
//! DNS, e-mail or URI subject alternative name; it may contain `:`), it has no password
//! and cannot log in with basic auth:
//!
//! ```text
//! orders-service:cert:read-write
//! spiffe://acme/ns/prod/sa/ci:cert:admin
//! ```
//!
//! The file is read at start and again on SIGHUP ([`Auth::reload`]): a file that does not
//! parse is refused and the users in force are kept.
//!
//! The decision is split so that per-subject rules can be added without touching HTTP:
//! [`classify`] turns (method, path) into an [`Access`] (an [`Operation`] and, where the URL
//! names one, the subject), [`decide`] answers Allow/Deny for a [`Principal`] and that access,
//! and [`authorize`] is the two together; all three take the method and path as strings.
//! `http::auth::require` is the HTTP middleware: outermost, so a follower refuses an unauthenticated write itself instead of forwarding it; the leader
//! authorises the same caller again from the forwarded `Authorization` header.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::Semaphore;

/// Paths served without credentials (any method the route takes): the root and the
/// Kubernetes probes. Compared after dropping empty segments, as the router does.
pub const OPEN_PATHS: [&str; 3] = ["/", "/health/live", "/health/ready"];
/// The realm announced in `WWW-Authenticate`.
pub const REALM: &str = "schema-registry";
/// How many verified credentials are remembered (Argon2 costs tens of milliseconds).
pub const CACHE_CAPACITY: usize = 1024;
/// The `HASH` field of a client-certificate principal's line.
pub const CERT_MARK: &str = "cert";

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
pub fn classify(method: &str, path: &str) -> Access {
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
        // A DEK belongs to a subject: the same grants as the subject's schemas.
        ["dek-registry", "v1", "keks", _, "deks", s, ..] => Some(decode(s)),
        _ => None,
    };
    let operation = if segs.first() == Some(&"dek-registry") {
        dek_operation(method, &segs)
    } else if segs.first() == Some(&"exporters") {
        // Exporter definitions hold the credentials of the destination registry.
        Operation::Admin
    } else if method == "GET" || method == "HEAD" {
        Operation::Read
    } else if method == "POST" {
        match segs.as_slice() {
            // Root POST answers {} (Confluent's no-op); lookup of a schema under a subject;
            // compatibility checks.
            [] | ["subjects", _] => Operation::Read,
            ["compatibility", "subjects", _, "versions"]
            | ["compatibility", "subjects", _, "versions", _] => Operation::Read,
            ["subjects", _, "versions"] | ["subjects", _, "versions", _, "tags"] => {
                Operation::Write
            }
            // Associations (8.2): a batch get only reads; creating one may register schemas.
            ["associations:batchGet"] => Operation::Read,
            ["associations"] | ["associations:batchMutate"] => Operation::Write,
            _ => Operation::Admin,
        }
    } else if method == "DELETE" {
        match segs.as_slice() {
            ["subjects", _] | ["subjects", _, "versions", _] => Operation::Write,
            ["associations", "resources", _] => Operation::Write,
            _ => Operation::Admin,
        }
    } else if method == "PUT" && matches!(segs.as_slice(), ["associations", "resources", _]) {
        Operation::Write
    } else {
        Operation::Admin
    };
    Access { operation, subject }
}

/// The DEK registry's operations: reads are reads; creating a KEK or a DEK is a write, as
/// the serializers of a producer create them on first use (like registering a schema);
/// updates, deletes, undeletes and the KMS test are admin operations.
fn dek_operation(method: &str, segs: &[&str]) -> Operation {
    match (method, segs) {
        ("GET" | "HEAD", _) => Operation::Read,
        ("POST", ["dek-registry", "v1", "keks"])
        | ("POST", ["dek-registry", "v1", "keks", _, "deks"])
        | ("POST", ["dek-registry", "v1", "keks", _, "deks", _]) => Operation::Write,
        _ => Operation::Admin,
    }
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
pub fn authorize(principal: &Principal, method: &str, path: &str) -> Decision {
    decide(principal, &classify(method, path))
}

struct User {
    role: Role,
    hash: PasswordHash,
}

/// One parse of the users file.
struct Users {
    /// Basic-auth users.
    passwords: HashMap<String, User>,
    /// Client-certificate principals (`NAME:cert:ROLE`).
    certs: HashMap<String, Role>,
    /// A hash verified for unknown users too, so that they take as long as known ones.
    decoy: Option<PasswordHash>,
}

/// Verified credentials, keyed by the SHA-256 of the normalized (user, password), so that
/// spellings of one `Authorization` value (scheme case, spaces) share one entry.
#[derive(Default)]
struct Cache {
    entries: HashMap<[u8; 32], Principal>,
    /// Bumped by every reload: a verification that began before it is not remembered.
    generation: u64,
}

/// The users file, loaded, and the cache of verified credentials.
pub struct Auth {
    /// Where the users came from (read again by [`Auth::reload`]).
    path: Option<std::path::PathBuf>,
    users: RwLock<Arc<Users>>,
    cache: Mutex<Cache>,
    /// Bounds the CPU (and memory) spent on Argon2 at once.
    verifying: Semaphore,
    /// Argon2 verifications done (for tests of the cache).
    verifications: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("users", &self.user_count())
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Reads the users file.
    pub fn load(path: &Path) -> Result<Auth, String> {
        let users = read_users(path)?;
        Ok(Auth::with(users, Some(path.to_path_buf())))
    }

    /// Parses the users file's text (`NAME:HASH:ROLE` per line).
    pub fn parse(text: &str) -> Result<Auth, String> {
        Ok(Auth::with(parse_users(text)?, None))
    }

    fn with(users: Users, path: Option<std::path::PathBuf>) -> Auth {
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        Auth {
            path,
            users: RwLock::new(Arc::new(users)),
            cache: Mutex::new(Cache::default()),
            verifying: Semaphore::new(parallel),
            verifications: Default::default(),
        }
    }

    /// Reads the users file again. On success the new users replace the old ones and the
    /// cache is emptied (a removed user or a changed role takes effect at once); on error
    /// nothing changes. Answers how many users and principals are now in force.
    pub fn reload(&self) -> Result<usize, String> {
        let Some(path) = &self.path else {
            return Err("the users were not read from a file".into());
        };
        let users = read_users(path)?;
        let count = users.passwords.len() + users.certs.len();
        let mut cache = self.lock_cache();
        *self.users.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(users);
        cache.entries.clear();
        cache.generation += 1;
        Ok(count)
    }

    fn current(&self) -> Arc<Users> {
        self.users.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Users and certificate principals.
    pub fn user_count(&self) -> usize {
        let u = self.current();
        u.passwords.len() + u.certs.len()
    }

    /// Entries in the cache of verified credentials.
    pub fn cached_count(&self) -> usize {
        self.lock_cache().entries.len()
    }

    /// The principal a verified client certificate names, if the users file lists it.
    pub fn by_certificate(&self, name: &str) -> Option<Principal> {
        let role = *self.current().certs.get(name)?;
        Some(Principal {
            name: name.to_string(),
            role,
        })
    }

    /// Who the `Authorization` header value (its bytes) says the caller is, if the password
    /// is right.
    pub async fn authenticate(&self, authorization: Option<&[u8]>) -> Option<Principal> {
        let (name, password) = basic_credentials(authorization?)?;
        let key = cache_key(&name, &password);
        let generation = {
            let cache = self.lock_cache();
            if let Some(p) = cache.entries.get(&key) {
                return Some(p.clone());
            }
            cache.generation
        };
        let users = self.current();
        let (hash, principal) = match users.passwords.get(&name) {
            Some(u) => (u.hash.clone(), Some(Principal { name, role: u.role })),
            None => (users.decoy.clone()?, None),
        };
        let _permit = self.verifying.acquire().await.ok()?;
        self.verifications
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ok = tokio::task::spawn_blocking(move || {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .await
        .unwrap_or(false);
        let principal = principal.filter(|_| ok)?;
        self.remember(key, generation, &principal);
        Some(principal)
    }

    fn remember(&self, key: [u8; 32], generation: u64, principal: &Principal) {
        let mut cache = self.lock_cache();
        if cache.generation != generation {
            return;
        }
        if cache.entries.len() >= CACHE_CAPACITY {
            // Rare (1024 distinct credentials): start afresh rather than track recency.
            cache.entries.clear();
        }
        cache.entries.insert(key, principal.clone());
    }
}

/// The cache key of a (user, password): length-prefixed so that no two pairs collide.
fn cache_key(user: &str, password: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((user.len() as u64).to_be_bytes());
    h.update(user.as_bytes());
    h.update(password.as_bytes());
    h.finalize().into()
}

fn read_users(path: &Path) -> Result<Users, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the users file {}: {e}", path.display()))?;
    parse_users(&text).map_err(|e| format!("users file {}: {e}", path.display()))
}

fn parse_users(text: &str) -> Result<Users, String> {
    let mut passwords = HashMap::new();
    let mut certs = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = n + 1;
        // From the right: ROLE, then HASH (PHC strings have no `:`), then NAME (a
        // certificate principal such as a URI may hold `:`).
        let mut fields = line.rsplitn(3, ':');
        let (Some(role), Some(hash), Some(name)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!(
                "line {at}: expected NAME:HASH:ROLE or NAME:cert:ROLE"
            ));
        };
        let (name, hash, role) = (name.trim(), hash.trim(), role.trim());
        if name.is_empty() {
            return Err(format!("line {at}: empty user name"));
        }
        let role = Role::parse(role).ok_or_else(|| {
            format!("line {at}: unknown role {role:?} (expected read-only, read-write or admin)")
        })?;
        if hash == CERT_MARK {
            if certs.insert(name.to_string(), role).is_some() {
                return Err(format!(
                    "line {at}: certificate principal {name} is listed twice"
                ));
            }
            continue;
        }
        if name.contains(':') {
            return Err(format!(
                "line {at}: a user name with a password may not contain ':' (basic authentication cannot carry it)"
            ));
        }
        let hash = parse_hash(hash).map_err(|e| format!("line {at} (user {name}): {e}"))?;
        if passwords
            .insert(name.to_string(), User { role, hash })
            .is_some()
        {
            return Err(format!("line {at}: user {name} is listed twice"));
        }
    }
    let decoy = passwords.values().next().map(|u| u.hash.clone());
    Ok(Users {
        passwords,
        certs,
        decoy,
    })
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

/// (user, password) of a `Basic` authorization value: the scheme in any case, spaces or
/// tabs around and between scheme and token, the token decoded.
fn basic_credentials(value: &[u8]) -> Option<(String, String)> {
    const BLANK: [char; 2] = [' ', '\t'];
    let text = std::str::from_utf8(value).ok()?.trim_matches(BLANK);
    let (scheme, token) = text.split_once(BLANK)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim_matches(BLANK))
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
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
mod tests;

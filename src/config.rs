//! Command line and environment configuration (one clap struct; every flag has an `SR_`
//! environment twin).

use crate::model::Level;
use clap::{Parser, Subcommand};

/// The store when none is given: the embedded log under ./data (created if missing).
pub const DEFAULT_STORE: &str = "sqlite://./data/registry.db";

#[derive(Debug, Parser)]
#[command(
    name = "schema-registry",
    version,
    about = "A Confluent-compatible Schema Registry (REST API v1; Avro, JSON Schema, Protobuf).",
    long_about = "A Confluent-compatible Schema Registry (REST API v1; Avro, JSON Schema, Protobuf).\n\n\
        With no arguments it serves on 0.0.0.0:8081 with the embedded store in ./data."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub serve: ServeArgs,
}

// Parsed once at start: the size of the `serve` settings does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the REST API (the default when no subcommand is given).
    Serve(Box<ServeArgs>),
    /// Check a new schema's compatibility, offline or against a registry (for CI).
    Check(crate::check::CheckArgs),
    /// Show two versions of a schema side by side, with the verdict at each level.
    Diff(crate::check::DiffArgs),
    /// Dump a registry's whole state as JSON Lines on stdout (for `import`).
    Export(crate::migrate::ExportArgs),
    /// Load a dump made by `export` into a registry, in IMPORT mode, keeping IDs.
    Import(crate::migrate::ImportArgs),
    /// Hash a password read from stdin for --auth-users-file (prints an Argon2id PHC string).
    HashPassword,
    /// The registry client: subjects, versions, get, register, delete, config, mode,
    /// completions.
    #[command(flatten)]
    Client(crate::cli::ClientCommand),
}

#[derive(Debug, Clone, clap::Args, serde::Serialize)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT. Port 0 picks a free port (printed at start).
    #[arg(long, env = "SR_LISTEN", default_value = "0.0.0.0:8081")]
    pub listen: String,

    /// Where the state lives: sqlite://PATH (embedded, the default) or
    /// kafka://HOST:PORT[,HOST:PORT...]/TOPIC (Confluent's _schemas topic).
    #[arg(long, env = "SR_STORE", default_value = DEFAULT_STORE)]
    pub store: String,

    /// Compatibility level used when no config is set (Confluent's
    /// schema.compatibility.level): NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD,
    /// FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE.
    #[arg(long, env = "SR_COMPATIBILITY_LEVEL", default_value = "BACKWARD", value_parser = parse_level)]
    #[serde(serialize_with = "shown_level")]
    pub compatibility_level: Level,

    /// Kafka store: a librdkafka property passed through, KEY=VALUE (repeatable), e.g.
    /// security.protocol=SASL_SSL, sasl.mechanism=PLAIN, ssl.ca.location=/etc/ca.pem.
    #[arg(long = "kafka-property", value_name = "KEY=VALUE", value_parser = parse_property)]
    #[serde(serialize_with = "shown_properties")]
    pub kafka_properties: Vec<(String, String)>,

    /// Kafka store: replication factor of the topic when the registry creates it (capped at
    /// the number of brokers). Confluent's kafkastore.topic.replication.factor.
    #[arg(long, env = "SR_KAFKA_REPLICATION_FACTOR", default_value_t = 3)]
    pub kafka_replication_factor: i32,

    /// Kafka store: the local cache file (SQLite) that makes restarts read only new records;
    /// `auto` or a directory: a file named after the cluster and topic in ./data or that
    /// directory; `none` disables it. A cache another process holds is skipped (with a
    /// warning).
    #[arg(long, env = "SR_KAFKA_CACHE", default_value = "auto")]
    pub kafka_cache: String,

    /// Kafka store: how long a write waits for the cluster's acknowledgement before it fails
    /// with 50002, in milliseconds.
    #[arg(long, env = "SR_KAFKA_WRITE_TIMEOUT_MS", default_value_t = 10_000)]
    pub kafka_write_timeout_ms: u64,

    /// The URL other nodes reach this one at (where followers forward writes when this node
    /// leads). Default: http://ADDRESS:PORT of the listener (the host name when listening on
    /// all interfaces). Confluent's host.name/listeners.
    #[arg(long, env = "SR_ADVERTISED_URL")]
    pub advertised_url: Option<String>,

    /// Whether this node may become the leader of a shared (Kafka) log. Confluent's
    /// leader.eligibility.
    #[arg(long, env = "SR_LEADER_ELIGIBILITY", default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_eligibility: bool,

    /// Leader lease on a shared log, in milliseconds: the leader renews it every third of
    /// this; an eligible node takes over a lease not renewed for this long (sooner when a
    /// renewal is late and the leader's URL refuses connections).
    #[arg(long, env = "SR_LEADER_LEASE_MS", default_value_t = 3_000)]
    pub leader_lease_ms: u64,

    /// Serve the log without ever writing to it: every write is refused with 42205, and on
    /// Kafka nothing is produced to the topic (no end-of-log marker, no leadership record)
    /// and the topic is never created. For a registry following a mirrored `_schemas` topic
    /// (e.g. MirrorMaker 2's `src._schemas`) on a downstream cluster.
    #[arg(long, env = "SR_READ_ONLY", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub read_only: bool,

    /// Fetch-through: the upstream registry (e.g. the source cluster's, whose topics
    /// MirrorMaker 2 copies here). An ID or GUID this registry does not have is fetched
    /// from it, written to the log under the same ID in the context --upstream-context,
    /// then answered. Not with --read-only. Credentials may be in the URL's user info.
    #[arg(long, env = "SR_UPSTREAM_URL", value_name = "URL")]
    #[serde(serialize_with = "shown_url")]
    pub upstream_url: Option<String>,

    /// Basic-auth USER:PASSWORD for the upstream registry.
    #[arg(
        long,
        env = "SR_UPSTREAM_USER_INFO",
        value_name = "USER:PASSWORD",
        hide_env_values = true
    )]
    #[serde(serialize_with = "shown_secret")]
    pub upstream_user_info: Option<String>,

    /// A PEM bundle of CA certificates to trust for the upstream registry (besides the
    /// system's).
    #[arg(long, env = "SR_UPSTREAM_CA", value_name = "PATH")]
    pub upstream_ca: Option<std::path::PathBuf>,

    /// A PEM client certificate for mutual TLS with the upstream registry (with
    /// --upstream-key).
    #[arg(
        long,
        env = "SR_UPSTREAM_CERT",
        value_name = "PATH",
        requires = "upstream_key"
    )]
    pub upstream_cert: Option<std::path::PathBuf>,

    /// The PEM private key of --upstream-cert.
    #[arg(
        long,
        env = "SR_UPSTREAM_KEY",
        value_name = "PATH",
        requires = "upstream_cert"
    )]
    pub upstream_key: Option<std::path::PathBuf>,

    /// Longest time one fetch may spend on the upstream (its calls, the wait for the rate
    /// limit), in milliseconds; then 504.
    #[arg(long, env = "SR_UPSTREAM_TIMEOUT_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub upstream_timeout_ms: u64,

    /// How long an ID or subject the upstream does not have is answered "not found"
    /// without asking it again, in milliseconds (0: always ask).
    #[arg(long, env = "SR_UPSTREAM_NEGATIVE_TTL_MS", default_value_t = 5_000)]
    pub upstream_negative_ttl_ms: u64,

    /// Fetches per second the upstream may get from this registry (bursts of twice as
    /// many); a fetch that cannot get a turn within --upstream-timeout-ms gets 503.
    #[arg(long, env = "SR_UPSTREAM_RATE", default_value_t = 50.0)]
    pub upstream_rate: f64,

    /// How long `GET /subjects/{s}/versions/latest` of a fetched subject is answered
    /// locally before the upstream is asked for its latest version again, in milliseconds.
    #[arg(long, env = "SR_UPSTREAM_LATEST_TTL_MS", default_value_t = 5_000)]
    pub upstream_latest_ttl_ms: u64,

    /// The context fetched schemas are written to (their own ID space: they never collide
    /// with IDs this registry assigns).
    #[arg(
        long,
        env = "SR_UPSTREAM_CONTEXT",
        default_value = ".upstream",
        value_name = "CONTEXT"
    )]
    pub upstream_context: String,

    /// MirrorMaker 2's remote-topic prefix (`src.` for DefaultReplicationPolicy with source
    /// alias `src`): subject `src.orders-value` stands for the upstream's `orders-value`.
    /// Without it, subject names are the upstream's as they are (IdentityReplicationPolicy).
    #[arg(long, env = "SR_MIRROR_TOPIC_PREFIX", value_name = "PREFIX")]
    pub mirror_topic_prefix: Option<String>,

    /// The smallest ID this registry gives its own new schemas (e.g. 100000000), so that
    /// they can never have the number of an upstream schema a consumer asks for without a
    /// subject. Unset: the next after the highest.
    #[arg(long, env = "SR_LOCAL_ID_FLOOR", value_name = "ID", value_parser = clap::value_parser!(i32).range(1..))]
    pub local_id_floor: Option<i32>,

    /// The DEK registry (`/dek-registry/v1/...`, client-side field encryption): its keys
    /// are kept in a log of their own, the Kafka topic --dek-registry-topic beside the
    /// store's (created compacted, as Confluent creates it), or embedded, a second SQLite
    /// file beside the store's (`NAME-dek.db`). `false`: the API answers 404.
    #[arg(long, env = "SR_DEK_REGISTRY", default_value_t = true, action = clap::ArgAction::Set)]
    pub dek_registry: bool,

    /// The DEK registry's topic on a Kafka store (Confluent's dek.registry.topic).
    #[arg(
        long,
        env = "SR_DEK_REGISTRY_TOPIC",
        default_value = "_dek_registry_keys"
    )]
    pub dek_registry_topic: String,

    /// The DEK registry's own KMS client for shared KEKs of kmsType `local-kms`: the
    /// secret its AES-128-GCM key is derived from (HKDF-SHA256, as the clients' local KMS
    /// driver; a KEK's own `kmsProps.secret` wins). Unset: the registry calls no KMS, and
    /// what a shared KEK needs answers 50070. Other KMS types are not supported on the
    /// server (the clients use them with KEKs that are not shared).
    #[arg(
        long,
        env = "SR_DEK_LOCAL_KMS_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    #[serde(serialize_with = "shown_secret")]
    pub dek_local_kms_secret: Option<String>,

    /// The most KEKs, and the most DEKs, the DEK registry holds (Confluent's
    /// dek.registry.max.keys); past it a create answers 40972.
    #[arg(long, env = "SR_DEK_REGISTRY_MAX_KEYS", default_value_t = crate::keys::DEFAULT_MAX_KEYS)]
    pub dek_registry_max_keys: usize,

    /// A Confluent-style properties file (listeners, host.name, kafkastore.*,
    /// schema.compatibility.level, mode.mutability, leader.eligibility,
    /// schema.registry.group.id). Flags and SR_ variables override it.
    #[arg(long, env = "SR_CONFIG", value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,

    /// Kafka store: how long the start may take to reach the cluster and catch up with the
    /// log before it fails, in milliseconds (Confluent's kafkastore.init.timeout.ms).
    #[arg(long, env = "SR_KAFKA_INIT_TIMEOUT_MS", default_value_t = 60_000)]
    pub kafka_init_timeout_ms: u64,

    /// Whether the mode (READWRITE, READONLY, IMPORT) may be changed through the API
    /// (Confluent's mode.mutability).
    #[arg(long, env = "SR_MODE_MUTABILITY", default_value_t = true, action = clap::ArgAction::Set)]
    pub mode_mutability: bool,

    /// Refuse registrations under an empty subject name (`:.ctx:`), answering 42208
    /// (Confluent 8.3's schema.reject.empty.subject).
    #[arg(long, env = "SR_SCHEMA_REJECT_EMPTY_SUBJECT", default_value_t = false, action = clap::ArgAction::Set)]
    pub schema_reject_empty_subject: bool,

    /// Strict parsing of new schemas (Avro field defaults and names) when registering without
    /// an ID and in compatibility checks (Confluent 8's schema.validate.new.schemas, whose
    /// default there is true). Unset: 7.9's rule, defaults validated only when normalizing.
    /// A `validateNewSchemas` config wins over it.
    #[arg(long, env = "SR_SCHEMA_VALIDATE_NEW_SCHEMAS", action = clap::ArgAction::Set)]
    pub schema_validate_new_schemas: Option<bool>,

    /// The registry cluster's name, reported by /v1/metadata/id (Confluent's
    /// schema.registry.group.id).
    #[arg(long, env = "SR_GROUP_ID", default_value = "schema-registry")]
    pub group_id: String,

    /// Log format: text (human-readable) or json (one JSON object per line).
    #[arg(long, env = "SR_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,

    /// On SIGTERM/SIGINT: how long in-flight requests may take to finish before the
    /// process exits anyway, in milliseconds.
    #[arg(long, env = "SR_SHUTDOWN_TIMEOUT_MS", default_value_t = 10_000)]
    pub shutdown_timeout_ms: u64,

    /// Log filter (tracing EnvFilter syntax), e.g. info or schema_registry=debug.
    #[arg(long, env = "SR_LOG", default_value = "info")]
    pub log: String,

    /// Require HTTP basic authentication: the users, their password hashes and roles, one
    /// `NAME:HASH:ROLE` per line (roles read-only, read-write, admin; hashes from
    /// `schema-registry hash-password`). /, /health/live and /health/ready stay open.
    #[arg(long, env = "SR_AUTH_USERS_FILE", value_name = "PATH")]
    pub auth_users_file: Option<std::path::PathBuf>,

    /// Serve HTTPS with this certificate chain (PEM, the server's certificate first); needs
    /// --tls-key.
    #[arg(long, env = "SR_TLS_CERT", value_name = "PATH")]
    pub tls_cert: Option<std::path::PathBuf>,

    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "SR_TLS_KEY", value_name = "PATH")]
    pub tls_key: Option<std::path::PathBuf>,

    /// Extra CA certificates (PEM bundle) trusted, besides the system's roots, when
    /// forwarding writes to the leader over HTTPS (a cluster's own CA, or its self-signed
    /// certificate).
    #[arg(long, env = "SR_TLS_CA", value_name = "PATH")]
    pub tls_ca: Option<std::path::PathBuf>,

    /// Client certificates (mutual TLS) are checked against this CA bundle (PEM). A
    /// verified certificate's subject CN (or first SAN) is looked up in the users file as a
    /// `NAME:cert:ROLE` line. Confluent's ssl.truststore.location (PEM only).
    #[arg(long, env = "SR_TLS_CLIENT_CA", value_name = "PATH")]
    pub tls_client_ca: Option<std::path::PathBuf>,

    /// Whether clients must present a certificate: NONE, REQUESTED (basic auth still works
    /// without one) or REQUIRED (the handshake fails without one). Default: REQUIRED with
    /// --tls-client-ca, else NONE. Confluent's ssl.client.authentication.
    #[arg(long, env = "SR_TLS_CLIENT_AUTH", value_name = "MODE", value_parser = parse_client_auth)]
    #[serde(serialize_with = "shown_client_auth")]
    pub tls_client_auth: Option<crate::mtls::ClientAuth>,

    /// Encrypts the credentials of exporter destination configs (basic.auth.user.info and
    /// other secret keys) in the log with a key derived from this secret (AES-256-GCM).
    /// Without it they are stored in clear. Confluent's password.encoder.secret.
    #[arg(
        long,
        env = "SR_PASSWORD_ENCODER_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    #[serde(serialize_with = "shown_secret")]
    pub password_encoder_secret: Option<String>,

    /// The previous --password-encoder-secret, to read values encrypted with it while
    /// rotating. Confluent's password.encoder.old.secret.
    #[arg(
        long,
        env = "SR_PASSWORD_ENCODER_OLD_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    #[serde(serialize_with = "shown_secret")]
    pub password_encoder_old_secret: Option<String>,
    /// Close a connection on which nothing has moved for this long while no request is being
    /// handled, in milliseconds (Confluent's idle.timeout.ms).
    #[arg(long, env = "SR_IDLE_TIMEOUT_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_ms: u64,

    /// Open connections at most; further clients wait until one closes (Confluent's
    /// server.connection.limit). 0: the file-descriptor limit less 128.
    #[arg(long, env = "SR_SERVER_CONNECTION_LIMIT", default_value_t = 0)]
    pub server_connection_limit: usize,

    /// The largest request head (request line and headers), in bytes: beyond it 414 or 431
    /// (Confluent's max.request.header.size; at least 8192 is enforced).
    #[arg(long, env = "SR_MAX_REQUEST_HEADER_SIZE", default_value_t = 8192)]
    pub max_request_header_size: usize,

    /// How long a client may take to send a request head, from when the server starts
    /// waiting for it (also the longest wait for the next request on a kept-alive
    /// connection), in milliseconds.
    #[arg(long, env = "SR_REQUEST_HEADER_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_header_timeout_ms: u64,

    /// How long a client may take to send a request body, in milliseconds (then 408).
    #[arg(long, env = "SR_REQUEST_BODY_TIMEOUT_MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_body_timeout_ms: u64,

    /// How long a client may take to complete its TLS handshake, in milliseconds.
    #[arg(long, env = "SR_TLS_HANDSHAKE_TIMEOUT_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub tls_handshake_timeout_ms: u64,
}

impl ServeArgs {
    /// The settings as a JSON object, for the JSON log's start-up line: secrets (the password
    /// encoder's, secret Kafka properties) redacted, Kafka properties as an object.
    pub fn effective(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The settings for the start-up log line, with secret Kafka properties redacted.
    pub fn redacted(&self) -> String {
        let mut shown = self.clone();
        for secret in [
            &mut shown.password_encoder_secret,
            &mut shown.password_encoder_old_secret,
            &mut shown.dek_local_kms_secret,
            &mut shown.upstream_user_info,
        ] {
            if secret.is_some() {
                *secret = Some("[redacted]".into());
            }
        }
        shown.upstream_url = shown.upstream_url.as_deref().map(without_user_info);
        for (k, v) in &mut shown.kafka_properties {
            if crate::properties::is_secret(k) {
                *v = "[redacted]".into();
            }
        }
        format!("{shown:?}")
    }
}

pub(crate) fn parse_level(s: &str) -> Result<Level, String> {
    Level::parse(s).ok_or_else(|| {
        format!("invalid compatibility level {s:?}: expected NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE")
    })
}

fn parse_client_auth(s: &str) -> Result<crate::mtls::ClientAuth, String> {
    crate::mtls::ClientAuth::parse(s).ok_or_else(|| {
        format!("invalid client authentication {s:?}: expected NONE, REQUESTED or REQUIRED")
    })
}

fn parse_property(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

fn shown_level<S: serde::Serializer>(level: &Level, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(level.as_str())
}

fn shown_client_auth<S: serde::Serializer>(
    auth: &Option<crate::mtls::ClientAuth>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match auth {
        Some(a) => s.serialize_str(&format!("{a:?}").to_ascii_uppercase()),
        None => s.serialize_none(),
    }
}

fn shown_secret<S: serde::Serializer>(secret: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(_) => s.serialize_str("[redacted]"),
        None => s.serialize_none(),
    }
}

/// A URL with its user info (credentials) replaced by `[redacted]`.
fn without_user_info(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) if !scheme.is_empty() => format!("{scheme}://[redacted]@{}", &rest[at + 1..]),
        _ => url.to_string(),
    }
}

fn shown_url<S: serde::Serializer>(url: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match url {
        Some(u) => s.serialize_str(&without_user_info(u)),
        None => s.serialize_none(),
    }
}

fn shown_properties<S: serde::Serializer>(
    properties: &[(String, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(properties.len()))?;
    for (k, v) in properties {
        let v = if crate::properties::is_secret(k) {
            "[redacted]"
        } else {
            v.as_str()
        };
        map.serialize_entry(k, v)?;
    }
    map.end()
}

#[cfg(test)]
mod tests {
    #[test]
    fn credentials_in_urls_are_not_shown() {
        use super::without_user_info as w;
        assert_eq!(w("https://u:p@sr:8081/x"), "https://[redacted]@sr:8081/x");
        assert_eq!(w("http://sr:8081/a@b"), "http://sr:8081/a@b");
        assert_eq!(w("http://sr:8081"), "http://sr:8081");
    }
}

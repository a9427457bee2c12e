//! `--config registry.properties`: Confluent's properties file, mapped onto our settings.
//!
//! Layers, strongest first: command-line flags, `SR_…` environment variables, the
//! properties file, built-in defaults. The file's values are handed to the command-line
//! parser as `SR_…` variables that are not already set, so clap applies the precedence
//! and every setting has one parser. Values are checked here first, so an invalid one
//! fails the start with a message naming the file's key. Unknown keys are warned about.
//! `kafkastore.*` Kafka client settings become librdkafka properties (prefix removed).

use std::collections::BTreeMap;
use std::path::Path;

/// What a properties file says, ready to apply.
#[derive(Debug, Default, PartialEq)]
pub struct Loaded {
    /// `SR_…` variables to set where the environment does not already.
    pub env: Vec<(String, String)>,
    /// librdkafka properties (from `kafkastore.*` client settings), before the command
    /// line's `--kafka-property` ones, which win.
    pub kafka_properties: Vec<(String, String)>,
    /// One line per ignored key.
    pub warnings: Vec<String>,
}

/// Keys of Confluent's registry that have no meaning here; accepted with a note.
const IGNORED: [(&str, &str); 8] = [
    (
        "kafkastore.connection.url",
        "ZooKeeper is not used; set kafkastore.bootstrap.servers",
    ),
    (
        "kafkastore.group.id",
        "the store reads its partition without a consumer group",
    ),
    (
        "kafkastore.checkpoint.dir",
        "the local cache is --kafka-cache",
    ),
    (
        "kafkastore.write.max.retries",
        "writes are retried by the idempotent producer within kafkastore.timeout.ms",
    ),
    (
        "kafkastore.update.handlers",
        "exporters are built in (/exporters)",
    ),
    ("resource.extension.class", "exporters are built in"),
    ("debug", "use --log debug"),
    (
        "inter.instance.protocol",
        "the scheme of the advertised URL decides",
    ),
];

/// librdkafka client settings Confluent accepts under `kafkastore.`; their Java-only
/// cousins (JKS stores, JAAS) are translated or refused with a hint.
fn kafka_client_key(rest: &str) -> bool {
    rest == "security.protocol"
        || rest.starts_with("sasl.")
        || rest.starts_with("ssl.")
        || rest == "client.id"
        || rest == "client.rack"
        || rest.starts_with("socket.")
        || rest.starts_with("reconnect.")
        || rest == "metadata.max.age.ms"
}

fn invalid(key: &str, value: &str, why: &str) -> String {
    format!("invalid value {value:?} for {key} in the properties file: {why}")
}

/// `listeners=http://0.0.0.0:8081[,https://…]`: the first listener's HOST:PORT and scheme.
fn listener(key: &str, value: &str) -> Result<(String, String), String> {
    let first = value.split(',').next().unwrap_or("").trim();
    let (scheme, rest) = first
        .split_once("://")
        .ok_or_else(|| invalid(key, value, "expected http://HOST:PORT"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(invalid(key, value, "the scheme must be http or https"));
    }
    let hostport = rest.trim_end_matches('/');
    let (host, port) = hostport
        .rsplit_once(':')
        .ok_or_else(|| invalid(key, value, "expected http://HOST:PORT"))?;
    port.parse::<u16>()
        .map_err(|_| invalid(key, value, "the port is not a number from 0 to 65535"))?;
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    Ok((scheme, format!("{host}:{port}")))
}

/// `kafkastore.bootstrap.servers=PLAINTEXT://a:9092,SASL_SSL://b:9092` → `a:9092,b:9092`.
fn bootstrap(key: &str, value: &str) -> Result<String, String> {
    let mut out = Vec::new();
    for s in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let hp = s.split_once("://").map_or(s, |(_, hp)| hp);
        if !hp.contains(':') {
            return Err(invalid(key, value, "each server must be HOST:PORT"));
        }
        out.push(hp.to_string());
    }
    if out.is_empty() {
        return Err(invalid(key, value, "no server given"));
    }
    Ok(out.join(","))
}

fn number(key: &str, value: &str) -> Result<String, String> {
    value
        .trim()
        .parse::<u64>()
        .map(|n| n.to_string())
        .map_err(|_| invalid(key, value, "expected a non-negative integer"))
}

fn boolean(key: &str, value: &str) -> Result<String, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok("true".into()),
        "false" => Ok("false".into()),
        _ => Err(invalid(key, value, "expected true or false")),
    }
}

/// `sasl.jaas.config=… username="u" password="p";` → (u, p).
fn jaas_credentials(value: &str) -> Option<(String, String)> {
    let field = |name: &str| {
        let at = value.find(&format!("{name}="))? + name.len() + 1;
        let rest = value[at..].trim_start().strip_prefix('"')?;
        Some(rest[..rest.find('"')?].to_string())
    };
    Some((field("username")?, field("password")?))
}

/// Maps parsed properties onto our settings.
pub fn map(props: &BTreeMap<String, String>) -> Result<Loaded, String> {
    let mut out = Loaded::default();
    let mut env = |k: &str, v: String| out.env.push((k.to_string(), v));
    // Each key mapped below is taken out; what is left is passed through or warned about.
    let mut rest = props.clone();
    let mut get = |k: &str| rest.remove(k).map(|v| v.trim().to_string());

    let mut scheme = "http".to_string();
    let mut port = None;
    if let Some(v) = get("listeners") {
        let (s, addr) = listener("listeners", &v)?;
        port = addr.rsplit_once(':').map(|(_, p)| p.to_string());
        scheme = s;
        env("SR_LISTEN", addr);
    }
    if let Some(host) = get("host.name") {
        if host.is_empty() || host.contains('/') || host.contains(' ') {
            return Err(invalid("host.name", &host, "expected a host name"));
        }
        let port = port.unwrap_or_else(|| "8081".into());
        env("SR_ADVERTISED_URL", format!("{scheme}://{host}:{port}"));
    }
    let topic_given = get("kafkastore.topic");
    let topic_set = topic_given.is_some();
    let topic = topic_given.unwrap_or_else(|| "_schemas".into());
    if topic.is_empty() || topic.contains('/') || topic.len() > 249 {
        return Err(invalid(
            "kafkastore.topic",
            &topic,
            "expected a Kafka topic name",
        ));
    }
    if let Some(v) = get("kafkastore.bootstrap.servers") {
        let servers = bootstrap("kafkastore.bootstrap.servers", &v)?;
        env("SR_STORE", format!("kafka://{servers}/{topic}"));
    } else if topic_set {
        out.warnings.push(
            "kafkastore.topic is set but kafkastore.bootstrap.servers is not: the embedded store is used"
                .into(),
        );
    }
    let numbers = [
        (
            "kafkastore.topic.replication.factor",
            "SR_KAFKA_REPLICATION_FACTOR",
        ),
        ("kafkastore.timeout.ms", "SR_KAFKA_WRITE_TIMEOUT_MS"),
        ("kafkastore.init.timeout.ms", "SR_KAFKA_INIT_TIMEOUT_MS"),
        ("idle.timeout.ms", "SR_IDLE_TIMEOUT_MS"),
        ("server.connection.limit", "SR_SERVER_CONNECTION_LIMIT"),
        ("max.request.header.size", "SR_MAX_REQUEST_HEADER_SIZE"),
    ];
    for (key, var) in numbers {
        if let Some(v) = get(key) {
            env(var, number(key, &v)?);
        }
    }
    if let Some(v) = get("schema.compatibility.level") {
        let level = crate::config::parse_level(&v)
            .map_err(|_| invalid("schema.compatibility.level", &v, "expected none, backward, backward_transitive, forward, forward_transitive, full or full_transitive"))?;
        env("SR_COMPATIBILITY_LEVEL", level.as_str().to_string());
    }
    for (key, var) in [
        ("leader.eligibility", "SR_LEADER_ELIGIBILITY"),
        ("mode.mutability", "SR_MODE_MUTABILITY"),
        (
            "schema.reject.empty.subject",
            "SR_SCHEMA_REJECT_EMPTY_SUBJECT",
        ),
        (
            "schema.validate.new.schemas",
            "SR_SCHEMA_VALIDATE_NEW_SCHEMAS",
        ),
    ] {
        if let Some(v) = get(key) {
            env(var, boolean(key, &v)?);
        }
    }
    if let Some(v) = get("schema.registry.group.id") {
        if v.is_empty() {
            return Err(invalid("schema.registry.group.id", &v, "it is empty"));
        }
        env("SR_GROUP_ID", v);
    }
    // Mutual TLS (rest-utils' RestConfig): ssl.client.authentication, or the older boolean
    // ssl.client.auth; the truststore holds the CAs of client certificates (PEM only).
    let client_auth = get("ssl.client.auth");
    if let Some(v) = get("ssl.client.authentication") {
        let mode = crate::mtls::ClientAuth::parse(&v).ok_or_else(|| {
            invalid(
                "ssl.client.authentication",
                &v,
                "expected NONE, REQUESTED or REQUIRED",
            )
        })?;
        env(
            "SR_TLS_CLIENT_AUTH",
            format!("{mode:?}").to_ascii_uppercase(),
        );
    } else if let Some(v) = client_auth {
        let on = boolean("ssl.client.auth", &v)? == "true";
        env(
            "SR_TLS_CLIENT_AUTH",
            if on { "REQUIRED" } else { "NONE" }.into(),
        );
    }
    let truststore_type = get("ssl.truststore.type");
    if let Some(v) = get("ssl.truststore.location") {
        if let Some(t) = truststore_type.filter(|t| !t.eq_ignore_ascii_case("PEM")) {
            return Err(invalid(
                "ssl.truststore.type",
                &t,
                "Java key stores are not supported; give ssl.truststore.location as a PEM CA bundle with ssl.truststore.type=PEM",
            ));
        }
        env("SR_TLS_CLIENT_CA", v);
    }
    // Fetch-through (`--upstream-*`, `--mirror-topic-prefix`, `--local-id-floor`).
    for (key, var) in [
        ("upstream.timeout.ms", "SR_UPSTREAM_TIMEOUT_MS"),
        (
            "upstream.negative.cache.ttl.ms",
            "SR_UPSTREAM_NEGATIVE_TTL_MS",
        ),
        ("upstream.latest.ttl.ms", "SR_UPSTREAM_LATEST_TTL_MS"),
        ("local.id.floor", "SR_LOCAL_ID_FLOOR"),
        ("dek.registry.max.keys", "SR_DEK_REGISTRY_MAX_KEYS"),
    ] {
        if let Some(v) = get(key) {
            env(var, number(key, &v)?);
        }
    }
    if let Some(v) = get("upstream.rate.limit") {
        match v.trim().parse::<f64>() {
            Ok(r) if r > 0.0 && r.is_finite() => env("SR_UPSTREAM_RATE", v.trim().to_string()),
            _ => {
                return Err(invalid(
                    "upstream.rate.limit",
                    &v,
                    "expected a positive number",
                ))
            }
        }
    }
    for (key, var) in [
        ("upstream.schema.registry.url", "SR_UPSTREAM_URL"),
        ("upstream.basic.auth.user.info", "SR_UPSTREAM_USER_INFO"),
        ("upstream.ssl.ca.location", "SR_UPSTREAM_CA"),
        ("upstream.ssl.certificate.location", "SR_UPSTREAM_CERT"),
        ("upstream.ssl.key.location", "SR_UPSTREAM_KEY"),
        ("upstream.context", "SR_UPSTREAM_CONTEXT"),
        ("mirror.topic.prefix", "SR_MIRROR_TOPIC_PREFIX"),
        ("dek.registry.topic", "SR_DEK_REGISTRY_TOPIC"),
    ] {
        if let Some(v) = get(key) {
            env(var, v);
        }
    }
    for (key, var) in [
        ("password.encoder.secret", "SR_PASSWORD_ENCODER_SECRET"),
        (
            "password.encoder.old.secret",
            "SR_PASSWORD_ENCODER_OLD_SECRET",
        ),
    ] {
        if let Some(v) = get(key) {
            env(var, v);
        }
    }

    for (key, value) in &rest {
        if let Some((_, why)) = IGNORED.iter().find(|(k, _)| k == key) {
            out.warnings.push(format!("{key} is ignored: {why}"));
            continue;
        }
        let Some(rest) = key.strip_prefix("kafkastore.") else {
            out.warnings.push(format!("unknown key {key} is ignored"));
            continue;
        };
        if rest == "sasl.jaas.config" {
            let (u, p) = jaas_credentials(value).ok_or_else(|| {
                invalid(
                    key,
                    "(redacted)",
                    "expected username=\"…\" password=\"…\" (PLAIN/SCRAM login modules)",
                )
            })?;
            out.kafka_properties.push(("sasl.username".into(), u));
            out.kafka_properties.push(("sasl.password".into(), p));
            continue;
        }
        if rest.starts_with("ssl.truststore.") || rest.starts_with("ssl.keystore.") {
            return Err(format!(
                "{key} in the properties file: Java key stores are not supported; use \
                 kafkastore.ssl.ca.location, kafkastore.ssl.certificate.location and \
                 kafkastore.ssl.key.location (PEM files)"
            ));
        }
        if kafka_client_key(rest) {
            out.kafka_properties
                .push((rest.to_string(), value.trim().to_string()));
        } else {
            out.warnings.push(format!("unknown key {key} is ignored"));
        }
    }
    Ok(out)
}

/// Reads and maps a properties file.
pub fn load(path: &Path) -> Result<Loaded, String> {
    let file = std::fs::File::open(path)
        .map_err(|e| format!("cannot read the properties file {}: {e}", path.display()))?;
    let props = java_properties::read(std::io::BufReader::new(file))
        .map_err(|e| format!("cannot parse the properties file {}: {e}", path.display()))?;
    map(&props.into_iter().collect())
}

/// The `--config` path from the command line (`--config P` or `--config=P`) or
/// `SR_CONFIG`, looked up before the full parse (the file feeds that parse).
pub fn config_path(args: &[String]) -> Option<std::path::PathBuf> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        if a == "--config" {
            return it.next().map(Into::into);
        }
        if let Some(p) = a.strip_prefix("--config=") {
            return Some(p.into());
        }
    }
    std::env::var_os("SR_CONFIG")
        .filter(|v| !v.is_empty())
        .map(Into::into)
}

/// Whether a setting's value must not be printed.
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "jaas",
        "user.info",
        "token",
        "credential",
    ]
    .iter()
    .any(|s| k.contains(s))
        || k.ends_with(".key")
        || k == "ssl.key.pem"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn env_of(l: &Loaded, var: &str) -> Option<String> {
        l.env.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone())
    }

    #[test]
    fn confluent_keys_map_onto_settings() {
        let l = map(&props(&[
            ("listeners", "http://0.0.0.0:8085"),
            ("host.name", "sr1.example"),
            (
                "kafkastore.bootstrap.servers",
                "PLAINTEXT://k1:9092,SASL_SSL://k2:9093",
            ),
            ("kafkastore.topic", "_schemas_dr"),
            ("kafkastore.topic.replication.factor", "3"),
            ("kafkastore.timeout.ms", "500"),
            ("kafkastore.init.timeout.ms", "60000"),
            ("schema.compatibility.level", "full_transitive"),
            ("leader.eligibility", "false"),
            ("mode.mutability", "true"),
            ("schema.registry.group.id", "sr-dr"),
            ("kafkastore.security.protocol", "SASL_SSL"),
            ("kafkastore.sasl.mechanism", "PLAIN"),
            (
                "kafkastore.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u1\" password=\"p w\";",
            ),
            ("kafkastore.connection.url", "zk:2181"),
            ("frobnicate", "1"),
        ]))
        .expect("valid");
        assert_eq!(env_of(&l, "SR_LISTEN").as_deref(), Some("0.0.0.0:8085"));
        assert_eq!(
            env_of(&l, "SR_ADVERTISED_URL").as_deref(),
            Some("http://sr1.example:8085")
        );
        assert_eq!(
            env_of(&l, "SR_STORE").as_deref(),
            Some("kafka://k1:9092,k2:9093/_schemas_dr")
        );
        assert_eq!(
            env_of(&l, "SR_COMPATIBILITY_LEVEL").as_deref(),
            Some("FULL_TRANSITIVE")
        );
        assert_eq!(
            env_of(&l, "SR_LEADER_ELIGIBILITY").as_deref(),
            Some("false")
        );
        assert_eq!(env_of(&l, "SR_GROUP_ID").as_deref(), Some("sr-dr"));
        assert_eq!(
            env_of(&l, "SR_KAFKA_WRITE_TIMEOUT_MS").as_deref(),
            Some("500")
        );
        assert!(l
            .kafka_properties
            .contains(&("security.protocol".into(), "SASL_SSL".into())));
        assert!(l
            .kafka_properties
            .contains(&("sasl.password".into(), "p w".into())));
        assert!(l.warnings.iter().any(|w| w.contains("frobnicate")));
        assert!(l
            .warnings
            .iter()
            .any(|w| w.contains("kafkastore.connection.url")));
    }

    /// rest-utils' RestConfig.java: ssl.client.authentication (NONE/REQUESTED/REQUIRED),
    /// the deprecated boolean ssl.client.auth, ssl.truststore.location/type; the exporters'
    /// password.encoder.secret.
    #[test]
    fn security_keys_map_onto_settings() {
        let l = map(&props(&[
            ("ssl.client.authentication", "requested"),
            ("ssl.client.auth", "true"),
            ("ssl.truststore.location", "/etc/sr/clients-ca.pem"),
            ("ssl.truststore.type", "PEM"),
            ("password.encoder.secret", "s3cret"),
            ("password.encoder.old.secret", "old"),
        ]))
        .expect("valid");
        assert_eq!(
            env_of(&l, "SR_TLS_CLIENT_AUTH").as_deref(),
            Some("REQUESTED")
        );
        assert_eq!(
            env_of(&l, "SR_TLS_CLIENT_CA").as_deref(),
            Some("/etc/sr/clients-ca.pem")
        );
        assert_eq!(
            env_of(&l, "SR_PASSWORD_ENCODER_SECRET").as_deref(),
            Some("s3cret")
        );
        assert_eq!(
            env_of(&l, "SR_PASSWORD_ENCODER_OLD_SECRET").as_deref(),
            Some("old")
        );
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        let old = map(&props(&[("ssl.client.auth", "true")])).expect("valid");
        assert_eq!(
            env_of(&old, "SR_TLS_CLIENT_AUTH").as_deref(),
            Some("REQUIRED")
        );
        let jks = map(&props(&[
            ("ssl.truststore.location", "/x.jks"),
            ("ssl.truststore.type", "JKS"),
        ]));
        assert!(jks.expect_err("refused").contains("ssl.truststore.type"));
        let bad = map(&props(&[("ssl.client.authentication", "maybe")]));
        assert!(bad
            .expect_err("refused")
            .contains("ssl.client.authentication"));
    }

    #[test]
    fn connection_settings_keep_confluents_names() {
        let l = map(&props(&[
            ("idle.timeout.ms", "45000"),
            ("server.connection.limit", "500"),
            ("max.request.header.size", "16384"),
        ]))
        .expect("map");
        for pair in [
            ("SR_IDLE_TIMEOUT_MS", "45000"),
            ("SR_SERVER_CONNECTION_LIMIT", "500"),
            ("SR_MAX_REQUEST_HEADER_SIZE", "16384"),
        ] {
            assert!(
                l.env.contains(&(pair.0.to_string(), pair.1.to_string())),
                "{:?}",
                l.env
            );
        }
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        let e = map(&props(&[("server.connection.limit", "many")])).expect_err("invalid");
        assert!(e.contains("server.connection.limit"), "{e}");
    }

    #[test]
    fn fetch_through_keys_map_onto_settings() {
        let l = map(&props(&[
            ("upstream.schema.registry.url", "https://src-sr:8081"),
            ("upstream.basic.auth.user.info", "u:p"),
            ("upstream.ssl.ca.location", "/etc/ca.pem"),
            ("upstream.ssl.certificate.location", "/etc/c.pem"),
            ("upstream.ssl.key.location", "/etc/k.pem"),
            ("upstream.timeout.ms", "2500"),
            ("upstream.negative.cache.ttl.ms", "0"),
            ("upstream.rate.limit", "12.5"),
            ("upstream.latest.ttl.ms", "1000"),
            ("upstream.context", ".mirror"),
            ("mirror.topic.prefix", "src."),
            ("local.id.floor", "100000000"),
        ]))
        .expect("maps");
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        for (var, want) in [
            ("SR_UPSTREAM_URL", "https://src-sr:8081"),
            ("SR_UPSTREAM_USER_INFO", "u:p"),
            ("SR_UPSTREAM_CA", "/etc/ca.pem"),
            ("SR_UPSTREAM_CERT", "/etc/c.pem"),
            ("SR_UPSTREAM_KEY", "/etc/k.pem"),
            ("SR_UPSTREAM_TIMEOUT_MS", "2500"),
            ("SR_UPSTREAM_NEGATIVE_TTL_MS", "0"),
            ("SR_UPSTREAM_RATE", "12.5"),
            ("SR_UPSTREAM_LATEST_TTL_MS", "1000"),
            ("SR_UPSTREAM_CONTEXT", ".mirror"),
            ("SR_MIRROR_TOPIC_PREFIX", "src."),
            ("SR_LOCAL_ID_FLOOR", "100000000"),
        ] {
            assert_eq!(env_of(&l, var).as_deref(), Some(want), "{var}");
        }
        for (k, v) in [
            ("upstream.rate.limit", "0"),
            ("upstream.timeout.ms", "soon"),
        ] {
            let e = map(&props(&[(k, v)])).expect_err(k);
            assert!(e.contains(k), "{e}");
        }
    }

    #[test]
    fn invalid_values_name_their_key() {
        for (k, v) in [
            ("listeners", "0.0.0.0:8081"),
            ("listeners", "http://0.0.0.0:99999"),
            ("schema.compatibility.level", "sometimes"),
            ("kafkastore.timeout.ms", "-1"),
            ("leader.eligibility", "yes"),
            ("kafkastore.bootstrap.servers", "nohost"),
            ("kafkastore.ssl.truststore.location", "/x.jks"),
        ] {
            let e = map(&props(&[(k, v)])).expect_err(k);
            assert!(e.contains(k), "{e}");
        }
    }

    #[test]
    fn config_path_is_found_before_parsing() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            config_path(&a(&["sr", "--config", "x.properties"])),
            Some("x.properties".into())
        );
        assert_eq!(
            config_path(&a(&["sr", "serve", "--config=y"])),
            Some("y".into())
        );
    }

    #[test]
    fn secrets_are_recognised() {
        for k in [
            "sasl.password",
            "ssl.key.password",
            "basic.auth.user.info",
            "sasl.jaas.config",
            "ssl.key",
        ] {
            assert!(is_secret(k), "{k}");
        }
        assert!(!is_secret("security.protocol"));
    }
}

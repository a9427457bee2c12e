//! Wiring: open the store, replay it into the index, build the registry and the router,
//! serve until shutdown. `serve` is a function of (config, listener, shutdown).

use crate::config::ServeArgs;
use crate::http::{self, AppState};
use crate::registry::{NodeConfig, Registry};
use crate::store::kafka::{KafkaSettings, KafkaStore};
use crate::store::sqlite::SqliteStore;
use crate::store::{Store, StoreUrl};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Opens the configured store and builds the registry on it.
pub async fn open_registry(
    args: &ServeArgs,
    advertised_url: String,
) -> Result<(Arc<Registry>, String), String> {
    let url = StoreUrl::parse(&args.store)?;
    let init_timeout = std::time::Duration::from_millis(args.kafka_init_timeout_ms.max(1));
    let (store, cluster_id): (Arc<dyn Store>, String) = match url {
        StoreUrl::Sqlite(path) => {
            // Only the default location's directory is created: a typo in an explicit path
            // must not start an empty registry.
            let is_default = args.store == crate::config::DEFAULT_STORE;
            let s = SqliteStore::open(&path, is_default)
                .await
                .map_err(|e| e.to_string())?;
            (Arc::new(s), "embedded".to_string())
        }
        StoreUrl::Kafka { bootstrap, topic } => {
            let cache = cache_path(&args.kafka_cache, &bootstrap, &topic);
            let settings = KafkaSettings {
                bootstrap,
                topic,
                properties: args.kafka_properties.clone(),
                replication_factor: args.kafka_replication_factor,
                cache,
                write_timeout: std::time::Duration::from_millis(args.kafka_write_timeout_ms),
                read_only: args.read_only,
                end_markers: true,
            };
            let s = tokio::time::timeout(init_timeout, KafkaStore::open(settings))
                .await
                .map_err(|_| init_timeout_error(init_timeout))?
                .map_err(|e| e.to_string())?;
            (Arc::new(s), "kafka".to_string())
        }
    };
    tracing::info!(store = %store.describe(), "opening store");
    let node = NodeConfig {
        url: advertised_url,
        eligible: args.leader_eligibility,
        lease: std::time::Duration::from_millis(args.leader_lease_ms.max(300)),
    };
    let opening = Registry::open(store, args.compatibility_level, Some(node), args.read_only);
    let registry = if cluster_id == "kafka" {
        tokio::time::timeout(init_timeout, opening)
            .await
            .map_err(|_| init_timeout_error(init_timeout))?
    } else {
        opening.await
    }
    .map_err(|e| match e {
        // A start-up failure says what failed, not which request it would have failed.
        crate::error::RegistryError::Store(m) | crate::error::RegistryError::StoreTimeout(m) => m,
        other => other.to_string(),
    })?
    .with_policy(args.mode_mutability, args.group_id.clone())
    .rejecting_empty_subjects(args.schema_reject_empty_subject)
    .validating_new_schemas(args.schema_validate_new_schemas)
    .with_upstream(upstream_names(args)?, args.local_id_floor);
    Ok((Arc::new(registry), cluster_id))
}

/// Opens the DEK registry's own log beside the store (`--dek-registry`): on Kafka the
/// topic `--dek-registry-topic` (created compacted with one partition if missing; a
/// `--read-only` node runs without the DEK registry when the topic does not exist), on
/// SQLite the file `NAME-dek.db` next to the store's. No cache file: the log holds a few
/// records per KEK and DEK, read whole at start.
pub async fn open_keys(args: &ServeArgs) -> Result<Option<Arc<crate::keys::Keys>>, String> {
    if !args.dek_registry {
        return Ok(None);
    }
    let store: Arc<dyn Store> = match StoreUrl::parse(&args.store)? {
        StoreUrl::Sqlite(path) => {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "registry".into());
            let file = match path.extension() {
                Some(ext) => format!("{stem}-dek.{}", ext.to_string_lossy()),
                None => format!("{stem}-dek"),
            };
            let is_default = args.store == crate::config::DEFAULT_STORE;
            let s = SqliteStore::open(&path.with_file_name(file), is_default)
                .await
                .map_err(|e| e.to_string())?;
            Arc::new(s)
        }
        StoreUrl::Kafka { bootstrap, .. } => {
            let settings = KafkaSettings {
                bootstrap,
                topic: args.dek_registry_topic.clone(),
                properties: args.kafka_properties.clone(),
                replication_factor: args.kafka_replication_factor,
                cache: None,
                write_timeout: std::time::Duration::from_millis(args.kafka_write_timeout_ms),
                read_only: args.read_only,
                end_markers: false,
            };
            let init = std::time::Duration::from_millis(args.kafka_init_timeout_ms.max(1));
            match tokio::time::timeout(init, KafkaStore::open(settings)).await {
                Err(_) => return Err(init_timeout_error(init)),
                Ok(Ok(s)) => Arc::new(s),
                Ok(Err(e)) if args.read_only => {
                    tracing::warn!(error = %e, topic = %args.dek_registry_topic, "no DEK registry on this read-only node");
                    return Ok(None);
                }
                Ok(Err(e)) => return Err(e.to_string()),
            }
        }
    };
    let log = crate::keys::KeyLog::open(store)
        .await
        .map_err(|e| e.to_string())?;
    let kms = args
        .dek_local_kms_secret
        .as_deref()
        .map(crate::keys::kms::LocalKms::new);
    let keys = crate::keys::Keys::new(log, args.dek_registry_max_keys, kms);
    tracing::info!(store = %keys.describe(), keks = keys.read().keks.len(), deks = keys.read().deks.len(), local_kms = args.dek_local_kms_secret.is_some(), "DEK registry on");
    Ok(Some(Arc::new(keys)))
}

/// Fetch-through's names (`--upstream-url` on), checked before the store is opened.
fn upstream_names(args: &ServeArgs) -> Result<Option<crate::registry::UpstreamNames>, String> {
    let Some(_) = &args.upstream_url else {
        if args.mirror_topic_prefix.is_some() {
            return Err("--mirror-topic-prefix needs --upstream-url".into());
        }
        return Ok(None);
    };
    if args.read_only {
        return Err(
            "--upstream-url cannot be used with --read-only: fetched schemas are written to the log"
                .into(),
        );
    }
    let context = crate::model::Subject::parse(&format!(":{}:", args.upstream_context)).context;
    let valid = context.starts_with('.')
        && context.len() > 1
        && context != crate::model::DEFAULT_CONTEXT
        && context != crate::model::GLOBAL_CONTEXT
        && !args.upstream_context.contains(':');
    if !valid {
        return Err(format!(
            "--upstream-context {:?}: expected a context name such as .upstream",
            args.upstream_context
        ));
    }
    Ok(Some(crate::registry::UpstreamNames {
        context,
        prefix: args.mirror_topic_prefix.clone().filter(|p| !p.is_empty()),
    }))
}

/// Fetch-through's client of the upstream registry.
fn upstream(
    args: &ServeArgs,
    registry: &Arc<Registry>,
    metrics: &Arc<crate::metrics::Metrics>,
) -> Result<Option<Arc<crate::upstream::Upstream>>, String> {
    let Some(url) = &args.upstream_url else {
        return Ok(None);
    };
    let settings = crate::upstream::Settings {
        url: url.clone(),
        user_info: args.upstream_user_info.clone(),
        ca: args.upstream_ca.clone(),
        identity: args.upstream_cert.clone().zip(args.upstream_key.clone()),
        timeout: std::time::Duration::from_millis(args.upstream_timeout_ms),
        negative_ttl: std::time::Duration::from_millis(args.upstream_negative_ttl_ms),
        rate: args.upstream_rate,
        latest_ttl: std::time::Duration::from_millis(args.upstream_latest_ttl_ms),
    };
    let up = crate::upstream::Upstream::new(settings, registry.clone(), metrics.clone())?;
    tracing::info!(upstream = up.base(), context = %args.upstream_context, prefix = ?args.mirror_topic_prefix, "fetch-through on");
    Ok(Some(Arc::new(up)))
}

/// The Kafka store's cache file for `--kafka-cache`: `none` disables it; `auto` (the
/// default) or a directory (an existing one, or a path ending in `/`) holds a file named
/// after the cluster and topic, so that nodes of different registries started in one
/// working directory do not share one cache; anything else is the file itself.
pub fn cache_path(arg: &str, bootstrap: &[String], topic: &str) -> Option<std::path::PathBuf> {
    use sha2::Digest;
    let dir = match arg {
        "none" => return None,
        "auto" => std::path::PathBuf::from("./data"),
        a if a.ends_with('/') || std::path::Path::new(a).is_dir() => a.into(),
        a => return Some(a.into()),
    };
    let mut servers: Vec<&str> = bootstrap.iter().map(String::as_str).collect();
    servers.sort_unstable();
    let digest = sha2::Sha256::digest(format!("{}/{topic}", servers.join(",")));
    let tag: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let name: String = topic
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(dir.join(format!("kafka-cache-{name}-{tag}.db")))
}

fn init_timeout_error(limit: std::time::Duration) -> String {
    format!(
        "the Kafka store was not reachable and caught up within {} ms (--kafka-init-timeout-ms, Confluent's kafkastore.init.timeout.ms)",
        limit.as_millis()
    )
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    args: ServeArgs,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // Security settings are checked before the store is opened: a typo fails fast.
    let tls = crate::tls::server_config(
        args.tls_cert.as_deref(),
        args.tls_key.as_deref(),
        args.tls_client_ca.as_deref(),
        args.tls_client_auth,
    )?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let auth = match &args.auth_users_file {
        Some(path) => {
            let auth = crate::auth::Auth::load(path)?;
            tracing::info!(users = auth.user_count(), file = %path.display(), "basic authentication on");
            Some(Arc::new(auth))
        }
        None => None,
    };
    let secrets = crate::secret::from_settings(
        args.password_encoder_secret.as_deref(),
        args.password_encoder_old_secret.as_deref(),
    )?;
    crate::reload::spawn(crate::reload::Reloadable {
        tls: tls.as_ref().map(|(_, r)| r.clone()),
        auth: auth.clone(),
    })?;
    let forwarder = crate::tls::forwarding_client(args.tls_ca.as_deref())?;
    let advertised = args.advertised_url.clone().unwrap_or_else(|| {
        let host = if addr.ip().is_unspecified() {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "localhost".into())
        } else {
            return format!("{scheme}://{addr}");
        };
        format!("{scheme}://{host}:{}", addr.port())
    });
    let (registry, cluster_id) =
        open_registry(&args, advertised.trim_end_matches('/').into()).await?;
    // Only once the store is known to be ours: a start refused for a foreign file or a
    // topic of the wrong shape creates no key file or key topic beside it.
    let keys = open_keys(&args).await?;
    registry.clone().keep_leadership().await;
    let exporters = Arc::new(crate::exporter::Live::default());
    if !args.read_only {
        tokio::spawn(crate::exporter::run(
            registry.clone(),
            exporters.clone(),
            secrets.clone(),
        ));
    }
    let auto_context = crate::exporter::auto_context(&advertised, &args.store);
    let metrics = Arc::new(crate::metrics::Metrics::new());
    let upstream = upstream(&args, &registry, &metrics)?;
    // With basic authentication on, every request goes through the auth layer.
    let fast = auth
        .is_none()
        .then(|| Arc::new(http::fast::FastPath::new(registry.clone(), metrics.clone())));
    let lane = http::lane::WriteLane::start()?;
    let app = http::router(AppState {
        writes: lane.handle(),
        registry,
        cluster_id,
        forwarder,
        exporters,
        auto_context,
        metrics,
        auth,
        secrets,
        upstream,
        keys,
    });
    // Test harnesses and scripts wait for this exact line.
    let url = format!("{scheme}://{addr}");
    if args.log_format == "json" {
        let mut fields = serde_json::Map::new();
        fields.insert("url".into(), serde_json::Value::String(url.clone()));
        let line = crate::json_log::line(
            "INFO",
            "schema_registry::app",
            &format!("listening on {url}"),
            fields,
        );
        println!("{line}");
    } else {
        println!("listening on {url}");
    }
    tracing::info!(%addr, scheme, "serving");
    let limits = crate::http::serve::Limits::of(&args);
    tracing::info!(connections = limits.connections, "connection limit");
    let tls = tls.map(|(config, _reloader)| config);
    let served = crate::http::serve::run(listener, tls, app, fast, limits, shutdown).await;
    drop(lane);
    served
}

#[cfg(test)]
mod tests {
    use super::cache_path;
    use std::path::PathBuf;

    #[test]
    fn cache_files_are_named_after_cluster_and_topic() {
        let b = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let one = cache_path("auto", &b(&["k1:9092", "k2:9092"]), "_schemas");
        // The order of the bootstrap servers does not matter.
        assert_eq!(
            one,
            cache_path("auto", &b(&["k2:9092", "k1:9092"]), "_schemas")
        );
        assert_ne!(one, cache_path("auto", &b(&["k1:9092"]), "_schemas"));
        assert_ne!(
            one,
            cache_path("auto", &b(&["k1:9092", "k2:9092"]), "other")
        );
        let one = one.expect("a path");
        assert_eq!(one.parent(), Some(PathBuf::from("./data").as_path()));
        let name = one.file_name().map(|n| n.to_string_lossy().into_owned());
        assert!(name.is_some_and(|n| n.starts_with("kafka-cache-_schemas-") && n.ends_with(".db")));
        assert_eq!(
            cache_path("/var/cache/sr/", &b(&["k:1"]), "a/b")
                .map(|p| p.parent().map(PathBuf::from)),
            Some(Some(PathBuf::from("/var/cache/sr")))
        );
        assert_eq!(cache_path("none", &b(&["k:1"]), "t"), None);
        assert_eq!(
            cache_path("/x/cache.db", &b(&["k:1"]), "t"),
            Some(PathBuf::from("/x/cache.db"))
        );
    }
}

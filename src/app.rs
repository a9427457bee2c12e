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
            let s = SqliteStore::open(&path).await.map_err(|e| e.to_string())?;
            (Arc::new(s), "embedded".to_string())
        }
        StoreUrl::Kafka { bootstrap, topic } => {
            let settings = KafkaSettings {
                bootstrap,
                topic,
                properties: args.kafka_properties.clone(),
                replication_factor: args.kafka_replication_factor,
                cache: (args.kafka_cache != "none").then(|| args.kafka_cache.clone().into()),
                write_timeout: std::time::Duration::from_millis(args.kafka_write_timeout_ms),
                read_only: args.read_only,
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
    .map_err(|e| e.to_string())?
    .with_policy(args.mode_mutability, args.group_id.clone());
    Ok((Arc::new(registry), cluster_id))
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
    let tls = crate::tls::server_config(args.tls_cert.as_deref(), args.tls_key.as_deref())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let auth = match &args.auth_users_file {
        Some(path) => {
            let auth = crate::auth::Auth::load(path)?;
            tracing::info!(users = auth.user_count(), file = %path.display(), "basic authentication on");
            Some(Arc::new(auth))
        }
        None => None,
    };
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
    registry.clone().keep_leadership().await;
    let exporters = Arc::new(crate::exporter::Live::default());
    if !args.read_only {
        tokio::spawn(crate::exporter::run(registry.clone(), exporters.clone()));
    }
    let auto_context = crate::exporter::auto_context(&advertised, &args.store);
    let app = http::router(AppState {
        registry,
        cluster_id,
        forwarder,
        exporters,
        auto_context,
        metrics: Arc::new(crate::metrics::Metrics::new()),
        auth,
    });
    // Test harnesses and scripts wait for this exact line.
    println!("listening on {scheme}://{addr}");
    tracing::info!(%addr, scheme, "serving");
    let limits = args.limits();
    tracing::info!(connections = limits.connections, "connection limit");
    crate::http::serve::run(listener, tls, app, limits, shutdown).await
}

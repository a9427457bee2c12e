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
            let s = KafkaStore::open(settings)
                .await
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
    let registry = Registry::open(store, args.compatibility_level, Some(node), args.read_only)
        .await
        .map_err(|e| e.to_string())?;
    Ok((Arc::new(registry), cluster_id))
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    args: ServeArgs,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let advertised = args.advertised_url.clone().unwrap_or_else(|| {
        let host = if addr.ip().is_unspecified() {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "localhost".into())
        } else {
            return format!("http://{addr}");
        };
        format!("http://{host}:{}", addr.port())
    });
    let (registry, cluster_id) =
        open_registry(&args, advertised.trim_end_matches('/').into()).await?;
    registry.clone().keep_leadership().await;
    let forwarder = reqwest::Client::builder()
        .timeout(http::forward::FORWARD_TIMEOUT)
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| format!("cannot build the forwarding HTTP client: {e}"))?;
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
    });
    // Test harnesses and scripts wait for this exact line.
    println!("listening on http://{addr}");
    tracing::info!(%addr, "serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| e.to_string())
}

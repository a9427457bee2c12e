use clap::Parser;
use schema_registry::config::{Cli, Command};

/// mimalloc built with `no_thp` (Cargo.toml): it does not ask for transparent huge pages.
/// With them, the kernel zeroes 2 MiB per first touch and again after each purge; a
/// 100,000-schema start spent most of its time there (1.27 s, 0.47 s without).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // The properties file feeds the parse: its values become SR_ variables where the
    // environment has none (flags > environment > file > defaults).
    let argv: Vec<String> = std::env::args().collect();
    let mut file_kafka_properties = Vec::new();
    let mut file_warnings = Vec::new();
    if let Some(path) = schema_registry::properties::config_path(&argv) {
        match schema_registry::properties::load(&path) {
            Ok(loaded) => {
                for (k, v) in loaded.env {
                    if std::env::var_os(&k).is_none() {
                        std::env::set_var(k, v);
                    }
                }
                file_kafka_properties = loaded.kafka_properties;
                file_warnings = loaded.warnings;
            }
            Err(e) => {
                eprintln!("error: {e}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(a)) => *a,
        Some(Command::Check(a)) => return schema_registry::check::run(&a),
        Some(Command::Diff(a)) => return schema_registry::check::run_diff(&a),
        Some(Command::Export(a)) => return schema_registry::migrate::run_export(&a),
        Some(Command::Import(a)) => return schema_registry::migrate::run_import(&a),
        Some(Command::HashPassword) => return schema_registry::auth::run_hash_password(),
        Some(Command::Client(c)) => return schema_registry::cli::run(&c),
        None => cli.serve,
    };
    let mut args = args;
    // The command line's --kafka-property entries come last, so they win.
    file_kafka_properties.append(&mut args.kafka_properties);
    args.kafka_properties = file_kafka_properties;
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if args.log_format == "json" {
        builder.json().flatten_event(true).init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    for w in &file_warnings {
        tracing::warn!("{w}");
    }
    if args.log_format == "json" {
        // An object, not tracing's string rendering of one.
        if tracing::enabled!(target: "schema_registry", tracing::Level::INFO) {
            let mut fields = serde_json::Map::new();
            fields.insert("config".into(), args.effective());
            eprintln!(
                "{}",
                schema_registry::json_log::line(
                    "INFO",
                    "schema_registry",
                    "effective configuration",
                    fields
                )
            );
        }
    } else {
        tracing::info!(config = %args.redacted(), "effective configuration");
    }
    let shutdown_timeout = std::time::Duration::from_millis(args.shutdown_timeout_ms);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        // Graceful shutdown: on the signal the server stops accepting and waits for the
        // requests in flight, up to the timeout; then the store is dropped, which flushes
        // the Kafka producer.
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            shutdown_signal().await;
            let _ = stopping_tx.send(());
        };
        let deadline = async move {
            if stopping_rx.await.is_err() {
                return std::future::pending().await;
            }
            tokio::time::sleep(shutdown_timeout).await;
        };
        tokio::select! {
            r = schema_registry::app::serve(args, listener, signal) => r,
            _ = deadline => {
                tracing::warn!(timeout_ms = shutdown_timeout.as_millis() as u64, "requests still in flight at the shutdown timeout; exiting");
                Ok(())
            }
        }
    });
    tracing::info!("stopped");
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

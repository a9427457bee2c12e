//! TLS: HTTPS on the listener (`--tls-cert`, `--tls-key`) and the trust of the client that
//! forwards writes to the leader (`--tls-ca` plus the system's roots).
//!
//! Handshakes are done by the accept loop (`http::serve`), each in its connection's own
//! task, bounded in time (`--tls-handshake-timeout-ms`) and counted in the connection cap.

use crate::mtls::{ClientAuth, TlsFiles, TlsReloader};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::rustls::{self, ServerConfig};

/// The listener's configuration and what reloads its files.
pub type ServerTls = (Arc<ServerConfig>, Arc<TlsReloader>);

/// The server configuration for `--tls-cert`/`--tls-key` (and client certificates with
/// `--tls-client-ca`/`--tls-client-auth`): `None` when neither file is given. The
/// certificate and the client CA are read through the returned
/// [`TlsReloader`](crate::mtls::TlsReloader), which reads them again on SIGHUP.
pub fn server_config(
    cert: Option<&Path>,
    key: Option<&Path>,
    client_ca: Option<&Path>,
    client_auth: Option<ClientAuth>,
) -> Result<Option<ServerTls>, String> {
    let (cert, key) = match (cert, key) {
        (None, None) => {
            if client_ca.is_some() || client_auth.is_some_and(|a| a != ClientAuth::None) {
                return Err("--tls-client-ca and --tls-client-auth need --tls-cert and --tls-key (client certificates are a part of HTTPS)".into());
            }
            return Ok(None);
        }
        (Some(c), Some(k)) => (c, k),
        (Some(_), None) => return Err("--tls-cert needs --tls-key".into()),
        (None, Some(_)) => return Err("--tls-key needs --tls-cert".into()),
    };
    // With a client CA and no explicit choice, certificates are required.
    let client_auth = client_auth.unwrap_or(if client_ca.is_some() {
        ClientAuth::Required
    } else {
        ClientAuth::None
    });
    if client_auth == ClientAuth::None && client_ca.is_some() {
        tracing::warn!("--tls-client-ca is ignored: --tls-client-auth is NONE");
    }
    let reloader = Arc::new(TlsReloader::load(TlsFiles {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
        client_ca: client_ca.map(Path::to_path_buf),
        client_auth,
    })?);
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_client_cert_verifier(reloader.verifier.clone())
            .with_cert_resolver(reloader.cert.clone());
    // HTTP/1.1 only is served.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some((Arc::new(config), reloader)))
}

/// How long the leader may take to answer a forwarded request.
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

/// The client followers forward writes to the leader with: the system's roots, plus the
/// certificates of `ca` (a PEM bundle; for a cluster with its own CA or self-signed
/// certificates).
pub fn forwarding_client(ca: Option<&Path>) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .timeout(FORWARD_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .use_rustls_tls();
    if let Some(ca) = ca {
        let pem = std::fs::read(ca)
            .map_err(|e| format!("cannot read the CA bundle {}: {e}", ca.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("CA bundle {}: {e}", ca.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "CA bundle {}: no PEM CERTIFICATE in it",
                ca.display()
            ));
        }
        for c in certs {
            builder = builder.add_root_certificate(c);
        }
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the forwarding HTTP client: {e}"))
}

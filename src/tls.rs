//! TLS: HTTPS on the listener (`--tls-cert`, `--tls-key`) and the trust of the client that
//! forwards writes to the leader (`--tls-ca` plus the system's roots).
//!
//! Handshakes are done by the accept loop (`http::serve`), each in its connection's own
//! task, bounded in time (`--tls-handshake-timeout-ms`) and counted in the connection cap.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// The server configuration for `--tls-cert`/`--tls-key`: `None` when neither is given.
pub fn server_config(
    cert: Option<&Path>,
    key: Option<&Path>,
) -> Result<Option<Arc<ServerConfig>>, String> {
    let (cert, key) = match (cert, key) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        (Some(_), None) => return Err("--tls-cert needs --tls-key".into()),
        (None, Some(_)) => return Err("--tls-key needs --tls-cert".into()),
    };
    let cert_pem = std::fs::read(cert)
        .map_err(|e| format!("cannot read the TLS certificate {}: {e}", cert.display()))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("TLS certificate {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "TLS certificate {}: no PEM CERTIFICATE in it",
            cert.display()
        ));
    }
    let key_pem = std::fs::read(key)
        .map_err(|e| format!("cannot read the TLS key {}: {e}", key.display()))?;
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        format!(
            "TLS key {}: no PEM private key (PKCS#8, PKCS#1 or SEC1) in it ({e})",
            key.display()
        )
    })?;
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(chain, key_der)
            .map_err(|e| {
                format!(
                    "TLS certificate {} and key {} do not make a usable pair: {e}",
                    cert.display(),
                    key.display()
                )
            })?;
    // HTTP/1.1 only is served.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(config)))
}

/// The client followers forward writes to the leader with: the system's roots, plus the
/// certificates of `ca` (a PEM bundle; for a cluster with its own CA or self-signed
/// certificates).
pub fn forwarding_client(ca: Option<&Path>) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .timeout(crate::http::forward::FORWARD_TIMEOUT)
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

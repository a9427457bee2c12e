//! SIGHUP: read the TLS certificate, key and client CA, and the users file, again.
//!
//! Each part is loaded in full before it replaces the one in force; a part that does not
//! load is refused with an error line and the old one kept. New TLS material is used for
//! new connections (connections already open keep theirs); a reloaded users file applies
//! to the next request. Settings given at start only (turning TLS or authentication on or
//! off, the file paths) are not changed by a reload.

use crate::auth::Auth;
use crate::mtls::TlsReloader;
use std::sync::Arc;

/// What a SIGHUP reloads.
#[derive(Clone, Default)]
pub struct Reloadable {
    pub tls: Option<Arc<TlsReloader>>,
    pub auth: Option<Arc<Auth>>,
}

impl Reloadable {
    /// Reloads every part; logs one line per part.
    pub fn reload(&self) {
        if let Some(tls) = &self.tls {
            match tls.reload() {
                Ok(()) => tracing::info!("reloaded the TLS certificate, key and client CA"),
                Err(e) => {
                    tracing::error!(error = %e, "TLS reload refused; keeping the previous certificate")
                }
            }
        }
        if let Some(auth) = &self.auth {
            match auth.reload() {
                Ok(users) => tracing::info!(users, "reloaded the users file"),
                Err(e) => {
                    tracing::error!(error = %e, "users file reload refused; keeping the previous users")
                }
            }
        }
        if self.tls.is_none() && self.auth.is_none() {
            tracing::info!("SIGHUP: nothing to reload (no TLS, no users file)");
        }
    }
}

/// Installs the SIGHUP handler (from now on SIGHUP no longer ends the process) and
/// reloads on every signal.
pub fn spawn(parts: Reloadable) -> Result<(), String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangup =
            signal(SignalKind::hangup()).map_err(|e| format!("cannot handle SIGHUP: {e}"))?;
        tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                parts.reload();
            }
        });
    }
    #[cfg(not(unix))]
    let _ = parts;
    Ok(())
}

//! Mutual TLS and reloadable TLS material.
//!
//! - Client certificates (`--tls-client-ca`, `--tls-client-auth NONE|REQUESTED|REQUIRED`,
//!   Confluent's `ssl.truststore.location` and `ssl.client.authentication`) are verified
//!   against the CA bundle by rustls (webpki). The verified certificate's principal (its
//!   subject CN; without a CN its first DNS, then e-mail, then URI subject alternative name)
//!   is taken once per connection ([`ClientIdentity`]) and looked up in the users file by
//!   `http::auth::require` (`NAME:cert:ROLE` lines).
//! - The server certificate and the client CA sit behind swappable cells
//!   ([`ReloadableCert`], [`ReloadableVerifier`]): [`TlsReloader::reload`] reads the files
//!   again and swaps them in for new connections, or keeps the old ones and says why.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio_rustls::rustls::client::danger::HandshakeSignatureValid;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use tokio_rustls::rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{
    DigitallySignedStruct, DistinguishedName, Error, RootCertStore, SignatureScheme,
};

/// Whether clients are asked for a certificate (Confluent's `ssl.client.authentication`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// No certificate is asked for.
    None,
    /// A certificate is asked for; a client without one may still use basic auth.
    Requested,
    /// The handshake fails without a certificate the CA signed.
    Required,
}

impl ClientAuth {
    pub fn parse(s: &str) -> Option<ClientAuth> {
        match s.trim().to_ascii_uppercase().as_str() {
            "NONE" => Some(ClientAuth::None),
            "REQUESTED" => Some(ClientAuth::Requested),
            "REQUIRED" => Some(ClientAuth::Required),
            _ => None,
        }
    }
}

/// The files TLS is made of, kept so that they can be read again.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
    pub client_auth: ClientAuth,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(tokio_rustls::rustls::crypto::ring::default_provider())
}

/// The certificate chain and key of `--tls-cert`/`--tls-key`, checked to be a pair.
pub fn load_certified_key(cert: &Path, key: &Path) -> Result<CertifiedKey, String> {
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
    CertifiedKey::from_der(chain, key_der, &provider()).map_err(|e| {
        format!(
            "TLS certificate {} and key {} do not make a usable pair: {e}",
            cert.display(),
            key.display()
        )
    })
}

/// The verifier of client certificates for `files` (none asked for with NONE).
pub fn load_verifier(files: &TlsFiles) -> Result<Arc<dyn ClientCertVerifier>, String> {
    let ca = match (files.client_auth, &files.client_ca) {
        (ClientAuth::None, _) => return Ok(WebPkiClientVerifier::no_client_auth()),
        (_, Some(ca)) => ca,
        (_, None) => {
            return Err(
                "--tls-client-auth REQUESTED or REQUIRED needs --tls-client-ca (the CA bundle client certificates are checked against)"
                    .into(),
            )
        }
    };
    let pem = std::fs::read(ca)
        .map_err(|e| format!("cannot read the client CA bundle {}: {e}", ca.display()))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("client CA bundle {}: {e}", ca.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("client CA bundle {}: {e}", ca.display()))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "client CA bundle {}: no PEM CERTIFICATE in it",
            ca.display()
        ));
    }
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider());
    let builder = match files.client_auth {
        ClientAuth::Requested => builder.allow_unauthenticated(),
        _ => builder,
    };
    builder
        .build()
        .map_err(|e| format!("client CA bundle {}: {e}", ca.display()))
}

/// The server certificate, swappable.
#[derive(Debug)]
pub struct ReloadableCert(RwLock<Arc<CertifiedKey>>);

impl ReloadableCert {
    fn get(&self) -> Arc<CertifiedKey> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
    fn set(&self, key: CertifiedKey) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(key);
    }
}

impl ResolvesServerCert for ReloadableCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.get())
    }
}

/// The client certificate verifier, swappable. It names no CA in its certificate request
/// (the hint list would have to be borrowed from behind the lock); clients send their
/// certificate anyway.
#[derive(Debug)]
pub struct ReloadableVerifier {
    inner: RwLock<Arc<dyn ClientCertVerifier>>,
}

impl ReloadableVerifier {
    fn get(&self) -> Arc<dyn ClientCertVerifier> {
        self.inner.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
    fn set(&self, v: Arc<dyn ClientCertVerifier>) {
        *self.inner.write().unwrap_or_else(|p| p.into_inner()) = v;
    }
}

impl ClientCertVerifier for ReloadableVerifier {
    fn offer_client_auth(&self) -> bool {
        self.get().offer_client_auth()
    }
    fn client_auth_mandatory(&self) -> bool {
        self.get().client_auth_mandatory()
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        self.get()
            .verify_client_cert(end_entity, intermediates, now)
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.get().verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.get().verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.get().supported_verify_schemes()
    }
}

/// The files and the cells they are loaded into.
#[derive(Debug)]
pub struct TlsReloader {
    files: TlsFiles,
    pub cert: Arc<ReloadableCert>,
    pub verifier: Arc<ReloadableVerifier>,
}

impl TlsReloader {
    /// Loads the files (an error names the file and the problem).
    pub fn load(files: TlsFiles) -> Result<TlsReloader, String> {
        let key = load_certified_key(&files.cert, &files.key)?;
        let verifier = load_verifier(&files)?;
        Ok(TlsReloader {
            files,
            cert: Arc::new(ReloadableCert(RwLock::new(Arc::new(key)))),
            verifier: Arc::new(ReloadableVerifier {
                inner: RwLock::new(verifier),
            }),
        })
    }

    /// Reads the files again; swaps both in only when both load.
    pub fn reload(&self) -> Result<(), String> {
        let key = load_certified_key(&self.files.cert, &self.files.key)?;
        let verifier = load_verifier(&self.files)?;
        self.cert.set(key);
        self.verifier.set(verifier);
        Ok(())
    }
}

/// Who the client's verified certificate says it is (per connection; `None` on plain HTTP
/// or without a certificate). Put into requests as `ConnectInfo<ClientIdentity>`.
#[derive(Debug, Clone, Default)]
pub struct ClientIdentity {
    pub principal: Option<Arc<str>>,
}

impl ClientIdentity {
    /// The identity of a TLS connection whose handshake is done.
    pub fn of(conn: &tokio_rustls::rustls::ServerConnection) -> ClientIdentity {
        let principal = conn
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|cert| certificate_principal(cert))
            .map(Arc::from);
        ClientIdentity { principal }
    }
}

/// The principal of a DER certificate: the subject's first CN; without one, the first DNS,
/// then e-mail (rfc822), then URI subject alternative name.
pub fn certificate_principal(der: &[u8]) -> Option<String> {
    use x509_parser::certificate::X509Certificate;
    use x509_parser::extensions::GeneralName;
    use x509_parser::prelude::FromDer;
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    if let Some(cn) = cert
        .subject()
        .iter_common_name()
        .find_map(|cn| cn.as_str().ok())
    {
        return Some(cn.to_string());
    }
    let san = cert.subject_alternative_name().ok().flatten()?;
    let names = &san.value.general_names;
    let dns = names.iter().find_map(|n| match n {
        GeneralName::DNSName(s) => Some(*s),
        _ => None,
    });
    let email = || {
        names.iter().find_map(|n| match n {
            GeneralName::RFC822Name(s) => Some(*s),
            _ => None,
        })
    };
    let uri = || {
        names.iter().find_map(|n| match n {
            GeneralName::URI(s) => Some(*s),
            _ => None,
        })
    };
    dns.or_else(email).or_else(uri).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(cn: Option<&str>, sans: Vec<rcgen::SanType>) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Acme");
        if let Some(cn) = cn {
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, cn);
        }
        params.subject_alt_names = sans;
        let key = rcgen::KeyPair::generate().expect("key");
        params.self_signed(&key).expect("cert").der().to_vec()
    }

    #[test]
    fn mtls_principal_is_the_cn_else_a_san() {
        let dns = |s: &str| rcgen::SanType::DnsName(s.try_into().expect("dns"));
        let email = |s: &str| rcgen::SanType::Rfc822Name(s.try_into().expect("email"));
        let uri = |s: &str| rcgen::SanType::URI(s.try_into().expect("uri"));
        assert_eq!(
            certificate_principal(&cert(Some("svc-orders"), vec![dns("x.example")])).as_deref(),
            Some("svc-orders")
        );
        assert_eq!(
            certificate_principal(&cert(None, vec![email("a@b.c"), dns("x.example")])).as_deref(),
            Some("x.example")
        );
        assert_eq!(
            certificate_principal(&cert(None, vec![uri("spiffe://acme/ns/p"), email("a@b.c")]))
                .as_deref(),
            Some("a@b.c")
        );
        assert_eq!(
            certificate_principal(&cert(None, vec![uri("spiffe://acme/ns/p")])).as_deref(),
            Some("spiffe://acme/ns/p")
        );
        assert_eq!(certificate_principal(&cert(None, vec![])), None);
        assert_eq!(certificate_principal(b"\x30\x82\xff"), None);
        assert_eq!(certificate_principal(&[]), None);
    }

    #[test]
    fn mtls_client_auth_values() {
        assert_eq!(ClientAuth::parse("required"), Some(ClientAuth::Required));
        assert_eq!(ClientAuth::parse("REQUESTED"), Some(ClientAuth::Requested));
        assert_eq!(ClientAuth::parse("NONE"), Some(ClientAuth::None));
        assert_eq!(ClientAuth::parse("yes"), None);
    }
}

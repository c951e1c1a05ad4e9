//! The collector's TLS: its certificate and key from PEM files (one file
//! may hold the key, the certificate and the CA, as ExtraHop's
//! `ml_api_logger` takes them), and, with `--client-ca`, client
//! certificates checked against that CA.
//!
//! Client certificates are requested but not required during the
//! handshake; they are checked right after it, so that a client without
//! one gets an HTTP 401 and one with a certificate of another CA an HTTP
//! 403, each saying why, instead of a bare TLS alert. The handshake still
//! proves that the client holds the certificate's key.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};

/// The server's TLS configuration and, with a client CA, its verifier.
pub type ServerTls = (
    Arc<rustls::ServerConfig>,
    Option<Arc<dyn ClientCertVerifier>>,
);

/// Builds the server configuration; the verifier, when there is a client
/// CA, checks each connection's certificate after the handshake.
pub fn server_config(
    cert: &Path,
    key: Option<&Path>,
    client_ca: Option<&Path>,
) -> anyhow::Result<ServerTls> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("cannot read the certificate file {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("certificate file {}: not valid PEM", cert.display()))?;
    if chain.is_empty() {
        bail!(
            "certificate file {}: no certificate found (-----BEGIN CERTIFICATE-----)",
            cert.display()
        );
    }
    let key_path = key.unwrap_or(cert);
    let key = PrivateKeyDer::from_pem_file(key_path).with_context(|| {
        format!(
            "key file {}: no private key found (-----BEGIN PRIVATE KEY-----); give --key or put the key in the certificate file",
            key_path.display()
        )
    })?;
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .context("TLS versions")?;
    let (builder, verifier) = match client_ca {
        None => (builder.with_no_client_auth(), None),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for der in CertificateDer::pem_file_iter(ca)
                .with_context(|| format!("cannot read the client CA file {}", ca.display()))?
            {
                let der =
                    der.with_context(|| format!("client CA file {}: not valid PEM", ca.display()))?;
                roots.add(der).with_context(|| {
                    format!("client CA file {}: not a CA certificate", ca.display())
                })?;
            }
            if roots.is_empty() {
                bail!("client CA file {}: no certificate found", ca.display());
            }
            let inner = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .context("client CA")?;
            let lenient: Arc<dyn ClientCertVerifier> = Arc::new(Later(Arc::clone(&inner)));
            (builder.with_client_cert_verifier(lenient), Some(inner))
        }
    };
    let mut config = builder.with_single_cert(chain, key).with_context(|| {
        format!(
            "the key does not match the certificate of {}",
            cert.display()
        )
    })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(config), verifier))
}

/// How a connection's client certificate fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// No client CA is configured.
    NotAsked,
    /// The certificate checks out against the client CA.
    Verified,
    /// The client sent none.
    Missing,
    /// It does not check out: why.
    Refused(String),
}

/// Checks `certs` (the peer's, leaf first) with `verifier`.
pub fn check_peer(
    verifier: Option<&Arc<dyn ClientCertVerifier>>,
    certs: Option<&[CertificateDer<'static>]>,
) -> Peer {
    let Some(verifier) = verifier else {
        return Peer::NotAsked;
    };
    match certs {
        None | Some([]) => Peer::Missing,
        Some([leaf, rest @ ..]) => match verifier.verify_client_cert(leaf, rest, UnixTime::now()) {
            Ok(_) => Peer::Verified,
            Err(e) => Peer::Refused(e.to_string()),
        },
    }
}

/// Accepts any client certificate during the handshake (still checking
/// the handshake signature), for [`check_peer`] to judge afterwards.
#[derive(Debug)]
struct Later(Arc<dyn ClientCertVerifier>);

impl ClientCertVerifier for Later {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.0.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

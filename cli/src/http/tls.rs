//! The root certificates a TLS connection trusts: the system's, or those
//! of a CA file.
//!
//! System roots are read with `rustls-native-certs` (the OpenSSL locations,
//! `SSL_CERT_FILE` and `SSL_CERT_DIR` honoured). A CA file holds one or more
//! PEM certificates (or is a PKCS#12 truststore without a password, read in
//! memory) and replaces the system roots, so a private CA is trusted
//! without trusting it for everything else on the machine.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use super::ClientIdentity;

/// The roots a connection trusts.
#[derive(Debug, Clone)]
pub struct TrustRoots {
    certs: Vec<Certificate<'static>>,
}

/// Why no roots could be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The CA file could not be read.
    #[error("cannot read CA file {}: {source}", path.display())]
    Read {
        /// The CA file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The CA file holds no usable certificate.
    #[error("CA file {}: {why}; it must hold PEM certificates (-----BEGIN CERTIFICATE-----)", path.display())]
    Content {
        /// The CA file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// The CA file is a PKCS#12 truststore that cannot be read.
    #[error(
        "CA file {}: {why}; convert it to PEM: openssl pkcs12 -in {} -nokeys -out ca.pem",
        path.display(),
        path.display()
    )]
    Truststore {
        /// The CA file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// The system's root store yielded nothing.
    #[error("no system root certificates could be loaded ({0}); name a CA file instead")]
    System(String),
}

impl TrustRoots {
    /// The system's root certificates.
    pub fn system() -> Result<Self, TlsError> {
        let found = rustls_native_certs::load_native_certs();
        let certs: Vec<_> = found
            .certs
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect();
        if certs.is_empty() {
            let why = found
                .errors
                .first()
                .map_or_else(|| "none found".to_string(), ToString::to_string);
            return Err(TlsError::System(why));
        }
        Ok(TrustRoots { certs })
    }

    /// The certificates of the CA file at `path`, instead of the system's:
    /// PEM, or a PKCS#12 truststore without a password (a truststore with
    /// one is refused, saying how to convert it to PEM).
    pub fn from_ca_file(path: &Path) -> Result<Self, TlsError> {
        let pem = std::fs::read(path).map_err(|source| TlsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if !pem.windows(11).any(|w| w == b"-----BEGIN ") && pem.first() == Some(&0x30) {
            return truststore(path, &pem);
        }
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(&pem) {
            match item {
                Ok(PemItem::Certificate(cert)) => certs.push(cert),
                Ok(_) => {}
                Err(e) => {
                    return Err(TlsError::Content {
                        path: path.to_path_buf(),
                        why: e.to_string(),
                    });
                }
            }
        }
        if certs.is_empty() {
            return Err(TlsError::Content {
                path: path.to_path_buf(),
                why: "no certificate found".into(),
            });
        }
        Ok(TrustRoots { certs })
    }

    /// The certificates as PEM text, for a TLS library that takes them in
    /// memory (librdkafka).
    pub fn to_pem(&self) -> String {
        self.certs
            .iter()
            .map(|c| {
                pkcs8::der::pem::encode_string("CERTIFICATE", pkcs8::LineEnding::LF, c.der())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// The TLS configuration of a client that trusts these roots (and
    /// verifies every certificate against them), presenting `identity`
    /// when the server asks for a client certificate.
    pub(super) fn tls_config(&self, identity: Option<&ClientIdentity>) -> TlsConfig {
        TlsConfig::builder()
            .root_certs(RootCerts::Specific(Arc::new(self.certs.clone())))
            .client_cert(identity.map(ClientIdentity::client_cert))
            .build()
    }
}

/// The certificates of a PKCS#12 truststore (DER) without a password.
fn truststore(path: &Path, der: &[u8]) -> Result<TrustRoots, TlsError> {
    let refuse = |why: String| TlsError::Truststore {
        path: path.to_path_buf(),
        why,
    };
    let store = p12_keystore::KeyStore::from_pkcs12(der, "", p12_keystore::Pkcs12ImportPolicy::Raw)
        .map_err(|e| {
            refuse(format!(
                "a PKCS#12 truststore that cannot be opened without a password ({e})"
            ))
        })?;
    let certs: Vec<Certificate<'static>> = store
        .entries()
        .flat_map(|(_, entry)| match entry {
            p12_keystore::KeyStoreEntry::Certificate(c) => vec![c.as_der().to_vec()],
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain) => {
                chain.certs().iter().map(|c| c.as_der().to_vec()).collect()
            }
            p12_keystore::KeyStoreEntry::Secret(_) => Vec::new(),
        })
        .map(|der| Certificate::from_der(&der).to_owned())
        .collect();
    if certs.is_empty() {
        return Err(refuse("a PKCS#12 truststore without certificates".into()));
    }
    Ok(TrustRoots { certs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_certificates_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").expect("write");
        let err = TrustRoots::from_ca_file(&path).unwrap_err().to_string();
        assert!(err.contains("ca.pem"), "{err}");
        assert!(err.contains("no certificate found"), "{err}");
        let missing = TrustRoots::from_ca_file(&dir.path().join("none.pem"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("cannot read CA file"), "{missing}");
    }
}

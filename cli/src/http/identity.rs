//! The client certificate a connection presents for mutual TLS: a PEM
//! certificate chain and its PEM private key.
//!
//! The key is a secret: its file must be a regular file that neither group
//! nor others may access (mode 0600 or 0400), and errors name the file,
//! never its content. Keys encrypted with a password are not read; store
//! the key unencrypted in a protected file (`openssl pkey -in enc.key -out
//! client.key`), as web servers do.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey};

/// A certificate chain and its key, ready to present.
#[derive(Clone)]
pub struct ClientIdentity {
    cert: ClientCert,
    origin: String,
}

/// Why a client certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}: {why}", path.display())]
pub struct IdentityError {
    /// The file at fault.
    pub path: PathBuf,
    /// What is wrong with it.
    pub why: String,
}

impl ClientIdentity {
    /// Reads the PEM certificate chain at `cert` and the PEM private key
    /// at `key` (mode 0600 or 0400).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, IdentityError> {
        let fail = |path: &Path, why: String| IdentityError {
            path: path.to_path_buf(),
            why,
        };
        let cert_pem = std::fs::read(cert).map_err(|e| fail(cert, format!("cannot read: {e}")))?;
        let chain: Vec<Certificate<'static>> = ureq::tls::parse_pem(&cert_pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if chain.is_empty() {
            return Err(fail(
                cert,
                "no certificate found; it must hold PEM certificates (-----BEGIN CERTIFICATE-----)"
                    .into(),
            ));
        }
        check_private(key).map_err(|why| fail(key, why))?;
        let key_pem = std::fs::read(key).map_err(|e| fail(key, format!("cannot read: {e}")))?;
        if key_pem
            .windows(b"ENCRYPTED".len())
            .any(|w| w == b"ENCRYPTED")
        {
            return Err(fail(
                key,
                "the key is encrypted with a password; store it unencrypted in a file of mode 0600 \
                 (openssl pkey -in ENCRYPTED.key -out client.key)"
                    .into(),
            ));
        }
        let private: Option<PrivateKey<'static>> =
            ureq::tls::parse_pem(&key_pem).find_map(|item| match item {
                Ok(PemItem::PrivateKey(k)) => Some(k),
                _ => None,
            });
        let Some(private) = private else {
            return Err(fail(
                key,
                "no private key found; it must hold a PEM key (-----BEGIN PRIVATE KEY-----, RSA or EC)"
                    .into(),
            ));
        };
        Ok(ClientIdentity {
            cert: ClientCert::new_with_certs(&chain, private),
            origin: format!("client certificate {}", cert.display()),
        })
    }

    /// Where the certificate came from, for messages.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The certificate and key, for the TLS configuration.
    pub(super) fn client_cert(&self) -> ClientCert {
        self.cert.clone()
    }
}

/// The file only: the key is a secret.
impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.origin)
    }
}

/// Refuses a secret's file that is not regular or that group or others may
/// access.
fn check_private(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "mode {mode:04o} lets group or others access it; it holds a private key, so it must be \
             0600 or 0400 (chmod 600 {})",
            path.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_others_can_read_or_an_encrypted_key_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let certified = rcgen::generate_simple_self_signed(vec!["client".into()]).expect("cert");
        let cert = dir.path().join("client.pem");
        let key = dir.path().join("client.key");
        std::fs::write(&cert, certified.cert.pem()).expect("write");
        std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = ClientIdentity::from_pem_files(&cert, &key)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mode 0644") && err.contains("client.key"),
            "{err}"
        );
        assert!(!err.contains("PRIVATE KEY-----\n"), "{err}");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let identity = ClientIdentity::from_pem_files(&cert, &key).expect("valid");
        assert!(format!("{identity:?}").contains("client.pem"));
        std::fs::write(&key, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n").expect("write");
        let err = ClientIdentity::from_pem_files(&cert, &key)
            .unwrap_err()
            .to_string();
        assert!(err.contains("encrypted with a password"), "{err}");
        let err = ClientIdentity::from_pem_files(&key, &key)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no certificate found"), "{err}");
    }
}

//! The client certificate a connection presents for mutual TLS: a PEM
//! certificate chain and its PEM private key (unencrypted, or PKCS#8
//! encrypted with the password of a password file), or a PKCS#12 keystore
//! and its password file.
//!
//! Keys, keystores and password files are secrets: each must be a regular
//! file that neither group nor others may access (mode 0600 or 0400), and
//! errors name the file, never its content. A password file holds the
//! password on its first line (a final newline is not part of it).

use std::path::{Path, PathBuf};

use super::check_private;
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
    /// at `key` (mode 0600 or 0400), decrypted with the password in
    /// `password` when the key is encrypted.
    pub fn from_pem_files(
        cert: &Path,
        key: &Path,
        password: Option<&Path>,
    ) -> Result<Self, IdentityError> {
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
        check_private(key, "a private key").map_err(|why| fail(key, why))?;
        let key_pem = std::fs::read(key).map_err(|e| fail(key, format!("cannot read: {e}")))?;
        let encrypted = key_pem
            .windows(b"ENCRYPTED".len())
            .any(|w| w == b"ENCRYPTED");
        match (encrypted, password) {
            (true, Some(password)) => {
                let private = decrypt_pem_key(&key_pem, &read_password(password)?)
                    .map_err(|why| fail(key, why))?;
                return Ok(ClientIdentity {
                    cert: ClientCert::new_with_certs(&chain, private),
                    origin: format!("client certificate {}", cert.display()),
                });
            }
            (true, None) => {
                return Err(fail(
                    key,
                    "the key is encrypted; name the file holding its password (_KEY_PASSWORD_FILE)"
                        .into(),
                ));
            }
            (false, Some(password)) => {
                return Err(fail(
                    password,
                    format!(
                        "a password is given but the key {} is not encrypted",
                        key.display()
                    ),
                ));
            }
            (false, None) => {}
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

    /// Reads the first private key and its certificate chain from the
    /// PKCS#12 keystore at `keystore`, with the password in `password`
    /// (both of mode 0600 or 0400).
    pub fn from_pkcs12(keystore: &Path, password: &Path) -> Result<Self, IdentityError> {
        let fail = |why: String| IdentityError {
            path: keystore.to_path_buf(),
            why,
        };
        check_private(keystore, "a private key").map_err(fail)?;
        let data = std::fs::read(keystore).map_err(|e| fail(format!("cannot read: {e}")))?;
        let password = read_password(password)?;
        let store = p12_keystore::KeyStore::from_pkcs12(
            &data,
            &password,
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .map_err(|e| fail(format!("not a PKCS#12 keystore this password opens ({e})")))?;
        let chain = store.entries().find_map(|(_, entry)| match entry {
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain) if !chain.certs().is_empty() => {
                Some(chain)
            }
            _ => None,
        });
        let Some(chain) = chain else {
            return Err(fail("no private key with its certificate found".into()));
        };
        let certs: Vec<Certificate<'static>> = chain
            .certs()
            .iter()
            .map(|c| Certificate::from_der(c.as_der()).to_owned())
            .collect();
        let key = pkcs8_key(chain.key().as_der()).map_err(fail)?;
        Ok(ClientIdentity {
            cert: ClientCert::new_with_certs(&certs, key),
            origin: format!("keystore {}", keystore.display()),
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

    /// The certificate chain and the (unencrypted) key as PEM text, for a
    /// TLS library that takes them in memory (librdkafka). The key is a
    /// secret: it must never be written or shown.
    pub fn to_pem(&self) -> (String, String) {
        let encode = |label: &str, der: &[u8]| {
            pkcs8::der::pem::encode_string(label, pkcs8::LineEnding::LF, der).unwrap_or_default()
        };
        let chain = self
            .cert
            .certs()
            .iter()
            .map(|c| encode("CERTIFICATE", c.der()))
            .collect();
        let key = self.cert.private_key();
        // The kind's type is not exported by ureq; its name is.
        let label = match format!("{:?}", key.kind()).as_str() {
            "Pkcs1" => "RSA PRIVATE KEY",
            "Sec1" => "EC PRIVATE KEY",
            _ => "PRIVATE KEY",
        };
        (chain, encode(label, key.der()))
    }
}

/// The file only: the key is a secret.
impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.origin)
    }
}

/// The password on the first line of the protected file `path`.
fn read_password(path: &Path) -> Result<String, IdentityError> {
    let fail = |why: String| IdentityError {
        path: path.to_path_buf(),
        why,
    };
    check_private(path, "a password").map_err(fail)?;
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    Ok(text.lines().next().unwrap_or_default().to_string())
}

/// Decrypts a PEM `ENCRYPTED PRIVATE KEY` (PKCS#8) with `password`.
fn decrypt_pem_key(pem: &[u8], password: &str) -> Result<PrivateKey<'static>, String> {
    let text = std::str::from_utf8(pem).map_err(|_| "not a PEM file".to_string())?;
    let (label, document) = pkcs8::Document::from_pem(text)
        .map_err(|e| format!("not a PEM encrypted private key ({e})"))?;
    if label != "ENCRYPTED PRIVATE KEY" {
        return Err(format!(
            "a {label} block; allowed: an unencrypted key, or a PKCS#8 ENCRYPTED PRIVATE KEY \
             (openssl pkcs8 -topk8 -in old.key -out client.key)"
        ));
    }
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(document.as_bytes())
        .map_err(|e| format!("not a PKCS#8 encrypted key ({e})"))?;
    let der = info
        .decrypt(password)
        .map_err(|_| "the password does not decrypt the key".to_string())?;
    pkcs8_key(der.as_bytes())
}

/// A PKCS#8 DER private key as the TLS client takes it.
fn pkcs8_key(der: &[u8]) -> Result<PrivateKey<'static>, String> {
    let pem = pkcs8::der::pem::encode_string("PRIVATE KEY", pkcs8::LineEnding::LF, der)
        .map_err(|e| format!("cannot read the key ({e})"))?;
    PrivateKey::from_pem(pem.as_bytes()).map_err(|e| format!("cannot read the key ({e})"))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn openssl(args: &[&str]) {
        let status = std::process::Command::new("openssl")
            .args(args)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(status.success(), "openssl {args:?}");
    }

    #[test]
    fn an_encrypted_key_and_a_pkcs12_keystore_open_with_their_password_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = |name: &str| dir.path().join(name).display().to_string();
        let certified = rcgen::generate_simple_self_signed(vec!["client".into()]).expect("cert");
        std::fs::write(path("client.pem"), certified.cert.pem()).expect("write");
        std::fs::write(path("plain.key"), certified.signing_key.serialize_pem()).expect("write");
        std::fs::write(path("pass"), "s3cret pass\n").expect("write");
        std::fs::write(path("wrong"), "nope\n").expect("write");
        openssl(&[
            "pkcs8",
            "-topk8",
            "-in",
            &path("plain.key"),
            "-out",
            &path("enc.key"),
            "-passout",
            &format!("file:{}", path("pass")),
        ]);
        openssl(&[
            "pkcs12",
            "-export",
            "-in",
            &path("client.pem"),
            "-inkey",
            &path("plain.key"),
            "-out",
            &path("client.p12"),
            "-passout",
            &format!("file:{}", path("pass")),
        ]);
        for name in ["enc.key", "client.p12", "pass", "wrong"] {
            std::fs::set_permissions(path(name), std::fs::Permissions::from_mode(0o600))
                .expect("chmod");
        }
        let (cert, enc, p12) = (
            dir.path().join("client.pem"),
            dir.path().join("enc.key"),
            dir.path().join("client.p12"),
        );
        let (pass, wrong) = (dir.path().join("pass"), dir.path().join("wrong"));
        assert!(ClientIdentity::from_pem_files(&cert, &enc, Some(&pass)).is_ok());
        let err = ClientIdentity::from_pem_files(&cert, &enc, Some(&wrong))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the password does not decrypt the key"),
            "{err}"
        );
        assert!(!err.contains("nope"), "{err}");
        let identity = ClientIdentity::from_pkcs12(&p12, &pass).expect("keystore opens");
        assert!(identity.origin().contains("client.p12"));
        let err = ClientIdentity::from_pkcs12(&p12, &wrong)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not a PKCS#12 keystore this password opens"),
            "{err}"
        );
        std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = ClientIdentity::from_pkcs12(&p12, &pass)
            .unwrap_err()
            .to_string();
        assert!(err.contains("mode 0644") && err.contains("pass"), "{err}");
    }

    #[test]
    fn a_key_others_can_read_or_an_encrypted_key_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let certified = rcgen::generate_simple_self_signed(vec!["client".into()]).expect("cert");
        let cert = dir.path().join("client.pem");
        let key = dir.path().join("client.key");
        std::fs::write(&cert, certified.cert.pem()).expect("write");
        std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = ClientIdentity::from_pem_files(&cert, &key, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mode 0644") && err.contains("client.key"),
            "{err}"
        );
        assert!(!err.contains("PRIVATE KEY-----\n"), "{err}");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let identity = ClientIdentity::from_pem_files(&cert, &key, None).expect("valid");
        assert!(format!("{identity:?}").contains("client.pem"));
        std::fs::write(&key, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n").expect("write");
        let err = ClientIdentity::from_pem_files(&cert, &key, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("_KEY_PASSWORD_FILE"), "{err}");
        let err = ClientIdentity::from_pem_files(&key, &key, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no certificate found"), "{err}");
    }
}

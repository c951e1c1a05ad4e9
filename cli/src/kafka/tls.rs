//! The TLS side of a Kafka client as librdkafka settings: which roots it
//! trusts and which certificate it presents, all handed over in memory.

use std::path::PathBuf;

use rdkafka::ClientConfig;

use crate::http::TrustRoots;
use crate::ship::ClientCertFiles;

/// Whether a client speaks TLS, what it trusts and what it presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaTls {
    /// `security.protocol=ssl`: any TLS key is given, or a broker is not
    /// on loopback.
    pub enabled: bool,
    /// The CA file (PEM, or a PKCS#12 truststore); the system roots without.
    pub ca_file: Option<PathBuf>,
    /// The client certificate.
    pub client_cert: Option<ClientCertFiles>,
}

impl KafkaTls {
    /// Adds the TLS settings to `config`, reading the files (their modes
    /// checked); the error names the file at fault.
    pub fn apply(&self, config: &mut ClientConfig) -> anyhow::Result<()> {
        if !self.enabled {
            config.set("security.protocol", "plaintext");
            return Ok(());
        }
        let roots = match &self.ca_file {
            Some(path) => TrustRoots::from_ca_file(path)?,
            None => TrustRoots::system()?,
        };
        config
            .set("security.protocol", "ssl")
            .set("ssl.ca.pem", roots.to_pem())
            .set("ssl.endpoint.identification.algorithm", "https");
        if let Some(files) = &self.client_cert {
            let (chain, key) = files.load()?.to_pem();
            config
                .set("ssl.certificate.pem", chain)
                .set("ssl.key.pem", key);
        }
        Ok(())
    }

    /// What a refused handshake may be about: the client certificate
    /// presented, by its file, or that none was.
    pub fn presented(&self) -> String {
        match &self.client_cert {
            Some(ClientCertFiles::Pem { cert, .. }) => {
                format!("the client certificate presented was {}", cert.display())
            }
            Some(ClientCertFiles::Pkcs12 { keystore, .. }) => {
                format!(
                    "the client certificate presented was from {}",
                    keystore.display()
                )
            }
            None => "no client certificate was presented (a broker that requires one needs a \
                     certificate and its key, or a keystore)"
                .to_string(),
        }
    }

    /// The roots, for messages.
    pub fn trusted(&self) -> String {
        match &self.ca_file {
            Some(path) => format!("trusting the CA file {}", path.display()),
            None => "trusting the system roots".to_string(),
        }
    }
}

//! The flags and environment of `logward receive`, checked into a request
//! before anything starts.
//!
//! ExtraHop's `ml_api_logger` environment works unchanged: `LOGGER_CERT`
//! (the certificate, or key, certificate and CA in one PEM file),
//! `LOGGER_KEY`, `LOGGER_IP` (default `0.0.0.0`) and `LOGGER_PORT`
//! (default 8443). Flags win over them.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Body limit by default: 8 MiB as sent (and 8 times that decompressed).
pub const DEFAULT_MAX_BODY: usize = 8 << 20;
/// Port when neither `--listen` nor `LOGGER_PORT` says.
pub const DEFAULT_PORT: u16 = 8443;
/// Seconds a client has to send a request's headers, or its body.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// The flags as given.
#[derive(Debug, Default, Clone)]
pub struct RawReceiveArgs {
    /// `--listen ADDR:PORT`.
    pub listen: Option<String>,
    /// `--cert PATH`.
    pub cert: Option<PathBuf>,
    /// `--key PATH`.
    pub key: Option<PathBuf>,
    /// `--client-ca PATH`.
    pub client_ca: Option<PathBuf>,
    /// `--token-file PATH`.
    pub token_file: Option<PathBuf>,
    /// `--stdout`.
    pub stdout: bool,
    /// `--state-dir DIR`.
    pub state_dir: Option<PathBuf>,
    /// `--max-body BYTES`.
    pub max_body: Option<usize>,
    /// `--dedupe-window IDS`.
    pub dedupe_window: Option<usize>,
    /// `--timeout SECS`.
    pub timeout: Option<u64>,
    /// `--config PATH` (global).
    pub config: Option<PathBuf>,
}

/// A checked request.
#[derive(Debug, Clone)]
pub struct ReceiveRequest {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The certificate (chain) file; may hold the key and CA too.
    pub cert: PathBuf,
    /// The key file; `None`: the key is in `cert`.
    pub key: Option<PathBuf>,
    /// Client certificates must be signed by this CA (mutual TLS).
    pub client_ca: Option<PathBuf>,
    /// Bearer token file (mode 0600 or 0400).
    pub token_file: Option<PathBuf>,
    /// Write every value to stdout instead of through the routing.
    pub stdout: bool,
    /// The state directory (the id index is in `receive/` below it).
    pub state_dir: PathBuf,
    /// The body limit.
    pub max_body: usize,
    /// Ids the index remembers at least.
    pub dedupe_window: usize,
    /// Time for a request's headers, or its body.
    pub timeout: Duration,
    /// The configuration file.
    pub config: Option<PathBuf>,
}

/// A command line that makes no sense.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ReceiveUsageError(pub String);

impl RawReceiveArgs {
    /// Checks the flags against each other, with `env` for `LOGGER_*`.
    pub fn check(
        self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ReceiveRequest, ReceiveUsageError> {
        let usage = |m: String| Err(ReceiveUsageError(m));
        if self.stdout {
            for (set, flag) in [
                (self.config.is_some(), "--config"),
                (self.state_dir.is_some(), "--state-dir"),
                (self.dedupe_window.is_some(), "--dedupe-window"),
            ] {
                if set {
                    return usage(format!(
                        "{flag} cannot be used with --stdout: --stdout writes what it receives to stdout, without routing, validation or de-duplication"
                    ));
                }
            }
        }
        let Some(cert) = self.cert.or_else(|| env("LOGGER_CERT").map(PathBuf::from)) else {
            return usage(
                "a certificate is required: --cert PATH or LOGGER_CERT (a PEM file; it may also hold the key)"
                    .into(),
            );
        };
        let key = self.key.or_else(|| env("LOGGER_KEY").map(PathBuf::from));
        let listen = match self.listen {
            Some(text) => text.parse::<SocketAddr>().map_err(|_| {
                ReceiveUsageError(format!(
                    "--listen {text:?} is not an address and port, like 0.0.0.0:8443 or [::]:8443"
                ))
            })?,
            None => {
                let ip = match env("LOGGER_IP") {
                    Some(ip) => ip.parse::<IpAddr>().map_err(|_| {
                        ReceiveUsageError(format!("LOGGER_IP {ip:?} is not an IP address"))
                    })?,
                    None => IpAddr::from([0, 0, 0, 0]),
                };
                let port = match env("LOGGER_PORT") {
                    Some(p) => p.parse::<u16>().ok().filter(|&p| p > 0).ok_or_else(|| {
                        ReceiveUsageError(format!("LOGGER_PORT {p:?} is not a port (1 to 65535)"))
                    })?,
                    None => DEFAULT_PORT,
                };
                SocketAddr::new(ip, port)
            }
        };
        let max_body = self.max_body.unwrap_or(DEFAULT_MAX_BODY);
        if max_body == 0 {
            return usage("--max-body must be at least 1 byte".into());
        }
        let dedupe_window = self.dedupe_window.unwrap_or(super::dedupe::DEFAULT_WINDOW);
        if dedupe_window == 0 {
            return usage("--dedupe-window must be at least 1 id".into());
        }
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS);
        if timeout == 0 {
            return usage("--timeout must be at least 1 second".into());
        }
        Ok(ReceiveRequest {
            listen,
            cert,
            key,
            client_ca: self.client_ca,
            token_file: self.token_file,
            stdout: self.stdout,
            state_dir: crate::state_dir(self.state_dir.as_deref()),
            max_body,
            dedupe_window,
            timeout: Duration::from_secs(timeout),
            config: self.config,
        })
    }
}

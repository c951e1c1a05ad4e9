//! `logward receive` as a real process on loopback, with real TLS clients:
//! certificates made with `rcgen` (a CA, the collector's certificate, a
//! client certificate of that CA and one of another CA), `ureq` as the
//! client, and the files of the collector's routing read back.

mod answers;
mod end_to_end;
mod exactly_once;
mod ml_api_logger;
mod properties;
mod status_page;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use serde_json::{Map, Value};

/// The certificates of one test, as PEM files in its directory.
pub struct Pki {
    /// The CA of the collector and of the good client.
    pub ca: PathBuf,
    /// The collector's certificate, key and CA in one file.
    pub combined: PathBuf,
    /// The collector's certificate alone.
    pub cert: PathBuf,
    /// Its key alone.
    pub key: PathBuf,
    /// A client certificate and key of `ca`.
    pub client: (String, String),
    /// A client certificate and key of another CA.
    pub stranger: (String, String),
}

/// Names differ between the CA and its certificates (rcgen gives each the
/// same default name), so that OpenSSL's `curl` does not take a
/// certificate for self-signed.
fn ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "logward test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("CA key")).expect("CA")
}

fn leaf(ca: &CertifiedIssuer<'static, KeyPair>, names: &[&str]) -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let names: Vec<String> = names.iter().map(ToString::to_string).collect();
    let mut params = CertificateParams::new(names).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names_first(&params));
    let cert = params.signed_by(&key, ca).expect("certificate");
    (cert.pem(), key.serialize_pem())
}

fn names_first(params: &CertificateParams) -> String {
    match params.subject_alt_names.first() {
        Some(rcgen::SanType::DnsName(name)) => name.to_string(),
        _ => "logward test".to_string(),
    }
}

impl Pki {
    /// Makes the certificates in `dir`.
    pub fn new(dir: &Path) -> Pki {
        let ca = ca();
        let (cert, key) = leaf(&ca, &["localhost", "127.0.0.1"]);
        let client = leaf(&ca, &["origin"]);
        let stranger = leaf(&self::ca(), &["stranger"]);
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write PEM");
            path
        };
        Pki {
            ca: write("ca.pem", &ca.pem()),
            combined: write("trusted-server.pem", &format!("{key}{cert}{}", ca.pem())),
            cert: write("server.pem", &cert),
            key: write("server.key", &key),
            client,
            stranger,
        }
    }

    /// A client trusting the CA, with the client certificate `identity`.
    pub fn agent(&self, identity: Option<&(String, String)>) -> ureq::Agent {
        agent(&self.ca, identity)
    }
}

/// A client trusting `ca`, with the client certificate `identity`.
pub fn agent(ca: &Path, identity: Option<&(String, String)>) -> ureq::Agent {
    use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
    let pem = std::fs::read(ca).expect("CA");
    let roots: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|i| match i {
            Ok(PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    let mut tls = TlsConfig::builder().root_certs(RootCerts::Specific(Arc::new(roots)));
    if let Some((cert, key)) = identity {
        let chain: Vec<Certificate<'static>> = ureq::tls::parse_pem(cert.as_bytes())
            .filter_map(|i| match i {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        let key = PrivateKey::from_pem(key.as_bytes()).expect("client key");
        tls = tls.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    ureq::Agent::config_builder()
        .tls_config(tls.build())
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .new_agent()
}

/// A running collector.
pub struct Collector {
    child: Child,
    /// `https://127.0.0.1:PORT`.
    pub url: String,
}

impl Collector {
    /// Starts `logward receive` with `args` (and `env`), waiting until it
    /// listens.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Collector {
        Self::start_with(args, env, Stdio::null())
    }

    /// [`Collector::start`] with its stdout going to `stdout`.
    pub fn start_with(args: &[&str], env: &[(&str, &str)], stdout: Stdio) -> Collector {
        let mut command = Command::new(env!("CARGO_BIN_EXE_logward"));
        command
            .arg("receive")
            .args(args)
            .env_remove("LOGWARD_CONFIG")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("logward receive starts");
        let stderr = child.stderr.take().expect("stderr");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(url) = line.strip_prefix("logward receive: listening on ") {
                        let _ = tx.send(url.to_string());
                    }
                    lines.lock().expect("lines").push(line);
                }
            });
        }
        let Ok(url) = rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the collector did not start: {:?}",
                lines.lock().expect("lines")
            );
        };
        let url = url.replace("0.0.0.0", "127.0.0.1");
        Collector { child, url }
    }

    /// SIGKILL, and wait for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether it still runs.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_none()
    }

    /// SIGTERM, and its exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        self.child.wait().expect("wait")
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Posts `body` to `url` with `headers`: the status and the answer's body.
pub fn post(
    agent: &ureq::Agent,
    url: &str,
    body: &[u8],
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut request = agent.post(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    match request.send(body) {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let text = response.body_mut().read_to_string().unwrap_or_default();
            (status, text)
        }
        Err(e) => (0, e.to_string()),
    }
}

/// A valid record of `host` whose id is made from `host_n` and `n`.
pub fn record(host: &str, host_n: u32, n: u64, log_type: &str) -> String {
    format!(
        r#"{{"id":"{host_n:08x}-0000-4000-8000-{n:012x}","created_at":"2026-11-22T04:30:00.{micros:06}Z","hostname":"{host}","level":"info","log_type":"{log_type}","pid":4242,"message":"record {n}"}}"#,
        micros = n % 1_000_000
    )
}

/// The collector's configuration in `dir`: every type to `logs/all.log`,
/// audit to `logs/audit.log`, foreign values to `logs/raw.log`.
pub fn config(dir: &Path, extra: &str) -> PathBuf {
    let logs = dir.join("logs");
    let path = dir.join("config");
    std::fs::write(
        &path,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_FILE_AUDIT={}\nRECEIVE_RAW_FILE={}\n{extra}",
            logs.join("all.log").display(),
            logs.join("audit.log").display(),
            logs.join("raw.log").display()
        ),
    )
    .expect("write the configuration");
    path
}

/// The JSON lines of `path` (none when it does not exist).
pub fn lines(path: &Path) -> Vec<Map<String, Value>> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// `path`'s bytes (none when it does not exist).
pub fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

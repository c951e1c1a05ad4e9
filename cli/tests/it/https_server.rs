//! A real HTTPS server on loopback for the tests: a CA and a server
//! certificate for `127.0.0.1`/`localhost` made with `rcgen`, rustls on a
//! `TcpListener`, a thread per connection, HTTP/1.1 read by hand. Every request is kept
//! (method, path, headers, body) and answered by the test's function.
//! Dropping the server stops its thread. [`HttpsServer::start_mutual`]
//! also requires a client certificate signed by the same CA, and writes one
//! (`client.pem`, `client.key` of mode 0600) for the client.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The value of header `name` (any case), if sent once or more.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server answers.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Wait this long before answering (to make the client time out).
    pub delay: Duration,
    /// Close the connection instead of answering.
    pub reset: bool,
}

impl Reply {
    pub fn status(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.to_string(),
            delay: Duration::ZERO,
            reset: false,
        }
    }

    /// No answer: the connection is closed.
    pub fn reset() -> Reply {
        Reply {
            reset: true,
            ..Reply::status(500, "")
        }
    }
}

type Answer = dyn Fn(usize, &Request) -> Reply + Send + Sync;

/// The running server.
pub struct HttpsServer {
    pub addr: SocketAddr,
    /// A PEM file with the CA that signed the server's certificate.
    pub ca_file: PathBuf,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpsServer {
    /// Starts a server whose CA file is written into `dir`; `answer` gets
    /// the request's index (from 0) and the request.
    pub fn start(
        dir: &Path,
        answer: impl Fn(usize, &Request) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::start_with(dir, false, answer)
    }

    /// [`HttpsServer::start`], refusing clients without a certificate of
    /// its CA; writes `dir/client.pem` and `dir/client.key` for the client.
    pub fn start_mutual(
        dir: &Path,
        answer: impl Fn(usize, &Request) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::start_with(dir, true, answer)
    }

    fn start_with(
        dir: &Path,
        mutual: bool,
        answer: impl Fn(usize, &Request) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
        let key = KeyPair::generate().expect("server key");
        let params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("server params");
        let cert = params.signed_by(&key, &ca).expect("server certificate");
        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, ca.pem()).expect("CA file written");

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .expect("protocol versions");
        let builder = if mutual {
            let client_key = KeyPair::generate().expect("client key");
            let client = CertificateParams::new(vec!["logward-client".to_string()])
                .expect("client params")
                .signed_by(&client_key, &ca)
                .expect("client certificate");
            std::fs::write(dir.join("client.pem"), client.pem()).expect("client cert written");
            let key_file = dir.join("client.key");
            std::fs::write(&key_file, client_key.serialize_pem()).expect("client key written");
            std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600))
                .expect("chmod");
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(CertificateDer::from(ca.der().to_vec()))
                .expect("CA root");
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let config = builder
            .with_single_cert(
                vec![CertificateDer::from(cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .expect("server config");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let answer: Arc<Answer> = Arc::new(answer);
        let thread = {
            let (requests, stop) = (Arc::clone(&requests), Arc::clone(&stop));
            std::thread::spawn(move || {
                // Bounded: the test drops the server, or five minutes pass.
                let end = Instant::now() + Duration::from_secs(300);
                while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                    match listener.accept() {
                        Ok((tcp, _)) => {
                            let (config, requests, answer) = (
                                Arc::clone(&config),
                                Arc::clone(&requests),
                                Arc::clone(&answer),
                            );
                            std::thread::spawn(move || serve(tcp, &config, &requests, &*answer));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        HttpsServer {
            addr,
            ca_file,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// `https://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.addr.port())
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("requests").clone()
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves the requests of one connection (keep-alive) until it closes.
fn serve(
    tcp: TcpStream,
    config: &Arc<rustls::ServerConfig>,
    requests: &Mutex<Vec<Request>>,
    answer: &Answer,
) {
    tcp.set_nonblocking(false).expect("blocking");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let conn = rustls::ServerConnection::new(Arc::clone(config)).expect("TLS connection");
    let mut tls = BufReader::new(rustls::StreamOwned::new(conn, tcp));
    loop {
        let Some(request) = read_request(&mut tls) else {
            return;
        };
        let index = {
            let mut all = requests.lock().expect("requests");
            all.push(request.clone());
            all.len() - 1
        };
        let reply = answer(index, &request);
        std::thread::sleep(reply.delay);
        if reply.reset {
            return;
        }
        let mut head = format!(
            "HTTP/1.1 {} Test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            reply.status,
            reply.body.len()
        );
        for (name, value) in &reply.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let stream = tls.get_mut();
        if stream.write_all(head.as_bytes()).is_err()
            || stream.write_all(reply.body.as_bytes()).is_err()
            || stream.flush().is_err()
        {
            return;
        }
    }
}

fn read_request(tls: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if tls.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        tls.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    tls.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

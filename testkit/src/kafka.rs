//! A real Kafka-protocol broker on loopback for the tests: `tansu` (a
//! broker speaking the Kafka protocol, storing in an SQLite file of the
//! test's directory), and for mutual TLS
//! Debian's `stunnel` in front of it, requiring and verifying a client
//! certificate.
//!
//! ```text
//! client ──TLS──▶ stunnel 127.0.0.1:TLS ──▶ tansu 127.0.0.1:PLAIN (advertising TLS)
//! ```
//!
//! Each test starts its own broker on free ports and stops it when the
//! [`Broker`] is dropped. [`Broker::close_tls`] stops stunnel (the TLS
//! port refuses connections, as a broker that went away) and
//! [`Broker::open_tls`] starts it again on the same port. A missing
//! `tansu` or `stunnel` fails the test saying how to install it (`bash
//! .ci/test` installs both).
//!
//! The storage is SQLite, not tansu's in-memory store: tansu 0.6.0's
//! in-memory store answers a fetch only from the start of a record batch,
//! so a consumer group member resuming from an offset committed inside one
//! (after a rebalance) would get nothing; its SQLite store fetches by
//! record offset, as Apache Kafka does.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where `tansu` is: `$LOGWARD_TEST_TANSU`, else where `.ci/install-kafka`
/// puts it (`~/.cargo/tansu-0.6.0/bin/tansu`, built with its SQLite store).
pub fn tansu() -> PathBuf {
    if let Some(path) = std::env::var_os("LOGWARD_TEST_TANSU") {
        return PathBuf::from(path);
    }
    std::env::var_os("HOME")
        .map(|home| Path::new(&home).join(".cargo/tansu-0.6.0/bin/tansu"))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the Kafka tests need the broker `tansu` built with its SQLite store and it is \
                 not installed: run `bash .ci/test` (it installs what the tests need), or \
                 `cargo install tansu --version 0.6.0 --locked --features dynostore,libsql \
                 --root ~/.cargo/tansu-0.6.0`"
            )
        })
}

/// Where `stunnel` is.
fn stunnel() -> &'static str {
    for name in ["/usr/bin/stunnel4", "/usr/bin/stunnel"] {
        if Path::new(name).is_file() {
            return name;
        }
    }
    panic!(
        "the Kafka TLS tests need `stunnel` and it is not installed: run `bash .ci/test`, or \
         `apt-get install stunnel4`"
    )
}

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The broker's certificate, key and the CA its clients must be signed by.
#[derive(Debug, Clone)]
pub struct BrokerTls {
    /// The broker's PEM certificate (for `localhost` and `127.0.0.1`).
    pub cert: PathBuf,
    /// Its PEM key.
    pub key: PathBuf,
    /// The CA that signs the client certificates accepted.
    pub client_ca: PathBuf,
}

/// A running broker; dropping it stops it.
pub struct Broker {
    dir: PathBuf,
    tansu: Child,
    stunnel: Option<Child>,
    tls: Option<BrokerTls>,
    /// The port of tansu itself (plaintext, behind stunnel with TLS).
    pub plain_port: u16,
    /// The TLS port of stunnel, with TLS.
    pub tls_port: Option<u16>,
}

impl Broker {
    /// A plaintext broker on a free loopback port; `dir` holds its logs.
    pub fn plain(dir: &Path) -> Broker {
        let port = free_port();
        let tansu = start_tansu(dir, port, port);
        Broker {
            dir: dir.to_path_buf(),
            tansu,
            stunnel: None,
            tls: None,
            plain_port: port,
            tls_port: None,
        }
    }

    /// A broker reached only through mutual TLS on [`Broker::tls_port`].
    pub fn mutual_tls(dir: &Path, tls: BrokerTls) -> Broker {
        let plain = free_port();
        let tls_port = free_port();
        let tansu = start_tansu(dir, plain, tls_port);
        let mut broker = Broker {
            dir: dir.to_path_buf(),
            tansu,
            stunnel: None,
            tls: Some(tls),
            plain_port: plain,
            tls_port: Some(tls_port),
        };
        broker.open_tls();
        broker
    }

    /// `host:port` clients bootstrap from (the TLS port when there is one).
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.tls_port.unwrap_or(self.plain_port))
    }

    /// Creates `topic` with `partitions` partitions.
    pub fn create_topic(&self, topic: &str, partitions: u32) {
        let out = Command::new(tansu())
            .args(["topic", "create", "--broker"])
            .arg(format!("tcp://127.0.0.1:{}", self.plain_port))
            .arg("--partitions")
            .arg(partitions.to_string())
            .arg(topic)
            .stdin(Stdio::null())
            .output()
            .expect("tansu topic create runs");
        assert!(
            out.status.success(),
            "tansu topic create {topic}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stops stunnel: the TLS port refuses connections until
    /// [`Broker::open_tls`].
    pub fn close_tls(&mut self) {
        if let Some(mut child) = self.stunnel.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts stunnel on the TLS port (again) and waits until it listens.
    pub fn open_tls(&mut self) {
        let (Some(tls), Some(port)) = (&self.tls, self.tls_port) else {
            panic!("a plaintext broker has no TLS port")
        };
        let conf = self.dir.join("stunnel.conf");
        std::fs::write(
            &conf,
            format!(
                "foreground = yes\npid =\noutput = {log}\ndebug = 4\n\n[kafka]\n\
                 accept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{plain}\ncert = {cert}\n\
                 key = {key}\nCAfile = {ca}\nverifyChain = yes\nrequireCert = yes\n\
                 sslVersionMin = TLSv1.2\n",
                log = self.dir.join("stunnel.log").display(),
                plain = self.plain_port,
                cert = tls.cert.display(),
                key = tls.key.display(),
                ca = tls.client_ca.display(),
            ),
        )
        .expect("stunnel configuration written");
        let child = Command::new(stunnel())
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("stunnel starts");
        self.stunnel = Some(child);
        wait_listening(port, "stunnel");
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.close_tls();
        let _ = self.tansu.kill();
        let _ = self.tansu.wait();
    }
}

fn start_tansu(dir: &Path, listen: u16, advertise: u16) -> Child {
    let log_path = dir.join(format!("tansu-{listen}.log"));
    let log = std::fs::File::create(&log_path).expect("tansu log");
    let mut child = Command::new(tansu())
        .arg("broker")
        .arg("--listener-url")
        .arg(format!("tcp://127.0.0.1:{listen}"))
        .arg("--advertised-listener-url")
        .arg(format!("tcp://127.0.0.1:{advertise}"))
        .arg("--storage-engine")
        // tansu takes the path relative to its working directory.
        .arg(format!("sqlite:///tansu-{listen}.db"))
        .current_dir(dir)
        .arg("--silent")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("tansu starts");
    let end = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", listen)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "tansu exited ({status}) before listening: {}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < end,
            "tansu does not listen on 127.0.0.1:{listen}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn wait_listening(port: u16, what: &str) {
    let end = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < end,
            "{what} does not listen on 127.0.0.1:{port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

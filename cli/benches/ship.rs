//! `logward ship` against `systemd-journal-upload` → `systemd-journal-remote`,
//! both over HTTPS on loopback, shipping the same number of records in the
//! same run; prints a table.
//!
//! ```sh
//! apt-get install -y systemd-journal-remote
//! BENCH_SHIP_RECORDS=200000 BENCH_SHIP_ROUNDS=3 cargo bench -p logward-cli --bench ship
//! ```
//!
//! - Data: `BENCH_SHIP_RECORDS` web records (default 200,000, about 240 bytes
//!   each) written by the runtime into one file; the same records as a
//!   journal export file (`MESSAGE` the record, plus `PRIORITY`,
//!   `SYSLOG_IDENTIFIER`, `LOG_TYPE`) for the peer.
//! - logward: `logward ship --once` (release build) from the file to a TLS
//!   receiver in this process (rustls, HTTP/1.1 keep-alive, answers 200
//!   after reading each body), batches of 1,000, without and with gzip.
//! - Peer: `systemd-journal-upload --trust=ca.pem FILE` to
//!   `systemd-journal-remote --listen-https`, which writes a journal.
//! - Each shipper is its own process; its CPU (user + system) comes from
//!   `wait4`. Every round checks that the receiver got every record. The
//!   median round is reported.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use logward::{Level, LogType, Logward};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;

struct Run {
    elapsed: Duration,
    cpu: Duration,
}

fn main() {
    let records: u64 = env_number("BENCH_SHIP_RECORDS", 200_000);
    let rounds = env_number("BENCH_SHIP_ROUNDS", 3) as usize;
    let dir = tempfile::tempdir().expect("tempdir");
    let tls = Tls::make(dir.path());
    let log = dir.path().join("app.log");
    write_records(dir.path(), &log, records);
    let export = dir.path().join("records.export");
    write_export_file(&log, &export);

    let receiver = Receiver::start(&tls);
    let mut cases: Vec<(&str, Vec<Run>)> = vec![
        ("logward ship", vec![]),
        ("logward ship, gzip", vec![]),
        ("journal-upload", vec![]),
    ];
    for round in 0..rounds {
        for (name, runs) in &mut cases {
            let run = match *name {
                "journal-upload" => journal_upload(dir.path(), &tls, &export, records),
                gzip => ship(
                    dir.path(),
                    &tls,
                    &log,
                    &receiver,
                    records,
                    gzip.ends_with("gzip"),
                ),
            };
            eprintln!("round {round}: {name}: {:.2} s", run.elapsed.as_secs_f64());
            runs.push(run);
        }
    }
    println!("\n{records} records, median of {rounds} rounds\n");
    println!("| shipper → receiver | seconds | records/s | shipper CPU s | CPU µs/record |");
    println!("|---|---:|---:|---:|---:|");
    let mut rates = Vec::new();
    for (name, runs) in &mut cases {
        runs.sort_by_key(|r| r.elapsed);
        let median = &runs[runs.len() / 2];
        let rate = records as f64 / median.elapsed.as_secs_f64();
        rates.push(rate);
        let label = match *name {
            "journal-upload" => "systemd-journal-upload → systemd-journal-remote",
            "logward ship" => "logward ship → TLS receiver",
            _ => "logward ship (gzip) → TLS receiver",
        };
        println!(
            "| {label} | {:.2} | {:.0} | {:.2} | {:.2} |",
            median.elapsed.as_secs_f64(),
            rate,
            median.cpu.as_secs_f64(),
            median.cpu.as_secs_f64() * 1e6 / records as f64
        );
    }
    println!(
        "\nlogward ship / journal-upload: {:.2}x the records/s (gzip: {:.2}x)",
        rates[0] / rates[2],
        rates[1] / rates[2]
    );
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The records, written by the runtime.
fn write_records(dir: &Path, log: &Path, n: u64) {
    let config = dir.join("writer.conf");
    fs::write(
        &config,
        format!("LOG_LEVEL=info\nLOG_FILE={}\n", log.display()),
    )
    .expect("config");
    let (_layer, guard) = Logward::builder()
        .with_config_path(&config)
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("runtime")
        .into_parts::<tracing_subscriber::Registry>();
    for i in 0..n {
        guard.emit(
            LogType::Web,
            Level::Info,
            &[
                ("method", json!("GET")),
                ("path", json!(format!("/api/v1/orders/{i}"))),
                ("status_code", json!(200 + (i % 5) * 100)),
                ("request_id", json!("8f14e45f-ceea-467e-9f3b-1c7c0e8a9d21")),
            ],
            Some("request served"),
        );
    }
}

/// The records of `log` as a journal export file.
fn write_export_file(log: &Path, export: &Path) {
    let mut out = BufWriter::new(File::create(export).expect("export file"));
    let start = 1_764_000_000_000_000u64;
    let input = BufReader::new(File::open(log).expect("log"));
    for (i, line) in input.lines().enumerate() {
        let line = line.expect("line");
        write!(
            out,
            "__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID=0cc7fa3c921f4a30a7df82cff871210d\n\
             MESSAGE={line}\nPRIORITY=6\nSYSLOG_IDENTIFIER=bench\nLOG_TYPE=web\n\n",
            start + i as u64,
            i + 1
        )
        .expect("write");
    }
    out.flush().expect("flush");
}

/// A CA and a server certificate for 127.0.0.1, as PEM files in `dir`.
struct Tls {
    ca: std::path::PathBuf,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
    config: Arc<rustls::ServerConfig>,
}

impl Tls {
    fn make(dir: &Path) -> Tls {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // OpenSSL (the peer's curl) takes a leaf whose subject equals its
        // issuer's for self-signed: the two need names of their own.
        params
            .distinguished_name
            .push(DnType::CommonName, "logward bench CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(params, ca_key).expect("CA");
        let key = KeyPair::generate().expect("key");
        let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("params");
        leaf.distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        let cert = leaf.signed_by(&key, &ca).expect("cert");
        let paths = (
            dir.join("ca.pem"),
            dir.join("server.pem"),
            dir.join("server.key"),
        );
        fs::write(&paths.0, ca.pem()).expect("ca");
        fs::write(&paths.1, cert.pem()).expect("cert");
        fs::write(&paths.2, key.serialize_pem()).expect("key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("server config");
        Tls {
            ca: paths.0,
            cert: paths.1,
            key: paths.2,
            config: Arc::new(config),
        }
    }
}

/// The TLS receiver for `logward ship`: counts the records it was sent.
struct Receiver {
    port: u16,
    records: Arc<AtomicU64>,
}

impl Receiver {
    fn start(tls: &Tls) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let records = Arc::new(AtomicU64::new(0));
        let (config, counted) = (Arc::clone(&tls.config), Arc::clone(&records));
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, counted) = (Arc::clone(&config), Arc::clone(&counted));
                std::thread::spawn(move || serve(tcp, config, &counted));
            }
        });
        Receiver { port, records }
    }
}

fn serve(tcp: TcpStream, config: Arc<rustls::ServerConfig>, records: &AtomicU64) {
    let conn = rustls::ServerConnection::new(config).expect("tls");
    let mut stream = BufReader::with_capacity(1 << 20, rustls::StreamOwned::new(conn, tcp));
    loop {
        let mut length = 0usize;
        let mut gzip = false;
        let mut line = String::new();
        if stream.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if stream.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end().to_ascii_lowercase();
            if header.is_empty() {
                break;
            }
            if let Some(v) = header.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            gzip |= header == "content-encoding: gzip";
        }
        let mut body = vec![0; length];
        if stream.read_exact(&mut body).is_err() {
            return;
        }
        if gzip {
            let mut raw = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut raw)
                .expect("gzip");
            body = raw;
        }
        records.fetch_add(newlines(&body), Ordering::Relaxed);
        let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        if stream.get_mut().write_all(answer).is_err() || stream.get_mut().flush().is_err() {
            return;
        }
    }
}

fn newlines(body: &[u8]) -> u64 {
    body.iter().filter(|&&b| b == b'\n').count() as u64
}

fn ship(dir: &Path, tls: &Tls, log: &Path, receiver: &Receiver, n: u64, gzip: bool) -> Run {
    let state = tempfile::tempdir_in(dir).expect("state");
    let config = dir.join("ship.conf");
    fs::write(
        &config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_FILE_AUDIT={}\nEXPORT_B_URL=https://127.0.0.1:{}/in\n\
             EXPORT_B_CA_FILE={}\nEXPORT_B_COMPRESS={}\n",
            log.display(),
            dir.join("audit.log").display(),
            receiver.port,
            tls.ca.display(),
            if gzip { "gzip" } else { "none" }
        ),
    )
    .expect("config");
    let before = receiver.records.load(Ordering::Relaxed);
    let mut command = Command::new(env!("CARGO_BIN_EXE_logward"));
    command
        .args(["ship", "--once", "--config"])
        .arg(&config)
        .arg("--state-dir")
        .arg(state.path());
    let run = measure(command);
    assert_eq!(
        receiver.records.load(Ordering::Relaxed) - before,
        n,
        "every record received"
    );
    run
}

fn journal_upload(dir: &Path, tls: &Tls, export: &Path, n: u64) -> Run {
    let out = tempfile::tempdir_in(dir).expect("output dir");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let mut remote = Command::new("/lib/systemd/systemd-journal-remote")
        .arg(format!("--listen-https=127.0.0.1:{port}"))
        .arg(format!("--key={}", tls.key.display()))
        .arg(format!("--cert={}", tls.cert.display()))
        .arg(format!("--output={}/", out.path().display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("systemd-journal-remote runs (apt-get install -y systemd-journal-remote)");
    let end = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "journal-remote did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut command = Command::new("/lib/systemd/systemd-journal-upload");
    command
        .arg(format!("--url=https://127.0.0.1:{port}"))
        .arg(format!("--key={}", tls.key.display()))
        .arg(format!("--cert={}", tls.cert.display()))
        .arg(format!("--trust={}", tls.ca.display()))
        .arg(export);
    let run = measure(command);
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(remote.id().to_string())
        .status();
    remote.wait().expect("journal-remote ends");
    let listed = Command::new("journalctl")
        .arg("-D")
        .arg(out.path())
        .args(["-o", "cat", "--no-pager"])
        .output()
        .expect("journalctl");
    assert_eq!(newlines(&listed.stdout), n, "every entry received");
    run
}

/// Runs `command` to its end: wall time and CPU (user + system).
#[expect(
    clippy::zombie_processes,
    reason = "wait4 reaps the child, which Child::wait cannot do with its rusage"
)]
fn measure(mut command: Command) -> Run {
    let start = Instant::now();
    let errors = tempfile::tempfile().expect("stderr file");
    let child = command
        .stdout(Stdio::null())
        .stderr(errors.try_clone().expect("stderr file"))
        .spawn()
        .expect("the command starts");
    let pid = i32::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child, status and usage point to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = start.elapsed();
    assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let mut said = String::new();
        let mut errors = errors;
        let _ = std::io::Seek::rewind(&mut errors);
        let _ = errors.read_to_string(&mut said);
        panic!("{command:?} failed: status {status}: {said}");
    }
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    Run {
        elapsed,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
    }
}

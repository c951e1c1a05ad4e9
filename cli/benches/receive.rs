//! `logward receive` against `systemd-journal-remote`, in the same run:
//! records per second one collector takes from 1, 2 and 4 concurrent
//! senders over TLS (each batch posted and answered before the next, as a
//! shipper does), the collector's CPU per record, and its peak RSS under a
//! flood of 4 senders. The peer: `systemd-journal-upload` posting the same
//! number of entries (each the same record as `MESSAGE`) from an export
//! file to `systemd-journal-remote` over HTTPS.
//!
//! ```sh
//! apt-get install -y systemd-journal-remote
//! cargo bench -p logward-cli --bench receive              # 200,000 records
//! RECEIVE_BENCH_RECORDS=1000000 cargo bench -p logward-cli --bench receive
//! ```

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

const BATCH: usize = 1_000;
const TICKS_PER_SECOND: f64 = 100.0;

struct Pki {
    ca: std::path::PathBuf,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
}

fn pki(dir: &Path) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "bench CA");
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("CA");
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &ca).expect("certificate");
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    Pki {
        ca: write("ca.pem", ca.pem()),
        cert: write("server.pem", cert.pem()),
        key: write("server.key", key.serialize_pem()),
    }
}

fn record(sender: usize, n: usize) -> String {
    format!(
        r#"{{"id":"{sender:08x}-0000-4000-8000-{n:012x}","created_at":"2026-11-22T04:30:00.{m:06}Z","hostname":"origin-{sender}","level":"info","log_type":"web","pid":4242,"method":"GET","path":"/api/items/{n}","status_code":200}}"#,
        m = n % 1_000_000
    )
}

/// User + system CPU seconds of `pid` so far.
fn cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    ticks as f64 / TICKS_PER_SECOND
}

fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn collector(dir: &Path, pki: &Pki) -> (Child, String) {
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={}\n",
            dir.join("all.log").display()
        ),
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_logward"))
        .args(["receive", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--cert")
        .arg(&pki.cert)
        .arg("--key")
        .arg(&pki.key)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("logward receive");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let url = lines
        .find_map(|l| {
            l.ok()?
                .strip_prefix("logward receive: listening on ")
                .map(String::from)
        })
        .expect("the collector listens");
    std::thread::spawn(move || for _ in lines {});
    (child, format!("{url}/log"))
}

fn agent(ca: &Path) -> ureq::Agent {
    let pem = std::fs::read(ca).expect("CA");
    let roots: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|i| match i {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(roots)))
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .build()
        .new_agent()
}

/// Sends `records` split over `senders` threads; wall seconds.
fn send(url: &str, ca: &Path, senders: usize, records: usize, until: Option<Instant>) -> f64 {
    let started = Instant::now();
    let threads: Vec<_> = (0..senders)
        .map(|s| {
            let (url, ca) = (url.to_string(), ca.to_path_buf());
            std::thread::spawn(move || {
                let agent = agent(&ca);
                let mut n = 0;
                while n < records / senders || until.is_some_and(|u| Instant::now() < u) {
                    let body: String = (n..n + BATCH).map(|i| record(s, i) + "\n").collect();
                    let mut response = agent.post(&url).send(body.as_bytes()).expect("posted");
                    assert_eq!(response.status().as_u16(), 200);
                    let _ = response.body_mut().read_to_string();
                    n += BATCH;
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("sender");
    }
    started.elapsed().as_secs_f64()
}

/// journal-upload → journal-remote over HTTPS: (wall seconds, remote CPU seconds).
fn peer(dir: &Path, pki: &Pki, records: usize) -> Option<(f64, f64)> {
    let remote = Path::new("/lib/systemd/systemd-journal-remote");
    let upload = Path::new("/lib/systemd/systemd-journal-upload");
    if !remote.exists() || !upload.exists() {
        eprintln!(
            "systemd-journal-remote is not installed: apt-get install -y systemd-journal-remote"
        );
        return None;
    }
    let export = dir.join("entries.export");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&export).ok()?);
    for n in 0..records {
        let usec = 1_795_321_800_000_000u64 + n as u64;
        write!(
            out,
            "__CURSOR=s=0;i={n}\n__REALTIME_TIMESTAMP={usec}\n__MONOTONIC_TIMESTAMP={n}\n_BOOT_ID=0123456789abcdef0123456789abcdef\nPRIORITY=6\nSYSLOG_IDENTIFIER=bench\nMESSAGE={}\n\n",
            record(0, n)
        )
        .ok()?;
    }
    out.flush().ok()?;
    drop(out);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let output = dir.join("remote");
    std::fs::create_dir_all(&output).ok()?;
    let mut server = Command::new(remote)
        .arg(format!("--listen-https=127.0.0.1:{port}"))
        .arg(format!("--key={}", pki.key.display()))
        .arg(format!("--cert={}", pki.cert.display()))
        .arg(format!("--output={}/", output.display()))
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let status = Command::new(upload)
        .arg(format!("--url=https://127.0.0.1:{port}"))
        .arg(format!("--trust={}", pki.ca.display()))
        .arg(format!("--key={}", pki.key.display()))
        .arg(format!("--cert={}", pki.cert.display()))
        .arg(&export)
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let wall = started.elapsed().as_secs_f64();
    let cpu_s = cpu(server.id());
    let _ = server.kill();
    let _ = server.wait();
    status.success().then_some((wall, cpu_s))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let records: usize = std::env::var("RECEIVE_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = pki(dir.path());
    println!("| receiver | senders | records | records/s | receiver CPU µs/record |");
    println!("|---|--:|--:|--:|--:|");
    for senders in [1, 2, 4] {
        let run = tempfile::tempdir().expect("run dir");
        let (mut child, url) = collector(run.path(), &pki);
        let before = cpu(child.id());
        let wall = send(&url, &pki.ca, senders, records, None);
        let used = cpu(child.id()) - before;
        let _ = child.kill();
        let _ = child.wait();
        println!(
            "| logward receive | {senders} | {records} | {:.0} | {:.1} |",
            records as f64 / wall,
            used * 1e6 / records as f64
        );
    }
    if let Some((wall, used)) = peer(dir.path(), &pki, records) {
        println!(
            "| systemd-journal-upload → systemd-journal-remote | 1 | {records} | {:.0} | {:.1} |",
            records as f64 / wall,
            used * 1e6 / records as f64
        );
    }
    let run = tempfile::tempdir().expect("run dir");
    let (mut child, url) = collector(run.path(), &pki);
    send(
        &url,
        &pki.ca,
        4,
        0,
        Some(Instant::now() + Duration::from_secs(5)),
    );
    println!(
        "\npeak RSS of logward receive under a 5 s flood of 4 senders: {:.1} MiB",
        peak_rss_mib(child.id())
    );
    let _ = child.kill();
    let _ = child.wait();
}

//! Each answer of `POST /log` with its status code, through a real
//! collector over mutual TLS: 200 after the batch is written byte for byte,
//! a batch sent again acknowledged without being written, and every
//! refusal (400, 401, 403, 408, 413, 415, 503) writing nothing.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Collector, Pki, bytes, config, lines, post, record};

/// A collector over mutual TLS with a bearer token, `--max-body 4096`
/// and a 2-second timeout.
fn start(dir: &std::path::Path, pki: &Pki) -> Collector {
    let token = dir.join("token");
    std::fs::write(&token, "s3cret-token\n").expect("token");
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let config = config(dir, "");
    let state = dir.join("state");
    Collector::start(
        &[
            "--config",
            config.to_str().expect("utf-8"),
            "--listen",
            "127.0.0.1:0",
            "--cert",
            pki.cert.to_str().expect("utf-8"),
            "--key",
            pki.key.to_str().expect("utf-8"),
            "--client-ca",
            pki.ca.to_str().expect("utf-8"),
            "--token-file",
            token.to_str().expect("utf-8"),
            "--state-dir",
            state.to_str().expect("utf-8"),
            "--max-body",
            "4096",
            "--timeout",
            "2",
        ],
        &[],
    )
}

const BEARER: (&str, &str) = ("Authorization", "Bearer s3cret-token");

#[test]
fn a_batch_is_written_byte_for_byte_and_sent_again_is_acknowledged_without_a_second_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new(dir.path());
    let collector = start(dir.path(), &pki);
    let agent = pki.agent(Some(&pki.client));
    let url = format!("{}/log", collector.url);
    let web = record("origin-1", 1, 1, "web");
    let audit = record("origin-1", 1, 2, "audit");
    let foreign = r#"{"sequence":7,"request":{"method":"GET"},"response_status_code":200}"#;
    let body = format!("{web}\n{audit}\n{foreign}\n");
    let (status, answer) = post(&agent, &url, body.as_bytes(), &[BEARER]);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer.trim(), r#"{"written":2,"duplicates":0,"foreign":1}"#);
    let logs = dir.path().join("logs");
    // 200 came after the write: the files hold the records now.
    assert_eq!(
        bytes(&logs.join("all.log")),
        format!("{web}\n").into_bytes()
    );
    let audit_lines = std::fs::read_to_string(logs.join("audit.log")).expect("audit.log");
    assert!(audit_lines.lines().any(|l| l == audit), "{audit_lines}");
    assert_eq!(
        bytes(&logs.join("raw.log")),
        format!("{foreign}\n").into_bytes()
    );

    let (status, answer) = post(
        &agent,
        &url,
        format!("{web}\n{audit}\n").as_bytes(),
        &[BEARER],
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer.trim(), r#"{"written":0,"duplicates":2,"foreign":0}"#);
    assert_eq!(
        bytes(&logs.join("all.log")),
        format!("{web}\n").into_bytes()
    );
    let metrics = agent
        .get(format!("{}/metrics", collector.url))
        .call()
        .expect("metrics")
        .body_mut()
        .read_to_string()
        .expect("text");
    for line in [
        "logward_receive_records_received_total 4",
        "logward_receive_records_written_total 2",
        "logward_receive_records_duplicate_total 2",
        "logward_receive_origin_records_duplicate_total{hostname=\"origin-1\"} 2",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing:\n{metrics}"
        );
    }
}

#[test]
fn every_refusal_has_its_status_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new(dir.path());
    let mut collector = start(dir.path(), &pki);
    let url = format!("{}/log", collector.url);
    let good = pki.agent(Some(&pki.client));
    let valid = record("origin-1", 1, 1, "web");
    let body = format!("{valid}\n");

    let bad_line = format!(
        "{valid}\n{}\n",
        record("origin-1", 1, 2, "web").replace("\"pid\":4242", "\"pid\":\"x\"")
    );
    let (status, answer) = post(&good, &url, bad_line.as_bytes(), &[BEARER]);
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.contains("line 2") && answer.contains("`pid`"),
        "{answer}"
    );

    let (status, answer) = post(&pki.agent(None), &url, body.as_bytes(), &[BEARER]);
    assert_eq!(status, 401, "no client certificate: {answer}");
    let (status, answer) = post(
        &pki.agent(Some(&pki.stranger)),
        &url,
        body.as_bytes(),
        &[BEARER],
    );
    assert_eq!(status, 403, "another CA's certificate: {answer}");
    let (status, answer) = post(&good, &url, body.as_bytes(), &[]);
    assert_eq!(status, 401, "no token: {answer}");
    let (status, answer) = post(
        &good,
        &url,
        body.as_bytes(),
        &[("Authorization", "Bearer wrong")],
    );
    assert_eq!(status, 403, "a wrong token: {answer}");
    assert!(!answer.contains("s3cret"), "{answer}");

    let big = format!("{valid}\n").repeat(30);
    let (status, answer) = post(&good, &url, big.as_bytes(), &[BEARER]);
    assert_eq!(status, 413, "over --max-body: {answer}");
    let (status, answer) = post(
        &good,
        &url,
        body.as_bytes(),
        &[BEARER, ("Content-Encoding", "br")],
    );
    assert_eq!(status, 415, "{answer}");
    assert!(answer.contains("gzip"), "{answer}");

    assert_eq!(slow_body_status(&collector.url, &pki), 408);
    assert!(collector.alive());
    let logs = dir.path().join("logs");
    assert!(
        bytes(&logs.join("all.log")).is_empty(),
        "nothing was written"
    );
    assert!(bytes(&logs.join("raw.log")).is_empty());

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.as_bytes()).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let (status, answer) = post(&good, &url, &gz, &[BEARER, ("Content-Encoding", "gzip")]);
    assert_eq!(status, 200, "gzip is supported: {answer}");
    assert_eq!(lines(&logs.join("all.log")).len(), 1);
    let status = collector.stop();
    assert!(status.success(), "{status}");
}

/// Sends the headers and a part of the body, then nothing: the status the
/// collector answers with.
fn slow_body_status(base: &str, pki: &Pki) -> u16 {
    let port: u16 = base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let mut roots = rustls::RootCertStore::empty();
    let ca = std::fs::read(&pki.ca).expect("CA");
    use rustls::pki_types::pem::PemObject;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&ca) {
        roots.add(cert.expect("CA cert")).expect("root");
    }
    let chain: Vec<_> = rustls::pki_types::CertificateDer::pem_slice_iter(pki.client.0.as_bytes())
        .map(|c| c.expect("cert"))
        .collect();
    let key =
        rustls::pki_types::PrivateKeyDer::from_pem_slice(pki.client.1.as_bytes()).expect("key");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_client_auth_cert(chain, key)
    .expect("client config");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let conn = rustls::ClientConnection::new(Arc::new(config), name).expect("connection");
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let started = Instant::now();
    write!(
        tls,
        "POST /log HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret-token\r\nContent-Length: 1000\r\n\r\n{{\"id\":"
    )
    .expect("send");
    tls.flush().expect("flush");
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the collector waited too long"
    );
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_full_writer_answers_503_with_retry_after_and_the_batch_sent_again_later_is_taken() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new(dir.path());
    // --stdout into a pipe nobody reads yet: the first batch fills it and
    // its write waits, so the writer is full.
    let (mut reader, writer) = std::io::pipe().expect("pipe");
    let collector = Collector::start_with(
        &[
            "--stdout",
            "--listen",
            "127.0.0.1:0",
            "--cert",
            pki.combined.to_str().expect("utf-8"),
        ],
        &[],
        Stdio::from(writer),
    );
    let url = format!("{}/log", collector.url);
    let batch = "1234567\n".repeat(40_000);
    let first = {
        let (agent, url, batch) = (pki.agent(None), url.clone(), batch.clone());
        std::thread::spawn(move || post(&agent, &url, batch.as_bytes(), &[]))
    };
    std::thread::sleep(Duration::from_secs(2));
    let agent = pki.agent(None);
    let mut response = agent.post(&url).send(batch.as_bytes()).expect("answered");
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let _ = response.body_mut().read_to_string();
    let drain = std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = reader.read_to_end(&mut all);
        all
    });
    let (status, _) = first.join().expect("first");
    assert_eq!(status, 200);
    let (status, _) = post(&agent, &url, batch.as_bytes(), &[]);
    assert_eq!(status, 200, "sent again once there is room");
    collector.stop();
    let out = drain.join().expect("drain");
    assert_eq!(out.len(), batch.len() * 2, "two batches, not three");
}

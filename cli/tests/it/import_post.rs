//! `logward import csv --post`: ExtraHop observations sent to a real HTTPS
//! server on loopback (certificates from `rcgen`), which checks the exact
//! body and the `Authorization` header and answers 202, 400, 429 and 503
//! (and once too late); every batch sent is an `observations_posted` audit
//! record.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::cli::stderr;
use super::https_server::{HttpsServer, Reply, Request};
use super::import::{HEADER, MAP, import, records, row, row_time};
use crate::util::file_config;

const KEY: &str = "0123456789abcdef-secret";
const PATH: &str = "/api/v1/observations/associatedipaddrs";

/// A CSV of rows `1..=n` and a header file with the API key, in `dir`.
fn setup(dir: &Path, n: u64) -> String {
    let mut text = HEADER.to_string();
    (1..=n).for_each(|i| text.push_str(&row(i)));
    fs::write(dir.join("vpn.csv"), text).expect("csv");
    let headers = dir.join("extrahop.headers");
    fs::write(&headers, format!("Authorization: ExtraHop apikey={KEY}\n")).expect("headers");
    fs::set_permissions(&headers, fs::Permissions::from_mode(0o600)).expect("chmod");
    headers.display().to_string()
}

/// The exact body for rows `lines` (by row number).
fn body(rows: impl IntoIterator<Item = u64>) -> String {
    let observations: Vec<String> = rows
        .into_iter()
        .map(|n| {
            format!(
                "{{\"ipaddr\":\"10.8.{}.{}\",\"associated_ipaddr\":\"203.0.113.{}\",\"timestamp\":{}}}",
                n / 250,
                n % 250,
                n % 250,
                row_time(n)
            )
        })
        .collect();
    format!(
        "{{\"observations\":[{}],\"source\":\"OpenVPN\"}}",
        observations.join(",")
    )
}

fn post_args<'a>(
    server_url: &'a str,
    ca: &'a str,
    headers: &'a str,
    batch: &'a str,
) -> Vec<&'a str> {
    let mut args = MAP.to_vec();
    args.extend_from_slice(&[
        "--source",
        "OpenVPN",
        "--post",
        server_url,
        "--ca-file",
        ca,
        "--header-file",
        headers,
        "--batch",
        batch,
    ]);
    args
}

fn posted_records(log: &Path) -> Vec<Map<String, Value>> {
    records(log)
        .into_iter()
        .filter(|r| r.get("action") == Some(&json!("observations_posted")))
        .collect()
}

fn assert_request(request: &Request, expected_body: &str) {
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, PATH);
    assert_eq!(
        request.header("authorization"),
        Some(format!("ExtraHop apikey={KEY}").as_str())
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(String::from_utf8_lossy(&request.body), expected_body);
}

#[test]
fn observations_go_in_batches_with_the_exact_body_and_authorization() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, config) = file_config(tmp.path(), "");
    let headers = setup(tmp.path(), 5);
    let server = HttpsServer::start(tmp.path(), |_, _| Reply::status(202, ""));
    let (url, ca) = (server.url(PATH), server.ca_file.display().to_string());
    let out = import(
        tmp.path(),
        &config,
        "vpn.csv",
        &post_args(&url, &ca, &headers, "2"),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("5 observations posted to {url} in 3 requests")),
        "{err}"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for (request, rows) in requests.iter().zip([vec![1, 2], vec![3, 4], vec![5]]) {
        assert_request(request, &body(rows));
    }
    // Posting alone writes no row records, one audit record per batch.
    let all = records(&log);
    assert!(
        all.iter().all(|r| r.get("import_line").is_none()),
        "{all:?}"
    );
    let posted = posted_records(&log);
    assert_eq!(posted.len(), 3);
    for (record, (rows, first, last)) in posted.iter().zip([(2, 2, 3), (2, 4, 5), (1, 6, 6)]) {
        assert_eq!(record["log_type"], "audit");
        assert_eq!(record["level"], "info");
        assert_eq!(record["destination"], json!(url));
        assert_eq!(record["rows"], json!(rows));
        assert_eq!(record["status"], json!(202));
        assert_eq!(record["first_line"], json!(first));
        assert_eq!(record["last_line"], json!(last));
    }
    let text = fs::read_to_string(&log).expect("log");
    assert!(
        !text.contains(KEY) && !err.contains(KEY),
        "the key is never written"
    );

    // A re-run posts nothing again.
    let again = import(
        tmp.path(),
        &config,
        "vpn.csv",
        &post_args(&url, &ca, &headers, "2"),
    );
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_400_stops_with_the_body_shown_and_a_re_run_resends_from_the_refused_batch() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, config) = file_config(tmp.path(), "");
    let headers = setup(tmp.path(), 7);
    let refuse = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let server = {
        let refuse = std::sync::Arc::clone(&refuse);
        HttpsServer::start(tmp.path(), move |i, _| {
            if i == 1 && refuse.load(std::sync::atomic::Ordering::Relaxed) {
                Reply::status(400, "{\"error\":\"ipaddr 10.8.0.3 is not valid\"}")
            } else {
                Reply::status(202, "")
            }
        })
    };
    let (url, ca) = (server.url(PATH), server.ca_file.display().to_string());
    let out = import(
        tmp.path(),
        &config,
        "vpn.csv",
        &post_args(&url, &ca, &headers, "2"),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("answered 400: {\"error\":\"ipaddr 10.8.0.3 is not valid\"}"),
        "{err}"
    );
    assert!(
        err.contains("observations for lines 4–5 were refused"),
        "{err}"
    );
    assert_eq!(
        server.requests().len(),
        2,
        "no request after the refused one"
    );
    let posted = posted_records(&log);
    assert_eq!(posted.len(), 2);
    assert_eq!(posted[1]["status"], json!(400));
    assert_eq!(posted[1]["level"], "error");
    assert_eq!(posted[1]["first_line"], json!(4));

    refuse.store(false, std::sync::atomic::Ordering::Relaxed);
    let again = import(
        tmp.path(),
        &config,
        "vpn.csv",
        &post_args(&url, &ca, &headers, "2"),
    );
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    // Delivered: 1-2, then (after the refusal of 3-4) 3-4, 5-6, 7: each row once.
    for (request, rows) in [&requests[0], &requests[2], &requests[3], &requests[4]]
        .into_iter()
        .zip([vec![1, 2], vec![3, 4], vec![5, 6], vec![7]])
    {
        assert_request(request, &body(rows));
    }
}

#[test]
fn status_429_and_503_and_a_timeout_are_retried_honouring_retry_after() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, config) = file_config(tmp.path(), "");
    let headers = setup(tmp.path(), 3);
    let server = HttpsServer::start(tmp.path(), |i, _| match i {
        0 => Reply {
            headers: vec![("Retry-After".into(), "2".into())],
            ..Reply::status(429, "slow down")
        },
        1 => Reply::status(503, "busy"),
        2 => Reply {
            delay: Duration::from_secs(3),
            ..Reply::status(202, "")
        },
        _ => Reply::status(202, ""),
    });
    let (url, ca) = (server.url(PATH), server.ca_file.display().to_string());
    let mut args = post_args(&url, &ca, &headers, "10");
    args.extend_from_slice(&["--timeout", "1"]);
    let start = Instant::now();
    let out = import(tmp.path(), &config, "vpn.csv", &args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        start.elapsed() >= Duration::from_secs(3),
        "waited as Retry-After asked, then for the timeout"
    );
    assert!(
        err.contains("status 429: slow down; retrying in 2.0 s"),
        "{err}"
    );
    assert!(err.contains("status 503: busy; retrying in"), "{err}");
    assert!(err.contains("timeout: global; retrying in"), "{err}");
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    for request in &requests {
        assert_request(request, &body([1, 2, 3]));
    }
    let posted = posted_records(&log);
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0]["status"], json!(202));
    assert_eq!(posted[0]["attempts"], json!(4));
}

#[test]
fn a_server_the_roots_do_not_trust_fails_at_once_and_receives_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, config) = file_config(tmp.path(), "");
    let headers = setup(tmp.path(), 2);
    let server = HttpsServer::start(tmp.path(), |_, _| Reply::status(202, ""));
    let url = server.url(PATH);
    let mut args = MAP.to_vec();
    args.extend_from_slice(&["--post", &url, "--header-file", &headers]);
    let start = Instant::now();
    let out = import(tmp.path(), &config, "vpn.csv", &args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5), "not retried");
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert!(server.requests().is_empty());
    assert_eq!(posted_records(&log)[0]["level"], "error");
}

#[test]
fn the_header_file_must_be_readable_by_its_owner_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_log, config) = file_config(tmp.path(), "");
    let headers = setup(tmp.path(), 2);
    fs::set_permissions(&headers, fs::Permissions::from_mode(0o644)).expect("chmod");
    let server = HttpsServer::start(tmp.path(), |_, _| Reply::status(202, ""));
    let (url, ca) = (server.url(PATH), server.ca_file.display().to_string());
    let out = import(
        tmp.path(),
        &config,
        "vpn.csv",
        &post_args(&url, &ca, &headers, "2"),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("mode 0644 lets group or others access it"),
        "{err}"
    );
    assert!(!err.contains(KEY), "{err}");
    assert!(server.requests().is_empty());
}

#[test]
fn also_log_writes_records_as_well_as_observations() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, config) = file_config(tmp.path(), "");
    let headers = setup(tmp.path(), 3);
    let server = HttpsServer::start(tmp.path(), |_, _| Reply::status(200, "{}"));
    let (url, ca) = (server.url(PATH), server.ca_file.display().to_string());
    let mut args = post_args(&url, &ca, &headers, "1000");
    args.extend_from_slice(&["--also-log", "--log-type", "web"]);
    let out = import(tmp.path(), &config, "vpn.csv", &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_request(&server.requests()[0], &body([1, 2, 3]));
    let rows: Vec<_> = records(&log)
        .into_iter()
        .filter(|r| r.get("import_line").is_some())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["log_type"], "web");
    assert_eq!(posted_records(&log).len(), 1);
}

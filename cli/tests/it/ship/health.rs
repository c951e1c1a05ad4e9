//! `ship status` and `--metrics` report what the server counted, and an
//! export without success for `_ALERT_AFTER` raises `export_failing`, then
//! `export_recovered`, as critical audit records.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;
use crate::it::https_server::Reply;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn scrape(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    Some(text)
}

fn metric(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn status_and_metrics_show_what_the_server_counted() {
    let dir = tempfile::tempdir().expect("dir");
    let server = HttpsServer::start(dir.path(), |i, _| match i % 4 {
        1 => Reply::status(503, "busy"),
        _ => Reply::status(200, "{}"),
    });
    let setup = Setup::new(&export_keys(
        "SIEM",
        &server,
        "/in",
        "EXPORT_SIEM_TYPES=web,application\nEXPORT_SIEM_BATCH_MAX_RECORDS=25\n\
         EXPORT_SIEM_BATCH_MAX_WAIT=100ms\nEXPORT_SIEM_COMPRESS=gzip\n",
    ));
    let port = free_port();
    let daemon = setup.ship_daemon(&["--metrics", &format!("127.0.0.1:{port}")]);
    write_records(&setup.config, &mixed(500));
    eventually(Duration::from_secs(60), "all records shipped", || {
        setup.export_status("SIEM")["records_sent"] == 200
    });
    let text = loop {
        if let Some(text) = scrape(port) {
            if metric(&text, "logward_export_records_total{export=\"SIEM\"}") == Some(200.0) {
                break text;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    eventually(Duration::from_secs(10), "the lag drained", || {
        setup.export_status("SIEM")["lag_records"] == 0
    });
    let status = setup.export_status("SIEM");
    terminate(daemon);
    let requests = server.requests();
    let ok: Vec<_> = requests
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 4 != 1)
        .collect();
    let failed = requests.len() - ok.len();
    let received = received_ids(&server, |i, _| i % 4 != 1);
    assert_eq!(received.len(), 200);
    assert_eq!(status["records_sent"], 200);
    assert_eq!(status["uploads_ok"], ok.len());
    assert_eq!(status["uploads_failed"], failed);
    assert_eq!(status["retries"]["503"], failed);
    let sent: usize = ok.iter().map(|(_, r)| r.body.len()).sum();
    assert_eq!(status["bytes_sent"], sent);
    let raw: usize = ok
        .iter()
        .map(|(_, r)| {
            let mut raw = Vec::new();
            flate2::read::GzDecoder::new(&r.body[..])
                .read_to_end(&mut raw)
                .expect("gzip");
            raw.len()
        })
        .sum();
    assert_eq!(status["bytes_raw"], raw);
    assert_eq!(status["dead_lettered"], 0);
    assert!(status["last_success_at"].is_string());
    assert_eq!(
        metric(&text, "logward_export_records_total{export=\"SIEM\"}"),
        Some(200.0)
    );
    assert!(
        text.contains("# TYPE logward_export_lag_records gauge"),
        "{text}"
    );
    assert!(
        text.contains("logward_export_retries_total{export=\"SIEM\",reason=\"503\"}"),
        "{text}"
    );

    let table = setup.command(&["ship", "status"]).output().expect("status");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("records sent      200"), "{table}");
    assert!(
        table.contains(&format!("retries           503: {failed}")),
        "{table}"
    );
}

#[test]
fn no_success_for_alert_after_raises_export_failing_then_export_recovered() {
    let dir = tempfile::tempdir().expect("dir");
    let healthy = Arc::new(AtomicBool::new(false));
    let server = {
        let healthy = Arc::clone(&healthy);
        HttpsServer::start(dir.path(), move |_, _| {
            if healthy.load(Ordering::Relaxed) {
                Reply::status(200, "{}")
            } else {
                Reply::status(503, "maintenance")
            }
        })
    };
    let setup = Setup::new(&export_keys(
        "SIEM",
        &server,
        "/in",
        "EXPORT_SIEM_TYPES=web\nEXPORT_SIEM_ALERT_AFTER=2s\nEXPORT_SIEM_BATCH_MAX_WAIT=50ms\n",
    ));
    let daemon = setup.ship_daemon(&[]);
    write_records(&setup.config, &mixed(50));
    let alerts = |action: &str| {
        setup
            .written()
            .into_iter()
            .filter(|r| r.get("action") == Some(&json!(action)))
            .collect::<Vec<_>>()
    };
    eventually(Duration::from_secs(30), "export_failing", || {
        !alerts("export_failing").is_empty()
    });
    let failing = alerts("export_failing");
    assert_eq!(failing.len(), 1, "once per _ALERT_AFTER: {failing:?}");
    let alert = &failing[0];
    assert_eq!(alert["level"], "critical");
    assert_eq!(alert["log_type"], "audit");
    assert_eq!(alert["export"], "SIEM");
    assert_eq!(alert["destination"], server.url("/in").as_str());
    assert!(alert["last_error"].as_str().expect("error").contains("503"));
    assert!(
        alert["lag_records"]
            .as_u64()
            .unwrap_or_else(|| panic!("lag in {alert:?}"))
            >= 10
    );
    assert!(setup.export_status("SIEM")["alerting"] == true);
    assert!(received_ids(&server, |_, _| false).is_empty());
    healthy.store(true, Ordering::Relaxed);
    eventually(Duration::from_secs(60), "export_recovered", || {
        !alerts("export_recovered").is_empty()
    });
    eventually(Duration::from_secs(30), "every record delivered", || {
        setup.export_status("SIEM")["records_sent"] == 10
    });
    terminate(daemon);
    assert_eq!(alerts("export_recovered").len(), 1);
    assert_eq!(setup.export_status("SIEM")["alerting"], false);
}

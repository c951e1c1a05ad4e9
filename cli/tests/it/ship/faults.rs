//! 429 with Retry-After, 503, a reset connection and a stalled answer are
//! retried until the records are delivered; the retries are counted. A
//! batch that keeps timing out is split until its parts go through.

use std::time::Duration;

use super::*;
use crate::it::https_server::Reply;

#[test]
fn every_retryable_failure_is_retried_until_delivered_and_counted() {
    let dir = tempfile::tempdir().expect("dir");
    let server = HttpsServer::start(dir.path(), |i, _| match i {
        0 => Reply {
            headers: vec![("Retry-After".into(), "1".into())],
            ..Reply::status(429, "slow down")
        },
        1 => Reply::status(503, "busy"),
        2 => Reply::reset(),
        3 => Reply {
            delay: Duration::from_secs(4),
            ..Reply::status(200, "too late")
        },
        4 => Reply::status(408, "request timeout"),
        _ => Reply::status(200, "{}"),
    });
    let setup = Setup::new(&export_keys("SIEM", &server, "/in", ""));
    write_records(&setup.config, &mixed(40));
    let started = Instant::now();
    let out = setup.ship_once(&["--timeout", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    // Requests 5 on were answered 200; the stalled one (3) arrived too late
    // for the shipper, which sent the batch again.
    let got = received_ids(&server, |i, _| i >= 5);
    let want: BTreeSet<String> = ids(&setup.written()).into_iter().collect();
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), want);
    assert!(got.values().all(|&n| n == 1));
    let status = setup.export_status("SIEM");
    assert_eq!(
        status["retries"],
        json!({"429": 1, "503": 1, "408": 1, "connection": 2})
    );
    assert_eq!(status["uploads_failed"], 5);
    assert_eq!(status["records_sent"], 40);
    assert!(
        status["last_error"]
            .as_str()
            .expect("last error")
            .contains("408")
    );
}

#[test]
fn a_batch_that_keeps_timing_out_is_split_until_its_parts_go_through() {
    let dir = tempfile::tempdir().expect("dir");
    // Bodies of more than 10 records are answered after the shipper's
    // one-second timeout, smaller ones at once.
    let server = HttpsServer::start(dir.path(), |_, request| {
        if body_records(request).len() > 10 {
            Reply {
                delay: Duration::from_secs(3),
                ..Reply::status(200, "too late")
            }
        } else {
            Reply::status(200, "{}")
        }
    });
    let setup = Setup::new(&export_keys("SIEM", &server, "/in", ""));
    write_records(&setup.config, &mixed(40));
    let out = setup.ship_once(&["--timeout", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sizes: Vec<usize> = server
        .requests()
        .iter()
        .map(|r| body_records(r).len())
        .collect();
    // Each body is sent twice before it is split; the halves of 10 go
    // through at once.
    assert_eq!(sizes, [40, 40, 20, 20, 10, 10, 20, 20, 10, 10]);
    let got = received_ids(&server, |_, r| body_records(r).len() <= 10);
    let want: BTreeSet<String> = ids(&setup.written()).into_iter().collect();
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), want);
    assert!(got.values().all(|&n| n == 1), "each record delivered once");
    let status = setup.export_status("SIEM");
    assert_eq!(status["retries"], json!({"connection": 6}));
    assert_eq!(status["records_sent"], 40);
    assert_eq!(status["dead_lettered"], 0);
}

use std::collections::BTreeSet;

//! Everything selected arrives, once, in the export's format; what the
//! destination refuses goes to the dead-letter file.

use std::collections::BTreeSet;

use serde_json::Value;

use super::*;
use crate::it::https_server::Reply;

fn selected_ids(setup: &Setup, select: impl Fn(&Map<String, Value>) -> bool) -> BTreeSet<String> {
    setup
        .written()
        .into_iter()
        .filter(|r| select(r))
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn ship_once_delivers_every_selected_record_exactly_once_in_each_format() {
    for (format, gzip) in [
        ("ndjson", false),
        ("json", true),
        ("hec", false),
        ("ndjson", true),
    ] {
        let server = HttpsServer::start(
            tempfile::tempdir().expect("dir").keep().as_path(),
            |i, _| Reply::status(if i % 2 == 0 { 200 } else { 202 }, "{}"),
        );
        let compress = if gzip { "gzip" } else { "none" };
        let setup = Setup::new(&export_keys(
            "SIEM",
            &server,
            "/in",
            &format!(
                "EXPORT_SIEM_TYPES=audit,web\nEXPORT_SIEM_LEVEL=warning\nEXPORT_SIEM_FORMAT={format}\n\
                 EXPORT_SIEM_COMPRESS={compress}\nEXPORT_SIEM_BATCH_MAX_RECORDS=7\n"
            ),
        ));
        write_records(&setup.config, &mixed(500));
        let out = setup.ship_once(&[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = selected_ids(&setup, |r| {
            ["audit", "web"].contains(&r["log_type"].as_str().unwrap_or(""))
                && ["warning", "error", "critical"].contains(&r["level"].as_str().unwrap_or(""))
        });
        let got = received_ids(&server, |_, _| true);
        assert_eq!(
            got.keys().cloned().collect::<BTreeSet<_>>(),
            want,
            "{format}"
        );
        assert!(got.values().all(|&n| n == 1), "{format}: duplicates");
        assert_eq!(want.len(), 120);
        let requests = server.requests();
        assert!(
            requests
                .iter()
                .all(|r| r.method == "POST" && r.path == "/in")
        );
        assert!(
            requests
                .iter()
                .all(|r| r.header("content-encoding") == gzip.then_some("gzip"))
        );
        if format == "ndjson" && !gzip {
            // The stored lines byte for byte.
            let stored = std::fs::read_to_string(&setup.log).expect("log");
            let first_line = String::from_utf8(requests[0].body.clone()).expect("utf-8");
            let first = first_line.lines().next().expect("a line");
            assert!(stored.lines().any(|l| l == first), "{first}");
        }
        // A second run has nothing new to send.
        let again = setup.ship_once(&[]);
        assert!(again.status.success());
        assert_eq!(
            server.requests().len(),
            requests.len(),
            "{format}: nothing sent twice"
        );
        let status = setup.export_status("SIEM");
        assert_eq!(status["records_sent"], 120);
        assert_eq!(status["uploads_ok"], requests.len());
        assert_eq!(status["lag_records"], 0);
        let raw: usize = requests.iter().map(|r| r.body.len()).sum();
        assert_eq!(status["bytes_sent"], raw, "{format}");
    }
}

#[test]
fn a_refused_record_goes_to_the_dead_letter_file_and_the_rest_is_delivered() {
    let setup_dir = tempfile::tempdir().expect("dir");
    let server = HttpsServer::start(setup_dir.path(), |_, request| {
        let bad = String::from_utf8_lossy(&request.body).contains("\"seq\":37,");
        if bad {
            Reply::status(400, "{\"error\":\"field seq is not allowed to be 37\"}")
        } else {
            Reply::status(200, "{}")
        }
    });
    let setup = Setup::new(&export_keys(
        "SIEM",
        &server,
        "/in",
        "EXPORT_SIEM_BATCH_MAX_RECORDS=16\n",
    ));
    write_records(&setup.config, &mixed(100));
    let out = setup.ship_once(&[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a refused record is not delivered"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("99 records delivered, 1 refused"),
        "{stderr}"
    );
    let written = setup.written();
    let bad_id = written
        .iter()
        .find(|r| r["seq"] == 37)
        .map(|r| r["id"].as_str().expect("id").to_string())
        .expect("record 37");
    let got = received_ids(&server, |_, r| {
        !String::from_utf8_lossy(&r.body).contains("\"seq\":37,")
    });
    let mut want: BTreeSet<String> = ids(&written).into_iter().collect();
    want.remove(&bad_id);
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), want);
    assert!(got.values().all(|&n| n == 1), "no duplicates");
    let dead = std::fs::read_to_string(setup.state.join("ship-SIEM.dead-letter.jsonl"))
        .expect("dead-letter file");
    let dead: Vec<Value> = dead
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["record"]["id"], bad_id.as_str());
    assert_eq!(dead[0]["status"], 400);
    assert!(
        dead[0]["answer"]
            .as_str()
            .expect("answer")
            .contains("not allowed to be 37")
    );
    let status = setup.export_status("SIEM");
    assert_eq!(status["dead_lettered"], 1);
    assert_eq!(status["records_sent"], 99);
    // The bad record's batch of 16 was split down to it: 16 → 8 → 4 → 2 → 1.
    let refused = server
        .requests()
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("\"seq\":37,"))
        .count();
    assert_eq!(refused, 5);
    assert_eq!(status["uploads_failed"], 5);
}

#[test]
fn flag_combinations_that_make_no_sense_and_no_export_are_refused_with_exit_2() {
    let setup = Setup::new("EXPORT_A_URL=https://127.0.0.1:9/in\n");
    for args in [
        &["ship", "--once", "--metrics", "127.0.0.1:9464"][..],
        &["ship", "--timeout", "0"],
        &["ship", "--metrics", "not-an-address"],
        &["ship", "status", "--once"],
    ] {
        let out = setup.command(args).output().expect("runs");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let none = Setup::new("");
    for args in [&["ship", "--once"][..], &["ship", "status"]] {
        let out = none.command(args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("no export is configured"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let bad = Setup::new("EXPORT_A_URL=http://10.0.0.1/in\n");
    let out = bad.command(&["ship", "--once"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("plain http:// is allowed only to a loopback")
    );
}

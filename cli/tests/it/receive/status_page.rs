//! What operators see of a collector: `GET /status` rendered by a real
//! headless Chromium (its DOM read back row by row, and a screenshot), with
//! each origin's records per type created today (by `created_at`, UTC),
//! errors, and the configuration fingerprint of its `logging_started`
//! record, the machine whose fingerprint differs flagged, the same after
//! the collector was killed with SIGKILL and started again; and `logward
//! bundle --hostname` selecting the collector's records by origin machine.

use std::process::Command;

use serde_json::Value;

use super::{Collector, Pki, config, post, record};

/// A `logging_started` record of `host` with `fingerprint`, created now.
fn started(host: &str, host_n: u32, fingerprint: &str) -> String {
    today_record(host, host_n, 999_999, "audit", "info").replace(
        "\"message\":\"record 999999\"",
        &format!("\"action\":\"logging_started\",\"config_fingerprint\":\"{fingerprint}\",\"message\":\"logging started\""),
    )
}

/// A record of `host` created `days_ago` days before now.
fn dated_record(
    host: &str,
    host_n: u32,
    n: u64,
    (log_type, level): (&str, &str),
    days_ago: i64,
) -> String {
    let at = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * days_ago))
        .expect("a time")
        .strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        .to_string();
    record(host, host_n, n, log_type)
        .replace("2026-11-22T04:30:00.", "XX")
        .replacen(&format!("XX{:06}Z", n % 1_000_000), &at, 1)
        .replace("\"level\":\"info\"", &format!("\"level\":\"{level}\""))
}

fn today_record(host: &str, host_n: u32, n: u64, log_type: &str, level: &str) -> String {
    dated_record(host, host_n, n, (log_type, level), 0)
}

/// The rows of the page at `url`, fetched without a browser.
fn fetched_rows(agent: &ureq::Agent, url: &str) -> Vec<Vec<String>> {
    let page = agent
        .get(url)
        .call()
        .expect("GET /status")
        .body_mut()
        .read_to_string()
        .expect("the page");
    rows(&page)
}

#[test]
fn the_status_page_in_chromium_counts_each_origin_by_created_at_day_across_a_kill_and_flags_the_differing_fingerprint()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new(dir.path());
    let config = config(dir.path(), "");
    let state = dir.path().join("state");
    let start = || {
        Collector::start(
            &[
                "--config",
                config.to_str().expect("utf-8"),
                "--listen",
                "127.0.0.1:0",
                "--cert",
                pki.combined.to_str().expect("utf-8"),
                "--state-dir",
                state.to_str().expect("utf-8"),
            ],
            &[],
        )
    };
    let collector = start();
    let agent = pki.agent(None);
    let url = format!("{}/log", collector.url);
    let mut body = String::new();
    for (host, n, fingerprint) in [
        ("origin-1", 1, "aaaa1111bbbb2222"),
        ("origin-2", 2, "aaaa1111bbbb2222"),
        ("origin-3", 3, "ffff9999eeee8888"),
    ] {
        body += &(started(host, n, fingerprint) + "\n");
        for i in 0..u64::from(n) {
            body += &(today_record(host, n, i, "web", "info") + "\n");
        }
        body += &(today_record(host, n, 100, "application", "error") + "\n");
        // Written today, created on other days: counted on none of today's.
        body += &(dated_record(host, n, 200, ("web", "error"), 1) + "\n");
        body += &(dated_record(host, n, 201, ("analysis", "info"), 3) + "\n");
    }
    let (status, answer) = post(&agent, &url, body.as_bytes(), &[]);
    assert_eq!(status, 200, "{answer}");
    let before = fetched_rows(&agent, &format!("{}/status", collector.url));
    assert_eq!(before.len(), 3, "{before:?}");

    // Killed and started again: the page shows the same counts, and a
    // batch sent again (the origin did not see the 200) adds nothing.
    collector.kill();
    let collector = start();
    let url = format!("{}/log", collector.url);
    assert_eq!(
        fetched_rows(&agent, &format!("{}/status", collector.url)),
        before
    );
    let (status, answer) = post(&agent, &url, body.as_bytes(), &[]);
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"written\":0"), "{answer}");

    let profile = tempfile::tempdir().expect("profile");
    let chromium = |extra: &[&str]| {
        Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--ignore-certificate-errors",
                "--window-size=1200,600",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(format!("{}/status", collector.url))
            .output()
            .expect("chromium runs (apt-get install chromium)")
    };
    let dom = chromium(&["--dump-dom"]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    let rows = rows(&dom);
    // hostname, last record, audit, web, application, analysis, tanium, errors, fingerprint, check
    let expect = |host: &str, web: &str, fingerprint: &str, check: &str| {
        let row = rows
            .iter()
            .find(|r| r.first().map(String::as_str) == Some(host))
            .unwrap_or_else(|| panic!("no row for {host} in {rows:?}"));
        assert_eq!(row.len(), 10, "{row:?}");
        assert!(
            row[1].starts_with(&jiff::Timestamp::now().strftime("%Y-%m-%d").to_string()),
            "{row:?}"
        );
        assert_eq!(&row[2..8], ["1", web, "1", "0", "0", "1"], "{row:?}");
        assert_eq!(row[8], fingerprint, "{row:?}");
        assert_eq!(row[9], check, "{row:?}");
    };
    assert_eq!(rows.len(), 3, "{rows:?}");
    expect("origin-1", "1", "aaaa1111bbbb2222", "");
    expect("origin-2", "2", "aaaa1111bbbb2222", "");
    expect("origin-3", "3", "ffff9999eeee8888", "fingerprint differs");

    let shot = dir.path().join("status.png");
    let out = chromium(&[&format!("--screenshot={}", shot.display())]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let (w, h) = (
        u32::from_be_bytes([png[16], png[17], png[18], png[19]]),
        u32::from_be_bytes([png[20], png[21], png[22], png[23]]),
    );
    assert_eq!((w, h), (1200, 600));

    let bundle = Command::new(env!("CARGO_BIN_EXE_logward"))
        .args([
            "bundle",
            "--config",
            config.to_str().expect("utf-8"),
            "--hostname",
            "ORIGIN-1,origin-3",
        ])
        .env_remove("LOGWARD_CONFIG")
        .output()
        .expect("bundle runs");
    assert!(
        bundle.status.success(),
        "{}",
        String::from_utf8_lossy(&bundle.stderr)
    );
    let mut hosts: Vec<String> = String::from_utf8_lossy(&bundle.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v.get("hostname").and_then(Value::as_str).map(String::from))
        .collect();
    hosts.sort();
    let count = |h: &str| hosts.iter().filter(|x| *x == h).count();
    assert_eq!(hosts.len(), 12, "{hosts:?}");
    assert_eq!((count("origin-1"), count("origin-3")), (5, 7), "{hosts:?}");
    let refused = Command::new(env!("CARGO_BIN_EXE_logward"))
        .args([
            "bundle",
            "--config",
            config.to_str().expect("utf-8"),
            "--hostname",
            "a b",
        ])
        .output()
        .expect("bundle runs");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--hostname"));
}

#[test]
fn a_batch_cut_short_by_a_kill_is_counted_on_the_status_page_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new(dir.path());
    let config = config(dir.path(), "");
    let state = dir.path().join("state");
    let start = |env: &[(&str, &str)]| {
        Collector::start(
            &[
                "--config",
                config.to_str().expect("utf-8"),
                "--listen",
                "127.0.0.1:0",
                "--cert",
                pki.combined.to_str().expect("utf-8"),
                "--state-dir",
                state.to_str().expect("utf-8"),
            ],
            env,
        )
    };
    let agent = pki.agent(None);
    let first: String = (0..3)
        .map(|i| today_record("origin-1", 1, i, "web", "info") + "\n")
        .collect();
    let second: String = (10..15)
        .map(|i| today_record("origin-1", 1, i, "tanium", "critical") + "\n")
        .collect();
    // The second batch reaches the files and the collector dies before
    // its ids and counts are kept.
    let mut collector = start(&[("IT_LOGWARD_RECEIVE_DIE_AFTER_WRITE", "2")]);
    let url = format!("{}/log", collector.url);
    assert_eq!(post(&agent, &url, first.as_bytes(), &[]).0, 200);
    let (status, _) = post(&agent, &url, second.as_bytes(), &[]);
    assert_ne!(status, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while collector.alive() {
        assert!(std::time::Instant::now() < deadline, "it did not die");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let collector = start(&[]);
    let url = format!("{}/log", collector.url);
    let (status, answer) = post(&agent, &url, second.as_bytes(), &[]);
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"written\":0"), "{answer}");
    let rows = fetched_rows(&agent, &format!("{}/status", collector.url));
    assert_eq!(rows.len(), 1, "{rows:?}");
    // audit, web, application, analysis, tanium, errors
    assert_eq!(&rows[0][2..8], ["0", "3", "0", "0", "5", "5"], "{rows:?}");
}

/// The text of each cell of each row of the table's body.
fn rows(dom: &str) -> Vec<Vec<String>> {
    let body = dom
        .split("<tbody>")
        .nth(1)
        .and_then(|b| b.split("</tbody>").next())
        .unwrap_or("");
    body.split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<td>")
                .skip(1)
                .map(|cell| {
                    let text = cell.split("</td>").next().unwrap_or("");
                    text.replace("<code>", "").replace("</code>", "")
                })
                .collect()
        })
        .collect()
}

//! The demo service stopped with SIGTERM in the middle of a burst: it shuts
//! logward down (drops the guard), and every record it logged is in its
//! files.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};
use serde_json::Value;

use crate::util::capture::parse_lines;
use crate::util::example;

/// Bytes the demo's files hold before the signal: well into the burst.
const BEFORE_SIGNAL: u64 = 2 * 1024 * 1024;

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

#[test]
fn the_demo_stopped_by_sigterm_mid_burst_has_written_every_record_it_logged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo_dir = dir.path().join("demo");
    let (app, audit) = (demo_dir.join("app.log"), demo_dir.join("audit.log"));
    let mut demo = Command::new(example::build("demo"))
        .arg("--burst")
        .arg("--dir")
        .arg(&demo_dir)
        // Audit to a file too, so that every record is counted in one place.
        .env("LOGWARD_LOG_FILE_AUDIT", &audit)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the demo");
    let start = Instant::now();
    while size(&app) + size(&audit) < BEFORE_SIGNAL {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the demo does not log"
        );
        assert!(demo.try_wait().expect("poll").is_none(), "the demo ended");
        thread::sleep(Duration::from_millis(10));
    }
    kill_process(Pid::from_child(&demo), Signal::TERM).expect("send SIGTERM");
    let output = demo.wait_with_output().expect("wait for the demo");
    assert!(output.status.success(), "{}", output.status);
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let logged: usize = stdout
        .strip_prefix("logward demo: stopped; ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the demo says how many records it logged: {stdout}"));

    let mut records = Vec::new();
    for path in [&app, &audit] {
        records.extend(parse_lines(
            &std::fs::read_to_string(path).expect("read a log"),
        ));
    }
    let ids: HashSet<&str> = records
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), records.len(), "every record once");
    let lifecycle: Vec<&str> = records
        .iter()
        .filter_map(|r| r.get("action").and_then(Value::as_str))
        .filter(|a| a.starts_with("logging_"))
        .collect();
    assert_eq!(lifecycle, ["logging_started", "logging_stopped"]);
    eprintln!("SIGTERM: the demo logged {logged} records, its files hold them all");
    assert_eq!(
        records.len(),
        logged + 2,
        "the demo's records and the lifecycle"
    );
}

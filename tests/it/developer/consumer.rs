//! A service outside the workspace (`tests/consumer/`), built with cargo as
//! a service team would build theirs, runs its axum service on loopback
//! with tokio tasks moving between threads, and every record it writes
//! carries the right request's context: counted per request, zero
//! mismatches. Its `cargo tree` shows the library without the tool's or
//! an HTTP server's dependencies.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::{Map, Value};

use super::text;
use crate::util::capture::parse_lines;
use crate::util::workspace_root;

/// The records each request writes: the `log` crate's, one in a debug
/// span, one from a spawned task, one in a trace-level instrumented
/// function, an audit record, and the `web` record.
const RECORDS_PER_REQUEST: usize = 6;

fn manifest() -> PathBuf {
    workspace_root().join("tests/consumer/Cargo.toml")
}

/// Builds the consumer into this test binary's target directory.
fn build() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the test binary is in <target>/<profile>/deps")
        .join("consumer");
    let output = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--locked", "--manifest-path"])
        .arg(manifest())
        .arg("--target-dir")
        .arg(&target)
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "cargo build of the consumer: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    target.join("debug/logward-consumer")
}

#[test]
fn a_service_outside_the_workspace_gets_every_record_with_its_requests_context() {
    let consumer = build();
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={0}\nLOG_FILE_AUDIT={0}\n",
            log.display()
        ),
    )
    .expect("write the configuration");
    let output = Command::new(&consumer)
        .env("LOGWARD_CONFIG", &config)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run the consumer");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the consumer failed: {stderr}");
    assert!(stderr.is_empty(), "no warning, no failed request: {stderr}");

    let sent: Vec<(String, String)> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut words = line.strip_prefix("request ")?.split(' ');
            Some((words.next()?.to_string(), words.next()?.to_string()))
        })
        .collect();
    assert_eq!(sent.len(), 200, "8 clients × 25 requests answered");

    let records = parse_lines(&std::fs::read_to_string(&log).expect("the log"));
    let mut by_request: HashMap<&str, Vec<&Map<String, Value>>> = HashMap::new();
    for record in &records {
        by_request
            .entry(text(record, "request_id"))
            .or_default()
            .push(record);
    }
    let lifecycle = by_request.remove("").unwrap_or_default();
    assert_eq!(lifecycle.len(), 2, "logging_started and logging_stopped");
    assert_eq!(by_request.len(), sent.len(), "one request id per request");

    let mut mismatches = Vec::new();
    for (id, n) in &sent {
        let records = by_request
            .get(id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if records.len() != RECORDS_PER_REQUEST {
            mismatches.push(format!("{id}: {} records", records.len()));
        }
        let user_name = format!("user-{n}");
        for record in records {
            if text(record, "user_id") != n || text(record, "user_name") != user_name {
                mismatches.push(format!("{id}: user of {record:?}"));
            }
        }
        let has = |log_type: &str, check: &dyn Fn(&Map<String, Value>) -> bool| {
            records
                .iter()
                .filter(|r| text(r, "log_type") == log_type && check(r))
                .count()
                == 1
        };
        let web = has("web", &|r| {
            text(r, "path") == format!("/work/{n}") && r["status_code"] == 200
        });
        let audit = has("audit", &|r| text(r, "action") == "access");
        let log_crate = has("application", &|r| {
            text(r, "message") == format!("log crate record {n}")
                && text(r, "log.file") == "src/main.rs"
        });
        let debug_span = has("application", &|r| {
            text(r, "message") == "queried"
                && r["query"].as_u64().map(|q| q.to_string()) == Some(n.clone())
        });
        let trace_span = has("application", &|r| {
            text(r, "message") == "rendered" && text(r, "phase") == "render"
        });
        let spawned = has("application", &|r| {
            text(r, "message") == "from a spawned task"
        });
        if ![web, audit, log_crate, debug_span, trace_span, spawned]
            .iter()
            .all(|&ok| ok)
        {
            mismatches.push(format!("{id}: {records:?}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches: {mismatches:#?}",
        mismatches.len()
    );
}

#[test]
fn the_consumers_dependency_tree_holds_the_lean_library() {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--locked",
            "-e",
            "normal",
            "-p",
            "logward",
            "--prefix",
            "none",
            "--manifest-path",
        ])
        .arg(manifest())
        .output()
        .expect("run cargo tree");
    assert!(
        output.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        crates.contains(&"tower-layer") && crates.contains(&"http"),
        "{tree}"
    );
    let heavy: Vec<&str> = [
        "hyper", "tokio", "axum", "clap", "tar", "flate2", "anyhow", "tempfile",
    ]
    .into_iter()
    .filter(|name| crates.contains(name))
    .collect();
    assert!(
        heavy.is_empty(),
        "logward with `http` and `fmt` links {heavy:?}:\n{tree}"
    );
}

//! `logward ship` as a real process: records written by the runtime into
//! real files, shipped over real TLS to the test HTTPS server on loopback,
//! counted there by `id`.

mod compressed;
mod delivery;
mod faults;
mod filters;
mod health;
mod journal;
mod kill;
mod rotation;
mod tls;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use logward::{Level, LogType, Logward};
use serde_json::{Map, Value, json};

use super::https_server::{HttpsServer, Request};

/// A test directory: configuration, log files and state.
pub(super) struct Setup {
    pub dir: tempfile::TempDir,
    pub log: PathBuf,
    pub config: PathBuf,
    pub state: PathBuf,
}

impl Setup {
    /// Every type to `dir/app.log`, then `extra` configuration lines.
    pub fn new(extra: &str) -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("logs/app.log");
        let config = dir.path().join("config");
        let state = dir.path().join("state");
        let setup = Setup {
            dir,
            log,
            config,
            state,
        };
        setup.write_config(extra);
        setup
    }

    pub fn write_config(&self, extra: &str) {
        std::fs::write(
            &self.config,
            format!(
                "LOG_LEVEL=debug\nLOG_LEVEL_AUDIT=debug\nLOG_FILE={0}\nLOG_FILE_AUDIT={0}\n{extra}",
                self.log.display()
            ),
        )
        .expect("config written");
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `logward ship ARGS --config C --state-dir S`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_logward"));
        command
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .arg("--state-dir")
            .arg(&self.state)
            .env_remove("LOGWARD_CONFIG")
            .env_remove("STATE_DIRECTORY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs `logward ship --once` to its end.
    pub fn ship_once(&self, extra: &[&str]) -> Output {
        let mut args = vec!["ship", "--once"];
        args.extend_from_slice(extra);
        let child = self.command(&args).spawn().expect("ship runs");
        wait_output(child, Duration::from_secs(120))
    }

    /// Starts the daemon.
    pub fn ship_daemon(&self, extra: &[&str]) -> Child {
        let mut args = vec!["ship"];
        args.extend_from_slice(extra);
        self.command(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ship runs")
    }

    /// `logward ship status --json`.
    pub fn status(&self) -> Value {
        let out = self
            .command(&["ship", "status", "--json"])
            .output()
            .expect("status runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("status JSON")
    }

    /// The status of export `name`.
    pub fn export_status(&self, name: &str) -> Value {
        let status = self.status();
        status["exports"]
            .as_array()
            .and_then(|all| all.iter().find(|e| e["export"] == name).cloned())
            .unwrap_or_else(|| panic!("no export {name} in {status}"))
    }

    /// Every record in the sink's files (live and rotated).
    pub fn written(&self) -> Vec<Map<String, Value>> {
        let mut records = Vec::new();
        for file in logward::sink::rotated_files(&self.log).expect("listing") {
            let mut text = String::new();
            let opened = std::fs::File::open(&file.path).expect("open log");
            if file.compressed {
                flate2::read::MultiGzDecoder::new(opened).read_to_string(&mut text)
            } else {
                { opened }.read_to_string(&mut text)
            }
            .expect("read log");
            for line in text.lines() {
                records.push(serde_json::from_str(line).expect("a record"));
            }
        }
        records
    }
}

/// Waits for `child` (killing it after `limit`) and collects its output.
pub(super) fn wait_output(mut child: Child, limit: Duration) -> Output {
    let end = Instant::now() + limit;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > end {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "logward ship did not finish in {limit:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// Stops a daemon with SIGTERM and waits for it.
pub(super) fn terminate(mut child: Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let end = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < end, "ship did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls `f` until it holds (panicking after `limit`).
pub(super) fn eventually(limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
    eventually_showing(limit, what, || (f(), ""));
}

/// As [`eventually`], with what `f` saw last (the second of its pair) in
/// the message when it times out.
pub(super) fn eventually_showing<T: std::fmt::Display>(
    limit: Duration,
    what: &str,
    mut f: impl FnMut() -> (bool, T),
) {
    let end = Instant::now() + limit;
    loop {
        let (done, seen) = f();
        if done {
            return;
        }
        assert!(
            Instant::now() < end,
            "timed out waiting for {what}; last seen: {seen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A record to write: its type, level and fields.
pub(super) type Written = (LogType, Level, Vec<(String, Value)>);

/// Writes records through the runtime (as a service would) from this
/// process; `records` are (type, level, fields).
pub(super) fn write_records(config: &Path, records: &[Written]) {
    let (_layer, guard) = Logward::builder()
        .with_config_path(config)
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("runtime builds")
        .into_parts::<tracing_subscriber::Registry>();
    for (log_type, level, fields) in records {
        guard.emit(*log_type, *level, fields, Some("shipped"));
    }
    drop(guard);
}

/// `n` records cycling through types and levels, each with a `seq` field.
pub(super) fn mixed(n: usize) -> Vec<Written> {
    let levels = [
        Level::Debug,
        Level::Info,
        Level::Warning,
        Level::Error,
        Level::Critical,
    ];
    (0..n)
        .map(|i| {
            (
                LogType::ALL[i % 5],
                levels[(i / 5) % 5],
                vec![
                    ("seq".to_string(), json!(i)),
                    ("status_code".to_string(), json!(200 + (i % 4) * 100)),
                    (
                        "path".to_string(),
                        json!(format!("/api/v{}/item/{i}", i % 3)),
                    ),
                    ("tags".to_string(), json!([format!("t{}", i % 3), "all"])),
                ],
            )
        })
        .collect()
}

/// The records of one request body (gzip, NDJSON, JSON or HEC).
pub(super) fn body_records(request: &Request) -> Vec<Map<String, Value>> {
    let mut body = request.body.clone();
    if request.header("content-encoding") == Some("gzip") {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut raw)
            .expect("gzip body");
        body = raw;
    }
    if body.first() == Some(&b'[') {
        let all: Vec<Map<String, Value>> = serde_json::from_slice(&body).expect("JSON array");
        return all;
    }
    body.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut record: Map<String, Value> = serde_json::from_slice(l).expect("JSON line");
            if let Some(Value::Object(event)) = record.remove("event") {
                record = event;
            }
            record
        })
        .collect()
}

/// How many times each id arrived in the 2xx-answered requests; `ok`
/// tells which request indexes were answered 2xx.
pub(super) fn received_ids(
    server: &HttpsServer,
    ok: impl Fn(usize, &Request) -> bool,
) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for (i, request) in server.requests().iter().enumerate() {
        if ok(i, request) {
            for record in body_records(request) {
                let id = record["id"].as_str().expect("id").to_string();
                *ids.entry(id).or_default() += 1;
            }
        }
    }
    ids
}

/// The ids of `records`.
pub(super) fn ids(records: &[Map<String, Value>]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

/// The export keys for `server` with its CA file, then `extra`.
pub(super) fn export_keys(name: &str, server: &HttpsServer, path: &str, extra: &str) -> String {
    format!(
        "EXPORT_{name}_URL={}\nEXPORT_{name}_CA_FILE={}\n{extra}",
        server.url(path),
        server.ca_file.display()
    )
}

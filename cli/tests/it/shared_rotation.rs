//! Two processes share one daily-rotating file across midnight: a service
//! (a child process with a file sink on a `ManualClock`, driven over its
//! stdin) and `logward emit` runs (real processes of the binary, their clock
//! set by the test-only `IT_LOGWARD_NOW`). Neither renames the other's fresh
//! file, and `logward bundle --date-from/--date-to` finds every record, each
//! once, in whatever file it landed.
//!
//! The midnight is faked: the test's day D1 is yesterday and D2 today, and
//! the live file's modification time is set back to D1 before the first
//! process of D2 opens it, as the real clock would have left it.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;

use logward::sink::{Entry, FileSink, Rotation, Sink};
use logward::{Clock, Date, Level, LogType, ManualClock, SystemClock};
use serde_json::{Value, json};

use crate::util::child;

const SECOND: i64 = 1_000_000;

/// The service's side: commands on stdin, `ok` on stdout after each.
///
/// `open PATH MICROS`, `at MICROS`, `append FROM TO` (records `n` in
/// `FROM..TO`, each padded to about 400 bytes), `flush`.
fn serve() {
    let clock = ManualClock::new(0);
    let mut sink: Option<FileSink> = None;
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = line.expect("a command");
        let words: Vec<&str> = line.split(' ').collect();
        match words[..] {
            ["open", path, micros] => {
                clock.set_micros(micros.parse().expect("micros"));
                let rotation = Rotation {
                    daily: true,
                    max_files: None,
                    ..Rotation::default()
                };
                let opened =
                    FileSink::open(path.as_ref(), rotation, false, Arc::new(clock.clone()));
                sink = Some(opened.expect("the service opens its file"));
            }
            ["at", micros] => clock.set_micros(micros.parse().expect("micros")),
            ["append", from, to] => {
                let sink = sink.as_mut().expect("opened");
                for n in from.parse::<u64>().expect("from")..to.parse().expect("to") {
                    let line = record("service", n, clock.now_micros());
                    let entry = Entry {
                        line: line.as_bytes(),
                        level: Level::Info,
                        log_type: LogType::Application,
                    };
                    sink.append(&entry).expect("append");
                }
            }
            ["flush"] => sink.as_mut().expect("opened").flush().expect("flush"),
            _ => panic!("unknown command {line:?}"),
        }
        writeln!(out, "ok").expect("answer");
        out.flush().expect("answer");
    }
}

/// A record line as the runtime would write it.
fn record(who: &str, n: u64, micros: i64) -> String {
    let mut created_at = Vec::new();
    logward::record::push_rfc3339(&mut created_at, micros);
    let value = json!({
        "id": logward::record::new_uuid().to_string(),
        "created_at": String::from_utf8_lossy(&created_at),
        "hostname": "test",
        "level": "info",
        "log_type": "application",
        "pid": std::process::id(),
        "who": who,
        "n": n,
        "message": "x".repeat(300),
    });
    format!("{value}\n")
}

struct Service {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Service {
    fn start() -> Service {
        let mut child = child::command(
            module_path!(),
            "two_processes_sharing_a_file_across_midnight_never_rename_each_others_file",
            "service",
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the service starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Service {
            child,
            stdin,
            stdout,
        }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").expect("send");
        // The test harness prints its own lines too; wait for ours.
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).expect("read the answer");
            assert!(n > 0, "the service ended before answering {command:?}");
            if line == "ok\n" {
                return;
            }
        }
    }
}

/// Runs `logward emit` of record `n` with the clock at `micros`.
fn emit(config: &Path, micros: i64, n: u64) {
    let out = Command::new(env!("CARGO_BIN_EXE_logward"))
        .args(["--config"])
        .arg(config)
        .args(["emit", "--log-type", "application", "--level", "info"])
        .args(["who=emit", &format!("n:={n}")])
        .env("IT_LOGWARD_NOW", micros.to_string())
        .env_remove("LOGWARD_CONFIG")
        .output()
        .expect("emit runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// How many records of each `(who, n)` `logward bundle` finds with `args`
/// (`who` is `service` or `emit`).
fn bundle(config: &Path, args: &[&str]) -> BTreeMap<(String, u64), usize> {
    let out = Command::new(env!("CARGO_BIN_EXE_logward"))
        .arg("--config")
        .arg(config)
        .args(["bundle", "--log-type", "application"])
        .args(args)
        .env_remove("LOGWARD_CONFIG")
        .output()
        .expect("bundle runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut found = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let record: Value = serde_json::from_str(line).expect("a JSON line");
        // The journal, read too for re-routed records, holds other tests'.
        let Some(who) = record["who"].as_str().map(str::to_string) else {
            continue;
        };
        let n = record["n"].as_u64().expect("n");
        *found.entry((who, n)).or_default() += 1;
    }
    found
}

/// Each of `service` and `emit` records exactly once.
fn once(service: &[u64], emit: &[u64]) -> BTreeMap<(String, u64), usize> {
    let service = service.iter().map(|&n| (("service".to_string(), n), 1));
    let emit = emit.iter().map(|&n| (("emit".to_string(), n), 1));
    service.chain(emit).collect()
}

#[test]
fn two_processes_sharing_a_file_across_midnight_never_rename_each_others_file() {
    if child::role().is_some() {
        serve();
        return;
    }
    let d2 = Date::from_unix_micros(SystemClock.now_micros());
    let d1 = Date::from_days_since_epoch(d2.days_since_epoch() - 1);
    let before = d2.start_unix_micros() - 2 * SECOND;
    let after = d2.start_unix_micros() + SECOND;
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("app.log");
    let config = tmp.path().join("config");
    fs::write(
        &config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_ROTATE_DAILY=true\n",
            log.display()
        ),
    )
    .expect("write the configuration");

    // Just before midnight, both write into the live file.
    let mut service = Service::start();
    service.send(&format!("open {} {before}", log.display()));
    service.send("append 0 3");
    service.send("flush");
    emit(&config, before, 0);
    let set_mtime = Command::new("touch")
        .arg("-d")
        .arg(format!("@{}", before / SECOND))
        .arg(&log)
        .status()
        .expect("touch");
    assert!(set_mtime.success());

    // Just after midnight, an emit run rotates first and starts a new file.
    emit(&config, after, 1);
    let fresh = fs::metadata(&log).expect("the fresh live file");
    // The service then writes more than its buffer holds, so that it
    // writes (and decides to rotate) without a flush first.
    service.send(&format!("at {after}"));
    service.send("append 3 1003");
    // A record made before midnight reaches the sink late, after the other
    // process rotated; it joins the new file.
    service.send(&format!("at {before}"));
    service.send("append 1003 1004");
    service.send(&format!("at {after}"));
    emit(&config, after, 2);
    service.send("flush");
    drop(service.stdin);
    let status = service.child.wait().expect("the service ends");
    assert!(status.success());

    let live = fs::metadata(&log).expect("the live file");
    assert_eq!(
        (live.dev(), live.ino()),
        (fresh.dev(), fresh.ino()),
        "the live file is still the one emit started"
    );
    let mut names: Vec<String> = fs::read_dir(tmp.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["app.log", &format!("app.log.{d1}"), "config"]);

    let all: Vec<u64> = (0..1004).collect();
    assert_eq!(bundle(&config, &[]), once(&all, &[0, 1, 2]));
    let today: Vec<u64> = (3..1003).collect();
    assert_eq!(
        bundle(&config, &["--date-from", &d2.to_string()]),
        once(&today, &[1, 2])
    );
    assert_eq!(
        bundle(&config, &["--date-to", &d1.to_string()]),
        once(&[0, 1, 2, 1003], &[0])
    );
}

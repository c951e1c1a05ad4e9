//! `logward show --follow`: a real process following a file sink (a real
//! [`FileSink`](logward::sink::FileSink) that rotates at midnight on its
//! clock) and the real journal (records of `logward emit`), printing each
//! new record exactly once, in `created_at` order.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use logward::{Clock, Date, SystemClock};
use serde_json::{Value, json};

use super::cli::{logward, stderr};
use super::show::{Log, SECOND, config};
use crate::util::journald::ensure_running;
use crate::util::unique_id;

/// How long a record may take to be printed before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// `logward show --follow` running, its lines arriving on a channel.
struct Follower {
    child: Child,
    lines: Receiver<Value>,
}

impl Follower {
    fn start(args: &[&str]) -> Follower {
        let mut child = Command::new(env!("CARGO_BIN_EXE_logward"))
            .args(["show", "--follow", "-o", "json"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("show runs");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let value: Value = serde_json::from_str(&line).expect("a JSON line");
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Follower { child, lines }
    }

    /// The next `count` records printed.
    fn take(&self, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + PATIENCE;
        let mut got = Vec::new();
        while got.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(value) => got.push(value),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    panic!("{} of {count} records printed: {got:?}", got.len())
                }
            }
        }
        got
    }

    /// Whatever is printed within `wait`.
    fn more(&self, wait: Duration) -> Vec<Value> {
        let deadline = Instant::now() + wait;
        let mut got = Vec::new();
        while let Ok(value) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            got.push(value);
        }
        got
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn n_of(records: &[Value]) -> Vec<u64> {
    records
        .iter()
        .map(|r| r["n"].as_u64().expect("n"))
        .collect()
}

fn times(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["created_at"].as_str().expect("created_at").to_string())
        .collect()
}

fn emit_audit(conf: &str, n: u64) {
    let out = logward(
        &[
            "emit",
            "--config",
            conf,
            "--log-type",
            "audit",
            "--level",
            "info",
            "action=access",
            &format!("n:={n}"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn follow_prints_new_records_of_the_file_and_the_journal_once_each_in_created_at_order() {
    ensure_running();
    let tmp = tempfile::tempdir().expect("tempdir");
    let ident = format!("show-{}", unique_id());
    let (conf, log) = config(tmp.path(), &ident);
    let mut created = Vec::new();
    logward::record::push_rfc3339(&mut created, SystemClock.now_micros() - SECOND);
    let from = String::from_utf8(created).expect("utf-8");
    let mut file = Log::open(&log, SystemClock.now_micros());
    file.write(SystemClock.now_micros(), "info", "web", json!({"n": 0}));
    emit_audit(&conf, 1);

    let follower = Follower::start(&["--config", &conf, "-t", &ident, "--date-from", &from]);
    let past = follower.take(2);
    assert_eq!(n_of(&past), [0, 1], "the records since --date-from first");
    let mut sent = vec![0, 1];
    for round in 0..8 {
        let n = 2 + 2 * round;
        emit_audit(&conf, n);
        file.write(SystemClock.now_micros(), "info", "web", json!({"n": n + 1}));
        sent.extend([n, n + 1]);
    }
    let new = follower.take(16);
    let all: Vec<Value> = past.into_iter().chain(new).collect();
    let mut seen: Vec<u64> = n_of(&all);
    let order = times(&all);
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(
        order, sorted,
        "printed in created_at order across the sources"
    );
    seen.sort_unstable();
    assert_eq!(seen, sent, "each record exactly once");
    let ids: HashSet<&str> = all.iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(ids.len(), all.len());
    assert!(
        follower.more(Duration::from_secs(2)).is_empty(),
        "nothing more"
    );
}

#[test]
fn follow_reads_on_across_a_rotation_and_starts_at_the_end_without_a_start() {
    ensure_running();
    let tmp = tempfile::tempdir().expect("tempdir");
    let ident = format!("show-{}", unique_id());
    let (conf, log) = config(tmp.path(), &ident);
    let today = Date::from_unix_micros(SystemClock.now_micros()).start_unix_micros();
    let mut file = Log::open(&log, today - 3 * SECOND);
    file.write(today - 3 * SECOND, "info", "application", json!({"n": 1}));

    let follower = Follower::start(&["--config", &conf, "-t", &ident, "--date-from", "yesterday"]);
    assert_eq!(n_of(&follower.take(1)), [1]);
    file.write(today - 2 * SECOND, "info", "application", json!({"n": 2}));
    assert_eq!(
        n_of(&follower.take(1)),
        [2],
        "a record appended while following"
    );
    // Past midnight on the sink's clock: the live file is renamed to
    // app.log.<yesterday> and a new live file is created.
    file.write(today + SECOND, "info", "application", json!({"n": 3}));
    let rotated = log.with_file_name(format!(
        "app.log.{}",
        Date::from_unix_micros(today - SECOND)
    ));
    assert!(rotated.is_file(), "rotated into {}", rotated.display());
    file.write(today + 2 * SECOND, "info", "application", json!({"n": 4}));
    assert_eq!(n_of(&follower.take(2)), [3, 4], "read on into the new file");
    assert!(
        follower.more(Duration::from_secs(2)).is_empty(),
        "nothing twice"
    );

    // Without --date-from, following begins at the end: none of 1..=4, and
    // every record from the first one printed on.
    let late = Follower::start(&["--config", &conf, "-t", &ident]);
    let mut n = 10;
    let first = loop {
        file.write(today + n * SECOND, "info", "application", json!({"n": n}));
        let got = late.more(Duration::from_millis(500));
        if !got.is_empty() {
            break n_of(&got);
        }
        n += 1;
        assert!(n < 60, "the follower printed nothing");
    };
    assert!(first.iter().all(|&k| k >= 10), "{first:?}");
    file.write(
        today + 100 * SECOND,
        "info",
        "application",
        json!({"n": 100}),
    );
    let mut rest = first;
    while rest.last() != Some(&100) {
        rest.extend(n_of(&late.take(1)));
    }
    let expected: Vec<u64> = (rest[0]..=n as u64).chain([100]).collect();
    assert_eq!(rest, expected);
}

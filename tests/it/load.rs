//! Load: four threads log a million records each through a queue of 1,024
//! records into a real file. Every audit record is written exactly once, as
//! one valid JSON line; a type set to drop loses records only by the count
//! the runtime reports.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::thread;

use logward::sink::Stats;
use logward::{Emit, Guard, audit, web};
use serde::Deserialize;
use tracing::Dispatch;

use crate::util::{file_config, runtime};

const THREADS: usize = 4;
const EACH: usize = 1_000_000;
const SENT: u64 = (THREADS * EACH) as u64;

/// The runtime routing every type to `dir/app.log` through a queue of
/// 1,024 records, with `extra` configuration lines, installed in a
/// dispatcher that every logging thread shares; and the log's path.
fn start(dir: &Path, extra: &str) -> (PathBuf, Dispatch, Guard) {
    let (log, config) = file_config(dir, &format!("LOG_QUEUE_SIZE=1024\n{extra}"));
    let (dispatch, guard) = runtime(&config);
    (log, dispatch, guard)
}

/// Runs `log(thread, n)` for every `n` below [`EACH`] on each of
/// [`THREADS`] threads at once, then drops the guard; returns the stats
/// taken just before.
fn run(dispatch: Dispatch, guard: Guard, log: fn(usize, usize)) -> Stats {
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let dispatch = dispatch.clone();
            thread::spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    for n in 0..EACH {
                        log(t, n);
                    }
                });
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("a logging thread panicked");
    }
    guard.flush();
    let stats = guard.stats();
    drop(guard);
    stats
}

/// The fields of a line this test looks at.
#[derive(Deserialize)]
struct Line<'a> {
    id: &'a str,
    log_type: &'a str,
    element_id: Option<&'a str>,
    path: Option<&'a str>,
    action: Option<&'a str>,
    runtime_event: Option<&'a str>,
    dropped: Option<u64>,
}

/// What a log file holds.
#[derive(Default, Debug)]
struct Found {
    lines: u64,
    audit: u64,
    web: u64,
    lifecycle: u64,
    dropped_reported: u64,
}

/// Reads `path` line by line: every line must be a JSON record with a
/// UUID `id` never seen before; the test's records must carry a distinct
/// `thread-n` tag each (`element_id` for audit, `path` for web).
fn read(path: &Path) -> Found {
    let reader = BufReader::with_capacity(1 << 20, File::open(path).expect("open the log"));
    let mut ids: HashSet<u128> = HashSet::with_capacity(THREADS * EACH + 16);
    let mut tags: HashSet<String> = HashSet::with_capacity(THREADS * EACH + 16);
    let mut found = Found::default();
    for line in reader.split(b'\n') {
        let line = line.expect("read a line");
        let record: Line<'_> = match serde_json::from_slice(&line) {
            Ok(record) => record,
            Err(e) => panic!(
                "line {} is not a record ({e}): {}",
                found.lines + 1,
                String::from_utf8_lossy(&line)
            ),
        };
        found.lines += 1;
        let id = uuid::Uuid::parse_str(record.id).expect("id is a UUID");
        assert!(ids.insert(id.as_u128()), "id {} twice", record.id);
        match (record.log_type, record.element_id, record.path) {
            ("audit", Some(tag), _) => {
                found.audit += 1;
                assert!(tags.insert(format!("a{tag}")), "audit {tag} twice");
            }
            ("web", _, Some(tag)) => {
                found.web += 1;
                assert!(tags.insert(format!("w{tag}")), "web {tag} twice");
            }
            _ if matches!(record.action, Some("logging_started" | "logging_stopped")) => {
                found.lifecycle += 1;
            }
            _ if record.runtime_event == Some("records_dropped") => {
                found.dropped_reported += record.dropped.expect("dropped is a number");
            }
            _ => panic!("unexpected record: {}", String::from_utf8_lossy(&line)),
        }
    }
    found
}

fn audit_record(t: usize, n: usize) {
    audit::UserActivity::new(audit::Activity::Access, true, "report", "10.0.0.7")
        .element_id(&format!("{t}-{n}"))
        .info();
}

#[test]
fn four_threads_of_a_million_audit_records_through_a_queue_of_1024_are_all_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, dispatch, guard) = start(dir.path(), "");
    let stats = run(dispatch, guard, audit_record);

    let found = read(&log);
    assert_eq!(found.audit, SENT, "{found:?}");
    assert_eq!(found.lifecycle, 2, "{found:?}");
    assert_eq!(found.lines, SENT + 2, "nothing else: {found:?}");
    assert_eq!(stats.written, SENT + 1, "and logging_started: {stats:?}");
    assert_eq!((stats.rerouted, stats.dropped, stats.lost), (0, 0, 0));
}

#[test]
fn with_web_set_to_drop_every_web_record_is_written_or_reported_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, dispatch, guard) = start(dir.path(), "LOG_OVERFLOW_WEB=drop\n");
    // Half audit, half web, through the one writer of the shared file.
    let stats = run(dispatch, guard, |t, n| {
        if n % 2 == 0 {
            audit_record(t, n);
        } else {
            web::Request::new("GET", &format!("{t}-{n}"), 200).info();
        }
    });

    let found = read(&log);
    let web_sent = SENT / 2;
    eprintln!(
        "web: {web_sent} sent, {} written, {} dropped",
        found.web, stats.dropped
    );
    assert_eq!(found.audit, SENT / 2, "audit is never dropped: {found:?}");
    assert!(stats.dropped > 0, "a queue of 1,024 overflows: {stats:?}");
    assert_eq!(stats.dropped, web_sent - found.web, "{stats:?} {found:?}");
    assert_eq!(found.dropped_reported, stats.dropped, "{found:?}");
    assert_eq!((stats.rerouted, stats.lost), (0, 0));
}

//! A service that does not shut down cleanly: a thread panics and the
//! process exits without dropping the guard, or the process is killed with
//! SIGKILL mid-burst. And `LOG_SYNC=always`, which makes each written batch
//! durable, checked by tracing the service's system calls.
//!
//! Each service runs in a child process (`util::child`) writing to a real
//! file in a directory the test gives it.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use logward::{Emit, Guard, Logward, audit};
use serde_json::Value;

use crate::util::capture::parse_lines;
use crate::util::{child, file_config};

/// The variable giving the child its directory.
const DIR_VAR: &str = "IT_DIR";
/// The variable giving the child its `LOG_SYNC`.
const SYNC_VAR: &str = "IT_SYNC";

/// The queue size of the killed service: the records it holds, counting
/// the batch its writer has taken and not yet written.
const QUEUE: u64 = 1_024;

/// The child's side: the runtime installed globally, from a configuration
/// with every type in `$IT_DIR/app.log`, plus `extra` lines.
fn start_service(extra: &str) -> (PathBuf, Guard) {
    let dir = PathBuf::from(std::env::var(DIR_VAR).expect("the test's directory"));
    let (_log, config) = file_config(&dir, extra);
    let guard = Logward::builder()
        .with_config_path(&config)
        .build()
        .expect("logward builds")
        .init()
        .expect("logward installs");
    (dir, guard)
}

/// A child command running test `name` of this module, in `dir`.
fn service(name: &str, dir: &Path) -> Command {
    let mut command = child::command(module_path!(), name, "service");
    command.env(DIR_VAR, dir);
    command
}

fn text<'a>(record: &'a serde_json::Map<String, Value>, key: &str) -> &'a str {
    record.get(key).and_then(Value::as_str).unwrap_or("")
}

#[test]
fn a_panicking_service_thread_is_written_as_a_critical_record_before_exit() {
    if child::role().is_some() {
        let (_dir, guard) = start_service("");
        let worker = thread::Builder::new()
            .name("worker-7".into())
            .spawn(|| panic!("worker {} lost its database connection", 7))
            .expect("spawn the worker");
        assert!(worker.join().is_err(), "the worker panicked");
        // A service that gives up when a worker dies: it exits at once, and
        // `exit` runs no destructor, so the guard is never dropped.
        let _guard = guard;
        std::process::exit(3);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let output = service(
        "a_panicking_service_thread_is_written_as_a_critical_record_before_exit",
        dir.path(),
    )
    .output()
    .expect("run the service");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("thread 'worker-7'")
            && stderr.contains("panicked at tests/it/crash.rs:")
            && stderr.contains("worker 7 lost its database connection"),
        "the previous panic hook still runs: {stderr}"
    );

    let records = parse_lines(&std::fs::read_to_string(dir.path().join("app.log")).expect("log"));
    assert_eq!(
        records.len(),
        2,
        "logging_started and the panic: {records:?}"
    );
    assert_eq!(text(&records[0], "action"), "logging_started");
    let panic = &records[1];
    assert_eq!(text(panic, "level"), "critical");
    assert_eq!(text(panic, "log_type"), "application");
    assert_eq!(text(panic, "runtime_event"), "panic");
    assert_eq!(
        text(panic, "message"),
        "panic: worker 7 lost its database connection"
    );
    assert_eq!(text(panic, "thread"), "worker-7");
    let location = text(panic, "location");
    let line: usize = location
        .strip_prefix("tests/it/crash.rs:")
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("location is in this file: {location}"));
    let source = include_str!("crash.rs");
    let at = source.lines().nth(line - 1).expect("the line exists");
    assert!(at.contains("panic!(\"worker {}"), "{location}: {at}");
}

/// How many records each of the killed service's threads had handed to
/// logward, read from the progress file it keeps.
fn accepted(progress: &File, threads: usize) -> Vec<u64> {
    (0..threads)
        .map(|t| {
            let mut bytes = [0u8; 8];
            progress
                .read_exact_at(&mut bytes, 8 * t as u64)
                .expect("read the progress file");
            u64::from_le_bytes(bytes)
        })
        .collect()
}

const KILLED_THREADS: usize = 4;
/// Each thread's most records; the service is killed long before.
const KILLED_MAX: u64 = 5_000_000;

#[test]
fn sigkill_mid_burst_loses_at_most_the_queue() {
    if child::role().is_some() {
        let (dir, _guard) = start_service(&format!("LOG_QUEUE_SIZE={QUEUE}\n"));
        let progress = File::options()
            .write(true)
            .open(dir.join("progress"))
            .expect("open the progress file");
        thread::scope(|scope| {
            for t in 0..KILLED_THREADS {
                let progress = &progress;
                scope.spawn(move || {
                    for n in 0..KILLED_MAX {
                        audit::UserActivity::new(audit::Activity::Access, true, "report", "::1")
                            .element_id(&format!("{t}-{n}"))
                            .info();
                        // The record is accepted: say so where SIGKILL
                        // cannot take it back (the kernel's page cache).
                        progress
                            .write_all_at(&(n + 1).to_le_bytes(), 8 * t as u64)
                            .expect("write progress");
                    }
                });
            }
        });
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let progress_path = dir.path().join("progress");
    std::fs::write(&progress_path, [0u8; 8 * KILLED_THREADS]).expect("progress file");
    let progress = File::open(&progress_path).expect("open the progress file");
    let mut child = service("sigkill_mid_burst_loses_at_most_the_queue", dir.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("start the service");
    let start = Instant::now();
    while accepted(&progress, KILLED_THREADS).iter().sum::<u64>() < 200_000 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the service logs too slowly"
        );
        thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL the service");
    child.wait().expect("reap the service");
    let accepted = accepted(&progress, KILLED_THREADS);

    // The file: whole records, in each thread's order, and perhaps a torn
    // last line (a write cut short by the kill).
    let written = std::fs::read_to_string(dir.path().join("app.log")).expect("read the log");
    let whole = written.rfind('\n').map_or("", |end| &written[..=end]);
    let records = parse_lines(whole);
    assert_eq!(text(&records[0], "action"), "logging_started");
    let mut found: BTreeMap<usize, u64> = BTreeMap::new();
    for record in &records[1..] {
        let tag = text(record, "element_id");
        let (t, n) = tag.split_once('-').expect("t-n");
        let (t, n): (usize, u64) = (t.parse().expect("t"), n.parse().expect("n"));
        let next = found.entry(t).or_default();
        assert_eq!(n, *next, "thread {t}: records in order, none missing");
        *next += 1;
    }
    let mut lost = 0;
    for (t, &accepted) in accepted.iter().enumerate() {
        let found = found.get(&t).copied().unwrap_or(0);
        // The one record accepted between the kill and its progress write
        // may be in the file without being counted.
        assert!(found <= accepted + 1, "thread {t}: {found} > {accepted}");
        lost += accepted.saturating_sub(found);
    }
    let total: u64 = accepted.iter().sum();
    eprintln!(
        "SIGKILL after {total} accepted records: {} in the file, {lost} lost \
         (bound: the queue, {QUEUE})",
        records.len() - 1
    );
    assert!(lost <= QUEUE, "{lost} lost");
}

/// The `fdatasync` calls on `log` that `strace` saw.
fn fdatasyncs(trace: &str, log: &Path) -> usize {
    let call = "fdatasync(";
    let file = format!("<{}>", log.display());
    trace
        .lines()
        .filter(|line| line.contains(call) && line.contains(&file))
        .count()
}

const SYNC_BURSTS: usize = 20;
const SYNC_BURST: usize = 50;

/// Runs the service of the `LOG_SYNC` test with `sync` under `strace`;
/// returns how many `fdatasync` calls it made on its log file.
fn traced_service(sync: &str) -> usize {
    let dir = tempfile::tempdir().expect("tempdir");
    let trace = dir.path().join("trace");
    let service = service(
        "log_sync_always_makes_each_written_batch_durable",
        dir.path(),
    );
    let output = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-y",
            "-e",
            "trace=fdatasync,fsync",
            "-e",
            "signal=none",
            "-o",
        ])
        .arg(&trace)
        .arg(service.get_program())
        .args(service.get_args())
        .envs(service.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env(SYNC_VAR, sync)
        .output()
        .expect("run strace (Debian package: strace)");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let log = dir.path().join("app.log");
    let records = parse_lines(&std::fs::read_to_string(&log).expect("read the log"));
    assert_eq!(records.len(), SYNC_BURSTS * SYNC_BURST + 2, "every record");
    fdatasyncs(
        &std::fs::read_to_string(&trace).expect("read the trace"),
        &log,
    )
}

#[test]
fn log_sync_always_makes_each_written_batch_durable() {
    if child::role().is_some() {
        let sync = std::env::var(SYNC_VAR).expect("LOG_SYNC");
        let (_dir, guard) = start_service(&format!("LOG_SYNC={sync}\nLOG_SYNC_AUDIT={sync}\n"));
        for burst in 0..SYNC_BURSTS {
            for n in 0..SYNC_BURST {
                tracing::info!(burst, n, "record");
            }
            guard.flush();
        }
        return;
    }
    assert_eq!(traced_service("never"), 0, "LOG_SYNC=never never syncs");
    let synced = traced_service("always");
    eprintln!(
        "LOG_SYNC=always: {synced} fdatasync calls for {} records in {SYNC_BURSTS} flushed bursts",
        SYNC_BURSTS * SYNC_BURST
    );
    assert!(
        (SYNC_BURSTS..=SYNC_BURSTS * SYNC_BURST + 2).contains(&synced),
        "LOG_SYNC=always syncs after every written batch, at least once per flush: {synced}"
    );
}

//! End-to-end throughput and caller-thread latency of logward against its
//! peers, measured in the same run; prints markdown tables.
//!
//! ```text
//! bash .ci/start-journald           # the journald cases need a running journald (root)
//! cargo bench --bench throughput    # N=100000 for a quick run
//! ```
//!
//! Every case logs the same event, an audit login attempt with 8 fields and
//! a message inside a span carrying `request_id` and `user_name`, `N` times
//! in all (default 1,000,000), from 1 and from 2 producer threads:
//!
//! - `logward`: a real [`FileSink`](logward::sink::FileSink) from a
//!   configuration (`LOG_FILE_AUDIT`), also with `LOG_SYNC_AUDIT=always`;
//! - `fmt_json`: `tracing-subscriber`'s `fmt().json()` through
//!   `tracing-appender`'s `non_blocking` with `lossy(false)`;
//! - `baseline`: no `tracing` at all; the same flat JSON line made with
//!   `serde_json` (a derived `Serialize` struct), a fresh UUIDv4 (`uuid`
//!   with its userspace generator) and the timestamp, written into a
//!   `BufWriter<File>` on the calling thread (behind a mutex with 2 threads).
//!
//! Each goes to a file under `<target>/bench-throughput/` and to
//! `/dev/null`. End to end is from the first call until every line is in
//! the file (the guard dropped, the writer joined); lost is `N` minus the
//! lines counted in the file (for `/dev/null`, what the tool itself counts).
//! Latency is each call timed with a pair of `Instant::now()`.
//!
//! journald (`N_JOURNALD` records, default 200,000): logward's journald sink
//! against `tracing-journald`, each run with a unique `SYSLOG_IDENTIFIER`;
//! end to end until `journalctl --sync` returns, records counted with
//! `journalctl SYSLOG_IDENTIFIER=… -o cat`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use logward::{Config, Level, Logward};
use serde::Serialize;
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt;

mod common;

/// Records per case, unless `N` says otherwise.
const DEFAULT_N: u64 = 1_000_000;
/// Records per journald case, unless `N_JOURNALD` says otherwise.
const DEFAULT_N_JOURNALD: u64 = 200_000;
/// Disabled events timed for the ns-per-call figure.
const DISABLED_CALLS: u32 = 20_000_000;

/// Where a case's records go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dest {
    File,
    DevNull,
    Journald,
}

impl Dest {
    fn name(self) -> &'static str {
        match self {
            Dest::File => "file",
            Dest::DevNull => "/dev/null",
            Dest::Journald => "journald",
        }
    }
}

/// The measured outcome of one case.
struct Row {
    tool: &'static str,
    dest: Dest,
    threads: usize,
    records: u64,
    seconds: f64,
    /// Caller-thread latencies of every call, in ns, sorted.
    latencies: Vec<u32>,
    lost: u64,
    /// Bytes per record, when they went to a file.
    bytes_per_record: Option<f64>,
}

impl Row {
    fn per_second(&self) -> f64 {
        self.records as f64 / self.seconds
    }

    /// The latency at quantile `q` (0 to 1), in ns.
    fn quantile(&self, q: f64) -> u32 {
        let last = self.latencies.len().saturating_sub(1);
        let i = ((last as f64) * q).round() as usize;
        self.latencies.get(i).copied().unwrap_or(0)
    }
}

fn main() {
    let n = count_from_env("N", DEFAULT_N);
    let n_journald = count_from_env("N_JOURNALD", DEFAULT_N_JOURNALD);
    let dir = target_dir().join("bench-throughput");
    fs::create_dir_all(&dir).expect("create the bench directory");

    let mut rows = Vec::new();
    for dest in [Dest::File, Dest::DevNull] {
        for threads in [1, 2] {
            rows.push(logward_case(&dir, dest, threads, n, false));
            rows.push(fmt_json_case(&dir, dest, threads, n));
            rows.push(baseline_case(&dir, dest, threads, n));
        }
    }
    rows.push(logward_case(&dir, Dest::File, 1, n, true));
    if logward::journald_available() {
        for threads in [1, 2] {
            rows.push(logward_case(
                &dir,
                Dest::Journald,
                threads,
                n_journald,
                false,
            ));
            rows.push(tracing_journald_case(threads, n_journald));
        }
    } else {
        println!(
            "!!! no journald socket: run `bash .ci/start-journald`; journald cases left out\n"
        );
    }
    let disabled = disabled_ns();

    print_rows(&rows);
    println!();
    print_ratios(&rows);
    println!();
    println!(
        "Disabled event (below its type's level): {disabled:.2} ns per call. \
         N = {n} ({n_journald} for journald); latencies in ns, max in µs; \
         `logward sync` is `LOG_SYNC_AUDIT=always` (fsync per written batch)."
    );
}

fn count_from_env(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text}: not a number of records")),
        Err(_) => default,
    }
}

/// `<target>`, where this bench is built (`<target>/release/deps/…`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the bench knows its path");
    exe.ancestors()
        .nth(3)
        .expect("the bench runs from <target>/release/deps")
        .to_path_buf()
}

/// A name no earlier run used, for files and `SYSLOG_IDENTIFIER`.
fn unique(tool: &str, threads: usize) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("bench-{tool}-{threads}-{}-{nanos}", std::process::id())
}

/// Runs `call` for `n` records over `threads` producers, each inside its
/// own request span under `dispatch` (when given), timing every call; then
/// `finish`, which returns once every record is delivered. Returns the
/// seconds from the first call to the end of `finish`, and the sorted
/// latencies.
fn measure(
    threads: usize,
    n: u64,
    dispatch: Option<&Dispatch>,
    call: &(dyn Fn(u64) + Sync),
    finish: impl FnOnce(),
) -> (f64, Vec<u32>) {
    let per_thread = n / threads as u64;
    let start = Instant::now();
    let mut latencies: Vec<u32> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let _default = dispatch.map(tracing::dispatcher::set_default);
                    let span = common::request_span();
                    let _entered = span.enter();
                    // Written through before timing, so that no page fault
                    // on this buffer lands inside a timed call.
                    let mut timings = vec![u32::MAX; per_thread as usize];
                    let first = t as u64 * per_thread;
                    for (i, slot) in (first..).zip(timings.iter_mut()) {
                        let before = Instant::now();
                        call(i);
                        let ns = before.elapsed().as_nanos();
                        *slot = u32::try_from(ns).unwrap_or(u32::MAX);
                    }
                    timings
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a producer thread panicked"))
            .collect()
    });
    finish();
    let seconds = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    (seconds, latencies)
}

/// The path a case writes to, and a fresh file there when it is a file.
fn output_path(dir: &Path, dest: Dest, name: &str) -> PathBuf {
    match dest {
        Dest::DevNull => PathBuf::from("/dev/null"),
        _ => dir.join(format!("{name}.log")),
    }
}

/// Lines and bytes of a finished output file, which is then removed.
fn count_and_remove(path: &Path) -> (u64, u64) {
    let bytes = fs::read(path).unwrap_or_default();
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    let _ = fs::remove_file(path);
    (lines, bytes.len() as u64)
}

/// Fills in lost records and bytes per record from the output.
fn finish_row(mut row: Row, path: &Path, counted_elsewhere: impl FnOnce() -> u64) -> Row {
    if row.dest == Dest::File {
        let (lines, bytes) = count_and_remove(path);
        row.lost = row.records.saturating_sub(lines);
        row.bytes_per_record = Some(bytes as f64 / lines.max(1) as f64);
    } else {
        row.lost = counted_elsewhere();
    }
    row
}

fn logward_case(dir: &Path, dest: Dest, threads: usize, n: u64, sync: bool) -> Row {
    let tool = if sync { "logward sync" } else { "logward" };
    let name = unique("logward", threads);
    let path = output_path(dir, dest, &name);
    let mut text = String::from("LOG_LEVEL=info\n");
    if dest == Dest::Journald {
        text.push_str(&format!("LOG_SYSLOG_IDENTIFIER={name}\n"));
    } else {
        text.push_str(&format!("LOG_FILE_AUDIT={}\n", path.display()));
    }
    if sync {
        text.push_str("LOG_SYNC_AUDIT=always\n");
    }
    let config = Config::from_str(&text, Path::new("throughput.conf"))
        .unwrap_or_else(|e| panic!("the bench configuration is valid: {e}"));
    let (layer, guard) = Logward::builder()
        .with_config(config)
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("logward builds")
        .into_parts();
    let dispatch = Dispatch::new(tracing_subscriber::registry().with(layer));
    let mut stats = None;
    let (seconds, latencies) = measure(threads, n, Some(&dispatch), &common::login_attempt, || {
        guard.flush();
        if dest == Dest::Journald {
            journald_sync();
        }
        stats = Some(guard.stats());
        drop(guard);
    });
    let row = Row {
        tool,
        dest,
        threads,
        records: n,
        seconds,
        latencies,
        lost: 0,
        bytes_per_record: None,
    };
    finish_row(row, &path, || match dest {
        Dest::Journald => n.saturating_sub(journal_count(&name)),
        _ => stats.map_or(n, |s| n.saturating_sub(s.written)),
    })
}

fn fmt_json_case(dir: &Path, dest: Dest, threads: usize, n: u64) -> Row {
    let path = output_path(dir, dest, &unique("fmt", threads));
    let file = File::create(&path).expect("create the output file");
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(file);
    let dropped = writer.error_counter();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_writer(writer)
        .finish();
    let dispatch = Dispatch::new(subscriber);
    let (seconds, latencies) = measure(threads, n, Some(&dispatch), &common::login_attempt, || {
        drop(guard)
    });
    let row = Row {
        tool: "fmt_json",
        dest,
        threads,
        records: n,
        seconds,
        latencies,
        lost: 0,
        bytes_per_record: None,
    };
    finish_row(row, &path, || dropped.dropped_lines() as u64)
}

/// The flat record, as the baseline serialises it.
#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    created_at: &'a str,
    hostname: &'a str,
    level: &'a str,
    log_type: &'a str,
    pid: u32,
    request_id: &'a str,
    user_name: &'a str,
    action: &'a str,
    access_granted: bool,
    client_ip: &'a str,
    forwarded_for_client_ip: &'a str,
    user_agent: &'a str,
    method: &'a str,
    attempt: u64,
    tenant: &'a str,
    message: &'a str,
}

thread_local! {
    /// The baseline's reused buffer for `created_at`.
    static STAMP: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

fn baseline_case(dir: &Path, dest: Dest, threads: usize, n: u64) -> Row {
    let path = output_path(dir, dest, &unique("baseline", threads));
    let file = File::create(&path).expect("create the output file");
    let out = Mutex::new(BufWriter::with_capacity(64 * 1024, file));
    let hostname = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    let pid = std::process::id();
    let call = |i: u64| {
        let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut id);
        let mut created_at = STAMP.take();
        created_at.clear();
        logward::record::push_rfc3339(&mut created_at, now_micros());
        let line = Line {
            id,
            created_at: std::str::from_utf8(&created_at).unwrap_or_default(),
            hostname: &hostname,
            level: "info",
            log_type: "audit",
            pid,
            request_id: common::REQUEST_ID,
            user_name: common::USER_NAME,
            action: "login_attempt",
            access_granted: i % 2 == 0,
            client_ip: "10.0.0.7",
            forwarded_for_client_ip: "203.0.113.9",
            user_agent: "curl/8.5.0",
            method: "password",
            attempt: i,
            tenant: "acme",
            message: "login attempt",
        };
        let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
        serde_json::to_writer(&mut *out, &line).expect("serialise the line");
        out.write_all(b"\n").expect("write the line");
        STAMP.set(created_at);
    };
    let (seconds, latencies) = measure(threads, n, None, &call, || {
        out.lock()
            .unwrap_or_else(|e| e.into_inner())
            .flush()
            .expect("flush the baseline's file");
    });
    let row = Row {
        tool: "baseline",
        dest,
        threads,
        records: n,
        seconds,
        latencies,
        lost: 0,
        bytes_per_record: None,
    };
    finish_row(row, &path, || 0)
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

fn tracing_journald_case(threads: usize, n: u64) -> Row {
    let name = unique("tracing-journald", threads);
    let layer = tracing_journald::layer()
        .expect("tracing-journald connects")
        .with_syslog_identifier(name.clone());
    let dispatch = Dispatch::new(tracing_subscriber::registry().with(layer));
    let (seconds, latencies) = measure(
        threads,
        n,
        Some(&dispatch),
        &common::login_attempt,
        journald_sync,
    );
    Row {
        tool: "tracing-journald",
        dest: Dest::Journald,
        threads,
        records: n,
        seconds,
        latencies,
        lost: n.saturating_sub(journal_count(&name)),
        bytes_per_record: None,
    }
}

/// Returns once journald has stored everything sent before the call.
fn journald_sync() {
    let status = Command::new("journalctl").arg("--sync").status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "journalctl --sync failed"
    );
}

/// Entries in the journal with this `SYSLOG_IDENTIFIER`, counted once the
/// count stops changing (`--sync` has already been waited for).
fn journal_count(identifier: &str) -> u64 {
    let count = || {
        let output = Command::new("journalctl")
            .args(["--quiet", "--no-pager", "--output=cat"])
            .arg(format!("SYSLOG_IDENTIFIER={identifier}"))
            .output()
            .expect("run journalctl");
        output.stdout.iter().filter(|&&b| b == b'\n').count() as u64
    };
    let mut last = count();
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = count();
        if now == last {
            return now;
        }
        last = now;
    }
}

/// ns per call of an audit event below the level of its type.
fn disabled_ns() -> f64 {
    let (layer, guard) = Logward::builder()
        .with_writer(std::io::sink())
        .with_level(Level::Info)
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("logward builds")
        .into_parts();
    let dispatch = Dispatch::new(tracing_subscriber::registry().with(layer));
    let seconds = tracing::dispatcher::with_default(&dispatch, || {
        let start = Instant::now();
        for i in 0..DISABLED_CALLS {
            tracing::debug!(target: "logward::audit", attempt = std::hint::black_box(i), "below the level");
        }
        start.elapsed().as_secs_f64()
    });
    drop(guard);
    seconds * 1e9 / f64::from(DISABLED_CALLS)
}

fn print_rows(rows: &[Row]) {
    println!(
        "| sink | tool | threads | records/s | p50 ns | p99 ns | p99.9 ns | max µs | lost | bytes/record |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
    for r in rows {
        let bytes = r
            .bytes_per_record
            .map_or_else(|| "—".to_string(), |b| format!("{b:.0}"));
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.dest.name(),
            r.tool,
            r.threads,
            thousands(r.per_second() as u64),
            r.quantile(0.5),
            r.quantile(0.99),
            r.quantile(0.999),
            thousands(u64::from(r.quantile(1.0)) / 1000),
            r.lost,
            bytes,
        );
    }
}

/// logward over each peer, per sink and thread count: throughput ratios
/// (above 1: logward is faster) and latency ratios (above 1: logward's
/// callers wait less).
fn print_ratios(rows: &[Row]) {
    println!(
        "| sink | threads | peer | records/s logward/peer | p50 peer/logward | p99.9 peer/logward |"
    );
    println!("|---|--:|---|--:|--:|--:|");
    for ours in rows.iter().filter(|r| r.tool == "logward") {
        let peers = rows
            .iter()
            .filter(|r| r.tool != ours.tool && !r.tool.starts_with("logward"))
            .filter(|r| r.dest == ours.dest && r.threads == ours.threads);
        for peer in peers {
            println!(
                "| {} | {} | {} | {:.2}× | {:.2}× | {:.2}× |",
                ours.dest.name(),
                ours.threads,
                peer.tool,
                ours.per_second() / peer.per_second(),
                f64::from(peer.quantile(0.5)) / f64::from(ours.quantile(0.5).max(1)),
                f64::from(peer.quantile(0.999)) / f64::from(ours.quantile(0.999).max(1)),
            );
        }
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

//! logward, `fmt().json()` with `non_blocking`, and the hand-written
//! baseline, each as one case; and the disabled event.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use logward::{Builder, Config, Guard, Level, Logward};
use serde::Serialize;
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt;

use crate::common;
use crate::journald::{JournaldCpu, journal_count, journald_sync};
use crate::measure::{Dest, Row, measure, output_path, unique};

/// Disabled events timed for the ns-per-call figure.
const DISABLED_CALLS: u32 = 20_000_000;

/// logward configured as an operator would: audit to `dest`, fsync per
/// written batch with `sync`.
pub fn logward(dir: &Path, dest: Dest, threads: usize, n: u64, sync: bool) -> Row {
    let tool = if sync { "logward sync" } else { "logward" };
    logward_logging(tool, &common::login_attempt, dir, dest, threads, n, sync)
}

/// [`logward`] to a file, logging the typed [`common::typed_login_attempt`].
pub fn logward_typed(dir: &Path, threads: usize, n: u64) -> Row {
    let call = &common::typed_login_attempt;
    logward_logging("logward typed", call, dir, Dest::File, threads, n, false)
}

/// [`logward`] as `tool`, each record logged by `call`.
fn logward_logging(
    tool: &'static str,
    call: &(dyn Fn(u64) + Sync),
    dir: &Path,
    dest: Dest,
    threads: usize,
    n: u64,
    sync: bool,
) -> Row {
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
    // The file sink refuses a device, so `/dev/null` is given as a writer.
    let builder = if dest == Dest::DevNull {
        let null = File::options()
            .write(true)
            .open(&path)
            .expect("open /dev/null");
        Logward::builder().with_writer(null).with_level(Level::Info)
    } else {
        Logward::builder().with_config(config)
    };
    let (dispatch, guard) = installable(builder);
    let cpu = (dest == Dest::Journald).then(JournaldCpu::start);
    let mut written = 0;
    let timed = measure(threads, n, Some(&dispatch), call, || {
        guard.flush();
        if dest == Dest::Journald {
            journald_sync();
        }
        written = guard.stats().written;
        drop(guard);
    });
    let mut row = Row::new(tool, dest, threads, n, timed);
    row.journald_us = cpu.and_then(|cpu| cpu.per_entry(n));
    row.counted(&path, || match dest {
        Dest::Journald => n.saturating_sub(journal_count(&name)),
        _ => n.saturating_sub(written),
    })
}

/// The runtime `builder` makes, without a panic hook or lifecycle records
/// (so that the lines counted are the bench's own), as a dispatcher.
pub fn installable(builder: Builder) -> (Dispatch, Guard) {
    let (layer, guard) = builder
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("logward builds")
        .into_parts();
    (
        Dispatch::new(tracing_subscriber::registry().with(layer)),
        guard,
    )
}

/// `fmt().json()` through `non_blocking` with `lossy(false)`.
pub fn fmt_json(dir: &Path, dest: Dest, threads: usize, n: u64) -> Row {
    fmt_json_logging("fmt_json", &common::login_attempt, dir, dest, threads, n)
}

/// [`fmt_json`] to a file, logging the typed [`common::typed_login_attempt`]
/// (which `fmt` sees as its message and one value holding its other fields).
pub fn fmt_json_typed(dir: &Path, threads: usize, n: u64) -> Row {
    let call = &common::typed_login_attempt;
    fmt_json_logging("fmt_json typed", call, dir, Dest::File, threads, n)
}

/// [`fmt_json`] as `tool`, each record logged by `call`.
fn fmt_json_logging(
    tool: &'static str,
    call: &(dyn Fn(u64) + Sync),
    dir: &Path,
    dest: Dest,
    threads: usize,
    n: u64,
) -> Row {
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
    let timed = measure(threads, n, Some(&dispatch), call, || drop(guard));
    Row::new(tool, dest, threads, n, timed).counted(&path, || dropped.dropped_lines() as u64)
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
    static STAMP: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The same record written by hand on the calling thread.
pub fn baseline(dir: &Path, dest: Dest, threads: usize, n: u64) -> Row {
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
    let timed = measure(threads, n, None, &call, || {
        out.lock()
            .unwrap_or_else(|e| e.into_inner())
            .flush()
            .expect("flush the baseline's file");
    });
    Row::new("baseline", dest, threads, n, timed).counted(&path, || 0)
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// ns per call of an audit event below the level of its type.
pub fn disabled_ns() -> f64 {
    let (dispatch, guard) = installable(
        Logward::builder()
            .with_writer(std::io::sink())
            .with_level(Level::Info),
    );
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

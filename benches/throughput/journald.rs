//! `tracing-journald` as a case, logward with an `ID` field as a
//! diagnostic case, reading back from the journal, and what journald itself
//! spends per entry.

use std::fs;
use std::io;
use std::process::Command;
use std::time::Duration;

use logward::sink::{Entry, JournaldSink, Sink};
use logward::{Level, Logward};
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt;

use crate::cases::installable;
use crate::common;
use crate::measure::{Dest, Row, measure, unique};

/// `tracing-journald`, which sends each record from the calling thread.
pub fn tracing_journald(threads: usize, n: u64) -> Row {
    let name = unique("tracing-journald", threads);
    let layer = tracing_journald::layer()
        .expect("tracing-journald connects")
        .with_syslog_identifier(name.clone());
    let dispatch = Dispatch::new(tracing_subscriber::registry().with(layer));
    let cpu = JournaldCpu::start();
    let timed = measure(
        threads,
        n,
        Some(&dispatch),
        &common::login_attempt,
        journald_sync,
    );
    let mut row = Row::new("tracing-journald", Dest::Journald, threads, n, timed);
    row.journald_us = cpu.per_entry(n);
    row.lost = n.saturating_sub(journal_count(&name));
    row
}

/// logward's journald sink given each record with its `id` key renamed
/// `ie`: the entry carries the record's id as a field of its own (`IE`),
/// as it would as `ID`, with `MESSAGE` just as long. A diagnostic of what
/// that field, unique to every entry, costs journald; logward itself sends
/// no `ID` field.
pub fn logward_with_id_field(threads: usize, n: u64) -> Row {
    let name = unique("logward-with-id", threads);
    let sink = WithIdField {
        journald: JournaldSink::connect(&name).expect("a journald socket"),
        line: Vec::new(),
    };
    let (dispatch, guard) = installable(
        Logward::builder()
            .with_sink(Box::new(sink) as Box<dyn Sink>)
            .with_level(Level::Info),
    );
    let cpu = JournaldCpu::start();
    let timed = measure(threads, n, Some(&dispatch), &common::login_attempt, || {
        guard.flush();
        journald_sync();
        drop(guard);
    });
    let mut row = Row::new("logward + ID field", Dest::Journald, threads, n, timed);
    row.journald_us = cpu.per_entry(n);
    row.lost = n.saturating_sub(journal_count(&name));
    row
}

/// Renames the leading `"id"` key of each record `"ie"` before journald's
/// sink gets it, so that the sink sends the id as the field `IE`.
struct WithIdField {
    journald: JournaldSink,
    line: Vec<u8>,
}

impl Sink for WithIdField {
    fn append(&mut self, entry: &Entry<'_>) -> io::Result<()> {
        const ID: &[u8] = b"{\"id\":";
        self.line.clear();
        self.line.extend_from_slice(entry.line);
        if self.line.starts_with(ID) {
            self.line[3] = b'e';
        }
        self.journald.append(&Entry {
            line: &self.line,
            ..*entry
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.journald.flush()
    }

    fn describe(&self) -> String {
        "journald, the id as a field".to_string()
    }
}

/// Starts journald on a new journal file, so that no case inherits a file
/// the previous one nearly filled (and pays for its rotation). Needs the
/// rights to signal journald; without them the journal is left as it is.
pub fn journald_rotate() {
    let _ = Command::new("journalctl")
        .arg("--rotate")
        .stderr(std::process::Stdio::null())
        .status();
}

/// The CPU time systemd-journald has used, read at the start of a case.
pub struct JournaldCpu {
    pid: Option<u32>,
    ticks: Option<u64>,
}

impl JournaldCpu {
    pub fn start() -> JournaldCpu {
        let pid = journald_pid();
        JournaldCpu {
            pid,
            ticks: pid.and_then(cpu_ticks),
        }
    }

    /// journald's CPU time since [`JournaldCpu::start`] over `n` entries,
    /// in µs per entry; `None` when it cannot be read.
    pub fn per_entry(&self, n: u64) -> Option<f64> {
        let used = cpu_ticks(self.pid?)?.saturating_sub(self.ticks?);
        // SAFETY: sysconf only reads a system constant.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        (per_second > 0 && n > 0).then(|| used as f64 * 1e6 / per_second as f64 / n as f64)
    }
}

/// The pid of the running systemd-journald (its `comm` is cut to
/// `systemd-journal`).
fn journald_pid() -> Option<u32> {
    fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let comm = fs::read_to_string(entry.path().join("comm")).ok()?;
        (comm.trim() == "systemd-journal").then_some(pid)
    })
}

/// User plus system CPU time of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which ends at the last `)`: state is
    // the first, utime the 12th and stime the 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Returns once journald has stored everything sent before the call.
pub fn journald_sync() {
    let status = Command::new("journalctl").arg("--sync").status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "journalctl --sync failed"
    );
}

/// Entries in the journal with this `SYSLOG_IDENTIFIER`, counted once the
/// count stops changing (`--sync` has already been waited for).
pub fn journal_count(identifier: &str) -> u64 {
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

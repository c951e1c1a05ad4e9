//! Running producers, timing every call, and what a case measured.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use tracing::Dispatch;

use crate::common;

/// Where a case's records go.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    File,
    DevNull,
    Journald,
}

impl Dest {
    pub fn name(self) -> &'static str {
        match self {
            Dest::File => "file",
            Dest::DevNull => "/dev/null",
            Dest::Journald => "journald",
        }
    }
}

/// The measured outcome of one case.
pub struct Row {
    pub tool: &'static str,
    pub dest: Dest,
    pub threads: usize,
    pub records: u64,
    pub seconds: f64,
    /// Caller-thread latencies of every call, in ns, sorted.
    pub latencies: Vec<u32>,
    pub lost: u64,
    /// Bytes per record, when they went to a file.
    pub bytes_per_record: Option<f64>,
    /// CPU time journald spent per entry, in µs (journald cases).
    pub journald_us: Option<f64>,
}

impl Row {
    /// A row for `n` records of `tool`, as [`measure`] timed them; nothing
    /// lost until counted.
    pub fn new(
        tool: &'static str,
        dest: Dest,
        threads: usize,
        n: u64,
        (seconds, latencies): (f64, Vec<u32>),
    ) -> Row {
        Row {
            tool,
            dest,
            threads,
            records: n,
            seconds,
            latencies,
            lost: 0,
            bytes_per_record: None,
            journald_us: None,
        }
    }

    /// Several rounds of one case as one row: the records/s of the median
    /// round, the latencies of every call of every round, the records lost
    /// in all of them, and journald's mean CPU time per entry.
    pub fn median(mut rounds: Vec<Row>) -> Row {
        assert!(!rounds.is_empty(), "a case runs at least one round");
        let lost = rounds.iter().map(|r| r.lost).sum();
        let journald: Vec<f64> = rounds.iter().filter_map(|r| r.journald_us).collect();
        let journald_us =
            (!journald.is_empty()).then(|| journald.iter().sum::<f64>() / journald.len() as f64);
        let mut latencies: Vec<u32> = rounds
            .iter_mut()
            .flat_map(|r| std::mem::take(&mut r.latencies))
            .collect();
        latencies.sort_unstable();
        rounds.sort_by(|a, b| a.per_second().total_cmp(&b.per_second()));
        let mut row = rounds.swap_remove(rounds.len() / 2);
        row.lost = lost;
        row.latencies = latencies;
        row.journald_us = journald_us;
        row
    }

    pub fn per_second(&self) -> f64 {
        self.records as f64 / self.seconds
    }

    /// The latency at quantile `q` (0 to 1), in ns.
    pub fn quantile(&self, q: f64) -> u32 {
        let last = self.latencies.len().saturating_sub(1);
        let i = ((last as f64) * q).round() as usize;
        self.latencies.get(i).copied().unwrap_or(0)
    }

    /// Counts the lines of the output file (then removes it) for lost
    /// records and bytes per record; `/dev/null` and journald take
    /// `lost` as counted elsewhere.
    pub fn counted(mut self, path: &Path, lost: impl FnOnce() -> u64) -> Row {
        if self.dest == Dest::File {
            let bytes = fs::read(path).unwrap_or_default();
            let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            let _ = fs::remove_file(path);
            self.lost = self.records.saturating_sub(lines);
            self.bytes_per_record = Some(bytes.len() as f64 / lines.max(1) as f64);
        } else {
            self.lost = lost();
        }
        self
    }
}

/// Lets the machine settle between cases: the file a case wrote is
/// deleted, and the file system's work on that (writing back, discarding
/// the freed blocks) would otherwise fall into the next case's time.
pub fn settle() {
    let _ = std::process::Command::new("sync").status();
    std::thread::sleep(std::time::Duration::from_millis(500));
}

/// A name no earlier run used, for files and `SYSLOG_IDENTIFIER`.
pub fn unique(tool: &str, threads: usize) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("bench-{tool}-{threads}-{}-{nanos}", std::process::id())
}

/// The path a case writes to.
pub fn output_path(dir: &Path, dest: Dest, name: &str) -> PathBuf {
    match dest {
        Dest::DevNull => PathBuf::from("/dev/null"),
        _ => dir.join(format!("{name}.log")),
    }
}

/// Calls timed to find what the timing itself costs.
const TIMER_CALLS: usize = 1_000_000;

/// The median time, in ns, that a timed call doing nothing takes: what
/// the pair of `Instant::now()` around each call adds to its figure.
/// Measured once per run, on the calling thread, the way [`measure`] times.
pub fn timer_ns() -> u32 {
    static TIMER: OnceLock<u32> = OnceLock::new();
    *TIMER.get_or_init(|| {
        let mut timings = vec![u32::MAX; TIMER_CALLS];
        for (i, slot) in timings.iter_mut().enumerate() {
            let before = Instant::now();
            std::hint::black_box(i);
            *slot = u32::try_from(before.elapsed().as_nanos()).unwrap_or(u32::MAX);
        }
        timings.sort_unstable();
        timings[TIMER_CALLS / 2]
    })
}

/// Runs `call` for `n` records over `threads` producers, each inside its
/// own request span under `dispatch` (when given), timing every call; then
/// `finish`, which returns once every record is delivered. Returns the
/// seconds from the first call to the end of `finish`, and the sorted
/// latencies, each net of [`timer_ns`].
pub fn measure(
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
    let timer = timer_ns();
    for latency in &mut latencies {
        *latency = latency.saturating_sub(timer);
    }
    latencies.sort_unstable();
    (seconds, latencies)
}

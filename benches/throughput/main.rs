//! End-to-end throughput and caller-thread latency of logward against its
//! peers, measured in the same run; prints markdown tables, the targets
//! met or missed, and the machine.
//!
//! ```text
//! bash .ci/start-journald           # the journald cases need a running journald (root)
//! cargo bench --bench throughput    # N=100000 N_JOURNALD=20000 ROUNDS=1 for a quick run
//! ```
//!
//! Every case logs the same event, an audit login attempt with 8 fields and
//! a message inside a span carrying `request_id` and `user_name`, `N` times
//! in all (default 1,000,000), from 1 and from 2 producer threads (and, to
//! a file, from 4 and 8: on 2 CPUs that measures contention, not
//! parallelism):
//!
//! - `logward`: a real [`FileSink`](logward::sink::FileSink) from a
//!   configuration (`LOG_FILE_AUDIT`), also with `LOG_SYNC_AUDIT=always`;
//! - `fmt_json`: `tracing-subscriber`'s `fmt().json()` through
//!   `tracing-appender`'s `non_blocking` with `lossy(false)`;
//! - `logward typed` and `fmt_json typed`: the same two to a file, logging
//!   the typed record [`audit::LoginAttempt`](logward::audit::LoginAttempt)
//!   (4 fields and a message) instead;
//! - `baseline`: no `tracing` at all; the same flat JSON line made with
//!   `serde_json` (a derived `Serialize` struct), a fresh UUIDv4 (`uuid`
//!   with its userspace generator) and the timestamp, written into a
//!   `BufWriter<File>` on the calling thread (behind a mutex with 2 threads).
//!
//! Each goes to a file under `<target>/bench-throughput/` and to
//! `/dev/null`. End to end is from the first call until every line is in
//! the file (the guard dropped, the writer joined); lost is `N` minus the
//! lines counted in the file (for `/dev/null`, what the tool itself counts).
//! Latency is each call timed with a pair of `Instant::now()`, less what
//! that pair itself takes (the median of a million timed calls that do
//! nothing, measured first in the same run and printed with the tables).
//!
//! journald (`N_JOURNALD` records, default 200,000): logward's journald sink
//! against `tracing-journald`, each run with a unique `SYSLOG_IDENTIFIER`;
//! end to end until `journalctl --sync` returns, records counted with
//! `journalctl SYSLOG_IDENTIFIER=… -o cat`. Each journald case starts with
//! `journalctl --rotate`, and its table gives the CPU time journald itself
//! spent per entry (from `/proc/<pid>/stat`). A third, diagnostic case,
//! `logward + ID field`, gives logward's journald sink the records with
//! their `id` under another key, so that it is sent as a field: what that
//! field, unique to every entry, would cost journald.
//! These records stay in the journal.
//!
//! `CASES` picks groups of cases (a comma list of `file`, `devnull`,
//! `threads`, `sync`, `typed` and `journald`; all when unset), so that one
//! group can be measured in a short run.
//!
//! Every case runs `ROUNDS` times (default 5), the cases taking turns (odd
//! rounds in reverse order), with `sync` and half a second between cases. A
//! row gives the records/s of the round with the median records/s, the
//! latencies of every call of all rounds, and the records lost in all
//! rounds: a shared machine, and journald rotating and vacuuming its files
//! as they fill, make single runs vary more than the differences measured.

use std::fs;
use std::path::PathBuf;

mod cases;
#[path = "../common/mod.rs"]
mod common;
mod journald;
mod measure;
mod report;

use measure::{Dest, Row};

/// Records per case, unless `N` says otherwise.
const DEFAULT_N: u64 = 1_000_000;
/// Records per journald case, unless `N_JOURNALD` says otherwise.
const DEFAULT_N_JOURNALD: u64 = 200_000;
/// Rounds of every case, unless `ROUNDS` says otherwise.
const DEFAULT_ROUNDS: u64 = 5;

fn main() {
    let n = count_from_env("N", DEFAULT_N);
    let n_journald = count_from_env("N_JOURNALD", DEFAULT_N_JOURNALD);
    let rounds = count_from_env("ROUNDS", DEFAULT_ROUNDS).max(1);
    let timer = measure::timer_ns();
    let dir = target_dir().join("bench-throughput");
    fs::create_dir_all(&dir).expect("create the bench directory");

    let dir = dir.as_path();
    let groups = Groups::from_env();
    let mut runs: Vec<Box<dyn Fn() -> Row>> = Vec::new();
    for dest in [Dest::File, Dest::DevNull] {
        let group = if dest == Dest::File {
            "file"
        } else {
            "devnull"
        };
        for threads in [1, 2, 4, 8] {
            if !groups.has(group) || (threads > 2 && (dest != Dest::File || !groups.has("threads")))
            {
                continue;
            }
            runs.push(Box::new(move || {
                cases::logward(dir, dest, threads, n, false)
            }));
            runs.push(Box::new(move || cases::fmt_json(dir, dest, threads, n)));
            runs.push(Box::new(move || cases::baseline(dir, dest, threads, n)));
        }
    }
    if groups.has("sync") {
        runs.push(Box::new(move || {
            cases::logward(dir, Dest::File, 1, n, true)
        }));
    }
    if groups.has("typed") {
        for threads in [1, 2] {
            runs.push(Box::new(move || cases::logward_typed(dir, threads, n)));
            runs.push(Box::new(move || cases::fmt_json_typed(dir, threads, n)));
        }
    }
    // Each journald case starts on a new journal file.
    if groups.has("journald") && logward::journald_available() {
        for threads in [1, 2] {
            runs.push(Box::new(move || {
                journald::journald_rotate();
                cases::logward(dir, Dest::Journald, threads, n_journald, false)
            }));
            runs.push(Box::new(move || {
                journald::journald_rotate();
                journald::tracing_journald(threads, n_journald)
            }));
            runs.push(Box::new(move || {
                journald::journald_rotate();
                journald::logward_with_id_field(threads, n_journald)
            }));
        }
    } else if groups.has("journald") {
        println!(
            "!!! no journald socket: run `bash .ci/start-journald`; journald cases left out\n"
        );
    }
    // Odd rounds go through the cases backwards, so that no case always
    // follows the same one.
    let mut results: Vec<Vec<Row>> = runs.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..runs.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            results[i].push(runs[i]());
            measure::settle();
        }
    }
    let rounds_of = |tool: &str, dest: Dest, threads: usize| {
        results
            .iter()
            .find(|r| r[0].tool == tool && r[0].dest == dest && r[0].threads == threads)
    };
    let journald_rounds: Vec<String> = [1, 2]
        .into_iter()
        .filter_map(|threads| {
            let ours = rounds_of("logward", Dest::Journald, threads)?;
            let peer = rounds_of("tracing-journald", Dest::Journald, threads)?;
            let with_id = rounds_of("logward + ID field", Dest::Journald, threads)?;
            let ratios = |ours: &[Row]| {
                ours.iter()
                    .zip(peer)
                    .map(|(ours, peer)| format!("{:.2}", ours.per_second() / peer.per_second()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Some(format!(
                "{threads} thread(s): {} (with an ID field: {})",
                ratios(ours),
                ratios(with_id)
            ))
        })
        .collect();
    let p50_rounds: Vec<String> = [1, 2]
        .into_iter()
        .filter_map(|threads| {
            let ours = rounds_of("logward", Dest::File, threads)?;
            let base = rounds_of("baseline", Dest::File, threads)?;
            let pairs: Vec<String> = ours
                .iter()
                .zip(base)
                .map(|(ours, base)| format!("{}/{}", ours.quantile(0.5), base.quantile(0.5)))
                .collect();
            Some(format!("{threads} thread(s): {}", pairs.join(", ")))
        })
        .collect();
    let rows: Vec<Row> = results.into_iter().map(Row::median).collect();
    let disabled = cases::disabled_ns();

    report::rows(&rows);
    println!();
    report::ratios(&rows);
    println!();
    report::journald(&rows);
    println!();
    report::targets(&rows, disabled);
    println!();
    println!(
        "N = {n} ({n_journald} for journald) per round, {rounds} rounds: records/s of \
         the median round, latencies over all rounds, lost in all rounds. \
         Latencies in ns (max in µs), each call timed with a pair of \
         `Instant::now()`, less the {timer} ns such a pair takes around \
         nothing (median). `logward sync` is `LOG_SYNC_AUDIT=always` (fsync \
         per written batch). Disabled event (below its type's level): \
         {disabled:.2} ns per call."
    );
    if !p50_rounds.is_empty() {
        println!(
            "file, caller p50 ns per round, logward/baseline: {}.",
            p50_rounds.join("; ")
        );
    }
    if !journald_rounds.is_empty() {
        println!(
            "journald, logward/tracing-journald records/s per round: {}.",
            journald_rounds.join("; ")
        );
    }
    report::machine();
}

/// The groups of cases to run: `CASES`, a comma list of `file`,
/// `devnull`, `threads` (4 and 8 producers, to a file; with `file`),
/// `sync`, `typed` and `journald`; all of them when unset.
struct Groups(Option<Vec<String>>);

impl Groups {
    fn from_env() -> Groups {
        Groups(
            std::env::var("CASES")
                .ok()
                .map(|text| text.split(',').map(|g| g.trim().to_string()).collect()),
        )
    }

    fn has(&self, group: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|groups| groups.iter().any(|g| g == group))
    }
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

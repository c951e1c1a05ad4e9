//! Peak memory that logging adds to a service logging flat out, logward
//! with its default queue (`LOG_QUEUE_SIZE`, 65,536 records per
//! destination) against `fmt().json()` through `non_blocking` (its default
//! 128,000 lines), measured in the same run; prints a markdown table.
//!
//! ```text
//! bash .ci/start-journald           # the journald case needs a running journald (root)
//! cargo bench --bench memory        # ROUNDS=1 for a quick run
//! ```
//!
//! Each case runs in a process of its own (this bench started again with
//! `child …`), so that no case inherits another's heap. The child reads
//! its resident set (`VmRSS`) before anything of the tool exists, resets
//! its peak (`/proc/self/clear_refs`), builds the tool and logs `N`
//! records (default 500,000; `N_JOURNALD` for journald, default 100,000,
//! more than its queue holds)
//! of the benches' audit event from 1, 2 or 8 producer threads, each in
//! its request span, as fast as they can. Its peak (`VmHWM`) less that
//! first figure is what logging added at most. Once every record is in
//! its destination and the writers have been idle for half a second, it
//! reads `VmRSS` again: what logging still holds after the burst.
//!
//! Destinations: `file` (the audit records to one file); `two files` (the
//! same records, every other one an application record routed to a second
//! file, so two writers, two queues, two `non_blocking` workers); and, for
//! logward only, `journald`, a destination slower than the callers, whose
//! queue stays full. The queue's bound is the destination's queue size
//! times the mean bytes of a record written (both counted per destination).
//!
//! Every case runs `ROUNDS` times (default 2), the cases taking turns (odd
//! rounds in reverse order); a row gives the largest peak and the largest
//! after-burst figure of its rounds.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use logward::{Config, Logward};
use tracing::Dispatch;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;

#[allow(
    dead_code,
    reason = "the benches share it; this one logs the free-form event only"
)]
mod common;

/// Records per case, unless `N` says otherwise.
const DEFAULT_N: u64 = 500_000;
/// Records per journald case, unless `N_JOURNALD` says otherwise.
const DEFAULT_N_JOURNALD: u64 = 100_000;
/// Rounds of every case, unless `ROUNDS` says otherwise.
const DEFAULT_ROUNDS: u64 = 2;
/// logward's default queue, records per destination.
const QUEUE: u64 = 65_536;
/// How long the writers are left idle before the after-burst figure.
const IDLE: Duration = Duration::from_millis(500);

/// One case: a tool, a destination and a number of producers.
#[derive(Clone, Copy)]
struct Case {
    tool: &'static str,
    dest: &'static str,
    threads: usize,
}

/// What a child measured, in bytes.
struct Measured {
    peak: u64,
    after: u64,
    /// Mean bytes of a record written, per destination.
    record_bytes: f64,
    destinations: u64,
    lost: u64,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        child(&args[1..]);
        return;
    }
    let n = count_from_env("N", DEFAULT_N);
    let n_journald = count_from_env("N_JOURNALD", DEFAULT_N_JOURNALD);
    let rounds = count_from_env("ROUNDS", DEFAULT_ROUNDS).max(1);
    let mut cases = Vec::new();
    for dest in ["file", "two files"] {
        for threads in [1, 2, 8] {
            for tool in ["logward", "fmt_json"] {
                cases.push(Case {
                    tool,
                    dest,
                    threads,
                });
            }
        }
    }
    if logward::journald_available() {
        for threads in [1, 8] {
            cases.push(Case {
                tool: "logward",
                dest: "journald",
                threads,
            });
        }
    } else {
        println!("!!! no journald socket: run `bash .ci/start-journald`; journald left out\n");
    }
    let mut results: Vec<Vec<Measured>> = cases.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..cases.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let case = cases[i];
            let records = if case.dest == "journald" {
                n_journald
            } else {
                n
            };
            results[i].push(run_child(case, records));
        }
    }
    println!(
        "| destination | tool | threads | peak added MiB | after the burst MiB | queue bound MiB | peak / bound | lost |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|--:|");
    // The journald rows' records are the file rows' audit records.
    let file_bytes: Vec<f64> = cases
        .iter()
        .zip(&results)
        .filter(|(c, _)| c.tool == "logward" && c.dest == "file")
        .flat_map(|(_, rounds)| rounds.iter().map(|m| m.record_bytes))
        .collect();
    let audit_bytes = file_bytes.iter().sum::<f64>() / file_bytes.len().max(1) as f64;
    for (case, rounds) in cases.iter().zip(&results) {
        let peak = rounds.iter().map(|m| m.peak).max().unwrap_or(0);
        let after = rounds.iter().map(|m| m.after).max().unwrap_or(0);
        let lost: u64 = rounds.iter().map(|m| m.lost).sum();
        let bytes = if case.dest == "journald" {
            audit_bytes
        } else {
            rounds.iter().map(|m| m.record_bytes).sum::<f64>() / rounds.len() as f64
        };
        let destinations = rounds.first().map_or(1, |m| m.destinations);
        let (bound, ratio) = if case.tool == "logward" {
            let bound = (QUEUE * destinations) as f64 * bytes;
            (
                format!("{:.1}", bound / MIB),
                format!("{:.2}×", peak as f64 / bound),
            )
        } else {
            ("—".to_string(), "—".to_string())
        };
        println!(
            "| {} | {} | {} | {:.1} | {:.1} | {bound} | {ratio} | {lost} |",
            case.dest,
            case.tool,
            case.threads,
            peak as f64 / MIB,
            after as f64 / MIB,
        );
    }
    println!();
    println!(
        "N = {n} ({n_journald} for journald) per case, {rounds} rounds, each case in a \
         process of its own; the largest figure of the rounds. Peak added: VmHWM less \
         VmRSS before the tool was built; after the burst: VmRSS once every record was \
         written and the writers had been idle {} ms. Queue bound: {QUEUE} records per \
         destination times the mean bytes of a record written.",
        IDLE.as_millis()
    );
}

const MIB: f64 = 1024.0 * 1024.0;

fn count_from_env(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text}: not a number of records")),
        Err(_) => default,
    }
}

/// Runs `case` in a child process and reads what it printed.
fn run_child(case: Case, n: u64) -> Measured {
    let exe = std::env::current_exe().expect("the bench knows its path");
    let output = Command::new(exe)
        .args(["child", case.tool, case.dest, &case.threads.to_string()])
        .arg(n.to_string())
        .output()
        .expect("start the child");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the child for {} {} {} failed: {text}{}",
        case.tool,
        case.dest,
        case.threads,
        String::from_utf8_lossy(&output.stderr)
    );
    let numbers: Vec<f64> = text
        .split_whitespace()
        .map(|w| w.parse().expect("the child prints numbers"))
        .collect();
    Measured {
        peak: numbers[0] as u64,
        after: numbers[1] as u64,
        record_bytes: numbers[2],
        destinations: numbers[3] as u64,
        lost: numbers[4] as u64,
    }
}

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`).
fn status_bytes(field: &str) -> u64 {
    let status = fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The child: `tool dest threads n`; prints peak and after-burst bytes
/// added, bytes per record, destinations and records lost.
fn child(args: &[String]) {
    let [tool, dest, threads, n] = args else {
        panic!("child TOOL DEST THREADS N");
    };
    let threads: usize = threads.parse().expect("threads");
    let n: u64 = n.parse().expect("records");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let paths = [dir.path().join("audit.log"), dir.path().join("app.log")];
    let two = dest == "two files";
    let destinations = if two { 2 } else { 1 };
    let base = status_bytes("VmRSS");
    fs::write("/proc/self/clear_refs", "5").expect("reset the peak resident set");
    let call: &(dyn Fn(u64) + Sync) = if two {
        &|i| {
            if i % 2 == 0 {
                common::login_attempt(i);
            } else {
                application_event(i);
            }
        }
    } else {
        &common::login_attempt
    };
    let identifier = format!("bench-memory-{}", std::process::id());
    let (peak, after, lost) = match tool.as_str() {
        "logward" => {
            let mut text = String::from("LOG_LEVEL=info\n");
            match dest.as_str() {
                "journald" => text.push_str(&format!("LOG_SYSLOG_IDENTIFIER={identifier}\n")),
                // One file: every type to it, so one writer.
                _ => {
                    let other = &paths[usize::from(two)];
                    text.push_str(&format!("LOG_FILE_AUDIT={}\n", paths[0].display()));
                    text.push_str(&format!("LOG_FILE={}\n", other.display()));
                }
            }
            let config = Config::from_str(&text, Path::new("memory.conf"))
                .unwrap_or_else(|e| panic!("the bench configuration is valid: {e}"));
            let (layer, guard) = Logward::builder()
                .with_config(config)
                .with_panic_hook(false)
                .with_lifecycle_records(false)
                .build()
                .expect("logward builds")
                .into_parts();
            let dispatch = Dispatch::new(tracing_subscriber::registry().with(layer));
            run_producers(threads, n, Some(&dispatch), call);
            guard.flush();
            let peak = status_bytes("VmHWM");
            std::thread::sleep(IDLE);
            let after = status_bytes("VmRSS");
            let stats = guard.stats();
            drop(guard);
            (peak, after, n.saturating_sub(stats.written))
        }
        "fmt_json" => {
            let mut guards = Vec::new();
            let mut writer = |path: &PathBuf| {
                let file = fs::File::create(path).expect("create the output file");
                let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                    .lossy(false)
                    .finish(file);
                guards.push(guard);
                writer
            };
            let audit = writer(&paths[0]);
            let dispatch = if two {
                let app = writer(&paths[1]);
                let is_audit = |m: &tracing::Metadata<'_>| m.target() == "logward::audit";
                Dispatch::new(
                    tracing_subscriber::registry()
                        .with(
                            tracing_subscriber::fmt::layer()
                                .json()
                                .with_current_span(true)
                                .with_writer(audit)
                                .with_filter(tracing_subscriber::filter::filter_fn(is_audit)),
                        )
                        .with(
                            tracing_subscriber::fmt::layer()
                                .json()
                                .with_current_span(true)
                                .with_writer(app)
                                .with_filter(tracing_subscriber::filter::filter_fn(move |m| {
                                    !is_audit(m)
                                })),
                        ),
                )
            } else {
                Dispatch::new(
                    tracing_subscriber::fmt()
                        .json()
                        .with_current_span(true)
                        .with_writer(audit)
                        .finish(),
                )
            };
            run_producers(threads, n, Some(&dispatch), call);
            wait_for_lines(&paths[..destinations], n);
            let peak = status_bytes("VmHWM");
            std::thread::sleep(IDLE);
            let after = status_bytes("VmRSS");
            drop(guards);
            (peak, after, 0)
        }
        other => panic!("unknown tool {other}"),
    };
    // journald's records are not counted back here: 0 bytes, and the
    // parent takes the size of the same record from the file cases.
    let (bytes, lines) = if dest == "journald" {
        (0, 0)
    } else {
        count_lines(&paths[..destinations])
    };
    let lost = if dest == "journald" {
        lost
    } else {
        lost.max(n.saturating_sub(lines))
    };
    let record_bytes = if lines > 0 {
        bytes as f64 / lines as f64
    } else {
        0.0
    };
    println!(
        "{} {} {record_bytes:.1} {destinations} {lost}",
        peak.saturating_sub(base),
        after.saturating_sub(base)
    );
}

/// An application record the size of the audit one.
fn application_event(i: u64) {
    tracing::info!(
        action = "login_attempt",
        access_granted = i % 2 == 0,
        client_ip = "10.0.0.7",
        forwarded_for_client_ip = "203.0.113.9",
        user_agent = "curl/8.5.0",
        method = "password",
        attempt = i,
        tenant = "acme",
        "login attempt"
    );
}

/// Waits until the files hold `n` lines in all (`non_blocking` has no
/// flush but dropping its guard).
fn wait_for_lines(paths: &[PathBuf], n: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while count_lines(paths).1 < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Bytes and lines of the files together, read through one small buffer
/// so that counting adds nothing to the resident set.
fn count_lines(paths: &[PathBuf]) -> (u64, u64) {
    let mut buf = vec![0u8; 64 * 1024];
    let (mut bytes, mut lines) = (0, 0);
    for path in paths {
        let Ok(mut file) = fs::File::open(path) else {
            continue;
        };
        while let Ok(read) = file.read(&mut buf) {
            if read == 0 {
                break;
            }
            bytes += read as u64;
            lines += buf[..read].iter().filter(|&&c| c == b'\n').count() as u64;
        }
    }
    (bytes, lines)
}

/// Logs `n` records over `threads` producers, each inside its own
/// request span under `dispatch` (when given).
fn run_producers(threads: usize, n: u64, dispatch: Option<&Dispatch>, call: &(dyn Fn(u64) + Sync)) {
    let per_thread = n / threads as u64;
    std::thread::scope(|scope| {
        for t in 0..threads {
            scope.spawn(move || {
                let _default = dispatch.map(tracing::dispatcher::set_default);
                let span = common::request_span();
                let _entered = span.enter();
                let first = t as u64 * per_thread;
                for i in first..first + per_thread {
                    call(i);
                }
            });
        }
    });
}

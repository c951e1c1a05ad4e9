//! The cost of sealing (`LOG_SEAL`), measured in one run against its peers;
//! prints a markdown table.
//!
//! ```text
//! cargo bench -p logward-cli --bench seal                        # 1 GB
//! LOGWARD_BENCH_SEAL_MB=256 cargo bench -p logward-cli --bench seal
//! ```
//!
//! - Writer: the work of a file sink's writer thread, `append` of
//!   pre-rendered 300-byte records and a `flush` every 4,096 (a writer's
//!   batch), into a `FileSink` opened plainly and one opened sealed (with
//!   the journal anchor when a journald runs), alternately, five rounds
//!   each, timed up to the sink's close (which waits for the sealing
//!   thread's last entries); the best round of each counts. Target:
//!   sealed ≥ 0.9× plain. `LOGWARD_BENCH_SEAL_DIR` puts the rounds' files
//!   elsewhere than the target directory (`/dev/shm`, say).
//! - Verify: `LOGWARD_BENCH_SEAL_MB` MB (default 1024) of sealed records
//!   written by a sealed `FileSink` over five days of a [`ManualClock`]
//!   (six files), generated once into the target directory
//!   (`target/tmp/seal-verify-<MB>mb/`, reused by later runs, never in
//!   git), then `logward verify`'s check of them (every file read, every
//!   entry's MAC, chain and batch hash) against `sha256sum` of the same
//!   files, both with the files in the page cache (read once before).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use logward::sink::seal::{init_chain, seal_path};
use logward::sink::{Entry, FileSink, JOURNALD_SOCKET, Rotation, Sink, rotated_files};
use logward::{Date, Level, LogType, ManualClock, SystemClock, journald_available};
use logward_cli::verify::{ChainFile, Report, check_files};

const RECORD_BYTES: usize = 300;
const WRITER_RECORDS: usize = 2_000_000;
const BATCH: usize = 4_096;
const KEY: [u8; 32] = [42; 32];

fn record(n: usize) -> Vec<u8> {
    let mut line = format!(
        "{{\"id\":\"{n:032x}\",\"created_at\":\"2026-03-01T00:00:00.000000Z\",\"hostname\":\"bench\",\
         \"level\":\"info\",\"log_type\":\"audit\",\"pid\":1,\"action\":\"login\",\"client_ip\":\"10.0.0.1\",\"n\":{n},\"pad\":\""
    );
    while line.len() < RECORD_BYTES - 3 {
        line.push('x');
    }
    line.push_str("\"}\n");
    line.into_bytes()
}

fn anchor() -> Option<&'static Path> {
    journald_available().then_some(Path::new(JOURNALD_SOCKET))
}

fn write_round(dir: &Path, round: usize, sealed: bool, lines: &[Vec<u8>]) -> Duration {
    let path = dir.join(format!("w{round}-{sealed}.log"));
    let clock = Arc::new(SystemClock);
    let mut sink = if sealed {
        init_chain(&path, &KEY).expect("chain");
        FileSink::open_sealed(&path, Rotation::default(), false, clock, anchor()).expect("open")
    } else {
        FileSink::open(&path, Rotation::default(), false, clock).expect("open")
    };
    let start = Instant::now();
    for (i, line) in lines.iter().enumerate() {
        let entry = Entry {
            line,
            level: Level::Info,
            log_type: LogType::Audit,
        };
        sink.append(&entry).expect("append");
        if (i + 1) % BATCH == 0 {
            sink.flush().expect("flush");
        }
    }
    sink.flush().expect("flush");
    // Closing waits for the sealing thread's last entries.
    drop(sink);
    let elapsed = start.elapsed();
    for f in [path.clone(), seal_path(&path)] {
        let _ = std::fs::remove_file(f);
    }
    elapsed
}

/// Writes `mb` MB of sealed records to `log` over six days.
fn generate(log: &Path, mb: u64, lines: &[Vec<u8>]) {
    std::fs::create_dir_all(log.parent().expect("a directory")).expect("dir");
    init_chain(log, &KEY).expect("chain");
    let day0 = Date::parse("2026-03-01").expect("date").start_unix_micros();
    let clock = ManualClock::new(day0);
    let rotation = Rotation {
        daily: true,
        max_files: None,
        ..Rotation::default()
    };
    let mut sink =
        FileSink::open_sealed(log, rotation, false, Arc::new(clock.clone()), None).expect("open");
    let per_day = (mb * 1_000_000 / RECORD_BYTES as u64 / 6) as usize;
    for day in 0..6 {
        clock.set_micros(day0 + day * 86_400_000_000);
        for i in 0..per_day {
            let line = &lines[i % lines.len()];
            let entry = Entry {
                line,
                level: Level::Info,
                log_type: LogType::Audit,
            };
            sink.append(&entry).expect("append");
            if (i + 1) % BATCH == 0 {
                sink.flush().expect("flush");
            }
        }
        sink.flush().expect("flush");
    }
}

fn main() {
    let dir = match std::env::var_os("LOGWARD_BENCH_SEAL_DIR") {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")),
    }
    .expect("tempdir");
    let lines: Vec<Vec<u8>> = (0..WRITER_RECORDS).map(record).collect();
    let mut best = [Duration::MAX, Duration::MAX];
    for round in 0..5 {
        for (i, sealed) in [false, true].into_iter().enumerate() {
            best[i] = best[i].min(write_round(dir.path(), round, sealed, &lines));
        }
    }
    let rate = |d: Duration| WRITER_RECORDS as f64 / d.as_secs_f64();
    println!(
        "| writer thread, {WRITER_RECORDS} records of {RECORD_BYTES} bytes | records/s | ratio |"
    );
    println!("|---|--:|--:|");
    println!("| plain file sink | {:.0} | 1.00 |", rate(best[0]));
    println!(
        "| sealed file sink{} | {:.0} | {:.2} |",
        if anchor().is_some() {
            " (journal anchor on)"
        } else {
            ""
        },
        rate(best[1]),
        rate(best[1]) / rate(best[0])
    );

    let mb: u64 = std::env::var("LOGWARD_BENCH_SEAL_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let data = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("seal-verify-{mb}mb"));
    let log = data.join("audit.log");
    if !data.join("complete").exists() {
        let _ = std::fs::remove_dir_all(&data);
        generate(&log, mb, &lines);
        std::fs::write(data.join("complete"), "").expect("marker");
    }
    let files: Vec<_> = rotated_files(&log)
        .expect("files")
        .into_iter()
        .map(|f| f.path)
        .collect();
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).expect("file").len())
        .sum();
    // Both read from the page cache: a reused data set may have left it.
    for f in &files {
        drop(std::fs::read(f).expect("read"));
    }
    let start = Instant::now();
    let status = Command::new("sha256sum")
        .args(&files)
        .output()
        .expect("sha256sum");
    assert!(status.status.success());
    let sha = start.elapsed();
    let start = Instant::now();
    let mut report = Report::default();
    check_files(
        files.iter().map(|f| {
            Ok(ChainFile {
                path: f.clone(),
                data: Some(std::fs::read(f)?),
                seal: Some(std::fs::read_to_string(seal_path(f))?),
            })
        }),
        Some(&KEY),
        &mut report,
    );
    let verify = start.elapsed();
    assert!(report.intact(), "{}", report.render());
    let mbs = |d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    println!();
    println!(
        "| verify, {:.0} MB in {} files | MB/s | ratio |",
        bytes as f64 / 1e6,
        files.len()
    );
    println!("|---|--:|--:|");
    println!("| `sha256sum` | {:.0} | 1.00 |", mbs(sha));
    println!(
        "| `logward verify` (MAC, chain, BLAKE3 per entry) | {:.0} | {:.2} |",
        mbs(verify),
        mbs(verify) / mbs(sha)
    );
}

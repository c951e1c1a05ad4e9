//! Rows per second and peak memory of `logward import csv`, against
//! Python's `csv` module doing the same mapping with `json.dumps` per row
//! (the approach of ExtraHop's observations script), in the same run;
//! prints a markdown table.
//!
//! ```text
//! cargo bench -p logward-cli --bench import                              # 1 GB
//! BENCH_IMPORT_MB=200 cargo bench -p logward-cli --bench import  # quicker
//! ```
//!
//! - Data: an OpenVPN-style CSV (`Common Name`, `Real IP`, `VPN IP`,
//!   `Start Time`, `Bytes Received`, `Bytes Sent`, about 77 bytes a row) of
//!   `BENCH_IMPORT_MB` megabytes (default 1024), made once under
//!   `<target>/bench-import/` and reused while its size matches.
//! - logward: `logward import csv` mapping `VPN IP`, `Real IP` and
//!   `Common Name`, parsing `Start Time` with `%m/%d/%y %H:%M:%S` in UTC,
//!   every row a record through the runtime into a file sink (`LOG_FILE`),
//!   with its position saved as it goes.
//! - Python: `csv.reader` over the same file, the same three columns with
//!   the same empty-cell and cell-count checks, `datetime.strptime` +
//!   `calendar.timegm` for the time, a dict with the same fields
//!   (`timestamp`, `source`, `import_file`, `import_line`), `json.dumps`
//!   per row, written to a file. It streams (the original script reads the
//!   whole file into memory first, which at this size would not fit
//!   comparisons of memory).
//! - Each runs as its own process, timed end to end with [`Instant`]; peak
//!   RSS comes from `wait4`'s `ru_maxrss`. Both outputs' lines are counted
//!   and must equal the rows (a mismatch is printed loudly).

use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PYTHON: &str = r#"
import calendar, csv, json, sys
from datetime import datetime
path, out_path = sys.argv[1], sys.argv[2]
keys = [("ipaddr", "VPN IP"), ("associated_ipaddr", "Real IP"), ("user", "Common Name")]
skipped = 0
with open(path, newline="", encoding="utf-8") as f, open(out_path, "w") as out:
    rows = csv.reader(f)
    header = next(rows)
    index = [(k, header.index(c)) for k, c in keys]
    time_index = header.index("Start Time")
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            skipped += 1
            continue
        record = {}
        for key, i in index:
            value = row[i].strip()
            if not value:
                break
            record[key] = value
        else:
            try:
                t = datetime.strptime(row[time_index].strip(), "%m/%d/%y %H:%M:%S")
            except ValueError:
                skipped += 1
                continue
            record["timestamp"] = calendar.timegm(t.timetuple())
            record["source"] = "OpenVPN"
            record["import_file"] = path
            record["import_line"] = line
            out.write(json.dumps(record))
            out.write("\n")
            continue
        skipped += 1
print(skipped, file=sys.stderr)
"#;

/// One measured run.
struct Run {
    name: &'static str,
    elapsed: Duration,
    peak_kib: i64,
    lines: u64,
}

fn main() {
    let megabytes: u64 = std::env::var("BENCH_IMPORT_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let dir = target_dir().join("bench-import");
    fs::create_dir_all(&dir).expect("bench directory");
    let csv = dir.join(format!("vpn-{megabytes}mb.csv"));
    let rows = make_csv(&csv, megabytes * 1_000_000);
    println!(
        "input: {} ({} MB, {rows} rows)\n",
        csv.display(),
        fs::metadata(&csv).expect("csv").len() / 1_000_000
    );

    let log = dir.join("app.log");
    let state = dir.join("state");
    let config = dir.join("config");
    fs::write(
        &config,
        format!("LOG_LEVEL=info\nLOG_FILE={}\n", log.display()),
    )
    .expect("config");
    let _ = fs::remove_file(&log);
    let _ = fs::remove_dir_all(&state);
    let mut logward = Command::new(env!("CARGO_BIN_EXE_logward"));
    logward.args([
        "import",
        "csv",
        &csv.display().to_string(),
        "--config",
        &config.display().to_string(),
        "--state-dir",
        &state.display().to_string(),
        "--source",
        "OpenVPN",
        "--column",
        "ipaddr=VPN IP",
        "--column",
        "associated_ipaddr=Real IP",
        "--column",
        "user=Common Name",
        "--time-column",
        "Start Time",
    ]);
    let mut ours = measure("logward import csv", logward);
    ours.lines = count_lines(&log);

    let py_out = dir.join("python.jsonl");
    let mut python = Command::new("python3");
    python.args([
        "-c",
        PYTHON,
        &csv.display().to_string(),
        &py_out.display().to_string(),
    ]);
    let mut peer = measure("python3 csv + json.dumps", python);
    peer.lines = count_lines(&py_out);

    println!("| tool | rows | seconds | rows/s | peak RSS (MiB) |");
    println!("|---|---:|---:|---:|---:|");
    for run in [&ours, &peer] {
        if run.lines != rows {
            println!(
                "MISMATCH: {} wrote {} lines for {rows} rows",
                run.name, run.lines
            );
        }
        println!(
            "| {} | {} | {:.1} | {:.0} | {:.1} |",
            run.name,
            run.lines,
            run.elapsed.as_secs_f64(),
            run.lines as f64 / run.elapsed.as_secs_f64(),
            run.peak_kib as f64 / 1024.0
        );
    }
    println!(
        "\nlogward / python: {:.2}x the rows/s, {:.2}x the peak memory",
        peer.elapsed.as_secs_f64() / ours.elapsed.as_secs_f64(),
        ours.peak_kib as f64 / peer.peak_kib as f64
    );
    let _ = fs::remove_file(&log);
    let _ = fs::remove_file(&py_out);
}

/// Runs `command` to its end: wall time and peak RSS (KiB).
#[expect(
    clippy::zombie_processes,
    reason = "wait4 reaps the child, which Child::wait cannot do with its rusage"
)]
fn measure(name: &'static str, mut command: Command) -> Run {
    let start = Instant::now();
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the command starts");
    let pid = i32::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child, status and usage point to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = start.elapsed();
    assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{name} failed: status {status}"
    );
    Run {
        name,
        elapsed,
        peak_kib: usage.ru_maxrss,
        lines: 0,
    }
}

/// Writes rows until `bytes` unless `path` already has that many rows'
/// worth; returns the number of rows.
fn make_csv(path: &Path, bytes: u64) -> u64 {
    if let Ok(existing) = fs::metadata(path) {
        if existing.len() >= bytes {
            return count_lines(path) - 1;
        }
    }
    let mut out = BufWriter::new(File::create(path).expect("csv"));
    let header = "Common Name,Real IP,VPN IP,Start Time,Bytes Received,Bytes Sent\n";
    out.write_all(header.as_bytes()).expect("write");
    let mut written = header.len() as u64;
    let mut rows = 0u64;
    while written < bytes {
        let n = rows;
        let line = format!(
            "user{n:08},198.51.{}.{},10.8.{}.{},{:02}/{:02}/{:02} {:02}:{:02}:{:02},{},{}\n",
            (n / 250) % 250,
            n % 250,
            (n / 250) % 250,
            n % 250,
            1 + n % 12,
            1 + n % 28,
            (n / 7) % 100,
            n % 24,
            n % 60,
            (n / 60) % 60,
            n * 7919 % 1_000_000_007,
            n * 104_729 % 1_000_000_007
        );
        out.write_all(line.as_bytes()).expect("write");
        written += line.len() as u64;
        rows += 1;
    }
    out.flush().expect("flush");
    rows
}

fn count_lines(path: &Path) -> u64 {
    let file = File::open(path).expect("output");
    BufReader::with_capacity(1 << 20, file).split(b'\n').count() as u64
}

/// Cargo's target directory (from the bench binary's own path).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("bench binary");
    exe.ancestors()
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n == "target" || n.to_string_lossy().starts_with("target"))
        })
        .map_or_else(std::env::temp_dir, Path::to_path_buf)
}

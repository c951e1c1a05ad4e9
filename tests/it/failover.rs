//! A file sink on a full disk: its records go to the fallback (journald),
//! one record says so, and once space is freed the file is written again.
//!
//! The disk is real: a 256 KiB tmpfs mounted on a temporary directory (the
//! tests run as root, as the journald harness does), filled with a filler
//! file until writes fail with `ENOSPC`, then freed by deleting the filler.
//! The fallback is the real journald, read back by a syslog identifier
//! unique to the test, so every record is counted in one place or the other.

use std::fs;
use std::thread;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::util::capture::parse_lines;
use crate::util::journald::{ensure_running, read_back, record_of};
use crate::util::tmpfs::Tmpfs;
use crate::util::{runtime, unique_id};

fn emit(run: &str, phase: &str, range: std::ops::Range<usize>) {
    for n in range {
        tracing::info!(test_run = run, phase, n, "record {n}");
    }
}

fn n_of(record: &Map<String, Value>) -> u64 {
    record["n"].as_u64().expect("n is a number")
}

#[test]
fn full_disk_reroutes_to_journald_and_recovers_when_space_is_freed() {
    full_disk(0);
}

/// A write that fills the disk midway leaves a fragment of one record in the
/// file; that record is re-routed whole, and the file goes on with a new line.
#[test]
fn a_record_torn_by_a_full_disk_is_rerouted_whole() {
    full_disk(8 * 1024);
}

/// Runs the scenario with `room` bytes left free on the disk when it fills.
fn full_disk(room: u64) {
    ensure_running();
    let run = unique_id();
    let identifier = format!("logward-failover-{run}");
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = Tmpfs::mount(&dir.path().join("disk"), "size=256k");
    let log = disk.dir.join("app.log");
    let config = dir.path().join("config");
    fs::write(
        &config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_SYSLOG_IDENTIFIER={identifier}\n",
            log.display()
        ),
    )
    .expect("write the configuration");

    let (dispatch, guard) = runtime(&config);
    const FULL: usize = 50;
    const STILL_FULL: usize = 20;
    const FREED: usize = 30;
    let stats = tracing::dispatcher::with_default(&dispatch, || {
        let filler = disk.fill(room);
        emit(&run, "full", 0..FULL);
        guard.flush();
        emit(&run, "full", FULL..FULL + STILL_FULL);
        guard.flush();

        fs::remove_file(filler).expect("free the disk");
        // The failed file is retried once a second.
        thread::sleep(Duration::from_millis(1_100));
        emit(&run, "freed", 0..FREED);
        guard.flush();
        guard.stats()
    });
    drop(guard);

    // The file: the records written before the disk was full, at most one
    // fragment of a record torn by it, the records logged after space was
    // freed, in order, and the recovery notice.
    let text = fs::read_to_string(&log).expect("read the log file");
    let fragments = text
        .lines()
        .filter(|line| serde_json::from_str::<Value>(line).is_err())
        .count();
    assert_eq!(fragments, usize::from(room > 0), "{text}");
    let whole: String = text
        .lines()
        .filter(|line| serde_json::from_str::<Value>(line).is_ok())
        .flat_map(|line| [line, "\n"])
        .collect();
    let (ours, runtime): (Vec<_>, Vec<_>) = parse_lines(&whole)
        .into_iter()
        .partition(|r| r.get("test_run").and_then(Value::as_str) == Some(run.as_str()));
    let written_full = ours.iter().filter(|r| r["phase"] == "full").count();
    let numbers: Vec<(String, u64)> = ours
        .iter()
        .map(|r| (r["phase"].as_str().unwrap_or("").to_string(), n_of(r)))
        .collect();
    let expected: Vec<(String, u64)> = (0..written_full as u64)
        .map(|n| ("full".to_string(), n))
        .chain((0..FREED as u64).map(|n| ("freed".to_string(), n)))
        .collect();
    assert_eq!(numbers, expected, "the file holds a prefix, then the rest");
    if room == 0 {
        assert_eq!(written_full, 0);
    } else {
        assert!(written_full > 0 && written_full < FULL, "{written_full}");
    }

    let rerouted = FULL + STILL_FULL - written_full;
    assert_eq!(stats.rerouted, rerouted as u64, "{stats:?}");
    assert_eq!(
        stats.written,
        (written_full + FREED + 1) as u64,
        "{stats:?}"
    );
    assert_eq!((stats.dropped, stats.lost), (0, 0), "{stats:?}");
    assert_eq!(runtime.len(), 1, "{runtime:?}");
    assert_eq!(runtime[0]["runtime_event"], "sink_recovered");
    assert_eq!(runtime[0]["rerouted"].as_u64(), Some(rerouted as u64));

    // The journal: started, the failure notice, every re-routed record once,
    // the recovery notice, stopped.
    let expected = rerouted + 4;
    let entries = read_back(&[("SYSLOG_IDENTIFIER", &identifier)], expected);
    assert_eq!(entries.len(), expected, "every record once");
    let records: Vec<Map<String, Value>> = entries.iter().map(record_of).collect();
    let mut numbers: Vec<u64> = records
        .iter()
        .filter(|r| r.get("test_run").and_then(Value::as_str) == Some(run.as_str()))
        .inspect(|r| assert_eq!(r["phase"], "full"))
        .map(n_of)
        .collect();
    numbers.sort_unstable();
    let first = (FULL + STILL_FULL - rerouted) as u64;
    assert_eq!(
        numbers,
        (first..(FULL + STILL_FULL) as u64).collect::<Vec<_>>(),
        "the journal holds the rest, each record once"
    );

    let events: Vec<&str> = records
        .iter()
        .filter_map(|r| r.get("runtime_event").and_then(Value::as_str))
        .collect();
    assert_eq!(events, ["sink_failed", "sink_recovered"]);
    let failed = records
        .iter()
        .find(|r| r.get("runtime_event").and_then(Value::as_str) == Some("sink_failed"))
        .expect("sink_failed");
    assert_eq!(failed["sink"], format!("file {}", log.display()));
    assert_eq!(failed["fallback"], "journald");
    assert_eq!(failed["level"], "warning");
    let error = failed["error"].as_str().unwrap_or("");
    assert!(error.contains("No space left on device"), "{error}");

    let actions: Vec<&str> = records
        .iter()
        .filter_map(|r| r.get("action").and_then(Value::as_str))
        .collect();
    assert_eq!(actions, ["logging_started", "logging_stopped"]);
}

//! Size rotation and compressed rotated files from the tool's side: `config
//! check` shows and refuses the rotation keys, `bundle` reads `.gz` siblings
//! as if they were not compressed.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use logward::sink::{Entry, FileSink, Rotation, Sink, rotated_files};
use logward::{Compression, Date, Level, LogType, ManualClock};
use serde_json::{Value, json};

use super::cli::{logward, stderr, stdout};

fn write_config(dir: &Path, text: &str) -> String {
    let path = dir.join("logward.conf");
    std::fs::write(&path, text).expect("config written");
    path.to_string_lossy().into_owned()
}

#[test]
fn config_check_shows_size_rotation_and_compression_per_type() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        tmp.path(),
        &format!(
            "LOG_LEVEL=info\nLOG_FILE={0}/app.log\nLOG_ROTATE_DAILY=true\nLOG_ROTATE_SIZE=100M\n\
             LOG_ROTATE_MAX=20\nLOG_ROTATE_COMPRESS=gzip\nLOG_SYNC=always\n\
             LOG_FILE_AUDIT={0}/audit.log\nLOG_FILE_WEB={0}/web.log\nLOG_ROTATE_DAILY_WEB=false\n\
             LOG_ROTATE_SIZE_WEB=1536K\nLOG_ROTATE_COMPRESS_WEB=none\n",
            tmp.path().display()
        ),
    );
    let out = logward(&["config", "check", "--config", &config], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    let row = |t: &str| -> Vec<String> {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{t} ")))
            .unwrap_or_else(|| panic!("no {t} row in\n{table}"))
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect()
    };
    let dir = tmp.path().display();
    // Audit takes the unsuffixed rotation, compression and sync keys.
    assert_eq!(
        row("audit"),
        [
            "audit".to_string(),
            "info".into(),
            format!("{dir}/audit.log"),
            "daily+100M gzip".into(),
            "20".into(),
            "block".into(),
            "always".into()
        ]
    );
    assert_eq!(row("web")[3..5], ["1536K".to_string(), "20".into()]);
    assert_eq!(row("application")[3], "daily+100M gzip");
}

#[test]
fn config_check_refuses_bad_rotation_values_naming_the_key_the_value_and_what_is_allowed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        tmp.path(),
        &format!(
            "LOG_LEVEL=info\nLOG_FILE={0}/app.log\nLOG_ROTATE_SIZE=12Q\nLOG_ROTATE_COMPRESS=zip\n\
             LOG_FILE_AUDIT={0}/audit.log\nLOG_ROTATE_SIZE_AUDIT=0\nLOG_ROTATE_MAX_WEB=many\n",
            tmp.path().display()
        ),
    );
    let out = logward(&["config", "check", "--config", &config], None);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    for expected in [
        format!(
            "{config}:3: LOG_ROTATE_SIZE=\"12Q\": not a size (unknown unit); allowed: a whole \
             number of bytes, optionally followed by K, M or G (1024, 1024² or 1024³ bytes), such \
             as 100M; or none"
        ),
        format!(
            "{config}:4: LOG_ROTATE_COMPRESS=\"zip\": not a compression; allowed: gzip or none"
        ),
        format!("{config}:6: LOG_ROTATE_SIZE_AUDIT=\"0\": zero; allowed:"),
        format!("{config}:7: LOG_ROTATE_MAX_WEB=\"many\": not a positive whole number; allowed:"),
    ] {
        assert!(err.contains(&expected), "{expected}\nnot in:\n{err}");
    }
}

#[test]
fn config_check_refuses_compression_of_a_sealed_type_and_compression_without_rotation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        tmp.path(),
        &format!(
            "LOG_LEVEL=info\nLOG_FILE={0}/app.log\nLOG_ROTATE_DAILY=true\nLOG_ROTATE_COMPRESS=gzip\n\
             LOG_FILE_AUDIT={0}/audit.log\nLOG_SEAL_AUDIT=true\n\
             LOG_FILE_WEB={0}/web.log\nLOG_ROTATE_DAILY_WEB=false\nLOG_ROTATE_COMPRESS_WEB=gzip\n",
            tmp.path().display()
        ),
    );
    let out = logward(&["config", "check", "--config", &config], None);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    for expected in [
        format!(
            "{config}:4: LOG_ROTATE_COMPRESS=\"gzip\": sealed files are not compressed (`logward \
             verify` checks their bytes as written), and LOG_SEAL_AUDIT=\"true\" ({config}:6) \
             seals the file; allowed: LOG_ROTATE_COMPRESS_AUDIT=none, or no sealing"
        ),
        format!(
            "{config}:9: LOG_ROTATE_COMPRESS_WEB=\"gzip\": compression applies to rotated files, \
             and LOG_ROTATE_DAILY_WEB=\"false\" ({config}:8) and neither LOG_ROTATE_SIZE_WEB nor \
             LOG_ROTATE_SIZE is set; allowed: set LOG_ROTATE_DAILY_WEB=true or \
             LOG_ROTATE_SIZE_WEB, or remove LOG_ROTATE_COMPRESS_WEB"
        ),
    ] {
        assert!(err.contains(&expected), "{expected}\nnot in:\n{err}");
    }
}

/// Writes records `from..to` (web, numbered `n`) at `micros` through a
/// sink rotating at 4 KiB and compressing.
fn write(path: &Path, clock: &ManualClock, from: usize, to: usize) {
    let rotation = Rotation {
        daily: true,
        max_size: std::num::NonZeroU64::new(4096),
        compress: Some(Compression::Gzip),
        ..Rotation::default()
    };
    let mut sink = FileSink::open(path, rotation, false, Arc::new(clock.clone())).expect("opens");
    for n in from..to {
        let created = Date::from_unix_micros(logward::Clock::now_micros(clock)).to_string();
        let line = json!({
            "id": format!("00000000-0000-4000-8000-{n:012}"),
            "created_at": format!("{created}T12:00:00.{n:06}Z"),
            "hostname": "h",
            "level": "info",
            "log_type": "web",
            "pid": 1,
            "n": n,
            "message": "x".repeat(100),
        });
        let text = format!("{line}\n");
        sink.append(&Entry {
            line: text.as_bytes(),
            level: Level::Info,
            log_type: LogType::Web,
        })
        .expect("append");
    }
    sink.flush().expect("flush");
    drop(sink);
    // The live file was last written at the clock's time, as it would be.
    let at = std::time::UNIX_EPOCH
        + std::time::Duration::from_micros(logward::Clock::now_micros(clock) as u64);
    std::fs::File::options()
        .append(true)
        .open(path)
        .and_then(|f| f.set_modified(at))
        .expect("mtime set");
}

#[test]
fn bundle_reads_compressed_siblings_transparently_in_order_and_by_date() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("web.log");
    let config = write_config(
        tmp.path(),
        &format!(
            "LOG_LEVEL=info\nLOG_FILE={0}/other.log\nLOG_FILE_AUDIT={0}/other.log\nLOG_FILE_WEB={1}\n",
            tmp.path().display(),
            log.display()
        ),
    );
    let day = |d: &str| Date::parse(d).expect("date").start_unix_micros() + 43_200_000_000;
    let clock = ManualClock::new(day("2026-06-01"));
    write(&log, &clock, 0, 100);
    clock.set_micros(day("2026-06-02"));
    write(&log, &clock, 100, 200);
    let files = rotated_files(&log).expect("list");
    let compressed = files.iter().filter(|f| f.compressed).count();
    assert!(
        compressed >= 4,
        "{compressed} of {} compressed",
        files.len()
    );
    assert!(files.iter().all(|f| f.live || f.compressed));

    let numbers = |args: &[&str]| -> Vec<u64> {
        let mut all = vec!["bundle", "--config", &config, "--log-type", "web"];
        all.extend_from_slice(args);
        let out = logward(&all, None);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("record"))
            // The journal is read too, and may hold other tests' web records.
            .filter(|r| r["log_type"] == "web" && r["hostname"] == "h")
            .map(|r| r["n"].as_u64().unwrap_or_else(|| panic!("no n in {r}")))
            .collect()
    };
    assert_eq!(numbers(&[]), (0..200).collect::<Vec<_>>());
    assert_eq!(
        numbers(&["--date-from", "2026-06-02", "--date-to", "2026-06-02"]),
        (100..200).collect::<Vec<_>>()
    );
    let ids: BTreeSet<u64> = numbers(&["--date-to", "2026-06-01"]).into_iter().collect();
    assert_eq!(ids, (0..100).collect());
}

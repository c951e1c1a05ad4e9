//! The file sink against real files: modes, appending, rotation at midnight,
//! pruning, re-creating a deleted file, and write failures.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::num::NonZeroU32;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use logward::Date;
use logward::sink::{Entry, FileSink, Rotation, Sink, rotated_files};
use logward::{Clock, ErrorKind, Level, LogType, ManualClock};

use crate::util::runtime;
use crate::util::tmpfs::Tmpfs;

const SECOND: i64 = 1_000_000;

/// Microseconds since the epoch at `date` plus `seconds`.
fn at(date: &str, seconds: i64) -> i64 {
    Date::parse(date).unwrap().start_unix_micros() + seconds * SECOND
}

/// Daily rotation keeping `max_files` files, or all of them for 0.
fn daily(max_files: u32) -> Rotation {
    Rotation {
        daily: true,
        max_files: NonZeroU32::new(max_files),
        ..Rotation::default()
    }
}

fn open(path: &Path, rotation: Rotation, clock: &ManualClock) -> FileSink {
    FileSink::open(path, rotation, false, Arc::new(clock.clone())).unwrap()
}

fn append(sink: &mut FileSink, line: &str) -> io::Result<()> {
    sink.append(&Entry {
        line: line.as_bytes(),
        level: Level::Info,
        log_type: LogType::Audit,
    })
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
}

fn names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Gives `path` the modification time `micros`, as if last written then.
fn set_mtime(path: &Path, micros: i64) {
    let time = UNIX_EPOCH + Duration::from_micros(micros as u64);
    fs::File::options()
        .append(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

#[test]
fn modes_are_0750_and_0640_whatever_the_umask() {
    use rustix::fs::Mode;
    // The umask is process-wide: this is the only test in this binary that
    // changes it, it restores it, and no mask used here takes away the
    // owner's access that concurrent tests rely on.
    let tmp = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(at("2026-03-10", 3600));
    let saved = rustix::process::umask(Mode::empty());
    let mut results = Vec::new();
    for mask in [0o000, 0o077, 0o070] {
        rustix::process::umask(Mode::from_raw_mode(mask));
        let top = tmp.path().join(format!("umask-{mask:03o}"));
        let path = top.join("nested/logs/app.log");
        let mut sink = open(&path, daily(3), &clock);
        append(&mut sink, "{\"n\":1}\n").unwrap();
        sink.flush().unwrap();
        // Rotation creates a new live file: it gets the same mode.
        clock.set_micros(at("2026-03-11", 3600));
        append(&mut sink, "{\"n\":2}\n").unwrap();
        sink.flush().unwrap();
        clock.set_micros(at("2026-03-10", 3600));
        results.push((
            mask,
            [
                mode(&top),
                mode(&top.join("nested")),
                mode(&top.join("nested/logs")),
            ],
            mode(&path),
        ));
    }
    rustix::process::umask(saved);
    for (mask, dirs, file) in results {
        assert_eq!(dirs, [0o750; 3], "directories under umask {mask:03o}");
        assert_eq!(file, 0o640, "live file under umask {mask:03o}");
    }
}

#[test]
fn existing_directory_keeps_its_mode() {
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let clock = ManualClock::new(at("2026-03-10", 0));
    open(&tmp.path().join("app.log"), Rotation::default(), &clock);
    assert_eq!(mode(tmp.path()), 0o755);
    assert_eq!(mode(&tmp.path().join("app.log")), 0o640);
}

#[test]
fn restart_on_the_same_day_appends() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let clock = ManualClock::new(at("2026-03-10", 8 * 3600));
    let mut sink = open(&path, daily(5), &clock);
    append(&mut sink, "{\"n\":1}\n").unwrap();
    sink.flush().unwrap();
    drop(sink);
    set_mtime(&path, clock.now_micros());

    clock.set_micros(at("2026-03-10", 20 * 3600));
    let mut sink = open(&path, daily(5), &clock);
    append(&mut sink, "{\"n\":2}\n").unwrap();
    sink.flush().unwrap();

    assert_eq!(read(&path), "{\"n\":1}\n{\"n\":2}\n");
    assert_eq!(names(tmp.path()), set(&["app.log"]));
}

#[test]
fn a_record_cut_short_by_a_killed_writer_is_not_joined_to_the_next() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let clock = ManualClock::new(at("2026-03-10", 8 * 3600));
    // What a writer killed in the middle of a write leaves behind.
    fs::write(&path, "{\"n\":1}\n{\"n\":").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    set_mtime(&path, clock.now_micros());
    let mut sink = open(&path, daily(5), &clock);
    append(&mut sink, "{\"n\":2}\n").unwrap();
    sink.flush().unwrap();
    append(&mut sink, "{\"n\":3}\n").unwrap();
    sink.flush().unwrap();
    drop(sink);
    assert_eq!(read(&path), "{\"n\":1}\n{\"n\":\n{\"n\":2}\n{\"n\":3}\n");

    // A file that ends whole gets no empty line.
    let mut sink = open(&path, daily(5), &clock);
    append(&mut sink, "{\"n\":4}\n").unwrap();
    sink.flush().unwrap();
    assert_eq!(
        read(&path),
        "{\"n\":1}\n{\"n\":\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n"
    );
}

#[test]
fn restart_on_a_later_day_rotates_the_old_live_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    fs::write(&path, "{\"n\":1}\n").unwrap();
    set_mtime(&path, at("2026-03-08", 3600));

    let clock = ManualClock::new(at("2026-03-10", 3600));
    let mut sink = open(&path, daily(5), &clock);
    assert_eq!(names(tmp.path()), set(&["app.log", "app.log.2026-03-08"]));
    append(&mut sink, "{\"n\":2}\n").unwrap();
    sink.flush().unwrap();
    assert_eq!(read(&tmp.path().join("app.log.2026-03-08")), "{\"n\":1}\n");
    assert_eq!(read(&path), "{\"n\":2}\n");
}

#[test]
fn rotation_at_midnight_splits_records_by_day() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let clock = ManualClock::new(at("2026-03-10", 86_400 - 2));
    let mut sink = FileSink::open(&path, daily(0), true, Arc::new(clock.clone())).unwrap();

    append(&mut sink, "{\"n\":1}\n").unwrap();
    sink.flush().unwrap();
    clock.advance_micros(SECOND);
    // Still buffered when the day changes: these must land in the old file.
    append(&mut sink, "{\"n\":2}\n").unwrap();
    clock.advance_micros(SECOND);
    assert_eq!(clock.now_micros(), at("2026-03-11", 0));
    append(&mut sink, "{\"n\":3}\n").unwrap();
    append(&mut sink, "{\"n\":4}\n").unwrap();
    sink.flush().unwrap();

    assert_eq!(names(tmp.path()), set(&["app.log", "app.log.2026-03-10"]));
    assert_eq!(
        read(&tmp.path().join("app.log.2026-03-10")),
        "{\"n\":1}\n{\"n\":2}\n"
    );
    assert_eq!(read(&path), "{\"n\":3}\n{\"n\":4}\n");
}

#[test]
fn several_days_keep_exactly_max_files() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let clock = ManualClock::new(at("2026-03-01", 12 * 3600));
    let mut sink = open(&path, daily(3), &clock);
    for day in 1..=6 {
        clock.set_micros(at(&format!("2026-03-{day:02}"), 12 * 3600));
        append(&mut sink, &format!("{{\"day\":{day}}}\n")).unwrap();
        sink.flush().unwrap();
    }
    assert_eq!(
        names(tmp.path()),
        set(&["app.log", "app.log.2026-03-04", "app.log.2026-03-05"])
    );
    assert_eq!(
        read(&tmp.path().join("app.log.2026-03-04")),
        "{\"day\":4}\n"
    );
    assert_eq!(
        read(&tmp.path().join("app.log.2026-03-05")),
        "{\"day\":5}\n"
    );
    assert_eq!(read(&path), "{\"day\":6}\n");
}

#[test]
fn max_of_one_keeps_only_the_live_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let clock = ManualClock::new(at("2026-03-01", 0));
    let mut sink = open(&path, daily(1), &clock);
    append(&mut sink, "{\"day\":1}\n").unwrap();
    clock.set_micros(at("2026-03-02", 0));
    append(&mut sink, "{\"day\":2}\n").unwrap();
    sink.flush().unwrap();
    assert_eq!(names(tmp.path()), set(&["app.log"]));
    assert_eq!(read(&path), "{\"day\":2}\n");
}

#[test]
fn restart_prunes_many_old_rotated_files_to_exactly_max() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    for day in 1..=10 {
        fs::write(tmp.path().join(format!("app.log.2026-01-{day:02}")), "x\n").unwrap();
    }
    fs::write(tmp.path().join("app.log.2026-01-10.1"), "x\n").unwrap();
    fs::write(&path, "live\n").unwrap();
    set_mtime(&path, at("2026-01-11", 60));
    let clock = ManualClock::new(at("2026-01-11", 3600));

    let expected = set(&[
        "app.log",
        "app.log.2026-01-09",
        "app.log.2026-01-10",
        "app.log.2026-01-10.1",
    ]);
    drop(open(&path, daily(4), &clock));
    assert_eq!(names(tmp.path()), expected);
    // Restarting again does not delete one more: the count is not off by one.
    set_mtime(&path, at("2026-01-11", 60));
    drop(open(&path, daily(4), &clock));
    assert_eq!(names(tmp.path()), expected);
    assert_eq!(read(&path), "live\n");
}

#[test]
fn restart_with_a_stale_live_file_rotates_then_prunes() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    for day in 1..=5 {
        fs::write(tmp.path().join(format!("app.log.2026-01-{day:02}")), "x\n").unwrap();
    }
    fs::write(&path, "old\n").unwrap();
    set_mtime(&path, at("2026-01-06", 60));
    let clock = ManualClock::new(at("2026-01-08", 60));

    drop(open(&path, daily(3), &clock));
    assert_eq!(
        names(tmp.path()),
        set(&["app.log", "app.log.2026-01-05", "app.log.2026-01-06"])
    );
    assert_eq!(read(&tmp.path().join("app.log.2026-01-06")), "old\n");
    assert_eq!(read(&path), "");
}

#[test]
fn pruning_leaves_look_alike_names_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Compressed rotated files and their temporary files are the sink's too.
    let ours = [
        "app.log.2026-01-01",
        "app.log.2026-01-02.1",
        "app.log.2026-01-01.gz",
        "app.log.2026-01-01.1.gz",
        "app.log.2026-01-02.1.gz.tmp",
    ];
    let others = [
        "app.log-old",
        "app.log.old",
        "app.logger.2026-01-01",
        "app.log.2026-01-01.bz2",
        "app.log.2026-01-01.gz.1",
        "app.log.2026-01-01.gz.tmp.old",
        "app.log.2026-01-01.01.gz",
        "app.log.2026-01-01.01",
        "app.log.2026-1-01",
        "app.log2",
        "app.log2.2026-01-01",
        "xapp.log.2026-01-01",
        "app.log.2026-02-30",
    ];
    for name in ours.iter().chain(&others) {
        fs::write(dir.join(name), "x\n").unwrap();
    }
    fs::create_dir(dir.join("app.log.2025-12-31")).unwrap();
    let clock = ManualClock::new(at("2026-01-03", 0));

    drop(open(&dir.join("app.log"), daily(1), &clock));
    let mut expected = set(&others);
    expected.insert("app.log".into());
    expected.insert("app.log.2025-12-31".into());
    assert_eq!(names(dir), expected);

    // The other sink prunes its own rotated file only.
    drop(open(&dir.join("app.log2"), daily(1), &clock));
    expected.remove("app.log2.2026-01-01");
    assert_eq!(names(dir), expected);
}

#[test]
fn rotated_name_collision_gets_a_suffix_and_overwrites_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("app.log");
    fs::write(dir.join("app.log.2026-03-10"), "earlier\n").unwrap();
    let clock = ManualClock::new(at("2026-03-10", 3600));
    let mut sink = open(&path, daily(0), &clock);

    append(&mut sink, "{\"n\":1}\n").unwrap();
    clock.set_micros(at("2026-03-11", 3600));
    append(&mut sink, "{\"n\":2}\n").unwrap();
    // The clock steps back over midnight, then forward again: the late
    // record joins the newer file instead of rotating it.
    clock.set_micros(at("2026-03-10", 7200));
    append(&mut sink, "{\"n\":3}\n").unwrap();
    clock.set_micros(at("2026-03-11", 7200));
    append(&mut sink, "{\"n\":4}\n").unwrap();
    sink.flush().unwrap();

    assert_eq!(
        names(dir),
        set(&["app.log", "app.log.2026-03-10", "app.log.2026-03-10.1"])
    );
    assert_eq!(read(&dir.join("app.log.2026-03-10")), "earlier\n");
    assert_eq!(read(&dir.join("app.log.2026-03-10.1")), "{\"n\":1}\n");
    assert_eq!(read(&path), "{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n");
}

#[test]
fn rotated_files_lists_a_sinks_files_by_date_with_the_live_file_last() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let clock = ManualClock::new(at("2026-03-01", 0));
    let mut sink = open(&path, daily(0), &clock);
    for day in [1, 2, 2, 3] {
        clock.set_micros(at(&format!("2026-03-{day:02}"), 60));
        append(&mut sink, "{}\n").unwrap();
        sink.flush().unwrap();
    }
    fs::write(tmp.path().join("app.log.2026-03-01.gz"), "x").unwrap();

    let files = rotated_files(&path).unwrap();
    let listed: Vec<_> = files
        .iter()
        .map(|f| (f.date.to_string(), f.path.clone(), f.live))
        .collect();
    let today = Date::from_unix_micros(
        fs::metadata(&path)
            .unwrap()
            .modified()
            .unwrap()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_micros() as i64,
    );
    assert_eq!(
        listed,
        [
            (
                "2026-03-01".to_string(),
                tmp.path().join("app.log.2026-03-01"),
                false
            ),
            (
                "2026-03-02".to_string(),
                tmp.path().join("app.log.2026-03-02"),
                false
            ),
            (today.to_string(), path.clone(), true),
        ]
    );
}

#[test]
fn deleted_live_file_is_recreated_and_next_records_land_in_it() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("logs/app.log");
    let clock = ManualClock::new(at("2026-03-10", 3600));
    let mut sink = open(&path, daily(3), &clock);
    append(&mut sink, "{\"n\":1}\n").unwrap();
    sink.flush().unwrap();

    fs::remove_file(&path).unwrap();
    clock.advance_micros(SECOND);
    append(&mut sink, "{\"n\":2}\n").unwrap();
    sink.flush().unwrap();
    assert_eq!(read(&path), "{\"n\":2}\n");
    assert_eq!(mode(&path), 0o640);

    // Renamed away by someone else: the path is created again too.
    let moved = tmp.path().join("logs/moved");
    fs::rename(&path, &moved).unwrap();
    clock.advance_micros(SECOND);
    append(&mut sink, "{\"n\":3}\n").unwrap();
    sink.flush().unwrap();
    assert_eq!(read(&moved), "{\"n\":2}\n");
    assert_eq!(read(&path), "{\"n\":3}\n");

    // Even the whole directory.
    fs::remove_dir_all(tmp.path().join("logs")).unwrap();
    clock.advance_micros(SECOND);
    append(&mut sink, "{\"n\":4}\n").unwrap();
    sink.flush().unwrap();
    assert_eq!(read(&path), "{\"n\":4}\n");
    assert_eq!(mode(&tmp.path().join("logs")), 0o750);
}

#[test]
fn write_failure_is_reported_and_unwritten_records_are_handed_back() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&tmp.path().join("disk"), "size=64k");
    let path = disk.dir.join("app.log");
    let clock = ManualClock::new(at("2026-03-10", 3600));
    let mut sink = open(&path, Rotation::default(), &clock);
    assert_eq!(sink.describe(), format!("file {}", path.display()));
    disk.fill(0);

    append(&mut sink, "{\"n\":1}\n").unwrap();
    append(&mut sink, "{\"n\":2}\n").unwrap();
    let error = sink.flush().unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    assert!(
        error.to_string().contains(&path.display().to_string()),
        "{error}"
    );
    assert_eq!(sink.take_unwritten(), b"{\"n\":1}\n{\"n\":2}\n");

    // While failing, each append tries the file again and reports at once.
    let error = append(&mut sink, "{\"n\":3}\n").unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    assert_eq!(sink.take_unwritten(), b"{\"n\":3}\n");
    assert!(sink.take_unwritten().is_empty());
}

#[test]
fn sink_recovers_when_the_file_becomes_writable_again() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&tmp.path().join("disk"), "size=64k");
    let path = disk.dir.join("app.log");
    let clock = ManualClock::new(at("2026-03-10", 3600));
    let mut sink = open(&path, Rotation::default(), &clock);
    let filler = disk.fill(0);

    append(&mut sink, "{\"n\":1}\n").unwrap();
    assert!(sink.flush().is_err());

    // Space comes back. The records kept since the failure are written, in
    // order, on the next append.
    fs::remove_file(filler).unwrap();
    append(&mut sink, "{\"n\":2}\n").unwrap();
    append(&mut sink, "{\"n\":3}\n").unwrap();
    sink.flush().unwrap();
    assert_eq!(read(&path), "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
    assert!(sink.take_unwritten().is_empty());
}

#[test]
fn open_failure_names_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("not-a-dir");
    fs::write(&blocker, "").unwrap();
    let path = blocker.join("app.log");
    let clock = ManualClock::new(at("2026-03-10", 0));
    let error = FileSink::open(&path, Rotation::default(), false, Arc::new(clock)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Sink);
    assert_eq!(error.path(), Some(path.as_path()));
    assert!(error.to_string().contains("app.log"), "{error}");
}

/// The runtime with the real clock: records logged after the live file was
/// deleted, or renamed away, land in the re-created file, none in the
/// deleted or moved one.
#[test]
fn a_log_file_deleted_or_renamed_while_running_is_recreated_losing_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("logs/app.log");
    let moved = tmp.path().join("logs/app.log.moved");
    let config = tmp.path().join("config");
    fs::write(
        &config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={0}\nLOG_FILE_AUDIT={0}\n",
            log.display()
        ),
    )
    .unwrap();
    let (dispatch, guard) = runtime(&config);
    let log_range = |range: std::ops::Range<u32>| {
        for n in range {
            tracing::info!(n, "record {n}");
        }
        guard.flush();
    };
    tracing::dispatcher::with_default(&dispatch, || {
        log_range(0..100);
        fs::remove_file(&log).unwrap();
        log_range(100..200);
        fs::rename(&log, &moved).unwrap();
        log_range(200..300);
    });
    let stats = guard.stats();
    drop(guard);

    let numbers = |path: &Path| -> Vec<u64> {
        read(path)
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .filter_map(|record| record.get("n").and_then(serde_json::Value::as_u64))
            .collect()
    };
    assert_eq!(numbers(&moved), (100..200).collect::<Vec<_>>());
    assert_eq!(numbers(&log), (200..300).collect::<Vec<_>>());
    assert!(read(&log).ends_with("\"message\":\"logging stopped\"}\n"));
    assert_eq!(mode(&log), 0o640);
    assert_eq!((stats.written, stats.rerouted, stats.lost), (301, 0, 0));
}

/// Another process sharing the file rotated it away at midnight and has
/// not started a new one yet: the sink does not rotate it again, reports
/// no failure (which would re-route the records) and starts the new file.
#[test]
fn a_live_file_already_rotated_by_another_process_is_no_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("app.log");
    let clock = ManualClock::new(at("2026-03-10", 86_399));
    let mut sink = open(&path, daily(0), &clock);
    append(&mut sink, "{\"n\":0}\n").unwrap();
    sink.flush().unwrap();

    fs::rename(&path, dir.join("app.log.2026-03-10")).unwrap();
    clock.set_micros(at("2026-03-11", 1));
    // More than the sink buffers, so that it writes (and rotates) on append.
    let lines: Vec<String> = (1..=300)
        .map(|n| format!("{{\"n\":{n},\"pad\":\"{}\"}}\n", "x".repeat(400)))
        .collect();
    for line in &lines {
        append(&mut sink, line).unwrap();
    }
    sink.flush().unwrap();

    assert_eq!(names(dir), set(&["app.log", "app.log.2026-03-10"]));
    assert_eq!(read(&dir.join("app.log.2026-03-10")), "{\"n\":0}\n");
    assert_eq!(read(&path), lines.concat());
    assert!(sink.take_unwritten().is_empty());
}

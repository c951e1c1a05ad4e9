//! `logward bundle` against real sources: files written by the runtime with
//! daily rotation, hand-written malformed files, and the real journal.
//!
//! Each test computes what the bundle must hold on its own, by parsing every
//! line of the source files with `serde_json` and filtering and sorting them
//! (the oracle), and compares the bundle's output with it line by line.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use logward::sink::{FileSink, JournaldSink, Rotation};
use logward::{
    Date, Emit, Level, LogType, Logward, ManualClock, analysis, application, audit, tanium, web,
};
use logward_cli::{BundleRequest, BundleSummary, Bundler, RawBundleArgs, Source, Trust, WrittenTo};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tracing_subscriber::layer::SubscriberExt;

use crate::util::journald::{ensure_running, read_back};
use crate::util::unique_id;

const SECOND: i64 = 1_000_000;

/// The days the runtime logs on; long past, so a live file's modification
/// time (today) is never before its records.
const DAYS: [&str; 4] = ["2025-03-10", "2025-03-11", "2025-03-12", "2025-03-13"];

/// Each day's events: seconds into the day, log type, level.
const EVENTS: [(i64, LogType, Level); 5] = [
    (3_600, LogType::Web, Level::Info),
    (21_600, LogType::Tanium, Level::Critical),
    (43_200, LogType::Audit, Level::Warning),
    (64_800, LogType::Application, Level::Error),
    (86_399, LogType::Analysis, Level::Debug),
];

fn at(date: &str, seconds: i64) -> i64 {
    Date::parse(date).expect("a date").start_unix_micros() + seconds * SECOND
}

fn emit(log_type: LogType, level: Level) {
    match log_type {
        LogType::Web => web::Request::new("GET", "/health", 200).log(level),
        LogType::Tanium => tanium::Operation::new("endpoint sync").log(level),
        LogType::Audit => audit::LoginAttempt::new(true, "10.0.0.7").log(level),
        LogType::Application => application::Message::new("job done").log(level),
        LogType::Analysis => analysis::Analysis::new(64, "scan", "analysed").log(level),
    }
}

/// Logs [`EVENTS`] on each of [`DAYS`] through the real runtime into a
/// daily-rotating file sink at `path`, every time shifted by `offset`
/// microseconds (so that two sinks' records interleave without ties).
/// Leaves three rotated files and the live file with the last day.
fn log_days(path: &Path, offset: i64) {
    let clock = ManualClock::new(at(DAYS[0], 0) + offset);
    let rotation = Rotation {
        daily: true,
        max_files: None,
        ..Rotation::default()
    };
    let sink = FileSink::open(path, rotation, false, Arc::new(clock.clone())).expect("file sink");
    let logward = Logward::builder()
        .with_sink(sink)
        .with_clock(clock.clone())
        .with_level(Level::Debug)
        .with_panic_hook(false)
        .build()
        .expect("runtime");
    let (layer, guard) = logward.into_parts();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        for day in DAYS {
            for (seconds, log_type, level) in EVENTS {
                clock.set_micros(at(day, seconds) + offset);
                emit(log_type, level);
            }
            // The sink rotates by the clock when it writes: write the day
            // out before the clock moves on.
            guard.flush();
        }
    });
    clock.advance_micros(1);
    drop(guard);
}

/// Every line of every file in `dir`, parsed.
fn all_records(dir: &Path) -> Vec<(String, Map<String, Value>)> {
    let mut records = Vec::new();
    for entry in fs::read_dir(dir).expect("list") {
        let path = entry.expect("entry").path();
        if !path.is_file() {
            continue;
        }
        for line in fs::read_to_string(&path).expect("read").lines() {
            if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(line) {
                records.push((line.to_string(), map));
            }
        }
    }
    records
}

fn field<'a>(record: &'a Map<String, Value>, key: &str) -> &'a str {
    record.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The lines of `records` that `keep` accepts, in `created_at` order.
fn oracle(
    records: &[(String, Map<String, Value>)],
    keep: impl Fn(&Map<String, Value>) -> bool,
) -> Vec<String> {
    let mut kept: Vec<&(String, Map<String, Value>)> =
        records.iter().filter(|(_, r)| keep(r)).collect();
    kept.sort_by(|a, b| field(&a.1, "created_at").cmp(field(&b.1, "created_at")));
    kept.into_iter().map(|(line, _)| line.clone()).collect()
}

fn request(raw: RawBundleArgs) -> BundleRequest {
    BundleRequest::from_raw(raw).expect("a valid request")
}

/// Runs a bundle to a buffer standing in for stdout.
fn to_stdout(sources: Vec<Source>, request: &BundleRequest) -> (Vec<String>, BundleSummary) {
    let mut out = Vec::new();
    let summary = Bundler::new(sources)
        .with_progress(false)
        .run_to(request, &mut out)
        .expect("bundle");
    let text = String::from_utf8(out).expect("UTF-8");
    (text.lines().map(String::from).collect(), summary)
}

/// Two runtimes' sinks in one directory, logging the same days half a
/// second apart.
struct TwoSinks {
    dir: tempfile::TempDir,
    a: PathBuf,
    b: PathBuf,
}

fn two_sinks() -> TwoSinks {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    log_days(&a, 0);
    log_days(&b, SECOND / 2);
    TwoSinks { dir, a, b }
}

impl TwoSinks {
    fn sources(&self) -> Vec<Source> {
        vec![
            Source::files(&self.a, LogType::ALL),
            Source::files(&self.b, LogType::ALL),
        ]
    }
}

#[test]
fn runtime_with_manual_clock_leaves_rotated_files() {
    let sinks = two_sinks();
    let files = logward::sink::rotated_files(&sinks.a).expect("list");
    let names: Vec<String> = files
        .iter()
        .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "a.log.2025-03-10",
            "a.log.2025-03-11",
            "a.log.2025-03-12",
            "a.log"
        ]
    );
}

#[test]
fn date_only_to_includes_the_whole_day_and_sources_merge_in_time_order() {
    let sinks = two_sinks();
    let request = request(RawBundleArgs {
        date_from: Some("2025-03-11".into()),
        date_to: Some("2025-03-12".into()),
        ..Default::default()
    });
    let (lines, summary) = to_stdout(sinks.sources(), &request);
    let records = all_records(sinks.dir.path());
    let expected = oracle(&records, |r| {
        let day = &field(r, "created_at")[..10];
        day == "2025-03-11" || day == "2025-03-12"
    });
    // Both sinks, all five events of both days, the last at 23:59:59.5.
    assert_eq!(expected.len(), 2 * 2 * EVENTS.len());
    assert_eq!(lines, expected);
    assert!(
        lines
            .last()
            .is_some_and(|l| l.contains("2025-03-12T23:59:59.500000Z"))
    );
    assert_eq!(summary.records, expected.len() as u64);
    assert_eq!(summary.skipped, 0);
    // Only the files of those days were opened, and the next one, which may
    // hold records created just before the last midnight; 2025-03-10's was not.
    let opened: Vec<String> = summary.sources[0]
        .files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(opened, ["a.log.2025-03-11", "a.log.2025-03-12", "a.log"]);
    assert!(!summary.has_source_errors());
}

#[test]
fn date_time_bounds_include_the_start_and_the_whole_end_second() {
    let sinks = two_sinks();
    let request = request(RawBundleArgs {
        date_from: Some("2025-03-11 12:00:00".into()),
        date_to: Some("2025-03-12 06:00:00".into()),
        ..Default::default()
    });
    let (lines, _) = to_stdout(sinks.sources(), &request);
    let expected = oracle(&all_records(sinks.dir.path()), |r| {
        let t = field(r, "created_at");
        ("2025-03-11T12:00:00.000000Z"..="2025-03-12T06:00:00.999999Z").contains(&t)
    });
    assert_eq!(lines, expected);
    let first = lines.first().expect("records");
    assert!(first.contains("\"created_at\":\"2025-03-11T12:00:00.000000Z\""));
    let last = lines.last().expect("records");
    assert!(last.contains("\"created_at\":\"2025-03-12T06:00:00.500000Z\""));
}

#[test]
fn type_and_level_filters_select_exactly_what_is_listed() {
    let sinks = two_sinks();
    let request = request(RawBundleArgs {
        log_type: Some("WEB,tanium,Audit".into()),
        log_level: Some("critical,info".into()),
        ..Default::default()
    });
    let (lines, summary) = to_stdout(sinks.sources(), &request);
    let expected = oracle(&all_records(sinks.dir.path()), |r| {
        ["web", "tanium", "audit"].contains(&field(r, "log_type"))
            && ["critical", "info"].contains(&field(r, "level"))
    });
    assert_eq!(lines, expected);
    // Web info and tanium critical each day, plus the runtime's own audit
    // info records (logging started and stopped); never audit warnings.
    let count = |t: LogType| summary.per_type.iter().find(|(x, _)| *x == t).map(|c| c.1);
    let runtime_records = expected.iter().filter(|l| l.contains("\"logging_")).count() as u64;
    assert!(runtime_records >= 4, "started and stopped, for each sink");
    assert_eq!(count(LogType::Web), Some(8));
    assert_eq!(count(LogType::Tanium), Some(8));
    assert_eq!(count(LogType::Audit), Some(runtime_records));
    assert_eq!(count(LogType::Application), None);
    assert_eq!(
        summary.per_level,
        [(Level::Info, 8 + runtime_records), (Level::Critical, 8)]
    );
}

#[test]
fn a_source_gives_only_the_types_routed_to_it() {
    let sinks = two_sinks();
    let sources = vec![
        Source::files(&sinks.a, [LogType::Web]),
        Source::files(&sinks.b, [LogType::Analysis, LogType::Web]),
    ];
    let request = request(RawBundleArgs {
        log_type: Some("analysis,audit".into()),
        ..Default::default()
    });
    let (lines, summary) = to_stdout(sources, &request);
    let expected = oracle(&all_records(sinks.dir.path()), |r| {
        field(r, "log_type") == "analysis" && field(r, "created_at").ends_with(".500000Z")
    });
    assert_eq!(expected.len(), DAYS.len());
    assert_eq!(lines, expected);
    assert_eq!(summary.sources[0].log_types, Vec::<LogType>::new());
    assert!(summary.sources[0].files.is_empty(), "a is not opened");
    assert_eq!(summary.sources[1].log_types, [LogType::Analysis]);
}

#[test]
fn file_output_matches_stdout_and_needs_force_to_replace() {
    let sinks = two_sinks();
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = out_dir.path().join("bundle.jsonl");
    let raw = RawBundleArgs {
        log_level: Some("error,warning".into()),
        out_file: Some(out.clone()),
        ..Default::default()
    };
    let (stdout_lines, _) = to_stdout(
        sinks.sources(),
        &request(RawBundleArgs {
            out_file: None,
            ..raw.clone()
        }),
    );
    let summary = Bundler::new(sinks.sources())
        .run(&request(raw.clone()))
        .expect("bundle");
    assert_eq!(summary.written, WrittenTo::File { path: out.clone() });
    let written = fs::read_to_string(&out).expect("out-file");
    assert_eq!(written.lines().collect::<Vec<_>>(), stdout_lines);
    assert_eq!(stdout_lines.len(), 2 * 2 * DAYS.len());
    assert!(written.ends_with('\n'));

    let err = BundleRequest::from_raw(raw.clone()).expect_err("exists");
    assert_eq!(err.flag(), "--out-file");
    assert!(err.to_string().contains("already exists"), "{err}");

    fs::write(&out, "old content\n").expect("write");
    let forced = request(RawBundleArgs {
        force: true,
        log_level: Some("critical".into()),
        ..raw
    });
    Bundler::new(sinks.sources()).run(&forced).expect("bundle");
    let replaced = fs::read_to_string(&out).expect("out-file");
    assert_eq!(replaced.lines().count(), 2 * DAYS.len());
    assert!(!replaced.contains("old content"));
    // Nothing but the bundle is left in the directory.
    let names: Vec<_> = fs::read_dir(out_dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["bundle.jsonl"]);
}

#[test]
fn a_failed_bundle_leaves_no_file_under_the_final_name() {
    let sinks = two_sinks();
    let out = sinks.dir.path().join("missing-dir/bundle.jsonl");
    let err = Bundler::new(sinks.sources())
        .run(&request(RawBundleArgs {
            out_file: Some(out.clone()),
            ..Default::default()
        }))
        .expect_err("no such directory");
    assert_eq!(err.kind(), logward::ErrorKind::Bundle);
    assert!(!out.exists());
}

/// A stdout whose reader goes away after `left` bytes.
struct ClosingPipe {
    left: usize,
}

impl Write for ClosingPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_closed_stdout_ends_the_bundle_quietly() {
    let sinks = two_sinks();
    let summary = Bundler::new(sinks.sources())
        .with_progress(false)
        .run_to(
            &request(RawBundleArgs::default()),
            &mut ClosingPipe { left: 100 },
        )
        .expect("a closed pipe is not an error");
    assert!(summary.closed_early());
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn compressed_bundle_has_a_member_per_type_a_manifest_and_true_hashes() {
    let sinks = two_sinks();
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = out_dir.path().join("bundle.tar.gz");
    let request = request(RawBundleArgs {
        date_to: Some("2025-03-12".into()),
        log_type: Some("tanium,audit,web".into()),
        log_level: Some("critical,warning,debug".into()),
        out_file: Some(out.clone()),
        compress: true,
        ..Default::default()
    });
    let config = "LOG_LEVEL=debug\nLOG_FILE=/var/log/app/app.log\n";
    let summary = Bundler::new(sinks.sources())
        .with_config(config, "fp-1234")
        .run(&request)
        .expect("bundle");

    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(&out)
        .output()
        .expect("run tar");
    assert!(listing.status.success(), "tar -tzf: {listing:?}");
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout)
            .lines()
            .collect::<Vec<_>>(),
        [
            "manifest.json",
            "config.txt",
            "audit.jsonl",
            "web.jsonl",
            "tanium.jsonl"
        ]
    );
    let extracted = out_dir.path().join("x");
    fs::create_dir(&extracted).expect("mkdir");
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&out)
        .arg("-C")
        .arg(&extracted)
        .status()
        .expect("run tar");
    assert!(status.success());

    let manifest: Value =
        serde_json::from_slice(&fs::read(extracted.join("manifest.json")).expect("manifest"))
            .expect("manifest is JSON");
    let records = all_records(sinks.dir.path());
    let mut total = 0;
    for (log_type, expected_count) in [("audit", 6), ("web", 0), ("tanium", 6)] {
        let member = fs::read(extracted.join(format!("{log_type}.jsonl"))).expect("member");
        let expected = oracle(&records, |r| {
            field(r, "log_type") == log_type
                && ["critical", "warning", "debug"].contains(&field(r, "level"))
                && field(r, "created_at") < "2025-03-13"
        });
        let text = String::from_utf8(member.clone()).expect("UTF-8");
        assert_eq!(text.lines().collect::<Vec<_>>(), expected, "{log_type}");
        assert_eq!(expected.len(), expected_count, "{log_type}");
        assert_eq!(manifest["per_type"][log_type], expected_count);
        let listed = manifest["members"]
            .as_array()
            .expect("members")
            .iter()
            .find(|m| m["name"] == format!("{log_type}.jsonl"))
            .expect("member listed");
        assert_eq!(listed["sha256"], sha256_hex(&member));
        assert_eq!(listed["bytes"], member.len());
        assert_eq!(listed["records"], expected_count);
        total += expected_count;
    }
    let config_member = fs::read(extracted.join("config.txt")).expect("config.txt");
    assert_eq!(config_member, config.as_bytes());
    assert_eq!(manifest["members"][0]["name"], "config.txt");
    assert_eq!(
        manifest["members"][0]["sha256"],
        sha256_hex(config.as_bytes())
    );
    assert_eq!(manifest["config_fingerprint"], "fp-1234");
    assert_eq!(manifest["records"], total);
    assert_eq!(summary.records, total as u64);
    assert_eq!(manifest["per_level"]["warning"], 6);
    assert_eq!(manifest["per_level"]["critical"], 6);
    assert_eq!(manifest["per_level"]["debug"], 0);
    assert_eq!(manifest["lines_skipped"], 0);
    assert_eq!(manifest["logward_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest["filters"]["date_to"], "2025-03-12");
    assert_eq!(manifest["filters"]["to"], "2025-03-13T00:00:00.000000Z");
    assert_eq!(manifest["filters"]["log_level"], "critical,warning,debug");
    assert_eq!(
        manifest["filters"]["levels"],
        serde_json::json!(["debug", "warning", "critical"])
    );
    assert!(manifest["hostname"].as_str().is_some_and(|h| !h.is_empty()));
    let sources = manifest["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[0]["source"], format!("file {}", sinks.a.display()));
    assert_eq!(sources[0]["records"], total / 2);
    assert!(matches!(
        &summary.written,
        WrittenTo::Archive { path, members } if *path == out && members.len() == 4
    ));
}

/// A valid record line at `micros`.
fn line(micros: i64, level: &str, log_type: &str, n: u32) -> String {
    let mut created_at = Vec::new();
    logward::record::push_rfc3339(&mut created_at, micros);
    let record = serde_json::json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "created_at": String::from_utf8(created_at).expect("UTF-8"),
        "hostname": "h",
        "level": level,
        "log_type": log_type,
        "pid": 1,
        "message": format!("record {n}"),
    });
    record.to_string()
}

#[test]
fn malformed_truncated_and_overlong_lines_are_counted_and_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    let t = at("2025-03-10", 0);
    let good = [
        line(t, "info", "web", 1),
        line(t + 1, "warning", "audit", 2),
        line(t + 2, "error", "application", 3),
    ];
    let truncated = &good[1][..good[1].len() / 2];
    let mut content = String::new();
    content.push_str(&good[0]);
    content.push('\n');
    for bad in [
        truncated,
        "not json at all",
        "[1,2,3]",
        r#"{"created_at":"2025-03-10T00:00:00.000000Z","level":"info"}"#,
        r#"{"created_at":"2025-03-10T00:00:00.000000Z","level":"loud","log_type":"web"}"#,
        r#"{"created_at":"2025-03-10T00:00:00.000000Z","level":"info","log_type":"syslog"}"#,
        r#"{"created_at":"10/03/2025","level":"info","log_type":"web"}"#,
        "",
    ] {
        content.push_str(bad);
        content.push('\n');
    }
    content.push_str(&good[1]);
    content.push('\n');
    // A line longer than the 16 MiB cap.
    content.push_str(&"x".repeat(16 * 1024 * 1024 + 1));
    content.push('\n');
    // The last line has no newline, as after a crash mid-write; it is whole.
    content.push_str(&good[2]);
    fs::write(&path, content).expect("write");

    let (lines, summary) = to_stdout(
        vec![Source::files(&path, LogType::ALL)],
        &request(RawBundleArgs::default()),
    );
    assert_eq!(lines, good);
    assert_eq!(summary.skipped, 9);
    assert_eq!(summary.sources[0].skipped, 9);
    assert_eq!(summary.sources[0].records, 3);
    assert!(summary.sources[0].errors.is_empty());
}

/// Bytes of every value but `\n`, from a fixed seed.
fn garbage_line(seed: u64, len: usize) -> Vec<u8> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len)
        .map(|_| rng.random::<u8>())
        .map(|b| if b == b'\n' { 0 } else { b })
        .collect()
}

#[test]
fn binary_garbage_huge_lines_and_json_that_is_no_record_are_skipped_and_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    let t = at("2025-03-10", 0);
    let mut huge = serde_json::from_str::<Value>(&line(t + 3, "info", "web", 3)).expect("JSON");
    huge["blob"] = Value::String("x".repeat(8 * 1024 * 1024));
    let good = [
        line(t, "info", "web", 1),
        line(t + 1, "warning", "audit", 2),
        huge.to_string(),
        line(t + 4, "error", "application", 4),
    ];
    let not_records: [&[u8]; 12] = [
        b"null",
        b"42",
        b"\"a string\"",
        b"true",
        b"{}",
        br#"{"a":{"b":[1,2,{"c":null}]}}"#,
        br#"{"created_at":1741564800,"level":"info","log_type":"web"}"#,
        br#"{"created_at":"2025-03-10T00:00:00.000000Z","level":null,"log_type":"web"}"#,
        br#"{"created_at":"2025-03-10T00:00:00.000000Z","level":"info","log_type":["web"]}"#,
        b"{\"created_at\":\"2025-03-10T00:00:00.000000Z\",\"level\":\"info\",\"log_type\":\"web\",\"m\":\"\xff\xfe\"}",
        b"\xef\xbb\xbf{\"created_at\":\"2025-03-10T00:00:00.000000Z\"}",
        b"\0\0\0\0",
    ];
    const GARBAGE_LINES: usize = 200;
    let mut content: Vec<u8> = Vec::new();
    for (i, record) in good.iter().enumerate() {
        content.extend_from_slice(record.as_bytes());
        content.push(b'\n');
        for seed in 0..GARBAGE_LINES / good.len() {
            let seed = (i * 1000 + seed) as u64;
            content.extend(garbage_line(seed, (seed as usize * 7919) % 4096 + 1));
            content.push(b'\n');
        }
        for bad in &not_records[i * 3..i * 3 + 3] {
            content.extend_from_slice(bad);
            content.push(b'\n');
        }
    }
    // A huge line of garbage, over the 16 MiB cap.
    content.extend(garbage_line(7, 20 * 1024 * 1024));
    content.push(b'\n');
    fs::write(&path, content).expect("write");

    let (lines, summary) = to_stdout(
        vec![Source::files(&path, LogType::ALL)],
        &request(RawBundleArgs::default()),
    );
    assert_eq!(lines, good, "the records, whole, in order");
    let skipped = (GARBAGE_LINES + not_records.len() + 1) as u64;
    assert_eq!(summary.skipped, skipped);
    assert_eq!(summary.sources[0].skipped, skipped);
    assert_eq!(summary.sources[0].records, good.len() as u64);
    assert!(summary.sources[0].errors.is_empty());
}

#[test]
fn missing_and_unreadable_sources_are_reported_and_the_rest_is_bundled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = at("2025-03-10", 0);
    // A readable sink.
    let good = dir.path().join("good.log");
    fs::write(&good, format!("{}\n", line(t + 2, "info", "web", 1))).expect("write");
    // Nothing at all where a sink should be.
    let missing = dir.path().join("nowhere/missing.log");
    // A directory where the live file should be: no one, root included, can
    // read records from it. Its rotated sibling is still read.
    let blocked = dir.path().join("blocked.log");
    fs::create_dir(&blocked).expect("mkdir");
    fs::write(
        dir.path().join("blocked.log.2025-03-10"),
        format!("{}\n", line(t + 1, "error", "audit", 2)),
    )
    .expect("write");

    let (lines, summary) = to_stdout(
        vec![
            Source::files(&missing, LogType::ALL),
            Source::files(&blocked, LogType::ALL),
            Source::files(&good, LogType::ALL),
        ],
        &request(RawBundleArgs::default()),
    );
    assert_eq!(
        lines,
        [
            line(t + 1, "error", "audit", 2),
            line(t + 2, "info", "web", 1)
        ]
    );
    assert!(summary.has_source_errors());
    let [missing_report, blocked_report, good_report] = &summary.sources[..] else {
        panic!("three reports: {:?}", summary.sources);
    };
    assert_eq!(missing_report.errors.len(), 1);
    assert!(
        missing_report.errors[0].contains("no such file"),
        "{:?}",
        missing_report.errors
    );
    assert_eq!(blocked_report.errors.len(), 1);
    assert!(
        blocked_report.errors[0].contains("not a regular file"),
        "{:?}",
        blocked_report.errors
    );
    assert_eq!(blocked_report.records, 1);
    assert!(good_report.errors.is_empty());
    assert_eq!(good_report.records, 1);
}

#[test]
fn journal_records_are_bundled_with_file_records() {
    ensure_running();
    let run = unique_id();
    let sink = JournaldSink::connect("logward-test").expect("journald sink");
    let logward = Logward::builder()
        .with_sink(sink)
        .with_level(Level::Debug)
        .with_panic_hook(false)
        .build()
        .expect("runtime");
    let (layer, guard) = logward.into_parts();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(target: "logward::web", test_run = run.as_str(), "web info");
        tracing::error!(target: "logward::audit", test_run = run.as_str(), "audit error");
        tracing::debug!(target: "logward::analysis", test_run = run.as_str(), "analysis debug");
        logward::critical!(target: "logward::tanium", test_run = run.as_str(), "tanium critical");
    });
    drop(guard);
    let entries = read_back(&[("TEST_RUN", run.as_str())], 4);
    assert_eq!(entries.len(), 4);

    // A file record in between, to check the merge across the two sources.
    let now = logward::Clock::now_micros(&logward::SystemClock);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("app.log");
    fs::write(
        &file,
        format!("{}\n", line(now - 60 * SECOND, "error", "application", 9)),
    )
    .expect("write");

    let an_hour_ago = {
        let mut text = Vec::new();
        logward::record::push_rfc3339(&mut text, now - 3600 * SECOND);
        String::from_utf8(text).expect("UTF-8")[..19].replace('T', " ")
    };
    let request = request(RawBundleArgs {
        date_from: Some(an_hour_ago),
        log_level: Some("error,critical".into()),
        ..Default::default()
    });
    let sources = vec![
        Source::Journal {
            log_types: LogType::ALL.to_vec(),
            extra_matches: vec![format!("TEST_RUN={run}")],
            trust: Trust::root_only(),
        },
        Source::files(&file, [LogType::Application]),
    ];
    let (lines, summary) = to_stdout(sources, &request);
    let messages: Vec<String> = lines
        .iter()
        .map(|l| {
            let record: Value = serde_json::from_str(l).expect("JSON");
            record["message"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(messages, ["record 9", "audit error", "tanium critical"]);
    assert!(!summary.has_source_errors(), "{:?}", summary.sources);
    assert_eq!(
        summary.sources[0].source,
        format!("journal (TEST_RUN={run})")
    );
    assert_eq!(summary.sources[0].records, 2);
    // The journal printed exactly the JSON lines the runtime sent.
    for entry in &entries {
        let message = crate::util::journald::field(entry, "MESSAGE").expect("MESSAGE");
        let record: Value = serde_json::from_str(&message).expect("JSON");
        if record["level"] == "error" || record["level"] == "critical" {
            assert!(lines.contains(&message), "{message}");
        }
    }
}

#[test]
fn the_bundle_never_replaces_a_log_file_it_reads() {
    let sinks = two_sinks();
    for target in [sinks.a.clone(), sinks.dir.path().join("a.log.2025-03-10")] {
        let before = fs::read(&target).expect("log file");
        let err = Bundler::new(sinks.sources())
            .run(&request(RawBundleArgs {
                out_file: Some(target.clone()),
                force: true,
                ..Default::default()
            }))
            .expect_err("refused");
        assert!(err.to_string().contains("is a log file"), "{err}");
        assert_eq!(fs::read(&target).expect("log file"), before);
    }
}

#[test]
fn a_record_appended_after_midnight_is_found_under_its_own_day() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("late.log");
    // The record was created a moment before midnight; the writer appended
    // it after midnight, so it sits in the next day's file.
    let clock = ManualClock::new(at("2025-03-12", 5));
    let rotation = Rotation {
        daily: true,
        max_files: None,
        ..Rotation::default()
    };
    let mut sink = FileSink::open(&path, rotation, false, Arc::new(clock.clone())).expect("opens");
    let late = concat!(
        r#"{"id":"6f1c0b8e-2d1a-4c3e-9b5f-0a1b2c3d4e5f","created_at":"2025-03-11T23:59:59.999999Z","#,
        r#""hostname":"h","level":"info","log_type":"audit","pid":1,"message":"late"}"#,
        "\n"
    )
    .to_string();
    let next = late.replace("2025-03-11T23:59:59.999999Z", "2025-03-13T00:00:01.000000Z");
    for (line, day) in [(&late, "2025-03-12"), (&next, "2025-03-13")] {
        clock.set_micros(at(day, 5));
        let entry = logward::sink::Entry {
            line: line.as_bytes(),
            level: Level::Info,
            log_type: LogType::Audit,
        };
        logward::sink::Sink::append(&mut sink, &entry).expect("appended");
        logward::sink::Sink::flush(&mut sink).expect("flushed");
    }
    drop(sink);
    assert!(dir.path().join("late.log.2025-03-12").is_file());
    let request = request(RawBundleArgs {
        date_from: Some("2025-03-11".into()),
        date_to: Some("2025-03-11".into()),
        ..Default::default()
    });
    let (lines, _) = to_stdout(vec![Source::files(&path, [LogType::Audit])], &request);
    assert_eq!(lines, [late.trim_end().to_string()]);
}

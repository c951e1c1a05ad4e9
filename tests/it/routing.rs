//! Routing by configuration, through the real runtime: a configuration file
//! in a temporary directory, records emitted through the typed API and plain
//! `tracing` macros, and the files (or the journal) read back afterwards.
//! Every record is counted: each file holds exactly the expected records, in
//! emission order.

use std::path::Path;

use logward::{Config, Emit, Logward, ManualClock, analysis, audit, tanium, web};
use serde_json::{Map, Value};
use tracing_subscriber::layer::SubscriberExt;

use crate::util::capture::{FIXED_MICROS, parse_lines};
use crate::util::journald::{ensure_running, field, read_back, record_of};
use crate::util::unique_id;

type Record = Map<String, Value>;

/// Writes `text` as the configuration file `config` in `dir`.
fn write_config(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("config");
    std::fs::write(&path, text).expect("write the configuration");
    path
}

/// Builds the runtime from `config`, runs `f` under its layer, drops the
/// guard; returns the configuration fingerprint.
fn run_with(config: &Path, clock: &ManualClock, f: impl FnOnce(&logward::Guard)) -> String {
    let logward = Logward::builder()
        .with_config_path(config)
        .with_clock(clock.clone())
        .with_panic_hook(false)
        .build()
        .expect("logward builds from the configuration");
    let fingerprint = logward.fingerprint().to_string();
    let (layer, guard) = logward.into_parts();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || f(&guard));
    drop(guard);
    fingerprint
}

fn read_records(path: &Path) -> Vec<Record> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_lines(&text)
}

fn text<'a>(record: &'a Record, key: &str) -> &'a str {
    record.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `(log_type, level, message or action)` of each record, for comparing a
/// whole file with the expected sequence at once.
fn summary(records: &[Record]) -> Vec<(String, String, String)> {
    records
        .iter()
        .map(|r| {
            let what = match r.get("message").and_then(Value::as_str) {
                Some(m) => m,
                None => text(r, "action"),
            };
            (
                text(r, "log_type").to_string(),
                text(r, "level").to_string(),
                what.to_string(),
            )
        })
        .collect()
}

fn expect(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(t, l, m)| (t.to_string(), l.to_string(), m.to_string()))
        .collect()
}

#[test]
fn types_go_to_their_files_filtered_by_their_own_levels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    let app = logs.join("app.log");
    let audit_log = logs.join("audit.log");
    let config = write_config(
        dir.path(),
        &format!(
            "# audit and tanium share one file, the rest another\n\
             LOG_LEVEL=warning\n\
             LOG_LEVEL_WEB=debug\n\
             LOG_FILE={app}\n\
             LOG_FILE_AUDIT={audit}\n\
             LOG_ROTATE_DAILY_AUDIT=true\n\
             LOG_FILE_TANIUM={audit}\n\
             LOG_ROTATE_DAILY_TANIUM=true\n",
            app = app.display(),
            audit = audit_log.display(),
        ),
    );
    let clock = ManualClock::new(FIXED_MICROS);
    let fingerprint = run_with(&config, &clock, |_| {
        audit::LoginAttempt::new(true, "10.0.0.7")
            .message("audit debug")
            .debug();
        audit::LoginAttempt::new(true, "10.0.0.7")
            .message("audit info")
            .info();
        tanium::Operation::new("tanium info").info();
        tanium::Operation::new("tanium warning").warning();
        audit::LoginAttempt::new(false, "10.0.0.8")
            .message("audit warning")
            .warning();
        tanium::Operation::new("tanium error").error();
        web::Request::new("GET", "/a", 200)
            .message("web debug")
            .debug();
        tracing::debug!(target: "logward::web", method = "GET", path = "/b", status_code = 304, "web macro debug");
        tracing::info!("application info");
        tracing::warn!("application warning");
        analysis::Analysis::new(12, "indexer", "analysis info").info();
        analysis::Analysis::new(12, "indexer", "analysis error").error();
        web::Request::new("POST", "/c", 500)
            .message("web error")
            .error();
        logward::critical!("application critical");
        tracing::error!(target: "logward::audit", action = "access", access_granted = false, client_ip = "10.0.0.9", "audit macro error");
    });

    let expected_fingerprint = Config::load(Some(&config))
        .expect("the configuration loads")
        .fingerprint();
    assert_eq!(fingerprint, expected_fingerprint);

    let audit_records = read_records(&audit_log);
    assert_eq!(
        summary(&audit_records),
        expect(&[
            ("audit", "info", "logging started"),
            ("audit", "info", "audit info"),
            ("tanium", "warning", "tanium warning"),
            ("audit", "warning", "audit warning"),
            ("tanium", "error", "tanium error"),
            ("audit", "error", "audit macro error"),
            ("audit", "info", "logging stopped"),
        ]),
        "audit.log: audit at info and above, tanium at warning and above, \
         interleaved in emission order"
    );
    let first = &audit_records[0];
    let last = &audit_records[audit_records.len() - 1];
    assert_eq!(text(first, "action"), "logging_started");
    assert_eq!(text(last, "action"), "logging_stopped");
    for lifecycle in [first, last] {
        assert_eq!(text(lifecycle, "config_fingerprint"), fingerprint);
        let routing = text(lifecycle, "routing");
        assert!(
            routing.contains(&format!("audit=file {}", audit_log.display()))
                && routing.contains(&format!("web=file {}", app.display())),
            "routing names each type's sink: {routing}"
        );
    }

    assert_eq!(
        summary(&read_records(&app)),
        expect(&[
            ("web", "debug", "web debug"),
            ("web", "debug", "web macro debug"),
            ("application", "warning", "application warning"),
            ("analysis", "error", "analysis error"),
            ("web", "error", "web error"),
            ("application", "critical", "application critical"),
        ]),
        "app.log: web at debug and above, the others at warning and above"
    );

    let mut names: Vec<String> = std::fs::read_dir(&logs)
        .expect("list the log directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["app.log", "audit.log"], "no other files");
}

#[test]
fn types_sharing_a_path_share_one_writer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shared = dir.path().join("shared.log");
    let config = write_config(
        dir.path(),
        &format!(
            "LOG_LEVEL=debug\n\
             LOG_FILE={shared}\n\
             LOG_FILE_AUDIT={shared}\n",
            shared = shared.display()
        ),
    );
    const ROUNDS: usize = 2_000;
    let mut stats = None;
    run_with(&config, &ManualClock::new(FIXED_MICROS), |guard| {
        for i in 0..ROUNDS {
            let n = i.to_string();
            audit::LoginAttempt::new(true, "10.0.0.7")
                .message(&n)
                .info();
            web::Request::new("GET", "/", 200).message(&n).info();
            tracing::info!("{n}");
            analysis::Analysis::new(1, "m", &n).info();
            tanium::Operation::new(&n).info();
        }
        guard.flush();
        stats = Some(guard.stats());
    });

    let records = read_records(&shared);
    let mut expected = vec![("audit".to_string(), "logging_started".to_string())];
    for i in 0..ROUNDS {
        for t in ["audit", "web", "application", "analysis", "tanium"] {
            expected.push((t.to_string(), i.to_string()));
        }
    }
    expected.push(("audit".to_string(), "logging_stopped".to_string()));
    let found: Vec<(String, String)> = records
        .iter()
        .map(|r| {
            let what = match r.get("action").and_then(Value::as_str) {
                Some(a @ ("logging_started" | "logging_stopped")) => a,
                _ => text(r, "message"),
            };
            (text(r, "log_type").to_string(), what.to_string())
        })
        .collect();
    assert_eq!(found.len(), expected.len());
    assert!(
        found == expected,
        "five types through one writer keep emission order"
    );
    let stats = stats.expect("stats taken");
    assert_eq!(stats.written, (ROUNDS * 5 + 1) as u64);
    assert_eq!((stats.rerouted, stats.dropped, stats.lost), (0, 0, 0));
}

/// 2026-11-22T23:59:59.500000Z
const BEFORE_MIDNIGHT: i64 = 1_795_391_999_500_000;
/// 2026-11-23T00:00:00.250000Z
const AFTER_MIDNIGHT: i64 = 1_795_392_000_250_000;

#[test]
fn rotation_through_the_runtime_puts_yesterdays_records_in_the_dated_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("app.log");
    let audit_log = dir.path().join("audit.log");
    let config = write_config(
        dir.path(),
        &format!(
            "LOG_LEVEL=info\n\
             LOG_FILE={app}\n\
             LOG_ROTATE_DAILY=true\n\
             LOG_FILE_AUDIT={audit}\n\
             LOG_ROTATE_DAILY_AUDIT=true\n\
             LOG_ROTATE_MAX_AUDIT=5\n",
            app = app.display(),
            audit = audit_log.display(),
        ),
    );
    let clock = ManualClock::new(BEFORE_MIDNIGHT);
    let moved = clock.clone();
    run_with(&config, &clock, move |guard| {
        audit::LoginAttempt::new(true, "10.0.0.7")
            .message("before")
            .info();
        tracing::info!("before");
        // Written before the clock moves: a record goes to the file of the
        // day on which its writer appends it.
        guard.flush();
        moved.set_micros(AFTER_MIDNIGHT);
        audit::LoginAttempt::new(true, "10.0.0.7")
            .message("after")
            .info();
        tracing::info!("after");
    });

    let dated = |p: &Path| {
        let mut name = p.as_os_str().to_owned();
        name.push(".2026-11-22");
        std::path::PathBuf::from(name)
    };
    let check = |path: &Path, expected: &[(&str, &str, &str)], day: &str| {
        let records = read_records(path);
        assert_eq!(summary(&records), expect(expected), "{}", path.display());
        for r in &records {
            assert!(
                text(r, "created_at").starts_with(day),
                "{}: {r:?} is not of {day}",
                path.display()
            );
        }
    };
    check(
        &dated(&audit_log),
        &[
            ("audit", "info", "logging started"),
            ("audit", "info", "before"),
        ],
        "2026-11-22T23:59:59.5",
    );
    check(
        &audit_log,
        &[
            ("audit", "info", "after"),
            ("audit", "info", "logging stopped"),
        ],
        "2026-11-23T00:00:00.25",
    );
    check(
        &dated(&app),
        &[("application", "info", "before")],
        "2026-11-22",
    );
    check(&app, &[("application", "info", "after")], "2026-11-23");
    let listed = logward::sink::rotated_files(&audit_log).expect("list audit files");
    assert_eq!(listed.len(), 2, "{listed:?}");
}

#[test]
fn journald_routing_is_queryable_by_field() {
    ensure_running();
    let run = unique_id();
    let identifier = format!("logward-routing-{run}");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &format!("LOG_LEVEL=info\nLOG_SYSLOG_IDENTIFIER={identifier}\n"),
    );
    let mut stats = None;
    run_with(&config, &ManualClock::new(FIXED_MICROS), |guard| {
        audit::LoginAttempt::new(false, "10.0.0.7")
            .message("wrong password")
            .warning();
        audit::LoginAttempt::new(true, "10.0.0.7").info();
        audit::UserActivity::new(audit::Activity::Access, true, "report", "10.0.0.7").info();
        web::Request::new("GET", "/", 200).debug();
        web::Request::new("GET", "/", 200).info();
        logward::critical!(device = "sda", "disk failing");
        guard.flush();
        stats = Some(guard.stats());
    });

    // Started, three audit, one web (the debug one is filtered), the
    // critical one, stopped.
    let all = read_back(&[("SYSLOG_IDENTIFIER", &identifier)], 7);
    assert_eq!(all.len(), 7, "every record once: {all:?}");
    assert_eq!(stats.map(|s| s.written), Some(6), "all but logging_stopped");
    for entry in &all {
        let message = field(entry, "MESSAGE").expect("MESSAGE");
        let record: Value = serde_json::from_str(&message).expect("MESSAGE is the JSON record");
        assert_eq!(
            field(entry, "LOG_TYPE").as_deref(),
            record["log_type"].as_str()
        );
        let priority = match record["level"].as_str() {
            Some("debug") => "7",
            Some("info") => "6",
            Some("warning") => "4",
            Some("error") => "3",
            Some("critical") => "2",
            other => panic!("no such level {other:?}"),
        };
        assert_eq!(field(entry, "PRIORITY").as_deref(), Some(priority));
        assert_eq!(field(entry, "LEVEL"), None, "PRIORITY says the level");
    }

    let logins = read_back(
        &[
            ("SYSLOG_IDENTIFIER", &identifier),
            ("LOG_TYPE", "audit"),
            ("ACTION", "login_attempt"),
        ],
        2,
    );
    assert_eq!(logins.len(), 2);
    let granted: Vec<Option<String>> = logins.iter().map(|e| field(e, "ACCESS_GRANTED")).collect();
    assert_eq!(
        granted,
        [Some("false".to_string()), Some("true".to_string())]
    );
    assert_eq!(field(&logins[0], "PRIORITY").as_deref(), Some("4"));
    assert_eq!(field(&logins[1], "PRIORITY").as_deref(), Some("6"));

    // The README's way to the level, the process and the host: journald's
    // `PRIORITY`, `_PID` and `_HOSTNAME`.
    let pid = std::process::id().to_string();
    let hostname = record_of(&all[0])["hostname"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let warnings = read_back(
        &[
            ("SYSLOG_IDENTIFIER", &identifier),
            ("LOG_TYPE", "audit"),
            ("PRIORITY", "4"),
            ("_PID", &pid),
            ("_HOSTNAME", &hostname),
        ],
        1,
    );
    assert_eq!(warnings.len(), 1, "the one audit warning: {warnings:?}");
    assert_eq!(
        field(&warnings[0], "ACCESS_GRANTED").as_deref(),
        Some("false")
    );
    let critical = read_back(&[("SYSLOG_IDENTIFIER", &identifier), ("PRIORITY", "2")], 1);
    assert_eq!(critical.len(), 1);
    assert_eq!(record_of(&critical[0])["level"].as_str(), Some("critical"));
    assert_eq!(field(&critical[0], "DEVICE").as_deref(), Some("sda"));
    assert_eq!(
        field(&critical[0], "LOG_TYPE").as_deref(),
        Some("application")
    );

    let stopped = read_back(
        &[
            ("SYSLOG_IDENTIFIER", &identifier),
            ("ACTION", "logging_stopped"),
        ],
        1,
    );
    assert_eq!(stopped.len(), 1);
    assert!(field(&stopped[0], "CONFIG_FINGERPRINT").is_some_and(|f| f.len() == 16));
}

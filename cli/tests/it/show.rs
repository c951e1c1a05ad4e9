//! `logward show` (and `bundle`) find records: by request, user, field,
//! sender and date, across a file sink's rotated files and the real
//! journal; `-o short|json|cat`, colour only on a terminal; a closed pipe;
//! nothing written; senseless flags refused.
//!
//! File records are written by a real [`FileSink`] on a [`ManualClock`]
//! that crosses midnight, so the sink rotates its file as in service;
//! journal records by `logward emit`. Each test has its own
//! `LOG_SYSLOG_IDENTIFIER`, and reads with `--identifier` it: the shared
//! journal's other entries are never read, and the file sink is read
//! because its configuration sends under that identifier.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use logward::sink::{Entry, FileSink, Rotation, Sink};
use logward::{Clock, Date, ManualClock, SystemClock};
use serde_json::{Value, json};

use super::cli::{logward, stderr, stdout};
use crate::util::journald::{ensure_running, read_back};
use crate::util::unique_id;

pub(crate) const SECOND: i64 = 1_000_000;

/// A file sink of a test, on its own clock.
pub(crate) struct Log {
    sink: FileSink,
    pub(crate) clock: ManualClock,
}

impl Log {
    /// The daily-rotating sink writing `path`, its clock at `micros`.
    pub(crate) fn open(path: &Path, micros: i64) -> Log {
        let clock = ManualClock::new(micros);
        let rotation = Rotation {
            daily: true,
            ..Rotation::default()
        };
        let sink = FileSink::open(path, rotation, false, Arc::new(clock.clone())).expect("sink");
        Log { sink, clock }
    }

    /// Appends a record created at `micros` (the clock is set there) with
    /// `fields`, and flushes; the record's line.
    pub(crate) fn write(
        &mut self,
        micros: i64,
        level: &str,
        log_type: &str,
        fields: Value,
    ) -> Value {
        self.clock.set_micros(micros);
        let value = record(micros, level, log_type, fields);
        let line = format!("{value}\n");
        let entry = Entry {
            line: line.as_bytes(),
            level: level.parse().expect("level"),
            log_type: log_type.parse().expect("type"),
        };
        self.sink.append(&entry).expect("append");
        self.sink.flush().expect("flush");
        value
    }
}

/// A record as the runtime writes it.
pub(crate) fn record(micros: i64, level: &str, log_type: &str, fields: Value) -> Value {
    let mut created_at = Vec::new();
    logward::record::push_rfc3339(&mut created_at, micros);
    let mut value = json!({
        "id": logward::record::new_uuid().to_string(),
        "created_at": String::from_utf8_lossy(&created_at),
        "hostname": "test",
        "level": level,
        "log_type": log_type,
        "pid": std::process::id(),
    });
    if let (Some(out), Some(more)) = (value.as_object_mut(), fields.as_object()) {
        out.extend(more.clone());
    }
    value
}

/// A configuration in `dir`: every type but audit to the daily-rotating
/// `dir/app.log`, audit to journald, sent under `identifier`; the config's
/// path and the log's.
pub(crate) fn config(dir: &Path, identifier: &str) -> (String, PathBuf) {
    let log = dir.join("app.log");
    let conf = dir.join("c.conf");
    std::fs::write(
        &conf,
        format!(
            "LOG_LEVEL=debug\nLOG_FILE={}\nLOG_ROTATE_DAILY=true\nLOG_SYSLOG_IDENTIFIER={identifier}\n",
            log.display()
        ),
    )
    .expect("config");
    (conf.display().to_string(), log)
}

/// The `n` field of each JSON line of `text`, in order.
pub(crate) fn numbers(text: &str) -> Vec<u64> {
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}"));
            v["n"].as_u64().unwrap_or_else(|| panic!("no n in {l}"))
        })
        .collect()
}

/// Runs `logward show` with `args` (and `--config conf -t identifier -o json`).
fn show_json(conf: &str, identifier: &str, args: &[&str]) -> Vec<u64> {
    let mut argv = vec!["show", "--config", conf, "-t", identifier, "-o", "json"];
    argv.extend_from_slice(args);
    let out = logward(&argv, None);
    assert_eq!(out.status.code(), Some(0), "{argv:?}: {}", stderr(&out));
    assert_eq!(stderr(&out), "", "{argv:?}");
    numbers(&stdout(&out))
}

fn created_at(value: &Value) -> String {
    value["created_at"]
        .as_str()
        .expect("created_at")
        .to_string()
}

#[test]
fn show_and_bundle_select_by_request_user_field_sender_and_date_across_rotation_and_the_journal() {
    ensure_running();
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = unique_id();
    let ident = format!("show-{run}");
    let (conf, log) = config(tmp.path(), &ident);
    let now = SystemClock.now_micros();
    let today = Date::from_unix_micros(now).start_unix_micros();
    let yesterday = today - 86_400 * SECOND;
    let rq = "0c9e4c4d-6f1e-4f5e-9a57-3c1d2b7f8e90";

    let mut file = Log::open(&log, yesterday + 22 * 3600 * SECOND);
    file.write(
        yesterday + 22 * 3600 * SECOND,
        "error",
        "web",
        json!({"n": 1, "request_id": rq, "user_name": "alice", "status_code": 500}),
    );
    let r2 = file.write(
        today - SECOND,
        "info",
        "application",
        json!({"n": 2, "user_id": 42, "message": "payment failed"}),
    );
    // Past midnight: the sink renames its live file to app.log.<yesterday>.
    file.write(
        today + SECOND,
        "info",
        "web",
        json!({"n": 3, "request_id": rq, "status_code": 200}),
    );
    file.write(
        now - 60 * SECOND,
        "warning",
        "web",
        json!({"n": 4, "status_code": 504}),
    );
    let rotated = log.with_file_name(format!("app.log.{}", Date::from_unix_micros(yesterday)));
    assert!(
        rotated.is_file(),
        "the sink rotated into {}",
        rotated.display()
    );

    let out = logward(
        &[
            "emit",
            "--config",
            &conf,
            "--log-type",
            "audit",
            "--level",
            "warning",
            "action=login_attempt",
            "access_granted:=false",
            "user_name=alice",
            &format!("request_id={rq}"),
            "n:=5",
            &format!("test_run={run}"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    read_back(&[("TEST_RUN", &run)], 1);

    let all = show_json(&conf, &ident, &[]);
    assert_eq!(
        all,
        [1, 2, 3, 4, 5],
        "every record once, in created_at order"
    );
    assert_eq!(show_json(&conf, &ident, &["--request-id", rq]), [1, 3, 5]);
    assert_eq!(show_json(&conf, &ident, &["--user", "alice"]), [1, 5]);
    assert_eq!(show_json(&conf, &ident, &["--user", "42,nobody"]), [2]);
    assert_eq!(
        show_json(&conf, &ident, &["--where", "status_code=500"]),
        [1]
    );
    assert_eq!(
        show_json(
            &conf,
            &ident,
            &[
                "--where",
                "status_code=200",
                "--where",
                &format!("request_id={rq}")
            ]
        ),
        [3]
    );
    assert_eq!(
        show_json(
            &conf,
            &ident,
            &["--date-from", "yesterday", "--date-to", "yesterday"]
        ),
        [1, 2]
    );
    assert_eq!(
        show_json(&conf, &ident, &["--date-from", "today"]),
        [3, 4, 5]
    );
    assert_eq!(show_json(&conf, &ident, &["--date-from", "-10m"]), [4, 5]);
    assert_eq!(
        show_json(&conf, &ident, &["--date-to", &created_at(&r2)]),
        [1, 2]
    );
    assert_eq!(
        show_json(
            &conf,
            &ident,
            &["--date-from", &created_at(&r2), "--log-level", "info"]
        ),
        [2, 3]
    );
    assert_eq!(
        show_json(
            &conf,
            &ident,
            &[
                "--filter",
                r#"{"where":{"key":"status_code","operator":"geq","value":500}}"#,
                "--user",
                "alice"
            ]
        ),
        [1]
    );
    // Another identifier: neither this journal sender nor this file sink.
    let other = format!("other-{run}");
    assert_eq!(show_json(&conf, &other, &[]), Vec::<u64>::new());

    // bundle takes the same selection, and records it.
    let out = logward(
        &["bundle", "--config", &conf, "-t", &ident, "--user", "alice"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(numbers(&stdout(&out)), [1, 5]);
    let export = read_back(
        &[("SYSLOG_IDENTIFIER", &ident), ("ACTION", "logs_exported")],
        1,
    );
    let fields = crate::util::journald::record_of(&export[0]);
    assert_eq!(fields["identifier"], json!(ident));
    let filter = fields["filter"]
        .as_str()
        .expect("the filter names the user test");
    assert!(
        filter.contains(r#""user_name""#) && filter.contains(r#""user_id""#),
        "{filter}"
    );
}

#[test]
fn short_output_is_one_line_per_record_and_coloured_only_on_a_terminal() {
    ensure_running();
    let tmp = tempfile::tempdir().expect("tempdir");
    let ident = format!("show-{}", unique_id());
    let (conf, log) = config(tmp.path(), &ident);
    let at = Date::parse("2026-11-22").expect("date").start_unix_micros()
        + (4 * 3600 + 30 * 60) * SECOND
        + 123_456;
    let mut file = Log::open(&log, at);
    file.write(
        at,
        "warning",
        "web",
        json!({"method": "GET", "path": "/api/orders", "status_code": 504, "message": "slow upstream"}),
    );
    file.write(
        at + SECOND,
        "critical",
        "application",
        json!({"device": "sda", "message": "disk failing\n\u{1b}[2Jnext"}),
    );
    let out = logward(&["show", "--config", &conf, "-t", &ident], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "2026-11-22T04:30:00.123456Z warning  web         slow upstream method=GET path=/api/orders status_code=504\n\
         2026-11-22T04:30:01.123456Z critical application disk failing\\n\\u001b[2Jnext device=sda\n"
    );
    let out = logward(
        &["show", "--config", &conf, "-t", &ident, "-o", "cat"],
        None,
    );
    assert_eq!(
        stdout(&out),
        "slow upstream method=GET path=/api/orders status_code=504\n\
         disk failing\\n\\u001b[2Jnext device=sda\n"
    );

    // On a terminal (a pseudo-terminal from script(1)) the level is coloured,
    // unless NO_COLOR says otherwise.
    let on_terminal = |no_color: Option<&str>| {
        let command = format!(
            "{} show --config {conf} -t {ident}",
            env!("CARGO_BIN_EXE_logward")
        );
        let mut script = Command::new("script");
        script
            .args(["-qec", &command, "/dev/null"])
            .env_remove("NO_COLOR");
        if let Some(value) = no_color {
            script.env("NO_COLOR", value);
        }
        let out = script.stdin(Stdio::null()).output().expect("script runs");
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let coloured = on_terminal(None);
    assert!(
        coloured.contains("\x1b[33mwarning \x1b[0m web"),
        "{coloured:?}"
    );
    assert!(
        coloured.contains("\x1b[1;31mcritical\x1b[0m"),
        "{coloured:?}"
    );
    assert!(!on_terminal(Some("1")).contains("\x1b[3"), "NO_COLOR");
    assert!(
        !stdout(&out).contains('\x1b'),
        "piped output is never coloured"
    );

    // --local shows the times in the machine's zone.
    let out = Command::new(env!("CARGO_BIN_EXE_logward"))
        .args(["show", "--config", &conf, "-t", &ident, "--local"])
        .env("TZ", "Europe/Madrid")
        .output()
        .expect("logward runs");
    assert!(
        stdout(&out).starts_with("2026-11-22T05:30:00.123456+01:00 warning "),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

/// Runs `logward args` in bash into `head -n 3`, for at most a minute;
/// logward's exit code (124 when it was still running), the lines head
/// printed and logward's stderr.
pub(crate) fn into_head(args: &str) -> (i32, String, String) {
    let err = tempfile::NamedTempFile::new().expect("stderr file");
    let script = format!(
        "timeout 60 {} {args} 2>{} | head -n 3; exit ${{PIPESTATUS[0]}}",
        env!("CARGO_BIN_EXE_logward"),
        err.path().display()
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .output()
        .expect("bash runs");
    let logged = std::fs::read_to_string(err.path()).expect("stderr");
    (out.status.code().unwrap_or(-1), stdout(&out), logged)
}

#[test]
fn show_into_head_stops_quietly_with_exit_0_also_when_following() {
    ensure_running();
    let tmp = tempfile::tempdir().expect("tempdir");
    let ident = format!("show-{}", unique_id());
    let (conf, log) = config(tmp.path(), &ident);
    let start = SystemClock.now_micros() - 3600 * SECOND;
    let mut file = Log::open(&log, start);
    // Far more than a pipe holds, so the writes meet the closed pipe.
    for n in 0..20_000 {
        file.write(
            start + n,
            "info",
            "web",
            json!({"n": n, "path": "/x".repeat(20)}),
        );
    }
    let (code, lines, err) = into_head(&format!("show --config {conf} -t {ident} -o json"));
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(numbers(&lines), [0, 1, 2]);

    // Following: head has its three lines and exits while show waits for
    // more; show sees its reader gone and ends, without another record.
    let tmp = tempfile::tempdir().expect("tempdir");
    let ident = format!("show-{}", unique_id());
    let (conf, log) = config(tmp.path(), &ident);
    let mut file = Log::open(&log, start);
    for n in 0..3 {
        file.write(start + n, "info", "web", json!({"n": n}));
    }
    let (code, lines, err) = into_head(&format!(
        "show --config {conf} -t {ident} -o json --follow --date-from -2h"
    ));
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(numbers(&lines), [0, 1, 2]);
}

/// The names and contents of every file under `dir`.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| {
            let path = e.expect("entry").path();
            let bytes = std::fs::read(&path).expect("read");
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn show_writes_no_record_and_no_file_where_bundle_records_its_export() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("app.log");
    let ident = format!("show-{}", unique_id());
    let conf = tmp.path().join("c.conf");
    std::fs::write(
        &conf,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={0}\nLOG_FILE_AUDIT={0}\nLOG_SYSLOG_IDENTIFIER={ident}\n",
            log.display()
        ),
    )
    .expect("config");
    let conf = conf.display().to_string();
    let mut file = Log::open(&log, SystemClock.now_micros());
    file.write(
        SystemClock.now_micros(),
        "info",
        "audit",
        json!({"n": 1, "action": "access"}),
    );
    let before = snapshot(tmp.path());
    for output in ["short", "json", "cat"] {
        let out = logward(
            &["show", "--config", &conf, "-t", &ident, "-o", output],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(!stdout(&out).is_empty());
    }
    assert_eq!(snapshot(tmp.path()), before, "show changed nothing");
    let out = logward(&["bundle", "--config", &conf, "-t", &ident], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.contains("\"logs_exported\""),
        "bundle records its export"
    );
}

#[test]
fn senseless_selections_and_flag_combinations_exit_2_naming_the_flag() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (conf, _) = config(tmp.path(), "show-flags");
    for (args, names) in [
        (&["show", "--follow", "--date-to", "today"][..], "--date-to"),
        (
            &["show", "-f", "--date-from", "-1h", "--date-to", "now"],
            "--follow",
        ),
        (&["bundle", "-o", "json"], "-o"),
        (&["bundle", "--follow"], "--follow"),
        (&["show", "--out-file", "x.jsonl"], "--out-file"),
        (&["show", "--compress"], "--compress"),
        (&["show", "-o", "xml"], "xml"),
        (&["show", "--where", "status_code"], "--where"),
        (&["show", "--where", "=500"], "--where"),
        (&["show", "--user", "alice,"], "--user"),
        (&["show", "--request-id", ""], "--request-id"),
        (&["show", "--date-from", "-2x"], "--date-from"),
        (
            &["show", "--date-from", "2026-11-22T04:30:00"],
            "--date-from",
        ),
        (
            &["show", "--date-from", "today", "--date-to", "yesterday"],
            "--date-from",
        ),
        (&["show", "--local", "-o", "json"], "--local"),
        (
            &["show", "--local", "--date-from", "-2h", "-o", "cat"],
            "--local",
        ),
        (&["bundle", "--local"], "--local"),
        (
            &["bundle", "--local", "--date-from", "2026-11-22T04:30:00Z"],
            "--local",
        ),
    ] {
        let mut argv = args.to_vec();
        argv.extend(["--config", &conf]);
        let out = logward(&argv, None);
        assert_eq!(out.status.code(), Some(2), "{argv:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(names), "{argv:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{argv:?}");
    }
    // --local with a local form, or with short output, is accepted.
    for args in [
        &["show", "--local", "-t", "show-flags-none"][..],
        &[
            "show",
            "--local",
            "--date-from",
            "today",
            "-o",
            "json",
            "-t",
            "show-flags-none",
        ],
        &[
            "bundle",
            "--local",
            "--date-from",
            "yesterday",
            "-t",
            "show-flags-none",
        ],
    ] {
        let mut argv = args.to_vec();
        argv.extend(["--config", &conf]);
        let out = logward(&argv, None);
        assert_eq!(out.status.code(), Some(0), "{argv:?}: {}", stderr(&out));
    }
}

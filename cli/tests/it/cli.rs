//! The `logward` binary: `config check` and `emit`, run as a user would,
//! with their exit codes and messages.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use crate::util::journald::{ensure_running, read_back};
use crate::util::unique_id;

pub(crate) fn logward(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logward"))
        .args(args)
        .env_remove("LOGWARD_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("logward runs");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.unwrap_or("").as_bytes())
            .expect("stdin written");
    }
    child.wait_with_output().expect("logward finishes")
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write_config(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("config written");
    path.to_string_lossy().into_owned()
}

/// A configuration in `dir` routing every type but audit (and audit too,
/// with `audit_too`) to `dir/app.log`: the log's path and the config's.
fn file_config(dir: &Path, audit_too: bool) -> (PathBuf, String) {
    let log = dir.join("app.log");
    let mut text = format!("LOG_LEVEL=info\nLOG_FILE={}\n", log.display());
    if audit_too {
        text.push_str(&format!("LOG_FILE_AUDIT={}\n", log.display()));
    }
    let conf = write_config(dir, "c.conf", &text);
    (log, conf)
}

fn file_records(path: &Path) -> Vec<serde_json::Map<String, Value>> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).expect("each line is a JSON object"))
        .collect()
}

#[test]
fn config_check_prints_routing_and_a_fingerprint_that_ignores_comments_and_order() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("logs/app.log");
    let a = write_config(
        tmp.path(),
        "a.conf",
        &format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_ROTATE_DAILY=true\nLOG_ROTATE_MAX=5\n",
            log.display()
        ),
    );
    let b = write_config(
        tmp.path(),
        "b.conf",
        &format!(
            "# same settings, other order\nLOG_ROTATE_MAX=5\n\nLOG_ROTATE_DAILY=yes\nLOG_FILE=\"{}\"\nLOG_LEVEL=info\nLOG_LEVEL_AUDIT=info\n",
            log.display()
        ),
    );
    let out_a = logward(&["config", "check", "--config", &a], None);
    let out_b = logward(&["config", "check", "--config", &b], None);
    assert_eq!(out_a.status.code(), Some(0), "{}", stderr(&out_a));
    assert_eq!(out_b.status.code(), Some(0), "{}", stderr(&out_b));
    let text = stdout(&out_a);
    assert!(
        text.contains("audit") && text.contains("journald"),
        "{text}"
    );
    assert!(text.contains(&log.display().to_string()), "{text}");
    let fingerprint = |t: &str| {
        t.lines()
            .find_map(|l| l.strip_prefix("fingerprint:"))
            .map(|f| f.trim().to_string())
            .expect("a fingerprint line")
    };
    assert_eq!(fingerprint(&text), fingerprint(&stdout(&out_b)));
    assert!(
        log.parent().is_some_and(Path::is_dir),
        "check creates the log directory"
    );
}

#[test]
fn config_check_refuses_a_bad_file_with_exit_2_naming_each_problem() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = write_config(
        tmp.path(),
        "bad.conf",
        "LOG_LEVEL=verbose\nLOG_ROTATE_DAYLY=true\nLOG_ROTATE_MAX=3\nLOG_OVERFLOW_AUDIT=drop\n",
    );
    let out = logward(&["config", "check", "--config", &bad], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("{bad}:1: LOG_LEVEL=\"verbose\": unknown level; allowed: debug, info, warning, error, critical")), "{err}");
    assert!(
        err.contains(&format!("{bad}:3: LOG_ROTATE_MAX=\"3\"")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{bad}:4: LOG_OVERFLOW_AUDIT")),
        "{err}"
    );
    assert!(
        err.contains("LOG_ROTATE_DAYLY: unknown key, ignored; did you mean LOG_ROTATE_DAILY?"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());

    let missing = tmp.path().join("nope.conf");
    let out = logward(
        &["config", "check", "--config", &missing.to_string_lossy()],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.conf"), "{}", stderr(&out));
}

#[test]
fn emit_writes_one_record_through_the_configured_routing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, conf) = file_config(tmp.path(), false);
    let out = logward(
        &[
            "emit",
            "--config",
            &conf,
            "--log-type",
            "WEB",
            "--level",
            "warning",
            "method=GET",
            "path=/x",
            "status_code:=503",
            "tags:=[\"a\",1]",
            "level=forged",
            "--message",
            "slow upstream",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = file_records(&log);
    assert_eq!(
        records.len(),
        1,
        "only the emitted record, no lifecycle records: {records:?}"
    );
    let r = &records[0];
    assert_eq!(r["log_type"], "web");
    assert_eq!(r["level"], "warning");
    assert_eq!(r["status_code"], json!(503));
    assert_eq!(r["tags"], json!(["a", 1]));
    assert_eq!(r["fields.level"], "forged");
    assert_eq!(r["message"], "slow upstream");
}

#[test]
fn emit_stdin_writes_every_good_line_and_refuses_each_bad_one_by_number() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, conf) = file_config(tmp.path(), false);
    let input = "{\"job\":\"backup\",\"bytes\":123,\"message\":\"done\"}\n\n{\"job\":\"sync\"}\n";
    let out = logward(
        &[
            "emit",
            "--config",
            &conf,
            "--log-type",
            "application",
            "--level",
            "info",
            "--stdin",
        ],
        Some(input),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = file_records(&log);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["bytes"], json!(123));
    assert_eq!(records[0]["message"], "done");
    assert_eq!(records[1]["job"], "sync");

    assert!(
        stderr(&out).contains("logward: stdin: 2 records written, 0 lines refused"),
        "{}",
        stderr(&out)
    );

    // Bad lines of every kind among good ones: each good one is written,
    // each bad one refused with its number, and the exit code is 2.
    let mut input: Vec<u8> = Vec::new();
    input.extend_from_slice(b"{\"n\":1}\n");
    input.extend_from_slice(b"not json\n");
    input.extend_from_slice(b"{\"n\":3}\n");
    input.extend_from_slice(b"{\"n\":\"\xff\xfe\"}\n");
    input.extend_from_slice(b"[1,2]\n");
    input.extend_from_slice(b"{\"n\":6}\r\n");
    input.extend_from_slice(b"{\"n\":7,\n");
    input.extend_from_slice(b"{\"n\":8}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_logward"))
        .args(["emit", "--config", &conf, "--log-type", "application"])
        .args(["--level", "info", "--stdin"])
        .env_remove("LOGWARD_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("logward runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&input)
        .expect("stdin written");
    let out = child.wait_with_output().expect("logward finishes");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let written: Vec<Value> = file_records(&log)[2..]
        .iter()
        .map(|r| r["n"].clone())
        .collect();
    assert_eq!(written, [json!(1), json!(3), json!(6), json!(8)], "{err}");
    for expected in [
        "logward: stdin line 2: not valid JSON",
        "logward: stdin line 4: not UTF-8 (invalid byte at column 7)",
        "logward: stdin line 5: expected a JSON object of fields, got another JSON value",
        "logward: stdin line 7: not valid JSON",
        "logward: stdin: 4 records written, 4 lines refused",
    ] {
        assert!(err.contains(expected), "{expected:?} in:\n{err}");
    }
    assert_eq!(err.matches("line refused").count(), 4, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn emit_refuses_nonsense_with_exit_2_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, conf) = file_config(tmp.path(), false);
    let cases: [(&[&str], &str); 6] = [
        (
            &["--log-type", "syslog", "--level", "info"],
            "unknown log type \"syslog\": allowed are audit, web",
        ),
        (
            &["--log-type", "web", "--level", "loud"],
            "unknown level \"loud\": allowed are debug, info",
        ),
        (
            &["--log-type", "web", "--level", "info", "novalue"],
            "has no value: write key=value",
        ),
        (
            &["--log-type", "web", "--level", "info", "n:={x"],
            "is not valid JSON",
        ),
        (
            &["--log-type", "web", "--level", "info", "--stdin", "a=b"],
            "cannot be used with",
        ),
        (
            &[
                "--log-type",
                "web",
                "--level",
                "info",
                "--stdin",
                "--message",
                "m",
            ],
            "cannot be used with",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["emit", "--config", conf.as_str()];
        all.extend_from_slice(args);
        let out = logward(&all, Some(""));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(file_records(&log).is_empty());
}

#[test]
fn emit_to_journald_sets_priority_and_fields() {
    ensure_running();
    let tmp = tempfile::tempdir().expect("tempdir");
    let conf = write_config(
        tmp.path(),
        "j.conf",
        "LOG_LEVEL=debug\nLOG_SYSLOG_IDENTIFIER=logward-cli-test\n",
    );
    let run = unique_id();
    let out = logward(
        &[
            "emit",
            "--config",
            &conf,
            "--log-type",
            "audit",
            "--level",
            "critical",
            "action=login_attempt",
            "access_granted:=false",
            "client_ip=10.9.9.9",
            &format!("test_run={run}"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let entries = read_back(&[("TEST_RUN", run.as_str())], 1);
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e["PRIORITY"], "2");
    assert_eq!(e["LOG_TYPE"], "audit");
    assert_eq!(e["ACTION"], "login_attempt");
    assert_eq!(e["SYSLOG_IDENTIFIER"], "logward-cli-test");
    let message: serde_json::Map<String, Value> =
        serde_json::from_str(e["MESSAGE"].as_str().expect("MESSAGE text"))
            .expect("MESSAGE is the record");
    assert_eq!(message["access_granted"], json!(false));
}

#[test]
fn bundle_refuses_nonsense_flag_combinations_with_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_, conf) = file_config(tmp.path(), true);
    let existing = tmp.path().join("exists.jsonl");
    std::fs::write(&existing, "keep me\n").expect("written");
    let existing = existing.to_string_lossy().into_owned();
    let cases: [(&[&str], &str); 7] = [
        (&["--compress"], "--compress"),
        (&["--force"], "--out-file"),
        (
            &["--date-from", "2026-11-23", "--date-to", "2026-11-22"],
            "after --date-to",
        ),
        (&["--date-from", "22/11/2026"], "YYYY-MM-DD"),
        (&["--log-type", "audit,syslog"], "allowed are audit, web"),
        (
            &["--log-level", "loud"],
            "debug, info, warning, error, critical",
        ),
        (&["--out-file", existing.as_str()], "--force"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["bundle", "--config", conf.as_str()];
        all.extend_from_slice(args);
        let out = logward(&all, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
    assert_eq!(
        std::fs::read_to_string(&existing).ok().as_deref(),
        Some("keep me\n")
    );
}

#[test]
fn bundle_to_stdout_and_to_an_archive_records_the_export() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, conf) = file_config(tmp.path(), true);
    let run = unique_id();
    for i in 0..3 {
        let out = logward(
            &[
                "emit",
                "--config",
                &conf,
                "--log-type",
                "web",
                "--level",
                "info",
                &format!("n:={i}"),
                &format!("test_run={run}"),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let out = logward(&["bundle", "--config", &conf, "--log-type", "web"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The journal is read too (records re-routed from a failing file land
    // there), so other tests' web records may be in the output.
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON line"))
        .filter(|r| r["test_run"] == run.as_str())
        .collect();
    assert_eq!(
        lines.iter().map(|r| r["n"].clone()).collect::<Vec<_>>(),
        [json!(0), json!(1), json!(2)]
    );

    let archive = tmp.path().join("support.tar.gz");
    let archive_arg = archive.to_string_lossy().into_owned();
    let out = logward(
        &[
            "bundle",
            "--config",
            &conf,
            "--out-file",
            &archive_arg,
            "--compress",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(&archive)
        .output()
        .expect("tar runs");
    let members = String::from_utf8_lossy(&listing.stdout).into_owned();
    assert!(members.lines().any(|m| m == "manifest.json"), "{members}");
    assert!(members.lines().any(|m| m == "web.jsonl"), "{members}");

    let exports: Vec<_> = file_records(&log)
        .into_iter()
        .filter(|r| r.get("action") == Some(&json!("logs_exported")))
        .collect();
    assert_eq!(exports.len(), 2, "one audit record per bundle");
    assert_eq!(exports[0]["log_type"], "audit");
    assert_eq!(exports[0]["output"], "stdout");
    assert!(exports[0]["records"].as_u64().is_some_and(|n| n >= 3));
    assert_eq!(exports[1]["output"], archive_arg.as_str());
    assert_eq!(exports[1]["compressed"], json!(true));
}

#[test]
fn bundle_into_a_closed_pipe_ends_quietly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, conf) = file_config(tmp.path(), false);
    let line = "{\"id\":\"6f1c0b8e-2d1a-4c3e-9b5f-0a1b2c3d4e5f\",\"created_at\":\"2026-11-22T04:30:00.000001Z\",\"hostname\":\"h\",\"level\":\"info\",\"log_type\":\"web\",\"pid\":1,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n";
    std::fs::write(&log, line.repeat(20_000)).expect("log written");
    let mut child = Command::new(env!("CARGO_BIN_EXE_logward"))
        .args(["bundle", "--config", &conf, "--log-type", "web"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut first = [0u8; 100];
    if let Some(out) = child.stdout.as_mut() {
        std::io::Read::read_exact(out, &mut first).expect("some output");
    }
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("finishes");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Broken pipe"), "{}", stderr(&out));
}

#[test]
fn every_shipped_configuration_file_passes_config_check() {
    let dir = crate::util::workspace_root().join("config");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("config/ is listed") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("conf") {
            continue;
        }
        let out = logward(
            &["config", "check", "--config", &path.to_string_lossy()],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            stderr(&out)
        );
        assert!(
            stderr(&out).is_empty(),
            "{}: warnings: {}",
            path.display(),
            stderr(&out)
        );
        assert!(stdout(&out).contains("fingerprint:"), "{}", path.display());
        checked += 1;
    }
    assert!(
        checked >= 2,
        "config/logward.conf and config/demo.conf at least"
    );
}

#[test]
fn emit_says_on_stderr_when_its_file_sink_failed_over_and_where_the_record_went() {
    ensure_running();
    let run = unique_id();
    let tmp = tempfile::tempdir().expect("tempdir");
    let disk = crate::util::tmpfs::Tmpfs::mount(&tmp.path().join("disk"), "size=64k");
    let log = disk.dir.join("app.log");
    let identifier = format!("logward-emit-{run}");
    let conf = write_config(
        tmp.path(),
        "c.conf",
        &format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_SYSLOG_IDENTIFIER={identifier}\n",
            log.display()
        ),
    );
    let _filler = disk.fill(0);
    let out = logward(
        &[
            "emit",
            "--config",
            &conf,
            "--log-type",
            "application",
            "--level",
            "info",
            "--message",
            "on a full disk",
            &format!("test_run={run}"),
        ],
        None,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "logward: warning: file {} failed; 1 records went to journald instead",
            log.display()
        )),
        "{err}"
    );
    let entries = read_back(&[("TEST_RUN", &run)], 1);
    assert_eq!(entries.len(), 1, "the record is in the journal");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap_or_default(),
        "",
        "and not in the file"
    );
    read_back(
        &[
            ("SYSLOG_IDENTIFIER", &identifier),
            ("RUNTIME_EVENT", "sink_failed"),
        ],
        1,
    );
}

//! The journald sink against a real systemd-journald, read back with
//! `journalctl`. The harness in `util::journald` starts journald if needed.

use std::io;

use logward::sink::{Entry, JournaldSink, Sink};
use logward::{Level, LogType};
use serde_json::{Value, json};

use crate::util::journald::{JournalEntry, ensure_running, field, read_back, record_of};
use crate::util::unique_id;

const IDENTIFIER: &str = "logward-test";

/// A connected sink; journald is running.
fn sink() -> JournaldSink {
    ensure_running();
    JournaldSink::connect(IDENTIFIER).expect("journald sink")
}

/// The record as its JSON line, with the trailing newline a file would get.
fn line(record: &Value) -> String {
    format!("{record}\n")
}

fn send(sink: &mut JournaldSink, record: &Value, level: Level, log_type: LogType) -> String {
    let line = line(record);
    sink.append(&Entry {
        line: line.as_bytes(),
        level,
        log_type,
    })
    .expect("append to journald");
    line
}

/// The single entry of test run `run`.
fn the_entry(run: &str) -> JournalEntry {
    let mut entries = read_back(&[("TEST_RUN", run)], 1);
    assert_eq!(entries.len(), 1, "one record was sent");
    entries.remove(0)
}

#[test]
fn message_is_the_json_line_exactly() {
    let run = unique_id();
    let record = json!({
        "id": "6f1c0b8e-2d1a-4c3e-9b5f-0a1b2c3d4e5f",
        "created_at": "2026-11-22T04:30:00.123456Z",
        "hostname": "host-1",
        "level": "info",
        "log_type": "application",
        "pid": std::process::id(),
        "test_run": run,
        "message": "service \"started\" — ünïcode",
    });
    let line = send(&mut sink(), &record, Level::Info, LogType::Application);

    let entry = the_entry(&run);
    assert_eq!(field(&entry, "MESSAGE").as_deref(), Some(line.trim_end()));
    let parsed: Value = serde_json::from_str(&field(&entry, "MESSAGE").unwrap_or_default())
        .expect("MESSAGE is JSON");
    assert_eq!(parsed, record);
    assert_eq!(
        field(&entry, "SYSLOG_IDENTIFIER").as_deref(),
        Some(IDENTIFIER)
    );
    assert_eq!(field(&entry, "_TRANSPORT").as_deref(), Some("journal"));
    // journald has these as its own timestamps, `_HOSTNAME`, `_PID` and
    // `PRIORITY`, and the id is not sent; the record in MESSAGE keeps them.
    for name in ["CREATED_AT", "HOSTNAME", "PID", "LEVEL", "ID"] {
        assert_eq!(field(&entry, name), None, "{name}");
    }
    assert_eq!(field(&entry, "_PID"), Some(std::process::id().to_string()));
    assert_eq!(field(&entry, "PRIORITY").as_deref(), Some("6"));
}

#[test]
fn every_level_has_its_priority() {
    let run = unique_id();
    let mut sink = sink();
    for level in Level::ALL {
        let record = json!({"level": level.as_str(), "log_type": "web", "test_run": run});
        send(&mut sink, &record, level, LogType::Web);
    }
    let entries = read_back(&[("TEST_RUN", &run)], Level::ALL.len());
    assert_eq!(entries.len(), Level::ALL.len());
    let mut priorities: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            let level = record_of(e)["level"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            (level, field(e, "PRIORITY").unwrap_or_default())
        })
        .collect();
    priorities.sort();
    let expected = [
        ("critical", "2"),
        ("debug", "7"),
        ("error", "3"),
        ("info", "6"),
        ("warning", "4"),
    ]
    .map(|(l, p)| (l.to_owned(), p.to_owned()));
    assert_eq!(priorities, expected);
}

#[test]
fn upper_cased_record_keys_are_queryable() {
    let run = unique_id();
    let mut sink = sink();
    for user in ["alice", "bob"] {
        let record = json!({
            "level": "info",
            "log_type": "audit",
            "pid": 4242,
            "user_name": user,
            "action": "login_attempt",
            "access_granted": user == "alice",
            "client_ip": "192.0.2.7",
            "forwarded_for_client_ip": null,
            "test_run": run,
        });
        send(&mut sink, &record, Level::Info, LogType::Audit);
    }
    read_back(&[("TEST_RUN", &run)], 2);

    let entries = read_back(
        &[
            ("LOG_TYPE", "audit"),
            ("ACTION", "login_attempt"),
            ("USER_NAME", "alice"),
            ("TEST_RUN", &run),
        ],
        1,
    );
    assert_eq!(entries.len(), 1, "only alice's record matches");
    let entry = &entries[0];
    assert_eq!(field(entry, "ACCESS_GRANTED").as_deref(), Some("true"));
    assert_eq!(field(entry, "PID"), None, "journald's _PID says it");
    assert_eq!(field(entry, "CLIENT_IP").as_deref(), Some("192.0.2.7"));
    assert_eq!(
        field(entry, "FORWARDED_FOR_CLIENT_IP").as_deref(),
        Some("null")
    );
}

#[test]
fn hostile_field_names_cannot_set_trusted_or_reserved_fields() {
    let run = unique_id();
    let record = json!({
        "level": "info",
        "log_type": "application",
        "test_run": run,
        "_PID": "1",
        "_SYSTEMD_UNIT": "forged.service",
        "priority": "0",
        "PRIORITY": "1",
        "MESSAGE": "forged message",
        "syslog_identifier": "forged",
        "a b": "space",
        "1x": "digit",
        "é": "accent",
        "": "empty",
    });
    let line = send(&mut sink(), &record, Level::Info, LogType::Application);

    let entry = the_entry(&run);
    let pid = std::process::id().to_string();
    assert_eq!(field(&entry, "_PID"), Some(pid), "journald's own _PID");
    assert_ne!(
        field(&entry, "_SYSTEMD_UNIT").as_deref(),
        Some("forged.service")
    );
    assert_eq!(field(&entry, "PRIORITY").as_deref(), Some("6"));
    assert_eq!(field(&entry, "MESSAGE").as_deref(), Some(line.trim_end()));
    assert_eq!(
        field(&entry, "SYSLOG_IDENTIFIER").as_deref(),
        Some(IDENTIFIER)
    );
    assert_eq!(field(&entry, "F__PID").as_deref(), Some("1"));
    assert_eq!(
        field(&entry, "F__SYSTEMD_UNIT").as_deref(),
        Some("forged.service")
    );
    assert_eq!(
        field(&entry, "F_MESSAGE").as_deref(),
        Some("forged message")
    );
    assert_eq!(
        field(&entry, "F_SYSLOG_IDENTIFIER").as_deref(),
        Some("forged")
    );
    assert_eq!(field(&entry, "A_B").as_deref(), Some("space"));
    assert_eq!(field(&entry, "F_1X").as_deref(), Some("digit"));
    // `priority` and `PRIORITY` both map to F_PRIORITY: journald keeps both.
    let mut prefixed: Vec<&Value> = match entry.get("F_PRIORITY") {
        Some(Value::Array(values)) => values.iter().collect(),
        other => panic!("F_PRIORITY should hold two values: {other:?}"),
    };
    prefixed.sort_by_key(|v| v.to_string());
    assert_eq!(prefixed, [&json!("0"), &json!("1")]);
    let stray: Vec<&String> = entry
        .keys()
        .filter(|k| k.contains("ACCENT") || k.as_str() == "_" || k.is_empty())
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
    assert!(
        entry.values().all(|v| v != "accent" && v != "empty"),
        "keys with no letter or digit are dropped"
    );
}

#[test]
fn values_with_newlines_round_trip() {
    let run = unique_id();
    let stacktrace = "error: disk full\n\ncaused by:\n    0: write failed\n\tat line 3\n";
    let record = json!({
        "level": "error",
        "log_type": "application",
        "test_run": run,
        "stacktrace": stacktrace,
        "message": "first\nsecond",
    });
    let line = send(&mut sink(), &record, Level::Error, LogType::Application);

    let entry = the_entry(&run);
    assert_eq!(field(&entry, "STACKTRACE").as_deref(), Some(stacktrace));
    assert_eq!(field(&entry, "MESSAGE").as_deref(), Some(line.trim_end()));
}

#[test]
fn a_2_mib_record_arrives_complete_through_a_memfd() {
    let run = unique_id();
    let payload: String = (0..2 << 20)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let record = json!({
        "level": "info",
        "log_type": "analysis",
        "test_run": run,
        "payload": payload,
    });
    let line = send(&mut sink(), &record, Level::Info, LogType::Analysis);
    assert!(line.len() > 2 << 20);

    let entry = the_entry(&run);
    let stored = field(&entry, "PAYLOAD").unwrap_or_default();
    assert_eq!(stored.len(), payload.len());
    assert!(stored == payload, "PAYLOAD differs");
    let message = field(&entry, "MESSAGE").unwrap_or_default();
    assert_eq!(message.len(), line.len() - 1);
    assert!(message == line.trim_end(), "MESSAGE differs");
}

#[test]
fn a_burst_of_records_arrives_without_loss() {
    const COUNT: usize = 2000;
    let run = unique_id();
    let mut sink = sink();
    for i in 0..COUNT {
        let record = json!({"level": "debug", "log_type": "web", "seq": i, "test_run": run});
        send(&mut sink, &record, Level::Debug, LogType::Web);
    }
    let entries = read_back(&[("TEST_RUN", &run)], COUNT);
    assert_eq!(entries.len(), COUNT);
    let mut seqs: Vec<usize> = entries
        .iter()
        .filter_map(|e| field(e, "SEQ")?.parse().ok())
        .collect();
    seqs.sort_unstable();
    assert!(seqs.iter().copied().eq(0..COUNT));
}

#[test]
fn a_line_that_is_not_json_is_still_sent() {
    let run = unique_id();
    let text = format!("not json, run {run}\n");
    sink()
        .append(&Entry {
            line: text.as_bytes(),
            level: Level::Critical,
            log_type: LogType::Application,
        })
        .expect("append");

    let entries = read_back(&[("MESSAGE", text.trim_end())], 1);
    assert_eq!(entries.len(), 1);
    assert_eq!(field(&entries[0], "PRIORITY").as_deref(), Some("2"));
    assert_eq!(
        field(&entries[0], "SYSLOG_IDENTIFIER").as_deref(),
        Some(IDENTIFIER)
    );
}

#[test]
fn sending_to_a_missing_socket_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("no-journald");
    let mut sink = JournaldSink::connect_to(&path, IDENTIFIER).expect("sink");
    let entry = Entry {
        line: b"{\"level\":\"info\"}\n",
        level: Level::Info,
        log_type: LogType::Application,
    };
    let err = sink.append(&entry).expect_err("nothing listens");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    let again = sink.append(&entry).expect_err("still nothing listens");
    assert_eq!(again.kind(), io::ErrorKind::NotFound);
    assert!(sink.flush().is_ok());
}

#[test]
fn the_default_sink_describes_itself_as_journald() {
    assert_eq!(sink().describe(), "journald");
    assert!(logward::journald_available());
}

//! What a record's keys can do to its journald entry, through the runtime
//! into a real journald, read back with `journalctl`: keys that look like
//! the record's own fields cannot add a second value to them, and a record
//! too wide or too large for one entry is still stored, whole in `MESSAGE`,
//! with what was left out counted and reported.

use logward::sink::{JournaldSink, KEY_FIELD_BYTES_MAX, KEY_FIELDS_MAX};
use logward::{Guard, Level, LogType, Logward};
use serde_json::{Value, json};

use crate::util::journald::{JournalEntry, ensure_running, field, read_back, record_of};
use crate::util::unique_id;

/// A runtime whose every record goes to the real journald.
fn runtime() -> Guard {
    ensure_running();
    let sink = JournaldSink::connect("logward-test").expect("journald sink");
    let (_layer, guard) = Logward::builder()
        .with_sink(sink)
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("runtime")
        .into_parts::<tracing_subscriber::Registry>();
    guard
}

/// The single entry of test run `run`.
fn the_entry(run: &str) -> JournalEntry {
    let mut entries = read_back(&[("TEST_RUN", run)], 1);
    assert_eq!(entries.len(), 1, "one record was sent");
    entries.remove(0)
}

#[test]
fn keys_that_map_to_the_records_own_fields_add_no_second_value() {
    let run = unique_id();
    let guard = runtime();
    let forged = [
        "Log-Type",
        "log.type",
        "LOG_TYPE",
        "LEVEL",
        "Level",
        "Id",
        "ID",
        "HOSTNAME",
        "Host-Name",
        "Pid",
        "PID",
        "User-Name",
        "Request.Id",
        "Created-At",
        "Stack-Trace",
        "StackTrace",
        "syslog_pid",
        "Syslog-Facility",
        "syslog.timestamp",
        "code_file",
        "Code-Line",
    ];
    let mut fields: Vec<(&str, Value)> =
        vec![("test_run", json!(run)), ("user_name", json!("alice"))];
    // Distinct values: journald stores a field's equal values once.
    fields.extend(forged.iter().map(|k| (*k, json!(format!("forged:{k}")))));
    assert!(guard.emit(LogType::Audit, Level::Warning, &fields, Some("forgery")));
    drop(guard);

    let entry = the_entry(&run);
    let record = record_of(&entry);
    // `field` panics on a field with more than one value.
    let own = |key: &str| match &record[key] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for (name, key) in [("LOG_TYPE", "log_type"), ("USER_NAME", "user_name")] {
        assert_eq!(field(&entry, name), Some(own(key)), "{name}");
    }
    assert_eq!(field(&entry, "ID"), None, "the id is in MESSAGE only");
    // journald's own fields answer for these, and no key sets them.
    for (name, trusted, key) in [
        ("HOSTNAME", "_HOSTNAME", "hostname"),
        ("PID", "_PID", "pid"),
    ] {
        assert_eq!(field(&entry, name), None, "{name}");
        assert_eq!(field(&entry, trusted), Some(own(key)), "{trusted}");
    }
    assert_eq!(field(&entry, "LEVEL"), None);
    assert_eq!(field(&entry, "PRIORITY").as_deref(), Some("4"));
    for name in ["REQUEST_ID", "CREATED_AT", "STACKTRACE"] {
        assert_eq!(field(&entry, name), None, "{name} is not in the record");
    }
    assert_eq!(field(&entry, "SYSLOG_PID"), None);
    assert_eq!(field(&entry, "SYSLOG_FACILITY"), None);
    assert_eq!(field(&entry, "SYSLOG_TIMESTAMP"), None);
    assert_eq!(field(&entry, "CODE_FILE"), None);
    assert_eq!(field(&entry, "CODE_LINE"), None);
    for prefixed in [
        "F_SYSLOG_PID",
        "F_SYSLOG_FACILITY",
        "F_SYSLOG_TIMESTAMP",
        "F_CODE_FILE",
        "F_CODE_LINE",
        "F_HOSTNAME",
        "F_USER_NAME",
        "F_REQUEST_ID",
        "F_CREATED_AT",
    ] {
        let value = field(&entry, prefixed).unwrap_or_default();
        assert!(value.starts_with("forged:"), "{prefixed}: {value:?}");
    }
    // Names that are none of the record's own fields stay as they are.
    assert_eq!(
        field(&entry, "HOST_NAME").as_deref(),
        Some("forged:Host-Name")
    );
    assert_eq!(
        field(&entry, "STACK_TRACE").as_deref(),
        Some("forged:Stack-Trace")
    );
    // Several look-alikes of one field share its prefixed name.
    for (prefixed, count) in [
        ("F_LOG_TYPE", 3),
        ("F_LEVEL", 2),
        ("F_ID", 2),
        ("F_PID", 2),
        ("F_STACKTRACE", 1),
    ] {
        let values = match entry.get(prefixed) {
            Some(Value::Array(values)) => values.len(),
            Some(_) => 1,
            None => 0,
        };
        assert_eq!(values, count, "{prefixed}");
    }
    assert_eq!(
        read_back(&[("TEST_RUN", &run), ("LOG_TYPE", "audit")], 1).len(),
        1
    );
    assert!(
        std::process::Command::new("journalctl")
            .args(["-o", "cat", "--no-pager", "--quiet"])
            .arg(format!("TEST_RUN={run}"))
            .arg("LOG_TYPE=forged:Log-Type")
            .output()
            .expect("journalctl")
            .stdout
            .is_empty(),
        "no entry is found by a forged LOG_TYPE"
    );
}

/// The record of `entry` and the names of its fields that the sender set
/// (journald's own start with `_`).
fn sent_names(entry: &JournalEntry) -> Vec<&str> {
    entry
        .keys()
        .map(String::as_str)
        .filter(|k| !k.starts_with('_'))
        .collect()
}

#[test]
fn a_record_too_wide_or_too_large_for_journald_is_stored_whole_and_the_rest_reported() {
    let run = unique_id();
    let guard = runtime();
    let mut wide: Vec<(String, Value)> = vec![("test_run".into(), json!(run))];
    wide.extend((0..1500).map(|i| (format!("k{i}"), json!(i))));
    assert!(guard.emit(LogType::Web, Level::Info, &wide, Some("wide")));
    let big = "x".repeat(KEY_FIELD_BYTES_MAX + 1);
    let large = [
        ("test_run", json!(run)),
        ("big", json!(big)),
        ("small", json!("after the big one")),
    ];
    assert!(guard.emit(LogType::Web, Level::Info, &large, Some("large")));
    guard.flush();
    let stats = guard.stats();
    drop(guard);

    let entries = read_back(&[("TEST_RUN", &run)], 2);
    assert_eq!(entries.len(), 2);
    let by_message = |m: &str| {
        entries
            .iter()
            .find(|e| record_of(e)["message"] == m)
            .expect("the entry is in the journal")
    };
    let wide_entry = by_message("wide");
    let wide_record = record_of(wide_entry);
    assert_eq!(
        wide_record.len(),
        6 + 1 + 1500 + 1,
        "MESSAGE holds the whole record"
    );
    assert!(sent_names(wide_entry).len() <= 1024);
    // The record's own fields come first and are all there.
    for name in ["LOG_TYPE", "TEST_RUN", "K0"] {
        assert!(field(wide_entry, name).is_some(), "{name}");
    }
    let keys_sent = sent_names(wide_entry)
        .iter()
        .filter(|n| n.starts_with('K'))
        .count();
    // Fields before the k… ones: log_type, test_run; `id`, `created_at`,
    // `hostname`, `level`, `pid` and `message` are not sent as fields.
    assert_eq!(keys_sent, KEY_FIELDS_MAX - 2);
    let wide_omitted = 1500 - keys_sent as u64;

    let large_entry = by_message("large");
    assert_eq!(
        record_of(large_entry)["big"].as_str().map(str::len),
        Some(big.len())
    );
    assert_eq!(field(large_entry, "BIG"), None);
    assert_eq!(
        field(large_entry, "SMALL").as_deref(),
        Some("after the big one")
    );

    assert_eq!(stats.trimmed, 2);
    assert_eq!(stats.fields_omitted, wide_omitted + 1);
    assert_eq!(stats.lost, 0);
    let wide_id = wide_record["id"].as_str().expect("id");
    let notices = read_back(
        &[
            ("RUNTIME_EVENT", "journald_fields_omitted"),
            ("RECORD_ID", wide_id),
        ],
        1,
    );
    assert_eq!(
        notices.len(),
        1,
        "the first trimmed record is reported once"
    );
    let notice = record_of(&notices[0]);
    assert_eq!(notice["fields_omitted"], json!(wide_omitted));
    assert_eq!(notice["level"], "warning");
    let large_id = record_of(large_entry)["id"]
        .as_str()
        .expect("id")
        .to_string();
    let output = std::process::Command::new("journalctl")
        .args([
            "-o",
            "cat",
            "--no-pager",
            "--quiet",
            "RUNTIME_EVENT=journald_fields_omitted",
        ])
        .arg(format!("RECORD_ID={large_id}"))
        .output()
        .expect("journalctl");
    assert!(
        output.stdout.is_empty(),
        "later trimmed records are counted, not reported"
    );
}

//! Property tests over hostile input: arbitrary field names and values
//! (quotes, newlines, NUL, `=`, non-ASCII, very long) always make one valid
//! JSON line whose required fields are the runtime's; arbitrary
//! configuration files never panic and are either a configuration or
//! errors that each name a key or a line.
//!
//! The journald field names derived from such keys are checked where they
//! are made (`src/sink/journald.rs`), and against a real journald in
//! `journald.rs`.

use std::path::Path;

use logward::record::RENAMED_PREFIX;
use logward::{Config, Level, LogType, Logward, ManualClock, Origin};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::util::capture::{FIXED_MICROS, SharedBuf, capture_raw};

const REQUIRED: [&str; 6] = ["id", "created_at", "hostname", "level", "log_type", "pid"];
const CREATED_AT: &str = "2026-11-22T04:30:00.123456Z";

/// Text a service might be handed by an attacker: anything, the characters
/// JSON and journald treat specially, or a lot of it.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        4 => "[\"\\\\\n\r\t\u{0}=\u{7f}\u{2028}é日🦀 a-zA-Z_.]{0,40}",
        1 => (any::<char>(), 10_000..70_000usize).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
}

fn level() -> impl Strategy<Value = Level> {
    prop::sample::select(vec![
        Level::Debug,
        Level::Info,
        Level::Warning,
        Level::Error,
        Level::Critical,
    ])
}

fn log_type() -> impl Strategy<Value = LogType> {
    prop::sample::select(LogType::ALL.to_vec())
}

/// The one record in `text`, checked to be a single line and a JSON object
/// starting with the required fields, with the runtime's values.
fn the_record(text: &str, level: Level, log_type: LogType) -> Map<String, Value> {
    assert_eq!(text.matches('\n').count(), 1, "one line: {text:?}");
    assert!(text.ends_with('\n'));
    let record: Map<String, Value> = serde_json::from_str(text).expect("a JSON object");
    let keys: Vec<&str> = record.keys().map(String::as_str).take(6).collect();
    assert_eq!(keys, REQUIRED);
    let id = record["id"].as_str().expect("id");
    assert_eq!(
        uuid::Uuid::parse_str(id).map(|u| u.get_version_num()),
        Ok(4)
    );
    assert_eq!(record["created_at"], CREATED_AT);
    assert!(!record["hostname"].as_str().expect("hostname").is_empty());
    assert_eq!(record["level"], level.as_str());
    assert_eq!(record["log_type"], log_type.as_str());
    assert_eq!(record["pid"], std::process::id());
    record
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Records with run-time field names, as `logward emit` writes them.
    #[test]
    fn any_field_names_and_values_make_one_record_line_with_the_runtimes_fields(
        fields in prop::collection::btree_map(hostile(), hostile(), 0..6),
        message in prop::option::of(hostile()),
        level in level(),
        log_type in log_type(),
    ) {
        let fields: Vec<(String, Value)> = fields
            .into_iter()
            .map(|(name, value)| (name, json!(value)))
            .collect();
        let out = SharedBuf::default();
        let (_layer, guard) = Logward::builder()
            .with_writer(out.clone())
            .with_clock(ManualClock::new(FIXED_MICROS))
            .with_level(Level::Debug)
            .with_lifecycle_records(false)
            .with_panic_hook(false)
            .build()
            .expect("logward builds")
            .into_parts::<tracing_subscriber::Registry>();
        prop_assert!(guard.emit(log_type, level, &fields, message.as_deref()));
        drop(guard);

        let record = the_record(&out.text(), level, log_type);
        for (name, value) in &fields {
            let kept = if REQUIRED.contains(&name.as_str())
                || name == "stacktrace"
                || name == "message"
                || name.starts_with(RENAMED_PREFIX)
            {
                format!("{RENAMED_PREFIX}{name}")
            } else {
                name.clone()
            };
            prop_assert_eq!(&record[&kept], value, "field {:?}", name);
        }
        prop_assert_eq!(record.get("message").and_then(Value::as_str), message.as_deref());
        prop_assert_eq!(record.len(), 6 + fields.len() + usize::from(message.is_some()));
    }

    /// `tracing` events: hostile values in the event and its span.
    #[test]
    fn any_event_and_span_values_make_one_record_line_with_the_runtimes_fields(
        request_id in hostile(),
        user_name in hostile(),
        value in hostile(),
        message in hostile(),
    ) {
        let text = capture_raw(
            Logward::builder().with_level(Level::Debug).with_lifecycle_records(false),
            || {
                let span = tracing::info_span!(
                    "request",
                    request_id = request_id.as_str(),
                    user_name = user_name.as_str(),
                    level = value.as_str(),
                );
                span.in_scope(|| tracing::warn!(value = value.as_str(), id = value.as_str(), "{}", message));
            },
        );
        let record = the_record(&text, Level::Warning, LogType::Application);
        prop_assert_eq!(&record["request_id"], &request_id);
        prop_assert_eq!(&record["user_name"], &user_name);
        prop_assert_eq!(&record["fields.level"], &value);
        prop_assert_eq!(&record["fields.id"], &value);
        prop_assert_eq!(&record["value"], &value);
        prop_assert_eq!(&record["message"], &message);
    }
}

/// A configuration line: a known key with any value, a key-like name, or
/// anything at all.
fn config_line() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "LOG_LEVEL",
        "LOG_LEVEL_AUDIT",
        "LOG_LEVEL_WEB",
        "LOG_FILE",
        "LOG_FILE_AUDIT",
        "LOG_FILE_TANIUM",
        "LOG_ROTATE_DAILY",
        "LOG_ROTATE_DAILY_WEB",
        "LOG_ROTATE_MAX",
        "LOG_ROTATE_MAX_AUDIT",
        "LOG_OVERFLOW",
        "LOG_OVERFLOW_AUDIT",
        "LOG_OVERFLOW_WEB",
        "LOG_SYNC",
        "LOG_SYNC_AUDIT",
        "LOG_QUEUE_SIZE",
        "LOG_SYSLOG_IDENTIFIER",
        "LOG_LEVEL_",
        "LOG_ROTATE_DAYLY",
        "log_level",
    ]);
    let value = prop_oneof![
        prop::sample::select(vec![
            "info",
            "debug",
            "critical",
            "loud",
            "true",
            "false",
            "yes",
            "0",
            "1",
            "7",
            "-1",
            "99999999999999999999",
            "block",
            "drop",
            "always",
            "never",
            "/var/log/app.log",
            "relative.log",
            "/",
            "\"/tmp/x.log\"",
            "'info'",
            "",
        ])
        .prop_map(str::to_string),
        hostile(),
    ];
    prop_oneof![
        4 => (key, value).prop_map(|(k, v)| format!("{k}={v}")),
        1 => ("[A-Za-z_][A-Za-z0-9_]{0,20}", hostile()).prop_map(|(k, v)| format!(" {k} = {v} ")),
        1 => hostile(),
        1 => Just("# a comment".to_string()),
        1 => Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_configuration_text_is_a_configuration_or_errors_naming_a_key_or_line(
        lines in prop::collection::vec(config_line(), 0..12),
    ) {
        let path = Path::new("/etc/logward/config");
        let text = lines.join("\n");
        let last_line = text.lines().count();
        if let Err(errors) = Config::from_str(&text, path) {
            prop_assert!(!errors.is_empty());
            for error in errors.errors() {
                let line = matches!(
                    error.origin(),
                    Some(Origin::File { line: Some(n), .. }) if (1..=last_line).contains(n)
                );
                prop_assert!(
                    error.key().is_some() || line,
                    "{} names no key and no line", error
                );
                prop_assert!(error.to_string().starts_with("/etc/logward/config"), "{}", error);
            }
        }
    }
}

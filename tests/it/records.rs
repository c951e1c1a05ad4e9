//! Records from typed constructors and free-form events: every schema's
//! field names and JSON types, key order, levels, context, stacktraces,
//! forged fields and escaping.

use crate::util::capture::{FIXED_MICROS, capture, capture_at, keys};
use logward::{Emit, Level, analysis, application, audit, tanium, web};
use serde_json::{Value, json};

const REQUIRED: [&str; 6] = ["id", "created_at", "hostname", "level", "log_type", "pid"];

fn one(records: Vec<serde_json::Map<String, Value>>) -> serde_json::Map<String, Value> {
    assert_eq!(records.len(), 1, "expected exactly one record: {records:?}");
    records.into_iter().next().expect("one record")
}

/// Asserts the record's keys after the required ones, and its required values.
fn assert_shape(
    record: &serde_json::Map<String, Value>,
    log_type: &str,
    level: &str,
    rest: &[&str],
) {
    let expected: Vec<&str> = REQUIRED.iter().chain(rest).copied().collect();
    assert_eq!(keys(record), expected);
    assert_eq!(record["log_type"], log_type);
    assert_eq!(record["level"], level);
    assert_eq!(record["created_at"], "2026-11-22T04:30:00.123456Z");
    assert_eq!(record["pid"], json!(std::process::id()));
    let id = record["id"].as_str().expect("id is a string");
    assert_eq!(
        uuid::Uuid::parse_str(id).map(|u| u.get_version_num()),
        Ok(4)
    );
    assert!(record["hostname"].as_str().is_some_and(|h| !h.is_empty()));
}

#[test]
fn fixed_clock_is_the_records_created_at() {
    assert_eq!(FIXED_MICROS % 1_000_000, 123_456);
}

#[test]
fn login_attempt_schema() {
    let r = one(capture(|| {
        audit::LoginAttempt::new(false, "10.0.0.7")
            .forwarded_for("203.0.113.9")
            .warning()
    }));
    assert_shape(
        &r,
        "audit",
        "warning",
        &[
            "action",
            "access_granted",
            "client_ip",
            "forwarded_for_client_ip",
        ],
    );
    assert_eq!(r["action"], "login_attempt");
    assert_eq!(r["access_granted"], false);
    assert_eq!(r["client_ip"], "10.0.0.7");
    assert_eq!(r["forwarded_for_client_ip"], "203.0.113.9");
}

#[test]
fn optional_fields_are_absent_not_null() {
    let r = one(capture(|| {
        audit::LoginAttempt::new(true, "10.0.0.7").info()
    }));
    assert_shape(
        &r,
        "audit",
        "info",
        &["action", "access_granted", "client_ip"],
    );
    assert!(!r.values().any(Value::is_null));
}

#[test]
fn user_activity_schema_for_every_action() {
    let actions = [
        (audit::Activity::Access, "access"),
        (audit::Activity::Create, "create"),
        (audit::Activity::Update, "update"),
        (audit::Activity::Remove, "remove"),
        (audit::Activity::ExportJira, "export_jira"),
    ];
    let records = capture(|| {
        for (action, _) in actions {
            audit::UserActivity::new(action, false, "report", "10.0.0.8")
                .denied_because("missing role")
                .element_id("r-17")
                .forwarded_for("198.51.100.1")
                .info();
        }
    });
    assert_eq!(records.len(), 5);
    for (r, (_, name)) in records.iter().zip(actions) {
        assert_shape(
            r,
            "audit",
            "info",
            &[
                "action",
                "access_granted",
                "access_denied_reason",
                "element",
                "element_id",
                "client_ip",
                "forwarded_for_client_ip",
            ],
        );
        assert_eq!(r["action"], name);
        assert_eq!(r["access_granted"], false);
        assert_eq!(r["access_denied_reason"], "missing role");
        assert_eq!(r["element"], "report");
        assert_eq!(r["element_id"], "r-17");
    }
}

#[test]
fn setting_change_schema() {
    let r = one(capture(|| {
        audit::SettingChange::new(true, "session_timeout", "30", "45", "10.0.0.9")
            .element_id("tenant-4")
            .info()
    }));
    assert_shape(
        &r,
        "audit",
        "info",
        &[
            "action",
            "access_granted",
            "setting",
            "old_value",
            "new_value",
            "element_id",
            "client_ip",
        ],
    );
    assert_eq!(r["action"], "setting_change");
    assert_eq!(r["setting"], "session_timeout");
    assert_eq!(r["old_value"], "30");
    assert_eq!(r["new_value"], "45");
}

#[test]
fn api_request_records_the_key_only_when_invalid() {
    let records = capture(|| {
        audit::ApiRequest::new(false, "10.0.0.10")
            .denied_because("invalid api key")
            .invalid_api_key("bad-key-123")
            .warning();
        audit::ApiRequest::new(true, "10.0.0.10")
            .invalid_api_key("this-is-a-valid-secret")
            .info();
    });
    assert_eq!(records.len(), 2);
    assert_shape(
        &records[0],
        "audit",
        "warning",
        &[
            "action",
            "access_granted",
            "access_denied_reason",
            "api_key",
            "client_ip",
        ],
    );
    assert_eq!(records[0]["action"], "api_request");
    assert_eq!(records[0]["api_key"], "bad-key-123");
    assert_shape(
        &records[1],
        "audit",
        "info",
        &["action", "access_granted", "client_ip"],
    );
    let text = serde_json::to_string(&records[1]).expect("serialise");
    assert!(!text.contains("this-is-a-valid-secret"));
}

#[test]
fn web_schema_has_numeric_status() {
    let r = one(capture(|| {
        web::Request::new("GET", "/api/items?x=1", 404).info()
    }));
    assert_shape(&r, "web", "info", &["method", "path", "status_code"]);
    assert_eq!(r["method"], "GET");
    assert_eq!(r["path"], "/api/items?x=1");
    assert_eq!(r["status_code"], json!(404));
}

#[test]
fn analysis_schema_has_numeric_memory() {
    let r = one(capture(|| {
        analysis::Analysis::new(312, "scanner", "scan done").info()
    }));
    assert_shape(&r, "analysis", "info", &["memory_mb", "module", "message"]);
    assert_eq!(r["memory_mb"], json!(312));
    assert_eq!(r["module"], "scanner");
    assert_eq!(r["message"], "scan done");
}

#[test]
fn application_schema() {
    let r = one(capture(|| application::Message::new("cache warmed").info()));
    assert_shape(&r, "application", "info", &["message"]);
    assert_eq!(r["message"], "cache warmed");
}

#[test]
fn tanium_schemas() {
    let records = capture(|| {
        tanium::Operation::new("deploy started").info();
        tanium::Operation::new("deploy to group")
            .computer_group("linux-servers")
            .endpoint_id("ep-9")
            .info();
        tanium::ApiRequest::new("tanium.example", "/api/v2/sensors", "request failed")
            .status_code(503)
            .with_error("service unavailable")
            .computer_group("linux-servers")
            .error();
    });
    assert_eq!(records.len(), 3);
    assert_shape(&records[0], "tanium", "info", &["message"]);
    assert_shape(
        &records[1],
        "tanium",
        "info",
        &["computer_group", "endpoint_id", "message"],
    );
    assert_shape(
        &records[2],
        "tanium",
        "error",
        &[
            "computer_group",
            "target",
            "path",
            "status_code",
            "error",
            "message",
        ],
    );
    assert_eq!(records[2]["status_code"], json!(503));
    assert_eq!(records[2]["target"], "tanium.example");
    assert_eq!(records[2]["error"], "service unavailable");
}

#[test]
fn free_form_events_are_application_records_with_flat_fields() {
    let r = one(capture(
        || tracing::info!(items = 3, ratio = 0.5, ok = true, who = "bob", debugged = ?vec![1, 2], "cart {}", "updated"),
    ));
    assert_shape(
        &r,
        "application",
        "info",
        &["items", "ratio", "ok", "who", "debugged", "message"],
    );
    assert_eq!(r["items"], json!(3));
    assert_eq!(r["ratio"], json!(0.5));
    assert_eq!(r["ok"], json!(true));
    assert_eq!(r["who"], "bob");
    assert_eq!(r["debugged"], "[1, 2]");
    assert_eq!(r["message"], "cart updated");
}

#[test]
fn levels_map_from_tracing() {
    let records = capture(|| {
        tracing::trace!("t");
        tracing::debug!("d");
        tracing::info!("i");
        tracing::warn!("w");
        tracing::error!("e");
        logward::critical!("c");
    });
    let levels: Vec<&str> = records.iter().filter_map(|r| r["level"].as_str()).collect();
    assert_eq!(
        levels,
        ["debug", "debug", "info", "warning", "error", "critical"]
    );
}

#[test]
fn critical_filter_keeps_critical_and_drops_error() {
    let records = capture_at(Level::Critical, || {
        tracing::error!("plain error");
        logward::critical!(device = "sda", "disk failing");
        audit::LoginAttempt::new(false, "10.0.0.1").critical();
        audit::LoginAttempt::new(false, "10.0.0.2").error();
    });
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0]["message"], "disk failing");
    assert_eq!(records[0]["device"], "sda");
    assert_eq!(records[0]["level"], "critical");
    assert_eq!(records[1]["client_ip"], "10.0.0.1");
    assert_eq!(records[1]["level"], "critical");
    assert!(!records[0].contains_key("logward.critical"));
}

#[test]
fn level_filter_keeps_records_at_or_above() {
    let records = capture_at(Level::Warning, || {
        tracing::debug!("no");
        tracing::info!("no");
        tracing::warn!("yes");
        web::Request::new("GET", "/", 200).info();
        web::Request::new("GET", "/", 500).error();
    });
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0]["message"], "yes");
    assert_eq!(records[1]["status_code"], json!(500));
}

#[test]
fn span_context_is_flattened_with_precedence() {
    let records = capture(|| {
        let outer = tracing::info_span!(
            "request",
            request_id = "req-1",
            user_name = "alice",
            tenant = "t1",
            extra = 1
        );
        let _o = outer.enter();
        let inner = tracing::info_span!(
            "handler",
            user_name = "bob",
            user_id = "u-2",
            step = "inner"
        );
        let _i = inner.enter();
        tracing::info!(step = "event", "hello");
        audit::LoginAttempt::new(true, "10.0.0.1").info();
    });
    assert_eq!(records.len(), 2);
    let r = &records[0];
    assert_shape(
        r,
        "application",
        "info",
        &[
            "request_id",
            "user_id",
            "user_name",
            "tenant",
            "extra",
            "step",
            "message",
        ],
    );
    assert_eq!(r["request_id"], "req-1");
    assert_eq!(
        r["user_name"], "bob",
        "the innermost span wins over outer spans"
    );
    assert_eq!(r["user_id"], "u-2");
    assert_eq!(r["step"], "event", "the event's own field wins over spans");
    assert_eq!(r["extra"], json!(1));
    assert_eq!(records[1]["request_id"], "req-1");
    assert_eq!(records[1]["user_name"], "bob");
    assert_eq!(records[1]["step"], "inner");
}

#[test]
fn span_fields_recorded_later_replace_earlier_values() {
    let r = one(capture(|| {
        let span = tracing::info_span!(
            "request",
            user_name = tracing::field::Empty,
            request_id = "r"
        );
        let _e = span.enter();
        span.record("user_name", "carol");
        span.record("request_id", "r2");
        tracing::info!("after login");
    }));
    assert_eq!(r["user_name"], "carol");
    assert_eq!(r["request_id"], "r2");
}

#[test]
fn one_span_gives_its_context_in_order_and_yields_to_the_event() {
    let records = capture(|| {
        let span = tracing::info_span!("request", tenant = "t", user_name = "al", request_id = "r");
        let _entered = span.enter();
        tracing::info!(step = 1, "plain");
        tracing::info!(tenant = "mine", "repeats a span key");
    });
    // After the six required fields.
    assert_eq!(
        keys(&records[0])[6..],
        ["request_id", "user_name", "tenant", "step", "message"]
    );
    assert_eq!(
        keys(&records[1])[6..],
        ["request_id", "user_name", "tenant", "message"]
    );
    assert_eq!(records[1]["tenant"], "mine");
}

#[test]
fn the_context_follows_the_current_span_through_enter_and_exit() {
    let records = capture(|| {
        let a = tracing::info_span!("a", request_id = "a");
        let b = tracing::info_span!(parent: None, "b", request_id = "b");
        tracing::info!("before any span");
        let entered_a = a.enter();
        tracing::info!("in a");
        {
            let _b = b.enter();
            tracing::info!("in b");
            let _a_again = a.enter();
            tracing::info!("a entered again inside b");
        }
        tracing::info!("back in a");
        tracing::info!(parent: &b, "b as explicit parent");
        b.record("request_id", "b2");
        tracing::info!(parent: &b, "b after it recorded");
        a.record("request_id", "a2");
        tracing::info!("a after it recorded");
        drop(entered_a);
        tracing::info!("after the last exit");
    });
    let contexts: Vec<Option<&str>> = records
        .iter()
        .map(|r| r.get("request_id").and_then(Value::as_str))
        .collect();
    assert_eq!(
        contexts,
        [
            None,
            Some("a"),
            Some("b"),
            // Entering a span that is already entered does not make it
            // current again (as in the registry).
            Some("b"),
            Some("a"),
            Some("b"),
            Some("b2"),
            Some("a2"),
            None,
        ]
    );
}

#[derive(Debug)]
struct Outer(Inner);
#[derive(Debug)]
struct Inner;
impl std::fmt::Display for Outer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request failed")
    }
}
impl std::fmt::Display for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection refused")
    }
}
impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
impl std::error::Error for Inner {}

#[test]
fn error_fields_produce_a_stacktrace_with_the_chain() {
    let r = one(capture(|| {
        let e = Outer(Inner);
        tracing::error!(error = &e as &dyn std::error::Error, "upstream call failed");
    }));
    assert_shape(
        &r,
        "application",
        "error",
        &["error", "message", "stacktrace"],
    );
    assert_eq!(r["error"], "request failed");
    let stack = r["stacktrace"].as_str().expect("stacktrace is a string");
    assert!(
        stack.starts_with("request failed\n\nCaused by:\n    0: connection refused"),
        "{stack}"
    );
}

#[test]
fn forged_required_fields_cannot_change_the_record() {
    let r = one(capture(|| {
        let span = tracing::info_span!("s", hostname = "evil-host", pid = 1);
        let _e = span.enter();
        tracing::info!(
            id = "not-a-uuid",
            created_at = "1999-01-01",
            level = "debug",
            log_type = "audit",
            stacktrace = "fake",
            "forged"
        );
    }));
    assert_eq!(r["log_type"], "application");
    assert_eq!(r["level"], "info");
    assert_eq!(r["created_at"], "2026-11-22T04:30:00.123456Z");
    assert_eq!(r["pid"], json!(std::process::id()));
    assert_ne!(r["hostname"], "evil-host");
    assert_ne!(r["id"], "not-a-uuid");
    assert_eq!(r["fields.id"], "not-a-uuid");
    assert_eq!(r["fields.created_at"], "1999-01-01");
    assert_eq!(r["fields.level"], "debug");
    assert_eq!(r["fields.log_type"], "audit");
    assert_eq!(r["fields.hostname"], "evil-host");
    assert_eq!(r["fields.pid"], json!(1));
    assert_eq!(r["fields.stacktrace"], "fake");
    assert!(!r.contains_key("stacktrace"));
}

#[test]
fn a_field_named_like_a_renamed_one_never_meets_it() {
    let text = crate::util::capture::capture_raw(
        logward::Logward::builder().with_level(Level::Debug),
        || {
            tracing::info!(
                level = "forged",
                "fields.level" = "given",
                "fields.message" = "given too",
                "shadow"
            );
        },
    );
    let line = text
        .lines()
        .find(|l| l.contains("\"shadow\""))
        .expect("the record");
    assert_eq!(line.matches("\"fields.level\":").count(), 1, "{line}");
    let r: serde_json::Map<String, Value> = serde_json::from_str(line).expect("valid JSON");
    assert_eq!(r["level"], "info");
    assert_eq!(r["fields.level"], "forged");
    assert_eq!(r["fields.fields.level"], "given");
    assert_eq!(r["fields.fields.message"], "given too");
    assert_eq!(r["message"], "shadow");
}

#[test]
fn hostile_values_stay_one_valid_json_line() {
    let huge = "x".repeat(1 << 20);
    let nasty =
        "quote \" backslash \\ newline \n cr \r tab \t nul \u{0} bell \u{7} żółć 日本 🦀 \u{2028}";
    let text = crate::util::capture::capture_raw(
        logward::Logward::builder().with_level(Level::Debug),
        || {
            tracing::info!(nasty, huge = huge.as_str(), "{}", nasty);
        },
    );
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("\"nasty\"")).collect();
    assert_eq!(lines.len(), 1, "one line for one event");
    let r: serde_json::Map<String, Value> = serde_json::from_str(lines[0]).expect("valid JSON");
    assert_eq!(r["nasty"], nasty);
    assert_eq!(r["message"], nasty);
    assert_eq!(r["huge"].as_str().map(str::len), Some(1 << 20));
}

#[test]
fn ids_are_distinct_across_a_million_records() {
    let text = crate::util::capture::capture_raw(logward::Logward::builder(), || {
        for _ in 0..1_000_000 {
            tracing::info!("x");
        }
    });
    let mut ids = std::collections::HashSet::with_capacity(1_000_002);
    let mut n = 0;
    for line in text.lines() {
        let start = line.find("\"id\":\"").expect("id key") + 6;
        assert!(ids.insert(&line[start..start + 36]), "duplicate id");
        n += 1;
    }
    assert_eq!(n, 1_000_002, "1M records plus logging_started/stopped");
}

#[test]
fn runtime_writes_logging_started_and_stopped() {
    let text = crate::util::capture::capture_raw(logward::Logward::builder(), || {
        tracing::info!("between")
    });
    let records = crate::util::capture::parse_lines(&text);
    let actions: Vec<&str> = records
        .iter()
        .filter_map(|r| r.get("action")?.as_str())
        .collect();
    assert_eq!(actions, ["logging_started", "logging_stopped"]);
    assert_eq!(records[0]["log_type"], "audit");
    assert_eq!(records.len(), 3);
    assert_eq!(records[1]["message"], "between");
    assert_eq!(records[2]["message"], "logging stopped");
    assert!(records[0]["config_fingerprint"].is_string());
}

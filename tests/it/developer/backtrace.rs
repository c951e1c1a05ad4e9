//! Error fields never walk the logging call's stack, even with
//! `RUST_BACKTRACE=1`; an error's own backtrace, passed as the event's
//! `backtrace` field, is written after the error chain.

use std::backtrace::Backtrace;
use std::fmt;

use logward::Logward;

use super::{child_config, records, run, text};
use crate::util::capture::capture;
use crate::util::child;

#[derive(Debug)]
struct Outer(Inner);
#[derive(Debug)]
struct Inner;

impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("request failed")
    }
}
impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection reset")
    }
}
impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
impl std::error::Error for Inner {}

#[test]
fn with_rust_backtrace_set_an_error_field_records_the_chain_and_no_stack() {
    if child::role().is_some() {
        let guard = Logward::builder()
            .with_config_path(child_config("info"))
            .with_panic_hook(false)
            .build()
            .expect("logward builds")
            .init()
            .expect("logward installs");
        let error = Outer(Inner);
        tracing::error!(error = &error as &dyn std::error::Error, "upstream");
        drop(guard);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    run(
        module_path!(),
        "with_rust_backtrace_set_an_error_field_records_the_chain_and_no_stack",
        "service",
        dir.path(),
        &[("RUST_BACKTRACE", "1"), ("RUST_LIB_BACKTRACE", "1")],
    );
    let records = records(dir.path());
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        text(&records[0], "stacktrace"),
        "request failed\n\nCaused by:\n    0: connection reset"
    );
}

#[test]
fn an_errors_own_backtrace_given_as_the_backtrace_field_follows_the_chain() {
    let backtrace = Backtrace::force_capture();
    let expected = format!(
        "request failed\n\nCaused by:\n    0: connection reset\n\nStack backtrace:\n{backtrace}"
    );
    let records = capture(|| {
        let error = Outer(Inner);
        tracing::error!(
            error = &error as &dyn std::error::Error,
            backtrace = %backtrace,
            "upstream"
        );
        tracing::warn!(backtrace = %"only a backtrace", "no error");
    });
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(text(&records[0], "stacktrace"), expected);
    assert!(!records[0].contains_key("backtrace"));
    assert_eq!(
        text(&records[1], "stacktrace"),
        "Stack backtrace:\nonly a backtrace"
    );
}

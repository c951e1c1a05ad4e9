//! Spans carry their context whatever the configured levels: a span below
//! every type's minimum still gives its fields to the records inside it.

use logward::{Emit, Logward, audit};
use tracing::instrument;

use super::{child_config, records, run, text};

const REQUEST_ID: &str = "0b1d6c1e-5f0a-4e2b-9a57-3c1f0e4d2a10";

/// The child: logward from `LOG_LEVEL=level`, installed globally.
fn start(level: &str) -> logward::Guard {
    Logward::builder()
        .with_config_path(child_config(level))
        .with_panic_hook(false)
        .build()
        .expect("logward builds")
        .init()
        .expect("logward installs")
}

#[test]
fn at_log_level_warning_an_info_span_gives_its_context_to_a_warning_audit_record() {
    if child::role().is_some() {
        let guard = start("warning");
        let span = tracing::info_span!("request", request_id = REQUEST_ID, user_name = "alice");
        let _entered = span.enter();
        audit::LoginAttempt::new(false, "10.0.0.7").warning();
        tracing::info!("below the level");
        drop(guard);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    run(
        module_path!(),
        "at_log_level_warning_an_info_span_gives_its_context_to_a_warning_audit_record",
        "service",
        dir.path(),
        &[],
    );
    let records = records(dir.path());
    assert_eq!(records.len(), 1, "only the audit record: {records:?}");
    let audit = &records[0];
    assert_eq!(text(audit, "action"), "login_attempt");
    assert_eq!(text(audit, "request_id"), REQUEST_ID);
    assert_eq!(text(audit, "user_name"), "alice");
}

/// A function instrumented at debug, with a field of its own.
#[instrument(level = "debug", fields(user_id = "42"))]
fn load_cart(cart: u32) {
    tracing::info!(items = 3, "cart loaded");
}

#[test]
fn at_log_level_info_debug_and_trace_spans_and_instrumented_functions_keep_their_fields() {
    if child::role().is_some() {
        let guard = start("info");
        let outer = tracing::debug_span!("request", request_id = REQUEST_ID);
        let _outer = outer.enter();
        let inner = tracing::trace_span!("step", user_name = "alice", step = "checkout");
        let _inner = inner.enter();
        load_cart(7);
        tracing::debug!("below the level");
        drop(guard);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    run(
        module_path!(),
        "at_log_level_info_debug_and_trace_spans_and_instrumented_functions_keep_their_fields",
        "service",
        dir.path(),
        &[],
    );
    let records = records(dir.path());
    assert_eq!(records.len(), 1, "only the info record: {records:?}");
    let record = &records[0];
    assert_eq!(text(record, "message"), "cart loaded");
    assert_eq!(text(record, "request_id"), REQUEST_ID);
    assert_eq!(text(record, "user_id"), "42");
    assert_eq!(text(record, "user_name"), "alice");
    assert_eq!(text(record, "step"), "checkout");
    assert_eq!(record["cart"], 7);
}

use crate::util::child;

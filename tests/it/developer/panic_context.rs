//! A panic record carries the context of the span the panic happened in.

use logward::Logward;

use super::{child_config, records, run, text};
use crate::util::child;

#[test]
fn a_panic_inside_a_request_span_is_recorded_with_the_spans_context() {
    if child::role().is_some() {
        let guard = Logward::builder()
            .with_config_path(child_config("info"))
            .build()
            .expect("logward builds")
            .init()
            .expect("logward installs");
        let outer = tracing::debug_span!("request", request_id = "r-7", user_name = "alice");
        let inner =
            outer.in_scope(|| tracing::trace_span!("step", user_id = "42", thread = "forged"));
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            inner.in_scope(|| panic!("cart {} vanished", 9))
        }));
        assert!(unwound.is_err());
        drop(guard);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    run(
        module_path!(),
        "a_panic_inside_a_request_span_is_recorded_with_the_spans_context",
        "service",
        dir.path(),
        &[],
    );
    let records = records(dir.path());
    assert_eq!(records.len(), 1, "the panic: {records:?}");
    let panic = &records[0];
    assert_eq!(text(panic, "level"), "critical");
    assert_eq!(text(panic, "message"), "panic: cart 9 vanished");
    let keys: Vec<&str> = panic.keys().map(String::as_str).skip(6).collect();
    assert_eq!(
        keys,
        [
            "request_id",
            "user_id",
            "user_name",
            "runtime_event",
            "location",
            "thread",
            "message"
        ]
    );
    assert_eq!(text(panic, "request_id"), "r-7");
    assert_eq!(text(panic, "user_id"), "42");
    assert_eq!(text(panic, "user_name"), "alice");
    assert_ne!(
        text(panic, "thread"),
        "forged",
        "the panic's own field wins"
    );
}

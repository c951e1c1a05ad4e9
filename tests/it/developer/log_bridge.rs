//! The `log` crate: `init()` bridges its records into `application`
//! records, filtered by level; `with_log_bridge(false)` leaves `log` alone.

use logward::{ErrorKind, Logward};
use serde_json::json;

use super::{child_config, records, run, text};
use crate::util::child;

#[test]
fn log_crate_records_become_application_records_with_their_origin_and_context() {
    if child::role().is_some() {
        let guard = Logward::builder()
            .with_config_path(child_config("info"))
            .with_panic_hook(false)
            .build()
            .expect("logward builds")
            .init()
            .expect("logward installs");
        let span = tracing::debug_span!("request", request_id = "r-1");
        let _entered = span.enter();
        log::info!(target: "db::pool", "connected to {} replicas", 3);
        let line = line!() - 1;
        log::warn!(target: "logward::audit", "a log record is never an audit record");
        log::debug!("below the level");
        log::trace!("below the level");
        drop(guard);
        println!("line={line}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let output = run(
        module_path!(),
        "log_crate_records_become_application_records_with_their_origin_and_context",
        "service",
        dir.path(),
        &[],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("line="))
        .and_then(|n| n.parse().ok())
        .expect("the child printed the line");
    let records = records(dir.path());
    assert_eq!(
        records.len(),
        2,
        "info and warn, not debug/trace: {records:?}"
    );
    let info = &records[0];
    assert_eq!(text(info, "log_type"), "application");
    assert_eq!(text(info, "level"), "info");
    assert_eq!(text(info, "message"), "connected to 3 replicas");
    assert_eq!(text(info, "request_id"), "r-1");
    assert_eq!(text(info, "log.target"), "db::pool");
    assert_eq!(text(info, "log.module_path"), module_path!());
    assert_eq!(text(info, "log.file"), file!());
    assert_eq!(info["log.line"], json!(line));
    let warn = &records[1];
    assert_eq!(text(warn, "log_type"), "application");
    assert_eq!(text(warn, "level"), "warning");
    assert_eq!(text(warn, "log.target"), "logward::audit");
}

/// A logger of the program's own, counting what it is given.
struct Counting;

static COUNTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl log::Log for Counting {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, _: &log::Record<'_>) {
        COUNTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    fn flush(&self) {}
}

#[test]
fn a_program_with_its_own_log_logger_turns_the_bridge_off_or_is_told_why_init_fails() {
    if child::role().is_some() {
        log::set_logger(&Counting).expect("the first logger");
        log::set_max_level(log::LevelFilter::Info);
        let builder = || {
            Logward::builder()
                .with_config_path(child_config("info"))
                .with_panic_hook(false)
                .with_lifecycle_records(false)
        };
        let refused = builder().build().expect("builds").init();
        let error = refused.err().expect("the bridge cannot replace the logger");
        assert_eq!(error.kind(), ErrorKind::AlreadyInitialized);
        assert!(
            error.to_string().contains("with_log_bridge(false)"),
            "{error}"
        );
        let guard = builder()
            .with_log_bridge(false)
            .build()
            .expect("builds")
            .init()
            .expect("installs beside the program's logger");
        log::info!("to the program's logger");
        tracing::info!("to logward");
        drop(guard);
        assert_eq!(COUNTED.load(std::sync::atomic::Ordering::Relaxed), 1);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    run(
        module_path!(),
        "a_program_with_its_own_log_logger_turns_the_bridge_off_or_is_told_why_init_fails",
        "service",
        dir.path(),
        &[],
    );
    let records = records(dir.path());
    let messages: Vec<&str> = records.iter().map(|r| text(r, "message")).collect();
    assert_eq!(messages, ["to logward"]);
}

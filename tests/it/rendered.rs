//! Records rendered elsewhere (received by a collector) written through the
//! routing with [`logward::Guard::write_rendered`]: every byte kept, routed
//! by log type, written (and synced with `LOG_SYNC=always`) when the call
//! returns, before the guard is dropped.

use logward::{Level, LogType, Logward};

/// A record of another machine, as its runtime rendered it.
const WEB: &[u8] = b"{\"id\":\"6f1c2b9e-3a4d-4e5f-8a7b-1c2d3e4f5a6b\",\"created_at\":\"2020-01-02T03:04:05.000006Z\",\"hostname\":\"origin-7\",\"level\":\"info\",\"log_type\":\"web\",\"pid\":77,\"method\":\"GET\",\"path\":\"/\",\"status_code\":200}\n";
const AUDIT: &[u8] = b"{\"id\":\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\",\"created_at\":\"2020-01-02T03:04:06.000000Z\",\"hostname\":\"origin-7\",\"level\":\"debug\",\"log_type\":\"audit\",\"pid\":78,\"action\":\"login_attempt\",\"access_granted\":false,\"client_ip\":\"10.0.0.9\",\"forwarded_for_client_ip\":\"\"}\n";

#[test]
fn rendered_records_keep_every_byte_and_are_written_when_the_call_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "LOG_LEVEL=warning\nLOG_SYNC=always\nLOG_FILE={web}\nLOG_FILE_AUDIT={audit}\n",
            web = dir.path().join("web.log").display(),
            audit = dir.path().join("audit.log").display()
        ),
    )
    .expect("write the configuration");
    let logward = Logward::builder()
        .with_config_path(&config)
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("builds");
    let (_layer, guard) = logward.into_parts::<tracing_subscriber::Registry>();
    guard
        .write_rendered(&[
            (LogType::Web, Level::Info, WEB),
            (LogType::Audit, Level::Debug, AUDIT),
        ])
        .expect("written");
    // Read before the guard is dropped: the call itself waited for the writers.
    let web = std::fs::read(dir.path().join("web.log")).expect("web.log");
    let audit = std::fs::read(dir.path().join("audit.log")).expect("audit.log");
    assert_eq!(
        web, WEB,
        "the web record, byte for byte, below LOG_LEVEL too"
    );
    assert_eq!(audit, AUDIT, "the audit record, byte for byte");
    assert_eq!(guard.stats().written, 2);
    drop(guard);
}

#[test]
fn a_rendered_record_that_is_not_one_line_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("all.log");
    let logward = Logward::builder()
        .with_writer(std::fs::File::create(&log).expect("create"))
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("builds");
    let (_layer, guard) = logward.into_parts::<tracing_subscriber::Registry>();
    for bad in [&b"{\"a\":1}"[..], b"{\"a\":\n1}\n", b""] {
        let err = guard
            .write_rendered(&[
                (LogType::Web, Level::Info, WEB),
                (LogType::Web, Level::Info, bad),
            ])
            .expect_err("refused");
        assert!(err.to_string().contains("rendered record 2"), "{err}");
    }
    drop(guard);
    assert_eq!(std::fs::read(&log).expect("read"), b"");
}

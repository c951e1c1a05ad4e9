//! Rotation and pruning while the shipper runs lose nothing (it keeps the
//! files it has not finished open); files pruned while it was stopped are
//! reported lost, with their count, in the health and as a critical audit
//! record.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use logward::{Date, Guard, ManualClock};

use super::*;
use crate::it::https_server::Reply;

const DAY: i64 = 86_400_000_000;

/// A runtime on `clock` writing to the setup's files.
fn runtime(config: &Path, clock: &ManualClock) -> Guard {
    let (_layer, guard) = Logward::builder()
        .with_config_path(config)
        .with_clock(clock.clone())
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("runtime builds")
        .into_parts::<tracing_subscriber::Registry>();
    guard
}

/// Writes `n` web records on `day` (days after 2026-03-01).
fn write_day(guard: &Guard, clock: &ManualClock, day: i64, n: usize) {
    let start = Date::parse("2026-03-01").expect("date").start_unix_micros();
    clock.set_micros(start + day * DAY + DAY / 2);
    for i in 0..n {
        guard.emit(
            LogType::Web,
            Level::Info,
            &[("day", json!(day)), ("i", json!(i))],
            None,
        );
    }
    guard.flush();
}

fn rotating_setup(extra: &str) -> Setup {
    let setup = Setup::new("");
    std::fs::write(
        &setup.config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_ROTATE_DAILY=true\nLOG_ROTATE_MAX=2\n\
             LOG_FILE_AUDIT={}\n{extra}",
            setup.log.display(),
            setup.path().join("logs/audit.log").display()
        ),
    )
    .expect("config");
    setup
}

fn web_ids_by_day(setup: &Setup) -> BTreeMap<i64, BTreeSet<String>> {
    let mut days: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for record in setup.written() {
        if record["log_type"] == "web" {
            let day = record["day"].as_i64().expect("day");
            days.entry(day)
                .or_default()
                .insert(record["id"].as_str().expect("id").to_string());
        }
    }
    days
}

#[test]
fn rotation_and_pruning_while_shipping_lose_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    // A slow receiver: the shipper lags days behind the writer.
    let server = HttpsServer::start(dir.path(), |_, _| Reply {
        delay: Duration::from_millis(40),
        ..Reply::status(200, "{}")
    });
    let setup = rotating_setup(&export_keys(
        "SIEM",
        &server,
        "/in",
        "EXPORT_SIEM_TYPES=web\nEXPORT_SIEM_BATCH_MAX_RECORDS=20\nEXPORT_SIEM_BATCH_MAX_WAIT=50ms\n",
    ));
    let clock = ManualClock::new(0);
    let guard = runtime(&setup.config, &clock);
    write_day(&guard, &clock, 0, 100);
    let daemon = setup.ship_daemon(&[]);
    let mut written = BTreeSet::new();
    for day in 1..=8 {
        written.extend(web_ids_by_day(&setup).into_values().flatten());
        write_day(&guard, &clock, day, 100);
        std::thread::sleep(Duration::from_millis(150));
    }
    written.extend(web_ids_by_day(&setup).into_values().flatten());
    assert_eq!(written.len(), 900);
    let files = logward::sink::rotated_files(&setup.log).expect("list");
    assert_eq!(files.len(), 2, "pruning kept two files");
    eventually(Duration::from_secs(120), "everything shipped", || {
        setup.export_status("SIEM")["records_sent"] == 900
    });
    terminate(daemon);
    drop(guard);
    let got = received_ids(&server, |_, _| true);
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), written);
    assert!(got.values().all(|&n| n == 1), "no duplicates");
    assert_eq!(setup.export_status("SIEM")["lost_files"], 0);
}

#[test]
fn files_pruned_while_stopped_are_reported_lost_with_their_count() {
    let dir = tempfile::tempdir().expect("dir");
    let up = Arc::new(AtomicBool::new(true));
    let server = {
        let up = Arc::clone(&up);
        HttpsServer::start(dir.path(), move |_, _| {
            if up.load(Ordering::Relaxed) {
                Reply::status(200, "{}")
            } else {
                Reply::status(503, "down")
            }
        })
    };
    let setup = rotating_setup(&export_keys(
        "SIEM",
        &server,
        "/in",
        "EXPORT_SIEM_TYPES=web\nEXPORT_SIEM_BATCH_MAX_WAIT=50ms\n",
    ));
    let clock = ManualClock::new(0);
    let guard = runtime(&setup.config, &clock);
    write_day(&guard, &clock, 0, 50);
    let day0 = web_ids_by_day(&setup)[&0].clone();
    let daemon = setup.ship_daemon(&[]);
    eventually(Duration::from_secs(30), "day 0 shipped", || {
        setup.export_status("SIEM")["records_sent"] == 50
    });
    // The destination goes down; the shipper sees days 1 and 2 arrive.
    up.store(false, Ordering::Relaxed);
    write_day(&guard, &clock, 1, 70);
    write_day(&guard, &clock, 2, 80);
    eventually(Duration::from_secs(30), "days 1 and 2 seen", || {
        setup.export_status("SIEM")["lag_records"] == 150
    });
    terminate(daemon);
    // While it is stopped, rotation prunes the files of days 1 and 2.
    write_day(&guard, &clock, 3, 30);
    write_day(&guard, &clock, 4, 40);
    let after = web_ids_by_day(&setup);
    assert_eq!(after.keys().copied().collect::<Vec<_>>(), [3, 4]);
    up.store(true, Ordering::Relaxed);
    let out = setup.ship_once(&[]);
    assert_eq!(out.status.code(), Some(1), "records were lost");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("150 records (") && stderr.contains("in 2 files"),
        "{stderr}"
    );
    drop(guard);
    let status = setup.export_status("SIEM");
    assert_eq!(status["lost_records"], 150);
    assert_eq!(status["lost_files"], 2);
    assert!(status["lost_bytes"].as_u64().expect("bytes") > 150 * 100);
    let got = received_ids(&server, |_, r| !r.body.is_empty());
    let mut want: BTreeSet<String> = day0;
    want.extend(after.into_values().flatten());
    // Days 1 and 2 never reached the server while it answered 503.
    assert_eq!(
        got.keys()
            .filter(|id| want.contains(*id))
            .cloned()
            .collect::<BTreeSet<_>>(),
        want
    );
    let audit = std::fs::read_to_string(setup.path().join("logs/audit.log")).expect("audit log");
    let lost: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("record"))
        .filter(|r| r["action"] == "export_records_lost")
        .collect();
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(lost[0]["level"], "critical");
    assert_eq!(lost[0]["lost_records"], 150);
    assert_eq!(lost[0]["lost_files"], 2);
}

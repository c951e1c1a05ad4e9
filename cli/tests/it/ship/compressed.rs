//! Compressed rotated files (`LOG_ROTATE_COMPRESS=gzip`) under the
//! shipper: a file compressed while the shipper was stopped, and one
//! compressed while it runs, are shipped on from the same decompressed
//! position, each record exactly once.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use logward::{Guard, ManualClock};

use super::*;
use crate::it::https_server::Reply;

/// Every type to the setup's file, rotated at `size` and compressed.
fn compressing_setup(server: &HttpsServer, size: &str) -> Setup {
    Setup::new(&format!(
        "LOG_ROTATE_SIZE={size}\nLOG_ROTATE_COMPRESS=gzip\n{}",
        export_keys(
            "SIEM",
            server,
            "/in",
            "EXPORT_SIEM_TYPES=web\nEXPORT_SIEM_BATCH_MAX_RECORDS=25\nEXPORT_SIEM_BATCH_MAX_WAIT=50ms\n"
        )
    ))
}

fn runtime(config: &Path) -> Guard {
    let (_layer, guard) = Logward::builder()
        .with_config_path(config)
        .with_clock(ManualClock::new(1_800_000_000_000_000))
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("runtime builds")
        .into_parts::<tracing_subscriber::Registry>();
    guard
}

/// Writes web records `from..to`, each with its number in `n`.
fn write(guard: &Guard, from: usize, to: usize) {
    for n in from..to {
        guard.emit(
            LogType::Web,
            Level::Info,
            &[("n", json!(n)), ("path", json!(format!("/item/{n:06}")))],
            None,
        );
    }
    guard.flush();
}

/// A server answering 200 while `up`, else 503, remembering which
/// requests it accepted.
fn switchable(dir: &Path) -> (HttpsServer, Arc<AtomicBool>, Arc<Mutex<BTreeSet<usize>>>) {
    let up = Arc::new(AtomicBool::new(true));
    let accepted = Arc::new(Mutex::new(BTreeSet::new()));
    let server = {
        let (up, accepted) = (Arc::clone(&up), Arc::clone(&accepted));
        HttpsServer::start(dir, move |i, _| {
            if up.load(Ordering::SeqCst) {
                accepted.lock().expect("lock").insert(i);
                Reply::status(200, "{}")
            } else {
                Reply::status(503, "down")
            }
        })
    };
    (server, up, accepted)
}

/// The ids of the web records in the sink's files, compressed or not.
fn written_web_ids(setup: &Setup) -> BTreeSet<String> {
    setup
        .written()
        .into_iter()
        .filter(|r| r["log_type"] == "web")
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

fn compressed_files(setup: &Setup) -> usize {
    logward::sink::rotated_files(&setup.log)
        .expect("list")
        .iter()
        .filter(|f| f.compressed)
        .count()
}

#[test]
fn a_file_compressed_while_the_shipper_was_stopped_is_shipped_on_from_the_same_place() {
    let dir = tempfile::tempdir().expect("dir");
    let (server, up, accepted) = switchable(dir.path());
    let setup = compressing_setup(&server, "64K");
    let guard = runtime(&setup.config);
    write(&guard, 0, 40);
    let daemon = setup.ship_daemon(&[]);
    eventually(Duration::from_secs(30), "the first 40 shipped", || {
        setup.export_status("SIEM")["records_sent"] == 40
    });
    // The destination goes down; the shipper sees 60 more in the same file.
    up.store(false, Ordering::SeqCst);
    write(&guard, 40, 100);
    eventually(Duration::from_secs(30), "60 records waiting", || {
        setup.export_status("SIEM")["lag_records"] == 60
    });
    terminate(daemon);
    assert_eq!(compressed_files(&setup), 0, "nothing rotated yet");
    // While it is stopped, the file it was reading is rotated and compressed.
    write(&guard, 100, 1000);
    drop(guard);
    let compressed = compressed_files(&setup);
    assert!(compressed >= 2, "{compressed} compressed files");
    assert!(
        logward::sink::rotated_files(&setup.log)
            .expect("list")
            .iter()
            .all(|f| f.live || f.compressed),
        "every rotated file is compressed after a clean stop"
    );
    let written = written_web_ids(&setup);
    assert_eq!(written.len(), 1000);
    up.store(true, Ordering::SeqCst);
    let out = setup.ship_once(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let accepted = accepted.lock().expect("lock").clone();
    let got = received_ids(&server, |i, _| accepted.contains(&i));
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), written);
    let repeated: Vec<_> = got.iter().filter(|(_, n)| **n != 1).collect();
    assert!(repeated.is_empty(), "sent more than once: {repeated:?}");
    assert_eq!(setup.export_status("SIEM")["lost_files"], 0);
}

#[test]
fn a_file_compressed_while_the_shipper_reads_it_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    // A slow receiver: the shipper lags files behind the writer.
    let server = HttpsServer::start(dir.path(), |_, _| Reply {
        delay: Duration::from_millis(30),
        ..Reply::status(200, "{}")
    });
    let setup = compressing_setup(&server, "32K");
    let guard = runtime(&setup.config);
    write(&guard, 0, 100);
    let daemon = setup.ship_daemon(&[]);
    for round in 1..10 {
        write(&guard, round * 100, (round + 1) * 100);
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(guard);
    assert!(compressed_files(&setup) >= 5);
    let written = written_web_ids(&setup);
    assert_eq!(written.len(), 1000);
    eventually_showing(Duration::from_secs(120), "everything shipped", || {
        let status = setup.export_status("SIEM");
        (status["records_sent"] == 1000, status)
    });
    terminate(daemon);
    let got = received_ids(&server, |_, _| true);
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), written);
    assert!(got.values().all(|&n| n == 1), "no duplicates");
    assert_eq!(setup.export_status("SIEM")["lost_files"], 0);
}

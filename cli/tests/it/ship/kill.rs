//! SIGKILL at random points while 200,000 records are written and shipped:
//! nothing is lost, and duplicates are at most the batch in flight at each
//! kill.

use std::collections::BTreeSet;

use super::*;
use crate::it::https_server::Reply;

const RECORDS: usize = 200_000;
const KILLS: usize = 10;
const BATCH: usize = 1_000;

#[test]
fn sigkill_at_random_points_loses_nothing_and_repeats_at_most_a_batch_per_kill() {
    let dir = tempfile::tempdir().expect("dir");
    let server = HttpsServer::start(dir.path(), |_, _| Reply::status(200, "{}"));
    let setup = Setup::new(&export_keys(
        "SIEM",
        &server,
        "/in",
        &format!(
            "EXPORT_SIEM_TYPES=web\nEXPORT_SIEM_BATCH_MAX_RECORDS={BATCH}\nEXPORT_SIEM_COMPRESS=gzip\n"
        ),
    ));
    let writer = {
        let config = setup.config.clone();
        std::thread::spawn(move || {
            let (_layer, guard) = Logward::builder()
                .with_config_path(&config)
                .with_panic_hook(false)
                .with_lifecycle_records(false)
                .build()
                .expect("runtime builds")
                .into_parts::<tracing_subscriber::Registry>();
            for i in 0..RECORDS {
                guard.emit(
                    LogType::Web,
                    Level::Info,
                    &[("seq", json!(i)), ("path", json!("/api/orders"))],
                    None,
                );
                if i % 2_000 == 0 {
                    // About 10 s of writing, so the kills land mid-stream.
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        })
    };
    let mut daemon = setup.ship_daemon(&[]);
    let mut delivered_at_kill = Vec::new();
    for _ in 0..KILLS {
        std::thread::sleep(Duration::from_millis(rand::random_range(300..1_200)));
        daemon.kill().expect("SIGKILL");
        daemon.wait().expect("reaped");
        delivered_at_kill.push(received_ids(&server, |_, _| true).len());
        daemon = setup.ship_daemon(&[]);
    }
    writer.join().expect("writer");
    eventually(Duration::from_secs(180), "every record delivered", || {
        received_ids(&server, |_, _| true).len() == RECORDS
    });
    terminate(daemon);
    let written: BTreeSet<String> = ids(&setup.written()).into_iter().collect();
    assert_eq!(written.len(), RECORDS);
    let got = received_ids(&server, |_, _| true);
    let lost = written.iter().filter(|id| !got.contains_key(*id)).count();
    let deliveries: usize = got.values().sum();
    let duplicates = deliveries - got.len();
    eprintln!(
        "ship kill test: {RECORDS} records, {KILLS} kills (delivered at each: {delivered_at_kill:?}), \
         lost {lost}, duplicates {duplicates} (bound {})",
        KILLS * BATCH
    );
    assert_eq!(lost, 0, "lost records");
    assert!(
        delivered_at_kill.windows(2).any(|w| w[0] < w[1]),
        "the kills landed while records were being shipped: {delivered_at_kill:?}"
    );
    assert!(duplicates <= KILLS * BATCH, "{duplicates} duplicates");
}

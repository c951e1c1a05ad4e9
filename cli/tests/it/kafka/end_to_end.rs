//! The runtime → `logward ship` → the broker over mutual TLS → two
//! `logward consume` processes in one group → their files: every record
//! exactly once by id, with one member of the group killed (SIGKILL) and
//! started again mid-stream and the broker's TLS port closed for a while.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::{Pki, out_ids, out_lines, start_consumer};
use crate::it::ship::{Setup, ids, mixed, terminate, write_records};
use crate::util::kafka::Broker;

/// Records in the test: 200,000 take about two minutes here.
const RECORDS: usize = 200_000;

#[test]
fn records_reach_a_consumer_group_exactly_once_across_a_kill_and_a_tls_outage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new(dir.path());
    let mut broker = Broker::mutual_tls(dir.path(), pki.broker());
    broker.create_topic("c83", 4);
    let bootstrap = broker.bootstrap();
    let setup = Setup::new(&format!(
        "EXPORT_C83_KAFKA_BROKERS={bootstrap}\nEXPORT_C83_KAFKA_TOPIC=c83\n\
         EXPORT_C83_CA_FILE={}\nEXPORT_C83_KEYSTORE_FILE={}\n\
         EXPORT_C83_KEYSTORE_PASSWORD_FILE={}\nEXPORT_C83_BATCH_MAX_RECORDS=5000\n",
        pki.ca.display(),
        pki.keystore.display(),
        pki.keystore_password.display()
    ));
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let mut consumers = [
        start_consumer(&bootstrap, "c83", "c83_logward", &pki, &a, 0),
        start_consumer(&bootstrap, "c83", "c83_logward", &pki, &b, 0),
    ];
    // Each attempt gets 15 s: a 5,000-record batch through stunnel to the
    // SQLite-backed broker took longer than 4 s on a loaded machine, and
    // every retry of it timed out again.
    let ship = setup.ship_daemon(&["--timeout", "15"]);
    let records = mixed(RECORDS);
    // Lines are counted while waiting (cheap); ids once they are all there.
    let lines = || out_lines(&a) + out_lines(&b);
    let union = || {
        let mut all: BTreeSet<String> = out_ids(&a).into_keys().collect();
        all.extend(out_ids(&b).into_keys());
        all.len()
    };
    let started = Instant::now();
    let wait = |limit: u64, what: &str, done: &dyn Fn() -> bool| {
        let end = Instant::now() + Duration::from_secs(limit);
        while !done() {
            if Instant::now() > end {
                let stderr = |d: &std::path::Path| {
                    (0..2)
                        .map(|run| {
                            std::fs::read_to_string(d.join(format!("stderr.{run}")))
                                .unwrap_or_default()
                        })
                        .collect::<Vec<_>>()
                        .join("\n---\n")
                };
                panic!(
                    "timed out waiting for {what}: {} lines (a {}, b {}), {} ids; health {}\na: {}\nb: {}",
                    lines(),
                    out_lines(&a),
                    out_lines(&b),
                    union(),
                    setup.export_status("C83"),
                    stderr(&a),
                    stderr(&b)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };

    // Half the records; the member of the group that is reading them
    // killed mid-stream and started again (the group rebalances twice and
    // the other member takes the partition over from the last commit).
    // One machine's records share a partition (their key is the hostname),
    // so one member reads them at a time.
    write_records(&setup.config, &records[..RECORDS / 2]);
    wait(120, "records consumed", &|| lines() >= RECORDS / 8);
    let reading = usize::from(out_lines(&a) == 0);
    consumers[reading].kill().expect("SIGKILL");
    consumers[reading].wait().expect("reaped");
    std::thread::sleep(Duration::from_secs(1));
    consumers[reading] =
        start_consumer(&bootstrap, "c83", "c83_logward", &pki, [&a, &b][reading], 1);

    // The TLS port closed: records wait, the health says why.
    wait(120, "the first half consumed", &|| {
        lines() >= RECORDS / 2 && union() >= RECORDS / 2
    });
    broker.close_tls();
    write_records(&setup.config, &records[RECORDS / 2..RECORDS * 3 / 4]);
    wait(60, "the outage in the health", &|| {
        let health = setup.export_status("C83");
        let retries: u64 = health["retries"]
            .as_object()
            .map_or(0, |r| r.values().filter_map(|v| v.as_u64()).sum());
        retries > 0
            && health["lag_records"].as_u64() > Some(0)
            && health["last_error"]
                .as_str()
                .is_some_and(|e| e.contains(&bootstrap))
    });
    let during = union();
    assert!(
        during <= RECORDS / 2 + 5_000,
        "records passed a closed port: {during}"
    );
    broker.open_tls();
    write_records(&setup.config, &records[RECORDS * 3 / 4..]);

    wait(240, "every record consumed", &|| {
        lines() >= RECORDS && union() >= RECORDS
    });
    let elapsed = started.elapsed();
    terminate(ship);
    for consumer in consumers {
        terminate(consumer);
    }

    let want: BTreeSet<String> = ids(&setup.written()).into_iter().collect();
    assert_eq!(want.len(), RECORDS);
    let (got_a, got_b) = (out_ids(&a), out_ids(&b));
    let duplicated = |got: &BTreeMap<String, usize>| got.values().filter(|&&n| n > 1).count();
    assert_eq!(
        (duplicated(&got_a), duplicated(&got_b)),
        (0, 0),
        "a consumer wrote an id twice"
    );
    let mut got: BTreeSet<String> = got_a.keys().cloned().collect();
    got.extend(got_b.keys().cloned());
    let lost = want.difference(&got).count();
    let foreign = got.difference(&want).count();
    assert_eq!((lost, foreign), (0, 0), "lost, not written by the runtime");
    let health = setup.export_status("C83");
    assert_eq!(health["lag_records"], 0, "{health}");
    eprintln!(
        "{RECORDS} records in {elapsed:?}: consumer a {} ids, b {} ids, {} read by both after rebalances",
        got_a.len(),
        got_b.len(),
        got_a.keys().filter(|id| got_b.contains_key(*id)).count()
    );
}

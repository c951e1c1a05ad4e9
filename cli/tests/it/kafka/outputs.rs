//! A plaintext broker on loopback: the messages `logward ship` produces
//! (value the stored line byte for byte, key the origin hostname), and
//! `logward consume` writing through the routing and to stdout.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;

use super::consume;
use crate::it::ship::{Setup, mixed, terminate, write_records};
use crate::util::kafka::Broker;

const RECORDS: usize = 300;

#[test]
fn messages_are_the_stored_lines_keyed_by_hostname_and_consume_writes_them_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = Broker::plain(dir.path());
    broker.create_topic("c7", 3);
    let bootstrap = broker.bootstrap();
    let setup = Setup::new(&format!(
        "EXPORT_C7_KAFKA_BROKERS={bootstrap}\nEXPORT_C7_KAFKA_TOPIC=c7\nEXPORT_C7_TYPES=audit,web\n\
         EXPORT_C7_COMPRESS=gzip\n"
    ));
    write_records(&setup.config, &mixed(RECORDS));
    let out = setup.ship_once(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored: Vec<String> = std::fs::read_to_string(&setup.log)
        .expect("log")
        .lines()
        .filter(|l| l.contains("\"log_type\":\"audit\"") || l.contains("\"log_type\":\"web\""))
        .map(String::from)
        .collect();
    assert_eq!(stored.len(), RECORDS * 2 / 5);

    // The topic read directly: each message a stored line, keyed by host.
    let reader: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "c7_reader")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "3000")
        .create()
        .expect("reader");
    reader.subscribe(&["c7"]).expect("subscribe");
    let mut messages = Vec::new();
    let end = Instant::now() + Duration::from_secs(60);
    while messages.len() < stored.len() {
        assert!(
            Instant::now() < end,
            "{} of {} messages",
            messages.len(),
            stored.len()
        );
        if let Some(Ok(m)) = reader.poll(Duration::from_millis(200)) {
            let value = String::from_utf8(m.payload().unwrap_or_default().to_vec()).expect("utf-8");
            let key = String::from_utf8(m.key().unwrap_or_default().to_vec()).expect("utf-8");
            messages.push((key, value, m.partition()));
        }
    }
    let values: BTreeSet<&str> = messages.iter().map(|(_, v, _)| v.as_str()).collect();
    assert_eq!(values, stored.iter().map(String::as_str).collect());
    let partitions: BTreeSet<i32> = messages.iter().map(|(_, _, p)| *p).collect();
    assert_eq!(partitions.len(), 1, "one machine, one partition");
    for (key, value, _) in &messages {
        let record: serde_json::Value = serde_json::from_str(value).expect("JSON");
        assert_eq!(record["hostname"].as_str(), Some(key.as_str()));
    }

    // Through the routing of another configuration, then to stdout; run
    // twice in the same group and index, nothing is written twice.
    let routed_log = dir.path().join("routed/all.log");
    let routed_config = dir.path().join("routed.conf");
    std::fs::write(
        &routed_config,
        format!("LOG_LEVEL=debug\nLOG_LEVEL_AUDIT=debug\nLOG_FILE={0}\nLOG_FILE_AUDIT={0}\nLOG_SYNC=always\nLOG_SYNC_AUDIT=always\n", routed_log.display()),
    )
    .expect("config");
    let state = dir.path().join("consume-state").display().to_string();
    let log = dir.path().join("consume.stderr");
    for _ in 0..2 {
        let child = consume(
            &bootstrap,
            "c7",
            "c7_routed",
            &["--state-dir".into(), state.clone()],
        )
        .arg("--config")
        .arg(&routed_config)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("stderr file"))
        .spawn()
        .expect("consume");
        let end = Instant::now() + Duration::from_secs(60);
        while routed_lines(&routed_log) < stored.len() {
            assert!(
                Instant::now() < end,
                "routed consume did not write everything: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_secs(1));
        terminate(child);
    }
    // Besides them, only the consumer's own lifecycle records.
    let routed = std::fs::read_to_string(&routed_log).expect("routed log");
    let mut got: Vec<&str> = routed.lines().filter(|l| !lifecycle(l)).collect();
    assert_eq!(
        routed.lines().filter(|l| lifecycle(l)).count(),
        4,
        "{routed}"
    );
    got.sort_unstable();
    let mut want: Vec<&str> = stored.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(got, want, "byte for byte, once each");

    let mut child = consume(
        &bootstrap,
        "c7",
        "c7_stdout",
        &[
            "--stdout".into(),
            "--state-dir".into(),
            dir.path().join("stdout-state").display().to_string(),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .expect("consume");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut printed = BTreeSet::new();
    while printed.len() < stored.len() {
        let line = lines.next().expect("a line").expect("utf-8");
        printed.insert(line);
    }
    terminate(child);
    assert_eq!(printed, stored.iter().cloned().collect());
}

fn lifecycle(line: &str) -> bool {
    line.contains("\"action\":\"logging_started\"")
        || line.contains("\"action\":\"logging_stopped\"")
}

fn routed_lines(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().filter(|l| !lifecycle(l)).count())
}

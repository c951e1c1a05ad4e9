//! Kafka: records/s produced by `logward ship` and consumed by `logward
//! consume`, against Python's `confluent-kafka` (librdkafka too) producing
//! and consuming the same lines, in the same run, on one broker; prints a
//! table.
//!
//! ```sh
//! bash .ci/install-kafka                                  # tansu (the broker), cmake
//! bash benches/kafka-peer.sh                              # the peer's venv in target/bench-kafka/
//! BENCH_KAFKA_RECORDS=100000 cargo bench -p logward-cli --bench kafka
//! ```
//!
//! - Broker: `tansu` (SQLite store) on loopback, plaintext, one topic of 4
//!   partitions per case (so no case reads another's messages).
//! - Data: `BENCH_KAFKA_RECORDS` web records (default 100,000, ~240 bytes)
//!   written by the runtime into one file; both producers send its lines,
//!   key the record's `hostname`, `acks=all`, idempotent, `linger.ms=5`.
//! - Produce: `logward ship --once` (batches of 5,000) against a Python
//!   producer reading the same file (`json.loads` for the key), each timed
//!   from start to the last acknowledgement.
//! - Consume: `logward consume --out-file` (id index, fsync and commit per
//!   batch of up to 1,000) against a Python consumer doing the same without
//!   an id index (write, fsync, synchronous commit per `consume(1000)`),
//!   both in a fresh group with `session.timeout.ms=2000`, timed from start
//!   until the file holds every record (the group join, ~1 s, included
//!   for both).

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use logward::{Level, LogType, Logward};
use logward_testkit::kafka::Broker;
use serde_json::json;

const PEER: &str = r#"
import json, os, sys, time
from confluent_kafka import Consumer, Producer
mode, bootstrap, topic, path = sys.argv[1:5]
if mode == "produce":
    acked = [0]
    def report(err, msg):
        if err is None:
            acked[0] += 1
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                  "linger.ms": 5, "queue.buffering.max.messages": 200000})
    n = 0
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            key = json.loads(line).get("hostname", "")
            while True:
                try:
                    p.produce(topic, value=line, key=key, on_delivery=report)
                    break
                except BufferError:
                    p.poll(0.05)
            n += 1
            p.poll(0)
    p.flush()
    assert acked[0] == n, (acked[0], n)
else:
    want = int(sys.argv[5])
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "py_" + topic,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                  "session.timeout.ms": 2000, "heartbeat.interval.ms": 500})
    c.subscribe([topic])
    got = 0
    with open(path, "ab") as out:
        while got < want:
            msgs = c.consume(1000, 0.2)
            good = [m for m in msgs if m.error() is None]
            if not good:
                continue
            out.write(b"".join(m.value() + b"\n" for m in good))
            out.flush()
            os.fsync(out.fileno())
            c.commit(asynchronous=False)
            got += len(good)
    c.close()
"#;

fn main() {
    let records: u64 = std::env::var("BENCH_KAFKA_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-kafka");
    let python = root.join("venv/bin/python");
    assert!(
        python.is_file(),
        "the peer is missing: run `bash benches/kafka-peer.sh` first (a venv with confluent-kafka in target/bench-kafka/)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = Broker::plain(dir.path());
    let bootstrap = broker.bootstrap();
    let log = dir.path().join("app.log");
    write_records(dir.path(), &log, records);
    let peer = dir.path().join("peer.py");
    fs::write(&peer, PEER).expect("peer script");

    broker.create_topic("logward", 4);
    broker.create_topic("python", 4);
    let ship = logward_produce(dir.path(), &log, &bootstrap);
    let py_produce = timed(
        Command::new(&python)
            .arg(&peer)
            .args(["produce", &bootstrap, "python"])
            .arg(&log),
    );
    let consume_out = dir.path().join("logward.out");
    let consume = timed_until(
        Command::new(env!("CARGO_BIN_EXE_logward"))
            .args(["consume", "--brokers", &bootstrap, "--topic", "logward"])
            .args(["--group", "logward_bench", "--session-timeout", "2000"])
            .arg("--out-file")
            .arg(&consume_out)
            .arg("--rotate-every-kb")
            .arg("10000000")
            .arg("--state-dir")
            .arg(dir.path().join("consume-state")),
        &consume_out,
        records,
    );
    let py_out = dir.path().join("python.out");
    let py_consume = timed(
        Command::new(&python)
            .arg(&peer)
            .args(["consume", &bootstrap, "python"])
            .arg(&py_out)
            .arg(records.to_string()),
    );
    assert_eq!(lines(&py_out), records, "the peer consumed every record");

    let rate = |d: Duration| records as f64 / d.as_secs_f64();
    println!("\n{records} records of ~240 bytes, one tansu broker on loopback\n");
    println!("| | logward records/s | confluent-kafka (Python) records/s | ratio |");
    println!("|---|---:|---:|---:|");
    for (what, ours, theirs) in [
        ("produce (acks=all, idempotent)", ship, py_produce),
        (
            "consume (file, fsync, commit per batch)",
            consume,
            py_consume,
        ),
    ] {
        println!(
            "| {what} | {:.0} | {:.0} | {:.2} |",
            rate(ours),
            rate(theirs),
            rate(ours) / rate(theirs)
        );
    }
}

fn write_records(dir: &Path, log: &Path, n: u64) {
    let config = dir.join("writer.conf");
    fs::write(
        &config,
        format!("LOG_LEVEL=info\nLOG_FILE={}\n", log.display()),
    )
    .expect("config");
    let (_layer, guard) = Logward::builder()
        .with_config_path(&config)
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("runtime")
        .into_parts::<tracing_subscriber::Registry>();
    for i in 0..n {
        guard.emit(
            LogType::Web,
            Level::Info,
            &[
                ("method", json!("GET")),
                ("path", json!(format!("/api/v1/orders/{i}"))),
                ("status_code", json!(200 + (i % 5) * 100)),
                ("request_id", json!("8f14e45f-ceea-467e-9f3b-1c7c0e8a9d21")),
            ],
            Some("request served"),
        );
    }
}

fn logward_produce(dir: &Path, log: &Path, bootstrap: &str) -> Duration {
    let config = dir.join("ship.conf");
    fs::write(
        &config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={0}\nLOG_FILE_AUDIT={0}\nEXPORT_B_KAFKA_BROKERS={bootstrap}\n\
             EXPORT_B_KAFKA_TOPIC=logward\nEXPORT_B_BATCH_MAX_RECORDS=5000\n\
             EXPORT_B_BATCH_MAX_BYTES=67108864\nEXPORT_B_TYPES=web\n",
            log.display()
        ),
    )
    .expect("config");
    timed(
        Command::new(env!("CARGO_BIN_EXE_logward"))
            .args(["ship", "--once", "--config"])
            .arg(&config)
            .arg("--state-dir")
            .arg(dir.join("ship-state")),
    )
}

fn timed(command: &mut Command) -> Duration {
    let start = Instant::now();
    let out = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed()
}

/// Runs `command` until `file` holds `n` lines, then stops it.
fn timed_until(command: &mut Command, file: &Path, n: u64) -> Duration {
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("runs");
    while lines(file) < n {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "consume did not finish"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = start.elapsed();
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
    elapsed
}

fn lines(path: &Path) -> u64 {
    fs::File::open(path)
        .map(|f| BufReader::new(f).split(b'\n').count() as u64)
        .unwrap_or(0)
}

//! Full queues: types configured to drop lose records only by count (every
//! record is either written or counted as dropped, and the count is reported
//! as a record), audit can never be set to drop, blocking types lose nothing,
//! and dropping the guard writes a large backlog completely.

use std::io;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use std::sync::mpsc::{self, Receiver};

use logward::sink::{Entry, FileSink, Rotation, Sink, Stats, WhenFull};
use logward::{Emit, ErrorKind, Level, LogType, Logward, ManualClock, audit, web};
use serde_json::{Map, Value};
use tracing_subscriber::layer::SubscriberExt;

use crate::util::capture::{FIXED_MICROS, SharedBuf, parse_lines};
use crate::util::runtime;

type Record = Map<String, Value>;

/// A sink that takes `delay` for every record, so its queue fills up.
struct SlowSink {
    out: SharedBuf,
    delay: Duration,
}

impl Sink for SlowSink {
    fn append(&mut self, entry: &Entry<'_>) -> io::Result<()> {
        thread::sleep(self.delay);
        io::Write::write_all(&mut self.out, entry.line)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn describe(&self) -> String {
        "slow test sink".to_string()
    }
}

/// Runs `f` under a runtime writing to a slow sink through a queue of one
/// record, web set to drop when `web_drops`; returns the stats taken after
/// `f` and a flush (before the guard is dropped) and every record written.
fn run_slow(web_drops: bool, f: impl FnOnce()) -> (Stats, Vec<Record>) {
    let out = SharedBuf::default();
    let sink = SlowSink {
        out: out.clone(),
        delay: Duration::from_millis(1),
    };
    let mut builder = Logward::builder()
        .with_sink(sink)
        .with_queue_size(1)
        .with_level(Level::Debug)
        .with_clock(ManualClock::new(FIXED_MICROS))
        .with_panic_hook(false);
    if web_drops {
        builder = builder.with_overflow(LogType::Web, WhenFull::Drop);
    }
    let (layer, guard) = builder.build().expect("logward builds").into_parts();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, f);
    guard.flush();
    let stats = guard.stats();
    drop(guard);
    (stats, parse_lines(&out.text()))
}

fn text<'a>(record: &'a Record, key: &str) -> &'a str {
    record.get(key).and_then(Value::as_str).unwrap_or("")
}

fn runtime_event(record: &Record) -> Option<&str> {
    record.get("runtime_event").and_then(Value::as_str)
}

/// The `message`s of the records of `log_type` emitted by the test (not
/// the runtime's own).
fn messages(records: &[Record], log_type: &str) -> Vec<String> {
    records
        .iter()
        .filter(|r| text(r, "log_type") == log_type && runtime_event(r).is_none())
        .filter(|r| !matches!(text(r, "action"), "logging_started" | "logging_stopped"))
        .map(|r| text(r, "message").to_string())
        .collect()
}

const SENT: usize = 1_000;

#[test]
fn dropped_web_records_are_counted_exactly_and_reported() {
    let (stats, records) = run_slow(true, || {
        for i in 0..SENT {
            web::Request::new("GET", "/", 200)
                .message(&i.to_string())
                .info();
            tracing::info!("{i}");
        }
    });

    let web = messages(&records, "web");
    assert!(stats.dropped > 0, "a queue of one must overflow: {stats:?}");
    assert_eq!(
        web.len() as u64 + stats.dropped,
        SENT as u64,
        "every web record is written or counted as dropped: {stats:?}"
    );
    let numbers: Vec<usize> = web.iter().map(|m| m.parse().expect("a number")).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "written in order, none twice"
    );

    let application = messages(&records, "application");
    let expected: Vec<String> = (0..SENT).map(|i| i.to_string()).collect();
    assert_eq!(application, expected, "blocking types lose nothing");

    let reports: Vec<&Record> = records
        .iter()
        .filter(|r| runtime_event(r) == Some("records_dropped"))
        .collect();
    assert!(!reports.is_empty(), "drops are reported as a record");
    let reported: u64 = reports
        .iter()
        .map(|r| r["dropped"].as_u64().expect("dropped is a number"))
        .sum();
    assert_eq!(reported, stats.dropped, "the reports add up to the count");
    let last = reports[reports.len() - 1];
    assert_eq!(last["dropped_total"].as_u64(), Some(stats.dropped));
    assert_eq!(text(last, "level"), "warning");

    let lifecycle = records
        .iter()
        .filter(|r| matches!(text(r, "action"), "logging_started" | "logging_stopped"))
        .count();
    assert_eq!(lifecycle, 2);
    // The runtime's reports are written to the sink but are not counted.
    assert_eq!(
        stats.written,
        (web.len() + application.len() + 1) as u64,
        "written counts the web, application and logging_started records"
    );
    assert_eq!((stats.rerouted, stats.lost), (0, 0));
}

#[test]
fn blocking_types_lose_nothing_through_a_queue_of_one() {
    const EACH: usize = 300;
    let (stats, records) = run_slow(false, || {
        for i in 0..EACH {
            let n = i.to_string();
            audit::LoginAttempt::new(true, "10.0.0.7")
                .message(&n)
                .info();
            web::Request::new("GET", "/", 200).message(&n).info();
            tracing::warn!("{n}");
        }
    });
    let expected: Vec<String> = (0..EACH).map(|i| i.to_string()).collect();
    for log_type in ["audit", "web", "application"] {
        assert_eq!(messages(&records, log_type), expected, "{log_type}");
    }
    assert_eq!(stats.dropped, 0);
    assert_eq!(stats.written, (3 * EACH + 1) as u64);
    assert!(
        records
            .iter()
            .all(|r| runtime_event(r) != Some("records_dropped"))
    );
}

#[test]
fn overflow_drop_from_the_configuration_is_counted_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_FILE_AUDIT={}\nLOG_OVERFLOW_WEB=drop\nLOG_QUEUE_SIZE=1\n",
            log.display(),
            log.display()
        ),
    )
    .expect("write config");
    const WEB: usize = 5_000;
    let (dispatch, guard) = runtime(&config);
    tracing::dispatcher::with_default(&dispatch, || {
        for i in 0..WEB {
            web::Request::new("GET", "/", 200)
                .message(&i.to_string())
                .info();
        }
        audit::LoginAttempt::new(true, "10.0.0.7")
            .message("audit")
            .info();
    });
    let stats = guard.stats();
    drop(guard);

    let records = parse_lines(&std::fs::read_to_string(&log).expect("read the log"));
    let web = messages(&records, "web");
    assert_eq!(web.len() as u64 + stats.dropped, WEB as u64, "{stats:?}");
    assert_eq!(messages(&records, "audit"), ["audit"]);
    let reported: u64 = records
        .iter()
        .filter(|r| runtime_event(r) == Some("records_dropped"))
        .map(|r| r["dropped"].as_u64().expect("dropped is a number"))
        .sum();
    assert_eq!(reported, stats.dropped);
}

#[test]
fn audit_can_never_be_set_to_drop() {
    let built = Logward::builder()
        .with_writer(io::sink())
        .with_overflow(LogType::Audit, WhenFull::Drop)
        .build();
    let Err(error) = built else {
        panic!("audit with overflow drop must not build");
    };
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(error.to_string().contains("audit"), "{error}");

    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config");
    std::fs::write(&config, "LOG_LEVEL=info\nLOG_OVERFLOW_AUDIT=drop\n").expect("write config");
    let Err(error) = Logward::builder().with_config_path(&config).build() else {
        panic!("LOG_OVERFLOW_AUDIT=drop must not build");
    };
    assert_eq!(error.kind(), ErrorKind::Config);
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "{}:2: LOG_OVERFLOW_AUDIT=\"drop\"",
            config.display()
        )),
        "{message}"
    );
    assert!(message.contains("allowed: block"), "{message}");
}

/// A file sink that writes nothing until the test opens its gate, so that
/// everything sent before stays queued.
struct GatedSink {
    gate: Option<Receiver<()>>,
    file: FileSink,
}

impl Sink for GatedSink {
    fn append(&mut self, entry: &Entry<'_>) -> io::Result<()> {
        if let Some(gate) = self.gate.take() {
            let _ = gate.recv();
        }
        self.file.append(entry)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }

    fn take_unwritten(&mut self) -> Vec<u8> {
        self.file.take_unwritten()
    }

    fn describe(&self) -> String {
        self.file.describe()
    }
}

#[test]
fn dropping_the_guard_writes_a_backlog_of_500_000_records() {
    const BACKLOG: usize = 500_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("backlog.log");
    let clock = ManualClock::new(FIXED_MICROS);
    let file = FileSink::open(&path, Rotation::default(), false, Arc::new(clock.clone()))
        .expect("open the file sink");
    let (open, gate) = mpsc::channel();
    let (layer, guard) = Logward::builder()
        .with_sink(GatedSink {
            gate: Some(gate),
            file,
        })
        .with_queue_size(1_000_000)
        .with_clock(clock)
        .with_panic_hook(false)
        .build()
        .expect("logward builds")
        .into_parts();
    let subscriber = tracing_subscriber::registry().with(layer);
    let started = Instant::now();
    tracing::subscriber::with_default(subscriber, || {
        for i in 0..BACKLOG {
            tracing::info!(n = i, "queued");
        }
    });
    let emitted = started.elapsed();
    let stats = guard.stats();
    assert_eq!(stats.written, 0, "the gate holds every record in the queue");
    let _ = open.send(());
    let stopping = Instant::now();
    drop(guard);
    let stopped = stopping.elapsed();
    eprintln!(
        "backlog of {BACKLOG}: emitted in {emitted:?}, guard dropped (all written) in {stopped:?}"
    );

    let written = std::fs::read_to_string(&path).expect("read the log");
    let lines: Vec<&str> = written.lines().collect();
    // logging_started, the backlog, logging_stopped.
    assert_eq!(lines.len(), BACKLOG + 2);
    let ends = parse_lines(&format!("{}\n{}\n", lines[0], lines[BACKLOG + 1]));
    assert_eq!(text(&ends[0], "action"), "logging_started");
    assert_eq!(text(&ends[1], "action"), "logging_stopped");
    // Parsing half a million records is slow in a debug build; each line is
    // checked for its own sequence number instead, which proves the same:
    // every record once, in order.
    for (i, line) in lines[1..=BACKLOG].iter().enumerate() {
        let field = format!(",\"n\":{i},");
        assert!(line.contains(&field), "line {i} is record {i}: {line}");
    }
}

//! Sources whose records are out of `created_at` order by the writer's
//! batching come out of the bundle in order.
//!
//! A service's thread takes its record's time, then queues the record; a
//! thread that is descheduled in between queues its record after one that
//! another thread made later. The test makes that happen every time with a
//! clock that holds the slow thread right after it read the time, until
//! the other thread's record is written, through the real runtime into a
//! real file and into the real journal.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use logward::sink::{FileSink, JournaldSink, Rotation, Sink};
use logward::{Clock, Date, Level, LogType, Logward, ManualClock};
use logward_cli::{BundleRequest, Bundler, RawBundleArgs, Source, Trust};
use serde_json::{Value, json};

use crate::util::journald::{ensure_running, read_back};
use crate::util::unique_id;

/// A clock whose time is set by the test; the thread named `slow` is held
/// after reading it until the test lets it go.
#[derive(Clone)]
struct HoldingClock {
    now: ManualClock,
    /// Told when the slow thread has read its time.
    entered: Sender<()>,
    /// Waited on by the slow thread.
    release: Arc<Mutex<Receiver<()>>>,
}

impl Clock for HoldingClock {
    fn now_micros(&self) -> i64 {
        let now = self.now.now_micros();
        if std::thread::current().name() == Some("slow") {
            let _ = self.entered.send(());
            let _ = self.release.lock().expect("lock").recv();
        }
        now
    }
}

fn at(seconds: i64) -> i64 {
    Date::parse("2025-06-01").expect("date").start_unix_micros() + seconds * 1_000_000
}

/// Writes `early` (created first, by the held thread) and `late` through a
/// runtime on `sink`, so that `late` is written before `early`.
fn write_out_of_order(sink: impl Sink, run: &str, early: i64, late: i64) {
    let (entered_tx, entered) = channel();
    let (release, release_rx) = channel();
    let clock = HoldingClock {
        now: ManualClock::new(early),
        entered: entered_tx,
        release: Arc::new(Mutex::new(release_rx)),
    };
    let (_layer, guard) = Logward::builder()
        .with_sink(sink)
        .with_clock(clock.clone())
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("runtime")
        .into_parts::<tracing_subscriber::Registry>();
    let guard = Arc::new(guard);
    let slow = {
        let guard = Arc::clone(&guard);
        let run = run.to_string();
        std::thread::Builder::new()
            .name("slow".into())
            .spawn(move || {
                guard.emit(
                    LogType::Audit,
                    Level::Info,
                    &[("test_run", json!(run))],
                    Some("early"),
                );
            })
            .expect("thread")
    };
    entered.recv().expect("the slow thread read the time");
    clock.now.set_micros(late);
    guard.emit(
        LogType::Audit,
        Level::Info,
        &[("test_run", json!(run))],
        Some("late"),
    );
    guard.flush();
    release.send(()).expect("release");
    slow.join().expect("slow thread");
    guard.flush();
}

fn created_at(line: &str) -> String {
    let record: Value = serde_json::from_str(line).expect("a record");
    record["created_at"]
        .as_str()
        .expect("created_at")
        .to_string()
}

#[test]
fn records_out_of_order_by_the_writers_batching_are_bundled_in_created_at_order() {
    ensure_running();
    let run = unique_id();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.log");
    let file = FileSink::open(
        &path,
        Rotation::default(),
        false,
        Arc::new(ManualClock::new(at(0))),
    )
    .expect("file sink");
    // The file: written 10 s (late), then 5 s (early).
    write_out_of_order(file, &run, at(5), at(10));
    // The journal: written 12 s, then 7 s.
    let journald = JournaldSink::connect("logward-test").expect("journald sink");
    write_out_of_order(journald, &run, at(7), at(12));

    let file_lines: Vec<String> = std::fs::read_to_string(&path)
        .expect("log")
        .lines()
        .map(String::from)
        .collect();
    let file_times: Vec<String> = file_lines.iter().map(|l| created_at(l)).collect();
    assert!(
        file_times[0] > file_times[1],
        "the file is out of order: {file_times:?}"
    );
    let journal = read_back(&[("TEST_RUN", &run)], 2);
    let journal_times: Vec<String> = journal
        .iter()
        .map(|e| created_at(&crate::util::journald::field(e, "MESSAGE").expect("MESSAGE")))
        .collect();
    assert!(
        journal_times[0] > journal_times[1],
        "the journal is out of order: {journal_times:?}"
    );

    let request = BundleRequest::from_raw(RawBundleArgs::default()).expect("request");
    let sources = vec![
        Source::Journal {
            log_types: LogType::ALL.to_vec(),
            extra_matches: vec![format!("TEST_RUN={run}")],
            trust: Trust::root_only(),
        },
        Source::files(&path, LogType::ALL),
    ];
    let mut out = Vec::new();
    let summary = Bundler::new(sources)
        .with_progress(false)
        .run_to(&request, &mut out)
        .expect("bundle");
    let lines: Vec<String> = String::from_utf8(out)
        .expect("UTF-8")
        .lines()
        .map(String::from)
        .collect();
    let times: Vec<String> = lines.iter().map(|l| created_at(l)).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times.len(), 4);
    assert_eq!(times, sorted, "in created_at order");
    assert!(summary.sources.iter().all(|s| s.out_of_order == 0));
}

#[test]
fn a_record_later_than_the_reorder_window_is_bundled_where_found_and_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    let line = |micros: i64, n: usize| {
        let mut created_at = Vec::new();
        logward::record::push_rfc3339(&mut created_at, micros);
        format!(
            "{{\"id\":\"i-{n}\",\"created_at\":\"{}\",\"hostname\":\"h\",\"level\":\"info\",\
             \"log_type\":\"web\",\"pid\":1}}\n",
            String::from_utf8(created_at).expect("UTF-8")
        )
    };
    let mut text = String::new();
    let window = logward_cli::REORDER_RECORDS;
    // One record out of place by the window exactly (put in order), and
    // one by more than the window (too late).
    text.push_str(&line(at(0) + 2, 0));
    text.push_str(&line(at(0) + 1, 1));
    for n in 0..window + 1 {
        text.push_str(&line(at(1) + n as i64, n + 2));
    }
    text.push_str(&line(at(0), window + 3));
    std::fs::write(&path, text).expect("log");

    let request = BundleRequest::from_raw(RawBundleArgs::default()).expect("request");
    let mut out = Vec::new();
    let summary = Bundler::new(vec![Source::files(&path, LogType::ALL)])
        .with_progress(false)
        .run_to(&request, &mut out)
        .expect("bundle");
    let times: Vec<String> = String::from_utf8(out)
        .expect("UTF-8")
        .lines()
        .map(created_at)
        .collect();
    assert_eq!(times.len(), window + 4);
    assert!(times[0] < times[1], "put in order within the window");
    // The late one (the earliest time) comes out after later ones, as soon
    // as it enters the window; everything else is in order.
    let late = times.iter().min().expect("records").clone();
    let position = times.iter().position(|t| *t == late).expect("found");
    assert!(
        position > 2,
        "the late one comes out where found: {position}"
    );
    let mut rest = times.clone();
    rest.remove(position);
    assert!(rest.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(summary.sources[0].out_of_order, 1);
}

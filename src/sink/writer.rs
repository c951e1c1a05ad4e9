//! The writer thread in front of each sink.
//!
//! Callers render a record into their own reused buffer and copy it into
//! their shard of the writer's queue (the `queue` module); the writer
//! thread takes everything queued at once, appends it to its sink in
//! `created_at` order and flushes once per round. In the steady state the caller's thread neither allocates nor
//! makes a system call for a record.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::json;

use super::Sink;
use super::failover::Failover;
use super::idle::Idle;
use super::queue::{Pushed, Queue};
use super::route::WhenFull;
use crate::record::RecordContext;
use crate::{Level, LogType};

/// How long a writer spends on one batch before it writes out what it has
/// of it and gives back that room: a caller facing a full queue behind a
/// slow sink waits about this long, not for the whole batch. A batch that
/// a fast sink takes in less time is written as one, so callers are not
/// woken again and again while it is.
const FREE_AFTER: Duration = Duration::from_millis(50);
/// Records between looks at the clock while a batch is written.
const CLOCK_EVERY: usize = 64;

/// At most one "records dropped" notice per this interval.
const DROP_REPORT_EVERY: Duration = Duration::from_secs(1);

/// Counts of what a writer did with the records it was given.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Records its sink accepted.
    pub written: u64,
    /// Records sent to the fallback because the sink failed.
    pub rerouted: u64,
    /// Records dropped because the queue was full (never audit).
    pub dropped: u64,
    /// Records that reached neither the sink, the fallback, nor stderr.
    pub lost: u64,
    /// Records the sink accepted whole but with some of its extra fields
    /// left out (journald's per-entry limits; `MESSAGE` holds the record).
    pub trimmed: u64,
    /// The extra fields left out of those records.
    pub fields_omitted: u64,
}

/// One writer's sink, its fallback, and what the writer did: see
/// [`Guard::sink_stats`](crate::Guard::sink_stats).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SinkStats {
    /// The sink, e.g. `file /var/log/app/audit.log` or `journald`.
    pub sink: String,
    /// Where its records go while it fails, e.g. `journald` or `stderr`.
    pub fallback: String,
    /// Its counts; `rerouted` records went to the fallback.
    pub stats: Stats,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.written += o.written;
        self.rerouted += o.rerouted;
        self.dropped += o.dropped;
        self.lost += o.lost;
        self.trimmed += o.trimmed;
        self.fields_omitted += o.fields_omitted;
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) written: AtomicU64,
    pub(crate) rerouted: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) lost: AtomicU64,
    pub(crate) trimmed: AtomicU64,
    pub(crate) fields_omitted: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> Stats {
        Stats {
            written: self.written.load(Ordering::Relaxed),
            rerouted: self.rerouted.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
            trimmed: self.trimmed.load(Ordering::Relaxed),
            fields_omitted: self.fields_omitted.load(Ordering::Relaxed),
        }
    }
}

/// The caller's handle to one sink's writer thread.
pub(crate) struct Writer {
    queue: Arc<Queue>,
    counters: Arc<Counters>,
    thread: Mutex<Option<JoinHandle<()>>>,
    description: String,
    fallback: String,
}

impl Writer {
    /// Starts a writer thread for `sink`, falling back to `fallback`, with a
    /// queue of `capacity` records.
    pub(crate) fn spawn(
        sink: Box<dyn Sink>,
        fallback: Box<dyn Sink>,
        capacity: usize,
        ctx: Arc<RecordContext>,
    ) -> std::io::Result<Arc<Writer>> {
        let queue = Arc::new(Queue::new(capacity));
        let counters = Arc::new(Counters::default());
        let description = sink.describe();
        let fallback_description = fallback.describe();
        let mut worker = Worker {
            sink: Failover::new(sink, fallback, ctx, Arc::clone(&counters)),
            queue: Arc::clone(&queue),
            counters: Arc::clone(&counters),
            dropped_reported: 0,
            last_drop_report: None,
        };
        let thread = std::thread::Builder::new()
            .name(format!("logward {description}"))
            .spawn(move || worker.run())?;
        Ok(Arc::new(Writer {
            queue,
            counters,
            thread: Mutex::new(Some(thread)),
            description,
            fallback: fallback_description,
        }))
    }

    /// Queues one rendered record.
    pub(crate) fn submit(&self, line: &[u8], level: Level, log_type: LogType, when_full: WhenFull) {
        let wait = when_full == WhenFull::Block || log_type == LogType::Audit;
        match self.queue.push(line, level, log_type, wait) {
            Pushed::Queued => {}
            Pushed::Dropped => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Pushed::Closed => {
                // The writer has stopped (after shutdown): write straight to
                // stderr rather than lose the record.
                if std::io::stderr().write_all(line).is_err() {
                    self.counters.lost.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Queues one rendered record, waiting for room; `false` when the
    /// writer has stopped and the record was not queued.
    pub(crate) fn submit_waiting(&self, line: &[u8], level: Level, log_type: LogType) -> bool {
        self.queue.push(line, level, log_type, true) == Pushed::Queued
    }

    /// Waits until everything queued before this call is written.
    pub(crate) fn flush(&self) {
        self.queue.flush();
    }

    /// Writes everything queued, stops the thread and waits for it.
    pub(crate) fn stop(&self) {
        self.queue.stop();
        if let Some(handle) = super::lock(&self.thread).take() {
            let _ = handle.join();
        }
    }

    pub(crate) fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    pub(crate) fn describe(&self) -> &str {
        &self.description
    }

    /// The fallback's description, e.g. `journald`.
    pub(crate) fn describe_fallback(&self) -> &str {
        &self.fallback
    }
}

struct Worker {
    sink: Failover,
    queue: Arc<Queue>,
    counters: Arc<Counters>,
    dropped_reported: u64,
    last_drop_report: Option<Instant>,
}

impl Worker {
    fn run(&mut self) {
        let mut round = self.queue.round();
        let mut idle = Idle::default();
        loop {
            let taken = self.queue.take(&mut round, &mut idle);
            let (mut freed, mut since) = (0, Instant::now());
            for (i, entry) in round.entries().enumerate() {
                self.sink.append(&entry);
                if (i + 1) % CLOCK_EVERY == 0 && since.elapsed() >= FREE_AFTER {
                    // Written out first: a record whose room is given back
                    // has reached its destination, so the queue still
                    // bounds what a crash can lose. The fsync of
                    // `LOG_SYNC=always` stays once per batch.
                    self.sink.flush_without_sync();
                    self.queue.free(i + 1 - freed);
                    (freed, since) = (i + 1, Instant::now());
                }
            }
            self.queue.recycle(&mut round);
            self.report_drops(taken.last);
            self.sink.flush();
            self.queue.done(taken);
            if taken.last {
                break;
            }
        }
    }

    /// Writes one record saying how many records were dropped since the
    /// last report, at most once a second (and always at shutdown).
    fn report_drops(&mut self, force: bool) {
        let dropped = self.counters.dropped.load(Ordering::Relaxed);
        if dropped == self.dropped_reported {
            return;
        }
        let due = self
            .last_drop_report
            .is_none_or(|at| at.elapsed() >= DROP_REPORT_EVERY);
        if !due && !force {
            return;
        }
        let n = dropped - self.dropped_reported;
        self.dropped_reported = dropped;
        self.last_drop_report = Some(Instant::now());
        let sink = self.sink.describe();
        self.sink.notice(
            Level::Warning,
            &[
                ("runtime_event", json!("records_dropped")),
                ("sink", json!(sink)),
                ("dropped", json!(n)),
                ("dropped_total", json!(dropped)),
            ],
            &format!("{n} records for {sink} were dropped because its queue was full"),
            false,
        );
    }
}

impl Drop for Worker {
    /// Runs when the thread ends, also by a panic in a sink: nobody may go
    /// on waiting for it.
    fn drop(&mut self) {
        self.queue.close();
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::mpsc;

    use super::*;
    use crate::ManualClock;
    use crate::sink::{Entry, StderrSink};

    /// What the writer asked of its sink.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Call {
        Append,
        Flush,
        FlushWithoutSync,
    }

    /// Keeps the calls in order. Its first append says so on `started`
    /// and then waits for `go`, so that records pile up meanwhile; every
    /// later append takes a millisecond, as a slow sink would.
    struct Watched {
        calls: Arc<Mutex<Vec<Call>>>,
        started: mpsc::Sender<()>,
        go: Option<mpsc::Receiver<()>>,
    }

    impl Watched {
        fn call(&self, call: Call) {
            if let Ok(mut calls) = self.calls.lock() {
                calls.push(call);
            }
        }
    }

    impl Sink for Watched {
        fn append(&mut self, _: &Entry<'_>) -> io::Result<()> {
            match self.go.take() {
                Some(go) => {
                    let _ = self.started.send(());
                    let _ = go.recv();
                }
                None => std::thread::sleep(Duration::from_millis(1)),
            }
            self.call(Call::Append);
            Ok(())
        }

        fn flush(&mut self) -> io::Result<()> {
            self.call(Call::Flush);
            Ok(())
        }

        fn flush_without_sync(&mut self) -> io::Result<()> {
            self.call(Call::FlushWithoutSync);
            Ok(())
        }

        fn describe(&self) -> String {
            "watched".to_string()
        }
    }

    /// `calls` as runs of the same call and their lengths.
    fn runs(calls: &[Call]) -> Vec<(Call, usize)> {
        let mut runs: Vec<(Call, usize)> = Vec::new();
        for &call in calls {
            match runs.last_mut() {
                Some((last, n)) if *last == call => *n += 1,
                _ => runs.push((call, 1)),
            }
        }
        runs
    }

    #[test]
    fn a_slow_batch_gives_back_room_as_it_goes_without_syncing() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let (started_tx, started) = mpsc::channel();
        let (go, go_rx) = mpsc::channel();
        let sink = Watched {
            calls: Arc::clone(&calls),
            started: started_tx,
            go: Some(go_rx),
        };
        let ctx = RecordContext::with_host(Arc::new(ManualClock::new(0)), "host", 1);
        let writer = Writer::spawn(
            Box::new(sink),
            Box::new(StderrSink::new()),
            10_000,
            Arc::new(ctx),
        )
        .expect("the writer starts");
        let submit = || writer.submit(b"{}\n", Level::Info, LogType::Web, WhenFull::Block);
        submit();
        started.recv().expect("the first record reaches the sink");
        for _ in 0..300 {
            submit();
        }
        go.send(()).expect("the sink waits");
        writer.flush();
        let calls = calls.lock().map(|c| c.clone()).unwrap_or_default();
        writer.stop();
        assert_eq!(
            runs(&calls),
            [
                (Call::Append, 1),
                (Call::Flush, 1),
                // 64 records take at least 64 ms, more than FREE_AFTER.
                (Call::Append, 64),
                (Call::FlushWithoutSync, 1),
                (Call::Append, 64),
                (Call::FlushWithoutSync, 1),
                (Call::Append, 64),
                (Call::FlushWithoutSync, 1),
                (Call::Append, 64),
                (Call::FlushWithoutSync, 1),
                (Call::Append, 44),
                (Call::Flush, 1),
            ]
        );
    }
}

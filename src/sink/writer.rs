//! The writer thread in front of each sink, and the bounded queue to it.
//!
//! Callers render a record into their own reused buffer, copy it into a
//! pooled buffer and send that over a bounded channel; the writer thread
//! appends everything queued to its sink, flushes once per batch, and sends
//! the emptied buffers back to the pool. In the steady state no allocation
//! happens on the caller's thread.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use serde_json::json;

use super::failover::Failover;
use super::route::WhenFull;
use super::{Entry, Sink};
use crate::record::RecordContext;
use crate::{Level, LogType};

/// Records handled between two flushes of the sink.
const MAX_BATCH: usize = 4096;
/// Buffers larger than this are not kept in the pool.
const MAX_POOLED: usize = 64 * 1024;
/// Buffers put in the pool when a writer starts.
const PREFILLED: usize = 256;
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
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.written += o.written;
        self.rerouted += o.rerouted;
        self.dropped += o.dropped;
        self.lost += o.lost;
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) written: AtomicU64,
    pub(crate) rerouted: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) lost: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> Stats {
        Stats {
            written: self.written.load(Ordering::Relaxed),
            rerouted: self.rerouted.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
        }
    }
}

enum Msg {
    Record {
        buf: Vec<u8>,
        level: Level,
        log_type: LogType,
    },
    Flush(Sender<()>),
    Stop(Sender<()>),
}

/// The caller's handle to one sink's writer thread.
pub(crate) struct Writer {
    tx: Sender<Msg>,
    pool: Receiver<Vec<u8>>,
    counters: Arc<Counters>,
    thread: Mutex<Option<JoinHandle<()>>>,
    description: String,
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
        let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
        let (pool_tx, pool) = crossbeam_channel::bounded(capacity.clamp(1, 65_536));
        // A few warm buffers, so callers rarely allocate even before the
        // writer has sent any back.
        for _ in 0..capacity.clamp(1, PREFILLED) {
            let _ = pool_tx.try_send(Vec::with_capacity(1024));
        }
        let counters = Arc::new(Counters::default());
        let description = sink.describe();
        let mut worker = Worker {
            sink: Failover::new(sink, fallback, ctx, Arc::clone(&counters)),
            rx,
            pool: pool_tx,
            counters: Arc::clone(&counters),
            dropped_reported: 0,
            last_drop_report: None,
            acks: Vec::new(),
        };
        let thread = std::thread::Builder::new()
            .name(format!("logward {description}"))
            .spawn(move || worker.run())?;
        Ok(Arc::new(Writer {
            tx,
            pool,
            counters,
            thread: Mutex::new(Some(thread)),
            description,
        }))
    }

    /// Queues one rendered record.
    pub(crate) fn submit(&self, line: &[u8], level: Level, log_type: LogType, when_full: WhenFull) {
        // Pooled buffers come back empty from the writer thread.
        let mut buf = self.pool.try_recv().unwrap_or_default();
        buf.extend_from_slice(line);
        let msg = Msg::Record {
            buf,
            level,
            log_type,
        };
        let unsent = match when_full {
            WhenFull::Drop if log_type != LogType::Audit => match self.tx.try_send(msg) {
                Ok(()) => None,
                Err(TrySendError::Full(_)) => {
                    self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                    None
                }
                Err(TrySendError::Disconnected(msg)) => Some(msg),
            },
            _ => self.tx.send(msg).err().map(|e| e.0),
        };
        if let Some(Msg::Record { buf, .. }) = unsent {
            // The writer has stopped (after shutdown): write straight to
            // stderr rather than lose the record.
            if std::io::stderr().write_all(&buf).is_err() {
                self.counters.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Waits until everything queued before this call is written.
    pub(crate) fn flush(&self) {
        let (ack, done) = crossbeam_channel::bounded(1);
        if self.tx.send(Msg::Flush(ack)).is_ok() {
            let _ = done.recv();
        }
    }

    /// Writes everything queued, stops the thread and waits for it.
    pub(crate) fn stop(&self) {
        let (ack, done) = crossbeam_channel::bounded(1);
        if self.tx.send(Msg::Stop(ack)).is_ok() {
            let _ = done.recv();
        }
        let handle = match self.thread.lock() {
            Ok(mut slot) => slot.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }

    pub(crate) fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    pub(crate) fn describe(&self) -> &str {
        &self.description
    }
}

struct Worker {
    sink: Failover,
    rx: Receiver<Msg>,
    pool: Sender<Vec<u8>>,
    counters: Arc<Counters>,
    dropped_reported: u64,
    last_drop_report: Option<Instant>,
    acks: Vec<Sender<()>>,
}

impl Worker {
    fn run(&mut self) {
        let mut stopping = false;
        while let Ok(first) = self.rx.recv() {
            stopping |= self.handle(first);
            let mut n = 1;
            while n < MAX_BATCH {
                match self.rx.try_recv() {
                    Ok(msg) => stopping |= self.handle(msg),
                    Err(_) => break,
                }
                n += 1;
            }
            if n < MAX_BATCH || stopping {
                self.report_drops(stopping);
            }
            self.sink.flush();
            for ack in self.acks.drain(..) {
                let _ = ack.send(());
            }
            if stopping {
                break;
            }
        }
    }

    /// Handles one message; returns whether it asked the writer to stop.
    fn handle(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Record {
                mut buf,
                level,
                log_type,
            } => {
                self.sink.append(&Entry {
                    line: &buf,
                    level,
                    log_type,
                });
                if buf.capacity() <= MAX_POOLED {
                    buf.clear();
                    let _ = self.pool.try_send(buf);
                }
                false
            }
            Msg::Flush(ack) => {
                self.acks.push(ack);
                false
            }
            Msg::Stop(ack) => {
                // Drain what is already queued before stopping.
                while let Ok(msg) = self.rx.try_recv() {
                    self.handle(msg);
                }
                self.acks.push(ack);
                true
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

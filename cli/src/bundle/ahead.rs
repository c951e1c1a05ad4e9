//! Reading several sources at once, each on a thread of its own.
//!
//! When a bundle has more than one source, each [`SourceStream`] runs on a
//! thread scoped to the bundle: it reads its lines, judges them and orders
//! them in its reorder window there, and hands the records to the merge in
//! batches over a bounded channel. Two files are then read, validated and
//! judged on two cores while the merge and the output go on. Memory stays
//! bounded: besides each source's reorder window, a thread holds the batch
//! it fills (at most [`BATCH_RECORDS`] records and about [`BATCH_BYTES`]),
//! its channel at most [`CHANNEL_BATCHES`] batches and the merge the one it
//! reads. A batch is one buffer of lines: the thread copies each record in
//! once, and the merge lends it from there. Read batches go back to their
//! thread to be filled again, so the buffers are made once. A single source
//! is read on the bundle's own thread.

use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use super::filter::Head;
use super::merge::Cursor;
use super::source::{RecordRef, SourceReport, SourceStream};

/// Most records in a batch.
pub(crate) const BATCH_RECORDS: usize = 1024;

/// A batch is handed over once its records hold this many bytes (1 MiB).
pub(crate) const BATCH_BYTES: usize = 1024 * 1024;

/// Most batches waiting in a source's channel.
pub(crate) const CHANNEL_BATCHES: usize = 4;

/// Records in one buffer: their lines one after the other, and each one's
/// head and end.
pub(crate) struct Batch {
    bytes: Vec<u8>,
    records: Vec<(Head, usize)>,
}

impl Batch {
    fn new() -> Self {
        Batch {
            bytes: Vec::with_capacity(BATCH_BYTES),
            records: Vec::with_capacity(BATCH_RECORDS),
        }
    }

    fn push(&mut self, record: RecordRef<'_>) {
        self.bytes.extend_from_slice(record.line);
        self.records.push((record.head, self.bytes.len()));
    }

    fn is_full(&self) -> bool {
        self.records.len() == BATCH_RECORDS || self.bytes.len() >= BATCH_BYTES
    }

    fn get(&self, index: usize) -> Option<RecordRef<'_>> {
        let &(head, end) = self.records.get(index)?;
        let start = index
            .checked_sub(1)
            .map_or(0, |before| self.records[before].1);
        Some(RecordRef {
            head,
            line: &self.bytes[start..end],
        })
    }

    /// Whether the batch is worth reusing: not grown far by a long line.
    fn reusable(&self) -> bool {
        self.bytes.capacity() <= 2 * BATCH_BYTES
    }
}

/// A source's records, read here or on a thread of its own.
pub(crate) enum Stream<'scope, 'r> {
    /// Read on the caller's thread.
    Here(Box<SourceStream<'r>>),
    /// Read on a thread, received in batches; read batches go back to the
    /// thread to be filled again.
    Thread {
        batches: Receiver<Batch>,
        used: Sender<Batch>,
        batch: Batch,
        at: Option<usize>,
        thread: ScopedJoinHandle<'scope, SourceReport>,
    },
}

impl<'scope, 'r: 'scope> Stream<'scope, 'r> {
    /// Starts reading `stream` on a thread of `scope`.
    pub(crate) fn spawn<'env>(
        scope: &'scope Scope<'scope, 'env>,
        stream: SourceStream<'r>,
    ) -> Stream<'scope, 'r> {
        let (tx, batches) = sync_channel(CHANNEL_BATCHES);
        let (used, returned) = channel();
        let thread = scope.spawn(move || send_all(stream, &tx, &returned));
        Stream::Thread {
            batches,
            used,
            batch: Batch {
                bytes: Vec::new(),
                records: Vec::new(),
            },
            at: None,
            thread,
        }
    }

    /// The source's report, once the merge is over (or stopped early: the
    /// thread sees the channel closed and stops reading).
    pub(crate) fn into_report(self) -> SourceReport {
        match self {
            Stream::Here(stream) => stream.into_report(),
            Stream::Thread {
                batches, thread, ..
            } => {
                drop(batches);
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }
        }
    }
}

/// Sends the records of `stream` in batches until its end or until the
/// receiver is gone, filling the batches `returned` gives back when there
/// are some; returns its report.
fn send_all(
    mut stream: SourceStream<'_>,
    tx: &SyncSender<Batch>,
    returned: &Receiver<Batch>,
) -> SourceReport {
    let mut batch = Batch::new();
    while stream.advance() {
        if let Some(record) = stream.current() {
            batch.push(record);
        }
        if batch.is_full() {
            let empty = match returned.try_recv() {
                Ok(mut used) => {
                    used.bytes.clear();
                    used.records.clear();
                    used
                }
                Err(_) => Batch::new(),
            };
            if tx.send(std::mem::replace(&mut batch, empty)).is_err() {
                return stream.into_report();
            }
        }
    }
    if !batch.records.is_empty() {
        let _ = tx.send(batch);
    }
    stream.into_report()
}

impl Cursor for Stream<'_, '_> {
    fn advance(&mut self) -> bool {
        match self {
            Stream::Here(stream) => stream.advance(),
            Stream::Thread {
                batches,
                used,
                batch,
                at,
                ..
            } => loop {
                let next = at.map_or(0, |at| at + 1);
                if next < batch.records.len() {
                    *at = Some(next);
                    return true;
                }
                *at = None;
                let Ok(full) = batches.recv() else {
                    return false;
                };
                let read = std::mem::replace(batch, full);
                if read.reusable() {
                    // The thread may be gone: then the batch is dropped.
                    let _ = used.send(read);
                }
            },
        }
    }

    fn current(&self) -> Option<RecordRef<'_>> {
        match self {
            Stream::Here(stream) => stream.current(),
            Stream::Thread { batch, at, .. } => batch.get((*at)?),
        }
    }
}

//! Reading several sources at once, each on a thread of its own.
//!
//! When a bundle has more than one source, each source's lines are read,
//! validated and judged on a thread scoped to the bundle, which hands the
//! selected records to the bundle's thread in batches over a bounded
//! channel, in the source's order. The reorder window of each source (see
//! the `source` module), the merge and the output run on the bundle's
//! thread. The judging, most of the work, is thus spread over the cores
//! whatever the sources' sizes: the thread of a large source does nothing
//! else, and the windows and the merge take their turn on the cores beside
//! it. Memory stays bounded: besides each source's reorder window, a
//! thread holds the batch it fills (at most [`BATCH_RECORDS`] records and
//! about [`BATCH_BYTES`]), its channel at most [`CHANNEL_BATCHES`] batches
//! and the bundle's thread the one it reads. A batch is one buffer of
//! lines: the thread copies each record in once, and the window keeps the
//! buffer as one of its segments. Emptied segments go back to their thread
//! as the buffers of its next batches, so the buffers are made once. A
//! single source is read on the bundle's own thread.

use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use super::filter::Head;
use super::source::{Judged, RecordRef, SourceReport};

/// Most records in a batch.
pub(crate) const BATCH_RECORDS: usize = 1024;

/// Most bytes of lines in a batch (1 MiB); a longer line gets a batch of
/// its own.
pub(crate) const BATCH_BYTES: usize = 1024 * 1024;

/// Most batches waiting in a source's channel.
pub(crate) const CHANNEL_BATCHES: usize = 4;

/// Records in one buffer: their lines one after the other, and each one's
/// head and end.
pub(crate) struct Batch {
    pub(super) bytes: Vec<u8>,
    /// Each record's head and the end of its line in `bytes`.
    pub(super) records: Vec<(Head, usize)>,
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

    /// Whether a line of `len` bytes fits: within the batch's records and
    /// bytes, or the first line of the batch (which may be longer).
    fn has_room(&self, len: usize) -> bool {
        self.records.is_empty()
            || (self.records.len() < BATCH_RECORDS && self.bytes.len() + len <= BATCH_BYTES)
    }

    /// Whether the batch is worth reusing: not grown far by a long line.
    fn reusable(&self) -> bool {
        self.bytes.capacity() <= 2 * BATCH_BYTES
    }
}

/// A source's selected records, judged on a thread of their own and
/// received in batches; read batches go back to the thread to be filled
/// again.
pub(crate) struct Ahead<'scope> {
    batches: Receiver<Batch>,
    used: Sender<Batch>,
    thread: ScopedJoinHandle<'scope, SourceReport>,
}

impl<'scope> Ahead<'scope> {
    /// Starts judging `judged` on a thread of `scope`.
    pub(crate) fn spawn<'env>(scope: &'scope Scope<'scope, 'env>, judged: Judged<'scope>) -> Self {
        let (tx, batches) = sync_channel(CHANNEL_BATCHES);
        let (used, returned) = channel();
        let thread = scope.spawn(move || send_all(judged, &tx, &returned));
        Ahead {
            batches,
            used,
            thread,
        }
    }

    /// The next batch of selected records; `None` at the end of the source.
    pub(crate) fn receive(&self) -> Option<Batch> {
        self.batches.recv().ok()
    }

    /// Gives a batch back to the thread to fill again, if it is worth it.
    pub(crate) fn give_back(&self, mut batch: Batch) {
        if batch.reusable() {
            batch.bytes.clear();
            batch.records.clear();
            // The thread may be gone: then the batch is dropped.
            let _ = self.used.send(batch);
        }
    }

    /// The source's report, once the merge is over (or stopped early: the
    /// thread sees the channel closed and stops reading).
    pub(crate) fn into_report(self) -> SourceReport {
        drop(self.batches);
        self.thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

/// Sends the selected records of `judged` in batches until its end or
/// until the receiver is gone, filling the batches `returned` gives back
/// when there are some; returns its report.
fn send_all(
    mut judged: Judged<'_>,
    tx: &SyncSender<Batch>,
    returned: &Receiver<Batch>,
) -> SourceReport {
    let mut batch = Batch::new();
    while let Some(record) = judged.next() {
        if !batch.has_room(record.line.len()) {
            let empty = returned.try_recv().unwrap_or_else(|_| Batch::new());
            if tx.send(std::mem::replace(&mut batch, empty)).is_err() {
                return judged.into_report();
            }
        }
        batch.push(record);
    }
    if !batch.records.is_empty() {
        let _ = tx.send(batch);
    }
    judged.into_report()
}

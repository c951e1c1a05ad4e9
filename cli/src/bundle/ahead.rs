//! Reading several sources at once, each on a thread of its own.
//!
//! When a bundle has more than one source, each [`SourceStream`] runs on a
//! thread scoped to the bundle: it reads its lines, judges them and orders
//! them in its reorder window there, and hands the records to the merge in
//! batches over a bounded channel. Two files are then read, validated and
//! judged on two cores while the merge and the output go on. Memory stays
//! bounded: besides each source's reorder window, a thread holds the batch
//! it fills (at most [`BATCH_RECORDS`] records and about [`BATCH_BYTES`])
//! and its channel at most [`CHANNEL_BATCHES`] batches. A single source is
//! read on the bundle's own thread.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use super::source::{Record, SourceReport, SourceStream};

/// Most records in a batch.
pub(crate) const BATCH_RECORDS: usize = 1024;

/// A batch is handed over once its records hold this many bytes (1 MiB).
pub(crate) const BATCH_BYTES: usize = 1024 * 1024;

/// Most batches waiting in a source's channel.
pub(crate) const CHANNEL_BATCHES: usize = 4;

/// A source's records, read here or on a thread of its own.
pub(crate) enum Stream<'scope, 'r> {
    /// Read on the caller's thread.
    Here(Box<SourceStream<'r>>),
    /// Read on a thread, received in batches.
    Thread {
        batches: Receiver<Vec<Record>>,
        batch: std::vec::IntoIter<Record>,
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
        let thread = scope.spawn(move || send_all(stream, &tx));
        Stream::Thread {
            batches,
            batch: Vec::new().into_iter(),
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
/// receiver is gone; returns its report.
fn send_all(mut stream: SourceStream<'_>, tx: &SyncSender<Vec<Record>>) -> SourceReport {
    let mut batch = Vec::with_capacity(BATCH_RECORDS);
    let mut bytes = 0;
    for record in stream.by_ref() {
        bytes += record.line.len();
        batch.push(record);
        if batch.len() == BATCH_RECORDS || bytes >= BATCH_BYTES {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_RECORDS));
            bytes = 0;
            if tx.send(full).is_err() {
                return stream.into_report();
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
    stream.into_report()
}

impl Iterator for Stream<'_, '_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        match self {
            Stream::Here(stream) => stream.next(),
            Stream::Thread { batches, batch, .. } => loop {
                if let Some(record) = batch.next() {
                    return Some(record);
                }
                *batch = batches.recv().ok()?.into_iter();
            },
        }
    }
}

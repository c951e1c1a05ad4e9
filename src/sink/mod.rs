//! Where records go: journald, files, stderr, and the writer thread in front of them.
//!
//! A [`Sink`] receives complete, rendered records on a writer thread; it never
//! runs on the caller's thread.

mod compress;
mod failover;
mod file;
mod idle;
mod journald;
pub(crate) mod plan;
mod queue;
mod rotation;
mod route;
pub mod seal;
mod stderr;
pub(crate) mod trust;
mod writer;

use std::io;
use std::sync::{Mutex, MutexGuard, PoisonError};

pub use compress::{origin_comment, parse_origin_comment};
pub use file::FileSink;
pub use journald::{
    ENTRY_BYTES_MAX, ENTRY_FIELDS_MAX, JOURNALD_SOCKET, JournaldSink, KEY_FIELD_BYTES_MAX,
    KEY_FIELDS_MAX, MESSAGE_BYTES_MAX, journald_available, journald_available_at,
};
pub use rotation::{LogFile, Rotation, rotated_files};
pub use route::WhenFull;
pub(crate) use route::{Route, Routes, SharedRoutes};
pub use stderr::{StderrSink, WriteSink};
pub(crate) use writer::Writer;
pub use writer::{SinkStats, Stats};

use crate::{Level, LogType};

/// Takes `mutex`; a thread that panicked holding it leaves what it guards
/// usable (every writer of it keeps it whole between statements).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One rendered record, as handed to a sink.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// The JSON record, one line, ending in `\n`.
    pub line: &'a [u8],
    /// The record's level (for journald's `PRIORITY`).
    pub level: Level,
    /// The record's log type.
    pub log_type: LogType,
}

/// What a sink left out of a record it accepted: the record itself is
/// whole, some of the extra fields the sink adds to it are not (journald's
/// per-key fields, see [`JournaldSink`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Trimmed {
    /// The record's `id`, when it has one.
    pub record_id: Option<String>,
    /// Extra fields sent.
    pub fields_sent: u64,
    /// Extra fields left out.
    pub fields_omitted: u64,
    /// Bytes of the fields left out.
    pub bytes_omitted: u64,
}

/// A destination for records. Object-safe; runs on a writer thread.
pub trait Sink: Send + 'static {
    /// Writes one record. May buffer; [`Sink::flush`] makes it durable.
    fn append(&mut self, entry: &Entry<'_>) -> io::Result<()>;

    /// Pushes buffered records to their destination.
    fn flush(&mut self) -> io::Result<()>;

    /// Pushes buffered records to their destination without making them
    /// durable (no fsync), for a point within a large batch; the batch
    /// still ends with [`Sink::flush`]. Defaults to [`Sink::flush`].
    fn flush_without_sync(&mut self) -> io::Result<()> {
        self.flush()
    }

    /// Hands back the bytes of records that were given to [`Sink::append`]
    /// but could not be delivered (complete lines, oldest first), so they can
    /// be re-routed. A buffering sink includes the record of an `append` that
    /// failed; a sink that does not buffer keeps nothing and returns nothing.
    fn take_unwritten(&mut self) -> Vec<u8> {
        Vec::new()
    }

    /// What the sink left out of the record of the last successful
    /// [`Sink::append`], taken once; `None` when it was sent whole. The
    /// writer counts it and reports the first one as a record.
    fn take_trimmed(&mut self) -> Option<Trimmed> {
        None
    }

    /// A problem the sink had that lost no record (a rotated file it could
    /// not compress), taken once; the writer reports each as a record.
    fn take_problem(&mut self) -> Option<String> {
        None
    }

    /// A short human description, e.g. `file /var/log/app/audit.log`.
    fn describe(&self) -> String;
}

impl<T: Sink> From<T> for Box<dyn Sink> {
    fn from(sink: T) -> Self {
        Box::new(sink)
    }
}

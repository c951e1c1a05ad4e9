//! Where records go: journald, files, stderr, and the writer thread in front of them.
//!
//! A [`Sink`] receives complete, rendered records on a writer thread; it never
//! runs on the caller's thread.

mod date;
mod file;
mod rotation;

use std::io;

pub use date::Date;
pub use file::FileSink;
pub use rotation::{LogFile, Rotation, rotated_files};

use crate::{Level, LogType};

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

/// A destination for records. Object-safe; runs on a writer thread.
pub trait Sink: Send + 'static {
    /// Writes one record. May buffer; [`Sink::flush`] makes it durable.
    fn append(&mut self, entry: &Entry<'_>) -> io::Result<()>;

    /// Pushes buffered records to their destination.
    fn flush(&mut self) -> io::Result<()>;

    /// A short human description, e.g. `file /var/log/app/audit.log`.
    fn describe(&self) -> String;
}

impl<T: Sink> From<T> for Box<dyn Sink> {
    fn from(sink: T) -> Self {
        Box::new(sink)
    }
}

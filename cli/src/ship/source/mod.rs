//! Where the shipper reads records: a small trait that every source
//! implements, so that batching, positions, retries and health are written
//! once for all of them.
//!
//! - [`FileSource`]: a file sink's live file and rotated siblings, by
//!   device, inode and offset.
//! - [`JournalSource`]: the systemd journal, by cursor, trusted senders
//!   only.
//!
//! A source hands out lines, each with a [`Mark`]: the position just after
//! it. The shipper commits a mark once the destination acknowledged
//! everything up to it, and only then saves the source's state; so after a
//! crash a source resumes at the last acknowledged line, and at most the
//! batch in flight is sent again.

mod files;
mod identity;
mod journal;

use std::io;

use serde_json::Value;

pub use files::FileSource;
pub use journal::JournalSource;

/// A position inside a source, just after one of its lines; what the
/// numbers mean is the source's own business (for files: which file, the
/// byte offset and the line number in it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mark {
    /// The unit read (a file).
    pub unit: u64,
    /// The byte offset in it.
    pub offset: u64,
    /// The line number in it.
    pub index: u64,
}

/// What waits in a source: everything after the last commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lag {
    /// Lines not yet acknowledged (selected or not).
    pub records: u64,
    /// Their bytes.
    pub bytes: u64,
    /// The first of them, if any, to tell its age.
    pub oldest: Option<Vec<u8>>,
}

/// Records a source can no longer deliver, found since the last call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lost {
    /// Files deleted (by rotation pruning) before they were shipped.
    pub files: u64,
    /// The bytes they held that were not shipped, as last seen.
    pub bytes: u64,
    /// The lines they held that were not shipped, as last counted.
    pub records: u64,
}

/// A place records are read from, in order.
pub trait Source: Send {
    /// A stable name, the key of the source's saved state (`file:/var/log/app.log`).
    fn name(&self) -> &str;

    /// Looks for data that appeared since the last look (new files, a
    /// rotation).
    fn refresh(&mut self) -> io::Result<()>;

    /// Reads the next complete line (without its newline) into `line`,
    /// returning the mark just after it; `None` when there is nothing more
    /// for now.
    fn read_line(&mut self, line: &mut Vec<u8>) -> io::Result<Option<Mark>>;

    /// Everything up to `mark` is delivered: it need not be read again.
    fn commit(&mut self, mark: Mark);

    /// The state to save, as of the last commit (with what is known of
    /// the data after it, to tell what was lost if it disappears).
    fn state(&mut self) -> io::Result<Value>;

    /// What waits, as of now.
    fn lag(&mut self) -> io::Result<Lag>;

    /// Records lost since the last call, if any.
    fn take_lost(&mut self) -> Option<Lost>;
}

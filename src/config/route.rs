//! What the configuration decides for one log type: its [`Route`].
//!
//! A route is the effective result of the keys, after every fallback: the
//! minimum level, where records go, what happens when the writer's queue is
//! full, and whether written batches are fsynced.

use std::fmt;
use std::num::{NonZeroU32, NonZeroU64};
use std::path::PathBuf;

use crate::level::Level;

/// The effective routing of one log type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Route {
    /// Records below this level are not written.
    pub level: Level,
    /// Where records are written.
    pub destination: Destination,
    /// What a caller does when the writer's queue is full.
    pub overflow: Overflow,
    /// Whether each written batch is fsynced.
    pub sync: SyncPolicy,
}

impl Route {
    /// The built-in route: `info` and above to journald, blocking, no fsync.
    pub(crate) const fn builtin() -> Route {
        Route {
            level: Level::Info,
            destination: Destination::Journald,
            overflow: Overflow::Block,
            sync: SyncPolicy::Never,
        }
    }
}

/// Where a log type's records are written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Destination {
    /// systemd-journald (stderr when no journald socket exists).
    Journald,
    /// A file of JSON lines.
    File {
        /// The absolute path of the file.
        path: PathBuf,
        /// Start a new file every UTC day.
        rotate_daily: bool,
        /// How many files to keep, the live file included; `None` keeps all.
        /// Only set when the file rotates (daily or by size).
        rotate_max: Option<NonZeroU32>,
        /// Rotate the live file before a write would take it past this many
        /// bytes (`LOG_ROTATE_SIZE`); `None` for no size limit.
        rotate_size: Option<NonZeroU64>,
        /// Compress rotated files (`LOG_ROTATE_COMPRESS`); `None` keeps them
        /// as written. Only set when the file rotates.
        compress: Option<Compression>,
        /// Seal every written batch (`LOG_SEAL`), for tamper evidence.
        seal: bool,
    },
}

/// How rotated files are compressed (`LOG_ROTATE_COMPRESS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// gzip: `<rotated name>.gz`, readable with `zcat`.
    Gzip,
}

impl Compression {
    /// The configuration name: `gzip`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a caller does when its writer's queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Overflow {
    /// Wait for room: nothing is lost, the caller slows down.
    Block,
    /// Drop the record and count it. Never allowed for audit records.
    Drop,
}

impl Overflow {
    /// The configuration name: `block` or `drop`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Overflow::Block => "block",
            Overflow::Drop => "drop",
        }
    }
}

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a writer fsyncs after writing a batch of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SyncPolicy {
    /// Leave flushing to disk to the operating system.
    Never,
    /// fsync after each written batch.
    Always,
}

impl SyncPolicy {
    /// The configuration name: `never` or `always`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SyncPolicy::Never => "never",
            SyncPolicy::Always => "always",
        }
    }
}

impl fmt::Display for SyncPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

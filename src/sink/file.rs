//! The file sink: JSON lines appended to a file, rotated daily at UTC
//! midnight and/or by size, rotated files compressed if asked.
//!
//! The live file is always exactly the configured path, so `tail -f` works;
//! rotated files are named and pruned as described in the `rotation` module
//! (`audit.log.2026-11-22`, then `.1`, `.2`, … for the day's later files or
//! on a name collision, `.gz` once compressed by the `compress` module).
//!
//! logward has its own rolling writer rather than `tracing-appender`'s,
//! because that one has defects that must not reach operators: its pruning
//! matches file names by prefix and so deletes other sinks' files, its
//! `max_log_files` count is off by one after a restart, and it keeps writing
//! into a file that was deleted instead of reopening the path.
//!
//! Guarantees:
//!
//! - the directory (and any missing parent) is created with mode 0750 and the
//!   live file with mode 0640, whatever the process umask;
//! - a restart on the same UTC day appends to the live file; a live file last
//!   written on an earlier day is rotated when the sink opens;
//! - with [`Rotation::max_files`], exactly that many files are kept (live
//!   file included) after every rotation and at every open;
//! - a live file deleted or renamed by someone else is noticed within about a
//!   second (on [`Sink::flush`]) and the path is created again;
//! - only a regular file that passes the `trust` module's rules (owner, mode,
//!   directory) is ever opened, at start and on every re-open; a symbolic
//!   link is never followed and a FIFO never blocks;
//! - several processes may share one rotating file (a service and `logward
//!   emit` from cron): a process renames the live file only while holding an
//!   exclusive `flock` on it and after checking that the path still names
//!   the file it has open (device and inode), so it never renames a fresh
//!   file another process started; a live file that is already gone was
//!   rotated by someone else, which is no failure. Records of an earlier day
//!   than the live file's (written just after another process rotated at
//!   midnight) are appended to it rather than rotating that newer file;
//! - with [`Rotation::max_size`], the live file is rotated before a write
//!   would take it past that size, at a record boundary: every file holds
//!   at most that many bytes, except a file holding one record larger than
//!   the size on its own (records are never split);
//! - with [`Rotation::compress`], every rotated file is compressed on the
//!   sink's own compression thread (never the writer's), at rotation and,
//!   for files left uncompressed by a crash or from before compression was
//!   configured, at open; while it is on, each write holds a shared `flock`
//!   on the live file and checks that the path still names it, so another
//!   process's rotation never leaves records of this one in a file being
//!   compressed (the `compress` module);
//! - a failed write is returned as an error, and the records that did not
//!   reach the file can be taken back with [`FileSink::take_unwritten`].

use std::collections::VecDeque;
use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::mem;
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::FlockOperation;

use super::compress::{self, Compressor};
use super::rotation::{self, Rotation, mtime_micros, with_path};
use super::seal::Sealing;
use super::{Entry, Sink, trust};
use crate::Date;
use crate::{Clock, Error, ErrorKind};

/// Records are written out once this many bytes are buffered.
const BUFFER_CAPACITY: usize = 64 * 1024;
/// The same for a sealed file: each write out costs a seal entry (its
/// MAC, the key's evolution and the state file's replacement, the journal
/// anchor), so a sealed sink buffers more (the writer flushes every batch
/// regardless).
const SEALED_BUFFER_CAPACITY: usize = 1024 * 1024;

const DIR_MODE: u32 = 0o750;
const FILE_MODE: u32 = 0o640;

/// How many times in a row the live file may turn out to have been rotated
/// by another process before the sink gives up on one write.
const ROTATION_ATTEMPTS: usize = 4;

/// A sink that appends JSON lines to a file and rotates it daily.
///
/// ```no_run
/// use std::sync::Arc;
/// use logward::SystemClock;
/// use logward::sink::{FileSink, Rotation, Sink};
///
/// # fn main() -> logward::Result<()> {
/// let rotation = Rotation {
///     daily: true,
///     max_files: std::num::NonZeroU32::new(7),
///     ..Rotation::default()
/// };
/// let mut sink = FileSink::open(
///     "/var/log/app/audit.log".as_ref(),
///     rotation,
///     false,
///     Arc::new(SystemClock),
/// )?;
/// assert_eq!(sink.describe(), "file /var/log/app/audit.log");
/// # Ok(())
/// # }
/// ```
///
/// Dropping the sink writes out what is still buffered but cannot report a
/// failure; call [`Sink::flush`] first.
pub struct FileSink {
    path: PathBuf,
    rotation: Rotation,
    sync: bool,
    clock: Arc<dyn Clock>,
    /// The open live file; `None` after it could not be (re)opened.
    live: Option<LiveFile>,
    pending: Pending,
    today: Today,
    /// Set by a failed write: the next write first checks the path and
    /// writes through instead of buffering, so the sink notices recovery.
    failing: bool,
    /// A rotation happened (or the sink opened) and old files may need
    /// deleting.
    prune_pending: bool,
    /// Bytes were written since the last fsync.
    unsynced: bool,
    /// With `LOG_SEAL`: seals every written batch (the `seal` module).
    seal: Option<Sealing>,
    /// With `LOG_ROTATE_COMPRESS`: compresses rotated files.
    compressor: Option<Compressor>,
    /// A write is under way while compression is on: the live file is held
    /// with a shared `flock`, and a newly opened one is locked too.
    holding: bool,
}

impl std::fmt::Debug for FileSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSink")
            .field("path", &self.path)
            .field("rotation", &self.rotation)
            .field("sync", &self.sync)
            .field("buffered", &self.pending.bytes.len())
            .field("failing", &self.failing)
            .field("seal", &self.seal)
            .finish_non_exhaustive()
    }
}

struct LiveFile {
    file: File,
    dev: u64,
    ino: u64,
    /// Its length as last seen (at open or the last write), for size
    /// rotation.
    len: u64,
    /// The UTC day of the records in the file; `None` while it is empty.
    date: Option<Date>,
}

/// The current UTC day and its bounds, so that most appends need no date
/// arithmetic.
#[derive(Clone, Copy)]
struct Today {
    date: Date,
    start: i64,
    end: i64,
}

impl Today {
    fn at(micros: i64) -> Today {
        let date = Date::from_unix_micros(micros);
        let start = date.start_unix_micros();
        Today {
            date,
            start,
            end: Date::from_days_since_epoch(date.days_since_epoch() + 1).start_unix_micros(),
        }
    }
}

impl FileSink {
    /// Opens (creating if needed) the live file `path` and its directory.
    ///
    /// If the live file is not empty and was last modified on an earlier UTC
    /// day than `clock`'s today and `rotation.daily` is set, it is rotated first;
    /// then, with `rotation.max_files`, old rotated files are pruned. With
    /// `sync`, every [`Sink::flush`] also fsyncs the file. With
    /// `rotation.compress`, the compression thread starts and is handed
    /// every rotated file still uncompressed.
    pub fn open(
        path: &Path,
        rotation: Rotation,
        sync: bool,
        clock: Arc<dyn Clock>,
    ) -> Result<FileSink, Error> {
        FileSink::open_with(path, rotation, sync, clock, None)
    }

    /// [`FileSink::open`] for a sealed file (`LOG_SEAL=true`): every batch
    /// written is sealed (see the `seal` module), and each new chain head is
    /// sent to journald at `journald` when given.
    ///
    /// # Errors
    ///
    /// As [`FileSink::open`]; also when the file has no seal key (`logward
    /// seal init` makes it) or another process is writing it, and with
    /// `rotation.compress` (sealed files are verified as written, so they
    /// are never compressed).
    pub fn open_sealed(
        path: &Path,
        rotation: Rotation,
        sync: bool,
        clock: Arc<dyn Clock>,
        journald: Option<&Path>,
    ) -> Result<FileSink, Error> {
        if rotation.compress.is_some() {
            return Err(Error::new(
                ErrorKind::Sink,
                format!(
                    "cannot seal log file {}: sealed files are not compressed",
                    path.display()
                ),
            )
            .with_path(path));
        }
        let sealer = Sealing::open(path, journald, sync, open_seal).map_err(|e| {
            Error::new(
                ErrorKind::Sink,
                format!("cannot seal log file {}", path.display()),
            )
            .with_path(path)
            .with_source(e)
        })?;
        FileSink::open_with(path, rotation, sync, clock, Some(sealer))
    }

    fn open_with(
        path: &Path,
        rotation: Rotation,
        sync: bool,
        clock: Arc<dyn Clock>,
        seal: Option<Sealing>,
    ) -> Result<FileSink, Error> {
        let now = clock.now_micros();
        let mut sink = FileSink {
            path: path.to_path_buf(),
            rotation,
            sync,
            clock,
            live: None,
            pending: Pending::default(),
            today: Today::at(now),
            failing: false,
            prune_pending: true,
            unsynced: false,
            seal,
            compressor: None,
            holding: false,
        };
        let today = sink.today.date;
        let mut opened = match sink.seal.as_mut() {
            Some(sealer) => sealer.begin(),
            None => Ok(()),
        };
        if opened.is_ok() {
            opened = sink.ensure_live(today);
        }
        if let Some(sealer) = sink.seal.as_mut() {
            sealer.end();
        }
        if opened.is_ok() && rotation.compress.is_some() && compress::AVAILABLE {
            opened = sink.start_compressor();
        }
        opened.map_err(|e| {
            Error::new(
                ErrorKind::Sink,
                format!("cannot open log file {}", path.display()),
            )
            .with_path(path)
            .with_source(e)
        })?;
        Ok(sink)
    }

    /// Starts the compression thread and hands it what an earlier run left
    /// to do: rotated files not compressed yet, and temporary files of
    /// compressions that stopped half-way.
    fn start_compressor(&mut self) -> io::Result<()> {
        let compressor = Compressor::start(&self.path)?;
        let mut todo = rotation::uncompressed(&self.path)?;
        for (_, rotated) in rotation::compression_temps(&self.path)? {
            if !todo.contains(&rotated) {
                todo.push(rotated);
            }
        }
        for rotated in todo {
            compressor.submit(rotated);
        }
        self.compressor = Some(compressor);
        Ok(())
    }

    /// The live file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn today(&mut self) -> Date {
        let now = self.clock.now_micros();
        if !(self.today.start..self.today.end).contains(&now) {
            self.today = Today::at(now);
        }
        self.today.date
    }

    /// Writes every buffered record, rotating between days as needed.
    ///
    /// A sealed sink holds the seal's lock meanwhile and always checks that
    /// the path still names the open file, since another process writing
    /// the same sealed file may have rotated it.
    fn write_out(&mut self, check_identity: bool) -> io::Result<()> {
        let sealed = self.seal.is_some();
        let mut result = Ok(());
        if sealed && !self.pending.bytes.is_empty() {
            if let Some(sealer) = self.seal.as_mut() {
                result = sealer.begin();
            }
        }
        if result.is_ok() {
            result = self.try_write_out(check_identity || sealed);
        }
        if let Some(sealer) = self.seal.as_mut() {
            sealer.end();
            // A batch sealed on the sealing thread that failed.
            let sealed = sealer.take_failure();
            result = result.and(sealed.map_err(|e| with_path(e, "cannot seal", &self.path)));
        }
        self.failing = result.is_err();
        result
    }

    fn try_write_out(&mut self, check_identity: bool) -> io::Result<()> {
        if self.rotation.compress.is_none() || self.pending.bytes.is_empty() {
            return self.write_pending(check_identity);
        }
        // Held for the whole write: a rotation by another process waits
        // for it, and one that came first is seen below.
        self.holding = true;
        let mut result = match self.live.as_ref() {
            Some(live) => lock(&live.file, FlockOperation::LockShared, &self.path),
            None => Ok(()),
        };
        if result.is_ok() {
            result = self.write_pending(true);
        }
        self.holding = false;
        if let Some(live) = self.live.as_ref() {
            let unlocked = lock(&live.file, FlockOperation::Unlock, &self.path);
            result = result.and(unlocked);
        }
        result
    }

    fn write_pending(&mut self, check_identity: bool) -> io::Result<()> {
        if self.failing || check_identity {
            self.reopen_if_replaced()?;
        }
        let mut size_rotations = 0;
        while let Some(date) = self.pending.first_date() {
            self.ensure_live(date)?;
            if let Some(max) = self.rotation.max_size {
                if self.live_is_full(max.get())? {
                    size_rotations += 1;
                    if size_rotations > ROTATION_ATTEMPTS {
                        return Err(io::Error::other(format!(
                            "cannot rotate {}: it was replaced {ROTATION_ATTEMPTS} times in a \
                             row by another process",
                            self.path.display()
                        )));
                    }
                    let live_date = self.live.as_ref().and_then(|live| live.date);
                    self.rotate(live_date.unwrap_or(date))?;
                    continue;
                }
            }
            let Some(live) = self.live.as_mut() else {
                return Err(io::Error::other("live file missing after opening it"));
            };
            // A late record (of an earlier day) does not make the file older.
            live.date = Some(live.date.map_or(date, |d| d.max(date)));
            self.unsynced = true;
            let Some(sealer) = self.seal.as_mut() else {
                let len = &mut live.len;
                self.pending
                    .write_first_day(&mut live.file, None, |n| *len += n as u64)
                    .map_err(|e| with_path(e, "cannot write", &self.path))?;
                continue;
            };
            let start = live
                .file
                .metadata()
                .map_err(|e| with_path(e, "cannot read", &self.path))?
                .len();
            live.len = start;
            let len = &mut live.len;
            let mut bytes = sealer.take_spare();
            let written = self
                .pending
                .write_first_day(&mut live.file, Some(&mut bytes), |n| *len += n as u64);
            // What reached the file is sealed even when the write failed,
            // on the sealing thread; waited for when every write is synced.
            let sealed = sealer.seal(bytes, start, self.clock.now_micros(), self.sync);
            written.map_err(|e| with_path(e, "cannot write", &self.path))?;
            sealed.map_err(|e| with_path(e, "cannot seal", &self.path))?;
        }
        Ok(())
    }

    /// Whether the live file holds records and the next day's worth of
    /// pending records would take it past `max` bytes. The length is read
    /// again, as another process may share the file.
    fn live_is_full(&mut self, max: u64) -> io::Result<bool> {
        let next = self.pending.first_len() as u64;
        let Some(live) = self.live.as_mut() else {
            return Ok(false);
        };
        live.len = live
            .file
            .metadata()
            .map_err(|e| with_path(e, "cannot read", &self.path))?
            .len();
        Ok(live.len > 0 && live.len.saturating_add(next) > max)
    }

    /// Makes sure a live file is open that records of `date` may go into,
    /// rotating and pruning as the configuration asks.
    fn ensure_live(&mut self, date: Date) -> io::Result<()> {
        if self.live.is_none() {
            self.open_live()?;
        }
        if self.rotation.daily {
            let mut attempts = 0;
            // Only an older live file is rotated: records of an earlier day
            // join a newer file that another process started after midnight.
            while let Some(live_date) = self
                .live
                .as_ref()
                .and_then(|live| live.date)
                .filter(|&d| d < date)
            {
                attempts += 1;
                if attempts > ROTATION_ATTEMPTS {
                    return Err(io::Error::other(format!(
                        "cannot rotate {}: it was replaced {ROTATION_ATTEMPTS} times in a row \
                         by another process",
                        self.path.display()
                    )));
                }
                self.rotate(live_date)?;
            }
        }
        if self.prune_pending {
            if let Some(max_files) = self.rotation.max_files {
                rotation::prune(&self.path, max_files)?;
            }
            self.prune_pending = false;
        }
        Ok(())
    }

    /// Renames the live file after `date` and starts a new one, unless
    /// another process sharing the file rotated it first: then the file now
    /// at the path is opened instead.
    fn rotate(&mut self, date: Date) -> io::Result<()> {
        let Some(live) = self.live.as_mut() else {
            return Ok(());
        };
        let len = live
            .file
            .metadata()
            .map_err(|e| with_path(e, "cannot read", &self.path))?
            .len();
        if len == 0 {
            // Nothing to keep: the empty file simply becomes today's.
            live.date = None;
            return Ok(());
        }
        if self.sync && self.unsynced {
            live.file
                .sync_data()
                .map_err(|e| with_path(e, "cannot sync", &self.path))?;
            self.unsynced = false;
        }
        // Every logward process rotating this file takes the lock on it, so
        // checking that the path still names it and renaming it is one step
        // among them; the lock goes with the descriptor, closed below.
        rustix::fs::flock(&live.file, FlockOperation::LockExclusive)
            .map_err(|e| with_path(e.into(), "cannot lock", &self.path))?;
        if names_file(&self.path, live.dev, live.ino)? {
            match rotation::rotate_to_free_name(&self.path, date) {
                Ok(target) => {
                    if let Some(sealer) = self.seal.as_mut() {
                        sealer.rotated(&target)?;
                    }
                    if let Some(compressor) = self.compressor.as_ref() {
                        compressor.submit(target);
                    }
                }
                // Renamed by another process between the check and the
                // rename (one that does not lock): rotated all the same.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        self.live = None;
        self.pending.file_changed();
        self.prune_pending = true;
        self.open_live()
    }

    /// Reopens the path when the open file is no longer the one at the path
    /// (deleted, or renamed and replaced by someone else).
    fn reopen_if_replaced(&mut self) -> io::Result<()> {
        let Some(live) = self.live.as_ref() else {
            return Ok(());
        };
        if names_file(&self.path, live.dev, live.ino)? {
            Ok(())
        } else {
            self.reopen()
        }
    }

    fn reopen(&mut self) -> io::Result<()> {
        self.live = None;
        self.pending.file_changed();
        self.open_live()
    }

    fn open_live(&mut self) -> io::Result<()> {
        let dir = parent_dir(&self.path);
        create_dirs(dir)?;
        let dir_meta = fs::metadata(dir).map_err(|e| with_path(e, "cannot read", dir))?;
        trust::check_dir(dir, &dir_meta).map_err(io::Error::other)?;
        let (file, created) = open_or_create(&self.path, &dir_meta)?;
        let meta = file
            .metadata()
            .map_err(|e| with_path(e, "cannot read", &self.path))?;
        if created && self.sync {
            sync_dir(dir)?;
        }
        let date = (meta.len() > 0).then(|| Date::from_unix_micros(mtime_micros(&meta)));
        // A process killed in the middle of a write leaves a record cut
        // short: the next one starts on a line of its own.
        self.pending.torn = ends_torn(&self.path, &meta);
        if let Some(sealer) = self.seal.as_mut() {
            sealer.live_opened(meta.dev(), meta.ino())?;
        }
        if self.holding {
            lock(&file, FlockOperation::LockShared, &self.path)?;
        }
        self.live = Some(LiveFile {
            file,
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            date,
        });
        Ok(())
    }
}

/// `flock(2)` on the live file `path` open as `file`.
fn lock(file: &File, operation: FlockOperation, path: &Path) -> io::Result<()> {
    rustix::fs::flock(file, operation).map_err(|e| with_path(e.into(), "cannot lock", path))
}

/// The [`Sink`] contract of the file sink:
///
/// - `append` buffers the record (up to 64 KiB) and writes the buffer out
///   when it is full. It rotates first when the record's UTC day (by the
///   clock, at `append`) is later than the live file's.
/// - `flush` writes the buffer out and, when opened with `sync`, fsyncs the
///   file. It first checks (one `stat`) that the path still names the open
///   file, and reopens or re-creates it if not: records flushed after someone
///   deleted or renamed the file land in a new file at the path, none in the
///   deleted one.
/// - An error from either means some records did not reach the file; they
///   stay buffered, whole, and [`FileSink::take_unwritten`] hands them back
///   for re-routing. A record is never reported both written and unwritten.
///   While failing, every `append` writes through (reopening the path if it
///   changed), so the first success shows that the sink has recovered.
/// - An fsync failure is returned, but the records it concerns were already
///   handed to the kernel and are not among the unwritten ones.
impl Sink for FileSink {
    fn append(&mut self, entry: &Entry<'_>) -> io::Result<()> {
        let date = self.today();
        if let (Some(max), Some(live)) = (self.rotation.max_size, self.live.as_ref()) {
            // What fits in the live file is written out first, so that
            // the size rotation falls between records.
            let buffered = self.pending.bytes.len() as u64;
            let after = live.len + buffered + entry.line.len() as u64 + 1;
            if buffered > 0 && after > max.get() {
                self.write_out(false)?;
            }
        }
        self.pending.push(entry.line, date);
        let capacity = if self.seal.is_some() {
            SEALED_BUFFER_CAPACITY
        } else {
            BUFFER_CAPACITY
        };
        if self.failing || self.pending.bytes.len() >= capacity {
            self.write_out(false)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_out(true)?;
        if self.sync && self.unsynced {
            if let Some(live) = self.live.as_ref() {
                live.file
                    .sync_data()
                    .map_err(|e| with_path(e, "cannot sync", &self.path))?;
            }
            self.unsynced = false;
        }
        Ok(())
    }

    /// Writes out what is buffered, as [`Sink::flush`] does, without the
    /// fsync that `LOG_SYNC=always` adds to it.
    fn flush_without_sync(&mut self) -> io::Result<()> {
        self.write_out(true)
    }

    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }

    /// Hands back, and forgets, every record that has not reached the file,
    /// oldest first, as complete JSON lines — including the record of an
    /// `append` that failed, which the sink keeps.
    ///
    /// A record of which only a part was written is returned whole; the sink
    /// then starts its next write in that file on a new line, leaving the
    /// fragment as one unparseable line. Without this call the sink keeps the
    /// records and retries them on the next append or flush.
    fn take_unwritten(&mut self) -> Vec<u8> {
        self.pending.take()
    }

    /// A rotated file that could not be compressed (it stays as written).
    fn take_problem(&mut self) -> Option<String> {
        self.compressor.as_ref()?.take_problem()
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        if !self.pending.bytes.is_empty() {
            // Nowhere is left to report a failure; owners flush before dropping.
            let _ = self.write_out(false);
        }
    }
}

/// Records not yet in the file: whole JSON lines, grouped by UTC day so that a
/// rotation can fall between them.
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    /// `(end, date)`: records up to byte `end` (from the previous group's
    /// end) belong to `date`. Consecutive groups have different dates.
    days: VecDeque<(usize, Date)>,
    /// How many bytes of the first record are already in the current file
    /// (a write stopped inside it).
    written: usize,
    /// The current file ends in a fragment of a record handed back by
    /// [`Pending::take`]: write a newline before the next record.
    torn: bool,
}

impl Pending {
    fn push(&mut self, line: &[u8], date: Date) {
        if self.bytes.is_empty() {
            self.bytes.reserve(BUFFER_CAPACITY);
        }
        self.bytes.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            self.bytes.push(b'\n');
        }
        let end = self.bytes.len();
        match self.days.back_mut() {
            Some((last_end, last_date)) if *last_date == date => *last_end = end,
            _ => self.days.push_back((end, date)),
        }
    }

    fn first_date(&self) -> Option<Date> {
        self.days.front().map(|&(_, date)| date)
    }

    /// Bytes of the first day's records still to write.
    fn first_len(&self) -> usize {
        self.days
            .front()
            .map_or(0, |&(end, _)| end.saturating_sub(self.written))
    }

    /// Writes the records of the first day to `out`, then forgets them. On
    /// error, forgets the records that were written whole and keeps the rest.
    /// `written` is given the number of bytes that reached `out`; `sealed`
    /// (of a sealed file, empty) is given those bytes: the buffer itself
    /// when it was written out whole (the pending records go on in the
    /// buffer `sealed` held), else a copy.
    fn write_first_day(
        &mut self,
        out: &mut impl Write,
        mut sealed: Option<&mut Vec<u8>>,
        mut written: impl FnMut(usize),
    ) -> io::Result<()> {
        let Some(&(end, _)) = self.days.front() else {
            return Ok(());
        };
        let torn = self.torn;
        if torn {
            out.write_all(b"\n")?;
            written(1);
            if let Some(sealed) = sealed.as_deref_mut() {
                sealed.push(b'\n');
            }
            self.torn = false;
        }
        let from = self.written;
        let (n, result) = write_counted(out, &self.bytes[from..end]);
        written(n);
        if let Some(sealed) = sealed {
            if !torn && from == 0 && n == self.bytes.len() {
                std::mem::swap(sealed, &mut self.bytes);
                self.days.clear();
                return result;
            }
            sealed.extend_from_slice(&self.bytes[from..from + n]);
        }
        self.written += n;
        match result {
            Ok(()) => {
                self.forget(end);
                self.days.pop_front();
                Ok(())
            }
            Err(e) => {
                self.forget_written_records();
                Err(e)
            }
        }
    }

    /// Drops the records that are wholly in the file after a failed write.
    fn forget_written_records(&mut self) {
        let whole = self.bytes[..self.written]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        self.forget(whole);
    }

    /// Drops the first `n` bytes, which end on a record boundary.
    fn forget(&mut self, n: usize) {
        self.bytes.drain(..n);
        self.written -= n;
        for (end, _) in &mut self.days {
            *end -= n;
        }
    }

    /// The file was switched: a record partly written to the old one is
    /// written whole to the new one.
    fn file_changed(&mut self) {
        self.written = 0;
        self.torn = false;
    }

    fn take(&mut self) -> Vec<u8> {
        if self.written > 0 {
            self.torn = true;
        }
        self.written = 0;
        self.days.clear();
        mem::take(&mut self.bytes)
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Creates `dir` and its missing parents with mode 0750, independent of the
/// umask. Existing directories keep their mode.
fn create_dirs(dir: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut current = dir;
    loop {
        match fs::metadata(current) {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::NotFound => missing.push(current),
            Err(e) => return Err(with_path(e, "cannot read", current)),
        }
        match current.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => current = parent,
            _ => break,
        }
    }
    for dir in missing.into_iter().rev() {
        match DirBuilder::new().mode(DIR_MODE).create(dir) {
            Ok(()) => fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))
                .map_err(|e| with_path(e, "cannot set the mode of", dir))?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(with_path(e, "cannot create directory", dir)),
        }
    }
    Ok(())
}

/// Whether `path` itself (not a link's target) is the file `dev`/`ino`; a
/// missing path is not.
fn names_file(path: &Path, dev: u64, ino: u64) -> io::Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(meta) => Ok(meta.dev() == dev && meta.ino() == ino),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(with_path(e, "cannot read", path)),
    }
}

/// Opens `path` for appending, creating it with mode 0640 (independent of
/// the umask) if it does not exist; an existing file must pass the `trust`
/// checks (`dir` is its directory's metadata). Returns whether it was
/// created.
fn open_or_create(path: &Path, dir: &fs::Metadata) -> io::Result<(File, bool)> {
    // Another process may create or delete the file between our two
    // attempts; a few rounds settle it.
    for _ in 0..3 {
        // `create_new` (O_EXCL) never follows a symbolic link: one at the
        // path is "already exists", and the open below refuses it.
        match OpenOptions::new()
            .append(true)
            .create_new(true)
            .mode(FILE_MODE)
            .open(path)
        {
            Ok(file) => {
                file.set_permissions(Permissions::from_mode(FILE_MODE))
                    .map_err(|e| with_path(e, "cannot set the mode of", path))?;
                return Ok((file, true));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(with_path(e, "cannot create", path)),
        }
        match trust::open_existing(path, dir) {
            Ok(file) => return Ok((file, false)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "cannot open {}: it keeps appearing and disappearing",
        path.display()
    )))
}

/// Whether the file `path` (whose descriptor's metadata is `meta`) is not
/// empty and does not end in a newline: the last record of a writer killed
/// in the middle of a write. Read through a descriptor of its own, as the
/// sink's is append-only; a file that cannot be read is taken as whole.
fn ends_torn(path: &Path, meta: &fs::Metadata) -> bool {
    if meta.len() == 0 {
        return false;
    }
    let Ok(file) = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    else {
        return false;
    };
    let same = file
        .metadata()
        .is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino());
    let mut last = [0u8];
    same && file.read_exact_at(&mut last, meta.len() - 1).is_ok() && last[0] != b'\n'
}

/// Writes `bytes` to `out` until all are written or a write fails: how many
/// reached it, and the error if one did.
fn write_counted(out: &mut impl Write, bytes: &[u8]) -> (usize, io::Result<()>) {
    let mut done = 0;
    while done < bytes.len() {
        match out.write(&bytes[done..]) {
            Ok(0) => return (done, Err(io::ErrorKind::WriteZero.into())),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (done, Err(e)),
        }
    }
    (done, Ok(()))
}

/// Opens (creating if needed, mode 0640) the seal file `path`, under the
/// same rules as the log file beside it.
fn open_seal(path: &Path) -> io::Result<File> {
    let dir = parent_dir(path);
    let dir_meta = fs::metadata(dir).map_err(|e| with_path(e, "cannot read", dir))?;
    open_or_create(path, &dir_meta).map(|(file, _)| file)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| with_path(e, "cannot sync directory", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    /// Accepts `room` bytes, then fails as a full disk would.
    struct FillingWriter {
        data: Vec<u8>,
        room: usize,
    }

    impl Write for FillingWriter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::Error::from_raw_os_error(28));
            }
            let n = buf.len().min(self.room);
            self.data.extend_from_slice(&buf[..n]);
            self.room -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn pending_groups_records_by_day() {
        let mut pending = Pending::default();
        pending.push(b"a\n", day("2026-01-01"));
        pending.push(b"b\n", day("2026-01-01"));
        pending.push(b"c\n", day("2026-01-02"));
        let mut out = FillingWriter {
            data: Vec::new(),
            room: usize::MAX,
        };
        assert_eq!(pending.first_date(), Some(day("2026-01-01")));
        pending.write_first_day(&mut out, None, |_| {}).unwrap();
        assert_eq!(out.data, b"a\nb\n");
        assert_eq!(pending.first_date(), Some(day("2026-01-02")));
        pending.write_first_day(&mut out, None, |_| {}).unwrap();
        assert_eq!(out.data, b"a\nb\nc\n");
        assert_eq!(pending.first_date(), None);
    }

    #[test]
    fn partial_write_keeps_the_torn_record_for_retry() {
        let mut pending = Pending::default();
        for line in ["one\n", "two\n", "three\n"] {
            pending.push(line.as_bytes(), day("2026-01-01"));
        }
        let mut out = FillingWriter {
            data: Vec::new(),
            room: 6,
        };
        assert!(pending.write_first_day(&mut out, None, |_| {}).is_err());
        assert_eq!(out.data, b"one\ntw");
        // Retrying into the same file completes the record in place.
        out.room = usize::MAX;
        pending.write_first_day(&mut out, None, |_| {}).unwrap();
        assert_eq!(out.data, b"one\ntwo\nthree\n");
        assert!(pending.bytes.is_empty());
    }

    #[test]
    fn partial_write_then_take_returns_whole_records_and_separates_the_fragment() {
        let mut pending = Pending::default();
        for line in ["one\n", "two\n", "three\n"] {
            pending.push(line.as_bytes(), day("2026-01-01"));
        }
        let mut out = FillingWriter {
            data: Vec::new(),
            room: 6,
        };
        assert!(pending.write_first_day(&mut out, None, |_| {}).is_err());
        assert_eq!(pending.take(), b"two\nthree\n");
        out.room = usize::MAX;
        pending.push(b"four\n", day("2026-01-01"));
        pending.write_first_day(&mut out, None, |_| {}).unwrap();
        assert_eq!(out.data, b"one\ntw\nfour\n");
    }

    #[test]
    fn switching_files_rewrites_a_torn_record_whole() {
        let mut pending = Pending::default();
        pending.push(b"one\n", day("2026-01-01"));
        pending.push(b"two\n", day("2026-01-01"));
        let mut first = FillingWriter {
            data: Vec::new(),
            room: 6,
        };
        assert!(pending.write_first_day(&mut first, None, |_| {}).is_err());
        pending.file_changed();
        let mut second = FillingWriter {
            data: Vec::new(),
            room: usize::MAX,
        };
        pending.write_first_day(&mut second, None, |_| {}).unwrap();
        assert_eq!(second.data, b"two\n");
    }

    #[test]
    fn lines_without_newline_are_terminated() {
        let mut pending = Pending::default();
        pending.push(b"{}", day("2026-01-01"));
        assert_eq!(pending.take(), b"{}\n");
    }
}

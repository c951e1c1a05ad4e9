//! Where records are read from, and a source as a stream of wanted records.
//!
//! The caller names the sources (the configuration knows where each log
//! type goes): the journal, or a file sink's live file with its rotated
//! siblings. Each source becomes a [`SourceStream`]: the lines of the source
//! (see the `journal` and `files` modules), judged by the request, yielding
//! the selected records in the source's own order and counting the rest.
//!
//! A source that cannot be read, wholly or in part, is not fatal: what went
//! wrong is kept in its [`SourceReport`] and the other sources are bundled.
//!
//! A source is nearly, not exactly, in `created_at` order: a service's
//! threads take their records' times before they queue them, so a batch
//! (and the journal, which keeps entries in the order they arrive) can hold
//! a record just before one created a moment earlier, by another thread or
//! another process; and same-day rotated siblings (`.1`) may overlap at
//! their edges. Each source is therefore read through a reorder window:
//! the stream holds up to [`REORDER_RECORDS`] records (and at most
//! [`REORDER_BYTES`] of them) and always yields the earliest it holds. A
//! record that comes more than a window late is yielded where it is
//! found, and counted in the report's `out_of_order`.
//!
//! A stream is read one record at a time ([`Cursor::advance`]); the
//! record moved to is lent out of the window (see the `window` module) until
//! the next move, so a kept line is copied once and not allocated: into the
//! window when the source is judged on the caller's thread, into a batch
//! that becomes a segment of the window when it is judged on a thread of
//! its own (see the `ahead` module).

use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::thread::Scope;

use serde::{Serialize, Serializer};

use super::ahead::Ahead;
use super::files::FileLines;
use super::filter::{Head, Verdict, judge};
use super::journal::{JournalLines, JournalReport};
use super::lines::Status;
use super::merge::Cursor;
use super::request::BundleRequest;
use super::window::Window;
use crate::journal::Trust;
use logward::LogType;

/// A place to read records from.
///
/// A source yields only records whose log type is both selected by the
/// request and listed in its `log_types`: list the types that the
/// configuration routes there. Several types may share one file; list it
/// once with all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The systemd journal, read with `journalctl`.
    Journal {
        /// The types to read (`LOG_TYPE=` matches).
        log_types: Vec<LogType>,
        /// Further `FIELD=value` matches that every entry must also satisfy
        /// (e.g. `_HOSTNAME=web-1`); the same field given twice matches
        /// either value, as in `journalctl`.
        extra_matches: Vec<String>,
        /// Whose entries are records; the others are counted and left out.
        trust: Trust,
    },
    /// A file sink: its live file and rotated siblings (see
    /// [`rotated_files`](logward::sink::rotated_files)).
    Files {
        /// The live file's path, as configured.
        path: PathBuf,
        /// The types written to it.
        log_types: Vec<LogType>,
    },
}

impl Source {
    /// The journal, for `log_types`, without further matches, trusting
    /// only root's entries.
    pub fn journal(log_types: impl Into<Vec<LogType>>) -> Source {
        Source::Journal {
            log_types: log_types.into(),
            extra_matches: Vec::new(),
            trust: Trust::root_only(),
        }
    }

    /// The file sink writing `path`, for `log_types`.
    pub fn files(path: impl Into<PathBuf>, log_types: impl Into<Vec<LogType>>) -> Source {
        Source::Files {
            path: path.into(),
            log_types: log_types.into(),
        }
    }

    /// The types this source is read for.
    pub fn log_types(&self) -> &[LogType] {
        match self {
            Source::Journal { log_types, .. } | Source::Files { log_types, .. } => log_types,
        }
    }
}

/// Whether `path` is, or could be, one of the files of the file sink
/// writing `live`: the live file or a name of the rotated pattern beside it
/// (the same directory, even through another spelling or a symlink).
/// Writing a bundle there would replace logs.
pub fn is_sink_file(live: &Path, path: &Path) -> bool {
    let (Some(name), Some(live_name)) = (path.file_name(), live.file_name()) else {
        return false;
    };
    let same_dir = match (canonical_dir(path), canonical_dir(live)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    let mut rotated_prefix = live_name.as_bytes().to_vec();
    rotated_prefix.push(b'.');
    same_dir && (name == live_name || name.as_bytes().starts_with(&rotated_prefix))
}

/// The canonical form of the directory `path` is in.
fn canonical_dir(path: &Path) -> Option<PathBuf> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    dir.canonicalize().ok()
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Journal { extra_matches, .. } if extra_matches.is_empty() => {
                f.write_str("journal")
            }
            Source::Journal { extra_matches, .. } => {
                write!(f, "journal ({})", extra_matches.join(" "))
            }
            Source::Files { path, .. } => write!(f, "file {}", path.display()),
        }
    }
}

/// What reading one source gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SourceReport {
    /// The source, e.g. `journal` or `file /var/log/app/audit.log`.
    pub source: String,
    /// The types it was read for (selected and routed there).
    #[serde(serialize_with = "type_names")]
    pub log_types: Vec<LogType>,
    /// The files opened, oldest first (empty for the journal).
    pub files: Vec<PathBuf>,
    /// Records selected and bundled.
    pub records: u64,
    /// Records read but not selected (other dates, types or levels).
    pub filtered: u64,
    /// Lines that are not records: malformed, truncated, too long, or valid
    /// JSON without the record's fields.
    pub skipped: u64,
    /// Records bundled after a later one of the same source, because they
    /// came more than the reorder window late (see the module docs).
    pub out_of_order: u64,
    /// What could not be read, one message each; the rest was still bundled.
    pub errors: Vec<String>,
    /// For the journal: whom it trusted, the sender of every record
    /// bundled, and the entries of other senders left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal: Option<JournalReport>,
}

fn type_names<S: Serializer>(types: &[LogType], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(types.iter().map(|t| t.as_str()))
}

/// A selected record: its head and its original line, without the newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) head: Head,
    pub(crate) line: Vec<u8>,
}

impl Record {
    /// The record, borrowed.
    pub(crate) fn view(&self) -> RecordRef<'_> {
        RecordRef {
            head: self.head,
            line: &self.line,
        }
    }
}

/// A selected record whose line is lent by where it is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordRef<'a> {
    pub(crate) head: Head,
    pub(crate) line: &'a [u8],
}

/// The lines of a source; read errors go into the report.
pub(crate) trait LineSource {
    /// Moves to the next line. Errors are added to `report` and reading goes
    /// on where it can (the next file), else ends.
    fn advance(&mut self, report: &mut SourceReport) -> Status;

    /// The current line after [`LineSource::advance`] returned [`Status::Line`].
    fn line(&self) -> &[u8];

    /// The current line was selected as a record: note what the report
    /// says about each record (the journal's senders).
    fn kept(&mut self, _report: &mut SourceReport) {}
}

/// Most records a source's reorder window holds.
pub const REORDER_RECORDS: usize = 16 * 1024;

/// Most bytes of records a source's reorder window holds (16 MiB); it
/// always holds at least one record.
pub const REORDER_BYTES: usize = 16 * 1024 * 1024;

/// A source's lines, judged: its selected records, in the source's order,
/// with the report of what was read.
pub(crate) struct Judged<'r> {
    lines: Box<dyn LineSource + Send>,
    request: &'r BundleRequest,
    report: SourceReport,
}

impl<'r> Judged<'r> {
    /// Starts reading `source` for `request`. A source with no selected
    /// type is not opened at all.
    fn open(source: &Source, request: &'r BundleRequest) -> Judged<'r> {
        let log_types: Vec<LogType> = request
            .types()
            .iter()
            .copied()
            .filter(|t| source.log_types().contains(t))
            .collect();
        let mut report = SourceReport {
            source: source.to_string(),
            ..SourceReport::default()
        };
        let lines: Box<dyn LineSource + Send> = if log_types.is_empty() {
            Box::new(NoLines)
        } else {
            match source {
                Source::Journal {
                    extra_matches,
                    trust,
                    ..
                } => Box::new(JournalLines::spawn(
                    request,
                    &log_types,
                    extra_matches,
                    trust,
                    &mut report,
                )),
                Source::Files { path, .. } => Box::new(FileLines::open(path, request, &mut report)),
            }
        };
        report.log_types = log_types;
        Judged {
            lines,
            request,
            report,
        }
    }

    /// The next selected record, lent until the next call; `None` at the
    /// end of the source.
    pub(crate) fn next(&mut self) -> Option<RecordRef<'_>> {
        loop {
            match self.lines.advance(&mut self.report) {
                Status::End => return None,
                Status::TooLong => self.report.skipped += 1,
                Status::Line => {
                    match judge(self.lines.line(), self.request, &self.report.log_types) {
                        Verdict::Keep(head) => {
                            self.report.records += 1;
                            self.lines.kept(&mut self.report);
                            return Some(RecordRef {
                                head,
                                line: self.lines.line(),
                            });
                        }
                        Verdict::Drop => self.report.filtered += 1,
                        Verdict::Malformed => self.report.skipped += 1,
                    }
                }
            }
        }
    }

    /// What reading the source gave.
    pub(crate) fn into_report(self) -> SourceReport {
        self.report
    }
}

/// Where a stream's selected records are judged.
enum Judging<'s> {
    /// On the caller's thread.
    Here(Judged<'s>),
    /// On a thread of their own, received in batches.
    Ahead(Ahead<'s>),
}

/// A source being read: its selected records, in `created_at` order within
/// the reorder window.
pub(crate) struct SourceStream<'s> {
    judging: Judging<'s>,
    window: Window,
    exhausted: bool,
    last_out: Option<i64>,
    out_of_order: u64,
}

impl<'s> SourceStream<'s> {
    /// Starts reading `source` for `request` on the caller's thread.
    pub(crate) fn open(source: &Source, request: &'s BundleRequest) -> SourceStream<'s> {
        SourceStream::judged(Judging::Here(Judged::open(source, request)))
    }

    /// Starts reading `source` for `request`, its lines read and judged on
    /// a thread of `scope` (see the `ahead` module); the reorder window
    /// stays on the caller's thread.
    pub(crate) fn spawn<'env>(
        scope: &'s Scope<'s, 'env>,
        source: &Source,
        request: &'s BundleRequest,
    ) -> SourceStream<'s> {
        let judged = Judged::open(source, request);
        SourceStream::judged(Judging::Ahead(Ahead::spawn(scope, judged)))
    }

    fn judged(judging: Judging<'s>) -> SourceStream<'s> {
        SourceStream {
            judging,
            window: Window::default(),
            exhausted: false,
            last_out: None,
            out_of_order: 0,
        }
    }

    /// The report, once reading is over (or stopped early: a thread
    /// judging the source stops at its next batch).
    pub(crate) fn into_report(self) -> SourceReport {
        let mut report = match self.judging {
            Judging::Here(judged) => judged.into_report(),
            Judging::Ahead(ahead) => ahead.into_report(),
        };
        report.out_of_order = self.out_of_order;
        report
    }

    /// Adds the next selected record of the source (on a thread: the next
    /// batch of them), in the source's order, to the window; `false` at
    /// the end.
    fn read_more(&mut self) -> bool {
        match &mut self.judging {
            Judging::Here(judged) => match judged.next() {
                Some(record) => self.window.push(record.head, record.line),
                None => return false,
            },
            Judging::Ahead(ahead) => {
                let Some(mut batch) = ahead.receive() else {
                    return false;
                };
                self.window
                    .push_lines(std::mem::take(&mut batch.bytes), &batch.records);
                if let Some(bytes) = self.window.spare_segment() {
                    batch.bytes = bytes;
                    ahead.give_back(batch);
                }
            }
        }
        true
    }
}

impl Cursor for SourceStream<'_> {
    /// Moves to the earliest record of the window, after filling it;
    /// `false` at the end of the source.
    fn advance(&mut self) -> bool {
        while !self.exhausted
            && self.window.len() < REORDER_RECORDS
            && (self.window.len() == 0 || self.window.bytes() < REORDER_BYTES)
        {
            self.exhausted = !self.read_more();
        }
        if !self.window.take() {
            return false;
        }
        if let Some(record) = self.window.taken() {
            let time = record.head.created_at;
            match self.last_out {
                Some(last) if time < last => self.out_of_order += 1,
                _ => self.last_out = Some(time),
            }
        }
        true
    }

    /// The record moved to, until the next [`Cursor::advance`].
    fn current(&self) -> Option<RecordRef<'_>> {
        self.window.taken()
    }
}

/// A source with nothing to read.
struct NoLines;

impl LineSource for NoLines {
    fn advance(&mut self, _report: &mut SourceReport) -> Status {
        Status::End
    }

    fn line(&self) -> &[u8] {
        &[]
    }
}

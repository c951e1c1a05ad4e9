//! `logward bundle`: collect records from every source, filter them, merge
//! them in time order and write them out.
//!
//! The steps, each in its own module:
//!
//! 1. `request`: the raw options become a [`BundleRequest`] (bounds, types,
//!    levels, output) or a [`BundleUsageError`], before any work; `dates`
//!    reads the date forms, `select` the selectors by sender and field
//!    (`logward show` selects through the same request);
//! 2. `source`, `journal`, `files`, `lines`: each [`Source`] is read as a
//!    stream of lines (`journalctl` output, or a file sink's files oldest
//!    first), lines longer than 16 MiB skipped, and put in `created_at`
//!    order through a bounded reorder window;
//! 3. `filter`, `head`, `validate`: each line is read just enough to know
//!    its `created_at`, level and log type (by position when it has the
//!    runtime's layout, then validated; else with `serde_json`); lines that
//!    are not records are counted and skipped, never fatal;
//! 4. `ahead`, `merge`: with several sources each is read and judged on a
//!    thread of its own, handing batches of selected lines over a bounded
//!    channel to its reorder window on the bundle's thread, which keeps
//!    each batch as one of its segments; a k-way merge yields the records
//!    of all sources in `created_at` order, holding one record per source;
//! 5. `output`, `archive`: JSON lines on stdout or in a file, or a `.tar.gz`
//!    with a member per log type and a manifest, written through a
//!    temporary file and renamed into place;
//! 6. `progress`: a progress line on a terminal's stderr for long bundles.
//!
//! Records are passed through as their original bytes. Memory stays
//! bounded: each source's reorder window (16,384 records or 16 MiB, and
//! with several sources the batch that went past either, in reused 1 MiB
//! segments), with several sources each one's batches in flight (at most
//! five of 1,024 records or 1 MiB), plus I/O buffers.
//!
//! ```no_run
//! use logward::LogType;
//! use logward_cli::{Bundler, BundleRequest, RawBundleArgs, Source};
//!
//! let request = BundleRequest::from_raw(RawBundleArgs {
//!     date_from: Some("2026-11-20".into()),
//!     log_type: Some("audit".into()),
//!     ..RawBundleArgs::default()
//! })?;
//! let summary = Bundler::new(vec![
//!     Source::journal(LogType::ALL),
//!     Source::files("/var/log/app/audit.log", [LogType::Audit]),
//! ])
//! .run(&request)?;
//! eprintln!("{} records", summary.records);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ahead;
mod archive;
mod dates;
mod export;
mod files;
mod filter;
mod head;
mod journal;
mod lines;
mod merge;
mod output;
mod progress;
mod redact;
mod request;
mod routing;
mod scan;
mod select;
mod source;
mod validate;
mod window;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use serde::{Serialize, Serializer};

pub use archive::ArchiveMember;
pub use export::export_record;
#[cfg(test)]
pub(crate) use filter::parse_head;
pub(crate) use filter::{Verdict, judge, parse_created_at};
pub(crate) use journal::JournalLines;
pub use journal::JournalReport;
pub use lines::{LineReader, MAX_LINE, Status as LineStatus};
pub(crate) use merge::Merge;
pub use output::WrittenTo;
pub use request::{BundleOutput, BundleRequest, BundleUsageError, RawBundleArgs};
pub use routing::{bundle_sources, configured_log_files, selected_sources};
pub use source::{REORDER_BYTES, REORDER_RECORDS, Source, SourceReport, is_sink_file};

use archive::ManifestInput;
use output::{Flow, Output};
use progress::Progress;
pub(crate) use source::{LineSource, Record, RecordRef, SourceStream};

use logward::{Clock, Error, ErrorKind, Level, LogType, Result, SystemClock};

/// Makes bundles from a fixed set of sources.
#[derive(Debug, Clone)]
pub struct Bundler {
    sources: Vec<Source>,
    log_files: Vec<PathBuf>,
    config: Option<(String, String)>,
    progress: Option<bool>,
    sealed: Vec<crate::verify::SealedLog>,
    redact: Option<PathBuf>,
}

impl Bundler {
    /// A bundler reading `sources`, in this order (it decides the order of
    /// records with equal `created_at`).
    pub fn new(sources: Vec<Source>) -> Self {
        Bundler {
            sources,
            log_files: Vec::new(),
            config: None,
            progress: None,
            sealed: Vec::new(),
            redact: None,
        }
    }

    /// Further log files a bundle must never be written over, nor their
    /// rotated siblings, whether or not they are read: every file sink of
    /// the configuration ([`configured_log_files`]). The files of the
    /// sources are never written over either.
    #[must_use]
    pub fn with_log_files(mut self, files: impl IntoIterator<Item = PathBuf>) -> Self {
        self.log_files.extend(files);
        self
    }

    /// The effective configuration, rendered as text, and its fingerprint:
    /// a compressed bundle carries the text as `config.txt` and the
    /// fingerprint in its manifest.
    #[must_use]
    pub fn with_config(mut self, text: impl Into<String>, fingerprint: impl Into<String>) -> Self {
        self.config = Some((text.into(), fingerprint.into()));
        self
    }

    /// Sealed logs whose files and seals a compressed bundle carries (see
    /// [`crate::verify::sealed_logs`]).
    #[must_use]
    pub fn with_sealed(mut self, sealed: Vec<crate::verify::SealedLog>) -> Self {
        self.sealed = sealed;
        self
    }

    /// Redacts a compressed bundle (the `redact` module), writing the
    /// mapping back to `mapping`.
    #[must_use]
    pub fn with_redaction(mut self, mapping: PathBuf) -> Self {
        self.redact = Some(mapping);
        self
    }

    /// Whether to show progress on stderr. By default it is shown when
    /// stderr is a terminal and the records do not go to a terminal.
    #[must_use]
    pub fn with_progress(mut self, enabled: bool) -> Self {
        self.progress = Some(enabled);
        self
    }

    /// Makes the bundle `request` asks for, writing to the process's stdout
    /// for [`BundleOutput::Stdout`].
    ///
    /// Sources that cannot be read are reported in the summary, not as
    /// errors; an error means the output could not be written.
    pub fn run(&self, request: &BundleRequest) -> Result<BundleSummary> {
        let stdout = std::io::stdout();
        let to_terminal = stdout.is_terminal();
        self.run_with(request, &mut stdout.lock(), to_terminal)
    }

    /// As [`Bundler::run`], with `stdout` in place of the process's stdout.
    pub fn run_to(&self, request: &BundleRequest, stdout: &mut dyn Write) -> Result<BundleSummary> {
        self.run_with(request, stdout, false)
    }

    fn run_with(
        &self,
        request: &BundleRequest,
        stdout: &mut dyn Write,
        stdout_is_terminal: bool,
    ) -> Result<BundleSummary> {
        let generated_at = SystemClock.now_micros();
        let records_on_terminal =
            stdout_is_terminal && matches!(request.output(), BundleOutput::Stdout);
        let mut progress = Progress::new(
            self.progress
                .unwrap_or_else(|| std::io::stderr().is_terminal() && !records_on_terminal),
        );
        if let BundleOutput::File { path, .. } = request.output() {
            let source_file = self.sources.iter().find_map(|s| match s {
                Source::Files { path: live, .. } if source::is_sink_file(live, path) => Some(live),
                _ => None,
            });
            let configured = || {
                self.log_files
                    .iter()
                    .find(|live| source::is_sink_file(live, path))
            };
            if let Some(live) = source_file.or_else(configured) {
                return Err(Error::new(
                    ErrorKind::Bundle,
                    format!(
                        "will not write the bundle to {}: it is a log file, or a rotated file, \
                         of the file sink writing {}; choose a path outside the log files",
                        path.display(),
                        live.display()
                    ),
                )
                .with_path(path));
            }
        }
        // The output first: an unwritable destination fails before any
        // source is opened.
        let mut output = Output::open(request, stdout)?;
        let several = self.sources.len() > 1;
        let (mut counts, sources) = std::thread::scope(|scope| -> Result<_> {
            let streams = self
                .sources
                .iter()
                .map(|source| {
                    if several {
                        SourceStream::spawn(scope, source, request)
                    } else {
                        SourceStream::open(source, request)
                    }
                })
                .collect();
            let mut merge = Merge::new(streams);
            let mut counts = Counts::new(request);
            while let Some(record) = merge.next_record() {
                if output.write(record)? == Flow::Closed {
                    break;
                }
                counts.add(record);
                progress.update(counts.records, counts.bytes);
            }
            let sources: Vec<SourceReport> = merge
                .into_streams()
                .into_iter()
                .map(SourceStream::into_report)
                .collect();
            Ok((counts, sources))
        })?;
        progress.finish();
        counts.skipped = sources.iter().map(|s| s.skipped).sum();
        let hostname = rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned();
        let written = output.finish(&ManifestInput {
            request,
            hostname: &hostname,
            generated_at,
            config: self.config.as_ref(),
            counts: &counts,
            sources: &sources,
            sealed: &self.sealed,
            redact: self.redact.as_deref(),
        })?;
        Ok(BundleSummary {
            records: counts.records,
            bytes: counts.bytes,
            per_type: counts.per_type,
            per_level: counts.per_level,
            skipped: counts.skipped,
            sources,
            written,
        })
    }
}

/// What a bundle holds and where it went; what the CLI prints and the
/// `logs_exported` audit record reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BundleSummary {
    /// Records written.
    pub records: u64,
    /// Bytes of those records as JSON lines (before compression).
    pub bytes: u64,
    /// Records per selected log type, in [`LogType::ALL`] order.
    #[serde(serialize_with = "named_counts")]
    pub per_type: Vec<(LogType, u64)>,
    /// Records per selected level, lowest first.
    #[serde(serialize_with = "named_counts")]
    pub per_level: Vec<(Level, u64)>,
    /// Lines skipped because they were not records, over all sources.
    pub skipped: u64,
    /// Each source read, with its counts and errors.
    pub sources: Vec<SourceReport>,
    /// Where the records went.
    pub written: WrittenTo,
}

impl BundleSummary {
    /// Whether stdout was closed by its reader before the end (`| head`):
    /// the bundle stopped early, which the CLI treats as success.
    pub fn closed_early(&self) -> bool {
        matches!(self.written, WrittenTo::Stdout { closed_early: true })
    }

    /// Whether some source could not be read, wholly or in part.
    pub fn has_source_errors(&self) -> bool {
        self.sources.iter().any(|s| !s.errors.is_empty())
    }
}

fn named_counts<S, K>(counts: &[(K, u64)], serializer: S) -> std::result::Result<S::Ok, S::Error>
where
    S: Serializer,
    K: std::fmt::Display,
{
    serializer.collect_map(counts.iter().map(|(k, n)| (k.to_string(), n)))
}

/// Running totals of the records written.
pub(crate) struct Counts {
    pub(crate) records: u64,
    pub(crate) bytes: u64,
    pub(crate) skipped: u64,
    pub(crate) per_type: Vec<(LogType, u64)>,
    pub(crate) per_level: Vec<(Level, u64)>,
}

impl Counts {
    fn new(request: &BundleRequest) -> Self {
        Counts {
            records: 0,
            bytes: 0,
            skipped: 0,
            per_type: request.types().iter().map(|&t| (t, 0)).collect(),
            per_level: request.levels().iter().map(|&l| (l, 0)).collect(),
        }
    }

    fn add(&mut self, record: RecordRef<'_>) {
        self.records += 1;
        self.bytes += record.line.len() as u64 + 1;
        if let Some((_, n)) = self
            .per_type
            .iter_mut()
            .find(|(t, _)| *t == record.head.log_type)
        {
            *n += 1;
        }
        if let Some((_, n)) = self
            .per_level
            .iter_mut()
            .find(|(l, _)| *l == record.head.level)
        {
            *n += 1;
        }
    }
}

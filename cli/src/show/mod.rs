//! `logward show`: records for a person to read, like `journalctl`.
//!
//! `show` reads exactly what `bundle` reads, through the same pieces: the
//! sources of [`selected_sources`](crate::selected_sources), each read as a
//! stream of the records the [`BundleRequest`] selects (trusted journal
//! senders only), merged in `created_at` order. What differs is the end:
//! the records are printed for reading ([`Style`], the `format` module),
//! and with `--follow` the sources are followed (the `follow` module).
//!
//! `show` is read-only: it writes no record, no file and no state.
//! `bundle` records every export as a `logs_exported` audit record,
//! because a bundle is a copy of the logs that leaves the log's
//! permissions behind; `show` prints to the operator who could already
//! read the logs, as `journalctl` and `less` do, and works where nothing
//! can be written (a read-only root, a user of the `adm` group without
//! write access to the log, a full disk). Copies that must be accounted
//! for are made with `bundle`.
//!
//! A reader that goes away (`show | head`) ends the output quietly.

mod follow;
mod format;

use std::io::{self, Write};
use std::os::fd::BorrowedFd;

pub use format::{OutputMode, Style};

use crate::bundle::{Merge, SourceStream};
use crate::{BundleRequest, Source, SourceReport};

/// What printing the selected records gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShowSummary {
    /// Records printed.
    pub records: u64,
    /// Whether the reader went away before the end.
    pub closed_early: bool,
    /// Each source read, with its counts and errors.
    pub sources: Vec<SourceReport>,
}

/// Prints the records of `sources` that `request` selects to `out`, in
/// `created_at` order, as `style` says, and ends.
///
/// # Errors
///
/// When `out` cannot be written for another reason than its reader going
/// away. Sources that cannot be read are reported in the summary.
pub fn show(
    sources: &[Source],
    request: &BundleRequest,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<ShowSummary> {
    let streams = sources
        .iter()
        .map(|source| SourceStream::open(source, request))
        .collect();
    let mut merge = Merge::new(streams);
    let mut summary = ShowSummary::default();
    let mut buf = Vec::with_capacity(64 * 1024);
    while let Some(record) = merge.next_record() {
        style.write(record, &mut buf);
        summary.records += 1;
        if buf.len() >= 32 * 1024 && write(out, &mut buf)? == Written::Closed {
            summary.closed_early = true;
            break;
        }
    }
    if !summary.closed_early && write(out, &mut buf)? == Written::Closed {
        summary.closed_early = true;
    }
    summary.sources = merge
        .into_streams()
        .into_iter()
        .map(SourceStream::into_report)
        .collect();
    Ok(summary)
}

/// Prints the records of `sources` that `request` selects as they are
/// written, until the reader goes away (seen at once when `out` is the
/// descriptor `hangup`, a pipe whose reader closed it) or the process is
/// stopped. Records written before now are printed first when `request`
/// has a start. `warn` is told what cannot be read, once per problem.
///
/// # Errors
///
/// When `out` cannot be written for another reason than its reader going
/// away.
pub fn follow(
    sources: &[Source],
    request: &BundleRequest,
    style: &Style,
    out: &mut dyn Write,
    hangup: Option<BorrowedFd<'_>>,
    warn: &mut dyn FnMut(&str),
) -> io::Result<()> {
    follow::run(sources, request, style, out, hangup, warn)
}

#[derive(Debug, PartialEq, Eq)]
enum Written {
    Done,
    Closed,
}

/// Writes and empties `buf`, then flushes; a reader gone is `Closed`.
fn write(out: &mut dyn Write, buf: &mut Vec<u8>) -> io::Result<Written> {
    let result = out.write_all(buf).and_then(|()| out.flush());
    buf.clear();
    match result {
        Ok(()) => Ok(Written::Done),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Written::Closed),
        Err(e) => Err(e),
    }
}

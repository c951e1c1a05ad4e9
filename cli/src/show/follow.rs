//! `logward show --follow`: every selected source followed at once, the
//! records printed in `created_at` order as they are written.
//!
//! A file sink is followed as `logward ship` follows it (the ship module's
//! [`FileSource`]: by device and inode, so a rotation neither skips nor
//! repeats a line, and files created later are found); the journal with
//! `journalctl --follow`, trusted senders only, on a thread of its own.
//! Each line is judged as `bundle` judges it.
//!
//! Order across sources: the records read from each source wait in that
//! source's window (at most [`REORDER_RECORDS`] records or
//! [`REORDER_BYTES`]), and the earliest of all is printed once it is
//! older than [`HOLD`] when the sources were last read, or its window is
//! full. A source that had nothing more to give when read cannot hold an
//! earlier record unless it was written more than [`HOLD`] after it was
//! created; such a late record is printed when it is read, out of order,
//! and never dropped. While a source is still reading its past (a start
//! was given), the merge waits for it as `bundle`'s does.
//!
//! Without a start, following begins at the sources' ends: only records
//! written after `show` started are printed. The sources are read every
//! [`POLL`] when there is nothing to print.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};
use std::os::fd::BorrowedFd;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::time::Duration;

use super::{Style, Written, write};
use crate::bundle::{JournalLines, LineSource, MAX_LINE, Record, Verdict, judge};
use crate::ship::Start;
use crate::ship::source::{FileSource, Source as ShipSource};
use crate::{BundleRequest, LineStatus, REORDER_BYTES, REORDER_RECORDS, Source, SourceReport};
use logward::{Clock, LogType, SystemClock};

/// How long a record waits for an earlier one of another source.
pub(crate) const HOLD: Duration = Duration::from_secs(1);

/// How often the sources are read while there is nothing to print.
pub(crate) const POLL: Duration = Duration::from_millis(200);

/// Records of the journal waiting to be taken by the merge.
const JOURNAL_QUEUE: usize = 1024;

/// Follows `sources` until the reader of `out` goes away.
pub(super) fn run(
    sources: &[Source],
    request: &BundleRequest,
    style: &Style,
    out: &mut dyn Write,
    hangup: Option<BorrowedFd<'_>>,
    warn: &mut dyn FnMut(&str),
) -> io::Result<()> {
    let mut feeds: Vec<Feed> = sources
        .iter()
        .filter_map(|source| Feed::open(source, request))
        .collect();
    let hold = HOLD.as_micros() as i64;
    let mut buf = Vec::new();
    loop {
        let round = SystemClock.now_micros();
        let mut read = false;
        for feed in &mut feeds {
            read |= feed.fill(request, warn);
        }
        loop {
            for feed in &mut feeds {
                if feed.window.is_empty() && !feed.caught_up {
                    read |= feed.fill(request, warn);
                }
            }
            let earliest = feeds
                .iter()
                .enumerate()
                .filter_map(|(i, f)| f.earliest().map(|t| (t, i)))
                .min();
            let Some((time, i)) = earliest else { break };
            if time > round - hold && !feeds[i].full() {
                break;
            }
            if let Some(record) = feeds[i].pop() {
                style.write(record.view(), &mut buf);
            }
        }
        if !buf.is_empty() && write(out, &mut buf)? == Written::Closed {
            return Ok(());
        }
        if !read {
            let waiting = feeds.iter().filter_map(Feed::earliest).min();
            let due = waiting.map_or(POLL, |t| {
                let left = t + hold - SystemClock.now_micros();
                Duration::from_micros(left.clamp(1_000, POLL.as_micros() as i64) as u64)
            });
            if reader_gone(hangup, due) {
                return Ok(());
            }
        }
    }
}

/// Waits `timeout`, or less if the reader of `fd` goes away: then `true`.
fn reader_gone(fd: Option<BorrowedFd<'_>>, timeout: Duration) -> bool {
    let Some(fd) = fd else {
        std::thread::sleep(timeout);
        return false;
    };
    // No events asked: poll reports only an error or a hang-up, which a
    // pipe's writing end gets when its reader closed it.
    let mut fds = [rustix::event::PollFd::from_borrowed_fd(
        fd,
        rustix::event::PollFlags::empty(),
    )];
    let timeout = rustix::event::Timespec::try_from(timeout).ok();
    match rustix::event::poll(&mut fds, timeout.as_ref()) {
        Ok(n) if n > 0 => fds[0]
            .revents()
            .intersects(rustix::event::PollFlags::ERR | rustix::event::PollFlags::HUP),
        _ => false,
    }
}

/// One followed source and its window.
struct Feed {
    lines: Lines,
    types: Vec<LogType>,
    window: BinaryHeap<Reverse<Waiting>>,
    bytes: usize,
    seq: u64,
    caught_up: bool,
}

/// A record in a window: earliest first, then in the order read.
struct Waiting {
    time: i64,
    seq: u64,
    record: Record,
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}

impl Eq for Waiting {}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.time, self.seq).cmp(&(other.time, other.seq))
    }
}

/// Where a feed's lines come from.
enum Lines {
    /// A file sink, opened once it can be.
    Files {
        path: PathBuf,
        start: Start,
        source: Option<Box<FileSource>>,
        line: Vec<u8>,
        last_error: Option<String>,
    },
    /// The journal's records, judged on the reading thread.
    Journal(Receiver<Result<Record, String>>),
}

impl Feed {
    /// Starts following `source`; `None` when none of its types is selected.
    fn open(source: &Source, request: &BundleRequest) -> Option<Feed> {
        let types: Vec<LogType> = request
            .types()
            .iter()
            .copied()
            .filter(|t| source.log_types().contains(t))
            .collect();
        if types.is_empty() {
            return None;
        }
        let lines = match source {
            Source::Journal {
                extra_matches,
                trust,
                ..
            } => {
                let (tx, rx) = sync_channel(JOURNAL_QUEUE);
                let (request, types, extra, trust) = (
                    request.clone(),
                    types.clone(),
                    extra_matches.clone(),
                    trust.clone(),
                );
                std::thread::spawn(move || {
                    let mut report = SourceReport::default();
                    let mut lines =
                        JournalLines::follow(&request, &types, &extra, &trust, &mut report);
                    while lines.advance(&mut report) != LineStatus::End {
                        if let Verdict::Keep(head) = judge(lines.line(), &request, &types) {
                            let record = Record {
                                head,
                                line: lines.line().to_vec(),
                            };
                            if tx.send(Ok(record)).is_err() {
                                return;
                            }
                        }
                    }
                    for error in report.errors {
                        let _ = tx.send(Err(error));
                    }
                });
                Lines::Journal(rx)
            }
            Source::Files { path, .. } => Lines::Files {
                path: path.clone(),
                start: if request.from().is_some() {
                    Start::Beginning
                } else {
                    Start::Now
                },
                source: None,
                line: Vec::new(),
                last_error: None,
            },
        };
        Some(Feed {
            lines,
            types,
            window: BinaryHeap::new(),
            bytes: 0,
            seq: 0,
            caught_up: false,
        })
    }

    fn full(&self) -> bool {
        self.window.len() >= REORDER_RECORDS || self.bytes >= REORDER_BYTES
    }

    fn earliest(&self) -> Option<i64> {
        self.window.peek().map(|Reverse(w)| w.time)
    }

    fn pop(&mut self) -> Option<Record> {
        let Reverse(Waiting { record, .. }) = self.window.pop()?;
        self.bytes -= record.line.len();
        Some(record)
    }

    fn push(&mut self, record: Record) {
        self.seq += 1;
        self.bytes += record.line.len();
        self.window.push(Reverse(Waiting {
            time: record.head.created_at,
            seq: self.seq,
            record,
        }));
    }

    /// Reads what the source has now, until the window is full; whether
    /// anything was read. Sets `caught_up` when the source had no more.
    fn fill(&mut self, request: &BundleRequest, warn: &mut dyn FnMut(&str)) -> bool {
        let before = self.seq;
        self.caught_up = false;
        while !self.full() {
            match self.next(request, warn) {
                Some(Some(record)) => self.push(record),
                Some(None) => {}
                None => {
                    self.caught_up = true;
                    break;
                }
            }
        }
        self.seq != before
    }

    /// The next line: `Some(Some(record))` a selected record, `Some(None)`
    /// a line that is not one, `None` nothing more for now.
    fn next(
        &mut self,
        request: &BundleRequest,
        warn: &mut dyn FnMut(&str),
    ) -> Option<Option<Record>> {
        match &mut self.lines {
            Lines::Journal(rx) => match rx.try_recv() {
                Ok(Ok(record)) => Some(Some(record)),
                Ok(Err(error)) => {
                    warn(&format!("journal: {error}"));
                    Some(None)
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => None,
            },
            Lines::Files {
                path,
                start,
                source,
                line,
                last_error,
            } => {
                let mut report = |e: io::Error, last_error: &mut Option<String>| {
                    let text = format!("file {}: {e}", path.display());
                    if last_error.as_ref() != Some(&text) {
                        warn(&text);
                        *last_error = Some(text);
                    }
                };
                let file = match source {
                    Some(file) => file,
                    None => match FileSource::open(path, None, *start) {
                        Ok(opened) => source.insert(Box::new(opened)),
                        Err(e) => {
                            report(e, last_error);
                            // Not there at the start: all it will hold is new.
                            *start = Start::Beginning;
                            return None;
                        }
                    },
                };
                let mut read = file.read_line(line);
                if let Ok(None) = read {
                    // A rotation, or files created since: read on into them.
                    if let Err(e) = file.refresh() {
                        report(e, last_error);
                    }
                    read = file.read_line(line);
                }
                match read {
                    Ok(Some(mark)) => {
                        file.commit(mark);
                        *last_error = None;
                        if line.len() > MAX_LINE {
                            return Some(None);
                        }
                        Some(match judge(line, request, &self.types) {
                            Verdict::Keep(head) => Some(Record {
                                head,
                                line: line.clone(),
                            }),
                            _ => None,
                        })
                    }
                    Ok(None) => None,
                    Err(e) => {
                        report(e, last_error);
                        None
                    }
                }
            }
        }
    }
}

//! A file sink's files as a source: the live file and its rotated
//! siblings, followed by device and inode, so that rotation neither skips
//! nor repeats a line.
//!
//! The source keeps every file it has not finished shipping open, from the
//! one holding the last acknowledged line on: a file renamed by rotation
//! is read on through its descriptor, and a file that rotation pruning
//! deletes before it was shipped is still read to its end while the
//! shipper runs. A file is finished when a newer file of the sink exists
//! and everything up to its end was read: the sink renames its live file
//! before it creates the next, and writes nothing to it after.
//!
//! The saved state lists those files (identity, size and line count as last
//! seen) and the acknowledged offset. At start each is looked for among the
//! sink's files; one that is gone was pruned while the shipper was
//! stopped, and what it held past the acknowledged offset is reported lost
//! (files, bytes and lines as last seen; a file that was both created and
//! pruned while the shipper was stopped was never seen and cannot be
//! counted). Files newer than every file known are new and are read from
//! their start; older ones were shipped.
//!
//! At most [`MAX_OPEN`] files are kept open; more are opened as the oldest
//! are finished.
//!
//! A rotated file compressed by the sink (`.gz`) is the file it was made
//! of, at the same decompressed offsets (the `listed` module): one
//! compressed while the shipper has it open is read on through its
//! descriptor, and one compressed while the shipper was stopped is found
//! again and read from the saved offset.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::identity::FileId;
use super::{Lag, Lost, Mark, Source};
use crate::ship::Start;
use listed::Listed;
use logward::sink::rotated_files;

/// The most files of one sink kept open at once.
pub const MAX_OPEN: usize = 64;

/// The longest first line read to tell the oldest waiting record's age.
const OLDEST_PEEK: usize = 64 * 1024;

/// A file sink's files, read in order.
pub struct FileSource {
    path: PathBuf,
    name: String,
    /// Open files from the one holding the committed mark on, oldest first;
    /// their `seq` numbers are consecutive.
    files: VecDeque<Tracked>,
    next_seq: u64,
    committed: Mark,
    read: Mark,
    reader: Option<BufReader<File>>,
    /// The newest file shipped to its end and no longer kept open.
    done: Option<FileId>,
    lost: Lost,
}

struct Tracked {
    seq: u64,
    id: FileId,
    file: File,
    /// Bytes whose newlines are counted in `lines`.
    scanned: u64,
    lines: u64,
}

/// The saved form of a [`FileSource`].
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Saved {
    /// The acknowledged offset in `files[0]`, and its line number there.
    offset: u64,
    lines: u64,
    files: Vec<SavedFile>,
    done: Option<FileId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedFile {
    id: FileId,
    size: u64,
    lines: u64,
}

impl FileSource {
    /// The source of the sink writing `path`, resuming from `state` (a
    /// [`Source::state`] saved earlier), else starting as `start` says.
    pub fn open(path: &Path, state: Option<&Value>, start: Start) -> io::Result<FileSource> {
        let mut source = FileSource {
            path: path.to_path_buf(),
            name: format!("file:{}", path.display()),
            files: VecDeque::new(),
            next_seq: 1,
            committed: Mark::default(),
            read: Mark::default(),
            reader: None,
            done: None,
            lost: Lost::default(),
        };
        let listed = source.list()?;
        match state {
            Some(state) => {
                let saved: Saved = serde_json::from_value(state.clone()).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("the saved position of {} is damaged: {e}", source.name),
                    )
                })?;
                source.resume(saved, listed)?;
            }
            None => source.begin(listed, start)?,
        }
        source.read = source.committed;
        Ok(source)
    }

    /// The sink's files now, oldest first, opened.
    fn list(&self) -> io::Result<Vec<Listed>> {
        let mut files = Vec::new();
        for listed in rotated_files(&self.path)? {
            match File::open(&listed.path) {
                Ok(file) => files.push(Listed::new(file, listed.path, listed.compressed)?),
                // Pruned between the listing and the open.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("cannot open {}: {e}", listed.path.display()),
                    ));
                }
            }
        }
        Ok(files)
    }

    fn track(&mut self, listed: Listed) -> io::Result<()> {
        let (file, id) = listed.open()?;
        self.files.push_back(Tracked {
            seq: self.next_seq,
            id,
            file,
            scanned: 0,
            lines: 0,
        });
        self.next_seq += 1;
        Ok(())
    }

    fn begin(&mut self, listed: Vec<Listed>, start: Start) -> io::Result<()> {
        match start {
            Start::Beginning => {
                for file in listed {
                    self.track(file)?;
                }
                self.committed = Mark {
                    unit: 1,
                    offset: 0,
                    index: 0,
                };
            }
            Start::Now => {
                if let Some(file) = listed.into_iter().last() {
                    self.track(file)?;
                    self.scan()?;
                    let newest = &self.files[0];
                    self.committed = Mark {
                        unit: newest.seq,
                        offset: newest.scanned,
                        index: newest.lines,
                    };
                } else {
                    self.committed.unit = 1;
                }
            }
        }
        Ok(())
    }

    fn resume(&mut self, saved: Saved, listed: Vec<Listed>) -> io::Result<()> {
        let mut found = vec![false; listed.len()];
        let mut listed: Vec<Option<Listed>> = listed.into_iter().map(Some).collect();
        let mut anchor = None;
        for (i, file) in listed.iter().enumerate() {
            if let (Some(done), Some(file)) = (&saved.done, file) {
                if file.matches(done)? {
                    anchor = Some(i);
                }
            }
        }
        let mut first = true;
        for entry in &saved.files {
            let mut at = None;
            for (i, file) in listed.iter().enumerate() {
                if let Some(file) = file {
                    if !found[i] && file.matches(&entry.id)? {
                        at = Some(i);
                        break;
                    }
                }
            }
            match at {
                Some(i) => {
                    found[i] = true;
                    anchor = anchor.max(Some(i));
                    let Some(file) = listed[i].take() else {
                        continue;
                    };
                    if self.files.is_empty() {
                        let (offset, index) = if first {
                            (saved.offset, saved.lines)
                        } else {
                            (0, 0)
                        };
                        self.committed = Mark {
                            unit: self.next_seq,
                            offset,
                            index,
                        };
                    }
                    self.track(file)?;
                }
                None => {
                    let (bytes, lines) = if first {
                        (saved.offset, saved.lines)
                    } else {
                        (0, 0)
                    };
                    let unshipped = entry.size.saturating_sub(bytes);
                    // A file shipped to its end that was pruned lost nothing.
                    if unshipped > 0 {
                        self.lost.files += 1;
                        self.lost.bytes += unshipped;
                        self.lost.records += entry.lines.saturating_sub(lines);
                    }
                }
            }
            first = false;
        }
        let new_from = anchor.map_or(0, |i| i + 1);
        for file in listed.into_iter().skip(new_from).flatten() {
            if self.files.is_empty() {
                self.committed = Mark {
                    unit: self.next_seq,
                    offset: 0,
                    index: 0,
                };
            }
            self.track(file)?;
        }
        if self.files.is_empty() {
            self.committed = Mark {
                unit: self.next_seq,
                offset: 0,
                index: 0,
            };
        }
        self.done = saved.done;
        Ok(())
    }

    /// Counts the newlines written since the last count.
    fn scan(&mut self) -> io::Result<()> {
        let mut buf = vec![0; 64 * 1024];
        for tracked in &mut self.files {
            let size = tracked.file.metadata()?.len();
            while tracked.scanned < size {
                let want = buf.len().min((size - tracked.scanned) as usize);
                let n = tracked.file.read_at(&mut buf[..want], tracked.scanned)?;
                if n == 0 {
                    break;
                }
                tracked.lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
                tracked.scanned += n as u64;
            }
        }
        Ok(())
    }

    fn index_of(&self, seq: u64) -> Option<usize> {
        let first = self.files.front()?.seq;
        let i = usize::try_from(seq.checked_sub(first)?).ok()?;
        (i < self.files.len()).then_some(i)
    }
}

impl Source for FileSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn refresh(&mut self) -> io::Result<()> {
        if self.files.len() >= MAX_OPEN {
            return Ok(());
        }
        let listed = self.list()?;
        // The newest listed file already known (open, or shipped).
        let mut anchor = None;
        for (i, file) in listed.iter().enumerate() {
            let ident = file.ident()?;
            let open = self.files.iter().any(|t| (t.id.dev, t.id.ino) == ident);
            let shipped = match &self.done {
                Some(done) => file.matches(done)?,
                None => false,
            };
            if open || shipped {
                anchor = Some(i);
            }
        }
        let new_from = anchor.map_or(0, |i| i + 1);
        for file in listed.into_iter().skip(new_from) {
            if self.files.len() >= MAX_OPEN {
                break;
            }
            self.track(file)?;
        }
        for tracked in &mut self.files {
            let len = tracked.file.metadata()?.len();
            tracked.id.grow(&tracked.file, len)?;
        }
        Ok(())
    }

    fn read_line(&mut self, line: &mut Vec<u8>) -> io::Result<Option<Mark>> {
        loop {
            let Some(i) = self.index_of(self.read.unit) else {
                return Ok(None);
            };
            let newer = i + 1 < self.files.len();
            let reader = match &mut self.reader {
                Some(reader) => reader,
                None => {
                    let mut file = self.files[i].file.try_clone()?;
                    file.seek(SeekFrom::Start(self.read.offset))?;
                    self.reader
                        .insert(BufReader::with_capacity(256 * 1024, file))
                }
            };
            line.clear();
            let n = reader.read_until(b'\n', line)?;
            let complete = line.last() == Some(&b'\n');
            if complete || (n > 0 && newer) {
                // A finished file's last line may lack its newline (a crash
                // mid-write); it is shipped as it is.
                if complete {
                    line.pop();
                }
                self.read.offset += n as u64;
                self.read.index += 1;
                return Ok(Some(self.read));
            }
            if !newer {
                if n > 0 {
                    // A line being written: read it again once complete.
                    reader.seek(SeekFrom::Start(self.read.offset))?;
                }
                return Ok(None);
            }
            self.read = Mark {
                unit: self.read.unit + 1,
                offset: 0,
                index: 0,
            };
            self.reader = None;
        }
    }

    fn commit(&mut self, mark: Mark) {
        while self.files.front().is_some_and(|t| t.seq < mark.unit) {
            if let Some(finished) = self.files.pop_front() {
                self.done = Some(finished.id);
            }
        }
        self.committed = mark;
    }

    fn state(&mut self) -> io::Result<Value> {
        self.scan()?;
        let mut files = Vec::new();
        for tracked in &self.files {
            files.push(SavedFile {
                id: tracked.id.clone(),
                size: tracked.file.metadata()?.len(),
                lines: tracked.lines,
            });
        }
        let saved = Saved {
            offset: self.committed.offset,
            lines: self.committed.index,
            files,
            done: self.done.clone(),
        };
        serde_json::to_value(saved).map_err(io::Error::other)
    }

    fn lag(&mut self) -> io::Result<Lag> {
        self.scan()?;
        let mut lag = Lag::default();
        for tracked in &self.files {
            lag.records += tracked.lines;
            lag.bytes += tracked.scanned;
        }
        lag.records = lag.records.saturating_sub(self.committed.index);
        lag.bytes = lag.bytes.saturating_sub(self.committed.offset);
        let mut at = self.committed.offset;
        for tracked in &self.files {
            let mut buf = vec![0; OLDEST_PEEK];
            let n = tracked.file.read_at(&mut buf, at)?;
            if let Some(end) = memchr::memchr(b'\n', &buf[..n]) {
                buf.truncate(end);
                lag.oldest = Some(buf);
                break;
            }
            at = 0;
        }
        Ok(lag)
    }

    fn take_lost(&mut self) -> Option<Lost> {
        let lost = std::mem::take(&mut self.lost);
        (lost.files > 0).then_some(lost)
    }
}

mod listed;
#[cfg(test)]
mod tests;

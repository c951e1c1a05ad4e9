//! The index of record ids already stored, so that a batch sent again (a
//! shipper that did not get the answer) is acknowledged without being
//! written twice, also across restarts of the collector.
//!
//! It lives in `<state dir>/receive/`: segment files `ids.<N>` of 16-byte
//! ids, each holding a quarter of the window; when the newest is full a new
//! one is started and all but the newest five are deleted. So the index
//! always remembers at least the last `window` ids stored (default
//! 1,000,000; `--dedupe-window`) and at most a quarter more: a record sent
//! again after that many newer ones is written again.
//!
//! A batch is made durable in three steps, so that a collector killed at
//! any moment neither loses nor duplicates: first its number, its ids and
//! the length of each destination file go to `pending`; then the records
//! are written; then the ids are appended to the index (and the status
//! page's counts saved, the `origins` module) and `pending` is removed. At
//! start, a `pending` left behind is resolved by reading the destination
//! files from those lengths: the records found there were written and join
//! the index, the others were not and will be written when sent again. The
//! journal cannot be read back this way: for types routed to journald, a
//! batch in flight when the collector was killed may be stored twice. A
//! file rotated and compressed (`LOG_ROTATE_COMPRESS`) in between is read
//! through its `.gz`: every compressed sibling made after `pending` was
//! written is read whole.

use std::collections::{HashSet, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::parse::Record;

/// Ids remembered by default.
pub const DEFAULT_WINDOW: usize = 1_000_000;
/// Segments kept besides the one being filled.
const FULL_SEGMENTS: usize = 4;

/// The ids stored, bounded, persisted.
pub struct Index {
    dir: PathBuf,
    segment_len: usize,
    known: HashSet<u128>,
    segments: VecDeque<(u64, Vec<u128>)>,
    active: File,
    sync: bool,
}

/// A destination file's identity and length before a batch.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileMark {
    /// The live file.
    pub path: PathBuf,
    /// Its device and inode (0 when it did not exist).
    pub dev: u64,
    /// Its inode.
    pub ino: u64,
    /// Its length.
    pub len: u64,
}

#[derive(Serialize, Deserialize)]
struct Pending {
    #[serde(default)]
    batch: u64,
    ids: Vec<String>,
    files: Vec<FileMark>,
}

/// A batch left pending by a collector that was killed: what of it reached
/// the destination files.
#[derive(Debug)]
pub struct Recovered {
    /// The batch's number.
    pub batch: u64,
    /// Its records found in the files (now in the index).
    pub records: Vec<Record>,
}

impl FileMark {
    /// The mark of `path` now.
    pub fn of(path: &Path) -> FileMark {
        match fs::metadata(path) {
            Ok(meta) => FileMark {
                path: path.to_path_buf(),
                dev: meta.dev(),
                ino: meta.ino(),
                len: meta.len(),
            },
            Err(_) => FileMark {
                path: path.to_path_buf(),
                dev: 0,
                ino: 0,
                len: 0,
            },
        }
    }
}

impl Index {
    /// Opens the index in `dir` (created 0750); [`Index::recover`] then
    /// resolves a batch left pending.
    pub fn open(dir: &Path, window: usize, sync: bool) -> anyhow::Result<Index> {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the state directory {}", dir.display()))?;
        let mut numbers: Vec<u64> = fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_prefix("ids."))
                    .and_then(|n| n.parse().ok())
            })
            .collect();
        numbers.sort_unstable();
        let mut segments = VecDeque::new();
        let mut known = HashSet::new();
        for n in numbers {
            let path = dir.join(format!("ids.{n}"));
            let bytes =
                fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let ids: Vec<u128> = bytes
                .chunks_exact(16)
                .map(|c| u128::from_le_bytes(c.try_into().unwrap_or([0; 16])))
                .collect();
            known.extend(ids.iter().copied());
            segments.push_back((n, ids));
        }
        let segment_len = (window / FULL_SEGMENTS).max(1);
        let last = segments.back().map_or(0, |(n, _)| *n);
        if segments.is_empty() {
            segments.push_back((0, Vec::new()));
        }
        let active = open_append(&dir.join(format!("ids.{last}")))?;
        Ok(Index {
            dir: dir.to_path_buf(),
            segment_len,
            known,
            segments,
            active,
            sync,
        })
    }

    /// Whether `id` was stored.
    pub fn contains(&self, id: u128) -> bool {
        self.known.contains(&id)
    }

    /// Ids remembered now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Step one: batch number `batch`, of `ids`, is about to be written to
    /// the destinations whose live files are `files`.
    pub fn begin(&self, batch: u64, ids: &[u128], files: Vec<FileMark>) -> anyhow::Result<()> {
        let pending = Pending {
            batch,
            ids: ids.iter().map(|id| format!("{id:032x}")).collect(),
            files,
        };
        let tmp = self.dir.join("pending.tmp");
        let mut file =
            File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        serde_json::to_writer(&mut file, &pending)?;
        if self.sync {
            file.sync_all()?;
        }
        fs::rename(&tmp, self.dir.join("pending"))
            .with_context(|| format!("cannot write {}", self.dir.join("pending").display()))?;
        Ok(())
    }

    /// Step three: `ids` were written.
    #[cfg(test)]
    pub fn commit(&mut self, ids: &[u128]) -> anyhow::Result<()> {
        self.add(ids)?;
        self.done()
    }

    /// The end of step three: the batch is settled.
    pub fn done(&mut self) -> anyhow::Result<()> {
        match fs::remove_file(self.dir.join("pending")) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).context("cannot remove the pending batch"),
        }
    }

    /// Step three, first half: `ids` were written and join the index.
    pub fn add(&mut self, ids: &[u128]) -> anyhow::Result<()> {
        let mut bytes = Vec::with_capacity(ids.len() * 16);
        for &id in ids {
            if self.known.insert(id) {
                bytes.extend_from_slice(&id.to_le_bytes());
                if let Some((_, active)) = self.segments.back_mut() {
                    active.push(id);
                }
            }
        }
        self.active
            .write_all(&bytes)
            .context("cannot append to the id index")?;
        if self.sync {
            self.active.sync_data()?;
        }
        if self
            .segments
            .back()
            .is_some_and(|(_, s)| s.len() >= self.segment_len)
        {
            self.roll()?;
        }
        Ok(())
    }

    fn roll(&mut self) -> anyhow::Result<()> {
        let next = self.segments.back().map_or(0, |(n, _)| n + 1);
        self.active = open_append(&self.dir.join(format!("ids.{next}")))?;
        self.segments.push_back((next, Vec::new()));
        while self.segments.len() > FULL_SEGMENTS + 1 {
            if let Some((n, ids)) = self.segments.pop_front() {
                for id in ids {
                    self.known.remove(&id);
                }
                let _ = fs::remove_file(self.dir.join(format!("ids.{n}")));
            }
        }
        Ok(())
    }

    /// Resolves a batch left pending by a collector that was killed: the
    /// ids of its records found in the destination files join the index,
    /// and those records are returned. `pending` stays until
    /// [`Index::done`], so that what else depends on the batch (the
    /// status page's counts) is settled first.
    pub fn recover(&mut self) -> anyhow::Result<Option<Recovered>> {
        let path = self.dir.join("pending");
        let text = match fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).context("cannot read the pending batch"),
        };
        let Ok(pending) = serde_json::from_slice::<Pending>(&text) else {
            // Killed while writing it: nothing of that batch was written.
            self.done()?;
            return Ok(None);
        };
        let wanted: HashSet<u128> = pending
            .ids
            .iter()
            .filter_map(|h| u128::from_str_radix(h, 16).ok())
            .collect();
        // A rotated file compressed since the batch was written is a new
        // file: every compressed sibling written after `pending` is read.
        let since = fs::metadata(&path)
            .and_then(|m| m.modified())
            .unwrap_or(std::time::UNIX_EPOCH);
        let mut found = Vec::new();
        for mark in &pending.files {
            for source in files_since(mark, since) {
                scan_ids(&source, &wanted, &mut found)?;
            }
        }
        let ids: Vec<u128> = found.iter().map(|r| r.id).collect();
        self.add(&ids)?;
        Ok(Some(Recovered {
            batch: pending.batch,
            records: found,
        }))
    }
}

fn open_append(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}

/// A file that may hold records of a pending batch, and where to read it.
struct Since {
    path: PathBuf,
    from: u64,
    compressed: bool,
}

/// The files of the sink of `mark` that may hold records written after
/// it, each with the offset to read from: the same file from the mark's
/// length (also when it was rotated away since), files started later, and
/// compressed siblings made after `since` (read whole).
fn files_since(mark: &FileMark, since: std::time::SystemTime) -> Vec<Since> {
    let mut out = Vec::new();
    let Ok(files) = logward::sink::rotated_files(&mark.path) else {
        return out;
    };
    for file in files {
        let Ok(meta) = fs::metadata(&file.path) else {
            continue;
        };
        let from = if file.compressed {
            meta.modified().is_ok_and(|m| m >= since).then_some(0)
        } else if mark.ino != 0 && meta.dev() == mark.dev && meta.ino() == mark.ino {
            Some(mark.len)
        } else if file.live || mark.ino == 0 {
            Some(0)
        } else {
            None
        };
        if let Some(from) = from {
            out.push(Since {
                path: file.path,
                from,
                compressed: file.compressed,
            });
        }
    }
    out
}

/// Adds to `found` each record whose id is in `wanted` on a line of the
/// source after its offset.
fn scan_ids(source: &Since, wanted: &HashSet<u128>, found: &mut Vec<Record>) -> anyhow::Result<()> {
    let path = &source.path;
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut reader: Box<dyn BufRead> = if source.compressed {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(
            BufReader::new(file),
        )))
    } else {
        file.seek(SeekFrom::Start(source.from))?;
        Box::new(BufReader::new(file))
    };
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if let Ok(items) = super::parse::parse(&line, true) {
            for item in items {
                if let super::parse::Kind::Record(r) = item.kind {
                    if wanted.contains(&r.id) {
                        found.push(r);
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_bounded_and_survives_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut index = Index::open(dir.path(), 8, false).expect("open");
        for id in 0..40u128 {
            index.begin(1, &[id], Vec::new()).expect("begin");
            index.commit(&[id]).expect("commit");
        }
        // Segments of 2 ids: the four full ones and the new one hold 32..40.
        assert!(index.len() >= 8 && index.len() <= 10, "{}", index.len());
        assert!(index.contains(39) && index.contains(32) && !index.contains(0));
        drop(index);
        let index = Index::open(dir.path(), 8, false).expect("reopen");
        assert!(index.contains(39) && index.contains(32) && !index.contains(0));
    }

    #[test]
    fn a_pending_batch_is_resolved_from_what_reached_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("web.log");
        fs::write(&log, "old line\n").expect("write");
        let index = Index::open(&dir.path().join("state"), 100, false).expect("open");
        let written = 0x6f1c2b9e3a4d4e5f8a7b1c2d3e4f5a6b_u128;
        let unwritten = 0x6f1c2b9e3a4d4e5f8a7b1c2d3e4f5a6c_u128;
        index
            .begin(3, &[written, unwritten], vec![FileMark::of(&log)])
            .expect("begin");
        let mut file = OpenOptions::new().append(true).open(&log).expect("open");
        writeln!(file, r#"{{"id":"6f1c2b9e-3a4d-4e5f-8a7b-1c2d3e4f5a6b","created_at":"2026-11-22T04:30:00.123456Z","hostname":"h","level":"info","log_type":"web","pid":1}}"#).expect("write");
        drop(index);
        let mut index = Index::open(&dir.path().join("state"), 100, false).expect("reopen");
        let recovered = index.recover().expect("recover").expect("a pending batch");
        assert_eq!(recovered.batch, 3);
        assert_eq!(
            recovered.records.iter().map(|r| r.id).collect::<Vec<_>>(),
            [written]
        );
        assert!(index.contains(written));
        assert!(!index.contains(unwritten));
        assert!(dir.path().join("state/pending").exists());
        index.done().expect("done");
        assert!(!dir.path().join("state/pending").exists());
    }

    #[test]
    fn a_pending_batch_whose_file_was_rotated_and_compressed_is_resolved_from_the_gz() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("web.log");
        fs::write(&log, "old line\n").expect("write");
        let index = Index::open(&dir.path().join("state"), 100, false).expect("open");
        let written = 0x6f1c2b9e3a4d4e5f8a7b1c2d3e4f5a6b_u128;
        let unwritten = 0x6f1c2b9e3a4d4e5f8a7b1c2d3e4f5a6c_u128;
        index
            .begin(4, &[written, unwritten], vec![FileMark::of(&log)])
            .expect("begin");
        let mut text = fs::read(&log).expect("read");
        text.extend_from_slice(br#"{"id":"6f1c2b9e-3a4d-4e5f-8a7b-1c2d3e4f5a6b","created_at":"2026-11-22T04:30:00.123456Z","hostname":"h","level":"info","log_type":"web","pid":1}"#);
        text.push(b'\n');
        let gz = fs::File::create(dir.path().join("web.log.2026-11-22.gz")).expect("create");
        let mut encoder = flate2::write::GzEncoder::new(gz, flate2::Compression::fast());
        encoder.write_all(&text).expect("compress");
        encoder.finish().expect("finish");
        fs::write(&log, "").expect("new live file");
        drop(index);
        let mut index = Index::open(&dir.path().join("state"), 100, false).expect("reopen");
        let recovered = index.recover().expect("recover").expect("a pending batch");
        assert_eq!(
            recovered.records.iter().map(|r| r.id).collect::<Vec<_>>(),
            [written]
        );
        assert!(index.contains(written), "the id in the compressed sibling");
        assert!(!index.contains(unwritten));
    }
}

//! Where a parsed batch goes: records through the collector's own routing
//! (de-duplicated by `id`), foreign objects to the raw file, or, in
//! `--stdout` mode, every value to stdout as one line.
//!
//! Batches are stored one at a time (parsing and decompression happen
//! before, in parallel): the order of the id index's steps is what makes
//! exactly-once hold across a kill (see the `dedupe` module).

use std::io::Write;
use std::sync::{Mutex, PoisonError};

use anyhow::Context;
use logward::sink::{Entry, FileSink, Sink};
use logward::{Config, Destination, Guard, Level, LogType};

use super::dedupe::{FileMark, Index};
use super::metrics::Metrics;
use super::origins::Origins;
use super::parse::{Item, Kind, Record};

/// What became of a stored batch.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Records written.
    pub written: usize,
    /// Records already stored.
    pub duplicates: usize,
    /// Foreign values kept.
    pub foreign: usize,
}

/// Why a batch was not stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The batch has foreign values and no raw file is configured.
    #[error(
        "line {0}: not a logward record (none of its required keys), and RECEIVE_RAW_FILE is not set, so it cannot be kept"
    )]
    NoRawFile(usize),
    /// Writing failed.
    #[error("{0:#}")]
    Write(anyhow::Error),
}

/// For tests only: `IT_LOGWARD_RECEIVE_DIE_AFTER_WRITE=N` makes the
/// collector kill itself with SIGKILL once its N-th batch of records is
/// written and before the ids are committed to the index, the one moment
/// a random kill almost never hits, so that a test can show that the
/// restart finds those records and does not write them again.
pub const DIE_AFTER_WRITE_VAR: &str = "IT_LOGWARD_RECEIVE_DIE_AFTER_WRITE";

/// The records' destination.
pub enum Store {
    /// Every value to stdout, one line each.
    Stdout(Mutex<std::io::Stdout>),
    /// Through the routing.
    Routed(Box<Mutex<Routed>>),
}

/// The routing, the raw file, the id index and where the status page's
/// counts are kept.
pub struct Routed {
    guard: Guard,
    /// For tests only: die by SIGKILL after this many batches are written
    /// and before their ids are committed (see [`DIE_AFTER_WRITE_VAR`]).
    die_after_write: Option<u64>,
    raw: Option<FileSink>,
    index: Index,
    files: Vec<std::path::PathBuf>,
    /// The index's directory, where the page's counts are kept too.
    dir: std::path::PathBuf,
    /// The number of the last batch stored.
    batch: u64,
    sync: bool,
}

/// Opens the id index in `dir` and the status page's counts kept there,
/// settling a batch that a killed collector left pending (its records
/// found in the files are counted unless the counts already include it);
/// `today` is the collector's UTC day.
///
/// # Errors
///
/// When the index or the counts cannot be read or written.
pub fn open_index(
    dir: &std::path::Path,
    window: usize,
    sync: bool,
    today: &str,
) -> anyhow::Result<(Index, Origins)> {
    let mut index = Index::open(dir, window, sync)?;
    let mut origins = Origins::load(dir)?;
    if let Some(recovered) = index.recover()? {
        if recovered.batch > origins.batch {
            origins.count(&recovered.records, today);
            origins.batch = recovered.batch;
            origins.save(dir, sync)?;
        }
        index.done()?;
    }
    Ok((index, origins))
}

impl Routed {
    /// Wraps the runtime (built from the collector's configuration), the
    /// raw file and the index opened in `dir` by [`open_index`], whose
    /// counts include batches up to `batch`; `config` names the file
    /// destinations.
    pub fn new(
        guard: Guard,
        raw: Option<FileSink>,
        index: Index,
        (dir, batch): (&std::path::Path, u64),
        config: &Config,
    ) -> Routed {
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        for (_, route) in config.routes() {
            if let Destination::File { path, .. } = &route.destination {
                if !files.contains(path) {
                    files.push(path.clone());
                }
            }
        }
        Routed {
            guard,
            die_after_write: std::env::var(DIE_AFTER_WRITE_VAR)
                .ok()
                .and_then(|v| v.parse().ok()),
            raw,
            index,
            files,
            dir: dir.to_path_buf(),
            batch,
            sync: config
                .routes()
                .any(|(_, r)| r.sync == logward::SyncPolicy::Always),
        }
    }

    /// The files whose state a pending batch records.
    fn marks(&self) -> Vec<FileMark> {
        self.files.iter().map(|p| FileMark::of(p)).collect()
    }
}

impl Store {
    /// Stores `items`; the metrics count what was written.
    pub fn store(
        &self,
        items: &[Item],
        metrics: &Metrics,
        today: &str,
    ) -> Result<Outcome, StoreError> {
        match self {
            Store::Stdout(out) => {
                let mut out = out.lock().unwrap_or_else(PoisonError::into_inner);
                let mut bytes = Vec::new();
                for item in items {
                    bytes.extend_from_slice(&item.line);
                    bytes.push(b'\n');
                }
                out.write_all(&bytes)
                    .and_then(|()| out.flush())
                    .context("cannot write to stdout")
                    .map_err(StoreError::Write)?;
                metrics.foreign(items.len() as u64);
                Ok(Outcome {
                    foreign: items.len(),
                    ..Outcome::default()
                })
            }
            Store::Routed(routed) => {
                let mut routed = routed.lock().unwrap_or_else(PoisonError::into_inner);
                routed.store(items, metrics, today)
            }
        }
    }
}

impl Routed {
    fn store(
        &mut self,
        items: &[Item],
        metrics: &Metrics,
        today: &str,
    ) -> Result<Outcome, StoreError> {
        if self.raw.is_none() {
            if let Some(i) = items.iter().position(|i| matches!(i.kind, Kind::Foreign)) {
                return Err(StoreError::NoRawFile(i + 1));
            }
        }
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut new: Vec<(LogType, Level, usize)> = Vec::new();
        let mut ids: Vec<u128> = Vec::new();
        let mut seen: Vec<(&Record, bool)> = Vec::new();
        let mut foreign = 0;
        for item in items {
            match &item.kind {
                Kind::Record(record) => {
                    let fresh = !self.index.contains(record.id) && !ids.contains(&record.id);
                    if fresh {
                        ids.push(record.id);
                        let mut line = item.line.clone();
                        line.push(b'\n');
                        lines.push(line);
                        new.push((record.log_type, record.level, lines.len() - 1));
                    }
                    seen.push((record, fresh));
                }
                Kind::Foreign => foreign += 1,
            }
        }
        if !ids.is_empty() {
            self.index
                .begin(self.batch + 1, &ids, self.marks())
                .map_err(StoreError::Write)?;
            let rendered: Vec<(LogType, Level, &[u8])> = new
                .iter()
                .map(|&(t, l, i)| (t, l, lines[i].as_slice()))
                .collect();
            self.guard
                .write_rendered(&rendered)
                .context("cannot write the records")
                .map_err(StoreError::Write)?;
        }
        if !ids.is_empty() {
            if let Some(n) = self.die_after_write.as_mut() {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    let _ = rustix::process::kill_process(
                        rustix::process::getpid(),
                        rustix::process::Signal::KILL,
                    );
                }
            }
        }
        if let Some(raw) = &mut self.raw {
            if foreign > 0 {
                write_raw(raw, items).map_err(StoreError::Write)?;
            }
        }
        self.index.add(&ids).map_err(StoreError::Write)?;
        if ids.is_empty() {
            metrics.stored(&seen, foreign as u64, today, self.batch);
        } else {
            self.batch += 1;
            let page = metrics.stored(&seen, foreign as u64, today, self.batch);
            page.save(&self.dir, self.sync).map_err(StoreError::Write)?;
        }
        self.index.done().map_err(StoreError::Write)?;
        Ok(Outcome {
            written: ids.len(),
            duplicates: seen.len() - ids.len(),
            foreign,
        })
    }
}

fn write_raw(raw: &mut FileSink, items: &[Item]) -> anyhow::Result<()> {
    let mut line = Vec::new();
    for item in items.iter().filter(|i| matches!(i.kind, Kind::Foreign)) {
        line.clear();
        line.extend_from_slice(&item.line);
        line.push(b'\n');
        raw.append(&Entry {
            line: &line,
            level: Level::Info,
            log_type: LogType::Application,
        })
        .with_context(|| format!("cannot write the raw file {}", raw.path().display()))?;
    }
    raw.flush()
        .with_context(|| format!("cannot write the raw file {}", raw.path().display()))
}

//! The consumer's outputs, each behind the collector's id index: a record
//! whose `id` the index holds is dropped, and a batch is made durable in
//! the index's three steps (ids pending, records written and synced, ids
//! committed), so that a consumer killed between writing and committing
//! finds on restart what reached the output file and does not write it
//! again. Stdout cannot be read back: there, a batch in flight at a kill
//! may be written twice.
//!
//! The index directory is locked (`flock`): two consumers sharing one
//! would corrupt it, so the second is refused.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Mutex;

use anyhow::Context;
use logward::{Config, Logward, SyncPolicy};

use super::out_file::OutFile;
use super::request::{ConsumeOutput, ConsumeRequest};
use crate::receive::dedupe::{DEFAULT_WINDOW, FileMark, Index};
use crate::receive::metrics::Metrics;
use crate::receive::parse::{Item, Kind};
use crate::receive::store::{Routed, Store, open_index};

/// An open output.
pub enum Output {
    /// Through the routing (the collector's store, index included).
    Routed {
        /// The store.
        store: Store,
        /// Its counters (unused but by the store).
        metrics: Metrics,
        /// Held for the lock.
        _lock: File,
    },
    /// Lines to stdout or a file, behind the index.
    Lines {
        /// The index.
        index: Index,
        /// The number of the last batch written.
        batch: u64,
        /// Where the lines go.
        sink: LineSink,
        /// Held for the lock.
        _lock: File,
    },
}

/// Where lines go.
pub enum LineSink {
    /// Standard output, flushed after each batch.
    Stdout(std::io::Stdout),
    /// The size-rotating file, fsynced after each batch.
    File(OutFile),
}

impl Output {
    /// Opens the output of `request`, its index locked.
    pub fn open(request: &ConsumeRequest) -> anyhow::Result<Output> {
        let dir = &request.index_dir;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the state directory {}", dir.display()))?;
        let lock_path = dir.join("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o640)
            .open(&lock_path)
            .with_context(|| format!("cannot open {}", lock_path.display()))?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(
            |_| {
                anyhow::anyhow!(
                    "another logward consume uses the state directory {}; give each consumer its \
                     own --state-dir",
                    dir.display()
                )
            },
        )?;
        match &request.output {
            ConsumeOutput::Routed(path) => {
                let config = Config::load(path.as_deref())?;
                let sync = config.routes().any(|(_, r)| r.sync == SyncPolicy::Always);
                let (index, counts) =
                    open_index(dir, DEFAULT_WINDOW, sync, &crate::receive::today())?;
                let logward = Logward::builder().with_config(config.clone()).build()?;
                let (_layer, guard) = logward.into_parts::<tracing_subscriber::Registry>();
                guard.flush();
                let routed = Routed::new(guard, None, index, (dir, counts.batch), &config);
                Ok(Output::Routed {
                    store: Store::Routed(Box::new(Mutex::new(routed))),
                    metrics: Metrics::default(),
                    _lock: lock,
                })
            }
            ConsumeOutput::Stdout => Ok(Output::Lines {
                index: lines_index(dir, false)?,
                batch: 0,
                sink: LineSink::Stdout(std::io::stdout()),
                _lock: lock,
            }),
            ConsumeOutput::File { path, rotate_bytes } => Ok(Output::Lines {
                index: lines_index(dir, true)?,
                batch: 0,
                sink: LineSink::File(OutFile::open(path, *rotate_bytes)?),
                _lock: lock,
            }),
        }
    }

    /// Writes the records of `items` not written before; returns how many
    /// were written and how many were dropped as duplicates.
    pub fn write(&mut self, items: &[Item]) -> anyhow::Result<(u64, u64)> {
        match self {
            Output::Routed { store, metrics, .. } => {
                let today = crate::receive::today();
                let outcome = store
                    .store(items, metrics, &today)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok((outcome.written as u64, outcome.duplicates as u64))
            }
            Output::Lines {
                index, sink, batch, ..
            } => {
                let mut ids = Vec::new();
                let mut fresh = Vec::new();
                for item in items {
                    if let Kind::Record(record) = &item.kind {
                        if !index.contains(record.id) && !ids.contains(&record.id) {
                            ids.push(record.id);
                            fresh.push(item.line.as_slice());
                        }
                    }
                }
                let duplicates = (items.len() - fresh.len()) as u64;
                if ids.is_empty() {
                    return Ok((0, duplicates));
                }
                let marks = match sink {
                    LineSink::Stdout(_) => Vec::new(),
                    LineSink::File(file) => vec![FileMark::of(file.path())],
                };
                *batch += 1;
                index.begin(*batch, &ids, marks)?;
                match sink {
                    LineSink::Stdout(out) => {
                        let mut bytes = Vec::new();
                        for line in &fresh {
                            bytes.extend_from_slice(line);
                            bytes.push(b'\n');
                        }
                        let mut out = out.lock();
                        out.write_all(&bytes)
                            .and_then(|()| out.flush())
                            .context("cannot write to stdout")?;
                    }
                    LineSink::File(file) => file.write_lines(&fresh)?,
                }
                index.add(&ids)?;
                index.done()?;
                Ok((ids.len() as u64, duplicates))
            }
        }
    }
}

/// Opens the index of a lines output in `dir`, settling a batch a killed
/// consumer left pending: the ids found in the output file join the index.
fn lines_index(dir: &std::path::Path, sync: bool) -> anyhow::Result<Index> {
    let mut index = Index::open(dir, DEFAULT_WINDOW, sync)?;
    if index.recover()?.is_some() {
        index.done()?;
    }
    Ok(index)
}

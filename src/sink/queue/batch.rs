//! Records as one shard of the queue holds them, in chunks from the
//! queue's pool, and the writer's round: the batches it took from every
//! shard at once, merged back into one sequence in `created_at` order.
//!
//! A shard's records go into fixed-size chunks, so that a batch grows by
//! taking a chunk rather than by moving what it holds, and memory follows
//! the records queued: a chunk written out goes back to the pool for any
//! shard to fill next, and the pool gives back what a burst took when the
//! writer goes to sleep.
//!
//! Chunks are mapped with their pages faulted in at once (one system call
//! for 256 KiB), so the pool fills with few system calls and a caller
//! filling a chunk takes no page faults. Tried and not kept, with 4 and 8
//! producer threads on 2 CPUs: 64 KiB chunks (four times the mappings;
//! p99.9 about 37 µs), chunks whose pages fault in as they are written
//! (p99.9 7 to 65 µs), and a batch keeping its own chunks instead of a
//! shared pool, freeing what a round did not use (a mapping made or freed
//! nearly every round; p99.9 18 to 68 µs).

use std::alloc::Layout;
use std::sync::{Mutex, MutexGuard};

use memmap2::{MmapMut, MmapOptions};

use crate::record;
use crate::sink::{Entry, lock};
use crate::{Level, LogType};

/// The room of one chunk. A record longer than this gets a chunk of its
/// own, freed once it is written.
pub(super) const CHUNK_BYTES: usize = 256 * 1024;
/// Records a chunk's index reserves up front.
const CHUNK_RECORDS: usize = 1024;
/// Chunks the pool keeps while the writer sleeps.
pub(super) const IDLE_CHUNKS: usize = 4;

/// Lines back to back, and where each ends with its level and log type.
/// The bytes are pages of their own (an anonymous mapping), so that a
/// chunk freed is memory the process gives back at once, whatever the
/// allocator would do with blocks of this size (glibc kept a burst's 64
/// KiB blocks, 30 MiB, after they were freed).
struct Chunk {
    bytes: MmapMut,
    len: usize,
    ends: Vec<(usize, Level, LogType)>,
}

impl Chunk {
    fn new(room: usize) -> Self {
        let bytes = MmapOptions::new()
            .len(room)
            .populate()
            .map_anon()
            .unwrap_or_else(|_| {
                // As when a `Vec` cannot grow: the process is out of memory.
                let layout = Layout::from_size_align(room, 1).unwrap_or(Layout::new::<u8>());
                std::alloc::handle_alloc_error(layout)
            });
        Chunk {
            bytes,
            len: 0,
            ends: Vec::with_capacity(CHUNK_RECORDS),
        }
    }

    fn fits(&self, line: &[u8]) -> bool {
        self.len + line.len() <= self.bytes.len()
    }

    #[inline]
    fn push(&mut self, line: &[u8], level: Level, log_type: LogType) {
        let end = self.len + line.len();
        self.bytes[self.len..end].copy_from_slice(line);
        self.len = end;
        self.ends.push((end, level, log_type));
    }
}

/// Empty chunks of [`CHUNK_BYTES`], shared by the shards of one queue.
#[derive(Default)]
pub(super) struct Pool {
    chunks: Mutex<Vec<Chunk>>,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, Vec<Chunk>> {
        lock(&self.chunks)
    }

    /// An empty chunk with room for `line`.
    fn take(&self, line: &[u8]) -> Chunk {
        if line.len() <= CHUNK_BYTES
            && let Some(chunk) = self.lock().pop()
        {
            return chunk;
        }
        Chunk::new(CHUNK_BYTES.max(line.len()))
    }

    /// Takes back the chunks of `batch`, emptied; a chunk of a record
    /// longer than [`CHUNK_BYTES`] is freed.
    fn give(&self, batch: &mut Batch) {
        if batch.chunks.is_empty() {
            return;
        }
        let mut pool = self.lock();
        for mut chunk in batch.chunks.drain(..) {
            if chunk.bytes.len() == CHUNK_BYTES {
                chunk.len = 0;
                chunk.ends.clear();
                pool.push(chunk);
            }
        }
    }

    /// Frees every chunk beyond [`IDLE_CHUNKS`].
    pub(super) fn release(&self) {
        let mut pool = self.lock();
        pool.truncate(IDLE_CHUNKS);
        pool.shrink_to_fit();
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }
}

/// One shard's records, as queued or as taken by the writer: full chunks
/// and, last, the one being filled.
#[derive(Default)]
pub(super) struct Batch {
    chunks: Vec<Chunk>,
}

impl Batch {
    /// Records in the batch: a chunk is only added with a record in it.
    pub(super) fn len(&self) -> usize {
        self.chunks.iter().map(|chunk| chunk.ends.len()).sum()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    #[inline]
    pub(super) fn push(&mut self, line: &[u8], level: Level, log_type: LogType, pool: &Pool) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.fits(line) => chunk.push(line, level, log_type),
            _ => {
                let mut chunk = pool.take(line);
                chunk.push(line, level, log_type);
                self.chunks.push(chunk);
            }
        }
    }

    #[cfg(test)]
    pub(super) fn chunks(&self) -> usize {
        self.chunks.len()
    }
}

/// What the writer took in one round: one batch per shard, each in the
/// order its callers queued it.
pub(in crate::sink) struct Round {
    pub(super) batches: Vec<Batch>,
}

impl Round {
    pub(super) fn new(shards: usize) -> Self {
        Round {
            batches: (0..shards).map(|_| Batch::default()).collect(),
        }
    }

    /// Records in the round.
    pub(super) fn len(&self) -> usize {
        self.batches.iter().map(Batch::len).sum()
    }

    /// The records of every shard merged by their `created_at` text, the
    /// earliest first; each shard's records keep their order (a record is
    /// taken only from the front of its shard's batch), and lines that do
    /// not carry the time in its place come first.
    pub(in crate::sink) fn entries(&self) -> Merge<'_> {
        let mut heads: Vec<Head<'_>> = self
            .batches
            .iter()
            .filter(|b| !b.is_empty())
            .map(|batch| Head {
                chunks: &batch.chunks,
                chunk: 0,
                next: 0,
                start: 0,
                key: &[],
            })
            .collect();
        // One thread's batch alone needs no keys: it is taken in order.
        if heads.len() > 1 {
            for head in &mut heads {
                head.key = record::created_at(head.line());
            }
        }
        Merge { heads }
    }

    /// Gives every batch's chunks back to `pool`.
    pub(super) fn recycle(&mut self, pool: &Pool) {
        for batch in &mut self.batches {
            pool.give(batch);
        }
    }
}

/// The next record of one shard's batch.
struct Head<'a> {
    chunks: &'a [Chunk],
    chunk: usize,
    next: usize,
    start: usize,
    key: &'a [u8],
}

impl<'a> Head<'a> {
    #[inline]
    fn line(&self) -> &'a [u8] {
        let chunk = &self.chunks[self.chunk];
        &chunk.bytes[self.start..chunk.ends[self.next].0]
    }

    /// Takes the next record; `false` when it was the last.
    #[inline]
    fn advance(&mut self) -> bool {
        let chunk = &self.chunks[self.chunk];
        self.start = chunk.ends[self.next].0;
        self.next += 1;
        if self.next == chunk.ends.len() {
            (self.chunk, self.next, self.start) = (self.chunk + 1, 0, 0);
        }
        self.chunk < self.chunks.len()
    }
}

/// See [`Round::entries`].
pub(in crate::sink) struct Merge<'a> {
    heads: Vec<Head<'a>>,
}

impl<'a> Iterator for Merge<'a> {
    type Item = Entry<'a>;

    #[inline]
    fn next(&mut self) -> Option<Entry<'a>> {
        let many = self.heads.len() > 1;
        let mut first = 0;
        if many {
            for (i, head) in self.heads.iter().enumerate().skip(1) {
                if head.key < self.heads[first].key {
                    first = i;
                }
            }
        }
        let head = self.heads.get_mut(first)?;
        let (_, level, log_type) = head.chunks[head.chunk].ends[head.next];
        let entry = Entry {
            line: head.line(),
            level,
            log_type,
        };
        if !head.advance() {
            self.heads.remove(first);
        } else if many {
            head.key = record::created_at(head.line());
        }
        Some(entry)
    }
}

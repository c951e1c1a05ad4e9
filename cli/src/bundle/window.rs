//! A source's reorder window, holding the bytes of the records it holds.
//!
//! The window yields the earliest record it holds, then the one read first
//! (see the `source` module for why a source needs one). Records nearly
//! always arrive in order: those go to the back of `run`, kept sorted, at no
//! cost; only a record earlier than the last of `run` goes to the heap
//! `late`. The earliest held is the earlier of `run`'s first and `late`'s
//! top.
//!
//! The bytes: a line that joins the run is copied into the window's
//! [`Segments`], buffers of [`SEGMENT_BYTES`] filled one after the other.
//! The run is first in, first out, so segments empty from the front: one is
//! reused as soon as no record of the run (nor the one being read) lies in
//! it. In order, a kept line costs one copy and no allocation, and the
//! bytes held are those of the run, the unused end of a segment or two, and
//! [`SPARE_SEGMENTS`] spares. A late record (rare) has its line in an
//! allocation of its own. The record taken out last is lent to the reader
//! until it asks for the next.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

use super::filter::Head;
use super::source::{Record, RecordRef};

/// Bytes of one segment (1 MiB); a longer line gets a segment of its size.
pub(crate) const SEGMENT_BYTES: usize = 1024 * 1024;

/// Emptied segments kept for reuse.
pub(crate) const SPARE_SEGMENTS: usize = 2;

/// The lines of the run, in the order they joined it.
struct Segments {
    held: VecDeque<Vec<u8>>,
    /// The number of `held[0]`; numbers are never reused.
    first: u64,
    spare: Vec<Vec<u8>>,
    /// Bytes of a segment: [`SEGMENT_BYTES`], smaller in tests.
    size: usize,
}

impl Segments {
    fn of(size: usize) -> Self {
        Segments {
            held: VecDeque::new(),
            first: 0,
            spare: Vec::new(),
            size,
        }
    }

    /// Copies `line` in; returns its segment's number and where it starts.
    fn append(&mut self, line: &[u8]) -> (u64, usize) {
        // A segment is never grown: the lines already in it stay in place.
        let mut segment = match self.held.pop_back() {
            Some(last) if last.capacity() - last.len() >= line.len() => last,
            last => {
                self.held.extend(last);
                self.fresh(line.len())
            }
        };
        let start = segment.len();
        segment.extend_from_slice(line);
        self.held.push_back(segment);
        (self.first + self.held.len() as u64 - 1, start)
    }

    fn fresh(&mut self, at_least: usize) -> Vec<u8> {
        match self.spare.pop() {
            Some(spare) if spare.capacity() >= at_least => spare,
            spare => {
                self.spare.extend(spare);
                Vec::with_capacity(at_least.max(self.size))
            }
        }
    }

    fn get(&self, number: u64, start: usize, len: usize) -> &[u8] {
        let index = (number - self.first) as usize;
        &self.held[index][start..start + len]
    }

    /// Frees the segments before number `keep` (all of them for `None`);
    /// keeps up to [`SPARE_SEGMENTS`] of the usual size for reuse.
    fn release_before(&mut self, keep: Option<u64>) {
        let end = keep.unwrap_or(self.first + self.held.len() as u64);
        while self.first < end {
            let Some(mut segment) = self.held.pop_front() else {
                break;
            };
            self.first += 1;
            if self.spare.len() < SPARE_SEGMENTS && segment.capacity() < 2 * self.size {
                segment.clear();
                self.spare.push(segment);
            }
        }
    }

    /// Segments held and spare.
    #[cfg(test)]
    fn count(&self) -> usize {
        self.held.len() + self.spare.len()
    }
}

/// A record of the run: its head and where its line is.
#[derive(Clone, Copy)]
struct InRun {
    seq: u64,
    head: Head,
    segment: u64,
    start: usize,
    len: usize,
}

impl InRun {
    fn key(&self) -> (i64, u64) {
        (self.head.created_at, self.seq)
    }
}

/// A record that came after a later one, with its own line.
struct Late {
    seq: u64,
    record: Record,
}

impl Late {
    fn key(&self) -> (i64, u64) {
        (self.record.head.created_at, self.seq)
    }
}

impl PartialEq for Late {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Late {}

impl PartialOrd for Late {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Late {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// The record taken out last.
enum Taken {
    Run(InRun),
    Late(Record),
}

/// Records waiting to be yielded earliest first, with their bytes.
pub(crate) struct Window {
    run: VecDeque<InRun>,
    late: BinaryHeap<Reverse<Late>>,
    segments: Segments,
    bytes: usize,
    read: u64,
    taken: Option<Taken>,
}

impl Default for Window {
    fn default() -> Self {
        Window::with_segments_of(SEGMENT_BYTES)
    }
}

impl Window {
    fn with_segments_of(size: usize) -> Self {
        Window {
            run: VecDeque::new(),
            late: BinaryHeap::new(),
            segments: Segments::of(size),
            bytes: 0,
            read: 0,
            taken: None,
        }
    }

    /// Records held, besides the one taken out.
    pub(crate) fn len(&self) -> usize {
        self.run.len() + self.late.len()
    }

    /// Bytes of the records held, besides the one taken out.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Adds a record read after all those added before.
    pub(crate) fn push(&mut self, head: Head, line: &[u8]) {
        self.read += 1;
        self.bytes += line.len();
        let seq = self.read;
        match self.run.back() {
            Some(last) if (head.created_at, seq) < last.key() => self.late.push(Reverse(Late {
                seq,
                record: Record {
                    head,
                    line: line.to_vec(),
                },
            })),
            _ => {
                let (segment, start) = self.segments.append(line);
                self.run.push_back(InRun {
                    seq,
                    head,
                    segment,
                    start,
                    len: line.len(),
                });
            }
        }
    }

    /// Takes out the earliest record held (then the one read first), which
    /// [`Window::taken`] lends until the next call; `false` when none is
    /// held.
    pub(crate) fn take(&mut self) -> bool {
        let late_first = match (self.run.front(), self.late.peek()) {
            (Some(first), Some(Reverse(top))) => top.key() < first.key(),
            (None, top) => top.is_some(),
            (Some(_), None) => false,
        };
        self.taken = if late_first {
            self.late
                .pop()
                .map(|Reverse(late)| Taken::Late(late.record))
        } else {
            self.run.pop_front().map(Taken::Run)
        };
        let keep = match &self.taken {
            Some(Taken::Run(record)) => Some(record.segment),
            _ => self.run.front().map(|record| record.segment),
        };
        self.segments.release_before(keep);
        match &self.taken {
            Some(Taken::Run(record)) => self.bytes -= record.len,
            Some(Taken::Late(record)) => self.bytes -= record.line.len(),
            None => return false,
        }
        true
    }

    /// The record taken out last.
    pub(crate) fn taken(&self) -> Option<RecordRef<'_>> {
        match self.taken.as_ref()? {
            Taken::Run(record) => Some(RecordRef {
                head: record.head,
                line: self.segments.get(record.segment, record.start, record.len),
            }),
            Taken::Late(record) => Some(record.view()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logward::{Level, LogType};
    use proptest::prelude::*;

    fn head(created_at: i64) -> Head {
        Head {
            created_at,
            level: Level::Info,
            log_type: LogType::Web,
        }
    }

    /// The line of record `seq` at `time`: both, so a line shows whose it is.
    fn line(seq: usize, time: i64, len: usize) -> Vec<u8> {
        let mut line = format!("{seq}:{time}:").into_bytes();
        line.resize(line.len().max(len), b'x');
        line
    }

    proptest! {
        /// The window yields exactly what a plain heap of the same records
        /// yields, with each record's own line, pushes and takes
        /// interleaved, for records in order, out of order and with equal
        /// times, and lines shorter and longer than a segment (of 1 KiB
        /// here, so that many fill).
        #[test]
        fn window_yields_what_a_heap_yields(
            steps in proptest::collection::vec(
                (0i64..50, any::<bool>(), prop_oneof![8 => 0usize..400, 1 => 0usize..3000]),
                0..400,
            )
        ) {
            let (mut window, mut heap) = (Window::with_segments_of(1024), BinaryHeap::new());
            let mut time = 0;
            let mut lines = Vec::new();
            for (seq, (jump, take, len)) in steps.into_iter().enumerate() {
                // Mostly forward, sometimes back.
                time += if jump < 40 { jump } else { 30 - jump };
                lines.push(line(seq, time, len));
                window.push(head(time), &lines[seq]);
                heap.push(Reverse((time, seq)));
                if take {
                    let expected = heap.pop().map(|Reverse((time, seq))| (time, lines[seq].clone()));
                    prop_assert_eq!(window.take(), expected.is_some());
                    let ours = window.taken().map(|r| (r.head.created_at, r.line.to_vec()));
                    prop_assert_eq!(ours, expected);
                }
                prop_assert_eq!(window.len(), heap.len());
                let held: usize = heap.iter().map(|Reverse((_, seq))| lines[*seq].len()).sum();
                prop_assert_eq!(window.bytes(), held);
                // Segments are freed as they empty: besides the first (part
                // taken) and the last (part filled), each is over half full.
                prop_assert!(window.segments.held.len() <= 3 + 2 * held / 1024);
            }
            while let Some(Reverse((time, seq))) = heap.pop() {
                prop_assert!(window.take());
                let ours = window.taken().map(|r| (r.head.created_at, r.line.to_vec()));
                prop_assert_eq!(ours, Some((time, lines[seq].clone())));
            }
            prop_assert!(!window.take());
            prop_assert!(window.taken().is_none());
        }
    }

    #[test]
    fn in_order_records_reuse_a_few_segments() {
        let mut window = Window::default();
        let line = vec![b'x'; 1000];
        for time in 0..20_000 {
            window.push(head(time), &line);
            if window.len() > 2_000 {
                assert!(window.take());
            }
        }
        // 2,000 records of 1,000 bytes lie in two or three segments, and
        // the emptied ones were reused, not added to.
        assert!(window.segments.count() <= 3 + SPARE_SEGMENTS);
        assert!(window.segments.first >= 16, "{}", window.segments.first);
        while window.take() {}
        assert_eq!(window.bytes(), 0);
        assert!(window.segments.held.is_empty());
        assert_eq!(window.segments.spare.len(), SPARE_SEGMENTS);
    }

    #[test]
    fn a_record_far_ahead_holds_one_segment_and_the_rest_go_late() {
        let mut window = Window::default();
        let line = vec![b'y'; 1000];
        window.push(head(i64::MAX), &line);
        for time in 0..10_000 {
            window.push(head(time), &line);
            assert!(window.take());
            assert_eq!(window.taken().map(|r| r.head.created_at), Some(time));
        }
        assert_eq!(window.segments.held.len(), 1);
        assert!(window.take());
        assert_eq!(window.taken().map(|r| r.head.created_at), Some(i64::MAX));
    }
}

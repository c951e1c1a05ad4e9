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
//! allocation of its own. Lines judged on another thread come as a whole
//! buffer of lines ([`Window::push_lines`]), which becomes a segment as it
//! is, without a copy; an emptied segment goes back to that thread to be
//! filled again ([`Window::spare_segment`]). The record taken out last is
//! lent to the reader until it asks for the next.

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

    /// Takes `bytes` in as a segment of its own; its number.
    fn adopt(&mut self, bytes: Vec<u8>) -> u64 {
        self.held.push_back(bytes);
        self.first + self.held.len() as u64 - 1
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
        let seq = self.next_seq(line.len());
        if self.is_late(head, seq) {
            self.push_late(seq, head, line.to_vec());
        } else {
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

    /// Adds records read after all those added before, their lines one
    /// after the other in `bytes` (each record given with the end of its
    /// line there), without copying them: `bytes` becomes a segment of the
    /// window. A late one among them gets a copy of its own, as in
    /// [`Window::push`].
    pub(crate) fn push_lines(&mut self, bytes: Vec<u8>, records: &[(Head, usize)]) {
        let segment = self.segments.adopt(bytes);
        let mut start = 0;
        for &(head, end) in records {
            let len = end - start;
            let seq = self.next_seq(len);
            if self.is_late(head, seq) {
                let line = self.segments.get(segment, start, len).to_vec();
                self.push_late(seq, head, line);
            } else {
                self.run.push_back(InRun {
                    seq,
                    head,
                    segment,
                    start,
                    len,
                });
            }
            start = end;
        }
    }

    /// An emptied segment, for the caller to fill and give back with
    /// [`Window::push_lines`].
    pub(crate) fn spare_segment(&mut self) -> Option<Vec<u8>> {
        self.segments.spare.pop()
    }

    /// Counts a record of `len` bytes in; its number.
    fn next_seq(&mut self, len: usize) -> u64 {
        self.read += 1;
        self.bytes += len;
        self.read
    }

    /// Whether a record comes before the last of the run.
    fn is_late(&self, head: Head, seq: u64) -> bool {
        self.run
            .back()
            .is_some_and(|last| (head.created_at, seq) < last.key())
    }

    fn push_late(&mut self, seq: u64, head: Head, line: Vec<u8>) {
        self.late.push(Reverse(Late {
            seq,
            record: Record { head, line },
        }));
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

    proptest! {
        /// Records given as whole batches of lines (as a thread judging a
        /// source hands them over) come out as a heap of them gives them,
        /// each with its own line, late ones included, and none is held
        /// once all are out.
        #[test]
        fn batches_of_lines_yield_what_a_heap_yields(
            batches in proptest::collection::vec(
                proptest::collection::vec((0i64..50, 0usize..300), 0..40),
                0..30,
            ),
            takes in proptest::collection::vec(0usize..60, 30),
        ) {
            let mut window = Window::with_segments_of(1024);
            let mut heap = BinaryHeap::new();
            let mut lines = Vec::new();
            let mut time = 0;
            for (batch, take) in batches.into_iter().zip(takes) {
                let (mut bytes, mut records) = (Vec::new(), Vec::new());
                for (jump, len) in batch {
                    time += if jump < 40 { jump } else { 30 - jump };
                    let seq = lines.len();
                    lines.push(line(seq, time, len));
                    bytes.extend_from_slice(&lines[seq]);
                    records.push((head(time), bytes.len()));
                    heap.push(Reverse((time, seq)));
                }
                window.push_lines(bytes, &records);
                for _ in 0..take {
                    let expected = heap.pop().map(|Reverse((time, seq))| (time, lines[seq].clone()));
                    prop_assert_eq!(window.take(), expected.is_some());
                    let ours = window.taken().map(|r| (r.head.created_at, r.line.to_vec()));
                    prop_assert_eq!(ours, expected);
                }
                window.spare_segment();
                prop_assert_eq!(window.len(), heap.len());
            }
            while let Some(Reverse((time, seq))) = heap.pop() {
                prop_assert!(window.take());
                let ours = window.taken().map(|r| (r.head.created_at, r.line.to_vec()));
                prop_assert_eq!(ours, Some((time, lines[seq].clone())));
            }
            prop_assert!(!window.take());
            prop_assert_eq!(window.bytes(), 0);
            prop_assert!(window.segments.held.is_empty());
        }
    }

    #[test]
    fn in_order_batches_give_their_buffers_back() {
        let mut window = Window::default();
        let line = vec![b'x'; 1000];
        let mut given_back = 0;
        for batch in 0..100 {
            let mut bytes = Vec::with_capacity(SEGMENT_BYTES);
            let mut records = Vec::new();
            for i in 0..100 {
                bytes.extend_from_slice(&line);
                records.push((head(batch * 100 + i), bytes.len()));
            }
            window.push_lines(bytes, &records);
            while window.len() > 2_000 {
                assert!(window.take());
            }
            if let Some(spare) = window.spare_segment() {
                assert!(spare.is_empty() && spare.capacity() >= SEGMENT_BYTES);
                given_back += 1;
            }
        }
        // 100 batches, of which the window holds the last 20 or 21: the
        // others came back once their records were out.
        assert!(given_back >= 79, "{given_back}");
        assert!(window.segments.held.len() <= 21);
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

//! A k-way merge of record streams in `created_at` order.
//!
//! Each stream is already in time order (a source is put in order by its
//! reorder window, see the `source` module), so the merge keeps the time of
//! each stream's current record in a min-heap and always yields the
//! earliest. Each stream lends its current record where it holds it, so the
//! merge copies nothing and holds one record per stream whatever the input
//! size. Equal times come out in stream order. A stream still out of order
//! is merged as it is: its records keep their order relative to each other.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::source::RecordRef;

/// A stream of records read one at a time, each lent until the next.
pub(crate) trait Cursor {
    /// Moves to the next record; `false` at the end.
    fn advance(&mut self) -> bool;

    /// The record moved to, until the next [`Cursor::advance`].
    fn current(&self) -> Option<RecordRef<'_>>;
}

/// Merges several cursors by `created_at`.
pub(crate) struct Merge<C> {
    streams: Vec<C>,
    /// The time of each stream's current record, and the stream.
    heap: BinaryHeap<Reverse<(i64, usize)>>,
    /// The stream whose record was yielded last: it moves on first.
    yielded: Option<usize>,
}

impl<C: Cursor> Merge<C> {
    /// Starts the merge, moving every stream to its first record.
    pub(crate) fn new(streams: Vec<C>) -> Self {
        let mut merge = Merge {
            heap: BinaryHeap::with_capacity(streams.len()),
            streams,
            yielded: None,
        };
        for stream in 0..merge.streams.len() {
            merge.move_on(stream);
        }
        merge
    }

    fn move_on(&mut self, stream: usize) {
        let cursor = &mut self.streams[stream];
        if cursor.advance() {
            if let Some(record) = cursor.current() {
                self.heap.push(Reverse((record.head.created_at, stream)));
            }
        }
    }

    /// The earliest record of all streams (of the first stream on equal
    /// times), lent until the next call.
    pub(crate) fn next_record(&mut self) -> Option<RecordRef<'_>> {
        if let Some(stream) = self.yielded.take() {
            self.move_on(stream);
        }
        let Reverse((_, stream)) = self.heap.pop()?;
        self.yielded = Some(stream);
        self.streams[stream].current()
    }

    /// Ends the merge and gives the streams back.
    pub(crate) fn into_streams(self) -> Vec<C> {
        self.streams
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::filter::Head;
    use logward::{Level, LogType};

    /// Records `(time, line)` in the order given.
    struct Items {
        items: Vec<(i64, &'static str)>,
        at: Option<usize>,
    }

    impl Cursor for Items {
        fn advance(&mut self) -> bool {
            let next = self.at.map_or(0, |at| at + 1);
            self.at = Some(next);
            next < self.items.len()
        }

        fn current(&self) -> Option<RecordRef<'_>> {
            let &(created_at, line) = self.items.get(self.at?)?;
            Some(RecordRef {
                head: Head {
                    created_at,
                    level: Level::Info,
                    log_type: LogType::Web,
                },
                line: line.as_bytes(),
            })
        }
    }

    fn cursors(streams: Vec<Vec<(i64, &'static str)>>) -> Vec<Items> {
        streams
            .into_iter()
            .map(|items| Items { items, at: None })
            .collect()
    }

    fn merge(streams: Vec<Vec<(i64, &'static str)>>) -> Vec<(i64, String)> {
        let mut merge = Merge::new(cursors(streams));
        let mut out = Vec::new();
        while let Some(record) = merge.next_record() {
            let line = String::from_utf8(record.line.to_vec()).unwrap();
            out.push((record.head.created_at, line));
        }
        out
    }

    fn owned(items: &[(i64, &str)]) -> Vec<(i64, String)> {
        items.iter().map(|&(t, s)| (t, s.to_string())).collect()
    }

    #[test]
    fn interleaves_sorted_streams() {
        let merged = merge(vec![
            vec![(1, "a"), (4, "a"), (9, "a")],
            vec![],
            vec![(2, "c"), (3, "c"), (10, "c")],
            vec![(5, "d")],
        ]);
        let times: Vec<i64> = merged.iter().map(|i| i.0).collect();
        assert_eq!(times, [1, 2, 3, 4, 5, 9, 10]);
    }

    #[test]
    fn equal_times_come_in_stream_order() {
        let merged = merge(vec![vec![(1, "a"), (2, "a")], vec![(1, "b"), (2, "b")]]);
        assert_eq!(merged, owned(&[(1, "a"), (1, "b"), (2, "a"), (2, "b")]));
    }

    #[test]
    fn an_out_of_order_stream_keeps_its_own_order() {
        let merged = merge(vec![
            vec![(5, "a"), (3, "a"), (8, "a")],
            vec![(4, "b"), (6, "b")],
        ]);
        assert_eq!(
            merged,
            owned(&[(4, "b"), (5, "a"), (3, "a"), (6, "b"), (8, "a")])
        );
    }

    #[test]
    fn holds_one_time_per_stream() {
        let streams = (0..3)
            .map(|s| (0..1000).map(|t| (t * 3 + s, "x")).collect())
            .collect();
        let mut merge = Merge::new(cursors(streams));
        let mut last = i64::MIN;
        let mut count = 0;
        loop {
            assert!(merge.heap.len() <= 3);
            let Some(record) = merge.next_record() else {
                break;
            };
            let time = record.head.created_at;
            assert!(time > last);
            last = time;
            count += 1;
        }
        assert_eq!(count, 3000);
    }
}

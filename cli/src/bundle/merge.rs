//! A k-way merge of record streams in `created_at` order.
//!
//! Each stream is already in time order (a source is put in order by its
//! reorder window, see the `source` module), so the merge keeps one
//! pending item per stream in a min-heap and always yields the earliest;
//! memory is one item per stream whatever the input size. Equal times come
//! out in stream order. A stream still out of order is merged as it is: its
//! items keep their order relative to each other.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// Something with a time to merge by.
pub(crate) trait Timed {
    /// The merge key: microseconds since the epoch.
    fn time(&self) -> i64;
}

/// Merges several iterators by [`Timed::time`].
pub(crate) struct Merge<I: Iterator> {
    streams: Vec<I>,
    heap: BinaryHeap<Reverse<Pending<I::Item>>>,
}

struct Pending<T> {
    time: i64,
    stream: usize,
    item: T,
}

impl<T> PartialEq for Pending<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T> Eq for Pending<T> {}

impl<T> PartialOrd for Pending<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Pending<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.time, self.stream).cmp(&(other.time, other.stream))
    }
}

impl<I> Merge<I>
where
    I: Iterator,
    I::Item: Timed,
{
    /// Starts the merge, taking the first item of every stream.
    pub(crate) fn new(mut streams: Vec<I>) -> Self {
        let mut heap = BinaryHeap::with_capacity(streams.len());
        for (stream, iter) in streams.iter_mut().enumerate() {
            if let Some(item) = iter.next() {
                heap.push(Reverse(Pending {
                    time: item.time(),
                    stream,
                    item,
                }));
            }
        }
        Merge { streams, heap }
    }

    /// Ends the merge and gives the streams back.
    pub(crate) fn into_streams(self) -> Vec<I> {
        self.streams
    }
}

impl<I> Iterator for Merge<I>
where
    I: Iterator,
    I::Item: Timed,
{
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let Reverse(Pending { stream, item, .. }) = self.heap.pop()?;
        if let Some(next) = self.streams[stream].next() {
            self.heap.push(Reverse(Pending {
                time: next.time(),
                stream,
                item: next,
            }));
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    struct Item(i64, &'static str);

    impl Timed for Item {
        fn time(&self) -> i64 {
            self.0
        }
    }

    fn merge(streams: Vec<Vec<Item>>) -> Vec<Item> {
        Merge::new(streams.into_iter().map(Vec::into_iter).collect()).collect()
    }

    #[test]
    fn interleaves_sorted_streams() {
        let merged = merge(vec![
            vec![Item(1, "a"), Item(4, "a"), Item(9, "a")],
            vec![],
            vec![Item(2, "c"), Item(3, "c"), Item(10, "c")],
            vec![Item(5, "d")],
        ]);
        let times: Vec<i64> = merged.iter().map(|i| i.0).collect();
        assert_eq!(times, [1, 2, 3, 4, 5, 9, 10]);
    }

    #[test]
    fn equal_times_come_in_stream_order() {
        let merged = merge(vec![
            vec![Item(1, "a"), Item(2, "a")],
            vec![Item(1, "b"), Item(2, "b")],
        ]);
        assert_eq!(
            merged,
            [Item(1, "a"), Item(1, "b"), Item(2, "a"), Item(2, "b")]
        );
    }

    #[test]
    fn an_out_of_order_stream_keeps_its_own_order() {
        let merged = merge(vec![
            vec![Item(5, "a"), Item(3, "a"), Item(8, "a")],
            vec![Item(4, "b"), Item(6, "b")],
        ]);
        assert_eq!(
            merged,
            [
                Item(4, "b"),
                Item(5, "a"),
                Item(3, "a"),
                Item(6, "b"),
                Item(8, "a")
            ]
        );
    }

    #[test]
    fn holds_one_item_per_stream() {
        let streams: Vec<_> = (0..3)
            .map(|s| (0..1000).map(move |t| Item(t * 3 + s, "x")))
            .collect();
        let mut merge = Merge::new(streams);
        let mut last = i64::MIN;
        let mut count = 0;
        while let Some(item) = merge.next() {
            assert!(merge.heap.len() <= 3);
            assert!(item.0 > last);
            last = item.0;
            count += 1;
        }
        assert_eq!(count, 3000);
    }
}

//! How a writer thread waits for records without making callers wake it.
//!
//! A writer that sleeps until the next record comes has to be woken by the
//! caller that queues it: a futex system call on the caller's thread for
//! nearly every record when records come one at a time. So a writer whose
//! queue is empty naps instead, in growing steps (a flush, a stop or a
//! caller facing a full queue wakes it early), and only once it has been
//! idle for [`BLOCK_AFTER`] does it sleep until woken, so that an idle
//! service costs no CPU. In a steady stream, callers only enqueue. It does
//! not spin: polling a queue that a caller is writing to would take the
//! caller's cache lines away from it on every record.
//!
//! Nor does it take rounds back to back when it writes faster than its
//! callers log: it would then take a round of a few records each time
//! (one of 2 to 5 records on average, in the benches' runs of 3 million),
//! locking the callers' shards and reading the lines they had just
//! written every few records. A round of fewer than [`PACE_BELOW`]
//! records is followed by a nap of [`FIRST_NAP`] before the next one
//! (cut short, like every nap, by a flush, a stop or a caller facing a
//! full queue), so that a round holds what came in that time.

use std::time::{Duration, Instant};

/// The first nap; each next one doubles, up to [`LONGEST_NAP`].
const FIRST_NAP: Duration = Duration::from_micros(50);
/// The longest nap, which bounds how long a queued record waits.
const LONGEST_NAP: Duration = Duration::from_millis(1);
/// Idle time after which the writer blocks until the next message.
const BLOCK_AFTER: Duration = Duration::from_millis(10);
/// A round of fewer records than this is followed by a nap.
const PACE_BELOW: usize = 256;

/// What to do after finding the queue empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wait {
    /// Wait at most this long (or until woken), then look again.
    Nap(Duration),
    /// Wait until woken.
    Block,
}

/// The back-off state of one writer thread.
#[derive(Debug)]
pub(super) struct Idle {
    nap: Duration,
    since: Option<Instant>,
    /// The last round was small: nap before the next.
    pace: bool,
}

impl Default for Idle {
    fn default() -> Self {
        Idle {
            nap: FIRST_NAP,
            since: None,
            pace: false,
        }
    }
}

impl Idle {
    /// A round of `records` was taken: the next wait starts over with the
    /// shortest nap, and a small round makes the writer nap before the
    /// next one.
    pub(super) fn taken(&mut self, records: usize) {
        *self = Idle {
            pace: records < PACE_BELOW,
            ..Idle::default()
        };
    }

    /// The nap to take before looking for the next round, once after a
    /// small round.
    pub(super) fn pace(&mut self) -> Option<Duration> {
        std::mem::take(&mut self.pace).then_some(FIRST_NAP)
    }

    /// How to wait after finding the queue empty once more, at `now`.
    pub(super) fn next(&mut self, now: Instant) -> Wait {
        let since = *self.since.get_or_insert(now);
        if now.duration_since(since) >= BLOCK_AFTER {
            return Wait::Block;
        }
        let nap = self.nap;
        self.nap = (nap * 2).min(LONGEST_NAP);
        Wait::Nap(nap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naps_grow_until_it_has_been_idle_long_enough_to_block() {
        let start = Instant::now();
        let mut idle = Idle::default();
        let naps: Vec<Wait> = (0..7).map(|_| idle.next(start)).collect();
        let micros = [50, 100, 200, 400, 800, 1000, 1000];
        let expected: Vec<Wait> = micros
            .iter()
            .map(|&m| Wait::Nap(Duration::from_micros(m)))
            .collect();
        assert_eq!(naps, expected);
        assert_eq!(idle.next(start + BLOCK_AFTER), Wait::Block);
    }

    #[test]
    fn records_start_the_naps_over() {
        let start = Instant::now();
        let mut idle = Idle::default();
        idle.next(start);
        idle.next(start);
        idle.taken(PACE_BELOW);
        assert_eq!(idle.next(start + BLOCK_AFTER), Wait::Nap(FIRST_NAP));
    }

    #[test]
    fn a_small_round_is_followed_by_one_nap_and_a_large_one_by_none() {
        let mut idle = Idle::default();
        assert_eq!(idle.pace(), None, "no nap before the first round");
        idle.taken(PACE_BELOW - 1);
        assert_eq!(idle.pace(), Some(FIRST_NAP));
        assert_eq!(idle.pace(), None, "one nap per round");
        idle.taken(PACE_BELOW);
        assert_eq!(idle.pace(), None);
    }
}

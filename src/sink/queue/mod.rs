//! The bounded queue between the callers of one sink and its writer thread.
//!
//! The queue is sharded: each thread appends its rendered lines, back to
//! back, to the buffer of its own shard under that shard's mutex (threads
//! are given shards in turn, [`SHARDS`] of them, so that up to that many
//! threads never share one). The writer thread swaps every shard's buffer
//! for an empty one in a round and writes the records outside
//! the locks, merged in `created_at` order (see the `batch` module). A
//! record costs the caller one lock that only the writer contends and one
//! copy; room is counted on one count of records held, shared by every
//! thread, which a shard reserves for up to 64 records at a time (see
//! [`Queue::grant`]), so that threads do not contend on it per record: no
//! allocation (chunks are reused) and no system call,
//! because callers never wake the writer while it polls (see the `idle`
//! module); only when it has gone to sleep after a long idle time does the
//! next record wake it. A thread descheduled while it holds its shard
//! holds up no other caller.
//!
//! The queue holds at most `capacity` records that have not reached their
//! destination, counting those of the round the writer is writing: that
//! bounds both memory and what a crash of the process can lose.
//!
//! Memory: callers queue into 256 KiB chunks from the queue's pool (see
//! the `batch` module), so a shard's buffer grows by a chunk, never by
//! moving what it holds. At most `capacity` records wait in the shards
//! while the writer writes the round it took, itself at most `capacity`
//! records, so the chunks in use hold at most twice `capacity` records, 16
//! bytes of index each, and each shard's two part-filled chunks; the pool
//! holds no more chunks than were in use at once. A written chunk goes
//! back to the pool, so a steady stream allocates nothing; when the writer
//! goes to sleep after a burst (10 ms without records), the pool keeps four
//! chunks and frees the rest.
//!
//! A caller that finds the queue full waits (or drops the record, when its
//! type is configured to) and wakes the writer, as do flush and stop
//! requests, so those are answered at once. A writer slow through a round
//! gives back room as it goes (see [`Queue::free`]), so that a waiting
//! caller need not wait for the whole round.

mod batch;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use batch::{Batch, Pool, Round};

use super::idle::{Idle, Wait};
use super::lock;
use crate::{Level, LogType};

/// Shards per queue: threads beyond this many share them.
const SHARDS: usize = 16;

/// Threads given shards so far, across every queue.
static THREADS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's shard, the same in every queue.
    static SHARD: usize = THREADS.fetch_add(1, Ordering::Relaxed) % SHARDS;
}

/// What became of a record given to [`Queue::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pushed {
    Queued,
    /// The queue was full and the caller did not want to wait.
    Dropped,
    /// The writer has stopped; the record was not queued.
    Closed,
}

/// What [`Queue::take`] handed the writer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Taken {
    /// The round's number: a flush waits for a round that began after it.
    round: u64,
    /// A stop was requested: this is the last round.
    pub(super) last: bool,
}

/// One thread's buffer, on cache lines of its own.
#[repr(align(128))]
#[derive(Default)]
struct Shard {
    pending: Mutex<Pending>,
}

/// What a shard holds under its mutex.
#[derive(Default)]
struct Pending {
    batch: Batch,
    /// Room counted in `held` for this shard's next records: a grant.
    credit: usize,
}

/// What callers and the writer agree on under the control mutex.
#[derive(Default)]
struct Control {
    /// Rounds the writer has begun.
    begun: u64,
    /// The last round written and flushed.
    done: u64,
    /// The round the latest flush waits for.
    wanted: u64,
    /// Records of the round being written not yet given back.
    taken: usize,
    /// Callers waiting on `progress`.
    waiting: usize,
    stop: bool,
    /// The writer has finished (or died).
    finished: bool,
}

/// A value on cache lines of its own (two, which the adjacent-line
/// prefetcher fetches together), so that writes to its neighbours do not
/// take it out of the callers' caches.
#[repr(align(128))]
struct Apart<T>(T);

impl<T> std::ops::Deref for Apart<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl Control {
    /// A stop or a flush waits for the writer's next round.
    fn asked(&self) -> bool {
        self.stop || self.wanted > self.begun
    }
}

pub(super) struct Queue {
    shards: [Shard; SHARDS],
    /// The empty chunks the shards fill.
    pool: Pool,
    /// Records queued and not yet given back by the writer, those of the
    /// round being written included; changed by callers once per grant and
    /// by the writer once per round.
    held: Apart<AtomicUsize>,
    /// No more records are taken; set before the last round is taken.
    /// Read by callers on every record, set once: apart from the control
    /// mutex and the condition variables, which the writer changes all
    /// the time.
    closed: Apart<AtomicBool>,
    /// The writer waits on `work` without a timeout. Read by callers on
    /// every record, set when the writer goes to sleep and wakes.
    asleep: Apart<AtomicBool>,
    control: Mutex<Control>,
    /// The writer waits here for records.
    work: Condvar,
    /// Callers wait here for room, a flush or the stop.
    progress: Condvar,
    capacity: usize,
}

impl Queue {
    /// A queue of at most `capacity` records (at least one).
    pub(super) fn new(capacity: usize) -> Self {
        Queue {
            shards: std::array::from_fn(|_| Shard::default()),
            pool: Pool::default(),
            held: Apart(AtomicUsize::new(0)),
            closed: Apart(AtomicBool::new(false)),
            asleep: Apart(AtomicBool::new(false)),
            control: Mutex::new(Control::default()),
            work: Condvar::new(),
            progress: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    /// Empty batches for the writer to take a round into.
    pub(super) fn round(&self) -> Round {
        Round::new(SHARDS)
    }

    /// Counts one more record held, if there is room for it.
    fn reserve(&self) -> bool {
        self.reserve_up_to(1) == 1
    }

    /// Counts up to `n` more records held, as many as there is room for;
    /// returns how many.
    fn reserve_up_to(&self, n: usize) -> usize {
        let mut granted = 0;
        let _ = self
            .held
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |held| {
                granted = n.min(self.capacity.saturating_sub(held));
                (granted > 0).then_some(held + granted)
            });
        granted
    }

    /// Records a shard reserves room for at once: one compare-and-swap on
    /// the shared count per grant instead of per record. At most
    /// [`SHARDS`] grants are unused at a time (a round takes them back),
    /// 1/64 of the capacity.
    fn grant(&self) -> usize {
        (self.capacity / (SHARDS * 64)).clamp(1, 64)
    }

    /// Waits on `progress` while `blocked` holds, waking the writer first.
    fn wait_while<'a>(
        &self,
        mut control: MutexGuard<'a, Control>,
        mut blocked: impl FnMut(&Control) -> bool,
    ) -> MutexGuard<'a, Control> {
        while blocked(&control) {
            self.work.notify_one();
            control.waiting += 1;
            control = self
                .progress
                .wait(control)
                .unwrap_or_else(PoisonError::into_inner);
            control.waiting -= 1;
        }
        control
    }

    /// Queues one record. When the queue is full, waits for room if
    /// `wait_when_full`, else returns [`Pushed::Dropped`].
    pub(super) fn push(
        &self,
        line: &[u8],
        level: Level,
        log_type: LogType,
        wait_when_full: bool,
    ) -> Pushed {
        let shard = &self.shards[SHARD.try_with(|s| *s).unwrap_or(0)];
        let mut pending = lock(&shard.pending);
        // Read under the shard's lock, which the writer takes after
        // closing: a record queued here is in its last round.
        if self.closed.load(Ordering::SeqCst) {
            return Pushed::Closed;
        }
        if pending.credit == 0 {
            pending.credit = self.reserve_up_to(self.grant());
        }
        if pending.credit == 0 {
            drop(pending);
            if !wait_when_full {
                return Pushed::Dropped;
            }
            // Room is given back under the control mutex's watch: a failed
            // reservation made under it is followed by a wake-up.
            let mut reserved = false;
            drop(self.wait_while(lock(&self.control), |_| {
                let closed = self.closed.load(Ordering::SeqCst);
                reserved = !closed && self.reserve();
                !reserved && !closed
            }));
            if !reserved {
                return Pushed::Closed;
            }
            pending = lock(&shard.pending);
            if self.closed.load(Ordering::SeqCst) {
                self.held.fetch_sub(1, Ordering::SeqCst);
                return Pushed::Closed;
            }
            pending.credit += 1;
        }
        pending.credit -= 1;
        pending.batch.push(line, level, log_type, &self.pool);
        drop(pending);
        if self.asleep.load(Ordering::SeqCst) {
            // The writer sets `asleep` under the control mutex and waits
            // with it, so this cannot come between the two.
            let _control = lock(&self.control);
            if self.asleep.swap(false, Ordering::SeqCst) {
                self.work.notify_one();
            }
        }
        Pushed::Queued
    }

    /// Waits until every record queued before the call is written and
    /// flushed: by the round being written when no shard holds a record
    /// (nothing at all when that round is done too), else by a round that
    /// the writer begins after the call.
    pub(super) fn flush(&self) {
        let mut control = lock(&self.control);
        // Every record queued counts in `held` until it is given back (as
        // does room granted to a shard and not used yet), and `taken` and
        // what was given back change only under this lock: with no more
        // held than taken, no shard holds a record.
        let round = if self.held.load(Ordering::SeqCst) <= control.taken {
            control.begun
        } else {
            control.begun + 1
        };
        control.wanted = control.wanted.max(round);
        drop(self.wait_while(control, |c| !c.finished && c.done < round));
    }

    /// Asks the writer to write what is queued and stop; waits until it has.
    pub(super) fn stop(&self) {
        let mut control = lock(&self.control);
        control.stop = true;
        drop(self.wait_while(control, |c| !c.finished));
    }

    /// Writer: waits, backing off per `idle`, until there are records, a
    /// flush or a stop request, then swaps every shard's records into
    /// `round` (which must be empty).
    pub(super) fn take(&self, round: &mut Round, idle: &mut Idle) -> Taken {
        let mut control = lock(&self.control);
        if let Some(nap) = idle.pace() {
            if !control.asked() && control.waiting == 0 {
                control = self
                    .work
                    .wait_timeout(control, nap)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }
        loop {
            let asked = control.asked();
            if asked || self.held.load(Ordering::SeqCst) > 0 {
                if control.stop {
                    self.closed.store(true, Ordering::SeqCst);
                }
                let mut returned = 0;
                for (shard, batch) in self.shards.iter().zip(&mut round.batches) {
                    let mut pending = lock(&shard.pending);
                    if !pending.batch.is_empty() {
                        std::mem::swap(&mut pending.batch, batch);
                    }
                    // Unused grants go back, so that no room stays with a
                    // thread that stopped logging.
                    returned += std::mem::take(&mut pending.credit);
                }
                if returned > 0 {
                    self.held.fetch_sub(returned, Ordering::SeqCst);
                    if control.waiting > 0 {
                        self.progress.notify_all();
                    }
                }
                let taken = round.len();
                // A record counted in `held` may not be in its shard yet;
                // an empty round nobody asked for is no round.
                if taken > 0 || asked {
                    idle.taken(taken);
                    control.begun += 1;
                    control.taken = taken;
                    if control.waiting > 0 {
                        self.progress.notify_all();
                    }
                    return Taken {
                        round: control.begun,
                        last: control.stop,
                    };
                }
            }
            control = match idle.next(Instant::now()) {
                Wait::Nap(nap) => {
                    self.work
                        .wait_timeout(control, nap)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                Wait::Block => self.sleep(control),
            };
        }
    }

    /// Writer: idle for a while, gives back what a burst grew the buffers
    /// to and waits until a record, a flush or a stop wakes it.
    fn sleep<'a>(&self, mut control: MutexGuard<'a, Control>) -> MutexGuard<'a, Control> {
        self.pool.release();
        self.asleep.store(true, Ordering::SeqCst);
        // A record reserved before `asleep` was set is seen here; one
        // reserved after it finds `asleep` set and wakes the writer.
        if self.held.load(Ordering::SeqCst) == 0 {
            control = self
                .work
                .wait(control)
                .unwrap_or_else(PoisonError::into_inner);
        }
        self.asleep.store(false, Ordering::SeqCst);
        control
    }

    /// Writer: the round is written; its chunks go back to the pool.
    pub(super) fn recycle(&self, round: &mut Round) {
        round.recycle(&self.pool);
    }

    /// Writer: `n` more records of the round it took have reached their
    /// destination, so callers waiting on a full queue may queue as many.
    pub(super) fn free(&self, n: usize) {
        let mut control = lock(&self.control);
        let n = n.min(control.taken);
        control.taken -= n;
        self.held.fetch_sub(n, Ordering::SeqCst);
        if control.waiting > 0 {
            self.progress.notify_all();
        }
    }

    /// Writer: every record of the round `taken` is written and flushed;
    /// after the last round, the writer has finished.
    pub(super) fn done(&self, taken: Taken) {
        let mut control = lock(&self.control);
        self.held.fetch_sub(control.taken, Ordering::SeqCst);
        control.taken = 0;
        control.done = taken.round;
        control.finished = taken.last;
        if control.waiting > 0 {
            self.progress.notify_all();
        }
    }

    /// Writer: it is going away (also when unwinding from a panic); nobody
    /// may wait for it any more, and later records go elsewhere.
    pub(super) fn close(&self) {
        let mut control = lock(&self.control);
        self.closed.store(true, Ordering::SeqCst);
        control.finished = true;
        self.progress.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    fn lines(round: &Round) -> Vec<(String, Level, LogType)> {
        round
            .entries()
            .map(|e| {
                let line = String::from_utf8_lossy(e.line).into_owned();
                (line, e.level, e.log_type)
            })
            .collect()
    }

    /// Queues an info web record `line`.
    fn web(queue: &Queue, line: &str, wait_when_full: bool) -> Pushed {
        let line = format!("{line}\n");
        queue.push(line.as_bytes(), Level::Info, LogType::Web, wait_when_full)
    }

    /// Waits until the writer sleeps without a timeout.
    fn until_asleep(queue: &Queue) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !queue.asleep.load(Ordering::SeqCst) {
            assert!(Instant::now() < deadline, "the writer never slept");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn records_come_out_in_order_with_their_level_and_type() {
        let queue = Queue::new(8);
        assert_eq!(
            queue.push(b"a\n", Level::Info, LogType::Audit, true),
            Pushed::Queued
        );
        assert_eq!(
            queue.push(b"bc\n", Level::Error, LogType::Web, true),
            Pushed::Queued
        );
        let mut round = queue.round();
        let taken = queue.take(&mut round, &mut Idle::default());
        assert_eq!(taken.round, 1);
        assert!(!taken.last);
        assert_eq!(
            lines(&round),
            [
                ("a\n".to_string(), Level::Info, LogType::Audit),
                ("bc\n".to_string(), Level::Error, LogType::Web)
            ]
        );
    }

    /// A record line of the runtime's layout logged at second `second`.
    fn timed(second: u32, n: usize) -> String {
        format!(
            "{{\"id\":\"{:036}\",\"created_at\":\"2026-12-02T04:00:{second:02}.000000Z\",\"n\":{n}}}\n",
            n
        )
    }

    #[test]
    fn threads_shards_are_merged_by_created_at_each_keeping_its_order() {
        let queue = Arc::new(Queue::new(1_000));
        // Three threads, each with records of rising times; the third's
        // clock has stepped back once, and its order is kept all the same.
        let seconds: [&[u32]; 3] = [&[1, 4, 7], &[2, 3, 9], &[5, 8, 6]];
        std::thread::scope(|scope| {
            for (thread, times) in seconds.iter().enumerate() {
                let queue = Arc::clone(&queue);
                scope.spawn(move || {
                    for (i, &second) in times.iter().enumerate() {
                        let line = timed(second, thread * 10 + i);
                        queue.push(line.as_bytes(), Level::Info, LogType::Web, true);
                    }
                });
            }
        });
        let mut round = queue.round();
        queue.take(&mut round, &mut Idle::default());
        let order: Vec<usize> = round
            .entries()
            .map(|e| {
                let v: serde_json::Value = serde_json::from_slice(e.line).expect("json");
                v["n"].as_u64().unwrap_or(99) as usize
            })
            .collect();
        assert_eq!(order, [0, 10, 11, 1, 20, 2, 21, 22, 12]);
    }

    #[test]
    fn a_full_queue_drops_or_waits_for_the_writer() {
        let queue = Arc::new(Queue::new(1));
        assert_eq!(web(&queue, "1", false), Pushed::Queued);
        assert_eq!(web(&queue, "2", false), Pushed::Dropped);
        let writer = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                let mut round = queue.round();
                let taken = queue.take(&mut round, &mut Idle::default());
                queue.done(taken);
                lines(&round).len()
            })
        };
        assert_eq!(web(&queue, "3", true), Pushed::Queued);
        assert_eq!(writer.join().ok(), Some(1));
    }

    #[test]
    fn the_capacity_holds_across_every_threads_shard() {
        let queue = Arc::new(Queue::new(10));
        let pushed: Vec<Pushed> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|t| {
                    let queue = Arc::clone(&queue);
                    scope.spawn(move || {
                        (0..5)
                            .map(|n| web(&queue, &format!("{t}.{n}"), false))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap_or_default())
                .collect()
        });
        let queued = pushed.iter().filter(|&&p| p == Pushed::Queued).count();
        let dropped = pushed.iter().filter(|&&p| p == Pushed::Dropped).count();
        assert_eq!((queued, dropped), (10, 10));
        let mut round = queue.round();
        queue.take(&mut round, &mut Idle::default());
        assert_eq!(round.len(), 10);
    }

    #[test]
    fn room_is_granted_to_a_shard_in_steps_and_an_unused_grant_comes_back() {
        let capacity = SHARDS * 64 * 4;
        let queue = Queue::new(capacity);
        assert_eq!(queue.grant(), 4);
        assert_eq!(web(&queue, "first", false), Pushed::Queued);
        assert_eq!(queue.held.load(Ordering::SeqCst), 4, "one grant of 4");
        let mut round = queue.round();
        let taken = queue.take(&mut round, &mut Idle::default());
        assert_eq!(round.len(), 1);
        assert_eq!(
            queue.held.load(Ordering::SeqCst),
            1,
            "the unused 3 went back"
        );
        // Grants never give more room than the capacity, and the last one
        // gives what is left: exactly the capacity fits.
        let queued = (0..capacity)
            .take_while(|n| web(&queue, &n.to_string(), false) == Pushed::Queued)
            .count();
        assert_eq!(queued, capacity - 1);
        assert_eq!(web(&queue, "over", false), Pushed::Dropped);
        assert_eq!(queue.held.load(Ordering::SeqCst), capacity);
        queue.done(taken);
        assert_eq!(web(&queue, "room again", false), Pushed::Queued);
    }

    #[test]
    fn the_round_being_written_counts_against_the_capacity() {
        let queue = Queue::new(2);
        web(&queue, "1", false);
        let mut round = queue.round();
        let taken = queue.take(&mut round, &mut Idle::default());
        assert_eq!(web(&queue, "2", false), Pushed::Queued);
        assert_eq!(web(&queue, "3", false), Pushed::Dropped);
        queue.done(taken);
        assert_eq!(web(&queue, "4", false), Pushed::Queued);
    }

    #[test]
    fn room_comes_back_as_the_writer_goes_through_its_round() {
        let queue = Arc::new(Queue::new(4));
        for n in 0..4 {
            web(&queue, &n.to_string(), false);
        }
        let mut round = queue.round();
        let taken = queue.take(&mut round, &mut Idle::default());
        assert_eq!(web(&queue, "full", false), Pushed::Dropped);
        let waiter = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || web(&queue, "waited", true))
        };
        queue.free(1);
        assert_eq!(waiter.join().ok(), Some(Pushed::Queued));
        assert_eq!(web(&queue, "full again", false), Pushed::Dropped);
        queue.free(3);
        assert_eq!(web(&queue, "5", false), Pushed::Queued);
        queue.done(taken);
    }

    #[test]
    fn a_flush_waits_for_a_round_that_began_after_it() {
        let queue = Arc::new(Queue::new(8));
        let mut round = queue.round();
        web(&queue, "1", true);
        let first = queue.take(&mut round, &mut Idle::default());
        web(&queue, "2", true);
        let flusher = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || queue.flush())
        };
        // The round taken before the flush does not satisfy it.
        queue.done(first);
        std::thread::sleep(Duration::from_millis(20));
        assert!(!flusher.is_finished(), "the flush returned before record 2");
        queue.recycle(&mut round);
        let second = queue.take(&mut round, &mut Idle::default());
        assert_eq!(lines(&round).len(), 1);
        queue.done(second);
        assert!(flusher.join().is_ok());
        // With nothing queued and no round being written, a flush has
        // nothing to wait for.
        queue.flush();
        // With records only in the round being written, that round is the
        // one it waits for.
        web(&queue, "3", true);
        queue.recycle(&mut round);
        let third = queue.take(&mut round, &mut Idle::default());
        let flusher = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || queue.flush())
        };
        std::thread::sleep(Duration::from_millis(20));
        assert!(!flusher.is_finished(), "the flush returned before record 3");
        queue.done(third);
        assert!(flusher.join().is_ok());
    }

    #[test]
    fn an_idle_writer_sleeps_until_a_record_wakes_it() {
        let queue = Arc::new(Queue::new(4));
        let writer = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                let mut round = queue.round();
                queue.take(&mut round, &mut Idle::default());
                lines(&round).len()
            })
        };
        until_asleep(&queue);
        assert_eq!(web(&queue, "1", true), Pushed::Queued);
        assert_eq!(writer.join().ok(), Some(1));
    }

    #[test]
    fn a_sleeping_writer_has_given_back_what_a_burst_took() {
        let queue = Arc::new(Queue::new(100_000));
        let record = [b'x'; 255];
        for _ in 0..16_384 {
            queue.push(&record, Level::Info, LogType::Web, false);
        }
        let chunks = lock(&queue.shards[SHARD.with(|s| *s)].pending)
            .batch
            .chunks();
        assert_eq!(chunks, (16_384 * 255usize).div_ceil(batch::CHUNK_BYTES));
        assert!(chunks > batch::IDLE_CHUNKS);
        let writer = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                let mut round = queue.round();
                let mut idle = Idle::default();
                let burst = queue.take(&mut round, &mut idle);
                queue.done(burst);
                queue.recycle(&mut round);
                let pooled = queue.pool.len();
                // The next take finds nothing and sleeps.
                let next = queue.take(&mut round, &mut idle);
                queue.done(next);
                pooled
            })
        };
        until_asleep(&queue);
        assert_eq!(queue.pool.len(), batch::IDLE_CHUNKS);
        web(&queue, "after", true);
        assert_eq!(
            writer.join().ok(),
            Some(chunks),
            "the burst's chunks were pooled"
        );
        // The record after the sleep took a chunk from what the pool kept.
        assert_eq!(queue.pool.len(), batch::IDLE_CHUNKS - 1);
    }

    #[test]
    fn a_record_longer_than_a_chunk_gets_one_of_its_own_freed_once_written() {
        let queue = Queue::new(8);
        let long = vec![b'y'; batch::CHUNK_BYTES + 10];
        web(&queue, "short", true);
        queue.push(&long, Level::Info, LogType::Web, true);
        web(&queue, "short again", true);
        let mut round = queue.round();
        queue.take(&mut round, &mut Idle::default());
        let lines: Vec<usize> = round.entries().map(|e| e.line.len()).collect();
        assert_eq!(lines, [6, batch::CHUNK_BYTES + 10, 12]);
        queue.recycle(&mut round);
        // The first and the last chunk are pooled; the long one is freed.
        assert_eq!(queue.pool.len(), 2);
    }

    #[test]
    fn after_the_last_round_records_are_refused_and_waiters_return() {
        let queue = Arc::new(Queue::new(4));
        web(&queue, "1", true);
        let stopper = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || queue.stop())
        };
        let mut round = queue.round();
        let mut taken = queue.take(&mut round, &mut Idle::default());
        while !taken.last {
            queue.done(taken);
            queue.recycle(&mut round);
            taken = queue.take(&mut round, &mut Idle::default());
        }
        assert_eq!(web(&queue, "2", true), Pushed::Closed);
        queue.done(taken);
        assert!(stopper.join().is_ok());
        queue.flush();
    }
}

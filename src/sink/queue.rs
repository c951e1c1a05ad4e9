//! The bounded queue between the callers of one sink and its writer thread.
//!
//! Callers append rendered lines, back to back, to one shared buffer under a
//! mutex; the writer thread swaps the whole buffer for its own empty one and
//! writes the records outside the lock. A record costs the caller one
//! uncontended lock and one copy: no allocation (both buffers keep their
//! capacity) and no system call, because callers never wake the writer
//! while it polls (see the `idle` module); only when it has gone to sleep
//! after a long idle time does the next record wake it.
//!
//! The queue holds at most `capacity` records that have not reached their
//! destination, counting those of the batch the writer is writing: that
//! bounds both memory and what a crash of the process can lose.
//!
//! Memory: each of the two buffers (the callers' and the writer's) holds at
//! most `capacity` records, their bytes and 16 bytes of index each, so the
//! queue holds at most twice `capacity` times the size of a record (a
//! buffer keeps the room it grew to while records keep coming, so that
//! callers do not allocate). Both start at 256 KiB and 1,024 records; when
//! the writer goes to sleep after a burst (10 ms without records), both go
//! back to that, and meanwhile a buffer that a batch used less than a
//! quarter of is shrunk to twice what it used. A caller
//! that finds it full waits (or drops the record, when its type is
//! configured to) and wakes the writer, as do flush and stop requests, so
//! those are answered at once. A writer slow through a batch gives back
//! room as it goes (see [`Queue::free`]), so that a waiting caller need not
//! wait for the whole batch.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::Entry;
use super::idle::{Idle, Wait};
use crate::{Level, LogType};

/// Bytes each buffer reserves up front, so that the steady state does not
/// grow them.
const INITIAL_BYTES: usize = 256 * 1024;
/// Records each buffer's index reserves up front.
const INITIAL_RECORDS: usize = 1024;

/// Records, as queued or as taken by the writer: lines back to back, and
/// where each ends with its level and log type.
pub(super) struct Batch {
    bytes: Vec<u8>,
    ends: Vec<(usize, Level, LogType)>,
}

impl Batch {
    fn new() -> Self {
        Batch {
            bytes: Vec::with_capacity(INITIAL_BYTES),
            ends: Vec::with_capacity(INITIAL_RECORDS),
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn push(&mut self, line: &[u8], level: Level, log_type: LogType) {
        self.bytes.extend_from_slice(line);
        self.ends.push((self.bytes.len(), level, log_type));
    }

    /// The records, oldest first.
    pub(super) fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        let starts = std::iter::once(0).chain(self.ends.iter().map(|&(end, ..)| end));
        starts
            .zip(&self.ends)
            .map(|(start, &(end, level, log_type))| Entry {
                line: &self.bytes[start..end],
                level,
                log_type,
            })
    }

    /// Empties the batch. Memory that a burst took is given back once a
    /// batch uses less than a quarter of it, so that a queue that stays
    /// full keeps its buffers and its callers do not allocate.
    pub(super) fn clear(&mut self) {
        let (bytes, records) = (self.bytes.len(), self.ends.len());
        self.bytes.clear();
        self.ends.clear();
        if bytes * 4 < self.bytes.capacity() {
            self.bytes.shrink_to(INITIAL_BYTES.max(bytes * 2));
        }
        if records * 4 < self.ends.capacity() {
            self.ends.shrink_to(INITIAL_RECORDS.max(records * 2));
        }
    }

    /// Gives back what an empty batch holds beyond what it reserves up
    /// front: called when the writer goes to sleep after a burst.
    fn release(&mut self) {
        debug_assert!(self.ends.is_empty(), "only an empty batch is released");
        self.bytes.shrink_to(INITIAL_BYTES);
        self.ends.shrink_to(INITIAL_RECORDS);
    }
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
    /// Records queued so far, the batch included.
    pub(super) through: u64,
    /// A stop was requested: this is the last batch.
    pub(super) last: bool,
}

struct State {
    pending: Batch,
    /// Records the writer has taken and not yet written.
    taken: usize,
    /// Records ever queued.
    queued: u64,
    /// Records written and flushed by the writer.
    done: u64,
    /// Callers waiting on `progress`.
    waiting: usize,
    /// The writer waits on `work` without a timeout.
    writer_asleep: bool,
    stop: bool,
    /// No more records are taken; set with the last batch.
    closed: bool,
    /// The writer has finished (or died).
    finished: bool,
}

pub(super) struct Queue {
    state: Mutex<State>,
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
            state: Mutex::new(State {
                pending: Batch::new(),
                taken: 0,
                queued: 0,
                done: 0,
                waiting: 0,
                writer_asleep: false,
                stop: false,
                closed: false,
                finished: false,
            }),
            work: Condvar::new(),
            progress: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    /// An empty batch for the writer to take records into.
    pub(super) fn batch(&self) -> Batch {
        Batch::new()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits on `progress` while `blocked` holds, waking the writer first.
    fn wait_while<'a>(
        &self,
        mut state: MutexGuard<'a, State>,
        blocked: impl Fn(&State) -> bool,
    ) -> MutexGuard<'a, State> {
        while blocked(&state) {
            self.work.notify_one();
            state.waiting += 1;
            state = self
                .progress
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.waiting -= 1;
        }
        state
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
        let mut state = self.lock();
        let full = |s: &State| !s.closed && s.pending.len() + s.taken >= self.capacity;
        if full(&state) {
            if !wait_when_full {
                return Pushed::Dropped;
            }
            state = self.wait_while(state, full);
        }
        if state.closed {
            return Pushed::Closed;
        }
        state.pending.push(line, level, log_type);
        state.queued += 1;
        if state.writer_asleep {
            state.writer_asleep = false;
            self.work.notify_one();
        }
        Pushed::Queued
    }

    /// Waits until every record queued before the call is written and
    /// flushed.
    pub(super) fn flush(&self) {
        let state = self.lock();
        let target = state.queued;
        drop(self.wait_while(state, |s| !s.finished && s.done < target));
    }

    /// Asks the writer to write what is queued and stop; waits until it has.
    pub(super) fn stop(&self) {
        let mut state = self.lock();
        state.stop = true;
        drop(self.wait_while(state, |s| !s.finished));
    }

    /// Writer: waits, backing off per `idle`, until there are records or a
    /// stop request, then swaps them into `batch` (which must be empty).
    pub(super) fn take(&self, batch: &mut Batch, idle: &mut Idle) -> Taken {
        let mut state = self.lock();
        while state.pending.len() == 0 && !state.stop {
            state = match idle.next(Instant::now()) {
                Wait::Nap(nap) => {
                    self.work
                        .wait_timeout(state, nap)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                Wait::Block => {
                    // Idle for a while: what a burst grew both buffers to
                    // goes back before the writer sleeps.
                    state.pending.release();
                    batch.release();
                    state.writer_asleep = true;
                    let mut state = self
                        .work
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                    state.writer_asleep = false;
                    state
                }
            };
        }
        idle.reset();
        std::mem::swap(&mut state.pending, batch);
        state.taken = batch.len();
        state.closed = state.stop;
        if state.waiting > 0 {
            self.progress.notify_all();
        }
        Taken {
            through: state.queued,
            last: state.stop,
        }
    }

    /// Writer: `n` more records of the batch it took have reached their
    /// destination, so callers waiting on a full queue may queue as many.
    pub(super) fn free(&self, n: usize) {
        let mut state = self.lock();
        state.taken = state.taken.saturating_sub(n);
        if state.waiting > 0 {
            self.progress.notify_all();
        }
    }

    /// Writer: every record through `taken.through` is written and flushed;
    /// after the last batch, the writer has finished.
    pub(super) fn done(&self, taken: Taken) {
        let mut state = self.lock();
        state.taken = 0;
        state.done = taken.through;
        state.finished = taken.last;
        if state.waiting > 0 {
            self.progress.notify_all();
        }
    }

    /// Writer: it is going away (also when unwinding from a panic); nobody
    /// may wait for it any more, and later records go elsewhere.
    pub(super) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.finished = true;
        self.progress.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    fn lines(batch: &Batch) -> Vec<(String, Level, LogType)> {
        batch
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
        let mut batch = queue.batch();
        let taken = queue.take(&mut batch, &mut Idle::default());
        assert_eq!(taken.through, 2);
        assert!(!taken.last);
        assert_eq!(
            lines(&batch),
            [
                ("a\n".to_string(), Level::Info, LogType::Audit),
                ("bc\n".to_string(), Level::Error, LogType::Web)
            ]
        );
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
                let mut batch = queue.batch();
                let taken = queue.take(&mut batch, &mut Idle::default());
                queue.done(taken);
                lines(&batch).len()
            })
        };
        assert_eq!(web(&queue, "3", true), Pushed::Queued);
        assert_eq!(writer.join().ok(), Some(1));
    }

    #[test]
    fn the_batch_being_written_counts_against_the_capacity() {
        let queue = Queue::new(2);
        web(&queue, "1", false);
        let mut batch = queue.batch();
        let taken = queue.take(&mut batch, &mut Idle::default());
        assert_eq!(web(&queue, "2", false), Pushed::Queued);
        assert_eq!(web(&queue, "3", false), Pushed::Dropped);
        queue.done(taken);
        assert_eq!(web(&queue, "4", false), Pushed::Queued);
    }

    #[test]
    fn room_comes_back_as_the_writer_goes_through_its_batch() {
        let queue = Arc::new(Queue::new(4));
        for n in 0..4 {
            web(&queue, &n.to_string(), false);
        }
        let mut batch = queue.batch();
        let taken = queue.take(&mut batch, &mut Idle::default());
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
    fn an_idle_writer_sleeps_until_a_record_wakes_it() {
        let queue = Arc::new(Queue::new(4));
        let writer = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                let mut batch = queue.batch();
                queue.take(&mut batch, &mut Idle::default());
                lines(&batch).len()
            })
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !queue.lock().writer_asleep {
            assert!(
                std::time::Instant::now() < deadline,
                "the writer never slept"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(web(&queue, "1", true), Pushed::Queued);
        assert_eq!(writer.join().ok(), Some(1));
    }

    #[test]
    fn a_sleeping_writer_has_given_back_what_a_burst_took() {
        let queue = Arc::new(Queue::new(100_000));
        let record = [b'x'; 255];
        for _ in 0..4096 {
            queue.push(&record, Level::Info, LogType::Web, false);
        }
        let writer = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                let mut batch = queue.batch();
                let mut idle = Idle::default();
                let burst = queue.take(&mut batch, &mut idle);
                let grown = (batch.bytes.capacity(), batch.ends.capacity());
                queue.done(burst);
                // The whole burst was one batch, so clearing it keeps the
                // room; the next take finds nothing and sleeps.
                batch.clear();
                let next = queue.take(&mut batch, &mut idle);
                queue.done(next);
                grown
            })
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !queue.lock().writer_asleep {
            assert!(
                std::time::Instant::now() < deadline,
                "the writer never slept"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        web(&queue, "after", true);
        let (bytes, records) = writer.join().expect("the writer");
        assert!(bytes >= 4096 * 255 && records >= 4096, "the burst grew it");
        // The writer's batch of the burst is the queue's buffer now.
        let state = queue.lock();
        assert_eq!(state.pending.bytes.capacity(), INITIAL_BYTES);
        assert_eq!(state.pending.ends.capacity(), INITIAL_RECORDS);
    }

    #[test]
    fn after_the_last_batch_records_are_refused_and_waiters_return() {
        let queue = Arc::new(Queue::new(4));
        web(&queue, "1", true);
        let stopper = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || queue.stop())
        };
        let mut batch = queue.batch();
        let mut taken = queue.take(&mut batch, &mut Idle::default());
        while !taken.last {
            queue.done(taken);
            batch.clear();
            taken = queue.take(&mut batch, &mut Idle::default());
        }
        assert_eq!(web(&queue, "2", true), Pushed::Closed);
        queue.done(taken);
        assert!(stopper.join().is_ok());
        queue.flush();
    }
}

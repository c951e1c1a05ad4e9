//! Sealing off the writer's path: each sealed sink has a sealing thread
//! that owns its [`Sealer`]. The writer writes a batch to the log file and
//! hands the written bytes over; the thread hashes them, appends the seal
//! entry, advances the state and sends the chain head, in order, while
//! the writer goes on with the next records.
//!
//! The lock: the writer writes only while this process holds the seal's
//! lock. The thread takes it on the writer's request (and reads the state
//! afresh), and lets it go when the writer is done and every batch handed
//! over before is sealed. A writer that comes back while the lock is still
//! held carries on under it without waiting (see [`Flight`]): the file and
//! the state are then as this process left them. Another process sharing
//! the file waits on the lock, so the chain stays one sequence of entries.
//! A failure of the thread's work is reported by the sink's next write.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;

use super::Sealer;
use crate::sink::lock;

/// Opens the seal file beside a log for appending.
pub(crate) type OpenSeal = fn(&Path) -> io::Result<File>;

/// Batches and requests that may wait for the sealing thread; the writer
/// waits when they are all taken.
const QUEUE: usize = 4;

/// The lock's holder, as the writer and the sealing thread agree on it
/// under its mutex.
#[derive(Default)]
struct Flight {
    /// This process holds the seal's lock.
    held: bool,
    /// The writer is between `begin` and `end`: the lock stays held.
    inside: bool,
    /// Batches handed over and not sealed yet: the lock stays held.
    unsealed: usize,
    /// The first failure of a batch sealed on the thread, not yet reported.
    failure: Option<io::Error>,
}

enum Request {
    /// Take the lock and read the state (answered).
    Begin,
    /// See [`Sealer::live_opened`] (answered).
    LiveOpened(u64, u64),
    /// See [`Sealer::rotated`] (answered).
    Rotated(PathBuf),
    /// Seal `bytes`, which reached the log file from byte `start`, as an
    /// entry of time `now`; answered when `answer`.
    Seal {
        bytes: Vec<u8>,
        start: u64,
        now: i64,
        answer: bool,
    },
    /// The writer is done: let the lock go once every batch is sealed,
    /// unless the writer is inside again by then.
    Release,
}

/// A file sink's handle on its sealing thread.
pub(crate) struct Sealing {
    requests: Option<mpsc::SyncSender<Request>>,
    answers: mpsc::Receiver<io::Result<()>>,
    /// Buffers of sealed batches, for the next ones.
    spent: mpsc::Receiver<Vec<u8>>,
    flight: Arc<Mutex<Flight>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sealing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealing")
            .field("thread", &self.thread)
            .finish_non_exhaustive()
    }
}

fn stopped() -> io::Error {
    io::Error::other("the sealing thread stopped")
}

impl Sealing {
    /// Sealing for the live file `log` (see [`Sealer::open`]), with its
    /// thread.
    pub(crate) fn open(
        log: &Path,
        journald: Option<&Path>,
        sync: bool,
        open_seal: OpenSeal,
    ) -> io::Result<Sealing> {
        let sealer = Sealer::open(log, journald, sync)?;
        let flight = Arc::new(Mutex::new(Flight::default()));
        let (requests, work) = mpsc::sync_channel(QUEUE);
        let (answer, answers) = mpsc::sync_channel(1);
        let (spend, spent) = mpsc::sync_channel(QUEUE);
        let worker = Worker {
            sealer,
            flight: Arc::clone(&flight),
            answer,
            spend,
            open_seal,
        };
        let thread = std::thread::Builder::new()
            .name("logward-seal".into())
            .spawn(move || worker.run(work))?;
        Ok(Sealing {
            requests: Some(requests),
            answers,
            spent,
            flight,
            thread: Some(thread),
        })
    }

    fn flight(&self) -> MutexGuard<'_, Flight> {
        lock(&self.flight)
    }

    fn send(&self, request: Request) -> io::Result<()> {
        match self.requests.as_ref() {
            Some(requests) => requests.send(request).map_err(|_| stopped()),
            None => Err(stopped()),
        }
    }

    fn call(&self, request: Request) -> io::Result<()> {
        self.send(request)?;
        self.answers.recv().map_err(|_| stopped())?
    }

    /// Makes sure this process holds the lock, with the state up to date,
    /// for a write: at once when it still holds it, else by asking the
    /// thread to take it (after the batches before are sealed).
    pub(crate) fn begin(&mut self) -> io::Result<()> {
        {
            let mut flight = self.flight();
            flight.inside = true;
            if flight.held {
                return Ok(());
            }
        }
        self.call(Request::Begin)
    }

    /// The write is done: the lock goes once what was handed over is sealed,
    /// unless the next write comes first.
    pub(crate) fn end(&mut self) {
        if !std::mem::take(&mut self.flight().inside) {
            return;
        }
        // A thread that stopped holds no lock any more.
        let _ = self.send(Request::Release);
    }

    /// How a batch sealed on the thread went, if it failed: taken, so it is
    /// reported once.
    pub(crate) fn take_failure(&mut self) -> io::Result<()> {
        match self.flight().failure.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// See [`Sealer::live_opened`].
    pub(crate) fn live_opened(&mut self, dev: u64, ino: u64) -> io::Result<()> {
        self.call(Request::LiveOpened(dev, ino))
    }

    /// See [`Sealer::rotated`].
    pub(crate) fn rotated(&mut self, rotated: &Path) -> io::Result<()> {
        self.call(Request::Rotated(rotated.to_path_buf()))
    }

    /// An empty buffer to put the next batch's bytes in.
    pub(crate) fn take_spare(&mut self) -> Vec<u8> {
        self.spent.try_recv().unwrap_or_default()
    }

    /// Hands over `bytes`, which reached the log file from byte `start`, to
    /// be sealed as one entry of time `now`, after the batches before; with
    /// `wait`, returns when the entry is written, with its result.
    pub(crate) fn seal(
        &mut self,
        bytes: Vec<u8>,
        start: u64,
        now: i64,
        wait: bool,
    ) -> io::Result<()> {
        self.flight().unsealed += 1;
        let request = Request::Seal {
            bytes,
            start,
            now,
            answer: wait,
        };
        if wait {
            self.call(request)
        } else {
            self.send(request)
        }
    }
}

impl Drop for Sealing {
    fn drop(&mut self) {
        self.end();
        // The thread seals what is left, lets the lock go and ends.
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The sealing thread's side.
struct Worker {
    sealer: Sealer,
    flight: Arc<Mutex<Flight>>,
    answer: mpsc::SyncSender<io::Result<()>>,
    spend: mpsc::SyncSender<Vec<u8>>,
    open_seal: OpenSeal,
}

impl Worker {
    fn flight(&self) -> MutexGuard<'_, Flight> {
        lock(&self.flight)
    }

    /// Lets the lock go when the writer is done and every batch it handed
    /// over is sealed.
    fn release(&mut self) {
        let mut flight = lock(&self.flight);
        if flight.held && !flight.inside && flight.unsealed == 0 {
            self.sealer.end();
            flight.held = false;
        }
    }

    fn run(mut self, work: mpsc::Receiver<Request>) {
        for request in work {
            let answered = match request {
                Request::Begin => {
                    let began = self.sealer.begin();
                    self.flight().held = began.is_ok();
                    Some(began)
                }
                Request::LiveOpened(dev, ino) => Some(self.sealer.live_opened(dev, ino)),
                Request::Rotated(path) => Some(self.sealer.rotated(&path)),
                Request::Seal {
                    mut bytes,
                    start,
                    now,
                    answer,
                } => {
                    self.sealer.feed(&bytes);
                    let sealed = self.sealer.finish(start, now, self.open_seal);
                    bytes.clear();
                    // Full: the writer has buffers enough.
                    let _ = self.spend.try_send(bytes);
                    self.flight().unsealed -= 1;
                    self.release();
                    match sealed {
                        sealed if answer => Some(sealed),
                        Ok(()) => None,
                        Err(e) => {
                            self.flight().failure.get_or_insert(e);
                            None
                        }
                    }
                }
                Request::Release => {
                    self.release();
                    None
                }
            };
            if let Some(answered) = answered {
                if self.answer.send(answered).is_err() {
                    break;
                }
            }
        }
        self.sealer.end();
        self.flight().held = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::seal::{KEY_LEN, init_chain, seal_path, state_path};
    use std::fs;

    fn open_seal(path: &Path) -> io::Result<File> {
        fs::OpenOptions::new().create(true).append(true).open(path)
    }

    fn no_seal_file(_: &Path) -> io::Result<File> {
        Err(io::Error::other("no seal file here"))
    }

    fn batch(n: usize, len: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("{{\"n\":{i},\"pad\":\"{}\"}}\n", "x".repeat(len)).into_bytes())
            .collect()
    }

    /// Two logs whose chains start alike: the same state, copied.
    fn twins(dir: &Path) -> (PathBuf, PathBuf) {
        let (a, b) = (
            dir.join("a").join("audit.log"),
            dir.join("b").join("audit.log"),
        );
        for log in [&a, &b] {
            fs::create_dir_all(log.parent().expect("dir")).expect("mkdir");
        }
        init_chain(&a, &[9; KEY_LEN]).expect("seal init");
        fs::copy(state_path(&a), state_path(&b)).expect("copy the state");
        (a, b)
    }

    #[test]
    fn batches_sealed_on_the_thread_make_the_entries_sealing_inline_makes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (inline, threaded) = twins(dir.path());
        let batches = [batch(3, 10), batch(2_000, 300), b"{\"last\":1}\n".to_vec()];
        let mut sealer = Sealer::open(&inline, None, false).expect("sealer");
        sealer.begin().expect("begin");
        let mut start = 0;
        for (i, bytes) in batches.iter().enumerate() {
            sealer.feed(bytes);
            sealer.finish(start, i as i64, open_seal).expect("seal");
            start += bytes.len() as u64;
        }
        drop(sealer);
        let mut sealing = Sealing::open(&threaded, None, false, open_seal).expect("sealing");
        sealing.begin().expect("begin");
        let mut start = 0;
        for (i, bytes) in batches.iter().enumerate() {
            sealing
                .seal(bytes.clone(), start, i as i64, false)
                .expect("handed over");
            start += bytes.len() as u64;
        }
        sealing.end();
        drop(sealing);
        let entries = |log: &Path| fs::read_to_string(seal_path(log)).expect("seal file");
        assert_eq!(entries(&threaded).lines().count(), batches.len());
        assert_eq!(entries(&threaded), entries(&inline));
    }

    #[test]
    fn the_lock_is_held_until_every_batch_handed_over_is_sealed_then_let_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("audit.log");
        init_chain(&log, &[5; KEY_LEN]).expect("seal init");
        let mut sealing = Sealing::open(&log, None, false, open_seal).expect("sealing");
        // Large enough that hashing it outlasts what follows: the second
        // write carries on under the lock the first still holds.
        let first = batch(200_000, 300);
        let len = first.len() as u64;
        sealing.begin().expect("begin");
        sealing.seal(first, 0, 1, false).expect("handed over");
        sealing.end();
        sealing.begin().expect("begin again");
        sealing
            .seal(batch(10, 10), len, 2, false)
            .expect("handed over");
        sealing.end();
        // Another open file description, as another process has: it waits
        // for the lock, then finds both entries written and the state
        // moved on.
        let (opened, other) = std::sync::mpsc::channel();
        let waiting = log.clone();
        std::thread::spawn(move || {
            let mut other = Sealer::open(&waiting, None, false).expect("sealer");
            other.begin().expect("begin");
            let seq = other.held().map(|(state, _, _)| state.seq).expect("held");
            let entries = fs::read_to_string(seal_path(&waiting)).expect("seal file");
            other.end();
            let _ = opened.send((seq, entries.lines().count()));
        });
        let got = other
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the lock let go once both batches were sealed");
        assert_eq!(got, (2, 2));
        drop(sealing);
    }

    #[test]
    fn a_batch_that_fails_on_the_thread_is_reported_once_by_the_next_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("audit.log");
        init_chain(&log, &[6; KEY_LEN]).expect("seal init");
        let mut sealing = Sealing::open(&log, None, false, no_seal_file).expect("sealing");
        sealing.begin().expect("begin");
        sealing
            .seal(batch(10, 10), 0, 1, false)
            .expect("handed over: the failure comes later");
        // Answered after the batch before it.
        sealing
            .seal(Vec::new(), 0, 2, true)
            .expect("nothing to seal");
        let failure = sealing.take_failure().expect_err("the batch's failure");
        assert!(
            failure.to_string().contains("no seal file here"),
            "{failure}"
        );
        assert!(sealing.take_failure().is_ok(), "reported once");
        sealing.end();
    }
}

//! Tamper evidence for file sinks (`LOG_SEAL=true`): a chain of MACed seal
//! entries beside the log, one after every batch the writer thread writes,
//! made on the sink's sealing thread (the `sealing` module).
//!
//! For a live file `audit.log` the sealed sink keeps
//!
//! ```text
//! audit.log.seal        seal entries of audit.log (0640, like the log)
//! audit.log.seal-key    the current chain key and position (0600)
//! audit.log.seal-lock   held (flock) by the one process writing audit.log
//! audit.log.2026-11-21.seal   rotated together with audit.log.2026-11-21
//! ```
//!
//! The entry format and the key schedule are in the `entry` module. After
//! each batch the sealer appends an entry for exactly the bytes written,
//! rewrites the state with the next key (the old one is erased from memory
//! and replaced on disk), and sends the new chain head to the journal as a
//! small entry (`SYSLOG_IDENTIFIER=logward-seal`, fields `LOGWARD_SEAL_LOG`,
//! `LOGWARD_SEAL_CHAIN`, `LOGWARD_SEAL_SEQ`, `LOGWARD_SEAL_HEAD`), so that
//! cutting the end off both the log and its seal still shows. Nothing of
//! this runs on the caller's thread.
//!
//! Several processes may write one sealed file (a service and `logward
//! emit` from cron): see [`Sealer`]'s lock. Bytes that reach the file
//! between a crash's last write and its seal entry are reported unsealed by
//! `logward verify`.

mod anchor;
mod entry;
mod sealing;
mod state;

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

pub use entry::{
    Entry, EntryBody, FORMAT, KEY_LEN, NO_PREV, batch_hash, evolve, first_key, hex, hmac,
    line_digest, parse_key,
};
pub(crate) use sealing::Sealing;
pub use state::{init_chain, seal_path, state_path};

use anchor::Anchor;
use state::State;

/// Seals what a file sink writes.
///
/// Several processes may write one sealed file (a service and `logward
/// emit`): each batch is written, sealed and the state advanced while
/// holding an exclusive `flock` on `<log>.seal-lock`, and the state is read
/// afresh under the lock, so no process keeps a key between batches.
pub(crate) struct Sealer {
    log: PathBuf,
    sync: bool,
    lock: File,
    locked: bool,
    /// The state and current key as this process last read or wrote them,
    /// with the BLAKE3 hash of the state file's text then: while the text
    /// is the same, nobody else has moved the chain on.
    cache: Option<(State, [u8; KEY_LEN], [u8; 32])>,
    /// The state file, opened when the lock was taken (overwritten in
    /// place after each entry unless `sync`).
    state_file: Option<File>,
    /// The seal file as found when the lock was taken (device, inode, length).
    seal_found: Option<(u64, u64, u64)>,
    /// The open seal file, with its device and inode.
    seal_file: Option<(File, u64, u64)>,
    anchor: Option<Anchor>,
    batch: Batch,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("log", &self.log)
            .finish_non_exhaustive()
    }
}

/// The batch being written: hashed as it goes.
#[derive(Default)]
struct Batch {
    hasher: blake3::Hasher,
    bytes: u64,
    lines: u64,
    digests: String,
    /// The start of a line still open at the end of a write (it may span
    /// writes, and batches).
    open_line: Vec<u8>,
}

impl Batch {
    fn feed(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        self.bytes += bytes.len() as u64;
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', bytes) {
            let line = &bytes[start..end];
            let digest = if self.open_line.is_empty() {
                line_digest(FORMAT, line)
            } else {
                self.open_line.extend_from_slice(line);
                let digest = line_digest(FORMAT, &self.open_line);
                self.open_line.clear();
                digest
            };
            push_digest(&mut self.digests, digest);
            self.lines += 1;
            start = end + 1;
        }
        self.open_line.extend_from_slice(&bytes[start..]);
    }
}

impl Sealer {
    /// A sealer for the live file `log`, sending chain heads to journald at
    /// `journald` if given. The state must exist (`logward seal init`).
    pub(crate) fn open(log: &Path, journald: Option<&Path>, sync: bool) -> io::Result<Sealer> {
        let lock = state::lock_file(log)?;
        let mut sealer = Sealer {
            log: log.to_path_buf(),
            sync,
            lock,
            locked: false,
            cache: None,
            state_file: None,
            seal_found: None,
            seal_file: None,
            anchor: journald.and_then(|p| Anchor::new(p, log).ok()),
            batch: Batch::default(),
        };
        sealer.begin()?;
        sealer.end();
        Ok(sealer)
    }

    /// Takes the lock and brings the state up to date; a no-op while held.
    pub(crate) fn begin(&mut self) -> io::Result<()> {
        if self.locked {
            return Ok(());
        }
        rustix::fs::flock(&self.lock, rustix::fs::FlockOperation::LockExclusive).map_err(|e| {
            io::Error::new(
                io::Error::from(e).kind(),
                format!("cannot lock the seal of {}: {e}", self.log.display()),
            )
        })?;
        self.locked = true;
        let loaded = self.load();
        if loaded.is_err() {
            self.end();
        }
        loaded
    }

    fn load(&mut self) -> io::Result<()> {
        self.state_file = None;
        let (file, text) = State::open(&self.log)?;
        let id = *blake3::hash(text.as_bytes()).as_bytes();
        self.seal_found = match fs::symlink_metadata(seal_path(&self.log)) {
            Ok(meta) => Some((meta.dev(), meta.ino(), meta.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        self.state_file = Some(file);
        let seal_len = self.seal_found.map_or(0, |(_, _, len)| len);
        let current = self
            .cache
            .as_ref()
            .is_some_and(|(state, _, cached)| *cached == id && state.seal_len == seal_len);
        if current {
            return Ok(());
        }
        let mut state = State::parse(&self.log, &text)?;
        if seal_len != state.seal_len {
            recover(&self.log, &mut state, seal_len)?;
        }
        let key =
            parse_key(&state.key).ok_or_else(|| io::Error::other("the seal key is malformed"))?;
        state.key.clear();
        if let Some((_, mut old, _)) = self.cache.take() {
            entry::erase(&mut old);
        }
        self.cache = Some((state, key, id));
        Ok(())
    }

    /// Releases the lock.
    pub(crate) fn end(&mut self) {
        if self.locked {
            let _ = rustix::fs::flock(&self.lock, rustix::fs::FlockOperation::Unlock);
            self.locked = false;
        }
    }

    fn held(&mut self) -> io::Result<&mut (State, [u8; KEY_LEN], [u8; 32])> {
        match self.cache.as_mut() {
            Some(cache) if self.locked => Ok(cache),
            _ => Err(io::Error::other("the seal is used without its lock")),
        }
    }

    /// The live file now open is `dev`/`ino`: a different file than the
    /// chain's current one starts a generation.
    pub(crate) fn live_opened(&mut self, dev: u64, ino: u64) -> io::Result<()> {
        self.begin()?;
        let (state, _, _) = self.held()?;
        if (state.dev, state.ino) == (dev, ino) {
            return Ok(());
        }
        if state.dev != 0 || state.seq > 0 {
            state.r#gen += 1;
            if state.boundary.is_none() {
                state.boundary = Some("replaced".to_string());
            }
        }
        state.dev = dev;
        state.ino = ino;
        self.save()
    }

    /// The live file was renamed to `rotated`: its seal goes with it.
    pub(crate) fn rotated(&mut self, rotated: &Path) -> io::Result<()> {
        self.begin()?;
        let from = seal_path(&self.log);
        let to = seal_path(rotated);
        match fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot rotate {} to {}: {e}", from.display(), to.display()),
                ));
            }
        }
        let name = rotated
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.seal_file = None;
        self.seal_found = None;
        let (state, _, _) = self.held()?;
        state.boundary = Some(format!("rotated:{name}"));
        state.seal_len = 0;
        self.save()
    }

    /// Bytes that reached the log file.
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        self.batch.feed(bytes);
    }

    /// Seals what was fed since the last call, which began at byte `start`
    /// of the live file; `now` is the entry's time; `open_seal` opens the
    /// seal file for appending.
    pub(crate) fn finish(
        &mut self,
        start: u64,
        now: i64,
        open_seal: impl FnOnce(&Path) -> io::Result<File>,
    ) -> io::Result<()> {
        if self.batch.bytes == 0 {
            return Ok(());
        }
        self.begin()?;
        let mut batch = std::mem::take(&mut self.batch);
        // A line still open continues into the next batch.
        self.batch.open_line = std::mem::take(&mut batch.open_line);
        let sync = self.sync;
        let seal = seal_path(&self.log);
        let reuse = matches!(
            (&self.seal_file, self.seal_found),
            (Some((_, dev, ino)), Some((d, i, _))) if (*dev, *ino) == (d, i)
        );
        if !reuse {
            let file = open_seal(&seal)?;
            let meta = file.metadata()?;
            self.seal_file = Some((file, meta.dev(), meta.ino()));
        }
        let Some((file, dev, ino)) = self.seal_file.as_mut() else {
            return Err(io::Error::other("the seal file is not open"));
        };
        let (dev, ino) = (*dev, *ino);
        let Some((state, key, _)) = self.cache.as_mut().filter(|_| self.locked) else {
            return Err(io::Error::other("the seal is used without its lock"));
        };
        let body = EntryBody {
            v: FORMAT,
            chain: state.chain.clone(),
            seq: state.seq,
            r#gen: state.r#gen,
            boundary: state.boundary.take(),
            start,
            end: start + batch.bytes,
            lines: batch.lines,
            sha256: None,
            blake3: Some(hex(batch.hasher.finalize().as_bytes())),
            digests: batch.digests,
            prev: state.prev.clone(),
            time: now,
        };
        let (mut line, hash) = entry::render(&body, key);
        line.push('\n');
        file.write_all(line.as_bytes())?;
        if sync {
            file.sync_data()?;
        }
        state.seal_len = self.seal_found.map_or(0, |(_, _, len)| len) + line.len() as u64;
        self.seal_found = Some((dev, ino, state.seal_len));
        let next = evolve(key);
        entry::erase(key);
        *key = next;
        state.seq += 1;
        state.prev.clone_from(&hash);
        let chain = state.chain.clone();
        self.save()?;
        if let Some(anchor) = self.anchor.as_mut() {
            anchor.send(&chain, body.seq, &hash);
        }
        Ok(())
    }

    fn save(&mut self) -> io::Result<()> {
        let Some((state, key, id)) = self.cache.as_mut().filter(|_| self.locked) else {
            return Err(io::Error::other("the seal is used without its lock"));
        };
        state.key = hex(key);
        let text = state.text();
        // The hex copy of the key is not kept around.
        state.key.clear();
        let result = match self.state_file.as_ref() {
            Some(file) if !self.sync => State::overwrite(file, &text),
            _ => {
                self.state_file = None;
                State::replace(&self.log, &text, self.sync)
            }
        };
        if result.is_ok() {
            *id = *blake3::hash(text.as_bytes()).as_bytes();
        }
        result.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot write {}: {e}", state_path(&self.log).display()),
            )
        })
    }
}

impl Drop for Sealer {
    fn drop(&mut self) {
        self.end();
        if let Some((_, mut key, _)) = self.cache.take() {
            entry::erase(&mut key);
        }
    }
}

fn push_digest(digests: &mut String, digest: u32) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 8];
    for (i, byte) in text.iter_mut().enumerate() {
        *byte = DIGITS[((digest >> ((7 - i) * 4)) & 15) as usize];
    }
    // Hex digits are ASCII, so always UTF-8.
    digests.push_str(std::str::from_utf8(&text).unwrap_or_default());
}

/// Brings a state that lags its seal file (a crash after the entry was
/// written, before the state was) up to the seal's last entry.
fn recover(log: &Path, state: &mut State, seal_len: u64) -> io::Result<()> {
    state.seal_len = seal_len;
    let Some(last) = last_entry(&seal_path(log))? else {
        return Ok(());
    };
    if last.body.chain != state.chain || last.body.seq < state.seq {
        return Ok(());
    }
    let Some(mut key) = parse_key(&state.key) else {
        return Ok(());
    };
    while state.seq <= last.body.seq {
        let next = evolve(&key);
        entry::erase(&mut key);
        key = next;
        state.seq += 1;
    }
    state.key = hex(&key);
    entry::erase(&mut key);
    state.prev = last.hash;
    state.r#gen = last.body.r#gen;
    state.boundary = None;
    Ok(())
}

/// The last entry of the seal file at `path`, if any.
fn last_entry(path: &Path) -> io::Result<Option<Entry>> {
    use std::io::{Read, Seek, SeekFrom};
    /// Enough for the longest entry a batch of the file sink's sealed
    /// buffer (1 MiB) makes: 8 digits per line, even of empty lines.
    const TAIL: u64 = 10 << 20;
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(TAIL)))?;
    let mut tail = String::new();
    file.read_to_string(&mut tail)?;
    Ok(tail.lines().rev().find_map(|line| Entry::parse(line).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journald_that_reads_nothing_does_not_hold_the_writer_and_gets_the_last_head_at_close() {
        use crate::SystemClock;
        use crate::sink::{FileSink, Rotation};
        use std::os::unix::net::UnixDatagram;
        let dir = tempfile::tempdir().expect("tempdir");
        let socket_path = dir.path().join("journal.socket");
        // Bound but not read, as a stopped journald: its queue fills.
        let journald = UnixDatagram::bind(&socket_path).expect("bind");
        let log = dir.path().join("audit.log");
        init_chain(&log, &[3; KEY_LEN]).expect("seal init");
        const BATCHES: u64 = 60;
        let (done, finished) = std::sync::mpsc::channel();
        let writing = {
            let (log, socket_path) = (log.clone(), socket_path.clone());
            std::thread::spawn(move || {
                let clock = std::sync::Arc::new(SystemClock);
                let mut sink = FileSink::open_sealed(
                    &log,
                    Rotation::default(),
                    false,
                    clock,
                    Some(&socket_path),
                )
                .expect("open");
                for n in 0..BATCHES {
                    append_flushed(&mut sink, n);
                }
                done.send(()).expect("done");
                sink
            })
        };
        finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("every batch sealed while journald read nothing");
        let sink = writing.join().expect("writer");
        // journald reads again; the sealer's close sends the newest head.
        journald
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .expect("timeout");
        let reading = std::thread::spawn(move || {
            let mut seqs = Vec::new();
            let mut buf = vec![0u8; 4096];
            while let Ok(n) = journald.recv(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                if let Some(seq) = text
                    .lines()
                    .find_map(|l| l.strip_prefix("LOGWARD_SEAL_SEQ="))
                {
                    seqs.push(seq.parse::<u64>().expect("seq"));
                }
            }
            seqs
        });
        drop(sink);
        let seqs = reading.join().expect("reader");
        assert!(
            seqs.len() < BATCHES as usize,
            "{seqs:?}: the queue never filled"
        );
        assert_eq!(seqs.last(), Some(&(BATCHES - 1)), "{seqs:?}");
        assert_eq!(seal_lines_of(&log), BATCHES as usize);
    }

    #[test]
    fn with_log_sync_a_flush_returns_with_its_batch_sealed() {
        use crate::SystemClock;
        use crate::sink::{FileSink, Rotation};
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("audit.log");
        init_chain(&log, &[4; KEY_LEN]).expect("seal init");
        let clock = std::sync::Arc::new(SystemClock);
        let mut sink =
            FileSink::open_sealed(&log, Rotation::default(), true, clock, None).expect("open");
        for n in 0..5 {
            append_flushed(&mut sink, n);
            // Read while the sink is still open: the entry is already there.
            let seal = fs::read_to_string(seal_path(&log)).expect("seal");
            let last = seal.lines().last().map(Entry::parse).expect("an entry");
            let end = last.expect("a valid entry").body.end;
            assert_eq!(seal.lines().count() as u64, n + 1);
            assert_eq!(end, fs::metadata(&log).expect("log").len());
        }
        drop(sink);
    }

    /// Appends the record `{"n":n}` to `sink` and flushes it.
    fn append_flushed(sink: &mut crate::sink::FileSink, n: u64) {
        use crate::sink::Sink;
        let line = format!("{{\"n\":{n}}}\n");
        let record = crate::sink::Entry {
            line: line.as_bytes(),
            level: crate::Level::Info,
            log_type: crate::LogType::Audit,
        };
        sink.append(&record).expect("append");
        sink.flush().expect("flush");
    }

    fn seal_lines_of(log: &Path) -> usize {
        fs::read_to_string(seal_path(log))
            .expect("seal")
            .lines()
            .count()
    }
}

//! The journal anchor: after each seal entry the sealing thread sends the
//! chain head to journald, so a log whose end was cut off together with
//! its seal still shows against the journal.
//!
//! The send never waits for journald: a journald that is stopped or busy
//! would otherwise hold the sealed writer up, and the records behind it.
//! A head that does not fit in journald's queue is superseded by the next
//! one (each names the whole chain up to it), and the last one is sent
//! again when the sealer closes, waiting up to [`LAST_WAIT`] then.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long the last head waits for room in journald's queue at close.
const LAST_WAIT: Duration = Duration::from_secs(1);

/// A socket to journald for one sealed log.
pub(super) struct Anchor {
    socket: UnixDatagram,
    journald: PathBuf,
    log: String,
    /// The newest head, when journald had no room for it.
    unsent: Option<String>,
}

impl Anchor {
    /// An anchor for the sealed log `log`, sending to `journald`.
    pub(super) fn new(journald: &Path, log: &Path) -> io::Result<Anchor> {
        let socket = UnixDatagram::unbound()?;
        socket.set_nonblocking(true)?;
        Ok(Anchor {
            socket,
            journald: journald.to_path_buf(),
            log: log.to_string_lossy().replace('\n', " "),
            unsent: None,
        })
    }

    /// Sends the head `hash` (entry `seq` of `chain`). A journald that is
    /// down loses the anchor, not the record: `logward verify` then compares
    /// with the last anchor that arrived.
    pub(super) fn send(&mut self, chain: &str, seq: u64, hash: &str) {
        let log = &self.log;
        let message = format!(
            "MESSAGE=logward seal head of {log}: entry {seq}\nPRIORITY=6\n\
             SYSLOG_IDENTIFIER=logward-seal\nLOGWARD_SEAL_LOG={log}\n\
             LOGWARD_SEAL_CHAIN={chain}\nLOGWARD_SEAL_SEQ={seq}\nLOGWARD_SEAL_HEAD={hash}\n"
        );
        self.unsent = match self.socket.send_to(message.as_bytes(), &self.journald) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Some(message),
            _ => None,
        };
    }
}

impl Drop for Anchor {
    fn drop(&mut self) {
        if let Some(message) = self.unsent.take() {
            let waits = self.socket.set_nonblocking(false).is_ok()
                && self.socket.set_write_timeout(Some(LAST_WAIT)).is_ok();
            if waits {
                let _ = self.socket.send_to(message.as_bytes(), &self.journald);
            }
        }
    }
}

//! The journal anchor: after each seal entry the writer sends the chain
//! head to journald, so a log whose end was cut off together with its seal
//! still shows against the journal.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

/// A socket to journald for one sealed log.
pub(super) struct Anchor {
    socket: UnixDatagram,
    journald: PathBuf,
    log: String,
}

impl Anchor {
    /// An anchor for the sealed log `log`, sending to `journald`.
    pub(super) fn new(journald: &Path, log: &Path) -> std::io::Result<Anchor> {
        Ok(Anchor {
            socket: UnixDatagram::unbound()?,
            journald: journald.to_path_buf(),
            log: log.to_string_lossy().replace('\n', " "),
        })
    }

    /// Sends the head `hash` (entry `seq` of `chain`). A journald that is
    /// down loses the anchor, not the record: `logward verify` then compares
    /// with the last anchor that arrived.
    pub(super) fn send(&self, chain: &str, seq: u64, hash: &str) {
        let log = &self.log;
        let message = format!(
            "MESSAGE=logward seal head of {log}: entry {seq}\nPRIORITY=6\n\
             SYSLOG_IDENTIFIER=logward-seal\nLOGWARD_SEAL_LOG={log}\n\
             LOGWARD_SEAL_CHAIN={chain}\nLOGWARD_SEAL_SEQ={seq}\nLOGWARD_SEAL_HEAD={hash}\n"
        );
        let _ = self.socket.send_to(message.as_bytes(), &self.journald);
    }
}

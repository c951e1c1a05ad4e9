//! Reading logward's records back from the systemd journal, trusting only
//! the entries that logward's own senders wrote.
//!
//! Any local user can write to journald's socket, with any fields: an entry
//! saying `LOG_TYPE=audit` and carrying a record in `MESSAGE` proves
//! nothing. What a sender cannot forge are journald's trusted fields, which
//! journald fills in from the socket's credentials and the sender's cgroup:
//! `_UID`, `_PID`, `_COMM`, `_SYSTEMD_UNIT`. So entries are read with
//! `journalctl -o export` and those fields, and an entry is used only when
//! its [`Trust`] accepts the sender: `_UID` root or one of
//! `LOG_JOURNAL_USERS`, or `_SYSTEMD_UNIT` one of `LOG_JOURNAL_UNITS`. The
//! others are counted, with their senders, and left out.
//!
//! [`JournalReader`] runs `journalctl` and yields entries as a stream;
//! [`Senders`] counts entries per sender for a report. `logward bundle`
//! reads the journal through them.

mod export;
mod reader;
mod trust;

pub use reader::{JournalEntry, JournalReader};
pub use trust::{Sender, Senders, Trust};

//! Running `journalctl -o export` and reading its entries as a stream.

use std::io::{self, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use super::export::{ExportReader, Item};
use super::trust::Sender;

/// The fields asked of `journalctl` (it adds `__CURSOR`, the timestamps and
/// `_BOOT_ID` to every entry of the export format).
const OUTPUT_FIELDS: &str = "--output-fields=MESSAGE,_UID,_PID,_COMM,_SYSTEMD_UNIT";

/// At most this much of `journalctl`'s stderr is kept for an error message.
const STDERR_KEPT: u64 = 8 * 1024;

/// One journal entry: its `MESSAGE`, its sender and its cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct JournalEntry {
    /// `MESSAGE`, as bytes; empty when missing or too long.
    pub message: Vec<u8>,
    /// Whether `MESSAGE` was longer than the reader keeps.
    pub message_too_long: bool,
    /// Who sent it, from journald's trusted fields.
    pub sender: Sender,
    /// `__CURSOR`: where the entry is, to read on after it later.
    pub cursor: String,
}

/// `journalctl` running, and its entries as they come.
pub struct JournalReader {
    child: Child,
    fields: ExportReader<BufReader<ChildStdout>>,
    stderr: Option<JoinHandle<String>>,
    entry: JournalEntry,
    /// Whether `entry` holds an entry read (not the end).
    has_entry: bool,
}

impl JournalReader {
    /// Starts `journalctl` with `args` (matches, `--since`, …) after the
    /// output options; `MESSAGE` values longer than `max_message` bytes are
    /// not kept ([`JournalEntry::message_too_long`]).
    ///
    /// # Errors
    ///
    /// When `journalctl` cannot be started.
    pub fn spawn<I, S>(args: I, max_message: usize) -> io::Result<JournalReader>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut child = Command::new("journalctl")
            .args(["-o", "export", OUTPUT_FIELDS, "--no-pager", "--quiet"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let Some(stdout) = child.stdout.take() else {
            stop(&mut child);
            return Err(io::Error::other(
                "journalctl started without an output pipe",
            ));
        };
        // Drained on its own thread so a chatty journalctl cannot block on
        // a full stderr pipe while its stdout is being read.
        let stderr = child.stderr.take().map(|stderr| {
            std::thread::spawn(move || {
                let mut kept = String::new();
                let mut limited = stderr.take(STDERR_KEPT);
                let _ = limited.read_to_string(&mut kept);
                let _ = io::copy(&mut limited.into_inner(), &mut io::sink());
                kept
            })
        });
        Ok(JournalReader {
            child,
            fields: ExportReader::new(BufReader::with_capacity(64 * 1024, stdout), max_message),
            stderr,
            entry: JournalEntry::default(),
            has_entry: false,
        })
    }

    /// The next entry; `None` at the end of `journalctl`'s output.
    ///
    /// # Errors
    ///
    /// When the output cannot be read or is not the export format.
    pub fn next_entry(&mut self) -> io::Result<Option<&JournalEntry>> {
        self.has_entry = false;
        let entry = &mut self.entry;
        entry.message.clear();
        entry.message_too_long = false;
        entry.sender = Sender::default();
        entry.cursor.clear();
        let mut any = false;
        loop {
            let too_long = match self.fields.next_field()? {
                Item::End if !any => return Ok(None),
                Item::End | Item::EntryEnd => {
                    self.has_entry = true;
                    return Ok(Some(&self.entry));
                }
                Item::Field { too_long } => too_long,
            };
            any = true;
            let value = self.fields.value();
            let text = || String::from_utf8_lossy(value).into_owned();
            match self.fields.name() {
                b"MESSAGE" => {
                    entry.message.extend_from_slice(value);
                    entry.message_too_long = too_long;
                }
                b"_UID" => entry.sender.uid = text().parse().ok(),
                b"_PID" => entry.sender.pid = text().parse().ok(),
                b"_COMM" => entry.sender.comm = Some(text()),
                b"_SYSTEMD_UNIT" => entry.sender.unit = Some(text()),
                b"__CURSOR" => entry.cursor = text(),
                _ => {}
            }
        }
    }

    /// The entry the last [`JournalReader::next_entry`] returned, if any.
    pub fn current(&self) -> Option<&JournalEntry> {
        self.has_entry.then_some(&self.entry)
    }

    /// Waits for `journalctl` to exit.
    ///
    /// # Errors
    ///
    /// Its exit status and what it said on stderr when it failed.
    pub fn finish(mut self) -> Result<(), String> {
        let status = self.child.wait();
        let stderr = self
            .stderr
            .take()
            .and_then(|handle| handle.join().ok())
            .unwrap_or_default();
        match status {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(format!("journalctl failed ({status}): {}", stderr.trim())),
            Err(e) => Err(format!("cannot wait for journalctl: {e}")),
        }
    }
}

impl Drop for JournalReader {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Kills `child` (it may have exited already) and reaps it.
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

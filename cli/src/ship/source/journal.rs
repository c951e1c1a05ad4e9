//! The systemd journal as a source: entries of the export's log types
//! (`LOG_TYPE=` matches), read with `journalctl -o export` after a
//! persisted cursor, trusting only logward's own senders by journald's
//! trusted fields (`_UID`, `_SYSTEMD_UNIT`; see [`Trust`]), exactly as
//! `logward bundle` does. Entries of other senders are passed over.
//!
//! `journalctl` runs without `--follow` and is started again, after the
//! cursor of the last entry read, when its output ends (at most once a
//! second while nothing new comes). The saved state is the cursor of the
//! last acknowledged entry. `_START=now` begins after the journal's newest
//! entry. The lag of a journal source counts only the entries read and not
//! yet acknowledged; entries that journald vacuumed before they were read
//! are not detected.

use std::collections::VecDeque;
use std::io;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Lag, Lost, Mark, Source};
use crate::bundle::MAX_LINE;
use crate::ship::Start;
use crate::{JournalReader, Trust};
use logward::LogType;

/// The shortest time between two runs of `journalctl` that found nothing.
const RESPAWN: Duration = Duration::from_secs(1);

/// The journal, for some log types.
pub struct JournalSource {
    types: Vec<LogType>,
    trust: Trust,
    reader: Option<JournalReader>,
    /// Where the next run of `journalctl` starts: after this cursor.
    read_after: Option<String>,
    /// Entries read and not yet acknowledged: mark number, cursor, bytes.
    pending: VecDeque<(u64, String, Vec<u8>)>,
    next: u64,
    committed: Option<String>,
    last_spawn: Option<Instant>,
    found_since_spawn: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Saved {
    cursor: Option<String>,
}

impl JournalSource {
    /// The journal's entries of `types` from senders `trust` accepts,
    /// resuming after `state`'s cursor, else starting as `start` says.
    pub fn open(
        types: &[LogType],
        trust: Trust,
        state: Option<&Value>,
        start: Start,
    ) -> io::Result<JournalSource> {
        let cursor = match state {
            Some(state) => {
                let saved: Saved = serde_json::from_value(state.clone()).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("the saved cursor of the journal source is damaged: {e}"),
                    )
                })?;
                saved.cursor
            }
            None => match start {
                Start::Beginning => None,
                Start::Now => newest_cursor(types)?,
            },
        };
        Ok(JournalSource {
            types: types.to_vec(),
            trust,
            reader: None,
            read_after: cursor.clone(),
            pending: VecDeque::new(),
            next: 1,
            committed: cursor,
            last_spawn: None,
            found_since_spawn: false,
        })
    }

    fn spawn(&mut self) -> io::Result<()> {
        let mut args: Vec<String> = self.types.iter().map(|t| format!("LOG_TYPE={t}")).collect();
        if let Some(cursor) = &self.read_after {
            args.push(format!("--after-cursor={cursor}"));
        }
        self.reader = Some(JournalReader::spawn(&args, MAX_LINE)?);
        self.last_spawn = Some(Instant::now());
        self.found_since_spawn = false;
        Ok(())
    }
}

/// The cursor of the newest entry of `types`, `None` when there is none.
///
/// It must be an entry of the same matches as the reads after it:
/// `journalctl --after-cursor` with matches skips the first matching entry
/// when the cursor's own entry does not match.
fn newest_cursor(types: &[LogType]) -> io::Result<Option<String>> {
    let out = Command::new("journalctl")
        .args([
            "-n",
            "1",
            "-o",
            "export",
            "--output-fields=_UID",
            "--quiet",
            "--no-pager",
        ])
        .args(types.iter().map(|t| format!("LOG_TYPE={t}")))
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix("__CURSOR="))
        .map(|c| c.trim().to_string()))
}

impl Source for JournalSource {
    fn name(&self) -> &str {
        "journal"
    }

    fn refresh(&mut self) -> io::Result<()> {
        let due = self.reader.is_none()
            && (self.found_since_spawn || self.last_spawn.is_none_or(|t| t.elapsed() >= RESPAWN));
        if due {
            self.spawn()?;
        }
        Ok(())
    }

    fn read_line(&mut self, line: &mut Vec<u8>) -> io::Result<Option<Mark>> {
        loop {
            let Some(reader) = &mut self.reader else {
                return Ok(None);
            };
            let Some(entry) = reader.next_entry()? else {
                if let Some(reader) = self.reader.take() {
                    reader.finish().map_err(io::Error::other)?;
                }
                return Ok(None);
            };
            self.read_after = Some(entry.cursor.clone());
            self.found_since_spawn = true;
            if !self.trust.trusts(&entry.sender) {
                continue;
            }
            line.clear();
            line.extend_from_slice(&entry.message);
            let mark = Mark {
                unit: self.next,
                offset: 0,
                index: 0,
            };
            self.pending
                .push_back((self.next, entry.cursor.clone(), line.clone()));
            self.next += 1;
            return Ok(Some(mark));
        }
    }

    fn commit(&mut self, mark: Mark) {
        while let Some((n, _, _)) = self.pending.front() {
            if *n > mark.unit {
                break;
            }
            if let Some((_, cursor, _)) = self.pending.pop_front() {
                self.committed = Some(cursor);
            }
        }
    }

    fn state(&mut self) -> io::Result<Value> {
        serde_json::to_value(Saved {
            cursor: self.committed.clone(),
        })
        .map_err(io::Error::other)
    }

    fn lag(&mut self) -> io::Result<Lag> {
        Ok(Lag {
            records: self.pending.len() as u64,
            bytes: self
                .pending
                .iter()
                .map(|(_, _, l)| l.len() as u64 + 1)
                .sum(),
            oldest: self.pending.front().map(|(_, _, l)| l.clone()),
        })
    }

    fn take_lost(&mut self) -> Option<Lost> {
        None
    }
}

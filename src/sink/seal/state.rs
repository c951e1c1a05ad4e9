//! The sealing state of one log file: the current chain key and where the
//! chain stands, in a 0600 file beside the log (`<log>.seal-key`).
//!
//! The state is rewritten after every seal entry. Without `LOG_SYNC` it is
//! overwritten in place (one `pwrite` over the old text, which overwrites
//! the old key's bytes; the file is opened without following links). With
//! `LOG_SYNC` it is replaced: a fresh file (`<log>.seal-key.tmp`, created
//! exclusively, so a planted link is never followed) is written, fsynced
//! and renamed over the old one, so a crash leaves either the old or the
//! new state; blocks of the replaced file are not scrubbed (as with
//! journald's sealing keys), so the directory belongs on a file system the
//! operator trusts for that.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::entry::{self, KEY_LEN, NO_PREV};

/// Mode of the state and lock files: the key is a secret.
const SECRET_MODE: u32 = 0o600;

/// What the writer remembers between entries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    pub(crate) v: u32,
    /// The chain's id.
    pub(crate) chain: String,
    /// The key of entry `seq`, hex.
    pub(crate) key: String,
    /// The number of the next entry.
    pub(crate) seq: u64,
    /// The entry hash of entry `seq - 1`.
    pub(crate) prev: String,
    /// The current generation.
    pub(crate) r#gen: u64,
    /// What the next entry says about the boundary before it.
    pub(crate) boundary: Option<String>,
    /// Device and inode of the live file of this generation (0 before any).
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    /// The seal file's length after the last entry; another length means
    /// the last entry was written but the state was not (a crash).
    #[serde(default)]
    pub(crate) seal_len: u64,
}

/// `<log><suffix>`.
pub(crate) fn beside(log: &Path, suffix: &str) -> PathBuf {
    let mut name = log.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// The seal file of the log file `log` (live or rotated): `<log>.seal`.
pub fn seal_path(log: &Path) -> PathBuf {
    beside(log, ".seal")
}

/// The state file of the live log file `log`: `<log>.seal-key`.
pub fn state_path(log: &Path) -> PathBuf {
    beside(log, ".seal-key")
}

impl State {
    /// A new chain under `verify_key`.
    pub(crate) fn new(verify_key: &[u8; KEY_LEN]) -> State {
        let chain: [u8; 16] = rand::random();
        let chain = entry::hex(&chain);
        let mut key = entry::first_key(verify_key, &chain);
        let state = State {
            v: 1,
            key: entry::hex(&key),
            chain,
            seq: 0,
            prev: NO_PREV.to_string(),
            r#gen: 0,
            boundary: None,
            dev: 0,
            ino: 0,
            seal_len: 0,
        };
        entry::erase(&mut key);
        state
    }

    /// Opens the state file of `log` for reading and overwriting, and
    /// reads its text.
    pub(crate) fn open(log: &Path) -> io::Result<(File, String)> {
        let path = state_path(log);
        let mut text = String::new();
        OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
            .and_then(|mut f| f.read_to_string(&mut text).map(|_| f))
            .map(|file| (file, text))
            .map_err(|e| {
                if e.kind() == io::ErrorKind::NotFound {
                    io::Error::new(
                        e.kind(),
                        format!(
                            "{} is sealed (LOG_SEAL) but has no seal key {}; create it with \
                             `logward seal init --verify-key-out PATH`",
                            log.display(),
                            path.display()
                        ),
                    )
                } else {
                    io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display()))
                }
            })
    }

    /// The state in `text`, the state file of `log`.
    pub(crate) fn parse(log: &Path, text: &str) -> io::Result<State> {
        let path = state_path(log);
        let state: State = serde_json::from_str(text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a seal key file: {e}", path.display()),
            )
        })?;
        if entry::parse_key(&state.key).is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} holds no valid key", path.display()),
            ));
        }
        Ok(state)
    }

    /// The state file's text for this state.
    pub(crate) fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Overwrites the state file `file` (as opened by [`State::open`]) with
    /// `text` in place.
    pub(crate) fn overwrite(file: &File, text: &str) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        file.write_all_at(text.as_bytes(), 0)?;
        if file.metadata()?.len() > text.len() as u64 {
            file.set_len(text.len() as u64)?;
        }
        Ok(())
    }

    /// Replaces the state file of `log` with `text`, atomically.
    pub(crate) fn replace(log: &Path, text: &str, sync: bool) -> io::Result<()> {
        let path = state_path(log);
        let tmp = beside(log, ".seal-key.tmp");
        match fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot remove {}: {e}", tmp.display()),
                ));
            }
        }
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(SECRET_MODE)
            .open(&tmp)
            .map_err(|e| {
                io::Error::new(e.kind(), format!("cannot create {}: {e}", tmp.display()))
            })?;
        file.write_all(text.as_bytes())?;
        if sync {
            file.sync_data()?;
        }
        drop(file);
        fs::rename(&tmp, &path).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot replace {}: {e}", path.display()))
        })
    }
}

/// Opens the lock file `<log>.seal-lock` (mode 0600) that every writer of
/// the sealed file `log` holds while it writes and seals a batch.
pub(crate) fn lock_file(log: &Path) -> io::Result<File> {
    let path = beside(log, ".seal-lock");
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(SECRET_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display())))
}

/// Starts a chain for the sealed log file `log` under `verify_key`: writes
/// its state file (0600), refusing to replace one.
///
/// # Errors
///
/// When the state file exists or cannot be written.
pub fn init_chain(log: &Path, verify_key: &[u8; KEY_LEN]) -> io::Result<()> {
    let path = state_path(log);
    if fs::symlink_metadata(&path).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} already has a seal key {}; its chain was started before",
                log.display(),
                path.display()
            ),
        ));
    }
    State::replace(log, &State::new(verify_key).text(), true)
}

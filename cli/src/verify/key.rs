//! The verification key: made once by `logward seal init`, kept off the
//! machine, given to `logward verify --verify-key`.
//!
//! The key file holds 64 hex digits and a newline (mode 0600). `seal init`
//! starts a chain for every sealed file of the configuration (the `seal`
//! module of the runtime: a random chain id, its first key derived from the
//! verification key, in a 0600 state file beside the log) and writes the
//! verification key to a new file; it refuses to replace an existing key
//! file or an existing chain. The verification key itself is kept nowhere
//! on the machine.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use logward::sink::seal::{KEY_LEN, hex, init_chain, parse_key, state_path};
use logward::{Config, Destination};

/// Reads a verification key file.
///
/// # Errors
///
/// When the file cannot be read or holds no key.
pub fn read_verify_key(path: &Path) -> Result<[u8; KEY_LEN], String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the verification key {}: {e}", path.display()))?;
    parse_key(&text).ok_or_else(|| {
        format!(
            "{} is not a verification key; allowed: the file `logward seal init \
             --verify-key-out` wrote (64 hex digits)",
            path.display()
        )
    })
}

/// Starts the chains of every sealed file of `config` and writes the
/// verification key to `out`; returns the sealed files.
///
/// # Errors
///
/// When no file is sealed, `out` exists, a chain exists, or a file cannot
/// be written.
pub fn seal_init(config: &Config, out: &Path) -> Result<Vec<PathBuf>, (u8, String)> {
    let mut logs: Vec<PathBuf> = Vec::new();
    for (_, route) in config.routes() {
        if let Destination::File {
            path, seal: true, ..
        } = &route.destination
        {
            if !logs.contains(path) {
                logs.push(path.clone());
            }
        }
    }
    if logs.is_empty() {
        return Err((
            2,
            "no log file is sealed: set LOG_SEAL=true (or LOG_SEAL_<TYPE>=true) for a type \
             routed to a file first"
                .to_string(),
        ));
    }
    for log in &logs {
        if std::fs::symlink_metadata(state_path(log)).is_ok() {
            return Err((
                2,
                format!(
                    "{} already has a seal key {}; its chain was started before (refusing to \
                     start another)",
                    log.display(),
                    state_path(log).display()
                ),
            ));
        }
    }
    let mut key: [u8; KEY_LEN] = rand::random();
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
        .and_then(|mut f| {
            f.write_all(format!("{}\n", hex(&key)).as_bytes())?;
            f.sync_all()
        });
    if let Err(e) = written {
        key.fill(0);
        let code = if e.kind() == io::ErrorKind::AlreadyExists {
            2
        } else {
            1
        };
        return Err((
            code,
            format!(
                "cannot write the verification key to {}: {e}",
                out.display()
            ),
        ));
    }
    for log in &logs {
        if let Some(dir) = log.parent() {
            if !dir.exists() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| (1, format!("cannot create {}: {e}", dir.display())))?;
                std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o750))
                    .map_err(|e| (1, format!("cannot set the mode of {}: {e}", dir.display())))?;
            }
        }
        init_chain(log, &key).map_err(|e| (1, e.to_string()))?;
    }
    key.fill(0);
    Ok(logs)
}

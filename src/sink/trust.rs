//! Which paths a file sink may write: the rules that keep a log file from
//! being planted, redirected or swapped by another local user.
//!
//! A live log file is used only when it is
//!
//! - a regular file, never a symbolic link (it is opened with `O_NOFOLLOW`,
//!   so a link is refused, not followed), a FIFO or a device (it is opened
//!   with `O_NONBLOCK` and checked with `fstat` before anything is written,
//!   so a FIFO never blocks the writer);
//! - owned by the process's effective user, by root, or by the owner of its
//!   directory (who could replace it at will anyway, as systemd's
//!   `LogsDirectory=` makes a service's directory its own);
//! - not writable by group or others;
//! - in a directory that group and others cannot write, or that has the
//!   sticky bit (`/tmp`), so nobody else can rename or replace it.
//!
//! The same rules apply when the sink opens at start, when `logward config
//! check` looks at a path, and when a running sink re-opens a file that was
//! replaced; a refusal while running is a write failure like a full disk,
//! and the records go to the sink's fallback, counted.
//!
//! A refusal reads like:
//!
//! ```text
//! refusing /var/log/app/audit.log: owned by nobody (uid 65534), mode 0640; required: a regular file owned by root (uid 0) or by the directory's owner, not writable by group or others
//! ```

use std::ffi::CStr;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// How every refusal starts.
pub(crate) const REFUSING: &str = "refusing ";

/// Mode bits that let group or others write.
const GROUP_OTHER_WRITE: u32 = 0o022;
/// The sticky bit: only an entry's owner may rename or delete it.
const STICKY: u32 = 0o1000;

/// Opens the existing file `path` for appending without following a
/// symbolic link and without blocking, and checks that it may be written
/// (see the module doc). `dir` is the metadata of its directory.
pub(crate) fn open_existing(path: &Path, dir: &fs::Metadata) -> io::Result<File> {
    let file = OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| refused_open(path, e))?;
    let meta = file.metadata()?;
    check_file(path, &meta, dir).map_err(io::Error::other)?;
    clear_nonblocking(&file)?;
    Ok(file)
}

/// Why opening `path` failed, naming a symbolic link or a FIFO without a
/// reader for what it is.
fn refused_open(path: &Path, e: io::Error) -> io::Error {
    let shown = path.display();
    match e.raw_os_error() {
        Some(libc::ELOOP) => io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "refusing {shown}: a symbolic link; required: a regular file (links are never followed)"
            ),
        ),
        Some(libc::ENXIO) => io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("refusing {shown}: a FIFO or socket; required: a regular file"),
        ),
        _ => io::Error::new(e.kind(), format!("cannot open {shown}: {e}")),
    }
}

/// Regular files never block, but the descriptor is shared with a writer
/// that expects ordinary blocking writes.
fn clear_nonblocking(file: &File) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(file)?;
    rustix::fs::fcntl_setfl(file, flags.difference(rustix::fs::OFlags::NONBLOCK))?;
    Ok(())
}

/// Checks an existing log file's type, owner and mode (`meta` from `lstat`
/// or `fstat`); `dir` is the metadata of its directory.
pub(crate) fn check_file(
    path: &Path,
    meta: &fs::Metadata,
    dir: &fs::Metadata,
) -> Result<(), String> {
    let shown = path.display();
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_symlink() {
            "a symbolic link"
        } else if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() {
            "a character device"
        } else if kind.is_block_device() {
            "a block device"
        } else if kind.is_dir() {
            "a directory"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        };
        return Err(format!(
            "refusing {shown}: {what}; required: a regular file"
        ));
    }
    let mode = meta.permissions().mode() & 0o7777;
    let owner = meta.uid();
    let me = rustix::process::geteuid().as_raw();
    let owner_ok = owner == me || owner == 0 || owner == dir.uid();
    if !owner_ok || mode & GROUP_OTHER_WRITE != 0 {
        return Err(format!(
            "refusing {shown}: owned by {}, mode {mode:04o}; required: a regular file owned by \
             {} or by the directory's owner, not writable by group or others",
            user(owner),
            if me == 0 {
                user(0)
            } else {
                format!("{}, by root", user(me))
            },
        ));
    }
    Ok(())
}

/// Checks that a log directory cannot be written by other users, unless it
/// is sticky.
pub(crate) fn check_dir(dir: &Path, meta: &fs::Metadata) -> Result<(), String> {
    let mode = meta.permissions().mode() & 0o7777;
    if mode & GROUP_OTHER_WRITE != 0 && mode & STICKY == 0 {
        return Err(format!(
            "refusing {}: a directory of mode {mode:04o} (owned by {}) lets other users replace \
             the log file; required: a directory not writable by group or others, or with the \
             sticky bit",
            dir.display(),
            user(meta.uid())
        ));
    }
    Ok(())
}

/// `name (uid N)`, or `uid N` for a user without a name.
fn user(uid: u32) -> String {
    let mut buf = vec![0 as libc::c_char; 1024];
    // SAFETY: all-zero is a valid `passwd` (null pointers, zero ids).
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: the pointers are valid for the call; `buf` outlives every use
    // of the strings `entry` points into.
    let rc = unsafe { libc::getpwuid_r(uid, &mut entry, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() || entry.pw_name.is_null() {
        return format!("uid {uid}");
    }
    // SAFETY: getpwuid_r succeeded, so `pw_name` is a NUL-terminated string in `buf`.
    let name = unsafe { CStr::from_ptr(entry.pw_name) }.to_string_lossy();
    format!("{name} (uid {uid})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_users_by_name_and_id() {
        assert_eq!(user(0), "root (uid 0)");
        assert_eq!(user(4_000_000_000), "uid 4000000000");
    }
}

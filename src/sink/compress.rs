//! Compression of a file sink's rotated files (`LOG_ROTATE_COMPRESS=gzip`),
//! on a thread of the sink's own, never the writer's or a caller's.
//!
//! A rotated file `<rotated>` becomes `<rotated>.gz` in four steps:
//!
//! 1. `<rotated>.gz.tmp` is created (mode 0640) or opened, and locked with an
//!    exclusive `flock` without waiting: another process holding the lock is
//!    compressing the same file, and this one leaves it to it;
//! 2. the temporary file is emptied and the gzip stream written into it,
//!    then fsynced;
//! 3. it is renamed to `<rotated>.gz` and the directory fsynced;
//! 4. only then is `<rotated>` removed.
//!
//! A crash at any step leaves either the original whole (with perhaps a
//! partial `.gz.tmp`, never listed or counted), or a complete `.gz` (with
//! perhaps the original still beside it, listed once). The next start of
//! the sink finishes the work: it compresses every rotated file still
//! uncompressed (step 1 empties a leftover temporary file), removes an
//! original whose `.gz` is complete, and removes a temporary file whose
//! original is gone.
//!
//! The gzip header names the original file (`FNAME`), keeps its
//! modification time (`MTIME`), and says which file it was in its comment
//! (`FCOMMENT`), so that a reader that was following the original by device
//! and inode (`logward ship`) finds its place in the compressed file:
//!
//! ```text
//! logward-origin dev=64769 ino=1835021
//! ```
//!
//! Writers of the live file hold a shared `flock` on it while they write
//! and check that the path still names it, and a rotation takes the
//! exclusive lock before its rename, so no record is written into a
//! rotated file once it is handed here: a process that shares the file
//! and has not yet seen the rotation reopens the path instead.
//!
//! Compression needs logward's `gzip` cargo feature (the `logward` tool has
//! it). Without it, [`AVAILABLE`] is false, the runtime leaves rotated
//! files as written and says so in one startup warning.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Whether this build can compress (logward's `gzip` feature).
pub const AVAILABLE: bool = cfg!(feature = "gzip");

/// The `FCOMMENT` of a compressed rotated file made from the file on device
/// `dev` with inode `ino`.
pub fn origin_comment(dev: u64, ino: u64) -> String {
    format!("logward-origin dev={dev} ino={ino}")
}

/// The device and inode an [`origin_comment`] names, if `comment` is one.
///
/// ```
/// use logward::sink::{origin_comment, parse_origin_comment};
/// assert_eq!(parse_origin_comment(origin_comment(3, 77).as_bytes()), Some((3, 77)));
/// assert_eq!(parse_origin_comment(b"made by gzip"), None);
/// ```
pub fn parse_origin_comment(comment: &[u8]) -> Option<(u64, u64)> {
    let text = std::str::from_utf8(comment).ok()?;
    let rest = text.strip_prefix("logward-origin dev=")?;
    let (dev, ino) = rest.split_once(" ino=")?;
    Some((dev.parse().ok()?, ino.parse().ok()?))
}

/// A thread compressing one sink's rotated files, one after the other, in
/// the order they were handed to it.
pub(super) struct Compressor {
    queue: Option<mpsc::Sender<PathBuf>>,
    thread: Option<JoinHandle<()>>,
    problems: Arc<Mutex<Vec<String>>>,
}

impl Compressor {
    /// Starts the thread for the sink writing `live`.
    pub(super) fn start(live: &Path) -> std::io::Result<Compressor> {
        let (queue, rotated) = mpsc::channel::<PathBuf>();
        let problems = Arc::new(Mutex::new(Vec::new()));
        let reported = Arc::clone(&problems);
        let thread = std::thread::Builder::new()
            .name(format!("logward gzip {}", live.display()))
            .spawn(move || {
                for path in rotated {
                    if let Err(e) = gzip::compress(&path) {
                        if let Ok(mut problems) = reported.lock() {
                            problems.push(format!(
                                "cannot compress {}: {e}; it stays as it is, and the next start \
                                 tries again",
                                path.display()
                            ));
                        }
                    }
                }
            })?;
        Ok(Compressor {
            queue: Some(queue),
            thread: Some(thread),
            problems,
        })
    }

    /// Queues the rotated file `path` for compression.
    pub(super) fn submit(&self, path: PathBuf) {
        if let Some(queue) = &self.queue {
            // The thread only ends when the queue is dropped.
            let _ = queue.send(path);
        }
    }

    /// A compression that failed since the last call, if any.
    pub(super) fn take_problem(&self) -> Option<String> {
        let mut problems = self.problems.lock().ok()?;
        (!problems.is_empty()).then(|| problems.remove(0))
    }
}

impl Drop for Compressor {
    /// Waits for the files already queued: a sink closed cleanly leaves
    /// every rotated file compressed.
    fn drop(&mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(feature = "gzip")]
mod gzip {
    use std::fs::{self, File, OpenOptions, Permissions};
    use std::io::{self, BufWriter, Write};
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    use flate2::GzBuilder;
    use rustix::fs::FlockOperation;
    use rustix::io::Errno;

    use super::super::rotation::{compressed_name, temp_name, with_path};
    use super::origin_comment;

    /// Compresses the rotated file `rotated` into `<rotated>.gz`, as the
    /// module documentation describes; nothing to do is no error.
    pub(super) fn compress(rotated: &Path) -> io::Result<()> {
        let gz = compressed_name(rotated);
        let tmp = temp_name(rotated);
        let temp = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .mode(0o640)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)
            .map_err(|e| with_path(e, "cannot create", &tmp))?;
        match rustix::fs::flock(&temp, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            // Another process is compressing this file.
            Err(Errno::WOULDBLOCK) => return Ok(()),
            Err(e) => return Err(with_path(e.into(), "cannot lock", &tmp)),
        }
        let source = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(rotated)
        {
            Ok(source) => source,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Compressed (or pruned) already: the temporary file is a leftover.
                return remove(&tmp);
            }
            Err(e) => return Err(with_path(e, "cannot open", rotated)),
        };
        if fs::symlink_metadata(&gz).is_ok() {
            // A complete `.gz` whose original was not removed yet.
            remove(&tmp)?;
            return remove(rotated);
        }
        temp.set_len(0)
            .map_err(|e| with_path(e, "cannot empty", &tmp))?;
        temp.set_permissions(Permissions::from_mode(0o640))
            .map_err(|e| with_path(e, "cannot set the mode of", &tmp))?;
        let meta = source
            .metadata()
            .map_err(|e| with_path(e, "cannot read", rotated))?;
        let name = rotated
            .file_name()
            .map(|n| n.as_bytes().to_vec())
            .unwrap_or_default();
        let mut encoder = GzBuilder::new()
            .filename(name)
            .mtime(u32::try_from(meta.mtime()).unwrap_or(0))
            .comment(origin_comment(meta.dev(), meta.ino()))
            .write(
                BufWriter::with_capacity(256 * 1024, &temp),
                flate2::Compression::default(),
            );
        io::copy(&mut &source, &mut encoder)
            .map_err(|e| with_path(e, "cannot compress", rotated))?;
        encoder
            .finish()
            .and_then(|mut out| out.flush())
            .map_err(|e| with_path(e, "cannot write", &tmp))?;
        temp.sync_all()
            .map_err(|e| with_path(e, "cannot sync", &tmp))?;
        match fs::rename(&tmp, &gz) {
            Ok(()) => {}
            // Pruned while it was being compressed: nothing to keep.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(with_path(e, "cannot rename to", &gz)),
        }
        if let Some(dir) = gz.parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| with_path(e, "cannot sync directory", dir))?;
        }
        remove(rotated)
    }

    fn remove(path: &Path) -> io::Result<()> {
        match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(with_path(e, "cannot remove", path)),
        }
    }
}

#[cfg(not(feature = "gzip"))]
mod gzip {
    use std::io;
    use std::path::Path;

    /// This build has no gzip: the plan never starts a compressor then.
    pub(super) fn compress(rotated: &Path) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "cannot compress {}: logward was built without its gzip feature",
                rotated.display()
            ),
        ))
    }
}

//! Which file is which: device and inode, and a hash of the file's first
//! bytes, so that a file whose inode was freed and reused is not taken for
//! the one that had it (every record starts with its own random `id`, so
//! the first line tells files apart).

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How many leading bytes identify a file.
pub(super) const PREFIX: u64 = 256;

/// A file's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct FileId {
    pub(super) dev: u64,
    pub(super) ino: u64,
    /// How many leading bytes were hashed (fewer than [`PREFIX`] while the
    /// file was shorter).
    pub(super) prefix_len: u64,
    /// SHA-256 of those bytes, hex.
    pub(super) prefix_sha256: String,
}

impl FileId {
    /// The identity of the open `file`.
    pub(super) fn of(file: &File) -> io::Result<FileId> {
        let meta = file.metadata()?;
        let (prefix_len, prefix_sha256) = prefix(file, meta.len().min(PREFIX))?;
        Ok(FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            prefix_len,
            prefix_sha256,
        })
    }

    /// Whether `file` (on `dev`/`ino`) is this file: same inode, and it
    /// still starts with the bytes hashed.
    pub(super) fn matches(&self, file: &File) -> io::Result<bool> {
        let meta = file.metadata()?;
        if (meta.dev(), meta.ino()) != (self.dev, self.ino) || meta.len() < self.prefix_len {
            return Ok(false);
        }
        Ok(prefix(file, self.prefix_len)?.1 == self.prefix_sha256)
    }

    /// Hashes more of the prefix if the file has grown since.
    pub(super) fn grow(&mut self, file: &File, len: u64) -> io::Result<()> {
        if self.prefix_len < PREFIX && len > self.prefix_len {
            let (n, hash) = prefix(file, len.min(PREFIX))?;
            self.prefix_len = n;
            self.prefix_sha256 = hash;
        }
        Ok(())
    }
}

fn prefix(file: &File, len: u64) -> io::Result<(u64, String)> {
    let mut buf = vec![0; len as usize];
    file.read_exact_at(&mut buf, 0)?;
    let digest = Sha256::digest(&buf);
    Ok((len, digest.iter().map(|b| format!("{b:02x}")).collect()))
}

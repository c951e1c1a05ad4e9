//! The file of `--out-file`: records appended one per line, each batch
//! fsynced; before a line would take the file past `--rotate-every-kb`,
//! the file is renamed the way the runtime's file sinks rotate
//! (`<file>.<YYYY-MM-DD>`, then `.1`, `.2`, … for the same day; nothing is
//! ever overwritten or deleted) and a new one is started. So `bundle`,
//! `ship` and the id index's recovery read these files like any sink's.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rustix::fs::{CWD, RenameFlags};

/// The live file and its size.
pub struct OutFile {
    path: PathBuf,
    file: File,
    len: u64,
    limit: u64,
}

impl OutFile {
    /// Opens (or creates, mode 0640) `path` for appending. A last line
    /// without its newline (a consumer killed while writing) is ended
    /// first, so the next record starts a line of its own; the id index
    /// did not count that cut record as written, so it is written again.
    pub fn open(path: &Path, limit: u64) -> anyhow::Result<OutFile> {
        let file = open(path)?;
        let len = file.metadata()?.len();
        let mut out = OutFile {
            path: path.to_path_buf(),
            file,
            len,
            limit,
        };
        if len > 0 {
            let mut last = [0u8; 1];
            std::os::unix::fs::FileExt::read_exact_at(&File::open(path)?, &mut last, len - 1)
                .with_context(|| format!("cannot read {}", path.display()))?;
            if last != *b"\n" {
                out.append(b"\n")?;
            }
        }
        Ok(out)
    }

    /// The live file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends each line and a newline, rotating first where a line would
    /// pass the limit, then fsyncs.
    pub fn write_lines(&mut self, lines: &[&[u8]]) -> anyhow::Result<()> {
        let mut buf = Vec::new();
        for line in lines {
            let size = line.len() as u64 + 1;
            if self.len + buf.len() as u64 > 0 && self.len + buf.len() as u64 + size > self.limit {
                self.append(&buf)?;
                buf.clear();
                self.rotate()?;
            }
            buf.extend_from_slice(line);
            buf.push(b'\n');
        }
        self.append(&buf)?;
        self.file
            .sync_data()
            .with_context(|| format!("cannot sync {}", self.path.display()))
    }

    fn append(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.file
            .write_all(bytes)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Renames the live file to its first free rotated name and opens a
    /// new one.
    fn rotate(&mut self) -> anyhow::Result<()> {
        self.file
            .sync_data()
            .with_context(|| format!("cannot sync {}", self.path.display()))?;
        let day = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
        let base = format!("{}.{day}", self.path.display());
        let mut renamed = false;
        for seq in 0..10_000 {
            let target = if seq == 0 {
                base.clone()
            } else {
                format!("{base}.{seq}")
            };
            match rustix::fs::renameat_with(CWD, &self.path, CWD, &target, RenameFlags::NOREPLACE) {
                Ok(()) => {
                    renamed = true;
                    break;
                }
                Err(rustix::io::Errno::EXIST) => {}
                Err(e) => {
                    return Err(std::io::Error::from(e)).with_context(|| {
                        format!("cannot rotate {} to {target}", self.path.display())
                    });
                }
            }
        }
        if !renamed {
            anyhow::bail!(
                "cannot rotate {}: every name for {day} is taken",
                self.path.display()
            );
        }
        self.file = open(&self.path)?;
        self.len = 0;
        Ok(())
    }
}

fn open(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(path)
        .with_context(|| format!("cannot open --out-file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_that_would_pass_the_limit_starts_a_new_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.json");
        let mut file = OutFile::open(&path, 21).expect("open");
        file.write_lines(&[b"0123456789", b"abcdefghi"])
            .expect("write");
        file.write_lines(&[b"next"]).expect("write");
        let files = logward::sink::rotated_files(&path).expect("list");
        assert_eq!(files.len(), 2, "{files:?}");
        assert_eq!(
            std::fs::read(&files[0].path).expect("read"),
            b"0123456789\nabcdefghi\n"
        );
        assert_eq!(std::fs::read(&path).expect("read"), b"next\n");
        file.write_lines(&[b"0123456789012345678901234"])
            .expect("write");
        let files = logward::sink::rotated_files(&path).expect("list");
        assert_eq!(files.len(), 3, "{files:?}");
        assert!(files[1].path.to_string_lossy().ends_with(".1"), "{files:?}");
    }
}

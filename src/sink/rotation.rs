//! Rotated files of a file sink: their names, listing and pruning.
//!
//! A sink writing `/var/log/app/audit.log` keeps its current records in that
//! exact file (the *live* file). At rotation the live file is renamed after
//! the UTC day of the records it holds:
//!
//! ```text
//! /var/log/app/audit.log.2026-11-21      records of 2026-11-21
//! /var/log/app/audit.log.2026-11-21.1    more records of 2026-11-21 (name was taken)
//! /var/log/app/audit.log.2026-11-22      records of 2026-11-22
//! /var/log/app/audit.log                 the live file, records since then
//! ```
//!
//! A rotation never overwrites: when `<name>.<date>` exists, `.1`, `.2`, …
//! are tried in turn. Listing and pruning recognise only names of exactly
//! this form, parsed strictly — `audit.log-old`, `audit.logger.2026-01-01`,
//! `audit.log.2026-01-01.gz` and `audit.log2.2026-01-01` belong to someone
//! else and are never touched. A sealed file's seal (`<file>.seal`, the
//! `seal` module) is renamed with it and pruned with it.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::num::NonZeroU32;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::{CWD, RenameFlags};
use rustix::io::Errno;

use crate::Date;

/// How a file sink rotates and how many files it keeps.
///
/// `Rotation::default()` never rotates and never deletes anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Start a new live file when the UTC day changes (`LOG_ROTATE_DAILY`).
    pub daily: bool,
    /// How many files of this sink to keep, counting the live file and all
    /// rotated ones (`LOG_ROTATE_MAX`); older rotated files are deleted.
    /// `None` keeps everything.
    pub max_files: Option<NonZeroU32>,
}

/// One file of a sink, as listed by [`rotated_files`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    /// Where the file is.
    pub path: PathBuf,
    /// For a rotated file, the UTC day whose records it holds (from its
    /// name). For the live file, the UTC day it was last written (from its
    /// modification time).
    pub date: Date,
    /// Whether this is the live file, the one the sink appends to.
    pub live: bool,
}

/// Lists the files of the sink whose live file is `path`: its rotated
/// siblings, oldest first, then the live file itself if it exists.
///
/// Each file holds records up to the end of its [`LogFile::date`], and none
/// from before the date of the file listed before it, so a caller looking
/// for a date range can skip files without opening them. Rotated files are
/// ordered by date, then by their `.N` suffix. A missing directory lists as
/// no files.
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// for file in logward::sink::rotated_files("/var/log/app/audit.log".as_ref())? {
///     println!("{} {}", file.date, file.path.display());
/// }
/// # Ok(())
/// # }
/// ```
pub fn rotated_files(path: &Path) -> io::Result<Vec<LogFile>> {
    let mut files: Vec<LogFile> = rotated_siblings(path)?
        .into_iter()
        .map(|sibling| LogFile {
            path: sibling.path,
            date: sibling.date,
            live: false,
        })
        .collect();
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => files.push(LogFile {
            path: path.to_path_buf(),
            date: Date::from_unix_micros(mtime_micros(&meta)),
            live: true,
        }),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(with_path(e, "cannot read", path)),
    }
    Ok(files)
}

/// Renames the live file `path` to the first free name for `date`
/// (`<path>.<date>`, then `.1`, `.2`, …) and returns that name.
pub(super) fn rotate_to_free_name(path: &Path, date: Date) -> io::Result<PathBuf> {
    for seq in 0..=MAX_SEQ {
        let target = rotated_name(path, date, seq);
        match rename_no_replace(path, &target) {
            Ok(()) => return Ok(target),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(with_path(e, "cannot rotate to", &target)),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "cannot rotate {}: {} rotated files for {date} already exist",
            path.display(),
            MAX_SEQ + 1
        ),
    ))
}

/// Deletes the oldest rotated files of `path` so that, with the live file,
/// exactly `max_files` files remain (fewer if there are not that many).
pub(super) fn prune(path: &Path, max_files: NonZeroU32) -> io::Result<()> {
    let siblings = rotated_siblings(path)?;
    let keep = (max_files.get() - 1) as usize;
    let excess = siblings.len().saturating_sub(keep);
    for sibling in &siblings[..excess] {
        match fs::remove_file(&sibling.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(with_path(e, "cannot remove old log file", &sibling.path)),
        }
        // A sealed file's seal goes with it.
        let seal = super::seal::seal_path(&sibling.path);
        match fs::remove_file(&seal) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(with_path(e, "cannot remove old seal file", &seal)),
        }
    }
    Ok(())
}

/// The most `.N` suffixes tried for one date before giving up.
const MAX_SEQ: u32 = 9_999;

struct Sibling {
    date: Date,
    seq: u32,
    path: PathBuf,
}

/// The rotated files of `path` (regular files only), sorted by date and
/// sequence number.
fn rotated_siblings(path: &Path) -> io::Result<Vec<Sibling>> {
    let Some(name) = path.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("log file path {} has no file name", path.display()),
        ));
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(with_path(e, "cannot list directory", dir)),
    };
    let mut siblings = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| with_path(e, "cannot list directory", dir))?;
        let entry_name = entry.file_name();
        let Some((date, seq)) = parse_rotated_name(name.as_bytes(), entry_name.as_bytes()) else {
            continue;
        };
        // Only regular files: a directory or symlink of that name is not ours.
        let is_file = entry
            .file_type()
            .map_err(|e| with_path(e, "cannot read", &entry.path()))?
            .is_file();
        if is_file {
            siblings.push(Sibling {
                date,
                seq,
                path: path.with_file_name(entry_name),
            });
        }
    }
    siblings.sort_by_key(|s| (s.date, s.seq));
    Ok(siblings)
}

/// `<path>.<date>` for `seq` 0, else `<path>.<date>.<seq>`.
fn rotated_name(path: &Path, date: Date, seq: u32) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(format!(".{date}"));
    if seq > 0 {
        name.push(format!(".{seq}"));
    }
    PathBuf::from(name)
}

/// Parses `candidate` as `<live>.<YYYY-MM-DD>` or `<live>.<YYYY-MM-DD>.<N>`
/// (`N` ≥ 1, decimal, no leading zero), returning the date and `N` (0 when
/// absent).
fn parse_rotated_name(live: &[u8], candidate: &[u8]) -> Option<(Date, u32)> {
    let rest = candidate.strip_prefix(live)?.strip_prefix(b".")?;
    let date_bytes = rest.get(..10)?;
    let date = Date::parse(std::str::from_utf8(date_bytes).ok()?)?;
    let seq = match &rest[10..] {
        [] => 0,
        [b'.', digits @ ..] => parse_seq(digits)?,
        _ => return None,
    };
    Some((date, seq))
}

fn parse_seq(digits: &[u8]) -> Option<u32> {
    match digits {
        [b'1'..=b'9', more @ ..] if more.iter().all(u8::is_ascii_digit) => {
            std::str::from_utf8(digits).ok()?.parse().ok()
        }
        _ => None,
    }
}

/// Renames `from` to `to` unless `to` exists (then `AlreadyExists`).
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    match rustix::fs::renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        // Some filesystems lack RENAME_NOREPLACE; check first instead. The
        // sink is the only writer of its names, so the gap is harmless.
        Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP) => match fs::symlink_metadata(to) {
            Ok(_) => Err(io::ErrorKind::AlreadyExists.into()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => fs::rename(from, to),
            Err(e) => Err(e),
        },
        Err(e) => Err(e.into()),
    }
}

/// A file's modification time in microseconds since the epoch.
pub(super) fn mtime_micros(meta: &fs::Metadata) -> i64 {
    meta.mtime() * 1_000_000 + meta.mtime_nsec() / 1_000
}

/// `e` with a message naming what was being done and to which path; the
/// error kind is kept so callers can still tell, say, a full disk.
pub(super) fn with_path(e: io::Error, doing: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{doing} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn parses_only_the_exact_pattern() {
        let live = b"app.log";
        assert_eq!(
            parse_rotated_name(live, b"app.log.2026-01-02"),
            Some((date("2026-01-02"), 0))
        );
        assert_eq!(
            parse_rotated_name(live, b"app.log.2026-01-02.17"),
            Some((date("2026-01-02"), 17))
        );
        for other in [
            "app.log",
            "app.log-old",
            "app.log.",
            "app.log.old",
            "app.logger.2026-01-01",
            "app.log2.2026-01-01",
            "app.log.2026-01-01.gz",
            "app.log.2026-01-01.",
            "app.log.2026-01-01.0",
            "app.log.2026-01-01.01",
            "app.log.2026-01-01.+1",
            "app.log.2026-01-01.1.gz",
            "app.log.2026-01-01.99999999999",
            "app.log.2026-02-30",
            "app.log.20260101",
            "xapp.log.2026-01-01",
            ".app.log.2026-01-01",
        ] {
            assert_eq!(parse_rotated_name(live, other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn names_sort_by_date() {
        let path = Path::new("/logs/app.log");
        assert_eq!(
            rotated_name(path, date("2026-01-02"), 0),
            Path::new("/logs/app.log.2026-01-02")
        );
        assert_eq!(
            rotated_name(path, date("2026-01-02"), 3),
            Path::new("/logs/app.log.2026-01-02.3")
        );
    }

    #[test]
    fn rotation_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("app.log");
        let day = date("2026-03-04");
        let mut targets = Vec::new();
        for n in 0..3 {
            fs::write(&live, format!("generation {n}\n")).unwrap();
            targets.push(rotate_to_free_name(&live, day).unwrap());
        }
        assert_eq!(
            targets,
            [
                dir.path().join("app.log.2026-03-04"),
                dir.path().join("app.log.2026-03-04.1"),
                dir.path().join("app.log.2026-03-04.2"),
            ]
        );
        for (n, target) in targets.iter().enumerate() {
            assert_eq!(
                fs::read_to_string(target).unwrap(),
                format!("generation {n}\n")
            );
        }
        assert!(!live.exists());
    }

    #[test]
    fn listing_orders_rotated_by_date_then_suffix_and_live_last() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("app.log");
        for name in [
            "app.log",
            "app.log.2026-01-10",
            "app.log.2026-01-02.10",
            "app.log.2026-01-02.2",
            "app.log.2026-01-02",
            "app.log.2025-12-31",
            "app.log.2026-01-01.gz",
            "app.log2.2026-01-01",
        ] {
            fs::write(dir.path().join(name), "x\n").unwrap();
        }
        fs::create_dir(dir.path().join("app.log.2026-01-03")).unwrap();
        let listed = rotated_files(&live).unwrap();
        let names: Vec<_> = listed
            .iter()
            .map(|f| f.path.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "app.log.2025-12-31",
                "app.log.2026-01-02",
                "app.log.2026-01-02.2",
                "app.log.2026-01-02.10",
                "app.log.2026-01-10",
                "app.log",
            ]
        );
        assert_eq!(listed[0].date, date("2025-12-31"));
        assert!(listed[..5].iter().all(|f| !f.live));
        let meta = fs::metadata(&live).unwrap();
        assert_eq!(
            listed[5],
            LogFile {
                path: live,
                date: Date::from_unix_micros(mtime_micros(&meta)),
                live: true,
            }
        );
    }

    #[test]
    fn listing_a_missing_directory_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let files = rotated_files(&dir.path().join("absent/app.log")).unwrap();
        assert!(files.is_empty());
    }
}

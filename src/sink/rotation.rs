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
//! The pattern is `<name>.<YYYY-MM-DD>[.<N>][.gz]`: the UTC day of the
//! newest record in the file, then, from the second file of that day on,
//! a sequence number `N` (1, 2, … without leading zeros), then `.gz` once
//! the file is compressed (`LOG_ROTATE_COMPRESS=gzip`, the `compress`
//! module). Size rotation (`LOG_ROTATE_SIZE`) makes several files a day
//! and so uses the sequence numbers; daily rotation alone uses them only
//! when a name is taken. The files sort by date, then by `N`, as
//! [`rotated_files`] lists them and as `ls -v` shows them:
//!
//! ```text
//! /var/log/app/audit.log.2026-11-21.gz     first file of 2026-11-21, compressed
//! /var/log/app/audit.log.2026-11-21.1.gz   second file of 2026-11-21
//! /var/log/app/audit.log.2026-11-21.2      third, not compressed yet
//! ```
//!
//! A rotation never overwrites: when `<name>.<date>` (or its `.gz`) exists,
//! `.1`, `.2`, … are tried in turn. Listing and pruning recognise only
//! names of exactly this form, parsed strictly — `audit.log-old`,
//! `audit.logger.2026-01-01`, `audit.log.2026-01-01.bz2`,
//! `audit.log.2026-01-01.gz.1` and `audit.log2.2026-01-01` belong to someone
//! else and are never touched. A file and its `.gz` both present (a
//! compression that stopped between its rename and the removal of the
//! original) are one file: listed once, as the uncompressed one, and
//! counted once by `LOG_ROTATE_MAX`. A compression in progress writes
//! `<rotated name>.gz.tmp`, which is never listed or counted. A sealed
//! file's seal (`<file>.seal`, the `seal` module) is renamed with it and
//! pruned with it.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::num::{NonZeroU32, NonZeroU64};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::{CWD, RenameFlags};
use rustix::io::Errno;

use crate::Date;
use crate::config::Compression;

/// How a file sink rotates and how many files it keeps.
///
/// `Rotation::default()` never rotates and never deletes anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Start a new live file when the UTC day changes (`LOG_ROTATE_DAILY`).
    pub daily: bool,
    /// How many files of this sink to keep, counting the live file and all
    /// rotated ones, compressed or not (`LOG_ROTATE_MAX`); older rotated
    /// files are deleted. `None` keeps everything.
    pub max_files: Option<NonZeroU32>,
    /// Start a new live file before a write would take it past this many
    /// bytes (`LOG_ROTATE_SIZE`). Records are never split: a record larger
    /// than the size goes whole into a fresh file of its own.
    pub max_size: Option<NonZeroU64>,
    /// Compress each rotated file on a thread of the sink's own
    /// (`LOG_ROTATE_COMPRESS`); needs logward's `gzip` cargo feature.
    pub compress: Option<Compression>,
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
    /// Whether this is a compressed rotated file (`<rotated name>.gz`,
    /// gzip): read it through a gzip decoder.
    pub compressed: bool,
}

/// Lists the files of the sink whose live file is `path`: its rotated
/// siblings (compressed or not), oldest first, then the live file itself
/// if it exists.
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
        .map(|sibling| {
            let compressed = sibling.plain.is_none();
            LogFile {
                path: sibling.listed().to_path_buf(),
                date: sibling.date,
                live: false,
                compressed,
            }
        })
        .collect();
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => files.push(LogFile {
            path: path.to_path_buf(),
            date: Date::from_unix_micros(mtime_micros(&meta)),
            live: true,
            compressed: false,
        }),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(with_path(e, "cannot read", path)),
    }
    Ok(files)
}

/// Renames the live file `path` to the first free name for `date` after
/// every rotated file of that date (`<path>.<date>`, then `.1`, `.2`, …)
/// and returns that name. A number freed by pruning is not used again, so
/// the newest file of a day always has the highest number.
pub(super) fn rotate_to_free_name(path: &Path, date: Date) -> io::Result<PathBuf> {
    let first = rotated_siblings(path)?
        .iter()
        .filter(|s| s.date == date)
        .map(|s| s.seq + 1)
        .max()
        .unwrap_or(0);
    for seq in first..=MAX_SEQ {
        let target = rotated_name(path, date, seq);
        // A compressed file keeps its name with `.gz`: that name is taken.
        match fs::symlink_metadata(compressed_name(&target)) {
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(with_path(e, "cannot read", &target)),
        }
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
/// exactly `max_files` files remain (fewer if there are not that many). A
/// rotated file counts once whether compressed or not; with it go its
/// compressed form, its seal and a compression's temporary file.
pub(super) fn prune(path: &Path, max_files: NonZeroU32) -> io::Result<()> {
    let siblings = rotated_siblings(path)?;
    let keep = (max_files.get() - 1) as usize;
    let excess = siblings.len().saturating_sub(keep);
    for sibling in &siblings[..excess] {
        let base = rotated_name(path, sibling.date, sibling.seq);
        for (file, what) in [
            (base.clone(), "cannot remove old log file"),
            (compressed_name(&base), "cannot remove old log file"),
            (temp_name(&base), "cannot remove old log file"),
            // A sealed file's seal goes with it.
            (super::seal::seal_path(&base), "cannot remove old seal file"),
        ] {
            match fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(with_path(e, what, &file)),
            }
        }
    }
    Ok(())
}

/// The rotated files of `path` that are not compressed yet, oldest first.
pub(super) fn uncompressed(path: &Path) -> io::Result<Vec<PathBuf>> {
    Ok(rotated_siblings(path)?
        .into_iter()
        .filter_map(|sibling| sibling.plain)
        .collect())
}

/// Temporary files of compressions of `path`'s rotated files
/// (`<rotated name>.gz.tmp`), each with the rotated name it was made from.
pub(super) fn compression_temps(path: &Path) -> io::Result<Vec<(PathBuf, PathBuf)>> {
    let mut temps = Vec::new();
    for (_, (date, seq, kind)) in entries(path)? {
        if kind == Kind::Temp {
            let base = rotated_name(path, date, seq);
            temps.push((temp_name(&base), base));
        }
    }
    Ok(temps)
}

/// `<rotated>.gz`.
pub(super) fn compressed_name(rotated: &Path) -> PathBuf {
    let mut name = OsString::from(rotated.as_os_str());
    name.push(".gz");
    PathBuf::from(name)
}

/// `<rotated>.gz.tmp`: where a compression writes before its rename.
pub(super) fn temp_name(rotated: &Path) -> PathBuf {
    let mut name = OsString::from(rotated.as_os_str());
    name.push(".gz.tmp");
    PathBuf::from(name)
}

/// The most `.N` suffixes tried for one date before giving up.
const MAX_SEQ: u32 = 9_999;

/// One rotated file: present uncompressed, compressed, or (for a moment
/// at the end of a compression) both.
struct Sibling {
    date: Date,
    seq: u32,
    plain: Option<PathBuf>,
    gz: Option<PathBuf>,
}

impl Sibling {
    /// The file to read: the uncompressed one while it exists.
    fn listed(&self) -> &Path {
        match (&self.plain, &self.gz) {
            (Some(plain), _) => plain,
            (None, Some(gz)) => gz,
            (None, None) => Path::new(""),
        }
    }
}

/// What a name of the rotated pattern is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `<name>.<date>[.<N>]`
    Plain,
    /// `<name>.<date>[.<N>].gz`
    Gz,
    /// `<name>.<date>[.<N>].gz.tmp`
    Temp,
}

/// The rotated files of `path` (regular files only), sorted by date and
/// sequence number, a file and its `.gz` as one.
fn rotated_siblings(path: &Path) -> io::Result<Vec<Sibling>> {
    let mut siblings: Vec<Sibling> = Vec::new();
    for (entry_name, (date, seq, kind)) in entries(path)? {
        let file = path.with_file_name(entry_name);
        let at = match siblings.iter().position(|s| (s.date, s.seq) == (date, seq)) {
            Some(at) => at,
            None if kind == Kind::Temp => continue,
            None => {
                siblings.push(Sibling {
                    date,
                    seq,
                    plain: None,
                    gz: None,
                });
                siblings.len() - 1
            }
        };
        match kind {
            Kind::Plain => siblings[at].plain = Some(file),
            Kind::Gz => siblings[at].gz = Some(file),
            Kind::Temp => {}
        }
    }
    siblings.sort_by_key(|s| (s.date, s.seq));
    Ok(siblings)
}

/// What a rotated name says: its date, sequence number and kind.
type Parsed = (Date, u32, Kind);

/// The regular files beside `path` whose names are of its rotated pattern,
/// with what their names say.
fn entries(path: &Path) -> io::Result<Vec<(OsString, Parsed)>> {
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
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| with_path(e, "cannot list directory", dir))?;
        let entry_name = entry.file_name();
        let Some(parsed) = parse_name(name.as_bytes(), entry_name.as_bytes()) else {
            continue;
        };
        // Only regular files: a directory or symlink of that name is not ours.
        let is_file = entry
            .file_type()
            .map_err(|e| with_path(e, "cannot read", &entry.path()))?
            .is_file();
        if is_file {
            found.push((entry_name, parsed));
        }
    }
    Ok(found)
}

/// Parses `candidate` as a rotated name of `live`, compressed, being
/// compressed, or neither.
fn parse_name(live: &[u8], candidate: &[u8]) -> Option<Parsed> {
    if let Some(rest) = candidate.strip_suffix(b".gz.tmp") {
        return parse_rotated_name(live, rest).map(|(d, n)| (d, n, Kind::Temp));
    }
    if let Some(rest) = candidate.strip_suffix(b".gz") {
        return parse_rotated_name(live, rest).map(|(d, n)| (d, n, Kind::Gz));
    }
    parse_rotated_name(live, candidate).map(|(d, n)| (d, n, Kind::Plain))
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
    fn compressed_and_temporary_names_follow_the_same_strict_pattern() {
        let live = b"app.log";
        assert_eq!(
            parse_name(live, b"app.log.2026-01-02.gz"),
            Some((date("2026-01-02"), 0, Kind::Gz))
        );
        assert_eq!(
            parse_name(live, b"app.log.2026-01-02.7.gz"),
            Some((date("2026-01-02"), 7, Kind::Gz))
        );
        assert_eq!(
            parse_name(live, b"app.log.2026-01-02.7.gz.tmp"),
            Some((date("2026-01-02"), 7, Kind::Temp))
        );
        for other in [
            "app.log.gz",
            "app.log.2026-01-02.gz.gz",
            "app.log.2026-01-02.gz.1",
            "app.log.2026-01-02.07.gz",
            "app.log.2026-01-02.tmp",
            "app.log.2026-01-02.gz.tmp.1",
            "app.log.2026-01-02.GZ",
            "app.logger.2026-01-02.gz",
        ] {
            assert_eq!(parse_name(live, other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn a_name_whose_compressed_form_exists_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("app.log");
        fs::write(dir.path().join("app.log.2026-03-04.gz"), "old\n").unwrap();
        fs::write(&live, "new\n").unwrap();
        let target = rotate_to_free_name(&live, date("2026-03-04")).unwrap();
        assert_eq!(target, dir.path().join("app.log.2026-03-04.1"));
    }

    #[test]
    fn pruning_counts_a_file_once_in_either_form_and_removes_both() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("app.log");
        for name in [
            "app.log",
            "app.log.2026-01-01.gz",
            "app.log.2026-01-02",
            "app.log.2026-01-02.gz",
            "app.log.2026-01-02.gz.tmp",
            "app.log.2026-01-03.gz",
            "app.log.2026-01-04",
            "app.log.2026-01-01.bz2",
        ] {
            fs::write(dir.path().join(name), "x\n").unwrap();
        }
        prune(&live, NonZeroU32::new(3).unwrap()).unwrap();
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "app.log",
                "app.log.2026-01-01.bz2",
                "app.log.2026-01-03.gz",
                "app.log.2026-01-04",
            ]
        );
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
            "app.log.2026-01-02.3",
            "app.log.2026-01-02.3.gz",
            "app.log.2026-01-02.4.gz.tmp",
            "app.log.2026-01-01.bz2",
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
                "app.log.2026-01-01.gz",
                "app.log.2026-01-02",
                "app.log.2026-01-02.2",
                // Both forms present: listed once, uncompressed.
                "app.log.2026-01-02.3",
                "app.log.2026-01-02.10",
                "app.log.2026-01-10",
                "app.log",
            ]
        );
        assert_eq!(listed[0].date, date("2025-12-31"));
        assert!(listed[..7].iter().all(|f| !f.live));
        let compressed: Vec<bool> = listed.iter().map(|f| f.compressed).collect();
        assert_eq!(
            compressed,
            [false, true, false, false, false, false, false, false]
        );
        let meta = fs::metadata(&live).unwrap();
        assert_eq!(
            listed[7],
            LogFile {
                path: live,
                date: Date::from_unix_micros(mtime_micros(&meta)),
                live: true,
                compressed: false,
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

//! Checking, before any record is written, that every file destination can
//! be used: its directory exists or can be created, the log file can be
//! created or appended to, and nothing there could let another user plant,
//! redirect or swap it (the rules of the sink's `trust` module).
//!
//! This is separate from parsing because it touches the file system: a
//! configuration is checked on a build machine as well as used on the host.
//! The check creates nothing, not even a probe file, so `logward config
//! check` and the other read-only commands leave the file system as they
//! found it. Instead it looks: the nearest existing directory must be
//! writable and searchable by this process (`access(2)` with the effective
//! ids, which also reports a read-only file system), an existing log file
//! must be writable, and the file name must fit the file system's name
//! limit (with the `.YYYY-MM-DD` that daily rotation appends). What a start
//! would create is returned as a [`WouldCreate`].

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Access, AtFlags, CWD};

use super::Config;
use super::error::{ConfigError, ConfigErrorKind, ConfigErrors, Origin};
use super::route::Destination;
use crate::LogType;
use crate::sink::trust;

/// Bytes daily rotation adds to a live file's name: `.2026-11-22`.
const DATE_SUFFIX: u64 = 11;

/// What starting with a configuration would create for its file sinks
/// (directories 0750, files 0640), as found by [`Config::check_writable`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WouldCreate {
    /// Directories that do not exist yet, each after its parent.
    pub directories: Vec<PathBuf>,
    /// Live log files that do not exist yet.
    pub files: Vec<PathBuf>,
}

impl Config {
    /// Checks that every file destination can be used, creating nothing;
    /// returns what a start would create.
    ///
    /// # Errors
    ///
    /// One problem per file that cannot be used, naming the key, the path,
    /// and what was found (the operating system's error, or the owner and
    /// mode that the file sink refuses).
    pub fn check_writable(&self) -> Result<WouldCreate, ConfigErrors> {
        self.check_writable_for(&LogType::ALL)
    }

    /// [`Config::check_writable`] for the destinations of `types` only.
    ///
    /// # Errors
    ///
    /// As [`Config::check_writable`].
    pub fn check_writable_for(&self, types: &[LogType]) -> Result<WouldCreate, ConfigErrors> {
        let mut keys_by_path: BTreeMap<(&Path, bool), Vec<&(String, Origin)>> = BTreeMap::new();
        for ((log_type, route), key) in self.routes().zip(&self.file_keys) {
            if !types.contains(&log_type) {
                continue;
            }
            if let (
                Destination::File {
                    path,
                    rotate_daily,
                    rotate_size,
                    ..
                },
                Some(key),
            ) = (&route.destination, key)
            {
                keys_by_path
                    .entry((path, *rotate_daily || rotate_size.is_some()))
                    .or_default()
                    .push(key);
            }
        }

        let mut errors = Vec::new();
        let mut directories = BTreeSet::new();
        let mut files = BTreeSet::new();
        for ((path, daily), keys) in keys_by_path {
            let (problem, allowed) = match probe(path, daily) {
                Ok(found) => {
                    directories.extend(found.directories);
                    files.extend(found.file);
                    continue;
                }
                // The trust rules say what they require themselves.
                Err(problem) if problem.starts_with(trust::REFUSING) => (problem, ""),
                Err(problem) => (
                    problem,
                    "; allowed: a file in a directory this process can create and write",
                ),
            };
            let Some(((key, origin), others)) = keys.split_first() else {
                continue;
            };
            let also: BTreeSet<&str> = others
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| *k != key.as_str())
                .collect();
            let also = if also.is_empty() {
                String::new()
            } else {
                format!(
                    " (also named by {})",
                    also.into_iter().collect::<Vec<_>>().join(", ")
                )
            };
            errors.push(
                ConfigError::new(
                    ConfigErrorKind::Unwritable,
                    format!("{problem}{also}{allowed}"),
                )
                .with_key(key.as_str())
                .with_value(path.display().to_string())
                .with_origin(origin.clone()),
            );
        }
        ConfigErrors::check(errors)?;
        Ok(WouldCreate {
            directories: directories.into_iter().collect(),
            files: files.into_iter().collect(),
        })
    }
}

/// What one destination would need created.
struct Found {
    directories: Vec<PathBuf>,
    file: Option<PathBuf>,
}

/// Checks that `path` can be appended to, or created, without creating
/// anything; says what failed.
fn probe(path: &Path, daily: bool) -> Result<Found, String> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    let (existing, missing) = nearest_directory(dir)?;
    let existing_meta = fs::metadata(existing)
        .map_err(|e| format!("cannot inspect {}: {e}", existing.display()))?;
    if missing.is_empty() {
        trust::check_dir(dir, &existing_meta)?;
    }
    check_name_length(path, existing, daily)?;
    match fs::symlink_metadata(path) {
        Ok(meta) => {
            trust::check_file(path, &meta, &existing_meta)?;
            access(path, Access::WRITE_OK)
                .map_err(|e| format!("cannot open {} for appending: {e}", path.display()))?;
            Ok(Found {
                directories: Vec::new(),
                file: None,
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let what = if missing.is_empty() {
                "files"
            } else {
                "directories"
            };
            access(existing, Access::WRITE_OK | Access::EXEC_OK)
                .map_err(|e| format!("cannot create {what} in {}: {e}", existing.display()))?;
            Ok(Found {
                directories: missing.into_iter().rev().map(Path::to_path_buf).collect(),
                file: Some(path.to_path_buf()),
            })
        }
        Err(e) => Err(format!("cannot inspect {}: {e}", path.display())),
    }
}

/// The nearest existing ancestor of `dir` (`dir` itself if it exists), and
/// the missing directories below it, deepest first. A file in the way is
/// named as such: creating over it would only report "File exists".
fn nearest_directory(dir: &Path) -> Result<(&Path, Vec<&Path>), String> {
    let mut missing = Vec::new();
    let mut current = dir;
    loop {
        match fs::metadata(current) {
            Ok(meta) if meta.is_dir() => return Ok((current, missing)),
            Ok(_) => {
                return Err(format!(
                    "{} exists and is not a directory",
                    current.display()
                ));
            }
            // Under a file in the way: go up until that file is found.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                missing.push(current)
            }
            Err(e) => return Err(format!("cannot inspect {}: {e}", current.display())),
        }
        match current.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => current = parent,
            _ => return Ok((Path::new("."), missing)),
        }
    }
}

/// Refuses a file name longer than the file system at `existing` allows,
/// counting the date suffix of daily rotation.
fn check_name_length(path: &Path, existing: &Path, daily: bool) -> Result<(), String> {
    let Some(name) = path.file_name() else {
        return Err(format!("{} has no file name", path.display()));
    };
    let Ok(stats) = rustix::fs::statvfs(existing) else {
        // No limit known: the open at start reports a name that is too long.
        return Ok(());
    };
    let needed = name.as_bytes().len() as u64 + if daily { DATE_SUFFIX } else { 0 };
    if stats.f_namemax > 0 && needed > stats.f_namemax {
        let rotation = if daily {
            format!(" with the {DATE_SUFFIX} bytes of the rotation date")
        } else {
            String::new()
        };
        return Err(format!(
            "the file name of {} is {needed} bytes{rotation}, more than the {} this file system \
             allows",
            path.display(),
            stats.f_namemax
        ));
    }
    Ok(())
}

/// `access(2)` with the effective user and group, as an open would check.
fn access(path: &Path, mode: Access) -> io::Result<()> {
    rustix::fs::accessat(CWD, path, mode, AtFlags::EACCESS).map_err(io::Error::from)
}

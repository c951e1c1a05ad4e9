//! Checking, before any record is written, that every file destination can
//! be written: its directory exists or can be created, and a file can be
//! created in it.
//!
//! This is separate from parsing because it touches the file system: a
//! configuration is checked on a build machine as well as used on the host.
//! Missing directories are created 0750, as the file sink would create them.
//! The log file itself is not created here: an existing file is opened for
//! appending, otherwise a probe file is created in the directory and removed,
//! so rotated sinks, whose file names the sink chooses, are checked the same
//! way.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, DirBuilder, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use super::Config;
use super::error::{ConfigError, ConfigErrorKind, ConfigErrors, Origin};
use super::route::Destination;

/// Mode of directories created for log files.
const DIR_MODE: u32 = 0o750;

impl Config {
    /// Checks that every file destination is writable, creating missing
    /// directories with mode 0750.
    ///
    /// # Errors
    ///
    /// One problem per file that cannot be written, naming the key, the
    /// path, and the operating system's error.
    pub fn check_writable(&self) -> Result<(), ConfigErrors> {
        let mut keys_by_path: BTreeMap<&Path, Vec<&(String, Origin)>> = BTreeMap::new();
        for (route, key) in self.routes.iter().zip(&self.file_keys) {
            if let (Destination::File { path, .. }, Some(key)) = (&route.destination, key) {
                keys_by_path.entry(path).or_default().push(key);
            }
        }

        let mut errors = Vec::new();
        for (path, keys) in keys_by_path {
            let Err(problem) = probe(path) else {
                continue;
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
                    format!(
                        "{problem}{also}; allowed: a file in a directory this process can \
                         create and write"
                    ),
                )
                .with_key(key.as_str())
                .with_value(path.display().to_string())
                .with_origin(origin.clone()),
            );
        }
        ConfigErrors::check(errors)
    }
}

/// Checks that `path` can be appended to, or created; says what failed.
fn probe(path: &Path) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    create_dirs(dir)?;
    match fs::symlink_metadata(path) {
        Ok(_) => OpenOptions::new()
            .append(true)
            .open(path)
            .map(drop)
            .map_err(|e| format!("cannot open {} for appending: {e}", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let name = path
                .file_name()
                .map_or("log".into(), |n| n.to_string_lossy());
            let probe = dir.join(format!(".{name}.logward-check.{}", std::process::id()));
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&probe)
                .and_then(|_| fs::remove_file(&probe))
                .map_err(|e| format!("cannot create files in {}: {e}", dir.display()))
        }
        Err(e) => Err(format!("cannot inspect {}: {e}", path.display())),
    }
}

/// Creates `dir` and its missing parents with mode 0750 exactly (whatever
/// the umask); on failure, says which directory could not be made and why.
///
/// A file in the way of the directory is named as such: creating over it
/// would only report "File exists".
fn create_dirs(dir: &Path) -> Result<(), String> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => return Err(format!("{} exists and is not a directory", dir.display())),
        Err(_) => {}
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent)?;
    }
    let created = DirBuilder::new()
        .mode(DIR_MODE)
        .create(dir)
        .and_then(|()| fs::set_permissions(dir, Permissions::from_mode(DIR_MODE)));
    match created {
        Ok(()) => Ok(()),
        // Another process made it meanwhile.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(format!("cannot create directory {}: {e}", dir.display())),
    }
}

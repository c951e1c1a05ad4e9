//! What an import remembers between runs, so that a re-run (or a restart
//! of `--follow`) continues after the last row it imported instead of
//! importing the file again.
//!
//! The state directory is `--state-dir DIR`, else `$STATE_DIRECTORY` (what
//! systemd sets for a unit with `StateDirectory=logward`), else
//! `/var/lib/logward`. Each import has one file there,
//! `import-<16 hex digits>.json`, named after a hash of the input's absolute
//! path and where its rows go (records, or the `--post` URL), so importing
//! one file into records and into an API are remembered apart:
//!
//! ```text
//! {"version":1,"path":"/var/log/openvpn/status.csv","target":"records","device":2049,"inode":131,
//!  "offset":5120,"next_line":81,"last_line":80,"sha256":"9f86d0…","header":["VPN IP","Real IP","Start Time"]}
//! ```
//!
//! `offset` is the byte just past the last row handled (imported or
//! skipped as bad), `sha256` the hash of the bytes before it. A run
//! continues only if the file still starts with exactly those bytes, so a
//! file that was replaced or rewritten is imported from its start; the
//! device and inode are kept to tell rotation apart while following. The
//! file is replaced atomically: written to a temporary file beside it,
//! synced, renamed over the old one, and the directory synced.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::rows::hex;

/// The state directory when neither `--state-dir` nor `$STATE_DIRECTORY`
/// names one.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/logward";

/// The state directory: `explicit`, else `$STATE_DIRECTORY` (its first
/// entry, as systemd may list several separated by `:`), else the default.
pub fn state_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_path_buf();
    }
    match std::env::var_os("STATE_DIRECTORY") {
        Some(dirs) if !dirs.is_empty() => {
            let dirs = dirs.to_string_lossy().into_owned();
            PathBuf::from(dirs.split(':').next().unwrap_or(DEFAULT_STATE_DIR))
        }
        _ => PathBuf::from(DEFAULT_STATE_DIR),
    }
}

/// One import's position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportState {
    /// The format of this file.
    pub version: u32,
    /// The input's absolute path.
    pub path: String,
    /// Where its rows go: `records`, `post URL` or `records+post URL`.
    pub target: String,
    /// The device of the file that was read.
    pub device: u64,
    /// Its inode.
    pub inode: u64,
    /// Bytes handled: the position to continue from.
    pub offset: u64,
    /// The line the next row starts on or after.
    pub next_line: u64,
    /// The line of the last row handled (0: none).
    pub last_line: u64,
    /// SHA-256 (hex) of the first `offset` bytes.
    pub sha256: String,
    /// The header row's names, when the file has one.
    pub header: Option<Vec<String>>,
    /// How many cells each row must have, once known.
    pub width: Option<usize>,
}

/// Where one import's state is kept.
#[derive(Debug, Clone)]
pub struct StateFile {
    dir: PathBuf,
    path: PathBuf,
}

impl StateFile {
    /// The state file for `input` (absolute) going to `target`, in `dir`.
    pub fn new(dir: &Path, input: &Path, target: &str) -> Self {
        let mut key = Sha256::new();
        key.update(input.as_os_str().as_encoded_bytes());
        key.update(b"\n");
        key.update(target.as_bytes());
        let name = format!("import-{}.json", &hex(&key.finalize())[..16]);
        StateFile {
            dir: dir.to_path_buf(),
            path: dir.join(name),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved state, `None` if there is none yet.
    pub fn load(&self) -> anyhow::Result<Option<ImportState>> {
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "cannot read import state {}: {e}",
                    self.path.display()
                ));
            }
        };
        let state: ImportState = serde_json::from_slice(&text).map_err(|e| {
            anyhow::anyhow!(
                "import state {} is damaged ({e}); remove it to import the file from its start",
                self.path.display()
            )
        })?;
        Ok(Some(state))
    }

    /// Replaces the saved state with `state`, atomically and durably.
    pub fn save(&self, state: &ImportState) -> anyhow::Result<()> {
        let fail = |what: &str, e: std::io::Error| {
            anyhow::anyhow!("cannot {what} import state in {}: {e}", self.dir.display())
        };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o750)
            .create(&self.dir)
            .map_err(|e| fail("create the directory for", e))?;
        let mut temp = tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| fail("write", e))?;
        let mut text = serde_json::to_vec(state).map_err(|e| fail("encode", e.into()))?;
        text.push(b'\n');
        temp.write_all(&text).map_err(|e| fail("write", e))?;
        temp.as_file().sync_all().map_err(|e| fail("sync", e))?;
        temp.persist(&self.path)
            .map_err(|e| fail("rename", e.error))?;
        File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| fail("sync the directory of", e))?;
        Ok(())
    }
}

/// The hash of `file`'s first `state.offset` bytes, if they are the bytes
/// `state` hashed (`None` if the file is shorter or differs); the file is
/// left just past them, and the hash goes on from there.
pub fn continues(file: &mut File, state: &ImportState) -> std::io::Result<Option<Sha256>> {
    if file.metadata()?.len() < state.offset {
        return Ok(None);
    }
    let mut hash = Sha256::new();
    let mut left = state.offset;
    let mut buf = vec![0; 1 << 16];
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            return Ok(None);
        }
        hash.update(&buf[..n]);
        left -= n as u64;
    }
    let same = hex(&hash.clone().finalize()) == state.sha256;
    Ok(same.then_some(hash))
}

/// The device and inode of `file`.
pub fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> ImportState {
        ImportState {
            version: 1,
            path: "/tmp/x.csv".into(),
            target: "records".into(),
            device: 1,
            inode: 2,
            offset: 4,
            next_line: 2,
            last_line: 1,
            sha256: hex(&Sha256::digest(b"a,b\n")),
            header: Some(vec!["a".into(), "b".into()]),
            width: Some(2),
        }
    }

    #[test]
    fn saves_atomically_and_loads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = StateFile::new(
            &dir.path().join("state"),
            Path::new("/tmp/x.csv"),
            "records",
        );
        assert_eq!(file.load().expect("no state yet"), None);
        file.save(&state()).expect("saved");
        assert_eq!(file.load().expect("load"), Some(state()));
        let entries: Vec<_> = std::fs::read_dir(dir.path().join("state"))
            .expect("dir")
            .collect();
        assert_eq!(entries.len(), 1, "no temporary file left behind");
        let other = StateFile::new(
            &dir.path().join("state"),
            Path::new("/tmp/x.csv"),
            "post https://h/",
        );
        assert_ne!(other.path(), file.path(), "each target has its own state");
        std::fs::write(file.path(), "{").expect("damage");
        let err = file.load().unwrap_err().to_string();
        assert!(
            err.contains("is damaged") && err.contains("remove it"),
            "{err}"
        );
    }

    #[test]
    fn a_file_continues_only_if_it_starts_with_the_imported_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.csv");
        for (text, same) in [("a,b\n1,2\n", true), ("a,c\n1,2\n", false), ("a,", false)] {
            std::fs::write(&path, text).expect("write");
            let mut file = File::open(&path).expect("open");
            let hash = continues(&mut file, &state()).expect("read");
            assert_eq!(hash.is_some(), same, "{text}");
            if let Some(hash) = hash {
                assert_eq!(hex(&hash.finalize()), state().sha256);
            }
        }
    }
}

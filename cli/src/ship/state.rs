//! The shipper's files in the state directory: each export's source
//! positions, its health, and its dead-letter file.
//!
//! ```text
//! /var/lib/logward/ship-SIEM.positions.json    where each source resumes
//! /var/lib/logward/ship-SIEM.health.json       what `logward ship status` shows
//! /var/lib/logward/ship-SIEM.dead-letter.jsonl records the destination refused
//! ```
//!
//! Positions and health are replaced atomically (a temporary file written
//! and fsynced, renamed over the old one, the directory fsynced), so a
//! crash leaves the old file or the new one, never a mix. The directory is
//! created 0750 and the files 0600: they hold records.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;

/// The state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

/// One export's saved source positions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Positions {
    /// Each source's state, by source name.
    pub sources: BTreeMap<String, Value>,
}

impl StateDir {
    /// The state directory `dir` (created when first written).
    pub fn new(dir: &Path) -> Self {
        StateDir {
            dir: dir.to_path_buf(),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The positions file of `export`.
    pub fn positions_file(&self, export: &str) -> PathBuf {
        self.dir.join(format!("ship-{export}.positions.json"))
    }

    /// The health file of `export`.
    pub fn health_file(&self, export: &str) -> PathBuf {
        self.dir.join(format!("ship-{export}.health.json"))
    }

    /// The dead-letter file of `export`.
    pub fn dead_letter_file(&self, export: &str) -> PathBuf {
        self.dir.join(format!("ship-{export}.dead-letter.jsonl"))
    }

    /// Reads the JSON file `path`; `None` if it does not exist.
    pub fn load<T: DeserializeOwned>(&self, path: &Path) -> anyhow::Result<Option<T>> {
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        serde_json::from_slice(&text).map(Some).with_context(|| {
            format!(
                "{} is damaged; remove it to start that export afresh",
                path.display()
            )
        })
    }

    /// Replaces the JSON file `path` with `value`, atomically and durably.
    pub fn save<T: Serialize>(&self, path: &Path, value: &T) -> anyhow::Result<()> {
        self.create()?;
        let fail = || format!("cannot write {}", path.display());
        let mut temp = tempfile::Builder::new()
            .prefix(".ship-")
            .tempfile_in(&self.dir)
            .with_context(fail)?;
        let mut text = serde_json::to_vec(value).with_context(fail)?;
        text.push(b'\n');
        temp.write_all(&text).with_context(fail)?;
        temp.as_file().sync_all().with_context(fail)?;
        temp.persist(path).map_err(|e| e.error).with_context(fail)?;
        File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .with_context(|| format!("cannot sync {}", self.dir.display()))
    }

    /// Appends `lines` to the file `path` (created 0600) and syncs it.
    pub fn append(&self, path: &Path, lines: &[u8]) -> anyhow::Result<()> {
        self.create()?;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        file.write_all(lines)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))
    }

    fn create(&self) -> anyhow::Result<()> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o750)
            .create(&self.dir)
            .with_context(|| format!("cannot create the state directory {}", self.dir.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_atomically_and_loads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = StateDir::new(&dir.path().join("state"));
        let path = state.positions_file("SIEM");
        assert!(state.load::<Positions>(&path).expect("none yet").is_none());
        let mut positions = Positions::default();
        positions
            .sources
            .insert("file:/x".into(), serde_json::json!({"offset": 3}));
        state.save(&path, &positions).expect("saved");
        let back: Positions = state.load(&path).expect("load").expect("some");
        assert_eq!(back.sources, positions.sources);
        let names: Vec<_> = std::fs::read_dir(state.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(
            names,
            ["ship-SIEM.positions.json"],
            "no temporary file left"
        );
        std::fs::write(&path, "{").expect("damage");
        let err = format!("{:#}", state.load::<Positions>(&path).unwrap_err());
        assert!(err.contains("is damaged; remove it"), "{err}");
    }
}

//! What the status page shows of each origin machine, kept in the state
//! directory so that a restarted collector shows the same: per origin
//! hostname, the records written per log type and the errors (error and
//! critical records) per UTC day of the records' own `created_at`, the
//! latest `created_at` seen, and the configuration fingerprint of its
//! latest `logging_started` record.
//!
//! The file is `<state dir>/receive/origins.json`, replaced (written anew
//! and renamed) after every batch, before the batch's `pending` note is
//! removed. It names the last batch it counts, and `pending` names the
//! batch in flight: a collector killed in between counts, at its next
//! start, the records of that batch that the id index finds in the
//! destination files, unless the file already counted them. So the counts
//! match what the files hold, like the index. Days are kept from yesterday
//! to tomorrow (by the collector's clock): a record dated outside that
//! window is stored as usual but counted on no day.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use logward::Level;
use serde::{Deserialize, Serialize};

use super::parse::Record;

/// Name of the file in `<state dir>/receive/`.
const FILE: &str = "origins.json";

/// One origin machine, by its records' `hostname`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Origin {
    /// The latest `created_at` of its records written.
    pub last_record: String,
    /// `config_fingerprint` of its latest `logging_started` record.
    pub fingerprint: Option<String>,
    /// Per `created_at` UTC day (`YYYY-MM-DD`): what was written.
    pub days: BTreeMap<String, Day>,
}

/// The records of one origin and one `created_at` day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Day {
    /// Records per log type, in [`logward::LogType::ALL`]'s order.
    pub per_type: [u64; 5],
    /// Records of level error or critical.
    pub errors: u64,
}

/// Every origin, and the last batch counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Origins {
    /// The number of the last batch these counts include.
    pub batch: u64,
    /// By hostname.
    pub hosts: BTreeMap<String, Origin>,
}

impl Origins {
    /// Counts `records` (written, not duplicates) on their `created_at`
    /// day, when that day is within a day of `today` (`YYYY-MM-DD`), and
    /// drops days before yesterday.
    pub fn count<'a>(&mut self, records: impl IntoIterator<Item = &'a Record>, today: &str) {
        let window = Window::around(today);
        for record in records {
            let origin = self.hosts.entry(record.hostname.clone()).or_default();
            if record.created_at > origin.last_record {
                origin.last_record.clone_from(&record.created_at);
            }
            if let Some(f) = &record.fingerprint {
                origin.fingerprint = Some(f.clone());
            }
            let day = record.created_at.get(..10).unwrap_or_default();
            if !window.holds(day) {
                continue;
            }
            let counts = origin.days.entry(day.to_string()).or_default();
            counts.per_type[record.log_type.index()] += 1;
            if record.level >= Level::Error {
                counts.errors += 1;
            }
        }
        for origin in self.hosts.values_mut() {
            origin
                .days
                .retain(|day, _| day.as_str() >= window.from.as_str());
        }
    }

    /// The counts in `dir` (none before the first batch).
    ///
    /// # Errors
    ///
    /// When the file exists but cannot be read or is not such counts.
    pub fn load(dir: &Path) -> anyhow::Result<Origins> {
        let path = dir.join(FILE);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not the collector's counts", path.display())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Origins::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Replaces the file in `dir` with these counts (fsynced with `sync`).
    ///
    /// # Errors
    ///
    /// When it cannot be written.
    pub fn save(&self, dir: &Path, sync: bool) -> anyhow::Result<()> {
        let path = dir.join(FILE);
        let tmp: PathBuf = dir.join(format!("{FILE}.tmp"));
        let write = || -> io::Result<()> {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(&serde_json::to_vec(self)?)?;
            if sync {
                file.sync_data()?;
            }
            fs::rename(&tmp, &path)
        };
        write().with_context(|| format!("cannot write {}", path.display()))
    }
}

/// The days counted around one day: yesterday to tomorrow.
struct Window {
    from: String,
    to: String,
}

impl Window {
    fn around(today: &str) -> Window {
        let shift = |days: i32| {
            today
                .parse::<jiff::civil::Date>()
                .ok()
                .and_then(|d| d.checked_add(jiff::Span::new().days(days)).ok())
                .map_or_else(|| today.to_string(), |d| d.to_string())
        };
        Window {
            from: shift(-1),
            to: shift(1),
        }
    }

    fn holds(&self, day: &str) -> bool {
        (self.from.as_str()..=self.to.as_str()).contains(&day)
    }
}

#[cfg(test)]
mod tests {
    use logward::LogType;

    use super::*;

    fn record(host: &str, created_at: &str, log_type: LogType, level: Level) -> Record {
        Record {
            id: 1,
            created_at: created_at.to_string(),
            hostname: host.to_string(),
            level,
            log_type,
            fingerprint: None,
        }
    }

    #[test]
    fn records_count_on_their_created_at_day_within_a_day_of_today() {
        let mut origins = Origins::default();
        let records = [
            record(
                "a",
                "2026-12-01T00:00:00.000000Z",
                LogType::Web,
                Level::Info,
            ),
            record(
                "a",
                "2026-12-01T23:59:59.999999Z",
                LogType::Audit,
                Level::Error,
            ),
            record(
                "a",
                "2026-11-30T23:59:59.999999Z",
                LogType::Web,
                Level::Info,
            ),
            record(
                "a",
                "2026-11-29T12:00:00.000000Z",
                LogType::Web,
                Level::Info,
            ),
            record(
                "a",
                "2026-12-03T12:00:00.000000Z",
                LogType::Web,
                Level::Info,
            ),
        ];
        origins.count(&records, "2026-12-01");
        let a = &origins.hosts["a"];
        assert_eq!(
            a.days.keys().collect::<Vec<_>>(),
            ["2026-11-30", "2026-12-01"]
        );
        assert_eq!(a.days["2026-12-01"].per_type, [1, 1, 0, 0, 0]);
        assert_eq!(a.days["2026-12-01"].errors, 1);
        assert_eq!(a.last_record, "2026-12-03T12:00:00.000000Z");
        origins.count(&[], "2026-12-02");
        assert_eq!(
            origins.hosts["a"].days.keys().collect::<Vec<_>>(),
            ["2026-12-01"]
        );
    }

    #[test]
    fn the_counts_survive_a_save_and_load() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(Origins::load(dir.path()).expect("none"), Origins::default());
        let mut origins = Origins {
            batch: 7,
            ..Origins::default()
        };
        origins.count(
            &[record(
                "a",
                "2026-12-01T00:00:00.000000Z",
                LogType::Tanium,
                Level::Critical,
            )],
            "2026-12-01",
        );
        origins.save(dir.path(), true).expect("save");
        assert_eq!(Origins::load(dir.path()).expect("load"), origins);
    }
}

//! The collector's keys in the configuration file (`RECEIVE_*`), beside
//! the routing keys every service reads:
//!
//! | key | rule |
//! |---|---|
//! | `RECEIVE_RAW_FILE` | absolute path; foreign JSON values (not logward records) are kept there, one per line; without it a batch holding one is refused |
//! | `RECEIVE_RAW_ROTATE_DAILY` | requires `RECEIVE_RAW_FILE`; `true` starts a new file every UTC day; default `false` |
//! | `RECEIVE_RAW_ROTATE_MAX` | requires `RECEIVE_RAW_ROTATE_DAILY`; files kept, the live one included |
//! | `RECEIVE_RAW_SYNC` | `never` (default) or `always`: fsync the raw file before answering |

use std::num::NonZeroU32;
use std::path::PathBuf;

use anyhow::bail;
use logward::Config;
use logward::sink::Rotation;

/// The raw file's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFile {
    /// Its live path.
    pub path: PathBuf,
    /// How it rotates.
    pub rotation: Rotation,
    /// Whether each batch is fsynced.
    pub sync: bool,
}

/// The collector's keys.
pub const KEYS: [&str; 4] = [
    "RECEIVE_RAW_FILE",
    "RECEIVE_RAW_ROTATE_DAILY",
    "RECEIVE_RAW_ROTATE_MAX",
    "RECEIVE_RAW_SYNC",
];

/// The raw file the configuration names, if any.
pub fn raw_file(config: &Config) -> anyhow::Result<Option<RawFile>> {
    let (mut path, mut daily, mut max, mut sync) = (None, None, None, false);
    for s in config.receive_settings() {
        let bad = |allowed: &str| -> anyhow::Result<()> {
            bail!("{}: {}={:?}: {allowed}", s.origin, s.key, s.value)
        };
        match s.key.as_str() {
            "RECEIVE_RAW_FILE" => {
                let p = PathBuf::from(s.value.trim());
                if !p.is_absolute() {
                    bad("not an absolute path; allowed: an absolute file path")?;
                }
                path = Some(p);
            }
            "RECEIVE_RAW_ROTATE_DAILY" => match s.value.trim().to_ascii_lowercase().as_str() {
                "true" => daily = Some(true),
                "false" => daily = Some(false),
                _ => bad("not a boolean; allowed: true or false")?,
            },
            "RECEIVE_RAW_ROTATE_MAX" => match s.value.trim().parse::<NonZeroU32>() {
                Ok(n) => max = Some(n),
                Err(_) => bad("not a positive whole number; allowed: the number of files kept")?,
            },
            "RECEIVE_RAW_SYNC" => match s.value.trim().to_ascii_lowercase().as_str() {
                "always" => sync = true,
                "never" => sync = false,
                _ => bad("not a sync policy; allowed: never or always")?,
            },
            other => bail!(
                "{}: {other}: unknown key; allowed RECEIVE_ keys: {}",
                s.origin,
                KEYS.join(", ")
            ),
        }
    }
    let Some(path) = path else {
        if daily.is_some() || max.is_some() {
            bail!("RECEIVE_RAW_ROTATE_DAILY and RECEIVE_RAW_ROTATE_MAX require RECEIVE_RAW_FILE");
        }
        return Ok(None);
    };
    if max.is_some() && daily != Some(true) {
        bail!("RECEIVE_RAW_ROTATE_MAX requires RECEIVE_RAW_ROTATE_DAILY=true");
    }
    Ok(Some(RawFile {
        path,
        rotation: Rotation {
            daily: daily.unwrap_or(false),
            max_files: max,
            ..Rotation::default()
        },
        sync,
    }))
}

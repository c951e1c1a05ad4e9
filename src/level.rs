//! Severity levels of a record.
//!
//! logward has five levels; `critical` sits above `error`. `tracing` has no
//! critical level, so a critical event is an `ERROR` event whose callsite
//! carries the marker field [`CRITICAL_FIELD`] (see [`crate::critical!`]).

use std::fmt;
use std::str::FromStr;

/// Name of the marker field that turns an `ERROR` event into a critical one.
pub const CRITICAL_FIELD: &str = "logward.critical";

/// The severity of a record, ordered from `Debug` (lowest) to `Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Diagnostic detail (`tracing`'s `TRACE` and `DEBUG`).
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that the service handled.
    Warning,
    /// An operation failed.
    Error,
    /// The service, or a guarantee it gives, is in danger.
    Critical,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 5] = [
        Level::Debug,
        Level::Info,
        Level::Warning,
        Level::Error,
        Level::Critical,
    ];

    /// The name used in records and configuration: `debug` … `critical`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Critical => "critical",
        }
    }

    /// Position in [`Level::ALL`], for per-level tables.
    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// The journald `PRIORITY` for this level (syslog numbering).
    pub const fn journald_priority(self) -> u8 {
        match self {
            Level::Debug => 7,
            Level::Info => 6,
            Level::Warning => 4,
            Level::Error => 3,
            Level::Critical => 2,
        }
    }

    /// The level of a `tracing` event: `TRACE` and `DEBUG` are `Debug`,
    /// `ERROR` is `Critical` when the callsite is marked critical.
    pub fn from_tracing(level: &tracing::Level, critical: bool) -> Level {
        match *level {
            tracing::Level::TRACE | tracing::Level::DEBUG => Level::Debug,
            tracing::Level::INFO => Level::Info,
            tracing::Level::WARN => Level::Warning,
            _ if critical => Level::Critical,
            _ => Level::Error,
        }
    }

    /// The level of an event with this callsite metadata. Only an `ERROR`
    /// callsite is looked up for the critical marker field.
    pub fn of_event(meta: &tracing::Metadata<'_>) -> Level {
        let level = meta.level();
        let critical =
            *level == tracing::Level::ERROR && meta.fields().field(CRITICAL_FIELD).is_some();
        Level::from_tracing(level, critical)
    }

    /// The most verbose `tracing` level that can produce this level.
    pub fn to_tracing_filter(self) -> tracing::level_filters::LevelFilter {
        use tracing::level_filters::LevelFilter;
        match self {
            Level::Debug => LevelFilter::TRACE,
            Level::Info => LevelFilter::INFO,
            Level::Warning => LevelFilter::WARN,
            Level::Error | Level::Critical => LevelFilter::ERROR,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a string that names no level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown level {0:?}: allowed are debug, info, warning, error, critical")]
pub struct ParseLevelError(pub String);

impl FromStr for Level {
    type Err = ParseLevelError;

    /// Parses a level name, case-insensitively; `warn` is accepted for `warning`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "debug" => Ok(Level::Debug),
            "info" => Ok(Level::Info),
            "warning" | "warn" => Ok(Level::Warning),
            "error" => Ok(Level::Error),
            "critical" => Ok(Level::Critical),
            _ => Err(ParseLevelError(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_is_above_error_and_maps_to_priority_2() {
        assert!(Level::Critical > Level::Error);
        assert_eq!(Level::Critical.journald_priority(), 2);
        assert_eq!(Level::Warning.journald_priority(), 4);
    }

    #[test]
    fn index_is_the_position_in_all() {
        for level in Level::ALL {
            assert_eq!(Level::ALL[level.index()], level);
        }
    }

    #[test]
    fn parses_case_insensitively_and_rejects_unknown_names() {
        assert_eq!("WARNING".parse::<Level>(), Ok(Level::Warning));
        assert_eq!("Critical".parse::<Level>(), Ok(Level::Critical));
        let err = "verbose".parse::<Level>().unwrap_err();
        assert!(err.to_string().contains("allowed are debug, info"));
    }

    #[test]
    fn tracing_error_becomes_critical_only_with_the_marker() {
        assert_eq!(
            Level::from_tracing(&tracing::Level::ERROR, true),
            Level::Critical
        );
        assert_eq!(
            Level::from_tracing(&tracing::Level::ERROR, false),
            Level::Error
        );
        assert_eq!(
            Level::from_tracing(&tracing::Level::TRACE, false),
            Level::Debug
        );
    }
}

//! The five log types and how an event's log type is known.
//!
//! A logward-aware event carries its log type in its `tracing` target
//! (`logward::audit`, `logward::web`, …), so the type is part of the
//! callsite's static metadata and a disabled type is filtered before any
//! field is visited. Every other event is an `application` record.

use std::fmt;
use std::str::FromStr;

/// The kind of a record; each kind is routed and filtered on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogType {
    /// Security evidence: logins, user activity, setting changes, API requests.
    Audit,
    /// HTTP requests served.
    Web,
    /// Free-form application messages, and every non-logward event.
    Application,
    /// Analysis runs with their memory use.
    Analysis,
    /// Tanium operations and Tanium API requests.
    Tanium,
}

impl LogType {
    /// Every log type, in configuration order.
    pub const ALL: [LogType; 5] = [
        LogType::Audit,
        LogType::Web,
        LogType::Application,
        LogType::Analysis,
        LogType::Tanium,
    ];

    /// The name used in records: `audit`, `web`, …
    pub const fn as_str(self) -> &'static str {
        match self {
            LogType::Audit => "audit",
            LogType::Web => "web",
            LogType::Application => "application",
            LogType::Analysis => "analysis",
            LogType::Tanium => "tanium",
        }
    }

    /// The configuration key suffix: `AUDIT`, `WEB`, …
    pub const fn key_suffix(self) -> &'static str {
        match self {
            LogType::Audit => "AUDIT",
            LogType::Web => "WEB",
            LogType::Application => "APPLICATION",
            LogType::Analysis => "ANALYSIS",
            LogType::Tanium => "TANIUM",
        }
    }

    /// The `tracing` target that logward's typed API uses for this type.
    pub const fn target(self) -> &'static str {
        match self {
            LogType::Audit => "logward::audit",
            LogType::Web => "logward::web",
            LogType::Application => "logward::application",
            LogType::Analysis => "logward::analysis",
            LogType::Tanium => "logward::tanium",
        }
    }

    /// The log type of an event with this `tracing` target: the typed
    /// targets map to their type, anything else is `Application`.
    pub fn from_target(target: &str) -> LogType {
        match target.strip_prefix("logward::") {
            Some("audit") => LogType::Audit,
            Some("web") => LogType::Web,
            Some("analysis") => LogType::Analysis,
            Some("tanium") => LogType::Tanium,
            _ => LogType::Application,
        }
    }

    /// Position in [`LogType::ALL`], for per-type tables.
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for LogType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a string that names no log type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown log type {0:?}: allowed are audit, web, application, analysis, tanium")]
pub struct ParseLogTypeError(pub String);

impl FromStr for LogType {
    type Err = ParseLogTypeError;

    /// Parses a log type name, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "audit" => Ok(LogType::Audit),
            "web" => Ok(LogType::Web),
            "application" => Ok(LogType::Application),
            "analysis" => Ok(LogType::Analysis),
            "tanium" => Ok(LogType::Tanium),
            _ => Err(ParseLogTypeError(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_round_trip_and_foreign_targets_are_application() {
        for t in LogType::ALL {
            assert_eq!(LogType::from_target(t.target()), t);
            assert_eq!(LogType::ALL[t.index()], t);
        }
        assert_eq!(LogType::from_target("hyper::proto"), LogType::Application);
        assert_eq!(
            LogType::from_target("logward::auditx"),
            LogType::Application
        );
    }

    #[test]
    fn parses_case_insensitively() {
        assert_eq!("TANIUM".parse::<LogType>(), Ok(LogType::Tanium));
        assert!("syslog".parse::<LogType>().is_err());
    }
}

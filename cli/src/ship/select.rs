//! Which records an export sends: its log types, its lowest level, and its
//! filter, judged on the record's own fields.

use logward::{Level, LogType};
use serde_json::{Map, Value};

use super::Export;
use crate::Filter;

/// An export's selection.
#[derive(Debug, Clone)]
pub struct Selection {
    types: Vec<LogType>,
    level: Level,
    filter: Option<Filter>,
}

/// What the selection says of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send it.
    Selected,
    /// Not this export's.
    Skipped,
    /// Not a record (not a JSON object with a known `log_type` and `level`).
    Unreadable,
}

impl Selection {
    /// The selection of `export`.
    pub fn of(export: &Export) -> Selection {
        Selection {
            types: export.types.clone(),
            level: export.level,
            filter: export.filter.clone(),
        }
    }

    /// Judges one stored line.
    pub fn judge(&self, line: &[u8]) -> Verdict {
        let Ok(record) = serde_json::from_slice::<Map<String, Value>>(line) else {
            return Verdict::Unreadable;
        };
        let log_type = record
            .get("log_type")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<LogType>().ok());
        let level = record
            .get("level")
            .and_then(Value::as_str)
            .and_then(|l| l.parse::<Level>().ok());
        let (Some(log_type), Some(level)) = (log_type, level) else {
            return Verdict::Unreadable;
        };
        let selected = self.types.contains(&log_type)
            && level >= self.level
            && self.filter.as_ref().is_none_or(|f| f.matches(&record));
        if selected {
            Verdict::Selected
        } else {
            Verdict::Skipped
        }
    }
}

//! How `logward show` prints a record: `-o json`, `short` or `cat`.
//!
//! - `json`: the record exactly as it was written, one JSON line.
//! - `short`: `created_at level log_type text`, one line per record:
//!
//!   ```text
//!   2026-11-22T04:30:00.123456Z warning  web         slow upstream method=GET path=/api/orders status_code=504
//!   2026-11-22T04:30:01.000007Z info     audit       login_attempt access_granted=false client_ip=10.0.0.7 user_name=alice
//!   ```
//!
//! - `cat`: the text alone.
//!
//! The text is the record's `message`, else its `action`, followed by its
//! other fields as `key=value` in the record's order, leaving out the
//! fields every record has (`id`, `created_at`, `hostname`, `level`,
//! `log_type`, `pid`) and `stacktrace`. A string value is shown bare
//! when it has no space, quote, `=` or control character, else as a JSON
//! string; other values as JSON. Nothing a record holds is printed raw
//! if it could break the line or drive the terminal: control and
//! bidirectional-override characters of the message become escapes
//! (`\n`, `\u001b`), so each record is exactly one line.
//!
//! Times are UTC as the record has them, or in the zone of `--local`
//! (`2026-11-22T05:30:00.123456+01:00`). On a terminal the level is
//! coloured (debug dim, warning yellow, error red, critical bold red);
//! never when stdout is not a terminal, nor when `NO_COLOR` is set, nor
//! for `TERM=dumb`.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Map, Value};

use crate::bundle::RecordRef;
use logward::Level;
use logward::record::push_rfc3339;

/// The output forms of `logward show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OutputMode {
    /// `created_at level log_type text`, one line per record.
    #[default]
    Short,
    /// The records as written, JSON lines.
    Json,
    /// The text alone: message, action and fields.
    Cat,
}

/// How records are printed: the mode, colour and the zone of times.
#[derive(Debug, Clone, Default)]
pub struct Style {
    /// The output form.
    pub mode: OutputMode,
    /// Colour the level (only on a terminal).
    pub colour: bool,
    /// The zone times are shown in; `None`: UTC, as written.
    pub zone: Option<TimeZone>,
}

/// The fields every record has, left out of the text.
const OMITTED: [&str; 7] = [
    "id",
    "created_at",
    "hostname",
    "level",
    "log_type",
    "pid",
    "stacktrace",
];

impl Style {
    /// Appends `record`, printed, and a newline to `out`.
    pub(crate) fn write(&self, record: RecordRef<'_>, out: &mut Vec<u8>) {
        if self.mode == OutputMode::Json {
            out.extend_from_slice(record.line);
            out.push(b'\n');
            return;
        }
        // A kept record is a JSON object: it was parsed when it was judged.
        let fields: Map<String, Value> = serde_json::from_slice(record.line).unwrap_or_default();
        let mut line = String::new();
        if self.mode == OutputMode::Short {
            self.push_time(record.head.created_at, &mut line);
            let level = record.head.level;
            let shown = format!("{:<8}", level.as_str());
            match self.colour.then(|| colour(level)).flatten() {
                Some(code) => {
                    let _ = write!(line, " \x1b[{code}m{shown}\x1b[0m");
                }
                None => {
                    let _ = write!(line, " {shown}");
                }
            }
            let _ = write!(line, " {:<11} ", record.head.log_type.as_str());
        }
        push_text(&fields, &mut line);
        out.extend_from_slice(line.trim_end_matches(' ').as_bytes());
        out.push(b'\n');
    }

    fn push_time(&self, micros: i64, line: &mut String) {
        let zoned = self.zone.as_ref().and_then(|zone| {
            let at = Timestamp::from_microsecond(micros).ok()?;
            Some(
                at.to_zoned(zone.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%.6f%:z")
                    .to_string(),
            )
        });
        match zoned {
            Some(text) => line.push_str(&text),
            None => {
                let mut utc = Vec::with_capacity(27);
                push_rfc3339(&mut utc, micros);
                line.push_str(&String::from_utf8_lossy(&utc));
            }
        }
    }
}

/// The SGR colour of a level, `None` for info.
fn colour(level: Level) -> Option<&'static str> {
    match level {
        Level::Debug => Some("2"),
        Level::Info => None,
        Level::Warning => Some("33"),
        Level::Error => Some("31"),
        _ => Some("1;31"),
    }
}

/// The text of a record: message or action, then the other fields.
fn push_text(fields: &Map<String, Value>, line: &mut String) {
    let lead = ["message", "action"].into_iter().find(|k| {
        fields
            .get(*k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    });
    if let Some(Value::String(text)) = lead.and_then(|k| fields.get(k)) {
        push_escaped(text, line);
    }
    for (key, value) in fields {
        if OMITTED.contains(&key.as_str()) || Some(key.as_str()) == lead {
            continue;
        }
        if !line.is_empty() && !line.ends_with(' ') {
            line.push(' ');
        }
        push_escaped(key, line);
        line.push('=');
        match value {
            Value::String(text) if is_bare(text) => line.push_str(text),
            other => line.push_str(&other.to_string()),
        }
    }
}

/// Whether a string value can be shown without quotes.
fn is_bare(text: &str) -> bool {
    !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '=' || is_unsafe(c))
}

/// Characters that could break the line or reorder or drive the terminal.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `text` with unsafe characters as escapes.
fn push_escaped(text: &str, line: &mut String) {
    for c in text.chars() {
        match c {
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(line, "\\u{:04x}", u32::from(c));
            }
            c => line.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::parse_head;

    fn shown(style: &Style, line: &str) -> String {
        let record = RecordRef {
            head: parse_head(line.as_bytes()).expect("a record"),
            line: line.as_bytes(),
        };
        let mut out = Vec::new();
        style.write(record, &mut out);
        String::from_utf8(out).unwrap()
    }

    const WEB: &str = r#"{"id":"x","created_at":"2026-11-22T04:30:00.123456Z","hostname":"h","level":"warning","log_type":"web","pid":7,"request_id":"r-1","method":"GET","path":"/a b","status_code":504,"message":"slow upstream"}"#;
    const AUDIT: &str = r#"{"id":"y","created_at":"2026-11-22T04:30:01Z","hostname":"h","level":"critical","log_type":"audit","pid":7,"action":"login_attempt","access_granted":false,"user_name":"a\u001b[2Jb"}"#;

    #[test]
    fn short_is_time_level_type_and_text() {
        let style = Style::default();
        assert_eq!(
            shown(&style, WEB),
            "2026-11-22T04:30:00.123456Z warning  web         slow upstream request_id=r-1 method=GET path=\"/a b\" status_code=504\n"
        );
        assert_eq!(
            shown(&style, AUDIT),
            "2026-11-22T04:30:01.000000Z critical audit       login_attempt access_granted=false user_name=\"a\\u001b[2Jb\"\n"
        );
    }

    #[test]
    fn colour_local_time_cat_and_json() {
        let style = Style {
            colour: true,
            zone: Some(TimeZone::get("Europe/Madrid").unwrap()),
            ..Style::default()
        };
        assert_eq!(
            shown(&style, AUDIT),
            "2026-11-22T05:30:01.000000+01:00 \x1b[1;31mcritical\x1b[0m audit       login_attempt access_granted=false user_name=\"a\\u001b[2Jb\"\n"
        );
        let cat = Style {
            mode: OutputMode::Cat,
            ..Style::default()
        };
        let multiline = WEB.replace("slow upstream", "two\\nlines\\u202e");
        assert_eq!(
            shown(&cat, &multiline),
            "two\\nlines\\u202e request_id=r-1 method=GET path=\"/a b\" status_code=504\n"
        );
        let json = Style {
            mode: OutputMode::Json,
            ..Style::default()
        };
        assert_eq!(shown(&json, WEB), format!("{WEB}\n"));
    }
}

//! A received body split into its JSON values, each one classified: a
//! logward record (validated by the record format's rules), or a foreign
//! object (no required key at all, such as ExtraHop's API interaction logs).
//!
//! A body is JSON values one after the other (JSON lines, or values merely
//! separated by whitespace); a top-level array stands for its elements. An
//! object with any of the required keys (`id`, `created_at`, `hostname`,
//! `level`, `log_type`, `pid`) must be a whole valid record, else the body
//! is refused naming the first bad value's line. Every record is kept byte
//! for byte; only whitespace between tokens of a value that spans lines is
//! removed, so that it becomes one line.

use logward::{Level, LogType};
use serde::Deserialize;
use serde_json::value::RawValue;

/// One value of a body, made into one line (no newline at its end).
#[derive(Debug)]
pub struct Item {
    /// The value's bytes on one line.
    pub line: Vec<u8>,
    /// What it is.
    pub kind: Kind,
}

/// What a received value is.
#[derive(Debug)]
pub enum Kind {
    /// A valid logward record.
    Record(Record),
    /// Any other JSON value (no required key).
    Foreign,
}

/// The fields of a record the collector needs.
#[derive(Debug, Clone)]
pub struct Record {
    /// Its `id`, as a number.
    pub id: u128,
    /// Its `created_at`.
    pub created_at: String,
    /// Its origin machine.
    pub hostname: String,
    /// Its level.
    pub level: Level,
    /// Its log type.
    pub log_type: LogType,
    /// `config_fingerprint` of a `logging_started` record.
    pub fingerprint: Option<String>,
}

/// Why a body was refused: the first bad value, by its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The 1-based line where the bad value starts.
    pub line: usize,
    /// What is wrong and what is allowed.
    pub why: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.why)
    }
}

/// The keys looked at, with any type (checked afterwards).
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    created_at: Option<&'a RawValue>,
    #[serde(borrow)]
    hostname: Option<&'a RawValue>,
    #[serde(borrow)]
    level: Option<&'a RawValue>,
    #[serde(borrow)]
    log_type: Option<&'a RawValue>,
    #[serde(borrow)]
    pid: Option<&'a RawValue>,
    #[serde(borrow)]
    action: Option<&'a RawValue>,
    #[serde(borrow)]
    config_fingerprint: Option<&'a RawValue>,
}

/// Splits `body` into its values. With `validate`, objects with a
/// required key must be valid records; without, every value is foreign.
pub fn parse(body: &[u8], validate: bool) -> Result<Vec<Item>, Refused> {
    let mut items = Vec::new();
    let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<&RawValue>();
    loop {
        let start = skip_ws(body, stream.byte_offset());
        let value = match stream.next() {
            None => break,
            Some(Ok(value)) => value,
            Some(Err(e)) => {
                return Err(Refused {
                    line: line_of(body, start),
                    why: format!("not valid JSON ({e}); allowed: JSON values, one per line"),
                });
            }
        };
        let text = value.get();
        if text.starts_with('[') {
            let elements: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| Refused {
                line: line_of(body, start),
                why: format!("not valid JSON ({e})"),
            })?;
            for element in elements {
                items.push(classify(element.get(), validate).map_err(|why| Refused {
                    line: line_of(body, start),
                    why: format!("in an array: {why}"),
                })?);
            }
        } else {
            items.push(classify(text, validate).map_err(|why| Refused {
                line: line_of(body, start),
                why,
            })?);
        }
    }
    Ok(items)
}

fn skip_ws(body: &[u8], mut at: usize) -> usize {
    while body.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

fn line_of(body: &[u8], offset: usize) -> usize {
    1 + body[..offset.min(body.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

fn classify(text: &str, validate: bool) -> Result<Item, String> {
    let line = one_line(text);
    if !validate || !text.starts_with('{') {
        return Ok(Item {
            line,
            kind: Kind::Foreign,
        });
    }
    let head: Head<'_> = serde_json::from_str(text).map_err(|e| format!("not a record: {e}"))?;
    let required = [
        head.id,
        head.created_at,
        head.hostname,
        head.level,
        head.log_type,
        head.pid,
    ];
    if required.iter().all(Option::is_none) {
        return Ok(Item {
            line,
            kind: Kind::Foreign,
        });
    }
    let record = validate_record(&head)?;
    Ok(Item {
        line,
        kind: Kind::Record(record),
    })
}

/// A required string field, or why not.
fn string_field(value: Option<&RawValue>, key: &str) -> Result<String, String> {
    let value = value.ok_or_else(|| {
        format!(
            "a record (it has some of the required keys) without `{key}`; required: {}",
            logward::record::REQUIRED_FIELDS.join(", ")
        )
    })?;
    serde_json::from_str::<String>(value.get())
        .map_err(|_| format!("`{key}` is {}, not a string", value.get()))
}

fn validate_record(head: &Head<'_>) -> Result<Record, String> {
    let id_text = string_field(head.id, "id")?;
    let id = parse_uuid_v4(&id_text)
        .ok_or_else(|| format!("`id` {id_text:?} is not a lowercase UUIDv4"))?;
    let created_at = string_field(head.created_at, "created_at")?;
    if !valid_created_at(&created_at) {
        return Err(format!(
            "`created_at` {created_at:?} is not UTC RFC 3339 with microseconds, like 2026-11-22T04:30:00.123456Z"
        ));
    }
    let hostname = string_field(head.hostname, "hostname")?;
    if hostname.is_empty() {
        return Err("`hostname` is empty".into());
    }
    let level_text = string_field(head.level, "level")?;
    let level = Level::ALL
        .into_iter()
        .find(|l| l.as_str() == level_text)
        .ok_or_else(|| {
            format!("`level` {level_text:?} is not one of debug, info, warning, error, critical")
        })?;
    let type_text = string_field(head.log_type, "log_type")?;
    let log_type = LogType::ALL
        .into_iter()
        .find(|t| t.as_str() == type_text)
        .ok_or_else(|| {
            format!(
                "`log_type` {type_text:?} is not one of audit, web, application, analysis, tanium"
            )
        })?;
    let pid = head
        .pid
        .ok_or("a record without `pid`; required: a whole number")?;
    if serde_json::from_str::<u32>(pid.get()).is_err() {
        return Err(format!(
            "`pid` is {}, not a process id (a whole number)",
            pid.get()
        ));
    }
    let action = head
        .action
        .and_then(|a| serde_json::from_str::<String>(a.get()).ok());
    let fingerprint = match action.as_deref() {
        Some("logging_started") => head
            .config_fingerprint
            .and_then(|f| serde_json::from_str::<String>(f.get()).ok()),
        _ => None,
    };
    Ok(Record {
        id,
        created_at,
        hostname,
        level,
        log_type,
        fingerprint,
    })
}

/// `8-4-4-4-12` lowercase hex digits, version 4, RFC 4122 variant.
fn parse_uuid_v4(text: &str) -> Option<u128> {
    let b = text.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let hex: String = text.chars().filter(|&c| c != '-').collect();
    if hex.len() != 32 || !hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    if b[14] != b'4' || !matches!(b[19], b'8' | b'9' | b'a' | b'b') {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, a real moment.
fn valid_created_at(text: &str) -> bool {
    let b = text.as_bytes();
    let shape = b.len() == 27
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            26 => c == b'Z',
            _ => c.is_ascii_digit(),
        });
    shape && text.parse::<jiff::Timestamp>().is_ok()
}

/// The value's text without the whitespace between its tokens when it
/// spans lines (JSON strings never hold a raw newline).
fn one_line(text: &str) -> Vec<u8> {
    if !text.contains('\n') && !text.contains('\r') {
        return text.as_bytes().to_vec();
    }
    let mut out = Vec::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for &c in text.as_bytes() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
        } else if c == b'"' {
            in_string = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"id":"6f1c2b9e-3a4d-4e5f-8a7b-1c2d3e4f5a6b","created_at":"2026-11-22T04:30:00.123456Z","hostname":"web-1","level":"info","log_type":"web","pid":42,"method":"GET"}"#;

    #[test]
    fn records_foreign_objects_and_arrays_are_told_apart() {
        let body = format!("{GOOD}\n{{\"sequence\":1,\"request\":{{\"a\":1}}}}\n[{GOOD}]\n");
        let items = parse(body.as_bytes(), true).expect("parsed");
        assert_eq!(items.len(), 3);
        assert!(matches!(items[0].kind, Kind::Record(_)));
        assert!(matches!(items[1].kind, Kind::Foreign));
        assert_eq!(items[0].line, GOOD.as_bytes());
        assert_eq!(items[2].line, GOOD.as_bytes());
    }

    #[test]
    fn the_first_bad_value_is_named_by_its_line() {
        let bad = GOOD.replace("\"pid\":42", "\"pid\":\"42\"");
        let body = format!("{GOOD}\n\n{bad}\n{{");
        let refused = parse(body.as_bytes(), true).expect_err("refused");
        assert_eq!(refused.line, 3, "{refused}");
        assert!(refused.why.contains("`pid`"), "{refused}");
        for (field, value) in [
            (
                "\"id\":\"6f1c2b9e-3a4d-4e5f-8a7b-1c2d3e4f5a6b\"",
                "\"id\":\"x\"",
            ),
            ("\"level\":\"info\"", "\"level\":\"INFO\""),
            ("\"log_type\":\"web\"", "\"log_type\":\"system\""),
            (
                "\"created_at\":\"2026-11-22T04:30:00.123456Z\"",
                "\"created_at\":\"2026-11-22 04:30:00\"",
            ),
            ("\"hostname\":\"web-1\",", ""),
        ] {
            let bad = GOOD.replace(field, value);
            assert!(parse(bad.as_bytes(), true).is_err(), "{bad} was accepted");
        }
        let truncated = parse(format!("{GOOD}\n{{\"a\":").as_bytes(), true).expect_err("refused");
        assert_eq!(truncated.line, 2);
    }

    #[test]
    fn a_value_on_several_lines_becomes_one_line_with_its_strings_intact() {
        let body = "{\n  \"a\": \"x y\\\" z\",\n  \"b\": [1, 2]\n}\n";
        let items = parse(body.as_bytes(), false).expect("parsed");
        assert_eq!(items[0].line, br#"{"a":"x y\" z","b":[1,2]}"#);
    }
}

//! `logward emit`: the shell's way into the runtime, like `logger`.
//!
//! ```text
//! logward emit --log-type audit --level warning action=login_attempt access_granted:=false client_ip=10.0.0.7
//! ```
//!
//! `key=value` sets a string field, `key:=json` a field with a JSON value
//! (number, boolean, array, object). With `--stdin`, each input line is a
//! JSON object whose members become the fields of one record. A line that
//! is none (not UTF-8, not JSON, not an object, over 16 MiB) is refused
//! with its number and the reason, and the next line is read; at the end a
//! summary tells how many records were written and lines refused, and the
//! exit code is 2 if any line was refused:
//!
//! ```text
//! logward: stdin line 2: not valid JSON (expected value at line 1 column 1); line refused
//! logward: stdin line 4: not UTF-8 (invalid byte at column 7); line refused
//! logward: stdin: 3 records written, 2 lines refused
//! ```
//!
//! A sink that failed while the records were written (a full disk) is named
//! on stderr with where its records went instead; they are written, so the
//! exit code stays 0.
//!
//! Every record also names who wrote it: `os_user` (the process's real
//! user), `os_uid` and, when set, `sudo_user` (`SUDO_USER`), after the
//! given fields. The caller cannot set them: a field of one of these names
//! (or `identifier`, with `-t`) is refused, on the command line as a usage
//! error, on `--stdin` as a refused line. `-t TAG` (like
//! `logger -t`) sets the record's identifier: journald's
//! `SYSLOG_IDENTIFIER` and the record's own `identifier` field (so that
//! file records carry it too); without it neither changes (the identifier
//! is `LOG_SYSLOG_IDENTIFIER`, else `logward`, and the record has no
//! `identifier`):
//!
//! ```text
//! logward emit -t backup --log-type application --level info --message "backup done"
//! {"id":"…","created_at":"…","hostname":"db1","level":"info","log_type":"application","pid":4711,"identifier":"backup","os_user":"root","os_uid":0,"sudo_user":"alice","message":"backup done"}
//! ```
//!
//! Only the sink of the emitted log type is opened: emitting an audit record
//! creates no directory or file of the other types.
//!
//! For tests only, `IT_LOGWARD_NOW=<microseconds since the epoch>` stands
//! the clock still at that moment (records' `created_at` and the file
//! sink's rotation), so that a test can run real `logward emit` processes
//! on both sides of a midnight; a warning on stderr says it is in effect.

use std::io::{self, BufRead};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use logward::{Guard, Level, LogType, Logward, ManualClock};
use logward_cli::{LineReader, LineStatus, MAX_LINE, invoker_fields};
use serde_json::Value;

use super::{EmitArgs, UsageError, out};

/// Emits the record(s) and shuts the runtime down, so that everything is
/// written before the process exits.
pub fn run(args: EmitArgs, config: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let pairs = if args.stdin {
        None
    } else {
        Some(parse_pairs(&args.fields, args.message)?)
    };
    let mut extra: Vec<(String, Value)> = Vec::new();
    if let Some(tag) = &args.tag {
        if tag.is_empty() || tag.chars().any(char::is_control) {
            return Err(UsageError(format!(
                "-t {tag:?}: empty or containing control characters; allowed: a name such as backup"
            ))
            .into());
        }
        extra.push(("identifier".to_string(), Value::String(tag.clone())));
    }
    extra.extend(
        invoker_fields()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    );
    let pairs = match pairs {
        Some(mut pairs) => {
            add_fields(&mut pairs.fields, &extra).map_err(UsageError)?;
            Some(pairs)
        }
        None => None,
    };
    let mut builder = Logward::builder()
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .with_log_types(&[args.log_type]);
    if let Some(micros) = test_clock()? {
        eprintln!("logward: warning: the clock is set by {TEST_CLOCK_VAR} (for tests only)");
        builder = builder.with_clock(ManualClock::new(micros));
    }
    if let Some(path) = config {
        builder = builder.with_config_path(path);
    }
    if let Some(tag) = args.tag {
        builder = builder.with_syslog_identifier(tag);
    }
    let logward = builder.build()?;
    let (_layer, guard) = logward.into_parts::<tracing_subscriber::Registry>();
    let below_level = || {
        format!(
            "logward: note: {} records below the configured level for {} are not written",
            args.level, args.log_type
        )
    };
    let result = match pairs {
        Some(pairs) => {
            if !guard.emit(
                args.log_type,
                args.level,
                &pairs.fields,
                pairs.message.as_deref(),
            ) {
                out::stderr(&below_level());
            }
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let stdin = io::stdin();
            let record = Kind {
                log_type: args.log_type,
                level: args.level,
                extra: &extra,
            };
            emit_lines(&guard, &record, stdin.lock()).map(|counts| {
                if counts.below_level > 0 {
                    out::stderr(&below_level());
                }
                out::stderr(&format!(
                    "logward: stdin: {} records written, {} lines refused",
                    counts.written, counts.refused
                ));
                if counts.refused > 0 {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                }
            })
        }
    };
    guard.flush();
    report_failovers(&guard);
    drop(guard);
    result
}

/// Says on stderr which sink failed while the records were written and
/// where its records went instead.
fn report_failovers(guard: &Guard) {
    for sink in guard.sink_stats() {
        let stats = sink.stats;
        if stats.rerouted > 0 {
            out::stderr(&format!(
                "logward: warning: {} failed; {} records went to {} instead (a sink_failed \
                 record there says why)",
                sink.sink, stats.rerouted, sink.fallback
            ));
        }
        if stats.lost > 0 {
            out::stderr(&format!(
                "logward: error: {} records reached neither {} nor {}",
                stats.lost, sink.sink, sink.fallback
            ));
        }
    }
}

/// The test-only clock override (see the module doc). Not `LOGWARD_*`:
/// those are configuration overrides.
const TEST_CLOCK_VAR: &str = "IT_LOGWARD_NOW";

/// The moment [`TEST_CLOCK_VAR`] sets, if it is set.
fn test_clock() -> Result<Option<i64>, UsageError> {
    let Some(value) = std::env::var_os(TEST_CLOCK_VAR) else {
        return Ok(None);
    };
    value
        .to_str()
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            UsageError(format!(
                "{TEST_CLOCK_VAR}={value:?}: not a number; allowed: microseconds since 1970-01-01 UTC"
            ))
        })
}

/// One record's fields and message, parsed from the command line.
#[derive(Debug, PartialEq)]
pub struct Pairs {
    pub fields: Vec<(String, Value)>,
    pub message: Option<String>,
}

/// Parses `key=value` and `key:=json` arguments. A `message` key sets the
/// message; `--message` wins over it.
pub fn parse_pairs(args: &[String], message: Option<String>) -> Result<Pairs, UsageError> {
    let pairs = args
        .iter()
        .map(|arg| parse_pair(arg))
        .collect::<Result<Vec<_>, _>>()?;
    let mut pairs = split_message(pairs);
    pairs.message = message.or(pairs.message);
    Ok(pairs)
}

/// Separates the `message` member (its text, or its JSON for another
/// value) from the other fields.
fn split_message(members: impl IntoIterator<Item = (String, Value)>) -> Pairs {
    let mut message = None;
    let mut fields = Vec::new();
    for (key, value) in members {
        if key == "message" {
            message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            fields.push((key, value));
        }
    }
    Pairs { fields, message }
}

fn parse_pair(arg: &str) -> Result<(String, Value), UsageError> {
    let Some(eq) = arg.find('=') else {
        return Err(UsageError(format!(
            "field {arg:?} has no value: write key=value (a string) or key:=json (any JSON value)"
        )));
    };
    let (key, json) = match arg[..eq].strip_suffix(':') {
        Some(key) => (key, true),
        None => (&arg[..eq], false),
    };
    if key.is_empty() {
        return Err(UsageError(format!(
            "field {arg:?} has an empty key: write key=value or key:=json"
        )));
    }
    let raw = &arg[eq + 1..];
    let value = if json {
        serde_json::from_str(raw).map_err(|e| {
            UsageError(format!(
                "field {key:?}: {raw:?} is not valid JSON ({e}); use key=value for a plain string"
            ))
        })?
    } else {
        Value::String(raw.to_string())
    };
    Ok((key.to_string(), value))
}

/// The fields naming who emitted a record, set by the command only.
const INVOKER_KEYS: [&str; 3] = ["os_user", "os_uid", "sudo_user"];

/// Appends the command's own `extra` fields to `fields`.
///
/// # Errors
///
/// What is wrong when `fields` has a field of one of the command's own
/// names ([`INVOKER_KEYS`], `identifier` with `-t`); nothing is appended.
fn add_fields(fields: &mut Vec<(String, Value)>, extra: &[(String, Value)]) -> Result<(), String> {
    if let Some((key, _)) = fields.iter().find(|(key, _)| {
        INVOKER_KEYS.contains(&key.as_str()) || extra.iter().any(|(own, _)| own == key)
    }) {
        let by = if key == "identifier" {
            "-t"
        } else {
            "logward emit from the process's user"
        };
        return Err(format!(
            "field {key:?} is set by {by}; allowed: another name"
        ));
    }
    fields.extend(extra.iter().cloned());
    Ok(())
}

/// What `--stdin` did with its lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LineCounts {
    /// Records written.
    pub written: u64,
    /// Records not written because their level is below the configured one.
    pub below_level: u64,
    /// Lines refused (each reported on stderr with its number).
    pub refused: u64,
}

/// What every record of `--stdin` is: its type, its level, and the fields
/// added after each line's own.
pub struct Kind<'a> {
    pub log_type: LogType,
    pub level: Level,
    pub extra: &'a [(String, Value)],
}

/// Emits one record per JSON object line of `input`, skipping blank lines.
/// A line that is not a JSON object is reported on stderr with its number
/// and the reason, and reading goes on.
///
/// # Errors
///
/// Only when `input` cannot be read; the records before are written.
pub fn emit_lines(
    guard: &Guard,
    kind: &Kind<'_>,
    input: impl BufRead,
) -> anyhow::Result<LineCounts> {
    let mut counts = LineCounts::default();
    let mut lines = LineReader::new(input, MAX_LINE);
    let mut number = 0u64;
    loop {
        let status = lines.advance().context("cannot read standard input")?;
        number += 1;
        let object = match status {
            LineStatus::End => return Ok(counts),
            LineStatus::TooLong => Err(format!("longer than {MAX_LINE} bytes")),
            LineStatus::Line => parse_line(lines.line()),
        };
        match object {
            Ok(None) => {}
            Ok(Some(object)) => {
                let Pairs {
                    mut fields,
                    message,
                } = split_message(object);
                match add_fields(&mut fields, kind.extra) {
                    Ok(())
                        if guard.emit(kind.log_type, kind.level, &fields, message.as_deref()) =>
                    {
                        counts.written += 1;
                    }
                    Ok(()) => counts.below_level += 1,
                    Err(reason) => {
                        counts.refused += 1;
                        out::stderr(&format!(
                            "logward: stdin line {number}: {reason}; line refused"
                        ));
                    }
                }
            }
            Err(reason) => {
                counts.refused += 1;
                out::stderr(&format!(
                    "logward: stdin line {number}: {reason}; line refused"
                ));
            }
        }
    }
}

/// The JSON object a line holds; `None` for a blank line, else why it is
/// none.
fn parse_line(line: &[u8]) -> Result<Option<serde_json::Map<String, Value>>, String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = std::str::from_utf8(line).map_err(|e| {
        format!(
            "not UTF-8 (invalid byte at column {}); allowed: a JSON object in UTF-8",
            e.valid_up_to() + 1
        )
    })?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err("expected a JSON object of fields, got another JSON value".to_string()),
        Err(e) => Err(format!("not valid JSON ({e})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_strings_and_json_values() {
        let pairs = parse_pairs(
            &strings(&["a=1", "b:=1", "c:={\"x\":[true]}", "d=x=y", "message=hi"]),
            None,
        )
        .expect("valid");
        assert_eq!(
            pairs.fields,
            vec![
                ("a".to_string(), json!("1")),
                ("b".to_string(), json!(1)),
                ("c".to_string(), json!({"x": [true]})),
                ("d".to_string(), json!("x=y")),
            ]
        );
        assert_eq!(pairs.message.as_deref(), Some("hi"));
        let flag = parse_pairs(&strings(&["message=hi"]), Some("flag".into())).expect("valid");
        assert_eq!(flag.message.as_deref(), Some("flag"));
    }

    #[test]
    fn refuses_bad_pairs_with_what_is_allowed() {
        let err = parse_pairs(&strings(&["novalue"]), None).unwrap_err();
        assert!(
            err.0.contains("\"novalue\" has no value: write key=value"),
            "{}",
            err.0
        );
        let err = parse_pairs(&strings(&["=x"]), None).unwrap_err();
        assert!(err.0.contains("empty key"), "{}", err.0);
        let err = parse_pairs(&strings(&["n:={oops"]), None).unwrap_err();
        assert!(
            err.0.contains("field \"n\": \"{oops\" is not valid JSON"),
            "{}",
            err.0
        );
    }
}

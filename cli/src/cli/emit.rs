//! `logward emit`: the shell's way into the runtime, like `logger`.
//!
//! ```text
//! logward emit --log-type audit --level warning action=login_attempt access_granted:=false client_ip=10.0.0.7
//! ```
//!
//! `key=value` sets a string field, `key:=json` a field with a JSON value
//! (number, boolean, array, object). With `--stdin`, each input line is a
//! JSON object whose members become the fields of one record.
//!
//! Only the sink of the emitted log type is opened: emitting an audit record
//! creates no directory or file of the other types.
//!
//! For tests only, `IT_LOGWARD_NOW=<microseconds since the epoch>` stands
//! the clock still at that moment (records' `created_at` and the file
//! sink's rotation), so that a test can run real `logward emit` processes
//! on both sides of a midnight; a warning on stderr says it is in effect.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use logward::{Guard, Level, LogType, Logward, ManualClock};
use serde_json::Value;

use super::{EmitArgs, UsageError};

/// Emits the record(s) and shuts the runtime down, so that everything is
/// written before the process exits.
pub fn run(args: EmitArgs, config: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let pairs = if args.stdin {
        None
    } else {
        Some(parse_pairs(&args.fields, args.message)?)
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
    let logward = builder.build()?;
    let (_layer, guard) = logward.into_parts::<tracing_subscriber::Registry>();
    let result = match pairs {
        Some(pairs) => {
            if !guard.emit(
                args.log_type,
                args.level,
                &pairs.fields,
                pairs.message.as_deref(),
            ) {
                eprintln!(
                    "logward: note: {} records below the configured level for {} are not written",
                    args.level, args.log_type
                );
            }
            Ok(())
        }
        None => {
            let stdin = std::io::stdin();
            emit_lines(&guard, args.log_type, args.level, stdin.lock()).map(|_| ())
        }
    };
    drop(guard);
    result.map(|()| ExitCode::SUCCESS)
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

/// Emits one record per JSON object line of `input`; returns how many were
/// written, or a usage error naming the first bad line (records before it
/// are already written).
pub fn emit_lines(
    guard: &Guard,
    log_type: LogType,
    level: Level,
    input: impl BufRead,
) -> anyhow::Result<u64> {
    let mut n = 0;
    for (i, line) in input.lines().enumerate() {
        let line = line.context("cannot read standard input")?;
        if line.trim().is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<Value>(&line) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(UsageError(format!(
                    "stdin line {}: expected a JSON object of fields, got another JSON value",
                    i + 1
                ))
                .into());
            }
            Err(e) => {
                return Err(
                    UsageError(format!("stdin line {}: not valid JSON ({e})", i + 1)).into(),
                );
            }
        };
        let Pairs { fields, message } = split_message(object);
        if guard.emit(log_type, level, &fields, message.as_deref()) {
            n += 1;
        }
    }
    Ok(n)
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

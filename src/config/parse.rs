//! The reader for configuration files: `KEY=VALUE` lines.
//!
//! The format is the one systemd's `EnvironmentFile=` reads, so one file can
//! configure both logward and the unit that runs the service:
//!
//! ```text
//! # comment lines and blank lines are ignored
//! LOG_LEVEL=info
//! LOG_FILE = "/var/log/shop/app.log"
//! LOG_FILE_AUDIT='/var/log/shop/audit.log'
//! ```
//!
//! Surrounding whitespace is trimmed from keys and values, and one pair of
//! matching single or double quotes around a value is removed. Everything else
//! is literal: there is no `$VAR` expansion, no escapes, no line continuation,
//! and a `#` after a value is part of the value. A key is letters, digits and
//! `_`, not starting with a digit. When a key appears twice the last value
//! wins, with a warning.
//!
//! This parser is written here rather than taken from a dotenv crate because
//! every value must keep its line number for error messages, and dotenv
//! readers expand `$VAR`, which an `EnvironmentFile=` does not.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, ConfigErrorKind, Diagnostics, Origin};

/// One `KEY=VALUE` line's value and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The value, trimmed and unquoted.
    pub(crate) value: String,
    /// The 1-based line number of the last line that set the key.
    pub(crate) line: usize,
}

/// A parsed configuration file: its path and its keys, last value winning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedFile {
    /// The path the file was read from, used in every message about it.
    pub(crate) path: PathBuf,
    /// Each key's final value.
    pub(crate) entries: BTreeMap<String, Entry>,
}

/// Parses `text`, read from `path`; bad lines become errors and repeated keys
/// warnings in `diagnostics`, and parsing continues past both.
pub(crate) fn parse(text: &str, path: &Path, diagnostics: &mut Diagnostics) -> ParsedFile {
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=').map(|(k, v)| (k.trim(), v.trim())) else {
            diagnostics.errors.push(syntax_error(path, line, trimmed));
            continue;
        };
        if !is_key(key) {
            diagnostics.errors.push(syntax_error(path, line, trimmed));
            continue;
        }
        let entry = Entry {
            value: unquote(value).to_string(),
            line,
        };
        if let Some(previous) = entries.insert(key.to_string(), entry) {
            let origin = Origin::line(path, line);
            diagnostics.warn(
                &origin,
                format!(
                    "{origin}: {key} is set again (first set on line {}); the last value applies",
                    previous.line
                ),
            );
        }
    }
    ParsedFile {
        path: path.to_path_buf(),
        entries,
    }
}

fn syntax_error(path: &Path, line: usize, text: &str) -> ConfigError {
    ConfigError::new(
        ConfigErrorKind::Syntax,
        format!(
            "{text:?} is not a KEY=VALUE line; allowed: KEY=VALUE with a KEY of letters, \
             digits and '_' (not starting with a digit), a comment starting with '#', \
             or a blank line"
        ),
    )
    .with_origin(Origin::line(path, line))
}

/// Whether `key` is a shell variable name, as `EnvironmentFile=` requires.
fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Removes one pair of matching quotes around `value`, if present.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> (ParsedFile, Diagnostics) {
        let mut diagnostics = Diagnostics::default();
        let file = parse(text, Path::new("/etc/logward/config"), &mut diagnostics);
        (file, diagnostics)
    }

    fn value<'a>(file: &'a ParsedFile, key: &str) -> Option<&'a str> {
        file.entries.get(key).map(|e| e.value.as_str())
    }

    #[test]
    fn comments_blank_lines_and_whitespace_are_skipped_and_lines_counted() {
        let (file, diagnostics) = parse_ok(
            "# logward\n\n   \n  LOG_LEVEL =  debug  \n\t# LOG_FILE=/x\nLOG_FILE=/var/log/a.log\n",
        );
        assert!(diagnostics.errors.is_empty());
        assert_eq!(file.entries.len(), 2);
        assert_eq!(
            file.entries.get("LOG_LEVEL"),
            Some(&Entry {
                value: "debug".into(),
                line: 4
            })
        );
        assert_eq!(file.entries.get("LOG_FILE").map(|e| e.line), Some(6));
    }

    #[test]
    fn matching_quotes_are_removed_and_everything_else_is_literal() {
        let (file, _) = parse_ok(concat!(
            "A=\"/var/log/my app.log\"\n",
            "B='single'\n",
            "C=\"mismatched'\n",
            "D=$HOME/logs\n",
            "E=\"${HOME}\"\n",
            "F=info # trailing\n",
            "G=\"\"\n",
            "H=a=b\n",
            "I=\"\n",
        ));
        assert_eq!(value(&file, "A"), Some("/var/log/my app.log"));
        assert_eq!(value(&file, "B"), Some("single"));
        assert_eq!(value(&file, "C"), Some("\"mismatched'"));
        assert_eq!(value(&file, "D"), Some("$HOME/logs"));
        assert_eq!(value(&file, "E"), Some("${HOME}"));
        assert_eq!(value(&file, "F"), Some("info # trailing"));
        assert_eq!(value(&file, "G"), Some(""));
        assert_eq!(value(&file, "H"), Some("a=b"));
        assert_eq!(value(&file, "I"), Some("\""));
    }

    #[test]
    fn a_line_without_key_value_is_an_error_naming_file_and_line() {
        let (file, diagnostics) = parse_ok("LOG_LEVEL=info\nLOG_FILE /var/log/a\n=x\n9A=b\n");
        assert_eq!(file.entries.len(), 1);
        let messages: Vec<String> = diagnostics.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 3);
        assert!(
            messages[0].starts_with(
                "/etc/logward/config:2: \"LOG_FILE /var/log/a\" is not a KEY=VALUE line; allowed: KEY=VALUE"
            ),
            "{}",
            messages[0]
        );
        assert!(messages[1].starts_with("/etc/logward/config:3: \"=x\""));
        assert!(messages[2].starts_with("/etc/logward/config:4: \"9A=b\""));
    }

    #[test]
    fn a_repeated_key_keeps_the_last_value_and_warns() {
        let (file, diagnostics) = parse_ok("LOG_LEVEL=info\nLOG_LEVEL=debug\n");
        assert_eq!(value(&file, "LOG_LEVEL"), Some("debug"));
        assert_eq!(
            diagnostics.into_warnings(),
            vec![
                "/etc/logward/config:2: LOG_LEVEL is set again (first set on line 1); \
                 the last value applies"
                    .to_string()
            ]
        );
    }
}

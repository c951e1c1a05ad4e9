//! `logward config check`: the effective routing, the exports, the
//! fingerprint, where each value came from, and what a start would create.
//!
//! The check creates nothing. An invalid configuration (exports included)
//! is exit code 2; a valid one whose file sink cannot be used (a directory
//! that cannot be created, a file another user owns, a symbolic link) is
//! exit code 1, with one "cannot use" line per sink on stderr; with
//! `--strict`, so is an unknown key (for `ExecStartPre=`, so that a typo
//! stops the start instead of being ignored).
//!
//! The settings table lists every key set, with its value and where it
//! came from, then each library key not set at all, with its default:
//!
//! ```text
//! KEY                    VALUE                   FROM
//! LOG_FILE_AUDIT         /var/log/shop/audit.log /etc/logward/config:2
//! LOG_LEVEL              debug                   environment variable LOGWARD_LOG_LEVEL
//! LOG_ROTATE_DAILY       false                   default
//! ```
//!
//! Secrets never show: the value of an unknown key (a password put where
//! none belongs) and of any key naming a password, token or secret is
//! replaced by `(not shown)`, and the user and password of a URL by `***`.
//!
//! With `--connect`, every enabled Kafka export's brokers are tried: the
//! connection, the TLS handshake and the topic's metadata, each failure
//! said with what was trusted and presented (exit code 1). HTTPS exports
//! are not contacted.

use std::path::Path;
use std::process::ExitCode;

use logward::{Config, ConfigKey};

use super::out;

/// Prefixes of the tool's keys, which the library leaves to the tool.
const TOOL_PREFIXES: [&str; 2] = ["EXPORT_", "RECEIVE_"];

/// Loads and validates the configuration, prints the routing table and
/// the settings, and checks (without creating anything) that every file
/// sink can be used; `strict` makes unknown keys errors, `connect` tries
/// every enabled Kafka export's brokers.
pub fn run(path: Option<&Path>, strict: bool, connect: bool) -> anyhow::Result<ExitCode> {
    let config = Config::load(path)?;
    for warning in config.warnings() {
        out::stderr(&format!("logward: warning: {warning}"));
    }
    let exports = logward_cli::ship::Exports::from_config(&config)?;
    for warning in &exports.warnings {
        out::stderr(&format!("logward: warning: {warning}"));
    }
    let source = match config.source() {
        Some(source) => source.display().to_string(),
        None => "built-in default (no file)".to_string(),
    };
    let mut text = format!(
        "configuration: {source}\nfingerprint:   {}\n\n{}",
        config.fingerprint(),
        config.render_table()
    );
    if let Some(table) = exports.render_table() {
        text.push('\n');
        text.push_str(&table);
    }
    text.push('\n');
    text.push_str(&settings_table(&config));
    let mut failed = connect && !try_connect(&exports, &mut text);
    match config.check_writable() {
        Ok(created) => {
            text.push('\n');
            if created.directories.is_empty() && created.files.is_empty() {
                text.push_str("a start creates no file or directory\n");
            }
            for dir in &created.directories {
                text.push_str(&format!(
                    "a start would create directory {} (mode 0750)\n",
                    dir.display()
                ));
            }
            for file in &created.files {
                text.push_str(&format!(
                    "a start would create file      {} (mode 0640)\n",
                    file.display()
                ));
            }
            out::stdout(text.as_bytes())?;
        }
        Err(problems) => {
            out::stdout(text.as_bytes())?;
            for problem in problems.errors() {
                out::stderr(&format!("logward: cannot use a file sink: {problem}"));
            }
            failed = true;
        }
    }
    if strict {
        let mut unknown: Vec<String> = config
            .settings()
            .iter()
            .filter(|s| !is_known(&s.key))
            .map(|s| format!("{}: {}: unknown key", s.origin, s.key))
            .collect();
        unknown.extend(exports.warnings.iter().cloned());
        for problem in &unknown {
            out::stderr(&format!("logward: error (--strict): {problem}"));
        }
        failed |= !unknown.is_empty();
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether `key` is the library's or left to the tool's validation.
fn is_known(key: &str) -> bool {
    ConfigKey::is_known(key) || TOOL_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// Every key set with its value and origin, then each library key not set
/// in any form, with its default; under a header line.
fn settings_table(config: &Config) -> String {
    let mut rows: Vec<[String; 3]> = vec![["KEY", "VALUE", "FROM"].map(String::from)];
    for setting in config.settings() {
        rows.push([
            setting.key.clone(),
            shown(&setting.key, &setting.value),
            setting.origin.to_string(),
        ]);
    }
    for key in ConfigKey::all() {
        let names = key.names();
        if !config.settings().iter().any(|s| names.contains(&s.key)) {
            rows.push([
                key.name.to_string(),
                key.default.to_string(),
                "default".to_string(),
            ]);
        }
    }
    let mut widths = [0; 3];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut table = String::new();
    for row in &rows {
        let line = format!(
            "{:<w0$}  {:<w1$}  {}",
            row[0],
            row[1],
            row[2],
            w0 = widths[0],
            w1 = widths[1]
        );
        table.push_str(line.trim_end());
        table.push('\n');
    }
    table
}

/// `value` as the table shows it: hidden when it may be a secret, a URL
/// without its user and password.
fn shown(key: &str, value: &str) -> String {
    let secret = ["PASSWORD", "TOKEN", "SECRET"]
        .iter()
        .any(|word| key.contains(word))
        && !key.ends_with("_FILE");
    if secret || !is_known(key) {
        return "(not shown)".to_string();
    }
    match value.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
                None => value.to_string(),
            }
        }
        None => value.to_string(),
    }
}

/// Tries every enabled Kafka export, a line each in `text`; whether all
/// were reached.
fn try_connect(exports: &logward_cli::ship::Exports, text: &mut String) -> bool {
    let mut all = true;
    text.push('\n');
    for export in exports.enabled() {
        let logward_cli::ship::Target::Kafka(kafka) = &export.destination else {
            continue;
        };
        let probe =
            logward_cli::kafka::probe(&kafka.brokers, &kafka.tls, &kafka.topic, CONNECT_TIMEOUT);
        match probe {
            Ok(partitions) => text.push_str(&format!(
                "connect: export {}: reached {}, topic {} has {partitions} partitions\n",
                export.name, kafka.brokers, kafka.topic
            )),
            Err(e) => {
                all = false;
                out::stderr(&format!("logward: connect: export {}: {e:#}", export.name));
            }
        }
    }
    all
}

/// How long `--connect` waits for an export's brokers.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_unknown_values_are_not_shown() {
        assert_eq!(shown("EXPORT_A_KEY_PASSWORD", "hunter2"), "(not shown)");
        assert_eq!(shown("EXPORT_A_TOKEN", "abc"), "(not shown)");
        assert_eq!(shown("LOG_PASWORD", "abc"), "(not shown)");
        assert_eq!(
            shown("EXPORT_A_KEY_PASSWORD_FILE", "/etc/logward/a.pass"),
            "/etc/logward/a.pass"
        );
        assert_eq!(
            shown(
                "EXPORT_A_URL",
                "https://bob:hunter2@siem.example:8088/in?x=@"
            ),
            "https://***@siem.example:8088/in?x=@"
        );
        assert_eq!(shown("LOG_LEVEL", "info"), "info");
    }
}

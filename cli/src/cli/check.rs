//! `logward config check`: the effective routing, the exports, the
//! fingerprint, and what a start would create.
//!
//! The check creates nothing. An invalid configuration (exports included)
//! is exit code 2; a valid one whose file sink cannot be used (a directory
//! that cannot be created, a file another user owns, a symbolic link) is
//! exit code 1, with one "cannot use" line per sink on stderr.
//!
//! With `--connect`, every enabled Kafka export's brokers are tried: the
//! connection, the TLS handshake and the topic's metadata, each failure
//! said with what was trusted and presented (exit code 1). HTTPS exports
//! are not contacted.

use std::path::Path;
use std::process::ExitCode;

use logward::Config;

use super::out;

/// Loads and validates the configuration, prints the routing table, and
/// checks (without creating anything) that every file sink can be used.
pub fn run(path: Option<&Path>, connect: bool) -> anyhow::Result<ExitCode> {
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
    let reached = !connect || try_connect(&exports, &mut text);
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
            Ok(if reached {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Err(problems) => {
            out::stdout(text.as_bytes())?;
            for problem in problems.errors() {
                out::stderr(&format!("logward: cannot use a file sink: {problem}"));
            }
            Ok(ExitCode::from(1))
        }
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

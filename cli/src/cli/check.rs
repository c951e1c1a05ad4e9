//! `logward config check`: the effective routing, the exports, the
//! fingerprint, and what a start would create.
//!
//! The check creates nothing. An invalid configuration (exports included)
//! is exit code 2; a valid one whose file sink cannot be used (a directory
//! that cannot be created, a file another user owns, a symbolic link) is
//! exit code 1, with one "cannot use" line per sink on stderr.

use std::path::Path;
use std::process::ExitCode;

use logward::Config;

use super::out;

/// Loads and validates the configuration, prints the routing table, and
/// checks (without creating anything) that every file sink can be used.
pub fn run(path: Option<&Path>) -> anyhow::Result<ExitCode> {
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
            Ok(ExitCode::SUCCESS)
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

//! `logward config check`: the effective routing, the exports and the
//! fingerprint.

use std::path::Path;
use std::process::ExitCode;

use logward::Config;

use super::out;

/// Loads and validates the configuration (including that its log
/// directories are writable) and prints the routing table.
pub fn run(path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = Config::load(path)?;
    for warning in config.warnings() {
        out::stderr(&format!("logward: warning: {warning}"));
    }
    config.check_writable().map_err(logward::Error::from)?;
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
    out::stdout(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

//! `logward config check`: the effective routing, the exports and the
//! fingerprint.

use std::path::Path;
use std::process::ExitCode;

use logward::Config;

/// Loads and validates the configuration (including that its log
/// directories are writable) and prints the routing table.
pub fn run(path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = Config::load(path)?;
    for warning in config.warnings() {
        eprintln!("logward: warning: {warning}");
    }
    config.check_writable().map_err(logward::Error::from)?;
    let exports = logward_cli::ship::Exports::from_config(&config)?;
    for warning in &exports.warnings {
        eprintln!("logward: warning: {warning}");
    }
    match config.source() {
        Some(source) => println!("configuration: {}", source.display()),
        None => println!("configuration: built-in default (no file)"),
    }
    println!("fingerprint:   {}", config.fingerprint());
    println!();
    print!("{}", config.render_table());
    if let Some(table) = exports.render_table() {
        println!();
        print!("{table}");
    }
    Ok(ExitCode::SUCCESS)
}

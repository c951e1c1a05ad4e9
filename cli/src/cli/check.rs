//! `logward config check`: the effective routing and the fingerprint.

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
    match config.source() {
        Some(source) => println!("configuration: {}", source.display()),
        None => println!("configuration: built-in default (no file)"),
    }
    println!("fingerprint:   {}", config.fingerprint());
    println!();
    print!("{}", config.render_table());
    Ok(ExitCode::SUCCESS)
}

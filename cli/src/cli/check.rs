//! `logward config check`: the effective routing, the fingerprint, and what
//! a start would create.
//!
//! The check creates nothing. An invalid configuration is exit code 2; a
//! valid one whose file sink cannot be used (a directory that cannot be
//! created, a file another user owns, a symbolic link) is exit code 1, with
//! one "cannot use" line per sink on stderr.

use std::path::Path;
use std::process::ExitCode;

use logward::Config;

/// Loads and validates the configuration, prints the routing table, and
/// checks (without creating anything) that every file sink can be used.
pub fn run(path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = Config::load(path)?;
    for warning in config.warnings() {
        eprintln!("logward: warning: {warning}");
    }
    match config.source() {
        Some(source) => println!("configuration: {}", source.display()),
        None => println!("configuration: built-in default (no file)"),
    }
    println!("fingerprint:   {}", config.fingerprint());
    println!();
    print!("{}", config.render_table());
    match config.check_writable() {
        Ok(created) => {
            println!();
            if created.directories.is_empty() && created.files.is_empty() {
                println!("a start creates no file or directory");
            }
            for dir in &created.directories {
                println!(
                    "a start would create directory {} (mode 0750)",
                    dir.display()
                );
            }
            for file in &created.files {
                println!(
                    "a start would create file      {} (mode 0640)",
                    file.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            for problem in problems.errors() {
                eprintln!("logward: cannot use a file sink: {problem}");
            }
            Ok(ExitCode::from(1))
        }
    }
}

//! The `logward` command: a thin shell over the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match cli::run(cli::Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("logward: {error:#}");
            ExitCode::from(cli::exit_code(&error))
        }
    }
}

//! The `logward` command: a thin shell over the library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let result = cli::parse().and_then(cli::run);
    match result {
        Ok(code) => code,
        Err(error) => {
            cli::report(&error);
            ExitCode::from(cli::exit_code(&error))
        }
    }
}

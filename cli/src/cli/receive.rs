//! `logward receive`: the flags, and running the collector.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use logward_cli::{RawReceiveArgs, ReceiveUsageError};

use super::{ReceiveArgs, UsageError, out};

/// Checks the flags and runs the collector until SIGTERM.
pub fn run(args: ReceiveArgs, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let raw = RawReceiveArgs {
        listen: args.listen,
        cert: args.cert,
        key: args.key,
        client_ca: args.client_ca,
        token_file: args.token_file,
        stdout: args.stdout,
        state_dir: args.state_dir,
        max_body: args.max_body,
        dedupe_window: args.dedupe_window,
        timeout: args.timeout,
        config: config.map(PathBuf::from),
    };
    let request = raw
        .check(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .map_err(|ReceiveUsageError(m)| UsageError(m))?;
    logward_cli::receive(&request, |addr| {
        out::stderr(&format!("logward receive: listening on https://{addr}"));
    })?;
    Ok(ExitCode::SUCCESS)
}

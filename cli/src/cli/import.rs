//! `logward import csv`: flags to a validated request, the runtime built
//! from the configuration, the import run, bad rows and a summary on
//! stderr.
//!
//! Exit codes: 0 every row imported, 2 a usage error or at least one row
//! skipped, 1 a runtime failure (a destination refused a batch, gave no
//! answer after every attempt, or the import was interrupted).

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use logward::Logward;
use logward_cli::{ImportRequest, ImportSummary, RawImportArgs};

use super::{ImportCsvArgs, UsageError};

/// Runs the import and reports it.
pub fn run(args: ImportCsvArgs) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let request = ImportRequest::from_raw(
        RawImportArgs {
            input: args.input,
            columns: args.column,
            time_columns: args.time_column,
            time_join: args.time_join,
            time_format: args.time_format,
            time_zone: args.time_zone,
            source: args.source,
            log_type: args.log_type,
            level: args.level,
            no_header: args.no_header,
            follow: args.follow,
            state_dir: args.state_dir,
            post: args.post,
            also_log: args.also_log,
            header_file: args.header_file,
            ca_file: args.ca_file,
            batch: args.batch,
            timeout: args.timeout,
            max_attempts: args.max_attempts,
        },
        &cwd,
        logward_cli::state_dir,
    )
    .map_err(|e| UsageError(e.0))?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot install the signal handlers")?;
    }
    let mut builder = Logward::builder()
        .with_panic_hook(false)
        .with_lifecycle_records(false);
    if let Some(path) = args.config.config {
        builder = builder.with_config_path(path);
    }
    let (_layer, guard) = builder
        .build()?
        .into_parts::<tracing_subscriber::Registry>();
    let result = logward_cli::import(&request, &guard, &stop, &mut |line| {
        eprintln!("logward: {line}");
    });
    drop(guard);
    let summary = result.map_err(|e| match e.downcast::<logward_cli::ImportUsageError>() {
        Ok(usage) => UsageError(usage.0).into(),
        Err(other) => other,
    })?;
    report(&request, &summary);
    Ok(if summary.stopped {
        ExitCode::from(1)
    } else if summary.skipped > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn report(request: &ImportRequest, summary: &ImportSummary) {
    let mut line = format!(
        "logward: imported {} rows, skipped {}",
        summary.imported, summary.skipped
    );
    if let Some(after) = summary.continued_after {
        line.push_str(&format!("; continued after line {after}, imported before"));
    }
    if let Some((log_type, level)) = request.records {
        line.push_str(&format!("; {} {log_type} records", summary.records));
        if summary.below_level > 0 {
            line.push_str(&format!(
                " ({} rows not written: {level} is below the configured level for {log_type})",
                summary.below_level
            ));
        }
    }
    if let Some(post) = &request.post {
        line.push_str(&format!(
            "; {} observations posted to {} in {} requests",
            summary.posted, post.destination, summary.batches
        ));
    }
    if summary.rotations > 0 {
        line.push_str(&format!("; {} rotations followed", summary.rotations));
    }
    if summary.stopped {
        line.push_str("; interrupted: a re-run continues from here");
    }
    eprintln!("{line}");
    if let Some(state) = &summary.state_file {
        eprintln!("logward: position kept in {}", state.display());
    }
}

//! `logward bundle`: logs by date, type and level for support.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use logward::{Config, Level, LogType, Logward};
use logward_cli::{BundleOutput, BundleRequest, BundleSummary, Bundler, RawBundleArgs, WrittenTo};

use super::{BundleArgs, UsageError};

/// Validates the flags, reads every source the configuration routes the
/// selected types to, writes the bundle and records the export as an audit
/// record.
pub fn run(args: BundleArgs) -> anyhow::Result<ExitCode> {
    let request = BundleRequest::from_raw(RawBundleArgs {
        date_from: args.date_from,
        date_to: args.date_to,
        log_type: args.log_type,
        log_level: args.log_level,
        out_file: args.out_file,
        compress: args.compress,
        force: args.force,
    })
    .map_err(|e| UsageError(e.to_string()))?;
    let config = Config::load(args.config.config.as_deref())?;
    let log_files = logward_cli::configured_log_files(&config);
    if let BundleOutput::File { path, .. } = request.output() {
        if let Some(live) = log_files
            .iter()
            .find(|live| logward_cli::is_sink_file(live, path))
        {
            return Err(UsageError(format!(
                "--out-file {:?}: it is a log file, or a rotated file, of the file sink writing \
                 {}; allowed: a path outside the log files (--force does not change this)",
                path.display().to_string(),
                live.display()
            ))
            .into());
        }
    }
    let sources = logward_cli::bundle_sources(&config, request.types())?;
    let effective = format!(
        "source: {}\nfingerprint: {}\n\n{}",
        config.source().map_or_else(
            || "built-in default".to_string(),
            |p| p.display().to_string()
        ),
        config.fingerprint(),
        config.render_table()
    );
    let summary = Bundler::new(sources)
        .with_log_files(log_files)
        .with_config(effective, config.fingerprint())
        .with_progress(std::io::stderr().is_terminal())
        .run(&request)?;
    record_export(config, &request, &summary)?;
    report(&summary);
    Ok(ExitCode::SUCCESS)
}

/// Writes the `logs_exported` audit record through the configured routing.
fn record_export(
    config: Config,
    request: &BundleRequest,
    summary: &BundleSummary,
) -> anyhow::Result<()> {
    let logward = Logward::builder()
        .with_config(config)
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()?;
    let (_layer, guard) = logward.into_parts::<tracing_subscriber::Registry>();
    let fields = logward_cli::export_record(request, summary);
    guard.emit(LogType::Audit, Level::Info, &fields, Some("logs exported"));
    drop(guard);
    Ok(())
}

/// A short summary on stderr when the records went to a file.
fn report(summary: &BundleSummary) {
    let path: Option<&PathBuf> = match &summary.written {
        WrittenTo::File { path } => Some(path),
        WrittenTo::Archive { path, .. } => Some(path),
        _ => None,
    };
    for source in &summary.sources {
        for error in &source.errors {
            eprintln!("logward: warning: {error}");
        }
    }
    if let Some(path) = path {
        let per_type: Vec<String> = summary
            .per_type
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect();
        eprintln!(
            "logward: {} records ({}) written to {}; {} lines skipped",
            summary.records,
            per_type.join(", "),
            path.display(),
            summary.skipped
        );
    }
}

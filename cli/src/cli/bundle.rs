//! `logward bundle`: logs by date, type and level for support.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use logward::sink::JOURNALD_SOCKET;
use logward::{Config, Destination, ErrorKind, Guard, Level, LogType, Logward};
use logward_cli::{BundleOutput, BundleRequest, BundleSummary, Bundler, RawBundleArgs, WrittenTo};

use super::{BundleArgs, UsageError, out};

/// Validates the flags, reads every source the configuration routes the
/// selected types to, writes the bundle and records the export as an audit
/// record.
pub fn run(args: BundleArgs, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let mapping = redaction_mapping(&args)?;
    let request = BundleRequest::from_raw(RawBundleArgs {
        out_file: args.out_file,
        compress: args.compress,
        force: args.force,
        ..args.select.into_raw()
    })
    .map_err(|e| UsageError(e.to_string()))?;
    if request.raw().local && !request.local_applies() {
        return Err(UsageError(LOCAL_UNUSED.to_string()).into());
    }
    let config = Config::load(config)?;
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
    let sources = logward_cli::selected_sources(&config, &request)?;
    let effective = format!(
        "source: {}\nfingerprint: {}\n\n{}",
        config.source().map_or_else(
            || "built-in default".to_string(),
            |p| p.display().to_string()
        ),
        config.fingerprint(),
        config.render_table()
    );
    // The audit trail first: if the export cannot be recorded, nothing is
    // exported.
    let recorder = ExportRecorder::open(config.clone())?;
    let micros_day = |m: i64| logward::Date::from_unix_micros(m);
    let sealed = logward_cli::verify::sealed_logs(
        &config,
        request.types(),
        request.from().map(micros_day),
        request.to().map(|t| micros_day(t - 1)),
    );
    let mut bundler = Bundler::new(sources).with_sealed(sealed);
    if let Some(mapping) = mapping {
        bundler = bundler.with_redaction(mapping);
    }
    let summary = bundler
        .with_log_files(log_files)
        .with_config(effective, config.fingerprint())
        .with_progress(std::io::stderr().is_terminal())
        .run(&request)?;
    recorder.record(&request, &summary)?;
    report(&summary);
    Ok(ExitCode::SUCCESS)
}

/// Why `--local` is refused when no date is read in the local zone.
pub(super) const LOCAL_UNUSED: &str = "--local changes only how --date-from and --date-to are read \
     (YYYY-MM-DD, \"YYYY-MM-DD HH:MM:SS\", today, yesterday), and no date was given in such a form; \
     allowed: --local with such a date, or no --local";

/// Where `--redact` writes its mapping: `<out-file>.redaction.json`. A
/// redacted bundle needs `--compress` (and so `--out-file`), since the
/// mapping must go beside a file, and only the archive is rewritten; an
/// existing mapping file is replaced only with `--force`.
fn redaction_mapping(args: &BundleArgs) -> Result<Option<PathBuf>, UsageError> {
    if !args.redact {
        return Ok(None);
    }
    let Some(out) = args.out_file.as_ref().filter(|_| args.compress) else {
        return Err(UsageError(
            "--redact needs --compress and --out-file: the redacted bundle is a .tar.gz, and \
             its mapping back to the originals is written beside it (never to stdout, never \
             into the bundle)"
                .to_string(),
        ));
    };
    let mut name = out.as_os_str().to_os_string();
    name.push(".redaction.json");
    let mapping = PathBuf::from(name);
    if !args.force && std::fs::symlink_metadata(&mapping).is_ok() {
        return Err(UsageError(format!(
            "--redact: the mapping file {} exists; allowed: --force to replace it, or another \
             --out-file",
            mapping.display()
        )));
    }
    Ok(Some(mapping))
}

/// The runtime that writes the `logs_exported` audit record, opened before
/// the bundle so that a sink that cannot take it stops the export first.
struct ExportRecorder {
    guard: Guard,
}

impl ExportRecorder {
    /// Opens the configured sinks (the audit file is opened for appending)
    /// and, when audit records go to journald, checks that journald is
    /// listening: the export is recorded there, not on stderr.
    fn open(config: Config) -> anyhow::Result<ExportRecorder> {
        let cannot = |why: String| {
            logward::Error::new(
                ErrorKind::Sink,
                format!(
                    "cannot record the export as an audit record, so nothing was exported: {why}"
                ),
            )
        };
        if config.route(LogType::Audit).destination == Destination::Journald
            && !logward::journald_available()
        {
            return Err(cannot(format!(
                "audit records go to journald, and none is listening on {JOURNALD_SOCKET}"
            ))
            .into());
        }
        let logward = Logward::builder()
            .with_config(config)
            .with_panic_hook(false)
            .with_lifecycle_records(false)
            .with_log_types(&[LogType::Audit])
            .build()
            .map_err(|e| cannot(format!("{e:#}")))?;
        let (_layer, guard) = logward.into_parts::<tracing_subscriber::Registry>();
        Ok(ExportRecorder { guard })
    }

    /// Writes the record and waits until it is written; fails when its sink
    /// failed meanwhile and the record went elsewhere.
    fn record(self, request: &BundleRequest, summary: &BundleSummary) -> anyhow::Result<()> {
        let fields = logward_cli::export_record(request, summary);
        self.guard
            .emit(LogType::Audit, Level::Info, &fields, Some("logs exported"));
        self.guard.flush();
        let stats = self.guard.stats();
        drop(self.guard);
        if stats.rerouted > 0 || stats.lost > 0 {
            return Err(logward::Error::new(
                ErrorKind::Sink,
                "the audit sink failed while the export was recorded: the logs_exported \
                 record went to the fallback sink (see the sink_failed record there)",
            )
            .into());
        }
        Ok(())
    }
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
            out::stderr(&format!("logward: warning: {error}"));
        }
    }
    if let Some(path) = path {
        let per_type: Vec<String> = summary
            .per_type
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect();
        out::stderr(&format!(
            "logward: {} records ({}) written to {}; {} lines skipped",
            summary.records,
            per_type.join(", "),
            path.display(),
            summary.skipped
        ));
    }
}

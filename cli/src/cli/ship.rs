//! `logward ship`: the shipping daemon, `--once`, and `ship status`.
//!
//! The shipper's own notices (`export_failing`, `export_recovered`,
//! `export_records_lost`) are critical audit records written through the
//! configured routing, like every other record of the machine.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::{Args, Subcommand};
use logward::{Clock, Config, Level, LogType, Logward, SystemClock};
use logward_cli::ship::{self, Exports, Notice, ShipRequest};

use super::{UsageError, out};

/// Seconds one request may take when `--timeout` is not given.
const DEFAULT_TIMEOUT_SECS: u64 = 30;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ShipArgs {
    #[command(subcommand)]
    command: Option<ShipCommand>,
    #[command(flatten)]
    run: ShipRunArgs,
}

#[derive(Debug, Subcommand)]
enum ShipCommand {
    /// Print every export's health: records and bytes pushed, uploads,
    /// retries by status, dead letters, losses, the last error and success,
    /// and what waits.
    #[command(after_help = "\
Examples:
  logward ship status
  logward ship status --json | jq '.exports[] | {export, lag_records}'")]
    Status(ShipStatusArgs),
}

#[derive(Debug, Args)]
struct ShipRunArgs {
    /// Where positions, health and dead letters are kept [default: $STATE_DIRECTORY, else /var/lib/logward]
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Deliver what is there now and exit: 0 when all of it was delivered
    #[arg(long)]
    once: bool,
    /// Serve the exports' health as Prometheus text at http://ADDR/metrics (e.g. 127.0.0.1:9464)
    #[arg(long, value_name = "ADDR", conflicts_with = "once")]
    metrics: Option<SocketAddr>,
    /// Seconds one request may take before it is retried [default: 30]
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
}

#[derive(Debug, Args)]
struct ShipStatusArgs {
    /// Where the shipper keeps its state [default: $STATE_DIRECTORY, else /var/lib/logward]
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
}

/// Runs `logward ship` or `logward ship status`.
pub fn run(args: ShipArgs, config: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(ShipCommand::Status(status)) => run_status(status, config.as_deref()),
        None => run_ship(args.run, config),
    }
}

fn load(path: Option<&Path>) -> anyhow::Result<(Config, Exports)> {
    let config = Config::load(path)?;
    for warning in config.warnings() {
        out::stderr(&format!("logward: warning: {warning}"));
    }
    let exports = Exports::from_config(&config)?;
    for warning in &exports.warnings {
        out::stderr(&format!("logward: warning: {warning}"));
    }
    Ok((config, exports))
}

fn run_status(args: ShipStatusArgs, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (_, exports) = load(config)?;
    if exports.exports.is_empty() {
        return Err(UsageError(no_export()).into());
    }
    let state_dir = logward_cli::state_dir(args.state_dir.as_deref());
    let healths = ship::read_status(&exports, &state_dir)?;
    let now = SystemClock.now_micros();
    if args.json {
        out::stdout(format!("{}\n", ship::status_json(&healths, now)).as_bytes())?;
    } else {
        out::stdout(ship::status_text(&healths, now).as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn no_export() -> String {
    "no export is configured; add EXPORT_<NAME>_URL=https://HOST/PATH (and the keys of \
     `logward config check`) to the configuration"
        .to_string()
}

fn run_ship(args: ShipRunArgs, config_path: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let timeout = match args.timeout {
        Some(0) => return Err(UsageError("--timeout must be at least 1 second".into()).into()),
        Some(secs) => Duration::from_secs(secs),
        None => Duration::from_secs(DEFAULT_TIMEOUT_SECS),
    };
    let (config, exports) = load(config_path.as_deref())?;
    if exports.enabled().next().is_none() {
        return Err(UsageError(no_export()).into());
    }
    // The shipper writes only its audit notices (export_failing, …).
    let mut builder = Logward::builder()
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .with_log_types(&[LogType::Audit]);
    if let Some(path) = &config_path {
        builder = builder.with_config_path(path);
    }
    let (_layer, guard) = builder
        .build()?
        .into_parts::<tracing_subscriber::Registry>();
    let guard = Arc::new(guard);
    let notify_guard = Arc::clone(&guard);
    let notify: ship::Notify = Arc::new(move |notice: Notice| {
        out::stderr(&format!("logward: {}", notice.message));
        notify_guard.emit(
            LogType::Audit,
            Level::Critical,
            &notice.fields,
            Some(&notice.message),
        );
    });
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let request = ShipRequest {
        state_dir: logward_cli::state_dir(args.state_dir.as_deref()),
        once: args.once,
        timeout,
        metrics: args.metrics,
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let runs = ship::ship(&config, &exports, &request, stop, notify, clock)?;
    drop(guard);
    let mut complete = true;
    for run in &runs {
        if args.once {
            out::stderr(&format!(
                "logward: export {}: {} records delivered, {} refused (dead-lettered), {} lost to pruning",
                run.export, run.records, run.dead_lettered, run.lost_records
            ));
        }
        complete &= run.dead_lettered == 0 && run.lost_files == 0;
    }
    Ok(if complete || !args.once {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

//! `logward verify` and `logward seal init`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use logward::{Config, Date, LogType};
use logward_cli::verify::{self, VerifyRequest};

use super::UsageError;
use super::out;

/// `logward verify`'s flags.
#[derive(Debug, Args)]
pub(super) struct VerifyArgs {
    /// The verification key file `logward seal init --verify-key-out` wrote [default: MACs not checked]
    #[arg(long, value_name = "PATH")]
    verify_key: Option<PathBuf>,
    /// Comma list of audit, web, application, analysis, tanium (any case) [default: all]
    #[arg(long, value_name = "TYPES")]
    log_type: Option<String>,
    /// Only files holding records of this UTC day (YYYY-MM-DD) or later [default: no limit]
    #[arg(long, value_name = "DATE")]
    date_from: Option<String>,
    /// Only files holding records of this UTC day (YYYY-MM-DD) or earlier [default: no limit]
    #[arg(long, value_name = "DATE")]
    date_to: Option<String>,
    /// Verify the seals inside this bundle (.tar.gz) instead of the files on this machine
    #[arg(long, value_name = "PATH", conflicts_with_all = ["log_type", "date_from", "date_to"])]
    bundle: Option<PathBuf>,
}

/// `logward seal`'s commands.
#[derive(Debug, Subcommand)]
pub(super) enum SealCommand {
    /// Start the seal chains of every sealed file (LOG_SEAL=true) and write
    /// the verification key, once, to a new file to take off the machine.
    #[command(after_help = "\
Examples:
  logward seal init --verify-key-out /root/logward-verify.key
  logward verify --verify-key /root/logward-verify.key")]
    Init {
        /// Where the verification key is written (a new file, mode 0600; never replaced)
        #[arg(long, value_name = "PATH", required = true)]
        verify_key_out: PathBuf,
    },
}

fn date(flag: &str, text: Option<&str>) -> Result<Option<Date>, UsageError> {
    text.map(|t| {
        Date::parse(t).ok_or_else(|| {
            UsageError(format!(
                "{flag} {t:?} is not a date; allowed: YYYY-MM-DD (a UTC day)"
            ))
        })
    })
    .transpose()
}

fn types(text: Option<&str>) -> Result<Vec<LogType>, UsageError> {
    let Some(text) = text else {
        return Ok(LogType::ALL.to_vec());
    };
    let mut types = Vec::new();
    for part in text.split(',') {
        let t: LogType = part
            .trim()
            .parse()
            .map_err(|e: logward::ParseLogTypeError| UsageError(format!("--log-type: {e}")))?;
        if !types.contains(&t) {
            types.push(t);
        }
    }
    Ok(types)
}

/// Runs `logward verify`: exit 0 when intact, 1 when not.
pub(super) fn run(args: VerifyArgs, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let from = date("--date-from", args.date_from.as_deref())?;
    let to = date("--date-to", args.date_to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(UsageError(format!("--date-from {f} is after --date-to {t}")).into());
        }
    }
    let types = types(args.log_type.as_deref())?;
    let verify_key = match &args.verify_key {
        Some(path) => Some(verify::read_verify_key(path).map_err(UsageError)?),
        None => None,
    };
    let report = match &args.bundle {
        Some(bundle) => {
            if config.is_some() {
                return Err(UsageError(
                    "--bundle is verified without a configuration; drop --config".to_string(),
                )
                .into());
            }
            verify::verify_bundle(bundle, verify_key.as_ref())
                .with_context(|| format!("cannot verify the bundle {}", bundle.display()))?
        }
        None => {
            let config = Config::load(config)?;
            verify::verify(&VerifyRequest {
                config,
                verify_key,
                types,
                from,
                to,
            })
        }
    };
    out::stdout(report.render().as_bytes())?;
    Ok(if report.intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs `logward seal init`.
pub(super) fn init(out_path: &Path, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = Config::load(config)?;
    match verify::seal_init(&config, out_path) {
        Ok(logs) => {
            let mut text = String::new();
            for log in &logs {
                text.push_str(&format!("sealing started for {}\n", log.display()));
            }
            text.push_str(&format!(
                "verification key written to {}: take it off this machine; `logward verify \
                 --verify-key` needs it\n",
                out_path.display()
            ));
            out::stdout(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Err((2, message)) => Err(UsageError(message).into()),
        Err((_, message)) => Err(anyhow::anyhow!(message)),
    }
}

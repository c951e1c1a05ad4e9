//! `logward show`: the selected records for reading, or followed.

use std::io::{IsTerminal, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use logward::Config;
use logward_cli::BundleRequest;
use logward_cli::show::{self, OutputMode, Style};

use super::bundle::LOCAL_UNUSED;
use super::select::SelectArgs;
use super::{UsageError, out};

/// The flags of `logward show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    #[command(flatten)]
    select: SelectArgs,
    /// Keep printing records as they are written, from every selected source, in created_at order (from --date-from, else from now)
    #[arg(long, short = 'f')]
    follow: bool,
    /// short: created_at level log_type message and fields, one line each; json: the records as written; cat: message and fields only
    #[arg(long, short = 'o', value_enum, value_name = "MODE", default_value_t = Mode::Short)]
    output: Mode,
}

/// `-o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Short,
    Json,
    Cat,
}

/// Validates the flags, then prints (or follows) the records the
/// configuration's sources hold. Writes nothing anywhere but stdout and
/// stderr.
pub(crate) fn run(args: ShowArgs, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let request =
        BundleRequest::from_raw(args.select.into_raw()).map_err(|e| UsageError(e.to_string()))?;
    if args.follow && request.raw().date_to.is_some() {
        return Err(UsageError(
            "--follow with --date-to: following never ends, so it has no last moment; \
             allowed: --follow with --date-from, or --date-to without --follow"
                .to_string(),
        )
        .into());
    }
    if request.raw().local && !request.local_applies() && args.output != Mode::Short {
        return Err(UsageError(format!(
            "{LOCAL_UNUSED}, or -o short, whose times --local shows in the local zone"
        ))
        .into());
    }
    let config = Config::load(config)?;
    let sources = logward_cli::selected_sources(&config, &request)?;
    let stdout = std::io::stdout();
    let style = Style {
        mode: match args.output {
            Mode::Short => OutputMode::Short,
            Mode::Json => OutputMode::Json,
            Mode::Cat => OutputMode::Cat,
        },
        colour: stdout.is_terminal() && colour_allowed(),
        zone: request.zone().cloned(),
    };
    let mut lock = stdout.lock();
    if args.follow {
        let fd = std::io::stdout();
        let hangup = fd.as_fd();
        let result = show::follow(
            &sources,
            &request,
            &style,
            &mut lock,
            Some(hangup),
            &mut |warning| out::stderr(&format!("logward: warning: {warning}")),
        );
        result.map_err(|e| anyhow::Error::new(e).context("cannot write to stdout"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let summary = show::show(&sources, &request, &style, &mut lock)
        .map_err(|e| anyhow::Error::new(e).context("cannot write to stdout"))?;
    let _ = lock.flush();
    if !summary.closed_early {
        for source in &summary.sources {
            for error in &source.errors {
                out::stderr(&format!("logward: warning: {error}"));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Colour unless `NO_COLOR` is set (to anything but the empty string) or
/// the terminal is `dumb`.
fn colour_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

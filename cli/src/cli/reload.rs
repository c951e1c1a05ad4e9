//! `logward config reload --pid PID | --unit UNIT`: sends `SIGHUP` to a
//! running service, which re-reads its configuration when it was built with
//! `Builder::reload_on_sighup`.
//!
//! `--unit` signals the unit's main process, its `MainPID` as `systemctl
//! show` gives it (what `systemctl kill -s HUP --kill-whom=main` does), so
//! that both ways end in the same checked `kill`. The outcome of the reload
//! is the service's audit record, `config_reloaded` or
//! `config_reload_refused`, not this command's exit code: 0 means the
//! signal was delivered.

use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use rustix::io::Errno;
use rustix::process::{Pid, Signal, kill_process};

use super::{ReloadArgs, out};

/// Sends `SIGHUP` to the process `args` names.
pub fn run(args: ReloadArgs) -> anyhow::Result<ExitCode> {
    let (pid, what) = match (args.pid, args.unit) {
        (Some(pid), None) => (pid, format!("pid {pid}")),
        (None, Some(unit)) => {
            let pid = main_pid(&unit)?;
            (pid, format!("pid {pid}, the main process of {unit}"))
        }
        // clap's group allows exactly one.
        _ => bail!("exactly one of --pid and --unit"),
    };
    let target = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .with_context(|| format!("{pid} is no process id"))?;
    kill_process(target, Signal::HUP).map_err(|e| match e {
        Errno::SRCH => anyhow::anyhow!("cannot send SIGHUP to {what}: no such process"),
        Errno::PERM => anyhow::anyhow!(
            "cannot send SIGHUP to {what}: not allowed (run as the service's user or root)"
        ),
        other => anyhow::anyhow!("cannot send SIGHUP to {what}: {other}"),
    })?;
    out::stdout(
        format!(
            "sent SIGHUP to {what}; its config_reloaded or config_reload_refused audit record tells the outcome\n"
        )
        .as_bytes(),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The main process of `unit`, from `systemctl show`.
fn main_pid(unit: &str) -> anyhow::Result<u32> {
    let output = Command::new("systemctl")
        .args(["show", "--property=MainPID", "--value", "--", unit])
        .output()
        .context("cannot run systemctl")?;
    if !output.status.success() {
        bail!(
            "systemctl show {unit} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    match text.trim().parse::<u32>() {
        Ok(0) => bail!("unit {unit} has no main process running"),
        Ok(pid) => Ok(pid),
        Err(_) => bail!("systemctl show {unit} gave no MainPID: {:?}", text.trim()),
    }
}

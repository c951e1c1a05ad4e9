//! Reading records from the systemd journal through `journalctl`.
//!
//! The journald sink sends each record as `MESSAGE` (the JSON line) with the
//! record's keys as fields, so
//!
//! ```text
//! journalctl -o cat --all --no-pager --quiet --since @1795132200 --until @1795393200 \
//!     LOG_TYPE=audit LOG_TYPE=web PRIORITY=3 PRIORITY=2
//! ```
//!
//! prints exactly the JSON lines of audit and web records at error or
//! critical. `journalctl` ORs matches on the same field and ANDs different
//! fields; `PRIORITY=` matches are only given when not every level is wanted.
//!
//! `--since`/`--until` select on the journal's receive time, not on the
//! record's `created_at`; the two differ by the time a record waits in the
//! writer's queue. The window is therefore widened by [`JOURNAL_SLACK_MICROS`]
//! on both sides and every record is checked against the request anyway.
//! The output is read as a stream, line by line; `journalctl` is killed if
//! the bundle stops early.

use std::io::{BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use super::lines::{LineReader, MAX_LINE, Status};
use super::request::BundleRequest;
use super::source::{LineSource, SourceReport};
use logward::LogType;

/// How far the journal's time window is widened on each side (10 minutes).
pub(crate) const JOURNAL_SLACK_MICROS: i64 = 10 * 60 * 1_000_000;

/// At most this much of `journalctl`'s stderr is kept for an error message.
const STDERR_KEPT: u64 = 8 * 1024;

/// The arguments for `journalctl` reading `types` for `request`.
pub(crate) fn journalctl_args(
    request: &BundleRequest,
    types: &[LogType],
    extra_matches: &[String],
) -> Vec<String> {
    let mut args: Vec<String> = ["-o", "cat", "--all", "--no-pager", "--quiet"]
        .map(String::from)
        .to_vec();
    if let Some(from) = request.from() {
        let since = (from - JOURNAL_SLACK_MICROS).div_euclid(1_000_000);
        if since > 0 {
            args.push(format!("--since=@{since}"));
        }
    }
    if let Some(to) = request.to() {
        // Rounded up: `--until` is inclusive, and the bound is widened anyway.
        let until = (to + JOURNAL_SLACK_MICROS + 999_999).div_euclid(1_000_000);
        args.push(format!("--until=@{until}"));
    }
    args.extend(types.iter().map(|t| format!("LOG_TYPE={t}")));
    if !request.all_levels() {
        args.extend(
            request
                .levels()
                .iter()
                .map(|l| format!("PRIORITY={}", l.journald_priority())),
        );
    }
    args.extend(extra_matches.iter().cloned());
    args
}

/// The lines `journalctl` prints, while it runs.
pub(crate) struct JournalLines {
    running: Option<Running>,
}

struct Running {
    child: Child,
    reader: LineReader<BufReader<ChildStdout>>,
    stderr: Option<JoinHandle<String>>,
}

impl JournalLines {
    /// Starts `journalctl`; if it cannot be started, the error goes into
    /// `report` and there are no lines.
    pub(crate) fn spawn(
        request: &BundleRequest,
        types: &[LogType],
        extra_matches: &[String],
        report: &mut SourceReport,
    ) -> JournalLines {
        let args = journalctl_args(request, types, extra_matches);
        let spawned = Command::new("journalctl")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                report.errors.push(format!("cannot run journalctl: {e}"));
                return JournalLines { running: None };
            }
        };
        let Some(stdout) = child.stdout.take() else {
            report
                .errors
                .push("journalctl started without an output pipe".to_string());
            stop(&mut child);
            return JournalLines { running: None };
        };
        // Drained on its own thread so a chatty journalctl cannot block on
        // a full stderr pipe while its stdout is being read.
        let stderr = child.stderr.take().map(|stderr| {
            std::thread::spawn(move || {
                let mut kept = String::new();
                let mut limited = stderr.take(STDERR_KEPT);
                let _ = limited.read_to_string(&mut kept);
                let _ = std::io::copy(&mut limited.into_inner(), &mut std::io::sink());
                kept
            })
        });
        JournalLines {
            running: Some(Running {
                child,
                reader: LineReader::new(BufReader::with_capacity(64 * 1024, stdout), MAX_LINE),
                stderr,
            }),
        }
    }
}

impl LineSource for JournalLines {
    fn advance(&mut self, report: &mut SourceReport) -> Status {
        let Some(running) = &mut self.running else {
            return Status::End;
        };
        let failure = match running.reader.advance() {
            Ok(Status::End) => None,
            Ok(status) => return status,
            Err(e) => Some(format!("cannot read journalctl's output: {e}")),
        };
        let Some(mut running) = self.running.take() else {
            return Status::End;
        };
        if let Some(failure) = failure {
            report.errors.push(failure);
            stop(&mut running.child);
            return Status::End;
        }
        let status = running.child.wait();
        let stderr = running
            .stderr
            .take()
            .and_then(|handle| handle.join().ok())
            .unwrap_or_default();
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => report
                .errors
                .push(format!("journalctl failed ({status}): {}", stderr.trim())),
            Err(e) => report
                .errors
                .push(format!("cannot wait for journalctl: {e}")),
        }
        Status::End
    }

    fn line(&self) -> &[u8] {
        match &self.running {
            Some(running) => running.reader.line(),
            None => &[],
        }
    }
}

impl Drop for JournalLines {
    fn drop(&mut self) {
        if let Some(running) = &mut self.running {
            stop(&mut running.child);
        }
    }
}

/// Kills `child` (it may have exited already) and reaps it.
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BundleRequest, RawBundleArgs};

    #[test]
    fn matches_types_levels_and_a_widened_window() {
        let request = BundleRequest::from_raw(RawBundleArgs {
            date_from: Some("2026-11-20".into()),
            date_to: Some("2026-11-22".into()),
            log_level: Some("critical,error".into()),
            ..Default::default()
        })
        .unwrap();
        let args = journalctl_args(
            &request,
            &[LogType::Audit, LogType::Web],
            &["TEST_RUN=x".to_string()],
        );
        assert_eq!(
            args,
            [
                "-o",
                "cat",
                "--all",
                "--no-pager",
                "--quiet",
                // 2026-11-20T00:00:00Z and 2026-11-23T00:00:00Z, ± 10 minutes.
                "--since=@1795132200",
                "--until=@1795392600",
                "LOG_TYPE=audit",
                "LOG_TYPE=web",
                "PRIORITY=3",
                "PRIORITY=2",
                "TEST_RUN=x",
            ]
        );
    }

    #[test]
    fn all_levels_and_no_dates_add_no_matches() {
        let request = BundleRequest::from_raw(RawBundleArgs::default()).unwrap();
        let args = journalctl_args(&request, &[LogType::Tanium], &[]);
        assert_eq!(
            args,
            [
                "-o",
                "cat",
                "--all",
                "--no-pager",
                "--quiet",
                "LOG_TYPE=tanium"
            ]
        );
    }
}

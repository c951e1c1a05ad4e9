//! Reading records from the systemd journal through `journalctl`.
//!
//! The journald sink sends each record as `MESSAGE` (the JSON line) with the
//! record's keys as fields, so
//!
//! ```text
//! journalctl -o export --output-fields=MESSAGE,_UID,_PID,_COMM,_SYSTEMD_UNIT --no-pager --quiet \
//!     --since @1795132200 --until @1795393200 LOG_TYPE=audit LOG_TYPE=web PRIORITY=3 PRIORITY=2
//! ```
//!
//! gives the JSON lines of audit and web records at error or critical, each
//! with its sender. `journalctl` ORs matches on the same field and ANDs
//! different fields; `PRIORITY=` matches are only given when not every level
//! is wanted. Only entries whose sender the source's [`Trust`] accepts are
//! records (see the `journal` module); the others are counted in the
//! report's `journal.untrusted`, with their senders, and never bundled.
//!
//! `--since`/`--until` select on the journal's receive time, not on the
//! record's `created_at`; the two differ by the time a record waits in the
//! writer's queue. The window is therefore widened by [`JOURNAL_SLACK_MICROS`]
//! on both sides and every record is checked against the request anyway.
//! The output is read as a stream, entry by entry; `journalctl` is killed if
//! the bundle stops early.

use serde::Serialize;

use super::lines::{MAX_LINE, Status};
use super::request::BundleRequest;
use super::source::{LineSource, SourceReport};
use crate::journal::{JournalReader, Senders, Trust};
use logward::LogType;

/// How far the journal's time window is widened on each side (10 minutes).
pub(crate) const JOURNAL_SLACK_MICROS: i64 = 10 * 60 * 1_000_000;

/// The `journalctl` arguments, after its output options, that select
/// `types` for `request`.
pub(crate) fn journalctl_args(
    request: &BundleRequest,
    types: &[LogType],
    extra_matches: &[String],
) -> Vec<String> {
    let mut args = Vec::new();
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
    args.extend(
        request
            .identifiers()
            .iter()
            .map(|id| format!("SYSLOG_IDENTIFIER={id}")),
    );
    args.extend(extra_matches.iter().cloned());
    args
}

/// What reading the journal found about its senders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct JournalReport {
    /// The senders trusted, e.g. `_UID=0 (root) or _SYSTEMD_UNIT=shop.service`.
    pub trusted: String,
    /// The sender (`_UID`, `_PID`, `_COMM`, `_SYSTEMD_UNIT`) of every record
    /// bundled, with how many records each sent.
    pub senders: Senders,
    /// Entries left out because their sender is not trusted.
    pub untrusted: u64,
    /// Who sent those.
    pub untrusted_senders: Senders,
}

/// The records `journalctl` prints, while it runs.
pub(crate) struct JournalLines {
    reader: Option<JournalReader>,
    trust: Trust,
}

impl JournalLines {
    /// Starts `journalctl`; if it cannot be started, the error goes into
    /// `report` and there are no lines.
    pub(crate) fn spawn(
        request: &BundleRequest,
        types: &[LogType],
        extra_matches: &[String],
        trust: &Trust,
        report: &mut SourceReport,
    ) -> JournalLines {
        JournalLines::start(request, types, extra_matches, trust, report, &[])
    }

    /// As [`JournalLines::spawn`], with `journalctl --follow`: the lines do
    /// not end, and [`LineSource::advance`] waits for the next entry. It
    /// starts at the journal's end unless the request has a start.
    pub(crate) fn follow(
        request: &BundleRequest,
        types: &[LogType],
        extra_matches: &[String],
        trust: &Trust,
        report: &mut SourceReport,
    ) -> JournalLines {
        let from_end: &[&str] = if request.from().is_some() {
            &["--follow"]
        } else {
            &["--follow", "--lines=0"]
        };
        JournalLines::start(request, types, extra_matches, trust, report, from_end)
    }

    fn start(
        request: &BundleRequest,
        types: &[LogType],
        extra_matches: &[String],
        trust: &Trust,
        report: &mut SourceReport,
        options: &[&str],
    ) -> JournalLines {
        report.journal = Some(JournalReport {
            trusted: trust.to_string(),
            ..JournalReport::default()
        });
        let mut args: Vec<String> = options.iter().map(ToString::to_string).collect();
        args.extend(journalctl_args(request, types, extra_matches));
        let reader = match JournalReader::spawn(&args, MAX_LINE) {
            Ok(reader) => Some(reader),
            Err(e) => {
                report.errors.push(format!("cannot run journalctl: {e}"));
                None
            }
        };
        JournalLines {
            reader,
            trust: trust.clone(),
        }
    }
}

impl LineSource for JournalLines {
    fn advance(&mut self, report: &mut SourceReport) -> Status {
        let Some(reader) = &mut self.reader else {
            return Status::End;
        };
        let failure = loop {
            match reader.next_entry() {
                Ok(Some(entry)) if !self.trust.trusts(&entry.sender) => {
                    if let Some(journal) = &mut report.journal {
                        journal.untrusted += 1;
                        journal.untrusted_senders.add(&entry.sender);
                    }
                }
                Ok(Some(entry)) if entry.message_too_long => return Status::TooLong,
                Ok(Some(_)) => return Status::Line,
                Ok(None) => break None,
                Err(e) => break Some(format!("cannot read journalctl's output: {e}")),
            }
        };
        let Some(reader) = self.reader.take() else {
            return Status::End;
        };
        if let Some(failure) = failure {
            report.errors.push(failure);
        } else if let Err(failure) = reader.finish() {
            report.errors.push(failure);
        }
        Status::End
    }

    fn line(&self) -> &[u8] {
        match &self.reader {
            Some(reader) => reader.current().map_or(&[], |e| e.message.as_slice()),
            None => &[],
        }
    }

    fn kept(&mut self, report: &mut SourceReport) {
        if let (Some(reader), Some(journal)) = (&self.reader, &mut report.journal) {
            if let Some(entry) = reader.current() {
                journal.senders.add(&entry.sender);
            }
        }
    }
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
        assert_eq!(args, ["LOG_TYPE=tanium"]);
    }
}

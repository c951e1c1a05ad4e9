//! What the collector counted, for `GET /metrics` (Prometheus text) and
//! `GET /status` (the HTML page). The Prometheus counters live in memory
//! and start from zero at each start of the collector; what the page shows
//! per origin (the `origins` module) is kept in the state directory and
//! handed in at start.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, PoisonError};

use logward::LogType;

use super::origins::{Origin, Origins};
use super::parse::Record;

/// Why a request was refused, as the `reason` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// 400: a bad body.
    Invalid,
    /// 401: no client certificate or token.
    Unauthenticated,
    /// 403: a wrong client certificate or token.
    Forbidden,
    /// 408: the body did not arrive in time.
    Timeout,
    /// 413: the body is over the limit.
    TooLarge,
    /// 415: an unknown `Content-Encoding`.
    Encoding,
    /// 503: the writers are full.
    Busy,
    /// 500: a write failed.
    WriteFailed,
}

impl Reason {
    fn label(self) -> &'static str {
        match self {
            Reason::Invalid => "invalid",
            Reason::Unauthenticated => "unauthenticated",
            Reason::Forbidden => "forbidden",
            Reason::Timeout => "timeout",
            Reason::TooLarge => "too_large",
            Reason::Encoding => "encoding",
            Reason::Busy => "busy",
            Reason::WriteFailed => "write_failed",
        }
    }
}

/// The counters of one origin machine, by its records' `hostname`.
#[derive(Debug, Clone, Copy, Default)]
struct HostCounts {
    /// Records received from it.
    received: u64,
    /// Records written.
    written: u64,
    /// Records already stored, not written again.
    duplicates: u64,
}

#[derive(Default)]
struct State {
    received: u64,
    written: u64,
    duplicates: u64,
    foreign: u64,
    rejected: BTreeMap<Reason, u64>,
    hosts: BTreeMap<String, HostCounts>,
    page: Origins,
}

/// The collector's counts.
#[derive(Default)]
pub struct Metrics {
    state: Mutex<State>,
}

impl Metrics {
    /// Counters from zero, and the status page's counts as kept.
    pub fn new(page: Origins) -> Metrics {
        Metrics {
            state: Mutex::new(State {
                page,
                ..State::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request was refused.
    pub fn rejected(&self, reason: Reason) {
        *self.lock().rejected.entry(reason).or_default() += 1;
    }

    /// Batch number `batch` was stored: each record, whether it was
    /// written (else it was a duplicate), and the foreign objects kept.
    /// Returns the status page's counts now, to be kept.
    pub fn stored(
        &self,
        records: &[(&Record, bool)],
        foreign: u64,
        today: &str,
        batch: u64,
    ) -> Origins {
        let mut state = self.lock();
        state.foreign += foreign;
        for &(record, written) in records {
            state.received += 1;
            if written {
                state.written += 1;
            } else {
                state.duplicates += 1;
            }
            let host = state.hosts.entry(record.hostname.clone()).or_default();
            host.received += 1;
            if written {
                host.written += 1;
            } else {
                host.duplicates += 1;
            }
        }
        let written = records.iter().filter(|(_, w)| *w).map(|(r, _)| *r);
        state.page.count(written, today);
        state.page.batch = batch;
        state.page.clone()
    }

    /// Foreign objects written to stdout or the raw file without records.
    pub fn foreign(&self, n: u64) {
        self.lock().foreign += n;
    }

    /// Every origin, by hostname, for the status page.
    pub fn origins(&self) -> Vec<(String, Origin)> {
        self.lock()
            .page
            .hosts
            .iter()
            .map(|(h, o)| (h.clone(), o.clone()))
            .collect()
    }

    /// The counts as Prometheus text.
    pub fn prometheus(&self) -> String {
        let state = self.lock();
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        };
        counter(
            &mut out,
            "logward_receive_records_received_total",
            "Records received.",
        );
        let _ = writeln!(
            out,
            "logward_receive_records_received_total {}",
            state.received
        );
        counter(
            &mut out,
            "logward_receive_records_written_total",
            "Records written.",
        );
        let _ = writeln!(
            out,
            "logward_receive_records_written_total {}",
            state.written
        );
        counter(
            &mut out,
            "logward_receive_records_duplicate_total",
            "Records already stored, acknowledged and not written again.",
        );
        let _ = writeln!(
            out,
            "logward_receive_records_duplicate_total {}",
            state.duplicates
        );
        counter(
            &mut out,
            "logward_receive_foreign_objects_total",
            "JSON values that are not records, kept as they came.",
        );
        let _ = writeln!(
            out,
            "logward_receive_foreign_objects_total {}",
            state.foreign
        );
        counter(
            &mut out,
            "logward_receive_requests_rejected_total",
            "Requests refused, by reason.",
        );
        for (reason, n) in &state.rejected {
            let _ = writeln!(
                out,
                "logward_receive_requests_rejected_total{{reason=\"{}\"}} {n}",
                reason.label()
            );
        }
        for (name, help, get) in [
            (
                "logward_receive_origin_records_received_total",
                "Records received, per origin hostname.",
                (|o: &HostCounts| o.received) as fn(&HostCounts) -> u64,
            ),
            (
                "logward_receive_origin_records_written_total",
                "Records written, per origin hostname.",
                |o: &HostCounts| o.written,
            ),
            (
                "logward_receive_origin_records_duplicate_total",
                "Duplicates, per origin hostname.",
                |o: &HostCounts| o.duplicates,
            ),
        ] {
            counter(&mut out, name, help);
            for (host, origin) in &state.hosts {
                let _ = writeln!(
                    out,
                    "{name}{{hostname=\"{}\"}} {}",
                    label(host),
                    get(origin)
                );
            }
        }
        out
    }
}

/// A Prometheus label value, escaped.
fn label(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The log types in column order for per-type counts.
pub const TYPES: [LogType; 5] = LogType::ALL;

//! Each export's health: what was pushed, what failed, what waits.
//!
//! The daemon keeps it in memory (the metrics endpoint reads it there) and
//! writes it to the state directory after every batch and at least every
//! second while something changes, for `logward ship status`. Counters add
//! up over the export's whole life, across restarts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One export's health. Times are microseconds since the epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Health {
    /// The export's name.
    pub export: String,
    /// Its destination, without secrets.
    pub destination: String,
    /// Records the destination acknowledged.
    pub records_sent: u64,
    /// Their bytes before compression.
    pub bytes_raw: u64,
    /// The bytes sent for them (after compression).
    pub bytes_sent: u64,
    /// Requests answered 2xx.
    pub uploads_ok: u64,
    /// Requests that failed (retried or refused).
    pub uploads_failed: u64,
    /// Retries by reason: the status (`429`, `503`), `connection` or `tls`.
    pub retries: BTreeMap<String, u64>,
    /// Records the destination refused, kept in the dead-letter file.
    pub dead_lettered: u64,
    /// Lines of the sources that are not records (not JSON, no type or level).
    pub unreadable: u64,
    /// Files deleted by rotation pruning before they were shipped.
    pub lost_files: u64,
    /// Bytes they held that were not shipped, as last seen.
    pub lost_bytes: u64,
    /// Lines they held that were not shipped, as last counted.
    pub lost_records: u64,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it happened.
    pub last_error_us: Option<i64>,
    /// The last acknowledged request.
    pub last_success_us: Option<i64>,
    /// The first failure since the last success.
    pub failing_since_us: Option<i64>,
    /// When `export_failing` was last written, while it lasts.
    pub alerted_us: Option<i64>,
    /// Lines not yet acknowledged (before selection).
    pub lag_records: u64,
    /// Their bytes.
    pub lag_bytes: u64,
    /// The `created_at` of the oldest of them.
    pub oldest_waiting_us: Option<i64>,
    /// When this was written.
    pub updated_us: Option<i64>,
}

impl Health {
    /// A failed attempt that will be retried.
    pub fn retry(&mut self, reason: &str, why: &str, now: i64) {
        *self.retries.entry(reason.to_string()).or_default() += 1;
        self.fail(why, now);
    }

    /// A failed attempt, retried or refused.
    pub fn fail(&mut self, why: &str, now: i64) {
        self.uploads_failed += 1;
        self.last_error = Some(why.chars().take(512).collect());
        self.last_error_us = Some(now);
        self.failing_since_us.get_or_insert(now);
    }

    /// An acknowledged request of `records` records.
    pub fn success(&mut self, records: usize, raw: usize, sent: usize, now: i64) {
        self.uploads_ok += 1;
        self.records_sent += records as u64;
        self.bytes_raw += raw as u64;
        self.bytes_sent += sent as u64;
        self.last_success_us = Some(now);
        self.failing_since_us = None;
    }

    /// The age of the oldest waiting record at `now`, in seconds.
    pub fn oldest_age_secs(&self, now: i64) -> Option<f64> {
        self.oldest_waiting_us
            .map(|t| (now - t).max(0) as f64 / 1e6)
    }

    /// The JSON of `logward ship status --json`: these fields with times as
    /// RFC 3339 text.
    pub fn to_json(&self, now: i64) -> Value {
        json!({
            "export": self.export,
            "destination": self.destination,
            "records_sent": self.records_sent,
            "bytes_raw": self.bytes_raw,
            "bytes_sent": self.bytes_sent,
            "uploads_ok": self.uploads_ok,
            "uploads_failed": self.uploads_failed,
            "retries": self.retries,
            "dead_lettered": self.dead_lettered,
            "unreadable": self.unreadable,
            "lost_files": self.lost_files,
            "lost_bytes": self.lost_bytes,
            "lost_records": self.lost_records,
            "last_error": self.last_error,
            "last_error_at": self.last_error_us.map(time_text),
            "last_success_at": self.last_success_us.map(time_text),
            "failing_since": self.failing_since_us.map(time_text),
            "alerting": self.alerted_us.is_some(),
            "lag_records": self.lag_records,
            "lag_bytes": self.lag_bytes,
            "oldest_waiting_age_seconds": self.oldest_age_secs(now),
            "updated_at": self.updated_us.map(time_text),
        })
    }
}

/// `micros` as RFC 3339 UTC text.
pub fn time_text(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .map(|t| format!("{t:.6}"))
        .unwrap_or_else(|_| micros.to_string())
}

/// The table of `logward ship status`, one block per export.
pub fn render_table(healths: &[Health], now: i64) -> String {
    let mut out = String::new();
    for h in healths {
        let retries = if h.retries.is_empty() {
            "none".to_string()
        } else {
            h.retries
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let when = |t: Option<i64>| t.map_or_else(|| "never".to_string(), time_text);
        let _ = writeln!(out, "export {}  {}", h.export, h.destination);
        let state = match (h.alerted_us, h.failing_since_us) {
            (Some(_), _) => "FAILING (alert raised)",
            (None, Some(_)) => "retrying",
            (None, None) => "ok",
        };
        let rows = [
            ("state", state.to_string()),
            ("records sent", h.records_sent.to_string()),
            (
                "bytes sent",
                format!("{} raw, {} on the wire", h.bytes_raw, h.bytes_sent),
            ),
            (
                "uploads",
                format!("{} ok, {} failed", h.uploads_ok, h.uploads_failed),
            ),
            ("retries", retries),
            ("dead-lettered", h.dead_lettered.to_string()),
            (
                "lost to pruning",
                format!(
                    "{} records, {} bytes, {} files",
                    h.lost_records, h.lost_bytes, h.lost_files
                ),
            ),
            ("unreadable lines", h.unreadable.to_string()),
            (
                "waiting",
                format!(
                    "{} records, {} bytes, oldest {}",
                    h.lag_records,
                    h.lag_bytes,
                    h.oldest_age_secs(now)
                        .map_or_else(|| "-".to_string(), |s| format!("{s:.0}s old"))
                ),
            ),
            ("last success", when(h.last_success_us)),
            (
                "last error",
                match &h.last_error {
                    Some(e) => format!("{} ({e})", when(h.last_error_us)),
                    None => "none".to_string(),
                },
            ),
            ("updated", when(h.updated_us)),
        ];
        for (name, value) in rows {
            let _ = writeln!(out, "  {name:<17} {value}");
        }
    }
    out
}

/// The Prometheus text exposition of `healths`.
pub fn render_metrics(healths: &[Health], now: i64) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, rows: Vec<(String, f64)>| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, value) in rows {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    };
    let each = |f: &dyn Fn(&Health) -> f64| {
        healths
            .iter()
            .map(|h| (format!("export=\"{}\"", h.export), f(h)))
            .collect::<Vec<_>>()
    };
    family(
        "logward_export_records_total",
        "counter",
        "Records the destination acknowledged.",
        each(&|h| h.records_sent as f64),
    );
    let mut bytes = Vec::new();
    for h in healths {
        bytes.push((
            format!("export=\"{}\",stage=\"raw\"", h.export),
            h.bytes_raw as f64,
        ));
        bytes.push((
            format!("export=\"{}\",stage=\"sent\"", h.export),
            h.bytes_sent as f64,
        ));
    }
    family(
        "logward_export_bytes_total",
        "counter",
        "Bytes of acknowledged records, before (raw) and after (sent) compression.",
        bytes,
    );
    let mut uploads = Vec::new();
    for h in healths {
        uploads.push((
            format!("export=\"{}\",result=\"ok\"", h.export),
            h.uploads_ok as f64,
        ));
        uploads.push((
            format!("export=\"{}\",result=\"failed\"", h.export),
            h.uploads_failed as f64,
        ));
    }
    family(
        "logward_export_uploads_total",
        "counter",
        "Requests, by result.",
        uploads,
    );
    let mut retries = Vec::new();
    for h in healths {
        for (reason, n) in &h.retries {
            retries.push((
                format!("export=\"{}\",reason=\"{reason}\"", h.export),
                *n as f64,
            ));
        }
    }
    family(
        "logward_export_retries_total",
        "counter",
        "Retried requests, by status or connection or tls.",
        retries,
    );
    family(
        "logward_export_dead_lettered_total",
        "counter",
        "Records refused by the destination, kept in the dead-letter file.",
        each(&|h| h.dead_lettered as f64),
    );
    family(
        "logward_export_lost_records_total",
        "counter",
        "Records deleted by rotation pruning before they were shipped.",
        each(&|h| h.lost_records as f64),
    );
    family(
        "logward_export_lag_records",
        "gauge",
        "Lines written and not yet acknowledged.",
        each(&|h| h.lag_records as f64),
    );
    family(
        "logward_export_lag_bytes",
        "gauge",
        "Bytes written and not yet acknowledged.",
        each(&|h| h.lag_bytes as f64),
    );
    family(
        "logward_export_oldest_waiting_age_seconds",
        "gauge",
        "Age of the oldest record not yet acknowledged (0 when none waits).",
        each(&|h| h.oldest_age_secs(now).unwrap_or(0.0)),
    );
    family(
        "logward_export_last_success_timestamp_seconds",
        "gauge",
        "When the destination last acknowledged a request (0: never).",
        each(&|h| h.last_success_us.map_or(0.0, |t| t as f64 / 1e6)),
    );
    family(
        "logward_export_failing",
        "gauge",
        "1 while an export_failing alert is raised.",
        each(&|h| f64::from(u8::from(h.alerted_us.is_some()))),
    );
    out
}

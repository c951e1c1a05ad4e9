//! Where good rows go: records through the configured routing, and
//! ExtraHop observations posted in batches.
//!
//! A record has the mapped columns (strings, in `--column` order), then
//! `timestamp` (the row's time, epoch seconds), `source`, `import_file`
//! (the input's absolute path, `-` for stdin) and `import_line` (the line
//! the row starts on). Its `created_at` is the time of the import. A column
//! mapped to `message` becomes the record's message.
//!
//! An observations request has exactly this body (keys in this order):
//!
//! ```text
//! {"observations":[{"ipaddr":"10.8.0.6","associated_ipaddr":"203.0.113.9","timestamp":1795321800}],"source":"OpenVPN"}
//! ```
//!
//! Every batch sent becomes one `observations_posted` audit record
//! (`destination`, `rows`, `status`, `attempts`, `import_file`,
//! `first_line`, `last_line`; level `error` when it was not delivered).

use std::sync::atomic::AtomicBool;

use logward::{Guard, Level, LogType};
use serde::Serialize;
use serde_json::{Value, json};

use super::mapping::Mapped;
use crate::http::{Client, Delivered, SendError};

/// One observation.
#[derive(Debug, Serialize)]
struct Observation {
    ipaddr: String,
    associated_ipaddr: String,
    timestamp: i64,
}

/// An observations request body.
#[derive(Debug, Serialize)]
struct Body<'a> {
    observations: &'a [Observation],
    source: &'a str,
}

/// Observations waiting to be sent, and where to.
pub struct Poster {
    client: Client,
    batch: Vec<Observation>,
    max: usize,
    first_line: u64,
    last_line: u64,
    ipaddr: usize,
    associated: usize,
    /// Observations delivered so far.
    pub posted: u64,
    /// Requests delivered so far.
    pub batches: u64,
}

impl Poster {
    /// A poster sending batches of `max` through `client`; `ipaddr` and
    /// `associated` are the positions of those keys among the mapped values.
    pub fn new(client: Client, max: usize, ipaddr: usize, associated: usize) -> Self {
        Poster {
            client,
            batch: Vec::with_capacity(max.min(65_536)),
            max,
            first_line: 0,
            last_line: 0,
            ipaddr,
            associated,
            posted: 0,
            batches: 0,
        }
    }
}

/// The outputs of one import.
pub struct Outputs<'g> {
    guard: &'g Guard,
    keys: Vec<String>,
    message: Option<usize>,
    records: Option<(LogType, Level)>,
    poster: Option<Poster>,
    source: String,
    import_file: String,
    /// Records handed to the runtime.
    pub written: u64,
    /// Rows below the configured level of their type: not written.
    pub below_level: u64,
}

impl<'g> Outputs<'g> {
    /// Outputs for rows with `keys`, written as `records` (if any) and
    /// posted by `poster` (if any).
    pub fn new(
        guard: &'g Guard,
        keys: Vec<String>,
        records: Option<(LogType, Level)>,
        poster: Option<Poster>,
        source: String,
        import_file: String,
    ) -> Self {
        let message = keys.iter().position(|k| k == "message");
        Outputs {
            guard,
            keys,
            message,
            records,
            poster,
            source,
            import_file,
            written: 0,
            below_level: 0,
        }
    }

    /// The poster, if observations are posted.
    pub fn poster(&self) -> Option<&Poster> {
        self.poster.as_ref()
    }

    /// Whether rows wait to be posted.
    pub fn pending(&self) -> bool {
        self.poster.as_ref().is_some_and(|p| !p.batch.is_empty())
    }

    /// Takes one good row; returns `true` when it completed a batch that
    /// was then delivered.
    pub fn row(&mut self, row: Mapped, line: u64, stop: &AtomicBool) -> anyhow::Result<bool> {
        if let Some((log_type, level)) = self.records {
            let mut fields: Vec<(&str, Value)> = Vec::with_capacity(self.keys.len() + 4);
            let mut message = None;
            for (i, (key, value)) in self.keys.iter().zip(&row.values).enumerate() {
                if Some(i) == self.message {
                    message = Some(value.as_str());
                } else {
                    fields.push((key, Value::String(value.clone())));
                }
            }
            fields.push(("timestamp", json!(row.timestamp)));
            fields.push(("source", json!(self.source)));
            fields.push(("import_file", json!(self.import_file)));
            fields.push(("import_line", json!(line)));
            if self.guard.emit(log_type, level, &fields, message) {
                self.written += 1;
            } else {
                self.below_level += 1;
            }
        }
        let Some(poster) = &mut self.poster else {
            return Ok(false);
        };
        if poster.batch.is_empty() {
            poster.first_line = line;
        }
        poster.last_line = line;
        let mut values = row.values;
        poster.batch.push(Observation {
            ipaddr: std::mem::take(&mut values[poster.ipaddr]),
            associated_ipaddr: std::mem::take(&mut values[poster.associated]),
            timestamp: row.timestamp,
        });
        if poster.batch.len() < poster.max {
            return Ok(false);
        }
        self.send(stop)?;
        Ok(true)
    }

    /// Sends what waits to be posted and waits until every record handed
    /// to the runtime is written.
    pub fn flush(&mut self, stop: &AtomicBool) -> anyhow::Result<()> {
        if self.pending() {
            self.send(stop)?;
        }
        self.guard.flush();
        Ok(())
    }

    fn send(&mut self, stop: &AtomicBool) -> anyhow::Result<()> {
        let Some(poster) = &mut self.poster else {
            return Ok(());
        };
        let body = serde_json::to_vec(&Body {
            observations: &poster.batch,
            source: &self.source,
        })?;
        let rows = poster.batch.len();
        let result = poster.client.post_json(&body, stop, |why, wait| {
            eprintln!(
                "logward: {}: {why}; retrying in {:.1} s",
                poster.client.destination(),
                wait.as_secs_f64()
            );
        });
        let (level, status, attempts, message) = match &result {
            Ok(Delivered { status, attempts }) => {
                (Level::Info, Some(*status), *attempts, "observations posted")
            }
            Err(e) => (Level::Error, e.status(), 0, "observations not posted"),
        };
        let mut fields = vec![
            ("action", json!("observations_posted")),
            (
                "destination",
                json!(poster.client.destination().to_string()),
            ),
            ("rows", json!(rows)),
            ("status", status.map_or(Value::Null, |s| json!(s))),
            ("import_file", json!(self.import_file)),
            ("first_line", json!(poster.first_line)),
            ("last_line", json!(poster.last_line)),
        ];
        if attempts > 0 {
            fields.push(("attempts", json!(attempts)));
        }
        self.guard
            .emit(LogType::Audit, level, &fields, Some(message));
        match result {
            Ok(_) => {
                poster.posted += rows as u64;
                poster.batches += 1;
                poster.batch.clear();
                Ok(())
            }
            Err(e @ SendError::Rejected { .. }) => Err(anyhow::Error::new(e).context(format!(
                "observations for lines {}–{} were refused; nothing after line {} was posted",
                poster.first_line,
                poster.last_line,
                poster.first_line.saturating_sub(1)
            ))),
            Err(e) => Err(anyhow::Error::new(e).context(format!(
                "observations for lines {}–{} were not delivered",
                poster.first_line, poster.last_line
            ))),
        }
    }
}

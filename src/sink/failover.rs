//! A sink with a fallback: when the primary fails, records go to the
//! fallback, one record says so, and the primary is retried until it works.
//!
//! File sinks fall back to journald (stderr when there is none), journald
//! falls back to stderr. Every re-routed record is counted.

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;

use super::writer::Counters;
use super::{Entry, Sink, StderrSink};
use crate::record::RecordContext;
use crate::{Level, LogType};

/// How long a failed primary rests before the next attempt.
const RETRY_AFTER: Duration = Duration::from_secs(1);

pub(crate) struct Failover {
    primary: Box<dyn Sink>,
    fallback: Box<dyn Sink>,
    ctx: Arc<RecordContext>,
    counters: Arc<Counters>,
    failed: Option<Failure>,
    notice: Vec<u8>,
}

struct Failure {
    retry_at: Instant,
    rerouted: u64,
}

impl Failover {
    pub(crate) fn new(
        primary: Box<dyn Sink>,
        fallback: Box<dyn Sink>,
        ctx: Arc<RecordContext>,
        counters: Arc<Counters>,
    ) -> Self {
        Failover {
            primary,
            fallback,
            ctx,
            counters,
            failed: None,
            notice: Vec::new(),
        }
    }

    pub(crate) fn describe(&self) -> String {
        self.primary.describe()
    }

    /// Writes one record to the primary, or to the fallback while the
    /// primary is failing.
    pub(crate) fn append(&mut self, entry: &Entry<'_>) {
        if let Some(failure) = &self.failed {
            if Instant::now() < failure.retry_at {
                self.reroute(entry);
                return;
            }
            match self.primary.append(entry) {
                Err(_) => {
                    self.recover_unwritten(Some(entry));
                    self.retry_later();
                }
                Ok(()) => {
                    self.counters.written.fetch_add(1, Ordering::Relaxed);
                    match self.primary.flush() {
                        Ok(()) => self.recovered(),
                        Err(_) => {
                            self.recover_unwritten(None);
                            self.retry_later();
                        }
                    }
                }
            }
            return;
        }
        match self.primary.append(entry) {
            Ok(()) => {
                self.counters.written.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.fail(&e);
                self.recover_unwritten(Some(entry));
            }
        }
    }

    /// Flushes the primary; when that fails, the records it could not
    /// write are re-routed.
    pub(crate) fn flush(&mut self) {
        if self.failed.is_none()
            && let Err(e) = self.primary.flush()
        {
            self.fail(&e);
            self.recover_unwritten(None);
        }
        let _ = self.fallback.flush();
    }

    fn retry_later(&mut self) {
        if let Some(f) = &mut self.failed {
            f.retry_at = Instant::now() + RETRY_AFTER;
        }
    }

    fn fail(&mut self, error: &io::Error) {
        if self.failed.is_none() {
            self.failed = Some(Failure {
                retry_at: Instant::now() + RETRY_AFTER,
                rerouted: 0,
            });
            let primary = self.primary.describe();
            let fallback = self.fallback.describe();
            self.notice(
                Level::Warning,
                &[
                    ("runtime_event", json!("sink_failed")),
                    ("sink", json!(primary)),
                    ("fallback", json!(fallback)),
                    ("error", json!(error.to_string())),
                ],
                &format!("{primary} failed ({error}); records go to {fallback} until it recovers"),
                true,
            );
        }
    }

    /// Moves what the primary could not write to the fallback. `failed` is
    /// the record whose `append` just failed: a buffering sink hands it back
    /// with the rest (it is then the last line); otherwise it is re-routed
    /// here. Either way each record is re-routed exactly once.
    fn recover_unwritten(&mut self, failed: Option<&Entry<'_>>) {
        let unwritten = self.primary.take_unwritten();
        let failed_kept = failed.is_some_and(|e| unwritten.ends_with(e.line));
        let lines = unwritten
            .split_inclusive(|&b| b == b'\n')
            .filter(|line| !line.is_empty());
        let mut handed_back = 0u64;
        for line in lines {
            handed_back += 1;
            let (level, log_type) = level_and_type(line);
            self.reroute(&Entry {
                line,
                level,
                log_type,
            });
        }
        // Records counted as written when `append` accepted them.
        let was_counted = handed_back - u64::from(failed_kept);
        self.counters
            .written
            .fetch_sub(was_counted, Ordering::Relaxed);
        if let Some(entry) = failed.filter(|_| !failed_kept) {
            self.reroute(entry);
        }
    }

    fn recovered(&mut self) {
        let Some(failure) = self.failed.take() else {
            return;
        };
        let primary = self.primary.describe();
        let text = format!(
            "{primary} works again; {} records were re-routed while it failed",
            failure.rerouted
        );
        let fields = [
            ("runtime_event", json!("sink_recovered")),
            ("sink", json!(primary)),
            ("rerouted", json!(failure.rerouted)),
        ];
        self.notice(Level::Warning, &fields, &text, true);
        self.notice(Level::Warning, &fields, &text, false);
    }

    fn reroute(&mut self, entry: &Entry<'_>) {
        if let Some(f) = &mut self.failed {
            f.rerouted += 1;
        }
        self.counters.rerouted.fetch_add(1, Ordering::Relaxed);
        if self.fallback.append(entry).is_err() {
            // The fallback failed too: stderr is the last place left.
            let mut stderr = StderrSink::new();
            if stderr.append(entry).and_then(|()| stderr.flush()).is_err() {
                self.counters.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Writes a record made by the runtime, to the fallback or the primary.
    pub(crate) fn notice(
        &mut self,
        level: Level,
        fields: &[(&str, serde_json::Value)],
        message: &str,
        to_fallback: bool,
    ) {
        let mut line = std::mem::take(&mut self.notice);
        line.clear();
        self.ctx.render(
            &mut line,
            level,
            LogType::Application,
            fields,
            Some(message),
        );
        let entry = Entry {
            line: &line,
            level,
            log_type: LogType::Application,
        };
        let sink = if to_fallback || self.failed.is_some() {
            &mut self.fallback
        } else {
            &mut self.primary
        };
        if sink.append(&entry).is_err() {
            let mut stderr = StderrSink::new();
            let _ = stderr.append(&entry).and_then(|()| stderr.flush());
        }
        self.notice = line;
    }
}

/// The level and log type written in a rendered record (for re-routing
/// bytes a sink handed back); unknown values fall back to error/application.
fn level_and_type(line: &[u8]) -> (Level, LogType) {
    #[derive(serde::Deserialize)]
    struct Head<'a> {
        #[serde(borrow)]
        level: Option<&'a str>,
        #[serde(borrow)]
        log_type: Option<&'a str>,
    }
    match serde_json::from_slice::<Head<'_>>(line) {
        Ok(head) => (
            head.level
                .and_then(|l| l.parse().ok())
                .unwrap_or(Level::Error),
            head.log_type
                .and_then(|t| t.parse().ok())
                .unwrap_or(LogType::Application),
        ),
        Err(_) => (Level::Error, LogType::Application),
    }
}

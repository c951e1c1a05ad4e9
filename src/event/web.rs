//! Web activity records: `method`, `path`, `status_code`, and optionally
//! `duration_ms`, the time taken to answer (a number of milliseconds, with
//! microseconds as its fraction).

use super::rendered::{Render, Writer, emit_rendered, key};
use super::{Emit, emit_at};
use crate::Level;

/// One HTTP request served.
#[derive(Debug, Clone)]
#[must_use = "nothing is logged until `log` or a level method is called"]
pub struct Request<'a> {
    method: &'a str,
    path: &'a str,
    status_code: u16,
    duration_ms: Option<f64>,
    message: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// A request for `path` with `method`, answered with `status_code`.
    pub fn new(method: &'a str, path: &'a str, status_code: u16) -> Self {
        Request {
            method,
            path,
            status_code,
            duration_ms: None,
            message: None,
        }
    }

    /// The time taken to answer the request, recorded as `duration_ms`.
    pub fn duration(mut self, duration: std::time::Duration) -> Self {
        // Whole microseconds: a fraction no clock here resolves better.
        self.duration_ms = Some(duration.as_micros() as f64 / 1000.0);
        self
    }

    super::optional_str_setters! {
        /// A human-readable message.
        message => message,
    }
}

impl Emit for Request<'_> {
    fn log(self, level: Level) {
        emit_rendered!(self, level, "logward::web", self.message);
    }
}

impl Request<'_> {
    /// Writes the record with each field visited by `tracing`.
    pub(crate) fn log_fields(&self, level: Level) {
        emit_at!(
            level,
            "logward::web",
            method = self.method,
            path = self.path,
            status_code = self.status_code,
            duration_ms = self.duration_ms,
            message = self.message,
        );
    }
}

impl Render for Request<'_> {
    fn render(&self, out: &mut Writer<'_>) {
        out.str(key!("method"), self.method);
        out.str(key!("path"), self.path);
        out.uint(key!("status_code"), u64::from(self.status_code));
        out.opt_f64(key!("duration_ms"), self.duration_ms);
    }
}

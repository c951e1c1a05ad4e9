//! Web activity records: `method`, `path`, `status_code`.

use super::{Emit, emit_at};
use crate::Level;

/// One HTTP request served.
#[derive(Debug, Clone)]
#[must_use = "nothing is logged until `log` or a level method is called"]
pub struct Request<'a> {
    method: &'a str,
    path: &'a str,
    status_code: u16,
    message: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// A request for `path` with `method`, answered with `status_code`.
    pub fn new(method: &'a str, path: &'a str, status_code: u16) -> Self {
        Request {
            method,
            path,
            status_code,
            message: None,
        }
    }

    super::optional_str_setters! {
        /// A human-readable message.
        message => message,
    }
}

impl Emit for Request<'_> {
    fn log(self, level: Level) {
        emit_at!(
            level,
            "logward::web",
            method = self.method,
            path = self.path,
            status_code = self.status_code,
            message = self.message,
        );
    }
}

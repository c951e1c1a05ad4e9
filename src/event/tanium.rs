//! Tanium records: operations, and requests to the Tanium API.

use super::rendered::{Render, Writer, emit_rendered, key};
use super::{Emit, emit_at};
use crate::Level;

/// A Tanium operation: `message`, optional `computer_group` and `endpoint_id`.
#[derive(Debug, Clone)]
#[must_use = "nothing is logged until `log` or a level method is called"]
pub struct Operation<'a> {
    message: &'a str,
    computer_group: Option<&'a str>,
    endpoint_id: Option<&'a str>,
}

impl<'a> Operation<'a> {
    /// An operation described by `message`.
    pub fn new(message: &'a str) -> Self {
        Operation {
            message,
            computer_group: None,
            endpoint_id: None,
        }
    }

    super::optional_str_setters! {
        /// The computer group the operation concerns.
        computer_group => computer_group,
        /// The endpoint the operation concerns.
        endpoint_id => endpoint_id,
    }
}

impl Emit for Operation<'_> {
    fn log(self, level: Level) {
        emit_rendered!(self, level, "logward::tanium", self.message);
    }
}

impl Operation<'_> {
    /// Writes the record with each field visited by `tracing`.
    pub(crate) fn log_fields(&self, level: Level) {
        emit_at!(
            level,
            "logward::tanium",
            computer_group = self.computer_group,
            endpoint_id = self.endpoint_id,
            message = self.message,
        );
    }
}

impl Render for Operation<'_> {
    fn render(&self, out: &mut Writer<'_>) {
        out.opt_str(key!("computer_group"), self.computer_group);
        out.opt_str(key!("endpoint_id"), self.endpoint_id);
    }
}

/// The required fields of a tanium [`ApiRequest`], by name.
#[derive(Debug, Clone, Copy)]
pub struct ApiRequestFields<'a> {
    /// The Tanium server called.
    pub target: &'a str,
    /// The path requested.
    pub path: &'a str,
    /// What was done.
    pub message: &'a str,
}

impl<'a> From<ApiRequestFields<'a>> for ApiRequest<'a> {
    fn from(fields: ApiRequestFields<'a>) -> Self {
        ApiRequest::from_fields(fields)
    }
}

/// A request to the Tanium API: the operation fields plus `target`, `path`,
/// and optional `status_code` and `error`.
#[derive(Debug, Clone)]
#[must_use = "nothing is logged until `log` or a level method is called"]
pub struct ApiRequest<'a> {
    target: &'a str,
    path: &'a str,
    message: &'a str,
    status_code: Option<u16>,
    error: Option<&'a str>,
    computer_group: Option<&'a str>,
    endpoint_id: Option<&'a str>,
}

impl<'a> ApiRequest<'a> {
    /// A request to `target` (the Tanium server) for `path`.
    pub fn new(target: &'a str, path: &'a str, message: &'a str) -> Self {
        ApiRequest {
            target,
            path,
            message,
            status_code: None,
            error: None,
            computer_group: None,
            endpoint_id: None,
        }
    }

    /// The HTTP status the server answered with.
    pub fn status_code(mut self, code: u16) -> Self {
        self.status_code = Some(code);
        self
    }

    /// The same record with its required fields named at the call site:
    ///
    /// ```
    /// use logward::{Emit, tanium};
    /// tanium::ApiRequest::from_fields(tanium::ApiRequestFields {
    ///     target: "tanium",
    ///     path: "/api/v2/endpoints",
    ///     message: "endpoint list fetched",
    /// })
    /// .info();
    /// ```
    pub fn from_fields(fields: ApiRequestFields<'a>) -> Self {
        ApiRequest::new(fields.target, fields.path, fields.message)
    }

    super::optional_str_setters! {
        /// What went wrong, when the request failed.
        with_error => error,
        /// The computer group the request concerns.
        computer_group => computer_group,
        /// The endpoint the request concerns.
        endpoint_id => endpoint_id,
    }
}

impl Emit for ApiRequest<'_> {
    fn log(self, level: Level) {
        emit_rendered!(self, level, "logward::tanium", self.message);
    }
}

impl ApiRequest<'_> {
    /// Writes the record with each field visited by `tracing`.
    pub(crate) fn log_fields(&self, level: Level) {
        emit_at!(
            level,
            "logward::tanium",
            computer_group = self.computer_group,
            endpoint_id = self.endpoint_id,
            target = self.target,
            path = self.path,
            status_code = self.status_code,
            error = self.error,
            message = self.message,
        );
    }
}

impl Render for ApiRequest<'_> {
    fn render(&self, out: &mut Writer<'_>) {
        out.opt_str(key!("computer_group"), self.computer_group);
        out.opt_str(key!("endpoint_id"), self.endpoint_id);
        out.str(key!("target"), self.target);
        out.str(key!("path"), self.path);
        if let Some(code) = self.status_code {
            out.uint(key!("status_code"), u64::from(code));
        }
        out.opt_str(key!("error"), self.error);
    }
}

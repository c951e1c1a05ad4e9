//! Audit records: login attempts, user activity, setting changes, API requests.
//!
//! Every audit record carries `action`, `access_granted`, `client_ip` and,
//! when the request came through a proxy, `forwarded_for_client_ip`.

use super::rendered::{Render, Writer, emit_rendered, key};
use super::{Emit, emit_at};
use crate::Level;

/// A login attempt: `action="login_attempt"`.
#[derive(Debug, Clone)]
#[must_use = "nothing is logged until `log` or a level method is called"]
pub struct LoginAttempt<'a> {
    access_granted: bool,
    client_ip: &'a str,
    forwarded_for_client_ip: Option<&'a str>,
    message: Option<&'a str>,
}

impl<'a> LoginAttempt<'a> {
    /// A login attempt from `client_ip` that was (or was not) granted.
    pub fn new(access_granted: bool, client_ip: &'a str) -> Self {
        LoginAttempt {
            access_granted,
            client_ip,
            forwarded_for_client_ip: None,
            message: None,
        }
    }

    super::optional_str_setters! {
        /// The original client address reported by a proxy.
        forwarded_for => forwarded_for_client_ip,
        /// A human-readable message.
        message => message,
    }
}

impl Emit for LoginAttempt<'_> {
    fn log(self, level: Level) {
        emit_rendered!(self, level, "logward::audit", self.message);
    }
}

impl LoginAttempt<'_> {
    /// Writes the record with each field visited by `tracing`.
    pub(crate) fn log_fields(&self, level: Level) {
        emit_at!(
            level,
            "logward::audit",
            action = "login_attempt",
            access_granted = self.access_granted,
            client_ip = self.client_ip,
            forwarded_for_client_ip = self.forwarded_for_client_ip,
            message = self.message,
        );
    }
}

impl Render for LoginAttempt<'_> {
    fn render(&self, out: &mut Writer<'_>) {
        out.fixed(key!("action" => "\"login_attempt\""));
        out.either(
            self.access_granted,
            key!("access_granted" => "true"),
            key!("access_granted" => "false"),
        );
        out.str(key!("client_ip"), self.client_ip);
        out.opt_str(
            key!("forwarded_for_client_ip"),
            self.forwarded_for_client_ip,
        );
    }
}

/// What a user did to an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Activity {
    /// Viewed or opened.
    Access,
    /// Created.
    Create,
    /// Changed.
    Update,
    /// Deleted.
    Remove,
    /// Exported to Jira.
    ExportJira,
}

impl Activity {
    /// The `action` value: `access`, `create`, `update`, `remove`, `export_jira`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Activity::Access => "access",
            Activity::Create => "create",
            Activity::Update => "update",
            Activity::Remove => "remove",
            Activity::ExportJira => "export_jira",
        }
    }
}

/// The required fields of a [`UserActivity`], by name.
#[derive(Debug, Clone, Copy)]
pub struct UserActivityFields<'a> {
    /// What the user did.
    pub action: Activity,
    /// Whether it was allowed.
    pub access_granted: bool,
    /// The kind of element acted on (e.g. `"report"`).
    pub element: &'a str,
    /// The address the request came from.
    pub client_ip: &'a str,
}

impl<'a> From<UserActivityFields<'a>> for UserActivity<'a> {
    fn from(fields: UserActivityFields<'a>) -> Self {
        UserActivity::from_fields(fields)
    }
}

/// User activity on an element (`action` is the [`Activity`]).
#[derive(Debug, Clone)]
#[must_use = "nothing is logged until `log` or a level method is called"]
pub struct UserActivity<'a> {
    action: Activity,
    access_granted: bool,
    element: &'a str,
    client_ip: &'a str,
    access_denied_reason: Option<&'a str>,
    element_id: Option<&'a str>,
    forwarded_for_client_ip: Option<&'a str>,
    message: Option<&'a str>,
}

impl<'a> UserActivity<'a> {
    /// `action` on an `element` (e.g. `"report"`) from `client_ip`.
    pub fn new(
        action: Activity,
        access_granted: bool,
        element: &'a str,
        client_ip: &'a str,
    ) -> Self {
        UserActivity {
            action,
            access_granted,
            element,
            client_ip,
            access_denied_reason: None,
            element_id: None,
            forwarded_for_client_ip: None,
            message: None,
        }
    }

    /// The same record with every required field named at the call site:
    ///
    /// ```
    /// use logward::{Emit, audit};
    /// audit::UserActivity::from_fields(audit::UserActivityFields {
    ///     action: audit::Activity::ExportJira,
    ///     access_granted: true,
    ///     element: "report",
    ///     client_ip: "10.0.0.7",
    /// })
    /// .info();
    /// ```
    pub fn from_fields(fields: UserActivityFields<'a>) -> Self {
        UserActivity::new(
            fields.action,
            fields.access_granted,
            fields.element,
            fields.client_ip,
        )
    }

    super::optional_str_setters! {
        /// Why access was denied.
        denied_because => access_denied_reason,
        /// The id of the element acted on.
        element_id => element_id,
        /// The original client address reported by a proxy.
        forwarded_for => forwarded_for_client_ip,
        /// A human-readable message.
        message => message,
    }
}

impl Emit for UserActivity<'_> {
    fn log(self, level: Level) {
        emit_rendered!(self, level, "logward::audit", self.message);
    }
}

impl UserActivity<'_> {
    /// Writes the record with each field visited by `tracing`.
    pub(crate) fn log_fields(&self, level: Level) {
        emit_at!(
            level,
            "logward::audit",
            action = self.action.as_str(),
            access_granted = self.access_granted,
            access_denied_reason = self.access_denied_reason,
            element = self.element,
            element_id = self.element_id,
            client_ip = self.client_ip,
            forwarded_for_client_ip = self.forwarded_for_client_ip,
            message = self.message,
        );
    }
}

impl Render for UserActivity<'_> {
    fn render(&self, out: &mut Writer<'_>) {
        out.str(key!("action"), self.action.as_str());
        out.either(
            self.access_granted,
            key!("access_granted" => "true"),
            key!("access_granted" => "false"),
        );
        out.opt_str(key!("access_denied_reason"), self.access_denied_reason);
        out.str(key!("element"), self.element);
        out.opt_str(key!("element_id"), self.element_id);
        out.str(key!("client_ip"), self.client_ip);
        out.opt_str(
            key!("forwarded_for_client_ip"),
            self.forwarded_for_client_ip,
        );
    }
}

/// The required fields of a [`SettingChange`], by name.
#[derive(Debug, Clone, Copy)]
pub struct SettingChangeFields<'a> {
    /// Whether the change was allowed.
    pub access_granted: bool,
    /// The setting's name.
    pub setting: &'a str,
    /// Its value before.
    pub old_value: &'a str,
    /// The value asked for.
    pub new_value: &'a str,
    /// The address the request came from.
    pub client_ip: &'a str,
}

impl<'a> From<SettingChangeFields<'a>> for SettingChange<'a> {
    fn from(fields: SettingChangeFields<'a>) -> Self {
        SettingChange::from_fields(fields)
    }
}

/// A setting changed (or an attempt to): `action="setting_change"`.
#[derive(Debug, Clone)]
#[must_use = "nothing is logged until `log` or a level method is called"]
pub struct SettingChange<'a> {
    access_granted: bool,
    setting: &'a str,
    old_value: &'a str,
    new_value: &'a str,
    client_ip: &'a str,
    access_denied_reason: Option<&'a str>,
    element_id: Option<&'a str>,
    forwarded_for_client_ip: Option<&'a str>,
    message: Option<&'a str>,
}

impl<'a> SettingChange<'a> {
    /// `setting` changed from `old_value` to `new_value` by a request from `client_ip`.
    pub fn new(
        access_granted: bool,
        setting: &'a str,
        old_value: &'a str,
        new_value: &'a str,
        client_ip: &'a str,
    ) -> Self {
        SettingChange {
            access_granted,
            setting,
            old_value,
            new_value,
            client_ip,
            access_denied_reason: None,
            element_id: None,
            forwarded_for_client_ip: None,
            message: None,
        }
    }

    /// The same record with every required field named at the call site,
    /// for when several text arguments in a row are easy to swap:
    ///
    /// ```
    /// use logward::{Emit, audit};
    /// audit::SettingChange::from_fields(audit::SettingChangeFields {
    ///     access_granted: true,
    ///     setting: "session_timeout",
    ///     old_value: "30",
    ///     new_value: "15",
    ///     client_ip: "10.0.0.7",
    /// })
    /// .info();
    /// ```
    pub fn from_fields(fields: SettingChangeFields<'a>) -> Self {
        let SettingChangeFields {
            access_granted,
            setting,
            old_value,
            new_value,
            client_ip,
        } = fields;
        SettingChange::new(access_granted, setting, old_value, new_value, client_ip)
    }

    super::optional_str_setters! {
        /// Why the change was refused.
        denied_because => access_denied_reason,
        /// The id of the element whose setting changed.
        element_id => element_id,
        /// The original client address reported by a proxy.
        forwarded_for => forwarded_for_client_ip,
        /// A human-readable message.
        message => message,
    }
}

impl Emit for SettingChange<'_> {
    fn log(self, level: Level) {
        emit_rendered!(self, level, "logward::audit", self.message);
    }
}

impl SettingChange<'_> {
    /// Writes the record with each field visited by `tracing`.
    pub(crate) fn log_fields(&self, level: Level) {
        emit_at!(
            level,
            "logward::audit",
            action = "setting_change",
            access_granted = self.access_granted,
            setting = self.setting,
            old_value = self.old_value,
            new_value = self.new_value,
            access_denied_reason = self.access_denied_reason,
            element_id = self.element_id,
            client_ip = self.client_ip,
            forwarded_for_client_ip = self.forwarded_for_client_ip,
            message = self.message,
        );
    }
}

impl Render for SettingChange<'_> {
    fn render(&self, out: &mut Writer<'_>) {
        out.fixed(key!("action" => "\"setting_change\""));
        out.either(
            self.access_granted,
            key!("access_granted" => "true"),
            key!("access_granted" => "false"),
        );
        out.str(key!("setting"), self.setting);
        out.str(key!("old_value"), self.old_value);
        out.str(key!("new_value"), self.new_value);
        out.opt_str(key!("access_denied_reason"), self.access_denied_reason);
        out.opt_str(key!("element_id"), self.element_id);
        out.str(key!("client_ip"), self.client_ip);
        out.opt_str(
            key!("forwarded_for_client_ip"),
            self.forwarded_for_client_ip,
        );
    }
}

/// An API request checked for access: `action="api_request"`.
///
/// The API key is recorded only when it was invalid (access not granted):
/// a valid key is a secret and never reaches the log.
#[derive(Debug, Clone)]
#[must_use = "nothing is logged until `log` or a level method is called"]
pub struct ApiRequest<'a> {
    access_granted: bool,
    client_ip: &'a str,
    access_denied_reason: Option<&'a str>,
    invalid_api_key: Option<&'a str>,
    forwarded_for_client_ip: Option<&'a str>,
    message: Option<&'a str>,
}

impl<'a> ApiRequest<'a> {
    /// An API request from `client_ip` that was (or was not) granted.
    pub fn new(access_granted: bool, client_ip: &'a str) -> Self {
        ApiRequest {
            access_granted,
            client_ip,
            access_denied_reason: None,
            invalid_api_key: None,
            forwarded_for_client_ip: None,
            message: None,
        }
    }

    /// The key recorded: the invalid one presented, never a valid one.
    fn api_key(&self) -> Option<&'a str> {
        if self.access_granted {
            None
        } else {
            self.invalid_api_key
        }
    }

    super::optional_str_setters! {
        /// Why the request was refused.
        denied_because => access_denied_reason,
        /// The key that was presented and found invalid. Ignored when access
        /// was granted, so a valid key can never be logged.
        invalid_api_key => invalid_api_key,
        /// The original client address reported by a proxy.
        forwarded_for => forwarded_for_client_ip,
        /// A human-readable message.
        message => message,
    }
}

impl Emit for ApiRequest<'_> {
    fn log(self, level: Level) {
        emit_rendered!(self, level, "logward::audit", self.message);
    }
}

impl ApiRequest<'_> {
    /// Writes the record with each field visited by `tracing`.
    pub(crate) fn log_fields(&self, level: Level) {
        emit_at!(
            level,
            "logward::audit",
            action = "api_request",
            access_granted = self.access_granted,
            access_denied_reason = self.access_denied_reason,
            api_key = self.api_key(),
            client_ip = self.client_ip,
            forwarded_for_client_ip = self.forwarded_for_client_ip,
            message = self.message,
        );
    }
}

impl Render for ApiRequest<'_> {
    fn render(&self, out: &mut Writer<'_>) {
        out.fixed(key!("action" => "\"api_request\""));
        out.either(
            self.access_granted,
            key!("access_granted" => "true"),
            key!("access_granted" => "false"),
        );
        out.opt_str(key!("access_denied_reason"), self.access_denied_reason);
        out.opt_str(key!("api_key"), self.api_key());
        out.str(key!("client_ip"), self.client_ip);
        out.opt_str(
            key!("forwarded_for_client_ip"),
            self.forwarded_for_client_ip,
        );
    }
}

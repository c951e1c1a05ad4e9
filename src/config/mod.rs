//! Loading and validating the configuration: which file, which keys, and
//! the effective [`Route`] of every log type.
//!
//! The configuration is a `KEY=VALUE` file (the `parse` module has the format)
//! that also works as a systemd `EnvironmentFile=`:
//!
//! ```text
//! LOG_LEVEL=info
//! LOG_FILE=/var/log/shop/app.log
//! LOG_ROTATE_DAILY=true
//! LOG_ROTATE_MAX=14
//! LOG_FILE_AUDIT=/var/log/shop/audit.log
//! LOG_OVERFLOW_WEB=drop
//! ```
//!
//! The file is found as follows: the explicit path (the library argument or
//! `logward --config`), else `LOGWARD_CONFIG`, else [`DEFAULT_CONFIG_PATH`].
//! A named file that is missing is an error; a missing default file means
//! the built-in default, `info` and above of every type to journald. Every
//! key can be overridden by an environment variable `LOGWARD_<KEY>`, also
//! when there is no file.
//!
//! Loading collects every problem before failing, each naming the key, the
//! value, its file line or environment variable, and what is allowed.
//! Unknown keys are warnings, with the nearest known key suggested. Keys
//! starting with `EXPORT_` belong to the tool's exports (`logward ship`)
//! and keys starting with `RECEIVE_` to its collector (`logward receive`):
//! the library accepts them without a warning, keeps them with their origin
//! ([`Config::export_settings`], [`Config::receive_settings`]) and leaves
//! their validation to the tool.

mod error;
mod fingerprint;
mod keys;
mod parse;
mod provider;
mod resolve;
mod route;
mod suggest;
mod table;
mod writable;

#[cfg(test)]
mod tests;

use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::log_type::LogType;

pub use error::{ConfigError, ConfigErrorKind, ConfigErrors, Origin};
pub use keys::ConfigKey;
pub use route::{Compression, Destination, Overflow, Route, SyncPolicy};
pub use writable::WouldCreate;

use error::Diagnostics;
use provider::EnvOverrides;

/// Where the configuration is read from when neither an explicit path nor
/// `LOGWARD_CONFIG` names one.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/logward/config";

/// The effective configuration: a route per log type, and the settings
/// shared by all writers.
#[derive(Debug, Clone)]
pub struct Config {
    routes: [Route; 5],
    /// For each type routed to a file, the key naming the file and its origin.
    file_keys: [Option<(String, Origin)>; 5],
    source: Option<PathBuf>,
    warnings: Vec<String>,
    queue_size: usize,
    syslog_identifier: Option<String>,
    journal_users: Vec<String>,
    journal_units: Vec<String>,
    exports: Vec<ToolSetting>,
    receive: Vec<ToolSetting>,
    settings: Vec<ToolSetting>,
}

/// One key as set in the file or the environment: the tool's keys
/// (`EXPORT_*` for `logward ship`, `RECEIVE_*` for `logward receive`) for
/// the tool to validate, and every key in [`Config::settings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolSetting {
    /// The key, such as `EXPORT_SIEM_URL` or `RECEIVE_RAW_FILE`.
    pub key: String,
    /// The literal value.
    pub value: String,
    /// The file line or environment variable that set it.
    pub origin: Origin,
}

impl Config {
    /// Loads the configuration with overrides from the process environment.
    ///
    /// `explicit` is the file to read; when `None`, `LOGWARD_CONFIG` names
    /// it, else [`DEFAULT_CONFIG_PATH`] is read if it exists.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Config`] error when a named file does not exist, a
    /// file cannot be read, or the configuration is invalid; its message
    /// lists every problem, one per line.
    pub fn load(explicit: Option<&Path>) -> Result<Config> {
        Config::load_with_env(explicit, std::env::vars_os())
    }

    /// [`Config::load`] with the environment given as `(name, value)` pairs
    /// instead of read from the process; only `LOGWARD_*` names are used.
    ///
    /// ```
    /// # use logward::{Config, LogType, Level};
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("config");
    /// std::fs::write(&path, "LOG_LEVEL=info\n")?;
    /// let config = Config::load_with_env(None, [
    ///     ("LOGWARD_CONFIG", path.as_os_str()),
    ///     ("LOGWARD_LOG_LEVEL", "debug".as_ref()),
    /// ])?;
    /// assert_eq!(config.route(LogType::Web).level, Level::Debug);
    /// assert_eq!(config.source(), Some(path.as_path()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Config::load`].
    pub fn load_with_env<I, K, V>(explicit: Option<&Path>, env: I) -> Result<Config>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<std::ffi::OsString>,
        V: Into<std::ffi::OsString>,
    {
        Config::load_from(explicit, env, Path::new(DEFAULT_CONFIG_PATH))
    }

    /// [`Config::load_with_env`] with `default` in place of
    /// [`DEFAULT_CONFIG_PATH`].
    fn load_from<I, K, V>(explicit: Option<&Path>, env: I, default: &Path) -> Result<Config>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<std::ffi::OsString>,
        V: Into<std::ffi::OsString>,
    {
        let mut diagnostics = Diagnostics::default();
        let env = EnvOverrides::from_vars(env, &mut diagnostics);
        let (path, named_by) = match (explicit, &env.config_path) {
            (Some(path), _) => (path.to_path_buf(), Some("given explicitly")),
            (None, Some(path)) => (path.clone(), Some("named by LOGWARD_CONFIG")),
            (None, None) => (default.to_path_buf(), None),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == io::ErrorKind::NotFound && named_by.is_none() => None,
            Err(e) => {
                let what = if e.kind() == io::ErrorKind::NotFound {
                    "does not exist"
                } else {
                    "cannot be read"
                };
                let named_by = named_by.unwrap_or("at the default location");
                return Err(Error::new(
                    ErrorKind::Config,
                    format!(
                        "the configuration file {}, {named_by}, {what}",
                        path.display()
                    ),
                )
                .with_path(path)
                .with_source(e));
            }
        };
        let file = text.as_deref().map(|text| (text, path.as_path()));
        Config::build(file, &env, diagnostics).map_err(|errors| {
            let error = Error::from(errors);
            match file {
                Some((_, path)) => error.with_path(path),
                None => error,
            }
        })
    }

    /// Parses configuration `text` as if read from `path`, without
    /// environment overrides. `path` is only used in messages and
    /// [`Config::source`].
    ///
    /// ```
    /// # use logward::{Config, Destination, Level, LogType};
    /// # use std::path::Path;
    /// let config = Config::from_str(
    ///     "LOG_LEVEL=warning\nLOG_FILE_AUDIT=/var/log/shop/audit.log\n",
    ///     Path::new("/etc/logward/config"),
    /// )?;
    /// assert_eq!(config.route(LogType::Web).level, Level::Warning);
    /// assert_eq!(config.route(LogType::Audit).level, Level::Info);
    /// assert!(matches!(config.route(LogType::Audit).destination, Destination::File { .. }));
    /// # Ok::<(), logward::ConfigErrors>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Every problem in the text, in line order.
    pub fn from_str(text: &str, path: &Path) -> Result<Config, ConfigErrors> {
        Config::build(
            Some((text, path)),
            &EnvOverrides::default(),
            Diagnostics::default(),
        )
    }

    /// The configuration used when there is no file and no override: level
    /// `info`, every type to journald, blocking, no fsync.
    pub fn builtin_default() -> Config {
        Config {
            routes: std::array::from_fn(|_| Route::builtin()),
            file_keys: Default::default(),
            source: None,
            warnings: Vec::new(),
            queue_size: resolve::DEFAULT_QUEUE_SIZE,
            syslog_identifier: None,
            journal_users: Vec::new(),
            journal_units: Vec::new(),
            exports: Vec::new(),
            receive: Vec::new(),
            settings: Vec::new(),
        }
    }

    /// Parses `file` if any, merges the overrides, and resolves the routes.
    fn build(
        file: Option<(&str, &Path)>,
        env: &EnvOverrides,
        mut diagnostics: Diagnostics,
    ) -> Result<Config, ConfigErrors> {
        let parsed = file.map(|(text, path)| parse::parse(text, path, &mut diagnostics));
        let settings = provider::merge(parsed.as_ref(), env, &mut diagnostics);
        let source = file.map(|(_, path)| path);
        let resolved = resolve::resolve(&settings, source, &mut diagnostics);
        if let Err(errors) = ConfigErrors::check(std::mem::take(&mut diagnostics.errors)) {
            return Err(errors.with_warnings(diagnostics.into_warnings()));
        }
        Ok(Config {
            routes: resolved.routes,
            file_keys: resolved.file_keys,
            source: source.map(Path::to_path_buf),
            warnings: diagnostics.into_warnings(),
            queue_size: resolved.queue_size,
            syslog_identifier: resolved.syslog_identifier,
            journal_users: resolved.journal_users,
            journal_units: resolved.journal_units,
            exports: tool_settings(&settings, resolve::EXPORT_PREFIX),
            receive: tool_settings(&settings, resolve::RECEIVE_PREFIX),
            settings: tool_settings(&settings, ""),
        })
    }

    /// The effective route of `log_type`.
    pub fn route(&self, log_type: LogType) -> &Route {
        &self.routes[log_type.index()]
    }

    /// Every log type with its route, in [`LogType::ALL`] order.
    pub fn routes(&self) -> impl Iterator<Item = (LogType, &Route)> {
        LogType::ALL.into_iter().zip(self.routes.iter())
    }

    /// The file the configuration was read from; `None` for the built-in
    /// default (with or without environment overrides).
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// Problems that did not stop loading (unknown keys, repeated keys), one
    /// line each, for the caller to report.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Records each writer's queue holds (`LOG_QUEUE_SIZE`, default 65536).
    pub fn queue_size(&self) -> usize {
        self.queue_size
    }

    /// The `EXPORT_*` keys, sorted by name, each with its value and origin
    /// (an environment override replaces the file's value). The library
    /// does not interpret them; `logward ship` and `logward config check`
    /// do.
    pub fn export_settings(&self) -> &[ToolSetting] {
        &self.exports
    }

    /// The `RECEIVE_*` keys, as [`Config::export_settings`] gives the
    /// exports' keys; `logward receive` interprets them.
    pub fn receive_settings(&self) -> &[ToolSetting] {
        &self.receive
    }

    /// Every key set in the file or the environment, known or not, sorted
    /// by name, each with its value and where it came from (an environment
    /// override replaces the file's value); a key not listed has its
    /// default.
    pub fn settings(&self) -> &[ToolSetting] {
        &self.settings
    }

    /// The journald `SYSLOG_IDENTIFIER` (`LOG_SYSLOG_IDENTIFIER`); `None`
    /// means the program name.
    pub fn syslog_identifier(&self) -> Option<&str> {
        self.syslog_identifier.as_deref()
    }

    /// This configuration with journald records tagged `identifier`
    /// instead of `LOG_SYSLOG_IDENTIFIER` or the program name.
    ///
    /// # Errors
    ///
    /// What is wrong with `identifier` and what is allowed, when it is
    /// empty or holds control characters.
    pub(crate) fn with_syslog_identifier(mut self, identifier: &str) -> Result<Config, String> {
        self.syslog_identifier = Some(resolve::parse_identifier(identifier)?);
        Ok(self)
    }

    /// The users whose journal entries are trusted when the journal is read
    /// back, besides root (`LOG_JOURNAL_USERS`): names or numeric ids, as
    /// listed; empty when unset.
    pub fn journal_users(&self) -> &[String] {
        &self.journal_users
    }

    /// The systemd units whose journal entries are trusted when the journal
    /// is read back (`LOG_JOURNAL_UNITS`); empty when unset.
    pub fn journal_units(&self) -> &[String] {
        &self.journal_units
    }
}

/// The settings whose key starts with `prefix`, for the tool.
fn tool_settings(
    settings: &std::collections::BTreeMap<String, provider::Setting>,
    prefix: &str,
) -> Vec<ToolSetting> {
    settings
        .iter()
        .filter(|(key, _)| key.starts_with(prefix))
        .map(|(key, setting)| ToolSetting {
            key: key.clone(),
            value: setting.value.clone(),
            origin: setting.origin.clone(),
        })
        .collect()
}

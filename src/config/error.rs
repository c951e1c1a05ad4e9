//! Configuration problems: where a value came from, what is wrong with it,
//! and the list type that carries every problem found in one load.
//!
//! Loading never stops at the first problem: every bad line, value and
//! combination is collected, so an operator fixes a file in one pass. Each
//! problem renders on one line as `ORIGIN: KEY="VALUE": what is wrong; allowed: …`.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind};

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A configuration file; `line` is 1-based, `None` for the file as a whole.
    File {
        /// The file's path as it was given.
        path: PathBuf,
        /// The line the value is on, if the problem is about one line.
        line: Option<usize>,
    },
    /// An environment variable override, such as `LOGWARD_LOG_LEVEL`.
    Env {
        /// The variable's full name.
        var: String,
    },
}

impl Origin {
    /// A line of a configuration file.
    pub(crate) fn line(path: &Path, line: usize) -> Origin {
        Origin::File {
            path: path.to_path_buf(),
            line: Some(line),
        }
    }

    /// A configuration file as a whole.
    pub(crate) fn file(path: &Path) -> Origin {
        Origin::File {
            path: path.to_path_buf(),
            line: None,
        }
    }

    /// Orders file lines first (by line), then whole files, then the environment.
    pub(crate) fn sort_key(&self) -> (u8, usize) {
        match self {
            Origin::File {
                line: Some(line), ..
            } => (0, *line),
            Origin::File { line: None, .. } => (1, 0),
            Origin::Env { .. } => (2, 0),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File {
                path,
                line: Some(line),
            } => write!(f, "{}:{line}", path.display()),
            Origin::File { path, line: None } => write!(f, "{}", path.display()),
            Origin::Env { var } => write!(f, "environment variable {var}"),
        }
    }
}

/// What kind of configuration problem this is; match on this, not on text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// A file line is not `KEY=VALUE`, a comment, or blank.
    Syntax,
    /// A required key is not set.
    Missing,
    /// A value is not one its key allows.
    InvalidValue,
    /// Keys that are valid on their own contradict each other.
    Conflict,
    /// A file destination's directory cannot be created or written.
    Unwritable,
    /// A source (the environment, or merging the sources) could not be read.
    Source,
}

/// One configuration problem, naming the key, the value, where it came from,
/// and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    kind: ConfigErrorKind,
    key: Option<String>,
    value: Option<String>,
    origin: Option<Origin>,
    message: String,
}

impl ConfigError {
    /// A problem of `kind`; `message` says what is wrong and what is allowed.
    pub(crate) fn new(kind: ConfigErrorKind, message: impl Into<String>) -> Self {
        ConfigError {
            kind,
            key: None,
            value: None,
            origin: None,
            message: message.into(),
        }
    }

    /// Names the key the problem is about.
    #[must_use]
    pub(crate) fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Names the offending value.
    #[must_use]
    pub(crate) fn with_value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }

    /// Names where the value came from.
    #[must_use]
    pub(crate) fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = Some(origin);
        self
    }

    /// The kind of problem.
    pub fn kind(&self) -> ConfigErrorKind {
        self.kind
    }

    /// The key the problem is about, if it is about one key.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The offending value, if there is one.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// Where the value came from, if known.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// What is wrong and what is allowed, without the origin, key and value.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(origin) = &self.origin {
            write!(f, "{origin}: ")?;
        }
        if let Some(key) = &self.key {
            f.write_str(key)?;
            if let Some(value) = &self.value {
                write!(f, "={value:?}")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found in one configuration, in file order, then the
/// environment's. Displays one problem per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    errors: Vec<ConfigError>,
    warnings: Vec<String>,
}

impl ConfigErrors {
    /// `Ok(())` when `errors` is empty, else the sorted list.
    pub(crate) fn check(mut errors: Vec<ConfigError>) -> Result<(), ConfigErrors> {
        if errors.is_empty() {
            return Ok(());
        }
        errors.sort_by_key(|e| e.origin.as_ref().map_or((3, 0), Origin::sort_key));
        Err(ConfigErrors {
            errors,
            warnings: Vec::new(),
        })
    }

    /// Attaches the warnings found while loading, shown after the errors
    /// (an unknown key is often the cause of a missing one).
    #[must_use]
    pub(crate) fn with_warnings(mut self, warnings: Vec<String>) -> Self {
        self.warnings = warnings;
        self
    }

    /// The warnings found alongside the errors.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The problems, in file order, then the environment's.
    pub fn errors(&self) -> &[ConfigError] {
        &self.errors
    }

    /// How many problems there are (at least one).
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Always `false`: a `ConfigErrors` holds at least one problem.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        for warning in &self.warnings {
            write!(f, "\nwarning: {warning}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigErrors> for Error {
    /// A [`ErrorKind::Config`] error whose message lists every problem.
    fn from(errors: ConfigErrors) -> Error {
        let count = errors.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        Error::new(
            ErrorKind::Config,
            format!("invalid logward configuration, {count} {noun}:\n{errors}"),
        )
    }
}

/// The errors and warnings collected while loading one configuration.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    /// Problems that make the configuration unusable.
    pub(crate) errors: Vec<ConfigError>,
    /// Notes for the operator that do not stop loading, with their origin's
    /// sort key.
    warnings: Vec<((u8, usize), String)>,
}

impl Diagnostics {
    /// Adds a warning about a value from `origin`.
    pub(crate) fn warn(&mut self, origin: &Origin, warning: String) {
        self.warnings.push((origin.sort_key(), warning));
    }

    /// The warnings in file order, then the environment's.
    pub(crate) fn into_warnings(mut self) -> Vec<String> {
        self.warnings.sort_by_key(|(key, _)| *key);
        self.warnings.into_iter().map(|(_, w)| w).collect()
    }
}

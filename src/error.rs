//! The library's one error type.

use std::fmt;
use std::path::PathBuf;

/// What went wrong, broadly; match on this rather than on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The configuration is invalid (a key, a value, a combination).
    Config,
    /// A sink could not be opened or written.
    Sink,
    /// The `tracing` global subscriber was already set.
    AlreadyInitialized,
    /// Bundling logs failed.
    Bundle,
    /// A configuration reload cannot be done: no runtime is running, it has
    /// no file to re-read, or the `SIGHUP` handler cannot be installed.
    Reload,
}

/// An error from logward: a kind, a message with its context, and the cause.
///
/// Its `Debug` is the readable text (the message, then each
/// cause on a line of its own), because that is what `main` returning
/// `Result<(), logward::Error>` prints; `{:#?}` gives the fields.
#[derive(thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    path: Option<PathBuf>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f
                .debug_struct("Error")
                .field("kind", &self.kind)
                .field("message", &self.message)
                .field("path", &self.path)
                .field("source", &self.source)
                .finish();
        }
        // The message already names the path it is about.
        f.write_str(&self.message)?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            write!(f, "\ncaused by: {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// `Result` with logward's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with a message that says what and why.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            path: None,
            source: None,
        }
    }

    /// Attaches the path the error is about.
    #[must_use]
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The file or directory the error is about, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;
    use std::path::Path;

    #[test]
    fn debug_is_the_readable_listing_that_main_prints() {
        let errors = Config::from_str("LOG_LEVEL=verbose\n", Path::new("/etc/logward/config"))
            .expect_err("an invalid level");
        let error = Error::from(errors);
        assert_eq!(
            format!("{error:?}"),
            "invalid logward configuration, 1 problem:\n/etc/logward/config:1: LOG_LEVEL=\"verbose\": unknown level; allowed: debug, info, warning, error, critical"
        );
        assert!(format!("{error:#?}").starts_with("Error {\n    kind: Config,"));
    }

    #[derive(Debug, thiserror::Error)]
    #[error("permission denied")]
    struct Denied;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot create /var/log/app")]
    struct Create(#[source] Denied);

    #[test]
    fn debug_lists_each_cause_on_its_own_line() {
        let error = Error::new(ErrorKind::Sink, "cannot open log file /var/log/app/x.log")
            .with_source(Create(Denied));
        assert_eq!(
            format!("{error:?}"),
            "cannot open log file /var/log/app/x.log\ncaused by: cannot create /var/log/app\ncaused by: permission denied"
        );
    }
}

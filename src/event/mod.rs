//! Typed constructors for every record schema.
//!
//! Each schema is a struct whose constructor takes the fields the schema
//! requires, so leaving one out does not compile; optional fields are set
//! with chained methods and are absent from the record when unset. A record
//! is written by [`Emit::log`] or one of the level methods:
//!
//! ```
//! use logward::{Emit, audit};
//! audit::LoginAttempt::new(false, "10.0.0.7")
//!     .forwarded_for("203.0.113.9")
//!     .message("wrong password")
//!     .warning();
//! ```
//!
//! Each record is an ordinary `tracing` event whose target names its log
//! type (`logward::audit`, …), so other layers see it too: its `message`
//! as a field of its own and its other fields rendered once, as the one
//! value `logward.fields` (see the `rendered` module).

pub mod analysis;
pub mod application;
pub mod audit;
pub(crate) mod rendered;
pub mod tanium;
#[cfg(test)]
mod tests;
pub mod web;

use crate::Level;

/// Writes a typed record at a level.
pub trait Emit: Sized {
    /// Writes the record at `level`.
    fn log(self, level: Level);

    /// Writes the record at `debug`.
    fn debug(self) {
        self.log(Level::Debug);
    }

    /// Writes the record at `info`.
    fn info(self) {
        self.log(Level::Info);
    }

    /// Writes the record at `warning`.
    fn warning(self) {
        self.log(Level::Warning);
    }

    /// Writes the record at `error`.
    fn error(self) {
        self.log(Level::Error);
    }

    /// Writes the record at `critical`.
    fn critical(self) {
        self.log(Level::Critical);
    }
}

/// Chained setters for optional `&str` fields: each named method sets its
/// field to `Some(value)`.
macro_rules! optional_str_setters {
    ($($(#[$doc:meta])* $method:ident => $field:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $method(mut self, value: &'a str) -> Self {
                self.$field = Some(value);
                self
            }
        )*
    };
}
pub(crate) use optional_str_setters;

/// Emits a `tracing` event at a logward level chosen at run time: one
/// static callsite per level, `critical` carrying the marker field.
macro_rules! emit_at {
    ($level:expr, $target:literal, $($fields:tt)*) => {
        match $level {
            $crate::Level::Debug => {
                ::tracing::event!(target: $target, ::tracing::Level::DEBUG, $($fields)*)
            }
            $crate::Level::Info => {
                ::tracing::event!(target: $target, ::tracing::Level::INFO, $($fields)*)
            }
            $crate::Level::Warning => {
                ::tracing::event!(target: $target, ::tracing::Level::WARN, $($fields)*)
            }
            $crate::Level::Error => {
                ::tracing::event!(target: $target, ::tracing::Level::ERROR, $($fields)*)
            }
            $crate::Level::Critical => {
                ::tracing::event!(
                    target: $target,
                    ::tracing::Level::ERROR,
                    logward.critical = true,
                    $($fields)*
                )
            }
        }
    };
}
pub(crate) use emit_at;

/// Writes an `application` record at `critical`, with optional fields and a
/// format string, like `tracing::error!`. Give a `target:` of
/// `"logward::audit"` (or another type's target) to log another type.
///
/// ```
/// logward::critical!(device = "sda", "disk failing: {} bad sectors", 12);
/// ```
#[macro_export]
macro_rules! critical {
    (target: $target:expr, $($arg:tt)+) => {
        $crate::__private::tracing::event!(
            target: $target,
            $crate::__private::tracing::Level::ERROR,
            logward.critical = true,
            $($arg)+
        )
    };
    ($($arg:tt)+) => {
        $crate::__private::tracing::event!(
            $crate::__private::tracing::Level::ERROR,
            logward.critical = true,
            $($arg)+
        )
    };
}

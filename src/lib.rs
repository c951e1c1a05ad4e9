//! logward: a structured audit-logging runtime for Linux services.
//!
//! Every `tracing` event becomes one flat JSON record (see [`record`] for
//! the format), routed by its log type to systemd-journald or to a rotating
//! file. Service developers use the typed constructors in [`audit`], [`web`],
//! [`analysis`], [`application`] and [`tanium`], or plain `tracing` macros;
//! events from code that is not logward-aware become `application` records.
//!
//! ```no_run
//! use logward::{Emit, audit};
//!
//! let _guard = logward::init()?;
//! let span = tracing::info_span!("request", request_id = "0b1d6c1e-…", user_name = "alice");
//! let _entered = span.enter();
//! audit::LoginAttempt::new(true, "10.0.0.7").info();
//! tracing::info!(items = 3, "cart updated");
//! # Ok::<(), logward::Error>(())
//! ```
//!
//! `init` also bridges the `log` crate's records into `application`
//! records; [`init_with`] installs a layer of the developer's beside
//! logward's. Cargo features, off by default: `http`, a `tower` layer that
//! gives every request its span and `web` record (`logward::http`); `fmt`,
//! `stderr_layer()`, a `fmt` layer to stderr filtered by `RUST_LOG`.

mod clock;
mod config;
mod date;
mod error;
mod event;
#[cfg(feature = "http")]
pub mod http;
mod layer;
mod level;
mod log_type;
mod panic;
pub mod record;
mod reload;
mod runtime;
pub mod sink;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    Compression, Config, ConfigError, ConfigErrorKind, ConfigErrors, ConfigKey,
    DEFAULT_CONFIG_PATH, Destination, Origin, Overflow, Route, SyncPolicy, ToolSetting,
    WouldCreate,
};
pub use date::Date;
pub use error::{Error, ErrorKind, Result};
pub use event::{Emit, analysis, application, audit, tanium, web};
#[cfg(feature = "fmt")]
pub use layer::stderr_layer;
pub use layer::{LogwardLayer, TypeFilter};
pub use level::{CRITICAL_FIELD, Level, ParseLevelError};
pub use log_type::{LogType, ParseLogTypeError};
pub use reload::reload;
pub use runtime::{Builder, DEFAULT_QUEUE_SIZE, Guard, Logward, init, init_with};
pub use sink::{JournaldSink, journald_available, journald_available_at};

#[doc(hidden)]
pub mod __private {
    pub use tracing;
}

/// The README's Rust example, compiled and run with the doctests, so the
/// quick start always works as written.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

//! logward: a structured audit-logging runtime for Linux services.
//!
//! Every `tracing` event becomes one flat JSON record, routed by its log type
//! to systemd-journald or to a rotating file.

mod clock;
mod config;
mod error;
mod level;
mod log_type;
pub mod sink;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    Config, ConfigError, ConfigErrorKind, ConfigErrors, DEFAULT_CONFIG_PATH, Destination, Origin,
    Overflow, Route, SyncPolicy,
};
pub use error::{Error, ErrorKind, Result};
pub use level::Level;
pub use log_type::LogType;

//! One module per capability under test.

mod file_sink;
mod journald;
mod records;
mod routing;
mod overflow;
mod failover;

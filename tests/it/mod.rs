//! One module per capability under test.

mod crash;
mod developer;
mod failover;
mod file_rotation;
mod file_sink;
mod file_trust;
mod init_errors;
mod journald;
mod journald_faults;
mod journald_limits;
mod lean;
mod load;
mod overflow;
mod properties;
mod records;
mod reload;
mod rendered;
mod routing;

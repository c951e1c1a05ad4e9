//! One module per capability under test.

mod bundle;
mod cli;
mod cli_docs;
mod crash;
mod demo_sigterm;
mod failover;
mod file_sink;
mod init_errors;
mod journald;
mod journald_faults;
mod load;
mod overflow;
mod properties;
mod records;
mod routing;

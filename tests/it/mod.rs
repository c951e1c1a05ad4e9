//! One module per capability under test.

mod bundle;
mod cli;
mod cli_docs;
mod failover;
mod file_sink;
mod init_errors;
mod journald;
mod overflow;
mod records;
mod routing;

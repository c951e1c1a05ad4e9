//! One module per capability under test.

mod bundle;
mod cli;
mod file_sink;
mod journald;
mod records;

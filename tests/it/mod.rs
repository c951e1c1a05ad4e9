//! One module per capability under test.

mod cli;
mod file_sink;
mod journald;
mod records;

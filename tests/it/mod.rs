//! One module per capability under test.

mod journald;
mod records;

//! Helpers shared by the integration tests.

pub mod capture;
pub mod child;
pub mod example;
pub mod journald;

/// A fresh id (32 hex digits) that tags the records of one test, so that it
/// reads back only its own records from a shared journal.
pub fn unique_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

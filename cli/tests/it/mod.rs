//! One module per capability under test.

mod bundle;
mod bundle_cli;
mod cli;
mod cli_docs;
mod cli_output;
mod demo_sigterm;
mod journal_trust;

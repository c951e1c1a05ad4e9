//! One module per capability under test.

mod bundle;
mod cli;
mod cli_docs;
mod demo_sigterm;
mod https_server;
mod import;
mod import_post;
mod ship;

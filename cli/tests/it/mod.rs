//! One module per capability under test.

mod bundle;
mod cli;
mod cli_docs;
mod cli_edges;
mod demo_sigterm;
mod read_only;
mod shared_rotation;

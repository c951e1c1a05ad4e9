//! One module per capability under test.

mod bundle;
mod bundle_cli;
mod bundle_filter;
mod bundle_order;
mod cli;
mod cli_docs;
mod cli_edges;
mod cli_output;
mod compressed_files;
mod config_reload;
mod demo_sigterm;
mod emit_identity;
mod https_server;
mod import;
mod import_post;
mod journal_trust;
mod kafka;
mod read_only;
mod receive;
mod seal;
mod shared_rotation;
mod ship;
mod show;
mod show_follow;

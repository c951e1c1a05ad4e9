//! Helpers shared by the integration tests of the workspace's crates.

use std::path::{Path, PathBuf};

use logward::{Guard, Logward};
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt;

pub mod capture;
pub mod child;
pub mod example;
pub mod journald;
pub mod kafka;
pub mod tmpfs;

/// The workspace's root directory, where `.ci/` and `config/` are.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit sits in the workspace root")
}

/// A fresh id (32 hex digits) that tags the records of one test, so that it
/// reads back only its own records from a shared journal.
pub fn unique_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Writes `dir/config`: every log type to `dir/app.log` at level info, then
/// the `extra` lines. Returns the log's path and the configuration's.
pub fn file_config(dir: &Path, extra: &str) -> (PathBuf, PathBuf) {
    let log = dir.join("app.log");
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={0}\nLOG_FILE_AUDIT={0}\n{extra}",
            log.display()
        ),
    )
    .expect("write the configuration");
    (log, config)
}

/// The runtime built from the configuration file `config`, without a
/// panic hook, as a dispatcher for the logging threads; and its guard.
pub fn runtime(config: &Path) -> (Dispatch, Guard) {
    let (layer, guard) = Logward::builder()
        .with_config_path(config)
        .with_panic_hook(false)
        .build()
        .expect("logward builds")
        .into_parts();
    (
        Dispatch::new(tracing_subscriber::registry().with(layer)),
        guard,
    )
}

//! What a reload may change, and what only a restart can.
//!
//! A reload may change every level, move a log type to another file or to
//! journald (or back), and change the overflow policy. It may not change
//! what a running writer was started with: the queue size
//! (`LOG_QUEUE_SIZE`), the journald identifier (`LOG_SYSLOG_IDENTIFIER`),
//! and the rotation, sync and sealing settings of a file that stays in use.
//! Such a change refuses the whole reload, so that the configuration in
//! force is always exactly one file's (its fingerprint says which).

use std::path::PathBuf;

use crate::config::{Destination, SyncPolicy};
use crate::{Config, LogType};

/// Every reason `new` cannot replace `old` without a restart, one line
/// each; empty when it can. `fixed_queue` is true when the program set the
/// queue size itself (then `LOG_QUEUE_SIZE` does not apply).
pub(super) fn needing_restart(
    old: &Config,
    new: &Config,
    types: &[LogType],
    fixed_queue: bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    if !fixed_queue && old.queue_size() != new.queue_size() {
        problems.push(format!(
            "LOG_QUEUE_SIZE changed from {} to {}: the queue size is fixed when the service starts",
            old.queue_size(),
            new.queue_size()
        ));
    }
    if old.syslog_identifier() != new.syslog_identifier() {
        problems.push(format!(
            "LOG_SYSLOG_IDENTIFIER changed from {} to {}: the journald identifier is fixed when the service starts",
            old.syslog_identifier().unwrap_or("(the program name)"),
            new.syslog_identifier().unwrap_or("(the program name)"),
        ));
    }
    let before = files(old, types);
    for (path, settings) in files(new, types) {
        if let Some((_, was)) = before.iter().find(|(p, _)| *p == path) {
            if *was != settings {
                problems.push(format!(
                    "the rotation, sync or sealing settings of {} changed: a file in use keeps them until the service restarts",
                    path.display()
                ));
            }
        }
    }
    problems
}

/// Each file the opened `types` write to, with the settings its sink is
/// opened with (those of the first type routed there, as the plan does).
fn files(config: &Config, types: &[LogType]) -> Vec<(PathBuf, (Destination, SyncPolicy))> {
    let mut out: Vec<(PathBuf, (Destination, SyncPolicy))> = Vec::new();
    for (log_type, route) in config.routes() {
        if let Destination::File { path, .. } = &route.destination {
            if types.contains(&log_type) && !out.iter().any(|(p, _)| p == path) {
                out.push((path.clone(), (route.destination.clone(), route.sync)));
            }
        }
    }
    out
}

//! Which sources a configuration's records can be in.

use super::Source;
use logward::Destination;
use logward::{Config, LogType, journald_available};

/// The sources to read for `types` under `config`: each distinct file that
/// one of the types is routed to, and the journal for every selected type —
/// also for types routed to files, because records re-routed from a failing
/// file sink land in the journal. The journal is left out only when no type
/// is routed to it and no journald is running.
pub fn bundle_sources(config: &Config, types: &[LogType]) -> Vec<Source> {
    let mut sources: Vec<Source> = Vec::new();
    let mut any_journal = false;
    for &log_type in types {
        match &config.route(log_type).destination {
            Destination::File { path, .. } => {
                let existing = sources.iter_mut().find_map(|s| match s {
                    Source::Files { path: p, log_types } if p == path => Some(log_types),
                    _ => None,
                });
                match existing {
                    Some(log_types) => log_types.push(log_type),
                    None => sources.push(Source::files(path.clone(), vec![log_type])),
                }
            }
            _ => any_journal = true,
        }
    }
    if any_journal || journald_available() {
        sources.insert(0, Source::journal(types.to_vec()));
    }
    sources
}

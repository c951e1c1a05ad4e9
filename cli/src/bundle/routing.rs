//! Which sources a configuration's records can be in.

use std::path::PathBuf;

use super::{BundleRequest, Source};
use crate::journal::Trust;
use logward::Destination;
use logward::{Config, LogType, Result, journald_available};

/// The sources to read for `types` under `config`: each distinct file that
/// one of the types is routed to, and the journal for every selected type —
/// also for types routed to files, because records re-routed from a failing
/// file sink land in the journal. The journal is left out only when no type
/// is routed to it and no journald is running. The journal trusts the
/// senders of [`Trust::from_config`].
///
/// # Errors
///
/// A configuration error when `LOG_JOURNAL_USERS` names a user that does not
/// exist.
pub fn bundle_sources(config: &Config, types: &[LogType]) -> Result<Vec<Source>> {
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
        sources.insert(
            0,
            Source::Journal {
                log_types: types.to_vec(),
                extra_matches: Vec::new(),
                trust: Trust::from_config(config)?,
            },
        );
    }
    Ok(sources)
}

/// The live file of every file sink `config` has, whatever the types a
/// bundle selects: a bundle is never written over one of them or their
/// rotated siblings.
pub fn configured_log_files(config: &Config) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    for (_, route) in config.routes() {
        if let Destination::File { path, .. } = &route.destination {
            if !files.contains(path) {
                files.push(path.clone());
            }
        }
    }
    files
}

/// The sources `bundle` and `show` read for `request` under `config`: the
/// [`bundle_sources`] of the selected types, less the file sinks when
/// `--identifier` is given and the configuration's `LOG_SYSLOG_IDENTIFIER`
/// is not one of its identifiers (a file record carries no identifier; its
/// sender is the configuration's services, see the `select` module).
///
/// # Errors
///
/// As [`bundle_sources`].
pub fn selected_sources(config: &Config, request: &BundleRequest) -> Result<Vec<Source>> {
    let mut sources = bundle_sources(config, request.types())?;
    let wanted = request.identifiers();
    if !wanted.is_empty() {
        let ours = config
            .syslog_identifier()
            .is_some_and(|id| wanted.iter().any(|w| w == id));
        sources.retain(|s| ours || matches!(s, Source::Journal { .. }));
    }
    Ok(sources)
}

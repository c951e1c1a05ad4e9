//! From a configuration to the sinks to open: one writer per distinct
//! destination, so types routed to the same file (or to journald) share it,
//! each with its fallback.
//!
//! Fallbacks: a file falls back to journald (stderr when there is no
//! journald), journald to stderr. Without a journald socket at start, the
//! journald types go to stderr and one warning record says so.
//!
//! A plan may be limited to some log types (`logward emit` writes one type):
//! then only their sinks are checked and opened, and the other types go to
//! stderr, so a one-shot command creates no file or directory it does not
//! write.
//!
//! A plan made for a reload names the destinations already running: those
//! are not opened again (a sealed file cannot be, its writer holds it), the
//! reload hands their running writers to the new routes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{FileSink, JournaldSink, Rotation, Sink, StderrSink, WhenFull, journald_available_at};
use crate::config::{Destination, Overflow, SyncPolicy};
use crate::{Clock, Config, Error, ErrorKind, Level, LogType, Result};

/// A sink to run behind one writer thread, and its fallback.
pub(crate) type SinkPair = (Box<dyn Sink>, Box<dyn Sink>);

/// One log type's route, pointing into [`Plan::sinks`].
pub(crate) struct PlannedRoute {
    pub(crate) minimum: Level,
    pub(crate) sink: usize,
    pub(crate) when_full: WhenFull,
}

/// What to start: each destination, with its sinks unless it is already
/// running.
pub(crate) struct Plan {
    pub(crate) sinks: Vec<(Key, Option<SinkPair>)>,
    pub(crate) routes: [PlannedRoute; 5],
    pub(crate) queue_size: usize,
    pub(crate) warnings: Vec<String>,
}

/// Every type to one sink (a program-supplied writer), level info, blocking.
pub(crate) fn single(sink: Box<dyn Sink>) -> Plan {
    Plan {
        sinks: vec![(Key::Given, Some((sink, Box::new(StderrSink::new()))))],
        routes: LogType::ALL.map(|_| PlannedRoute {
            minimum: Level::Info,
            sink: 0,
            when_full: WhenFull::Block,
        }),
        queue_size: crate::DEFAULT_QUEUE_SIZE,
        warnings: Vec::new(),
    }
}

/// The program name journald records are tagged with by default.
fn program_name() -> String {
    std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "logward".to_string())
}

/// What a writer writes to: types with the same key share one writer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Key {
    Journald,
    File(PathBuf),
    /// A type the plan does not open: stderr.
    Unopened,
    /// The sink the program gave.
    Given,
}

/// Opens the sinks `config` routes `types` to, with journald listening on
/// `journald_socket`, except those of the destinations in `running`; the
/// other types go to stderr.
///
/// # Errors
///
/// A sink error naming the key and path of each log file or directory that
/// cannot be used (a permission problem is no invalid configuration), or
/// when a file cannot be opened.
pub(crate) fn plan(
    config: &Config,
    clock: &Arc<dyn Clock>,
    journald_socket: &Path,
    types: &[LogType],
    running: &[Key],
) -> Result<Plan> {
    config.check_writable_for(types).map_err(|problems| {
        let count = problems.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        Error::new(
            ErrorKind::Sink,
            format!("cannot use the log files, {count} {noun}:\n{problems}"),
        )
    })?;
    let identifier = config
        .syslog_identifier()
        .map_or_else(program_name, str::to_string);
    let journald = journald_available_at(journald_socket);
    let mut warnings: Vec<String> = config.warnings().to_vec();
    let mut keys: Vec<Key> = Vec::new();
    let mut sinks: Vec<(Key, Option<SinkPair>)> = Vec::new();
    let mut indices = [0usize; 5];
    for log_type in LogType::ALL {
        let route = config.route(log_type);
        let key = match &route.destination {
            _ if !types.contains(&log_type) => Key::Unopened,
            Destination::File { path, .. } => Key::File(path.clone()),
            _ => Key::Journald,
        };
        if let Some(i) = keys.iter().position(|k| *k == key) {
            indices[log_type.index()] = i;
            continue;
        }
        if running.contains(&key) {
            indices[log_type.index()] = sinks.len();
            keys.push(key.clone());
            sinks.push((key, None));
            continue;
        }
        let pair: SinkPair = match &route.destination {
            _ if key == Key::Unopened => (Box::new(StderrSink::new()), Box::new(StderrSink::new())),
            Destination::File {
                path,
                rotate_daily,
                rotate_max,
                rotate_size,
                compress,
                seal,
            } => {
                if compress.is_some() && !super::compress::AVAILABLE {
                    warnings.push(format!(
                        "rotated files of {} stay uncompressed: this program's logward was \
                         built without its gzip feature (LOG_ROTATE_COMPRESS needs it)",
                        path.display()
                    ));
                }
                let rotation = Rotation {
                    daily: *rotate_daily,
                    max_files: *rotate_max,
                    max_size: *rotate_size,
                    compress: *compress,
                };
                let sync = route.sync == SyncPolicy::Always;
                let file = if *seal {
                    let anchor = journald.then_some(journald_socket);
                    FileSink::open_sealed(path, rotation, sync, Arc::clone(clock), anchor)?
                } else {
                    FileSink::open(path, rotation, sync, Arc::clone(clock))?
                };
                (
                    Box::new(file),
                    journald_or_stderr(journald.then_some(journald_socket), &identifier),
                )
            }
            _ if journald => (
                journald_or_stderr(Some(journald_socket), &identifier),
                Box::new(StderrSink::new()),
            ),
            _ => {
                warnings.push(format!(
                    "no journald socket at {}: records for journald go to stderr",
                    journald_socket.display()
                ));
                (Box::new(StderrSink::new()), Box::new(StderrSink::new()))
            }
        };
        indices[log_type.index()] = sinks.len();
        keys.push(key.clone());
        sinks.push((key, Some(pair)));
    }
    let routes = LogType::ALL.map(|t| {
        let route = config.route(t);
        PlannedRoute {
            minimum: route.level,
            sink: indices[t.index()],
            when_full: match route.overflow {
                Overflow::Drop => WhenFull::Drop,
                _ => WhenFull::Block,
            },
        }
    });
    Ok(Plan {
        sinks,
        routes,
        queue_size: config.queue_size(),
        warnings,
    })
}

/// A journald sink on `socket`, or stderr without one (or when the socket
/// cannot be made).
fn journald_or_stderr(socket: Option<&Path>, identifier: &str) -> Box<dyn Sink> {
    match socket.map(|path| JournaldSink::connect_to(path, identifier)) {
        Some(Ok(sink)) => Box::new(sink),
        _ => Box::new(StderrSink::new()),
    }
}

//! From a plan to running writers and a routing table: the destinations the
//! plan found already running keep their writers, the others get new ones.

use std::sync::Arc;

use crate::record::RecordContext;
use crate::sink::plan::{Key, Plan};
use crate::sink::{Route, Routes, WhenFull, Writer};
use crate::{Error, ErrorKind, Level, LogType, Result};

/// The running writers, each with the destination it writes to.
pub(crate) type Writers = Vec<(Key, Arc<Writer>)>;

/// What the program set over the configuration, applied on every reload.
#[derive(Clone, Copy)]
pub(crate) struct Overrides {
    pub(crate) minimum: [Option<Level>; 5],
    pub(crate) when_full: [Option<WhenFull>; 5],
}

/// Starts a writer for each destination of `plan` that is not in `running`
/// and builds the routes, each type to its destination's writer.
///
/// # Errors
///
/// A sink error when a writer thread cannot be started; the writers this
/// call started are stopped again.
pub(crate) fn connect(
    plan: Plan,
    running: &Writers,
    overrides: Overrides,
    queue_size: usize,
    ctx: &Arc<RecordContext>,
) -> Result<(Writers, Routes)> {
    let mut writers: Writers = Vec::with_capacity(plan.sinks.len());
    let mut started: Vec<Arc<Writer>> = Vec::new();
    for (key, pair) in plan.sinks {
        let writer = match pair {
            Some((sink, fallback)) => Writer::spawn(sink, fallback, queue_size, Arc::clone(ctx))
                .map_err(|e| {
                    Error::new(ErrorKind::Sink, "cannot start a writer thread").with_source(e)
                })
                .inspect(|writer| started.push(Arc::clone(writer))),
            None => running
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, writer)| Arc::clone(writer))
                .ok_or_else(|| {
                    Error::new(ErrorKind::Sink, format!("no running writer for {key:?}"))
                }),
        };
        match writer {
            Ok(writer) => writers.push((key, writer)),
            Err(e) => {
                for writer in started {
                    writer.stop();
                }
                return Err(e);
            }
        }
    }
    let routes = LogType::ALL.map(|t| {
        let planned = &plan.routes[t.index()];
        Route {
            minimum: overrides.minimum[t.index()].unwrap_or(planned.minimum),
            writer: Arc::clone(&writers[planned.sink].1),
            when_full: overrides.when_full[t.index()].unwrap_or(planned.when_full),
        }
    });
    Ok((writers, Routes::new(routes)))
}

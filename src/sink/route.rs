//! The routing table: for each log type, its minimum level, its writer and
//! what happens when that writer's queue is full.
//!
//! The table in force is swapped whole when the configuration is reloaded
//! ([`SharedRoutes`]): a caller routes each record by the table it loaded,
//! and a writer no table uses any more is stopped once no caller holds a
//! table that still points to it.

use std::sync::Arc;

use super::writer::Writer;
use crate::{Level, LogType};

/// What a caller does when its writer's queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WhenFull {
    /// Wait for room: nothing is dropped (always the case for audit).
    #[default]
    Block,
    /// Drop the record and count it; the writer reports the count as a record.
    Drop,
}

/// The routing table in force, replaced whole by a reload.
pub(crate) type SharedRoutes = arc_swap::ArcSwap<Routes>;

/// Where one log type's records go.
pub(crate) struct Route {
    pub(crate) minimum: Level,
    pub(crate) writer: Arc<Writer>,
    pub(crate) when_full: WhenFull,
}

impl Route {
    /// Hands a rendered line to this type's writer.
    pub(crate) fn submit(&self, line: &[u8], level: Level, log_type: LogType) {
        self.writer.submit(line, level, log_type, self.when_full);
    }
}

/// One [`Route`] per log type, indexed by [`LogType::index`].
pub(crate) struct Routes {
    routes: [Route; 5],
}

impl Routes {
    pub(crate) fn new(routes: [Route; 5]) -> Self {
        Routes { routes }
    }

    pub(crate) fn get(&self, log_type: LogType) -> &Route {
        &self.routes[log_type.index()]
    }

    /// Each distinct writer once, in log-type order of first use.
    pub(crate) fn writers(&self) -> Vec<Arc<Writer>> {
        let mut out: Vec<Arc<Writer>> = Vec::new();
        for route in &self.routes {
            if !out.iter().any(|w| Arc::ptr_eq(w, &route.writer)) {
                out.push(Arc::clone(&route.writer));
            }
        }
        out
    }

    /// Each type's writer, `audit=file /var/log/shop/audit.log web=journald …`.
    pub(crate) fn describe(&self) -> String {
        let sinks: Vec<String> = LogType::ALL
            .iter()
            .map(|&t| format!("{t}={}", self.get(t).writer.describe()))
            .collect();
        sinks.join(" ")
    }

    /// The minimum level per log type.
    pub(crate) fn minimums(&self) -> [Level; 5] {
        LogType::ALL.map(|t| self.get(t).minimum)
    }
}

//! Per-type minimum levels, decided from static callsite metadata.
//!
//! `tracing` checks a callsite's level against a global maximum
//! ([`LevelFilter::current`], the highest of every subscriber's
//! `max_level_hint`) before anything else, for spans and events alike: a
//! span below it is never created, and the records inside it lose its
//! fields. So the filter's hint never cuts: it is `TRACE`, every span
//! callsite is enabled ([`Interest::always`]) and every event callsite
//! below its type's level is disabled once ([`Interest::never`]). A
//! disabled event then costs the global level check and one load of its
//! callsite's cached interest.
//!
//! The minimums are shared atomics, so that a reload of the configuration
//! changes them for every clone of the filter at once; the reload then has
//! `tracing` ask every callsite again (its cached interest is rebuilt).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tracing::Metadata;
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing_subscriber::layer::{Context, Filter};

use crate::{Level, LogType};

/// Keeps an event when its level is at or above its log type's minimum.
///
/// The log type comes from the event's target and `critical` from a marker
/// field, both static, so the decision is cached per callsite: a disabled
/// event costs one relaxed atomic load. Spans are always enabled, because
/// their fields are the context of the records emitted inside them.
///
/// Clones share their minimums: a configuration reload changes them all.
#[derive(Debug, Clone)]
pub struct TypeFilter {
    minimum: Arc<[AtomicU8; 5]>,
}

impl TypeFilter {
    /// A filter with one minimum level per log type.
    pub fn new(minimum: [Level; 5]) -> Self {
        TypeFilter {
            minimum: Arc::new(minimum.map(|level| AtomicU8::new(level.index() as u8))),
        }
    }

    /// The minimum level of `log_type`.
    pub fn minimum(&self, log_type: LogType) -> Level {
        let index = self.minimum[log_type.index()].load(Ordering::Relaxed);
        Level::ALL[usize::from(index)]
    }

    /// Sets the minimum level of every log type, for this filter and its
    /// clones; the caller rebuilds `tracing`'s callsite interest after.
    pub(crate) fn set(&self, minimum: [Level; 5]) {
        for (slot, level) in self.minimum.iter().zip(minimum) {
            slot.store(level.index() as u8, Ordering::Relaxed);
        }
    }

    /// Whether an event with this metadata becomes a record.
    pub fn accepts(&self, meta: &Metadata<'_>) -> bool {
        if meta.is_span() {
            return true;
        }
        Level::of_event(meta) >= self.minimum(log_type_of(meta))
    }
}

/// The log type of an event: from its target, except that a record of the
/// `log` crate (its metadata as the `log` bridge filters it carries the
/// `log` target as its own and a `log.target` field) is always
/// `application`, as the layer renders it.
fn log_type_of(meta: &Metadata<'_>) -> LogType {
    let log_type = LogType::from_target(meta.target());
    if log_type != LogType::Application && meta.fields().field("log.target").is_some() {
        return LogType::Application;
    }
    log_type
}

impl<S> Filter<S> for TypeFilter {
    fn enabled(&self, meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        self.accepts(meta)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if self.accepts(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        // Spans at every level carry context; events are cut per callsite.
        Some(LevelFilter::TRACE)
    }
}

//! Per-type minimum levels, decided from static callsite metadata.

use tracing::Metadata;
use tracing::subscriber::Interest;
use tracing_subscriber::layer::{Context, Filter};

use crate::{Level, LogType};

/// Keeps an event when its level is at or above its log type's minimum.
///
/// The log type comes from the event's target and `critical` from a marker
/// field, both static, so the decision is cached per callsite: a disabled
/// event costs one relaxed atomic load. Spans are always enabled, because
/// their fields are the context of the records emitted inside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeFilter {
    minimum: [Level; 5],
}

impl TypeFilter {
    /// A filter with one minimum level per log type.
    pub fn new(minimum: [Level; 5]) -> Self {
        TypeFilter { minimum }
    }

    /// The minimum level of `log_type`.
    pub fn minimum(&self, log_type: LogType) -> Level {
        self.minimum[log_type.index()]
    }

    /// Whether an event with this metadata becomes a record.
    pub fn accepts(&self, meta: &Metadata<'_>) -> bool {
        if meta.is_span() {
            return true;
        }
        Level::of_event(meta) >= self.minimum(LogType::from_target(meta.target()))
    }
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

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        self.minimum.iter().min().map(|l| l.to_tracing_filter())
    }
}

//! The `tracing` layer: every event becomes one record, routed by log type.
//!
//! [`LogwardLayer`] renders events on the caller's thread into a reused
//! thread-local buffer and hands the line to the writer of its log type.
//! [`TypeFilter`] decides, from a callsite's static metadata alone (target and
//! level), whether the event's type is enabled at that level, so disabled
//! callsites are never visited.

mod fields;
mod filter;
mod keys;
mod render;

use std::sync::Arc;

use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::record::RecordContext;
use crate::sink::Routes;

pub use filter::TypeFilter;

use fields::{Fields, Visitor};

/// Span fields kept in the span's extensions, rendered once at creation
/// (and again when the span records a value).
struct SpanFields {
    fields: Fields,
    /// The context text of this span when it is the only one around an
    /// event that repeats none of its keys: the common case, which then
    /// costs one copy.
    alone: Vec<u8>,
}

impl SpanFields {
    fn new(fields: Fields) -> Self {
        let mut span = SpanFields {
            fields,
            alone: Vec::new(),
        };
        render::context_alone(&span.fields, &mut span.alone);
        span
    }
}

/// The layer that turns `tracing` events into logward records.
///
/// Obtain it from [`crate::Logward::into_parts`], which pairs it with its
/// [`TypeFilter`] so it composes with other layers on a `Registry`.
pub struct LogwardLayer {
    ctx: Arc<RecordContext>,
    routes: Arc<Routes>,
}

impl LogwardLayer {
    pub(crate) fn new(ctx: Arc<RecordContext>, routes: Arc<Routes>) -> Self {
        LogwardLayer { ctx, routes }
    }
}

impl<S> tracing_subscriber::Layer<S> for LogwardLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        attrs.record(&mut Visitor {
            fields: &mut fields,
            specials: None,
            keys: None,
        });
        span.extensions_mut().insert(SpanFields::new(fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut update = Fields::default();
        values.record(&mut Visitor {
            fields: &mut update,
            specials: None,
            keys: None,
        });
        let mut extensions = span.extensions_mut();
        let Some(existing) = extensions.get_mut::<SpanFields>() else {
            extensions.insert(SpanFields::new(update));
            return;
        };
        for i in 0..update.len() {
            existing.fields.remove(update.key(i));
        }
        for i in 0..update.len() {
            existing
                .fields
                .push_segment(update.segment(i), update.key_offset(i));
        }
        render::context_alone(&existing.fields, &mut existing.alone);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        render::on_event(&self.ctx, &self.routes, event, &ctx);
    }
}

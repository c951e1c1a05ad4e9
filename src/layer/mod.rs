//! The `tracing` layer: every event becomes one record, routed by log type.
//!
//! [`LogwardLayer`] renders events on the caller's thread into a reused
//! thread-local buffer and hands the line to the writer of its log type.
//! [`TypeFilter`] decides, from a callsite's static metadata alone (target and
//! level), whether the event's type is enabled at that level, so disabled
//! callsites are never visited.

mod fields;
mod filter;
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

/// Span fields kept in the span's extensions, rendered once at creation.
struct SpanFields(Fields);

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
        });
        span.extensions_mut().insert(SpanFields(fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut update = Fields::default();
        values.record(&mut Visitor {
            fields: &mut update,
            specials: None,
        });
        let mut extensions = span.extensions_mut();
        let Some(SpanFields(existing)) = extensions.get_mut::<SpanFields>() else {
            extensions.insert(SpanFields(update));
            return;
        };
        for i in 0..update.len() {
            existing.remove(update.key(i));
        }
        for i in 0..update.len() {
            existing.push_segment(update.segment(i), update.key_offset(i));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        render::on_event(&self.ctx, &self.routes, event, &ctx);
    }
}

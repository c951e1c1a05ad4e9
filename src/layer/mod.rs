//! The `tracing` layer: every event becomes one record, routed by log type.
//!
//! [`LogwardLayer`] renders events on the caller's thread into a reused
//! thread-local buffer and hands the line to the writer of its log type.
//! [`TypeFilter`] decides, from a callsite's static metadata alone (target and
//! level), whether the event's type is enabled at that level, so disabled
//! callsites are never visited.

mod entered;
mod fields;
mod filter;
mod keys;
mod render;
#[cfg(feature = "fmt")]
mod stderr;

use std::sync::{Arc, OnceLock};

use tracing::dispatcher::WeakDispatch;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::registry::SpanRef;

use crate::record::RecordContext;
use crate::sink::SharedRoutes;

pub use filter::TypeFilter;
#[cfg(feature = "fmt")]
pub use stderr::stderr_layer;

pub(crate) use fields::{Fields, bit_of};
pub(crate) use render::current_context;

use entered::{Entered, Snapshot};
use fields::Visitor;

/// Span fields kept in the span's extensions, rendered once at creation
/// (and again when the span records a value).
struct SpanFields {
    fields: Fields,
    /// The context text of this span when it is the only one around an
    /// event that repeats none of its keys (the common case, which then
    /// costs one copy), shared with the stacks of entered spans.
    snapshot: Arc<Snapshot>,
}

impl SpanFields {
    fn new(fields: Fields, root: bool) -> Self {
        let snapshot = Arc::new(snapshot(&fields, root));
        SpanFields { fields, snapshot }
    }
}

fn snapshot(fields: &Fields, root: bool) -> Snapshot {
    let mut alone = Vec::new();
    render::context_alone(fields, &mut alone);
    Snapshot {
        alone,
        bloom: fields.bloom,
        root,
    }
}

/// The snapshot of `span`'s context, when logward has recorded its fields.
fn snapshot_of<S>(span: &SpanRef<'_, S>) -> Option<Arc<Snapshot>>
where
    S: for<'a> LookupSpan<'a>,
{
    let extensions = span.extensions();
    extensions
        .get::<SpanFields>()
        .map(|fields| Arc::clone(&fields.snapshot))
}

/// The layer that turns `tracing` events into logward records.
///
/// Obtain it from [`crate::Logward::into_parts`], which pairs it with its
/// [`TypeFilter`] so it composes with other layers on a `Registry`.
pub struct LogwardLayer {
    ctx: Arc<RecordContext>,
    routes: Arc<SharedRoutes>,
    entered: Entered,
    /// The dispatcher the layer is installed in, for a reload to rebuild
    /// its callsites' interest.
    dispatch: Arc<OnceLock<WeakDispatch>>,
}

impl LogwardLayer {
    pub(crate) fn new(
        ctx: Arc<RecordContext>,
        routes: Arc<SharedRoutes>,
        dispatch: Arc<OnceLock<WeakDispatch>>,
    ) -> Self {
        LogwardLayer {
            ctx,
            routes,
            entered: Entered::default(),
            dispatch,
        }
    }
}

impl<S> tracing_subscriber::Layer<S> for LogwardLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_register_dispatch(&self, dispatch: &tracing::Dispatch) {
        let _ = self.dispatch.set(dispatch.downgrade());
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        attrs.record(&mut Visitor {
            fields: &mut fields,
            specials: None,
            keys: None,
        });
        let root = span.parent().is_none();
        span.extensions_mut().insert(SpanFields::new(fields, root));
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
        match extensions.get_mut::<SpanFields>() {
            None => extensions.insert(SpanFields::new(update, span.parent().is_none())),
            Some(existing) => {
                for i in 0..update.len() {
                    existing.fields.remove(update.key(i));
                }
                for i in 0..update.len() {
                    existing
                        .fields
                        .push_segment(update.segment(i), update.key_offset(i));
                }
                existing.snapshot = Arc::new(snapshot(&existing.fields, existing.snapshot.root));
            }
        }
        drop(extensions);
        self.entered.recorded();
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let epoch = self.entered.epoch();
        let snapshot = snapshot_of(&span).unwrap_or_default();
        self.entered.enter(id, snapshot, epoch);
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        self.entered.exit(id);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let routes = self.routes.load();
        render::on_event(&self.ctx, &routes, &self.entered, event, &ctx);
    }
}

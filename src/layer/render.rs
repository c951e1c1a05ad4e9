//! Assembling one record from an event and its enclosing spans.
//!
//! Precedence for a key that appears more than once: the event's own field
//! wins over the innermost span, which wins over outer spans. Context fields
//! come first in the order `request_id`, `user_id`, `user_name`, then the
//! other span fields from the innermost span outwards.

use std::cell::RefCell;

use tracing::{Event, Subscriber};
use tracing_subscriber::Registry;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::SpanFields;
use super::entered::{Current, Entered, Snapshot};
use super::fields::{Fields, Specials, Visitor};
use super::keys::KeyCache;
use crate::record::{self, RecordContext};
use crate::sink::Routes;
use crate::{Level, LogType};

/// Context keys that lead the context fields, in this order.
const CONTEXT_FIRST: [&str; 3] = ["request_id", "user_id", "user_name"];

/// Buffers reused for every event on a thread.
#[derive(Default)]
struct Scratch {
    event: Fields,
    leading: Fields,
    context: Fields,
    specials: Specials,
    keys: KeyCache,
    out: Vec<u8>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

pub(super) fn on_event<S>(
    ctx: &RecordContext,
    routes: &Routes,
    entered: &Entered,
    event: &Event<'_>,
    cx: &Context<'_, S>,
) where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let meta = event.metadata();
    let log_type = LogType::from_target(meta.target());
    let level = Level::of_event(meta);
    let route = routes.get(log_type);
    if level < route.minimum {
        return;
    }
    let render = |s: &mut Scratch| {
        render(s, ctx, entered, event, cx, level, log_type);
        route.submit(&s.out, level, log_type);
    };
    // A field's `Debug` impl may itself log; that nested event gets its own
    // buffers instead of panicking on the borrowed ones.
    let reused = SCRATCH.try_with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => {
            render(&mut s);
            true
        }
        Err(_) => false,
    });
    if reused != Ok(true) {
        render(&mut Scratch::default());
    }
}

fn render<S>(
    s: &mut Scratch,
    ctx: &RecordContext,
    entered: &Entered,
    event: &Event<'_>,
    cx: &Context<'_, S>,
    level: Level,
    log_type: LogType,
) where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    s.event.clear();
    s.leading.clear();
    s.context.clear();
    s.specials.clear();
    s.out.clear();
    event.record(&mut Visitor {
        fields: &mut s.event,
        specials: Some(&mut s.specials),
        keys: Some(s.keys.get(event.metadata())),
    });
    collect_context(s, entered, event, cx);

    ctx.begin(&mut s.out, level, log_type);
    push_leading(&mut s.out, &s.leading);
    s.out.extend_from_slice(&s.context.buf);
    s.out.extend_from_slice(&s.event.buf);
    if !s.specials.message.is_empty() {
        s.out.extend_from_slice(b",\"message\":");
        s.out.extend_from_slice(&s.specials.message);
    }
    s.specials.write_stacktrace(&mut s.out);
    record::finish(&mut s.out);
}

/// Copies the fields of the spans around `event` into `s.leading` (the
/// [`CONTEXT_FIRST`] keys) and `s.context` (the others), skipping keys the
/// event sets itself and keys an inner span already gave.
fn collect_context<S>(s: &mut Scratch, entered: &Entered, event: &Event<'_>, cx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    if event.is_contextual() {
        let done = entered.current(|current| match current {
            Current::None => true,
            Current::Span(span) => copy_alone(s, span),
            Current::Unknown => false,
        });
        if done {
            return;
        }
    }
    let epoch = entered.epoch();
    let Some(innermost) = cx.event_span(event) else {
        return;
    };
    if let Some(span) = innermost.extensions().get::<SpanFields>() {
        if event.is_contextual() {
            entered.refresh(&innermost.id(), &span.snapshot, epoch);
        }
        if copy_alone(s, &span.snapshot) {
            return;
        }
    }
    for span in innermost.scope() {
        let extensions = span.extensions();
        let Some(SpanFields { fields, .. }) = extensions.get::<SpanFields>() else {
            continue;
        };
        for i in 0..fields.len() {
            let key = fields.key(i);
            if s.event.contains(key) {
                continue;
            }
            let target = if is_leading(key) {
                &mut s.leading
            } else {
                &mut s.context
            };
            if !target.contains(key) {
                target.push_segment(fields.segment(i), fields.key_offset(i));
            }
        }
    }
}

/// The context text (`,"key":value` segments, in record order) of the
/// current thread's current span under the current dispatcher, without the
/// keys in `skip`; empty outside any span, or when the dispatcher has no
/// `Registry` with logward's span fields. For records written outside a
/// `tracing` event: a panic.
pub(crate) fn current_context(skip: &[&str]) -> Vec<u8> {
    tracing::dispatcher::get_default(|dispatch| {
        let mut out = Vec::new();
        let Some(registry) = dispatch.downcast_ref::<Registry>() else {
            return out;
        };
        let current = dispatch.current_span();
        let Some(innermost) = current.id().and_then(|id| registry.span(id)) else {
            return out;
        };
        let (mut leading, mut context) = (Fields::default(), Fields::default());
        for span in innermost.scope() {
            let extensions = span.extensions();
            let Some(SpanFields { fields, .. }) = extensions.get::<SpanFields>() else {
                continue;
            };
            for i in 0..fields.len() {
                let key = fields.key(i);
                if skip.iter().any(|k| k.as_bytes() == key) {
                    continue;
                }
                let target = if is_leading(key) {
                    &mut leading
                } else {
                    &mut context
                };
                if !target.contains(key) {
                    target.push_segment(fields.segment(i), fields.key_offset(i));
                }
            }
        }
        push_leading(&mut out, &leading);
        out.extend_from_slice(&context.buf);
        out
    })
}

/// Copies the context of `span` as it is, when it is the only span around
/// the event and the event repeats none of its keys; returns whether it did.
fn copy_alone(s: &mut Scratch, span: &Snapshot) -> bool {
    if !span.root || span.bloom & s.event.bloom != 0 {
        return false;
    }
    // Already in order and nothing to skip: `leading` stays empty.
    s.context.buf.extend_from_slice(&span.alone);
    true
}

/// Whether `key` is one of [`CONTEXT_FIRST`].
fn is_leading(key: &[u8]) -> bool {
    CONTEXT_FIRST.iter().any(|k| k.as_bytes() == key)
}

/// Appends the leading context fields in [`CONTEXT_FIRST`] order.
fn push_leading(out: &mut Vec<u8>, leading: &Fields) {
    for name in CONTEXT_FIRST {
        if let Some(i) = (0..leading.len()).find(|&i| leading.key(i) == name.as_bytes()) {
            out.extend_from_slice(leading.segment(i));
        }
    }
}

/// Writes into `out` the context text of a span's `fields` alone: the
/// [`CONTEXT_FIRST`] fields in that order, then the others in order.
pub(super) fn context_alone(fields: &Fields, out: &mut Vec<u8>) {
    out.clear();
    push_leading(out, fields);
    for i in 0..fields.len() {
        let key = fields.key(i);
        // A key given twice keeps its first value, as for several spans.
        if !is_leading(key) && !(0..i).any(|j| fields.key(j) == key) {
            out.extend_from_slice(fields.segment(i));
        }
    }
}

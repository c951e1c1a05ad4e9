//! Panics become critical records before the process goes on unwinding
//! (or aborts), with the context of the span the panicking code was in.

use std::sync::{Arc, Weak};

use serde_json::json;

use crate::record::{self, RecordContext};
use crate::sink::SharedRoutes;
use crate::{Level, LogType};

/// Chains a hook in front of the current panic hook that writes a critical
/// `application` record with the panic message and location, and waits until
/// it is written. Does nothing once the runtime is shut down.
pub(crate) fn install(routes: Weak<SharedRoutes>, ctx: Arc<RecordContext>) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(routes) = routes.upgrade() {
            let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
                (*s).to_string()
            } else if let Some(s) = info.payload().downcast_ref::<String>() {
                s.clone()
            } else {
                "panic with a non-string payload".to_string()
            };
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_default();
            let thread = std::thread::current();
            let thread_name = thread.name().unwrap_or("unnamed");
            let fields = [
                ("runtime_event", json!("panic")),
                ("location", json!(location)),
                ("thread", json!(thread_name)),
            ];
            let mut line = Vec::new();
            ctx.begin(&mut line, Level::Critical, LogType::Application);
            // The hook runs on the panicking thread before unwinding, so
            // its current span is the one the panic happened in.
            line.extend_from_slice(&crate::layer::current_context(&[
                "runtime_event",
                "location",
                "thread",
            ]));
            for (key, value) in &fields {
                record::push_key(&mut line, key);
                // Serialising a `Value` into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut line, value);
            }
            record::push_key(&mut line, "message");
            record::json::push_str(&mut line, &format!("panic: {message}"));
            record::finish(&mut line);
            let routes = routes.load();
            let route = routes.get(LogType::Application);
            route.submit(&line, Level::Critical, LogType::Application);
            // A writer thread cannot wait for itself.
            if !thread_name.starts_with("logward ") {
                route.writer.flush();
            }
        }
        previous(info);
    }));
}

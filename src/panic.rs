//! Panics become critical records before the process goes on unwinding
//! (or aborts).

use std::sync::{Arc, Weak};

use serde_json::json;

use crate::record::RecordContext;
use crate::sink::Routes;
use crate::{Level, LogType};

/// Chains a hook in front of the current panic hook that writes a critical
/// `application` record with the panic message and location, and waits until
/// it is written. Does nothing once the runtime is shut down.
pub(crate) fn install(routes: Weak<Routes>, ctx: Arc<RecordContext>) {
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
            let mut line = Vec::new();
            ctx.render(
                &mut line,
                Level::Critical,
                LogType::Application,
                &[
                    ("runtime_event", json!("panic")),
                    ("location", json!(location)),
                    ("thread", json!(thread_name)),
                ],
                Some(&format!("panic: {message}")),
            );
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

//! Application records: a `message`.
//!
//! Free-form `tracing` events from any crate are application records too;
//! this type exists for symmetry with the other schemas.

use super::{Emit, emit_at};
use crate::Level;

/// An application message.
#[derive(Debug, Clone)]
#[must_use = "nothing is logged until `log` or a level method is called"]
pub struct Message<'a> {
    message: &'a str,
}

impl<'a> Message<'a> {
    /// An application record saying `message`.
    pub fn new(message: &'a str) -> Self {
        Message { message }
    }
}

impl Emit for Message<'_> {
    fn log(self, level: Level) {
        emit_at!(level, "logward::application", message = self.message);
    }
}

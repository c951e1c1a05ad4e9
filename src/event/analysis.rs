//! Analysis records: `memory_mb`, `module`, `message`.

use super::rendered::{Render, Writer, emit_rendered, key};
use super::{Emit, emit_at};
use crate::Level;

/// One analysis step with the memory it used.
#[derive(Debug, Clone)]
#[must_use = "nothing is logged until `log` or a level method is called"]
pub struct Analysis<'a> {
    memory_mb: u64,
    module: &'a str,
    message: &'a str,
}

impl<'a> Analysis<'a> {
    /// `module` reporting `message` while using `memory_mb` MiB.
    pub fn new(memory_mb: u64, module: &'a str, message: &'a str) -> Self {
        Analysis {
            memory_mb,
            module,
            message,
        }
    }
}

impl Emit for Analysis<'_> {
    fn log(self, level: Level) {
        emit_rendered!(self, level, "logward::analysis", self.message);
    }
}

impl Analysis<'_> {
    /// Writes the record with each field visited by `tracing`.
    pub(crate) fn log_fields(&self, level: Level) {
        emit_at!(
            level,
            "logward::analysis",
            memory_mb = self.memory_mb,
            module = self.module,
            message = self.message,
        );
    }
}

impl Render for Analysis<'_> {
    fn render(&self, out: &mut Writer<'_>) {
        out.uint(key!("memory_mb"), self.memory_mb);
        out.str(key!("module"), self.module);
    }
}

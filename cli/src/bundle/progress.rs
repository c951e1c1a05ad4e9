//! A progress line on stderr for bundles that take a while.
//!
//! Shown only when enabled (by default: stderr is a terminal and the
//! records are not going to a terminal on stdout), and only once the bundle
//! has run for more than a second, so quick bundles print nothing. The line
//! is rewritten in place at most five times a second and erased at the end:
//!
//! ```text
//! bundling: 1204331 records, 812.4 MiB
//! ```

use std::io::Write;
use std::time::{Duration, Instant};

const QUIET_FOR: Duration = Duration::from_secs(1);
const REDRAW_EVERY: Duration = Duration::from_millis(200);
/// The clock is looked at once per this many records.
const CHECK_EVERY: u64 = 256;

/// Progress reporting on stderr.
pub(crate) struct Progress {
    enabled: bool,
    started: Instant,
    last_drawn: Option<Instant>,
}

impl Progress {
    /// Progress that draws only if `enabled`.
    pub(crate) fn new(enabled: bool) -> Self {
        Progress {
            enabled,
            started: Instant::now(),
            last_drawn: None,
        }
    }

    /// Notes that `records` records and `bytes` bytes are done so far.
    pub(crate) fn update(&mut self, records: u64, bytes: u64) {
        if !self.enabled || records % CHECK_EVERY != 0 {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.started) < QUIET_FOR
            || self
                .last_drawn
                .is_some_and(|last| now.duration_since(last) < REDRAW_EVERY)
        {
            return;
        }
        self.last_drawn = Some(now);
        let mib = bytes as f64 / (1024.0 * 1024.0);
        let mut stderr = std::io::stderr().lock();
        // Progress is a courtesy: a failing stderr must not fail the bundle.
        let _ = write!(stderr, "\rbundling: {records} records, {mib:.1} MiB\x1b[K");
        let _ = stderr.flush();
    }

    /// Erases the progress line, if one was drawn.
    pub(crate) fn finish(&mut self) {
        if self.last_drawn.take().is_some() {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[K");
            let _ = stderr.flush();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

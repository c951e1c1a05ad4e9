//! Wall-clock time, injectable so that tests control it.
//!
//! Records take `created_at` from the clock and file sinks decide when to
//! rotate from it; tests use [`ManualClock`] to cross midnight without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time, as microseconds since the Unix epoch (UTC).
pub trait Clock: Send + Sync + 'static {
    /// Microseconds since 1970-01-01T00:00:00Z.
    fn now_micros(&self) -> i64;
}

/// The system's real-time clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// `CLOCK_REALTIME` read into microseconds directly: the C library
    /// reads it without a system call (vDSO), and going through
    /// `SystemTime` would add its `Duration` conversions to every record.
    fn now_micros(&self) -> i64 {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `now` is a valid, writable timespec for the call's
        // duration, and CLOCK_REALTIME always exists.
        if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) } != 0 {
            return system_time_micros();
        }
        now.tv_sec * 1_000_000 + now.tv_nsec / 1_000
    }
}

/// The same time through `SystemTime`, should the C library fail.
fn system_time_micros() -> i64 {
    let micros =
        |d: std::time::Duration| d.as_secs() as i64 * 1_000_000 + i64::from(d.subsec_micros());
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => micros(d),
        Err(e) => -micros(e.duration()),
    }
}

/// A clock that only moves when told to; clones share the same time.
///
/// ```
/// use logward::{Clock, ManualClock};
/// let clock = ManualClock::new(1_000_000);
/// clock.advance_micros(500);
/// assert_eq!(clock.now_micros(), 1_000_500);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock standing at `micros` since the epoch.
    pub fn new(micros: i64) -> Self {
        ManualClock(Arc::new(AtomicI64::new(micros)))
    }

    /// Sets the time.
    pub fn set_micros(&self, micros: i64) {
        self.0.store(micros, Ordering::SeqCst);
    }

    /// Moves the time forward.
    pub fn advance_micros(&self, micros: i64) {
        self.0.fetch_add(micros, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_micros(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_reads_the_same_time_as_system_time() {
        for _ in 0..1000 {
            let before = system_time_micros();
            let now = SystemClock.now_micros();
            let after = system_time_micros();
            assert!(
                before <= now && now <= after,
                "{before} <= {now} <= {after}"
            );
        }
    }
}

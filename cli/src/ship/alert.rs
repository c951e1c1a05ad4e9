//! When to raise `export_failing` and `export_recovered`.
//!
//! An export is failing when it has had no successful request for
//! `_ALERT_AFTER` while records wait (counted from the first failure after
//! the last success). Then one critical audit record `export_failing` is
//! written, again at most once per `_ALERT_AFTER` while it lasts, and
//! `export_recovered` when a request succeeds again. The export is never
//! disabled and nothing is dropped: it keeps retrying.

use std::time::Duration;

use super::health::Health;

/// What to tell the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alert {
    /// `export_failing`.
    Failing,
    /// `export_recovered`.
    Recovered,
}

/// Decides, after each attempt or tick, whether an alert is due; `now` is
/// the clock's time in microseconds.
pub fn check(health: &mut Health, after: Duration, now: i64) -> Option<Alert> {
    let after = i64::try_from(after.as_micros()).unwrap_or(i64::MAX);
    match health.failing_since_us {
        None => health.alerted_us.take().map(|_| Alert::Recovered),
        Some(since) => {
            let due = now.saturating_sub(since) >= after
                && health
                    .alerted_us
                    .is_none_or(|last| now.saturating_sub(last) >= after);
            due.then(|| {
                health.alerted_us = Some(now);
                Alert::Failing
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logward::{Clock, ManualClock};

    const HOUR: i64 = 3_600_000_000;

    #[test]
    fn failing_once_per_period_then_recovered_once() {
        let clock = ManualClock::new(0);
        let after = Duration::from_secs(24 * 3600);
        let mut health = Health::default();
        assert_eq!(check(&mut health, after, clock.now_micros()), None);
        health.fail("status 503", clock.now_micros());
        clock.advance_micros(23 * HOUR);
        health.fail("status 503", clock.now_micros());
        assert_eq!(
            check(&mut health, after, clock.now_micros()),
            None,
            "not yet"
        );
        clock.advance_micros(HOUR);
        assert_eq!(
            check(&mut health, after, clock.now_micros()),
            Some(Alert::Failing)
        );
        clock.advance_micros(HOUR);
        assert_eq!(
            check(&mut health, after, clock.now_micros()),
            None,
            "once per period"
        );
        clock.advance_micros(23 * HOUR);
        assert_eq!(
            check(&mut health, after, clock.now_micros()),
            Some(Alert::Failing),
            "again after another period"
        );
        health.success(1, 10, 10, clock.now_micros());
        assert_eq!(
            check(&mut health, after, clock.now_micros()),
            Some(Alert::Recovered)
        );
        assert_eq!(check(&mut health, after, clock.now_micros()), None);
    }

    #[test]
    fn a_short_outage_raises_nothing() {
        let clock = ManualClock::new(5 * HOUR);
        let after = Duration::from_secs(3600);
        let mut health = Health::default();
        health.fail("connection reset", clock.now_micros());
        clock.advance_micros(HOUR / 2);
        health.success(1, 1, 1, clock.now_micros());
        clock.advance_micros(2 * HOUR);
        assert_eq!(check(&mut health, after, clock.now_micros()), None);
    }
}

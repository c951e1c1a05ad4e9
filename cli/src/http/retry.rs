//! When to try again: exponential backoff with jitter, and the server's
//! `Retry-After` when it sends one.
//!
//! The n-th retry waits a random time between half and all of
//! `initial × 2ⁿ⁻¹`, capped at `max` ("equal jitter": senders that failed
//! together do not come back together, and the wait still grows). A
//! `Retry-After` header (seconds, or an HTTP date) replaces that wait, up
//! to [`RETRY_AFTER_CAP`], so a server that asks for a day does not stall a
//! sender for a day without a word.

use std::time::{Duration, SystemTime};

use rand::Rng;

/// The longest `Retry-After` that is honoured as given.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(300);

/// Exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the first retry (before jitter).
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
    /// How many attempts in all, the first included.
    pub attempts: u32,
}

impl Default for Backoff {
    /// 0.5 s, doubling up to 30 s, 10 attempts (about 2½ minutes in all).
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            attempts: 10,
        }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (1 for the first retry).
    pub fn delay(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(30);
        let full = self.initial.saturating_mul(1 << doublings).min(self.max);
        let half = full / 2;
        let jitter = rand::rng().random_range(0..=half.as_micros() as u64);
        half + Duration::from_micros(jitter)
    }

    /// The wait before retry number `retry`, given the server's
    /// `Retry-After` value if it sent one.
    pub fn delay_after(&self, retry: u32, retry_after_header: Option<&str>) -> Duration {
        retry_after_header
            .and_then(|value| retry_after(value, SystemTime::now()))
            .map_or_else(|| self.delay(retry), |d| d.min(RETRY_AFTER_CAP))
    }
}

/// The wait a `Retry-After` value asks for at `now`: delta-seconds
/// (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`); `None` if it
/// is neither. A date in the past asks for no wait.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = jiff::fmt::strtime::parse("%a, %d %b %Y %H:%M:%S GMT", value)
        .ok()?
        .to_datetime()
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp();
    let now = jiff::Timestamp::try_from(now).ok()?;
    let wait = now.duration_until(when);
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_exponentially_with_jitter_up_to_the_cap() {
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(1000),
            attempts: 10,
        };
        for (retry, full) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (40, 1000),
        ] {
            let full = Duration::from_millis(full);
            for _ in 0..50 {
                let d = backoff.delay(retry);
                assert!(d >= full / 2 && d <= full, "retry {retry}: {d:?}");
            }
        }
        let distinct: std::collections::HashSet<_> = (0..50).map(|_| backoff.delay(4)).collect();
        assert!(distinct.len() > 1, "jitter varies the wait");
    }

    #[test]
    fn retry_after_seconds_and_dates_replace_the_backoff() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_400);
        assert_eq!(retry_after("7", now), Some(Duration::from_secs(7)));
        // 1445412480 is Wed, 21 Oct 2015 07:28:00 GMT.
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(80))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        let backoff = Backoff::default();
        assert_eq!(backoff.delay_after(1, Some("2")), Duration::from_secs(2));
        assert_eq!(backoff.delay_after(1, Some("86400")), RETRY_AFTER_CAP);
        assert!(backoff.delay_after(1, Some("soon")) <= backoff.initial);
    }
}

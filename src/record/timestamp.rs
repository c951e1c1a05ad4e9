//! `created_at` text: UTC, RFC 3339 with microseconds and `Z`.
//!
//! `2026-11-22T04:30:00.123456Z`. The date and seconds part is formatted once
//! per second per thread; each record only adds its six microsecond digits.

use std::cell::Cell;

/// A UTC calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year, e.g. 2026.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Day of month, 1–31.
    pub day: u32,
}

impl Date {
    /// The UTC date of a day number counted from 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Day number of this date counted from 1970-01-01.
    pub fn to_days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The UTC date of an instant given in microseconds since the epoch.
    pub fn from_micros(micros: i64) -> Date {
        Date::from_days(micros.div_euclid(86_400_000_000))
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Length of `YYYY-MM-DDTHH:MM:SS.` (the part that changes once a second).
const PREFIX_LEN: usize = 20;

thread_local! {
    static CACHED: Cell<(i64, [u8; PREFIX_LEN])> = const { Cell::new((i64::MIN, [0; PREFIX_LEN])) };
}

fn two(out: &mut [u8], n: u32) {
    out[0] = b'0' + (n / 10 % 10) as u8;
    out[1] = b'0' + (n % 10) as u8;
}

fn prefix(secs: i64) -> [u8; PREFIX_LEN] {
    let date = Date::from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u32;
    let mut p = *b"0000-00-00T00:00:00.";
    let y = date.year.clamp(0, 9999) as u32;
    two(&mut p[0..2], y / 100);
    two(&mut p[2..4], y % 100);
    two(&mut p[5..7], date.month);
    two(&mut p[8..10], date.day);
    two(&mut p[11..13], sod / 3600);
    two(&mut p[14..16], sod / 60 % 60);
    two(&mut p[17..19], sod % 60);
    p
}

/// Appends the RFC 3339 form of `micros` (since the epoch, UTC), unquoted.
pub fn push_rfc3339(out: &mut Vec<u8>, micros: i64) {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000) as u32;
    let head = CACHED.with(|c| {
        let (cached_secs, text) = c.get();
        if cached_secs == secs {
            text
        } else {
            let text = prefix(secs);
            c.set((secs, text));
            text
        }
    });
    out.extend_from_slice(&head);
    let mut tail = *b"000000Z";
    two(&mut tail[0..2], frac / 10_000);
    two(&mut tail[2..4], frac / 100 % 100);
    two(&mut tail[4..6], frac % 100);
    out.extend_from_slice(&tail);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(micros: i64) -> String {
        let mut out = Vec::new();
        push_rfc3339(&mut out, micros);
        String::from_utf8(out).expect("ascii")
    }

    #[test]
    fn formats_with_microseconds_and_z() {
        assert_eq!(text(0), "1970-01-01T00:00:00.000000Z");
        // 2026-11-22T04:30:00.123456Z
        assert_eq!(text(1_795_321_800_123_456), "2026-11-22T04:30:00.123456Z");
        assert_eq!(text(1_795_321_800_000_007), "2026-11-22T04:30:00.000007Z");
        assert_eq!(text(951_782_400_000_000), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn cached_prefix_changes_with_the_second() {
        assert_eq!(text(1_795_321_799_999_999), "2026-11-22T04:29:59.999999Z");
        assert_eq!(text(1_795_321_800_000_000), "2026-11-22T04:30:00.000000Z");
    }

    #[test]
    fn dates_round_trip_over_centuries() {
        for days in (-800_000..800_000).step_by(997) {
            assert_eq!(Date::from_days(days).to_days(), days);
        }
        let d = Date::from_micros(1_795_321_800_123_456);
        assert_eq!(d.to_string(), "2026-11-22");
    }
}

//! Calendar dates in UTC, without a date-time dependency.
//!
//! The file sink names rotated files after the UTC day of the records they
//! hold (`audit.log.2026-11-22`), and the `bundle` command selects files by
//! date range. Both only need whole days, so [`Date`] is a small proleptic
//! Gregorian date converted to and from days since 1970-01-01 with Howard
//! Hinnant's `days_from_civil` / `civil_from_days` algorithms.

use std::fmt;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A UTC calendar day, e.g. `2026-11-22`.
///
/// Dates order chronologically and display as `YYYY-MM-DD`:
///
/// ```
/// use logward::Date;
/// let date = Date::from_unix_micros(1_795_321_800_123_456);
/// assert_eq!(date.to_string(), "2026-11-22");
/// assert_eq!(Date::parse("2026-11-22"), Some(date));
/// assert!(Date::parse("2026-11-31").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// The date `year-month-day`, or `None` if no such day exists.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month) {
            Some(Date { year, month, day })
        } else {
            None
        }
    }

    /// The UTC day containing the instant `micros` microseconds after the epoch.
    pub fn from_unix_micros(micros: i64) -> Date {
        Date::from_days_since_epoch(micros.div_euclid(MICROS_PER_DAY))
    }

    /// The day `days` days after 1970-01-01 (negative: before it).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        // An i64 of microseconds spans about ±292,000 years, well inside i32.
        Date {
            year: year as i32,
            month: month as u8,
            day: day as u8,
        }
    }

    /// Days from 1970-01-01 to this date (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        let month = i64::from(self.month);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let yoe = year.rem_euclid(400);
        let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5
            + i64::from(self.day)
            - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Microseconds since the epoch at 00:00:00 UTC of this day.
    pub fn start_unix_micros(self) -> i64 {
        self.days_since_epoch() * MICROS_PER_DAY
    }

    /// Parses exactly `YYYY-MM-DD` (four-digit year, two-digit month and day).
    ///
    /// Anything else — other lengths, signs, spaces, impossible days such as
    /// `2026-02-29` — is `None`.
    pub fn parse(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = digits(&b[0..4])?;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        Date::new(year as i32, month as u8, day as u8)
    }

    /// The year, e.g. `2026`.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, `1..=12`.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, `1..=31`.
    pub fn day(self) -> u8 {
        self.day
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The value of a run of ASCII digits, `None` if any byte is not a digit.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_days() {
        assert_eq!(
            Date::from_days_since_epoch(0),
            Date::new(1970, 1, 1).unwrap()
        );
        assert_eq!(
            Date::from_days_since_epoch(-1),
            Date::new(1969, 12, 31).unwrap()
        );
        assert_eq!(
            Date::from_days_since_epoch(11_016),
            Date::new(2000, 2, 29).unwrap()
        );
        assert_eq!(
            Date::from_days_since_epoch(19_782),
            Date::new(2024, 2, 29).unwrap()
        );
        assert_eq!(Date::new(2026, 11, 22).unwrap().days_since_epoch(), 20_779);
    }

    #[test]
    fn micros_to_date_at_midnight_boundaries() {
        let day = Date::new(2026, 11, 22).unwrap();
        let start = day.start_unix_micros();
        assert_eq!(Date::from_unix_micros(start), day);
        assert_eq!(Date::from_unix_micros(start + MICROS_PER_DAY - 1), day);
        assert_eq!(
            Date::from_unix_micros(start - 1),
            Date::new(2026, 11, 21).unwrap()
        );
        assert_eq!(Date::from_unix_micros(-1), Date::new(1969, 12, 31).unwrap());
    }

    #[test]
    fn round_trips_every_day_over_four_millennia() {
        let first = Date::new(0, 1, 1).unwrap().days_since_epoch();
        let last = Date::new(4000, 12, 31).unwrap().days_since_epoch();
        let mut previous = Date::from_days_since_epoch(first - 1);
        for days in first..=last {
            let date = Date::from_days_since_epoch(days);
            assert_eq!(date.days_since_epoch(), days);
            assert_eq!(Date::new(date.year(), date.month(), date.day()), Some(date));
            assert!(date > previous, "{date} after {previous}");
            previous = date;
        }
    }

    #[test]
    fn parse_is_strict() {
        assert_eq!(Date::parse("2024-02-29"), Date::new(2024, 2, 29));
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-1-01",
            "2026-01-1 ",
            "+026-01-01",
            "2026/01/01",
            "2026-01-011",
            "",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn display_sorts_like_dates() {
        let a = Date::new(999, 12, 31).unwrap();
        let b = Date::new(2026, 1, 2).unwrap();
        assert_eq!(a.to_string(), "0999-12-31");
        assert!(a.to_string() < b.to_string());
    }
}

//! The forms of a `--date-from` / `--date-to` bound, and the instant each
//! stands for.
//!
//! | form | example | unit | zone |
//! |---|---|---|---|
//! | date | `2026-11-22` | that day | UTC, or local with `--local` |
//! | date and time | `"2026-11-22 04:30:00"` | that second | UTC, or local with `--local` |
//! | a record's `created_at` | `2026-11-22T04:30:00.123456Z` | the precision given (here a microsecond) | UTC (it says `Z`) |
//! | `today`, `yesterday` | | that day | UTC, or local with `--local` |
//! | `now` | | a microsecond | |
//! | relative | `-2h`, `-30m`, `-45s`, `-7d` | a microsecond | |
//!
//! A start is the first microsecond of its unit, an end the first one after
//! it, so `--date-to 2026-11-22` keeps the whole day and
//! `--date-to 2026-11-22T04:30:00Z` the whole second. A relative bound is
//! that long before now (`d` is 24 hours). A local wall-clock time that a
//! daylight-saving change skips is read as if the clock had not changed
//! (one hour on), and one that it repeats as its first occurrence; a local
//! day is however long it is (23 or 25 hours on the day of a change).

use jiff::Timestamp;
use jiff::civil;
use jiff::tz::TimeZone;

use super::filter::parse_created_at;
use super::request::BundleUsageError;
use logward::Date;

const MICROS_PER_SECOND: i64 = 1_000_000;

/// What the forms are, for error messages.
pub(crate) const DATE_FORMS: &str = "YYYY-MM-DD, \"YYYY-MM-DD HH:MM:SS\" (UTC unless --local), \
     a created_at such as 2026-11-22T04:30:00.123456Z, today, yesterday, now, or a time \
     before now such as -2h, -30m, -45s, -7d";

/// Which end of the range a bound is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// The first instant included.
    Start,
    /// The first instant no longer included.
    End,
}

/// What a bound is read against: the time now and the zone of wall-clock
/// forms (`None`: UTC).
pub(crate) struct Context<'a> {
    pub(crate) now: i64,
    pub(crate) zone: Option<&'a TimeZone>,
}

/// A parsed bound: microseconds since the epoch, and whether its form
/// depends on the zone (so `--local` changed it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub(crate) micros: i64,
    pub(crate) zoned: bool,
}

/// Parses `text`, the value of `flag`, as the `bound` end of a range.
pub(crate) fn parse_bound(
    flag: &'static str,
    text: &str,
    bound: Bound,
    context: &Context<'_>,
) -> Result<Parsed, BundleUsageError> {
    let invalid = || BundleUsageError::new(flag, text, format!("expected {DATE_FORMS}"));
    let (start, end, zoned) = if let Some(instant) = instant(text, context.now) {
        (instant, instant + 1, false)
    } else if let Some((start, unit)) = created_at_form(text) {
        (start, start + unit, false)
    } else {
        let (start, end) = wall_clock(text, context).ok_or_else(invalid)?;
        (start, end, true)
    };
    let micros = match bound {
        Bound::Start => start,
        Bound::End => end,
    };
    Ok(Parsed { micros, zoned })
}

/// `now` and `-N{s,m,h,d}`: an instant relative to `now`.
fn instant(text: &str, now: i64) -> Option<i64> {
    if text == "now" {
        return Some(now);
    }
    let rest = text.strip_prefix('-')?;
    let unit_at = rest.len().checked_sub(1)?;
    let (count, unit) = rest.split_at(unit_at);
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    let ago = count
        .parse::<i64>()
        .ok()?
        .checked_mul(seconds)?
        .checked_mul(MICROS_PER_SECOND)?;
    now.checked_sub(ago)
}

/// The record's own form, with its unit: a second, or the last fraction
/// digit given (a microsecond at most).
fn created_at_form(text: &str) -> Option<(i64, i64)> {
    let micros = parse_created_at(text)?;
    let digits = text
        .split_once('.')
        .map_or(0, |(_, f)| f.len().saturating_sub(1));
    let unit = 10_i64.pow(6_u32.saturating_sub(digits.min(6) as u32));
    Some((micros, unit))
}

/// The forms read in the zone: a date, a date and time, `today`, `yesterday`;
/// the start and end of the day or second.
fn wall_clock(text: &str, context: &Context<'_>) -> Option<(i64, i64)> {
    let utc = TimeZone::UTC;
    let zone = context.zone.unwrap_or(&utc);
    let day = |date: civil::Date| -> Option<(i64, i64)> {
        let start = at(zone, date.to_datetime(civil::Time::midnight()))?;
        let end = at(
            zone,
            date.tomorrow().ok()?.to_datetime(civil::Time::midnight()),
        )?;
        Some((start, end))
    };
    match text {
        "today" | "yesterday" => {
            let now = Timestamp::from_microsecond(context.now).ok()?;
            let today = now.to_zoned(zone.clone()).date();
            let date = if text == "today" {
                today
            } else {
                today.yesterday().ok()?
            };
            return day(date);
        }
        _ => {}
    }
    match text.len() {
        10 => day(civil_date(text)?),
        19 => {
            let date = civil_date(text.get(..10)?)?;
            let (h, m, s) = parse_time(text.get(10..)?)?;
            let start = at(zone, date.to_datetime(civil::time(h, m, s, 0)))?;
            Some((start, start + MICROS_PER_SECOND))
        }
        _ => None,
    }
}

/// A `YYYY-MM-DD` date, in the record format's strict form.
fn civil_date(text: &str) -> Option<civil::Date> {
    Date::parse(text)?;
    let (year, month, day) = (
        text.get(..4)?.parse().ok()?,
        text.get(5..7)?.parse().ok()?,
        text.get(8..10)?.parse().ok()?,
    );
    civil::Date::new(year, month, day).ok()
}

/// The instant of a wall-clock time in `zone`, in microseconds.
fn at(zone: &TimeZone, datetime: civil::DateTime) -> Option<i64> {
    let zoned = datetime.to_zoned(zone.clone()).ok()?;
    Some(zoned.timestamp().as_microsecond())
}

/// ` HH:MM:SS`, `None` if it is not a valid time.
fn parse_time(text: &str) -> Option<(i8, i8, i8)> {
    let b = text.as_bytes();
    if b.len() != 9 || b[0] != b' ' || b[3] != b':' || b[6] != b':' {
        return None;
    }
    let two = |i: usize| -> Option<i8> {
        let (h, l) = (b[i], b[i + 1]);
        (h.is_ascii_digit() && l.is_ascii_digit()).then(|| ((h - b'0') * 10 + (l - b'0')) as i8)
    };
    let (hours, minutes, seconds) = (two(1)?, two(4)?, two(7)?);
    (hours < 24 && minutes < 60 && seconds < 60).then_some((hours, minutes, seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-22T10:15:30.5Z.
    const NOW: i64 = 1_795_342_530_500_000;

    fn parse(text: &str, bound: Bound, zone: Option<&TimeZone>) -> Option<Parsed> {
        parse_bound("--date-from", text, bound, &Context { now: NOW, zone }).ok()
    }

    fn micros(text: &str, bound: Bound) -> i64 {
        parse(text, bound, None).expect(text).micros
    }

    fn day(date: &str) -> i64 {
        Date::parse(date).unwrap().start_unix_micros()
    }

    #[test]
    fn relative_forms_are_before_now_to_the_microsecond() {
        assert_eq!(micros("now", Bound::Start), NOW);
        assert_eq!(micros("-2h", Bound::Start), NOW - 2 * 3_600_000_000);
        assert_eq!(micros("-30m", Bound::Start), NOW - 30 * 60_000_000);
        assert_eq!(micros("-45s", Bound::End), NOW - 45_000_000 + 1);
        assert_eq!(micros("-7d", Bound::Start), NOW - 7 * 86_400_000_000);
        for bad in [
            "-",
            "-h",
            "2h",
            "-2",
            "-2w",
            "-2H",
            "- 2h",
            "-99999999999999999d",
        ] {
            assert_eq!(parse(bad, Bound::Start, None), None, "{bad}");
        }
    }

    #[test]
    fn today_and_yesterday_are_whole_utc_days_unless_local() {
        assert_eq!(micros("today", Bound::Start), day("2026-11-22"));
        assert_eq!(micros("today", Bound::End), day("2026-11-23"));
        assert_eq!(micros("yesterday", Bound::Start), day("2026-11-21"));
        assert_eq!(micros("yesterday", Bound::End), day("2026-11-22"));
        // Madrid is UTC+1 in November: its day starts at 23:00 UTC.
        let madrid = TimeZone::get("Europe/Madrid").unwrap();
        let local = parse("today", Bound::Start, Some(&madrid)).unwrap();
        assert_eq!(local.micros, day("2026-11-22") - 3_600_000_000);
        assert!(local.zoned);
        assert!(!parse("-2h", Bound::Start, Some(&madrid)).unwrap().zoned);
    }

    #[test]
    fn created_at_form_is_utc_with_the_unit_it_gives() {
        let t = day("2026-11-22") + (4 * 3600 + 30 * 60) * MICROS_PER_SECOND;
        assert_eq!(micros("2026-11-22T04:30:00Z", Bound::End), t + 1_000_000);
        assert_eq!(micros("2026-11-22T04:30:00.5Z", Bound::End), t + 600_000);
        assert_eq!(
            micros("2026-11-22T04:30:00.123456Z", Bound::End),
            t + 123_457
        );
        assert_eq!(
            micros("2026-11-22T04:30:00.123456Z", Bound::Start),
            t + 123_456
        );
        let madrid = TimeZone::get("Europe/Madrid").unwrap();
        let zulu = parse("2026-11-22T04:30:00Z", Bound::Start, Some(&madrid)).unwrap();
        assert_eq!(
            zulu,
            Parsed {
                micros: t,
                zoned: false
            }
        );
    }

    #[test]
    fn local_dates_and_times_follow_the_zone_and_its_changes() {
        let madrid = TimeZone::get("Europe/Madrid").unwrap();
        let local = |text: &str, bound| parse(text, bound, Some(&madrid)).unwrap().micros;
        assert_eq!(
            local("2026-11-22 04:30:00", Bound::Start),
            day("2026-11-22") + (3 * 3600 + 30 * 60) * MICROS_PER_SECOND
        );
        // 2026-03-29 has 23 hours in Madrid, 2026-10-25 has 25.
        let hours =
            |date: &str| (local(date, Bound::End) - local(date, Bound::Start)) / 3_600_000_000;
        assert_eq!(hours("2026-03-29"), 23);
        assert_eq!(hours("2026-10-25"), 25);
        assert_eq!(hours("2026-11-22"), 24);
    }
}

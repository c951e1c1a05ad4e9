//! The time of a row: one or several cells, joined, parsed with a
//! strptime-style pattern in an explicit time zone.
//!
//! - Pattern: `jiff`'s strftime/strptime directives (`%m/%d/%y %H:%M:%S`,
//!   `%B %d %Y`, `%s`, …). `%y` follows POSIX: 69–99 are 1969–1999, 00–68
//!   are 2000–2068. The whole text must match.
//! - Time zone: `UTC` (the default), `local` (the machine's, from
//!   `/etc/localtime` or `TZ`), an IANA name (`Europe/Madrid`) or a fixed
//!   offset (`+02:00`). A pattern with `%z`/`%:z` (an offset in the text)
//!   takes the text's offset instead. A local time that a DST change makes
//!   ambiguous is the earlier of the two instants; one that falls in a gap
//!   moves forward by the gap's length (RFC 5545 / `jiff`'s "compatible").
//! - Several cells (`--time-column Month,Day,Year,Time`) are joined with
//!   a template (`--time-join "{0}/{1}/{2} {3}"`, `{{`/`}}` for literal
//!   braces) or, without one, with single spaces, and then parsed.
//!
//! The result is whole seconds since the Unix epoch (fractions, if the
//! pattern reads any, are dropped).

use jiff::civil::DateTime;
use jiff::fmt::strtime::BrokenDownTime;
use jiff::tz::{Offset, TimeZone};

/// The default pattern, OpenVPN's `Start Time` column.
pub const DEFAULT_FORMAT: &str = "%m/%d/%y %H:%M:%S";

/// How a row's time is read.
#[derive(Debug, Clone)]
pub struct TimeSpec {
    format: String,
    zone: TimeZone,
    join: Join,
}

/// How several cells become one text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Join {
    Spaces,
    Template(Vec<Part>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Cell(usize),
}

impl TimeSpec {
    /// A spec reading `cells` cells with `format` in `zone`, joined by
    /// `join` (a template; `None`: single spaces). Errors say what is
    /// wrong and what is allowed.
    pub fn new(
        format: &str,
        zone: TimeZone,
        join: Option<&str>,
        cells: usize,
    ) -> Result<Self, String> {
        if format.is_empty() {
            return Err(
                "--time-format is empty: give a pattern such as \"%m/%d/%y %H:%M:%S\"".into(),
            );
        }
        let join = match join {
            None => Join::Spaces,
            Some(template) => Join::Template(parse_template(template, cells)?),
        };
        Ok(TimeSpec {
            format: format.to_string(),
            zone,
            join,
        })
    }

    /// The instant that `cells` name, in seconds since the epoch.
    pub fn parse(&self, cells: &[&str]) -> Result<i64, String> {
        let text = match &self.join {
            Join::Spaces => cells.join(" "),
            Join::Template(parts) => {
                let mut text = String::new();
                for part in parts {
                    match part {
                        Part::Text(t) => text.push_str(t),
                        Part::Cell(i) => text.push_str(cells[*i]),
                    }
                }
                text
            }
        };
        self.parse_text(&text)
    }

    fn parse_text(&self, text: &str) -> Result<i64, String> {
        let fail = |e: jiff::Error| format!("time {text:?} does not match {:?}: {e}", self.format);
        let parts = BrokenDownTime::parse(&self.format, text).map_err(fail)?;
        if parts.offset().is_some() || parts.timestamp().is_some() {
            return Ok(parts.to_timestamp().map_err(fail)?.as_second());
        }
        let civil: DateTime = parts.to_datetime().map_err(fail)?;
        let zoned = self
            .zone
            .to_ambiguous_zoned(civil)
            .compatible()
            .map_err(fail)?;
        Ok(zoned.timestamp().as_second())
    }
}

/// Reads `--time-zone`: `UTC`, `local`, an IANA name or `±HH:MM`.
pub fn parse_zone(text: &str) -> Result<TimeZone, String> {
    let allowed = "UTC, local, an IANA name such as Europe/Madrid, or an offset such as +02:00";
    if text.eq_ignore_ascii_case("utc") || text == "Z" {
        return Ok(TimeZone::UTC);
    }
    if text.eq_ignore_ascii_case("local") {
        return TimeZone::try_system().map_err(|e| {
            format!("time zone local: the machine's zone cannot be read ({e}); give {allowed}")
        });
    }
    if text.starts_with(['+', '-']) {
        return parse_offset(text).map(TimeZone::fixed).ok_or_else(|| {
            format!("time zone {text:?} is not an offset of the form +HH:MM or -HH:MM")
        });
    }
    TimeZone::get(text).map_err(|_| format!("time zone {text:?} is unknown: give {allowed}"))
}

fn parse_offset(text: &str) -> Option<Offset> {
    let sign: i32 = if text.starts_with('-') { -1 } else { 1 };
    let rest = &text[1..];
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None if rest.len() <= 2 => (rest, "0"),
        None => return None,
    };
    if h.is_empty() || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 25 || m > 59 {
        return None;
    }
    Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

/// Parses a join template over `cells` cells: each of `{0}`…`{cells-1}`
/// at least once, `{{` and `}}` for literal braces.
fn parse_template(template: &str, cells: usize) -> Result<Vec<Part>, String> {
    let bad = |why: String| {
        format!(
            "--time-join {template:?}: {why}; write the cells as {{0}}…{{{}}}, e.g. \"{{0}}/{{1}}/{{2}} {{3}}\"",
            cells.saturating_sub(1)
        )
    };
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut used = vec![false; cells];
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut digits = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(d) => digits.push(d),
                        None => return Err(bad("a { is not closed".into())),
                    }
                }
                let index: usize = digits
                    .parse()
                    .map_err(|_| bad(format!("{{{digits}}} is not a cell number")))?;
                if index >= cells {
                    return Err(bad(format!("{{{index}}} is past the {cells} time columns")));
                }
                used[index] = true;
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(Part::Cell(index));
            }
            '}' => return Err(bad("a } has no {".into())),
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    if let Some(unused) = used.iter().position(|u| !u) {
        return Err(bad(format!("time column {{{unused}}} is not used")));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(format: &str, zone: &str) -> TimeSpec {
        TimeSpec::new(format, parse_zone(zone).expect("zone"), None, 1).expect("spec")
    }

    #[test]
    fn two_digit_years_pivot_as_posix_says() {
        let utc = spec(DEFAULT_FORMAT, "UTC");
        for (text, epoch) in [
            ("01/01/69 00:00:00", -31_536_000),
            ("12/31/99 23:59:59", 946_684_799),
            ("01/01/00 00:00:00", 946_684_800),
            ("11/22/26 04:30:00", 1_795_321_800),
            ("12/31/68 23:59:59", 3_124_223_999),
        ] {
            assert_eq!(utc.parse(&[text]), Ok(epoch), "{text}");
        }
    }

    #[test]
    fn the_zone_is_explicit_and_defaults_to_utc() {
        let text = ["07/01/26 12:00:00"];
        let utc = spec(DEFAULT_FORMAT, "UTC").parse(&text).expect("utc");
        assert_eq!(utc, 1_782_907_200);
        // Madrid is UTC+2 in July, UTC+1 in January.
        assert_eq!(
            spec(DEFAULT_FORMAT, "Europe/Madrid").parse(&text),
            Ok(utc - 7200)
        );
        assert_eq!(
            spec(DEFAULT_FORMAT, "Europe/Madrid").parse(&["01/01/26 12:00:00"]),
            Ok(1_767_268_800 - 3600)
        );
        assert_eq!(spec(DEFAULT_FORMAT, "+02:00").parse(&text), Ok(utc - 7200));
        assert_eq!(spec(DEFAULT_FORMAT, "-0530").parse(&text), Ok(utc + 19_800));
        // An offset in the text wins over the zone.
        let with_offset = spec("%Y-%m-%d %H:%M:%S %z", "Europe/Madrid");
        assert_eq!(with_offset.parse(&["2026-07-01 12:00:00 +0000"]), Ok(utc));
    }

    #[test]
    fn dst_gaps_move_forward_and_overlaps_take_the_earlier_instant() {
        let madrid = spec("%Y-%m-%d %H:%M:%S", "Europe/Madrid");
        // 2026-03-29 02:30 does not exist in Madrid: it is read as 03:30 CEST = 01:30 UTC.
        assert_eq!(madrid.parse(&["2026-03-29 02:30:00"]), Ok(1_774_747_800));
        // 2026-10-25 02:30 happens twice: the first (CEST, 00:30 UTC) is taken.
        assert_eq!(madrid.parse(&["2026-10-25 02:30:00"]), Ok(1_792_888_200));
    }

    #[test]
    fn bad_zones_and_times_say_what_is_allowed() {
        for zone in ["Mars/Olympus", "+2x", "+99:00"] {
            let err = parse_zone(zone).unwrap_err();
            assert!(err.contains(zone), "{err}");
        }
        assert!(parse_zone("local").is_ok());
        let err = spec(DEFAULT_FORMAT, "UTC")
            .parse(&["2026-11-22"])
            .unwrap_err();
        assert!(
            err.contains("does not match \"%m/%d/%y %H:%M:%S\""),
            "{err}"
        );
        let err = spec(DEFAULT_FORMAT, "UTC")
            .parse(&["11/22/26 04:30:00 trailing"])
            .unwrap_err();
        assert!(err.contains("does not match"), "{err}");
        let err = spec(DEFAULT_FORMAT, "UTC")
            .parse(&["02/30/26 00:00:00"])
            .unwrap_err();
        assert!(err.contains("does not match"), "{err}");
    }

    #[test]
    fn several_cells_join_by_template_or_spaces() {
        let zone = TimeZone::UTC;
        let four = TimeSpec::new(
            "%B/%d/%Y %H:%M:%S",
            zone.clone(),
            Some("{0}/{1}/{2} {3}"),
            4,
        )
        .expect("spec");
        assert_eq!(
            four.parse(&["November", "22", "2026", "04:30:00"]),
            Ok(1_795_321_800)
        );
        let spaces = TimeSpec::new("%b %d %Y %H:%M:%S", zone.clone(), None, 4).expect("spec");
        assert_eq!(
            spaces.parse(&["Nov", "22", "2026", "04:30:00"]),
            Ok(1_795_321_800)
        );
        let braces = TimeSpec::new("{%Y}", zone.clone(), Some("{{{0}}}"), 1).expect("spec");
        assert!(
            braces.parse(&["2026"]).is_err(),
            "a year alone is no instant"
        );
        for (template, why) in [
            ("{0}/{1}/{2}", "time column {3} is not used"),
            ("{0}/{1}/{2} {4} {3}", "{4} is past the 4 time columns"),
            ("{0}/{1}/{2} {x}{3}", "{x} is not a cell number"),
            ("{0}/{1}/{2} {3", "a { is not closed"),
            ("{0}/{1}/{2}} {3}", "a } has no {"),
        ] {
            let err = TimeSpec::new("%F", zone.clone(), Some(template), 4).unwrap_err();
            assert!(err.contains(why), "{template}: {err}");
        }
    }
}

//! Reading just enough of a line to decide whether it is a wanted record.
//!
//! A line is read into [`Head`], its `created_at`, `level` and `log_type`.
//! A line in the runtime's own layout is read by position (the `head`
//! module: the three values from their places, the rest only validated);
//! any other line is parsed with `serde_json` (borrowed where the JSON has
//! no escapes, the rest skipped), which decides for every line the fast
//! path is not sure of. The record itself is passed on as its original
//! bytes, never re-serialised.
//!
//! A line is *malformed* when it is not one complete JSON object (JSON text
//! is UTF-8: invalid UTF-8 anywhere in the line makes it malformed, so that
//! the bundle's output is always valid JSON lines), or when it
//! is one but not a record: a field is missing, `created_at` is not an RFC
//! 3339 UTC time such as `2026-11-22T04:30:00.123456Z`, or the level or log
//! type is unknown.

use std::borrow::Cow;
use std::cell::Cell;

use serde::Deserialize;

use super::head::fast_head;
use super::request::BundleRequest;
use logward::{Date, Level, LogType};

/// The fields of a record that the filter needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// `created_at` in microseconds since the epoch.
    pub(crate) created_at: i64,
    pub(crate) level: Level,
    pub(crate) log_type: LogType,
}

/// What a line is, with respect to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A record the request selects.
    Keep(Head),
    /// A record the request does not select.
    Drop,
    /// Not a record.
    Malformed,
}

#[derive(Deserialize)]
struct RawHead<'a> {
    #[serde(borrow)]
    created_at: Cow<'a, str>,
    #[serde(borrow)]
    level: Cow<'a, str>,
    #[serde(borrow)]
    log_type: Cow<'a, str>,
}

/// Parses the head of `line` (without its newline); `None` if it is not a record.
pub(crate) fn parse_head(line: &[u8]) -> Option<Head> {
    fast_head(line).or_else(|| parse_head_fully(line))
}

/// [`parse_head`] with `serde_json` alone: what decides for every line.
pub(crate) fn parse_head_fully(line: &[u8]) -> Option<Head> {
    // `from_slice` skips the fields it does not read without checking their
    // UTF-8; the line is passed on whole, so all of it is checked here.
    let text = std::str::from_utf8(line).ok()?;
    let raw: RawHead<'_> = serde_json::from_str(text).ok()?;
    Some(Head {
        created_at: parse_created_at(&raw.created_at)?,
        level: raw.level.parse().ok()?,
        log_type: raw.log_type.parse().ok()?,
    })
}

/// Decides what `line` is for `request`, also requiring its log type to be
/// one of `types` (the types the line's source is read for).
pub(crate) fn judge(line: &[u8], request: &BundleRequest, types: &[LogType]) -> Verdict {
    match parse_head(line) {
        None => Verdict::Malformed,
        Some(head)
            if types.contains(&head.log_type)
                && request.selects(head.created_at, head.log_type, head.level)
                && request
                    .filter()
                    .is_none_or(|filter| filter.matches_line(line))
                && (request.hostnames().is_empty() || host_selected(line, request)) =>
        {
            Verdict::Keep(head)
        }
        Some(_) => Verdict::Drop,
    }
}

/// Whether the `hostname` of `line` (a record) is one `--hostname` asks
/// for; read only when the request names hosts.
fn host_selected(line: &[u8], request: &BundleRequest) -> bool {
    #[derive(Deserialize)]
    struct Host<'a> {
        #[serde(borrow)]
        hostname: Cow<'a, str>,
    }
    serde_json::from_slice::<Host<'_>>(line).is_ok_and(|h| request.selects_host(&h.hostname))
}

thread_local! {
    /// The date text [`day_start`] read last, and its start.
    static LAST_DAY: Cell<([u8; 10], i64)> = const { Cell::new((*b"1970-01-01", 0)) };
}

/// The start of the day `YYYY-MM-DD` in microseconds since the epoch.
/// Records of a source share their date for hours on end, so the last
/// date read on the thread is kept and compared first.
fn day_start(text: &[u8]) -> Option<i64> {
    let bytes: [u8; 10] = text.try_into().ok()?;
    let (last, start) = LAST_DAY.get();
    if bytes == last {
        return Some(start);
    }
    let start = Date::parse(std::str::from_utf8(&bytes).ok()?)?.start_unix_micros();
    LAST_DAY.set((bytes, start));
    Some(start)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.f…]Z` (1 to 9 fraction digits, cut to
/// microseconds) into microseconds since the epoch.
pub(crate) fn parse_created_at(text: &str) -> Option<i64> {
    created_at_micros(text.as_bytes())
}

/// [`parse_created_at`] of the bytes of a JSON string: anything that is
/// not the ASCII form is refused, so the bytes need no UTF-8 check.
pub(crate) fn created_at_micros(b: &[u8]) -> Option<i64> {
    match <&[u8; 27]>::try_from(b) {
        // Six fraction digits, the form the runtime writes, and the only
        // form of this length.
        Ok(runtime) => six_digit_micros(runtime),
        Err(_) => any_form_micros(b),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, its digits read at their places.
fn six_digit_micros(b: &[u8; 27]) -> Option<i64> {
    if b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'.' || b[26] != b'Z' {
        return None;
    }
    let day = day_start(&b[..10])?;
    const AT: [usize; 12] = [11, 12, 14, 15, 17, 18, 20, 21, 22, 23, 24, 25];
    let mut digits = [0u8; 12];
    let mut not_digit = false;
    for (digit, &at) in digits.iter_mut().zip(&AT) {
        *digit = b[at].wrapping_sub(b'0');
        not_digit |= *digit > 9;
    }
    if not_digit {
        return None;
    }
    let two = |i: usize| i64::from(digits[i] * 10 + digits[i + 1]);
    let (hours, minutes, seconds) = (two(0), two(2), two(4));
    if hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    let micros = digits[6..]
        .iter()
        .fold(0, |micros, &d| micros * 10 + i64::from(d));
    Some(day + (hours * 3600 + minutes * 60 + seconds) * 1_000_000 + micros)
}

/// Any form [`parse_created_at`] takes.
fn any_form_micros(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b.last() != Some(&b'Z') {
        return None;
    }
    let day = day_start(&b[..10])?;
    let two = |i: usize| -> Option<i64> {
        let (h, l) = (b[i], b[i + 1]);
        (h.is_ascii_digit() && l.is_ascii_digit()).then(|| i64::from((h - b'0') * 10 + (l - b'0')))
    };
    let (hours, minutes, seconds) = (two(11)?, two(14)?, two(17)?);
    if hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    let micros = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            // Digits past the sixth are checked, not kept.
            let (kept, cut) = digits.split_at(digits.len().min(6));
            if !cut.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let micros = kept.iter().try_fold(0, |micros, &d| {
                d.is_ascii_digit()
                    .then(|| micros * 10 + i64::from(d - b'0'))
            })?;
            micros * 10_i64.pow((6 - kept.len()) as u32)
        }
        _ => return None,
    };
    Some(day + (hours * 3600 + minutes * 60 + seconds) * 1_000_000 + micros)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BundleRequest, RawBundleArgs};
    use logward::record::push_rfc3339;

    const LINE: &str = r#"{"id":"x","created_at":"2026-11-22T04:30:00.123456Z","hostname":"h","level":"warning","log_type":"web","pid":1,"message":"a \"quoted\" text"}"#;

    proptest::proptest! {
        /// The six-digit form read at its places gives what the reader of
        /// every form gives, for texts of that length that are mostly
        /// right and sometimes wrong anywhere.
        #[test]
        fn the_six_digit_form_reads_as_any_form_does(
            micros in 0i64..4_102_444_800_000_000,
            flips in proptest::collection::vec((0usize..27, proptest::prelude::any::<u8>()), 0..3),
        ) {
            let mut text = Vec::new();
            push_rfc3339(&mut text, micros);
            proptest::prop_assert_eq!(text.len(), 27);
            let mut bytes = [0; 27];
            bytes.copy_from_slice(&text);
            proptest::prop_assert_eq!(created_at_micros(&bytes), Some(micros));
            for (at, byte) in flips {
                bytes[at] = byte;
            }
            proptest::prop_assert_eq!(six_digit_micros(&bytes), any_form_micros(&bytes));
        }
    }

    #[test]
    fn created_at_is_right_whichever_date_came_before() {
        let day = 86_400_000_000;
        let base = 1_795_321_800_000_000;
        for _ in 0..2 {
            assert_eq!(parse_created_at("2026-11-22T04:30:00Z"), Some(base));
            assert_eq!(parse_created_at("2026-11-23T04:30:00Z"), Some(base + day));
            assert_eq!(parse_created_at("2026-11-31T04:30:00Z"), None);
            assert_eq!(parse_created_at("\0\0\0\0\0\0\0\0\0\0T00:00:00Z"), None);
            assert_eq!(parse_created_at("1970-01-01T00:00:00Z"), Some(0));
            assert_eq!(parse_created_at("1970-01-0xT00:00:00Z"), None);
        }
    }

    #[test]
    fn created_at_round_trips_the_record_format() {
        for micros in [0, 1_795_321_800_123_456, 1_795_391_999_999_999, -1] {
            let mut text = Vec::new();
            push_rfc3339(&mut text, micros);
            let text = String::from_utf8(text).unwrap();
            assert_eq!(parse_created_at(&text), Some(micros), "{text}");
        }
    }

    #[test]
    fn created_at_accepts_other_precisions_and_refuses_the_rest() {
        let base = 1_795_321_800_000_000;
        assert_eq!(parse_created_at("2026-11-22T04:30:00Z"), Some(base));
        assert_eq!(
            parse_created_at("2026-11-22T04:30:00.5Z"),
            Some(base + 500_000)
        );
        assert_eq!(
            parse_created_at("2026-11-22T04:30:00.123456789Z"),
            Some(base + 123_456)
        );
        for bad in [
            "2026-11-22T04:30:00.123456",
            "2026-11-22 04:30:00.123456Z",
            "2026-11-22T04:30:00.Z",
            "2026-11-22T04:30:00.1234567890Z",
            "2026-11-22T24:30:00Z",
            "2026-11-22T04:30:00+01:00",
            "2026-11-31T04:30:00Z",
            "2026-11-22T04:30:00.12a456Z",
            "2026-11-22T04:30:00.1234567xZ",
            "",
        ] {
            assert_eq!(parse_created_at(bad), None, "{bad}");
        }
    }

    #[test]
    fn head_reads_the_three_fields() {
        assert_eq!(
            parse_head(LINE.as_bytes()),
            Some(Head {
                created_at: 1_795_321_800_123_456,
                level: Level::Warning,
                log_type: LogType::Web,
            })
        );
    }

    #[test]
    fn lines_that_are_not_records_are_malformed() {
        let truncated = &LINE[..LINE.len() - 10];
        for bad in [
            truncated,
            "",
            "not json",
            "[1,2]",
            r#"{"created_at":"2026-11-22T04:30:00.123456Z","level":"info"}"#,
            r#"{"created_at":"yesterday","level":"info","log_type":"web"}"#,
            r#"{"created_at":"2026-11-22T04:30:00.123456Z","level":"loud","log_type":"web"}"#,
            r#"{"created_at":"2026-11-22T04:30:00.123456Z","level":"info","log_type":"syslog"}"#,
            r#"{"created_at":"2026-11-22T04:30:00.123456Z","level":5,"log_type":"web"}"#,
            r#"{"created_at":"2026-11-22T04:30:00.123456Z","level":"info","log_type":"web"} x"#,
        ] {
            assert_eq!(parse_head(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn judge_applies_the_request_and_the_source_types() {
        let request = BundleRequest::from_raw(RawBundleArgs {
            log_level: Some("warning".into()),
            ..Default::default()
        })
        .unwrap();
        let line = LINE.as_bytes();
        assert!(matches!(
            judge(line, &request, &[LogType::Web]),
            Verdict::Keep(_)
        ));
        assert_eq!(judge(line, &request, &[LogType::Audit]), Verdict::Drop);
        let errors_only = BundleRequest::from_raw(RawBundleArgs {
            log_level: Some("error".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(judge(line, &errors_only, &LogType::ALL), Verdict::Drop);
        assert_eq!(judge(b"{", &request, &LogType::ALL), Verdict::Malformed);
    }
}

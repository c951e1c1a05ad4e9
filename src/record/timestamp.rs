//! `created_at` text: UTC, RFC 3339 with microseconds and `Z`.
//!
//! `2026-11-22T04:30:00.123456Z`. The date and seconds part is formatted once
//! per second per thread; each record only adds its six microsecond digits.

use std::cell::Cell;

use crate::Date;

/// Length of `YYYY-MM-DDTHH:MM:SS.` (the part that changes once a second).
const PREFIX_LEN: usize = 20;

thread_local! {
    static CACHED: Cell<(i64, [u8; PREFIX_LEN])> = const { Cell::new((i64::MIN, [0; PREFIX_LEN])) };
}

/// The two digits of every number below 100: a record's six fraction
/// digits are three lookups.
const PAIRS: [[u8; 2]; 100] = {
    let mut pairs = [[0; 2]; 100];
    let mut n = 0;
    while n < 100 {
        pairs[n] = [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        n += 1;
    }
    pairs
};

fn two(out: &mut [u8], n: u32) {
    out[0] = b'0' + (n / 10 % 10) as u8;
    out[1] = b'0' + (n % 10) as u8;
}

fn prefix(secs: i64) -> [u8; PREFIX_LEN] {
    let date = Date::from_days_since_epoch(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u32;
    let mut p = *b"0000-00-00T00:00:00.";
    let y = date.year().clamp(0, 9999) as u32;
    two(&mut p[0..2], y / 100);
    two(&mut p[2..4], y % 100);
    two(&mut p[5..7], u32::from(date.month()));
    two(&mut p[8..10], u32::from(date.day()));
    two(&mut p[11..13], sod / 3600);
    two(&mut p[14..16], sod / 60 % 60);
    two(&mut p[17..19], sod % 60);
    p
}

/// Appends the RFC 3339 form of `micros` (since the epoch, UTC), unquoted.
pub fn push_rfc3339(out: &mut Vec<u8>, micros: i64) {
    let mut text = [0; RFC3339_LEN];
    write_rfc3339(&mut text, micros);
    out.extend_from_slice(&text);
}

/// Bytes of [`write_rfc3339`]'s text: `2026-11-22T04:30:00.123456Z`.
pub(crate) const RFC3339_LEN: usize = PREFIX_LEN + 7;

/// Writes the RFC 3339 form of `micros` (since the epoch, UTC) into the
/// first [`RFC3339_LEN`] bytes of `text`.
#[inline]
pub(crate) fn write_rfc3339(text: &mut [u8], micros: i64) {
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
    text[..PREFIX_LEN].copy_from_slice(&head);
    let tail = &mut text[PREFIX_LEN..RFC3339_LEN];
    tail[0..2].copy_from_slice(&PAIRS[(frac / 10_000) as usize]);
    tail[2..4].copy_from_slice(&PAIRS[(frac / 100 % 100) as usize]);
    tail[4..6].copy_from_slice(&PAIRS[(frac % 100) as usize]);
    tail[6] = b'Z';
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
    fn every_fraction_is_its_six_digits() {
        let second = 1_795_321_800_000_000;
        for frac in (0..1_000_000).step_by(7).chain([999_999]) {
            let text = text(second + frac);
            assert_eq!(&text[20..26], format!("{frac:06}"), "{text}");
        }
    }

    #[test]
    fn cached_prefix_changes_with_the_second() {
        assert_eq!(text(1_795_321_799_999_999), "2026-11-22T04:29:59.999999Z");
        assert_eq!(text(1_795_321_800_000_000), "2026-11-22T04:30:00.000000Z");
    }
}

//! JSON text for record values, written straight into a byte buffer.
//!
//! Strings are escaped per RFC 8259: `"` and `\` are backslash-escaped,
//! control characters become `\n`, `\t`, … or `\u00XX`, and everything else
//! (including non-ASCII text) is copied as UTF-8. Nothing is ever truncated.

use std::fmt;

/// Appends `s` as a quoted, escaped JSON string.
pub(crate) fn push_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    push_escaped(out, s);
    out.push(b'"');
}

/// Appends the escaped body of a JSON string, without quotes.
///
/// Most text needs no escaping: that is checked eight bytes at a time and
/// the text copied in one go.
#[inline]
pub(crate) fn push_escaped(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if is_plain(bytes) {
        out.extend_from_slice(bytes);
    } else {
        push_escaped_slowly(out, bytes);
    }
}

/// [`push_escaped`] for text with at least one byte to escape.
#[cold]
#[inline(never)]
fn push_escaped_slowly(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Whether a byte must be escaped in a JSON string.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Whether no byte of `bytes` needs escaping. Tests eight bytes at once;
/// a shorter tail is covered by testing the last eight (or four) bytes
/// again, overlapping what was already tested.
#[inline]
fn is_plain(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
        if !plain_word(u64::from_le_bytes(*chunk)) {
            return false;
        }
        rest = tail;
    }
    if rest.is_empty() {
        return true;
    }
    if let Some(last) = bytes.last_chunk::<8>() {
        return plain_word(u64::from_le_bytes(*last));
    }
    if let (Some(first), Some(last)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        let first = u64::from(u32::from_le_bytes(*first));
        let last = u64::from(u32::from_le_bytes(*last));
        return plain_word(first | last << 32);
    }
    !bytes.iter().any(|&b| needs_escape(b))
}

/// Whether none of the eight bytes in `w` needs escaping.
fn plain_word(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Sets the high bit of some byte exactly when `x` has a byte below `n`.
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGHS;
    let control = below(w, 0x20);
    let quote = below(w ^ (ONES * u64::from(b'"')), 1);
    let backslash = below(w ^ (ONES * u64::from(b'\\')), 1);
    control | quote | backslash == 0
}

/// Appends an integer.
pub(crate) fn push_int(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends a float as a JSON number, or as a string when it is not finite
/// (JSON has no NaN or infinity).
pub(crate) fn push_f64(out: &mut Vec<u8>, v: f64) {
    use std::io::Write;
    if v.is_finite() {
        // `{:?}` prints the shortest representation that round-trips.
        let _ = write!(out, "{v:?}");
    } else {
        let _ = write!(out, "\"{v}\"");
    }
}

/// Appends `value`'s `Display` or `Debug` output as a quoted, escaped JSON string.
pub(crate) fn push_fmt(out: &mut Vec<u8>, args: fmt::Arguments<'_>) {
    out.push(b'"');
    match args.as_str() {
        Some(s) => push_escaped(out, s),
        None => {
            let _ = fmt::write(&mut Escaper(out), args);
        }
    }
    out.push(b'"');
}

/// A `fmt::Write` that escapes what it is given into the buffer.
pub(crate) struct Escaper<'a>(pub(crate) &'a mut Vec<u8>);

impl fmt::Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        push_escaped(self.0, s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(s: &str) {
        let mut out = Vec::new();
        push_str(&mut out, s);
        let parsed: String = serde_json::from_slice(&out).expect("valid JSON string");
        assert_eq!(parsed, s);
        assert!(!out.contains(&b'\n'));
    }

    #[test]
    fn escapes_quotes_backslashes_controls_and_keeps_unicode() {
        round_trip("plain");
        round_trip("quote \" backslash \\ slash /");
        round_trip("new\nline\r\ttab\u{0}nul\u{1f}unit\u{7f}del");
        round_trip("żółć 日本語 🦀");
        round_trip("");
        round_trip("eight by\"tes and then some more plain text \\ at the end\u{1}");
    }

    #[test]
    fn plain_text_is_told_apart_whatever_its_length() {
        let text = "0123456789abcdef0123456789";
        for len in 0..=text.len() {
            assert!(is_plain(&text.as_bytes()[..len]), "plain, {len} bytes");
            for at in 0..len {
                for special in [b'"', b'\\', b'\n', 0x1f] {
                    let mut bytes = text.as_bytes()[..len].to_vec();
                    bytes[at] = special;
                    assert!(!is_plain(&bytes), "{special:#x} at {at} of {len}");
                }
            }
        }
        assert!(is_plain("żółć 日本語 🦀\u{7f}".as_bytes()));
    }

    #[test]
    fn formats_arguments_with_escaping() {
        let mut out = Vec::new();
        push_fmt(&mut out, format_args!("{}\n{:?}", "a\"b", "c"));
        let parsed: String = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(parsed, "a\"b\n\"c\"");
    }

    #[test]
    fn non_finite_floats_become_strings() {
        let mut out = Vec::new();
        push_f64(&mut out, f64::NAN);
        assert_eq!(out, b"\"NaN\"");
        out.clear();
        push_f64(&mut out, 1.5);
        assert_eq!(out, b"1.5");
    }
}

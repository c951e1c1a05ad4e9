//! Reading a record's head by position, at about the speed of memory.
//!
//! The runtime writes a record's first keys in a fixed order, so a line
//! from a file sink or the journal begins
//!
//! ```text
//! {"id":"…","created_at":"2026-11-22T04:30:00.123456Z","hostname":"…","level":"warning","log_type":"audit",…
//! ```
//!
//! [`fast_head`] makes one pass over the line (the `scan` module: control
//! bytes, non-ASCII bytes, backslashes, the quotes' bitmap), reads
//! `created_at`, `level` and `log_type` from those places, then checks
//! that the rest of the line completes one valid JSON object (see the
//! `validate` module) in which none of the three keys comes again. It
//! answers only "a record, with this head", or "not sure": every line it
//! is not sure of goes to the full parser (the `filter` module's
//! `serde_json` path), which decides. It is not sure of a line
//! whose keys come in another order or with whitespace between them, whose
//! first five values hold an escape, that holds a control byte (a raw tab,
//! say), or whose values nest deeper than the validator follows; and of
//! every line the full parser would refuse. So it never keeps a line that
//! the full parser would skip, nor reads another head from it: a property
//! test (`fast_path_agrees_with_the_full_parser`) compares both on random
//! and hostile lines.

use super::filter::{Head, created_at_micros};
use super::scan::Scan;
use super::validate::{Cursor, rest_of_object};
use logward::{Level, LogType};

/// The head of `line` read by position, when `line` is certainly a
/// record; `None`: not sure, ask the full parser.
pub(crate) fn fast_head(line: &[u8]) -> Option<Head> {
    let scan = Scan::of(line);
    if scan.control || (scan.high && std::str::from_utf8(line).is_err()) {
        return None;
    }
    let mut cursor = Cursor::new(line, &scan);
    cursor.expect(br#"{"id":""#)?;
    cursor.plain_string()?;
    cursor.expect(br#","created_at":""#)?;
    let created_at = cursor.plain_string()?;
    cursor.expect(br#","hostname":""#)?;
    cursor.plain_string()?;
    cursor.expect(br#","level":""#)?;
    let level = cursor.plain_string()?;
    cursor.expect(br#","log_type":""#)?;
    let log_type = cursor.plain_string()?;
    let head = Head {
        created_at: created_at_micros(created_at)?,
        level: level_of(level)?,
        log_type: log_type_of(log_type)?,
    };
    rest_of_object(&mut cursor, |key| {
        matches!(key, b"created_at" | b"level" | b"log_type")
    })?;
    cursor.at_end().then_some(head)
}

/// The level named `text`: the record format's names directly, anything
/// else as the full parser reads it.
fn level_of(text: &[u8]) -> Option<Level> {
    Some(match text {
        b"debug" => Level::Debug,
        b"info" => Level::Info,
        b"warning" => Level::Warning,
        b"error" => Level::Error,
        b"critical" => Level::Critical,
        other => std::str::from_utf8(other).ok()?.parse().ok()?,
    })
}

/// The log type named `text`, as [`level_of`] does for levels.
fn log_type_of(text: &[u8]) -> Option<LogType> {
    Some(match text {
        b"audit" => LogType::Audit,
        b"web" => LogType::Web,
        b"application" => LogType::Application,
        b"analysis" => LogType::Analysis,
        b"tanium" => LogType::Tanium,
        other => std::str::from_utf8(other).ok()?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::filter::parse_head_fully;
    use proptest::prelude::*;

    /// Choices drawn from a tape of bytes, so proptest shrinks the tape.
    struct Tape<'a>(&'a [u8], usize);

    impl Tape<'_> {
        fn byte(&mut self) -> u8 {
            let b = self.0.get(self.1).copied().unwrap_or(0);
            self.1 += 1;
            b
        }

        fn below(&mut self, n: usize) -> usize {
            usize::from(self.byte()) % n
        }

        /// One of `of`'s first `valid`; in a hostile line, one time in
        /// four any of `of`.
        fn one<'s>(&mut self, of: &[&'s str], valid: usize, plain: bool) -> &'s str {
            let wild = !plain && self.below(4) == 0;
            of[self.below(if wild { of.len() } else { valid })]
        }
    }

    /// String bodies (without quotes) as JSON text: without escapes, then
    /// with valid escapes (quotes and keys inside strings), then invalid
    /// ones (bad escapes, a raw tab, a string ended early).
    const BODIES: [&str; 22] = [
        "web-1",
        "",
        "caf\u{e9} \u{1F600}",
        "log_type",
        "created_at",
        "}{",
        "5b7c0f0e-8f3a-4b8e-9c1d-2a6f4e1b9d30",
        r#"level:error,log_type:web"#,
        r#"a \"quoted\" text"#,
        r#"\",\"level\":\"error"#,
        r#"\\"#,
        r#"\u00e9\u0041"#,
        r#"\ud800"#,
        r#"\/ \b \f \n \r \t"#,
        r#"line\nbreak"#,
        "{\\\"a\\\":[1,2]}",
        r#"","level":"error"#,
        r#","level":"#,
        r#"\x41"#,
        r#"\u12G4"#,
        "tab\there",
        r#"\"#,
    ];
    /// Bodies without escapes, and valid ones.
    const PLAIN_BODIES: usize = 8;
    const VALID_BODIES: usize = 16;

    /// Keys: ordinary ones, then the head's own again (plain and escaped)
    /// and broken ones.
    const KEYS: [&str; 14] = [
        "message",
        "pid",
        "request_id",
        "id",
        "fields.level",
        "",
        "user_name",
        "created_at",
        "level",
        "log_type",
        r#"lev\u0065l"#,
        r#"log\u005ftype"#,
        "k\\\"ey",
        r#"created_at\"#,
    ];
    const PLAIN_KEYS: usize = 7;

    /// Scalars and empty containers: valid, then invalid.
    const SCALARS: [&str; 22] = [
        "1", "0", "-0", "4242", "-12.5e+3", "1.0E9", "true", "false", "null", "[]", "{}", "01",
        "1.", "-", "1e", ".5", "+1", "nul", "tru", "NaN", "1x", "[1,]",
    ];
    const VALID_SCALARS: usize = 11;

    fn string(tape: &mut Tape<'_>, valid: usize, plain: bool) -> String {
        format!("\"{}\"", tape.one(&BODIES, valid, plain))
    }

    /// Whitespace between tokens, in a hostile line: mostly none, else
    /// spaces, a tab, a CR.
    fn gap(tape: &mut Tape<'_>, plain: bool) -> &'static str {
        if plain {
            return "";
        }
        match tape.below(256) {
            0 => " ",
            1 => "  ",
            2 => "\t",
            3 => "\r",
            _ => "",
        }
    }

    fn value(tape: &mut Tape<'_>, depth: usize, plain: bool) -> String {
        let kinds = match (depth > 4, plain) {
            (true, _) => 2,
            (false, true) => 4,
            (false, false) => 5,
        };
        match tape.below(kinds) {
            0 => string(tape, VALID_BODIES, plain),
            1 => tape.one(&SCALARS, VALID_SCALARS, plain).to_string(),
            2 => {
                let items: Vec<String> = (0..tape.below(4))
                    .map(|_| value(tape, depth + 1, plain))
                    .collect();
                format!("[{}]", items.join(","))
            }
            3 => {
                let members: Vec<String> = (0..tape.below(4))
                    .map(|_| {
                        let key = tape.one(&KEYS, KEYS.len() - 1, plain);
                        format!("\"{key}\":{}", value(tape, depth + 1, plain))
                    })
                    .collect();
                format!("{{{}}}", members.join(","))
            }
            _ => format!(
                "{}{}{}",
                "[".repeat(70),
                tape.one(&SCALARS, VALID_SCALARS, plain),
                "]".repeat(70)
            ),
        }
    }

    /// A line, and whether it is plain. A plain line is a record in the
    /// runtime's layout: its six keys in order, values without escapes,
    /// further members with any valid content (escapes, quotes and keys
    /// inside strings, nesting), no whitespace. A hostile line has odd
    /// values, the three keys again, keys swapped or left out, whitespace,
    /// and is perhaps cut, changed in a byte, or followed by more.
    fn line(tape: &mut Tape<'_>) -> (Vec<u8>, bool) {
        let plain = tape.below(2) == 0;
        let times = [
            "2026-11-22T04:30:00.123456Z",
            "2026-11-22T04:30:00Z",
            "2026-11-22T04:30:00.123456789Z",
            "2026-11-22T04:30:00.1234567890Z",
            "2026-11-22T04:30:00\\u002e123456Z",
            "2026-11-31T04:30:00.123456Z",
            "yesterday",
            "2026-11-22T04:30:00.123456Z\\",
        ];
        let created_at = format!("\"{}\"", tape.one(&times, 3, plain));
        let levels = [
            "debug",
            "info",
            "warning",
            "error",
            "critical",
            "Warn",
            " info",
            "loud",
            "err\\u006fr",
        ];
        let types = [
            "audit",
            "web",
            "application",
            "analysis",
            "tanium",
            "WEB",
            "syslog",
            "w\\u0065b",
        ];
        let level = format!("\"{}\"", tape.one(&levels, 5, plain));
        let log_type = format!("\"{}\"", tape.one(&types, 5, plain));
        let mut members = vec![
            ("id".to_string(), string(tape, PLAIN_BODIES, plain)),
            ("created_at".to_string(), created_at),
            ("hostname".to_string(), string(tape, PLAIN_BODIES, plain)),
            ("level".to_string(), level),
            ("log_type".to_string(), log_type),
            (
                "pid".to_string(),
                tape.one(&SCALARS, VALID_SCALARS, plain).to_string(),
            ),
        ];
        if !plain && tape.below(8) == 0 {
            let (a, b) = (tape.below(6), tape.below(6));
            members.swap(a, b);
        }
        if !plain && tape.below(8) == 0 {
            members.remove(tape.below(6));
        }
        for _ in 0..tape.below(5) {
            let key = tape.one(&KEYS, PLAIN_KEYS, plain).to_string();
            members.push((key, value(tape, 0, plain)));
        }
        let mut text = String::from(gap(tape, plain));
        text.push('{');
        for (i, (key, value)) in members.iter().enumerate() {
            if i > 0 {
                text.push_str(gap(tape, plain));
                text.push(',');
            }
            text.push_str(gap(tape, plain));
            text.push_str(&format!("\"{key}\""));
            text.push_str(gap(tape, plain));
            text.push(':');
            text.push_str(gap(tape, plain));
            text.push_str(value);
        }
        text.push_str(gap(tape, plain));
        text.push('}');
        text.push_str(gap(tape, plain));
        let mut bytes = text.into_bytes();
        if plain {
            return (bytes, true);
        }
        match tape.below(16) {
            0 => bytes.truncate(tape.below(bytes.len() + 1)),
            1 => {
                let at = tape.below(bytes.len());
                bytes[at] = tape.byte();
            }
            2 => {
                bytes.extend_from_slice([" x", ",", "}", "{}", " \u{0}"][tape.below(5)].as_bytes())
            }
            3 => bytes.insert(tape.below(bytes.len()), tape.byte()),
            _ => {}
        }
        (bytes, false)
    }

    /// Checks one line: a head read by position is the full parser's, and
    /// a plain line is read by position. Whether the head was read by
    /// position.
    fn check(line: &[u8], plain: bool) -> std::result::Result<bool, String> {
        let text = String::from_utf8_lossy(line);
        let full = parse_head_fully(line);
        match fast_head(line) {
            Some(head) if Some(head) != full => Err(format!("{text}: {head:?} vs {full:?}")),
            None if plain => Err(format!("{text}: a plain record not read by position")),
            fast => Ok(fast.is_some()),
        }
    }

    #[test]
    fn runtime_records_are_read_by_position() {
        let lines = [
            r#"{"id":"5b7c0f0e-8f3a-4b8e-9c1d-2a6f4e1b9d30","created_at":"2026-11-22T04:30:00.123456Z","hostname":"web-1","level":"warning","log_type":"audit","pid":4242,"request_id":"0b1d6c1e-5f0a-4e2b-9a57-3c1f0e4d2a10","user_name":"alice","action":"login_attempt","access_granted":false,"client_ip":"10.0.0.7","forwarded_for_client_ip":"203.0.113.9"}"#,
            r#"{"id":"x","created_at":"2026-11-22T04:30:00.123456Z","hostname":"h","level":"info","log_type":"web","pid":1,"message":"caf\u00e9 \"q\" \\ \n","fields.level":"x","n":[1,-2.5e3,{"a":null}]}"#,
            "{\"id\":\"x\",\"created_at\":\"2026-11-22T04:30:00.123456Z\",\"hostname\":\"h\u{e9}\",\"level\":\"critical\",\"log_type\":\"tanium\",\"pid\":1,\"message\":\"\u{1F600}\"}",
        ];
        for line in lines {
            assert_eq!(check(line.as_bytes(), true), Ok(true));
        }
        // Longer than the quote bitmap covers, with and without escapes.
        let long = "x".repeat(2000);
        for message in [long.clone(), format!(r#"{long}\"{long}"#)] {
            let line = format!(
                r#"{{"id":"x","created_at":"2026-11-22T04:30:00.123456Z","hostname":"h","level":"info","log_type":"web","pid":1,"message":"{message}","n":"{long}"}}"#
            );
            assert_eq!(check(line.as_bytes(), true), Ok(true));
        }
    }

    #[test]
    fn hostile_lines_are_left_to_the_full_parser() {
        let record = r#"{"id":"x","created_at":"2026-11-22T04:30:00.123456Z","hostname":"h","level":"info","log_type":"web","pid":1"#;
        for tail in [
            r#","level":"error"}"#,
            r#","lev\u0065l":"error"}"#,
            r#","created_at":"2026-11-22T04:30:00.123456Z"}"#,
            r#","m":"a"b"}"#,
            r#","m":01}"#,
            r#","m":"\q"}"#,
            "}\t",
            r#"} x"#,
            r#","m":[1,]}"#,
            r#","m":{"a"}}"#,
            r#",}"#,
            "",
        ] {
            let line = format!("{record}{tail}");
            assert_eq!(fast_head(line.as_bytes()), None, "{line}");
        }
        // A raw tab far past the quote bitmap.
        let line = format!("{record},\"m\":\"{}\tx\"}}", "x".repeat(3000));
        assert_eq!(fast_head(line.as_bytes()), None, "a raw tab at 3,000");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// The fast path reads a head only where the full parser reads the
        /// same one, over plain lines and over lines with reordered and
        /// duplicated keys, escapes, keys inside strings, whitespace, bad
        /// numbers, deep nesting, cut and changed bytes; and it reads
        /// every plain line.
        #[test]
        fn fast_path_agrees_with_the_full_parser(tape in proptest::collection::vec(any::<u8>(), 0..200)) {
            let (line, plain) = line(&mut Tape(&tape, 0));
            if let Err(e) = check(&line, plain) {
                return Err(TestCaseError::fail(e));
            }
        }
    }
}

//! Checking JSON text without building anything from it.
//!
//! The fast path of the record head (the `head` module) reads three values
//! by position; the rest of the line must still be one valid JSON object,
//! as the full parser would require, or the bundle could carry a line that
//! is no record. This validator walks the text once: strings are skipped
//! to their closing quote (found in the line's quote bitmap when the line
//! has no backslash, see the `scan` module, else with `memchr` to the next
//! quote or backslash), escapes, numbers and literals are checked against
//! RFC 8259's grammar, nested arrays and objects are followed on a stack
//! of one bit per level. It answers "valid" or "not
//! sure" (`None`): it takes only spaces as whitespace, because its caller
//! has ruled out control bytes (tab, CR, LF) for the whole line, and it
//! follows at most [`MAX_DEPTH`] levels of nesting; a line it is not sure
//! of goes to the full parser.

use super::scan::Scan;

/// Deepest nesting of arrays and objects within a value that is followed
/// (one bit each in a `u64`).
const MAX_DEPTH: usize = 64;

/// A position in JSON text without control bytes.
pub(crate) struct Cursor<'a> {
    text: &'a [u8],
    pos: usize,
    /// The quotes of `text`, when each of them opens or closes a string.
    quotes: Option<&'a Scan>,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `text`; `scan` is the pass over `text`.
    pub(crate) fn new(text: &'a [u8], scan: &'a Scan) -> Self {
        let quotes = scan.quotes_are_strings().then_some(scan);
        Cursor {
            text,
            pos: 0,
            quotes,
        }
    }

    /// Reads `bytes` if the text goes on with them.
    #[inline(always)]
    pub(crate) fn expect(&mut self, bytes: &[u8]) -> Option<()> {
        let follows = self.text[self.pos..].starts_with(bytes);
        follows.then(|| self.pos += bytes.len())
    }

    /// The next quote or backslash from the cursor on, and whether it is a
    /// quote (always, when found in the bitmap: the line has no
    /// backslash).
    #[inline(always)]
    fn quote_or_backslash(&self) -> Option<(usize, bool)> {
        match self.quotes {
            Some(scan) => Some((scan.next_quote(self.pos)?, true)),
            None => {
                let at = self.pos + memchr::memchr2(b'"', b'\\', &self.text[self.pos..])?;
                Some((at, self.text[at] == b'"'))
            }
        }
    }

    /// Whether only spaces remain.
    pub(crate) fn at_end(&mut self) -> bool {
        self.spaces();
        self.pos == self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    /// The next byte that is not a space, read.
    #[inline(always)]
    fn token(&mut self) -> Option<u8> {
        let mut b = self.bump()?;
        while b == b' ' {
            b = self.bump()?;
        }
        Some(b)
    }

    /// Reads `want`, after any spaces.
    #[inline(always)]
    fn eat(&mut self, want: u8) -> Option<()> {
        (self.token()? == want).then_some(())
    }

    fn spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// The rest of a string whose opening quote is read, escapes checked.
    #[inline(always)]
    fn string(&mut self) -> Option<()> {
        loop {
            let (at, quote) = self.quote_or_backslash()?;
            self.pos = at + 1;
            if quote {
                return Some(());
            }
            match self.bump()? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                b'u' => {
                    for _ in 0..4 {
                        if !self.bump()?.is_ascii_hexdigit() {
                            return None;
                        }
                    }
                }
                _ => return None,
            }
        }
    }

    /// The text of a string whose opening quote is read, if it has no
    /// escape.
    #[inline(always)]
    pub(crate) fn plain_string(&mut self) -> Option<&'a [u8]> {
        let text: &'a [u8] = self.text;
        let (end, quote) = self.quote_or_backslash()?;
        if !quote {
            return None;
        }
        let string = &text[self.pos..end];
        self.pos = end + 1;
        Some(string)
    }

    /// Skips ASCII digits; how many there were.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number, from its first byte (`-` or a digit).
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.bump()? {
            b'0' => {}
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    /// `"key":` inside a nested object, from the opening quote (after any
    /// spaces).
    fn member_key(&mut self) -> Option<()> {
        self.eat(b'"')?;
        self.string()?;
        self.eat(b':')
    }

    /// One value of any kind, with what it nests.
    fn value(&mut self) -> Option<()> {
        // Bit `d` is set when the array or object open at depth `d` is an
        // object.
        let mut objects = 0u64;
        let mut depth = 0;
        'value: loop {
            match self.token()? {
                b'"' => self.string()?,
                b't' => self.expect(b"rue")?,
                b'f' => self.expect(b"alse")?,
                b'n' => self.expect(b"ull")?,
                b'-' | b'0'..=b'9' => {
                    // The number starts at the byte just read.
                    self.pos -= 1;
                    self.number()?;
                }
                frame @ (b'[' | b'{') => {
                    self.spaces();
                    let close = if frame == b'[' { b']' } else { b'}' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                    } else {
                        if depth == MAX_DEPTH {
                            return None;
                        }
                        objects |= u64::from(frame == b'{') << depth;
                        depth += 1;
                        if frame == b'{' {
                            self.member_key()?;
                        }
                        continue 'value;
                    }
                }
                _ => return None,
            }
            // A value is complete: close what it completes, or go on to the
            // next element or member.
            while depth > 0 {
                let object = objects >> (depth - 1) & 1 == 1;
                match (self.token()?, object) {
                    (b',', object) => {
                        if object {
                            self.member_key()?;
                        }
                        continue 'value;
                    }
                    (b']', false) | (b'}', true) => {
                        depth -= 1;
                        objects &= !(1 << depth);
                    }
                    _ => return None,
                }
            }
            return Some(());
        }
    }
}

/// The members of an object after one of its values, through its closing
/// brace: `,"key":value` any number of times, then `}`. A key without
/// escapes for which `taken` holds (read already, so a second one would
/// be a duplicate) or a key with an escape makes it "not sure".
pub(crate) fn rest_of_object(cursor: &mut Cursor<'_>, taken: impl Fn(&[u8]) -> bool) -> Option<()> {
    loop {
        match cursor.token()? {
            b'}' => return Some(()),
            b',' => {}
            _ => return None,
        }
        cursor.eat(b'"')?;
        let key = cursor.plain_string()?;
        if taken(key) {
            return None;
        }
        cursor.eat(b':')?;
        cursor.value()?;
    }
}

//! Checking JSON text without building anything from it.
//!
//! The fast path of the record head (the `head` module) reads three values
//! by position; the rest of the line must still be one valid JSON object,
//! as the full parser would require, or the bundle could carry a line that
//! is no record. This validator walks the text once: strings are skipped
//! with `memchr` to their next quote or backslash, escapes, numbers and
//! literals are checked against RFC 8259's grammar, nested arrays and
//! objects are followed on a small stack. It answers "valid" or "not
//! sure" (`None`): it takes only spaces as whitespace, because its caller
//! has ruled out control bytes (tab, CR, LF) for the whole line, and it
//! follows at most [`MAX_DEPTH`] levels of nesting; a line it is not sure
//! of goes to the full parser.

/// Deepest nesting of arrays and objects within a value that is followed.
const MAX_DEPTH: usize = 64;

/// A position in JSON text without control bytes.
pub(crate) struct Cursor<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `text`.
    pub(crate) fn new(text: &'a [u8]) -> Self {
        Cursor { text, pos: 0 }
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

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.bump()? == want).then_some(())
    }

    fn spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// The rest of a string whose opening quote is read, escapes checked.
    fn string(&mut self) -> Option<()> {
        loop {
            let at = self.pos + memchr::memchr2(b'"', b'\\', &self.text[self.pos..])?;
            self.pos = at + 1;
            if self.text[at] == b'"' {
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

    /// The text of a key whose opening quote is read, if it has no escape.
    fn plain_key(&mut self) -> Option<&'a [u8]> {
        let text: &'a [u8] = self.text;
        let rest = &text[self.pos..];
        let end = memchr::memchr2(b'"', b'\\', rest)?;
        if rest[end] != b'"' {
            return None;
        }
        self.pos += end + 1;
        Some(&rest[..end])
    }

    fn literal(&mut self, rest: &[u8]) -> Option<()> {
        let follows = self.text[self.pos..].starts_with(rest);
        follows.then(|| self.pos += rest.len())
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

    /// `"key":` inside a nested object, from the opening quote.
    fn member_key(&mut self) -> Option<()> {
        self.eat(b'"')?;
        self.string()?;
        self.spaces();
        self.eat(b':')
    }

    /// One value of any kind, with what it nests.
    fn value(&mut self) -> Option<()> {
        let mut open = [0u8; MAX_DEPTH];
        let mut depth = 0;
        'value: loop {
            self.spaces();
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    self.string()?;
                }
                b't' => {
                    self.pos += 1;
                    self.literal(b"rue")?;
                }
                b'f' => {
                    self.pos += 1;
                    self.literal(b"alse")?;
                }
                b'n' => {
                    self.pos += 1;
                    self.literal(b"ull")?;
                }
                b'-' | b'0'..=b'9' => self.number()?,
                frame @ (b'[' | b'{') => {
                    self.pos += 1;
                    self.spaces();
                    let close = if frame == b'[' { b']' } else { b'}' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                    } else {
                        if depth == MAX_DEPTH {
                            return None;
                        }
                        open[depth] = frame;
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
                self.spaces();
                match (self.bump()?, open[depth - 1]) {
                    (b',', frame) => {
                        if frame == b'{' {
                            self.spaces();
                            self.member_key()?;
                        }
                        continue 'value;
                    }
                    (b']', b'[') | (b'}', b'{') => depth -= 1,
                    _ => return None,
                }
            }
            return Some(());
        }
    }
}

/// The members of an object after one of its values, through its closing
/// brace: `,"key":value` any number of times, then `}`. A key without
/// escapes that is one of `taken` (read already, so a second one would be
/// a duplicate) or a key with an escape makes it "not sure".
pub(crate) fn rest_of_object(cursor: &mut Cursor<'_>, taken: &[&[u8]]) -> Option<()> {
    loop {
        cursor.spaces();
        match cursor.bump()? {
            b'}' => return Some(()),
            b',' => {}
            _ => return None,
        }
        cursor.spaces();
        cursor.eat(b'"')?;
        let key = cursor.plain_key()?;
        if taken.contains(&key) {
            return None;
        }
        cursor.spaces();
        cursor.eat(b':')?;
        cursor.value()?;
    }
}

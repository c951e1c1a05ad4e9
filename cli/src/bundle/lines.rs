//! Reading lines with a cap on their length.
//!
//! `BufRead::read_until` would hold a line of any size in memory; a log file
//! that lost its newlines (or a hostile one) could make that gigabytes. This
//! reader keeps at most `max_len` bytes of a line: a longer line is read to
//! its end and dropped, and reported as [`Line::TooLong`].
//!
//! It reads into a buffer of its own and lends each line from there: a line
//! is found with `memchr` and not copied, except the part of one that the
//! end of the buffer cut, which moves to its start before the next read.
//! The buffer grows for a line longer than it, up to the cap, and keeps
//! that size until the reader is dropped (at the end of its file).

use std::io::{self, Read};

/// Lines longer than this (16 MiB) are skipped as malformed.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// The buffer's first size (256 KiB); it grows for a longer line.
const CAPACITY: usize = 256 * 1024;

/// What [`LineReader::advance`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A line, now in [`LineReader::line`].
    Line,
    /// A line over the cap, already skipped.
    TooLong,
    /// The end of the input.
    End,
}

/// Reads `\n`-terminated lines of at most `max_len` bytes from `R`.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// The current line, `buf[line.0..line.1]`.
    line: (usize, usize),
    /// Bytes read and not yet part of a line: `buf[start..end]`, of which
    /// `buf[start..scanned]` holds no newline.
    start: usize,
    scanned: usize,
    end: usize,
    max_len: usize,
    at_end: bool,
}

impl<R: Read> LineReader<R> {
    /// A reader of `inner` that keeps lines of up to `max_len` bytes.
    pub fn new(inner: R, max_len: usize) -> Self {
        Self::with_capacity(CAPACITY, inner, max_len)
    }

    /// As [`LineReader::new`], with a first buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: R, max_len: usize) -> Self {
        LineReader {
            inner,
            buf: vec![0; capacity.max(1)],
            line: (0, 0),
            start: 0,
            scanned: 0,
            end: 0,
            max_len,
            at_end: false,
        }
    }

    /// Reads the next line; on [`Status::Line`] it is in [`LineReader::line`].
    pub fn advance(&mut self) -> io::Result<Status> {
        self.line = (0, 0);
        let mut too_long = false;
        loop {
            if let Some(at) = memchr::memchr(b'\n', &self.buf[self.scanned..self.end]) {
                let newline = self.scanned + at;
                let line = (self.start, newline);
                self.start = newline + 1;
                self.scanned = self.start;
                return Ok(self.found(line, too_long));
            }
            self.scanned = self.end;
            if self.at_end {
                if self.start == self.end && !too_long {
                    return Ok(Status::End);
                }
                let line = (self.start, self.end);
                self.start = self.end;
                return Ok(self.found(line, too_long));
            }
            if self.end - self.start > self.max_len {
                // Over the cap with no end in sight: drop what is held and
                // read on to the newline.
                too_long = true;
                (self.start, self.scanned, self.end) = (0, 0, 0);
            }
            self.fill()?;
        }
    }

    /// `line` is the next line: kept unless it or its dropped start was
    /// over the cap.
    fn found(&mut self, line: (usize, usize), too_long: bool) -> Status {
        if too_long || line.1 - line.0 > self.max_len {
            Status::TooLong
        } else {
            self.line = line;
            Status::Line
        }
    }

    /// Reads more after `end`, first moving the unfinished line to the
    /// start of the buffer, or growing it when the line fills it.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.scanned -= self.start;
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let grown = (self.buf.len() * 2).min(self.max_len.saturating_add(1));
            self.buf.resize(grown.max(self.buf.len() + 1), 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.at_end = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            return Ok(());
        }
    }

    /// The line the last [`LineReader::advance`] read, without its `\n`
    /// (the last line of the input may have had none).
    pub fn line(&self) -> &[u8] {
        &self.buf[self.line.0..self.line.1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max_len: usize, capacity: usize) -> Vec<Option<Vec<u8>>> {
        let mut reader = LineReader::with_capacity(capacity, input, max_len);
        let mut out = Vec::new();
        loop {
            match reader.advance().unwrap() {
                Status::Line => out.push(Some(reader.line().to_vec())),
                Status::TooLong => out.push(None),
                Status::End => return out,
            }
        }
    }

    #[test]
    fn splits_on_newlines_and_keeps_a_last_line_without_one() {
        for capacity in [1, 3, 64] {
            assert_eq!(
                lines(b"ab\n\ncd\nef", 10, capacity),
                [
                    Some(b"ab".to_vec()),
                    Some(Vec::new()),
                    Some(b"cd".to_vec()),
                    Some(b"ef".to_vec())
                ]
            );
        }
    }

    #[test]
    fn a_line_over_the_cap_is_skipped_whole() {
        for capacity in [1, 4, 64] {
            assert_eq!(
                lines(b"12345\n123456\nok\n", 5, capacity),
                [Some(b"12345".to_vec()), None, Some(b"ok".to_vec())],
                "buffer of {capacity}"
            );
        }
    }

    proptest::proptest! {
        /// Any input, any buffer size and cap: the lines of a plain split
        /// on newlines (none after a final newline), those over the cap
        /// skipped.
        #[test]
        fn reads_what_a_split_gives(
            input in proptest::collection::vec(
                proptest::prop_oneof![4 => proptest::prelude::Just(b'\n'), 6 => b'a'..=b'c'],
                0..300,
            ),
            max_len in 0usize..20,
            capacity in 1usize..40,
        ) {
            let mut expected: Vec<Option<Vec<u8>>> = input
                .split(|&b| b == b'\n')
                .map(|line| (line.len() <= max_len).then(|| line.to_vec()))
                .collect();
            if input.is_empty() || input.ends_with(b"\n") {
                expected.pop();
            }
            proptest::prop_assert_eq!(lines(&input, max_len, capacity), expected);
        }
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert!(lines(b"", 5, 8).is_empty());
    }
}

//! Reading lines with a cap on their length.
//!
//! `BufRead::read_until` would hold a line of any size in memory; a log file
//! that lost its newlines (or a hostile one) could make that gigabytes. This
//! reader keeps at most `max_len` bytes of a line: a longer line is read to
//! its end and dropped, and reported as [`Line::TooLong`].

use std::io::{self, BufRead};

/// Lines longer than this (16 MiB) are skipped as malformed.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

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
    max_len: usize,
}

impl<R: BufRead> LineReader<R> {
    /// A reader of `inner` that keeps lines of up to `max_len` bytes.
    pub fn new(inner: R, max_len: usize) -> Self {
        LineReader {
            inner,
            buf: Vec::new(),
            max_len,
        }
    }

    /// Reads the next line; on [`Status::Line`] it is in [`LineReader::line`].
    pub fn advance(&mut self) -> io::Result<Status> {
        self.buf.clear();
        let mut too_long = false;
        let mut read_any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            read_any = true;
            let (chunk, consumed) = match memchr::memchr(b'\n', available) {
                Some(at) => (&available[..at], at + 1),
                None => (available, available.len()),
            };
            let ends_line = consumed > chunk.len();
            if !too_long {
                if self.buf.len() + chunk.len() > self.max_len {
                    too_long = true;
                    // Give the memory back: the line is dropped anyway.
                    self.buf = Vec::new();
                } else {
                    self.buf.extend_from_slice(chunk);
                }
            }
            self.inner.consume(consumed);
            if ends_line {
                break;
            }
        }
        Ok(match (read_any, too_long) {
            (false, _) => Status::End,
            (true, true) => Status::TooLong,
            (true, false) => Status::Line,
        })
    }

    /// The line the last [`LineReader::advance`] read, without its `\n`
    /// (the last line of the input may have had none).
    pub fn line(&self) -> &[u8] {
        &self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn lines(input: &[u8], max_len: usize, capacity: usize) -> Vec<Option<Vec<u8>>> {
        let mut reader = LineReader::new(BufReader::with_capacity(capacity, input), max_len);
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

    #[test]
    fn empty_input_has_no_lines() {
        assert!(lines(b"", 5, 8).is_empty());
    }
}

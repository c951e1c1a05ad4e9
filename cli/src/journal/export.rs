//! Parsing `journalctl -o export`: the journal's own binary-safe format.
//!
//! An entry is a run of fields ended by an empty line. A field is
//! `NAME=value\n`, or, for a value that is not printable text, `NAME\n`,
//! the value's length as 64-bit little endian, the value, `\n`:
//!
//! ```text
//! __CURSOR=s=…;i=2296;…
//! _UID=0
//! _PID=14436
//! _COMM=shop-api
//! MESSAGE={"id":"…","created_at":"…",…}
//!
//! ```
//!
//! Values are kept up to a cap: a longer value is read to its end and
//! dropped, and the field is marked as too long, so a hostile entry cannot
//! make the reader hold gigabytes. Names longer than journald allows (64)
//! are a malformed stream.

use std::io::{self, BufRead};

/// The longest field name journald writes; a longer one is malformed input.
const NAME_MAX: usize = 64;

/// What [`ExportReader::next_field`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Item {
    /// A field: its name in [`ExportReader::name`], its value (unless it
    /// was too long) in [`ExportReader::value`].
    Field {
        /// The value was over the cap and is not kept.
        too_long: bool,
    },
    /// The empty line that ends an entry.
    EntryEnd,
    /// The end of the input.
    End,
}

/// Reads the fields of `journalctl -o export` output one at a time.
pub(crate) struct ExportReader<R> {
    inner: R,
    name: Vec<u8>,
    value: Vec<u8>,
    max_value: usize,
}

impl<R: BufRead> ExportReader<R> {
    /// A reader of `inner` keeping values of up to `max_value` bytes.
    pub(crate) fn new(inner: R, max_value: usize) -> Self {
        ExportReader {
            inner,
            name: Vec::new(),
            value: Vec::new(),
            max_value,
        }
    }

    /// The name of the field last read.
    pub(crate) fn name(&self) -> &[u8] {
        &self.name
    }

    /// The value of the field last read (empty if it was too long).
    pub(crate) fn value(&self) -> &[u8] {
        &self.value
    }

    /// Reads the next field, or the end of an entry or of the input.
    pub(crate) fn next_field(&mut self) -> io::Result<Item> {
        self.name.clear();
        self.value.clear();
        let Some(ended_by) = self.read_name()? else {
            return Ok(Item::End);
        };
        if ended_by == b'\n' && self.name.is_empty() {
            return Ok(Item::EntryEnd);
        }
        let too_long = if ended_by == b'=' {
            self.read_text()?
        } else {
            self.read_binary()?
        };
        Ok(Item::Field { too_long })
    }

    /// Reads a name up to `=` or `\n` and returns which ended it; `None` at
    /// the end of the input before any byte.
    fn read_name(&mut self) -> io::Result<Option<u8>> {
        loop {
            let available = fill(&mut self.inner)?;
            if available.is_empty() {
                if self.name.is_empty() {
                    return Ok(None);
                }
                return Err(malformed("the output ends inside a field name"));
            }
            let end = available.iter().position(|&b| b == b'=' || b == b'\n');
            let take = end.unwrap_or(available.len());
            if self.name.len() + take > NAME_MAX {
                return Err(malformed("a field name longer than journald allows"));
            }
            self.name.extend_from_slice(&available[..take]);
            if let Some(end) = end {
                let ended_by = available[end];
                self.inner.consume(end + 1);
                return Ok(Some(ended_by));
            }
            self.inner.consume(take);
        }
    }

    /// Reads a text value up to `\n`; returns whether it was too long.
    fn read_text(&mut self) -> io::Result<bool> {
        let mut too_long = false;
        loop {
            let available = fill(&mut self.inner)?;
            if available.is_empty() {
                return Err(malformed("the output ends inside a value"));
            }
            let end = available.iter().position(|&b| b == b'\n');
            let take = end.unwrap_or(available.len());
            keep(
                &mut self.value,
                self.max_value,
                &available[..take],
                &mut too_long,
            );
            self.inner.consume(take + usize::from(end.is_some()));
            if end.is_some() {
                return Ok(too_long);
            }
        }
    }

    /// Reads a binary value: its length, the bytes and the closing `\n`.
    fn read_binary(&mut self) -> io::Result<bool> {
        let mut len = [0u8; 8];
        self.inner.read_exact(&mut len)?;
        let mut left = u64::from_le_bytes(len);
        let mut too_long = false;
        while left > 0 {
            let available = fill(&mut self.inner)?;
            if available.is_empty() {
                return Err(malformed("the output ends inside a binary value"));
            }
            let take = available
                .len()
                .min(usize::try_from(left).unwrap_or(usize::MAX));
            keep(
                &mut self.value,
                self.max_value,
                &available[..take],
                &mut too_long,
            );
            self.inner.consume(take);
            left -= take as u64;
        }
        let mut newline = [0u8; 1];
        self.inner.read_exact(&mut newline)?;
        if newline != *b"\n" {
            return Err(malformed("a binary value without its closing newline"));
        }
        Ok(too_long)
    }
}

/// Appends `chunk` to `value` unless that makes it longer than `max`; then
/// the value is dropped and `too_long` set.
fn keep(value: &mut Vec<u8>, max: usize, chunk: &[u8], too_long: &mut bool) {
    if *too_long {
        return;
    }
    if value.len() + chunk.len() > max {
        *too_long = true;
        *value = Vec::new();
    } else {
        value.extend_from_slice(chunk);
    }
}

/// `fill_buf`, retried when interrupted.
fn fill<R: BufRead>(inner: &mut R) -> io::Result<&[u8]> {
    loop {
        match inner.fill_buf() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Re-borrowed here so the loop does not hold the first borrow.
            Ok(_) => return inner.fill_buf(),
            Err(e) => return Err(e),
        }
    }
}

fn malformed(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("journalctl's export output is malformed: {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry as (name, value or None when too long) pairs.
    fn entries(input: &[u8], max: usize, capacity: usize) -> Vec<Vec<(String, Option<Vec<u8>>)>> {
        let mut reader = ExportReader::new(io::BufReader::with_capacity(capacity, input), max);
        let mut all = Vec::new();
        let mut entry = Vec::new();
        loop {
            match reader.next_field().expect("well formed") {
                Item::Field { too_long } => entry.push((
                    String::from_utf8(reader.name().to_vec()).expect("name"),
                    (!too_long).then(|| reader.value().to_vec()),
                )),
                Item::EntryEnd => all.push(std::mem::take(&mut entry)),
                Item::End => return all,
            }
        }
    }

    fn binary(name: &str, value: &[u8]) -> Vec<u8> {
        let mut out = format!("{name}\n").into_bytes();
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        out.extend_from_slice(value);
        out.push(b'\n');
        out
    }

    #[test]
    fn text_and_binary_fields_in_entries() {
        let mut input = b"_UID=0\nMESSAGE={\"a\":1}\n".to_vec();
        input.extend(binary("STACKTRACE", b"one\ntwo\n\x00"));
        input.extend(b"\n_UID=65534\nMESSAGE=\n\n");
        for capacity in [1, 7, 4096] {
            assert_eq!(
                entries(&input, 100, capacity),
                [
                    vec![
                        ("_UID".into(), Some(b"0".to_vec())),
                        ("MESSAGE".into(), Some(b"{\"a\":1}".to_vec())),
                        ("STACKTRACE".into(), Some(b"one\ntwo\n\x00".to_vec())),
                    ],
                    vec![
                        ("_UID".into(), Some(b"65534".to_vec())),
                        ("MESSAGE".into(), Some(Vec::new())),
                    ],
                ],
                "buffer of {capacity}"
            );
        }
    }

    #[test]
    fn values_over_the_cap_are_marked_and_dropped() {
        let mut input = b"MESSAGE=12345678\n".to_vec();
        input.extend(binary("BIN", b"123456789"));
        input.extend(b"OK=1234\n\n");
        assert_eq!(
            entries(&input, 4, 3),
            [vec![
                ("MESSAGE".into(), None),
                ("BIN".into(), None),
                ("OK".into(), Some(b"1234".to_vec())),
            ]]
        );
    }

    #[test]
    fn truncated_or_garbled_output_is_an_error() {
        for input in [
            &b"MESSAGE=no newline"[..],
            b"NAME_WITHOUT_END",
            b"BIN\n\x05\x00\x00\x00\x00\x00\x00\x00ab",
            b"BIN\n\x01\x00\x00\x00\x00\x00\x00\x00ab",
        ] {
            let mut reader = ExportReader::new(input, 100);
            let err = loop {
                match reader.next_field() {
                    Ok(Item::End) => panic!("{input:?} read without error"),
                    Ok(_) => {}
                    Err(e) => break e,
                }
            };
            assert!(
                matches!(
                    err.kind(),
                    io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
                ),
                "{input:?}: {err}"
            );
        }
        let long_name = format!("{}=x\n", "N".repeat(65));
        let mut reader = ExportReader::new(long_name.as_bytes(), 100);
        assert!(reader.next_field().is_err());
    }
}

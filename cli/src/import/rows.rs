//! Rows out of CSV bytes that arrive in pieces, on `csv-core` (the parser
//! under the `csv` crate), so that a file still being written is read as
//! far as it goes and a half-written last row waits for its end instead of
//! being taken for a short row.
//!
//! The parser counts lines itself (every `\n` consumed) to give each row
//! the line it starts on, and keeps the byte offset just past each complete
//! row with a SHA-256 of everything before it: that is what an import
//! remembers to continue where it stopped. Blank lines are skipped. A row
//! longer than [`MAX_ROW_BYTES`] or with more than [`MAX_FIELDS`] cells is
//! passed on marked oversized, without its cells, so memory stays bounded
//! whatever the input (an unclosed quote makes the rest of a file one row).

use csv_core::{ReadRecordResult, Reader};
use sha2::{Digest, Sha256};

/// The longest row kept, in bytes of cell text.
pub const MAX_ROW_BYTES: usize = 1 << 20;
/// The most cells a row may have.
pub const MAX_FIELDS: usize = 4096;

/// Where a complete row ended: the position to continue from.
#[derive(Debug, Clone)]
pub struct Mark {
    /// Bytes of the input up to and including the row.
    pub offset: u64,
    /// The line the next row starts on or after.
    pub line: u64,
    /// SHA-256 of the first `offset` bytes (`None` when not hashing).
    pub hash: Option<Sha256>,
}

impl Mark {
    /// The hash as lowercase hex.
    pub fn hex(&self) -> Option<String> {
        self.hash.clone().map(|h| hex(&h.finalize()))
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One complete row.
#[derive(Debug)]
pub struct Row<'a> {
    /// The line the row starts on (1-based).
    pub line: u64,
    /// The row was longer than the limits; its cells are not kept.
    pub oversized: bool,
    text: &'a [u8],
    ends: &'a [usize],
}

impl Row<'_> {
    /// How many cells the row has.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of cell `i`.
    pub fn cell(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

/// An incremental CSV parser.
pub struct RowParser {
    reader: Reader,
    text: Vec<u8>,
    ends: Vec<usize>,
    ntext: usize,
    nends: usize,
    in_row: bool,
    row_line: u64,
    oversized: bool,
    consumed: u64,
    line: u64,
    hash: Option<Sha256>,
    mark: Mark,
}

impl RowParser {
    /// A parser starting at `start` (offset, line and hash so far) of the
    /// input; it hashes what it reads when `start.hash` is set.
    pub fn new(start: Mark) -> Self {
        RowParser {
            reader: Reader::new(),
            text: vec![0; 1024],
            ends: vec![0; 32],
            ntext: 0,
            nends: 0,
            in_row: false,
            row_line: start.line,
            oversized: false,
            consumed: start.offset,
            line: start.line,
            hash: start.hash.clone(),
            mark: start,
        }
    }

    /// The position after the last complete row.
    pub fn mark(&self) -> &Mark {
        &self.mark
    }

    /// Parses `input`, calling `on_row` for each complete row; stops at the
    /// first error `on_row` returns.
    pub fn feed<E>(
        &mut self,
        input: &[u8],
        on_row: &mut impl FnMut(Row<'_>, &Mark) -> Result<(), E>,
    ) -> Result<(), E> {
        self.parse(input, false, on_row)
    }

    /// Ends the input: a last row without a line end is complete now.
    pub fn finish<E>(
        &mut self,
        on_row: &mut impl FnMut(Row<'_>, &Mark) -> Result<(), E>,
    ) -> Result<(), E> {
        self.parse(&[], true, on_row)
    }

    fn parse<E>(
        &mut self,
        mut input: &[u8],
        eof: bool,
        on_row: &mut impl FnMut(Row<'_>, &Mark) -> Result<(), E>,
    ) -> Result<(), E> {
        loop {
            if !self.in_row {
                let blank = input
                    .iter()
                    .take_while(|&&b| b == b'\n' || b == b'\r')
                    .count();
                self.consume(&input[..blank]);
                input = &input[blank..];
                if input.is_empty() {
                    if blank > 0 || eof {
                        self.set_mark();
                    }
                    return Ok(());
                }
                self.in_row = true;
                self.row_line = self.line;
            }
            let (result, nin, ntext, nends) = self.reader.read_record(
                input,
                &mut self.text[self.ntext..],
                &mut self.ends[self.nends..],
            );
            self.consume(&input[..nin]);
            input = &input[nin..];
            self.ntext += ntext;
            self.nends += nends;
            match result {
                ReadRecordResult::InputEmpty => {
                    if !eof || !input.is_empty() {
                        return Ok(());
                    }
                }
                ReadRecordResult::OutputFull => self.grow_text(),
                ReadRecordResult::OutputEndsFull => self.grow_ends(),
                ReadRecordResult::Record => {
                    self.in_row = false;
                    self.set_mark();
                    let row = Row {
                        line: self.row_line,
                        oversized: self.oversized,
                        text: &self.text[..self.ntext],
                        ends: if self.oversized {
                            &[]
                        } else {
                            &self.ends[..self.nends]
                        },
                    };
                    let result = on_row(row, &self.mark);
                    self.ntext = 0;
                    self.nends = 0;
                    self.oversized = false;
                    result?;
                }
                ReadRecordResult::End => {
                    self.reader.reset();
                    return Ok(());
                }
            }
        }
    }

    fn consume(&mut self, bytes: &[u8]) {
        self.consumed += bytes.len() as u64;
        self.line += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        if let Some(hash) = &mut self.hash {
            hash.update(bytes);
        }
    }

    fn set_mark(&mut self) {
        self.mark = Mark {
            offset: self.consumed,
            line: self.line,
            hash: self.hash.clone(),
        };
    }

    fn grow_text(&mut self) {
        if self.text.len() >= MAX_ROW_BYTES {
            self.oversized = true;
            self.ntext = 0;
            self.nends = 0;
        } else {
            let len = self.text.len() * 2;
            self.text.resize(len, 0);
        }
    }

    fn grow_ends(&mut self) {
        if self.ends.len() >= MAX_FIELDS {
            self.oversized = true;
            self.ntext = 0;
            self.nends = 0;
        } else {
            let len = self.ends.len() * 2;
            self.ends.resize(len, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Mark {
        Mark {
            offset: 0,
            line: 1,
            hash: Some(Sha256::new()),
        }
    }

    /// (line, cells) of every row of `pieces` fed one by one, then finished
    /// if `finish`.
    fn rows(pieces: &[&[u8]], finish: bool) -> (Vec<(u64, Vec<String>)>, Mark) {
        let mut parser = RowParser::new(start());
        let mut out = Vec::new();
        let mut on_row = |row: Row<'_>, _: &Mark| -> Result<(), ()> {
            let cells = (0..row.len())
                .map(|i| String::from_utf8_lossy(row.cell(i)).into_owned())
                .collect();
            out.push((row.line, cells));
            Ok(())
        };
        for piece in pieces {
            parser.feed(piece, &mut on_row).expect("no error");
        }
        if finish {
            parser.finish(&mut on_row).expect("no error");
        }
        let mark = parser.mark().clone();
        (out, mark)
    }

    #[test]
    fn rows_split_anywhere_come_out_whole_with_their_start_lines() {
        let text = b"a,b\n\n1,\"x\ny\"\r\n2,z\n3,last";
        for split in 0..text.len() {
            let (out, mark) = rows(&[&text[..split], &text[split..]], true);
            assert_eq!(
                out,
                vec![
                    (1, vec!["a".into(), "b".into()]),
                    (3, vec!["1".into(), "x\ny".into()]),
                    (5, vec!["2".into(), "z".into()]),
                    (6, vec!["3".into(), "last".into()]),
                ],
                "split at {split}"
            );
            assert_eq!(mark.offset, text.len() as u64);
            assert_eq!(mark.hex(), Some(hex(&Sha256::digest(text))));
        }
    }

    #[test]
    fn a_half_written_last_row_waits_and_the_mark_stays_before_it() {
        let (out, mark) = rows(&[b"a,b\n1,2\n3,"], false);
        assert_eq!(out.len(), 2);
        assert_eq!(mark.offset, 8);
        assert_eq!(mark.line, 3);
        assert_eq!(mark.hex(), Some(hex(&Sha256::digest(b"a,b\n1,2\n"))));
    }

    #[test]
    fn an_oversized_row_is_marked_and_memory_stays_bounded() {
        let mut text = b"a,b\n\"".to_vec();
        text.extend(std::iter::repeat_n(b'x', 3 * MAX_ROW_BYTES));
        text.extend(b"\",1\nc,d\n");
        let mut parser = RowParser::new(start());
        let mut seen = Vec::new();
        for chunk in text.chunks(65536) {
            parser
                .feed(chunk, &mut |row: Row<'_>, _: &Mark| -> Result<(), ()> {
                    seen.push((row.line, row.oversized, row.len()));
                    Ok(())
                })
                .expect("no error");
        }
        assert_eq!(seen, vec![(1, false, 2), (2, true, 0), (3, false, 2)]);
        assert!(parser.text.len() <= MAX_ROW_BYTES);
    }
}

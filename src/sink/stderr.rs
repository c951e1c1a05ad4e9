//! The last-resort sink: records as JSON lines on standard error.

use std::io::{self, Write};

use super::{Entry, Sink};

/// Writes each record as a JSON line to the process's standard error.
#[derive(Debug, Default)]
pub struct StderrSink {
    buf: Vec<u8>,
}

impl StderrSink {
    /// A sink writing to standard error.
    pub fn new() -> Self {
        StderrSink::default()
    }
}

impl Sink for StderrSink {
    fn append(&mut self, entry: &Entry<'_>) -> io::Result<()> {
        self.buf.extend_from_slice(entry.line);
        if self.buf.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = io::stderr().lock().write_all(&self.buf);
        self.buf.clear();
        result
    }

    fn describe(&self) -> String {
        "stderr".to_string()
    }
}

/// Bytes a [`WriteSink`] gathers before it writes them without waiting
/// for the writer thread's flush.
const WRITE_SINK_BUFFER: usize = 64 * 1024;

/// Writes records to any [`Write`] (a file, a socket, a test buffer).
///
/// Records are gathered and handed to the writer in one `write` per batch
/// (or per 64 KiB), then the writer is flushed: an unbuffered `File` costs
/// one system call per batch, not one per record. When a write fails, the
/// records it did not take stay whole, and [`Sink::take_unwritten`] hands
/// them back for re-routing (a record the writer took only part of is
/// handed back whole, as the file sink does).
pub struct WriteSink<W> {
    writer: W,
    name: String,
    /// Records not yet written, whole lines.
    buf: Vec<u8>,
    /// How many bytes of `buf` the writer has already taken.
    written: usize,
}

impl<W: Write + Send + 'static> WriteSink<W> {
    /// A sink over `writer`, described as `name` in runtime messages.
    pub fn new(writer: W, name: impl Into<String>) -> Self {
        WriteSink {
            writer,
            name: name.into(),
            buf: Vec::new(),
            written: 0,
        }
    }

    /// Hands everything gathered to the writer.
    fn write_out(&mut self) -> io::Result<()> {
        while self.written < self.buf.len() {
            match self.writer.write(&self.buf[self.written..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.buf.clear();
        self.written = 0;
        Ok(())
    }
}

impl<W: Write + Send + 'static> Sink for WriteSink<W> {
    fn append(&mut self, entry: &Entry<'_>) -> io::Result<()> {
        self.buf.extend_from_slice(entry.line);
        if self.buf.len() >= WRITE_SINK_BUFFER {
            self.write_out()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_out()?;
        self.writer.flush()
    }

    fn take_unwritten(&mut self) -> Vec<u8> {
        // The record the writer stopped in starts after the last newline it took.
        let start = self.buf[..self.written]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let unwritten = self.buf.split_off(start);
        self.buf.clear();
        self.written = 0;
        unwritten
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Level, LogType};

    /// Takes at most `room` bytes in all, then fails; counts its writes.
    struct Limited {
        taken: Vec<u8>,
        room: usize,
        writes: usize,
    }

    impl Write for Limited {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes += 1;
            let n = buf.len().min(self.room - self.taken.len());
            if n == 0 {
                return Err(io::Error::from_raw_os_error(28));
            }
            self.taken.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn sink(room: usize) -> WriteSink<Limited> {
        let writer = Limited {
            taken: Vec::new(),
            room,
            writes: 0,
        };
        WriteSink::new(writer, "limited")
    }

    fn append(sink: &mut WriteSink<Limited>, line: &[u8]) -> io::Result<()> {
        sink.append(&Entry {
            line,
            level: Level::Info,
            log_type: LogType::Application,
        })
    }

    #[test]
    fn a_batch_is_one_write() {
        let mut sink = sink(usize::MAX);
        for _ in 0..100 {
            append(&mut sink, b"{\"n\":1}\n").expect("append");
        }
        assert_eq!(sink.writer.writes, 0);
        sink.flush().expect("flush");
        assert_eq!(sink.writer.writes, 1);
        assert_eq!(sink.writer.taken.len(), 100 * 8);
        assert!(sink.take_unwritten().is_empty());
    }

    #[test]
    fn a_failed_write_hands_back_whole_records() {
        // Room for the first record and part of the second.
        let mut sink = sink(12);
        for line in [&b"{\"n\":1}\n"[..], b"{\"n\":2}\n", b"{\"n\":3}\n"] {
            append(&mut sink, line).expect("append");
        }
        assert!(sink.flush().is_err());
        assert_eq!(sink.take_unwritten(), b"{\"n\":2}\n{\"n\":3}\n");
        assert!(sink.take_unwritten().is_empty());
    }
}

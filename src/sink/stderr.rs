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

/// Writes records to any [`Write`] (a file, a socket, a test buffer).
pub struct WriteSink<W> {
    writer: W,
    name: String,
}

impl<W: Write + Send + 'static> WriteSink<W> {
    /// A sink over `writer`, described as `name` in runtime messages.
    pub fn new(writer: W, name: impl Into<String>) -> Self {
        WriteSink {
            writer,
            name: name.into(),
        }
    }
}

impl<W: Write + Send + 'static> Sink for WriteSink<W> {
    fn append(&mut self, entry: &Entry<'_>) -> io::Result<()> {
        self.writer.write_all(entry.line)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

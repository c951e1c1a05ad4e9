//! Writing to stdout and stderr without ever panicking.
//!
//! `println!` panics when stdout is closed (`logward config check | head -1`)
//! or full (`> /dev/full`), and `eprintln!` when stderr is full. Here a
//! reader that went away ends the command quietly with exit 0 (as `cat`
//! does), a stdout that cannot be written is exit 1 with the reason, and a
//! message that cannot reach stderr is dropped, since there is nowhere left
//! to say so.

use std::io::{self, Write};

/// The error of a stdout whose reader went away: not a failure, the command
/// ends quietly with exit 0.
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stdout was closed by its reader")
    }
}

impl std::error::Error for StdoutClosed {}

/// Writes `bytes` to stdout and flushes.
///
/// # Errors
///
/// [`StdoutClosed`] when the reader went away, else the write error.
pub fn stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to stdout")),
    }
}

/// Writes `text` and a newline to stderr; a stderr that cannot take it is
/// ignored.
pub fn stderr(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err
        .write_all(text.as_bytes())
        .and_then(|()| err.write_all(b"\n"));
}

//! The bearer token (`--token-file`): read from a file only its owner may
//! read (mode 0600 or 0400), compared in constant time, never printed.

use std::path::Path;

use anyhow::{Context, bail};

use crate::http::check_private;

/// The expected token.
pub struct Token(Vec<u8>);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

/// What a request's `Authorization` header is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    /// No `Authorization: Bearer …` header.
    Missing,
    /// The right token.
    Right,
    /// Another token.
    Wrong,
}

impl Token {
    /// Reads the token file: its first line, surrounding space removed.
    pub fn read(path: &Path) -> anyhow::Result<Token> {
        if let Err(why) = check_private(path, "a secret") {
            bail!("token file {}: {why}", path.display());
        }
        let text = std::fs::read(path)
            .with_context(|| format!("cannot read the token file {}", path.display()))?;
        let token: Vec<u8> = text
            .split(|&b| b == b'\n')
            .next()
            .unwrap_or_default()
            .trim_ascii()
            .to_vec();
        if token.is_empty() {
            bail!("token file {}: its first line is empty", path.display());
        }
        Ok(Token(token))
    }

    /// Judges the value of an `Authorization` header.
    pub fn check(&self, header: Option<&[u8]>) -> Presented {
        let Some(given) = header.and_then(|h| {
            let scheme = h.get(..7)?;
            scheme
                .eq_ignore_ascii_case(b"bearer ")
                .then(|| h[7..].trim_ascii())
        }) else {
            return Presented::Missing;
        };
        let same_len = given.len() == self.0.len();
        let diff = given
            .iter()
            .zip(self.0.iter().cycle())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if same_len && diff == 0 {
            Presented::Right
        } else {
            Presented::Wrong
        }
    }
}

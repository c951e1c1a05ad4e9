//! Request headers kept in a file, because they hold secrets (an API key,
//! a bearer token) that must not be on a command line or in a
//! configuration every service reads.
//!
//! ```text
//! # one header per line; blank lines and lines starting with # are ignored
//! Authorization: ExtraHop apikey=0123456789abcdef
//! ```
//!
//! The file must be a regular file that neither its group nor others may
//! read or write (mode 0600 or 0400); anything else is refused before it is
//! read. Errors name the file and the line, never a value, and the `Debug`
//! form of [`HeaderFile`] shows header names only.

use std::fmt;
use std::path::{Path, PathBuf};

use super::check_private;

/// Headers read from a protected file.
#[derive(Clone)]
pub struct HeaderFile {
    headers: Vec<(String, String)>,
}

/// Why a header file was refused.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    /// The file could not be opened or read.
    #[error("cannot read header file {}: {source}", path.display())]
    Read {
        /// The header file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Group or others may access the file, or it is not a regular file.
    #[error("header file {}: {why}", path.display())]
    Permissions {
        /// The header file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A line is not `Name: value`.
    #[error("header file {} line {line}: {why}", path.display())]
    Syntax {
        /// The header file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong (never the value).
        why: String,
    },
}

impl HeaderFile {
    /// Reads the headers of `path`, checking its mode first.
    pub fn read(path: &Path) -> Result<Self, HeaderError> {
        let read_err = |source| HeaderError::Read {
            path: path.to_path_buf(),
            source,
        };
        check_private(path, "secrets").map_err(|why| HeaderError::Permissions {
            path: path.to_path_buf(),
            why,
        })?;
        let text = std::fs::read(path).map_err(read_err)?;
        Self::parse(path, &text)
    }

    fn parse(path: &Path, text: &[u8]) -> Result<Self, HeaderError> {
        let syntax = |line: usize, why: &str| HeaderError::Syntax {
            path: path.to_path_buf(),
            line,
            why: why.to_string(),
        };
        let text = std::str::from_utf8(text).map_err(|e| {
            let line = 1 + text[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            syntax(line, "not valid UTF-8")
        })?;
        let mut headers = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(syntax(i + 1, "expected `Name: value`"));
            };
            let name = name.trim();
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(syntax(
                    i + 1,
                    "the header name must be letters, digits or !#$%&'*+-.^_`|~",
                ));
            }
            let value = value.trim();
            if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
                return Err(syntax(i + 1, "the value holds a control character"));
            }
            headers.push((name.to_string(), value.to_string()));
        }
        if headers.is_empty() {
            return Err(syntax(0, "no header found; write `Name: value` lines"));
        }
        Ok(HeaderFile { headers })
    }

    /// The headers, in file order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }
}

/// Names only: the values are secrets.
impl fmt::Debug for HeaderFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.headers.iter().map(|(name, _)| format!("{name}: ***")))
            .finish()
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use std::fs;

    fn file(dir: &Path, text: &str, mode: u32) -> PathBuf {
        let path = dir.join("headers");
        fs::write(&path, text).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }

    #[test]
    fn reads_headers_from_a_file_only_its_owner_can_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        for mode in [0o600, 0o400] {
            let path = file(
                dir.path(),
                "# key\n\nAuthorization: ExtraHop apikey=SECRET\r\nX-Extra:  two words \n",
                mode,
            );
            let headers = HeaderFile::read(&path).expect("valid");
            assert_eq!(
                headers.headers(),
                [
                    (
                        "Authorization".to_string(),
                        "ExtraHop apikey=SECRET".to_string()
                    ),
                    ("X-Extra".to_string(), "two words".to_string()),
                ]
            );
            assert!(!format!("{headers:?}").contains("SECRET"));
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        }
    }

    #[test]
    fn refuses_open_modes_and_bad_lines_without_showing_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        for mode in [0o640, 0o604, 0o666] {
            let path = file(dir.path(), "Authorization: SECRET\n", mode);
            let err = HeaderFile::read(&path).unwrap_err().to_string();
            assert!(err.contains("must be 0600 or 0400"), "{err}");
            assert!(err.contains(&format!("{mode:04o}")), "{err}");
        }
        for (text, why) in [
            ("Authorization SECRET\n", "line 1: expected `Name: value`"),
            ("ok: 1\nBad Name: SECRET\n", "line 2: the header name"),
            ("# only a comment\n", "no header found"),
        ] {
            let path = file(dir.path(), text, 0o600);
            let err = HeaderFile::read(&path).unwrap_err().to_string();
            assert!(err.contains(why), "{err}");
            assert!(!err.contains("SECRET"), "{err}");
        }
    }
}

//! The seal's cryptography and line format, shared by the writer and by
//! `logward verify`.
//!
//! A seal file is a text file of one entry per line:
//!
//! ```text
//! {"v":2,"chain":"…","seq":7,"gen":2,"boundary":null,"start":65536,"end":131072,"lines":412,"blake3":"…","digests":"…","prev":"…","time":1764590400000000} 3f9a…
//! ```
//!
//! The JSON *body* is followed by one space and the MAC, in hex:
//! HMAC-SHA256 (RFC 2104, built here on `sha2`) of the body's bytes under
//! the chain key of entry `seq`. Entry `seq`'s key is `key_seq`, where
//! `key_0 = HMAC-SHA256(verify key, "logward-seal-v1 " + chain)` and
//! `key_{n+1} = SHA-256("logward-seal-evolve-v1" + key_n)`: whoever holds the
//! key of entry `n` can compute later keys but no earlier one.
//!
//! - `start`/`end`: the byte range of the log file the entry covers;
//!   `lines`: how many lines it holds; `blake3`: the BLAKE3 hash of those
//!   bytes (format 2, written now; BLAKE3 hashes a batch several times
//!   faster than SHA-256 here). Format 1 entries, written before, hold
//!   `sha256`, the SHA-256 of the bytes, instead, and still verify.
//! - `digests`: one 8-hex-digit [`line_digest`] per line, in order (XXH3
//!   in format 2, a multiply-rotate fold in format 1). They are only there
//!   to say *which* line changed; the batch hash and the MAC are what
//!   proves that something did.
//! - `prev`: the entry hash (SHA-256 of the whole entry line, without its
//!   newline) of entry `seq - 1`, all zeros for the first entry. The chain
//!   runs across rotations, so deleting a file breaks it.
//! - `gen`: the log file's generation, one more for every new live file;
//!   `boundary` is set on the first entry of a generation: `"rotated:<name>"`
//!   names the file the previous generation was rotated to, `"replaced"`
//!   says the previous live file was deleted or replaced by someone else.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bytes of a key, a MAC or a SHA-256.
pub const KEY_LEN: usize = 32;

/// The hash of "no previous entry".
pub const NO_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The body of a seal entry (what the MAC covers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryBody {
    /// Format version: 2 (`blake3`), or 1 (`sha256`) for entries written
    /// before format 2.
    pub v: u32,
    /// The chain's id (hex), chosen at `logward seal init`.
    pub chain: String,
    /// The entry's number in the chain, from 0.
    pub seq: u64,
    /// The log file's generation within the chain, from 0.
    pub r#gen: u64,
    /// On a generation's first entry: how the previous one ended.
    pub boundary: Option<String>,
    /// First byte covered.
    pub start: u64,
    /// One past the last byte covered.
    pub end: u64,
    /// Lines covered.
    pub lines: u64,
    /// Format 1: SHA-256 of the covered bytes, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Format 2: BLAKE3 of the covered bytes, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
    /// Per-line digests ([`line_digest`]), 8 hex digits each.
    pub digests: String,
    /// Entry hash of the previous entry, hex.
    pub prev: String,
    /// When the entry was written, microseconds since the epoch.
    pub time: i64,
}

/// A parsed seal entry line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What the MAC covers.
    pub body: EntryBody,
    /// The body's bytes as found in the line.
    pub body_text: String,
    /// The MAC, hex.
    pub mac: String,
    /// SHA-256 of the whole line, hex: what the next entry's `prev` holds.
    pub hash: String,
}

impl Entry {
    /// Parses one seal line (without its newline).
    ///
    /// # Errors
    ///
    /// A message saying what is malformed.
    pub fn parse(line: &str) -> Result<Entry, String> {
        let (body_text, mac) = line
            .rsplit_once(' ')
            .ok_or_else(|| "not a seal entry: no MAC after the body".to_string())?;
        let body: EntryBody =
            serde_json::from_str(body_text).map_err(|e| format!("not a seal entry: {e}"))?;
        match (body.v, &body.sha256, &body.blake3) {
            (1, Some(_), None) | (2, None, Some(_)) => {}
            (1 | 2, _, _) => {
                return Err(format!(
                    "not a seal entry: format {} needs `{}` and only it",
                    body.v,
                    if body.v == 1 { "sha256" } else { "blake3" }
                ));
            }
            (v, _, _) => {
                return Err(format!(
                    "not a seal entry: format {v} is not known (1 and 2 are)"
                ));
            }
        }
        if mac.len() != 2 * KEY_LEN || !mac.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("not a seal entry: the MAC is not 64 hex digits".to_string());
        }
        Ok(Entry {
            body,
            body_text: body_text.to_string(),
            mac: mac.to_string(),
            hash: hex(&Sha256::digest(line.as_bytes())),
        })
    }

    /// Whether the MAC is right under `key` (the chain key of `body.seq`).
    pub fn mac_ok(&self, key: &[u8; KEY_LEN]) -> bool {
        hex(&hmac(key, self.body_text.as_bytes())) == self.mac
    }
}

/// The seal format written now.
pub const FORMAT: u32 = 2;

/// The current format's hash of a batch's bytes (BLAKE3), hex.
pub fn batch_hash(bytes: &[u8]) -> String {
    hex(blake3::hash(bytes).as_bytes())
}

impl EntryBody {
    /// Whether `bytes` are what the entry's batch hash covers (BLAKE3 in
    /// format 2, SHA-256 in format 1).
    pub fn covers(&self, bytes: &[u8]) -> bool {
        match (&self.blake3, &self.sha256) {
            (Some(hash), _) => batch_hash(bytes) == *hash,
            (None, Some(hash)) => hex(&Sha256::digest(bytes)) == *hash,
            (None, None) => false,
        }
    }
}

/// Renders an entry line (without newline) for `body` under `key`, and its
/// entry hash.
pub(crate) fn render(body: &EntryBody, key: &[u8; KEY_LEN]) -> (String, String) {
    let text = serde_json::to_string(body).unwrap_or_default();
    let line = format!("{text} {}", hex(&hmac(key, text.as_bytes())));
    let hash = hex(&Sha256::digest(line.as_bytes()));
    (line, hash)
}

/// HMAC-SHA256 of `message` under `key` (RFC 2104; a 32-byte key needs no
/// hashing first).
pub fn hmac(key: &[u8], message: &[u8]) -> [u8; KEY_LEN] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..KEY_LEN].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// The key of entry 0 of chain `chain` under the verification key.
pub fn first_key(verify_key: &[u8; KEY_LEN], chain: &str) -> [u8; KEY_LEN] {
    hmac(verify_key, format!("logward-seal-v1 {chain}").as_bytes())
}

/// The key after `key`: `SHA-256("logward-seal-evolve-v1" + key)`.
pub fn evolve(key: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    let mut hasher = Sha256::new();
    hasher.update(b"logward-seal-evolve-v1");
    hasher.update(key);
    hasher.finalize().into()
}

/// Overwrites `key` with zeros in a way the compiler keeps.
pub(crate) fn erase(key: &mut [u8; KEY_LEN]) {
    for byte in key.iter_mut() {
        // SAFETY: `byte` is a valid, aligned, exclusive reference.
        unsafe { std::ptr::write_volatile(byte, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// The per-line digest, in the seal format `v`, of a line without its
/// newline. A diagnostic only, not a cryptographic hash.
///
/// - Format 2: the upper 32 bits of the line's XXH3-64 (seed 0).
/// - Format 1: eight bytes at a time (little-endian, the last word
///   zero-padded), each folded in as `h = (h.rotate_left(5) ^ word) *
///   0x517c_c1b7_2722_0a95`, starting from the line's length; the upper
///   32 bits.
pub fn line_digest(v: u32, line: &[u8]) -> u32 {
    if v >= 2 {
        return (xxhash_rust::xxh3::xxh3_64(line) >> 32) as u32;
    }
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut hash = line.len() as u64;
    let mut chunks = line.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    (hash >> 32) as u32
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    text
}

/// Parses 64 hex digits into a key.
pub fn parse_key(text: &str) -> Option<[u8; KEY_LEN]> {
    let text = text.trim();
    if text.len() != 2 * KEY_LEN {
        return None;
    }
    let mut key = [0u8; KEY_LEN];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn an_entry_round_trips_and_its_mac_needs_the_key() {
        let key = [7u8; KEY_LEN];
        let body = EntryBody {
            v: 2,
            chain: "ab".into(),
            seq: 3,
            r#gen: 0,
            boundary: None,
            start: 0,
            end: 4,
            lines: 1,
            sha256: None,
            blake3: Some(batch_hash(b"abc\n")),
            digests: format!("{:08x}", line_digest(2, b"abc")),
            prev: NO_PREV.into(),
            time: 1,
        };
        let (line, hash) = render(&body, &key);
        let entry = Entry::parse(&line).unwrap();
        assert_eq!(entry.body, body);
        assert_eq!(entry.hash, hash);
        assert!(entry.mac_ok(&key));
        assert!(!entry.mac_ok(&evolve(&key)));
        assert_eq!(parse_key(&hex(&key)), Some(key));
    }

    #[test]
    fn format_1_entries_still_verify_and_a_format_holds_only_its_own_hash() {
        let key = [9u8; KEY_LEN];
        let sha = hex(&Sha256::digest(b"abc\n"));
        let body = |v, sha256: Option<String>, blake3: Option<String>| EntryBody {
            v,
            chain: "ab".into(),
            seq: 0,
            r#gen: 0,
            boundary: None,
            start: 0,
            end: 4,
            lines: 1,
            sha256,
            blake3,
            digests: format!("{:08x}", line_digest(v, b"abc")),
            prev: NO_PREV.into(),
            time: 1,
        };
        let old = Entry::parse(&render(&body(1, Some(sha.clone()), None), &key).0).unwrap();
        assert!(old.body.covers(b"abc\n"));
        assert!(!old.body.covers(b"abd\n"));
        assert!(
            render(&body(1, Some(sha.clone()), None), &key)
                .0
                .contains("\"sha256\"")
        );
        let new = body(2, None, Some(batch_hash(b"abc\n")));
        assert!(new.covers(b"abc\n") && !new.covers(b"abc"));
        for (v, sha256, blake3) in [
            (2, Some(sha.clone()), None),
            (1, None, Some(batch_hash(b"abc\n"))),
            (2, Some(sha), Some(batch_hash(b"abc\n"))),
        ] {
            let err = Entry::parse(&render(&body(v, sha256, blake3), &key).0).unwrap_err();
            assert!(err.contains(&format!("format {v} needs")), "{err}");
        }
        let err = Entry::parse(&render(&body(3, None, None), &key).0).unwrap_err();
        assert!(err.contains("format 3 is not known (1 and 2 are)"), "{err}");
    }
}

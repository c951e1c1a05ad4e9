//! Record ids: UUIDv4 from a userspace CSPRNG.
//!
//! `rand`'s thread-local generator (ChaCha, seeded from the OS) fills the
//! 16 random bytes, so no system call is made per record.

use rand::RngCore;

/// Length of a hyphenated UUID.
pub(crate) const UUID_LEN: usize = 36;

/// A fresh random (version 4) UUID.
pub fn new_uuid() -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// Appends a fresh UUIDv4, hyphenated and lower-case, unquoted.
pub(crate) fn push_uuid(out: &mut Vec<u8>) {
    let mut buf = [0u8; UUID_LEN];
    let text = new_uuid().hyphenated().encode_lower(&mut buf);
    out.extend_from_slice(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_4_and_distinct() {
        let a = new_uuid();
        let b = new_uuid();
        assert_eq!(a.get_version_num(), 4);
        assert_ne!(a, b);
        let mut out = Vec::new();
        push_uuid(&mut out);
        let text = String::from_utf8(out).expect("ascii");
        assert_eq!(
            uuid::Uuid::parse_str(&text).map(|u| u.get_version_num()),
            Ok(4)
        );
    }
}

//! Record ids: UUIDv4 from a userspace CSPRNG.
//!
//! `rand`'s thread-local generator (ChaCha, seeded from the OS) fills the
//! 16 random bytes, so no system call is made per record.

use rand::Rng;

/// Length of a hyphenated UUID.
pub(crate) const UUID_LEN: usize = 36;

/// A fresh random (version 4) UUID.
pub fn new_uuid() -> uuid::Uuid {
    let random: u128 = rand::rng().random();
    uuid::Builder::from_random_bytes(random.to_le_bytes()).into_uuid()
}

/// Writes a fresh UUIDv4, hyphenated and lower-case, into the first
/// [`UUID_LEN`] bytes of `text`.
#[inline]
pub(crate) fn write_uuid(text: &mut [u8]) {
    let value = new_uuid().as_u128();
    let high = hex_digits((value >> 64) as u64);
    let low = hex_digits(value as u64);
    text[0..8].copy_from_slice(&high[0..8]);
    text[8] = b'-';
    text[9..13].copy_from_slice(&high[8..12]);
    text[13] = b'-';
    text[14..18].copy_from_slice(&high[12..16]);
    text[18] = b'-';
    text[19..23].copy_from_slice(&low[0..4]);
    text[23] = b'-';
    text[24..36].copy_from_slice(&low[4..16]);
}

/// The 16 lower-case hex digits of `x`, most significant first, made for
/// all digits at once: each nibble is spread into a byte of its own, then
/// turned into its digit.
fn hex_digits(x: u64) -> [u8; 16] {
    const ONES: u128 = u128::from_ne_bytes([1; 16]);
    let mut n = u128::from(x);
    n = (n | n << 32) & 0x0000_0000_FFFF_FFFF_0000_0000_FFFF_FFFF;
    n = (n | n << 16) & 0x0000_FFFF_0000_FFFF_0000_FFFF_0000_FFFF;
    n = (n | n << 8) & 0x00FF_00FF_00FF_00FF_00FF_00FF_00FF_00FF;
    n = (n | n << 4) & (ONES * 0x0F);
    // 1 in each byte holding 10 or more, which becomes a letter.
    let letters = ((n + ONES * 6) >> 4) & ONES;
    (n + ONES * u128::from(b'0') + letters * u128::from(b'a' - b'0' - 10)).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits_are_every_nibble_in_order() {
        assert_eq!(&hex_digits(0x0123_4567_89ab_cdef), b"0123456789abcdef");
        assert_eq!(&hex_digits(u64::MAX), b"ffffffffffffffff");
        assert_eq!(&hex_digits(0xa09f_0000_0000_0001), b"a09f000000000001");
    }

    #[test]
    fn ids_are_version_4_and_distinct() {
        let a = new_uuid();
        let b = new_uuid();
        assert_eq!(a.get_version_num(), 4);
        assert_ne!(a, b);
        let mut out = [0; UUID_LEN];
        write_uuid(&mut out);
        let text = String::from_utf8(out.to_vec()).expect("ascii");
        let parsed = uuid::Uuid::parse_str(&text).expect("a UUID");
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.hyphenated().to_string(), text);
    }
}

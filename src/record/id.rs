//! Record ids: UUIDv4 from a userspace CSPRNG.
//!
//! Each thread has its own ChaCha12 generator (`rand`'s `StdRng`), seeded
//! from the OS, so no system call is made per record. A forked child
//! inherits its parent's generators, state and all, and would give the
//! ids its parent gives next (which `logward receive` would then take for
//! records it already has): a fork handler counts forks, and a generator
//! seeded before the latest fork is seeded again before its next id.

use std::cell::RefCell;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

/// Length of a hyphenated UUID.
pub(crate) const UUID_LEN: usize = 36;

/// Forks of this process seen by [`forked`] (in the child).
static FORKS: AtomicU64 = AtomicU64::new(0);

/// Runs in a child right after `fork`: only an atomic add, which is
/// async-signal-safe.
extern "C" fn forked() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// Registers [`forked`] once per process.
fn watch_forks() {
    static WATCH: Once = Once::new();
    WATCH.call_once(|| {
        // SAFETY: `forked` is a plain `extern "C"` function that stays
        // valid for the life of the process and only touches an atomic.
        unsafe {
            libc::pthread_atfork(None, None, Some(forked));
        }
    });
}

/// A thread's generator and the fork count it was seeded under.
struct Ids {
    forks: u64,
    rng: StdRng,
}

thread_local! {
    static IDS: RefCell<Option<Ids>> = const { RefCell::new(None) };
}

/// 128 random bits, from this thread's generator (seeded again after a
/// fork), or straight from the OS while the thread's locals are torn down.
fn random_bits() -> (u64, u64) {
    let from_thread = IDS.try_with(|cell| {
        let mut ids = cell.borrow_mut();
        let forks = FORKS.load(Ordering::Relaxed);
        let ids = match &mut *ids {
            Some(ids) if ids.forks == forks => ids,
            stale => {
                watch_forks();
                stale.insert(Ids {
                    forks: FORKS.load(Ordering::Relaxed),
                    rng: StdRng::from_os_rng(),
                })
            }
        };
        (ids.rng.next_u64(), ids.rng.next_u64())
    });
    from_thread.unwrap_or_else(|_| rand::random())
}

/// The version 4 UUID of 128 random bits, as its two big-endian halves:
/// version 4 in the high half, the RFC 4122 variant in the low one.
fn v4((high, low): (u64, u64)) -> (u64, u64) {
    (
        (high & !0xF000) | 0x4000,
        (low & !(0b11 << 62)) | (0b10 << 62),
    )
}

/// A fresh random (version 4) UUID.
pub fn new_uuid() -> uuid::Uuid {
    let (high, low) = v4(random_bits());
    uuid::Uuid::from_u64_pair(high, low)
}

/// Writes a fresh UUIDv4, hyphenated and lower-case, into the first
/// [`UUID_LEN`] bytes of `text`.
#[inline]
pub(crate) fn write_uuid(text: &mut [u8]) {
    let (high, low) = v4(random_bits());
    let [high, low] = hex_digits_of_both(high, low);
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
/// turned into its digit. On x86-64 the SSE2 form below is used, and this
/// one is what the tests check it against.
#[cfg(any(test, not(target_arch = "x86_64")))]
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

/// The hex digits of `high` and of `low` ([`hex_digits`] of each), made
/// with SSE2 (part of every x86-64 CPU): the 32 nibbles spread into bytes
/// of their own by two unpacks, turned into digits by a compare and adds.
#[cfg(target_arch = "x86_64")]
fn hex_digits_of_both(high: u64, low: u64) -> [[u8; 16]; 2] {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_and_si128, _mm_cmpgt_epi8, _mm_set_epi64x, _mm_set1_epi8,
        _mm_srli_epi16, _mm_storeu_si128, _mm_unpackhi_epi8, _mm_unpacklo_epi8,
    };
    let mut out = [[0u8; 16]; 2];
    // SAFETY: SSE2 is part of the x86-64 baseline, so these intrinsics
    // are always available; the stores write 16 bytes into arrays of 16.
    unsafe {
        // Memory order: `high`'s bytes most significant first, then `low`'s.
        let bytes = _mm_set_epi64x(low.swap_bytes() as i64, high.swap_bytes() as i64);
        let nibble = _mm_set1_epi8(0x0F);
        let upper = _mm_and_si128(_mm_srli_epi16::<4>(bytes), nibble);
        let lower = _mm_and_si128(bytes, nibble);
        let digits = |n: __m128i| {
            let letters = _mm_and_si128(
                _mm_cmpgt_epi8(n, _mm_set1_epi8(9)),
                _mm_set1_epi8((b'a' - b'0' - 10) as i8),
            );
            _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8(b'0' as i8)), letters)
        };
        _mm_storeu_si128(
            out[0].as_mut_ptr().cast(),
            digits(_mm_unpacklo_epi8(upper, lower)),
        );
        _mm_storeu_si128(
            out[1].as_mut_ptr().cast(),
            digits(_mm_unpackhi_epi8(upper, lower)),
        );
    }
    out
}

/// The hex digits of `high` and of `low`.
#[cfg(not(target_arch = "x86_64"))]
fn hex_digits_of_both(high: u64, low: u64) -> [[u8; 16]; 2] {
    [hex_digits(high), hex_digits(low)]
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
    fn both_halves_digits_are_each_halfs_digits() {
        let mut x = 0x9E37_79B9_7F4A_7C15_u64;
        let mut values = vec![
            (0, 0),
            (u64::MAX, 0),
            (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210),
        ];
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push((x, x.rotate_left(29) ^ 0x5555_aaaa_0f0f_f0f0));
        }
        for (high, low) in values {
            assert_eq!(
                hex_digits_of_both(high, low),
                [hex_digits(high), hex_digits(low)]
            );
        }
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
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(parsed.hyphenated().to_string(), text);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
    }

    #[test]
    fn the_version_and_variant_bits_are_set_and_the_others_kept() {
        let (high, low) = v4((u64::MAX, 0));
        assert_eq!(high, 0xFFFF_FFFF_FFFF_4FFF);
        assert_eq!(low, 0x8000_0000_0000_0000);
        let (high, low) = v4((0, u64::MAX));
        assert_eq!(high, 0x0000_0000_0000_4000);
        assert_eq!(low, 0xBFFF_FFFF_FFFF_FFFF);
    }

    /// The id a forked child writes first, read back through a pipe.
    fn first_id_of_a_child() -> [u8; UUID_LEN] {
        let mut pipe = [0; 2];
        // SAFETY: plain system calls; the child only writes one id (no
        // lock is taken: its generator is a thread-local, seeded with a
        // `getrandom` call) and leaves with `_exit`.
        unsafe {
            assert_eq!(libc::pipe(pipe.as_mut_ptr()), 0);
            let pid = libc::fork();
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                let mut id = [0; UUID_LEN];
                write_uuid(&mut id);
                libc::write(pipe[1], id.as_ptr().cast(), UUID_LEN);
                libc::_exit(0);
            }
            libc::close(pipe[1]);
            let mut id = [0; UUID_LEN];
            let read = libc::read(pipe[0], id.as_mut_ptr().cast(), UUID_LEN);
            libc::close(pipe[0]);
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
            assert_eq!(read, UUID_LEN as isize, "the child wrote its id");
            id
        }
    }

    #[test]
    fn a_forked_child_does_not_give_the_ids_its_parent_gives_next() {
        let mut before = [0; UUID_LEN];
        write_uuid(&mut before);
        let child = first_id_of_a_child();
        let mut parent = [0; UUID_LEN];
        write_uuid(&mut parent);
        assert_ne!(child, parent, "the child's generator was seeded again");
        assert_ne!(child, before);
    }
}

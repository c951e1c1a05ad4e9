//! One pass over a line before its head is read by position.
//!
//! The pass looks at 32 bytes at a time with AVX2 where the processor has
//! it (asked at run time, the answer kept), else 16 at a time with SSE2
//! on x86-64 (which every x86-64 processor has), a plain loop elsewhere.
//! The end of a line is looked at as the line's last 64 bytes, not copied
//! into a padded block. It finds what the
//! positional reader needs to know of the whole line at once: whether it
//! holds a control byte (below 0x20), a byte that is not ASCII, or a
//! backslash, and where its quotes are, as a bitmap. In a line without a
//! backslash every quote opens or closes a string, so the validator finds
//! the end of a string with one look at the bitmap instead of a search.

/// Lines up to this many bytes get a quote bitmap; longer ones (rare
/// among records) are read with searches instead.
pub(crate) const MAX_MAPPED: usize = 1024;
const WORDS: usize = MAX_MAPPED / 64;

/// What the pass found in one line.
pub(crate) struct Scan {
    /// A byte below 0x20 (a raw tab, CR, LF, NUL, …).
    pub(crate) control: bool,
    /// A byte of 0x80 or more: the line must be checked as UTF-8.
    pub(crate) high: bool,
    /// A backslash: some string holds an escape.
    pub(crate) backslash: bool,
    /// Bit `i % 64` of word `i / 64` is set when byte `i` is a quote, for
    /// the first [`MAX_MAPPED`] bytes of the line.
    quotes: [u64; WORDS],
    /// Whether `quotes` covers the line.
    mapped: bool,
}

impl Scan {
    /// Scans `line` in one pass.
    pub(crate) fn of(line: &[u8]) -> Scan {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2, as just asked.
                return unsafe { avx2::scan(line) };
            }
            Scan::with::<sse2::Lanes>(line)
        }
        #[cfg(not(target_arch = "x86_64"))]
        return Scan::with::<plain::Lanes>(line);
    }

    /// Scans `line` 64 bytes at a time with `L`. The last bytes of a line
    /// of 64 or more are looked at as the last 64 bytes of the line (some
    /// seen twice, which changes nothing, their quotes shifted out); a
    /// shorter line is looked at padded with spaces, none of the bytes
    /// looked for.
    #[inline(always)]
    fn with<L: Lanes>(line: &[u8]) -> Scan {
        let mut lanes = L::default();
        let mut quotes = [0; WORDS];
        let mut chunks = line.chunks_exact(64);
        let blocks = chunks
            .by_ref()
            .filter_map(|c| <&[u8; 64]>::try_from(c).ok());
        for (i, block) in blocks.enumerate() {
            let word = lanes.add(block);
            if let Some(slot) = quotes.get_mut(i) {
                *slot = word;
            }
        }
        let tail = chunks.remainder().len();
        if tail > 0 {
            let word = match line.last_chunk::<64>() {
                Some(last) => lanes.add(last) >> (64 - tail),
                None => {
                    let mut block = [b' '; 64];
                    block[..tail].copy_from_slice(line);
                    lanes.add(&block)
                }
            };
            if let Some(last) = quotes.get_mut(line.len() / 64) {
                *last = word;
            }
        }
        let (control, high, backslash) = lanes.found();
        Scan {
            control,
            high,
            backslash,
            quotes,
            mapped: line.len() <= MAX_MAPPED,
        }
    }

    /// Whether the bitmap covers the line and every quote in it opens or
    /// closes a string: no backslash.
    pub(crate) fn quotes_are_strings(&self) -> bool {
        self.mapped && !self.backslash
    }

    /// The position of the first quote at or after `from`, in a line the
    /// bitmap covers.
    pub(crate) fn next_quote(&self, from: usize) -> Option<usize> {
        let mut word = from / 64;
        let mut bits = self.quotes.get(word)? & (u64::MAX << (from % 64));
        while bits == 0 {
            word += 1;
            bits = *self.quotes.get(word)?;
        }
        Some(word * 64 + bits.trailing_zeros() as usize)
    }
}

/// A pass over blocks of 64 bytes.
trait Lanes: Default {
    /// Notes what `block` holds; its quotes as a bitmap (bit `i` for byte
    /// `i`).
    fn add(&mut self, block: &[u8; 64]) -> u64;
    /// Whether any block held a control byte, a byte of 0x80 or more, a
    /// backslash.
    fn found(&self) -> (bool, bool, bool);
}

/// Lanes of one vector width, over all blocks so far, lane by lane:
/// whether a control byte, a backslash was seen (all ones), and every byte
/// ORed together (its top bit: a byte of 0x80 or more). `$width` bytes in
/// a `$vector`, with the intrinsics of that width.
#[cfg(target_arch = "x86_64")]
macro_rules! vector_lanes {
    ($width:literal, $vector:ident, $mask:ty, $zero:ident, $set1:ident, $min:ident, $eq:ident, $or:ident, $movemask:ident) => {
        pub(super) struct Lanes {
            control: $vector,
            all: $vector,
            backslash: $vector,
        }

        // SAFETY (every `unsafe` below): these lanes are made and used only
        // where the processor has the instructions of their width (SSE2:
        // every x86-64 processor; AVX2: inside `avx2::scan`), and each part
        // read is `$width` readable bytes (a vector is plain data; the read
        // needs no alignment).
        impl Default for Lanes {
            #[inline(always)]
            fn default() -> Self {
                let zero = unsafe { $zero() };
                Lanes {
                    control: zero,
                    all: zero,
                    backslash: zero,
                }
            }
        }

        impl super::Lanes for Lanes {
            #[inline(always)]
            fn add(&mut self, block: &[u8; 64]) -> u64 {
                let mut quotes = 0;
                for (i, part) in block.chunks_exact($width).enumerate() {
                    let part = unsafe {
                        let v: $vector = std::ptr::read_unaligned(part.as_ptr().cast());
                        // Below 0x20: the unsigned minimum with 0x1f is the byte.
                        let control = $eq($min(v, $set1(0x1f)), v);
                        self.control = $or(self.control, control);
                        self.all = $or(self.all, v);
                        let backslash = $eq(v, $set1(b'\\' as i8));
                        self.backslash = $or(self.backslash, backslash);
                        $movemask($eq(v, $set1(b'"' as i8))) as $mask
                    };
                    quotes |= u64::from(part) << ($width * i);
                }
                quotes
            }

            #[inline(always)]
            fn found(&self) -> (bool, bool, bool) {
                let (control, high, backslash) = unsafe {
                    (
                        $movemask(self.control),
                        $movemask(self.all),
                        $movemask(self.backslash),
                    )
                };
                (control != 0, high != 0, backslash != 0)
            }
        }
    };
}

/// 16 bytes at a time, with SSE2.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        _mm_setzero_si128,
    };

    vector_lanes!(
        16,
        __m128i,
        u16,
        _mm_setzero_si128,
        _mm_set1_epi8,
        _mm_min_epu8,
        _mm_cmpeq_epi8,
        _mm_or_si128,
        _mm_movemask_epi8
    );
}

/// 32 bytes at a time, on processors with AVX2.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_min_epu8, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8, _mm256_setzero_si256,
    };

    use super::Scan;

    /// [`Scan::of`] compiled for AVX2.
    ///
    /// # Safety
    ///
    /// The processor must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn scan(line: &[u8]) -> Scan {
        Scan::with::<Lanes>(line)
    }

    vector_lanes!(
        32,
        __m256i,
        u32,
        _mm256_setzero_si256,
        _mm256_set1_epi8,
        _mm256_min_epu8,
        _mm256_cmpeq_epi8,
        _mm256_or_si256,
        _mm256_movemask_epi8
    );
}

/// The same, one byte at a time (where there is no SSE2, and to check it).
#[cfg_attr(target_arch = "x86_64", cfg(test))]
mod plain {
    #[derive(Default)]
    pub(super) struct Lanes {
        control: bool,
        high: bool,
        backslash: bool,
    }

    impl super::Lanes for Lanes {
        fn add(&mut self, block: &[u8; 64]) -> u64 {
            let mut quotes = 0;
            for (i, &b) in block.iter().enumerate() {
                quotes |= u64::from(b == b'"') << i;
                self.control |= b < 0x20;
                self.high |= b >= 0x80;
                self.backslash |= b == b'\\';
            }
            quotes
        }

        fn found(&self) -> (bool, bool, bool) {
            (self.control, self.high, self.backslash)
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quotes_are_found_across_words_and_past_the_map() {
        let mut line = vec![b'a'; 300];
        for at in [0, 15, 16, 63, 64, 200, 299] {
            line[at] = b'"';
        }
        let scan = Scan::of(&line);
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(at) = scan.next_quote(from) {
            found.push(at);
            from = at + 1;
        }
        assert_eq!(found, [0, 15, 16, 63, 64, 200, 299]);
        assert_eq!(scan.next_quote(300), None);
        assert!(!scan.control && !scan.high && !scan.backslash);
        assert!(scan.quotes_are_strings());
        let mut far = vec![b'a'; 3000];
        far[2999] = b'\t';
        assert!(Scan::of(&far).control, "a control byte past the bitmap");
        let long = vec![b'"'; MAX_MAPPED + 1];
        assert!(!Scan::of(&long).quotes_are_strings());
        let full = Scan::of(&long[..MAX_MAPPED]);
        assert!(full.quotes_are_strings());
        assert_eq!(full.next_quote(MAX_MAPPED - 1), Some(MAX_MAPPED - 1));
        line[100] = b'\\';
        assert!(!Scan::of(&line).quotes_are_strings());
    }

    #[test]
    fn control_high_and_backslash_bytes_are_seen_in_the_tail() {
        for (byte, control, high, backslash) in [
            (b'\t', true, false, false),
            (0u8, true, false, false),
            (0x1f, true, false, false),
            (0x80, false, true, false),
            (0xff, false, true, false),
            (b'\\', false, false, true),
            (0x20, false, false, false),
            (0x7f, false, false, false),
        ] {
            let mut line = vec![b'x'; 21];
            line[20] = byte;
            let scan = Scan::of(&line);
            assert_eq!(
                (scan.control, scan.high, scan.backslash),
                (control, high, backslash),
                "{byte:#x}"
            );
        }
    }

    /// Bytes mostly of the kinds looked for, so that lines mix them.
    fn byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            Just(b'"'),
            Just(b'\\'),
            Just(b'a'),
            Just(0x1f),
            Just(0x20),
            Just(0x80),
            Just(0xff),
            any::<u8>()
        ]
    }

    /// What a scan of `line` must find, worked out byte by byte.
    fn expected(line: &[u8]) -> (bool, bool, bool, [u64; WORDS], bool) {
        let mut quotes = [0; WORDS];
        for (i, _) in line.iter().enumerate().filter(|&(_, &b)| b == b'"') {
            if let Some(word) = quotes.get_mut(i / 64) {
                *word |= 1 << (i % 64);
            }
        }
        (
            line.iter().any(|&b| b < 0x20),
            line.iter().any(|&b| b >= 0x80),
            line.contains(&b'\\'),
            quotes,
            line.len() <= MAX_MAPPED,
        )
    }

    fn found(scan: Scan) -> (bool, bool, bool, [u64; WORDS], bool) {
        (
            scan.control,
            scan.high,
            scan.backslash,
            scan.quotes,
            scan.mapped,
        )
    }

    proptest! {
        /// Every pass (the portable one, SSE2, AVX2 where the processor
        /// has it) finds what a look at each byte does, whatever the
        /// line's length: the tail past the last 64-byte block included.
        #[test]
        fn every_pass_finds_what_each_byte_holds(line in proptest::collection::vec(byte(), 0..1200)) {
            let want = expected(&line);
            prop_assert_eq!(found(Scan::with::<plain::Lanes>(&line)), want);
            prop_assert_eq!(found(Scan::of(&line)), want);
            #[cfg(target_arch = "x86_64")]
            {
                prop_assert_eq!(found(Scan::with::<sse2::Lanes>(&line)), want);
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the processor has AVX2, as just asked.
                    prop_assert_eq!(found(unsafe { avx2::scan(&line) }), want);
                }
            }
        }
    }
}

//! The `,"key":` text of each field of an event callsite, made once per
//! thread.
//!
//! Field names are static, so escaping them (and renaming a reserved one)
//! for every record would repeat the same work. A small direct-mapped cache
//! in the thread's scratch keeps the rendered keys of recent callsites. A
//! slot taken over by another callsite is rendered again into the same
//! buffers, so once warm the cache does not allocate.

use tracing::Metadata;

use super::fields;
use crate::level::CRITICAL_FIELD;

/// Slots in the cache (a power of two).
const SLOTS: usize = 64;

/// Where one field's key is within [`CallsiteKeys::bytes`].
#[derive(Debug, Clone, Copy)]
struct Key {
    start: u32,
    end: u32,
    /// The key's own text within the segment: offset and length.
    text: (u32, u32),
}

/// The rendered keys of one event callsite's fields, by field index.
#[derive(Debug, Default)]
pub(super) struct CallsiteKeys {
    /// Address of the callsite's metadata; 0 while the slot is empty.
    callsite: usize,
    /// `,"key":` segments back to back.
    bytes: Vec<u8>,
    /// Per field index; an empty segment for a field that is never
    /// rendered (the critical marker).
    keys: Vec<Key>,
}

impl CallsiteKeys {
    /// The `,"key":` segment of field `index` and the position of the key
    /// text in it; `None` for an index the callsite does not have.
    pub(super) fn get(&self, index: usize) -> Option<(&[u8], (u32, u32))> {
        let key = self.keys.get(index)?;
        let segment = &self.bytes[key.start as usize..key.end as usize];
        Some((segment, key.text))
    }

    fn fill(&mut self, meta: &'static Metadata<'static>) {
        self.callsite = address(meta);
        self.bytes.clear();
        self.keys.clear();
        for field in meta.fields() {
            let start = self.bytes.len() as u32;
            let mut text = (0, 0);
            if field.name() != CRITICAL_FIELD {
                let (ks, ke) = fields::push_key(&mut self.bytes, field.name());
                text = (ks - start, ke - ks);
            }
            let end = self.bytes.len() as u32;
            self.keys.push(Key { start, end, text });
        }
    }
}

/// Rendered keys for recently seen event callsites.
#[derive(Debug, Default)]
pub(super) struct KeyCache {
    slots: Vec<CallsiteKeys>,
}

impl KeyCache {
    /// The keys of the callsite with this metadata, rendered on a miss.
    pub(super) fn get(&mut self, meta: &'static Metadata<'static>) -> &CallsiteKeys {
        if self.slots.is_empty() {
            self.slots.resize_with(SLOTS, CallsiteKeys::default);
        }
        let callsite = address(meta);
        // Fibonacci hashing: the top bits of the product pick the slot.
        let slot = callsite.wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as usize)
            >> (usize::BITS - SLOTS.trailing_zeros());
        let keys = &mut self.slots[slot];
        if keys.callsite != callsite {
            keys.fill(meta);
        }
        keys
    }
}

fn address(meta: &'static Metadata<'static>) -> usize {
    std::ptr::from_ref(meta) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_core::callsite::Callsite;
    use tracing_core::{Interest, Kind, Level};

    struct Site;

    static META: Metadata<'static> = tracing_core::metadata! {
        name: "test",
        target: "test",
        level: Level::INFO,
        fields: &["plain", "quo\"te", "level", CRITICAL_FIELD],
        callsite: &Site,
        kind: Kind::EVENT,
    };

    impl Callsite for Site {
        fn set_interest(&self, _: Interest) {}
        fn metadata(&self) -> &Metadata<'_> {
            &META
        }
    }

    /// The segment and key text of field `i`.
    fn text(keys: &CallsiteKeys, i: usize) -> (String, String) {
        let (segment, (offset, len)) = keys.get(i).expect("field exists");
        let key = &segment[offset as usize..(offset + len) as usize];
        (
            String::from_utf8_lossy(segment).into_owned(),
            String::from_utf8_lossy(key).into_owned(),
        )
    }

    #[test]
    fn keys_are_escaped_renamed_and_the_marker_left_out() {
        let mut cache = KeyCache::default();
        let keys = cache.get(&META);
        assert_eq!(text(keys, 0), (",\"plain\":".into(), "plain".into()));
        assert_eq!(
            text(keys, 1),
            (",\"quo\\\"te\":".into(), "quo\\\"te".into())
        );
        assert_eq!(
            text(keys, 2),
            (",\"fields.level\":".into(), "fields.level".into())
        );
        assert_eq!(text(keys, 3), (String::new(), String::new()));
        assert!(keys.get(4).is_none());
    }
}

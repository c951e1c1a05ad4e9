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

/// What the visitor does with one field of an event callsite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// An ordinary field: its segment, then its value.
    Field,
    /// `message`: a text value becomes the record's message; any other
    /// value is an ordinary field.
    Message,
    /// The critical marker, never rendered.
    Skip,
    /// `backtrace`: an event's goes into `stacktrace`, after the error
    /// chain; a span's is an ordinary field.
    Backtrace,
}

impl Role {
    /// The role of a field called `name`.
    pub(super) fn of(name: &str) -> Role {
        match name {
            CRITICAL_FIELD => Role::Skip,
            "message" => Role::Message,
            "backtrace" => Role::Backtrace,
            _ => Role::Field,
        }
    }
}

/// One field of an event callsite, ready to render.
#[derive(Debug, Clone, Copy)]
pub(super) struct Key<'a> {
    /// `,"key":`; empty for [`Role::Skip`].
    pub(super) segment: &'a [u8],
    /// The segment and what follows it in the callsite's buffer, at least
    /// [`fields::COPY_AT_ONCE`] bytes more: a short segment is copied
    /// with one fixed-size copy.
    pub(super) padded: &'a [u8],
    /// The key's own text within the segment: offset and length.
    pub(super) text: (u32, u32),
    /// The key's bit in [`fields::Fields::bloom`].
    pub(super) bit: u64,
    pub(super) role: Role,
}

/// Where one field's key is within [`CallsiteKeys::bytes`], and its role.
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: u32,
    end: u32,
    text: (u32, u32),
    bit: u64,
    role: Role,
}

/// The rendered keys of one event callsite's fields, by field index.
#[derive(Debug, Default)]
pub(super) struct CallsiteKeys {
    /// Address of the callsite's metadata; 0 while the slot is empty.
    callsite: usize,
    /// `,"key":` segments back to back, then [`fields::COPY_AT_ONCE`]
    /// bytes of padding.
    bytes: Vec<u8>,
    /// Per field index.
    keys: Vec<Slot>,
}

impl CallsiteKeys {
    /// Field `index` of the callsite; `None` for an index it does not have.
    #[inline]
    pub(super) fn get(&self, index: usize) -> Option<Key<'_>> {
        let slot = self.keys.get(index)?;
        Some(Key {
            segment: &self.bytes[slot.start as usize..slot.end as usize],
            padded: &self.bytes[slot.start as usize..],
            text: slot.text,
            bit: slot.bit,
            role: slot.role,
        })
    }

    fn fill(&mut self, meta: &'static Metadata<'static>) {
        self.callsite = address(meta);
        self.bytes.clear();
        self.keys.clear();
        for field in meta.fields() {
            let start = self.bytes.len() as u32;
            let (mut text, mut bit) = ((0, 0), 0);
            let role = Role::of(field.name());
            if role != Role::Skip {
                let (ks, ke) = fields::push_key(&mut self.bytes, field.name());
                text = (ks - start, ke - ks);
                bit = fields::key_bit(&self.bytes[ks as usize..ke as usize]);
            }
            let end = self.bytes.len() as u32;
            self.keys.push(Slot {
                start,
                end,
                text,
                bit,
                role,
            });
        }
        self.bytes.extend_from_slice(&[0; fields::COPY_AT_ONCE]);
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
        fields: &["plain", "quo\"te", "level", CRITICAL_FIELD, "message"],
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
        let key = keys.get(i).expect("field exists");
        let (segment, (offset, len)) = (key.segment, key.text);
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
        assert!(keys.get(5).is_none());
    }

    #[test]
    fn each_field_has_its_role_and_the_bit_of_its_key() {
        let mut cache = KeyCache::default();
        let keys = cache.get(&META);
        let roles: Vec<Role> = (0..5).filter_map(|i| keys.get(i)).map(|k| k.role).collect();
        assert_eq!(
            roles,
            [
                Role::Field,
                Role::Field,
                Role::Field,
                Role::Skip,
                Role::Message
            ]
        );
        let level = keys.get(2).expect("field exists");
        assert_eq!(level.bit, fields::key_bit(b"fields.level"));
    }
}

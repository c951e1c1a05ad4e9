//! Recorded fields: `,"key":value` segments kept in one buffer.
//!
//! Both span fields (stored in the span's extensions) and an event's fields
//! (in a reused thread-local scratch) are held this way, so a record is
//! assembled by copying bytes, and keys can be compared for precedence.

use std::fmt;

use tracing::field::{Field, Visit};

use super::keys::{CallsiteKeys, Role};
use crate::event::rendered;
use crate::record::{RENAMED_PREFIX, is_reserved, json};

/// Bytes a short key segment is copied with at once.
pub(crate) const COPY_AT_ONCE: usize = 32;

/// Appends the first `len` bytes of `padded`. When `len` is at most
/// [`COPY_AT_ONCE`] and `padded` has that many bytes, it copies that many
/// (a copy of fixed size, which compiles to two vector moves where a copy
/// of any other length is a call to `memcpy`) and cuts the rest off.
#[inline]
fn extend_short(buf: &mut Vec<u8>, padded: &[u8], len: usize) {
    match padded.first_chunk::<COPY_AT_ONCE>() {
        Some(block) if len <= COPY_AT_ONCE => {
            let at = buf.len();
            buf.extend_from_slice(block);
            buf.truncate(at + len);
        }
        _ => buf.extend_from_slice(&padded[..len]),
    }
}

/// Appends `,"key":` for the field `name`, escaped, a reserved name kept
/// under [`RENAMED_PREFIX`]; returns where the key text starts and ends.
pub(super) fn push_key(buf: &mut Vec<u8>, name: &str) -> (u32, u32) {
    buf.extend_from_slice(b",\"");
    let ks = buf.len() as u32;
    if is_reserved(name) {
        buf.extend_from_slice(RENAMED_PREFIX.as_bytes());
    }
    json::push_escaped(buf, name);
    let ke = buf.len() as u32;
    buf.extend_from_slice(b"\":");
    (ks, ke)
}

/// A list of rendered fields with their keys' positions.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    /// Concatenated `,"key":value` segments.
    pub(crate) buf: Vec<u8>,
    /// Per field: (segment start, key start, key end) in `buf`; the segment
    /// ends where the next begins (or at `buf.len()`).
    pub(crate) index: Vec<(u32, u32, u32)>,
    /// A small bit set over key hashes, to skip most key comparisons.
    pub(crate) bloom: u64,
}

/// A cheap hash of an escaped key for the bloom set.
pub(crate) fn key_bit(key: &[u8]) -> u64 {
    let first = key.first().copied().unwrap_or(0);
    let last = key.last().copied().unwrap_or(0);
    bit_of(key.len(), first, last)
}

/// [`key_bit`] of a key of `len` bytes from its first and last byte.
pub(crate) const fn bit_of(len: usize, first: u8, last: u8) -> u64 {
    1u64 << ((len.wrapping_mul(7) ^ (first as usize).wrapping_mul(3) ^ last as usize) & 63)
}

impl Fields {
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.index.clear();
        self.bloom = 0;
    }

    /// Number of fields held.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// The escaped key of field `i`.
    pub(crate) fn key(&self, i: usize) -> &[u8] {
        let (_, ks, ke) = self.index[i];
        &self.buf[ks as usize..ke as usize]
    }

    /// The whole `,"key":value` segment of field `i`.
    pub(crate) fn segment(&self, i: usize) -> &[u8] {
        let start = self.index[i].0 as usize;
        let end = self
            .index
            .get(i + 1)
            .map_or(self.buf.len(), |next| next.0 as usize);
        &self.buf[start..end]
    }

    /// Whether a field with this escaped key is held.
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        if self.bloom & key_bit(key) == 0 {
            return false;
        }
        (0..self.len()).any(|i| self.key(i) == key)
    }

    /// Starts a field: writes `,"key":` and records its position.
    fn start(&mut self, name: &str) {
        let seg = self.buf.len() as u32;
        let (ks, ke) = push_key(&mut self.buf, name);
        self.bloom |= key_bit(&self.buf[ks as usize..ke as usize]);
        self.index.push((seg, ks, ke));
    }

    /// No fields, without allocating.
    pub(crate) const fn new() -> Self {
        Fields {
            buf: Vec::new(),
            index: Vec::new(),
            bloom: 0,
        }
    }

    /// Removes every field whose key equals `key` (a span re-recording a value).
    pub(crate) fn remove(&mut self, key: &[u8]) {
        while let Some(i) = (0..self.len()).find(|&i| self.key(i) == key) {
            let start = self.index[i].0 as usize;
            let seg_len = self.segment(i).len();
            self.buf.drain(start..start + seg_len);
            self.index.remove(i);
            for entry in &mut self.index[i..] {
                entry.0 -= seg_len as u32;
                entry.1 -= seg_len as u32;
                entry.2 -= seg_len as u32;
            }
        }
    }
}

/// Where the special fields of an event go while its fields are visited.
#[derive(Debug, Default)]
pub(crate) struct Specials {
    /// The `message` value, rendered as a JSON string; empty when absent.
    pub(crate) message: Vec<u8>,
    /// The error chains of the event's error fields, as plain text.
    pub(crate) stacktrace: String,
    /// The event's `backtrace` field, rendered as a JSON string; empty
    /// when absent.
    pub(crate) backtrace: Vec<u8>,
}

impl Specials {
    pub(crate) fn clear(&mut self) {
        self.message.clear();
        self.stacktrace.clear();
        self.backtrace.clear();
    }

    /// The `stacktrace` text: the error chains, then the backtrace.
    pub(crate) fn write_stacktrace(&self, out: &mut Vec<u8>) {
        if self.stacktrace.is_empty() && self.backtrace.is_empty() {
            return;
        }
        crate::record::push_key(out, "stacktrace");
        if self.backtrace.is_empty() {
            json::push_str(out, &self.stacktrace);
            return;
        }
        // One JSON string: the chain, then the backtrace's text without
        // its opening quote.
        let head = if self.stacktrace.is_empty() {
            "Stack backtrace:\n".to_string()
        } else {
            format!("{}\n\nStack backtrace:\n", self.stacktrace)
        };
        out.push(b'"');
        json::push_escaped(out, &head);
        out.extend_from_slice(&self.backtrace[1..]);
    }
}

/// Visits `tracing` fields into [`Fields`]; `message` and errors go to
/// [`Specials`] when given (events), or stay ordinary fields (spans).
pub(crate) struct Visitor<'a> {
    pub(crate) fields: &'a mut Fields,
    pub(crate) specials: Option<&'a mut Specials>,
    /// The event callsite's keys, already rendered (events only).
    pub(crate) keys: Option<&'a CallsiteKeys>,
}

impl Visitor<'_> {
    /// Where the value of `field` goes: after its key in the fields, or
    /// into the message or the backtrace (a `text` value of `message` or
    /// `backtrace`, when the visitor has [`Specials`]); `None` for the
    /// critical marker, which is never rendered. A span's `message` is
    /// kept under `fields.message`.
    #[inline(always)]
    fn slot(&mut self, field: &Field, text: bool) -> Option<&mut Vec<u8>> {
        let key = self.keys.and_then(|k| k.get(field.index()));
        let role = key.map_or_else(|| Role::of(field.name()), |k| k.role);
        if role == Role::Skip {
            return None;
        }
        if matches!(role, Role::Message | Role::Backtrace) && text && self.specials.is_some() {
            let specials = self.specials.as_deref_mut()?;
            let out = if role == Role::Message {
                &mut specials.message
            } else {
                &mut specials.backtrace
            };
            out.clear();
            return Some(out);
        }
        match key {
            Some(key) => {
                self.fields.push_padded_key_segment(
                    key.padded,
                    key.segment.len(),
                    key.text,
                    key.bit,
                );
            }
            None if role == Role::Message && self.specials.is_none() => {
                self.fields.start("fields.message");
            }
            None => self.fields.start(field.name()),
        }
        Some(&mut self.fields.buf)
    }
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if let Some(out) = self.slot(field, true) {
            json::push_str(out, value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if let Some(out) = self.slot(field, false) {
            let text: &[u8] = if value { b"true" } else { b"false" };
            out.extend_from_slice(text);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Some(out) = self.slot(field, false) {
            json::push_int(out, value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if let Some(out) = self.slot(field, false) {
            json::push_int(out, value);
        }
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        if let Some(out) = self.slot(field, false) {
            json::push_int(out, value);
        }
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        if let Some(out) = self.slot(field, false) {
            json::push_int(out, value);
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if let Some(out) = self.slot(field, false) {
            json::push_f64(out, value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if let Some(specials) = self.specials.as_deref_mut() {
            push_chain(&mut specials.stacktrace, value);
        }
        if let Some(out) = self.slot(field, true) {
            json::push_fmt(out, format_args!("{value}"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // A typed record's fields; anything else under that name is an
        // ordinary field.
        if self.specials.is_some()
            && field.name() == rendered::FIELD
            && rendered::render_into(self.fields, value)
        {
            return;
        }
        if let Some(out) = self.slot(field, true) {
            json::push_fmt(out, format_args!("{value:?}"));
        }
    }
}

/// Appends an error and its chain of sources, one cause per line.
///
/// No backtrace is captured here: it would be the logging call's stack,
/// not the error's, and walking the stack costs hundreds of microseconds
/// on the caller's thread. Stable Rust cannot ask a `dyn Error` for its
/// own backtrace, so the caller passes it as the event's `backtrace` field
/// (`backtrace = %error.backtrace()`), which is written after the chain.
fn push_chain(out: &mut String, error: &(dyn std::error::Error + 'static)) {
    use std::fmt::Write;
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    let _ = write!(out, "{error}");
    let mut source = error.source();
    if source.is_some() {
        out.push_str("\n\nCaused by:");
    }
    let mut n = 0;
    while let Some(cause) = source {
        let _ = write!(out, "\n    {n}: {cause}");
        n += 1;
        source = cause.source();
    }
}

impl Fields {
    /// Offset of the key within segment `i` and the key's length.
    pub(crate) fn key_offset(&self, i: usize) -> (u32, u32) {
        let (seg, ks, ke) = self.index[i];
        (ks - seg, ke - ks)
    }

    /// Appends a `,"key":value` (or `,"key":`) segment whose key text is at
    /// `(offset, len)` in it and whose bloom bit is `bit`.
    #[inline]
    pub(crate) fn push_key_segment(&mut self, segment: &[u8], text: (u32, u32), bit: u64) {
        self.push_padded_key_segment(segment, segment.len(), text, bit);
    }

    /// [`Self::push_key_segment`] of the first `len` bytes of `padded`,
    /// copied at once when short (see [`extend_short`]).
    #[inline]
    pub(crate) fn push_padded_key_segment(
        &mut self,
        padded: &[u8],
        len: usize,
        (offset, len_of_key): (u32, u32),
        bit: u64,
    ) {
        let seg = self.buf.len() as u32;
        extend_short(&mut self.buf, padded, len);
        self.bloom |= bit;
        self.index
            .push((seg, seg + offset, seg + offset + len_of_key));
    }

    /// Appends a segment copied from another [`Fields`].
    #[inline]
    pub(crate) fn push_segment(&mut self, segment: &[u8], (offset, len): (u32, u32)) {
        let key = &segment[offset as usize..(offset + len) as usize];
        self.push_key_segment(segment, (offset, len), key_bit(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_copy_takes_exactly_its_bytes_whatever_the_padding() {
        let padded: Vec<u8> = (0..=80).collect();
        for len in [0, 1, 7, 31, 32, 33, 64] {
            for have in [len, len + 5, len + COPY_AT_ONCE, padded.len()] {
                let have = have.min(padded.len());
                let mut buf = b"head".to_vec();
                extend_short(&mut buf, &padded[..have], len);
                assert_eq!(&buf[..4], b"head");
                assert_eq!(&buf[4..], &padded[..len], "len {len} of {have}");
            }
        }
    }
}

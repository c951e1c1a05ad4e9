//! Typed records rendered without `tracing`'s per-field visit.
//!
//! A typed record knows its fields statically, so it writes them as JSON
//! itself, with key text made at compile time, and hands the event one
//! value, [`FIELD`], in place of those fields; `message` stays an ordinary
//! field. The value renders when a layer visits it, so a level its type
//! does not log, cut by `tracing`'s callsite filter, renders nothing.
//! logward's layer lends the value its field buffer (through a
//! thread-local) while it formats it, and the record writes its fields
//! straight into that buffer with their keys' positions, which the
//! precedence over span fields needs: the record is byte for byte the one
//! its fields visited one by one give. Other layers see the fields as the
//! one value's text, `"key":value` pairs separated by commas.

use std::cell::RefCell;
use std::fmt;

use crate::layer::{Fields, bit_of};
use crate::record::json;

/// The name of the one value that carries a typed record's fields.
pub(crate) const FIELD: &str = "logward.fields";

/// The field buffer logward's layer lends a typed record's value.
struct Lent {
    fields: Fields,
    /// Lent and not yet rendered into.
    open: bool,
    /// Rendered into while lent.
    rendered: bool,
}

thread_local! {
    static LENT: RefCell<Lent> = const {
        RefCell::new(Lent {
            fields: Fields::new(),
            open: false,
            rendered: false,
        })
    };
}

/// A typed record that can write its fields (all but `message`).
pub(crate) trait Render {
    /// Writes the record's fields, in record order.
    fn render(&self, out: &mut Writer<'_>);
}

/// One field's `,"key":` text (or, for a value known at compile time,
/// `,"key":value`), for a key that needs neither escaping nor renaming,
/// with what [`Fields`] keeps of it.
#[derive(Clone, Copy)]
pub(crate) struct Key {
    segment: &'static [u8],
    len: u32,
    bit: u64,
}

impl Key {
    /// The key of `segment`, whose key text is `len` bytes after `,"`.
    pub(crate) const fn new(segment: &'static str, len: usize) -> Key {
        let bytes = segment.as_bytes();
        Key {
            segment: bytes,
            len: len as u32,
            bit: bit_of(len, bytes[2], bytes[1 + len]),
        }
    }
}

/// The [`Key`] of a field name (with a JSON value text after `=>`), made
/// at compile time.
macro_rules! key {
    ($name:literal) => {
        $crate::event::rendered::key!($name => "")
    };
    ($name:literal => $value:literal) => {{
        const KEY: $crate::event::rendered::Key = $crate::event::rendered::Key::new(
            concat!(",\"", $name, "\":", $value),
            $name.len(),
        );
        KEY
    }};
}
pub(crate) use key;

/// Writes fields into a [`Fields`] buffer.
pub(crate) struct Writer<'a>(&'a mut Fields);

impl Writer<'_> {
    #[inline]
    fn key(&mut self, key: Key) {
        self.0.push_key_segment(key.segment, (2, key.len), key.bit);
    }

    /// A field whose value is in its [`Key`].
    #[inline]
    pub(crate) fn fixed(&mut self, key: Key) {
        self.key(key);
    }

    /// A boolean field: the `true` or the `false` [`Key`] of its name.
    #[inline]
    pub(crate) fn either(&mut self, value: bool, yes: Key, no: Key) {
        self.key(if value { yes } else { no });
    }

    /// A text field.
    #[inline]
    pub(crate) fn str(&mut self, key: Key, value: &str) {
        self.key(key);
        json::push_str(&mut self.0.buf, value);
    }

    /// A text field, when it is set.
    #[inline]
    pub(crate) fn opt_str(&mut self, key: Key, value: Option<&str>) {
        if let Some(value) = value {
            self.str(key, value);
        }
    }

    /// An integer field.
    #[inline]
    pub(crate) fn uint(&mut self, key: Key, value: u64) {
        self.key(key);
        json::push_int(&mut self.0.buf, value);
    }

    /// A number field, when it is set.
    pub(crate) fn opt_f64(&mut self, key: Key, value: Option<f64>) {
        if let Some(value) = value {
            self.key(key);
            json::push_f64(&mut self.0.buf, value);
        }
    }
}

/// Whether this thread can render typed records (false only while its
/// thread-locals are torn down, when records take the field-by-field way).
#[inline]
pub(crate) fn usable() -> bool {
    LENT.try_with(|_| ()).is_ok()
}

/// The event value of `record`: a `Debug` that renders the record's fields
/// when a layer formats it.
#[inline]
pub(crate) fn value<R: Render>(record: &R) -> tracing::field::DebugValue<Rendered<'_, R>> {
    tracing::field::debug(Rendered(record))
}

/// A record whose `Debug` renders its fields: into the buffer logward's
/// layer lent, or else as their text.
pub(crate) struct Rendered<'r, R>(&'r R);

impl<R: Render> fmt::Debug for Rendered<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let direct = LENT
            .try_with(|cell| {
                let Ok(mut lent) = cell.try_borrow_mut() else {
                    return false;
                };
                if !lent.open {
                    return false;
                }
                lent.open = false;
                self.0.render(&mut Writer(&mut lent.fields));
                lent.rendered = true;
                true
            })
            .unwrap_or(false);
        if direct {
            return Ok(());
        }
        let mut fields = Fields::new();
        self.0.render(&mut Writer(&mut fields));
        let text = fields.buf.get(1..).unwrap_or_default();
        f.write_str(&String::from_utf8_lossy(text))
    }
}

/// Formats `value` with `fields` lent to it; returns whether it was a
/// typed record's value and rendered its fields into `fields` (anything
/// else under the same name is the caller's to render as a field).
pub(crate) fn render_into(fields: &mut Fields, value: &dyn fmt::Debug) -> bool {
    let lend = |fields: &mut Fields| {
        LENT.try_with(|cell| {
            let Ok(mut lent) = cell.try_borrow_mut() else {
                return false;
            };
            std::mem::swap(&mut lent.fields, fields);
            lent.open = true;
            lent.rendered = false;
            true
        })
        .unwrap_or(false)
    };
    if !lend(fields) {
        return false;
    }
    let _ = fmt::write(&mut Discard, format_args!("{value:?}"));
    LENT.try_with(|cell| {
        let Ok(mut lent) = cell.try_borrow_mut() else {
            return false;
        };
        std::mem::swap(&mut lent.fields, fields);
        lent.open = false;
        lent.rendered
    })
    .unwrap_or(false)
}

/// A formatter's output that goes nowhere: a typed record lent a buffer
/// writes nothing, and any other value is rendered again by the caller.
struct Discard;

impl fmt::Write for Discard {
    fn write_str(&mut self, _: &str) -> fmt::Result {
        Ok(())
    }
}

/// Writes a typed record at a level through its pre-rendered fields, or
/// field by field (its `log_fields`) where this thread cannot render.
macro_rules! emit_rendered {
    ($record:expr, $level:expr, $target:literal, $message:expr) => {
        if $crate::event::rendered::usable() {
            $crate::event::emit_at!(
                $level,
                $target,
                logward.fields = $crate::event::rendered::value(&$record),
                message = $message,
            )
        } else {
            $record.log_fields($level)
        }
    };
}
pub(crate) use emit_rendered;

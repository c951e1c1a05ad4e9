//! `logward ship`: records leave the machine, at least once.
//!
//! Records are written locally first; the shipper reads them back from the
//! sources the configuration routes to and posts each export's selection.
//!
//! - [`config`]: the `EXPORT_<NAME>_*` keys, validated into [`Export`]s.

pub mod config;
pub mod source;

pub use config::{Export, ExportError, ExportErrors, Exports, Format, Start};

//! `logward ship`: records leave the machine, at least once.
//!
//! Records are written locally first (the durable copy); the shipper reads
//! them back from the sources the configuration routes each export's types
//! to and posts the export's selection. Sources and destinations are small
//! traits ([`source::Source`], [`destination::Destination`]); selection,
//! batching, retries, splitting refused batches, positions, health and
//! alerts are written once, here, for all of them.
//!
//! - [`config`]: the `EXPORT_<NAME>_*` keys, validated into [`Export`]s.
//! - [`source`]: file sinks (live file and rotated siblings).
//! - `select`, `batch`: which records, and the body in the export's format.
//! - [`destination`]: HTTPS and Kafka destinations.
//! - `delivery`: retries with backoff, splitting refused batches, the
//!   dead-letter file.
//! - [`state`]: positions, health and dead letters in the state directory.
//! - [`health`], `alert`, `metrics`: health, `export_failing`, Prometheus.

mod alert;
mod batch;
pub mod config;
mod delivery;
pub mod destination;
pub mod health;
mod metrics;
mod run;
mod select;
pub mod source;
pub mod state;
mod status;

pub use config::{
    ClientCertFiles, EXPORT_KEYS, Export, ExportError, ExportErrors, Exports, Format, KafkaTarget,
    Start, Target,
};
pub use health::Health;
pub use run::{ExportRun, Notice, Notify, ShipRequest, export_paths, ship};
pub use status::{read_status, status_json, status_text};

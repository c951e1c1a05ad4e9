//! The library behind the `logward` command: what the tool does for an
//! operator, apart from its flags.
//!
//! - [`Bundler`]: collect the records of every configured source by date,
//!   type and level into JSON lines or a `.tar.gz` support bundle.
//! - [`show`]: the selected records printed for reading, or followed as
//!   they are written (`logward show`).
//! - [`Filter`]: Cloudflare Logpush's filter language over records, one
//!   implementation for every command that selects records by their fields.
//! - [`JournalReader`] and [`Trust`]: read the journal back, trusting only
//!   the entries of logward's own senders.
//! - [`import()`]: CSV logs of other systems into records, and into
//!   ExtraHop observations ([`ImportRequest`]).
//! - [`verify`]: tamper evidence of sealed files and bundles.
//! - [`receive()`]: the collector, `POST /log` over HTTPS into the
//!   routing, exactly once by record id ([`ReceiveRequest`]).
//! - [`http`]: destinations, trust roots, secret header files and retries,
//!   for every sender of the tool.
//! - [`consume`]: `logward consume`, a Kafka topic read in a consumer group.
//! - [`kafka`]: the brokers, TLS and probe of the Kafka producer and consumer.
//! - [`ship`]: `logward ship`, the exports' configuration, sources,
//!   delivery, health and alerts.
//!
//! Services do not link this crate: the runtime they link is the `logward`
//! crate, which this one builds on.

mod bundle;
pub mod consume;
mod filter;
pub mod http;
mod import;
mod journal;
pub mod kafka;
mod receive;
pub mod ship;
pub mod show;
mod users;
pub mod verify;

pub use bundle::{
    ArchiveMember, BundleOutput, BundleRequest, BundleSummary, BundleUsageError, Bundler,
    JournalReport, LineReader, LineStatus, MAX_LINE, REORDER_BYTES, REORDER_RECORDS, RawBundleArgs,
    Source, SourceReport, WrittenTo, bundle_sources, configured_log_files, export_record,
    is_sink_file, selected_sources,
};
pub use filter::{Filter, FilterError};
pub use import::{
    ColumnRef, DEFAULT_BATCH, DEFAULT_FORMAT, DEFAULT_STATE_DIR, DEFAULT_TIMEOUT_SECS,
    ImportRequest, ImportState, ImportSummary, ImportUsageError, Input, PostSpec, RawImportArgs,
    TimeSpec, import, parse_zone, state_dir,
};
pub use journal::{JournalEntry, JournalReader, Sender, Senders, Trust};
pub use receive::{RECEIVE_KEYS, RawReceiveArgs, ReceiveRequest, ReceiveUsageError, receive};
pub use users::invoker_fields;

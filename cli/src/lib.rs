//! The library behind the `logward` command: what the tool does for an
//! operator, apart from its flags.
//!
//! - [`Bundler`]: collect the records of every configured source by date,
//!   type and level into JSON lines or a `.tar.gz` support bundle.
//! - [`Filter`]: Cloudflare Logpush's filter language over records, one
//!   implementation for every command that selects records by their fields.
//!
//! Services do not link this crate: the runtime they link is the `logward`
//! crate, which this one builds on.

mod bundle;
mod filter;

pub use bundle::{
    ArchiveMember, BundleOutput, BundleRequest, BundleSummary, BundleUsageError, Bundler,
    RawBundleArgs, Source, SourceReport, WrittenTo, bundle_sources, export_record,
};
pub use filter::{Filter, FilterError};

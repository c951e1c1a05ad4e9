//! `logward import csv`: CSV logs of other systems (an OpenVPN status log,
//! say) become records through the configured routing — filed, rotated,
//! bundled like any other — and can be posted as ExtraHop observations.
//!
//! ```text
//! logward import csv /var/log/openvpn/status.csv \
//!     --column ipaddr="VPN IP" --column associated_ipaddr="Real IP" \
//!     --time-column "Start Time" --time-format "%m/%d/%y %H:%M:%S" --source OpenVPN
//! ```
//!
//! The pieces, in the order a row meets them:
//!
//! - [`ImportRequest`]: the flags checked before any file is opened
//!   (`request`).
//! - `rows`: bytes to rows on `csv-core`, incrementally, with each row's
//!   line and the hashed position after it.
//! - `mapping`: a row's cells to values, or the reason it is skipped.
//! - `time`: the row's time, strptime pattern and explicit time zone.
//! - `output`: records through the runtime, observations in batches.
//! - `state`: what was imported, so a re-run continues after it.
//! - `run`: the loop, `--follow` and rotation.

mod mapping;
mod output;
mod request;
mod rows;
mod run;
mod state;
mod time;

pub use request::{
    ColumnRef, DEFAULT_BATCH, DEFAULT_TIMEOUT_SECS, ImportRequest, ImportUsageError, Input,
    PostSpec, RawImportArgs,
};
pub use run::{ImportSummary, import};
pub use state::{DEFAULT_STATE_DIR, ImportState, state_dir};
pub use time::{DEFAULT_FORMAT, TimeSpec, parse_zone};

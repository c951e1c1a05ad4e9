//! Instructions per record on the caller's thread, for `valgrind
//! --tool=callgrind`, whose counts repeat from run to run where times on a
//! shared machine do not.
//!
//! ```text
//! cargo bench --bench instructions --no-run
//! valgrind --tool=callgrind target/release/deps/instructions-… CASE COUNT
//! ```
//!
//! Logs `COUNT` records of `CASE` inside the benches' request span,
//! logward writing to `io::sink()`; the difference between two counts
//! divided by the difference of records is the cost of one record, free of
//! the set-up's. Cases: `tracing` (the benches' free-form audit event with
//! 8 fields and a message), `typed` (a `logward::audit::LoginAttempt` with a
//! forwarded address and a message), `disabled` (an audit event below its
//! type's level). `tracing-bare` and `typed-bare` log the same records
//! under `tracing-subscriber`'s `Registry` alone, with no layer: what
//! `tracing` itself costs (the callsite, the dispatch, the span lookup, the
//! typed record's builder), the floor under any layer that keeps it.

use logward::{Level, Logward};
use tracing_subscriber::layer::SubscriberExt;

mod common;

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "tracing".to_string());
    let count: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    if let Some(record) = case.strip_suffix("-bare") {
        log(tracing_subscriber::registry(), record, count);
        return;
    }
    let logward = Logward::builder()
        .with_writer(std::io::sink())
        .with_level(Level::Info)
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("logward builds");
    let (layer, guard) = logward.into_parts();
    log(tracing_subscriber::registry().with(layer), &case, count);
    drop(guard);
}

/// Logs `count` records of `case` under `subscriber`, inside the request span.
fn log(subscriber: impl tracing::Subscriber + Send + Sync + 'static, case: &str, count: u64) {
    tracing::subscriber::with_default(subscriber, || {
        let span = common::request_span();
        let _entered = span.enter();
        for i in 0..count {
            match case {
                "tracing" => common::login_attempt(i),
                "typed" => common::typed_login_attempt(i),
                "disabled" => {
                    tracing::debug!(target: "logward::audit", attempt = i, "below the level")
                }
                other => panic!(
                    "unknown case {other}: tracing, typed or disabled, or tracing-bare or typed-bare"
                ),
            }
        }
    });
}

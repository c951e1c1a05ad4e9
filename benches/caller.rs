//! Caller-thread cost of one record, logward against its peers, measured
//! in the same run: the time an `info!`-level audit login attempt with 8
//! fields inside a request span takes on the thread that logs it.
//!
//! ```text
//! cargo bench --bench caller
//! ```
//!
//! - `logward`: the layer, rendering and handing the line to its writer
//!   thread (which writes to `io::sink()`).
//! - `fmt_json_non_blocking`: `tracing-subscriber`'s `fmt().json()` through
//!   `tracing-appender`'s `non_blocking` (lossy off), also to `io::sink()`.
//! - `logward_typed`, `fmt_json_non_blocking_typed`: the same two logging
//!   the typed record `audit::LoginAttempt` (4 fields and a message).
//! - `disabled`: an event below its type's level under logward.
//! - `error_field`: an application record with an error field (a cause
//!   chain of two) under logward; run with `RUST_BACKTRACE=1` to see that
//!   it walks no stack.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use logward::{Level, Logward};
use tracing_subscriber::layer::SubscriberExt;

mod common;

/// Benches [`common::login_attempt`] and then the typed
/// [`common::typed_login_attempt`] under `subscriber`, inside a request span; with
/// `disabled`, also an event below its type's level.
fn bench_in_span<S>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    subscriber: S,
    name: &str,
    disabled: bool,
) where
    S: tracing::Subscriber + Send + Sync + 'static,
{
    tracing::subscriber::with_default(subscriber, || {
        let span = common::request_span();
        let _entered = span.enter();
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                common::login_attempt(i);
            })
        });
        group.bench_function(format!("{name}_typed"), |b| {
            b.iter(|| {
                i += 1;
                common::typed_login_attempt(i);
            })
        });
        if disabled {
            group.bench_function("disabled", |b| {
                b.iter(|| tracing::debug!(target: "logward::audit", attempt = 1, "below the level"))
            });
            let error = std::io::Error::other(std::fmt::Error);
            group.bench_function("error_field", |b| {
                b.iter(|| {
                    tracing::error!(error = &error as &dyn std::error::Error, "request failed")
                })
            });
        }
    });
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("caller_thread_per_record");

    let logward = Logward::builder()
        .with_writer(std::io::sink())
        .with_level(Level::Info)
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("logward builds");
    let (layer, guard) = logward.into_parts();
    bench_in_span(
        &mut group,
        tracing_subscriber::registry().with(layer),
        "logward",
        true,
    );
    drop(guard);

    let (writer, appender_guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::sink());
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_writer(writer)
        .finish();
    bench_in_span(&mut group, subscriber, "fmt_json_non_blocking", false);
    drop(appender_guard);
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! A developer's own human-readable output beside logward's records.
//!
//! `tracing-subscriber`'s `fmt` layer to stderr, filtered by `RUST_LOG`
//! through an `EnvFilter` that sits on that layer alone, so what a
//! developer reads on a terminal is theirs to choose and logward's records
//! are untouched by it. Behind the `fmt` cargo feature: the `fmt` and
//! `env-filter` features of `tracing-subscriber` (and the regular
//! expressions they bring) stay out of services that do not want them.

use tracing::Subscriber;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer};

/// A `fmt` layer writing to stderr what `RUST_LOG` selects (nothing but
/// errors when it is unset or invalid), to pass to [`crate::init_with`].
///
/// ```no_run
/// let _guard = logward::init_with(logward::stderr_layer())?;
/// # Ok::<(), logward::Error>(())
/// ```
pub fn stderr_layer<S>() -> impl Layer<S> + Send + Sync + 'static
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(EnvFilter::from_default_env())
}

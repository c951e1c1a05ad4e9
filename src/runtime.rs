//! Putting it together: build the writers and the layer, install them,
//! and the guard that shuts logging down cleanly.

use std::io::Write;
use std::sync::Arc;

use serde_json::json;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Filtered;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;

use crate::layer::{LogwardLayer, TypeFilter};
use crate::record::RecordContext;
use crate::sink::{Route, Routes, Sink, Stats, StderrSink, WhenFull, WriteSink, Writer};
use crate::{Clock, Error, ErrorKind, Level, LogType, Result, SystemClock};

/// Default number of records a writer's queue holds.
pub const DEFAULT_QUEUE_SIZE: usize = 65_536;

/// Configures and builds the logging runtime.
///
/// ```
/// use logward::{Emit, Level, Logward, audit};
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let logward = Logward::builder()
///     .with_writer(std::io::sink())
///     .with_level(Level::Info)
///     .build()?;
/// let (layer, guard) = logward.into_parts();
/// let subscriber = tracing_subscriber::registry().with(layer);
/// tracing::subscriber::with_default(subscriber, || {
///     audit::LoginAttempt::new(true, "10.0.0.7").info();
/// });
/// drop(guard);
/// # Ok::<(), logward::Error>(())
/// ```
#[must_use]
pub struct Builder {
    clock: Arc<dyn Clock>,
    sink: Option<Box<dyn Sink>>,
    minimum: [Level; 5],
    when_full: [WhenFull; 5],
    queue_size: usize,
    panic_hook: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            clock: Arc::new(SystemClock),
            sink: None,
            minimum: [Level::Info; 5],
            when_full: [WhenFull::Block; 5],
            queue_size: DEFAULT_QUEUE_SIZE,
            panic_hook: true,
        }
    }
}

impl Builder {
    /// Sends every log type to `writer` (a file, a buffer, `io::stderr()`).
    pub fn with_writer<W: Write + Send + 'static>(self, writer: W) -> Self {
        self.with_sink(WriteSink::new(writer, "writer"))
    }

    /// Sends every log type to `sink`.
    pub fn with_sink(mut self, sink: impl Into<Box<dyn Sink>>) -> Self {
        self.sink = Some(sink.into());
        self
    }

    /// Sets the minimum level of every log type.
    pub fn with_level(mut self, level: Level) -> Self {
        self.minimum = [level; 5];
        self
    }

    /// Sets the minimum level of one log type.
    pub fn with_type_level(mut self, log_type: LogType, level: Level) -> Self {
        self.minimum[log_type.index()] = level;
        self
    }

    /// Drops (and counts) records of `log_type` when its queue is full,
    /// instead of waiting. Audit records are never dropped: for audit this
    /// setting is refused by [`Builder::build`].
    pub fn with_overflow(mut self, log_type: LogType, when_full: WhenFull) -> Self {
        self.when_full[log_type.index()] = when_full;
        self
    }

    /// Takes `created_at` (and rotation decisions) from `clock`.
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets how many records each writer's queue holds.
    pub fn with_queue_size(mut self, records: usize) -> Self {
        self.queue_size = records;
        self
    }

    /// Whether a panic is written as a critical record (default: yes).
    pub fn with_panic_hook(mut self, enabled: bool) -> Self {
        self.panic_hook = enabled;
        self
    }

    /// Starts the writers and builds the layer.
    pub fn build(self) -> Result<Logward> {
        if self.when_full[LogType::Audit.index()] != WhenFull::Block {
            return Err(Error::new(
                ErrorKind::Config,
                "audit records are never dropped: overflow for audit must be `block`",
            ));
        }
        let ctx = Arc::new(RecordContext::new(Arc::clone(&self.clock)));
        let sink = self.sink.unwrap_or_else(|| Box::new(StderrSink::new()));
        let writer = Writer::spawn(
            sink,
            Box::new(StderrSink::new()),
            self.queue_size,
            Arc::clone(&ctx),
        )
        .map_err(|e| {
            Error::new(ErrorKind::Sink, "cannot start the writer thread").with_source(e)
        })?;
        let routes = LogType::ALL.map(|t| Route {
            minimum: self.minimum[t.index()],
            writer: Arc::clone(&writer),
            when_full: self.when_full[t.index()],
        });
        let routes = Arc::new(Routes::new(routes));
        let guard = Guard {
            routes: Arc::clone(&routes),
            ctx: Arc::clone(&ctx),
            fingerprint: "builder".to_string(),
        };
        guard.lifecycle("logging_started", "logging started");
        if self.panic_hook {
            crate::panic::install(Arc::downgrade(&routes), Arc::clone(&ctx));
        }
        Ok(Logward {
            filter: TypeFilter::new(routes.minimums()),
            layer: LogwardLayer::new(ctx, routes),
            guard,
        })
    }
}

/// A built runtime: the layer to install and the guard to keep.
pub struct Logward {
    layer: LogwardLayer,
    filter: TypeFilter,
    guard: Guard,
}

impl Logward {
    /// A builder with the defaults: level info, records to stderr.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The layer (filtered per log type, composable with other layers on a
    /// `Registry`) and the guard that flushes and stops the writers.
    pub fn into_parts<S>(self) -> (Filtered<LogwardLayer, TypeFilter, S>, Guard)
    where
        S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    {
        (self.layer.with_filter(self.filter), self.guard)
    }

    /// Installs logward as the global `tracing` subscriber.
    pub fn init(self) -> Result<Guard> {
        let (layer, guard) = self.into_parts();
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::set_global_default(subscriber).map_err(|e| {
            Error::new(
                ErrorKind::AlreadyInitialized,
                "a global tracing subscriber is already set",
            )
            .with_source(e)
        })?;
        Ok(guard)
    }
}

/// Keeps logging running; dropping it writes `logging_stopped`, flushes
/// every writer and waits for them to finish.
#[must_use = "dropping the guard stops logging"]
pub struct Guard {
    routes: Arc<Routes>,
    ctx: Arc<RecordContext>,
    fingerprint: String,
}

impl Guard {
    /// Waits until every record logged before this call is written.
    pub fn flush(&self) {
        for writer in self.routes.writers() {
            writer.flush();
        }
    }

    /// What the writers did so far, summed over all of them.
    pub fn stats(&self) -> Stats {
        let mut total = Stats::default();
        for writer in self.routes.writers() {
            total += writer.stats();
        }
        total
    }

    /// Writes one record whose fields are only known at run time (this is
    /// how `logward emit` writes). Reserved keys are kept under
    /// `fields.<name>`. Returns `false` when `level` is below the minimum of
    /// `log_type`, and the record is not written.
    pub fn emit<K: AsRef<str>>(
        &self,
        log_type: LogType,
        level: Level,
        fields: &[(K, serde_json::Value)],
        message: Option<&str>,
    ) -> bool {
        let route = self.routes.get(log_type);
        if level < route.minimum {
            return false;
        }
        let mut line = Vec::with_capacity(256);
        self.ctx.render(&mut line, level, log_type, fields, message);
        route.submit(&line, level, log_type);
        true
    }

    fn lifecycle(&self, action: &str, message: &str) {
        let mut line = Vec::new();
        let sinks: Vec<String> = LogType::ALL
            .iter()
            .map(|&t| format!("{t}={}", self.routes.get(t).writer.describe()))
            .collect();
        self.ctx.render(
            &mut line,
            Level::Info,
            LogType::Audit,
            &[
                ("action", json!(action)),
                ("config_fingerprint", json!(self.fingerprint)),
                ("routing", json!(sinks.join(" "))),
            ],
            Some(message),
        );
        self.routes
            .get(LogType::Audit)
            .submit(&line, Level::Info, LogType::Audit);
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.lifecycle("logging_stopped", "logging stopped");
        for writer in self.routes.writers() {
            writer.stop();
        }
    }
}

/// Builds the runtime with its defaults and installs it globally.
pub fn init() -> Result<Guard> {
    Logward::builder().build()?.init()
}

//! Putting it together: build the writers and the layer, install them,
//! and the guard that shuts logging down cleanly.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Filtered;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;

use crate::layer::{LogwardLayer, TypeFilter};
use crate::record::RecordContext;
use crate::sink::plan as wiring;
use crate::sink::{
    JOURNALD_SOCKET, Route, Routes, Sink, SinkStats, Stats, WhenFull, WriteSink, Writer,
};
use crate::{Clock, Config, Error, ErrorKind, Level, LogType, Result, SystemClock};

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
    source: Source,
    minimum: [Option<Level>; 5],
    when_full: [Option<WhenFull>; 5],
    queue_size: Option<usize>,
    panic_hook: bool,
    lifecycle: bool,
    journald_socket: PathBuf,
}

/// Where the routing comes from.
enum Source {
    /// `LOGWARD_CONFIG`, else `/etc/logward/config`, else the built-in default.
    Resolve,
    /// This configuration file.
    Path(PathBuf),
    /// This configuration, already loaded.
    Config(Box<Config>),
    /// Every type to this one sink, at level info unless set.
    Sink(Box<dyn Sink>),
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            clock: Arc::new(SystemClock),
            source: Source::Resolve,
            minimum: [None; 5],
            when_full: [None; 5],
            queue_size: None,
            panic_hook: true,
            lifecycle: true,
            journald_socket: PathBuf::from(JOURNALD_SOCKET),
        }
    }
}

impl Builder {
    /// Sends every log type to `writer` (a file, a buffer, `io::stderr()`).
    pub fn with_writer<W: Write + Send + 'static>(self, writer: W) -> Self {
        self.with_sink(WriteSink::new(writer, "writer"))
    }

    /// Sends every log type to `sink`, ignoring any configuration file.
    pub fn with_sink(mut self, sink: impl Into<Box<dyn Sink>>) -> Self {
        self.source = Source::Sink(sink.into());
        self
    }

    /// Reads the configuration from this file instead of `LOGWARD_CONFIG`
    /// or `/etc/logward/config` (environment overrides still apply).
    pub fn with_config_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = Source::Path(path.into());
        self
    }

    /// Routes records as this configuration says.
    pub fn with_config(mut self, config: Config) -> Self {
        self.source = Source::Config(Box::new(config));
        self
    }

    /// Sets the minimum level of every log type, over the configuration's.
    pub fn with_level(mut self, level: Level) -> Self {
        self.minimum = [Some(level); 5];
        self
    }

    /// Sets the minimum level of one log type, over the configuration's.
    pub fn with_type_level(mut self, log_type: LogType, level: Level) -> Self {
        self.minimum[log_type.index()] = Some(level);
        self
    }

    /// Drops (and counts) records of `log_type` when its queue is full,
    /// instead of waiting. Audit records are never dropped: for audit this
    /// setting is refused by [`Builder::build`].
    pub fn with_overflow(mut self, log_type: LogType, when_full: WhenFull) -> Self {
        self.when_full[log_type.index()] = Some(when_full);
        self
    }

    /// Takes `created_at` (and rotation decisions) from `clock`.
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets how many records each writer's queue holds.
    pub fn with_queue_size(mut self, records: usize) -> Self {
        self.queue_size = Some(records);
        self
    }

    /// Whether a panic is written as a critical record (default: yes).
    pub fn with_panic_hook(mut self, enabled: bool) -> Self {
        self.panic_hook = enabled;
        self
    }

    /// Sends journald's records to the native protocol socket at `path`
    /// instead of [`JOURNALD_SOCKET`], e.g. a journald namespace's
    /// `/run/systemd/journal.<namespace>/socket`. Without a journald
    /// listening there at start, those records go to stderr.
    pub fn with_journald_socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.journald_socket = path.into();
        self
    }

    /// Whether the audit records `logging_started` and `logging_stopped` are
    /// written (default: yes). One-shot tools such as `logward emit` turn
    /// them off so that each call writes only its own record.
    pub fn with_lifecycle_records(mut self, enabled: bool) -> Self {
        self.lifecycle = enabled;
        self
    }

    /// Loads the configuration (unless a sink was given), opens the sinks,
    /// starts the writers and builds the layer.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Config`] error naming every problem when the
    /// configuration is invalid or a log directory is not writable; an
    /// [`ErrorKind::Sink`] error when a sink or writer cannot be started.
    pub fn build(self) -> Result<Logward> {
        if self.when_full[LogType::Audit.index()].is_some_and(|w| w != WhenFull::Block) {
            return Err(Error::new(
                ErrorKind::Config,
                "audit records are never dropped: overflow for audit must be `block`",
            ));
        }
        let ctx = Arc::new(RecordContext::new(Arc::clone(&self.clock)));
        let config = match self.source {
            Source::Sink(sink) => Err(sink),
            Source::Resolve => Ok(Config::load(None)?),
            Source::Path(path) => Ok(Config::load(Some(&path))?),
            Source::Config(config) => Ok(*config),
        };
        let (mut plan, fingerprint) = match config {
            Ok(config) => (
                wiring::plan(&config, &self.clock, &self.journald_socket)?,
                config.fingerprint(),
            ),
            Err(sink) => (
                wiring::single(sink),
                "none (sink given by the program)".to_string(),
            ),
        };
        let queue_size = self.queue_size.unwrap_or(plan.queue_size);
        let mut writers: Vec<Arc<Writer>> = Vec::with_capacity(plan.sinks.len());
        for (sink, fallback) in plan.sinks.drain(..) {
            let writer =
                Writer::spawn(sink, fallback, queue_size, Arc::clone(&ctx)).map_err(|e| {
                    Error::new(ErrorKind::Sink, "cannot start a writer thread").with_source(e)
                })?;
            writers.push(writer);
        }
        let routes = LogType::ALL.map(|t| {
            let planned = &plan.routes[t.index()];
            Route {
                minimum: self.minimum[t.index()].unwrap_or(planned.minimum),
                writer: Arc::clone(&writers[planned.sink]),
                when_full: self.when_full[t.index()].unwrap_or(planned.when_full),
            }
        });
        let routes = Arc::new(Routes::new(routes));
        let guard = Guard {
            routes: Arc::clone(&routes),
            ctx: Arc::clone(&ctx),
            fingerprint,
            lifecycle: self.lifecycle,
        };
        guard.lifecycle("logging_started", "logging started");
        for warning in &plan.warnings {
            guard.emit(
                LogType::Application,
                Level::Warning,
                &[("runtime_event", json!("startup_warning"))],
                Some(warning),
            );
        }
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
    /// A builder with the defaults: the configuration from `LOGWARD_CONFIG`
    /// or `/etc/logward/config`, else level info and journald.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The configuration fingerprint written in `logging_started`.
    pub fn fingerprint(&self) -> &str {
        &self.guard.fingerprint
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
    lifecycle: bool,
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

    /// What each writer did so far, with its sink and fallback, one entry
    /// per sink (types routed to the same sink share it).
    pub fn sink_stats(&self) -> Vec<SinkStats> {
        self.routes
            .writers()
            .into_iter()
            .map(|writer| SinkStats {
                sink: writer.describe().to_string(),
                fallback: writer.describe_fallback().to_string(),
                stats: writer.stats(),
            })
            .collect()
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
        if !self.lifecycle {
            return;
        }
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

//! Putting it together: build the writers and the layer, install them,
//! and the guard that shuts logging down cleanly.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;
use tracing::level_filters::LevelFilter;
use tracing_log::AsLog;
use tracing_subscriber::filter::Filtered;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

use crate::layer::{LogwardLayer, TypeFilter};
use crate::record::RecordContext;
use crate::reload::wiring::{self as connect, Overrides};
use crate::reload::{ConfigSource, Parts, Reloader, identified};
use crate::sink::plan as wiring;
use crate::sink::{
    JOURNALD_SOCKET, SharedRoutes, Sink, SinkStats, Stats, WhenFull, WriteSink, Writer,
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
    log_bridge: bool,
    journald_socket: PathBuf,
    types: Vec<LogType>,
    reload_on_sighup: bool,
    identifier: Option<String>,
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
            log_bridge: true,
            journald_socket: PathBuf::from(JOURNALD_SOCKET),
            types: LogType::ALL.to_vec(),
            reload_on_sighup: false,
            identifier: None,
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

    /// Whether [`Logward::init`] and [`Logward::init_with`] install the
    /// `log` → `tracing` bridge (default: yes), so that records of crates
    /// using the `log` crate become `application` records. Turn it off when
    /// the program sets a `log` logger of its own.
    pub fn with_log_bridge(mut self, enabled: bool) -> Self {
        self.log_bridge = enabled;
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

    /// Opens only the sinks of `types` (default: all); records of the other
    /// types go to stderr. One-shot tools such as `logward emit` use it so
    /// that they create no file or directory of a type they do not write.
    pub fn with_log_types(mut self, types: &[LogType]) -> Self {
        self.types = types.to_vec();
        self
    }

    /// Tags journald records with this `SYSLOG_IDENTIFIER` instead of
    /// `LOG_SYSLOG_IDENTIFIER` or the program name (`logward emit -t`);
    /// [`Builder::build`] refuses an empty one or one with control
    /// characters.
    pub fn with_syslog_identifier(mut self, identifier: impl Into<String>) -> Self {
        self.identifier = Some(identifier.into());
        self
    }

    /// Re-reads the configuration file on every `SIGHUP` and puts it in
    /// force, as [`crate::reload`] does; the signal is handled on a thread
    /// of the runtime's own, until the guard is dropped. Only for a
    /// configuration the runtime reads itself (not with
    /// [`Builder::with_config`] or a sink), which [`Builder::build`] checks.
    pub fn reload_on_sighup(mut self) -> Self {
        self.reload_on_sighup = true;
        self
    }

    /// Loads the configuration (unless a sink was given), opens the sinks,
    /// starts the writers and builds the layer.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Config`] error naming every problem when the
    /// configuration is invalid; an [`ErrorKind::Sink`] error naming every
    /// log file or directory that cannot be used (not writable, or refused
    /// as a link, a device or another user's file), or when a sink or
    /// writer cannot be started; an [`ErrorKind::Reload`] error when
    /// [`Builder::reload_on_sighup`] has no file to re-read or its handler
    /// cannot be installed.
    pub fn build(self) -> Result<Logward> {
        if self.when_full[LogType::Audit.index()].is_some_and(|w| w != WhenFull::Block) {
            return Err(Error::new(
                ErrorKind::Config,
                "audit records are never dropped: overflow for audit must be `block`",
            ));
        }
        let ctx = Arc::new(RecordContext::new(Arc::clone(&self.clock)));
        let (config, source) = match self.source {
            Source::Sink(sink) => (Err(sink), None),
            Source::Resolve => (Ok(Config::load(None)?), Some(ConfigSource::Resolve)),
            Source::Path(path) => (
                Ok(Config::load(Some(&path))?),
                Some(ConfigSource::Path(path)),
            ),
            Source::Config(config) => (Ok(*config), None),
        };
        if self.reload_on_sighup && source.is_none() {
            return Err(Error::new(
                ErrorKind::Reload,
                "reload on SIGHUP re-reads the configuration file: build with `with_config_path` (or the default resolution), not with a configuration or sink given by the program",
            ));
        }
        let config = match config {
            Ok(config) => Ok(identified(config, self.identifier.as_deref())?),
            Err(sink) => Err(sink),
        };
        let (plan, fingerprint, config) = match config {
            Ok(config) => (
                wiring::plan(
                    &config,
                    &self.clock,
                    &self.journald_socket,
                    &self.types,
                    &[],
                )?,
                config.fingerprint(),
                Some(config),
            ),
            Err(sink) => (
                wiring::single(sink),
                "none (sink given by the program)".to_string(),
                None,
            ),
        };
        let queue_size = self.queue_size.unwrap_or(plan.queue_size);
        let overrides = Overrides {
            minimum: self.minimum,
            when_full: self.when_full,
        };
        let warnings = plan.warnings.clone();
        let (writers, routes) = connect::connect(plan, &Vec::new(), overrides, queue_size, &ctx)?;
        let parts = Parts {
            source,
            config,
            ctx: Arc::clone(&ctx),
            clock: Arc::clone(&self.clock),
            journald_socket: self.journald_socket,
            types: self.types,
            overrides,
            queue_size,
            fixed_queue: self.queue_size.is_some(),
            identifier: self.identifier,
        };
        let reloader = Reloader::new(parts, writers, routes, fingerprint.clone());
        let routes = Arc::clone(reloader.routes());
        let guard = Guard {
            routes: Arc::clone(&routes),
            ctx: Arc::clone(&ctx),
            fingerprint,
            lifecycle: self.lifecycle,
            reloader: Arc::clone(&reloader),
        };
        guard.lifecycle("logging_started", "logging started");
        for warning in &warnings {
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
        if self.reload_on_sighup {
            reloader.listen_for_sighup()?;
        }
        Ok(Logward {
            filter: reloader.filter().clone(),
            layer: LogwardLayer::new(ctx, routes, Arc::clone(reloader.dispatch())),
            guard,
            log_bridge: self.log_bridge,
        })
    }
}

/// A built runtime: the layer to install and the guard to keep.
pub struct Logward {
    layer: LogwardLayer,
    filter: TypeFilter,
    guard: Guard,
    log_bridge: bool,
}

impl Logward {
    /// A builder with the defaults: the configuration from `LOGWARD_CONFIG`
    /// or `/etc/logward/config`, else level info and journald.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The configuration fingerprint written in `logging_started` (a
    /// reload changes the one in force, see [`Guard::fingerprint`]).
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

    /// Installs logward as the global `tracing` subscriber, and the `log`
    /// bridge unless [`Builder::with_log_bridge`] turned it off.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::AlreadyInitialized`] when a global `tracing` subscriber
    /// or a `log` logger is already set.
    pub fn init(self) -> Result<Guard> {
        self.install(tracing_subscriber::registry(), LevelFilter::OFF)
    }

    /// Installs logward and another layer of the developer's (typically a
    /// `fmt` layer to stderr with its own filter, see `stderr_layer` with
    /// the `fmt` feature) as the global `tracing` subscriber, and the `log`
    /// bridge unless turned off.
    ///
    /// The other layer's filter decides only what that layer sees: put it
    /// on the layer (`fmt::layer().with_filter(EnvFilter::from_default_env())`),
    /// never as a layer of its own, which would filter logward's records too.
    ///
    /// ```no_run
    /// use tracing_subscriber::Layer;
    /// use tracing_subscriber::filter::LevelFilter;
    ///
    /// let other = tracing_subscriber::layer::Identity::new().with_filter(LevelFilter::WARN);
    /// let _guard = logward::Logward::builder().build()?.init_with(other)?;
    /// # Ok::<(), logward::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Logward::init`].
    pub fn init_with<L>(self, layer: L) -> Result<Guard>
    where
        L: Layer<Registry> + Send + Sync + 'static,
    {
        let other = layer.max_level_hint().unwrap_or(LevelFilter::TRACE);
        self.install(tracing_subscriber::registry().with(layer), other)
    }

    /// Installs logward on top of `inner` (a `Registry`, with the
    /// developer's layer or without); `other` is the most verbose level
    /// the developer's layer keeps.
    fn install<I>(self, inner: I, other: LevelFilter) -> Result<Guard>
    where
        I: tracing::Subscriber + for<'a> LookupSpan<'a> + Send + Sync + 'static,
    {
        let log_level = self
            .filter
            .minimum(LogType::Application)
            .to_tracing_filter()
            .max(other);
        if self.log_bridge {
            // `log` checks its own maximum first: records below every
            // layer's level cost one load, as disabled `tracing` events do.
            tracing_log::LogTracer::builder()
                .with_max_level(log_level.as_log())
                .init()
                .map_err(|e| {
                    Error::new(
                        ErrorKind::AlreadyInitialized,
                        "a `log` logger is already set; build with `with_log_bridge(false)` to keep it",
                    )
                    .with_source(e)
                })?;
            self.guard.reloader.bridge_installed(other);
        }
        let (logward, guard) = self.into_parts();
        let subscriber = inner.with(logward);
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
    routes: Arc<SharedRoutes>,
    ctx: Arc<RecordContext>,
    fingerprint: String,
    lifecycle: bool,
    reloader: Arc<Reloader>,
}

impl Guard {
    /// Waits until every record logged before this call is written.
    pub fn flush(&self) {
        for writer in self.routes.load().writers() {
            writer.flush();
        }
    }

    /// Re-reads the configuration and puts it in force, as [`crate::reload`]
    /// does for the last runtime built; this one reloads this runtime.
    ///
    /// # Errors
    ///
    /// As [`crate::reload`].
    pub fn reload(&self) -> Result<()> {
        self.reloader.reload()
    }

    /// The fingerprint of the configuration in force (changed by a reload).
    pub fn fingerprint(&self) -> String {
        self.reloader.fingerprint()
    }

    /// What the writers did so far, summed over all of them (also those a
    /// reload stopped).
    pub fn stats(&self) -> Stats {
        let mut total = Stats::default();
        for writer in self.reloader.writers() {
            total += writer.stats();
        }
        total
    }

    /// What each writer did so far, with its sink and fallback, one entry
    /// per sink (types routed to the same sink share it), the sinks in use
    /// first, then those a reload stopped using.
    pub fn sink_stats(&self) -> Vec<SinkStats> {
        self.reloader
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
        let routes = self.routes.load();
        let route = routes.get(log_type);
        if level < route.minimum {
            return false;
        }
        let mut line = Vec::with_capacity(256);
        self.ctx.render(&mut line, level, log_type, fields, message);
        route.submit(&line, level, log_type);
        true
    }

    /// Writes records that were rendered elsewhere (received from another
    /// machine) through the routing by their log type, keeping every byte:
    /// nothing is re-stamped, and neither the level minimum nor the overflow
    /// setting applies (the records were already kept by their origin).
    /// Each `line` is one JSON record ending in `\n`. Returns once every
    /// record has been written and flushed by its writer, which with
    /// `LOG_SYNC=always` includes the fsync, or handed to that writer's
    /// fallback when its sink failed (counted in [`Guard::stats`]).
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Sink`] error when a line does not end in `\n` or
    /// spans lines (nothing is written then), or when a writer has already
    /// stopped (the records before it were written).
    pub fn write_rendered(&self, records: &[(LogType, Level, &[u8])]) -> Result<()> {
        if let Some(i) = records.iter().position(|(.., line)| {
            line.last() != Some(&b'\n') || line[..line.len() - 1].contains(&b'\n')
        }) {
            return Err(Error::new(
                ErrorKind::Sink,
                format!(
                    "rendered record {} is not one line ending in a newline",
                    i + 1
                ),
            ));
        }
        let routes = self.routes.load();
        let mut touched: Vec<&Arc<Writer>> = Vec::new();
        for &(log_type, level, line) in records {
            let writer = &routes.get(log_type).writer;
            if !writer.submit_waiting(line, level, log_type) {
                return Err(Error::new(
                    ErrorKind::Sink,
                    format!("the {log_type} writer has stopped"),
                ));
            }
            if !touched.iter().any(|w| Arc::ptr_eq(w, writer)) {
                touched.push(writer);
            }
        }
        for writer in touched {
            writer.flush();
        }
        Ok(())
    }

    fn lifecycle(&self, action: &str, message: &str) {
        if !self.lifecycle {
            return;
        }
        let mut line = Vec::new();
        // Taken before the routes: a reload holds its lock while it waits
        // for callers to let go of the routes they loaded.
        let fingerprint = self.reloader.fingerprint();
        let routes = self.routes.load();
        self.ctx.render(
            &mut line,
            Level::Info,
            LogType::Audit,
            &[
                ("action", json!(action)),
                ("config_fingerprint", json!(fingerprint)),
                ("routing", json!(routes.describe())),
            ],
            Some(message),
        );
        routes
            .get(LogType::Audit)
            .submit(&line, Level::Info, LogType::Audit);
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.reloader.stop();
        self.lifecycle("logging_stopped", "logging stopped");
        for writer in self.routes.load().writers() {
            writer.stop();
        }
    }
}

/// Builds the runtime with its defaults and installs it globally, with the
/// `log` bridge ([`Logward::init`]).
///
/// # Errors
///
/// A configuration or sink error from [`Builder::build`], or
/// [`ErrorKind::AlreadyInitialized`].
pub fn init() -> Result<Guard> {
    Logward::builder().build()?.init()
}

/// Builds the runtime with its defaults and installs it globally beside
/// the developer's `layer` ([`Logward::init_with`]).
///
/// # Errors
///
/// As [`init`].
pub fn init_with<L>(layer: L) -> Result<Guard>
where
    L: Layer<Registry> + Send + Sync + 'static,
{
    Logward::builder().build()?.init_with(layer)
}

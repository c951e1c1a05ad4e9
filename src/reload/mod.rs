//! Reloading the configuration while the service runs, on `SIGHUP`
//! ([`Builder::reload_on_sighup`](crate::Builder::reload_on_sighup)) or when
//! the service asks ([`reload`], [`Guard::reload`](crate::Guard::reload)).
//!
//! A reload re-reads the file the runtime was built from (with the same
//! environment overrides), plans the new routing, starts writers for the
//! destinations that are new and swaps the routing table whole. Levels
//! change at once: the per-type filter is updated and `tracing` asks every
//! callsite again. A record is routed by the table its caller loaded, so
//! each record goes exactly once to the old destination or to the new one:
//! a writer no type uses any more is stopped (its queue written out) only
//! once no caller holds the old table.
//!
//! The outcome is one audit record: `config_reloaded` with the fingerprint
//! in force from then on (`config_fingerprint`) and the one before
//! (`previous_config_fingerprint`), or `config_reload_refused` at level
//! error naming every problem, when the new configuration is invalid or
//! changes what only a restart can (see the `changes` module); then the old
//! configuration stays in force, untouched.

mod changes;
mod signal;
pub(crate) mod wiring;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::Duration;

use serde_json::json;
use tracing::dispatcher::WeakDispatch;
use tracing::level_filters::LevelFilter;
use tracing_log::AsLog;

use crate::layer::TypeFilter;
use crate::record::RecordContext;
use crate::sink::plan as planning;
use crate::sink::{Routes, SharedRoutes, Writer};
use crate::{Clock, Config, Error, ErrorKind, Level, LogType, Result};

use signal::Listener;
use wiring::{Overrides, Writers};

/// How long a reload sleeps between looks at whether callers still hold
/// the old routing table.
const QUIESCE_POLL: Duration = Duration::from_millis(1);

/// The runtime [`reload`] reloads: the last one built that is still running.
static CURRENT: Mutex<Weak<Reloader>> = Mutex::new(Weak::new());

/// Where a reload reads the configuration from.
pub(crate) enum ConfigSource {
    /// `LOGWARD_CONFIG`, else `/etc/logward/config`, else the default.
    Resolve,
    /// This file.
    Path(PathBuf),
}

/// What a runtime is built from, kept to rebuild its routing on reload.
pub(crate) struct Parts {
    /// `None` when the program gave the sink or the configuration.
    pub(crate) source: Option<ConfigSource>,
    pub(crate) config: Option<Config>,
    pub(crate) ctx: Arc<RecordContext>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) journald_socket: PathBuf,
    pub(crate) types: Vec<LogType>,
    pub(crate) overrides: Overrides,
    pub(crate) queue_size: usize,
    /// The program set the queue size (`LOG_QUEUE_SIZE` does not apply).
    pub(crate) fixed_queue: bool,
    /// The journald identifier the program set over the configuration's.
    pub(crate) identifier: Option<String>,
}

/// The routing in force, and how to replace it.
pub(crate) struct Reloader {
    parts: Parts,
    routes: Arc<SharedRoutes>,
    filter: TypeFilter,
    /// The dispatcher the layer was installed in (set by the layer).
    dispatch: Arc<OnceLock<WeakDispatch>>,
    state: Mutex<State>,
}

struct State {
    config: Option<Config>,
    fingerprint: String,
    writers: Writers,
    /// Writers a reload stopped, kept for their counts.
    retired: Vec<Arc<Writer>>,
    /// The most verbose level of the other layers, when the `log` bridge
    /// is installed (its maximum follows the `application` level).
    log_bridge: Option<LevelFilter>,
    listener: Option<Listener>,
    stopped: bool,
}

impl Reloader {
    /// A reloader for the routing `routes` served by `writers`, built from
    /// `parts`, with the fingerprint of what is in force; it becomes the
    /// runtime [`reload`] reloads.
    pub(crate) fn new(
        mut parts: Parts,
        writers: Writers,
        routes: Routes,
        fingerprint: String,
    ) -> Arc<Reloader> {
        let filter = TypeFilter::new(routes.minimums());
        let config = parts.config.take();
        let reloader = Arc::new(Reloader {
            parts,
            routes: Arc::new(SharedRoutes::from_pointee(routes)),
            filter,
            dispatch: Arc::default(),
            state: Mutex::new(State {
                config,
                fingerprint,
                writers,
                retired: Vec::new(),
                log_bridge: None,
                listener: None,
                stopped: false,
            }),
        });
        *CURRENT.lock().unwrap_or_else(PoisonError::into_inner) = Arc::downgrade(&reloader);
        reloader
    }

    /// The routing table callers load for each record.
    pub(crate) fn routes(&self) -> &Arc<SharedRoutes> {
        &self.routes
    }

    /// Where the layer keeps the dispatcher it is installed in.
    pub(crate) fn dispatch(&self) -> &Arc<OnceLock<WeakDispatch>> {
        &self.dispatch
    }

    /// The per-type filter, sharing the minimums a reload changes.
    pub(crate) fn filter(&self) -> &TypeFilter {
        &self.filter
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reloads on every `SIGHUP` until the runtime stops.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Reload`] when the handler cannot be installed.
    pub(crate) fn listen_for_sighup(self: &Arc<Self>) -> Result<()> {
        let listener = Listener::start(Arc::downgrade(self))?;
        self.state().listener = Some(listener);
        Ok(())
    }

    /// The `log` bridge is installed; `other` is the most verbose level
    /// the other layers keep.
    pub(crate) fn bridge_installed(&self, other: LevelFilter) {
        self.state().log_bridge = Some(other);
    }

    /// The fingerprint of the configuration in force.
    pub(crate) fn fingerprint(&self) -> String {
        self.state().fingerprint.clone()
    }

    /// Every writer started so far, the ones in use first, then those a
    /// reload stopped.
    pub(crate) fn writers(&self) -> Vec<Arc<Writer>> {
        let mut writers = self.routes.load().writers();
        writers.extend(self.state().retired.iter().cloned());
        writers
    }

    /// Stops reloading (the `SIGHUP` thread too): the runtime is shutting
    /// down. A reload under way finishes first.
    pub(crate) fn stop(&self) {
        let listener = {
            let mut state = self.state();
            state.stopped = true;
            state.listener.take()
        };
        if let Some(listener) = listener {
            listener.stop();
        }
    }

    /// Re-reads the configuration and puts it in force, or refuses it and
    /// keeps the one in force; either way writes one audit record.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when the new configuration is invalid or
    /// changes what only a restart can; [`ErrorKind::Sink`] when a new log
    /// file cannot be used; [`ErrorKind::Reload`] when there is no file to
    /// re-read or the runtime has stopped.
    pub(crate) fn reload(&self) -> Result<()> {
        let mut state = self.state();
        if state.stopped {
            return Err(Error::new(
                ErrorKind::Reload,
                "logging has stopped: there is nothing to reload",
            ));
        }
        let result = self.replace(&mut state);
        if let Err(e) = &result {
            self.audit(
                &self.routes.load(),
                Level::Error,
                &[
                    ("action", json!("config_reload_refused")),
                    ("config_fingerprint", json!(state.fingerprint)),
                    ("error", json!(e.to_string())),
                ],
                &format!("configuration reload refused, the configuration in force stays: {e}"),
            );
        }
        result
    }

    fn replace(&self, state: &mut State) -> Result<()> {
        let parts = &self.parts;
        let explicit = match &parts.source {
            None => {
                return Err(Error::new(
                    ErrorKind::Reload,
                    "the program gave the configuration or the sink: there is no file to re-read",
                ));
            }
            Some(ConfigSource::Resolve) => None,
            Some(ConfigSource::Path(path)) => Some(path.as_path()),
        };
        let config = identified(Config::load(explicit)?, parts.identifier.as_deref())?;
        if let Some(old) = &state.config {
            let problems = changes::needing_restart(old, &config, &parts.types, parts.fixed_queue);
            if !problems.is_empty() {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!(
                        "the new configuration changes what only a restart can:\n{}",
                        problems.join("\n")
                    ),
                ));
            }
        }
        let running: Vec<planning::Key> = state.writers.iter().map(|(k, _)| k.clone()).collect();
        let plan = planning::plan(
            &config,
            &parts.clock,
            &parts.journald_socket,
            &parts.types,
            &running,
        )?;
        let warnings = plan.warnings.clone();
        let (writers, routes) = wiring::connect(
            plan,
            &state.writers,
            parts.overrides,
            parts.queue_size,
            &parts.ctx,
        )?;
        let minimums = routes.minimums();
        let old = self.routes.swap(Arc::new(routes));
        self.filter.set(minimums);
        // With a single dispatcher, `tracing` asks the calling thread's
        // default one: make that the layer's, whichever thread reloads.
        match self.dispatch.get().and_then(WeakDispatch::upgrade) {
            Some(dispatch) => tracing::dispatcher::with_default(
                &dispatch,
                tracing_core::callsite::rebuild_interest_cache,
            ),
            None => tracing_core::callsite::rebuild_interest_cache(),
        }
        if let Some(other) = state.log_bridge {
            let application = minimums[LogType::Application.index()].to_tracing_filter();
            log::set_max_level(application.max(other).as_log());
        }
        // Callers that loaded the old table may still hand records to its
        // writers: those stop once the last of them is done.
        while Arc::strong_count(&old) > 1 {
            std::thread::sleep(QUIESCE_POLL);
        }
        drop(old);
        let (kept, retired): (Writers, Writers) = std::mem::take(&mut state.writers)
            .into_iter()
            .partition(|(_, w)| writers.iter().any(|(_, n)| Arc::ptr_eq(w, n)));
        drop(kept);
        for (_, writer) in retired {
            writer.stop();
            state.retired.push(writer);
        }
        state.writers = writers;
        let previous = std::mem::replace(&mut state.fingerprint, config.fingerprint());
        let routes = self.routes.load();
        self.audit(
            &routes,
            Level::Info,
            &[
                ("action", json!("config_reloaded")),
                ("config_fingerprint", json!(state.fingerprint)),
                ("previous_config_fingerprint", json!(previous)),
                ("routing", json!(routes.describe())),
            ],
            "configuration reloaded",
        );
        for warning in &warnings {
            let mut line = Vec::new();
            parts.ctx.render(
                &mut line,
                Level::Warning,
                LogType::Application,
                &[("runtime_event", json!("reload_warning"))],
                Some(warning),
            );
            routes
                .get(LogType::Application)
                .submit(&line, Level::Warning, LogType::Application);
        }
        state.config = Some(config);
        Ok(())
    }

    /// Writes one audit record of the runtime's own through `routes`.
    fn audit(
        &self,
        routes: &Routes,
        level: Level,
        fields: &[(&str, serde_json::Value)],
        message: &str,
    ) {
        let mut line = Vec::new();
        self.parts
            .ctx
            .render(&mut line, level, LogType::Audit, fields, Some(message));
        routes
            .get(LogType::Audit)
            .submit(&line, level, LogType::Audit);
    }
}

/// `config` with journald records tagged `identifier`, when given.
///
/// # Errors
///
/// An [`ErrorKind::Config`] error when `identifier` is no valid one.
pub(crate) fn identified(config: Config, identifier: Option<&str>) -> Result<Config> {
    match identifier {
        None => Ok(config),
        Some(identifier) => config.with_syslog_identifier(identifier).map_err(|why| {
            Error::new(
                ErrorKind::Config,
                format!("syslog identifier {identifier:?}: {why}"),
            )
        }),
    }
}

/// Re-reads the configuration of the running runtime (the last one built
/// that has not stopped) and puts it in force, for a service that handles
/// its signals itself; [`Builder::reload_on_sighup`](crate::Builder::reload_on_sighup)
/// does this on every `SIGHUP`.
///
/// Levels change at once; a type moved to another file or to journald goes
/// there from its next record on, each record written exactly once. The
/// outcome is an audit record, `config_reloaded` or, when the new
/// configuration is refused and the old one stays in force,
/// `config_reload_refused`.
///
/// ```no_run
/// let _guard = logward::Logward::builder().build()?.init()?;
/// // … after the operator edited /etc/logward/config:
/// if let Err(e) = logward::reload() {
///     eprintln!("{e}");
/// }
/// # Ok::<(), logward::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::Reload`] when no runtime is running or it has no file to
/// re-read (the program gave its configuration or sink);
/// [`ErrorKind::Config`] when the new configuration is invalid or changes
/// what only a restart can (the queue size, the journald identifier, the
/// rotation, sync or sealing of a file in use); [`ErrorKind::Sink`] when a
/// new log file cannot be used.
pub fn reload() -> Result<()> {
    let current = CURRENT
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .upgrade();
    match current {
        Some(reloader) => reloader.reload(),
        None => Err(Error::new(
            ErrorKind::Reload,
            "logward is not running: there is nothing to reload",
        )),
    }
}

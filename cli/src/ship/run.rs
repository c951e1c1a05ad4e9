//! Running the exports: one thread per export, each reading its own
//! sources, batching its selection and delivering it, then committing and
//! saving its positions.
//!
//! A position is saved (atomically, fsynced) only after the destination
//! acknowledged every record before it, so a crash or `SIGKILL` sends at
//! most the batch in flight again; every record keeps its `id`, so the
//! receiver can drop those duplicates. Lines that the export does not
//! select are passed over and committed with the batch after them (or at
//! once when nothing is selected).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use logward::{Clock, Config, Destination as Route, LogType};
use serde_json::Value;

use super::alert::{self, Alert};
use super::batch::Batch;
use super::config::Target;
use super::delivery::{self, Stopped};
use super::destination::{Destination, HttpsDestination, KafkaDestination};
use super::health::{Health, time_text};
use super::select::{Selection, Verdict};
use super::source::{FileSource, JournalSource, Source};
use super::state::{Positions, StateDir};
use super::{Export, Exports};

/// How often an idle export looks for new lines.
const POLL: Duration = Duration::from_millis(100);
/// How often the health file is written while something changes.
const HEALTH_EVERY: Duration = Duration::from_millis(250);

/// A critical audit record the shipper writes about an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// `export_failing`, `export_recovered` or `export_records_lost`.
    pub action: &'static str,
    /// The record's fields, `action` first.
    pub fields: Vec<(String, Value)>,
    /// Its message.
    pub message: String,
}

/// Where [`Notice`]s go (the runtime, as critical audit records).
pub type Notify = Arc<dyn Fn(Notice) + Send + Sync>;

/// What `logward ship` is asked to do.
#[derive(Debug, Clone)]
pub struct ShipRequest {
    /// Where positions, health and dead letters are kept.
    pub state_dir: PathBuf,
    /// Deliver what is there now and return, instead of following.
    pub once: bool,
    /// How long one request may take.
    pub timeout: Duration,
    /// Serve Prometheus metrics here.
    pub metrics: Option<SocketAddr>,
}

/// What one export did during a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportRun {
    /// The export's name.
    pub export: String,
    /// Records acknowledged.
    pub records: u64,
    /// Records refused and dead-lettered.
    pub dead_lettered: u64,
    /// Records lost to pruning.
    pub lost_records: u64,
    /// Files lost to pruning.
    pub lost_files: u64,
    /// Types routed to journald, read from the journal.
    pub journal_types: Vec<LogType>,
}

/// One export's shared parts: its settings, health, clock and notices.
pub struct ExportContext {
    /// The export.
    pub export: Export,
    /// Its health, shared with the metrics endpoint.
    pub health: Arc<Mutex<Health>>,
    /// The clock of alert decisions and reported times.
    pub clock: Arc<dyn Clock>,
    /// Where critical audit records go.
    pub notify: Notify,
    /// The state directory.
    pub state: StateDir,
    saved: Mutex<Option<Instant>>,
    positions: Mutex<Option<Positions>>,
}

impl ExportContext {
    /// The clock's time, in microseconds.
    pub fn now(&self) -> i64 {
        self.clock.now_micros()
    }

    /// Runs `f` on the health.
    pub fn with_health<T>(&self, f: impl FnOnce(&mut Health) -> T) -> T {
        f(&mut self.health.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Raises `export_failing` or `export_recovered` when due.
    pub fn alert_tick(&self) {
        let now = self.now();
        let after = self.export.alert_after;
        let (alert, health) = self.with_health(|h| (alert::check(h, after, now), h.clone()));
        let Some(alert) = alert else {
            return;
        };
        let (action, message) = match alert {
            Alert::Failing => (
                "export_failing",
                format!(
                    "export {} has had no successful delivery since {} while {} records wait",
                    self.export.name,
                    health.failing_since_us.map_or_else(String::new, time_text),
                    health.lag_records
                ),
            ),
            Alert::Recovered => (
                "export_recovered",
                format!("export {} delivers again", self.export.name),
            ),
        };
        let mut fields = vec![
            ("action".to_string(), Value::from(action)),
            ("export".to_string(), Value::from(self.export.name.clone())),
            (
                "destination".to_string(),
                Value::from(health.destination.clone()),
            ),
        ];
        if alert == Alert::Failing {
            fields.extend([
                (
                    "last_error".to_string(),
                    Value::from(health.last_error.clone()),
                ),
                ("lag_records".to_string(), Value::from(health.lag_records)),
                ("lag_bytes".to_string(), Value::from(health.lag_bytes)),
                (
                    "failing_since".to_string(),
                    Value::from(health.failing_since_us.map(time_text)),
                ),
            ]);
        }
        (self.notify)(Notice {
            action,
            fields,
            message,
        });
        self.save_health();
    }

    /// Writes the health file if it was not written in the last moment.
    pub fn save_health_soon(&self) {
        let due = self
            .saved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none_or(|at| at.elapsed() >= HEALTH_EVERY);
        if due {
            self.save_health();
        }
    }

    /// Writes the health file now; a failure is kept as the last error.
    pub fn save_health(&self) {
        let now = self.now();
        let health = self.with_health(|h| {
            h.updated_us = Some(now);
            h.clone()
        });
        let path = self.state.health_file(&self.export.name);
        if let Err(e) = self.state.save(&path, &health) {
            self.with_health(|h| h.last_error = Some(format!("{e:#}")));
        }
        *self.saved.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }
}

/// The files that `export`'s types are routed to, and the types routed to
/// journald. A type routed to a file is read from that file only (records
/// that a failing file sink re-routed to journald are not shipped).
pub fn export_paths(config: &Config, export: &Export) -> (Vec<PathBuf>, Vec<LogType>) {
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut journal = Vec::new();
    for &log_type in &export.types {
        match &config.route(log_type).destination {
            Route::File { path, .. } => {
                if !paths.contains(path) {
                    paths.push(path.clone());
                }
            }
            _ => journal.push(log_type),
        }
    }
    (paths, journal)
}

/// Runs every enabled export until `stop` is set (or, with `once`, until
/// each has delivered what there was), returning what each did.
pub fn ship(
    config: &Config,
    exports: &Exports,
    request: &ShipRequest,
    stop: Arc<AtomicBool>,
    notify: Notify,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Vec<ExportRun>> {
    let state = StateDir::new(&request.state_dir);
    let mut workers = Vec::new();
    for export in exports.enabled() {
        workers.push(Worker::new(
            config,
            export,
            &state,
            request,
            Arc::clone(&notify),
            Arc::clone(&clock),
        )?);
    }
    let healths: Vec<_> = workers.iter().map(|w| Arc::clone(&w.ctx.health)).collect();
    let metrics = match request.metrics {
        Some(addr) => Some(super::metrics::serve(
            addr,
            healths,
            Arc::clone(&clock),
            Arc::clone(&stop),
        )?),
        None => None,
    };
    let handles: Vec<_> = workers
        .into_iter()
        .map(|worker| {
            let stop = Arc::clone(&stop);
            let once = request.once;
            std::thread::Builder::new()
                .name(format!("ship-{}", worker.ctx.export.name))
                .spawn(move || worker.run(&stop, once))
        })
        .collect::<Result<_, _>>()
        .context("cannot start an export thread")?;
    let mut runs = Vec::new();
    let mut first_error = None;
    for handle in handles {
        match handle.join() {
            Ok(Ok(run)) => runs.push(run),
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(_) => {
                first_error.get_or_insert(anyhow::anyhow!("an export thread panicked"));
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(handle) = metrics {
        let _ = handle.join();
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(runs),
    }
}

/// One export at work.
struct Worker {
    ctx: ExportContext,
    sources: Vec<Box<dyn Source>>,
    destination: Box<dyn Destination>,
    selection: Selection,
    run: ExportRun,
}

impl Worker {
    fn new(
        config: &Config,
        export: &Export,
        state: &StateDir,
        request: &ShipRequest,
        notify: Notify,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Worker> {
        let destination: Box<dyn Destination> = match &export.destination {
            Target::Https(_) => Box::new(HttpsDestination::for_export(export, request.timeout)?),
            Target::Kafka(_) => Box::new(KafkaDestination::for_export(export, request.timeout)?),
        };
        let positions: Positions = state
            .load(&state.positions_file(&export.name))?
            .unwrap_or_default();
        let mut health: Health = state
            .load(&state.health_file(&export.name))?
            .unwrap_or_default();
        health.export = export.name.clone();
        health.destination = destination.describe();
        let (paths, journal_types) = export_paths(config, export);
        let mut sources: Vec<Box<dyn Source>> = Vec::new();
        for path in paths {
            let name = format!("file:{}", path.display());
            let source = FileSource::open(&path, positions.sources.get(&name), export.start)
                .with_context(|| {
                    format!("export {}: cannot read {}", export.name, path.display())
                })?;
            sources.push(Box::new(source));
        }
        if !journal_types.is_empty() {
            let trust = crate::Trust::from_config(config)?;
            let source = JournalSource::open(
                &journal_types,
                trust,
                positions.sources.get("journal"),
                export.start,
            )
            .with_context(|| format!("export {}: cannot read the journal", export.name))?;
            sources.push(Box::new(source));
        }
        let ctx = ExportContext {
            export: export.clone(),
            health: Arc::new(Mutex::new(health)),
            clock,
            notify,
            state: state.clone(),
            saved: Mutex::new(None),
            positions: Mutex::new(None),
        };
        Ok(Worker {
            selection: Selection::of(export),
            run: ExportRun {
                export: export.name.clone(),
                journal_types,
                ..ExportRun::default()
            },
            ctx,
            sources,
            destination,
        })
    }

    fn run(mut self, stop: &AtomicBool, once: bool) -> anyhow::Result<ExportRun> {
        self.note_lost();
        // Where each source starts is saved at once: a source started at
        // `now` must not move on to a later `now` next time.
        save_positions(&self.ctx, &mut self.sources)?;
        loop {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let batch = match self.collect(stop, once) {
                Ok(Some(batch)) => batch,
                Ok(None) => break,
                Err(e) if once => {
                    self.ctx.save_health();
                    return Err(e);
                }
                Err(e) => {
                    let now = self.ctx.now();
                    self.ctx.with_health(|h| {
                        h.last_error = Some(format!("{e:#}"));
                        h.last_error_us = Some(now);
                    });
                    self.ctx.save_health_soon();
                    if delivery::sleep_unless_stopped(Duration::from_secs(1), stop).is_err() {
                        break;
                    }
                    continue;
                }
            };
            if !batch.is_empty() {
                let dead_before = self.ctx.with_health(|h| h.dead_lettered);
                let (ctx, sources) = (&self.ctx, &mut self.sources);
                let mut on_wait = || {
                    // Keep files that rotate during an outage open, and
                    // their list saved, so pruning does not lose them.
                    for source in sources.iter_mut() {
                        let _ = source.refresh();
                    }
                    update_lag(ctx, sources);
                    let _ = save_positions(ctx, sources);
                };
                let delivered = delivery::deliver(
                    &self.ctx,
                    self.destination.as_mut(),
                    &batch,
                    stop,
                    &mut on_wait,
                );
                if delivered == Err(Stopped) {
                    break;
                }
                let dead = self.ctx.with_health(|h| h.dead_lettered) - dead_before;
                self.run.dead_lettered += dead;
                self.run.records += batch.len() as u64 - dead;
            }
            self.commit(&batch)?;
            self.tick();
            if once && batch.is_empty() {
                break;
            }
        }
        self.update_lag();
        self.ctx.save_health();
        Ok(self.run)
    }

    /// Reads a batch: until it is full, or nothing more came for
    /// `_BATCH_MAX_WAIT` after its first record (with `once`, until nothing
    /// more is there). `None` when stopped before anything was read.
    fn collect(&mut self, stop: &AtomicBool, once: bool) -> anyhow::Result<Option<Batch>> {
        let (max_records, max_bytes, max_wait) = (
            self.ctx.export.batch_records,
            self.ctx.export.batch_bytes,
            self.ctx.export.batch_wait,
        );
        let mut batch = Batch::new(self.sources.len());
        let mut line = Vec::new();
        // Look for new files before each batch: a shipper that lags keeps
        // reading and would otherwise not see files rotated meanwhile.
        for source in &mut self.sources {
            source
                .refresh()
                .with_context(|| format!("cannot read {}", source.name()))?;
        }
        self.note_lost();
        let mut refreshed = true;
        loop {
            let mut read_any = false;
            for (i, source) in self.sources.iter_mut().enumerate() {
                while batch.len() < max_records && batch.bytes() < max_bytes {
                    let Some(mark) = source
                        .read_line(&mut line)
                        .with_context(|| format!("cannot read {}", source.name()))?
                    else {
                        break;
                    };
                    read_any = true;
                    batch.marks[i] = Some(mark);
                    match self.selection.judge(&line) {
                        Verdict::Selected => batch.push(&line),
                        Verdict::Skipped => {}
                        Verdict::Unreadable => self.ctx.with_health(|h| h.unreadable += 1),
                    }
                }
            }
            let full = batch.len() >= max_records || batch.bytes() >= max_bytes;
            if full {
                return Ok(Some(batch));
            }
            if read_any {
                refreshed = false;
                continue;
            }
            if !refreshed {
                for source in &mut self.sources {
                    source
                        .refresh()
                        .with_context(|| format!("cannot read {}", source.name()))?;
                }
                self.note_lost();
                refreshed = true;
                continue;
            }
            let waited = batch.started.is_some_and(|t| t.elapsed() >= max_wait);
            // Lines read but none selected: commit them now.
            let passed_over = batch.is_empty() && batch.marks.iter().any(Option::is_some);
            if once || waited || passed_over {
                return Ok(Some(batch));
            }
            if batch.is_empty() {
                self.tick();
            }
            if stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            std::thread::sleep(POLL.min(max_wait));
            refreshed = false;
        }
    }

    /// Commits every source to the end of `batch` and saves the positions.
    fn commit(&mut self, batch: &Batch) -> anyhow::Result<()> {
        let mut moved = false;
        for (source, mark) in self.sources.iter_mut().zip(&batch.marks) {
            if let Some(mark) = mark {
                source.commit(*mark);
                moved = true;
            }
        }
        if !moved {
            return Ok(());
        }
        save_positions(&self.ctx, &mut self.sources)
    }

    /// Health upkeep: lag, alerts, the health file.
    fn tick(&mut self) {
        let due = self
            .ctx
            .saved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none_or(|at| at.elapsed() >= HEALTH_EVERY);
        if due {
            self.update_lag();
            self.ctx.alert_tick();
            self.ctx.save_health();
            if let Err(e) = save_positions(&self.ctx, &mut self.sources) {
                self.ctx
                    .with_health(|h| h.last_error = Some(format!("{e:#}")));
            }
        }
    }

    fn update_lag(&mut self) {
        update_lag(&self.ctx, &mut self.sources);
    }

    /// Reports what the sources found lost since the last look.
    fn note_lost(&mut self) {
        for source in &mut self.sources {
            let Some(lost) = source.take_lost() else {
                continue;
            };
            self.run.lost_records += lost.records;
            self.run.lost_files += lost.files;
            self.ctx.with_health(|h| {
                h.lost_files += lost.files;
                h.lost_bytes += lost.bytes;
                h.lost_records += lost.records;
            });
            let export = &self.ctx.export.name;
            (self.ctx.notify)(Notice {
                action: "export_records_lost",
                fields: vec![
                    ("action".to_string(), Value::from("export_records_lost")),
                    ("export".to_string(), Value::from(export.clone())),
                    ("source".to_string(), Value::from(source.name().to_string())),
                    ("lost_files".to_string(), Value::from(lost.files)),
                    ("lost_bytes".to_string(), Value::from(lost.bytes)),
                    ("lost_records".to_string(), Value::from(lost.records)),
                ],
                message: format!(
                    "export {export}: {} records ({} bytes in {} files) of {} were deleted by rotation before they were shipped",
                    lost.records,
                    lost.bytes,
                    lost.files,
                    source.name()
                ),
            });
        }
    }
}

/// Measures what waits in `sources` into the health.
fn update_lag(ctx: &ExportContext, sources: &mut [Box<dyn Source>]) {
    let (mut records, mut bytes, mut oldest) = (0, 0, None::<i64>);
    for source in sources.iter_mut() {
        let Ok(lag) = source.lag() else {
            continue;
        };
        records += lag.records;
        bytes += lag.bytes;
        let created = lag.oldest.as_deref().and_then(created_at);
        oldest = match (oldest, created) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    ctx.with_health(|h| {
        h.lag_records = records;
        h.lag_bytes = bytes;
        h.oldest_waiting_us = oldest;
    });
}

/// Saves every source's state (as of its last commit, with the files it
/// knows of since).
fn save_positions(ctx: &ExportContext, sources: &mut [Box<dyn Source>]) -> anyhow::Result<()> {
    let mut positions = Positions::default();
    for source in sources.iter_mut() {
        let state = source
            .state()
            .with_context(|| format!("cannot read {}", source.name()))?;
        positions.sources.insert(source.name().to_string(), state);
    }
    let mut last = ctx.positions.lock().unwrap_or_else(PoisonError::into_inner);
    if last.as_ref() == Some(&positions) {
        return Ok(());
    }
    let path = ctx.state.positions_file(&ctx.export.name);
    ctx.state.save(&path, &positions)?;
    *last = Some(positions);
    Ok(())
}

/// The `created_at` of a stored line, in microseconds.
fn created_at(line: &[u8]) -> Option<i64> {
    let record: serde_json::Map<String, Value> = serde_json::from_slice(line).ok()?;
    crate::bundle::parse_created_at(record.get("created_at")?.as_str()?)
}

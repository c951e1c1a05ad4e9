//! A small service that logs a minute's worth of traffic in a few seconds,
//! then bundles what it wrote and prints where each log type went.
//!
//! ```text
//! cargo run --release --example demo
//! cargo run --release --example demo -- --burst --dir /tmp/demo   # serve until SIGTERM
//! ```
//!
//! It runs with `config/demo.conf`, its files under `target/logward-demo/`
//! (or `--dir`); audit records go to journald when one is running, else to
//! `audit.log` there.
//!
//! SIGTERM (or SIGINT) shuts it down as a service should: the workers finish
//! the request at hand, and dropping logward's guard writes every record
//! accepted so far before the process exits. `--burst` serves requests
//! without end until then and skips the bundle.

use std::error::Error;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use logward::Clock;

use logward::{
    Config, Destination, Emit, Level, LogType, Logward, analysis, application, audit, tanium, web,
};
use logward_cli::{BundleRequest, Bundler, RawBundleArgs};

const USERS: [(&str, &str); 4] = [
    ("u-1001", "alice"),
    ("u-1002", "bob"),
    ("u-1003", "carol"),
    ("u-1004", "dave"),
];
const REQUESTS: usize = 240;
/// Requests one worker serves at most in `--burst` mode.
const BURST_REQUESTS: usize = 50_000_000;

/// The command line: `[--burst] [--dir DIR]`.
struct Args {
    burst: bool,
    dir: Option<PathBuf>,
}

impl Args {
    fn parse() -> Result<Args, Box<dyn Error>> {
        let mut args = Args {
            burst: false,
            dir: None,
        };
        let mut given = std::env::args_os().skip(1);
        while let Some(arg) = given.next() {
            match arg.to_str() {
                Some("--burst") => args.burst = true,
                Some("--dir") => args.dir = Some(given.next().ok_or("--dir needs a path")?.into()),
                _ => {
                    return Err(format!(
                        "unknown argument {arg:?}; usage: demo [--burst] [--dir DIR]"
                    )
                    .into());
                }
            }
        }
        Ok(args)
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse()?;
    // The workspace root, where `config/` and `target/` are.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("the tool's crate sits in the workspace root")?
        .to_path_buf();
    let dir = args.dir.unwrap_or_else(|| root.join("target/logward-demo"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let config = demo_config(&root, &dir)?;
    let started = logward::SystemClock.now_micros();
    let guard = Logward::builder()
        .with_config(config.clone())
        .build()?
        .init()?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }

    let requests = if args.burst { BURST_REQUESTS } else { REQUESTS };
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || serve(w, requests, &stop))
        })
        .collect();
    let mut records = 0;
    for worker in workers {
        records += worker.join().map_err(|_| "a worker thread panicked")?;
    }
    if stop.load(Ordering::Relaxed) || args.burst {
        // Shutting down: dropping the guard writes every record accepted.
        drop(guard);
        println!("logward demo: stopped; {records} records logged, all written");
        return Ok(());
    }
    failing_job();
    records += 1;
    guard.flush();
    let stats = guard.stats();

    // Bundle today's records of every type, as support would ask for them,
    // and record the export as an audit record.
    let request = BundleRequest::from_raw(RawBundleArgs {
        date_from: Some(since(started)),
        out_file: Some(dir.join("bundle.tar.gz")),
        compress: true,
        ..RawBundleArgs::default()
    })?;
    let summary = Bundler::new(logward_cli::bundle_sources(&config, request.types())?)
        .with_config(config.render_table(), config.fingerprint())
        .run(&request)?;
    guard.emit(
        LogType::Audit,
        Level::Info,
        &logward_cli::export_record(&request, &summary),
        Some("logs exported"),
    );
    drop(guard);

    println!("logward demo: {REQUESTS} requests served by 2 workers, {records} records logged");
    println!(
        "configuration: {} (fingerprint {})",
        root.join("config/demo.conf").display(),
        config.fingerprint()
    );
    println!(
        "writers: {} records written, {} re-routed, {} dropped, {} lost",
        stats.written, stats.rerouted, stats.dropped, stats.lost
    );
    println!();
    println!("{:<12} {:>8}  written to", "log type", "records");
    for (log_type, n) in &summary.per_type {
        let sink = match &config.route(*log_type).destination {
            Destination::File { path, .. } => format!("file {}", path.display()),
            _ => format!("journald (journalctl LOG_TYPE={log_type})"),
        };
        println!("{:<12} {n:>8}  {sink}", log_type.as_str());
    }
    let bundle = dir.join("bundle.tar.gz");
    println!();
    println!(
        "bundle: {} ({} records from {} sources, {} lines skipped)",
        bundle.display(),
        summary.records,
        summary.sources.len(),
        summary.skipped
    );
    println!("list it with: tar -tzvf {}", bundle.display());
    Ok(())
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of a time in microseconds: the start of
/// this run, so the bundle holds this run's records.
fn since(micros: i64) -> String {
    let mut text = Vec::new();
    logward::record::push_rfc3339(&mut text, micros);
    String::from_utf8_lossy(&text[..19]).replace('T', " ")
}

/// `config/demo.conf` with its files moved under `dir`, and audit to a file
/// when no journald is running.
fn demo_config(root: &Path, dir: &Path) -> Result<Config, Box<dyn Error>> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    env.push(("LOGWARD_LOG_FILE".into(), dir.join("app.log").into()));
    if !logward::journald_available() {
        env.push((
            "LOGWARD_LOG_FILE_AUDIT".into(),
            dir.join("audit.log").into(),
        ));
    }
    Ok(Config::load_with_env(
        Some(&root.join("config/demo.conf")),
        env,
    )?)
}

/// One worker's share of the first `requests` requests, until `stop` is
/// set; returns how many records it logged.
fn serve(worker: usize, requests: usize, stop: &AtomicBool) -> usize {
    let mut records = 0;
    for i in (worker..requests).step_by(2) {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let (user_id, user_name) = USERS[i % USERS.len()];
        let request_id = logward::record::new_uuid().to_string();
        let span = tracing::info_span!("request", request_id = %request_id, user_id, user_name);
        let _entered = span.enter();
        let client_ip = format!("10.0.{}.{}", i % 4, 10 + i % 50);
        let proxied = i % 3 == 0;
        match i % 8 {
            0 => login(&client_ip, proxied, i % 5 != 0),
            1 => activity(&client_ip, i),
            2 => setting(&client_ip, i),
            3 => api(&client_ip, i),
            4 => {
                tanium_call(i);
                records += 1;
            }
            5 => analysis::Analysis::new(resident_mb(), "scanner", "scan finished").info(),
            6 => application::Message::new("cache refreshed").debug(),
            _ => tracing::info!(items = i % 7, "cart updated"),
        }
        let status = if i % 11 == 0 {
            500
        } else if i % 4 == 0 {
            404
        } else {
            200
        };
        let path = format!("/api/items/{}", i % 20);
        let request = web::Request::new(if i % 2 == 0 { "GET" } else { "POST" }, &path, status);
        if status >= 500 {
            request.error()
        } else {
            request.info()
        }
        // One record above (two for tanium), and the web request.
        records += 2;
    }
    records
}

fn login(client_ip: &str, proxied: bool, granted: bool) {
    let attempt = audit::LoginAttempt::new(granted, client_ip);
    let attempt = if proxied {
        attempt.forwarded_for("203.0.113.77")
    } else {
        attempt
    };
    if granted {
        attempt.message("login succeeded").info();
    } else {
        attempt.message("wrong password").warning();
    }
}

fn activity(client_ip: &str, i: usize) {
    let actions = [
        audit::Activity::Access,
        audit::Activity::Create,
        audit::Activity::Update,
        audit::Activity::Remove,
        audit::Activity::ExportJira,
    ];
    let action = actions[i % actions.len()];
    let id = format!("report-{}", i % 13);
    if i % 9 == 0 {
        audit::UserActivity::new(action, false, "report", client_ip)
            .element_id(&id)
            .denied_because("missing role: editor")
            .warning();
    } else {
        audit::UserActivity::new(action, true, "report", client_ip)
            .element_id(&id)
            .info();
    }
}

fn setting(client_ip: &str, i: usize) {
    let old = format!("{}", 30 + i % 3);
    let new = format!("{}", 45 + i % 3);
    audit::SettingChange::new(true, "session_timeout_minutes", &old, &new, client_ip)
        .element_id("tenant-4")
        .info();
}

fn api(client_ip: &str, i: usize) {
    if i % 3 == 0 {
        audit::ApiRequest::new(false, client_ip)
            .invalid_api_key("k-expired-2024")
            .denied_because("invalid api key")
            .warning();
    } else {
        audit::ApiRequest::new(true, client_ip).info();
    }
}

fn tanium_call(i: usize) {
    tanium::Operation::new("deploy package")
        .computer_group("linux-servers")
        .endpoint_id(&format!("ep-{}", i % 17))
        .info();
    let call =
        tanium::ApiRequest::new("tanium.example.internal", "/api/v2/sensors", "sensor query");
    if i % 5 == 0 {
        call.status_code(503)
            .with_error("service unavailable")
            .error();
    } else {
        call.status_code(200).info();
    }
}

/// The process's resident memory in MiB, from /proc.
fn resident_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

#[derive(Debug)]
struct ExportFailed(std::io::Error);

impl fmt::Display for ExportFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("nightly export failed")
    }
}

impl Error for ExportFailed {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}

/// A job that fails with an error chain, logged with its stacktrace.
fn failing_job() {
    let span = tracing::info_span!("job", request_id = %logward::record::new_uuid(), user_name = "scheduler");
    let _entered = span.enter();
    let error = ExportFailed(std::io::Error::new(
        std::io::ErrorKind::PermissionDenied,
        "cannot open /srv/export/out.csv",
    ));
    tracing::error!(
        error = &error as &dyn Error,
        job = "nightly-export",
        "job failed"
    );
}

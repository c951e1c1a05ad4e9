//! journald failing under a running service: stopped mid-stream and started
//! again, or not there at all at start. Records that journald cannot take
//! go to the fallback, stderr, and every record is counted in one place or
//! the other.
//!
//! The journald is a private one (a journald namespace, see
//! `util::journald::Namespace`), so stopping it leaves the journald other
//! tests use alone. The service runs in a child process (`util::child`),
//! whose standard error the test reads.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{ChildStdout, Stdio};
use std::thread;
use std::time::Duration;

use logward::Logward;
use serde_json::{Map, Value};
use tracing_subscriber::layer::SubscriberExt;

use crate::util::capture::parse_lines;
use crate::util::child;
use crate::util::journald::{Namespace, record_of};
use crate::util::unique_id;

type Record = Map<String, Value>;

/// Records logged in each phase.
const PER_PHASE: u64 = 300;

/// Variables passing the child what it needs.
const SOCKET_VAR: &str = "IT_JOURNALD_SOCKET";
const RUN_VAR: &str = "IT_RUN";

/// The child's side: a service logging everything to the journald at
/// `$IT_JOURNALD_SOCKET`, `phases` times [`PER_PHASE`] records. Before each
/// phase but the first it waits for a line on stdin; after each it flushes
/// and says `phase N done` on stdout. At the end it prints its stats.
fn service(phases: u64) {
    let run = std::env::var(RUN_VAR).expect("the run id");
    let socket = std::env::var(SOCKET_VAR).expect("the journald socket");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!("LOG_LEVEL=info\nLOG_SYSLOG_IDENTIFIER=logward-{run}\n"),
    )
    .expect("write the configuration");
    let (layer, guard) = Logward::builder()
        .with_config_path(&config)
        .with_journald_socket(socket)
        .with_panic_hook(false)
        .build()
        .expect("logward builds")
        .into_parts();
    let subscriber = tracing_subscriber::registry().with(layer);
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    tracing::subscriber::with_default(subscriber, || {
        for phase in 1..=phases {
            if phase > 1 {
                let mut go = String::new();
                stdin.read_line(&mut go).expect("read from the test");
            }
            for n in 0..PER_PHASE {
                tracing::info!(test_run = run.as_str(), phase, n, "record {phase}.{n}");
            }
            guard.flush();
            // Written to the file descriptor, past the test harness's capture.
            writeln!(stdout, "phase {phase} done").expect("tell the test");
            stdout.flush().expect("tell the test");
        }
    });
    let stats = guard.stats();
    drop(guard);
    writeln!(stdout, "rerouted {} lost {}", stats.rerouted, stats.lost).expect("tell the test");
}

/// Reads the child's stdout up to a line starting with `prefix`; returns it.
fn wait_for(stdout: &mut BufReader<ChildStdout>, prefix: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        let n = stdout
            .read_line(&mut line)
            .expect("read the child's stdout");
        assert!(n > 0, "the child ended before saying {prefix:?}");
        if line.starts_with(prefix) {
            return line.trim_end().to_string();
        }
    }
}

fn is_run(record: &Record, run: &str) -> bool {
    record.get("test_run").and_then(Value::as_str) == Some(run)
}

fn runtime_events(records: &[Record]) -> Vec<&str> {
    records
        .iter()
        .filter_map(|r| r.get("runtime_event").and_then(Value::as_str))
        .collect()
}

/// `(phase, n)` of the test's records, sorted.
fn numbers(records: &[Record], run: &str) -> Vec<(u64, u64)> {
    let mut numbers: Vec<(u64, u64)> = records
        .iter()
        .filter(|r| is_run(r, run))
        .map(|r| {
            let get = |key: &str| r[key].as_u64().expect("a number");
            (get("phase"), get("n"))
        })
        .collect();
    numbers.sort_unstable();
    numbers
}

fn phase(p: u64) -> impl Iterator<Item = (u64, u64)> {
    (0..PER_PHASE).map(move |n| (p, n))
}

#[test]
fn journald_stopped_mid_stream_and_restarted_loses_nothing() {
    if child::role().is_some() {
        return service(3);
    }
    let run = unique_id();
    let identifier = format!("logward-{run}");
    let mut journald = Namespace::start();
    let mut service = child::command(
        module_path!(),
        "journald_stopped_mid_stream_and_restarted_loses_nothing",
        "service",
    )
    .env(SOCKET_VAR, journald.socket())
    .env(RUN_VAR, &run)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start the service");
    let mut stdin = service.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(service.stdout.take().expect("stdout"));
    let mut stderr_pipe = service.stderr.take().expect("stderr");
    let stderr = thread::spawn(move || {
        let mut text = String::new();
        stderr_pipe
            .read_to_string(&mut text)
            .expect("read the child's stderr");
        text
    });

    // Phase 1 reaches journald; only once it is all in the journal is
    // journald stopped (see the README: datagrams queued in a socket that
    // journald closes are gone, as for any datagram receiver).
    wait_for(&mut stdout, "phase 1 done");
    let before = (PER_PHASE + 1) as usize;
    let logged = journald.read_back(&[("SYSLOG_IDENTIFIER", &identifier)], before);
    assert_eq!(logged.len(), before, "logging_started and phase 1");
    journald.stop();
    writeln!(stdin, "go").expect("start phase 2");
    wait_for(&mut stdout, "phase 2 done");
    // journald is back; the failed sink is retried after a second.
    journald.restart();
    thread::sleep(Duration::from_millis(1_100));
    writeln!(stdin, "go").expect("start phase 3");
    let stats = wait_for(&mut stdout, "rerouted ");
    let status = service.wait().expect("wait for the service");
    let stderr = stderr.join().expect("stderr reader");
    assert!(status.success(), "the service failed: {status}\n{stderr}");

    // stderr: the failure notice, phase 2 whole, the recovery notice.
    let fallback = parse_lines(&stderr);
    assert_eq!(
        numbers(&fallback, &run),
        phase(2).collect::<Vec<_>>(),
        "phase 2, each record once"
    );
    assert_eq!(runtime_events(&fallback), ["sink_failed", "sink_recovered"]);
    assert_eq!(fallback.len() as u64, PER_PHASE + 2, "nothing else");
    let failed = &fallback[0];
    assert_eq!(
        failed["sink"],
        format!("journald {}", journald.socket().display())
    );
    assert_eq!(failed["fallback"], "stderr");
    assert_eq!(fallback[fallback.len() - 1]["rerouted"], PER_PHASE);

    // journald: phases 1 and 3, the recovery notice, started and stopped.
    let after = (2 * PER_PHASE + 3) as usize;
    let entries = journald.read_back(&[("SYSLOG_IDENTIFIER", &identifier)], after);
    let journal: Vec<Record> = entries.iter().map(record_of).collect();
    assert_eq!(
        numbers(&journal, &run),
        phase(1).chain(phase(3)).collect::<Vec<_>>(),
        "phases 1 and 3, each record once"
    );
    assert_eq!(runtime_events(&journal), ["sink_recovered"]);
    assert_eq!(journal.len() as u64, 2 * PER_PHASE + 3, "nothing else");
    let actions: Vec<&str> = journal
        .iter()
        .filter_map(|r| r.get("action").and_then(Value::as_str))
        .collect();
    assert_eq!(actions, ["logging_started", "logging_stopped"]);
    assert_eq!(stats, format!("rerouted {PER_PHASE} lost 0"));
}

#[test]
fn no_journald_socket_at_start_sends_journald_records_to_stderr_with_one_warning() {
    if child::role().is_some() {
        return service(1);
    }
    let run = unique_id();
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("no-journald/socket");
    let output = child::command(
        module_path!(),
        "no_journald_socket_at_start_sends_journald_records_to_stderr_with_one_warning",
        "service",
    )
    .env(SOCKET_VAR, &socket)
    .env(RUN_VAR, &run)
    .output()
    .expect("run the service");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert!(output.status.success(), "{}\n{stderr}", output.status);

    let records = parse_lines(&stderr);
    assert_eq!(
        numbers(&records, &run),
        phase(1).collect::<Vec<_>>(),
        "every record once"
    );
    let warnings: Vec<&Record> = records
        .iter()
        .filter(|r| r.get("runtime_event").and_then(Value::as_str) == Some("startup_warning"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert_eq!(warnings[0]["level"], "warning");
    assert_eq!(
        warnings[0]["message"],
        format!(
            "no journald socket at {}: records for journald go to stderr",
            socket.display()
        )
    );
    let actions: Vec<&str> = records
        .iter()
        .filter_map(|r| r.get("action").and_then(Value::as_str))
        .collect();
    assert_eq!(actions, ["logging_started", "logging_stopped"]);
    assert_eq!(records.len() as u64, PER_PHASE + 3, "nothing else");
    assert!(!socket.exists());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("rerouted 0 lost 0"), "{stdout}");
}

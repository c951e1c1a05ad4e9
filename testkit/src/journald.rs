//! A real systemd-journald for the tests, and reading records back from it.
//!
//! [`ensure_running`] starts journald when none is listening by running
//! `.ci/start-journald`, the same script CI uses, once per test process. The
//! tests never skip: without a journald they fail, saying why.
//!
//! Records are read back with `journalctl --sync` then `journalctl -o json
//! --all`, filtered by a field that is unique to the test, polling until the
//! expected number of entries is there or a deadline passes.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

/// One journal entry as `journalctl -o json` prints it.
pub type JournalEntry = Map<String, Value>;

/// How long to wait for records to show up in the journal.
const DEADLINE: Duration = Duration::from_secs(10);

/// Makes sure a journald is listening on its native socket, starting one
/// with `.ci/start-journald` if needed. Panics if that fails.
pub fn ensure_running() {
    static STARTED: OnceLock<Result<(), String>> = OnceLock::new();
    let started = STARTED.get_or_init(|| {
        if logward::journald_available() {
            return Ok(());
        }
        let script = crate::workspace_root().join(".ci/start-journald");
        let output = Command::new("bash")
            .arg(&script)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !output.status.success() {
            return Err(format!(
                "{} failed ({}): {}",
                script.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        if logward::journald_available() {
            Ok(())
        } else {
            Err(format!(
                "{} succeeded but journald's socket takes no datagram",
                script.display()
            ))
        }
    });
    if let Err(why) = started {
        panic!("no journald for the tests: {why}");
    }
}

/// The journal entries matching every `FIELD=value` of `matches`, once there
/// are `expected` of them; panics if the journal still holds fewer at the
/// deadline. Returns early, with more entries than expected, if more arrive.
pub fn read_back(matches: &[(&str, &str)], expected: usize) -> Vec<JournalEntry> {
    read_back_in(None, matches, expected)
}

/// [`read_back`] from the journal of `namespace` (`None`: the default one).
fn read_back_in(
    namespace: Option<&str>,
    matches: &[(&str, &str)],
    expected: usize,
) -> Vec<JournalEntry> {
    let start = Instant::now();
    loop {
        let entries = query_in(namespace, matches);
        if entries.len() >= expected {
            return entries;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "journal {namespace:?} has {} of {expected} entries for {matches:?} after {DEADLINE:?}",
            entries.len()
        );
        thread::sleep(Duration::from_millis(100));
    }
}

/// The entries matching every `FIELD=value` of `matches` in the journal of
/// `namespace` (`None`: the default one), now.
fn query_in(namespace: Option<&str>, matches: &[(&str, &str)]) -> Vec<JournalEntry> {
    let journalctl = || {
        let mut command = Command::new("journalctl");
        if let Some(namespace) = namespace {
            command.arg(format!("--namespace={namespace}"));
        }
        command
    };
    let sync = journalctl()
        .arg("--sync")
        .output()
        .expect("run journalctl --sync");
    assert!(
        sync.status.success(),
        "journalctl --sync: {}",
        String::from_utf8_lossy(&sync.stderr)
    );
    let output = journalctl()
        .args(["--output=json", "--all", "--no-pager", "--quiet"])
        .args(
            matches
                .iter()
                .map(|(field, value)| format!("{field}={value}")),
        )
        .output()
        .expect("run journalctl");
    assert!(
        output.status.success(),
        "journalctl: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
        .stdout
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).expect("journalctl prints JSON objects"))
        .collect()
}

/// The value of `field` in `entry`, as text. journalctl prints a value that
/// is not printable UTF-8 as an array of bytes; this decodes that too.
/// `None` if the field is missing; panics if it was sent more than once.
pub fn field(entry: &JournalEntry, field: &str) -> Option<String> {
    match entry.get(field)? {
        Value::String(text) => Some(text.clone()),
        Value::Array(items) if items.iter().all(Value::is_u64) => {
            let bytes: Vec<u8> = items
                .iter()
                .filter_map(Value::as_u64)
                .map(|b| u8::try_from(b).expect("a byte"))
                .collect();
            Some(String::from_utf8(bytes).expect("UTF-8 value"))
        }
        other => panic!("field {field} is not a single value: {other}"),
    }
}

/// The record an entry carries: its `MESSAGE`, parsed as a JSON object.
pub fn record_of(entry: &JournalEntry) -> Map<String, Value> {
    let message = field(entry, "MESSAGE").expect("MESSAGE");
    match serde_json::from_str(&message) {
        Ok(Value::Object(record)) => record,
        other => panic!("MESSAGE is not a JSON object: {other:?}"),
    }
}

/// A private systemd-journald: a journald namespace of its own, started by
/// the test and stopped and restarted at will without touching the journald
/// the other tests share. It listens on `/run/systemd/journal.<name>/socket`
/// and is read with `journalctl --namespace=<name>`. Its configuration
/// (`/etc/systemd/journald@<name>.conf`) turns rate limiting off, as
/// `.ci/start-journald` does for the shared one. Dropping it stops the
/// process and removes its socket directory, journal files and
/// configuration.
pub struct Namespace {
    name: String,
    process: Option<Child>,
}

impl Namespace {
    /// Starts a journald for a new namespace and waits until it answers.
    pub fn start() -> Namespace {
        ensure_running();
        let name = format!("lwtest-{}", &super::unique_id()[..12]);
        std::fs::write(
            Namespace::conf(&name),
            "[Journal]\nStorage=volatile\nRateLimitIntervalSec=0\nRateLimitBurst=0\n\
             MaxLevelStore=debug\n",
        )
        .expect("write the namespace's journald configuration");
        let mut namespace = Namespace {
            name,
            process: None,
        };
        namespace.restart();
        namespace
    }

    /// The native protocol socket the namespace's journald listens on.
    pub fn socket(&self) -> PathBuf {
        PathBuf::from(format!("/run/systemd/journal.{}/socket", self.name))
    }

    fn conf(name: &str) -> PathBuf {
        PathBuf::from(format!("/etc/systemd/journald@{name}.conf"))
    }

    /// Stops the journald (SIGTERM, as `systemctl stop` does) and waits for
    /// it to exit. Its socket stays on disk, refusing datagrams.
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let pid = rustix::process::Pid::from_child(&process);
            rustix::process::kill_process(pid, rustix::process::Signal::TERM)
                .expect("send SIGTERM to journald");
            process.wait().expect("wait for journald to exit");
        }
    }

    /// Starts the journald again (after [`Namespace::stop`]) and waits
    /// until it answers on its socket.
    pub fn restart(&mut self) {
        assert!(self.process.is_none(), "journald is already running");
        let journald = "/lib/systemd/systemd-journald";
        let process = Command::new(journald)
            .arg(&self.name)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {journald}: {e}"));
        self.process = Some(process);
        let start = Instant::now();
        while !logward::journald_available_at(&self.socket()) {
            assert!(
                start.elapsed() < DEADLINE,
                "journald for namespace {} did not answer within {DEADLINE:?}",
                self.name
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// [`read_back`] from this namespace's journal.
    pub fn read_back(&self, matches: &[(&str, &str)], expected: usize) -> Vec<JournalEntry> {
        read_back_in(Some(&self.name), matches, expected)
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(format!("/run/systemd/journal.{}", self.name));
        let _ = std::fs::remove_file(Namespace::conf(&self.name));
        if let Ok(id) = std::fs::read_to_string("/etc/machine-id") {
            let _ =
                std::fs::remove_dir_all(format!("/run/log/journal/{}.{}", id.trim(), self.name));
        }
    }
}

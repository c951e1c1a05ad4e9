//! A real systemd-journald for the tests, and reading records back from it.
//!
//! [`ensure_running`] starts journald when none is listening by running
//! `.ci/start-journald`, the same script CI uses, once per test process. The
//! tests never skip: without a journald they fail, saying why.
//!
//! Records are read back with `journalctl --sync` then `journalctl -o json
//! --all`, filtered by a field that is unique to the test, polling until the
//! expected number of entries is there or a deadline passes.

use std::path::Path;
use std::process::Command;
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
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/start-journald");
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
    let start = Instant::now();
    loop {
        let entries = query(matches);
        if entries.len() >= expected {
            return entries;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "journal has {} of {expected} entries for {matches:?} after {DEADLINE:?}",
            entries.len()
        );
        thread::sleep(Duration::from_millis(100));
    }
}

/// The journal entries matching every `FIELD=value` of `matches`, now.
pub fn query(matches: &[(&str, &str)]) -> Vec<JournalEntry> {
    let sync = Command::new("journalctl")
        .arg("--sync")
        .output()
        .expect("run journalctl --sync");
    assert!(
        sync.status.success(),
        "journalctl --sync: {}",
        String::from_utf8_lossy(&sync.stderr)
    );
    let output = Command::new("journalctl")
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

//! The service developer's side, each case a service in a child process
//! that installs logward globally (as a service does, so that `tracing`'s
//! global maximum level and the `log` bridge are those of that one
//! runtime) and writes every type to a file the parent reads back.

mod backtrace;
mod compose;
mod consumer;
mod http;
mod log_bridge;
mod named_fields;
mod panic_context;
mod span_levels;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Map, Value};

use crate::util::capture::parse_lines;
use crate::util::child;

/// The variable giving the child its directory.
const DIR_VAR: &str = "IT_DIR";

/// The child's side: the directory the parent gave, with `dir/config`
/// routing every type to `dir/app.log` at `level` written.
pub fn child_config(level: &str) -> PathBuf {
    let dir = PathBuf::from(std::env::var(DIR_VAR).expect("the test's directory"));
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "LOG_LEVEL={level}\nLOG_LEVEL_AUDIT={level}\nLOG_FILE={0}\nLOG_FILE_AUDIT={0}\n",
            dir.join("app.log").display()
        ),
    )
    .expect("write the configuration");
    config
}

/// Runs test `name` of `module` as the child playing `role`, in `dir`,
/// with `env` set, and returns its output after asserting it succeeded.
pub fn run(module: &str, name: &str, role: &str, dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut command: Command = child::command(module, name, role);
    command.env(DIR_VAR, dir).env_remove("RUST_LOG");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("run the child");
    assert!(
        output.status.success(),
        "child {name} ({role}) failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The records the child wrote, without `logging_started`/`logging_stopped`.
pub fn records(dir: &Path) -> Vec<Map<String, Value>> {
    let text = std::fs::read_to_string(dir.join("app.log")).expect("the log file");
    parse_lines(&text)
        .into_iter()
        .filter(|r| {
            !matches!(
                r.get("action").and_then(Value::as_str),
                Some("logging_started" | "logging_stopped")
            )
        })
        .collect()
}

/// The string value of `key`, or "" when absent.
pub fn text<'a>(record: &'a Map<String, Value>, key: &str) -> &'a str {
    record.get(key).and_then(Value::as_str).unwrap_or("")
}

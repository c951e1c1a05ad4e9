//! Running a test's service in a child process, for what one process cannot
//! observe of itself: its standard error, its exit after a panic, a SIGKILL.
//!
//! The test binary runs itself again with only that test selected and
//! [`ROLE_VAR`] set. The test then sees [`role`] and plays the service
//! instead of the checker; the checking half, in the parent, reads what the
//! child left behind.

use std::process::Command;

/// The variable telling a child which part it plays. Not `LOGWARD_*`: those
/// are configuration overrides.
const ROLE_VAR: &str = "IT_CHILD_ROLE";

/// The part this process plays, when it was started by [`command`].
pub fn role() -> Option<String> {
    std::env::var(ROLE_VAR).ok()
}

/// A command running only the test `name` (a function in the module whose
/// `module_path!()` is `module`) of this test binary, as `role`.
pub fn command(module: &str, name: &str, role: &str) -> Command {
    // `module_path!()` starts with the crate's name; test names do not.
    let path = module.split_once("::").map_or(module, |(_, rest)| rest);
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .arg(format!("{path}::{name}"))
        .args(["--exact", "--test-threads=1", "--quiet", "--nocapture"])
        .env(ROLE_VAR, role);
    command
}

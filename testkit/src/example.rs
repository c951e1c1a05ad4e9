//! Building the examples that tests run as real processes.
//!
//! `cargo test` builds the examples, but `cargo test --test tests NAME` does
//! not, so [`build`] runs `cargo build --example NAME` itself (a no-op when
//! it is up to date), with the profile and target directory of this test
//! binary, and returns the example's path.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// The path of example `name`, built first.
pub fn build(name: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    if let Some(path) = built.get(name) {
        return path.clone();
    }
    // This binary is <target>/<profile>/deps/tests-<hash>.
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary is in <target>/<profile>/deps");
    let target_dir = profile_dir.parent().expect("the target directory");
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .current_dir(crate::workspace_root())
        .args([
            "build",
            "--quiet",
            "--workspace",
            "--example",
            name,
            "--target-dir",
        ])
        .arg(target_dir);
    if profile_dir.ends_with("release") {
        cargo.arg("--release");
    }
    let output = cargo.output().expect("run cargo");
    assert!(
        output.status.success(),
        "cargo build --example {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let path = profile_dir.join("examples").join(name);
    assert!(path.is_file(), "{} was not built", path.display());
    built.insert(name.to_string(), path.clone());
    path
}

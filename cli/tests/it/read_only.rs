//! Commands that only read (`config check`, `bundle`, and `emit` for the
//! types it does not write) create no directory and no file: the
//! temporary directory is listed, recursively, before and after.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::cli::{logward, stderr, stdout};

/// Every path under `dir`.
fn tree(dir: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("list") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path.clone());
            }
            found.insert(path);
        }
    }
    found
}

fn write_config(dir: &Path, text: &str) -> String {
    let path = dir.join("config");
    fs::write(&path, text).expect("write the configuration");
    path.display().to_string()
}

#[test]
fn config_check_creates_nothing_and_tells_what_a_start_would_create() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let app = tmp.path().join("new/logs/app.log");
    let audit = tmp.path().join("audit.log");
    let config = write_config(
        tmp.path(),
        &format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_FILE_AUDIT={}\n",
            app.display(),
            audit.display()
        ),
    );
    let before = tree(tmp.path());

    let out = logward(&["config", "check", "--config", &config], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(tree(tmp.path()), before, "config check created something");
    let text = stdout(&out);
    let new = tmp.path().join("new");
    for line in [
        format!(
            "a start would create directory {} (mode 0750)",
            new.display()
        ),
        format!(
            "a start would create directory {} (mode 0750)",
            new.join("logs").display()
        ),
        format!(
            "a start would create file      {} (mode 0640)",
            app.display()
        ),
        format!(
            "a start would create file      {} (mode 0640)",
            audit.display()
        ),
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in:\n{text}");
    }
}

#[test]
fn config_check_reports_a_sink_it_cannot_use_as_exit_1_not_an_invalid_configuration() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let shared = tmp.path().join("shared");
    fs::create_dir(&shared).expect("mkdir");
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).expect("chmod");
    let web = shared.join("web.log");
    // The real user nobody creates the web log before the service does.
    let planted = Command::new("su")
        .args(["-s", "/bin/sh", "nobody", "-c"])
        .arg(format!("umask 022; : > {}", web.display()))
        .status()
        .expect("su runs");
    assert!(planted.success());
    let config = write_config(
        tmp.path(),
        &format!("LOG_LEVEL=info\nLOG_FILE_WEB={}\n", web.display()),
    );

    let out = logward(&["config", "check", "--config", &config], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("fingerprint:"), "{}", stdout(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "logward: cannot use a file sink: {config}:2: LOG_FILE_WEB=\"{0}\": refusing {0}: \
             owned by nobody (uid 65534), mode 0644; required: a regular file owned by root \
             (uid 0) or by the directory's owner, not writable by group or others\n",
            web.display()
        )
    );

    // Starting (here `emit`) with that sink is a runtime failure too.
    let out = logward(
        &[
            "emit",
            "--config",
            &config,
            "--log-type",
            "web",
            "--level",
            "info",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot use the log files, 1 problem:"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read(&web).expect("read"), b"", "nothing written to it");
}

#[test]
fn emit_opens_only_the_sink_of_the_type_it_emits() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let app = tmp.path().join("app/app.log");
    let audit = tmp.path().join("audit/audit.log");
    let config = write_config(
        tmp.path(),
        &format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_FILE_AUDIT={}\n",
            app.display(),
            audit.display()
        ),
    );
    let out = logward(
        &[
            "emit",
            "--config",
            &config,
            "--log-type",
            "audit",
            "--level",
            "info",
            "action=access",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = fs::read_to_string(&audit).expect("the audit log");
    assert_eq!(written.lines().count(), 1, "{written}");
    assert!(
        !tmp.path().join("app").exists(),
        "emit created the application log's directory"
    );
}

#[test]
fn bundle_creates_no_file_or_directory_of_the_sinks_it_reads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let app = tmp.path().join("app/app.log");
    let config = write_config(
        tmp.path(),
        &format!("LOG_LEVEL=info\nLOG_FILE={}\n", app.display()),
    );
    let before = tree(tmp.path());
    let out = logward(
        &["bundle", "--config", &config, "--log-type", "application"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(tree(tmp.path()), before, "bundle created something");
}

//! `logward config reload` signalling a real process, and `config check`'s
//! `--strict` and value sources.

use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::cli::{logward, stderr, stdout};

/// Waits until `path` holds `text`, for at most 30 seconds.
fn wait_for_text(path: &Path, text: &str) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if std::fs::read_to_string(path).is_ok_and(|t| t.contains(text)) {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn config_reload_sends_sighup_to_the_pid_and_refuses_both_or_neither_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ready, seen) = (dir.path().join("ready"), dir.path().join("seen"));
    // A process that writes down each SIGHUP it gets, instead of dying.
    let mut service = Command::new("sh")
        .arg("-c")
        .arg(r#"trap 'echo hup >> "$SEEN"' HUP; echo up > "$READY"; while :; do sleep 0.05; done"#)
        .env("READY", &ready)
        .env("SEEN", &seen)
        .stdout(Stdio::null())
        .spawn()
        .expect("start the process");
    assert!(wait_for_text(&ready, "up"), "the process set its trap");
    let pid = service.id().to_string();

    let out = logward(&["config", "reload", "--pid", &pid], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("sent SIGHUP to pid {pid}")),
        "{}",
        stdout(&out)
    );
    assert!(wait_for_text(&seen, "hup"), "the process got SIGHUP");

    for args in [
        &["config", "reload"][..],
        &["config", "reload", "--pid", &pid, "--unit", "shop.service"],
        &["config", "reload", "--pid", "0"],
        &["config", "reload", "--pid", "-1"],
    ] {
        let out = logward(args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(
        std::fs::read_to_string(&seen)
            .expect("seen")
            .lines()
            .count(),
        1,
        "a refused command line signals nothing"
    );

    service.kill().expect("stop the process");
    service.wait().expect("reap the process");
    let gone = logward(&["config", "reload", "--pid", &pid], None);
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        stderr(&gone).contains(&format!("cannot send SIGHUP to pid {pid}: no such process")),
        "{}",
        stderr(&gone)
    );
}

#[test]
fn config_reload_unit_names_the_unit_when_systemd_cannot_tell_its_main_process() {
    // Where systemd is not the init system `systemctl show` fails; with
    // systemd, a unit that does not exist has no main process.
    let out = logward(
        &["config", "reload", "--unit", "logward-no-such-unit.service"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("systemctl show logward-no-such-unit.service failed")
            || text.contains("unit logward-no-such-unit.service has no main process running"),
        "{text}"
    );
}

#[test]
fn config_check_strict_refuses_unknown_keys_and_shows_where_each_value_came_from() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config");
    let log = dir.path().join("app.log");
    std::fs::write(
        &config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_ROTATE_DAYLY=true\nLOG_API_PASSWORD=hunter2\n",
            log.display()
        ),
    )
    .expect("write the configuration");
    let path = config.display().to_string();
    let run = |strict: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_logward"));
        command
            .args(["--config", &path, "config", "check"])
            .env_remove("LOGWARD_CONFIG")
            .env("LOGWARD_LOG_SYNC", "always");
        if strict {
            command.arg("--strict");
        }
        command.output().expect("logward runs")
    };

    let lenient = run(false);
    assert_eq!(lenient.status.code(), Some(0), "{}", stderr(&lenient));
    let strict = run(true);
    assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));
    let errors = stderr(&strict);
    for key in ["LOG_ROTATE_DAYLY", "LOG_API_PASSWORD"] {
        assert!(
            errors.contains(&format!("logward: error (--strict): {path}:")) && errors.contains(key),
            "{key}: {errors}"
        );
    }
    assert!(!errors.contains("hunter2"), "{errors}");

    let shown = stdout(&strict);
    assert_eq!(
        shown,
        stdout(&lenient),
        "--strict changes only the exit code"
    );
    assert!(!shown.contains("hunter2"), "{shown}");
    let row = |key: &str| {
        shown
            .lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| panic!("no row for {key}:\n{shown}"))
    };
    assert_eq!(row("LOG_LEVEL"), format!("LOG_LEVEL info {path}:1"));
    assert_eq!(
        row("LOG_FILE"),
        format!("LOG_FILE {} {path}:2", log.display())
    );
    assert_eq!(
        row("LOG_SYNC"),
        "LOG_SYNC always environment variable LOGWARD_LOG_SYNC"
    );
    assert_eq!(row("LOG_QUEUE_SIZE"), "LOG_QUEUE_SIZE 65536 default");
    assert_eq!(
        row("LOG_API_PASSWORD"),
        format!("LOG_API_PASSWORD (not shown) {path}:4")
    );
    // A key set under a wrong name is not applied: the right one is at
    // its default.
    assert_eq!(
        row("LOG_ROTATE_DAYLY"),
        format!("LOG_ROTATE_DAYLY (not shown) {path}:3")
    );
    assert_eq!(row("LOG_ROTATE_DAILY"), "LOG_ROTATE_DAILY false default");
}

//! A log path that another user could have planted or redirected is never
//! written: a symbolic link, a FIFO or a device at the path, a file of
//! another user (a real one, `nobody`), a file or directory others may
//! write. At start the runtime refuses to build, naming the path, what was
//! found and what is required; while running, a file replaced by such a
//! path is refused and its records go to the fallback (the real journald),
//! counted.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::util::capture::parse_lines;
use crate::util::journald::{ensure_running, read_back, record_of};
use crate::util::{runtime, unique_id};
use logward::{ErrorKind, Logward};

/// Writes `dir/config` routing every type to `log`.
fn config_for(dir: &Path, log: &Path, extra: &str) -> PathBuf {
    let config = dir.join("config");
    fs::write(
        &config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={0}\nLOG_FILE_AUDIT={0}\n{extra}",
            log.display()
        ),
    )
    .expect("write the configuration");
    config
}

/// Builds the runtime from `config` on another thread; its error, or a
/// panic if building took longer than `deadline` (it blocked) or worked.
fn start_error(config: PathBuf, deadline: Duration) -> logward::Error {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let built = Logward::builder()
            .with_config_path(&config)
            .with_panic_hook(false)
            .build()
            .map(drop);
        let _ = tx.send(built);
    });
    match rx.recv_timeout(deadline) {
        Ok(Err(error)) => error,
        Ok(Ok(())) => panic!("the runtime started on a path it must refuse"),
        Err(_) => panic!("starting the runtime blocked for {deadline:?}"),
    }
}

/// Runs `command` as the real user `nobody`.
fn as_nobody(command: &str) {
    let status = Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "sh",
            "-c",
            command,
        ])
        .status()
        .expect("setpriv runs");
    assert!(status.success(), "as nobody: {command}");
}

#[test]
fn a_link_a_fifo_or_a_device_at_the_log_path_is_refused_at_start_never_followed_or_blocked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let victim = tmp.path().join("victim");
    fs::write(&victim, "precious\n").expect("write the victim");

    let link = tmp.path().join("link.log");
    std::os::unix::fs::symlink(&victim, &link).expect("symlink");
    let fifo = tmp.path().join("fifo.log");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());

    for (log, found) in [
        (link, "a symbolic link"),
        (fifo, "a FIFO"),
        (PathBuf::from("/dev/null"), "a character device"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = config_for(dir.path(), &log, "");
        let error = start_error(config, Duration::from_secs(20));
        assert_eq!(error.kind(), ErrorKind::Sink, "{error}");
        let message = error.to_string();
        assert!(
            message.starts_with("cannot use the log files, 1 problem:\n"),
            "{message}"
        );
        assert!(
            message.contains(&format!(
                "refusing {}: {found}; required: a regular file",
                log.display()
            )),
            "{message}"
        );
    }
    assert_eq!(fs::read_to_string(&victim).expect("read"), "precious\n");
}

#[test]
fn a_log_file_of_another_user_or_writable_by_others_is_refused_at_start() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).expect("chmod");

    // A shared, sticky directory: nobody plants the file before the service
    // starts.
    let shared = tmp.path().join("shared");
    fs::create_dir(&shared).expect("mkdir");
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).expect("chmod");
    let planted = shared.join("planted.log");
    as_nobody(&format!("umask 022; echo planted > {}", planted.display()));
    let error = start_error(
        config_for(tmp.path(), &planted, ""),
        Duration::from_secs(20),
    );
    assert!(
        error.to_string().contains(&format!(
            "refusing {}: owned by nobody (uid 65534), mode 0644; required: a regular file \
             owned by root (uid 0) or by the directory's owner, not writable by group or others",
            planted.display()
        )),
        "{error}"
    );
    assert_eq!(fs::read_to_string(&planted).expect("read"), "planted\n");

    // Root's own file, but writable by everyone.
    let open = tmp.path().join("open.log");
    fs::write(&open, "").expect("write");
    fs::set_permissions(&open, fs::Permissions::from_mode(0o666)).expect("chmod");
    let error = start_error(config_for(tmp.path(), &open, ""), Duration::from_secs(20));
    assert!(
        error.to_string().contains(&format!(
            "refusing {}: owned by root (uid 0), mode 0666; required:",
            open.display()
        )),
        "{error}"
    );
    assert_eq!(fs::read(&open).expect("read"), b"");

    // A directory everyone may write, without the sticky bit.
    let public = tmp.path().join("public");
    fs::create_dir(&public).expect("mkdir");
    fs::set_permissions(&public, fs::Permissions::from_mode(0o777)).expect("chmod");
    let log = public.join("app.log");
    let error = start_error(config_for(tmp.path(), &log, ""), Duration::from_secs(20));
    assert!(
        error.to_string().contains(&format!(
            "refusing {}: a directory of mode 0777 (owned by root (uid 0)) lets other users \
             replace the log file; required: a directory not writable by group or others, or \
             with the sticky bit",
            public.display()
        )),
        "{error}"
    );
    assert!(!log.exists(), "nothing was created in the public directory");
}

#[test]
fn a_log_file_replaced_by_a_symbolic_link_while_running_is_refused_and_its_records_rerouted() {
    ensure_running();
    let run = unique_id();
    let identifier = format!("logward-trust-{run}");
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("app.log");
    let moved = tmp.path().join("app.log.moved");
    let victim = tmp.path().join("victim");
    fs::write(&victim, "").expect("write the victim");
    let config = config_for(
        tmp.path(),
        &log,
        &format!("LOG_SYSLOG_IDENTIFIER={identifier}\n"),
    );

    let (dispatch, guard) = runtime(&config);
    const BEFORE: u64 = 50;
    const AFTER: u64 = 50;
    let stats = tracing::dispatcher::with_default(&dispatch, || {
        for n in 0..BEFORE {
            tracing::info!(test_run = run.as_str(), n, "before");
        }
        guard.flush();
        // Someone moves the log away and leaves a link to another file.
        fs::rename(&log, &moved).expect("move the log");
        std::os::unix::fs::symlink(&victim, &log).expect("plant a link");
        for n in BEFORE..BEFORE + AFTER {
            tracing::info!(test_run = run.as_str(), n, "after");
        }
        guard.flush();
        guard.stats()
    });
    drop(guard);

    assert_eq!(
        fs::read(&victim).expect("read the victim"),
        b"",
        "never followed"
    );
    let ours = |text: &str| -> Vec<u64> {
        parse_lines(text)
            .iter()
            .filter(|r| r.get("test_run").and_then(Value::as_str) == Some(run.as_str()))
            .filter_map(|r| r["n"].as_u64())
            .collect()
    };
    let in_file = ours(&fs::read_to_string(&moved).expect("read the moved log"));
    assert_eq!(in_file, (0..BEFORE).collect::<Vec<_>>());
    assert_eq!(stats.rerouted, AFTER, "{stats:?}");
    assert_eq!((stats.dropped, stats.lost), (0, 0), "{stats:?}");

    // The journal: the failure notice naming the link, the re-routed records
    // once each, and logging_stopped (logging_started is in the file).
    let expected = AFTER as usize + 2;
    let entries = read_back(&[("SYSLOG_IDENTIFIER", &identifier)], expected);
    let records: Vec<_> = entries.iter().map(record_of).collect();
    let mut numbers: Vec<u64> = records
        .iter()
        .filter(|r| r.get("test_run").and_then(Value::as_str) == Some(run.as_str()))
        .filter_map(|r| r["n"].as_u64())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (BEFORE..BEFORE + AFTER).collect::<Vec<_>>());
    assert_eq!(records.len(), expected, "{records:?}");
    let failed = records
        .iter()
        .find(|r| r.get("runtime_event").and_then(Value::as_str) == Some("sink_failed"))
        .expect("a sink_failed record");
    let error = failed["error"].as_str().unwrap_or("");
    assert!(
        error.contains(&format!("refusing {}: a symbolic link", log.display())),
        "{error}"
    );
}

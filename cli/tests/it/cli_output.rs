//! Every `logward` command that prints, with its stdout closed before it
//! writes (`| head -1` that already went away) and with a full stdout
//! (`> /dev/full`): a closed stdout ends quietly with exit 0, a full one is
//! exit 1 with the reason, and nothing panics — also with a full stderr.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::cli::stderr;

/// The commands that print on stdout, with a configuration in `dir`.
fn printing_commands(dir: &Path) -> Vec<Vec<String>> {
    let conf = dir.join("c.conf");
    let log = dir.join("app.log");
    std::fs::write(
        &conf,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={0}\nLOG_FILE_AUDIT={0}\n",
            log.display()
        ),
    )
    .expect("config");
    let mut records = String::new();
    for n in 0..5000 {
        records.push_str(&format!(
            "{{\"id\":\"00000000-0000-4000-8000-{n:012}\",\"created_at\":\"2026-11-20T10:00:00.{n:06}Z\",\
             \"hostname\":\"h\",\"level\":\"info\",\"log_type\":\"web\",\"pid\":1,\"message\":\"m\"}}\n"
        ));
    }
    std::fs::write(&log, records).expect("log");
    let conf = conf.display().to_string();
    let man_dir = dir.join("man");
    std::fs::create_dir_all(&man_dir).expect("man dir");
    let man_dir = man_dir.display().to_string();
    [
        vec!["config", "check", "--config", &conf],
        vec!["completions", "bash"],
        vec!["man"],
        vec!["man", "--out-dir", &man_dir],
        vec!["--help"],
        vec!["bundle", "--help"],
        vec!["--version"],
        vec![
            "bundle",
            "--config",
            &conf,
            "--log-type",
            "web",
            "--date-to",
            "2026-11-21",
        ],
    ]
    .into_iter()
    .map(|args| args.into_iter().map(String::from).collect())
    .collect()
}

fn run(args: &[String], stdout: Stdio, stderr: Stdio) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logward"))
        .args(args)
        .env_remove("LOGWARD_CONFIG")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .output()
        .expect("logward runs")
}

#[test]
fn a_closed_stdout_ends_every_printing_command_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in printing_commands(dir.path()) {
        // The reading end is closed before the command starts, as a
        // `| head -1` that has finished.
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = run(&args, Stdio::from(writer), Stdio::piped());
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}: nothing to say");
    }
}

#[test]
fn a_full_stdout_is_exit_1_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in printing_commands(dir.path()) {
        let full = File::options()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = run(&args, Stdio::from(full), Stdio::piped());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("cannot write to stdout") && err.contains("No space left on device"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_full_stderr_changes_no_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.conf");
    std::fs::write(&bad, "LOG_LEVEL=verbose\nLOG_ROTATE_DAYLY=true\n").expect("config");
    let bad = bad.display().to_string();
    let emit_conf = dir.path().join("emit.conf");
    std::fs::write(
        &emit_conf,
        format!("LOG_LEVEL=info\nLOG_FILE={}/e.log\n", dir.path().display()),
    )
    .expect("config");
    let emit_conf = emit_conf.display().to_string();
    for (args, code) in [
        (vec!["config", "check", "--config", bad.as_str()], 2),
        (vec!["bundle", "--date-from", "last week"], 2),
        (vec!["no-such-command"], 2),
        (
            vec![
                "emit",
                "--config",
                emit_conf.as_str(),
                "--log-type",
                "web",
                "--level",
                "debug",
                "x=1",
            ],
            0,
        ),
    ] {
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        let full = File::options()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = run(&args, Stdio::piped(), Stdio::from(full));
        assert_eq!(out.status.code(), Some(code), "{args:?}");
    }
}

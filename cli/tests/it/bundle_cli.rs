//! `logward bundle` as an operator runs it: what it refuses to write over,
//! and the `logs_exported` audit record that every export leaves.

use std::fs;
use std::path::Path;

use super::cli::{logward, stderr};

/// A configuration with two file sinks in `dir`: audit to `audit.log`
/// (with a rotated sibling), everything else to `app.log`; each holds a
/// line. Returns the configuration's path.
fn two_file_sinks(dir: &Path) -> String {
    let conf = dir.join("c.conf");
    fs::write(
        &conf,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={0}/app.log\nLOG_FILE_AUDIT={0}/audit.log\nLOG_ROTATE_DAILY_AUDIT=true\n",
            dir.display()
        ),
    )
    .expect("config");
    for name in ["audit.log", "audit.log.2026-01-01", "app.log"] {
        fs::write(dir.join(name), format!("{name}: evidence\n")).expect("log file");
    }
    conf.display().to_string()
}

#[test]
fn out_file_refuses_every_configured_log_file_for_any_selection_even_with_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = two_file_sinks(dir.path());
    let d = dir.path().display();
    let targets = [
        format!("{d}/audit.log"),
        format!("{d}/audit.log.2026-01-01"),
        format!("{d}/audit.log.2031-05-05"),
        format!("{d}/audit.log.2026-01-01.1"),
        format!("{d}/app.log"),
        format!(
            "{d}/../{}/app.log",
            dir.path().file_name().unwrap().to_string_lossy()
        ),
    ];
    let selections: [&[&str]; 4] = [
        &[],
        &["--log-type", "web"],
        &["--log-type", "audit"],
        &["--log-type", "tanium", "--log-level", "debug"],
    ];
    for target in &targets {
        for selection in selections {
            for extra in [
                &[][..],
                &["--force"],
                &["--compress", "--force"],
                &["--compress"],
            ] {
                let mut args = vec!["bundle", "--config", conf.as_str(), "--out-file", target];
                args.extend_from_slice(selection);
                args.extend_from_slice(extra);
                let out = logward(&args, None);
                assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
                // Without --force an existing file is refused anyway.
                let why = if extra.contains(&"--force") || !Path::new(target).exists() {
                    "is a log file, or a rotated file, of the file sink"
                } else {
                    "already exists"
                };
                assert!(stderr(&out).contains(why), "{args:?}: {}", stderr(&out));
            }
        }
    }
    for name in ["audit.log", "audit.log.2026-01-01", "app.log"] {
        assert_eq!(
            fs::read_to_string(dir.path().join(name)).expect("log file"),
            format!("{name}: evidence\n"),
            "{name} untouched"
        );
    }
    for name in ["audit.log.2031-05-05", "audit.log.2026-01-01.1"] {
        assert!(!dir.path().join(name).exists(), "{name} not created");
    }
    // Beside the log files is fine.
    let out = logward(
        &[
            "bundle",
            "--config",
            &conf,
            "--log-type",
            "web",
            "--out-file",
            &format!("{d}/web.jsonl"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A record line of type `log_type` at `created_at`, as the runtime writes.
fn record_line(log_type: &str, created_at: &str, n: u32) -> String {
    format!(
        "{{\"id\":\"00000000-0000-4000-8000-{n:012}\",\"created_at\":\"{created_at}\",\"hostname\":\"h\",\
         \"level\":\"info\",\"log_type\":\"{log_type}\",\"pid\":1,\"message\":\"m{n}\"}}\n"
    )
}

#[test]
fn an_export_that_cannot_be_recorded_exports_nothing_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    // The audit file's directory is a regular file: no audit record can
    // be written there.
    fs::write(dir.path().join("blocker"), "").expect("blocker");
    fs::write(
        dir.path().join("app.log"),
        record_line("web", "2026-11-20T10:00:00.000000Z", 1),
    )
    .expect("log");
    let conf = dir.path().join("c.conf");
    fs::write(
        &conf,
        format!("LOG_LEVEL=info\nLOG_FILE={d}/app.log\nLOG_FILE_AUDIT={d}/blocker/audit.log\n"),
    )
    .expect("config");
    let conf = conf.display().to_string();
    let out_file = format!("{d}/out.jsonl");
    for args in [
        vec!["bundle", "--config", &conf, "--log-type", "web"],
        vec![
            "bundle",
            "--config",
            &conf,
            "--log-type",
            "web",
            "--out-file",
            &out_file,
        ],
        vec![
            "bundle",
            "--config",
            &conf,
            "--out-file",
            &out_file,
            "--compress",
        ],
    ] {
        let out = logward(&args, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out)
                .contains("cannot record the export as an audit record, so nothing was exported"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains("blocker"), "{}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
        assert!(!Path::new(&out_file).exists(), "{args:?}: no bundle file");
    }
}

#[test]
fn the_logs_exported_record_names_the_user_by_name_and_has_no_null_filters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let mut app = String::new();
    for n in 0..3 {
        app.push_str(&record_line(
            "web",
            &format!("2026-11-2{n}T10:00:00.000000Z"),
            n,
        ));
    }
    fs::write(dir.path().join("app.log"), app).expect("log");
    let conf = dir.path().join("c.conf");
    fs::write(
        &conf,
        format!("LOG_LEVEL=info\nLOG_FILE={d}/app.log\nLOG_FILE_AUDIT={d}/audit.log\n"),
    )
    .expect("config");
    let run = |extra: &[&str], sudo_user: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_logward"));
        command
            .args(["bundle", "--config"])
            .arg(&conf)
            .args(["--log-type", "web"])
            .args(extra)
            .env_remove("LOGWARD_CONFIG")
            .env("USER", "mallory");
        match sudo_user {
            Some(user) => command.env("SUDO_USER", user),
            None => command.env_remove("SUDO_USER"),
        };
        let out = command.output().expect("logward bundle runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let exported = |n: usize| -> serde_json::Map<String, serde_json::Value> {
        let text = fs::read_to_string(dir.path().join("audit.log")).expect("audit log");
        let records: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON"))
            .filter(|r: &serde_json::Value| r["action"] == "logs_exported")
            .collect();
        assert_eq!(records.len(), n, "one record per export");
        records[n - 1].as_object().expect("object").clone()
    };

    // Without dates the journal's web records of other tests come too.
    let stdout = run(&[], Some("alice"));
    let lines = String::from_utf8_lossy(&stdout).lines().count();
    assert!(lines >= 3);
    let record = exported(1);
    assert_eq!(record["os_user"], "root", "the real user, not $USER");
    assert_eq!(record["os_uid"], 0);
    assert_eq!(record["sudo_user"], "alice");
    assert_eq!(record["log_types"], "web");
    assert_eq!(record["log_levels"], "debug,info,warning,error,critical");
    assert_eq!(record["records"], lines);
    assert_eq!(record["output"], "stdout");
    assert!(!record.contains_key("date_from") && !record.contains_key("date_to"));
    assert!(record.values().all(|v| !v.is_null()), "{record:?}");

    run(
        &["--date-from", "2026-11-21", "--date-to", "2026-11-21"],
        None,
    );
    let record = exported(2);
    assert_eq!(record["date_from"], "2026-11-21");
    assert_eq!(record["date_to"], "2026-11-21");
    assert_eq!(record["records"], 1);
    assert!(!record.contains_key("sudo_user"));
    assert!(record.values().all(|v| !v.is_null()), "{record:?}");
}

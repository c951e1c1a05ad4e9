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

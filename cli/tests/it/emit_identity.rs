//! `logward emit -t TAG` and the user behind each emitted record: journald's
//! `SYSLOG_IDENTIFIER` and the record's `identifier`, `os_user`, `os_uid`
//! and `sudo_user`, for root and for a second real user.

use std::process::Command;

use serde_json::{Map, Value, json};

use super::cli::{logward, stderr};
use crate::util::journald::{ensure_running, field, read_back, record_of};
use crate::util::unique_id;

#[test]
fn emit_t_tags_the_journal_entry_and_the_record_and_names_root_and_the_sudo_user() {
    ensure_running();
    let tag = format!("backup-{}", unique_id());
    let out = Command::new(env!("CARGO_BIN_EXE_logward"))
        .args([
            "emit",
            "-t",
            &tag,
            "--log-type",
            "application",
            "--level",
            "info",
        ])
        .args(["--message", "backup done"])
        .env_remove("LOGWARD_CONFIG")
        .env("SUDO_USER", "alice")
        .output()
        .expect("logward runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let entries = read_back(&[("SYSLOG_IDENTIFIER", &tag)], 1);
    let forged = Command::new(env!("CARGO_BIN_EXE_logward"))
        .args([
            "emit",
            "-t",
            &tag,
            "--log-type",
            "application",
            "--level",
            "info",
        ])
        .arg("os_user=mallory")
        .env_remove("LOGWARD_CONFIG")
        .output()
        .expect("logward runs");
    assert_eq!(forged.status.code(), Some(2), "{}", stderr(&forged));
    assert!(
        stderr(&forged).contains("field \"os_user\" is set by logward emit"),
        "{}",
        stderr(&forged)
    );
    assert_eq!(entries.len(), 1);
    let record = record_of(&entries[0]);
    assert_eq!(record["identifier"], json!(tag));
    assert_eq!(record["os_user"], json!("root"));
    assert_eq!(record["os_uid"], json!(0));
    assert_eq!(record["sudo_user"], json!("alice"));
    assert_eq!(record["message"], json!("backup done"));
    assert_eq!(
        field(&entries[0], "IDENTIFIER").as_deref(),
        Some(tag.as_str())
    );
    assert_eq!(field(&entries[0], "OS_USER").as_deref(), Some("root"));
}

#[test]
fn emit_as_another_user_names_that_user_and_refuses_a_line_that_sets_the_sudo_user() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("logs/app.log");
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!("LOG_LEVEL=info\nLOG_FILE={}\n", log.display()),
    )
    .expect("write the configuration");
    // nobody may create the log's directory and read the configuration.
    for path in [dir.path(), config.as_path()] {
        std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .expect("open the directory to nobody");
    }
    let out = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_logward"))
        .args(["--config", &config.display().to_string()])
        .args(["emit", "--log-type", "web", "--level", "info", "--stdin"])
        .env_remove("LOGWARD_CONFIG")
        .env_remove("SUDO_USER")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(
                b"{\"path\":\"/a\"}\n{\"sudo_user\":\"mallory\"}\n{\"path\":\"/b\"}\n",
            )?;
            drop(stdin);
            child.wait_with_output()
        })
        .expect("logward runs as nobody");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("stdin line 2: field \"sudo_user\" is set by logward emit"),
        "{}",
        stderr(&out)
    );
    let text = std::fs::read_to_string(&log).expect("the log");
    let records: Vec<Map<String, Value>> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a record"))
        .collect();
    assert_eq!(records.len(), 2, "{text}");
    for (record, path) in records.iter().zip(["/a", "/b"]) {
        assert_eq!(record["path"], json!(path));
        assert_eq!(record["os_user"], json!("nobody"));
        assert_eq!(record["os_uid"], json!(65534));
        assert!(!record.contains_key("identifier"), "{record:?}");
    }
    for record in &records {
        assert!(!record.contains_key("sudo_user"), "{record:?}");
    }
}

#[test]
fn emit_t_refuses_an_empty_or_control_character_tag() {
    for tag in ["", "a\nb"] {
        let out = logward(
            &["emit", "-t", tag, "--log-type", "audit", "--level", "info"],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{tag:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("-t"), "{}", stderr(&out));
    }
}

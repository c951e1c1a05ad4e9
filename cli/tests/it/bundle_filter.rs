//! `bundle --filter`: a Logpush filter selects records by their fields, the
//! export record names it, and a bad filter is refused before any work.

use std::process::Command;

use serde_json::{Value, json};

use super::cli::{logward, stderr, stdout};
use crate::util::unique_id;

/// A configuration sending every type to `dir/app.log`; its path.
fn config(dir: &std::path::Path) -> String {
    let path = dir.join("c.conf");
    let log = dir.join("app.log");
    std::fs::write(
        &path,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={0}\nLOG_FILE_AUDIT={0}\n",
            log.display()
        ),
    )
    .expect("config written");
    path.to_string_lossy().into_owned()
}

const METHODS: [&str; 3] = ["GET", "POST", "DELETE"];
const PATHS: [&str; 3] = ["/api/items", "/admin/users", "/health"];
const STATUSES: [u16; 4] = [200, 404, 500, 503];

/// The records the test writes: web requests of every combination.
fn requests() -> Vec<(usize, &'static str, &'static str, u16)> {
    let mut out = Vec::new();
    for method in METHODS {
        for path in PATHS {
            for status in STATUSES {
                out.push((out.len(), method, path, status));
            }
        }
    }
    out
}

#[test]
fn a_filter_selects_exactly_the_records_it_describes_and_is_named_in_the_export_record() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let conf = config(tmp.path());
    let run = unique_id();
    let lines: String = requests()
        .iter()
        .map(|(n, method, path, status)| {
            format!(
                "{}\n",
                json!({"n": n, "method": method, "path": path, "status_code": status, "test_run": run})
            )
        })
        .collect();
    let out = logward(
        &[
            "emit",
            "--config",
            &conf,
            "--log-type",
            "web",
            "--level",
            "info",
            "--stdin",
        ],
        Some(&lines),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let filter = r#"{"where":{"and":[
        {"key":"status_code","operator":"geq","value":"500"},
        {"or":[{"key":"path","operator":"startsWith","value":"/admin"},
               {"key":"method","operator":"in","value":["POST","DELETE"]}]},
        {"key":"path","operator":"!contains","value":"health"}]}}"#;
    let out = logward(
        &[
            "bundle",
            "--config",
            &conf,
            "--log-type",
            "web",
            "--filter",
            filter,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got: Vec<u64> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line"))
        .filter(|r| r["test_run"] == run.as_str())
        .map(|r| r["n"].as_u64().expect("n"))
        .collect();
    let wanted: Vec<u64> = requests()
        .iter()
        .filter(|(_, method, path, status)| {
            *status >= 500
                && (path.starts_with("/admin") || ["POST", "DELETE"].contains(method))
                && !path.contains("health")
        })
        .map(|(n, ..)| *n as u64)
        .collect();
    assert_eq!(wanted.len(), 10, "the test's own expectation");
    assert_eq!(got, wanted);

    let log = std::fs::read_to_string(tmp.path().join("app.log")).expect("the log");
    let export: Value = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line"))
        .find(|r| r["action"] == "logs_exported")
        .expect("the export is recorded");
    assert_eq!(export["filter"], filter.trim());
    assert_eq!(export["records"], json!(10));
}

#[test]
fn a_compressed_bundle_records_the_filter_in_its_manifest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let conf = config(tmp.path());
    let out = logward(
        &[
            "emit",
            "--config",
            &conf,
            "--log-type",
            "web",
            "--level",
            "info",
            "status_code:=503",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let archive = tmp.path().join("b.tar.gz");
    let archive_arg = archive.to_string_lossy().into_owned();
    let filter = r#"{"where":{"key":"status_code","operator":"eq","value":503}}"#;
    let out = logward(
        &[
            "bundle",
            "--config",
            &conf,
            "--filter",
            filter,
            "--out-file",
            &archive_arg,
            "--compress",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let manifest = Command::new("tar")
        .arg("-xzOf")
        .arg(&archive)
        .arg("manifest.json")
        .output()
        .expect("tar runs");
    let manifest: Value = serde_json::from_slice(&manifest.stdout).expect("the manifest");
    assert_eq!(manifest["filters"]["filter"], filter);
    assert_eq!(manifest["per_type"]["web"], json!(1));
}

#[test]
fn a_bad_filter_is_refused_with_exit_2_naming_where_before_anything_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let conf = config(tmp.path());
    for (filter, expected) in [
        (
            r#"{"where":{"and":[{"key":"a","operator":"eq","value":1},{"key":"b","operator":"gte","value":1}]}}"#,
            "at where.and[1].operator: unknown operator \"gte\"",
        ),
        (
            "{\"where\":{\"key\":",
            "at line 1, column 16: not valid JSON",
        ),
        (
            r#"{"where":{"key":"status_code","operator":"in","value":"200,201"}}"#,
            "in takes an array of strings and numbers",
        ),
    ] {
        let out = logward(&["bundle", "--config", &conf, "--filter", filter], None);
        assert_eq!(out.status.code(), Some(2), "{filter}: {}", stderr(&out));
        assert!(stderr(&out).contains("--filter"), "{}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    assert!(
        !tmp.path().join("app.log").exists(),
        "a refused bundle records no export"
    );
}

//! Edges of the command line's input: the longest file names a file system
//! takes, counts written with a sign, many fields, the global `--config`
//! before the command, and a bare flag's error.

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::cli::{logward, stderr, stdout};

fn write_config(dir: &Path, text: &str) -> String {
    let path = dir.join("config");
    fs::write(&path, text).expect("write the configuration");
    path.display().to_string()
}

#[test]
fn a_240_character_log_file_name_is_accepted_by_config_check_and_emit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join(format!("{}.log", "a".repeat(236)));
    assert_eq!(log.file_name().map(|n| n.len()), Some(240));
    let config = write_config(
        tmp.path(),
        &format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_ROTATE_DAILY=true\n",
            log.display()
        ),
    );
    let out = logward(&["config", "check", "--config", &config], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = logward(
        &[
            "emit",
            "--config",
            &config,
            "--log-type",
            "web",
            "--level",
            "info",
            "path=/",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = fs::read_to_string(&log).expect("the log");
    assert_eq!(text.lines().count(), 1, "{text}");

    // One byte more than the file system allows with the rotation date is
    // refused by the check, naming the limit.
    let long = tmp.path().join("b".repeat(245));
    let config = write_config(
        tmp.path(),
        &format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_ROTATE_DAILY=true\n",
            long.display()
        ),
    );
    let out = logward(&["config", "check", "--config", &config], None);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("is 256 bytes with the 11 bytes of the rotation date, more than the 255 this file system allows"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn log_rotate_max_with_a_plus_sign_is_refused_like_other_non_digits() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("app.log");
    for value in ["+3", "3x", "-3"] {
        let config = write_config(
            tmp.path(),
            &format!(
                "LOG_LEVEL=info\nLOG_FILE={}\nLOG_ROTATE_DAILY=true\nLOG_ROTATE_MAX={value}\n",
                log.display()
            ),
        );
        let out = logward(&["config", "check", "--config", &config], None);
        assert_eq!(out.status.code(), Some(2), "{value}: {}", stdout(&out));
        assert!(
            stderr(&out).contains(&format!(
                "{config}:4: LOG_ROTATE_MAX=\"{value}\": not a positive whole number; allowed: 1 to"
            )),
            "{}",
            stderr(&out)
        );
    }
}

/// 80,000 fields of 40,000 keys, each given twice: one record with each key
/// once, in first-appearance order, holding its last value (the
/// de-duplication is linear; `benches/emit_fields.rs` measures it).
#[test]
fn emit_keeps_the_last_value_of_each_key_among_80_000_fields() {
    const KEYS: usize = 40_000;
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("app.log");
    let config = write_config(
        tmp.path(),
        &format!("LOG_LEVEL=info\nLOG_FILE={}\n", log.display()),
    );
    let mut args: Vec<String> = [
        "emit",
        "--config",
        &config,
        "--log-type",
        "application",
        "--level",
        "info",
    ]
    .map(String::from)
    .to_vec();
    args.extend((0..2 * KEYS).map(|i| format!("k{}={i}", i % KEYS)));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = logward(&argv, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let text = fs::read_to_string(&log).expect("the log");
    let records: Vec<serde_json::Map<String, Value>> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let [record] = &records[..] else {
        panic!("one record, got {}", records.len());
    };
    let fields: Vec<(&str, &str)> = record
        .iter()
        .filter(|(k, _)| k.starts_with('k'))
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
        .collect();
    assert_eq!(fields.len(), KEYS);
    for (i, (key, value)) in fields.iter().enumerate() {
        assert_eq!(*key, format!("k{i}"));
        assert_eq!(*value, (i + KEYS).to_string());
    }
}

#[test]
fn the_config_option_may_come_before_the_command() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("app.log");
    let config = write_config(
        tmp.path(),
        &format!("LOG_LEVEL=info\nLOG_FILE={}\n", log.display()),
    );
    let out = logward(&["--config", &config, "config", "check"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with(&format!("configuration: {config}\n")),
        "{}",
        stdout(&out)
    );
    let out = logward(
        &[
            "--config",
            &config,
            "emit",
            "--log-type",
            "web",
            "--level",
            "info",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&log).expect("log").lines().count(), 1);
}

#[test]
fn compress_without_an_out_file_says_what_it_needs() {
    let out = logward(&["bundle", "--compress"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "logward: --compress needs --out-file: a compressed bundle is never written to stdout\n"
    );
}

//! `logward import csv` as an operator runs it: OpenVPN-style CSV files
//! imported through the configured routing into files and journald and
//! read back with `logward bundle`, bad rows, re-runs, `--follow` across
//! appends and a rotation, and the flag combinations it refuses.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::cli::{stderr, stdout};
use crate::util::journald::{ensure_running, read_back, record_of};
use crate::util::{file_config, unique_id};

pub(crate) const HEADER: &str = "Common Name,Real IP,VPN IP,Start Time\n";

/// The columns of the seed's example.
pub(crate) const MAP: [&str; 8] = [
    "--column",
    "ipaddr=VPN IP",
    "--column",
    "associated_ipaddr=Real IP",
    "--column",
    "user=Common Name",
    "--time-column",
    "Start Time",
];

/// Row `n` of a generated OpenVPN CSV: user `user<n>`, VPN IP `10.8.x.y`,
/// a start time `n` minutes after 2026-11-22 04:30:00 UTC.
pub(crate) fn row(n: u64) -> String {
    let minutes = 270 + n;
    format!(
        "user{n},203.0.113.{},10.8.{}.{},11/22/26 {:02}:{:02}:00\n",
        n % 250,
        n / 250,
        n % 250,
        (minutes / 60) % 24,
        minutes % 60
    )
}

/// The epoch seconds of row `n`'s start time.
pub(crate) fn row_time(n: u64) -> i64 {
    1_795_321_800 + 60 * i64::try_from(n).expect("small")
}

/// `logward` with `args`, in `dir`, with no configuration or state
/// directory from the environment.
pub(crate) fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_logward"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("LOGWARD_CONFIG")
        .env_remove("STATE_DIRECTORY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `logward import csv FILE --config CONFIG --state-dir DIR/state`
/// followed by `args`.
pub(crate) fn import(dir: &Path, config: &Path, file: &str, args: &[&str]) -> Output {
    let config = config.display().to_string();
    let state = dir.join("state").display().to_string();
    let mut all = vec![
        "import",
        "csv",
        file,
        "--config",
        &config,
        "--state-dir",
        &state,
    ];
    all.extend_from_slice(args);
    command(dir, &all).output().expect("logward runs")
}

pub(crate) fn records(path: &Path) -> Vec<Map<String, Value>> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record per line"))
        .collect()
}

/// The records of `log` that came from importing `file`, by user.
fn imported_users(log: &Path, file: &Path) -> BTreeMap<String, Vec<Map<String, Value>>> {
    let mut users: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for record in records(log) {
        if record.get("import_file") == Some(&json!(file.display().to_string())) {
            let user = record["user"].as_str().expect("user").to_string();
            users.entry(user).or_default().push(record);
        }
    }
    users
}

fn append(path: &Path, text: &str) {
    fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("append");
}

#[test]
fn an_openvpn_csv_becomes_records_in_files_that_bundle_reads_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, config) = file_config(tmp.path(), "");
    let csv = tmp.path().join("vpn.csv");
    fs::write(
        &csv,
        format!("{HEADER}alice,203.0.113.9,10.8.0.6,11/22/26 04:30:00\n\"bob, jr\",198.51.100.7, 10.8.0.7 ,01/02/99 23:59:59\n"),
    )
    .expect("csv");
    let before = now_micros();
    let out = import(
        tmp.path(),
        &config,
        "vpn.csv",
        &[&MAP[..], &["--source", "OpenVPN"]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("imported 2 rows, skipped 0; 2 application records"),
        "{}",
        stderr(&out)
    );
    let all = records(&log);
    assert_eq!(all.len(), 2);
    let keys: Vec<&str> = all[0].keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "created_at",
            "hostname",
            "level",
            "log_type",
            "pid",
            "ipaddr",
            "associated_ipaddr",
            "user",
            "timestamp",
            "source",
            "import_file",
            "import_line"
        ]
    );
    let file = csv.display().to_string();
    for (record, (ip, real, user, time, line)) in all.iter().zip([
        ("10.8.0.6", "203.0.113.9", "alice", 1_795_321_800_i64, 2),
        ("10.8.0.7", "198.51.100.7", "bob, jr", 915_321_599, 3),
    ]) {
        assert_eq!(record["level"], "info");
        assert_eq!(record["log_type"], "application");
        assert_eq!(record["ipaddr"], ip);
        assert_eq!(record["associated_ipaddr"], real);
        assert_eq!(record["user"], user);
        assert_eq!(record["timestamp"], json!(time));
        assert_eq!(record["source"], "OpenVPN");
        assert_eq!(record["import_file"], json!(file));
        assert_eq!(record["import_line"], json!(line));
        // created_at is the import's time, not the row's.
        let created = micros(record["created_at"].as_str().expect("created_at"));
        assert!(created >= before && created <= now_micros(), "{record:?}");
    }

    let config = config.display().to_string();
    let bundle = command(
        tmp.path(),
        &["bundle", "--config", &config, "--log-type", "application"],
    )
    .output()
    .expect("bundle runs");
    assert_eq!(bundle.status.code(), Some(0), "{}", stderr(&bundle));
    // The bundle also reads journald (where a failing file sink's records
    // go), which holds other records: keep this import's.
    let bundled: Vec<Value> = stdout(&bundle)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON"))
        .filter(|r| r["import_file"] == json!(file))
        .collect();
    let expected: Vec<Value> = all.into_iter().map(Value::Object).collect();
    assert_eq!(bundled, expected);
}

#[test]
fn the_four_column_date_variant_goes_to_journald_and_bundle_reads_it_back() {
    ensure_running();
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("config");
    fs::write(&config, "LOG_LEVEL=info\n").expect("config");
    fs::write(
        tmp.path().join("vpn.csv"),
        "Common Name,Real IP,VPN IP,Month,Day,Year,Time\n\
         alice,203.0.113.9,10.8.0.6,July,1,2026,12:00:00\n\
         bob,198.51.100.7,10.8.0.7,January,1,2026,12:00:00\n",
    )
    .expect("csv");
    let source = unique_id();
    let out = import(
        tmp.path(),
        &config,
        "vpn.csv",
        &[
            "--column",
            "ipaddr=VPN IP",
            "--column",
            "associated_ipaddr=Real IP",
            "--column",
            "user=Common Name",
            "--time-column",
            "Month,Day,Year,Time",
            "--time-join",
            "{0} {1} {2} {3}",
            "--time-format",
            "%B %d %Y %H:%M:%S",
            "--time-zone",
            "Europe/Madrid",
            "--source",
            &source,
            "--log-type",
            "audit",
            "--level",
            "warning",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let entries = read_back(&[("SOURCE", source.as_str())], 2);
    assert_eq!(entries.len(), 2);
    let mut journal: Vec<Map<String, Value>> = entries.iter().map(record_of).collect();
    journal.sort_by_key(|r| r["import_line"].as_u64());
    // Madrid is UTC+2 in July and UTC+1 in January.
    assert_eq!(journal[0]["timestamp"], json!(1_782_907_200 - 7200));
    assert_eq!(journal[1]["timestamp"], json!(1_767_268_800 - 3600));
    assert_eq!(journal[0]["level"], "warning");
    assert_eq!(journal[0]["log_type"], "audit");
    assert_eq!(
        entries[0]["IMPORT_FILE"],
        json!(tmp.path().join("vpn.csv").display().to_string())
    );
    assert_eq!(entries[0]["PRIORITY"], "4");

    let config = config.display().to_string();
    let since = format!(
        "{}",
        jiff::Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_secs(3600))
            .expect("an hour ago")
            .strftime("%Y-%m-%d %H:%M:%S")
    );
    let bundle = command(
        tmp.path(),
        &[
            "bundle",
            "--config",
            &config,
            "--log-type",
            "audit",
            "--log-level",
            "warning",
            "--date-from",
            &since,
        ],
    )
    .output()
    .expect("bundle runs");
    assert_eq!(bundle.status.code(), Some(0), "{}", stderr(&bundle));
    let bundled: Vec<Map<String, Value>> = stdout(&bundle)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .filter(|r: &Map<String, Value>| r.get("source") == Some(&json!(source)))
        .collect();
    assert_eq!(
        bundled, journal,
        "bundle gives back exactly what journald holds"
    );
}

#[test]
fn bad_rows_of_every_kind_are_reported_by_line_counted_and_skipped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, config) = file_config(tmp.path(), "");
    let mut text = HEADER.as_bytes().to_vec();
    text.extend(row(1).as_bytes()); // line 2: good
    text.extend(b"user2,203.0.113.2,10.8.0.2\n"); // 3: too few cells
    text.extend(b"user3,203.0.113.3,10.8.0.3,11/22/26 04:30:00,extra\n"); // 4: too many
    text.extend(b"user4,203.0.113.4,10.8.0.4,2026-11-22 04:30:00\n"); // 5: time pattern
    text.extend(b"user5,203.0.113.5,10.8.0.5,02/30/26 04:30:00\n"); // 6: no such day
    text.extend(b"user6,203.0.113.6,10.8.\xff.6,11/22/26 04:30:00\n"); // 7: invalid UTF-8
    text.extend(b"user7,203.0.113.7,,11/22/26 04:30:00\n"); // 8: empty mapped cell
    text.extend(b"user8,203.0.113.8,  ,11/22/26 04:30:00\n"); // 9: blank mapped cell
    text.extend(b"user9,203.0.113.9,10.8.0.9,\n"); // 10: empty time
    text.extend(b"\xfeuser10,203.0.113.10,10.8.0.10,11/22/26 04:30:00\n"); // 11: invalid UTF-8 user
    text.extend(b"\n"); // 12: blank line, not a row
    text.extend(row(13).as_bytes()); // 13: good
    text.extend(b"user14,203.0.113.14,\"10.8.0.14"); // 14: unclosed quote...
    text.extend(std::iter::repeat_n(b'x', 1_100_000));
    text.extend(b"\",11/22/26 04:30:00\n");
    text.extend(row(15).as_bytes()); // 15: good
    text.extend(b"user16,203.0.113.16,10.8.0.16,11/22/26 04:30:00"); // 16: good, no line end
    fs::write(tmp.path().join("vpn.csv"), &text).expect("csv");
    let out = import(tmp.path(), &config, "vpn.csv", &MAP);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let file = tmp.path().join("vpn.csv").display().to_string();
    for (line, why) in [
        (3, "3 cells, but the header has 4"),
        (4, "5 cells, but the header has 4"),
        (
            5,
            "time \"2026-11-22 04:30:00\" does not match \"%m/%d/%y %H:%M:%S\"",
        ),
        (6, "time \"02/30/26 04:30:00\" does not match"),
        (7, "cell \"VPN IP\" is not valid UTF-8"),
        (8, "cell \"VPN IP\" is empty"),
        (9, "cell \"VPN IP\" is empty"),
        (10, "cell \"Start Time\" is empty"),
        (11, "cell \"Common Name\" is not valid UTF-8"),
        (14, "the row is longer than 1 MiB"),
    ] {
        let expected = format!("logward: {file} line {line}: skipped: {why}");
        assert!(err.contains(&expected), "{expected}\nin:\n{err}");
    }
    assert_eq!(err.matches(": skipped: ").count(), 10, "{err}");
    assert!(err.contains("imported 4 rows, skipped 10"), "{err}");
    let lines: Vec<u64> = records(&log)
        .iter()
        .map(|r| r["import_line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, [2, 13, 15, 16]);
    assert_eq!(records(&log)[3]["user"], "user16");
}

#[test]
fn a_re_run_imports_only_what_was_appended_and_a_rewritten_file_from_its_start() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, config) = file_config(tmp.path(), "");
    let csv = tmp.path().join("vpn.csv");
    let mut text = HEADER.to_string();
    (1..=50).for_each(|n| text.push_str(&row(n)));
    fs::write(&csv, &text).expect("csv");
    let first = import(tmp.path(), &config, "vpn.csv", &MAP);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let again = import(tmp.path(), &config, "vpn.csv", &MAP);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("imported 0 rows, skipped 0; continued after line 51"),
        "{}",
        stderr(&again)
    );
    (51..=60).for_each(|n| append(&csv, &row(n)));
    let more = import(tmp.path(), &config, "vpn.csv", &MAP);
    assert_eq!(more.status.code(), Some(0), "{}", stderr(&more));
    assert!(
        stderr(&more).contains("imported 10 rows"),
        "{}",
        stderr(&more)
    );
    let users = imported_users(&log, &csv);
    assert_eq!(users.len(), 60, "every row once");
    for n in 1..=60 {
        let got = &users[&format!("user{n}")];
        assert_eq!(got.len(), 1, "user{n} imported once");
        assert_eq!(got[0]["import_line"], json!(n + 1));
        assert_eq!(got[0]["timestamp"], json!(row_time(n)));
    }

    // A file rewritten in place (other content, same name) is new: imported from its start.
    let mut rewritten = HEADER.to_string();
    (101..=170).for_each(|n| rewritten.push_str(&row(n)));
    fs::write(&csv, &rewritten).expect("rewrite");
    let fresh = import(tmp.path(), &config, "vpn.csv", &MAP);
    assert_eq!(fresh.status.code(), Some(0), "{}", stderr(&fresh));
    assert!(
        stderr(&fresh).contains("does not start with what was imported before"),
        "{}",
        stderr(&fresh)
    );
    assert_eq!(imported_users(&log, &csv).len(), 130);
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn follow(dir: &Path, config: &Path) -> Child {
    let config = config.display().to_string();
    let state = dir.join("state").display().to_string();
    let mut args = vec![
        "import",
        "csv",
        "vpn.csv",
        "--follow",
        "--config",
        &config,
        "--state-dir",
        &state,
    ];
    args.extend_from_slice(&MAP);
    command(dir, &args).spawn().expect("logward runs")
}

fn terminate(child: Child) -> Output {
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::TERM,
    )
    .expect("SIGTERM");
    child.wait_with_output().expect("logward ends")
}

#[test]
fn follow_reads_appends_and_a_rotation_with_nothing_twice_and_nothing_missed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, config) = file_config(tmp.path(), "");
    let csv = tmp.path().join("vpn.csv");
    let mut text = HEADER.to_string();
    (1..=20).for_each(|n| text.push_str(&row(n)));
    fs::write(&csv, &text).expect("csv");
    let count = || {
        imported_users(&log, &csv)
            .values()
            .map(Vec::len)
            .sum::<usize>()
    };

    let child = follow(tmp.path(), &config);
    wait_for("the first 20 rows", || count() == 20);
    // Appends, one of them in two writes.
    (21..=30).for_each(|n| append(&csv, &row(n)));
    append(&csv, "user31,203.0.113.31,10.8.0.31,11/22/");
    wait_for("30 rows", || count() == 30);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(count(), 30, "a half-written row is not imported");
    append(&csv, "26 05:01:00\n");
    wait_for("31 rows", || count() == 31);
    // Rotation: the old file is renamed, still written to once, and a new
    // file (with its header) takes the path.
    let rotated = tmp.path().join("vpn.csv.1");
    fs::rename(&csv, &rotated).expect("rotate");
    append(&rotated, &row(32));
    let mut next = HEADER.to_string();
    (33..=40).for_each(|n| next.push_str(&row(n)));
    fs::write(&csv, &next).expect("new file");
    wait_for("40 rows", || count() == 40);
    (41..=45).for_each(|n| append(&csv, &row(n)));
    wait_for("45 rows", || count() == 45);
    let out = terminate(child);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("imported 45 rows, skipped 0; 45 application records; 1 rotations followed"),
        "{}",
        stderr(&out)
    );

    // While nothing follows, rows arrive; the next follow picks them up, once.
    (46..=48).for_each(|n| append(&csv, &row(n)));
    let child = follow(tmp.path(), &config);
    wait_for("48 rows", || count() == 48);
    let out = terminate(child);
    assert!(stderr(&out).contains("imported 3 rows"), "{}", stderr(&out));

    let users = imported_users(&log, &csv);
    assert_eq!(users.len(), 48);
    for n in 1..=48u64 {
        let got = &users[&format!("user{n}")];
        assert_eq!(got.len(), 1, "user{n} exactly once");
        let line = if n <= 32 { n + 1 } else { n - 31 };
        assert_eq!(got[0]["import_line"], json!(line), "user{n}");
        assert_eq!(got[0]["timestamp"], json!(row_time(n)), "user{n}");
    }
}

#[test]
fn standard_input_is_imported_once_without_a_position() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, config) = file_config(tmp.path(), "");
    let config = config.display().to_string();
    let mut args = vec!["import", "csv", "-", "--config", &config];
    args.extend_from_slice(&MAP);
    let mut child = command(tmp.path(), &args)
        .stdin(Stdio::piped())
        .spawn()
        .expect("logward runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{HEADER}{}{}", row(1), row(2)).as_bytes())
        .expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("ends");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let all = records(&log);
    assert_eq!(all.len(), 2);
    assert_eq!(all[1]["import_file"], "-");
    assert_eq!(all[1]["source"], "stdin");
    assert_eq!(all[1]["import_line"], 3);
    assert!(!stderr(&out).contains("position kept"), "{}", stderr(&out));
}

#[test]
fn the_state_directory_is_systemds_when_no_flag_names_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_log, config) = file_config(tmp.path(), "");
    fs::write(tmp.path().join("vpn.csv"), format!("{HEADER}{}", row(1))).expect("csv");
    let state: PathBuf = tmp.path().join("systemd-state");
    let config = config.display().to_string();
    let mut args = vec!["import", "csv", "vpn.csv", "--config", &config];
    args.extend_from_slice(&MAP);
    let out = command(tmp.path(), &args)
        .env("STATE_DIRECTORY", &state)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let files: Vec<_> = fs::read_dir(&state).expect("state dir made").collect();
    assert_eq!(files.len(), 1);
    let saved: Value =
        serde_json::from_slice(&fs::read(files[0].as_ref().expect("entry").path()).expect("read"))
            .expect("JSON");
    assert_eq!(saved["last_line"], 2);
    assert_eq!(
        saved["header"],
        json!(["Common Name", "Real IP", "VPN IP", "Start Time"])
    );
    assert!(
        stderr(&out).contains(&format!("position kept in {}", state.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn nonsense_flag_combinations_exit_2_saying_why() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (log, config) = file_config(tmp.path(), "");
    fs::write(tmp.path().join("vpn.csv"), format!("{HEADER}{}", row(1))).expect("csv");
    let base = ["--column", "ipaddr=VPN IP", "--time-column", "Start Time"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["-", "--follow"], "standard input cannot be followed"),
        (
            vec!["vpn.csv", "--also-log"],
            "--also-log only applies with --post",
        ),
        (
            vec!["vpn.csv", "--header-file", "h"],
            "--header-file only applies with --post",
        ),
        (
            vec!["vpn.csv", "--time-join", "{0}"],
            "one column needs no join",
        ),
        (
            vec!["vpn.csv", "--no-header"],
            "with --no-header there are no column names",
        ),
        (
            vec!["vpn.csv", "--column", "timestamp=Real IP"],
            "set by the import itself",
        ),
        (
            vec!["vpn.csv", "--post", "https://127.0.0.1:9/x"],
            "need --column associated_ipaddr=COLUMN",
        ),
        (
            vec![
                "vpn.csv",
                "--column",
                "associated_ipaddr=Real IP",
                "--post",
                "http://192.0.2.7/x",
            ],
            "allowed only to a loopback address",
        ),
        (
            vec!["vpn.csv", "--time-zone", "Atlantis/Capital"],
            "time zone \"Atlantis/Capital\" is unknown",
        ),
        (
            vec!["vpn.csv", "--column", "user=Login"],
            "column \"Login\" is not in the header",
        ),
        (vec!["missing.csv"], "cannot open"),
    ];
    for (extra, why) in cases {
        let mut args = extra.clone();
        args.extend_from_slice(&base);
        let out = import(tmp.path(), &config, args[0], &args[1..]);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(why),
            "{extra:?}: expected {why:?} in {}",
            stderr(&out)
        );
    }
    let missing = import(
        tmp.path(),
        &config,
        "vpn.csv",
        &["--column", "ipaddr=VPN IP"],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("--time-column"),
        "{}",
        stderr(&missing)
    );
    assert!(
        records(&log).is_empty(),
        "nothing is imported by a refused command"
    );
}

fn now_micros() -> i64 {
    logward::Clock::now_micros(&logward::SystemClock)
}

fn micros(rfc3339: &str) -> i64 {
    let ts: jiff::Timestamp = rfc3339.parse().expect("RFC 3339");
    ts.as_microsecond()
}

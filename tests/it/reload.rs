//! Reloading the configuration while the service runs: a real service
//! process logging flat out, its configuration rewritten and a real
//! `SIGHUP` sent; and reloads that must be refused.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use logward::{Config, ErrorKind, Logward};
use serde_json::{Map, Value};

use crate::util::capture::parse_lines;
use crate::util::journald::{ensure_running, read_back, record_of};
use crate::util::{child, file_config, runtime, unique_id};

/// The variable giving the child its directory.
const DIR_VAR: &str = "IT_DIR";
/// Threads of the service, each logging web records flat out.
const THREADS: usize = 2;

type Record = Map<String, Value>;

fn text<'a>(record: &'a Record, key: &str) -> &'a str {
    record.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The records of `path`; none when it does not exist yet.
fn records(path: &Path) -> Vec<Record> {
    std::fs::read_to_string(path)
        .map(|text| parse_lines(&text))
        .unwrap_or_default()
}

/// Writes the configuration: audit to `audit.log`, web to `web`, the
/// others to `app.log` at `application_level`.
fn write_config(dir: &Path, web: &str, application_level: &str) -> PathBuf {
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE={app}\nLOG_FILE_AUDIT={audit}\nLOG_FILE_WEB={web}\nLOG_LEVEL_APPLICATION={application_level}\n",
            app = dir.join("app.log").display(),
            audit = dir.join("audit.log").display(),
            web = dir.join(web).display(),
        ),
    )
    .expect("write the configuration");
    config
}

/// Waits until `done` holds, for at most a minute.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited for {what}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// The service: reloads on SIGHUP, and until `$IT_DIR/stop` exists logs
/// from each thread web records numbered `seq` and debug application
/// records; then writes how many web records each thread logged to
/// `$IT_DIR/sent` and shuts down cleanly.
fn service() {
    let dir = PathBuf::from(std::env::var(DIR_VAR).expect("the test's directory"));
    let guard = Logward::builder()
        .with_config_path(dir.join("config"))
        .reload_on_sighup()
        .build()
        .expect("logward builds")
        .init()
        .expect("logward installs");
    let stop = dir.join("stop");
    let sent: Vec<u64> = thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let stop = &stop;
                scope.spawn(move || {
                    let mut seq = 0u64;
                    while seq % 256 != 0 || !stop.exists() {
                        tracing::info!(target: "logward::web", method = "GET", path = "/cart", status_code = 200, thread = t, seq);
                        if seq % 64 == 0 {
                            tracing::debug!(thread = t, seq, "cart details");
                        }
                        seq += 1;
                    }
                    seq
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|h| h.join().expect("a logging thread"))
            .collect()
    });
    drop(guard);
    let sent: Vec<String> = sent.iter().map(u64::to_string).collect();
    std::fs::write(dir.join("sent"), sent.join(" ")).expect("write the counts");
}

#[test]
fn sighup_moves_a_type_to_another_file_and_lowers_a_level_without_losing_or_duplicating_a_record() {
    if child::role().is_some() {
        service();
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let old_config = write_config(dir, "web-a.log", "info");
    let old_fingerprint = Config::load(Some(&old_config))
        .expect("valid")
        .fingerprint();
    let mut service = child::command(
        module_path!(),
        "sighup_moves_a_type_to_another_file_and_lowers_a_level_without_losing_or_duplicating_a_record",
        "service",
    )
    .env(DIR_VAR, dir)
    .stdout(Stdio::null())
    .spawn()
    .expect("start the service");
    let (web_a, web_b) = (dir.join("web-a.log"), dir.join("web-b.log"));
    wait_for("web records in web-a.log", || {
        std::fs::metadata(&web_a).is_ok_and(|m| m.len() > 1_000_000)
    });

    let new_config = write_config(dir, "web-b.log", "debug");
    let new_fingerprint = Config::load(Some(&new_config))
        .expect("valid")
        .fingerprint();
    let pid = rustix::process::Pid::from_raw(service.id() as i32).expect("a pid");
    rustix::process::kill_process(pid, rustix::process::Signal::HUP).expect("send SIGHUP");
    wait_for("web records in web-b.log", || {
        std::fs::metadata(&web_b).is_ok_and(|m| m.len() > 1_000_000)
    });
    std::fs::write(dir.join("stop"), "").expect("tell the service to stop");
    let status = service.wait().expect("the service ends");
    assert!(status.success(), "the service exits cleanly: {status}");

    let sent: Vec<u64> = std::fs::read_to_string(dir.join("sent"))
        .expect("the service's counts")
        .split(' ')
        .map(|n| n.parse().expect("a count"))
        .collect();
    // Per thread: the seq numbers in each file, and every id once.
    let mut ids = BTreeSet::new();
    let mut seqs: BTreeMap<(usize, &str), Vec<u64>> = BTreeMap::new();
    let (in_a, in_b) = (records(&web_a), records(&web_b));
    for (file, records) in [("a", &in_a), ("b", &in_b)] {
        for record in records {
            assert_eq!(text(record, "log_type"), "web", "{record:?}");
            assert!(
                ids.insert(text(record, "id").to_string()),
                "{record:?} twice"
            );
            let t = record["thread"].as_u64().expect("thread") as usize;
            let seq = record["seq"].as_u64().expect("seq");
            seqs.entry((t, file)).or_default().push(seq);
        }
    }
    for (t, &sent) in sent.iter().enumerate() {
        let a = seqs.remove(&(t, "a")).unwrap_or_default();
        let b = seqs.remove(&(t, "b")).unwrap_or_default();
        assert!(
            !a.is_empty() && !b.is_empty(),
            "thread {t} wrote to both files"
        );
        let all: Vec<u64> = a.iter().chain(&b).copied().collect();
        assert_eq!(
            all,
            (0..sent).collect::<Vec<_>>(),
            "thread {t}: each of its {sent} records once, web-a.log before web-b.log"
        );
    }

    let audit = records(&dir.join("audit.log"));
    let actions: Vec<&str> = audit.iter().map(|r| text(r, "action")).collect();
    assert_eq!(
        actions,
        ["logging_started", "config_reloaded", "logging_stopped"]
    );
    let reloaded = &audit[1];
    assert_eq!(
        text(reloaded, "previous_config_fingerprint"),
        old_fingerprint
    );
    assert_eq!(text(reloaded, "config_fingerprint"), new_fingerprint);
    assert_ne!(old_fingerprint, new_fingerprint);
    assert!(
        text(reloaded, "routing").contains(&format!("web=file {}", web_b.display())),
        "{reloaded:?}"
    );
    assert_eq!(text(&audit[2], "config_fingerprint"), new_fingerprint);

    // The debug records start with the reload: a thread's first record
    // routed by the new table is its first in web-b.log, and its debug
    // record of the same round is logged after it.
    let first_b: BTreeMap<usize, u64> = (0..THREADS)
        .map(|t| {
            let first = in_b
                .iter()
                .filter(|r| r["thread"].as_u64() == Some(t as u64))
                .filter_map(|r| r["seq"].as_u64())
                .min()
                .expect("the thread wrote to web-b.log");
            (t, first)
        })
        .collect();
    let debug: Vec<Record> = records(&dir.join("app.log"))
        .into_iter()
        .filter(|r| text(r, "message") == "cart details")
        .collect();
    assert!(!debug.is_empty(), "debug records after the reload");
    for record in &debug {
        let t = record["thread"].as_u64().expect("thread") as usize;
        let seq = record["seq"].as_u64().expect("seq");
        assert!(
            seq + 1 >= first_b[&t],
            "thread {t}: a debug record (seq {seq}) before the reload (web-b.log from {})",
            first_b[&t]
        );
    }
}

/// The actions of the audit records in `records`.
fn actions(records: &[Record]) -> Vec<&str> {
    records
        .iter()
        .filter(|r| text(r, "log_type") == "audit")
        .map(|r| text(r, "action"))
        .collect()
}

#[test]
fn an_invalid_configuration_is_refused_with_one_error_record_and_the_old_one_stays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, config) = file_config(dir.path(), "");
    let (dispatch, guard) = runtime(&config);
    let fingerprint = guard.fingerprint();
    std::fs::write(
        &config,
        format!(
            "LOG_LEVEL=loud\nLOG_FILE={}\n",
            dir.path().join("other.log").display()
        ),
    )
    .expect("rewrite the configuration");
    let error = guard.reload().expect_err("an unknown level is refused");
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(error.to_string().contains("LOG_LEVEL"), "{error}");
    tracing::dispatcher::with_default(&dispatch, || {
        tracing::debug!("still filtered");
        tracing::info!("still in app.log");
    });
    assert_eq!(guard.fingerprint(), fingerprint);
    drop(guard);

    let records = records(&log);
    assert_eq!(
        actions(&records),
        [
            "logging_started",
            "config_reload_refused",
            "logging_stopped"
        ]
    );
    let refused = &records[1];
    assert_eq!(text(refused, "level"), "error");
    assert_eq!(text(refused, "config_fingerprint"), fingerprint);
    for needle in ["LOG_LEVEL", "loud", "the configuration in force stays"] {
        assert!(
            text(refused, "message").contains(needle),
            "{needle}: {refused:?}"
        );
    }
    let messages: Vec<&str> = records.iter().map(|r| text(r, "message")).collect();
    assert!(messages.contains(&"still in app.log"), "{messages:?}");
    assert!(!messages.contains(&"still filtered"), "{messages:?}");
    assert!(
        !dir.path().join("other.log").exists(),
        "the new file was not opened"
    );
}

#[test]
fn a_change_only_a_restart_can_make_is_refused_and_names_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, config) = file_config(dir.path(), "LOG_QUEUE_SIZE=4096\n");
    let (dispatch, guard) = runtime(&config);
    let (_, _) = file_config(dir.path(), "LOG_QUEUE_SIZE=8192\nLOG_LEVEL_WEB=debug\n");
    let error = guard.reload().expect_err("the queue size is fixed");
    assert_eq!(error.kind(), ErrorKind::Config);
    tracing::dispatcher::with_default(&dispatch, || {
        tracing::debug!(target: "logward::web", method = "GET", path = "/", status_code = 200);
    });
    drop(guard);
    let records = records(&log);
    assert_eq!(
        actions(&records),
        [
            "logging_started",
            "config_reload_refused",
            "logging_stopped"
        ]
    );
    let message = text(&records[1], "message");
    assert!(
        message.contains("LOG_QUEUE_SIZE changed from 4096 to 8192"),
        "{message}"
    );
    assert_eq!(records.len(), 3, "the web level stayed info: {records:?}");
}

#[test]
fn a_type_moved_to_journald_goes_there_from_the_reload_on() {
    ensure_running();
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, config) = (dir.path().join("app.log"), dir.path().join("config"));
    let audit = format!("LOG_LEVEL=info\nLOG_FILE_AUDIT={}\n", log.display());
    std::fs::write(&config, format!("{audit}LOG_FILE_WEB={}\n", log.display()))
        .expect("write the configuration");
    let (dispatch, guard) = runtime(&config);
    let tag = unique_id();
    let web = |n: u32| {
        tracing::dispatcher::with_default(&dispatch, || {
            tracing::info!(target: "logward::web", method = "GET", path = "/", status_code = 200, tag = %tag, n);
        });
    };
    web(0);
    std::fs::write(&config, audit).expect("rewrite the configuration");
    let reload = guard.reload();
    web(1);
    web(2);
    drop(guard);
    if let Err(e) = reload {
        panic!("the reload: {e}");
    }
    let in_file: Vec<u64> = records(&log)
        .iter()
        .filter(|r| text(r, "tag") == tag)
        .filter_map(|r| r["n"].as_u64())
        .collect();
    assert_eq!(in_file, [0]);
    let in_journal: Vec<u64> = read_back(&[("TAG", &tag)], 2)
        .iter()
        .filter_map(|entry| record_of(entry)["n"].as_u64())
        .collect();
    assert_eq!(in_journal, [1, 2]);
}

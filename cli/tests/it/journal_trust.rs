//! Reading the journal back trusts only logward's own senders: records that
//! another user plants through journald's socket, fields and all, are never
//! bundled, and the manifest names the sender of every journal record.
//!
//! The other user is the real `nobody`, through `setpriv`, writing with
//! util-linux's `logger --journald` (any fields it likes) and with
//! `logward emit` itself; the journal is the real one, read by the bundle
//! through `journalctl`.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use logward::sink::JournaldSink;
use logward::{Clock, Level, LogType, Logward, SystemClock};
use logward_cli::{BundleRequest, Bundler, RawBundleArgs, Source, Trust};
use serde_json::{Value, json};

use crate::util::journald::{ensure_running, read_back};
use crate::util::unique_id;

/// `command` run as `nobody`, with no groups.
fn as_nobody(program: &str) -> Command {
    let mut command = Command::new("setpriv");
    command.args([
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        program,
    ]);
    command
}

/// A complete record as the runtime would write it, claiming to be ours.
fn forged_record(run: &str, message: &str) -> String {
    let mut created_at = Vec::new();
    logward::record::push_rfc3339(&mut created_at, SystemClock.now_micros());
    json!({
        "id": "0b1d6c1e-5f0a-4e2b-9a57-3c1f0e4d2a10",
        "created_at": String::from_utf8(created_at).expect("UTF-8"),
        "hostname": "web-1",
        "level": "info",
        "log_type": "audit",
        "pid": 1,
        "test_run": run,
        "action": "login_attempt",
        "access_granted": true,
        "message": message,
    })
    .to_string()
}

/// Plants two audit records as `nobody` and writes one as root (this
/// process, through the runtime); waits until all three are in the journal.
/// `conf_dir` is readable by nobody.
fn plant_and_write(run: &str, conf_dir: &Path) {
    ensure_running();
    let mut logger = as_nobody("logger")
        .arg("--journald")
        .stdin(Stdio::piped())
        .spawn()
        .expect("logger runs");
    let fields = format!(
        "MESSAGE={}\nLOG_TYPE=audit\nLEVEL=info\nPRIORITY=6\nTEST_RUN={run}\nSYSLOG_IDENTIFIER=shop-api\n",
        forged_record(run, "planted by logger")
    );
    logger
        .stdin
        .take()
        .expect("stdin")
        .write_all(fields.as_bytes())
        .expect("fields written");
    assert!(logger.wait().expect("logger ends").success());

    let conf = conf_dir.join("journald.conf");
    std::fs::write(&conf, "LOG_LEVEL=info\n").expect("config");
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let emitted = as_nobody(env!("CARGO_BIN_EXE_logward"))
        .args(["emit", "--config"])
        .arg(&conf)
        .args(["--log-type", "audit", "--level", "info", "--message"])
        .arg("planted by emit")
        .arg(format!("test_run={run}"))
        .output()
        .expect("logward emit runs");
    assert!(
        emitted.status.success(),
        "{}",
        String::from_utf8_lossy(&emitted.stderr)
    );

    let (_layer, guard) = Logward::builder()
        .with_sink(JournaldSink::connect("logward-test").expect("journald sink"))
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("runtime")
        .into_parts::<tracing_subscriber::Registry>();
    guard.emit(
        LogType::Audit,
        Level::Info,
        &[("test_run", json!(run))],
        Some("written by root"),
    );
    drop(guard);
    assert_eq!(read_back(&[("TEST_RUN", run)], 3).len(), 3);
}

/// A directory `nobody` can read, removed at the end.
fn shared_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

fn messages(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let record: Value = serde_json::from_str(l).expect("a record");
            record["message"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

#[test]
fn records_planted_by_another_user_never_appear_in_a_bundle() {
    let run = unique_id();
    let dir = shared_dir();
    plant_and_write(&run, dir.path());

    let request = BundleRequest::from_raw(RawBundleArgs::default()).expect("request");
    let source = Source::Journal {
        log_types: LogType::ALL.to_vec(),
        extra_matches: vec![format!("TEST_RUN={run}")],
        trust: Trust::root_only(),
    };
    let mut out = Vec::new();
    let summary = Bundler::new(vec![source])
        .with_progress(false)
        .run_to(&request, &mut out)
        .expect("bundle");
    let lines: Vec<String> = String::from_utf8(out)
        .expect("UTF-8")
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(messages(&lines), ["written by root"]);

    let report = summary.sources[0]
        .journal
        .as_ref()
        .expect("a journal report");
    assert_eq!(report.trusted, "_UID=0 (root)");
    assert_eq!(report.untrusted, 2);
    let untrusted: Vec<_> = report.untrusted_senders.listed().collect();
    assert_eq!(untrusted.len(), 2, "{untrusted:?}");
    assert!(
        untrusted
            .iter()
            .all(|(s, n)| s.uid == Some(65534) && *n == 1)
    );
    // journald reads `_COMM` from /proc when the datagram arrives: a
    // sender that has exited by then (the planting commands are short-lived)
    // has none, so only a name it does give is checked.
    let comms: Vec<Option<&str>> = untrusted.iter().map(|(s, _)| s.comm.as_deref()).collect();
    assert!(
        comms
            .iter()
            .all(|c| matches!(c, None | Some("logger" | "logward"))),
        "{comms:?}"
    );
    let senders: Vec<_> = report.senders.listed().collect();
    assert_eq!(senders.len(), 1);
    let (sender, records) = senders[0];
    assert_eq!(records, 1);
    assert_eq!(sender.uid, Some(0));
    assert_eq!(sender.pid, Some(std::process::id()));
    let comm = std::fs::read_to_string("/proc/self/comm").expect("comm");
    assert_eq!(sender.comm.as_deref(), Some(comm.trim_end()));

    // The same journal, trusting nobody too: all three are records.
    let source = Source::Journal {
        log_types: LogType::ALL.to_vec(),
        extra_matches: vec![format!("TEST_RUN={run}")],
        trust: Trust::root_only().with_user(65534, "nobody"),
    };
    let mut out = Vec::new();
    let summary = Bundler::new(vec![source])
        .with_progress(false)
        .run_to(&request, &mut out)
        .expect("bundle");
    assert_eq!(summary.records, 3);
}

/// The `manifest.json` of the archive at `path`.
fn manifest(path: &Path) -> Value {
    let file = std::fs::File::open(path).expect("archive");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in archive.entries().expect("entries") {
        let entry = entry.expect("entry");
        if entry.path().expect("path").as_os_str() == "manifest.json" {
            return serde_json::from_reader(entry).expect("manifest JSON");
        }
    }
    panic!("no manifest.json in {}", path.display());
}

/// The lines of member `name` of the archive at `path`.
fn member(path: &Path, name: &str) -> Vec<String> {
    let file = std::fs::File::open(path).expect("archive");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        if entry.path().expect("path").as_os_str() == name {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).expect("member");
            return text.lines().map(String::from).collect();
        }
    }
    panic!("no {name} in {}", path.display());
}

#[test]
fn the_bundle_command_trusts_root_and_log_journal_users_and_reports_every_sender() {
    let run = unique_id();
    let dir = shared_dir();
    let since = {
        let mut text = Vec::new();
        logward::record::push_rfc3339(&mut text, SystemClock.now_micros() - 60_000_000);
        String::from_utf8(text).expect("UTF-8")[..19].replace('T', " ")
    };
    plant_and_write(&run, dir.path());

    let bundle = |conf_text: &str, out: &Path| {
        let conf = dir.path().join("bundle.conf");
        std::fs::write(&conf, conf_text).expect("config");
        let output = Command::new(env!("CARGO_BIN_EXE_logward"))
            .args(["bundle", "--config"])
            .arg(&conf)
            .args([
                "--log-type",
                "audit",
                "--date-from",
                &since,
                "--compress",
                "--out-file",
            ])
            .arg(out)
            .env_remove("LOGWARD_CONFIG")
            .output()
            .expect("logward bundle runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let ours: Vec<String> = member(out, "audit.jsonl")
            .into_iter()
            .filter(|l| l.contains(&run))
            .collect();
        (messages(&ours), manifest(out))
    };

    let (found, manifest) = bundle("LOG_LEVEL=info\n", &dir.path().join("root.tar.gz"));
    assert_eq!(found, ["written by root"]);
    let journal = &manifest["sources"][0]["journal"];
    assert_eq!(journal["trusted"], "_UID=0 (root)");
    assert!(journal["untrusted"].as_u64() >= Some(2), "{journal}");
    let untrusted = journal["untrusted_senders"]["listed"]
        .as_array()
        .expect("listed");
    // `_COMM` is read from /proc when the entry arrives: `logger` may have
    // exited by then, and then the sender has no name.
    assert!(
        untrusted.iter().any(|s| s["uid"] == 65534
            && s["user"] == "nobody"
            && (s["comm"] == "logger" || s["comm"].is_null())),
        "{journal}"
    );
    let senders = journal["senders"]["listed"].as_array().expect("listed");
    assert!(
        senders
            .iter()
            .all(|s| s["uid"] == 0 && s["pid"].is_u64() && s["records"].is_u64()),
        "{journal}"
    );
    let listed: u64 = senders.iter().filter_map(|s| s["records"].as_u64()).sum();
    assert_eq!(
        Some(listed + journal["senders"]["not_listed"].as_u64().unwrap_or(0)),
        manifest["sources"][0]["records"].as_u64(),
        "every journal record has its sender"
    );

    let (found, manifest) = bundle(
        "LOG_LEVEL=info\nLOG_JOURNAL_USERS=nobody\n",
        &dir.path().join("nobody.tar.gz"),
    );
    let mut found = found;
    found.sort();
    assert_eq!(
        found,
        ["planted by emit", "planted by logger", "written by root"]
    );
    assert_eq!(
        manifest["sources"][0]["journal"]["trusted"],
        "_UID=0 (root) or _UID=65534 (nobody)"
    );
}

//! Tamper evidence: sealed files written by the real runtime across
//! rotations (a `ManualClock` moves the days), changed by the test the way
//! an intruder would, and `logward verify` naming what changed and where.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use logward::sink::seal::{Entry, seal_path, state_path};
use logward::{Clock, Date, Guard, Level, LogType, Logward, ManualClock, SystemClock};
use serde_json::json;

use super::cli::logward;
use crate::util;

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

fn day0() -> i64 {
    Date::parse("2026-03-01").expect("date").start_unix_micros()
}

/// A sealed audit file in a fresh directory, its chain started.
struct Trail {
    dir: tempfile::TempDir,
    config: String,
    key: String,
    log: PathBuf,
}

impl Trail {
    fn new() -> Trail {
        util::journald::ensure_running();
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("logs/audit.log");
        let config = dir.path().join("logward.conf");
        fs::write(
            &config,
            format!(
                "LOG_LEVEL=info\nLOG_FILE_AUDIT={}\nLOG_ROTATE_DAILY_AUDIT=true\nLOG_SEAL_AUDIT=true\n",
                log.display()
            ),
        )
        .expect("config");
        let trail = Trail {
            key: dir.path().join("verify.key").display().to_string(),
            config: config.display().to_string(),
            dir,
            log,
        };
        let out = logward(
            &[
                "--config",
                &trail.config,
                "seal",
                "init",
                "--verify-key-out",
                &trail.key,
            ],
            None,
        );
        assert!(
            out.status.success(),
            "seal init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        trail
    }

    /// Writes `per_day` audit records on each of `days` days through the
    /// runtime, flushing every `flush_every`, so each day is a file of
    /// several seal entries; waits until the journal holds the last chain
    /// head (heads that found journald's queue full were superseded).
    fn write(&self, days: i64, per_day: u64, flush_every: u64) {
        let clock = ManualClock::new(day0() + HOUR);
        let guard = self.runtime(clock.clone());
        let mut n = 0u64;
        for day in 0..days {
            clock.set_micros(day0() + day * DAY + HOUR);
            for i in 0..per_day {
                let fields = [
                    ("n", json!(n)),
                    ("action", json!("login")),
                    ("client_ip", json!(format!("10.0.{day}.{}", i % 250))),
                ];
                guard.emit(LogType::Audit, Level::Info, &fields, Some("user logged in"));
                n += 1;
                if (i + 1) % flush_every == 0 {
                    guard.flush();
                }
            }
            guard.flush();
        }
        drop(guard);
        let entries: usize = self.files().iter().map(|f| seal_lines(f).len()).sum();
        let log = self.log.display().to_string();
        let last = (entries - 1).to_string();
        util::journald::read_back(
            &[("LOGWARD_SEAL_LOG", &log), ("LOGWARD_SEAL_SEQ", &last)],
            1,
        );
    }

    /// The runtime on this trail's configuration, its time from `clock`.
    fn runtime(&self, clock: impl Clock) -> Guard {
        Logward::builder()
            .with_config_path(&self.config)
            .with_clock(clock)
            .with_panic_hook(false)
            .with_lifecycle_records(false)
            .build()
            .expect("runtime")
            .into_parts::<tracing_subscriber::Registry>()
            .1
    }

    /// The log's files, oldest first.
    fn files(&self) -> Vec<PathBuf> {
        logward::sink::rotated_files(&self.log)
            .expect("list")
            .into_iter()
            .map(|f| f.path)
            .collect()
    }

    fn verify(&self) -> (i32, String) {
        let out = logward(
            &[
                "--config",
                &self.config,
                "verify",
                "--verify-key",
                &self.key,
                "--log-type",
                "audit",
            ],
            None,
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let code = out.status.code().expect("exit code");
        assert!(
            code != 2,
            "usage error: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (code, text)
    }
}

fn seal_lines(file: &Path) -> Vec<String> {
    fs::read_to_string(seal_path(file))
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

fn lines(file: &Path) -> Vec<String> {
    fs::read_to_string(file)
        .expect("read")
        .lines()
        .map(|l| format!("{l}\n"))
        .collect()
}

fn write_lines(file: &Path, lines: &[String]) {
    fs::write(file, lines.concat()).expect("write");
}

/// Asserts that verify fails and names `what` for `file`.
fn assert_found(trail: &Trail, file: &Path, what: &str) -> String {
    let (code, text) = trail.verify();
    assert_eq!(code, 1, "{text}");
    let expected = format!("{}: {what}", file.display());
    assert!(
        text.contains(&expected),
        "expected {expected:?} in:\n{text}"
    );
    assert!(text.contains("NOT INTACT"), "{text}");
    text
}

fn three_days() -> Trail {
    let trail = Trail::new();
    trail.write(3, 40, 10);
    assert_eq!(trail.files().len(), 3);
    trail
}

#[test]
fn an_untouched_trail_across_rotations_verifies_intact_and_keys_are_private() {
    let trail = three_days();
    let (code, text) = trail.verify();
    assert_eq!(code, 0, "{text}");
    let entries: usize = trail.files().iter().map(|f| seal_lines(f).len()).sum();
    assert!(
        text.contains(&format!(
            "intact: 3 files, 120 sealed lines, {entries} seal entries"
        )),
        "{text}"
    );
    for file in trail.files() {
        assert!(seal_path(&file).exists(), "{}", file.display());
    }
    let files = trail.files();
    let first = Entry::parse(&seal_lines(&files[1])[0]).expect("entry");
    let name = files[0]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert_eq!(first.body.boundary, Some(format!("rotated:{name}")));
    for secret in [state_path(&trail.log), PathBuf::from(&trail.key)] {
        let mode = fs::metadata(&secret).expect("secret").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", secret.display());
    }
    let key_before = fs::read_to_string(&trail.key).expect("key");
    let again = logward(
        &[
            "--config",
            &trail.config,
            "seal",
            "init",
            "--verify-key-out",
            &trail.key,
        ],
        None,
    );
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(fs::read_to_string(&trail.key).expect("key"), key_before);
    let state = fs::read_to_string(state_path(&trail.log)).expect("state");
    assert!(
        !state.contains(key_before.trim()),
        "the verification key is kept on the machine"
    );
}

#[test]
fn a_modified_line_is_named_by_file_and_line() {
    let trail = three_days();
    let file = trail.files()[1].clone();
    let mut l = lines(&file);
    l[4] = l[4].replace("logged in", "logged out");
    write_lines(&file, &l);
    let text = assert_found(&trail, &file, "line 5: modified");
    assert_eq!(text.matches(": modified").count(), 1, "{text}");
}

#[test]
fn an_inserted_line_is_named() {
    let trail = three_days();
    let file = trail.files()[1].clone();
    let mut l = lines(&file);
    let forged = l[2].replace("10.0.1.", "192.168.1.");
    l.insert(3, forged);
    write_lines(&file, &l);
    assert_found(&trail, &file, "line 4: 1 line inserted");
}

#[test]
fn a_deleted_range_is_named_with_where_it_was() {
    let trail = three_days();
    let file = trail.files()[0].clone();
    let mut l = lines(&file);
    l.drain(11..14);
    write_lines(&file, &l);
    assert_found(
        &trail,
        &file,
        "3 lines deleted before line 12 (sealed lines 12-14)",
    );
}

#[test]
fn swapped_lines_are_named_reordered() {
    let trail = three_days();
    let file = trail.files()[2].clone();
    let mut l = lines(&file);
    l.swap(20, 25);
    write_lines(&file, &l);
    assert_found(&trail, &file, "lines 21-26: reordered");
}

#[test]
fn a_truncated_file_is_named_with_the_line_it_stops_in() {
    let trail = three_days();
    let file = trail.files()[2].clone();
    let l = lines(&file);
    let keep: usize = l[..30].iter().map(String::len).sum::<usize>() + 7;
    fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .and_then(|f| f.set_len(keep as u64))
        .expect("truncate");
    assert_found(
        &trail,
        &file,
        "truncated at line 31: 10 sealed lines are missing from the end (sealed lines 31-40)",
    );
}

#[test]
fn a_rotated_file_removed_from_the_middle_is_named() {
    let trail = three_days();
    let middle = trail.files()[1].clone();
    let gone = seal_lines(&middle);
    let seq = |line: &String| Entry::parse(line).expect("entry").body.seq;
    let (first, last) = (seq(&gone[0]), seq(&gone[gone.len() - 1]));
    fs::remove_file(&middle).expect("rm");
    fs::remove_file(seal_path(&middle)).expect("rm seal");
    let text = assert_found(&trail, &middle, "missing from the middle of the chain");
    assert!(
        text.contains(&format!("seal entries {first}-{last} are gone")),
        "{text}"
    );
}

#[test]
fn a_rotated_file_replaced_by_another_is_named() {
    let trail = three_days();
    let files = trail.files();
    fs::copy(&files[0], &files[1]).expect("copy");
    fs::copy(seal_path(&files[0]), seal_path(&files[1])).expect("copy seal");
    assert_found(&trail, &files[1], "replaced, or out of place");
}

#[test]
fn a_removed_tail_shows_against_the_journal() {
    let trail = three_days();
    let live = trail.files()[2].clone();
    let mut seal = seal_lines(&live);
    let last = Entry::parse(seal.last().expect("entries")).expect("entry");
    seal.pop();
    fs::write(
        seal_path(&live),
        seal.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .expect("seal");
    fs::OpenOptions::new()
        .write(true)
        .open(&live)
        .and_then(|f| f.set_len(last.body.start))
        .expect("truncate");
    let seq = last.body.seq;
    assert_found(
        &trail,
        &live,
        &format!(
            "tail removed: the journal's last seal head is entry {seq}, the seal ends at entry {}",
            seq - 1
        ),
    );
}

#[test]
fn a_sealed_file_without_its_seal_is_named() {
    let trail = three_days();
    let first = trail.files()[0].clone();
    fs::remove_file(seal_path(&first)).expect("rm seal");
    let name = seal_path(&first)
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert_found(
        &trail,
        &first,
        &format!("sealed (LOG_SEAL=true) but its seal file {name} is missing"),
    );
}

#[test]
fn a_seal_rewritten_without_the_key_does_not_verify() {
    let trail = three_days();
    let file = trail.files()[1].clone();
    // The intruder changes a line and makes the seal agree with it: the
    // batch's hash and line digest are recomputed, the MAC cannot be.
    let mut l = lines(&file);
    l[0] = l[0].replace("login", "logout");
    write_lines(&file, &l);
    let mut seal = seal_lines(&file);
    let entry = Entry::parse(&seal[0]).expect("entry");
    let mut body = entry.body.clone();
    let covered: String = l[..usize::try_from(body.lines).expect("lines")].concat();
    body.blake3 = Some(logward::sink::seal::batch_hash(covered.as_bytes()));
    body.digests = covered
        .lines()
        .map(|line| {
            format!(
                "{:08x}",
                logward::sink::seal::line_digest(2, line.as_bytes())
            )
        })
        .collect();
    seal[0] = format!(
        "{} {}",
        serde_json::to_string(&body).expect("json"),
        entry.mac
    );
    fs::write(
        seal_path(&file),
        seal.iter().map(|s| format!("{s}\n")).collect::<String>(),
    )
    .expect("seal");
    let text = assert_found(
        &trail,
        &seal_path(&file),
        &format!(
            "line 1: entry {} does not verify under the verification key",
            body.seq
        ),
    );
    assert!(
        !text.contains(": modified"),
        "the data agrees with the forged seal: {text}"
    );
}

#[test]
fn a_service_and_logward_emit_sharing_a_sealed_file_keep_one_intact_chain() {
    let trail = Trail::new();
    // One day, no rotation: the runtime and `emit` use the system clock.
    fs::write(
        &trail.config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE_AUDIT={}\nLOG_SEAL_AUDIT=true\n",
            trail.log.display()
        ),
    )
    .expect("config");
    let guard = trail.runtime(SystemClock);
    for round in 0..5 {
        for i in 0..50 {
            let fields = [("n", json!(round * 50 + i)), ("action", json!("login"))];
            guard.emit(LogType::Audit, Level::Info, &fields, Some("service"));
        }
        guard.flush();
        // Another process seals its batch into the same chain while the
        // service's sealer still holds the state it last wrote.
        let out = logward(
            &[
                "--config",
                &trail.config,
                "emit",
                "--log-type",
                "audit",
                "--level",
                "info",
                &format!("round:={round}"),
                "action=cron",
            ],
            None,
        );
        assert!(
            out.status.success(),
            "emit: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    drop(guard);
    let lines = lines(&trail.log);
    assert_eq!(lines.len(), 255, "every record once");
    assert_eq!(lines.iter().filter(|l| l.contains("\"cron\"")).count(), 5);
    let entries = seal_lines(&trail.log);
    assert!(entries.len() >= 10, "{} seal entries", entries.len());
    let mode = fs::metadata(state_path(&trail.log))
        .expect("state")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let (code, text) = trail.verify();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("intact"), "{text}");
}

#[test]
fn a_million_records_across_five_rotations_verify_clean() {
    let trail = Trail::new();
    trail.write(6, 1_000_000 / 6 + 1, 50_000);
    let files = trail.files();
    assert_eq!(files.len(), 6);
    let (code, text) = trail.verify();
    assert_eq!(code, 0, "{text}");
    let lines = (1_000_000 / 6 + 1) * 6;
    assert!(
        text.contains(&format!("intact: 6 files, {lines} sealed lines")),
        "{text}"
    );
}

#[test]
fn a_bundle_verifies_off_the_machine_without_the_config() {
    let trail = three_days();
    let bundle = trail.dir.path().join("support.tar.gz");
    let b = bundle.display().to_string();
    let out = logward(
        &[
            "--config",
            &trail.config,
            "bundle",
            "--log-type",
            "audit",
            "--out-file",
            &b,
            "--compress",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let moved = elsewhere.path().join("support.tar.gz");
    let key = elsewhere.path().join("verify.key");
    fs::copy(&bundle, &moved).expect("copy bundle");
    fs::copy(&trail.key, &key).expect("copy key");
    drop(trail);
    let verify = |bundle: &Path| {
        let out = logward(
            &[
                "verify",
                "--bundle",
                &bundle.display().to_string(),
                "--verify-key",
                &key.display().to_string(),
            ],
            None,
        );
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = verify(&moved);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("intact: 3 files, 120 sealed lines"), "{text}");
    assert!(
        text.contains("intact when verified on the machine"),
        "{text}"
    );
}

#[test]
fn a_bundle_of_a_changed_trail_fails_off_the_machine_too() {
    let trail = three_days();
    let file = trail.files()[1].clone();
    let mut l = lines(&file);
    l[6] = l[6].replace("login", "logoff");
    write_lines(&file, &l);
    let bundle = trail.dir.path().join("b.tar.gz").display().to_string();
    let out = logward(
        &[
            "--config",
            &trail.config,
            "bundle",
            "--log-type",
            "audit",
            "--out-file",
            &bundle,
            "--compress",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = logward(
        &["verify", "--bundle", &bundle, "--verify-key", &trail.key],
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let name = file
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        text.contains(&format!("{name}: line 7: modified")),
        "{text}"
    );
    assert!(text.contains("on the machine:"), "{text}");
}

#[test]
fn verify_and_seal_refuse_senseless_flags_with_exit_2() {
    let trail = Trail::new();
    for args in [
        vec!["verify", "--date-from", "yesterday"],
        vec![
            "verify",
            "--date-from",
            "2026-03-02",
            "--date-to",
            "2026-03-01",
        ],
        vec!["verify", "--bundle", "b.tar.gz", "--log-type", "audit"],
        vec!["verify", "--log-type", "nosuch"],
        vec!["bundle", "--redact"],
        vec!["bundle", "--redact", "--out-file", "/tmp/x.jsonl"],
        vec!["seal", "init"],
    ] {
        let mut all = vec!["--config", trail.config.as_str()];
        all.extend(&args);
        let out = logward(&all, None);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = logward(
        &["--config", &trail.config, "verify", "--bundle", "b.tar.gz"],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "--config with --bundle");
}

/// The text of every member of the bundle at `path`, by name.
fn members(path: &Path) -> Vec<(String, String)> {
    let file = fs::File::open(path).expect("bundle");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for entry in archive.entries().expect("tar") {
        let mut entry = entry.expect("member");
        let name = entry.path().expect("name").display().to_string();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).expect("text");
        out.push((name, text));
    }
    out
}

/// One random record's identifying values.
#[derive(Debug, Clone)]
struct Person {
    ip: String,
    forwarded: String,
    user_id: String,
    user_name: String,
    host: String,
}

fn person() -> impl proptest::strategy::Strategy<Value = Person> {
    use proptest::prelude::*;
    (
        any::<[u8; 4]>(),
        any::<[u16; 8]>(),
        1000u32..99_999_999,
        "[a-z]{6,10}",
        "[a-z]{5,8}",
    )
        .prop_map(|(v4, v6, id, name, host)| Person {
            ip: std::net::Ipv4Addr::from(v4).to_string(),
            forwarded: std::net::Ipv6Addr::from(v6).to_string(),
            user_id: format!("u{id}"),
            user_name: format!("{name}x"),
            host: format!("h{host}.example.net"),
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(6))]

    #[test]
    fn a_redacted_bundle_keeps_no_original_and_pseudonyms_are_consistent(
        people in proptest::collection::vec(person(), 1..12),
        picks in proptest::collection::vec(0usize..100, 20..60),
    ) {
        let trail = Trail::new();
        let run = util::unique_id();
        let clock = ManualClock::new(day0() + HOUR);
        let guard = trail.runtime(clock.clone());
        for (n, pick) in picks.iter().enumerate() {
            let p = &people[pick % people.len()];
            let fields = [
                ("n", json!(n)),
                ("run", json!(run)),
                ("client_ip", json!(p.ip)),
                ("forwarded_for_client_ip", json!(p.forwarded)),
                ("user_id", json!(p.user_id)),
                ("user_name", json!(p.user_name)),
                ("hostname_seen", json!(format!("upstream {} said hi", p.host))),
                ("hostname", json!(p.host)),
                ("note", json!(format!("{} from {} ([{}]:443) as {}", p.user_name, p.ip, p.forwarded, p.user_id))),
            ];
            guard.emit(LogType::Audit, Level::Info, &fields, Some("seen"));
        }
        drop(guard);
        let bundle = trail.dir.path().join("r.tar.gz");
        let b = bundle.display().to_string();
        let out = logward(
            &[
                "--config", &trail.config, "bundle", "--log-type", "audit", "--date-from",
                "2026-03-01", "--date-to", "2026-03-01", "--out-file", &b, "--compress", "--redact",
            ],
            None,
        );
        proptest::prop_assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mapping_path = trail.dir.path().join("r.tar.gz.redaction.json");
        let mode = fs::metadata(&mapping_path).expect("mapping").permissions().mode() & 0o777;
        proptest::prop_assert_eq!(mode, 0o600);
        let mapping: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&mapping_path).expect("mapping")).expect("json");
        let machine = rustix::system::uname().nodename().to_string_lossy().into_owned();
        let members = members(&bundle);
        proptest::prop_assert!(members.iter().all(|(name, _)| !name.contains("redaction")));
        for (name, text) in &members {
            for p in &people {
                for original in [&p.ip, &p.forwarded, &p.user_id, &p.user_name, &p.host] {
                    proptest::prop_assert!(!text.contains(original.as_str()), "{original} in {name}");
                }
            }
            proptest::prop_assert!(!text.contains(&format!("\"{machine}\"")), "hostname in {name}");
        }
        let (_, audit) = members.iter().find(|(n, _)| n == "audit.jsonl").expect("audit");
        // The bundle also reads the journal's audit records (the file's
        // fallback); this run's are those of its tag.
        let records: Vec<serde_json::Value> = audit
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("record"))
            .filter(|r| r["run"] == json!(run))
            .collect();
        proptest::prop_assert_eq!(records.len(), picks.len());
        for record in &records {
            let n = usize::try_from(record["n"].as_u64().expect("n")).expect("n");
            let p = &people[picks[n] % people.len()];
            proptest::prop_assert_eq!(&record["client_ip"], &mapping["ip"][&p.ip]);
            proptest::prop_assert_eq!(&record["forwarded_for_client_ip"], &mapping["ip"][&p.forwarded]);
            proptest::prop_assert_eq!(&record["user_id"], &mapping["user"][&p.user_id]);
            proptest::prop_assert_eq!(&record["user_name"], &mapping["user"][&p.user_name]);
            proptest::prop_assert_eq!(&record["fields.hostname"], &mapping["host"][&p.host]);
            proptest::prop_assert_eq!(&record["hostname"], &mapping["host"][&machine]);
            let note = format!(
                "{} from {} ([{}]:443) as {}",
                mapping["user"][&p.user_name].as_str().expect("pseudonym"),
                mapping["ip"][&p.ip].as_str().expect("pseudonym"),
                mapping["ip"][&p.forwarded].as_str().expect("pseudonym"),
                mapping["user"][&p.user_id].as_str().expect("pseudonym"),
            );
            proptest::prop_assert_eq!(record["note"].as_str(), Some(note.as_str()));
        }
        let (_, manifest) = members.iter().find(|(n, _)| n == "manifest.json").expect("manifest");
        let manifest: serde_json::Value = serde_json::from_str(manifest).expect("manifest");
        proptest::prop_assert_eq!(&manifest["redaction"]["redacted"], &json!(true));
        proptest::prop_assert!(members.iter().all(|(n, _)| !n.starts_with("sealed/") || n.ends_with(".seal")));
        let out = logward(&["verify", "--bundle", &b, "--verify-key", &trail.key], None);
        let text = String::from_utf8_lossy(&out.stdout);
        proptest::prop_assert_eq!(out.status.code(), Some(0), "{}", text);
        proptest::prop_assert!(text.contains("redacted after verification"), "{}", text);
    }
}

//! End to end through real processes: three origin machines, each a UTS
//! namespace of its own (`unshare --uts`) with its own hostname, in which
//! the runtime (`logward emit --stdin`, which stamps the namespace's
//! hostname) writes 50,000 records to the machine's log file while a real
//! `logward ship` daemon, in the same namespace (`nsenter --uts`), ships
//! them over mutual TLS to one `logward receive` on loopback. The
//! collector is killed with SIGKILL and started again three times
//! mid-stream, and one machine's shipper is killed with SIGKILL and
//! started again too. Afterwards every record is in the collector exactly
//! once (counted by id: lost 0, duplicated 0), and `logward bundle
//! --hostname` on the collector finds them all.

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Collector, Pki, config};
use crate::it::ship::terminate;

const ORIGINS: usize = 3;
/// Per machine. 100,000 took over 5 minutes of the test build on the
/// 2-core machine; half keeps the same kills mid-stream in half the time.
const RECORDS: usize = 50_000;
/// Seconds without progress at the collector before the test gives up.
const STALL_SECS: u64 = 90;

/// Processes killed with SIGKILL when the test ends, also by a failure:
/// the machines' namespace holders, the writers, the shippers.
#[derive(Default)]
struct Procs(Vec<Option<Child>>);

impl Drop for Procs {
    fn drop(&mut self) {
        for child in self.0.iter_mut().filter_map(Option::as_mut) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One origin machine: its directory and the process holding its UTS
/// namespace.
struct Machine {
    n: usize,
    work: PathBuf,
    holder: u32,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn collector(dir: &Path, pki: &Pki, port: u16) -> Collector {
    let config = dir.join("config");
    let state = dir.join("state");
    Collector::start(
        &[
            "--config",
            config.to_str().expect("utf-8"),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--cert",
            pki.combined.to_str().expect("utf-8"),
            "--client-ca",
            pki.ca.to_str().expect("utf-8"),
            "--state-dir",
            state.to_str().expect("utf-8"),
        ],
        &[],
    )
}

impl Machine {
    /// Starts machine `origin-N`: a directory with its configuration (every
    /// type to `logs/app.log`, an export to the collector at `url` with
    /// the client certificate) and a namespace whose hostname is set.
    fn start(dir: &Path, n: usize, pki: &Pki, url: &str, holders: &mut Procs) -> Machine {
        let work = dir.join(format!("origin-{n}"));
        std::fs::create_dir_all(&work).expect("origin dir");
        let secret = |name: &str, text: &str| {
            let path = work.join(name);
            std::fs::write(&path, text).expect("write");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
            path
        };
        let cert = secret("client.pem", &pki.client.0);
        let key = secret("client.key", &pki.client.1);
        let log = work.join("logs/app.log");
        std::fs::write(
            work.join("config"),
            format!(
                "LOG_LEVEL=info\nLOG_FILE={log}\nLOG_FILE_AUDIT={log}\n\
                 EXPORT_CENTRAL_URL={url}\nEXPORT_CENTRAL_CA_FILE={ca}\n\
                 EXPORT_CENTRAL_CERT_FILE={cert}\nEXPORT_CENTRAL_KEY_FILE={key}\n",
                log = log.display(),
                ca = pki.ca.display(),
                cert = cert.display(),
                key = key.display(),
            ),
        )
        .expect("origin config");
        let mut holder = Command::new("unshare")
            .args(["--uts", "sh", "-c"])
            .arg(format!("hostname origin-{n} && echo up && exec sleep 3600"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("unshare runs");
        let mut up = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(holder.stdout.take().expect("stdout")),
            &mut up,
        )
        .expect("the namespace is up");
        assert_eq!(up.trim(), "up", "hostname origin-{n} failed");
        let pid = holder.id();
        holders.0.push(Some(holder));
        Machine {
            n,
            work,
            holder: pid,
        }
    }

    /// `program args` inside this machine's namespace, with its
    /// configuration.
    fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut command = Command::new("nsenter");
        command
            .arg(format!("--uts=/proc/{}/ns/uts", self.holder))
            .arg("--")
            .arg(program)
            .args(args)
            .env("LOGWARD_CONFIG", self.work.join("config"))
            .env_remove("STATE_DIRECTORY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// The runtime writing this machine's records, as a service would.
    fn writer(&self) -> Child {
        let logward = env!("CARGO_BIN_EXE_logward");
        let script = format!(
            "seq 1 {RECORDS} | sed 's/.*/{{\"n\":&,\"message\":\"record &\"}}/' \
             | {logward} emit --log-type web --level info --stdin"
        );
        self.command("sh", &["-c", &script])
            .spawn()
            .expect("the writer starts")
    }

    /// `logward ship`, the daemon.
    fn shipper(&self) -> Child {
        let state = self.work.join("state");
        self.command(
            env!("CARGO_BIN_EXE_logward"),
            &["ship", "--state-dir", state.to_str().expect("utf-8")],
        )
        .spawn()
        .expect("the shipper starts")
    }
}

/// Lines in `path` (0 when missing).
fn line_count(path: &Path) -> usize {
    std::fs::read(path).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
}

/// Each id of the JSON lines of `path` with `hostname` starting `origin-`,
/// with its hostname and how often it appears.
fn ids(path: &Path, into: &mut HashMap<String, (String, usize)>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let host = v.get("hostname").and_then(Value::as_str).unwrap_or("");
        if host.starts_with("origin-") {
            let id = v
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            into.entry(id).or_insert_with(|| (host.to_string(), 0)).1 += 1;
        }
    }
}

#[test]
fn three_origin_machines_shipping_with_logward_ship_store_every_record_exactly_once_through_kills()
{
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new(dir.path());
    config(dir.path(), "");
    let port = free_port();
    let url = format!("https://127.0.0.1:{port}/log");
    let mut holders = Procs::default();
    let machines: Vec<Machine> = (1..=ORIGINS)
        .map(|n| Machine::start(dir.path(), n, &pki, &url, &mut holders))
        .collect();
    let mut collector = Some(collector(dir.path(), &pki, port));
    let mut writers = Procs(machines.iter().map(|m| Some(m.writer())).collect());
    let mut shippers = Procs(machines.iter().map(|m| Some(m.shipper())).collect());

    let stored_log = dir.path().join("logs/all.log");
    let total = ORIGINS * RECORDS;
    let mut progress = (0, Instant::now());
    let mut wait_for = |at: usize| loop {
        let n = line_count(&stored_log);
        if n >= at {
            return n;
        }
        if n > progress.0 {
            progress = (n, Instant::now());
        }
        assert!(
            progress.1.elapsed() < Duration::from_secs(STALL_SECS),
            "no progress at the collector for {STALL_SECS} s at {n} of {at} records"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stored_at_kill = Vec::new();
    for k in 1..=3 {
        stored_at_kill.push(wait_for(total * k / 5));
        if let Some(c) = collector.take() {
            c.kill();
        }
        if k == 2 {
            // Machine 2's shipper dies too, and starts again.
            if let Some(mut s) = shippers.0[1].take() {
                let _ = s.kill();
                let _ = s.wait();
            }
            shippers.0[1] = Some(machines[1].shipper());
        }
        std::thread::sleep(Duration::from_millis(300));
        collector = Some(self::collector(dir.path(), &pki, port));
    }
    for w in writers.0.iter_mut().filter_map(Option::as_mut) {
        let status = w.wait().expect("writer");
        assert!(status.success(), "the writer failed: {status}");
    }
    wait_for(total);
    // Whatever a shipper still sends again arrives meanwhile, and shows.
    std::thread::sleep(Duration::from_secs(2));
    eprintln!("end to end: {total} records, stored at the three kills: {stored_at_kill:?}");
    assert!(
        stored_at_kill.iter().all(|&n| n < total),
        "the kills landed mid-stream: {stored_at_kill:?}"
    );
    for s in shippers.0.iter_mut().filter_map(Option::take) {
        terminate(s);
    }
    drop(collector);

    let mut sent: HashMap<String, (String, usize)> = HashMap::new();
    for m in &machines {
        ids(&m.work.join("logs/app.log"), &mut sent);
    }
    assert_eq!(sent.len(), total, "records written at the origins");
    let hosts: HashSet<String> = sent.values().map(|(h, _)| h.clone()).collect();
    let want: HashSet<String> = (1..=ORIGINS).map(|n| format!("origin-{n}")).collect();
    assert_eq!(hosts, want, "each machine stamps its own hostname");
    let mut stored = HashMap::new();
    ids(&stored_log, &mut stored);
    ids(&dir.path().join("logs/audit.log"), &mut stored);
    let lost = sent.keys().filter(|id| !stored.contains_key(*id)).count();
    let duplicated: usize = stored.values().map(|(_, n)| n - 1).sum();
    let strangers = stored.keys().filter(|id| !sent.contains_key(*id)).count();
    assert_eq!(
        (lost, duplicated, strangers),
        (0, 0, 0),
        "lost, duplicated, not sent"
    );
    for m in &machines {
        let mine = sent
            .values()
            .filter(|(h, _)| *h == format!("origin-{}", m.n));
        assert_eq!(mine.count(), RECORDS);
    }

    let bundle = Command::new(env!("CARGO_BIN_EXE_logward"))
        .args(["bundle", "--config"])
        .arg(dir.path().join("config"))
        .args(["--hostname", "origin-1,origin-2,origin-3"])
        .env_remove("LOGWARD_CONFIG")
        .output()
        .expect("bundle runs");
    assert!(
        bundle.status.success(),
        "{}",
        String::from_utf8_lossy(&bundle.stderr)
    );
    let mut bundled: HashMap<String, usize> = HashMap::new();
    for line in String::from_utf8_lossy(&bundle.stdout).lines() {
        let v: Value = serde_json::from_str(line).expect("a record");
        let id = v["id"].as_str().expect("id").to_string();
        *bundled.entry(id).or_default() += 1;
    }
    assert_eq!(bundled.len(), total);
    assert!(bundled.values().all(|&n| n == 1));
    assert!(sent.keys().all(|id| bundled.contains_key(id)));
}

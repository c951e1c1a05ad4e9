//! End to end through real processes: three origin machines, each in its
//! own UTS namespace (`unshare --uts`) with its own hostname, write
//! 100,000 records each through the runtime (`logward emit --stdin`, which
//! stamps the namespace's hostname), and a sender in that namespace posts
//! the origin's log file in batches over mutual TLS with `curl`, at least
//! once: a batch whose 200 it did not see is sent again, and its position
//! is kept in a file so that a restarted sender goes on where it was. The
//! collector is killed with SIGKILL and restarted three times mid-stream,
//! and one origin's sender is killed and restarted too. Afterwards every
//! record is in the collector exactly once (counted by id: lost 0,
//! duplicated 0), and `logward bundle --hostname` on the collector finds
//! them all.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Collector, Pki, config};

const ORIGINS: usize = 3;
const RECORDS: usize = 100_000;
/// Seconds without progress before the test gives up.
const STALL_SECS: u64 = 60;
const BATCH_LINES: usize = 2_000;

/// The sender: split the log into batches once, post each until a 200,
/// note it as acknowledged.
const SENDER: &str = r#"set -eu
cd "$WORK"
if [ ! -d batches ]; then
    rm -rf batches.tmp; mkdir batches.tmp
    split -l "$BATCH_LINES" -a 4 -d logs/app.log batches.tmp/b
    mv batches.tmp batches
fi
touch acked
for b in batches/b*; do
    name=${b#batches/}
    if grep -qx "$name" acked; then continue; fi
    until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 --cacert "$CA" \
        --cert "$CERT" --key "$KEY" --data-binary @"$b" "$URL" || true)" = 200 ]; do
        sleep 0.05
    done
    echo "$name" >> acked
done
touch finished
"#;

/// The senders, killed (with their namespace's processes) if the test
/// fails.
struct Senders(Vec<Child>);

impl Drop for Senders {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
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

/// One origin's directory, with its configuration and client certificate.
fn origin(dir: &Path, n: usize, pki: &Pki) -> PathBuf {
    let work = dir.join(format!("origin-{n}"));
    std::fs::create_dir_all(&work).expect("origin dir");
    std::fs::write(
        work.join("config"),
        format!(
            "LOG_LEVEL=info\nLOG_FILE={}\n",
            work.join("logs/app.log").display()
        ),
    )
    .expect("origin config");
    std::fs::write(work.join("client.pem"), &pki.client.0).expect("cert");
    std::fs::write(work.join("client.key"), &pki.client.1).expect("key");
    work
}

/// `sh -c script` in a new UTS namespace whose hostname is `origin-N`.
fn in_namespace(n: usize, work: &Path, script: &str, env: &[(&str, String)]) -> Command {
    let mut command = Command::new("unshare");
    command
        .args(["--uts", "--fork", "--kill-child", "sh", "-c"])
        .arg(format!("hostname origin-{n} && {script}"))
        .env("WORK", work)
        .env("LOGWARD_CONFIG", work.join("config"))
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    command
}

fn sender(n: usize, work: &Path, pki: &Pki, url: &str) -> Child {
    let env = [
        ("CA", pki.ca.display().to_string()),
        ("CERT", work.join("client.pem").display().to_string()),
        ("KEY", work.join("client.key").display().to_string()),
        ("URL", url.to_string()),
        ("BATCH_LINES", BATCH_LINES.to_string()),
    ];
    in_namespace(n, work, SENDER, &env)
        .stdout(Stdio::null())
        .spawn()
        .expect("the sender starts")
}

fn acked(works: &[PathBuf]) -> usize {
    works
        .iter()
        .map(|w| std::fs::read_to_string(w.join("acked")).map_or(0, |t| t.lines().count()))
        .sum()
}

/// Each id of the JSON lines of `path` with `hostname` starting `origin-`.
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
fn three_origins_in_their_own_namespaces_ship_every_record_exactly_once_through_kills() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new(dir.path());
    config(dir.path(), "");
    let port = free_port();
    let url = format!("https://127.0.0.1:{port}/log");
    let works: Vec<PathBuf> = (1..=ORIGINS).map(|n| origin(dir.path(), n, &pki)).collect();
    let logward = env!("CARGO_BIN_EXE_logward");
    for (i, work) in works.iter().enumerate() {
        let script = format!(
            "seq 1 {RECORDS} | sed 's/.*/{{\"n\":&,\"message\":\"record &\"}}/' | {logward} emit --log-type web --level info --stdin"
        );
        let out = in_namespace(i + 1, work, &script, &[])
            .output()
            .expect("emit runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut collector = Some(collector(dir.path(), &pki, port));
    let mut senders = Senders(
        (0..ORIGINS)
            .map(|i| sender(i + 1, &works[i], &pki, &url))
            .collect(),
    );
    let diagnose = || {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "10", "--cacert"])
            .arg(&pki.ca)
            .arg("--cert")
            .arg(works[0].join("client.pem"))
            .arg("--key")
            .arg(works[0].join("client.key"))
            .args(["--data-binary", "{}", &url])
            .output();
        out.map(|o| {
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
        .unwrap_or_default()
    };
    let batches = ORIGINS * RECORDS.div_ceil(BATCH_LINES);
    let wait_for = |at: usize| {
        let deadline = Instant::now() + Duration::from_secs(STALL_SECS);
        while acked(&works) < at {
            assert!(
                Instant::now() < deadline,
                "the senders stalled at {}: {}",
                acked(&works),
                diagnose()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    for (k, at) in [batches / 5, batches * 2 / 5, batches * 3 / 5]
        .into_iter()
        .enumerate()
    {
        wait_for(at);
        if let Some(c) = collector.take() {
            c.kill();
        }
        if k == 1 {
            // One origin's sender dies too, and starts again.
            let _ = senders.0[1].kill();
            let _ = senders.0[1].wait();
            senders.0[1] = sender(2, &works[1], &pki, &url);
        }
        std::thread::sleep(Duration::from_millis(200));
        collector = Some(self::collector(dir.path(), &pki, port));
    }
    for s in &mut senders.0 {
        let status = s.wait().expect("sender");
        assert!(status.success(), "{status}");
    }
    for work in &works {
        assert!(work.join("finished").exists());
    }
    drop(collector);

    let mut sent: HashMap<String, (String, usize)> = HashMap::new();
    for work in &works {
        ids(&work.join("logs/app.log"), &mut sent);
    }
    assert_eq!(
        sent.len(),
        ORIGINS * RECORDS,
        "records written at the origins"
    );
    let hosts: HashSet<&str> = sent.values().map(|(h, _)| h.as_str()).collect();
    assert_eq!(hosts.len(), ORIGINS, "{hosts:?}");
    let mut stored = HashMap::new();
    ids(&dir.path().join("logs/all.log"), &mut stored);
    let lost = sent.keys().filter(|id| !stored.contains_key(*id)).count();
    let duplicated: usize = stored.values().map(|(_, n)| n - 1).sum();
    assert_eq!((lost, duplicated), (0, 0), "lost, duplicated");

    let bundle = Command::new(logward)
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
    let bundled: HashSet<String> = String::from_utf8_lossy(&bundle.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v.get("id").and_then(Value::as_str).map(String::from))
        .collect();
    assert_eq!(bundled.len(), ORIGINS * RECORDS);
    assert!(sent.keys().all(|id| bundled.contains(id)));
}

//! Exactly once across kills: three senders, each for its own origin
//! hostname, post batches at least once (a batch whose answer did not come
//! is sent again, as `logward ship` does) while the collector is killed
//! with SIGKILL and restarted three times. Afterwards each record is in the
//! collector's file exactly once, counted by id. The first collector
//! kills itself right after writing a batch and before committing its ids
//! (`IT_LOGWARD_RECEIVE_DIE_AFTER_WRITE`), the moment a kill from outside
//! rarely hits.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Collector, Pki, config, lines, post, record};

const ORIGINS: u32 = 3;
const BATCHES: u64 = 40;
const BATCH: u64 = 500;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start(dir: &Path, pki: &Pki, port: u16, env: &[(&str, &str)]) -> Collector {
    let config = config(dir, "");
    let state = dir.join("state");
    let listen = format!("127.0.0.1:{port}");
    Collector::start(
        &[
            "--config",
            config.to_str().expect("utf-8"),
            "--listen",
            &listen,
            "--cert",
            pki.combined.to_str().expect("utf-8"),
            "--client-ca",
            pki.ca.to_str().expect("utf-8"),
            "--state-dir",
            state.to_str().expect("utf-8"),
        ],
        env,
    )
}

#[test]
fn records_sent_at_least_once_through_three_sigkills_are_stored_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Arc::new(Pki::new(dir.path()));
    let port = free_port();
    // The first collector dies between writing its 10th batch and
    // committing its ids; the others are killed from outside.
    let mut collector = Some(start(
        dir.path(),
        &pki,
        port,
        &[("IT_LOGWARD_RECEIVE_DIE_AFTER_WRITE", "10")],
    ));
    let url = format!("https://127.0.0.1:{port}/log");
    let acked = Arc::new(AtomicUsize::new(0));
    let resent = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (1..=ORIGINS)
        .map(|o| {
            let (pki, url, acked, resent) = (
                Arc::clone(&pki),
                url.clone(),
                Arc::clone(&acked),
                Arc::clone(&resent),
            );
            std::thread::spawn(move || {
                let host = format!("origin-{o}");
                let mut agent = pki.agent(Some(&pki.client));
                for b in 0..BATCHES {
                    let body: String = (b * BATCH..(b + 1) * BATCH)
                        .map(|n| {
                            record(&host, o, n, if n % 7 == 0 { "audit" } else { "web" }) + "\n"
                        })
                        .collect();
                    let deadline = Instant::now() + Duration::from_secs(120);
                    loop {
                        let (status, answer) = post(&agent, &url, body.as_bytes(), &[]);
                        if status == 200 {
                            break;
                        }
                        assert!(
                            Instant::now() < deadline,
                            "{host} batch {b}: {status} {answer}"
                        );
                        resent.fetch_add(1, Ordering::Relaxed);
                        agent = pki.agent(Some(&pki.client));
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    acked.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let total = (u64::from(ORIGINS) * BATCHES) as usize;
    let mut died_by_itself = false;
    for at in [total / 5, total / 2, total * 4 / 5] {
        let deadline = Instant::now() + Duration::from_secs(120);
        while acked.load(Ordering::Relaxed) < at {
            assert!(Instant::now() < deadline, "the senders stalled");
            if collector.as_mut().is_some_and(|c| !c.alive()) {
                died_by_itself = true;
                collector = Some(start(dir.path(), &pki, port, &[]));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if let Some(c) = collector.take() {
            c.kill();
        }
        collector = Some(start(dir.path(), &pki, port, &[]));
    }
    for sender in senders {
        sender.join().expect("a sender finished");
    }
    assert!(
        died_by_itself,
        "the first collector died after its 10th write"
    );
    assert!(
        resent.load(Ordering::Relaxed) > 0,
        "a kill interrupted some batch"
    );
    let logs = dir.path().join("logs");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for line in lines(&logs.join("all.log"))
        .into_iter()
        .chain(lines(&logs.join("audit.log")))
    {
        let host = line.get("hostname").and_then(Value::as_str).unwrap_or("");
        if host.starts_with("origin-") {
            let id = line
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            *seen.entry(id).or_default() += 1;
        }
    }
    let mut lost = 0;
    for o in 1..=ORIGINS {
        for n in 0..BATCHES * BATCH {
            if !seen.contains_key(&format!("{o:08x}-0000-4000-8000-{n:012x}")) {
                lost += 1;
            }
        }
    }
    let duplicated: usize = seen.values().map(|&c| c - 1).sum();
    assert_eq!((lost, duplicated), (0, 0), "lost, duplicated");
    assert_eq!(seen.len(), (u64::from(ORIGINS) * BATCHES * BATCH) as usize);
}

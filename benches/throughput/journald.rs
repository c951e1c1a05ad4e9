//! `tracing-journald` as a case, and reading back from the journal.

use std::process::Command;
use std::time::Duration;

use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt;

use crate::common;
use crate::measure::{Dest, Row, measure, unique};

/// `tracing-journald`, which sends each record from the calling thread.
pub fn tracing_journald(threads: usize, n: u64) -> Row {
    let name = unique("tracing-journald", threads);
    let layer = tracing_journald::layer()
        .expect("tracing-journald connects")
        .with_syslog_identifier(name.clone());
    let dispatch = Dispatch::new(tracing_subscriber::registry().with(layer));
    let timed = measure(
        threads,
        n,
        Some(&dispatch),
        &common::login_attempt,
        journald_sync,
    );
    let mut row = Row::new("tracing-journald", Dest::Journald, threads, n, timed);
    row.lost = n.saturating_sub(journal_count(&name));
    row
}

/// Returns once journald has stored everything sent before the call.
pub fn journald_sync() {
    let status = Command::new("journalctl").arg("--sync").status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "journalctl --sync failed"
    );
}

/// Entries in the journal with this `SYSLOG_IDENTIFIER`, counted once the
/// count stops changing (`--sync` has already been waited for).
pub fn journal_count(identifier: &str) -> u64 {
    let count = || {
        let output = Command::new("journalctl")
            .args(["--quiet", "--no-pager", "--output=cat"])
            .arg(format!("SYSLOG_IDENTIFIER={identifier}"))
            .output()
            .expect("run journalctl");
        output.stdout.iter().filter(|&&b| b == b'\n').count() as u64
    };
    let mut last = count();
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = count();
        if now == last {
            return now;
        }
        last = now;
    }
}

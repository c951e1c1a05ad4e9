//! The journal's side of verification: the last chain head the writer sent
//! (the anchor against a removed tail), and `journalctl --verify` for the
//! types that go to journald.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::chain::Head;
use super::{Finding, Report};
use crate::{Sender, Trust};

/// The newest anchors looked at per sealed log.
const ANCHORS: &str = "200";

/// The last chain head the journal holds for the sealed log `log`, from a
/// trusted sender: `(seq, head hash, chain)`.
fn last_anchor(log: &Path, trust: &Trust) -> Result<Option<(u64, String, String)>, String> {
    let output = Command::new("journalctl")
        .args(["--no-pager", "-o", "json", "-r", "-n", ANCHORS])
        .arg(format!("LOGWARD_SEAL_LOG={}", log.display()))
        .output()
        .map_err(|e| format!("cannot run journalctl: {e}"))?;
    let mut best: Option<(u64, String, String)> = None;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(entry) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let field = |name: &str| entry.get(name).and_then(Value::as_str).map(str::to_string);
        let sender = Sender {
            uid: field("_UID").and_then(|u| u.parse().ok()),
            unit: field("_SYSTEMD_UNIT"),
            ..Sender::default()
        };
        if !trust.trusts(&sender) {
            continue;
        }
        let (Some(seq), Some(head), Some(chain)) = (
            field("LOGWARD_SEAL_SEQ").and_then(|s| s.parse::<u64>().ok()),
            field("LOGWARD_SEAL_HEAD"),
            field("LOGWARD_SEAL_CHAIN"),
        ) else {
            continue;
        };
        if best.as_ref().is_none_or(|(s, _, _)| seq > *s) {
            best = Some((seq, head, chain));
        }
    }
    Ok(best)
}

/// Compares the end of the chain of `log` with the journal's anchor.
pub(super) fn check_tail(log: &Path, head: Option<&Head>, trust: &Trust, report: &mut Report) {
    let anchor = match last_anchor(log, trust) {
        Ok(anchor) => anchor,
        Err(e) => {
            report.note(format!(
                "{}: {e}; a removed tail cannot be checked",
                log.display()
            ));
            return;
        }
    };
    let Some((seq, hash, chain)) = anchor else {
        report.note(format!(
            "{}: the journal holds no seal head for it; a removed tail cannot be checked",
            log.display()
        ));
        return;
    };
    match head {
        Some(head) if head.chain == chain && head.seq > seq => {}
        Some(head) if head.chain == chain && head.seq == seq => {
            if head.hash != hash {
                report.fail(Finding::new(
                    &head.file,
                    format!(
                        "the seal's last entry {seq} differs from the one the journal recorded \
                         (the seal's end was rewritten)"
                    ),
                ));
            }
        }
        Some(head) if head.chain == chain => report.fail(Finding::new(
            &head.file,
            format!(
                "tail removed: the journal's last seal head is entry {seq}, the seal ends at \
                 entry {}; the lines of entries {}-{seq} are gone",
                head.seq,
                head.seq + 1
            ),
        )),
        _ => report.fail(Finding::new(
            log,
            format!(
                "tail removed: the journal's last seal head is entry {seq} of chain {chain}, \
                 which no seal file here holds"
            ),
        )),
    }
}

/// Runs `journalctl --verify` and says whether Forward Secure Sealing is
/// set up.
pub(super) fn verify_journal(report: &mut Report) {
    let fss = std::fs::read_to_string("/etc/machine-id")
        .ok()
        .map(|id| Path::new("/var/log/journal").join(id.trim()).join("fss"))
        .is_some_and(|p| p.exists());
    match Command::new("journalctl").args(["--verify", "-q"]).output() {
        Ok(out) if out.status.success() => {
            report.note("journald: `journalctl --verify` passed".to_string());
        }
        Ok(out) => report.fail(Finding::new(
            Path::new("journald"),
            format!(
                "`journalctl --verify` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        )),
        Err(e) => report.note(format!("journald: cannot run `journalctl --verify`: {e}")),
    }
    if fss {
        report.note("journald: Forward Secure Sealing is set up".to_string());
    } else {
        report.note(
            "journald: Forward Secure Sealing is not set up, so `journalctl --verify` cannot \
             tell a modified journal from an intact one; set it up with `journalctl \
             --setup-keys` (persistent journal, Storage=persistent)"
                .to_string(),
        );
    }
}

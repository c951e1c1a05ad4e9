//! The journal source: records the runtime wrote to the real journald are
//! shipped after a persisted cursor, and an entry another user planted with
//! the same fields is never shipped.

use std::collections::BTreeSet;
use std::io::Write as _;

use super::*;
use crate::it::https_server::Reply;
use crate::util::journald::{ensure_running, read_back};
use crate::util::unique_id;

fn forged(run: &str) -> String {
    json!({
        "id": "6a1e4a9e-0c55-4c31-8d0a-7d2b1f3e9c42",
        "created_at": "2026-12-01T12:00:00.000000Z",
        "hostname": "web-1",
        "level": "error",
        "log_type": "web",
        "pid": 1,
        "test_run": run,
        "message": "planted",
    })
    .to_string()
}

#[test]
fn journal_records_are_shipped_after_the_cursor_and_planted_entries_never() {
    ensure_running();
    let run = unique_id();
    let dir = tempfile::tempdir().expect("dir");
    let server = HttpsServer::start(dir.path(), |_, _| Reply::status(200, "{}"));
    let setup = Setup::new("");
    std::fs::write(
        &setup.config,
        format!(
            "LOG_LEVEL=info\nLOG_FILE_AUDIT={}\n{}",
            setup.path().join("audit.log").display(),
            export_keys(
                "J",
                &server,
                "/in",
                &format!(
                    "EXPORT_J_TYPES=web\nEXPORT_J_START=now\n\
                     EXPORT_J_FILTER={{\"where\":{{\"key\":\"test_run\",\"operator\":\"eq\",\"value\":\"{run}\"}}}}\n"
                ),
            )
        ),
    )
    .expect("config");
    let before: Vec<Written> = (0..20)
        .map(|i| {
            (
                LogType::Web,
                Level::Info,
                vec![
                    ("test_run".to_string(), json!(run)),
                    ("i".to_string(), json!(i)),
                ],
            )
        })
        .collect();
    write_records(&setup.config, &before);
    read_back(&[("TEST_RUN", run.as_str())], 20);
    // Starting at `now` skips what is already there, and remembers where.
    let out = setup.ship_once(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(received_ids(&server, |_, _| true).is_empty());
    let first: Vec<Written> = vec![(
        LogType::Web,
        Level::Warning,
        vec![
            ("test_run".to_string(), json!(run)),
            ("i".to_string(), json!(-1)),
        ],
    )];
    write_records(&setup.config, &first);
    read_back(&[("TEST_RUN", run.as_str())], 21);
    let out = setup.ship_once(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(received_ids(&server, |_, _| true).len(), 1);

    let mut logger = Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "logger",
            "--journald",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("logger runs");
    let fields = format!(
        "MESSAGE={}\nLOG_TYPE=web\nLEVEL=error\nPRIORITY=3\nTEST_RUN={run}\n",
        forged(&run)
    );
    logger
        .stdin
        .take()
        .expect("stdin")
        .write_all(fields.as_bytes())
        .expect("fields written");
    assert!(logger.wait().expect("logger ends").success());
    let after: Vec<Written> = (0..300)
        .map(|i| {
            (
                LogType::Web,
                Level::Warning,
                vec![
                    ("test_run".to_string(), json!(run)),
                    ("i".to_string(), json!(i)),
                ],
            )
        })
        .collect();
    write_records(&setup.config, &after);
    let entries = read_back(&[("TEST_RUN", run.as_str())], 322);
    let want: BTreeSet<String> = entries
        .iter()
        .map(crate::util::journald::record_of)
        .filter(|r| r["level"] == "warning" && r["id"] != "6a1e4a9e-0c55-4c31-8d0a-7d2b1f3e9c42")
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(want.len(), 301);
    let out = setup.ship_once(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = received_ids(&server, |_, _| true);
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), want);
    assert!(got.values().all(|&n| n == 1));
    // Nothing new: nothing sent again.
    let requests = server.requests().len();
    let out = setup.ship_once(&[]);
    assert!(out.status.success());
    assert_eq!(server.requests().len(), requests);
    assert_eq!(setup.export_status("J")["records_sent"], 301);
}

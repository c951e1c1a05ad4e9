//! Filters in Logpush's language select what each export sends: every
//! operator, and/or nesting, numbers as strings; bad filters are refused by
//! `config check` with their position.

use std::collections::BTreeSet;

use super::*;
use crate::it::https_server::Reply;

type Predicate = fn(&Map<String, Value>) -> bool;

fn num(r: &Map<String, Value>, key: &str) -> i64 {
    r[key].as_i64().expect("a number")
}

fn text<'a>(r: &'a Map<String, Value>, key: &str) -> &'a str {
    r[key].as_str().expect("a string")
}

#[test]
fn every_operator_and_nesting_selects_what_the_filter_says() {
    let cases: Vec<(&str, &str, Predicate)> = vec![
        (
            "EQ",
            r#"{"key":"status_code","operator":"eq","value":500}"#,
            |r| num(r, "status_code") == 500,
        ),
        (
            "NEQ",
            r#"{"key":"level","operator":"!eq","value":"debug"}"#,
            |r| text(r, "level") != "debug",
        ),
        ("LT", r#"{"key":"seq","operator":"lt","value":10}"#, |r| {
            num(r, "seq") < 10
        }),
        (
            "LEQ",
            r#"{"key":"seq","operator":"leq","value":"10"}"#,
            |r| num(r, "seq") <= 10,
        ),
        ("GT", r#"{"key":"seq","operator":"gt","value":90}"#, |r| {
            num(r, "seq") > 90
        }),
        (
            "GEQ",
            r#"{"key":"status_code","operator":"geq","value":400}"#,
            |r| num(r, "status_code") >= 400,
        ),
        (
            "SW",
            r#"{"key":"path","operator":"startsWith","value":"/api/v1/"}"#,
            |r| text(r, "path").starts_with("/api/v1/"),
        ),
        (
            "EW",
            r#"{"key":"path","operator":"endsWith","value":"/7"}"#,
            |r| text(r, "path").ends_with("/7"),
        ),
        (
            "NSW",
            r#"{"key":"path","operator":"!startsWith","value":"/api/v2"}"#,
            |r| !text(r, "path").starts_with("/api/v2"),
        ),
        (
            "NEW",
            r#"{"key":"path","operator":"!endsWith","value":"0"}"#,
            |r| !text(r, "path").ends_with('0'),
        ),
        (
            "CONTAINS",
            r#"{"key":"path","operator":"contains","value":"item/1"}"#,
            |r| text(r, "path").contains("item/1"),
        ),
        (
            "NCONTAINS",
            r#"{"key":"path","operator":"!contains","value":"v0"}"#,
            |r| !text(r, "path").contains("v0"),
        ),
        (
            "TAGS",
            r#"{"key":"tags","operator":"contains","value":"t1"}"#,
            |r| r["tags"][0] == "t1",
        ),
        (
            "IN",
            r#"{"key":"log_type","operator":"in","value":["audit","tanium"]}"#,
            |r| ["audit", "tanium"].contains(&text(r, "log_type")),
        ),
        (
            "NIN",
            r#"{"key":"status_code","operator":"!in","value":[200,"300"]}"#,
            |r| ![200, 300].contains(&num(r, "status_code")),
        ),
        (
            "ABSENT",
            r#"{"key":"no_such_field","operator":"!eq","value":1}"#,
            |_| true,
        ),
        (
            "NESTED",
            r#"{"and":[{"or":[{"key":"log_type","operator":"eq","value":"web"},{"key":"log_type","operator":"eq","value":"audit"}]},{"key":"status_code","operator":"geq","value":300},{"or":[{"key":"seq","operator":"lt","value":20},{"key":"path","operator":"endsWith","value":"9"}]}]}"#,
            |r| {
                ["web", "audit"].contains(&text(r, "log_type"))
                    && num(r, "status_code") >= 300
                    && (num(r, "seq") < 20 || text(r, "path").ends_with('9'))
            },
        ),
    ];
    let dir = tempfile::tempdir().expect("dir");
    let server = HttpsServer::start(dir.path(), |_, _| Reply::status(200, "{}"));
    let mut keys = String::new();
    for (name, filter, _) in &cases {
        keys.push_str(&export_keys(
            name,
            &server,
            &format!("/{name}"),
            &format!("EXPORT_{name}_FILTER={{\"where\":{filter}}}\n"),
        ));
    }
    let setup = Setup::new(&keys);
    write_records(&setup.config, &mixed(100));
    let out = setup.ship_once(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = setup.written();
    for (name, _, predicate) in &cases {
        let want: BTreeSet<String> = written
            .iter()
            .filter(|r| predicate(r))
            .map(|r| text(r, "id").to_string())
            .collect();
        assert!(
            !want.is_empty() && want.len() < 100 || *name == "ABSENT",
            "{name} selects some"
        );
        let path = format!("/{name}");
        let got = received_ids(&server, |_, r| r.path == path);
        assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), want, "{name}");
        assert!(got.values().all(|&n| n == 1), "{name}");
    }
}

#[test]
fn config_check_refuses_bad_filters_at_their_position_and_shows_exports_without_secrets() {
    let setup = Setup::new(
        "EXPORT_A_URL=https://siem.example/in\n\
         EXPORT_A_FILTER={\"where\":{\"or\":[{\"key\":\"x\",\"operator\":\"eq\",\"value\":1},{\"key\":\"y\",\"operator\":\"matches\",\"value\":1}]}}\n\
         EXPORT_B_URL=https://siem.example/in\n\
         EXPORT_B_FILTER={\"where\":{\"key\":\"x\",\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_logward"))
        .args(["config", "check", "--config"])
        .arg(&setup.config)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let config = setup.config.display().to_string();
    assert!(
        stderr.contains(&format!("{config}:6: EXPORT_A_FILTER=")),
        "{stderr}"
    );
    assert!(stderr.contains("where.or[1].operator"), "{stderr}");
    assert!(
        stderr.contains(&format!("{config}:8: EXPORT_B_FILTER=")),
        "{stderr}"
    );
    assert!(stderr.contains("line 1"), "{stderr}");

    let headers = setup.path().join("siem.headers");
    std::fs::write(&headers, "Authorization: Splunk TOP-SECRET-TOKEN\n").expect("write");
    std::fs::set_permissions(
        &headers,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("chmod");
    setup.write_config(&format!(
        "EXPORT_SIEM_URL=https://siem.example:8088/services/collector\n\
         EXPORT_SIEM_HEADER_FILE={}\nEXPORT_SIEM_FORMAT=hec\nEXPORT_SIEM_TYPES=audit\n\
         EXPORT_SIEM_FILTER={{\"where\":{{\"key\":\"level\",\"operator\":\"in\",\"value\":[\"error\",\"critical\"]}}}}\n",
        headers.display()
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_logward"))
        .args(["config", "check", "--config"])
        .arg(&setup.config)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = stdout
        .lines()
        .find(|l| l.starts_with("SIEM "))
        .unwrap_or_else(|| panic!("an export row: {stdout}"));
    for cell in [
        "https://siem.example:8088/services/collector",
        "audit",
        "yes",
        "hec",
        "system roots",
    ] {
        assert!(row.contains(cell), "{cell}: {row}");
    }
    assert!(row.contains(&headers.display().to_string()), "{row}");
    assert!(
        !stdout.contains("TOP-SECRET")
            && !String::from_utf8_lossy(&out.stderr).contains("TOP-SECRET")
    );
}

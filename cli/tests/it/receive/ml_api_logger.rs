//! The drop-in for ExtraHop's `ml_api_logger`: the same environment
//! (`LOGGER_CERT` holding key, certificate and CA in one file,
//! `LOGGER_PORT`, `LOGGER_IP`), `POST /log`, and `--stdout` writing each
//! received JSON object as one line, whatever it holds.

use std::process::Stdio;

use serde_json::{Value, json};

use super::{Collector, Pki, post};

/// ExtraHop API interaction log objects, as its API-log export posts them.
fn extrahop_objects() -> [Value; 2] {
    [
        json!({
            "sequence": 1,
            "request": {"method": "GET", "uri": "/api/v1/devices?limit=100", "remote_addr": "10.1.2.3", "user": "setup"},
            "request_body": "",
            "response_status_code": 200,
            "response_headers": {"Content-Type": "application/json"},
            "response_body": "[{\"id\":1201,\"display_name\":\"db-1\"}]"
        }),
        json!({
            "sequence": 2,
            "request": {"method": "POST", "uri": "/api/v1/alerts", "remote_addr": "10.1.2.3", "user": "alice"},
            "request_body": "{\"name\":\"high latency\",\"severity\":3}",
            "response_status_code": 201,
            "response_headers": {"Location": "/api/v1/alerts/77"},
            "response_body": ""
        }),
    ]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[test]
fn the_logger_environment_and_stdout_take_any_json_one_object_per_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new(dir.path());
    let out = dir.path().join("extrahop-ade-log.json");
    let port = free_port().to_string();
    let collector = Collector::start_with(
        &["--stdout"],
        &[
            ("LOGGER_CERT", pki.combined.to_str().expect("utf-8")),
            ("LOGGER_PORT", &port),
            ("LOGGER_IP", "127.0.0.1"),
        ],
        Stdio::from(std::fs::File::create(&out).expect("stdout file")),
    );
    assert_eq!(collector.url, format!("https://127.0.0.1:{port}"));
    let agent = pki.agent(None);
    let url = format!("{}/log", collector.url);
    let [first, second] = extrahop_objects();
    // One pretty-printed object per request, as the export sends them.
    for object in [&first, &second] {
        let body = serde_json::to_string_pretty(object).expect("json");
        let (status, answer) = post(
            &agent,
            &url,
            body.as_bytes(),
            &[("Content-Type", "application/json")],
        );
        assert_eq!(status, 200, "{answer}");
    }
    let (status, _) = post(&agent, &url, b"not json", &[]);
    assert_eq!(status, 400);
    assert!(collector.stop().success());
    let text = std::fs::read_to_string(&out).expect("stdout");
    let got: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    assert_eq!(got, [first, second]);
}

#[test]
fn stdout_mode_refuses_routing_flags_and_a_missing_certificate_with_exit_2() {
    for args in [
        &[
            "receive",
            "--stdout",
            "--cert",
            "x.pem",
            "--config",
            "/dev/null",
        ][..],
        &[
            "receive",
            "--stdout",
            "--cert",
            "x.pem",
            "--state-dir",
            "/tmp",
        ],
        &["receive", "--stdout"],
        &["receive", "--cert", "x.pem", "--listen", "nowhere"],
        &["receive", "--cert", "x.pem", "--max-body", "0"],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_logward"))
            .args(args)
            .env_remove("LOGGER_CERT")
            .env_remove("LOGGER_PORT")
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

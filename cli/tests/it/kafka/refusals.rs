//! What a broker requiring mutual TLS refuses, and the flag combinations
//! `logward consume` refuses: each a clear error naming the file or flag.

use std::process::{Command, Output};
use std::time::Duration;

use super::{Pki, consume};
use crate::it::ship::{Setup, wait_output};
use crate::util::kafka::Broker;

fn run(command: &mut std::process::Command) -> Output {
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    wait_output(child, Duration::from_secs(60))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_broker_requiring_mutual_tls_refuses_no_certificate_another_ca_and_a_wrong_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new(dir.path());
    let broker = Broker::mutual_tls(dir.path(), pki.broker());
    broker.create_topic("c83", 1);
    let bootstrap = broker.bootstrap();
    let ca = pki.ca.display().to_string();

    // No client certificate: the handshake is refused, and the group name
    // outside the topic's prefix is warned about.
    let out = run(&mut consume(
        &bootstrap,
        "c83",
        "logward",
        &["--ca-file".into(), ca.clone(), "--stdout".into()],
    ));
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("warning: group \"logward\" does not start with \"c83_\""),
        "{text}"
    );
    assert!(
        text.contains("no client certificate was presented"),
        "{text}"
    );
    assert!(text.contains(&format!("brokers {bootstrap}")), "{text}");

    // A certificate of another CA: refused, the certificate named.
    let other = vec![
        "--ca-file".into(),
        ca.clone(),
        "--cert-file".into(),
        pki.other_cert.display().to_string(),
        "--key-file".into(),
        pki.other_key.display().to_string(),
        "--stdout".into(),
    ];
    let out = run(&mut consume(&bootstrap, "c83", "c83_x", &other));
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("TLS handshake failed"), "{text}");
    assert!(
        text.contains(&pki.other_cert.display().to_string()),
        "{text}"
    );

    // A wrong keystore password: refused before connecting, the keystore named.
    let wrong = dir.path().join("wrong.txt");
    std::fs::write(&wrong, "not the password\n").expect("write");
    std::fs::set_permissions(&wrong, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let keystore = vec![
        "--ca-file".into(),
        ca.clone(),
        "--keystore-file".into(),
        pki.keystore.display().to_string(),
        "--keystore-password-file".into(),
        wrong.display().to_string(),
        "--stdout".into(),
    ];
    let out = run(&mut consume(&bootstrap, "c83", "c83_x", &keystore));
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "{}: not a PKCS#12 keystore this password opens",
            pki.keystore.display()
        )),
        "{text}"
    );
    assert!(!text.contains("not the password"), "{text}");

    // The same three through an export: `config check` names the key and the
    // file of the password; `--connect` says what the handshake refused.
    let export = |tls: &str| {
        Setup::new(&format!(
            "EXPORT_C83_KAFKA_BROKERS={bootstrap}\nEXPORT_C83_KAFKA_TOPIC=c83\nEXPORT_C83_CA_FILE={ca}\n{tls}"
        ))
    };
    let check = |setup: &Setup| {
        run(Command::new(env!("CARGO_BIN_EXE_logward"))
            .args(["config", "check", "--connect", "--config"])
            .arg(&setup.config))
    };
    let setup = export(&format!(
        "EXPORT_C83_KEYSTORE_FILE={}\nEXPORT_C83_KEYSTORE_PASSWORD_FILE={}\n",
        pki.keystore.display(),
        wrong.display()
    ));
    let out = check(&setup);
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("EXPORT_C83_KEYSTORE_FILE="), "{text}");
    assert!(
        text.contains("not a PKCS#12 keystore this password opens"),
        "{text}"
    );
    let out = check(&export(""));
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("connect: export C83: brokers"), "{text}");
    assert!(
        text.contains("no client certificate was presented"),
        "{text}"
    );
    let out = check(&export(&format!(
        "EXPORT_C83_CERT_FILE={}\nEXPORT_C83_KEY_FILE={}\n",
        pki.other_cert.display(),
        pki.other_key.display()
    )));
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&pki.other_cert.display().to_string()),
        "{text}"
    );
    let out = check(&export(&format!(
        "EXPORT_C83_KEYSTORE_FILE={}\nEXPORT_C83_KEYSTORE_PASSWORD_FILE={}\n",
        pki.keystore.display(),
        pki.keystore_password.display()
    )));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("connect: export C83: reached"), "{text}");
    assert!(text.contains("topic c83 has 1 partitions"), "{text}");
    assert!(!text.contains("keystore secret"), "{text}");
}

#[test]
fn consume_refuses_flag_combinations_that_make_no_sense() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config");
    std::fs::write(&config, "LOG_LEVEL=info\n").expect("write");
    let base = ["consume", "--brokers", "127.0.0.1:9", "--topic", "c83"];
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![], "--group <GROUP>"),
        (
            vec![
                "--group".into(),
                "c83_a".into(),
                "--stdout".into(),
                "--out-file".into(),
                "/tmp/x".into(),
            ],
            "--out-file",
        ),
        (
            vec![
                "--group".into(),
                "c83_a".into(),
                "--stdout".into(),
                "--config".into(),
                config.display().to_string(),
            ],
            "allowed: one of --config, --stdout or --out-file",
        ),
        (
            vec![
                "--group".into(),
                "c83_a".into(),
                "--rotate-every-kb".into(),
                "10".into(),
            ],
            "--out-file",
        ),
        (
            vec![
                "--group".into(),
                "c83_a".into(),
                "--cert-file".into(),
                "/c.pem".into(),
            ],
            "--key-file",
        ),
        (
            vec![
                "--group".into(),
                "c83_a".into(),
                "--keystore-file".into(),
                "/k.p12".into(),
            ],
            "--keystore-password-file",
        ),
        (
            vec![
                "--group".into(),
                "c83_a".into(),
                "--keystore-file".into(),
                "/k.p12".into(),
                "--keystore-password-file".into(),
                "/p".into(),
                "--cert-file".into(),
                "/c".into(),
                "--key-file".into(),
                "/k".into(),
            ],
            "cannot be used with",
        ),
        (
            vec![
                "--group".into(),
                "c83_a".into(),
                "--out-file".into(),
                "/tmp/x".into(),
                "--rotate-every-kb".into(),
                "0".into(),
            ],
            "--rotate-every-kb: allowed: at least 1",
        ),
        (
            vec![
                "--group".into(),
                "c83_a".into(),
                "--session-timeout".into(),
                "10".into(),
            ],
            "--session-timeout: allowed",
        ),
        (
            vec![
                "--group".into(),
                "c83_a".into(),
                "--brokers".into(),
                "x".into(),
            ],
            "cannot be used multiple times",
        ),
    ];
    for (extra, want) in cases {
        let out = run(Command::new(env!("CARGO_BIN_EXE_logward"))
            .args(base)
            .args(&extra)
            .env_remove("LOGWARD_CONFIG"));
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {text}");
        assert!(text.contains(want), "{extra:?}: {want} not in {text}");
    }
    let out = run(Command::new(env!("CARGO_BIN_EXE_logward")).args([
        "consume",
        "--brokers",
        "k",
        "--topic",
        "c83",
        "--group",
        "g",
    ]));
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("--brokers: \"k\" has no port"), "{text}");
}

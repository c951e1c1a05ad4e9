//! Mutual TLS, and a server whose certificate is not trusted: refused,
//! reported and retried, and nothing sent in clear.

use std::collections::BTreeSet;

use super::*;
use crate::it::https_server::Reply;

#[test]
fn a_mutual_tls_export_presents_its_client_certificate() {
    let dir = tempfile::tempdir().expect("dir");
    let server = HttpsServer::start_mutual(dir.path(), |_, _| Reply::status(200, "{}"));
    let client = |name: &str| dir.path().join(name).display().to_string();
    let with_cert = format!(
        "EXPORT_SIEM_CERT_FILE={}\nEXPORT_SIEM_KEY_FILE={}\n",
        client("client.pem"),
        client("client.key")
    );
    let setup = Setup::new(&export_keys("SIEM", &server, "/in", &with_cert));
    write_records(&setup.config, &mixed(30));
    let out = setup.ship_once(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: BTreeSet<String> = ids(&setup.written()).into_iter().collect();
    let got = received_ids(&server, |_, _| true);
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), want);

    // The same certificate from a PKCS#12 keystore, and from an encrypted key.
    let path = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(path("pass"), "keystore password\n").expect("password file");
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(status.success(), "openssl {args:?}");
    };
    let passfile = format!("file:{}", path("pass"));
    openssl(&[
        "pkcs12",
        "-export",
        "-in",
        &path("client.pem"),
        "-inkey",
        &path("client.key"),
        "-out",
        &path("client.p12"),
        "-passout",
        &passfile,
    ]);
    openssl(&[
        "pkcs8",
        "-topk8",
        "-in",
        &path("client.key"),
        "-out",
        &path("enc.key"),
        "-passout",
        &passfile,
    ]);
    for name in ["pass", "client.p12", "enc.key"] {
        std::fs::set_permissions(
            path(name),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .expect("chmod");
    }
    for keys in [
        format!(
            "EXPORT_SIEM_KEYSTORE_FILE={}\nEXPORT_SIEM_KEYSTORE_PASSWORD_FILE={}\n",
            path("client.p12"),
            path("pass")
        ),
        format!(
            "EXPORT_SIEM_CERT_FILE={}\nEXPORT_SIEM_KEY_FILE={}\nEXPORT_SIEM_KEY_PASSWORD_FILE={}\n",
            path("client.pem"),
            path("enc.key"),
            path("pass")
        ),
    ] {
        let setup = Setup::new(&export_keys("SIEM", &server, "/in", &keys));
        write_records(&setup.config, &mixed(10));
        let before = received_ids(&server, |_, _| true).len();
        let out = setup.ship_once(&[]);
        assert!(
            out.status.success(),
            "{keys}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            received_ids(&server, |_, _| true).len(),
            before + 10,
            "{keys}"
        );
    }

    // Without the certificate the server refuses the handshake.
    let setup = Setup::new(&export_keys("SIEM", &server, "/in", ""));
    write_records(&setup.config, &mixed(5));
    let daemon = setup.ship_daemon(&["--timeout", "2"]);
    eventually(Duration::from_secs(30), "failed handshakes", || {
        let status = setup.export_status("SIEM");
        status["uploads_failed"].as_u64().unwrap_or(0) >= 2
    });
    terminate(daemon);
    assert_eq!(setup.export_status("SIEM")["records_sent"], 0);
}

#[test]
fn a_wrong_server_certificate_is_refused_reported_retried_and_never_sent_in_clear() {
    let real = tempfile::tempdir().expect("dir");
    let other = tempfile::tempdir().expect("dir");
    let server = HttpsServer::start(real.path(), |_, _| Reply::status(200, "{}"));
    // A CA that did not sign the server's certificate.
    let impostor_ca = HttpsServer::start(other.path(), |_, _| Reply::status(200, "{}"));
    let setup = Setup::new(&format!(
        "EXPORT_SIEM_URL={}\nEXPORT_SIEM_CA_FILE={}\n",
        server.url("/in"),
        impostor_ca.ca_file.display()
    ));
    write_records(&setup.config, &mixed(20));
    let daemon = setup.ship_daemon(&[]);
    eventually(Duration::from_secs(30), "two refused handshakes", || {
        setup.export_status("SIEM")["retries"]["tls"]
            .as_u64()
            .unwrap_or(0)
            >= 2
    });
    terminate(daemon);
    let status = setup.export_status("SIEM");
    let error = status["last_error"]
        .as_str()
        .expect("an error")
        .to_lowercase();
    assert!(error.contains("certificate"), "{error}");
    assert_eq!(status["records_sent"], 0);
    assert_eq!(status["lag_records"], 20, "nothing dropped");
    assert!(
        server.requests().is_empty(),
        "no request got past the handshake"
    );
    // Once trusted, everything is delivered.
    setup.write_config(&export_keys("SIEM", &server, "/in", ""));
    let out = setup.ship_once(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(received_ids(&server, |_, _| true).len(), 20);
}

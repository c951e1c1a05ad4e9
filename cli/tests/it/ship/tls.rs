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

//! Tests of whole export configurations: defaults, every bad value with
//! its origin, filters, secret files, unknown keys.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;

fn exports(text: &str) -> Result<Exports, String> {
    let config = Config::from_str(
        &format!("LOG_LEVEL=info\n{text}"),
        Path::new("/etc/logward/config"),
    )
    .map_err(|e| e.to_string())?;
    Exports::from_config(&config).map_err(|e| e.to_string())
}

fn errors(text: &str) -> Vec<String> {
    let err = exports(text).expect_err("invalid");
    err.lines().skip(1).map(String::from).collect()
}

#[test]
fn defaults_and_the_extrahop_form() {
    let set = exports(
        "EXPORT_SIEM_URL=https://siem.example/in\n\
         EXPORT_EH_HOSTNAME=extrahop.example\nEXPORT_EH_PORT=8443\nEXPORT_EH_ENABLED=false\n",
    )
    .expect("valid");
    let [eh, siem] = &set.exports[..] else {
        panic!("two exports: {:?}", set.exports)
    };
    assert_eq!(
        eh.destination.to_string(),
        "https://extrahop.example:8443/log"
    );
    assert!(!eh.enabled);
    assert_eq!(set.enabled().count(), 1);
    assert_eq!(siem.name, "SIEM");
    assert_eq!(siem.types, LogType::ALL);
    assert_eq!(siem.level, Level::Debug);
    assert_eq!(siem.format, Format::Ndjson);
    assert_eq!(siem.start, Start::Beginning);
    assert!(!siem.gzip);
    assert_eq!(
        (siem.batch_records, siem.batch_bytes, siem.batch_wait),
        (
            DEFAULT_BATCH_RECORDS,
            DEFAULT_BATCH_BYTES,
            DEFAULT_BATCH_WAIT
        )
    );
    assert_eq!(siem.alert_after, Duration::from_secs(86_400));
}

#[test]
fn every_bad_value_is_named_with_its_line_and_what_is_allowed() {
    let got = errors(
        "EXPORT_A_URL=http://10.1.2.3/in\n\
         EXPORT_A_TYPES=audit,webb\n\
         EXPORT_A_LEVEL=loud\n\
         EXPORT_A_COMPRESS=zstd\n\
         EXPORT_A_BATCH_MAX_RECORDS=0\n\
         EXPORT_A_BATCH_MAX_WAIT=5\n\
         EXPORT_A_FORMAT=xml\n\
         EXPORT_A_START=yesterday\n\
         EXPORT_A_ALERT_AFTER=500ms\n\
         EXPORT_A_CA_FILE=/nonexistent/ca.pem\n\
         EXPORT_A_ENABLED=maybe\n",
    );
    let expect = [
        "/etc/logward/config:2: EXPORT_A_URL=\"http://10.1.2.3/in\": \"http://10.1.2.3/in\": plain http:// is allowed only to a loopback address",
        "/etc/logward/config:3: EXPORT_A_TYPES=\"audit,webb\":",
        "/etc/logward/config:4: EXPORT_A_LEVEL=\"loud\":",
        "/etc/logward/config:5: EXPORT_A_COMPRESS=\"zstd\": allowed: gzip or none",
        "/etc/logward/config:6: EXPORT_A_BATCH_MAX_RECORDS=\"0\": allowed: a whole number from 1 to 100000",
        "/etc/logward/config:7: EXPORT_A_BATCH_MAX_WAIT=\"5\": no unit;",
        "/etc/logward/config:8: EXPORT_A_FORMAT=\"xml\": allowed: ndjson, json or hec",
        "/etc/logward/config:9: EXPORT_A_START=\"yesterday\": allowed: beginning or now",
        "/etc/logward/config:10: EXPORT_A_ALERT_AFTER=\"500ms\": at least 1s",
        "/etc/logward/config:11: EXPORT_A_CA_FILE=\"/nonexistent/ca.pem\": cannot read CA file /nonexistent/ca.pem",
        "/etc/logward/config:12: EXPORT_A_ENABLED=\"maybe\": not a boolean; allowed: true or false",
    ];
    let mut got_sorted = got.clone();
    got_sorted.sort_by_key(|l| {
        l.split(':')
            .nth(1)
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    });
    assert_eq!(got_sorted.len(), expect.len(), "{got:#?}");
    for (line, want) in got_sorted.iter().zip(expect) {
        assert!(
            line.starts_with(want),
            "{line}\n  should start with\n{want}"
        );
    }
}

#[test]
fn a_bad_filter_points_at_its_position() {
    let got = errors(
        "EXPORT_A_URL=https://h/in\n\
         EXPORT_A_FILTER={\"where\":{\"and\":[{\"key\":\"level\",\"operator\":\"eq\",\"value\":\"error\"},{\"key\":\"x\",\"operator\":\"like\",\"value\":1}]}}\n",
    );
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("/etc/logward/config:3: EXPORT_A_FILTER="),
        "{}",
        got[0]
    );
    assert!(got[0].contains("where.and[1].operator"), "{}", got[0]);
    let got = errors("EXPORT_A_URL=https://h/in\nEXPORT_A_FILTER={\"where\":\n");
    assert!(got[0].contains("line 1"), "{}", got[0]);
}

#[test]
fn destinations_need_exactly_one_form_and_keystores_need_their_password() {
    let got = errors("EXPORT_A_TYPES=audit\n");
    assert!(
        got[0].contains("EXPORT_A_URL: not set; export A needs a destination"),
        "{got:?}"
    );
    let got = errors("EXPORT_A_URL=https://h/\nEXPORT_A_HOSTNAME=h\n");
    assert!(
        got[0].contains("allowed: one of _URL or _HOSTNAME"),
        "{got:?}"
    );
    let got = errors("EXPORT_A_HOSTNAME=h\nEXPORT_A_PORT=70000\n");
    assert!(
        got[0].contains("EXPORT_A_PORT=\"70000\": allowed: a whole number from 1 to 65535"),
        "{got:?}"
    );
    let got = errors("EXPORT_A_HOSTNAME=https://h/x\n");
    assert!(got[0].contains("without scheme or path"), "{got:?}");
    let got = errors("EXPORT_A_URL=https://h/\nEXPORT_A_KEYSTORE_FILE=/etc/a.p12\n");
    assert!(
        got[0].contains("EXPORT_A_KEYSTORE_PASSWORD_FILE is not set"),
        "{got:?}"
    );
    let got = errors(
        "EXPORT_A_URL=https://h/\nEXPORT_A_KEYSTORE_FILE=/etc/a.p12\nEXPORT_A_KEYSTORE_PASSWORD_FILE=/etc/p\nEXPORT_A_KEY_FILE=/etc/k\n",
    );
    assert!(
        got.iter()
            .any(|l| l.contains("allowed: a keystore, or a certificate with its key")),
        "{got:?}"
    );
}

#[test]
fn secret_files_are_checked_without_showing_what_they_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let headers = dir.path().join("h");
    std::fs::write(&headers, "Authorization: Splunk SECRET-TOKEN\n").expect("write");
    std::fs::set_permissions(&headers, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let text = format!(
        "EXPORT_A_URL=https://h/\nEXPORT_A_HEADER_FILE={}\nEXPORT_A_CERT_FILE={}\n",
        headers.display(),
        headers.display()
    );
    let got = errors(&text).join("\n");
    assert!(got.contains("must be 0600 or 0400"), "{got}");
    assert!(
        got.contains("EXPORT_A_KEY_FILE is not set; allowed: both or neither"),
        "{got}"
    );
    assert!(!got.contains("SECRET-TOKEN"), "{got}");
    std::fs::set_permissions(&headers, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let set = exports(&format!(
        "EXPORT_A_URL=https://h/\nEXPORT_A_HEADER_FILE={}\n",
        headers.display()
    ))
    .expect("valid");
    let table = set.render_table().expect("a table");
    assert!(table.contains(&headers.display().to_string()), "{table}");
    assert!(!table.contains("SECRET"), "{table}");
}

#[test]
fn unknown_export_keys_are_warnings_with_the_nearest_key() {
    let set = exports("EXPORT_SIEM_URL=https://h/\nEXPORT_SIEM_LEVL=info\n").expect("valid");
    assert_eq!(
        set.warnings,
        [
            "/etc/logward/config:3: EXPORT_SIEM_LEVL: unknown key, ignored; did you mean EXPORT_SIEM_LEVEL?"
        ]
    );
}

#[test]
fn kafka_exports_need_brokers_and_a_topic_and_no_https_only_key() {
    let set = exports(
        "EXPORT_K_KAFKA_BROKERS=127.0.0.1:9092\nEXPORT_K_KAFKA_TOPIC=c83\n\
         EXPORT_R_KAFKA_BROKERS=kafka-1.example:9093,kafka-2.example:9093\nEXPORT_R_KAFKA_TOPIC=c83\n\
         EXPORT_R_COMPRESS=gzip\n",
    )
    .expect("valid");
    let [k, r] = &set.exports[..] else {
        panic!("two exports: {:?}", set.exports)
    };
    assert_eq!(k.destination.to_string(), "kafka://127.0.0.1:9092/c83");
    assert!(
        !k.destination.is_tls(),
        "loopback without TLS keys is plaintext"
    );
    assert!(r.destination.is_tls(), "a broker off loopback implies TLS");
    let Target::Kafka(target) = &r.destination else {
        panic!("a Kafka target")
    };
    assert!(
        target.gzip && !r.gzip,
        "the producer compresses, not the batch"
    );
    let table = set.render_table().expect("a table");
    assert!(
        table.contains("kafka://kafka-1.example:9093,kafka-2.example:9093/c83"),
        "{table}"
    );
    let got = errors(
        "EXPORT_A_KAFKA_BROKERS=k\nEXPORT_A_KAFKA_TOPIC=c 83\nEXPORT_A_FORMAT=hec\n\
         EXPORT_A_URL=https://h/\nEXPORT_A_HEADER_FILE=/etc/h\n",
    )
    .join("\n");
    for want in [
        "EXPORT_A_KAFKA_BROKERS=\"k\": \"k\" has no port; allowed: HOST:PORT",
        "EXPORT_A_KAFKA_TOPIC=\"c 83\": not a Kafka topic name",
        "EXPORT_A_URL=\"https://h/\": EXPORT_A_KAFKA_BROKERS is set too",
        "EXPORT_A_FORMAT=\"hec\": a Kafka message is the stored line; allowed for a Kafka export: ndjson",
        "EXPORT_A_HEADER_FILE=\"/etc/h\": allowed only for HTTPS exports",
    ] {
        assert!(got.contains(want), "{want}\n  not in\n{got}");
    }
    let got = errors("EXPORT_A_KAFKA_TOPIC=c83\n").join("\n");
    assert!(
        got.contains("EXPORT_A_KAFKA_BROKERS is not set; a Kafka export needs both"),
        "{got}"
    );
}

//! Kafka end to end against a real broker on loopback: `tansu` behind
//! `stunnel` for mutual TLS (the testkit's `kafka` module), certificates
//! made with `rcgen`, `logward ship` producing and `logward consume`
//! processes in one group, records counted by `id`.

mod end_to_end;
mod outputs;
mod refusals;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
};

use crate::util::kafka::BrokerTls;

/// The files of a test's PKI: the broker's, a client of its CA (PEM and
/// a PKCS#12 keystore with its password file), and a client of another CA.
pub(super) struct Pki {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    pub keystore: PathBuf,
    pub keystore_password: PathBuf,
    pub other_cert: PathBuf,
    pub other_key: PathBuf,
}

impl Pki {
    /// Makes every file in `dir` (keys and passwords of mode 0600).
    pub fn new(dir: &Path) -> Pki {
        // Every certificate has its own subject: OpenSSL (librdkafka,
        // stunnel) takes a certificate whose issuer is its own subject for
        // self-signed.
        let named = |names: Vec<String>, cn: &str| {
            let mut params = CertificateParams::new(names).expect("params");
            params.distinguished_name = DistinguishedName::new();
            params.distinguished_name.push(DnType::CommonName, cn);
            params
        };
        let issuer = |cn: &str| {
            let key = KeyPair::generate().expect("CA key");
            let mut params = named(Vec::new(), cn);
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            CertifiedIssuer::self_signed(params, key).expect("CA certificate")
        };
        let ca = issuer("logward test CA");
        let other_ca = issuer("another CA");
        let secret = |name: &str, text: String| {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
            path
        };
        let public = |name: &str, text: String| {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write");
            path
        };
        let leaf = |names: Vec<String>, cn: &str, by: &CertifiedIssuer<'static, KeyPair>| {
            let key = KeyPair::generate().expect("key");
            let cert = named(names, cn).signed_by(&key, by).expect("certificate");
            (cert.pem(), key.serialize_pem())
        };
        let (server_pem, server_key) = leaf(
            vec!["localhost".into(), "127.0.0.1".into()],
            "localhost",
            &ca,
        );
        let (client_pem, client_key) = leaf(vec!["c83-client".into()], "c83-client", &ca);
        let (other_pem, other_key) = leaf(vec!["c83-client".into()], "c83-client", &other_ca);
        let pki = Pki {
            ca: public("ca.pem", ca.pem()),
            server_cert: public("server.pem", server_pem),
            server_key: secret("server.key", server_key),
            client_cert: public("client.pem", client_pem),
            client_key: secret("client.key", client_key),
            keystore: dir.join("client.p12"),
            keystore_password: secret("password.txt", "keystore secret\n".into()),
            other_cert: public("other.pem", other_pem),
            other_key: secret("other.key", other_key),
        };
        let status = Command::new("openssl")
            .args(["pkcs12", "-export", "-in"])
            .arg(&pki.client_cert)
            .arg("-inkey")
            .arg(&pki.client_key)
            .arg("-out")
            .arg(&pki.keystore)
            .arg("-passout")
            .arg(format!("file:{}", pki.keystore_password.display()))
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(status.success(), "openssl pkcs12 -export");
        std::fs::set_permissions(&pki.keystore, std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
        pki
    }

    /// What stunnel needs.
    pub fn broker(&self) -> BrokerTls {
        BrokerTls {
            cert: self.server_cert.clone(),
            key: self.server_key.clone(),
            client_ca: self.ca.clone(),
        }
    }

    /// The consume flags of the PEM client.
    pub fn client_flags(&self) -> Vec<String> {
        vec![
            "--ca-file".into(),
            self.ca.display().to_string(),
            "--cert-file".into(),
            self.client_cert.display().to_string(),
            "--key-file".into(),
            self.client_key.display().to_string(),
        ]
    }
}

/// `logward consume --brokers B --topic T --group G` with `extra` flags.
pub(super) fn consume(bootstrap: &str, topic: &str, group: &str, extra: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_logward"));
    command
        .args([
            "consume",
            "--brokers",
            bootstrap,
            "--topic",
            topic,
            "--group",
            group,
        ])
        .args(["--session-timeout", "3000"])
        .args(extra)
        .env_remove("LOGWARD_CONFIG")
        .env_remove("STATE_DIRECTORY")
        .stdin(Stdio::null());
    command
}

/// Starts a consumer writing to `dir/out.json` with its index in
/// `dir/state`; its stderr goes to `dir/stderr.N`.
pub(super) fn start_consumer(
    bootstrap: &str,
    topic: &str,
    group: &str,
    pki: &Pki,
    dir: &Path,
    run: usize,
) -> Child {
    std::fs::create_dir_all(dir).expect("consumer dir");
    let mut flags = pki.client_flags();
    flags.extend([
        "--out-file".into(),
        dir.join("out.json").display().to_string(),
        "--rotate-every-kb".into(),
        "2048".into(),
        "--state-dir".into(),
        dir.join("state").display().to_string(),
    ]);
    let stderr = std::fs::File::create(dir.join(format!("stderr.{run}"))).expect("stderr file");
    consume(bootstrap, topic, group, &flags)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("consume runs")
}

/// How many times each id is in the out files (live and rotated) of `dir`.
pub(super) fn out_ids(dir: &Path) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    let Ok(files) = logward::sink::rotated_files(&dir.join("out.json")) else {
        return ids;
    };
    for file in files {
        let text = std::fs::read_to_string(&file.path).unwrap_or_default();
        for line in text.lines() {
            // A line being written may be cut; only whole lines count.
            let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if let Some(id) = record["id"].as_str() {
                *ids.entry(id.to_string()).or_default() += 1;
            }
        }
    }
    ids
}

/// How many lines the out files (live and rotated) of `dir` hold.
pub(super) fn out_lines(dir: &Path) -> usize {
    let Ok(files) = logward::sink::rotated_files(&dir.join("out.json")) else {
        return 0;
    };
    files
        .iter()
        .map(|f| {
            std::fs::read(&f.path)
                .map(|bytes| bytes.iter().filter(|&&b| b == b'\n').count())
                .unwrap_or(0)
        })
        .sum()
}

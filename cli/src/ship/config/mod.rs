//! The exports of a configuration: `EXPORT_<NAME>_<KEY>` keys, validated
//! into one [`Export`] per name.
//!
//! ```text
//! EXPORT_SIEM_URL=https://siem.example:8088/services/collector/raw
//! EXPORT_SIEM_TYPES=audit,web
//! EXPORT_SIEM_LEVEL=info
//! EXPORT_SIEM_FILTER={"where":{"key":"status_code","operator":"geq","value":400}}
//! EXPORT_SIEM_HEADER_FILE=/etc/logward/siem.headers
//! EXPORT_SIEM_COMPRESS=gzip
//! ```
//!
//! Every problem is collected before failing, each as
//! `ORIGIN: KEY="VALUE": what is wrong; allowed: …`, like the logging keys.
//! Files named by the keys are read at validation (a missing CA file, a
//! header file others can read, a client key without its certificate are
//! errors of `config check`), but their content is never shown.

mod kafka;
mod keys;

/// Every key an export may set, as the suffix after `EXPORT_<NAME>_`.
pub use keys::SUFFIXES as EXPORT_KEYS;
mod table;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use logward::{Config, Level, LogType, Origin, ToolSetting};

use crate::Filter;
use crate::http::{ClientIdentity, Destination, HeaderFile, TrustRoots};
pub use kafka::KafkaTarget;

/// Records per request when `_BATCH_MAX_RECORDS` is not set.
pub const DEFAULT_BATCH_RECORDS: usize = 1_000;
/// Body bytes (before compression) when `_BATCH_MAX_BYTES` is not set.
pub const DEFAULT_BATCH_BYTES: usize = 1 << 20;
/// How long a partial batch waits for more when `_BATCH_MAX_WAIT` is not set.
pub const DEFAULT_BATCH_WAIT: Duration = Duration::from_secs(1);
/// No success for this long while records wait raises an alert, when
/// `_ALERT_AFTER` is not set.
pub const DEFAULT_ALERT_AFTER: Duration = Duration::from_secs(24 * 3600);

/// One export: where records go and which.
#[derive(Debug, Clone)]
pub struct Export {
    /// The name in its keys (`SIEM` for `EXPORT_SIEM_URL`).
    pub name: String,
    /// Where records go.
    pub destination: Target,
    /// `_ENABLED`: `false` keeps the export configured but unused.
    pub enabled: bool,
    /// `_TYPES`: the log types sent.
    pub types: Vec<LogType>,
    /// `_LEVEL`: the lowest level sent.
    pub level: Level,
    /// `_FILTER`: records must also match this.
    pub filter: Option<Filter>,
    /// `_CA_FILE`: trusted instead of the system roots.
    pub ca_file: Option<PathBuf>,
    /// The client certificate for mutual TLS, from its files.
    pub client_cert: Option<ClientCertFiles>,
    /// `_HEADER_FILE`: request headers from a protected file.
    pub header_file: Option<PathBuf>,
    /// `_COMPRESS`: whether bodies are gzip-compressed.
    pub gzip: bool,
    /// `_BATCH_MAX_RECORDS`.
    pub batch_records: usize,
    /// `_BATCH_MAX_BYTES`.
    pub batch_bytes: usize,
    /// `_BATCH_MAX_WAIT`.
    pub batch_wait: Duration,
    /// `_FORMAT`.
    pub format: Format,
    /// `_START`: where a source without a saved position starts.
    pub start: Start,
    /// `_ALERT_AFTER`.
    pub alert_after: Duration,
}

/// Where an export's records go.
#[derive(Debug, Clone)]
pub enum Target {
    /// Batches are posted to a URL (`_URL`, or `_HOSTNAME` and `_PORT`).
    Https(Destination),
    /// Each record is a message of a Kafka topic (`_KAFKA_BROKERS`,
    /// `_KAFKA_TOPIC`).
    Kafka(KafkaTarget),
}

impl Target {
    /// Whether records travel over TLS.
    pub fn is_tls(&self) -> bool {
        match self {
            Target::Https(destination) => destination.is_tls(),
            Target::Kafka(kafka) => kafka.tls.enabled,
        }
    }
}

/// The URL, or `kafka://BROKERS/TOPIC`: no secrets.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Https(destination) => destination.fmt(f),
            Target::Kafka(kafka) => write!(f, "kafka://{}/{}", kafka.brokers, kafka.topic),
        }
    }
}

/// Where an export's client certificate is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCertFiles {
    /// `_CERT_FILE`, `_KEY_FILE` and, for an encrypted key, `_KEY_PASSWORD_FILE`.
    Pem {
        /// The PEM certificate chain.
        cert: PathBuf,
        /// The PEM private key.
        key: PathBuf,
        /// The file holding the key's password.
        password: Option<PathBuf>,
    },
    /// `_KEYSTORE_FILE` and `_KEYSTORE_PASSWORD_FILE`.
    Pkcs12 {
        /// The PKCS#12 keystore.
        keystore: PathBuf,
        /// The file holding its password.
        password: PathBuf,
    },
}

impl ClientCertFiles {
    /// Reads the certificate and its key.
    pub fn load(&self) -> Result<ClientIdentity, crate::http::IdentityError> {
        match self {
            ClientCertFiles::Pem {
                cert,
                key,
                password,
            } => ClientIdentity::from_pem_files(cert, key, password.as_deref()),
            ClientCertFiles::Pkcs12 { keystore, password } => {
                ClientIdentity::from_pkcs12(keystore, password)
            }
        }
    }
}

/// How a batch's records are laid out in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The stored lines byte for byte, each ending in a newline
    /// (`application/x-ndjson`).
    Ndjson,
    /// A JSON array of the records (`application/json`).
    Json,
    /// Splunk HTTP Event Collector envelopes, one per line:
    /// `{"time":…,"host":…,"source":"logward","sourcetype":"logward:audit","event":{…}}`.
    Hec,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Ndjson => "ndjson",
            Format::Json => "json",
            Format::Hec => "hec",
        })
    }
}

/// Where a source without a saved position starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Everything the source still holds (the oldest rotated file on).
    Beginning,
    /// Only what is written from now on.
    Now,
}

impl fmt::Display for Start {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Start::Beginning => "beginning",
            Start::Now => "now",
        })
    }
}

/// One problem with an export key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportError {
    origin: Option<Origin>,
    key: String,
    value: Option<String>,
    message: String,
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(origin) = &self.origin {
            write!(f, "{origin}: ")?;
        }
        f.write_str(&self.key)?;
        if let Some(value) = &self.value {
            write!(f, "={value:?}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in a configuration's exports, one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ExportErrors(pub Vec<ExportError>);

impl fmt::Display for ExportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        let noun = if n == 1 { "problem" } else { "problems" };
        write!(f, "invalid export configuration, {n} {noun}:")?;
        for error in &self.0 {
            write!(f, "\n{error}")?;
        }
        Ok(())
    }
}

/// The exports of a configuration, by name, and the warnings found.
#[derive(Debug, Clone, Default)]
pub struct Exports {
    /// Every configured export, enabled or not, sorted by name.
    pub exports: Vec<Export>,
    /// Keys that were ignored (unknown), one line each.
    pub warnings: Vec<String>,
}

impl Exports {
    /// Validates the `EXPORT_*` keys of `config`.
    pub fn from_config(config: &Config) -> Result<Exports, ExportErrors> {
        let mut by_name: BTreeMap<String, BTreeMap<&'static str, &ToolSetting>> = BTreeMap::new();
        let mut unknown = Vec::new();
        for setting in config.export_settings() {
            match keys::split(&setting.key) {
                Some((name, suffix)) => {
                    by_name
                        .entry(name.to_string())
                        .or_default()
                        .insert(suffix, setting);
                }
                None => unknown.push(setting),
            }
        }
        let names: Vec<String> = by_name.keys().cloned().collect();
        let warnings = unknown
            .iter()
            .map(|s| {
                let hint = keys::nearest(&s.key, &names)
                    .map(|k| format!("; did you mean {k}?"))
                    .unwrap_or_default();
                format!("{}: {}: unknown key, ignored{hint}", s.origin, s.key)
            })
            .collect();
        let mut errors = Vec::new();
        let mut exports = Vec::new();
        for (name, settings) in &by_name {
            let mut keys = Keys {
                name,
                settings,
                errors: &mut errors,
            };
            if let Some(export) = keys.export() {
                exports.push(export);
            }
        }
        if errors.is_empty() {
            Ok(Exports { exports, warnings })
        } else {
            Err(ExportErrors(errors))
        }
    }

    /// The enabled exports.
    pub fn enabled(&self) -> impl Iterator<Item = &Export> {
        self.exports.iter().filter(|e| e.enabled)
    }
}

/// One export's settings while they are checked.
struct Keys<'a> {
    name: &'a str,
    settings: &'a BTreeMap<&'static str, &'a ToolSetting>,
    errors: &'a mut Vec<ExportError>,
}

impl Keys<'_> {
    fn key(&self, suffix: &str) -> String {
        format!("EXPORT_{}_{suffix}", self.name)
    }

    fn get(&self, suffix: &str) -> Option<&ToolSetting> {
        self.settings.get(suffix).copied()
    }

    fn fail(&mut self, suffix: &str, message: impl Into<String>) {
        let setting = self.get(suffix);
        let error = ExportError {
            origin: setting.map(|s| s.origin.clone()),
            key: self.key(suffix),
            value: setting.map(|s| s.value.clone()),
            message: message.into(),
        };
        self.errors.push(error);
    }

    /// The value of `suffix` parsed by `parse`, `default` when unset, and
    /// `None` (an error noted) when bad.
    fn parsed<T>(
        &mut self,
        suffix: &str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let Some(setting) = self.get(suffix) else {
            return Some(default);
        };
        match parse(&setting.value) {
            Ok(value) => Some(value),
            Err(message) => {
                self.fail(suffix, message);
                None
            }
        }
    }

    fn path(&mut self, suffix: &str) -> Option<PathBuf> {
        let value = self.get(suffix)?.value.clone();
        if value.starts_with('/') {
            Some(PathBuf::from(value))
        } else {
            self.fail(suffix, "allowed: an absolute path");
            None
        }
    }

    fn export(&mut self) -> Option<Export> {
        let before = self.errors.len();
        let kafka = self.get("KAFKA_BROKERS").is_some() || self.get("KAFKA_TOPIC").is_some();
        let destination = if kafka {
            self.kafka()
        } else {
            self.destination()
        };
        let enabled = self.parsed("ENABLED", true, keys::boolean);
        let types = self.parsed("TYPES", LogType::ALL.to_vec(), parse_types);
        let level = self.parsed("LEVEL", Level::Debug, |v| {
            v.parse::<Level>().map_err(|e| e.to_string())
        });
        let filter = self.parsed("FILTER", None, |v| {
            Filter::parse(v)
                .map(Some)
                .map_err(|e| format!("bad filter: {e}"))
        });
        let ca_file = self.trust();
        let client_cert = self.client_cert();
        let header_file = self.path("HEADER_FILE");
        if let Some(path) = &header_file {
            if let Err(e) = HeaderFile::read(path) {
                self.fail("HEADER_FILE", e.to_string());
            }
        }
        let gzip = self.parsed("COMPRESS", false, |v| match v {
            "gzip" => Ok(true),
            "none" => Ok(false),
            _ => Err("allowed: gzip or none".into()),
        });
        let batch_records = self.parsed("BATCH_MAX_RECORDS", DEFAULT_BATCH_RECORDS as u64, |v| {
            keys::number(v, 1, 100_000)
        });
        let batch_bytes = self.parsed("BATCH_MAX_BYTES", DEFAULT_BATCH_BYTES as u64, |v| {
            keys::number(v, 1_024, 64 << 20)
        });
        let batch_wait = self.parsed("BATCH_MAX_WAIT", DEFAULT_BATCH_WAIT, |v| {
            keys::duration(v).and_then(|d| {
                if d <= Duration::from_secs(3_600) {
                    Ok(d)
                } else {
                    Err("at most 1h".into())
                }
            })
        });
        let format = self.parsed("FORMAT", Format::Ndjson, |v| match v {
            "ndjson" => Ok(Format::Ndjson),
            "json" => Ok(Format::Json),
            "hec" => Ok(Format::Hec),
            _ => Err("allowed: ndjson, json or hec".into()),
        });
        let start = self.parsed("START", Start::Beginning, |v| match v {
            "beginning" => Ok(Start::Beginning),
            "now" => Ok(Start::Now),
            _ => Err("allowed: beginning or now".into()),
        });
        let alert_after = self.parsed("ALERT_AFTER", DEFAULT_ALERT_AFTER, |v| {
            keys::duration(v).and_then(|d| {
                if d >= Duration::from_secs(1) {
                    Ok(d)
                } else {
                    Err("at least 1s".into())
                }
            })
        });
        if kafka {
            self.kafka_only(format.as_ref(), header_file.as_ref());
        }
        if self.errors.len() > before {
            return None;
        }
        let (destination, gzip) = match destination? {
            Target::Kafka(mut target) => {
                target.gzip = gzip?;
                target.tls.enabled |= ca_file.is_some() || client_cert.is_some();
                target.tls.ca_file.clone_from(&ca_file);
                target.tls.client_cert.clone_from(&client_cert);
                (Target::Kafka(target), Some(false))
            }
            https => (https, gzip),
        };
        Some(Export {
            name: self.name.to_string(),
            destination,
            enabled: enabled?,
            types: types?,
            level: level?,
            filter: filter?,
            ca_file,
            client_cert,
            header_file,
            gzip: gzip?,
            batch_records: usize::try_from(batch_records?).ok()?,
            batch_bytes: usize::try_from(batch_bytes?).ok()?,
            batch_wait: batch_wait?,
            format: format?,
            start: start?,
            alert_after: alert_after?,
        })
    }

    /// `_URL`, or `https://_HOSTNAME:_PORT/log`.
    fn destination(&mut self) -> Option<Target> {
        self.url().map(Target::Https)
    }

    /// `_URL`, or `https://_HOSTNAME:_PORT/log`.
    fn url(&mut self) -> Option<Destination> {
        let url = self.get("URL").map(|s| s.value.clone());
        let host = self.get("HOSTNAME").map(|s| s.value.clone());
        match (url, host) {
            (Some(_), Some(_)) => {
                self.fail(
                    "HOSTNAME",
                    format!(
                        "{} is set too; allowed: one of _URL or _HOSTNAME",
                        self.key("URL")
                    ),
                );
                None
            }
            (Some(url), None) => {
                if self.get("PORT").is_some() {
                    self.fail("PORT", "allowed only with _HOSTNAME; put the port in _URL");
                }
                match Destination::parse(&url) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        self.fail("URL", e.to_string());
                        None
                    }
                }
            }
            (None, Some(host)) => {
                let port = self.parsed("PORT", 443, |v| keys::number(v, 1, 65_535))?;
                let valid = !host.is_empty()
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
                if !valid {
                    self.fail(
                        "HOSTNAME",
                        "allowed: a host name or IP address, without scheme or path",
                    );
                    return None;
                }
                match Destination::parse(&format!("https://{host}:{port}/log")) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        self.fail("HOSTNAME", e.to_string());
                        None
                    }
                }
            }
            (None, None) => {
                self.errors.push(ExportError {
                    origin: self.settings.values().next().map(|s| s.origin.clone()),
                    key: self.key("URL"),
                    value: None,
                    message: format!(
                        "not set; export {} needs a destination: _URL=https://HOST[:PORT]/PATH, \
                         _HOSTNAME (with _PORT, posting to /log), or _KAFKA_BROKERS with \
                         _KAFKA_TOPIC",
                        self.name
                    ),
                });
                None
            }
        }
    }

    /// `_CA_FILE`, read to check that it holds certificates.
    fn trust(&mut self) -> Option<PathBuf> {
        let path = self.path("CA_FILE")?;
        match TrustRoots::from_ca_file(&path) {
            Ok(_) => Some(path),
            Err(e) => {
                self.fail("CA_FILE", e.to_string());
                None
            }
        }
    }

    /// `_CERT_FILE` with `_KEY_FILE` (and `_KEY_PASSWORD_FILE`), or
    /// `_KEYSTORE_FILE` with `_KEYSTORE_PASSWORD_FILE`, read to check them.
    fn client_cert(&mut self) -> Option<ClientCertFiles> {
        let cert = self.path("CERT_FILE");
        let key = self.path("KEY_FILE");
        let key_password = self.path("KEY_PASSWORD_FILE");
        let keystore = self.path("KEYSTORE_FILE");
        let keystore_password = self.path("KEYSTORE_PASSWORD_FILE");
        let files = match (keystore, keystore_password) {
            (Some(_), _) if cert.is_some() || key.is_some() => {
                self.fail(
                    "KEYSTORE_FILE",
                    "_CERT_FILE or _KEY_FILE is set too; allowed: a keystore, or a certificate with its key",
                );
                return None;
            }
            (Some(keystore), Some(password)) => ClientCertFiles::Pkcs12 { keystore, password },
            (Some(_), None) => {
                self.fail(
                    "KEYSTORE_FILE",
                    format!(
                        "{} is not set; a keystore needs its password file",
                        self.key("KEYSTORE_PASSWORD_FILE")
                    ),
                );
                return None;
            }
            (None, Some(_)) => {
                self.fail(
                    "KEYSTORE_PASSWORD_FILE",
                    format!("{} is not set", self.key("KEYSTORE_FILE")),
                );
                return None;
            }
            (None, None) => match (cert, key) {
                (Some(cert), Some(key)) => ClientCertFiles::Pem {
                    cert,
                    key,
                    password: key_password,
                },
                (Some(_), None) => {
                    self.fail(
                        "CERT_FILE",
                        format!(
                            "{} is not set; allowed: both or neither",
                            self.key("KEY_FILE")
                        ),
                    );
                    return None;
                }
                (None, Some(_)) => {
                    self.fail(
                        "KEY_FILE",
                        format!(
                            "{} is not set; allowed: both or neither",
                            self.key("CERT_FILE")
                        ),
                    );
                    return None;
                }
                (None, None) => {
                    if key_password.is_some() {
                        self.fail(
                            "KEY_PASSWORD_FILE",
                            format!("{} is not set", self.key("KEY_FILE")),
                        );
                    }
                    return None;
                }
            },
        };
        match files.load() {
            Ok(_) => Some(files),
            Err(e) => {
                let suffix = match &files {
                    ClientCertFiles::Pem { key, password, .. } => {
                        if password.as_deref() == Some(e.path.as_path()) {
                            "KEY_PASSWORD_FILE"
                        } else if e.path == *key {
                            "KEY_FILE"
                        } else {
                            "CERT_FILE"
                        }
                    }
                    ClientCertFiles::Pkcs12 { password, .. } => {
                        if e.path == *password {
                            "KEYSTORE_PASSWORD_FILE"
                        } else {
                            "KEYSTORE_FILE"
                        }
                    }
                };
                self.fail(suffix, e.why);
                None
            }
        }
    }
}

/// `all`, or a comma list of log types.
fn parse_types(value: &str) -> Result<Vec<LogType>, String> {
    if value.trim().eq_ignore_ascii_case("all") {
        return Ok(LogType::ALL.to_vec());
    }
    let mut types = Vec::new();
    for part in value.split(',') {
        let t: LogType = part
            .trim()
            .to_ascii_lowercase()
            .parse()
            .map_err(|e: logward::ParseLogTypeError| format!("{e}; or all"))?;
        if !types.contains(&t) {
            types.push(t);
        }
    }
    Ok(types)
}

#[cfg(test)]
mod tests;

//! Seals in bundles: what `logward bundle --compress` puts in for each
//! sealed log, and `logward verify --bundle`, which checks it off the
//! machine.
//!
//! For each selected type on a sealed file the bundle holds, under
//! `sealed/<n>/`, every file of the date range whole with its seal
//! (`audit.log.2026-11-21`, `audit.log.2026-11-21.seal`, …), so that the
//! check off the machine is the same as on it. The manifest's `seals` lists
//! them with the result of verifying them on the machine when the bundle was
//! made (`verified_on_machine`: no verification key is on the machine, so
//! that check covers everything but the MACs, and includes the journal's
//! chain head). A redacted bundle (`--redact`) holds the seals only: its
//! records were changed after verification, so off the machine the seals
//! are checked (MACs, chain) and the machine's result is reported.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use logward::sink::seal::{KEY_LEN, seal_path};
use logward::{Config, Date, Destination, LogType};
use serde_json::{Value, json};

use super::chain::{ChainFile, check_files, name};
use super::{Finding, Report, journal, read_chain_file, selected_files};
use crate::Trust;

/// One sealed log as a bundle carries it.
#[derive(Debug, Clone)]
pub struct SealedLog {
    /// The live file's path.
    pub log: PathBuf,
    /// Its files within the bundle's dates, oldest first.
    pub files: Vec<PathBuf>,
    /// The check on the machine, when the bundle was made.
    pub verification: Report,
}

impl SealedLog {
    /// The manifest's entry for this log, its members under `dir`.
    pub fn manifest(&self, dir: &str, with_files: bool) -> Value {
        let files: Vec<Value> = self
            .files
            .iter()
            .map(|f| {
                json!({
                    "name": name(f),
                    "data": with_files,
                    "seal": seal_path(f).exists(),
                })
            })
            .collect();
        json!({
            "log": self.log,
            "dir": dir,
            "files": files,
            "verified_on_machine": {
                "intact": self.verification.intact(),
                "macs_checked": false,
                "findings": self.verification.findings.iter()
                    .map(|f| format!("{}: {}", f.file.display(), f.what)).collect::<Vec<_>>(),
                "notes": self.verification.notes,
            },
        })
    }
}

/// The sealed logs of `types`, each with its files from day `from` to day
/// `to` and checked now (without the verification key).
pub fn sealed_logs(
    config: &Config,
    types: &[LogType],
    from: Option<Date>,
    to: Option<Date>,
) -> Vec<SealedLog> {
    let trust = Trust::from_config(config).unwrap_or_default();
    let mut logs: Vec<SealedLog> = Vec::new();
    for log_type in types {
        let Destination::File {
            path, seal: true, ..
        } = &config.route(*log_type).destination
        else {
            continue;
        };
        if logs.iter().any(|l| &l.log == path) {
            continue;
        }
        let mut verification = Report::default();
        let mut live = false;
        let files: Vec<PathBuf> = match selected_files(path, from, to) {
            Ok(files) => {
                live = files.last().is_some_and(|f| f.live);
                files.into_iter().map(|f| f.path).collect()
            }
            Err(e) => {
                verification.fail(Finding::new(path, format!("cannot list its files: {e}")));
                Vec::new()
            }
        };
        let head = check_files(
            files.iter().map(|f| read_chain_file(f)),
            None,
            &mut verification,
        );
        // The end of the chain is only known when the live file is included.
        if live {
            journal::check_tail(path, head.as_ref(), &trust, &mut verification);
        }
        logs.push(SealedLog {
            log: path.clone(),
            files,
            verification,
        });
    }
    logs
}

/// Verifies the seals in the bundle at `path`.
///
/// # Errors
///
/// When the bundle cannot be read or is no logward bundle.
pub fn verify_bundle(path: &Path, verify_key: Option<&[u8; KEY_LEN]>) -> io::Result<Report> {
    let mut members: HashMap<String, Vec<u8>> = HashMap::new();
    let mut archive = tar::Archive::new(GzDecoder::new(File::open(path)?));
    for entry in archive.entries()? {
        let mut entry = entry?;
        let member = entry.path()?.to_string_lossy().into_owned();
        if member == "manifest.json" || member.starts_with("sealed/") {
            let mut data = Vec::new();
            entry.read_to_end(&mut data)?;
            members.insert(member, data);
        }
    }
    let manifest: Value = members
        .get("manifest.json")
        .and_then(|m| serde_json::from_slice(m).ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "no manifest.json: not a logward bundle",
            )
        })?;
    let mut report = Report::default();
    if verify_key.is_none() {
        report.note("no --verify-key: the seal entries' MACs were not checked".to_string());
    }
    let redacted = manifest
        .pointer("/redaction/redacted")
        .and_then(Value::as_bool)
        == Some(true);
    let seals = manifest
        .get("seals")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if seals.is_empty() {
        report.note("the bundle holds no sealed file".to_string());
    }
    for log in &seals {
        let log_path = PathBuf::from(log.get("log").and_then(Value::as_str).unwrap_or_default());
        let dir = log.get("dir").and_then(Value::as_str).unwrap_or_default();
        let files: Vec<io::Result<ChainFile>> = log
            .get("files")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|f| {
                let file = f.get("name").and_then(Value::as_str).unwrap_or_default();
                let member = format!("{dir}/{file}");
                let data = members.get(&member).cloned();
                if data.is_none() && f.get("data").and_then(Value::as_bool) == Some(true) {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("{member}: listed in the manifest, missing from the bundle"),
                    ));
                }
                let seal = members
                    .get(&format!("{member}.seal"))
                    .map(|s| String::from_utf8_lossy(s).into_owned());
                Ok(ChainFile {
                    path: log_path.with_file_name(file),
                    data,
                    seal,
                })
            })
            .collect();
        check_files(files, verify_key, &mut report);
        let machine = log.get("verified_on_machine");
        let intact = machine
            .and_then(|m| m.get("intact"))
            .and_then(Value::as_bool);
        if redacted {
            report.note(format!(
                "{}: the bundle was redacted after verification: its records are not the \
                 sealed ones and the files are not in it; the seals were checked here, the \
                 files on the machine when the bundle was made",
                log_path.display()
            ));
        }
        match intact {
            Some(true) => report.note(format!(
                "{}: intact when verified on the machine (bundle time, journal head included)",
                log_path.display()
            )),
            _ => {
                for finding in machine
                    .and_then(|m| m.get("findings"))
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    report.fail(Finding::new(
                        &log_path,
                        format!("on the machine: {}", finding.as_str().unwrap_or_default()),
                    ));
                }
            }
        }
    }
    Ok(report)
}

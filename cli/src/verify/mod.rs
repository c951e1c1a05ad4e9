//! `logward verify` and `logward seal init`: tamper evidence for sealed
//! files (`LOG_SEAL=true`), checked on the machine or in a bundle.
//!
//! For each sealed log the files are checked in rotation order (oldest
//! first, the live file last): every seal entry's MAC under the key derived
//! from the verification key, the chain of entry hashes within and across
//! files (a rotated file's successor names it), every entry's byte range and
//! batch hash (BLAKE3, or SHA-256 in format 1) against the file, and, when
//! something differs, which lines (the `diff` module). The end of the chain
//! is compared with the last chain head the writer sent to the journal.
//! Without `--verify-key` the MACs are not checked, and the report says so:
//! the structure alone does not stop someone who rewrites the seal
//! consistently.

mod bundle;
mod chain;
mod diff;
mod journal;
mod key;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use logward::sink::seal::{KEY_LEN, seal_path};
use logward::sink::{LogFile, rotated_files};
use logward::{Config, Date, Destination, LogType};

pub use bundle::{SealedLog, sealed_logs, verify_bundle};
pub use chain::{ChainFile, Head, check_files};
pub use key::{read_verify_key, seal_init};

use crate::Trust;

/// Something that shows the trail was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file concerned.
    pub file: PathBuf,
    /// What is wrong, and where in the file.
    pub what: String,
}

impl Finding {
    /// A finding about `file`.
    pub fn new(file: &Path, what: String) -> Finding {
        Finding {
            file: file.to_path_buf(),
            what,
        }
    }
}

/// What `verify` found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Evidence of changes; empty when intact.
    pub findings: Vec<Finding>,
    /// What could not be checked, and other remarks.
    pub notes: Vec<String>,
    /// Files checked.
    pub files: u64,
    /// Bytes checked.
    pub bytes: u64,
    /// Sealed lines checked.
    pub lines: u64,
    /// Seal entries checked.
    pub entries: u64,
}

impl Report {
    /// Adds a finding.
    pub fn fail(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Adds a note.
    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    /// Whether nothing was found.
    pub fn intact(&self) -> bool {
        self.findings.is_empty()
    }

    /// The report as text: one line per finding (`file: what`), the notes,
    /// and a summary line.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for f in &self.findings {
            text.push_str(&format!("{}: {}\n", f.file.display(), f.what));
        }
        for note in &self.notes {
            text.push_str(&format!("note: {note}\n"));
        }
        text.push_str(&format!(
            "{}: {} files, {} sealed lines, {} seal entries, {} bytes checked{}\n",
            if self.intact() {
                "intact"
            } else {
                "NOT INTACT"
            },
            self.files,
            self.lines,
            self.entries,
            self.bytes,
            if self.findings.is_empty() {
                String::new()
            } else {
                format!(", {} findings", self.findings.len())
            }
        ));
        text
    }
}

/// What to verify on this machine.
#[derive(Debug, Clone)]
pub struct VerifyRequest {
    /// The configuration naming the sealed files.
    pub config: Config,
    /// The verification key; `None` checks everything but the MACs.
    pub verify_key: Option<[u8; KEY_LEN]>,
    /// The log types to check.
    pub types: Vec<LogType>,
    /// Only files holding records of this day or later.
    pub from: Option<Date>,
    /// Only files holding records of this day or earlier.
    pub to: Option<Date>,
}

/// Reads `file` and its seal.
pub(crate) fn read_chain_file(path: &Path) -> io::Result<ChainFile> {
    let data =
        fs::read(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let seal = match fs::read_to_string(seal_path(path)) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("{}: {e}", seal_path(path).display()),
            ));
        }
    };
    Ok(ChainFile {
        path: path.to_path_buf(),
        data: Some(data),
        seal,
    })
}

/// The files of the sealed log `log` that may hold records from day `from`
/// to day `to`: a file holds records up to its date and none from before
/// the date of the file listed before it (see `rotated_files`).
pub(crate) fn selected_files(
    log: &Path,
    from: Option<Date>,
    to: Option<Date>,
) -> io::Result<Vec<LogFile>> {
    let files = rotated_files(log)?;
    let mut selected = Vec::new();
    let mut previous: Option<Date> = None;
    for file in files {
        let starts = previous;
        previous = Some(file.date);
        if from.is_none_or(|d| file.date >= d) && to.zip(starts).is_none_or(|(t, s)| s <= t) {
            selected.push(file);
        }
    }
    Ok(selected)
}

/// Verifies the sealed files (and, for types on journald, the journal) the
/// request selects.
pub fn verify(request: &VerifyRequest) -> Report {
    let mut report = Report::default();
    if request.verify_key.is_none() {
        report.note(
            "no --verify-key: the seal entries' MACs were not checked, so a seal rewritten \
             consistently would not show"
                .to_string(),
        );
    }
    let trust = Trust::from_config(&request.config).unwrap_or_default();
    let mut done: Vec<PathBuf> = Vec::new();
    let mut journald = false;
    for log_type in &request.types {
        match &request.config.route(*log_type).destination {
            Destination::File {
                path, seal: true, ..
            } if !done.contains(path) => {
                done.push(path.clone());
                verify_log(path, request, &trust, &mut report);
            }
            Destination::File {
                path, seal: false, ..
            } => report.note(format!(
                "{log_type}: {} is not sealed (LOG_SEAL_{} is not true)",
                path.display(),
                log_type.key_suffix()
            )),
            Destination::Journald => journald = true,
            _ => {}
        }
    }
    if journald {
        journal::verify_journal(&mut report);
    }
    report
}

fn verify_log(log: &Path, request: &VerifyRequest, trust: &Trust, report: &mut Report) {
    let files = match selected_files(log, request.from, request.to) {
        Ok(files) => files,
        Err(e) => {
            report.fail(Finding::new(log, format!("cannot list its files: {e}")));
            return;
        }
    };
    let live_selected = files.last().is_some_and(|f| f.live);
    let head = check_files(
        files.iter().map(|f| read_chain_file(&f.path)),
        request.verify_key.as_ref(),
        report,
    );
    if live_selected {
        let owner = fs::metadata(log)
            .ok()
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m));
        let trust = match owner {
            Some(uid) => trust.clone().with_user(uid, uid.to_string()),
            None => trust.clone(),
        };
        journal::check_tail(log, head.as_ref(), &trust, report);
    }
}

//! The compressed bundle: a `.tar.gz` with one JSON-lines member per log
//! type, the manifest, and the effective configuration.
//!
//! ```text
//! manifest.json      what is in the bundle and how it was made (below)
//! config.txt         the effective configuration, if the caller gave it
//! audit.jsonl        the selected audit records, in created_at order
//! web.jsonl          … one member per selected log type, present even when
//!                    empty, so "no records" is told apart from "not asked"
//! ```
//!
//! Records are streamed into one anonymous temporary file per type (beside
//! the output, so on the same file system), hashing as they go; the tar is
//! built from those files at the end. Memory stays bounded whatever the
//! number of records.
//!
//! Compression is gzip level 1 with the `zlib-rs` deflate: reading,
//! validating and selecting a gigabyte of records takes about a second,
//! deflating it at the default level 6 took over a minute (README,
//! Performance: bundle), so the fastest level is taken, for a somewhat
//! larger archive. The archive is one gzip stream, read by any `tar xzf`.
//!
//! The manifest, one JSON object:
//!
//! ```text
//! {"hostname":"web-1","generated_at":"2026-11-22T04:30:00.123456Z","logward_version":"0.1.0",
//!  "filters":{"date_from":"2026-11-20","date_to":null,"log_type":"audit","log_level":null,"filter":null,
//!             "from":"2026-11-20T00:00:00.000000Z","to":null,"log_types":["audit"],"levels":["debug",…]},
//!  "config_fingerprint":"…","records":12,"per_type":{"audit":12},"per_level":{"debug":0,"info":10,…},
//!  "lines_skipped":1,"sources":[{"source":"file /var/log/app/audit.log","log_types":["audit"],
//!  "files":[…],"records":12,"filtered":3,"skipped":1,"out_of_order":0,"errors":[]},
//!  {"source":"journal","log_types":["audit"],"files":[],"records":3,…,
//!   "journal":{"trusted":"_UID=0 (root)","senders":{"listed":[{"uid":0,"user":"root","pid":4242,
//!   "comm":"shop-api","unit":"shop.service","records":3}],"not_listed":0},"untrusted":1,
//!   "untrusted_senders":{"listed":[{"uid":65534,"user":"nobody","pid":977,"comm":"logger",
//!   "unit":null,"records":1}],"not_listed":0}}}],
//!  "members":[{"name":"config.txt","records":0,"bytes":230,"sha256":"…"},{"name":"audit.jsonl",…}]}
//! ```
//!
//! `filters` holds the options as given (`date_from` … `log_level`,
//! `filter`, the `--filter` text, and the selectors `hostname`,
//! `identifier`, `request_id`, `user`, `where` (a list) and `local`) and as
//! understood (`from`, and `to`, the first instant no longer included).
//!
//! For sealed files (`LOG_SEAL=true`) the archive also holds `sealed/<n>/`
//! with each selected file whole and its seal, and the manifest a `seals`
//! list with the result of verifying them when the bundle was made (see
//! `logward_cli::verify`'s `bundle` module). `redaction` is `null`, or says
//! what `--redact` replaced (the `redact` module); a redacted bundle holds
//! the seals but not the sealed files.

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use super::redact::Redactor;
use super::source::{RecordRef, SourceReport};
use super::{Counts, request::BundleRequest};
use crate::verify::SealedLog;
use logward::LogType;
use logward::record::push_rfc3339;

/// Mode of the archive's members.
const MEMBER_MODE: u32 = 0o640;

/// One member of the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ArchiveMember {
    /// The member's name, e.g. `audit.jsonl`.
    pub name: String,
    /// Records in it (0 for `config.txt`).
    pub records: u64,
    /// Its size in bytes.
    pub bytes: u64,
    /// SHA-256 of its content, lowercase hex.
    pub sha256: String,
}

/// Everything the manifest says besides the members.
pub(crate) struct ManifestInput<'a> {
    pub(crate) request: &'a BundleRequest,
    pub(crate) hostname: &'a str,
    pub(crate) generated_at: i64,
    pub(crate) config: Option<&'a (String, String)>,
    pub(crate) counts: &'a Counts,
    pub(crate) sources: &'a [SourceReport],
    /// The sealed logs whose files and seals go in.
    pub(crate) sealed: &'a [SealedLog],
    /// With `--redact`: where the mapping file goes.
    pub(crate) redact: Option<&'a Path>,
}

/// A member being written: its temporary file and running hash.
struct Member {
    log_type: LogType,
    out: BufWriter<File>,
    hash: Sha256,
    records: u64,
    bytes: u64,
}

/// An archive being filled, record by record.
pub(crate) struct Archive {
    members: Vec<Member>,
}

impl Archive {
    /// One temporary member file in `dir` for each of `types`.
    pub(crate) fn new(dir: &Path, types: &[LogType]) -> io::Result<Archive> {
        let members = types
            .iter()
            .map(|&log_type| {
                Ok(Member {
                    log_type,
                    out: BufWriter::with_capacity(64 * 1024, tempfile::tempfile_in(dir)?),
                    hash: Sha256::new(),
                    records: 0,
                    bytes: 0,
                })
            })
            .collect::<io::Result<_>>()?;
        Ok(Archive { members })
    }

    /// Appends `record` to its type's member.
    pub(crate) fn write(&mut self, record: RecordRef<'_>) -> io::Result<()> {
        let Some(member) = self
            .members
            .iter_mut()
            .find(|m| m.log_type == record.head.log_type)
        else {
            return Ok(());
        };
        for part in [record.line, b"\n"] {
            member.out.write_all(part)?;
            member.hash.update(part);
            member.bytes += part.len() as u64;
        }
        member.records += 1;
        Ok(())
    }

    /// Writes the `.tar.gz` into `temp`: manifest, configuration, members,
    /// then the sealed files and seals. With redaction, the members are
    /// rewritten first and the mapping file written.
    pub(crate) fn finish(
        self,
        temp: NamedTempFile,
        input: &ManifestInput<'_>,
    ) -> io::Result<(NamedTempFile, Vec<ArchiveMember>)> {
        let mut redactor = input.redact.map(|_| Redactor::new(input.hostname));
        let mut members = Vec::with_capacity(self.members.len());
        for member in self.members {
            let mut file = member.out.into_inner().map_err(|e| e.into_error())?;
            file.rewind()?;
            members.push((
                member.log_type,
                member.records,
                member.bytes,
                member.hash,
                file,
            ));
        }
        if let Some(redactor) = redactor.as_mut() {
            for (_, _, _, _, file) in &mut members {
                for_each_line(file, |line| {
                    if let Ok(value) = serde_json::from_slice::<Value>(line) {
                        redactor.collect(&value);
                    }
                })?;
            }
            let dir = temp.path().parent().unwrap_or(Path::new("."));
            for (_, _, bytes, hash, file) in &mut members {
                let mut out = BufWriter::new(tempfile::tempfile_in(dir)?);
                let mut new_hash = Sha256::new();
                let mut new_bytes = 0u64;
                let mut failed = None;
                for_each_line(file, |line| {
                    let text = match serde_json::from_slice::<Value>(line) {
                        Ok(mut value) => {
                            redactor.redact(&mut value);
                            serde_json::to_string(&value).unwrap_or_default()
                        }
                        Err(_) => redactor.redact_text(&String::from_utf8_lossy(line)),
                    };
                    for part in [text.as_bytes(), b"\n"] {
                        if let Err(e) = out.write_all(part) {
                            failed.get_or_insert(e);
                        }
                        new_hash.update(part);
                        new_bytes += part.len() as u64;
                    }
                })?;
                if let Some(e) = failed {
                    return Err(e);
                }
                let mut rewritten = out.into_inner().map_err(|e| e.into_error())?;
                rewritten.rewind()?;
                *file = rewritten;
                *hash = new_hash;
                *bytes = new_bytes;
            }
        }
        let config_text = input.config.map(|(text, _)| match redactor.as_mut() {
            Some(r) => r.redact_text(text),
            None => text.clone(),
        });
        let config = config_text.map(|text| {
            let member = ArchiveMember {
                name: "config.txt".to_string(),
                records: 0,
                bytes: text.len() as u64,
                sha256: hex(&Sha256::digest(text.as_bytes())),
            };
            (member, text)
        });
        let mut typed = Vec::with_capacity(members.len());
        for (log_type, records, bytes, hash, file) in members {
            let listed = ArchiveMember {
                name: format!("{log_type}.jsonl"),
                records,
                bytes,
                sha256: hex(&hash.finalize()),
            };
            typed.push((listed, file));
        }
        let (sealed_members, seals) = sealed_members(input.sealed, redactor.is_none())?;
        let listed: Vec<ArchiveMember> = config
            .iter()
            .map(|(member, _)| member.clone())
            .chain(typed.iter().map(|(member, _)| member.clone()))
            .chain(sealed_members.iter().map(|(member, _)| member.clone()))
            .collect();
        let mut manifest = manifest(input, &listed);
        if let Some(r) = redactor.as_mut() {
            r.redact(&mut manifest);
        }
        manifest["seals"] = Value::Array(seals);
        manifest["redaction"] = match (redactor.as_ref(), input.redact) {
            (Some(r), Some(path)) => {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                write_mapping(path, &r.mapping())?;
                r.summary(&name)
            }
            _ => Value::Null,
        };
        let mut manifest_text = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
        manifest_text.push(b'\n');

        let mtime = u64::try_from(input.generated_at.div_euclid(1_000_000)).unwrap_or(0);
        // Level 1 (see the module docs): deflate is nearly all of a
        // compressed bundle's time.
        let gz = GzEncoder::new(
            BufWriter::with_capacity(256 * 1024, temp),
            Compression::fast(),
        );
        let mut tar = tar::Builder::new(gz);
        let size = manifest_text.len() as u64;
        append(
            &mut tar,
            "manifest.json",
            size,
            mtime,
            manifest_text.as_slice(),
        )?;
        if let Some((member, text)) = &config {
            append(&mut tar, &member.name, member.bytes, mtime, text.as_bytes())?;
        }
        for (member, file) in typed {
            append(&mut tar, &member.name, member.bytes, mtime, file)?;
        }
        for (member, data) in &sealed_members {
            append(&mut tar, &member.name, member.bytes, mtime, data.as_slice())?;
        }
        let gz = tar.into_inner()?;
        let temp = gz.finish()?.into_inner().map_err(|e| e.into_error())?;
        Ok((temp, listed))
    }
}

/// Calls `f` with each line of `file` (without its newline), then rewinds.
fn for_each_line(file: &mut File, mut f: impl FnMut(&[u8])) -> io::Result<()> {
    use std::io::BufRead;
    let mut reader = io::BufReader::new(&mut *file);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        f(&line);
    }
    drop(reader);
    file.rewind()
}

/// A member's listing and content.
type Content = (ArchiveMember, Vec<u8>);

/// The members of the sealed logs (`sealed/<n>/<file>` when `with_files`,
/// and `sealed/<n>/<file>.seal`) and their manifest entries.
fn sealed_members(
    sealed: &[SealedLog],
    with_files: bool,
) -> io::Result<(Vec<Content>, Vec<Value>)> {
    let mut members = Vec::new();
    let mut entries = Vec::new();
    for (n, log) in sealed.iter().enumerate() {
        let dir = format!("sealed/{n}");
        for file in &log.files {
            let name = file
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let seal = logward::sink::seal::seal_path(file);
            let mut parts = vec![(seal, format!("{dir}/{name}.seal"))];
            if with_files {
                parts.push((file.clone(), format!("{dir}/{name}")));
            }
            for (path, member) in parts {
                let data = match std::fs::read(&path) {
                    Ok(data) => data,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        return Err(io::Error::new(
                            e.kind(),
                            format!("cannot read {}: {e}", path.display()),
                        ));
                    }
                };
                members.push((
                    ArchiveMember {
                        name: member,
                        records: 0,
                        bytes: data.len() as u64,
                        sha256: hex(&Sha256::digest(&data)),
                    },
                    data,
                ));
            }
        }
        entries.push(log.manifest(&dir, with_files));
    }
    Ok((members, entries))
}

/// Writes the redaction mapping to `path`, mode 0600, never following a
/// link.
fn write_mapping(path: &Path, mapping: &Value) -> io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot write the redaction mapping {}: {e}", path.display()),
            )
        })?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    let mut text = serde_json::to_vec_pretty(mapping).map_err(io::Error::other)?;
    text.push(b'\n');
    file.write_all(&text)?;
    file.sync_all()
}

fn append(
    tar: &mut tar::Builder<impl Write>,
    name: &str,
    size: u64,
    mtime: u64,
    data: impl io::Read,
) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(MEMBER_MODE);
    header.set_mtime(mtime);
    header.set_entry_type(tar::EntryType::Regular);
    // A member file that changed size since it was written would corrupt
    // the archive; `take` bounds it and the size check below catches it.
    let mut limited = data.take(size);
    tar.append_data(&mut header, name, &mut limited)?;
    if limited.limit() != 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("archive member {name} is shorter than written"),
        ));
    }
    Ok(())
}

fn manifest(input: &ManifestInput<'_>, members: &[ArchiveMember]) -> Value {
    let request = input.request;
    let raw = request.raw();
    let per_type: Map<String, Value> = input
        .counts
        .per_type
        .iter()
        .map(|(t, n)| (t.to_string(), json!(n)))
        .collect();
    let per_level: Map<String, Value> = input
        .counts
        .per_level
        .iter()
        .map(|(l, n)| (l.to_string(), json!(n)))
        .collect();
    json!({
        "hostname": input.hostname,
        "generated_at": timestamp(input.generated_at),
        "logward_version": env!("CARGO_PKG_VERSION"),
        "filters": {
            "date_from": raw.date_from,
            "date_to": raw.date_to,
            "log_type": raw.log_type,
            "log_level": raw.log_level,
            "filter": raw.filter,
            "hostname": raw.hostname,
            "identifier": raw.identifier,
            "request_id": raw.request_id,
            "user": raw.user,
            "where": raw.where_fields,
            "local": raw.local,
            "from": request.from().map(timestamp),
            "to": request.to().map(timestamp),
            "log_types": request.types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            "levels": request.levels().iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        },
        "config_fingerprint": input.config.map(|(_, fingerprint)| fingerprint),
        "records": input.counts.records,
        "per_type": per_type,
        "per_level": per_level,
        "lines_skipped": input.counts.skipped,
        "sources": input.sources,
        "members": members,
    })
}

/// `micros` as the record format's RFC 3339 text.
fn timestamp(micros: i64) -> String {
    let mut out = Vec::with_capacity(27);
    push_rfc3339(&mut out, micros);
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

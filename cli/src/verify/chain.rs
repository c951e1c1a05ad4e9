//! Checking one sealed log: its files in rotation order, each against its
//! seal, and the seals against each other and the verification key.

use std::path::{Path, PathBuf};

use logward::sink::seal::{Entry, KEY_LEN, evolve, first_key};

use super::diff;
use super::{Finding, Report};

/// One file of a sealed log, read: its name, bytes and seal text.
#[derive(Debug)]
pub struct ChainFile {
    /// The file's path (or its name in a bundle).
    pub path: PathBuf,
    /// Its content; `None` when only the seal is at hand (a redacted
    /// bundle): then only the seal is checked.
    pub data: Option<Vec<u8>>,
    /// Its seal file's text; `None` when there is none.
    pub seal: Option<String>,
}

/// Where the chain stood after the last file checked.
#[derive(Debug, Clone, Default)]
pub struct Head {
    /// The chain's id.
    pub chain: String,
    /// The last entry's number.
    pub seq: u64,
    /// The last entry's hash.
    pub hash: String,
    /// The file the last entry belongs to.
    pub file: PathBuf,
}

/// The keys of one chain, computed forward and cached.
struct Keys {
    verify_key: [u8; KEY_LEN],
    chain: String,
    seq: u64,
    key: [u8; KEY_LEN],
}

impl Keys {
    fn key(&mut self, chain: &str, seq: u64) -> [u8; KEY_LEN] {
        if chain != self.chain || seq < self.seq {
            self.chain = chain.to_string();
            self.seq = 0;
            self.key = first_key(&self.verify_key, chain);
        }
        while self.seq < seq {
            self.key = evolve(&self.key);
            self.seq += 1;
        }
        self.key
    }
}

/// Checks the files of one sealed log, oldest first, adding findings to
/// `report`; returns where the chain ends.
pub fn check_files(
    files: impl IntoIterator<Item = std::io::Result<ChainFile>>,
    verify_key: Option<&[u8; KEY_LEN]>,
    report: &mut Report,
) -> Option<Head> {
    let mut keys = verify_key.map(|k| Keys {
        verify_key: *k,
        chain: String::new(),
        seq: 0,
        key: [0; KEY_LEN],
    });
    let mut head: Option<Head> = None;
    for file in files {
        let file = match file {
            Ok(file) => file,
            Err(e) => {
                report.fail(Finding::new(Path::new(""), format!("cannot read: {e}")));
                continue;
            }
        };
        report.files += 1;
        report.bytes += file.data.as_ref().map_or(0, |d| d.len() as u64);
        let Some(seal) = file.seal.as_deref() else {
            if file.data.as_ref().is_none_or(|d| !d.is_empty()) {
                report.fail(Finding::new(
                    &file.path,
                    format!(
                        "sealed (LOG_SEAL=true) but its seal file {} is missing",
                        name(&logward::sink::seal::seal_path(&file.path))
                    ),
                ));
            }
            continue;
        };
        head = check_file(&file, seal, keys.as_mut(), head.as_ref(), report).or(head);
    }
    head
}

/// Checks one file and its seal after `before`; returns the new head.
fn check_file(
    file: &ChainFile,
    seal: &str,
    mut keys: Option<&mut Keys>,
    before: Option<&Head>,
    report: &mut Report,
) -> Option<Head> {
    let seal_name = logward::sink::seal::seal_path(&file.path);
    let mut entries: Vec<Entry> = Vec::new();
    for (n, line) in seal.lines().enumerate() {
        match Entry::parse(line) {
            Ok(entry) => entries.push(entry),
            Err(e) => report.fail(Finding::new(&seal_name, format!("line {}: {e}", n + 1))),
        }
    }
    let Some(first) = entries.first() else {
        if file.data.as_ref().is_none_or(|d| !d.is_empty()) {
            report.fail(Finding::new(
                &file.path,
                "its seal file holds no entry".to_string(),
            ));
        }
        return None;
    };
    link(file, first, before, report);
    let mut prev: Option<&Entry> = None;
    let mut last_hash: Option<String> = None;
    for (n, entry) in entries.iter().enumerate() {
        report.entries += 1;
        if let Some(keys) = keys.as_deref_mut() {
            if !entry.mac_ok(&keys.key(&entry.body.chain, entry.body.seq)) {
                report.fail(Finding::new(
                    &seal_name,
                    format!(
                        "line {}: entry {} does not verify under the verification key \
                         (the seal was rewritten or forged)",
                        n + 1,
                        entry.body.seq
                    ),
                ));
            }
        }
        if let Some(p) = prev {
            if entry.body.seq != p.body.seq + 1 {
                report.fail(Finding::new(
                    &seal_name,
                    format!(
                        "line {}: entries {}-{} are missing from the seal",
                        n + 1,
                        p.body.seq + 1,
                        entry.body.seq.saturating_sub(1)
                    ),
                ));
            } else if Some(&entry.body.prev) != last_hash.as_ref() {
                report.fail(Finding::new(
                    &seal_name,
                    format!(
                        "line {}: entry {} does not follow entry {} (the chain is broken)",
                        n + 1,
                        entry.body.seq,
                        p.body.seq
                    ),
                ));
            }
        }
        prev = Some(entry);
        last_hash = Some(entry.hash.clone());
    }
    // Earlier generations in one seal file are live files that were lost.
    let last_gen = entries.last().map_or(0, |e| e.body.r#gen);
    let mut lost = entries
        .iter()
        .filter(|e| e.body.r#gen < last_gen)
        .peekable();
    while let Some(e) = lost.next() {
        let r#gen = e.body.r#gen;
        let mut lines = e.body.lines;
        let mut last = e.body.seq;
        while let Some(more) = lost.next_if(|m| m.body.r#gen == r#gen) {
            lines += more.body.lines;
            last = more.body.seq;
        }
        report.fail(Finding::new(
            &file.path,
            format!(
                "an earlier live file at this path was deleted or replaced: {lines} sealed \
                 lines (seal entries {}-{last}) are gone",
                e.body.seq
            ),
        ));
    }
    let current: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.body.r#gen == last_gen)
        .collect();
    check_data(file, &current, report);
    entries.last().map(|e| Head {
        chain: e.body.chain.clone(),
        seq: e.body.seq,
        hash: e.hash.clone(),
        file: file.path.clone(),
    })
}

/// Checks that `first`, the first entry of `file`'s seal, continues the
/// chain from `before` (the previous file checked).
fn link(file: &ChainFile, first: &Entry, before: Option<&Head>, report: &mut Report) {
    let predecessor = first
        .body
        .boundary
        .as_deref()
        .and_then(|b| b.strip_prefix("rotated:"));
    let Some(before) = before else {
        // The oldest file kept: its predecessors may have been pruned.
        return;
    };
    if first.body.prev == before.hash && first.body.seq == before.seq + 1 {
        return;
    }
    let before_name = name(&before.file);
    match predecessor {
        Some(p) if p != before_name => report.fail(Finding::new(
            &file.path.with_file_name(p),
            format!(
                "missing from the middle of the chain: {} names it as its predecessor, the \
                 file before is {before_name}; seal entries {}-{} are gone",
                name(&file.path),
                before.seq + 1,
                first.body.seq.saturating_sub(1)
            ),
        )),
        _ => report.fail(Finding::new(
            &file.path,
            format!(
                "replaced, or out of place: its first seal entry {} does not follow entry {} \
                 of {before_name}, the file before it",
                first.body.seq, before.seq
            ),
        )),
    }
}

/// Checks `file`'s bytes against the entries of its generation.
fn check_data(file: &ChainFile, entries: &[&Entry], report: &mut Report) {
    let Some(data) = file.data.as_deref() else {
        report.lines += entries.iter().map(|e| e.body.lines).sum::<u64>();
        return;
    };
    let mut intact = true;
    let mut expected_start = 0u64;
    let mut lines = 0u64;
    for entry in entries {
        let b = &entry.body;
        lines += b.lines;
        let range = usize::try_from(b.start)
            .ok()
            .zip(usize::try_from(b.end).ok());
        let ok = b.start == expected_start
            && range.is_some_and(|(s, e)| data.get(s..e).is_some_and(|bytes| b.covers(bytes)));
        intact &= ok;
        expected_start = b.end;
    }
    intact &= expected_start == data.len() as u64;
    report.lines += lines;
    if intact {
        return;
    }
    let sealed: Vec<u32> = entries
        .iter()
        .flat_map(|e| {
            e.body
                .digests
                .as_bytes()
                .chunks(8)
                .filter_map(|c| u32::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        })
        .collect();
    let formats: Vec<(u64, u32)> = entries.iter().map(|e| (e.body.start, e.body.v)).collect();
    let format_at = |offset: u64| {
        let after = formats.partition_point(|(start, _)| *start <= offset);
        formats
            .get(after.saturating_sub(1))
            .map_or(logward::sink::seal::FORMAT, |(_, v)| *v)
    };
    let found = diff::describe(&sealed, &diff::lines(data, format_at));
    if found.is_empty() {
        report.fail(Finding::new(
            &file.path,
            "its bytes differ from what was sealed, though every line's digest matches".to_string(),
        ));
    }
    for what in found {
        report.fail(Finding::new(&file.path, what));
    }
}

/// A path's file name, for messages.
pub(crate) fn name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

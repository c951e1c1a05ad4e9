//! Reading records from a file sink: the live file and its rotated siblings.
//!
//! The files are listed with [`rotated_files`], oldest first; a compressed
//! rotated file (`.gz`) is read through a gzip decoder. A rotated file
//! holds the records appended on its date, and the live file those appended
//! from the day after the newest rotated file up to the day it was last
//! written. A record is appended a moment after it is created, so a file can
//! also hold records created just before midnight of the day before its
//! first day: a file is opened when the range overlaps its days or the day
//! before them, and every record is checked against the range anyway. Files
//! whose days lie outside that are skipped unopened.
//!
//! What cannot be read is noted in the source's report and skipped: a path
//! with neither live file nor rotated siblings, a live path that is not a
//! regular file (a directory, a FIFO), a file that cannot be opened, and a
//! read that fails half-way (the file's remaining lines are lost, the next
//! file is read).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use super::lines::{LineReader, MAX_LINE, Status};
use super::request::BundleRequest;
use super::source::{LineSource, SourceReport};
use logward::Date;
use logward::sink::{LogFile, rotated_files};

/// The lines of a sink's files, file after file.
pub(crate) struct FileLines {
    /// Files still to read, each with whether it is compressed.
    pending: VecDeque<(PathBuf, bool)>,
    current: Option<(PathBuf, Lines)>,
}

/// The lines of one file, decompressed or not.
type Lines = LineReader<Box<dyn Read + Send>>;

impl FileLines {
    /// Lists the files of the sink writing `path` that may hold records for
    /// `request`; problems go into `report`.
    pub(crate) fn open(path: &Path, request: &BundleRequest, report: &mut SourceReport) -> Self {
        let files = match rotated_files(path) {
            Ok(files) => files,
            Err(e) => {
                report.errors.push(e.to_string());
                Vec::new()
            }
        };
        match std::fs::metadata(path) {
            Ok(meta) if !meta.is_file() => report.errors.push(format!(
                "cannot read {}: not a regular file",
                path.display()
            )),
            Err(e) if e.kind() == io::ErrorKind::NotFound && files.is_empty() => {
                report.errors.push(format!(
                    "cannot read {}: no such file, nor rotated files beside it",
                    path.display()
                ));
            }
            _ => {}
        }
        FileLines {
            pending: wanted(&files, request).collect(),
            current: None,
        }
    }
}

/// The files whose days can hold records that `request` selects.
fn wanted<'a>(
    files: &'a [LogFile],
    request: &'a BundleRequest,
) -> impl Iterator<Item = (PathBuf, bool)> + 'a {
    let mut previous: Option<Date> = None;
    files.iter().filter_map(move |file| {
        // The first day a file can hold records of: the day before its first
        // day of appends (records created just before midnight).
        let first = if file.live {
            previous
        } else {
            Some(Date::from_days_since_epoch(
                file.date.days_since_epoch() - 1,
            ))
        };
        previous = Some(file.date);
        let last = first.map_or(file.date, |first| file.date.max(first));
        request
            .overlaps_days(first, last)
            .then(|| (file.path.clone(), file.compressed))
    })
}

/// `path` to read as written: decompressed when it is a compressed
/// rotated file.
fn open_file(path: &Path, compressed: bool) -> io::Result<Box<dyn Read + Send>> {
    let file = File::open(path)?;
    Ok(if compressed {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(file)
    })
}

impl LineSource for FileLines {
    fn advance(&mut self, report: &mut SourceReport) -> Status {
        loop {
            let Some((path, reader)) = &mut self.current else {
                let Some((path, compressed)) = self.pending.pop_front() else {
                    return Status::End;
                };
                match open_file(&path, compressed) {
                    Ok(file) => {
                        report.files.push(path.clone());
                        self.current = Some((path, LineReader::new(file, MAX_LINE)));
                    }
                    Err(e) => report
                        .errors
                        .push(format!("cannot open {}: {e}", path.display())),
                }
                continue;
            };
            match reader.advance() {
                Ok(Status::End) => self.current = None,
                Ok(status) => return status,
                Err(e) => {
                    report
                        .errors
                        .push(format!("cannot read {}: {e}", path.display()));
                    self.current = None;
                }
            }
        }
    }

    fn line(&self) -> &[u8] {
        match &self.current {
            Some((_, reader)) => reader.line(),
            None => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RawBundleArgs;

    fn file(name: &str, date: &str, live: bool) -> LogFile {
        LogFile {
            path: PathBuf::from(name),
            date: Date::parse(date).unwrap(),
            live,
            compressed: false,
        }
    }

    fn chosen(files: &[LogFile], from: Option<&str>, to: Option<&str>) -> Vec<String> {
        let request = BundleRequest::from_raw(RawBundleArgs {
            date_from: from.map(String::from),
            date_to: to.map(String::from),
            ..Default::default()
        })
        .unwrap();
        wanted(files, &request)
            .map(|(p, _)| p.display().to_string())
            .collect()
    }

    #[test]
    fn files_outside_the_range_are_skipped_unopened() {
        let files = [
            file("a.log.2026-11-18", "2026-11-18", false),
            file("a.log.2026-11-19", "2026-11-19", false),
            file("a.log.2026-11-19.1", "2026-11-19", false),
            file("a.log.2026-11-21", "2026-11-21", false),
            file("a.log", "2026-11-24", true),
        ];
        assert_eq!(chosen(&files, None, None).len(), 5);
        assert_eq!(
            chosen(&files, Some("2026-11-19"), Some("2026-11-19")),
            ["a.log.2026-11-19", "a.log.2026-11-19.1"]
        );
        assert_eq!(
            chosen(&files, Some("2026-11-20 12:00:00"), Some("2026-11-22")),
            ["a.log.2026-11-21", "a.log"]
        );
        // The live file holds records created 2026-11-21 (late) ..= 2026-11-24.
        assert_eq!(chosen(&files, None, Some("2026-11-20")).len(), 4);
        assert_eq!(chosen(&files, None, Some("2026-11-21")).len(), 5);
        // A file may hold records created late on the day before its date.
        assert_eq!(
            chosen(&files, Some("2026-11-17"), Some("2026-11-17")),
            ["a.log.2026-11-18"]
        );
        assert_eq!(
            chosen(&files, Some("2026-11-25"), None),
            Vec::<String>::new()
        );
    }
}

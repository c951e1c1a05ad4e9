//! Where the merged records go: stdout, a JSON-lines file, or an archive.
//!
//! A file is never half-written under its final name: records go to a
//! temporary file beside it (`.logward-bundle-XXXXXX.tmp`, mode 0600, as the
//! bundle holds audit records), which is flushed, synced and renamed over
//! the final path only when everything was written. Without `--force` the
//! rename refuses to replace a file that appeared in the meantime. On any
//! failure the temporary file is removed.
//!
//! On stdout, a reader that goes away (`logward bundle | head`) ends the
//! bundle early and quietly: see [`WrittenTo::Stdout`].

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use tempfile::NamedTempFile;

use super::archive::{Archive, ArchiveMember, ManifestInput};
use super::request::{BundleOutput, BundleRequest};
use super::source::RecordRef;
use logward::{Error, ErrorKind, Result};

/// Where a bundle was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum WrittenTo {
    /// JSON lines on stdout.
    Stdout {
        /// The reader closed the pipe before the end (e.g. `| head`): the
        /// bundle stopped there. This is not an error; the CLI exits 0.
        closed_early: bool,
    },
    /// JSON lines in a file.
    File {
        /// The final path.
        path: PathBuf,
    },
    /// A `.tar.gz` bundle.
    Archive {
        /// The final path.
        path: PathBuf,
        /// Its members, in archive order.
        members: Vec<ArchiveMember>,
    },
}

/// Whether to go on after a record was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    /// The reader went away; stop quietly.
    Closed,
}

/// An open output.
pub(crate) enum Output<'w> {
    Stream {
        out: BufWriter<&'w mut dyn Write>,
        closed: bool,
    },
    File {
        out: BufWriter<NamedTempFile>,
        path: PathBuf,
        force: bool,
    },
    Archive {
        archive: Archive,
        path: PathBuf,
        force: bool,
    },
}

impl<'w> Output<'w> {
    /// Opens the output `request` asks for; `stdout` is used for
    /// [`BundleOutput::Stdout`].
    pub(crate) fn open(request: &BundleRequest, stdout: &'w mut dyn Write) -> Result<Output<'w>> {
        Ok(match request.output() {
            BundleOutput::File {
                path,
                compress: false,
                force,
            } => Output::File {
                out: BufWriter::with_capacity(64 * 1024, temp_beside(path)?),
                path: path.clone(),
                force: *force,
            },
            BundleOutput::File {
                path,
                compress: true,
                force,
            } => Output::Archive {
                archive: Archive::new(directory_of(path), request.types())
                    .map_err(|e| bundle_error(e, "cannot create temporary files beside", path))?,
                path: path.clone(),
                force: *force,
            },
            BundleOutput::Stdout => Output::Stream {
                out: BufWriter::with_capacity(64 * 1024, stdout),
                closed: false,
            },
        })
    }

    /// Writes one record as one line.
    pub(crate) fn write(&mut self, record: RecordRef<'_>) -> Result<Flow> {
        match self {
            Output::Stream { out, closed } => match write_line(out, record.line) {
                Ok(()) => Ok(Flow::Continue),
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                    *closed = true;
                    Ok(Flow::Closed)
                }
                Err(e) => {
                    Err(Error::new(ErrorKind::Bundle, "cannot write to stdout").with_source(e))
                }
            },
            Output::File { out, path, .. } => write_line(out, record.line)
                .map(|()| Flow::Continue)
                .map_err(|e| bundle_error(e, "cannot write the bundle for", path)),
            Output::Archive { archive, path, .. } => archive
                .write(record)
                .map(|()| Flow::Continue)
                .map_err(|e| bundle_error(e, "cannot write the bundle for", path)),
        }
    }

    /// Finishes the output: flushes stdout, or completes and renames the file.
    pub(crate) fn finish(self, manifest: &ManifestInput<'_>) -> Result<WrittenTo> {
        match self {
            Output::Stream { mut out, closed } => {
                let closed = closed
                    || match out.flush() {
                        Ok(()) => false,
                        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => true,
                        Err(e) => {
                            return Err(Error::new(ErrorKind::Bundle, "cannot write to stdout")
                                .with_source(e));
                        }
                    };
                Ok(WrittenTo::Stdout {
                    closed_early: closed,
                })
            }
            Output::File { out, path, force } => {
                let temp = out.into_inner().map_err(|e| {
                    bundle_error(e.into_error(), "cannot write the bundle for", &path)
                })?;
                persist(temp, &path, force)?;
                Ok(WrittenTo::File { path })
            }
            Output::Archive {
                archive,
                path,
                force,
            } => {
                let temp = temp_beside(&path)?;
                let (temp, members) = archive
                    .finish(temp, manifest)
                    .map_err(|e| bundle_error(e, "cannot write the bundle for", &path))?;
                persist(temp, &path, force)?;
                Ok(WrittenTo::Archive { path, members })
            }
        }
    }
}

fn write_line(out: &mut impl Write, line: &[u8]) -> io::Result<()> {
    out.write_all(line)?;
    out.write_all(b"\n")
}

/// The directory `path` is in (`.` for a bare file name).
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A new temporary file in the directory of `path`, removed when dropped.
fn temp_beside(path: &Path) -> Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".logward-bundle-")
        .suffix(".tmp")
        .tempfile_in(directory_of(path))
        .map_err(|e| bundle_error(e, "cannot create a temporary file beside", path))
}

/// Syncs `temp` and renames it to `path`, replacing a file there only if
/// `force`.
fn persist(temp: NamedTempFile, path: &Path, force: bool) -> Result<()> {
    temp.as_file()
        .sync_all()
        .map_err(|e| bundle_error(e, "cannot write the bundle for", path))?;
    let persisted = if force {
        temp.persist(path)
    } else {
        temp.persist_noclobber(path)
    };
    persisted.map(drop).map_err(|e| {
        let doing = if e.error.kind() == io::ErrorKind::AlreadyExists {
            "will not replace, without --force, the file that appeared meanwhile at"
        } else {
            "cannot move the finished bundle to"
        };
        bundle_error(e.error, doing, path)
    })
}

fn bundle_error(e: io::Error, doing: &str, path: &Path) -> Error {
    Error::new(ErrorKind::Bundle, format!("{doing} {}", path.display()))
        .with_path(path)
        .with_source(e)
}

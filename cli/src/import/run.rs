//! One import, start to end: open the input, continue where the last run
//! stopped, parse, map, write and post, remember the position, and (with
//! `--follow`) keep reading as the file grows or is rotated.
//!
//! The position is saved after everything before it is written (the
//! runtime flushed) and posted (the destination answered 2xx): after each
//! delivered batch when posting, else at least once a second while rows
//! flow; whenever the input has nothing new (and the position moved), at a
//! rotation and at the end. A run that is
//! killed outright may so import again the rows of its last second (or
//! batch) on the next run; a run stopped by SIGINT or SIGTERM saves its
//! exact position first. Bad rows count as handled: a re-run does not
//! report them again.
//!
//! Following is `tail -F`: when the input has nothing new, it is checked
//! every 250 ms; a new file at the path (another inode) means rotation: the
//! old file is read to its end (its last row is complete even without a
//! line end), then the new one from its start, header included. A file
//! that shrinks below the position was truncated and is read again from
//! its start. Rows a rotated file received while no import was running
//! are not read: only the file at the path is.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use logward::Guard;
use sha2::{Digest, Sha256};

use super::mapping::Mapping;
use super::output::{Outputs, Poster};
use super::request::{ImportRequest, ImportUsageError, Input};
use super::rows::{Mark, Row, RowParser};
use super::state::{ImportState, StateFile, continues, identity};
use crate::http::{Client, HeaderFile, TrustRoots};

/// How often a followed file is checked when it has nothing new.
const POLL: Duration = Duration::from_millis(250);
/// How often the position is saved while rows flow.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// Bytes read at a time.
const CHUNK: usize = 1 << 16;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Good rows (written, posted, or both).
    pub imported: u64,
    /// Bad rows, reported and skipped.
    pub skipped: u64,
    /// Records written through the runtime.
    pub records: u64,
    /// Good rows below the configured level of their type (not written).
    pub below_level: u64,
    /// Observations delivered.
    pub posted: u64,
    /// Requests delivered.
    pub batches: u64,
    /// The last line a previous run handled, when this one continued.
    pub continued_after: Option<u64>,
    /// Rotations followed.
    pub rotations: u64,
    /// The import was stopped by a signal before the input's end.
    pub stopped: bool,
    /// The file the position is kept in (none for stdin).
    pub state_file: Option<std::path::PathBuf>,
}

/// Runs `request`, writing records through `guard`; bad rows and notes go
/// to `report`. A set `stop` ends the import at the next row boundary (the
/// position is saved).
pub fn import(
    request: &ImportRequest,
    guard: &Guard,
    stop: &AtomicBool,
    report: &mut dyn FnMut(&str),
) -> anyhow::Result<ImportSummary> {
    let poster = match &request.post {
        None => None,
        Some(post) => {
            let headers = post
                .header_file
                .as_deref()
                .map(HeaderFile::read)
                .transpose()
                .map_err(|e| ImportUsageError(e.to_string()))?;
            let roots = match &post.ca_file {
                Some(path) => TrustRoots::from_ca_file(path),
                None => TrustRoots::system(),
            }
            .map_err(|e| ImportUsageError(e.to_string()))?;
            let client = Client::new(
                post.destination.clone(),
                roots,
                headers,
                post.timeout,
                post.backoff,
            );
            let key = |k: &str| {
                request
                    .columns
                    .iter()
                    .position(|(c, _)| c == k)
                    .unwrap_or(0)
            };
            Some(Poster::new(
                client,
                post.batch,
                key("ipaddr"),
                key("associated_ipaddr"),
            ))
        }
    };
    let import_file = match &request.input {
        Input::Stdin => "-".to_string(),
        Input::File(path) => path.display().to_string(),
    };
    let outputs = Outputs::new(
        guard,
        request.columns.iter().map(|(k, _)| k.clone()).collect(),
        request.records,
        poster,
        request.source.clone(),
        import_file.clone(),
    );
    let mut session = Session {
        request,
        outputs,
        mapping: None,
        header: None,
        name: import_file,
        summary: ImportSummary::default(),
        report,
        stop,
        state: None,
        checkpointed: Instant::now(),
        last_line: 0,
        saved: None,
    };
    match &request.input {
        Input::Stdin => session.stdin()?,
        Input::File(path) => session.file(path)?,
    }
    let mut summary = session.summary;
    summary.records = session.outputs.written;
    summary.below_level = session.outputs.below_level;
    if let Some(poster) = session.outputs.poster() {
        summary.posted = poster.posted;
        summary.batches = poster.batches;
    }
    Ok(summary)
}

/// The position kept for a file input.
struct Position {
    file: StateFile,
    target: String,
    path: String,
    identity: (u64, u64),
}

struct Session<'a, 'g> {
    request: &'a ImportRequest,
    outputs: Outputs<'g>,
    mapping: Option<Mapping>,
    header: Option<Vec<String>>,
    name: String,
    summary: ImportSummary,
    report: &'a mut dyn FnMut(&str),
    stop: &'a AtomicBool,
    state: Option<Position>,
    checkpointed: Instant,
    last_line: u64,
    saved: Option<ImportState>,
}

impl Session<'_, '_> {
    fn stdin(&mut self) -> anyhow::Result<()> {
        let mut parser = RowParser::new(Mark {
            offset: 0,
            line: 1,
            hash: None,
        });
        let mut input = std::io::stdin().lock();
        let mut buf = vec![0; CHUNK];
        loop {
            if self.stopping() {
                break;
            }
            let n = read(&mut input, &mut buf, "standard input")?;
            if n == 0 {
                parser.finish(&mut |row, mark| self.row(row, mark))?;
                break;
            }
            parser.feed(&buf[..n], &mut |row, mark| self.row(row, mark))?;
        }
        self.outputs.flush(self.stop)
    }

    fn file(&mut self, path: &Path) -> anyhow::Result<()> {
        let (state_file, target) = match &self.request.state_dir {
            Some(dir) => (
                StateFile::new(dir, path, &self.request.target()),
                self.request.target(),
            ),
            None => return Err(anyhow::anyhow!("no state directory for {}", path.display())),
        };
        let saved = state_file.load()?;
        self.saved.clone_from(&saved);
        self.summary.state_file = Some(state_file.path().to_path_buf());
        let mut file = open(path)?;
        let mut parser = self.start(&mut file, path, saved.as_ref())?;
        self.state = Some(Position {
            file: state_file,
            target,
            path: path.display().to_string(),
            identity: identity(&file.metadata()?),
        });
        let mut buf = vec![0; CHUNK];
        loop {
            if self.stopping() {
                break;
            }
            let n = read(&mut file, &mut buf, &self.name)?;
            if n > 0 {
                parser.feed(&buf[..n], &mut |row, mark| self.row(row, mark))?;
                if self.checkpointed.elapsed() >= CHECKPOINT_EVERY && !self.outputs.pending() {
                    self.checkpoint(parser.mark())?;
                }
                continue;
            }
            if !self.request.follow {
                parser.finish(&mut |row, mark| self.row(row, mark))?;
                break;
            }
            self.checkpoint(parser.mark())?;
            match self.rotated(path, parser.mark().offset)? {
                None => self.wait(),
                Some(next) => {
                    // The old file may have grown between its last read and the rename.
                    loop {
                        let n = read(&mut file, &mut buf, &self.name)?;
                        if n == 0 {
                            break;
                        }
                        parser.feed(&buf[..n], &mut |row, mark| self.row(row, mark))?;
                    }
                    parser.finish(&mut |row, mark| self.row(row, mark))?;
                    self.checkpoint(parser.mark())?;
                    (self.report)(&format!(
                        "{}: a new file is at the path (rotation); reading it from its start",
                        self.name
                    ));
                    self.summary.rotations += 1;
                    file = next;
                    if let Some(state) = &mut self.state {
                        state.identity = identity(&file.metadata()?);
                    }
                    self.mapping = None;
                    self.header = None;
                    self.last_line = 0;
                    parser = RowParser::new(fresh());
                    self.checkpoint(parser.mark())?;
                }
            }
        }
        self.checkpoint(parser.mark())
    }

    /// The parser for `file`: after what `saved` says was imported if the
    /// file still starts with it, else from the start.
    fn start(
        &mut self,
        file: &mut File,
        path: &Path,
        saved: Option<&ImportState>,
    ) -> anyhow::Result<RowParser> {
        let Some(saved) = saved else {
            return Ok(RowParser::new(fresh()));
        };
        let read_err = |e: std::io::Error| anyhow::anyhow!("cannot read {}: {e}", path.display());
        if let Some(hash) = continues(file, saved).map_err(read_err)? {
            self.summary.continued_after = Some(saved.last_line);
            self.last_line = saved.last_line;
            self.header = saved.header.clone();
            if let Some(width) = saved.width {
                self.mapping = Some(Mapping::resolve(
                    &self.request.columns,
                    &self.request.time_columns,
                    self.header.as_deref(),
                    width,
                    &self.name,
                )?);
            }
            return Ok(RowParser::new(Mark {
                offset: saved.offset,
                line: saved.next_line,
                hash: Some(hash),
            }));
        }
        (self.report)(&format!(
            "{}: the file does not start with what was imported before (replaced or rewritten); importing it from its start",
            self.name
        ));
        file.seek(SeekFrom::Start(0)).map_err(read_err)?;
        Ok(RowParser::new(fresh()))
    }

    /// One complete row: the header, a good row or a bad one.
    fn row(&mut self, row: Row<'_>, mark: &Mark) -> anyhow::Result<()> {
        let Some(mapping) = &self.mapping else {
            return self.first_row(row, mark);
        };
        match mapping.map(&row, &self.request.time) {
            Ok(mapped) => {
                self.summary.imported += 1;
                if self.outputs.row(mapped, row.line, self.stop)? {
                    self.checkpoint(mark)?;
                }
            }
            Err(why) => {
                self.summary.skipped += 1;
                (self.report)(&format!("{} line {}: skipped: {why}", self.name, row.line));
            }
        }
        self.last_line = row.line;
        Ok(())
    }

    fn first_row(&mut self, row: Row<'_>, mark: &Mark) -> anyhow::Result<()> {
        if !self.request.header {
            self.mapping = Some(Mapping::resolve(
                &self.request.columns,
                &self.request.time_columns,
                None,
                row.len(),
                &self.name,
            )?);
            return self.row(row, mark);
        }
        if row.oversized {
            return Err(ImportUsageError(format!(
                "{} line {}: the header row is over the size limits",
                self.name, row.line
            ))
            .into());
        }
        let header = (0..row.len())
            .map(|i| {
                std::str::from_utf8(row.cell(i))
                    .map(|s| s.trim_matches([' ', '\t']).to_string())
                    .map_err(|_| {
                        ImportUsageError(format!(
                            "{} line {}: header cell {} is not valid UTF-8",
                            self.name,
                            row.line,
                            i + 1
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.mapping = Some(Mapping::resolve(
            &self.request.columns,
            &self.request.time_columns,
            Some(&header),
            header.len(),
            &self.name,
        )?);
        self.header = Some(header);
        self.last_line = row.line;
        Ok(())
    }

    /// Saves the position `mark`, after everything before it is written
    /// and posted.
    fn checkpoint(&mut self, mark: &Mark) -> anyhow::Result<()> {
        self.outputs.flush(self.stop)?;
        self.checkpointed = Instant::now();
        let Some(position) = &self.state else {
            return Ok(());
        };
        let state = ImportState {
            version: 1,
            path: position.path.clone(),
            target: position.target.clone(),
            device: position.identity.0,
            inode: position.identity.1,
            offset: mark.offset,
            next_line: mark.line,
            last_line: self.last_line,
            sha256: mark.hex().unwrap_or_default(),
            header: self.header.clone(),
            width: self.mapping.as_ref().map(Mapping::width),
        };
        // A followed file with nothing new is checked four times a second:
        // the same position is not written (and synced) again.
        if self.saved.as_ref() == Some(&state) {
            return Ok(());
        }
        position.file.save(&state)?;
        self.saved = Some(state);
        Ok(())
    }

    /// The file now at `path` if it is not the one being read (or the
    /// one being read was truncated below `offset`).
    fn rotated(&self, path: &Path, offset: u64) -> anyhow::Result<Option<File>> {
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(anyhow::anyhow!("cannot check {}: {e}", path.display())),
        };
        let same = self.state.as_ref().map(|s| s.identity) == Some(identity(&meta));
        if same && meta.len() >= offset {
            return Ok(None);
        }
        match File::open(path) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::anyhow!("cannot open {}: {e}", path.display())),
        }
    }

    fn stopping(&mut self) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            self.summary.stopped = !self.request.follow;
            return true;
        }
        false
    }

    fn wait(&self) {
        let end = Instant::now() + POLL;
        while Instant::now() < end && !self.stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

fn fresh() -> Mark {
    Mark {
        offset: 0,
        line: 1,
        hash: Some(Sha256::new()),
    }
}

fn open(path: &Path) -> anyhow::Result<File> {
    File::open(path)
        .map_err(|e| ImportUsageError(format!("cannot open {}: {e}", path.display())).into())
}

fn read(input: &mut impl Read, buf: &mut [u8], name: &str) -> anyhow::Result<usize> {
    loop {
        match input.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(anyhow::anyhow!("cannot read {name}: {e}")),
        }
    }
}

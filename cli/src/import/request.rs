//! The validated request: raw `logward import csv` options checked and
//! turned into a column map, a time spec and outputs before any file is
//! opened. Every combination that makes no sense is an
//! [`ImportUsageError`] (the command exits 2):
//!
//! | refused | because |
//! |---|---|
//! | no `--column`, or none that is `key=COLUMN` | nothing to import |
//! | a key used twice, or a key the record or the import owns (`id`, `created_at`, `hostname`, `level`, `log_type`, `pid`, `timestamp`, `source`, `import_file`, `import_line`) | it would be overwritten |
//! | `--no-header` with a column given by name, or a column number 0 | without a header, columns are numbers from 1 |
//! | `--time-join` with a single time column | there is nothing to join |
//! | `--follow` or `--state-dir` with `-` (stdin) | stdin can neither be followed nor recognised again |
//! | `--also-log`, `--header-file`, `--ca-file`, `--batch`, `--timeout`, `--max-attempts` without `--post` | they only shape posting |
//! | `--log-type` or `--level` with `--post` but without `--also-log` | no records are written |
//! | `--post` without `ipaddr` and `associated_ipaddr` columns | the observations body needs them |
//! | `--post http://` to a host that is not loopback, `--ca-file` with `http://` | TLS is never optional off the machine |
//! | `--batch 0`, `--timeout 0`, `--max-attempts 0` | nothing would be sent |

use std::path::{Path, PathBuf};
use std::time::Duration;

use logward::{Level, LogType};

use super::time::{DEFAULT_FORMAT, TimeSpec, parse_zone};
use crate::http::{Backoff, Destination};

/// The default `--batch`: observations per request.
pub const DEFAULT_BATCH: usize = 1000;
/// The default `--timeout`: seconds per request attempt.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// Keys a column may not be mapped to.
const RESERVED_KEYS: [&str; 4] = ["timestamp", "source", "import_file", "import_line"];

/// The options of `logward import csv` as the command line gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawImportArgs {
    /// The CSV file, or `-` for standard input.
    pub input: String,
    /// `--column KEY=COLUMN`, in order.
    pub columns: Vec<String>,
    /// `--time-column`, each a column (comma lists already split).
    pub time_columns: Vec<String>,
    /// `--time-join`: the template joining several time columns.
    pub time_join: Option<String>,
    /// `--time-format`: the strptime pattern.
    pub time_format: Option<String>,
    /// `--time-zone`.
    pub time_zone: Option<String>,
    /// `--source`.
    pub source: Option<String>,
    /// `--log-type`.
    pub log_type: Option<LogType>,
    /// `--level`.
    pub level: Option<Level>,
    /// `--no-header`: columns are numbers, every line is a row.
    pub no_header: bool,
    /// `--follow`.
    pub follow: bool,
    /// `--state-dir`.
    pub state_dir: Option<PathBuf>,
    /// `--post URL`.
    pub post: Option<String>,
    /// `--also-log`: records as well as observations.
    pub also_log: bool,
    /// `--header-file`.
    pub header_file: Option<PathBuf>,
    /// `--ca-file`.
    pub ca_file: Option<PathBuf>,
    /// `--batch`.
    pub batch: Option<usize>,
    /// `--timeout` in seconds.
    pub timeout: Option<u64>,
    /// `--max-attempts`.
    pub max_attempts: Option<u32>,
}

/// A command line that makes no sense, with what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ImportUsageError(pub String);

fn usage(text: impl Into<String>) -> ImportUsageError {
    ImportUsageError(text.into())
}

/// A column: a header name, or a 1-based number without a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRef {
    /// The column whose header cell is this.
    Name(String),
    /// The n-th column, from 0.
    Index(usize),
}

impl std::fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnRef::Name(name) => write!(f, "{name:?}"),
            ColumnRef::Index(i) => write!(f, "{}", i + 1),
        }
    }
}

/// Where the rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input: read once, not remembered.
    Stdin,
    /// A file, by its absolute path.
    File(PathBuf),
}

/// How observations are posted.
#[derive(Debug, Clone)]
pub struct PostSpec {
    /// Where to.
    pub destination: Destination,
    /// The file of secret headers.
    pub header_file: Option<PathBuf>,
    /// The CA file replacing the system roots.
    pub ca_file: Option<PathBuf>,
    /// Observations per request.
    pub batch: usize,
    /// Time allowed per attempt.
    pub timeout: Duration,
    /// Retry waits and the number of attempts.
    pub backoff: Backoff,
}

/// A checked `logward import csv`.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// Where the rows come from.
    pub input: Input,
    /// `key` ← column, in the order given.
    pub columns: Vec<(String, ColumnRef)>,
    /// The columns read for the time.
    pub time_columns: Vec<ColumnRef>,
    /// How they are read.
    pub time: TimeSpec,
    /// Whether the first row is a header.
    pub header: bool,
    /// The `source` of every row.
    pub source: String,
    /// The type and level of the records, when records are written.
    pub records: Option<(LogType, Level)>,
    /// Where observations are posted, if they are.
    pub post: Option<PostSpec>,
    /// Keep reading as the file grows and rotates.
    pub follow: bool,
    /// Where the position is remembered (`None` for stdin).
    pub state_dir: Option<PathBuf>,
}

impl ImportRequest {
    /// Checks `raw`; `cwd` makes a relative input path absolute, and
    /// `state_dir` resolves the state directory when no flag names one.
    pub fn from_raw(
        raw: RawImportArgs,
        cwd: &Path,
        state_dir: impl FnOnce(Option<&Path>) -> PathBuf,
    ) -> Result<Self, ImportUsageError> {
        let input = if raw.input == "-" {
            if raw.follow {
                return Err(usage(
                    "--follow needs a file: standard input cannot be followed",
                ));
            }
            if raw.state_dir.is_some() {
                return Err(usage(
                    "--state-dir needs a file: an import from standard input is not remembered",
                ));
            }
            Input::Stdin
        } else if raw.input.is_empty() {
            return Err(usage(
                "the input is empty: give a CSV file, or - for standard input",
            ));
        } else {
            Input::File(cwd.join(&raw.input))
        };
        let header = !raw.no_header;
        let columns = parse_columns(&raw.columns, header)?;
        if raw.time_columns.is_empty() {
            return Err(usage(
                "--time-column is required: the column (or comma list of columns) holding each row's time",
            ));
        }
        let time_columns = raw
            .time_columns
            .iter()
            .map(|c| parse_column(c, header, "--time-column"))
            .collect::<Result<Vec<_>, _>>()?;
        if raw.time_join.is_some() && time_columns.len() < 2 {
            return Err(usage(
                "--time-join joins several time columns: give --time-column A,B,… (one column needs no join)",
            ));
        }
        let zone = parse_zone(raw.time_zone.as_deref().unwrap_or("UTC")).map_err(usage)?;
        let time = TimeSpec::new(
            raw.time_format.as_deref().unwrap_or(DEFAULT_FORMAT),
            zone,
            raw.time_join.as_deref(),
            time_columns.len(),
        )
        .map_err(usage)?;
        let post = post_spec(&raw, &columns)?;
        let records = if post.is_some() && !raw.also_log {
            if raw.log_type.is_some() || raw.level.is_some() {
                return Err(usage(
                    "--log-type and --level shape records, and --post without --also-log writes none: add --also-log or drop them",
                ));
            }
            None
        } else {
            Some((
                raw.log_type.unwrap_or(LogType::Application),
                raw.level.unwrap_or(Level::Info),
            ))
        };
        let source = match raw.source {
            Some(s) if s.is_empty() => {
                return Err(usage("--source is empty: give a name such as OpenVPN"));
            }
            Some(s) => s,
            None => match &input {
                Input::Stdin => "stdin".to_string(),
                Input::File(path) => path
                    .file_name()
                    .map_or_else(|| raw.input.clone(), |n| n.to_string_lossy().into_owned()),
            },
        };
        let state_dir = match &input {
            Input::Stdin => None,
            Input::File(_) => Some(state_dir(raw.state_dir.as_deref())),
        };
        Ok(ImportRequest {
            input,
            columns,
            time_columns,
            time,
            header,
            source,
            records,
            post,
            follow: raw.follow,
            state_dir,
        })
    }

    /// What the rows become, as kept in the state: `records`, `post URL`
    /// or `records+post URL`.
    pub fn target(&self) -> String {
        match (&self.records, &self.post) {
            (_, None) => "records".to_string(),
            (None, Some(post)) => format!("post {}", post.destination),
            (Some(_), Some(post)) => format!("records+post {}", post.destination),
        }
    }
}

fn parse_columns(
    raw: &[String],
    header: bool,
) -> Result<Vec<(String, ColumnRef)>, ImportUsageError> {
    if raw.is_empty() {
        return Err(usage(
            "give at least one --column KEY=COLUMN, e.g. --column ipaddr=\"VPN IP\"",
        ));
    }
    let mut columns: Vec<(String, ColumnRef)> = Vec::new();
    for arg in raw {
        let Some((key, column)) = arg.split_once('=') else {
            return Err(usage(format!(
                "--column {arg:?}: write KEY=COLUMN, e.g. ipaddr=\"VPN IP\" (or ipaddr=2 with --no-header)"
            )));
        };
        if key.is_empty() {
            return Err(usage(format!("--column {arg:?}: the key is empty")));
        }
        if logward::record::REQUIRED_FIELDS.contains(&key) || RESERVED_KEYS.contains(&key) {
            return Err(usage(format!(
                "--column {arg:?}: {key:?} is set by the import itself; choose another key (reserved: {}, {})",
                logward::record::REQUIRED_FIELDS.join(", "),
                RESERVED_KEYS.join(", ")
            )));
        }
        if columns.iter().any(|(k, _)| k == key) {
            return Err(usage(format!("--column: the key {key:?} is given twice")));
        }
        columns.push((key.to_string(), parse_column(column, header, "--column")?));
    }
    Ok(columns)
}

fn parse_column(text: &str, header: bool, flag: &str) -> Result<ColumnRef, ImportUsageError> {
    if text.is_empty() {
        return Err(usage(format!("{flag}: a column is empty")));
    }
    if header {
        return Ok(ColumnRef::Name(text.to_string()));
    }
    match text.parse::<usize>() {
        Ok(0) => Err(usage(format!("{flag} 0: columns are numbered from 1"))),
        Ok(n) => Ok(ColumnRef::Index(n - 1)),
        Err(_) => Err(usage(format!(
            "{flag} {text:?}: with --no-header there are no column names; give column numbers from 1"
        ))),
    }
}

fn post_spec(
    raw: &RawImportArgs,
    columns: &[(String, ColumnRef)],
) -> Result<Option<PostSpec>, ImportUsageError> {
    let Some(url) = &raw.post else {
        for (given, flag) in [
            (raw.also_log, "--also-log"),
            (raw.header_file.is_some(), "--header-file"),
            (raw.ca_file.is_some(), "--ca-file"),
            (raw.batch.is_some(), "--batch"),
            (raw.timeout.is_some(), "--timeout"),
            (raw.max_attempts.is_some(), "--max-attempts"),
        ] {
            if given {
                return Err(usage(format!("{flag} only applies with --post URL")));
            }
        }
        return Ok(None);
    };
    let destination = Destination::parse(url).map_err(|e| usage(format!("--post {e}")))?;
    if raw.ca_file.is_some() && !destination.is_tls() {
        return Err(usage(
            "--ca-file applies to https:// only; --post names an http:// URL",
        ));
    }
    for key in ["ipaddr", "associated_ipaddr"] {
        if !columns.iter().any(|(k, _)| k == key) {
            return Err(usage(format!(
                "--post sends observations, which need --column {key}=COLUMN"
            )));
        }
    }
    let positive = |value: Option<u64>, flag: &str, default: u64| match value {
        Some(0) => Err(usage(format!("{flag} 0: give a number above 0"))),
        Some(n) => Ok(n),
        None => Ok(default),
    };
    let batch = positive(raw.batch.map(|n| n as u64), "--batch", DEFAULT_BATCH as u64)?;
    let timeout = positive(raw.timeout, "--timeout", DEFAULT_TIMEOUT_SECS)?;
    let defaults = Backoff::default();
    let attempts = positive(
        raw.max_attempts.map(u64::from),
        "--max-attempts",
        u64::from(defaults.attempts),
    )?;
    Ok(Some(PostSpec {
        destination,
        header_file: raw.header_file.clone(),
        ca_file: raw.ca_file.clone(),
        batch: usize::try_from(batch).unwrap_or(usize::MAX),
        timeout: Duration::from_secs(timeout),
        backoff: Backoff {
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            ..defaults
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(extra: impl FnOnce(&mut RawImportArgs)) -> Result<ImportRequest, ImportUsageError> {
        let mut args = RawImportArgs {
            input: "vpn.csv".into(),
            columns: vec!["ipaddr=VPN IP".into(), "associated_ipaddr=Real IP".into()],
            time_columns: vec!["Start Time".into()],
            ..Default::default()
        };
        extra(&mut args);
        ImportRequest::from_raw(args, Path::new("/data"), |d| {
            d.map_or_else(|| PathBuf::from("/state"), Path::to_path_buf)
        })
    }

    #[test]
    fn defaults_are_records_at_info_in_utc_named_after_the_file() {
        let request = raw(|_| {}).expect("valid");
        assert_eq!(request.input, Input::File("/data/vpn.csv".into()));
        assert_eq!(request.records, Some((LogType::Application, Level::Info)));
        assert_eq!(request.source, "vpn.csv");
        assert_eq!(request.state_dir, Some(PathBuf::from("/state")));
        assert_eq!(request.target(), "records");
        assert_eq!(
            request.columns,
            vec![
                ("ipaddr".to_string(), ColumnRef::Name("VPN IP".into())),
                (
                    "associated_ipaddr".to_string(),
                    ColumnRef::Name("Real IP".into())
                ),
            ]
        );
        let post = raw(|a| {
            a.post = Some("https://eh.example/api/v1/observations/associatedipaddrs".into())
        })
        .expect("valid");
        assert_eq!(post.records, None);
        assert_eq!(post.post.as_ref().map(|p| p.batch), Some(DEFAULT_BATCH));
        assert_eq!(
            post.target(),
            "post https://eh.example/api/v1/observations/associatedipaddrs"
        );
    }

    #[test]
    fn nonsense_combinations_are_refused_saying_why() {
        type Change = Box<dyn FnOnce(&mut RawImportArgs)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|a| a.columns.clear()), "at least one --column"),
            (
                Box::new(|a| a.columns.push("VPN IP".into())),
                "write KEY=COLUMN",
            ),
            (
                Box::new(|a| a.columns.push("ipaddr=X".into())),
                "given twice",
            ),
            (
                Box::new(|a| a.columns.push("timestamp=X".into())),
                "set by the import itself",
            ),
            (
                Box::new(|a| a.columns.push("created_at=X".into())),
                "set by the import itself",
            ),
            (Box::new(|a| a.no_header = true), "no column names"),
            (
                Box::new(|a| {
                    a.no_header = true;
                    a.columns = vec!["ipaddr=0".into()];
                    a.time_columns = vec!["1".into()];
                }),
                "numbered from 1",
            ),
            (
                Box::new(|a| a.time_columns.clear()),
                "--time-column is required",
            ),
            (
                Box::new(|a| a.time_join = Some("{0}".into())),
                "one column needs no join",
            ),
            (
                Box::new(|a| {
                    a.time_columns = vec!["M".into(), "D".into()];
                    a.time_join = Some("{0}".into());
                }),
                "{1} is not used",
            ),
            (
                Box::new(|a| {
                    a.input = "-".into();
                    a.follow = true;
                }),
                "standard input cannot be followed",
            ),
            (
                Box::new(|a| {
                    a.input = "-".into();
                    a.state_dir = Some("/s".into());
                }),
                "not remembered",
            ),
            (
                Box::new(|a| a.also_log = true),
                "--also-log only applies with --post",
            ),
            (
                Box::new(|a| a.header_file = Some("/h".into())),
                "--header-file only applies",
            ),
            (Box::new(|a| a.batch = Some(5)), "--batch only applies"),
            (
                Box::new(|a| {
                    a.post = Some("https://h/x".into());
                    a.level = Some(Level::Warning);
                }),
                "add --also-log",
            ),
            (
                Box::new(|a| {
                    a.post = Some("https://h/x".into());
                    a.columns.pop();
                }),
                "--column associated_ipaddr=COLUMN",
            ),
            (
                Box::new(|a| a.post = Some("http://192.0.2.1/x".into())),
                "loopback",
            ),
            (
                Box::new(|a| {
                    a.post = Some("http://127.0.0.1:9/x".into());
                    a.ca_file = Some("/ca.pem".into());
                }),
                "--ca-file applies to https:// only",
            ),
            (
                Box::new(|a| {
                    a.post = Some("https://h/x".into());
                    a.batch = Some(0);
                }),
                "--batch 0",
            ),
            (
                Box::new(|a| a.time_zone = Some("Nowhere/City".into())),
                "is unknown",
            ),
            (
                Box::new(|a| a.source = Some(String::new())),
                "--source is empty",
            ),
        ];
        for (change, why) in cases {
            let err = raw(change).unwrap_err();
            assert!(err.0.contains(why), "expected {why:?} in {:?}", err.0);
        }
    }

    #[test]
    fn without_a_header_columns_are_numbers() {
        let request = raw(|a| {
            a.no_header = true;
            a.columns = vec!["ipaddr=2".into()];
            a.time_columns = vec!["4".into(), "5".into()];
        })
        .expect("valid");
        assert!(!request.header);
        assert_eq!(
            request.columns,
            vec![("ipaddr".to_string(), ColumnRef::Index(1))]
        );
        assert_eq!(
            request.time_columns,
            vec![ColumnRef::Index(3), ColumnRef::Index(4)]
        );
    }
}

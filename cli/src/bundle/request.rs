//! The validated request: raw `logward bundle` options checked and turned
//! into bounds, sets and an output before any source is opened.
//!
//! | option | accepted | meaning |
//! |---|---|---|
//! | `--date-from` | `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`, a `created_at`, `today`, `yesterday`, `now`, `-2h` (the `dates` module) | records at or after that instant |
//! | `--date-to` | the same | records up to the end of that day, second or instant |
//! | `--local` | flag | dates and times without a zone are the machine's local time, not UTC |
//! | `--log-type` | comma list of `audit`, `web`, `application`, `analysis`, `tanium` | only these types (default all) |
//! | `--log-level` | comma list of `debug`, `info`, `warning`, `error`, `critical` | exactly these levels (default all) |
//! | `--hostname` | comma list of host names (exact, case-insensitive) | only records whose `hostname` is one of them: on a collector (`logward receive`), the origin machines (default all) |
//! | `--identifier`, `--request-id`, `--user`, `--where` | see the `select` module | records of those senders, requests, users, field values |
//! | `--out-file` | a path | write there instead of stdout |
//! | `--compress` | flag, needs `--out-file` | write a `.tar.gz` bundle |
//! | `--force` | flag | replace an existing `--out-file` |
//!
//! A bound includes its whole unit: `--date-to 2026-11-22` keeps records of
//! 2026-11-22 up to `23:59:59.999999`, and `--date-to "2026-11-22 12:00:00"`
//! keeps records up to `12:00:00.999999`. Names are case-insensitive and
//! listed names are de-duplicated.

use std::fmt;
use std::path::PathBuf;

use jiff::tz::TimeZone;
use logward::{Clock, Date, Level, LogType, SystemClock};

use super::dates::{self, Bound, Context};
use super::select;
use crate::Filter;

const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;
const TYPE_NAMES: &str = "audit, web, application, analysis, tanium";
const LEVEL_NAMES: &str = "debug, info, warning, error, critical";

/// The options of `logward bundle` as the command line gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawBundleArgs {
    /// `--date-from`: `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, UTC.
    pub date_from: Option<String>,
    /// `--date-to`: `YYYY-MM-DD` (that whole day) or `YYYY-MM-DD HH:MM:SS`.
    pub date_to: Option<String>,
    /// `--log-type`: a comma list of log types.
    pub log_type: Option<String>,
    /// `--log-level`: a comma list of levels.
    pub log_level: Option<String>,
    /// `--hostname`: a comma list of origin host names.
    pub hostname: Option<String>,
    /// `--out-file`: where to write instead of stdout.
    pub out_file: Option<PathBuf>,
    /// `--compress`: write a `.tar.gz` bundle (needs `out_file`).
    pub compress: bool,
    /// `--force`: replace an existing `out_file`.
    pub force: bool,
    /// `--filter`: a filter in Cloudflare Logpush's language ([`Filter`]).
    pub filter: Option<String>,
    /// `--identifier`: a comma list of senders' identifiers.
    pub identifier: Option<String>,
    /// `--request-id`: a comma list of request ids.
    pub request_id: Option<String>,
    /// `--user`: a comma list of user names or ids.
    pub user: Option<String>,
    /// `--where`: `key=value` tests, all of which must hold.
    pub where_fields: Vec<String>,
    /// `--local`: dates and times without a zone are local, not UTC.
    pub local: bool,
}

/// Where the bundle goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleOutput {
    /// JSON lines on standard output.
    Stdout,
    /// A file: JSON lines, or a `.tar.gz` bundle when `compress` is set.
    File {
        /// The final path; written through a temporary file beside it.
        path: PathBuf,
        /// Write a `.tar.gz` with one member per log type and a manifest.
        compress: bool,
        /// Replace the file if it exists.
        force: bool,
    },
}

/// A bundle request whose every option has been checked.
///
/// ```
/// use logward::{Level, LogType};
/// use logward_cli::{BundleRequest, RawBundleArgs};
///
/// let request = BundleRequest::from_raw(RawBundleArgs {
///     date_to: Some("2026-11-22".into()),
///     log_type: Some("Audit,web".into()),
///     log_level: Some("error,critical".into()),
///     ..RawBundleArgs::default()
/// })?;
/// assert_eq!(request.types(), [LogType::Audit, LogType::Web]);
/// assert_eq!(request.levels(), [Level::Error, Level::Critical]);
/// // The whole of 2026-11-22 is included.
/// assert_eq!(request.to(), Some(1_795_392_000_000_000));
/// # Ok::<(), logward_cli::BundleUsageError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BundleRequest {
    from: Option<i64>,
    to: Option<i64>,
    types: Vec<LogType>,
    levels: Vec<Level>,
    filter: Option<Filter>,
    hostnames: Vec<String>,
    identifiers: Vec<String>,
    zone: Option<TimeZone>,
    local_applies: bool,
    output: BundleOutput,
    raw: RawBundleArgs,
}

impl BundleRequest {
    /// Checks `raw` and builds the request, or says which option is wrong,
    /// with its value and what is allowed.
    ///
    /// Relative dates are read against the system clock, and `--local`
    /// dates in the machine's zone (`TZ`, else `/etc/localtime`).
    pub fn from_raw(raw: RawBundleArgs) -> Result<BundleRequest, BundleUsageError> {
        let zone = if raw.local {
            Some(TimeZone::try_system().map_err(|e| {
                BundleUsageError::new(
                    "--local",
                    "",
                    format!("cannot read the machine's time zone ({e}); allowed: dates in UTC, without --local"),
                )
            })?)
        } else {
            None
        };
        BundleRequest::from_raw_at(raw, SystemClock.now_micros(), zone)
    }

    /// As [`BundleRequest::from_raw`], with `now` (microseconds since the
    /// epoch) for relative dates and `zone` for `--local` ones.
    pub(crate) fn from_raw_at(
        raw: RawBundleArgs,
        now: i64,
        zone: Option<TimeZone>,
    ) -> Result<BundleRequest, BundleUsageError> {
        let context = Context {
            now,
            zone: zone.as_ref(),
        };
        let from = raw
            .date_from
            .as_deref()
            .map(|text| dates::parse_bound("--date-from", text, Bound::Start, &context))
            .transpose()?;
        let to = raw
            .date_to
            .as_deref()
            .map(|text| dates::parse_bound("--date-to", text, Bound::End, &context))
            .transpose()?;
        let local_applies = from.iter().chain(&to).any(|bound| bound.zoned);
        let (from, to) = (from.map(|b| b.micros), to.map(|b| b.micros));
        if let (Some(from), Some(to), Some(from_text), Some(to_text)) =
            (from, to, &raw.date_from, &raw.date_to)
        {
            if from >= to {
                return Err(BundleUsageError::new(
                    "--date-from",
                    from_text,
                    format!(
                        "it is after --date-to {to_text:?}; the start must come before the end"
                    ),
                ));
            }
        }
        let types = match raw.log_type.as_deref() {
            Some(text) => parse_list("--log-type", text, TYPE_NAMES)?,
            None => LogType::ALL.to_vec(),
        };
        let levels = match raw.log_level.as_deref() {
            Some(text) => parse_list("--log-level", text, LEVEL_NAMES)?,
            None => Level::ALL.to_vec(),
        };
        let filter = raw
            .filter
            .as_deref()
            .map(|text| {
                Filter::parse(text)
                    .map_err(|e| BundleUsageError::new("--filter", text, e.to_string()))
            })
            .transpose()?;
        let selectors = select::parse(&raw)?;
        let filter = match (filter, selectors.filter) {
            (Some(given), Some(fields)) => Some(Filter::all_of(vec![given, fields])),
            (given, fields) => given.or(fields),
        };
        let hostnames = match raw.hostname.as_deref() {
            Some(text) => parse_hostnames(text)?,
            None => Vec::new(),
        };
        let output = output(&raw)?;
        Ok(BundleRequest {
            from,
            to,
            types,
            levels,
            filter,
            hostnames,
            identifiers: selectors.identifiers,
            zone,
            local_applies,
            output,
            raw,
        })
    }

    /// The record filter, if any: `--filter` and the field selectors
    /// (`--request-id`, `--user`, `--where`, see the `select` module)
    /// joined with `and`. A record is selected only when it also passes it.
    pub fn filter(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    /// The first instant included, in microseconds since the epoch (UTC);
    /// `None`: no lower bound.
    pub fn from(&self) -> Option<i64> {
        self.from
    }

    /// The first instant no longer included (exclusive), in microseconds
    /// since the epoch (UTC); `None`: no upper bound.
    pub fn to(&self) -> Option<i64> {
        self.to
    }

    /// The selected log types, in [`LogType::ALL`] order.
    pub fn types(&self) -> &[LogType] {
        &self.types
    }

    /// The selected levels, lowest first. A record is kept only if its level
    /// is one of them.
    pub fn levels(&self) -> &[Level] {
        &self.levels
    }

    /// The selected origin host names, lowercase; empty: every host.
    pub fn hostnames(&self) -> &[String] {
        &self.hostnames
    }

    /// The senders' identifiers `--identifier` selects; empty: every sender.
    pub fn identifiers(&self) -> &[String] {
        &self.identifiers
    }

    /// The zone of `--local`, `None` for UTC.
    pub fn zone(&self) -> Option<&TimeZone> {
        self.zone.as_ref()
    }

    /// Whether `--local` changed a date: one was given in a form without a
    /// zone (a date, a date and time, `today`, `yesterday`).
    pub fn local_applies(&self) -> bool {
        self.local_applies
    }

    /// Whether a record of host `hostname` is wanted.
    pub fn selects_host(&self, hostname: &str) -> bool {
        self.hostnames.is_empty()
            || self
                .hostnames
                .iter()
                .any(|h| h.eq_ignore_ascii_case(hostname))
    }

    /// Whether every level is selected.
    pub fn all_levels(&self) -> bool {
        self.levels.len() == Level::ALL.len()
    }

    /// Where the bundle goes.
    pub fn output(&self) -> &BundleOutput {
        &self.output
    }

    /// The options as given, for the manifest.
    pub fn raw(&self) -> &RawBundleArgs {
        &self.raw
    }

    /// Whether a record of this time, type and level is wanted.
    pub fn selects(&self, created_at: i64, log_type: LogType, level: Level) -> bool {
        self.from.is_none_or(|from| created_at >= from)
            && self.to.is_none_or(|to| created_at < to)
            && self.types.contains(&log_type)
            && self.levels.contains(&level)
    }

    /// Whether any record of the UTC days `first..=last` can be selected
    /// (`first` `None`: from the beginning of time).
    pub(crate) fn overlaps_days(&self, first: Option<Date>, last: Date) -> bool {
        let end = last.start_unix_micros() + MICROS_PER_DAY;
        let starts_before_to = match (first, self.to) {
            (Some(first), Some(to)) => first.start_unix_micros() < to,
            _ => true,
        };
        self.from.is_none_or(|from| end > from) && starts_before_to
    }
}

/// A comma list of host names, de-duplicated, lowercase.
fn parse_hostnames(text: &str) -> Result<Vec<String>, BundleUsageError> {
    let mut out: Vec<String> = Vec::new();
    for name in text.split(',').map(str::trim) {
        let valid = !name.is_empty()
            && name.len() <= 253
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
        if !valid {
            return Err(BundleUsageError::new(
                "--hostname",
                text,
                format!(
                    "{name:?} is not a host name; allowed: a comma list of host names (letters, digits, '-', '.', '_')"
                ),
            ));
        }
        let name = name.to_ascii_lowercase();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

/// A `logward bundle` option that cannot be used: which flag, its value,
/// and why (including what is allowed). The command line exits with code 2.
///
/// Reads `--date-from "yesterday": expected …`, or for a bare flag
/// `--compress needs --out-file: …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct BundleUsageError {
    flag: &'static str,
    value: String,
    reason: String,
}

impl BundleUsageError {
    pub(crate) fn new(
        flag: &'static str,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        BundleUsageError {
            flag,
            value: value.into(),
            reason: reason.into(),
        }
    }

    fn describe(&self) -> String {
        if self.value.is_empty() {
            format!("{} {}", self.flag, self.reason)
        } else {
            format!("{} {:?}: {}", self.flag, self.value, self.reason)
        }
    }

    /// The offending flag, e.g. `--date-from`.
    pub fn flag(&self) -> &'static str {
        self.flag
    }

    /// The value it was given (empty for a bare flag).
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// Parses a comma list of names into a sorted set; every item must parse.
fn parse_list<T>(flag: &'static str, text: &str, allowed: &str) -> Result<Vec<T>, BundleUsageError>
where
    T: std::str::FromStr + Ord,
{
    let mut items = Vec::new();
    for item in text.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(BundleUsageError::new(
                flag,
                text,
                format!("empty name in the list; allowed are {allowed}, separated by commas"),
            ));
        }
        let parsed = item.parse::<T>().map_err(|_| {
            BundleUsageError::new(
                flag,
                text,
                format!("unknown name {item:?}; allowed are {allowed}"),
            )
        })?;
        items.push(parsed);
    }
    items.sort();
    items.dedup();
    Ok(items)
}

fn output(raw: &RawBundleArgs) -> Result<BundleOutput, BundleUsageError> {
    let Some(path) = &raw.out_file else {
        if raw.compress {
            return Err(BundleUsageError::new(
                "--compress",
                "",
                "needs --out-file: a compressed bundle is never written to stdout",
            ));
        }
        return Ok(BundleOutput::Stdout);
    };
    let shown = path.display().to_string();
    if path.as_os_str().is_empty() {
        return Err(BundleUsageError::new(
            "--out-file",
            shown,
            "expected a file path",
        ));
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(BundleUsageError::new(
                "--out-file",
                shown,
                "is a directory; give a file path",
            ));
        }
        Ok(_) if !raw.force => {
            return Err(BundleUsageError::new(
                "--out-file",
                shown,
                "already exists; choose another path or pass --force to replace it",
            ));
        }
        _ => {}
    }
    if path.file_name().is_none() {
        return Err(BundleUsageError::new(
            "--out-file",
            shown,
            "expected a file path, not a directory",
        ));
    }
    Ok(BundleOutput::File {
        path: path.clone(),
        compress: raw.compress,
        force: raw.force,
    })
}

impl fmt::Display for BundleOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleOutput::Stdout => f.write_str("stdout"),
            BundleOutput::File {
                path,
                compress: true,
                ..
            } => write!(f, "{} (tar.gz)", path.display()),
            BundleOutput::File { path, .. } => write!(f, "{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(raw: RawBundleArgs) -> Result<BundleRequest, BundleUsageError> {
        BundleRequest::from_raw(raw)
    }

    fn at(date: &str) -> i64 {
        Date::parse(date).unwrap().start_unix_micros()
    }

    #[test]
    fn defaults_select_everything_on_stdout() {
        let r = request(RawBundleArgs::default()).unwrap();
        assert_eq!((r.from(), r.to()), (None, None));
        assert_eq!(r.types(), LogType::ALL);
        assert_eq!(r.levels(), Level::ALL);
        assert!(r.all_levels());
        assert_eq!(r.output(), &BundleOutput::Stdout);
    }

    #[test]
    fn date_only_to_includes_the_whole_day() {
        let r = request(RawBundleArgs {
            date_from: Some("2026-11-20".into()),
            date_to: Some("2026-11-22".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(r.from(), Some(at("2026-11-20")));
        assert_eq!(r.to(), Some(at("2026-11-23")));
        let last = at("2026-11-23") - 1;
        assert!(r.selects(last, LogType::Web, Level::Info));
        assert!(!r.selects(last + 1, LogType::Web, Level::Info));
        assert!(!r.selects(at("2026-11-20") - 1, LogType::Web, Level::Info));
    }

    #[test]
    fn date_time_bounds_include_their_second() {
        let r = request(RawBundleArgs {
            date_from: Some("2026-11-22 04:30:00".into()),
            date_to: Some("2026-11-22 23:59:59".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            r.from(),
            Some(at("2026-11-22") + (4 * 3600 + 30 * 60) * 1_000_000)
        );
        assert_eq!(r.to(), Some(at("2026-11-23")));
    }

    #[test]
    fn same_day_and_same_second_are_allowed() {
        for (from, to) in [
            ("2026-11-22", "2026-11-22"),
            ("2026-11-22 10:00:00", "2026-11-22 10:00:00"),
        ] {
            let raw = RawBundleArgs {
                date_from: Some(from.into()),
                date_to: Some(to.into()),
                ..Default::default()
            };
            assert!(request(raw).is_ok(), "{from} .. {to}");
        }
    }

    #[test]
    fn bad_dates_name_the_flag_value_and_forms() {
        for bad in [
            "2026-11-31",
            "22.11.2026",
            "2026-11-22T10:00:00",
            "2026-11-22 24:00:00",
            "2026-11-22 10:60:00",
            "2026-11-22 10:00:60",
            "2026-11-22 1:00:00 ",
            "",
            "2026-11-22 10:0a:00",
        ] {
            let err = request(RawBundleArgs {
                date_from: Some(bad.into()),
                ..Default::default()
            })
            .unwrap_err();
            assert_eq!(err.flag(), "--date-from");
            assert_eq!(err.value(), bad);
            assert!(err.to_string().contains("YYYY-MM-DD HH:MM:SS"), "{err}");
        }
    }

    #[test]
    fn from_after_to_is_refused() {
        let err = request(RawBundleArgs {
            date_from: Some("2026-11-23".into()),
            date_to: Some("2026-11-22 23:59:59".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "--date-from \"2026-11-23\": it is after --date-to \"2026-11-22 23:59:59\"; \
             the start must come before the end"
        );
    }

    #[test]
    fn lists_are_case_insensitive_sorted_and_deduplicated() {
        let r = request(RawBundleArgs {
            log_type: Some("WEB, audit,web".into()),
            log_level: Some("Critical,warning,INFO".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(r.types(), [LogType::Audit, LogType::Web]);
        assert_eq!(r.levels(), [Level::Info, Level::Warning, Level::Critical]);
        assert!(!r.all_levels());
        assert!(r.selects(0, LogType::Web, Level::Critical));
        assert!(!r.selects(0, LogType::Web, Level::Error));
        assert!(!r.selects(0, LogType::Tanium, Level::Info));
    }

    #[test]
    fn unknown_or_empty_names_list_what_is_allowed() {
        let err = request(RawBundleArgs {
            log_type: Some("audit,syslog".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "--log-type \"audit,syslog\": unknown name \"syslog\"; \
             allowed are audit, web, application, analysis, tanium"
        );
        let err = request(RawBundleArgs {
            log_level: Some("info,".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.flag(), "--log-level");
        assert!(
            err.to_string()
                .contains("allowed are debug, info, warning, error, critical")
        );
    }

    #[test]
    fn compress_needs_an_out_file() {
        let err = request(RawBundleArgs {
            compress: true,
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.flag(), "--compress");
        assert!(err.to_string().contains("needs --out-file"), "{err}");
    }

    #[test]
    fn existing_out_file_needs_force_and_a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("bundle.jsonl");
        std::fs::write(&existing, "").unwrap();
        let raw = RawBundleArgs {
            out_file: Some(existing.clone()),
            ..Default::default()
        };
        let err = request(raw.clone()).unwrap_err();
        assert_eq!(err.flag(), "--out-file");
        assert!(err.to_string().contains("--force"), "{err}");
        let forced = request(RawBundleArgs { force: true, ..raw }).unwrap();
        assert_eq!(
            forced.output(),
            &BundleOutput::File {
                path: existing,
                compress: false,
                force: true
            }
        );
        let err = request(RawBundleArgs {
            out_file: Some(dir.path().to_path_buf()),
            force: true,
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
    }
}

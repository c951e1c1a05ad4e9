//! From merged key values to each log type's effective [`Route`]: value
//! checks, the fallback rules, and the checks between keys.
//!
//! Fallbacks: a type's own key (`LOG_FILE_WEB`) wins over the unsuffixed key
//! (`LOG_FILE`), which wins over the built-in default. Audit keeps its own
//! level (`LOG_LEVEL_AUDIT` or `info`), destination (journald unless
//! `LOG_FILE_AUDIT` is set), overflow and sealing, but takes rotation
//! (`LOG_ROTATE_DAILY`, `LOG_ROTATE_MAX`, `LOG_ROTATE_SIZE`,
//! `LOG_ROTATE_COMPRESS`) and `LOG_SYNC` from the unsuffixed keys like every
//! other type, unless its `_AUDIT` keys say otherwise. Every value is checked
//! once, where it is set, so a bad unsuffixed value is reported once, not
//! once per type.

use std::collections::BTreeMap;
use std::num::{NonZeroU32, NonZeroU64};
use std::path::{Path, PathBuf};

use super::error::{ConfigError, ConfigErrorKind, Diagnostics, Origin};
use super::keys::{Base, KeyId};
use super::provider::Setting;
use super::route::{Compression, Destination, Overflow, Route, SyncPolicy};
use super::suggest;
use crate::level::Level;
use crate::log_type::LogType;

/// Records per writer queue when `LOG_QUEUE_SIZE` is not set.
pub(crate) const DEFAULT_QUEUE_SIZE: usize = 65_536;

/// Keys with this prefix configure the tool's exports (`logward ship`):
/// accepted without a warning here and validated by the tool.
pub(crate) const EXPORT_PREFIX: &str = "EXPORT_";
/// Keys with this prefix configure the tool's collector (`logward
/// receive`): accepted without a warning here and validated by the tool.
pub(crate) const RECEIVE_PREFIX: &str = "RECEIVE_";

/// The largest `LOG_QUEUE_SIZE`: queues are allocated up front.
const MAX_QUEUE_SIZE: usize = 1 << 24;

/// The outcome of resolution; meaningful only when no error was recorded.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// Each type's route, indexed by [`LogType::index`].
    pub(crate) routes: [Route; 5],
    /// For each type routed to a file, the key that named the file and its origin.
    pub(crate) file_keys: [Option<(String, Origin)>; 5],
    /// Records per writer queue.
    pub(crate) queue_size: usize,
    /// The journald `SYSLOG_IDENTIFIER`, when configured.
    pub(crate) syslog_identifier: Option<String>,
    /// `LOG_JOURNAL_USERS`: user names or numeric ids, as listed.
    pub(crate) journal_users: Vec<String>,
    /// `LOG_JOURNAL_UNITS`: systemd unit names, as listed.
    pub(crate) journal_units: Vec<String>,
}

/// Resolves `settings`; `file` is the configuration file in use, if any.
/// Errors and warnings go to `diagnostics`.
pub(crate) fn resolve(
    settings: &BTreeMap<String, Setting>,
    file: Option<&Path>,
    diagnostics: &mut Diagnostics,
) -> Resolved {
    let keys = Keys { settings };
    check_values(settings, diagnostics);
    check_combinations(&keys, diagnostics);
    if let Some(path) = file {
        if !settings.contains_key(Base::Level.name()) {
            diagnostics.errors.push(
                ConfigError::new(
                    ConfigErrorKind::Missing,
                    format!(
                        "required when a configuration file is used, and not set; allowed: {}",
                        level_names()
                    ),
                )
                .with_key(Base::Level.name())
                .with_origin(Origin::file(path)),
            );
        }
    }

    let types = LogType::ALL.map(|t| TypeKeys::resolve(&keys, t));
    check_shared_files(&types, diagnostics);
    check_sealed_compression(&types, diagnostics);

    Resolved {
        routes: types.clone().map(|t| t.route),
        file_keys: types.map(|t| {
            t.file
                .setting
                .filter(|_| matches!(t.route.destination, Destination::File { .. }))
                .map(|s| (t.file.key, s.origin.clone()))
        }),
        queue_size: keys
            .plain(Base::QueueSize)
            .and_then(|s| parse_queue_size(&s.value).ok())
            .unwrap_or(DEFAULT_QUEUE_SIZE),
        syslog_identifier: keys
            .plain(Base::SyslogIdentifier)
            .and_then(|s| parse_identifier(&s.value).ok()),
        journal_users: keys
            .plain(Base::JournalUsers)
            .and_then(|s| parse_users(&s.value).ok())
            .unwrap_or_default(),
        journal_units: keys
            .plain(Base::JournalUnits)
            .and_then(|s| parse_units(&s.value).ok())
            .unwrap_or_default(),
    }
}

/// Lookups in the merged settings.
struct Keys<'a> {
    settings: &'a BTreeMap<String, Setting>,
}

impl<'a> Keys<'a> {
    fn get(&self, id: KeyId) -> Option<&'a Setting> {
        self.settings.get(&id.name())
    }

    fn plain(&self, base: Base) -> Option<&'a Setting> {
        self.get(KeyId::plain(base))
    }

    /// Whether `log_type` takes the unsuffixed `base` when its own key is
    /// not set.
    fn inherits(base: Base, log_type: LogType) -> bool {
        log_type != LogType::Audit || base.audit_inherits()
    }

    /// The key that decides `base` for `log_type`: its own key when set,
    /// else (for audit only for the keys it inherits) the unsuffixed key
    /// when set, else nothing.
    fn pick(&self, base: Base, log_type: LogType) -> Pick<'a> {
        let own = KeyId::typed(base, log_type);
        if let Some(setting) = self.get(own) {
            return Pick::set(own, setting);
        }
        if Keys::inherits(base, log_type) {
            if let Some(setting) = self.plain(base) {
                return Pick::set(KeyId::plain(base), setting);
            }
        }
        // Unset: name the key an operator would set to change every type
        // at once, which for audit's own keys is its own.
        let key = if !Keys::inherits(base, log_type) {
            own.name()
        } else {
            base.name().to_string()
        };
        Pick { key, setting: None }
    }

    /// Whether the unsuffixed-or-typed key `id` of `base` applies to a type
    /// whose records go to a file: for a suffixed key, whether its type has
    /// a file; for an unsuffixed key, whether some type that takes it (has
    /// no key of its own) has one.
    fn applies_to_a_file(&self, id: KeyId) -> bool {
        match id.log_type {
            Some(t) => self.pick(Base::File, t).setting.is_some(),
            None => LogType::ALL.into_iter().any(|t| {
                Keys::inherits(id.base, t)
                    && self.get(KeyId::typed(id.base, t)).is_none()
                    && self.pick(Base::File, t).setting.is_some()
            }),
        }
    }

    /// The key that decides `base` in the scope of `id`: for a suffixed key
    /// as [`Keys::pick`] does, for an unsuffixed key that key itself.
    fn pick_for(&self, base: Base, id: KeyId) -> Pick<'a> {
        match id.log_type {
            Some(t) => self.pick(base, t),
            None => Pick {
                key: base.name().to_string(),
                setting: self.plain(base),
            },
        }
    }
}

/// The key that decides one setting of one type, and its value if set.
#[derive(Debug, Clone)]
struct Pick<'a> {
    key: String,
    setting: Option<&'a Setting>,
}

impl<'a> Pick<'a> {
    fn set(id: KeyId, setting: &'a Setting) -> Self {
        Pick {
            key: id.name(),
            setting: Some(setting),
        }
    }

    /// The parsed value; `None` when unset or invalid (invalid values are
    /// reported by [`check_values`]).
    fn parsed<T>(&self, parse: fn(&str) -> Result<T, String>) -> Option<T> {
        self.setting.and_then(|s| parse(&s.value).ok())
    }

    /// `KEY="value" (origin)`, or `KEY is not set (default …)`.
    fn describe(&self, default: &str) -> String {
        match self.setting {
            Some(s) => format!("{}={:?} ({})", self.key, s.value, s.origin),
            None => format!("{} is not set (default {default})", self.key),
        }
    }
}

/// One type's route and the keys that decided it.
#[derive(Debug, Clone)]
struct TypeKeys<'a> {
    route: Route,
    file: Pick<'a>,
    rotate_daily: Pick<'a>,
    rotate_max: Pick<'a>,
    rotate_size: Pick<'a>,
    compress: Pick<'a>,
    sync: Pick<'a>,
    seal: Pick<'a>,
}

impl<'a> TypeKeys<'a> {
    fn resolve(keys: &Keys<'a>, log_type: LogType) -> Self {
        let builtin = Route::builtin();
        let file = keys.pick(Base::File, log_type);
        let rotate_daily = keys.pick(Base::RotateDaily, log_type);
        let rotate_max = keys.pick(Base::RotateMax, log_type);
        let rotate_size = keys.pick(Base::RotateSize, log_type);
        let compress = keys.pick(Base::RotateCompress, log_type);
        let sync = keys.pick(Base::Sync, log_type);
        let seal = keys.pick(Base::Seal, log_type);
        let daily = rotate_daily.parsed(parse_bool).unwrap_or(false);
        let size = rotate_size.parsed(parse_size).flatten();
        let rotates = daily || size.is_some();
        let destination = match file.parsed(parse_path) {
            Some(path) => Destination::File {
                path,
                rotate_daily: daily,
                rotate_max: rotate_max.parsed(parse_max).flatten().filter(|_| rotates),
                rotate_size: size,
                compress: compress
                    .parsed(parse_compress)
                    .flatten()
                    .filter(|_| rotates),
                seal: seal.parsed(parse_bool).unwrap_or(false),
            },
            None => Destination::Journald,
        };
        let route = Route {
            level: keys
                .pick(Base::Level, log_type)
                .parsed(parse_level)
                .unwrap_or(builtin.level),
            destination,
            overflow: keys
                .pick(Base::Overflow, log_type)
                .parsed(parse_overflow)
                .unwrap_or(builtin.overflow),
            sync: sync.parsed(parse_sync).unwrap_or(builtin.sync),
        };
        TypeKeys {
            route,
            file,
            rotate_daily,
            rotate_max,
            rotate_size,
            compress,
            sync,
            seal,
        }
    }
}

/// Checks every set value against what its key allows, and warns about
/// unknown keys.
fn check_values(settings: &BTreeMap<String, Setting>, diagnostics: &mut Diagnostics) {
    let known = KeyId::all_names();
    for (key, setting) in settings {
        if key.starts_with(EXPORT_PREFIX) || key.starts_with(RECEIVE_PREFIX) {
            continue;
        }
        let Some(id) = KeyId::parse(key) else {
            let hint = suggest::nearest(key, &known)
                .map(|k| format!("; did you mean {k}?"))
                .unwrap_or_default();
            diagnostics.warn(
                &setting.origin,
                format!("{}: {key}: unknown key, ignored{hint}", setting.origin),
            );
            continue;
        };
        let checked = match id.base {
            Base::Level => parse_level(&setting.value).map(drop),
            Base::File => parse_path(&setting.value).map(drop),
            Base::RotateDaily | Base::Seal => parse_bool(&setting.value).map(drop),
            Base::RotateMax => parse_max(&setting.value).map(drop),
            Base::RotateSize => parse_size(&setting.value).map(drop),
            Base::RotateCompress => parse_compress(&setting.value).map(drop),
            Base::Overflow => match parse_overflow(&setting.value) {
                Ok(Overflow::Drop) if id.log_type == Some(LogType::Audit) => {
                    Err("audit records are never dropped; allowed: block".to_string())
                }
                other => other.map(drop),
            },
            Base::Sync => parse_sync(&setting.value).map(drop),
            Base::QueueSize => parse_queue_size(&setting.value).map(drop),
            Base::SyslogIdentifier => parse_identifier(&setting.value).map(drop),
            Base::JournalUsers => parse_users(&setting.value).map(drop),
            Base::JournalUnits => parse_units(&setting.value).map(drop),
        };
        if let Err(message) = checked {
            diagnostics.errors.push(invalid(
                ConfigErrorKind::InvalidValue,
                key,
                setting,
                message,
            ));
        }
    }
}

/// Checks the keys that need another key: daily rotation needs a file, a
/// number of kept files needs daily rotation.
fn check_combinations(keys: &Keys<'_>, diagnostics: &mut Diagnostics) {
    for (key, setting) in keys.settings {
        let Some(id) = KeyId::parse(key) else {
            continue;
        };
        match id.base {
            Base::RotateDaily
                if parse_bool(&setting.value) == Ok(true) && !keys.applies_to_a_file(id) =>
            {
                diagnostics
                    .errors
                    .push(needs_a_file(id, key, setting, "daily rotation", ""));
            }
            Base::Seal
                if parse_bool(&setting.value) == Ok(true)
                    && keys.pick_for(Base::File, id).setting.is_none() =>
            {
                diagnostics.errors.push(needs_a_file(
                    id,
                    key,
                    setting,
                    "sealing",
                    " (seal journald with `journalctl --setup-keys`)",
                ));
            }
            Base::RotateSize
                if matches!(parse_size(&setting.value), Ok(Some(_)))
                    && !keys.applies_to_a_file(id) =>
            {
                diagnostics
                    .errors
                    .push(needs_a_file(id, key, setting, "size rotation", ""));
            }
            Base::RotateMax if matches!(parse_max(&setting.value), Ok(Some(_))) => {
                if let Some(state) = no_rotation(keys, id) {
                    diagnostics.errors.push(invalid(
                        ConfigErrorKind::Conflict,
                        key,
                        setting,
                        format!(
                            "a number of kept files needs rotation, and {state}; allowed: \
                             set {}, or remove {key}",
                            rotation_keys(id)
                        ),
                    ));
                }
            }
            Base::RotateCompress if matches!(parse_compress(&setting.value), Ok(Some(_))) => {
                if let Some(state) = no_rotation(keys, id) {
                    diagnostics.errors.push(invalid(
                        ConfigErrorKind::Conflict,
                        key,
                        setting,
                        format!(
                            "compression applies to rotated files, and {state}; allowed: \
                             set {}, or remove {key}",
                            rotation_keys(id)
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
}

/// Why the file in `id`'s scope does not rotate, or `None` when it does
/// (or when a rotation key is invalid, which is reported on its own).
fn no_rotation(keys: &Keys<'_>, id: KeyId) -> Option<String> {
    let daily = keys.pick_for(Base::RotateDaily, id);
    let size = keys.pick_for(Base::RotateSize, id);
    let daily_state = match daily.setting {
        None => not_set(Base::RotateDaily, id),
        Some(s) if parse_bool(&s.value) == Ok(false) => {
            format!("{}={:?} ({})", daily.key, s.value, s.origin)
        }
        Some(_) => return None,
    };
    let size_state = match size.setting {
        None => not_set(Base::RotateSize, id),
        Some(s) if parse_size(&s.value) == Ok(None) => {
            format!("{}={:?} ({})", size.key, s.value, s.origin)
        }
        Some(_) => return None,
    };
    Some(format!("{daily_state} and {size_state}"))
}

/// The keys that turn rotation on in `id`'s scope, for a message.
fn rotation_keys(id: KeyId) -> String {
    let daily = KeyId {
        base: Base::RotateDaily,
        log_type: id.log_type,
    };
    let size = KeyId {
        base: Base::RotateSize,
        log_type: id.log_type,
    };
    format!("{}=true or {}", daily.name(), size.name())
}

/// Which keys are unset when `base` is unset in `id`'s scope.
fn not_set(base: Base, id: KeyId) -> String {
    match id.log_type {
        None => format!("{} is not set", base.name()),
        Some(LogType::Audit) if !base.audit_inherits() => format!(
            "{} is not set (audit does not use {})",
            KeyId::typed(base, LogType::Audit).name(),
            base.name()
        ),
        Some(t) => format!(
            "neither {} nor {} is set",
            KeyId::typed(base, t).name(),
            base.name()
        ),
    }
}

/// Types that share a file share its writer, so they must agree on rotation
/// and sync.
fn check_shared_files(types: &[TypeKeys<'_>], diagnostics: &mut Diagnostics) {
    let mut first_by_path: BTreeMap<&PathBuf, &TypeKeys<'_>> = BTreeMap::new();
    for this in types {
        let Destination::File {
            path,
            rotate_daily,
            rotate_max,
            rotate_size,
            compress,
            seal,
        } = &this.route.destination
        else {
            continue;
        };
        let Some(first) = first_by_path.get(path) else {
            first_by_path.insert(path, this);
            continue;
        };
        let Destination::File {
            rotate_daily: first_daily,
            rotate_max: first_max,
            rotate_size: first_size,
            compress: first_compress,
            seal: first_seal,
            ..
        } = &first.route.destination
        else {
            continue;
        };
        let difference = if rotate_daily != first_daily {
            Some((
                "rotation",
                this.rotate_daily.describe("false"),
                first.rotate_daily.describe("false"),
            ))
        } else if rotate_max != first_max {
            Some((
                "rotation",
                this.rotate_max.describe("all files kept"),
                first.rotate_max.describe("all files kept"),
            ))
        } else if rotate_size != first_size {
            Some((
                "rotation",
                this.rotate_size.describe("none"),
                first.rotate_size.describe("none"),
            ))
        } else if compress != first_compress {
            Some((
                "rotation",
                this.compress.describe("none"),
                first.compress.describe("none"),
            ))
        } else if seal != first_seal {
            Some((
                "sealing",
                this.seal.describe("false"),
                first.seal.describe("false"),
            ))
        } else if this.route.sync != first.route.sync {
            Some((
                "sync",
                this.sync.describe("never"),
                first.sync.describe("never"),
            ))
        } else {
            None
        };
        let (Some((what, here, there)), Some(setting)) = (difference, this.file.setting) else {
            continue;
        };
        let error = invalid(
            ConfigErrorKind::Conflict,
            &this.file.key,
            setting,
            format!(
                "the same file as {}, with different {what} (here {here}, there {there}); \
                 allowed: the same {} settings for every key naming one file",
                first.file.describe("journald"),
                match what {
                    "sync" => "LOG_SYNC",
                    "sealing" => "LOG_SEAL",
                    _ =>
                        "LOG_ROTATE_DAILY, LOG_ROTATE_MAX, LOG_ROTATE_SIZE and LOG_ROTATE_COMPRESS",
                },
            ),
        );
        // Several types falling back to the same keys give the same message once.
        if !diagnostics.errors.contains(&error) {
            diagnostics.errors.push(error);
        }
    }
}

/// A sealed file is verified byte for byte as it was written (`logward
/// verify` reads the file and its `.seal` beside it), so its rotated files
/// stay uncompressed: compression of a sealed type is a configuration
/// error, reported once per key.
fn check_sealed_compression(types: &[TypeKeys<'_>], diagnostics: &mut Diagnostics) {
    // Per compression key: its setting, the first sealing key, the sealed types.
    let mut conflicts: Vec<(&Pick<'_>, &Pick<'_>, Vec<String>)> = Vec::new();
    for (log_type, this) in LogType::ALL.into_iter().zip(types) {
        let Destination::File {
            seal: true,
            compress: Some(_),
            ..
        } = &this.route.destination
        else {
            continue;
        };
        let own = KeyId::typed(Base::RotateCompress, log_type).name();
        match conflicts
            .iter_mut()
            .find(|(compress, _, _)| compress.key == this.compress.key)
        {
            Some((_, _, keys)) => keys.push(own),
            None => conflicts.push((&this.compress, &this.seal, vec![own])),
        }
    }
    for (compress, seal, keys) in conflicts {
        let Some(setting) = compress.setting else {
            continue;
        };
        diagnostics.errors.push(invalid(
            ConfigErrorKind::Conflict,
            &compress.key,
            setting,
            format!(
                "sealed files are not compressed (`logward verify` checks their bytes as \
                 written), and {} seals the file; allowed: {}, or no sealing",
                seal.describe("false"),
                keys.iter()
                    .map(|key| format!("{key}=none"))
                    .collect::<Vec<_>>()
                    .join(" and "),
            ),
        ));
    }
}

/// The error of a key (`what` it sets) that only a file can use, set for
/// records that go to journald; `note` follows "journald".
fn needs_a_file(id: KeyId, key: &str, setting: &Setting, what: &str, note: &str) -> ConfigError {
    let file_key = KeyId {
        base: Base::File,
        log_type: id.log_type,
    };
    invalid(
        ConfigErrorKind::Conflict,
        key,
        setting,
        format!(
            "{what} needs a file, and {}, so these records go to journald{note}; allowed: set {}, \
             or remove {key}",
            not_set(Base::File, id),
            file_key.name()
        ),
    )
}

fn invalid(kind: ConfigErrorKind, key: &str, setting: &Setting, message: String) -> ConfigError {
    ConfigError::new(kind, message)
        .with_key(key)
        .with_value(setting.value.clone())
        .with_origin(setting.origin.clone())
}

fn level_names() -> String {
    Level::ALL.map(Level::as_str).join(", ")
}

fn parse_level(value: &str) -> Result<Level, String> {
    value
        .parse()
        .map_err(|_| format!("unknown level; allowed: {}", level_names()))
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err("not a boolean; allowed: true or false (also yes/no, 1/0)".to_string()),
    }
}

fn parse_path(value: &str) -> Result<PathBuf, String> {
    const ALLOWED: &str = "allowed: an absolute file path such as /var/log/logward/app.log, \
                           or no key at all to log to journald";
    if value.is_empty() {
        return Err(format!("empty; {ALLOWED}"));
    }
    let path = PathBuf::from(value);
    if !path.is_absolute() {
        return Err(format!("a relative path; {ALLOWED}"));
    }
    if value.ends_with('/') {
        return Err(format!("names a directory, not a file; {ALLOWED}"));
    }
    Ok(path)
}

/// Digits only: Rust's integer parsing also takes a leading `+`, which a
/// count written in a configuration file never has.
fn digits(value: &str) -> Option<&str> {
    let value = value.trim();
    (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())).then_some(value)
}

/// `LOG_ROTATE_MAX`: a count, or `all` (every file kept, as when unset).
fn parse_max(value: &str) -> Result<Option<NonZeroU32>, String> {
    if value.trim().eq_ignore_ascii_case("all") {
        return Ok(None);
    }
    digits(value)
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            format!(
                "not a positive whole number; allowed: 1 to {}, the number of files kept \
                 including the live file, or all",
                u32::MAX
            )
        })
}

/// `LOG_ROTATE_SIZE`: bytes, with an optional `K`, `M` or `G` suffix
/// (powers of 1024, either case), or `none` for no size rotation.
fn parse_size(value: &str) -> Result<Option<NonZeroU64>, String> {
    const ALLOWED: &str = "allowed: a whole number of bytes, optionally followed by K, M or G \
                           (1024, 1024² or 1024³ bytes), such as 100M; or none";
    let value = value.trim();
    if value.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let (number, unit) = match value.char_indices().last() {
        Some((at, c)) if c.is_ascii_alphabetic() => (&value[..at], Some(c.to_ascii_uppercase())),
        _ => (value, None),
    };
    let factor: u64 = match unit {
        None => 1,
        Some('K') => 1 << 10,
        Some('M') => 1 << 20,
        Some('G') => 1 << 30,
        Some(_) => return Err(format!("not a size (unknown unit); {ALLOWED}")),
    };
    let bytes = digits(number)
        .filter(|n| n.len() == number.len())
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| format!("not a size; {ALLOWED}"))?
        .checked_mul(factor)
        .ok_or_else(|| format!("too large; {ALLOWED}"))?;
    NonZeroU64::new(bytes)
        .map(Some)
        .ok_or_else(|| format!("zero; {ALLOWED}"))
}

/// `LOG_ROTATE_COMPRESS`: `gzip`, or `none` to keep rotated files as
/// written.
fn parse_compress(value: &str) -> Result<Option<Compression>, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "gzip" => Ok(Some(Compression::Gzip)),
        "none" => Ok(None),
        _ => Err("not a compression; allowed: gzip or none".to_string()),
    }
}

fn parse_overflow(value: &str) -> Result<Overflow, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "block" => Ok(Overflow::Block),
        "drop" => Ok(Overflow::Drop),
        _ => Err("not an overflow policy; allowed: block or drop".to_string()),
    }
}

fn parse_sync(value: &str) -> Result<SyncPolicy, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "never" => Ok(SyncPolicy::Never),
        "always" => Ok(SyncPolicy::Always),
        _ => Err("not a sync policy; allowed: never or always".to_string()),
    }
}

fn parse_queue_size(value: &str) -> Result<usize, String> {
    match digits(value).map(str::parse::<usize>) {
        Some(Ok(size)) if (1..=MAX_QUEUE_SIZE).contains(&size) => Ok(size),
        _ => Err(format!(
            "not a queue size; allowed: a whole number of records from 1 to {MAX_QUEUE_SIZE}"
        )),
    }
}

pub(super) fn parse_identifier(value: &str) -> Result<String, String> {
    if value.is_empty() || value.chars().any(char::is_control) {
        return Err(
            "empty or containing control characters; allowed: a name such as my-service, \
             or no key at all for the program name"
                .to_string(),
        );
    }
    Ok(value.to_string())
}

/// Splits a comma list, trimming each item; empty items are errors.
fn parse_list<'v>(value: &'v str, what: &str, example: &str) -> Result<Vec<&'v str>, String> {
    let items: Vec<&str> = value.split(',').map(str::trim).collect();
    if items.iter().any(|item| item.is_empty()) {
        return Err(format!(
            "an empty item in the list; allowed: a comma list of {what}, such as {example}"
        ));
    }
    Ok(items)
}

/// `LOG_JOURNAL_USERS`: user names (as `useradd` allows them) or numeric ids.
fn parse_users(value: &str) -> Result<Vec<String>, String> {
    const WHAT: &str = "user names or numeric user ids";
    const EXAMPLE: &str = "shop,998";
    let users = parse_list(value, WHAT, EXAMPLE)?;
    for user in &users {
        let name = user.strip_suffix('$').unwrap_or(user);
        let valid = name.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid || (user.chars().all(|c| c.is_ascii_digit()) && user.parse::<u32>().is_err()) {
            return Err(format!(
                "{user:?} is no user name or id; allowed: a comma list of {WHAT}, such as {EXAMPLE}"
            ));
        }
    }
    Ok(users.into_iter().map(String::from).collect())
}

/// `LOG_JOURNAL_UNITS`: systemd unit names, such as `shop.service`.
fn parse_units(value: &str) -> Result<Vec<String>, String> {
    const WHAT: &str = "systemd unit names";
    const EXAMPLE: &str = "shop.service,shop-worker@1.service";
    let units = parse_list(value, WHAT, EXAMPLE)?;
    for unit in &units {
        let valid = unit.contains('.')
            && unit.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '.' | '\\' | '@' | '-')
            });
        if !valid {
            return Err(format!(
                "{unit:?} is no unit name; allowed: a comma list of {WHAT}, such as {EXAMPLE}"
            ));
        }
    }
    Ok(units.into_iter().map(String::from).collect())
}

//! The configuration keys logward knows, and how a key name splits into a
//! base key and an optional log type suffix (`LOG_FILE_WEB` is `LOG_FILE`
//! for `web`).
//!
//! Each base key also carries its meaning and default, published as
//! [`ConfigKey`], so that the manual page (`logward man`) and `config
//! check` list exactly the keys the parser knows.

use crate::log_type::LogType;

/// A key without its log type suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    /// `LOG_LEVEL`: minimum level.
    Level,
    /// `LOG_FILE`: file destination.
    File,
    /// `LOG_ROTATE_DAILY`: daily rotation.
    RotateDaily,
    /// `LOG_ROTATE_MAX`: files kept.
    RotateMax,
    /// `LOG_ROTATE_SIZE`: rotation by size.
    RotateSize,
    /// `LOG_ROTATE_COMPRESS`: compression of rotated files.
    RotateCompress,
    /// `LOG_OVERFLOW`: block or drop on a full queue.
    Overflow,
    /// `LOG_SYNC`: fsync policy.
    Sync,
    /// `LOG_SEAL`: tamper-evident sealing of a file.
    Seal,
    /// `LOG_QUEUE_SIZE`: records per writer queue (no per-type form).
    QueueSize,
    /// `LOG_SYSLOG_IDENTIFIER`: journald identifier (no per-type form).
    SyslogIdentifier,
    /// `LOG_JOURNAL_USERS`: users whose journal entries are trusted when
    /// reading the journal back (no per-type form).
    JournalUsers,
    /// `LOG_JOURNAL_UNITS`: systemd units whose journal entries are trusted
    /// when reading the journal back (no per-type form).
    JournalUnits,
}

impl Base {
    /// Every base key, in the order the documentation lists them.
    pub(crate) const ALL: [Base; 13] = [
        Base::Level,
        Base::File,
        Base::RotateDaily,
        Base::RotateMax,
        Base::RotateSize,
        Base::RotateCompress,
        Base::Overflow,
        Base::Sync,
        Base::Seal,
        Base::QueueSize,
        Base::SyslogIdentifier,
        Base::JournalUsers,
        Base::JournalUnits,
    ];

    /// The key's name without a suffix.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Base::Level => "LOG_LEVEL",
            Base::File => "LOG_FILE",
            Base::RotateDaily => "LOG_ROTATE_DAILY",
            Base::RotateMax => "LOG_ROTATE_MAX",
            Base::RotateSize => "LOG_ROTATE_SIZE",
            Base::RotateCompress => "LOG_ROTATE_COMPRESS",
            Base::Overflow => "LOG_OVERFLOW",
            Base::Sync => "LOG_SYNC",
            Base::Seal => "LOG_SEAL",
            Base::QueueSize => "LOG_QUEUE_SIZE",
            Base::SyslogIdentifier => "LOG_SYSLOG_IDENTIFIER",
            Base::JournalUsers => "LOG_JOURNAL_USERS",
            Base::JournalUnits => "LOG_JOURNAL_UNITS",
        }
    }

    /// What the key sets, one sentence.
    const fn meaning(self) -> &'static str {
        match self {
            Base::Level => {
                "Minimum level (debug, info, warning, error, critical) of every type without its own; required when a file exists; LOG_LEVEL_AUDIT defaults to info, not to LOG_LEVEL."
            }
            Base::File => {
                "Write to this absolute path instead of journald (the unsuffixed key: every type without its own, except audit, which never falls back to LOG_FILE)."
            }
            Base::RotateDaily => {
                "true starts a new file every UTC midnight; needs a file; audit inherits it."
            }
            Base::RotateMax => {
                "Files kept, the live one and compressed ones included, or all; needs daily or size rotation; audit inherits it."
            }
            Base::RotateSize => {
                "Rotate when the next record would pass this size (bytes, or K, M, G), or none; audit inherits it."
            }
            Base::RotateCompress => {
                "gzip compresses rotated files on a thread of the sink's own, none leaves them; refused for sealed types; audit inherits it."
            }
            Base::Overflow => {
                "block or drop when the writer's queue is full; drop is refused for audit."
            }
            Base::Sync => {
                "always: fsync after each written batch; never: leave it to the kernel; audit inherits it."
            }
            Base::Seal => {
                "true: seal every written batch for tamper evidence; needs a file and logward seal init."
            }
            Base::QueueSize => "Records each writer's queue holds.",
            Base::SyslogIdentifier => "The journald SYSLOG_IDENTIFIER of the records.",
            Base::JournalUsers => {
                "Comma list of users (names or ids) whose journal entries are trusted when the journal is read back, besides root."
            }
            Base::JournalUnits => {
                "Comma list of systemd units whose journal entries are trusted when the journal is read back."
            }
        }
    }

    /// The value in force when the key is not set.
    const fn default_text(self) -> &'static str {
        match self {
            Base::Level => "info",
            Base::File => "journald",
            Base::RotateDaily => "false",
            Base::RotateMax => "all",
            Base::RotateSize => "none",
            Base::RotateCompress => "none",
            Base::Overflow => "block",
            Base::Sync => "never",
            Base::Seal => "false",
            Base::QueueSize => "65536",
            Base::SyslogIdentifier => "the program name",
            Base::JournalUsers => "root only",
            Base::JournalUnits => "none",
        }
    }

    /// Whether audit takes the unsuffixed key when its own `_AUDIT` key is
    /// not set. Audit keeps its own level (`LOG_LEVEL_AUDIT`, default
    /// `info`), its own destination (journald unless `LOG_FILE_AUDIT`), its
    /// overflow (audit records always block) and its sealing (a seal key is
    /// made per file); rotation and sync apply to it as to every type.
    pub(crate) const fn audit_inherits(self) -> bool {
        matches!(
            self,
            Base::RotateDaily
                | Base::RotateMax
                | Base::RotateSize
                | Base::RotateCompress
                | Base::Sync
        )
    }

    /// Whether the key also exists as `<NAME>_<TYPE>`.
    const fn per_type(self) -> bool {
        !matches!(
            self,
            Base::QueueSize | Base::SyslogIdentifier | Base::JournalUsers | Base::JournalUnits
        )
    }
}

/// A known key: a base and, for per-type keys, the log type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyId {
    /// The key without suffix.
    pub(crate) base: Base,
    /// The log type of a suffixed key.
    pub(crate) log_type: Option<LogType>,
}

impl KeyId {
    /// The unsuffixed key `base`.
    pub(crate) const fn plain(base: Base) -> KeyId {
        KeyId {
            base,
            log_type: None,
        }
    }

    /// The key `base` suffixed for `log_type`.
    pub(crate) const fn typed(base: Base, log_type: LogType) -> KeyId {
        KeyId {
            base,
            log_type: Some(log_type),
        }
    }

    /// The key's full name, such as `LOG_FILE_WEB`.
    pub(crate) fn name(self) -> String {
        match self.log_type {
            Some(t) => format!("{}_{}", self.base.name(), t.key_suffix()),
            None => self.base.name().to_string(),
        }
    }

    /// The known key called `name`, if any. Names are case-sensitive, as
    /// environment variable names are.
    pub(crate) fn parse(name: &str) -> Option<KeyId> {
        Base::ALL.into_iter().find_map(|base| {
            let rest = name.strip_prefix(base.name())?;
            if rest.is_empty() {
                return Some(KeyId::plain(base));
            }
            let suffix = rest.strip_prefix('_').filter(|_| base.per_type())?;
            LogType::ALL
                .into_iter()
                .find(|t| t.key_suffix() == suffix)
                .map(|t| KeyId::typed(base, t))
        })
    }

    /// Every known key's name.
    pub(crate) fn all_names() -> Vec<String> {
        let mut names = Vec::new();
        for base in Base::ALL {
            names.push(base.name().to_string());
            if base.per_type() {
                names.extend(LogType::ALL.map(|t| KeyId::typed(base, t).name()));
            }
        }
        names
    }
}

/// One configuration key the library knows, as the manual page and
/// `logward config check` document it.
///
/// ```
/// let keys = logward::ConfigKey::all();
/// let level = keys.iter().find(|k| k.name == "LOG_LEVEL").expect("a key");
/// assert!(level.names().contains(&"LOG_LEVEL_AUDIT".to_string()));
/// assert!(logward::ConfigKey::is_known("LOG_ROTATE_MAX_WEB"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigKey {
    /// The key without a log type suffix, such as `LOG_FILE`.
    pub name: &'static str,
    /// Whether the key also exists per log type (`LOG_FILE_WEB`).
    pub per_type: bool,
    /// What it sets.
    pub meaning: &'static str,
    /// The value in force when it is not set.
    pub default: &'static str,
}

impl ConfigKey {
    /// Every key, in the order the documentation lists them.
    pub fn all() -> Vec<ConfigKey> {
        Base::ALL
            .iter()
            .map(|&base| ConfigKey {
                name: base.name(),
                per_type: base.per_type(),
                meaning: base.meaning(),
                default: base.default_text(),
            })
            .collect()
    }

    /// The key's names: the unsuffixed one, then one per log type.
    pub fn names(&self) -> Vec<String> {
        let mut names = vec![self.name.to_string()];
        if self.per_type {
            names.extend(LogType::ALL.map(|t| format!("{}_{}", self.name, t.key_suffix())));
        }
        names
    }

    /// Whether `name` is one of the library's keys (case-sensitive). The
    /// tool's `EXPORT_*` and `RECEIVE_*` keys are not.
    pub fn is_known(name: &str) -> bool {
        KeyId::parse(name).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_name_parses_back_to_its_key() {
        let names = KeyId::all_names();
        assert_eq!(names.len(), 9 * 6 + 4);
        for name in &names {
            let id = KeyId::parse(name);
            assert_eq!(id.map(KeyId::name).as_deref(), Some(name.as_str()));
        }
    }

    #[test]
    fn the_published_keys_name_every_known_key() {
        let published: Vec<String> = ConfigKey::all().iter().flat_map(ConfigKey::names).collect();
        assert_eq!(published, KeyId::all_names());
    }

    #[test]
    fn near_misses_are_not_keys() {
        for name in [
            "LOG_LEVEL_",
            "LOG_LEVELS",
            "LOG_LEVEL_WEBX",
            "log_level",
            "LOG_QUEUE_SIZE_WEB",
            "LOG_ROTATE_DAYLY",
        ] {
            assert_eq!(KeyId::parse(name), None, "{name}");
        }
    }
}

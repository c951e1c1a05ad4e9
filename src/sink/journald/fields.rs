//! Turning record keys into journald field names.
//!
//! Record keys are input the sink does not control: an event field, or a key
//! given to `logward emit`, may be called `_PID`, `priority`, `a b`, `é` or
//! `Log-Type`. journald accepts a field name only when it is 1 to 64
//! characters of `A-Z`, `0-9` and `_` that does not start with a digit, and
//! it treats names starting with `_` as trusted fields it sets itself (it
//! drops such names from clients, but the rule here does not rely on that).
//! [`FieldNames::name`] maps a key to a name that is always valid and never
//! trusted or reserved:
//!
//! | key | field | rule |
//! |---|---|---|
//! | `user_name` | `USER_NAME` | ASCII letters are upper-cased |
//! | `a b`, `a.b`, `aé` | `A_B`, `A_B`, `A_` | any other character becomes `_` |
//! | `1x`, `_pid` | `F_1X`, `F__PID` | `F_` is put in front of a leading digit or `_` |
//! | `priority`, `MESSAGE_ID`, `syslog_pid`, `code_x` | `F_PRIORITY`, `F_MESSAGE_ID`, `F_SYSLOG_PID`, `F_CODE_X` | `F_` is put in front of a [reserved](RESERVED) name or [prefix](RESERVED_PREFIXES) |
//! | `Log-Type`, `log.type`, `LEVEL`, `Id`, a second `pid` | `F_LOG_TYPE`, `F_LOG_TYPE`, `F_LEVEL`, `F_ID`, `F_PID` | `F_` is put in front of a name of the [record's own fields](OWN) unless the key is exactly that field's key, the first time in the record |
//! | ``, `é`, `--` | (dropped) | no letter or digit remains |
//!
//! So an entry carries exactly one `LOG_TYPE`, `REQUEST_ID`, `USER_ID`,
//! `USER_NAME` and `STACKTRACE` at most, each the value of the record's own
//! key, and `journalctl LOG_TYPE=audit` cannot be fooled by an event field
//! called `Log-Type`. The sink sends no field for the record's own `id`,
//! `hostname`, `level` and `pid` (journald has the last three as
//! `_HOSTNAME`, `PRIORITY` and `_PID`), but their keys still claim their
//! names here, so an entry carries no `ID`, `HOSTNAME`, `LEVEL` or `PID` at
//! all: a look-alike key arrives as `F_ID`, `F_HOSTNAME`, `F_LEVEL` or
//! `F_PID`.
//!
//! Names longer than 64 characters are cut to 64 after the prefix. Other
//! distinct keys may map to the same name (`a b` and `a_b`); journald then
//! stores both values under that name, as it does for any repeated field.

/// Longest field name journald accepts.
const NAME_MAX: usize = 64;

/// Prefix that moves a key out of the way of digits, trusted fields and
/// reserved names.
const PREFIX: &str = "F_";

/// Names the sink sets itself, or that journald and `journalctl` give a
/// meaning to (catalog lookups, the unit a record is filed under). A record
/// key that maps to one of these is prefixed with `F_`.
pub(crate) const RESERVED: &[&str] = &[
    "MESSAGE",
    "MESSAGE_ID",
    "PRIORITY",
    "ERRNO",
    "UNIT",
    "USER_UNIT",
    "INVOCATION_ID",
    "USER_INVOCATION_ID",
    "DOCUMENTATION",
    "TID",
];

/// Name prefixes with a meaning to journald or `journalctl`: the syslog
/// fields (`SYSLOG_IDENTIFIER`, `SYSLOG_FACILITY`, `SYSLOG_PID`, …), the
/// source location (`CODE_FILE`, `CODE_LINE`, `CODE_FUNC`), metadata of
/// another process (`OBJECT_PID`, `OBJECT_SYSTEMD_UNIT`) and `COREDUMP_*`.
pub(crate) const RESERVED_PREFIXES: &[&str] = &["SYSLOG_", "CODE_", "OBJECT_", "COREDUMP_"];

/// The record's own keys (the required fields and the context fields the
/// runtime writes) whose fields only that exact key may set, once.
pub(crate) const OWN: [&str; 10] = [
    "id",
    "created_at",
    "hostname",
    "level",
    "log_type",
    "pid",
    "request_id",
    "user_id",
    "user_name",
    "stacktrace",
];

/// Names journald fields for the keys of one record, in order; remembers
/// which of the record's [own](OWN) fields were already named.
#[derive(Debug, Default)]
pub(crate) struct FieldNames {
    /// Bit `i` is set once the field of `OWN[i]` was named.
    seen: u16,
}

impl FieldNames {
    /// A namer for a new record.
    pub(crate) fn new() -> FieldNames {
        FieldNames::default()
    }

    /// Writes the journald field name for record key `key` into `name`
    /// (cleared first) and returns whether the field is to be sent; `false`
    /// means the key has no letter or digit and the field is dropped.
    pub(crate) fn name(&mut self, key: &str, name: &mut String) -> bool {
        name.clear();
        if !key.chars().any(|c| c.is_ascii_alphanumeric()) {
            return false;
        }
        for c in key.chars() {
            name.push(if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            });
        }
        let starts_badly = name.starts_with(|c: char| c == '_' || c.is_ascii_digit());
        if starts_badly || is_reserved(name) || !self.may_set(key, name) {
            name.insert_str(0, PREFIX);
        }
        // Only ASCII remains, so any byte index is a character boundary.
        name.truncate(NAME_MAX);
        true
    }

    /// Whether `key`, named `name`, may set that field: any name but one of
    /// the record's own fields, and those only for their exact key, once.
    fn may_set(&mut self, key: &str, name: &str) -> bool {
        let Some(i) = OWN.iter().position(|own| own.eq_ignore_ascii_case(name)) else {
            return true;
        };
        let bit = 1 << i;
        if key != OWN[i] || self.seen & bit != 0 {
            return false;
        }
        self.seen |= bit;
        true
    }
}

fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name) || RESERVED_PREFIXES.iter().any(|p| name.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name of `key` as the first key of a record.
    fn field(key: &str) -> Option<String> {
        let mut name = String::new();
        FieldNames::new().name(key, &mut name).then_some(name)
    }

    /// The names of a record's keys, in order.
    fn fields(keys: &[&str]) -> Vec<String> {
        let mut names = FieldNames::new();
        keys.iter()
            .map(|key| {
                let mut name = String::new();
                names.name(key, &mut name);
                name
            })
            .collect()
    }

    #[test]
    fn plain_keys_are_upper_cased() {
        assert_eq!(field("log_type").as_deref(), Some("LOG_TYPE"));
        assert_eq!(field("user_name").as_deref(), Some("USER_NAME"));
        assert_eq!(field("status_code").as_deref(), Some("STATUS_CODE"));
        assert_eq!(field("pid").as_deref(), Some("PID"));
    }

    #[test]
    fn only_the_exact_key_sets_a_field_of_the_record_once() {
        assert_eq!(
            fields(&[
                "id",
                "hostname",
                "level",
                "log_type",
                "pid",
                "Log-Type",
                "log.type",
                "LEVEL",
                "Id",
                "HOSTNAME",
                "Pid",
                "pid",
                "user_name",
                "User Name"
            ]),
            [
                "ID",
                "HOSTNAME",
                "LEVEL",
                "LOG_TYPE",
                "PID",
                "F_LOG_TYPE",
                "F_LOG_TYPE",
                "F_LEVEL",
                "F_ID",
                "F_HOSTNAME",
                "F_PID",
                "F_PID",
                "USER_NAME",
                "F_USER_NAME"
            ]
        );
        // A look-alike first does not take the name from the real key.
        assert_eq!(
            fields(&["LOG_TYPE", "log_type"]),
            ["F_LOG_TYPE", "LOG_TYPE"]
        );
    }

    #[test]
    fn other_characters_become_underscores() {
        assert_eq!(field("a b").as_deref(), Some("A_B"));
        assert_eq!(field("a.b-c").as_deref(), Some("A_B_C"));
        assert_eq!(field("aé").as_deref(), Some("A_"));
        assert_eq!(field("x=y\n").as_deref(), Some("X_Y_"));
    }

    #[test]
    fn trusted_fields_cannot_be_set() {
        assert_eq!(field("_PID").as_deref(), Some("F__PID"));
        assert_eq!(field("_pid").as_deref(), Some("F__PID"));
        assert_eq!(field("__CURSOR").as_deref(), Some("F___CURSOR"));
        assert_eq!(field(" _uid").as_deref(), Some("F___UID"));
    }

    #[test]
    fn leading_digits_are_prefixed() {
        assert_eq!(field("1x").as_deref(), Some("F_1X"));
        assert_eq!(field("42").as_deref(), Some("F_42"));
    }

    #[test]
    fn reserved_names_are_prefixed() {
        assert_eq!(field("priority").as_deref(), Some("F_PRIORITY"));
        assert_eq!(field("MESSAGE").as_deref(), Some("F_MESSAGE"));
        assert_eq!(
            field("syslog_identifier").as_deref(),
            Some("F_SYSLOG_IDENTIFIER")
        );
        assert_eq!(field("message_id").as_deref(), Some("F_MESSAGE_ID"));
        assert_eq!(field("object_pid").as_deref(), Some("F_OBJECT_PID"));
        assert_eq!(field("coredump_unit").as_deref(), Some("F_COREDUMP_UNIT"));
        assert_eq!(field("syslog_pid").as_deref(), Some("F_SYSLOG_PID"));
        assert_eq!(
            field("Syslog-Timestamp").as_deref(),
            Some("F_SYSLOG_TIMESTAMP")
        );
        assert_eq!(
            field("syslog_anything").as_deref(),
            Some("F_SYSLOG_ANYTHING")
        );
        assert_eq!(field("code.file").as_deref(), Some("F_CODE_FILE"));
        assert_eq!(field("code_column").as_deref(), Some("F_CODE_COLUMN"));
        for name in RESERVED {
            assert_eq!(field(name), Some(format!("F_{name}")));
        }
    }

    #[test]
    fn keys_without_a_letter_or_digit_are_dropped() {
        assert_eq!(field(""), None);
        assert_eq!(field("é"), None);
        assert_eq!(field("_"), None);
        assert_eq!(field("--"), None);
    }

    #[test]
    fn long_names_are_cut_to_64() {
        let long = field(&"k".repeat(100)).unwrap_or_default();
        assert_eq!(long, "K".repeat(64));
        let long = field(&format!("_{}", "k".repeat(100))).unwrap_or_default();
        assert_eq!(long.len(), 64);
        assert!(long.starts_with("F__K"));
    }

    #[test]
    fn every_sent_name_is_valid_for_journald() {
        let keys = [
            "_PID",
            "priority",
            "a b",
            "1x",
            "é",
            "",
            "ẞtraße",
            "9_",
            "ok",
        ];
        for key in keys {
            let Some(name) = field(key) else { continue };
            assert!((1..=64).contains(&name.len()), "{key:?} -> {name:?}");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "{key:?} -> {name:?}"
            );
            assert!(
                name.starts_with(|c: char| c.is_ascii_uppercase()),
                "{key:?} -> {name:?}"
            );
            assert!(!is_reserved(&name), "{key:?} -> {name:?}");
        }
    }
}

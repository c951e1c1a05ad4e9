//! Turning record keys into journald field names.
//!
//! Record keys are input the sink does not control: an event field, or a key
//! given to `logward emit`, may be called `_PID`, `priority`, `a b` or `é`.
//! journald accepts a field name only when it is 1 to 64 characters of
//! `A-Z`, `0-9` and `_` that does not start with a digit, and it treats names
//! starting with `_` as trusted fields it sets itself (it drops such names
//! from clients, but the rule here does not rely on that). [`sanitize`] maps a
//! key to a name that is always valid and never trusted or reserved:
//!
//! | key | field | rule |
//! |---|---|---|
//! | `user_name` | `USER_NAME` | ASCII letters are upper-cased |
//! | `a b`, `a.b`, `aé` | `A_B`, `A_B`, `A_` | any other character becomes `_` |
//! | `1x`, `_pid` | `F_1X`, `F__PID` | `F_` is put in front of a leading digit or `_` |
//! | `priority`, `MESSAGE_ID` | `F_PRIORITY`, `F_MESSAGE_ID` | `F_` is put in front of a [reserved](RESERVED) name |
//! | ``, `é`, `--` | (dropped) | no letter or digit remains |
//!
//! Names longer than 64 characters are cut to 64 after the prefix. Distinct
//! keys may map to the same name (`a b` and `a_b`); journald then stores both
//! values under that name, as it does for any repeated field.

/// Longest field name journald accepts.
const NAME_MAX: usize = 64;

/// Prefix that moves a key out of the way of digits, trusted fields and
/// reserved names.
const PREFIX: &str = "F_";

/// Names the sink sets itself, or that journald and `journalctl` give a
/// meaning to (catalog lookups, the source location, the unit a record is
/// filed under, metadata of another process). A record key that maps to one
/// of these is prefixed with `F_`.
pub(crate) const RESERVED: &[&str] = &[
    "MESSAGE",
    "MESSAGE_ID",
    "PRIORITY",
    "SYSLOG_IDENTIFIER",
    "SYSLOG_FACILITY",
    "SYSLOG_PID",
    "SYSLOG_TIMESTAMP",
    "SYSLOG_RAW",
    "CODE_FILE",
    "CODE_LINE",
    "CODE_FUNC",
    "ERRNO",
    "UNIT",
    "USER_UNIT",
    "INVOCATION_ID",
    "USER_INVOCATION_ID",
    "DOCUMENTATION",
    "TID",
];

/// Name prefixes with a meaning to journald or `journalctl`: `OBJECT_PID` and
/// `OBJECT_SYSTEMD_UNIT`, `COREDUMP_UNIT` and the like.
const RESERVED_PREFIXES: &[&str] = &["OBJECT_", "COREDUMP_"];

/// Writes the journald field name for record key `key` into `name` (cleared
/// first) and returns whether the field is to be sent; `false` means the key
/// has no letter or digit and the field is dropped.
pub(crate) fn sanitize(key: &str, name: &mut String) -> bool {
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
    if starts_badly || is_reserved(name) {
        name.insert_str(0, PREFIX);
    }
    // Only ASCII remains, so any byte index is a character boundary.
    name.truncate(NAME_MAX);
    true
}

fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name) || RESERVED_PREFIXES.iter().any(|p| name.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(key: &str) -> Option<String> {
        let mut name = String::new();
        sanitize(key, &mut name).then_some(name)
    }

    #[test]
    fn plain_keys_are_upper_cased() {
        assert_eq!(field("log_type").as_deref(), Some("LOG_TYPE"));
        assert_eq!(field("user_name").as_deref(), Some("USER_NAME"));
        assert_eq!(field("status_code").as_deref(), Some("STATUS_CODE"));
        assert_eq!(field("pid").as_deref(), Some("PID"));
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

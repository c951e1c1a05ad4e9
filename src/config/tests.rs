//! Tests of whole configurations: fallbacks, overrides, messages,
//! fingerprints, the table, and the writability check.

use std::ffi::OsStr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use super::error::Diagnostics;
use super::provider::EnvOverrides;
use super::*;
use crate::level::Level;

const PATH: &str = "/etc/logward/config";

fn parse(text: &str) -> Result<Config, ConfigErrors> {
    Config::from_str(text, Path::new(PATH))
}

fn parse_with_env(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
    let mut diagnostics = Diagnostics::default();
    let env = EnvOverrides::from_vars(env.iter().copied(), &mut diagnostics);
    Config::build(Some((text, Path::new(PATH))), &env, diagnostics)
}

fn valid(text: &str) -> Config {
    match parse(text) {
        Ok(config) => config,
        Err(errors) => panic!("expected a valid configuration, got:\n{errors}"),
    }
}

fn messages(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(errors) => errors.errors().iter().map(ToString::to_string).collect(),
    }
}

fn file(path: &str, rotate_daily: bool, rotate_max: Option<u32>) -> Destination {
    Destination::File {
        path: PathBuf::from(path),
        rotate_daily,
        rotate_max: rotate_max.and_then(NonZeroU32::new),
        rotate_size: None,
        compress: None,
        seal: false,
    }
}

fn route(level: Level, destination: Destination, overflow: Overflow, sync: SyncPolicy) -> Route {
    Route {
        level,
        destination,
        overflow,
        sync,
    }
}

const LEVELS: &str = "allowed: debug, info, warning, error, critical";

#[test]
fn a_minimal_file_routes_everything_to_journald_at_its_level() {
    let config = valid("LOG_LEVEL=warning\n");
    assert_eq!(config.source(), Some(Path::new(PATH)));
    assert!(config.warnings().is_empty());
    for (log_type, route) in config.routes() {
        let level = if log_type == LogType::Audit {
            Level::Info
        } else {
            Level::Warning
        };
        assert_eq!(route.level, level, "{log_type}");
        assert_eq!(route.destination, Destination::Journald, "{log_type}");
        assert_eq!(route.overflow, Overflow::Block);
        assert_eq!(route.sync, SyncPolicy::Never);
    }
    assert_eq!(config.queue_size(), 65_536);
    assert_eq!(config.syslog_identifier(), None);
}

#[test]
fn per_type_keys_win_and_others_fall_back_to_the_unsuffixed_keys() {
    let config = valid(
        "LOG_LEVEL=warning
LOG_LEVEL_WEB=debug
LOG_FILE=/var/log/shop/app.log
LOG_FILE_WEB=/var/log/shop/web.log
LOG_FILE_ANALYSIS=/var/log/shop/analysis.log
LOG_ROTATE_DAILY=true
LOG_ROTATE_MAX=14
LOG_ROTATE_MAX_WEB=3
LOG_ROTATE_DAILY_ANALYSIS=false
LOG_OVERFLOW=drop
LOG_OVERFLOW_TANIUM=block
LOG_SYNC=always
LOG_SYNC_WEB=never
",
    );
    use {Overflow::*, SyncPolicy::*};
    // Audit keeps its level, journald and blocking, and takes LOG_SYNC.
    assert_eq!(
        config.route(LogType::Audit),
        &route(Level::Info, Destination::Journald, Block, Always)
    );
    assert_eq!(
        config.route(LogType::Web),
        &route(
            Level::Debug,
            file("/var/log/shop/web.log", true, Some(3)),
            Drop,
            Never
        )
    );
    assert_eq!(
        config.route(LogType::Application),
        &route(
            Level::Warning,
            file("/var/log/shop/app.log", true, Some(14)),
            Drop,
            Always
        )
    );
    // Its own LOG_ROTATE_DAILY_ANALYSIS=false wins, so LOG_ROTATE_MAX has nothing to limit.
    assert_eq!(
        config.route(LogType::Analysis),
        &route(
            Level::Warning,
            file("/var/log/shop/analysis.log", false, None),
            Drop,
            Always
        )
    );
    assert_eq!(
        config.route(LogType::Tanium),
        &route(
            Level::Warning,
            file("/var/log/shop/app.log", true, Some(14)),
            Block,
            Always
        )
    );
}

#[test]
fn audit_keeps_its_level_file_and_overflow_but_inherits_rotation_and_sync() {
    let config = valid(
        "LOG_LEVEL=debug
LOG_FILE=/var/log/shop/app.log
LOG_ROTATE_DAILY=true
LOG_ROTATE_MAX=5
LOG_OVERFLOW=drop
LOG_SYNC=always
",
    );
    assert_eq!(
        config.route(LogType::Audit),
        &route(
            Level::Info,
            Destination::Journald,
            Overflow::Block,
            SyncPolicy::Always
        )
    );

    let config = valid(
        "LOG_LEVEL=debug
LOG_FILE=/var/log/shop/app.log
LOG_ROTATE_DAILY=true
LOG_ROTATE_MAX=5
LOG_ROTATE_SIZE=100M
LOG_ROTATE_COMPRESS=gzip
LOG_SYNC=always
LOG_SEAL=false
LOG_FILE_AUDIT=/var/log/shop/audit.log
",
    );
    assert_eq!(
        config.route(LogType::Audit),
        &route(
            Level::Info,
            Destination::File {
                path: PathBuf::from("/var/log/shop/audit.log"),
                rotate_daily: true,
                rotate_max: NonZeroU32::new(5),
                rotate_size: std::num::NonZeroU64::new(100 << 20),
                compress: Some(Compression::Gzip),
                seal: false,
            },
            Overflow::Block,
            SyncPolicy::Always
        )
    );

    // The audit keys still win, and turn the inherited settings off.
    let config = valid(
        "LOG_LEVEL=debug
LOG_ROTATE_DAILY=true
LOG_ROTATE_MAX=5
LOG_ROTATE_SIZE=100M
LOG_ROTATE_COMPRESS=gzip
LOG_SYNC=always
LOG_FILE_AUDIT=/var/log/shop/audit.log
LOG_ROTATE_DAILY_AUDIT=false
LOG_ROTATE_SIZE_AUDIT=none
LOG_ROTATE_MAX_AUDIT=all
LOG_ROTATE_COMPRESS_AUDIT=none
LOG_SYNC_AUDIT=never
LOG_FILE=/var/log/shop/app.log
",
    );
    assert_eq!(
        config.route(LogType::Audit),
        &route(
            Level::Info,
            file("/var/log/shop/audit.log", false, None),
            Overflow::Block,
            SyncPolicy::Never
        )
    );
}

#[test]
fn an_unsuffixed_rotation_key_used_only_by_audit_needs_no_log_file() {
    let config = valid(
        "LOG_LEVEL=info
LOG_FILE_AUDIT=/var/log/shop/audit.log
LOG_ROTATE_DAILY=true
         LOG_ROTATE_SIZE=1G
",
    );
    let Destination::File {
        rotate_daily,
        rotate_size,
        ..
    } = config.route(LogType::Audit).destination
    else {
        panic!("audit goes to its file");
    };
    assert!(rotate_daily);
    assert_eq!(rotate_size.map(|n| n.get()), Some(1 << 30));
    assert_eq!(
        config.route(LogType::Web).destination,
        Destination::Journald
    );
}

#[test]
fn audit_uses_its_own_keys() {
    let config = valid(
        "LOG_LEVEL=info
LOG_LEVEL_AUDIT=error
LOG_FILE_AUDIT=/var/log/shop/audit.log
LOG_ROTATE_DAILY_AUDIT=yes
LOG_ROTATE_MAX_AUDIT=30
LOG_OVERFLOW_AUDIT=block
LOG_SYNC_AUDIT=always
",
    );
    assert_eq!(
        config.route(LogType::Audit),
        &route(
            Level::Error,
            file("/var/log/shop/audit.log", true, Some(30)),
            Overflow::Block,
            SyncPolicy::Always
        )
    );
    assert_eq!(
        config.route(LogType::Web).destination,
        Destination::Journald
    );
}

#[test]
fn booleans_and_keywords_accept_their_spellings_in_any_case() {
    for (text, expected) in [
        ("true", true),
        ("TRUE", true),
        ("Yes", true),
        ("1", true),
        ("false", false),
        ("no", false),
        ("NO", false),
        ("0", false),
    ] {
        let config = valid(&format!(
            "LOG_LEVEL=Info\nLOG_FILE=/var/log/a.log\nLOG_ROTATE_DAILY={text}\nLOG_OVERFLOW=DROP\nLOG_SYNC=Always\n"
        ));
        let route = config.route(LogType::Web);
        assert_eq!(
            route.destination,
            file("/var/log/a.log", expected, None),
            "{text}"
        );
        assert_eq!(route.overflow, Overflow::Drop);
        assert_eq!(route.sync, SyncPolicy::Always);
    }
}

#[test]
fn queue_size_and_syslog_identifier_are_read() {
    let config = valid("LOG_LEVEL=info\nLOG_QUEUE_SIZE=1024\nLOG_SYSLOG_IDENTIFIER=shop-api\n");
    assert_eq!(config.queue_size(), 1024);
    assert_eq!(config.syslog_identifier(), Some("shop-api"));
}

#[test]
fn quotes_are_removed_and_dollar_variables_stay_literal() {
    let config = valid(
        "# the shop's logging
LOG_LEVEL = \"debug\"

LOG_FILE='/var/log/$USER/app.log'
   LOG_SYSLOG_IDENTIFIER=${NAME}
",
    );
    assert_eq!(config.route(LogType::Web).level, Level::Debug);
    assert_eq!(
        config.route(LogType::Web).destination,
        file("/var/log/$USER/app.log", false, None)
    );
    assert_eq!(config.syslog_identifier(), Some("${NAME}"));

    assert_eq!(
        messages("LOG_LEVEL=info\nLOG_FILE=$HOME/app.log\n"),
        vec![
            "/etc/logward/config:2: LOG_FILE=\"$HOME/app.log\": a relative path; allowed: an \
             absolute file path such as /var/log/logward/app.log, or no key at all to log to \
             journald"
        ]
    );
}

#[test]
fn environment_overrides_win_over_the_file() {
    let config = parse_with_env(
        "LOG_LEVEL=info\nLOG_FILE=/var/log/a.log\n",
        &[
            ("LOGWARD_LOG_LEVEL", "debug"),
            ("LOGWARD_LOG_FILE_WEB", "/var/log/web.log"),
            ("LOGWARD_CONFIG", "/elsewhere"),
            ("LOG_LEVEL", "critical"),
            ("PATH", "/usr/bin"),
        ],
    )
    .map_err(|e| e.to_string());
    let config = config.as_ref();
    assert_eq!(
        config.map(|c| c.route(LogType::Application).level),
        Ok(Level::Debug)
    );
    assert_eq!(
        config.map(|c| &c.route(LogType::Web).destination),
        Ok(&file("/var/log/web.log", false, None))
    );
    assert_eq!(config.map(|c| c.warnings().len()), Ok(0));
}

#[test]
fn an_error_in_an_override_names_the_environment_variable() {
    let errors = parse_with_env(
        "LOG_LEVEL=info\n",
        &[
            ("LOGWARD_LOG_LEVEL", "verbose"),
            ("LOGWARD_LOG_ROTATE_MAX", "7"),
        ],
    )
    .map(|_| ())
    .map_err(|e| e.to_string());
    assert_eq!(
        errors,
        Err(format!(
            "environment variable LOGWARD_LOG_LEVEL: LOG_LEVEL=\"verbose\": unknown level; {LEVELS}\n\
             environment variable LOGWARD_LOG_ROTATE_MAX: LOG_ROTATE_MAX=\"7\": a number of kept \
             files needs rotation, and LOG_ROTATE_DAILY is not set and LOG_ROTATE_SIZE is not \
             set; allowed: set \
             LOG_ROTATE_DAILY=true or LOG_ROTATE_SIZE, or remove LOG_ROTATE_MAX"
        ))
    );
}

#[test]
fn overrides_apply_to_the_builtin_default_when_there_is_no_file() {
    let mut diagnostics = Diagnostics::default();
    let env = EnvOverrides::from_vars([("LOGWARD_LOG_FILE", "/var/log/a.log")], &mut diagnostics);
    let config = Config::build(None, &env, diagnostics).map_err(|e| e.to_string());
    let config = config.as_ref();
    assert_eq!(config.map(|c| c.source()), Ok(None));
    assert_eq!(
        config.map(|c| &c.route(LogType::Web).destination),
        Ok(&file("/var/log/a.log", false, None))
    );
    assert_eq!(
        config.map(|c| &c.route(LogType::Audit).destination),
        Ok(&Destination::Journald)
    );
    assert_eq!(config.map(|c| c.route(LogType::Web).level), Ok(Level::Info));
}

#[test]
fn a_non_utf8_override_is_an_error() {
    use std::os::unix::ffi::OsStrExt;
    let mut diagnostics = Diagnostics::default();
    let value = OsStr::from_bytes(b"/var/log/\xff.log");
    EnvOverrides::from_vars([(OsStr::new("LOGWARD_LOG_FILE"), value)], &mut diagnostics);
    let messages: Vec<String> = diagnostics.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        vec![
            "environment variable LOGWARD_LOG_FILE: LOG_FILE=\"/var/log/\u{fffd}.log\": the value \
             is not valid UTF-8; allowed: UTF-8 text"
        ]
    );
}

#[test]
fn a_file_without_log_level_is_an_error_naming_the_file() {
    assert_eq!(
        messages("LOG_FILE=/var/log/a.log\n"),
        vec![format!(
            "/etc/logward/config: LOG_LEVEL: required when a configuration file is used, and \
             not set; {LEVELS}"
        )]
    );
}

#[test]
fn an_unknown_level_lists_the_allowed_levels() {
    assert_eq!(
        messages("LOG_LEVEL=info\nLOG_LEVEL_WEB=verbose\n"),
        vec![format!(
            "/etc/logward/config:2: LOG_LEVEL_WEB=\"verbose\": unknown level; {LEVELS}"
        )]
    );
}

#[test]
fn daily_rotation_without_a_file_is_an_error() {
    assert_eq!(
        messages("LOG_LEVEL=info\nLOG_ROTATE_DAILY=true\n"),
        vec![
            "/etc/logward/config:2: LOG_ROTATE_DAILY=\"true\": daily rotation needs a file, and \
             LOG_FILE is not set, so these records go to journald; allowed: set LOG_FILE, or \
             remove LOG_ROTATE_DAILY"
        ]
    );
    assert_eq!(
        messages("LOG_LEVEL=info\nLOG_ROTATE_DAILY_WEB=yes\n"),
        vec![
            "/etc/logward/config:2: LOG_ROTATE_DAILY_WEB=\"yes\": daily rotation needs a file, \
             and neither LOG_FILE_WEB nor LOG_FILE is set, so these records go to journald; \
             allowed: set LOG_FILE_WEB, or remove LOG_ROTATE_DAILY_WEB"
        ]
    );
    assert_eq!(
        messages("LOG_LEVEL=info\nLOG_FILE=/var/log/a.log\nLOG_ROTATE_DAILY_AUDIT=true\n"),
        vec![
            "/etc/logward/config:3: LOG_ROTATE_DAILY_AUDIT=\"true\": daily rotation needs a \
             file, and LOG_FILE_AUDIT is not set (audit does not use LOG_FILE), so these records \
             go to journald; allowed: set LOG_FILE_AUDIT, or remove LOG_ROTATE_DAILY_AUDIT"
        ]
    );
    // Turning rotation off needs no file.
    valid("LOG_LEVEL=info\nLOG_ROTATE_DAILY=false\n");
}

#[test]
fn kept_files_without_daily_rotation_is_an_error() {
    assert_eq!(
        messages("LOG_LEVEL=info\nLOG_FILE=/var/log/a.log\nLOG_ROTATE_MAX=7\n"),
        vec![
            "/etc/logward/config:3: LOG_ROTATE_MAX=\"7\": a number of kept files needs \
             rotation, and LOG_ROTATE_DAILY is not set and LOG_ROTATE_SIZE is not set; allowed: \
             set LOG_ROTATE_DAILY=true or LOG_ROTATE_SIZE, or remove LOG_ROTATE_MAX"
        ]
    );
    assert_eq!(
        messages(
            "LOG_LEVEL=info\nLOG_FILE_WEB=/var/log/a.log\nLOG_ROTATE_DAILY_WEB=false\nLOG_ROTATE_MAX_WEB=7\n"
        ),
        vec![
            "/etc/logward/config:4: LOG_ROTATE_MAX_WEB=\"7\": a number of kept files needs \
             rotation, and LOG_ROTATE_DAILY_WEB=\"false\" (/etc/logward/config:3) and neither \
             LOG_ROTATE_SIZE_WEB nor LOG_ROTATE_SIZE is set; allowed: set \
             LOG_ROTATE_DAILY_WEB=true or LOG_ROTATE_SIZE_WEB, or remove LOG_ROTATE_MAX_WEB"
        ]
    );
    assert_eq!(
        messages(
            "LOG_LEVEL=info\nLOG_FILE_AUDIT=/var/log/a.log\nLOG_ROTATE_DAILY_AUDIT=no\nLOG_FILE=/b.log\nLOG_ROTATE_MAX_AUDIT=7\n"
        ),
        vec![
            "/etc/logward/config:5: LOG_ROTATE_MAX_AUDIT=\"7\": a number of kept files needs \
             rotation, and LOG_ROTATE_DAILY_AUDIT=\"no\" (/etc/logward/config:3) and neither \
             LOG_ROTATE_SIZE_AUDIT nor LOG_ROTATE_SIZE is set; allowed: set \
             LOG_ROTATE_DAILY_AUDIT=true or LOG_ROTATE_SIZE_AUDIT, or remove LOG_ROTATE_MAX_AUDIT"
        ]
    );
    assert_eq!(
        messages("LOG_LEVEL=info\nLOG_FILE_WEB=/var/log/a.log\nLOG_ROTATE_MAX_WEB=7\n"),
        vec![
            "/etc/logward/config:3: LOG_ROTATE_MAX_WEB=\"7\": a number of kept files needs \
             rotation, and neither LOG_ROTATE_DAILY_WEB nor LOG_ROTATE_DAILY is set and neither \
             LOG_ROTATE_SIZE_WEB nor LOG_ROTATE_SIZE is set; allowed: set \
             LOG_ROTATE_DAILY_WEB=true or LOG_ROTATE_SIZE_WEB, or remove LOG_ROTATE_MAX_WEB"
        ]
    );
    // A per-type count may rely on the unsuffixed daily rotation.
    let config = valid(
        "LOG_LEVEL=info\nLOG_FILE=/var/log/a.log\nLOG_ROTATE_DAILY=true\nLOG_ROTATE_MAX_WEB=2\nLOG_FILE_WEB=/var/log/w.log\n",
    );
    assert_eq!(
        config.route(LogType::Web).destination,
        file("/var/log/w.log", true, Some(2))
    );
}

#[test]
fn kept_files_must_be_a_positive_number() {
    for value in ["0", "-3", "ten", "", "1.5", "4294967296"] {
        assert_eq!(
            messages(&format!(
                "LOG_LEVEL=info\nLOG_FILE=/a.log\nLOG_ROTATE_DAILY=true\nLOG_ROTATE_MAX={value}\n"
            )),
            vec![format!(
                "/etc/logward/config:4: LOG_ROTATE_MAX={value:?}: not a positive whole number; \
                 allowed: 1 to 4294967295, the number of files kept including the live file, \
                 or all"
            )]
        );
    }
}

#[test]
fn a_boolean_must_be_one() {
    assert_eq!(
        messages("LOG_LEVEL=info\nLOG_FILE=/a.log\nLOG_ROTATE_DAILY=often\n"),
        vec![
            "/etc/logward/config:3: LOG_ROTATE_DAILY=\"often\": not a boolean; allowed: true or \
             false (also yes/no, 1/0)"
        ]
    );
}

#[test]
fn dropping_audit_records_is_refused() {
    assert_eq!(
        messages("LOG_LEVEL=info\nLOG_OVERFLOW_AUDIT=drop\n"),
        vec![
            "/etc/logward/config:2: LOG_OVERFLOW_AUDIT=\"drop\": audit records are never \
             dropped; allowed: block"
        ]
    );
}

#[test]
fn keyword_values_list_what_is_allowed() {
    assert_eq!(
        messages(
            "LOG_LEVEL=info\nLOG_OVERFLOW=discard\nLOG_SYNC=sometimes\nLOG_QUEUE_SIZE=0\nLOG_SYSLOG_IDENTIFIER=\n"
        ),
        vec![
            "/etc/logward/config:2: LOG_OVERFLOW=\"discard\": not an overflow policy; allowed: \
             block or drop",
            "/etc/logward/config:3: LOG_SYNC=\"sometimes\": not a sync policy; allowed: never or \
             always",
            "/etc/logward/config:4: LOG_QUEUE_SIZE=\"0\": not a queue size; allowed: a whole \
             number of records from 1 to 16777216",
            "/etc/logward/config:5: LOG_SYSLOG_IDENTIFIER=\"\": empty or containing control \
             characters; allowed: a name such as my-service, or no key at all for the program \
             name",
        ]
    );
}

#[test]
fn a_log_file_must_be_a_non_empty_absolute_file_path() {
    let allowed = "allowed: an absolute file path such as /var/log/logward/app.log, or no key \
                   at all to log to journald";
    assert_eq!(
        messages(
            "LOG_LEVEL=info\nLOG_FILE=\nLOG_FILE_WEB=logs/web.log\nLOG_FILE_AUDIT=/var/log/\n"
        ),
        vec![
            format!("/etc/logward/config:2: LOG_FILE=\"\": empty; {allowed}"),
            format!(
                "/etc/logward/config:3: LOG_FILE_WEB=\"logs/web.log\": a relative path; {allowed}"
            ),
            format!(
                "/etc/logward/config:4: LOG_FILE_AUDIT=\"/var/log/\": names a directory, not a \
                 file; {allowed}"
            ),
        ]
    );
}

#[test]
fn types_sharing_a_file_must_agree_on_rotation() {
    assert_eq!(
        messages(
            "LOG_LEVEL=info
LOG_FILE=/var/log/shop/all.log
LOG_ROTATE_DAILY=true
LOG_FILE_AUDIT=/var/log/shop/all.log
LOG_ROTATE_DAILY_AUDIT=false
"
        ),
        vec![
            "/etc/logward/config:2: LOG_FILE=\"/var/log/shop/all.log\": the same file as \
             LOG_FILE_AUDIT=\"/var/log/shop/all.log\" (/etc/logward/config:4), with different \
             rotation (here LOG_ROTATE_DAILY=\"true\" (/etc/logward/config:3), there \
             LOG_ROTATE_DAILY_AUDIT=\"false\" (/etc/logward/config:5)); allowed: the same \
             LOG_ROTATE_DAILY, LOG_ROTATE_MAX, LOG_ROTATE_SIZE and LOG_ROTATE_COMPRESS settings \
             for every key naming one file"
        ]
    );
    assert_eq!(
        messages(
            "LOG_LEVEL=info
LOG_FILE=/var/log/shop/all.log
LOG_ROTATE_DAILY=true
LOG_FILE_WEB=/var/log/shop/all.log
LOG_ROTATE_MAX_WEB=3
"
        ),
        vec![
            "/etc/logward/config:2: LOG_FILE=\"/var/log/shop/all.log\": the same file as \
             LOG_FILE_WEB=\"/var/log/shop/all.log\" (/etc/logward/config:4), with different \
             rotation (here LOG_ROTATE_MAX is not set (default all files kept), there \
             LOG_ROTATE_MAX_WEB=\"3\" (/etc/logward/config:5)); allowed: the same \
             LOG_ROTATE_DAILY, LOG_ROTATE_MAX, LOG_ROTATE_SIZE and LOG_ROTATE_COMPRESS settings \
             for every key naming one file"
        ]
    );
    assert_eq!(
        messages(
            "LOG_LEVEL=info
LOG_FILE=/var/log/shop/all.log
LOG_FILE_AUDIT=/var/log/shop/all.log
LOG_SYNC_AUDIT=always
"
        ),
        vec![
            "/etc/logward/config:2: LOG_FILE=\"/var/log/shop/all.log\": the same file as \
             LOG_FILE_AUDIT=\"/var/log/shop/all.log\" (/etc/logward/config:3), with different \
             sync (here LOG_SYNC is not set (default never), there LOG_SYNC_AUDIT=\"always\" \
             (/etc/logward/config:4)); allowed: the same LOG_SYNC settings for every key naming \
             one file"
        ]
    );
    // Agreeing settings may share a file.
    let config = valid(
        "LOG_LEVEL=info
LOG_FILE=/var/log/shop/all.log
LOG_FILE_AUDIT=/var/log/shop/all.log
",
    );
    assert_eq!(
        config.route(LogType::Audit).destination,
        config.route(LogType::Web).destination
    );
}

#[test]
fn every_problem_is_reported_at_once_in_line_order() {
    let errors = parse(
        "LOG_LEVEL=loud
LOG_FILE=relative.log
this is not a setting
LOG_ROTATE_MAX=x
LOG_OVERFLOW_AUDIT=drop
",
    )
    .map(|_| ())
    .map_err(Error::from);
    let Err(error) = errors else {
        panic!("expected errors");
    };
    assert_eq!(error.kind(), ErrorKind::Config);
    let message = error.to_string();
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 6, "{message}");
    assert_eq!(lines[0], "invalid logward configuration, 5 problems:");
    assert!(lines[1].starts_with("/etc/logward/config:1: LOG_LEVEL=\"loud\": unknown level"));
    assert!(
        lines[2].starts_with("/etc/logward/config:2: LOG_FILE=\"relative.log\": a relative path")
    );
    assert!(
        lines[3].starts_with(
            "/etc/logward/config:3: \"this is not a setting\" is not a KEY=VALUE line"
        )
    );
    assert!(lines[4].starts_with("/etc/logward/config:4: LOG_ROTATE_MAX=\"x\": not a positive"));
    assert!(lines[5].starts_with("/etc/logward/config:5: LOG_OVERFLOW_AUDIT=\"drop\": audit"));
}

#[test]
fn config_errors_expose_kind_key_value_and_origin() {
    let Err(errors) = parse("LOG_LEVEL=info\nLOG_SYNC=rarely\n") else {
        panic!("expected an error");
    };
    let [error] = errors.errors() else {
        panic!("expected one error: {errors}");
    };
    assert_eq!(error.kind(), ConfigErrorKind::InvalidValue);
    assert_eq!(error.key(), Some("LOG_SYNC"));
    assert_eq!(error.value(), Some("rarely"));
    assert_eq!(
        error.origin(),
        Some(&Origin::File {
            path: PathBuf::from(PATH),
            line: Some(2)
        })
    );
    assert_eq!(
        error.message(),
        "not a sync policy; allowed: never or always"
    );
}

#[test]
fn unknown_keys_are_warnings_suggesting_the_nearest_key() {
    let config = parse_with_env(
        "LOG_LEVEL=info\nLOG_ROTATE_DAYLY=true\nlog_file=/var/log/a.log\nCOLOR=blue\n",
        &[("LOGWARD_LOG_LEVEL_WEBB", "debug")],
    );
    let warnings = config
        .as_ref()
        .map(Config::warnings)
        .map_err(ToString::to_string);
    assert_eq!(
        warnings,
        Ok(&[
            "/etc/logward/config:2: LOG_ROTATE_DAYLY: unknown key, ignored; did you mean \
             LOG_ROTATE_DAILY?"
                .to_string(),
            "/etc/logward/config:3: log_file: unknown key, ignored; did you mean LOG_FILE?"
                .to_string(),
            "/etc/logward/config:4: COLOR: unknown key, ignored".to_string(),
            "environment variable LOGWARD_LOG_LEVEL_WEBB: LOG_LEVEL_WEBB: unknown key, ignored; \
             did you mean LOG_LEVEL_WEB?"
                .to_string(),
        ][..])
    );
}

#[test]
fn export_keys_are_kept_for_the_tool_without_a_warning() {
    let config = parse_with_env(
        "LOG_LEVEL=info\nEXPORT_SIEM_URL=https://siem.example/in\nEXPORT_SIEM_LEVL=info\n",
        &[("LOGWARD_EXPORT_SIEM_TYPES", "audit")],
    )
    .expect("valid");
    assert_eq!(config.warnings(), [] as [String; 0]);
    let exports: Vec<_> = config
        .export_settings()
        .iter()
        .map(|s| (s.key.as_str(), s.value.as_str(), s.origin.to_string()))
        .collect();
    assert_eq!(
        exports,
        [
            (
                "EXPORT_SIEM_LEVL",
                "info",
                "/etc/logward/config:3".to_string()
            ),
            (
                "EXPORT_SIEM_TYPES",
                "audit",
                "environment variable LOGWARD_EXPORT_SIEM_TYPES".to_string()
            ),
            (
                "EXPORT_SIEM_URL",
                "https://siem.example/in",
                "/etc/logward/config:2".to_string()
            ),
        ]
    );
}

#[test]
fn a_repeated_key_warns_and_the_last_value_applies() {
    let config = valid("LOG_LEVEL=info\nLOG_LEVEL=error\n");
    assert_eq!(config.route(LogType::Web).level, Level::Error);
    assert_eq!(
        config.warnings(),
        [
            "/etc/logward/config:2: LOG_LEVEL is set again (first set on line 1); the last value \
             applies"
        ]
    );
}

#[test]
fn a_missing_explicit_or_named_file_is_an_error() {
    let Ok(dir) = tempfile::tempdir() else {
        panic!("no temporary directory");
    };
    let missing = dir.path().join("missing");
    let default = dir.path().join("default");
    let no_env: [(&str, &str); 0] = [];

    let Err(error) = Config::load_from(Some(&missing), no_env, &default) else {
        panic!("a missing explicit file must be an error");
    };
    assert_eq!(error.kind(), ErrorKind::Config);
    assert_eq!(error.path(), Some(missing.as_path()));
    assert_eq!(
        error.to_string(),
        format!(
            "the configuration file {}, given explicitly, does not exist",
            missing.display()
        )
    );

    let Err(error) = Config::load_from(None, [("LOGWARD_CONFIG", &missing)], &default) else {
        panic!("a missing LOGWARD_CONFIG file must be an error");
    };
    assert_eq!(
        error.to_string(),
        format!(
            "the configuration file {}, named by LOGWARD_CONFIG, does not exist",
            missing.display()
        )
    );
}

#[test]
fn no_file_at_the_default_location_means_the_builtin_default() {
    let Ok(dir) = tempfile::tempdir() else {
        panic!("no temporary directory");
    };
    let default = dir.path().join("config");
    let no_env: [(&str, &str); 0] = [];
    let config = Config::load_from(None, no_env, &default).map_err(|e| e.to_string());
    let builtin = Config::builtin_default();
    assert_eq!(config.as_ref().map(|c| c.source()), Ok(None));
    assert_eq!(
        config.as_ref().map(|c| c.routes().collect::<Vec<_>>()),
        Ok(builtin.routes().collect::<Vec<_>>())
    );
    for (_, route) in builtin.routes() {
        assert_eq!(
            route,
            &Route {
                level: Level::Info,
                destination: Destination::Journald,
                overflow: Overflow::Block,
                sync: SyncPolicy::Never
            }
        );
    }

    // Once the default file exists it is read, and must be valid.
    assert!(std::fs::write(&default, "LOG_FILE=/var/log/a.log\n").is_ok());
    let Err(error) = Config::load_from(None, no_env, &default) else {
        panic!("a default file without LOG_LEVEL must be an error");
    };
    assert_eq!(error.path(), Some(default.as_path()));
    assert_eq!(
        error.to_string(),
        format!(
            "invalid logward configuration, 1 problem:\n{}: LOG_LEVEL: required when a \
             configuration file is used, and not set; {LEVELS}",
            default.display()
        )
    );
}

#[test]
fn the_explicit_path_wins_over_logward_config() {
    let Ok(dir) = tempfile::tempdir() else {
        panic!("no temporary directory");
    };
    let explicit = dir.path().join("explicit");
    let named = dir.path().join("named");
    assert!(std::fs::write(&explicit, "LOG_LEVEL=error\n").is_ok());
    assert!(std::fs::write(&named, "LOG_LEVEL=debug\n").is_ok());
    let env = [("LOGWARD_CONFIG", named.as_os_str())];

    let config =
        Config::load_from(Some(&explicit), env, Path::new(PATH)).map_err(|e| e.to_string());
    assert_eq!(
        config.as_ref().map(|c| c.source()),
        Ok(Some(explicit.as_path()))
    );
    assert_eq!(
        config.map(|c| c.route(LogType::Web).level),
        Ok(Level::Error)
    );

    let config = Config::load_from(None, env, Path::new(PATH)).map_err(|e| e.to_string());
    assert_eq!(
        config.as_ref().map(|c| c.source()),
        Ok(Some(named.as_path()))
    );
    assert_eq!(
        config.map(|c| c.route(LogType::Web).level),
        Ok(Level::Debug)
    );
}

#[test]
fn equivalent_files_have_the_same_fingerprint() {
    let plain = valid("LOG_LEVEL=info\nLOG_FILE=/var/log/shop/app.log\n");
    let noisy = valid(
        "# shop logging

LOG_FILE_WEB = \"/var/log/shop/app.log\"
LOG_FILE='/var/log/shop/app.log'
LOG_LEVEL=INFO
LOG_LEVEL_AUDIT=info
LOG_OVERFLOW=block
LOG_SYNC_TANIUM=never
LOG_QUEUE_SIZE=65536
",
    );
    let fingerprint = plain.fingerprint();
    assert_eq!(fingerprint.len(), 16);
    assert!(fingerprint.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(fingerprint, noisy.fingerprint());
    assert_eq!(
        valid("LOG_LEVEL=info\n").fingerprint(),
        Config::builtin_default().fingerprint()
    );
}

#[test]
fn different_routing_has_a_different_fingerprint() {
    let base = "LOG_LEVEL=info\nLOG_FILE=/var/log/shop/app.log\n";
    let mut seen = vec![valid(base).fingerprint()];
    for extra in [
        "LOG_LEVEL_WEB=debug\n",
        "LOG_LEVEL_AUDIT=warning\n",
        "LOG_FILE_TANIUM=/var/log/shop/tanium.log\n",
        "LOG_ROTATE_DAILY=true\n",
        "LOG_ROTATE_DAILY=true\nLOG_ROTATE_MAX=3\n",
        "LOG_OVERFLOW_ANALYSIS=drop\n",
        "LOG_SYNC=always\n",
        "LOG_QUEUE_SIZE=10\n",
        "LOG_SYSLOG_IDENTIFIER=shop\n",
    ] {
        let fingerprint = valid(&format!("{base}{extra}")).fingerprint();
        assert!(!seen.contains(&fingerprint), "{extra}");
        seen.push(fingerprint);
    }
}

#[test]
fn the_table_shows_every_route() {
    let config = valid(
        "LOG_LEVEL=info
LOG_LEVEL_WEB=warning
LOG_FILE=/var/log/shop/app.log
LOG_ROTATE_DAILY=true
LOG_FILE_AUDIT=/var/log/shop/audit.log
LOG_ROTATE_DAILY_AUDIT=true
LOG_ROTATE_MAX_AUDIT=30
LOG_SYNC_AUDIT=always
LOG_FILE_ANALYSIS=/var/log/shop/analysis.log
LOG_ROTATE_DAILY_ANALYSIS=false
LOG_OVERFLOW_WEB=drop
",
    );
    assert_eq!(
        config.render_table(),
        "\
TYPE         LEVEL    SINK                        ROTATION  KEPT  OVERFLOW  SYNC
audit        info     /var/log/shop/audit.log     daily     30    block     always
web          warning  /var/log/shop/app.log       daily     all   drop      never
application  info     /var/log/shop/app.log       daily     all   block     never
analysis     info     /var/log/shop/analysis.log  none      -     block     never
tanium       info     /var/log/shop/app.log       daily     all   block     never
"
    );
    assert_eq!(
        Config::builtin_default().render_table(),
        "\
TYPE         LEVEL  SINK      ROTATION  KEPT  OVERFLOW  SYNC
audit        info   journald  -         -     block     never
web          info   journald  -         -     block     never
application  info   journald  -         -     block     never
analysis     info   journald  -         -     block     never
tanium       info   journald  -         -     block     never
"
    );
}

#[test]
fn check_writable_creates_nothing_and_reports_what_a_start_would_create() {
    let Ok(dir) = tempfile::tempdir() else {
        panic!("no temporary directory");
    };
    let logs = dir.path().join("shop").join("logs");
    let log = logs.join("app.log");
    let audit = dir.path().join("audit.log");
    assert!(std::fs::write(&audit, "").is_ok());
    let config = valid(&format!(
        "LOG_LEVEL=info\nLOG_FILE={}\nLOG_FILE_AUDIT={}\n",
        log.display(),
        audit.display()
    ));

    let created = config.check_writable().map_err(|e| e.to_string());
    assert_eq!(
        created,
        Ok(crate::WouldCreate {
            directories: vec![dir.path().join("shop"), logs.clone()],
            files: vec![log],
        })
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        left,
        [std::ffi::OsString::from("audit.log")],
        "the check created files"
    );
}

#[test]
fn check_writable_names_the_key_and_path_it_cannot_write() {
    let Ok(dir) = tempfile::tempdir() else {
        panic!("no temporary directory");
    };
    let blocker = dir.path().join("file.txt");
    assert!(std::fs::write(&blocker, "not a directory").is_ok());
    let log = blocker.join("sub").join("log");
    let config = valid(&format!(
        "LOG_LEVEL=info\nLOG_FILE={0}\nLOG_FILE_AUDIT={0}\n",
        log.display()
    ));

    let Err(errors) = config.check_writable() else {
        panic!("a path under a regular file cannot be writable");
    };
    let [error] = errors.errors() else {
        panic!("expected one error per path: {errors}");
    };
    assert_eq!(error.kind(), ConfigErrorKind::Unwritable);
    assert_eq!(error.key(), Some("LOG_FILE_AUDIT"));
    let message = error.to_string();
    assert_eq!(
        message,
        format!(
            "/etc/logward/config:3: LOG_FILE_AUDIT={:?}: {} exists and is not a directory \
             (also named by LOG_FILE); allowed: a file in a directory this process can create \
             and write",
            log.display().to_string(),
            blocker.display()
        )
    );
}

#[test]
fn the_journals_trusted_users_and_units_are_read_and_fingerprinted() {
    let unset = valid("LOG_LEVEL=info\n");
    assert!(unset.journal_users().is_empty() && unset.journal_units().is_empty());
    let config = valid(
        "LOG_LEVEL=info\nLOG_JOURNAL_USERS=shop, 998,svc$\nLOG_JOURNAL_UNITS=shop.service,w@1.service\n",
    );
    assert_eq!(config.journal_users(), ["shop", "998", "svc$"]);
    assert_eq!(config.journal_units(), ["shop.service", "w@1.service"]);
    assert_ne!(config.fingerprint(), unset.fingerprint());
    let reordered = valid(
        "LOG_LEVEL=info\nLOG_JOURNAL_UNITS=w@1.service,shop.service\nLOG_JOURNAL_USERS=svc$,shop,998\n",
    );
    assert_eq!(config.fingerprint(), reordered.fingerprint());
}

#[test]
fn bad_trusted_users_and_units_name_the_key_and_what_is_allowed() {
    assert_eq!(
        messages("LOG_LEVEL=info\nLOG_JOURNAL_USERS=shop,,x\nLOG_JOURNAL_UNITS=shop\n"),
        vec![
            "/etc/logward/config:2: LOG_JOURNAL_USERS=\"shop,,x\": an empty item in the list; \
             allowed: a comma list of user names or numeric user ids, such as shop,998",
            "/etc/logward/config:3: LOG_JOURNAL_UNITS=\"shop\": \"shop\" is no unit name; \
             allowed: a comma list of systemd unit names, such as \
             shop.service,shop-worker@1.service",
        ]
    );
    let errors = messages("LOG_LEVEL=info\nLOG_JOURNAL_USERS=a b\n");
    assert!(
        errors[0].contains("\"a b\" is no user name or id"),
        "{errors:?}"
    );
    let errors = messages("LOG_LEVEL=info\nLOG_JOURNAL_USERS=99999999999\n");
    assert!(errors[0].contains("is no user name or id"), "{errors:?}");
}

#[test]
fn seal_is_read_per_type_and_needs_a_file_and_agreement() {
    let config = valid(
        "LOG_LEVEL=info\nLOG_FILE=/l/app.log\nLOG_SEAL=true\nLOG_FILE_AUDIT=/l/audit.log\n\
         LOG_SEAL_AUDIT=TRUE\nLOG_SEAL_WEB=false\nLOG_FILE_WEB=/l/web.log\n",
    );
    let sealed =
        |t: LogType| matches!(config.route(t).destination, Destination::File { seal, .. } if seal);
    assert!(sealed(LogType::Audit));
    assert!(sealed(LogType::Application));
    assert!(!sealed(LogType::Web));
    assert!(config.render_table().contains("/l/audit.log (sealed)"));
    let unsealed = valid("LOG_LEVEL=info\nLOG_FILE_AUDIT=/l/audit.log\n");
    let resealed = valid("LOG_LEVEL=info\nLOG_FILE_AUDIT=/l/audit.log\nLOG_SEAL_AUDIT=true\n");
    assert_ne!(unsealed.fingerprint(), resealed.fingerprint());
    assert_eq!(
        unsealed.fingerprint(),
        valid("LOG_LEVEL=info\nLOG_FILE_AUDIT=/l/audit.log\nLOG_SEAL_AUDIT=false\n").fingerprint()
    );

    let errors = messages("LOG_LEVEL=info\nLOG_SEAL_AUDIT=true\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("LOG_SEAL_AUDIT"), "{errors:?}");
    assert!(errors[0].contains("sealing needs a file"), "{errors:?}");
    assert!(errors[0].contains("journalctl --setup-keys"), "{errors:?}");

    let errors = messages("LOG_LEVEL=info\nLOG_FILE_AUDIT=/l/a.log\nLOG_SEAL_AUDIT=yes please\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("LOG_SEAL_AUDIT"), "{errors:?}");

    let errors = messages(
        "LOG_LEVEL=info\nLOG_FILE=/l/app.log\nLOG_FILE_AUDIT=/l/app.log\nLOG_SEAL_AUDIT=true\n",
    );
    assert!(errors.iter().any(|e| e.contains("sealing")), "{errors:?}");
}

//! Building the runtime from a bad configuration fails, with a message that
//! names the key, the value, the file and line, and what is allowed; nothing
//! falls back silently to the built-in default.

use std::path::Path;

use logward::{ErrorKind, Logward};

/// The error of building from `text` written as `dir/config`.
fn build_error(dir: &Path, text: &str) -> (logward::Error, String) {
    let config = dir.join("config");
    std::fs::write(&config, text).expect("write the configuration");
    match Logward::builder()
        .with_config_path(&config)
        .with_panic_hook(false)
        .build()
    {
        Ok(_) => panic!("a bad configuration must not build:\n{text}"),
        Err(e) => (e, config.display().to_string()),
    }
}

#[test]
fn a_bad_value_names_key_value_file_line_and_what_is_allowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (error, config) = build_error(
        dir.path(),
        "# levels\nLOG_LEVEL=warning\nLOG_LEVEL_WEB=loud\n",
    );
    assert_eq!(error.kind(), ErrorKind::Config);
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "{config}:3: LOG_LEVEL_WEB=\"loud\": unknown level; allowed: debug, info, \
             warning, error, critical"
        )),
        "{message}"
    );
}

#[test]
fn every_problem_is_reported_at_once_in_line_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    let (error, config) = build_error(
        dir.path(),
        &format!(
            "LOG_LEVEL=info\nLOG_FILE={}\nLOG_ROTATE_MAX=7\nLOG_QUEUE_SIZE=many\nLOG_OVERFLOW_WEB=sometimes\n",
            log.display()
        ),
    );
    let message = error.to_string();
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(
        lines[0], "invalid logward configuration, 3 problems:",
        "{message}"
    );
    assert!(
        lines[1].starts_with(&format!("{config}:3: LOG_ROTATE_MAX=\"7\": "))
            && lines[1].contains("allowed: set LOG_ROTATE_DAILY=true"),
        "{message}"
    );
    assert!(
        lines[2].starts_with(&format!("{config}:4: LOG_QUEUE_SIZE=\"many\": "))
            && lines[2].contains("allowed:"),
        "{message}"
    );
    assert!(
        lines[3].starts_with(&format!("{config}:5: LOG_OVERFLOW_WEB=\"sometimes\": "))
            && lines[3].contains("allowed: block or drop"),
        "{message}"
    );
    assert!(!log.exists(), "nothing was opened");
}

#[test]
fn a_missing_level_is_an_error_not_the_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (error, config) = build_error(dir.path(), "LOG_LEVEL_WEB=debug\n");
    let message = error.to_string();
    assert!(
        message.contains(&format!("{config}: LOG_LEVEL: required")),
        "{message}"
    );
}

#[test]
fn a_named_file_that_is_missing_is_an_error_not_the_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-config");
    let Err(error) = Logward::builder().with_config_path(&missing).build() else {
        panic!("a missing configuration file must not build");
    };
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(
        error
            .to_string()
            .contains(&format!("{}, given explicitly,", missing.display())),
        "{error}"
    );
    assert!(error.to_string().contains("does not exist"), "{error}");
}

#[test]
fn an_unwritable_log_directory_names_the_key_and_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, "a regular file").expect("write a file");
    let log = blocker.join("logs/app.log");
    let audit = dir.path().join("audit/audit.log");
    let (error, config) = build_error(
        dir.path(),
        &format!(
            "LOG_LEVEL=info\nLOG_FILE_AUDIT={}\nLOG_FILE={}\n",
            audit.display(),
            log.display()
        ),
    );
    assert_eq!(error.kind(), ErrorKind::Sink);
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "{config}:3: LOG_FILE=\"{}\": {} exists and is not a directory; allowed: ",
            log.display(),
            blocker.display()
        )),
        "{message}"
    );
    assert!(message.contains("1 problem:"), "only LOG_FILE: {message}");
    assert!(
        !audit.exists(),
        "no sink was opened: the audit file was not created"
    );
}

/// A log directory on a read-only file system (a real one: root may write
/// to any directory whatever its mode) stops the start, naming the key, the
/// path and the system's reason.
#[test]
fn a_read_only_log_directory_names_the_key_the_path_and_the_cause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = crate::util::tmpfs::Tmpfs::mount(&dir.path().join("ro"), "size=64k,ro");
    let log = disk.dir.join("app.log");
    let (error, config) = build_error(
        dir.path(),
        &format!("LOG_LEVEL=info\nLOG_FILE={}\n", log.display()),
    );
    assert_eq!(error.kind(), ErrorKind::Sink);
    let message = error.to_string();
    assert!(
        message.contains(&format!("{config}:2: LOG_FILE=\"{}\": ", log.display())),
        "{message}"
    );
    assert!(
        message.contains(&disk.dir.display().to_string()),
        "{message}"
    );
    assert!(message.contains("Read-only file system"), "{message}");
    assert!(message.contains("1 problem:"), "{message}");
}

//! The command line's own documentation: help with examples, version,
//! shell completions and manual pages generated from the clap definition.

use std::process::Command;

use super::cli::{logward, stderr, stdout};

#[test]
fn help_of_every_command_shows_examples() {
    for args in [
        &[][..],
        &["bundle"],
        &["show"],
        &["emit"],
        &["config"],
        &["config", "check"],
        &["import", "csv"],
        &["verify"],
        &["seal"],
        &["seal", "init"],
        &["completions"],
        &["man"],
    ] {
        let mut argv = args.to_vec();
        argv.push("--help");
        let out = logward(&argv, None);
        assert_eq!(out.status.code(), Some(0), "{argv:?}: {}", stderr(&out));
        let help = stdout(&out);
        assert!(help.contains("Examples:\n  logward "), "{argv:?}:\n{help}");
    }
    let top = stdout(&logward(&["--help"], None));
    assert!(top.contains("Exit codes:\n  0  success"), "{top}");
    assert!(top.contains("2  usage or configuration error"), "{top}");
}

/// The commands of every help page.
const PAGES: [&[&str]; 13] = [
    &[],
    &["bundle"],
    &["show"],
    &["emit"],
    &["config"],
    &["config", "check"],
    &["completions"],
    &["man"],
    &["receive"],
    &["ship"],
    &["ship", "status"],
    &["verify"],
    &["seal", "init"],
];

/// Checks the lines of an "Examples:" block as shown (`indent` spaces
/// before each): each starts a command, or continues the line before it,
/// which ends in `\`; a line broken by the formatter starts with neither.
fn assert_examples_unbroken(page: &str, text: &str, indent: usize) {
    let mut lines = text.lines().skip_while(|l| l.trim() != "Examples:").skip(1);
    let mut previous = "";
    let mut seen = 0;
    for line in lines.by_ref().take_while(|l| !l.trim().is_empty()) {
        let (pad, rest) = line.split_at(line.len() - line.trim_start().len());
        let continues = previous.ends_with('\\');
        if continues {
            assert_eq!(
                pad.len(),
                indent + 6,
                "{page}: {line:?} continues {previous:?}"
            );
        } else {
            assert_eq!(pad.len(), indent + 2, "{page}: {line:?}");
            let starts = ["logward ", "echo ", "source ", "LOGWARD_"];
            assert!(
                starts.iter().any(|s| rest.starts_with(s)),
                "{page}: {line:?} is not a command: the line before it was broken"
            );
        }
        previous = line;
        seen += 1;
    }
    assert!(seen > 0, "{page}: no examples in\n{text}");
}

#[test]
fn help_and_man_examples_never_wrap_inside_a_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    for page in PAGES {
        let name = page.join(" ");
        let mut argv = page.to_vec();
        argv.push("--help");
        for columns in ["80", "100"] {
            let out = Command::new(env!("CARGO_BIN_EXE_logward"))
                .args(&argv)
                .env("COLUMNS", columns)
                .output()
                .expect("logward runs");
            let help = stdout(&out);
            assert_examples_unbroken(&format!("{name} --help at {columns}"), &help, 0);
        }
    }
    let out = logward(
        &["man", "--out-dir", &dir.path().display().to_string()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for entry in std::fs::read_dir(dir.path()).expect("list") {
        let page = entry.expect("entry").path();
        let shown = Command::new("man")
            .arg("-l")
            .arg(&page)
            .env("MANWIDTH", "60")
            .env("MAN_KEEP_FORMATTING", "0")
            .env("MANPAGER", "cat")
            .output()
            .expect("man runs");
        assert!(shown.status.success(), "{}", stderr(&shown));
        let text = stdout(&shown);
        assert_examples_unbroken(&page.display().to_string(), &text, 7);
    }
}

#[test]
fn import_csv_help_examples_stay_whole_at_80_columns() {
    let out = Command::new(env!("CARGO_BIN_EXE_logward"))
        .args(["import", "csv", "--help"])
        .env("COLUMNS", "80")
        .output()
        .expect("logward runs");
    let help = stdout(&out);
    let examples = help
        .split("Examples:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("an Examples section");
    let mut continued = false;
    for line in examples.lines() {
        let expected = if continued {
            "      --"
        } else {
            "  logward import csv "
        };
        assert!(
            line.starts_with(expected),
            "{line:?} is not whole in:\n{help}"
        );
        continued = line.ends_with('\\');
    }
    assert!(!continued, "the last example ends its command");
    for line in help
        .split("Exit codes:\n")
        .nth(1)
        .expect("exit codes")
        .lines()
    {
        let code = line.as_bytes();
        assert!(
            code.len() > 5
                && code[..2] == *b"  "
                && code[2].is_ascii_digit()
                && code[3..5] == *b"  ",
            "{line:?} wrapped in:\n{help}"
        );
    }
}

#[test]
fn version_prints_the_package_version() {
    let out = logward(&["--version"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        format!("logward {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// What bash's completion offers after `words`, using the script that
/// `logward completions bash` prints.
fn bash_completes(words: &str) -> Vec<String> {
    let script = stdout(&logward(&["completions", "bash"], None));
    let last = words.split(' ').next_back().unwrap_or_default();
    let program = format!(
        "{script}\nCOMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
         COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; \
         _logward logward '{last}' \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\""
    );
    let out = Command::new("bash")
        .args(["-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut words: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    words.sort();
    words
}

#[test]
fn bash_completion_offers_subcommands_and_their_flags() {
    assert_eq!(
        bash_completes("logward co"),
        ["completions", "config", "consume"]
    );
    assert_eq!(
        bash_completes("logward bundle --log"),
        ["--log-level", "--log-type"]
    );
    assert_eq!(bash_completes("logward completions b"), ["bash"]);
}

#[test]
fn completions_for_an_unknown_shell_exit_2_listing_the_shells() {
    let out = logward(&["completions", "tcsh"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
    assert!(err.contains("bash, elvish, fish, powershell, zsh"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn man_prints_a_page_naming_every_subcommand_and_the_exit_codes() {
    let out = logward(&["man"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.contains(".TH logward 1"), "{page}");
    for sub in ["bundle", "emit", "config", "import", "completions", "man"] {
        assert!(
            page.contains(&format!("logward\\-{sub}(1)")),
            "{sub}:\n{page}"
        );
    }
    assert!(page.contains("Exit codes:"), "{page}");
}

#[test]
fn man_out_dir_writes_one_page_per_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = logward(&["man", "--out-dir", &dir.path().to_string_lossy()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let expected = [
        "logward-bundle.1",
        "logward-completions.1",
        "logward-config-check.1",
        "logward-config-reload.1",
        "logward-config.1",
        "logward-consume.1",
        "logward-emit.1",
        "logward-import-csv.1",
        "logward-import.1",
        "logward-man.1",
        "logward-receive.1",
        "logward-seal-init.1",
        "logward-seal.1",
        "logward-ship-status.1",
        "logward-ship.1",
        "logward-show.1",
        "logward-verify.1",
        "logward.1",
    ];
    let listed: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    let wanted: Vec<String> = expected
        .iter()
        .map(|name| dir.path().join(name).display().to_string())
        .collect();
    assert_eq!(listed, wanted);
    let bundle = std::fs::read_to_string(dir.path().join("logward-bundle.1")).expect("page");
    let title = format!(
        ".TH logward-bundle 1  \"logward-bundle {}\"",
        env!("CARGO_PKG_VERSION")
    );
    assert!(bundle.contains(&title), "{bundle}");
    assert!(bundle.contains("\\-\\-date\\-from"), "{bundle}");

    let file = dir.path().join("logward.1");
    let refused = logward(&["man", "--out-dir", &file.to_string_lossy()], None);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("not a directory"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn man_pages_list_every_configuration_key_and_name_their_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = logward(&["man", "--out-dir", &dir.path().to_string_lossy()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let config = std::fs::read_to_string(dir.path().join("logward-config.1")).expect("page");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        config.contains(&format!(
            ".TH logward-config 1  \"logward-config {version}\""
        )),
        "the header and footer name logward-config:\n{config}"
    );
    assert!(config.contains("logward\\-config\\-reload(1)"), "{config}");
    let check = std::fs::read_to_string(dir.path().join("logward-config-check.1")).expect("page");
    assert!(
        check.contains(&format!("\"logward-config-check {version}\"")),
        "{check}"
    );
    let top = stdout(&logward(&["man"], None));
    for page in [&config, &top] {
        for section in ["ENVIRONMENT", "FILES", "CONFIGURATION"] {
            assert!(
                page.contains(&format!("\n.SH {section}\n")),
                "{section}:\n{page}"
            );
        }
        let keys = page
            .split("\n.SH CONFIGURATION\n")
            .nth(1)
            .and_then(|rest| rest.split("\n.SH ").next())
            .expect("the section");
        for key in logward::ConfigKey::all() {
            for name in key.names() {
                assert!(keys.contains(&name), "{name} is listed:\n{keys}");
            }
            assert!(
                keys.contains(&key.default.replace('-', "\\-")),
                "{}",
                key.name
            );
        }
        for key in ["EXPORT_<NAME>_<KEY>", "KAFKA_BROKERS", "RECEIVE_RAW_FILE"] {
            assert!(keys.contains(key), "{key}:\n{keys}");
        }
        for var in [
            "LOGWARD_CONFIG",
            "LOGWARD_<KEY>",
            "STATE_DIRECTORY",
            "SUDO_USER",
        ] {
            assert!(page.contains(&format!(".B {var}")), "{var}");
        }
    }
}

//! `logward completions` and `logward man`: shell completions and manual
//! pages generated from the same clap definition that parses the command
//! line, so they never disagree with it.
//!
//! The examples and exit codes (clap's "after help") are set in the pages
//! without filling (`.nf`), so the formatter never joins or breaks a line of
//! an example command; long commands are continued with `\` in the text.
//!
//! Each page's header and footer name its command as `man` lists it
//! (`logward-config-check`, not `check`). `logward(1)` and
//! `logward-config(1)` also have ENVIRONMENT, FILES and CONFIGURATION
//! sections; CONFIGURATION lists every key with its meaning and default
//! from the library's key table ([`logward::ConfigKey`], the one its parser
//! uses), and the tool's `EXPORT_` and `RECEIVE_` keys from theirs.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, UsageError, out};

/// Prints the completion script for `shell` on stdout.
pub fn completions(shell: Shell) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "logward", &mut script);
    out::stdout(&script)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints `logward(1)` on stdout, or with `out_dir` writes a page for the
/// command and each subcommand there and prints the paths written.
pub fn man(out_dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let cmd = Cli::command();
    let Some(dir) = out_dir else {
        let page = render(cmd).context("cannot render the manual page")?;
        out::stdout(&page)?;
        return Ok(ExitCode::SUCCESS);
    };
    if !dir.is_dir() {
        return Err(UsageError(format!(
            "--out-dir {}: not a directory; allowed: an existing directory",
            dir.display()
        ))
        .into());
    }
    let before = pages(dir)?;
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    write_pages(cmd, dir)
        .with_context(|| format!("cannot write manual pages into {}", dir.display()))?;
    let mut written = String::new();
    for page in pages(dir)? {
        let replaced = if before.contains(&page) {
            " (replaced)"
        } else {
            ""
        };
        written.push_str(&format!("{}{replaced}\n", dir.join(&page).display()));
    }
    out::stdout(written.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the page of `cmd` and of each of its subcommands into `dir`, as
/// `clap_mangen::generate_to` names them (`logward-bundle.1`).
fn write_pages(cmd: clap::Command, dir: &Path) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir)?;
    }
    let name = clap_mangen::Man::new(cmd.clone()).get_filename();
    std::fs::write(dir.join(name), render(cmd)?)
}

/// The manual page of `cmd`, its extra section unfilled, with the
/// sections of [`sections`] before VERSION.
fn render(cmd: clap::Command) -> std::io::Result<Vec<u8>> {
    let version = cmd.get_version().unwrap_or_default().to_string();
    let man = clap_mangen::Man::new(cmd);
    let filename = man.get_filename();
    let name = filename.strip_suffix(".1").unwrap_or(&filename).to_string();
    let mut page = Vec::new();
    man.source(format!("{name} {version}"))
        .manual("logward manual")
        .render(&mut page)?;
    let mut text = String::from_utf8_lossy(&page).into_owned();
    if let Some(start) = text.find("\n.SH EXTRA\n") {
        let body = start + "\n.SH EXTRA\n".len();
        let end = text[body..]
            .find("\n.SH ")
            .map_or(text.len(), |i| body + i + 1);
        text = format!(
            "{}.nf\n{}.fi\n{}",
            &text[..body],
            &text[body..end],
            &text[end..]
        );
    }
    let extra = sections(&name);
    match text.find("\n.SH VERSION\n") {
        Some(at) => text.insert_str(at + 1, &extra),
        None => text.push_str(&extra),
    }
    Ok(text.into_bytes())
}

/// ENVIRONMENT, FILES and CONFIGURATION, in roff, for the pages of
/// `logward` and `logward-config`; nothing for the others.
fn sections(name: &str) -> String {
    if name != "logward" && name != "logward-config" {
        return String::new();
    }
    let mut roff = String::from(".SH ENVIRONMENT\n");
    for (var, meaning) in ENVIRONMENT {
        roff.push_str(&format!(".TP\n.B {}\n{}\n", escape(var), escape(meaning)));
    }
    roff.push_str(".SH FILES\n");
    for (file, meaning) in FILES {
        roff.push_str(&format!(".TP\n.I {}\n{}\n", escape(file), escape(meaning)));
    }
    // No hyphenation: a key name broken across lines cannot be searched.
    roff.push_str(&format!(
        ".SH CONFIGURATION\n.nh\n{}\n",
        escape(CONFIGURATION)
    ));
    for key in logward::ConfigKey::all() {
        let names = if key.per_type {
            format!("{0}, {0}_<TYPE>", key.name)
        } else {
            key.name.to_string()
        };
        roff.push_str(&format!(
            ".TP\n.B {}\n{}\n.br\nDefault: {}.\n",
            escape(&names),
            escape(key.meaning),
            escape(key.default)
        ));
        if key.per_type {
            let typed = key.names()[1..].join(", ");
            roff.push_str(&format!(".br\nPer type: {}.\n", escape(&typed)));
        }
    }
    roff.push_str(&format!(
        ".TP\n.B EXPORT_<NAME>_<KEY>\nAn export of logward ship; KEY is one of: {}.\n",
        escape(&logward_cli::ship::EXPORT_KEYS.join(", "))
    ));
    roff.push_str(&format!(
        ".TP\n.B RECEIVE_*\nThe collector's keys (logward receive): {}.\n",
        escape(&logward_cli::RECEIVE_KEYS.join(", "))
    ));
    roff.push_str(".hy\n.SH \"SEE ALSO\"\nlogward\\-config(1), logward\\-emit(1), logward\\-bundle(1), journalctl(1), systemd.exec(5)\n");
    roff
}

/// Text for roff: backslashes and dashes escaped, a leading `.` or `'`
/// kept from being read as a request.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// The variables the tool and the library read.
const ENVIRONMENT: [(&str, &str); 6] = [
    (
        "LOGWARD_CONFIG",
        "The configuration file when --config is not given (else /etc/logward/config).",
    ),
    (
        "LOGWARD_<KEY>",
        "Overrides KEY of the configuration (LOGWARD_LOG_LEVEL=debug), also without a file; logward config check shows which values came from here.",
    ),
    (
        "STATE_DIRECTORY",
        "Where ship, import and receive keep their state (systemd's StateDirectory=), else /var/lib/logward.",
    ),
    (
        "SUDO_USER",
        "Named as sudo_user in the records emit and bundle write, beside the real user (os_user, os_uid).",
    ),
    (
        "LOGGER_CERT, LOGGER_KEY",
        "The collector's certificate and key when --cert and --key are not given (logward receive).",
    ),
    (
        "LOGGER_IP, LOGGER_PORT",
        "The collector's address when --listen is not given (logward receive).",
    ),
];

/// The files the tool and the library use.
const FILES: [(&str, &str); 4] = [
    (
        "/etc/logward/config",
        "The configuration: KEY=VALUE lines, # comments, values literal; also a systemd EnvironmentFile=.",
    ),
    (
        "/run/systemd/journal/socket",
        "journald's native socket, where records routed to journald are sent.",
    ),
    (
        "/var/lib/logward",
        "State of ship (positions, dead letters), import (positions) and receive (the id index).",
    ),
    (
        "/var/log/<service>/",
        "Log files, as LOG_FILE and LOG_FILE_<TYPE> name them: created 0640 in directories created 0750, rotated siblings beside them.",
    ),
];

/// The opening paragraph of CONFIGURATION.
const CONFIGURATION: &str = "Every key of the configuration file, with what it sets and its default. TYPE is AUDIT, WEB, APPLICATION, ANALYSIS or TANIUM; a per-type key falls back to its unsuffixed form; audit inherits only the rotation and sync keys (LOG_ROTATE_DAILY, LOG_ROTATE_MAX, LOG_ROTATE_SIZE, LOG_ROTATE_COMPRESS, LOG_SYNC) and otherwise has the defaults given. A service built with reload_on_sighup re-reads the file on SIGHUP (logward config reload): levels, routing and overflow change at once; the queue size, the journald identifier and the settings of a file in use need a restart.";

/// The names of the `logward*.1` files in `dir`, sorted.
fn pages(dir: &Path) -> anyhow::Result<Vec<String>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("logward") && name.ends_with(".1") {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

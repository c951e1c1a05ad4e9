//! `logward completions` and `logward man`: shell completions and manual
//! pages generated from the same clap definition that parses the command
//! line, so they never disagree with it.
//!
//! The examples and exit codes (clap's "after help") are set in the pages
//! without filling (`.nf`), so the formatter never joins or breaks a line of
//! an example command; long commands are continued with `\` in the text.

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

/// The manual page of `cmd`, its extra section unfilled.
fn render(cmd: clap::Command) -> std::io::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut page)?;
    let text = String::from_utf8_lossy(&page);
    let Some(start) = text.find("\n.SH EXTRA\n") else {
        return Ok(page);
    };
    let body = start + "\n.SH EXTRA\n".len();
    let end = text[body..]
        .find("\n.SH ")
        .map_or(text.len(), |i| body + i + 1);
    Ok(format!(
        "{}.nf\n{}.fi\n{}",
        &text[..body],
        &text[body..end],
        &text[end..]
    )
    .into_bytes())
}

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

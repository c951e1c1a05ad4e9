//! `logward completions` and `logward man`: shell completions and manual
//! pages generated from the same clap definition that parses the command
//! line, so they never disagree with it.

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
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut page)
            .context("cannot render the manual page")?;
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
    clap_mangen::generate_to(cmd, dir)
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

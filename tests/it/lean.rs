//! The library a service links stays lean: the tool's dependencies are the
//! tool's crate's.

use std::process::Command;

/// Crates that belong to the `logward` tool (or to later exporters), never
/// to the runtime a service links.
const TOOL_ONLY: [&str; 12] = [
    "clap",
    "clap_complete",
    "clap_mangen",
    "tar",
    "flate2",
    "tempfile",
    "anyhow",
    "hyper",
    "reqwest",
    "ureq",
    "rustls",
    "rdkafka",
];

#[test]
fn the_library_links_no_tool_dependency() {
    let output = Command::new(env!("CARGO"))
        .current_dir(crate::util::workspace_root())
        .args([
            "tree", "--locked", "-e", "normal", "-p", "logward", "--prefix", "none",
        ])
        .output()
        .expect("run cargo tree");
    assert!(
        output.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(
        crates.contains(&"tracing-subscriber"),
        "the tree lists the runtime's own dependencies:\n{tree}"
    );
    let linked: Vec<&&str> = TOOL_ONLY
        .iter()
        .filter(|name| crates.contains(name))
        .collect();
    assert!(linked.is_empty(), "the runtime links {linked:?}:\n{tree}");
}

//! The audit record that says logs were exported.

use serde_json::{Value, json};

use super::{BundleOutput, BundleRequest, BundleSummary};

/// The fields of the `logs_exported` audit record for a finished bundle:
/// the filters, where it went and how many records it holds, and the
/// operating-system user who ran it. Write it with [`logward::Guard::emit`].
pub fn export_record(
    request: &BundleRequest,
    summary: &BundleSummary,
) -> Vec<(&'static str, Value)> {
    let raw = request.raw();
    let (output, compressed) = match request.output() {
        BundleOutput::File { path, compress, .. } => (path.display().to_string(), *compress),
        _ => ("stdout".to_string(), false),
    };
    let types: Vec<String> = request.types().iter().map(ToString::to_string).collect();
    let levels: Vec<String> = request.levels().iter().map(ToString::to_string).collect();
    vec![
        ("action", json!("logs_exported")),
        ("access_granted", json!(true)),
        ("os_user", json!(os_user())),
        ("date_from", json!(raw.date_from)),
        ("date_to", json!(raw.date_to)),
        ("log_types", json!(types.join(","))),
        ("log_levels", json!(levels.join(","))),
        ("output", json!(output)),
        ("compressed", json!(compressed)),
        ("records", json!(summary.records)),
    ]
}

/// The user running the export: `$SUDO_USER` when run through sudo, else
/// `$USER`, else the numeric uid.
fn os_user() -> String {
    std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| format!("uid {}", rustix::process::getuid().as_raw()))
}

//! The audit record that says logs were exported.

use serde_json::{Value, json};

use super::{BundleOutput, BundleRequest, BundleSummary};
use crate::users;

/// The fields of the `logs_exported` audit record for a finished bundle:
/// the filters, where it went and how many records it holds, and the
/// operating-system user who ran it. Write it with [`logward::Guard::emit`].
///
/// A filter that was not given is absent, never `null`: `date_from` and
/// `date_to` as given, `identifier` (the `--identifier` list), `filter` (the
/// `--filter` and the field selectors, see [`BundleRequest::filter`]), `log_types` and `log_levels` always (every one when
/// not narrowed). `os_user` is the name of the process's real user (`uid
/// N` when it has none), `os_uid` its id, and `sudo_user` the `SUDO_USER`
/// of the environment when set, which says who ran `sudo` (the
/// environment's word, unlike the uid).
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
    let uid = rustix::process::getuid().as_raw();
    let mut fields = vec![
        ("action", json!("logs_exported")),
        ("access_granted", json!(true)),
        (
            "os_user",
            json!(users::name_of(uid).unwrap_or_else(|| format!("uid {uid}"))),
        ),
        ("os_uid", json!(uid)),
    ];
    if let Some(sudo_user) = std::env::var("SUDO_USER").ok().filter(|u| !u.is_empty()) {
        fields.push(("sudo_user", json!(sudo_user)));
    }
    if let Some(from) = &raw.date_from {
        fields.push(("date_from", json!(from)));
    }
    if let Some(to) = &raw.date_to {
        fields.push(("date_to", json!(to)));
    }
    if !request.identifiers().is_empty() {
        fields.push(("identifier", json!(request.identifiers().join(","))));
    }
    if let Some(filter) = request.filter() {
        fields.push(("filter", json!(filter.text())));
    }
    fields.extend([
        ("log_types", json!(types.join(","))),
        ("log_levels", json!(levels.join(","))),
        ("output", json!(output)),
        ("compressed", json!(compressed)),
        ("records", json!(summary.records)),
    ]);
    fields
}

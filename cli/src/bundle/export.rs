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
/// `--filter` and the field selectors, see [`BundleRequest::filter`]),
/// `log_types` and `log_levels` always (every one when not narrowed).
/// `os_user`, `os_uid` and `sudo_user` name who ran it (see
/// [`invoker_fields`](crate::invoker_fields)).
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
    let mut fields = vec![
        ("action", json!("logs_exported")),
        ("access_granted", json!(true)),
    ];
    fields.extend(users::invoker_fields());
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

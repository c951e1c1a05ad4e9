//! `logward ship status`: every configured export's health, as the
//! shipper last wrote it to the state directory.

use std::path::Path;

use serde_json::Value;

use super::Exports;
use super::health::{Health, render_table};
use super::state::StateDir;

/// The health of each configured export, as last saved; an export never
/// run has empty health.
pub fn read_status(exports: &Exports, state_dir: &Path) -> anyhow::Result<Vec<Health>> {
    let state = StateDir::new(state_dir);
    let mut healths = Vec::new();
    for export in &exports.exports {
        let mut health: Health = state
            .load(&state.health_file(&export.name))?
            .unwrap_or_default();
        health.export = export.name.clone();
        if health.destination.is_empty() {
            health.destination = export.destination.to_string();
        }
        healths.push(health);
    }
    Ok(healths)
}

/// The status as text, one block per export.
pub fn status_text(healths: &[Health], now: i64) -> String {
    render_table(healths, now)
}

/// The status as JSON: `{"exports":[…]}`.
pub fn status_json(healths: &[Health], now: i64) -> Value {
    serde_json::json!({
        "exports": healths.iter().map(|h| h.to_json(now)).collect::<Vec<_>>(),
    })
}

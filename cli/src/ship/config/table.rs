//! The exports as a fixed-width table, for `logward config check`:
//!
//! ```text
//! EXPORT  DESTINATION                   TYPES      LEVEL  FILTER  FORMAT  COMPRESS  BATCH              START      TLS                HEADERS
//! SIEM    https://siem.example:8088/in  audit,web  info   yes     ndjson  gzip      1000/1048576B/1000ms  beginning  CA file, client    /etc/logward/siem.headers
//! ```
//!
//! Only where secrets are is shown (the header file, the key file's
//! certificate), never what they hold.

use super::{Export, Exports};

const HEADER: [&str; 11] = [
    "EXPORT",
    "DESTINATION",
    "TYPES",
    "LEVEL",
    "FILTER",
    "FORMAT",
    "COMPRESS",
    "BATCH",
    "START",
    "TLS",
    "HEADERS",
];

impl Exports {
    /// One line per export under a header line; `None` without exports.
    pub fn render_table(&self) -> Option<String> {
        if self.exports.is_empty() {
            return None;
        }
        let mut rows = vec![HEADER.map(String::from)];
        rows.extend(self.exports.iter().map(row));
        let mut widths = [0; 11];
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut table = String::new();
        for row in &rows {
            let mut line = String::new();
            for (cell, width) in row.iter().zip(widths) {
                line.push_str(&format!("{cell:<width$}  "));
            }
            table.push_str(line.trim_end());
            table.push('\n');
        }
        Some(table)
    }
}

fn row(export: &Export) -> [String; 11] {
    let types = if export.types.len() == logward::LogType::ALL.len() {
        "all".to_string()
    } else {
        export
            .types
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let name = if export.enabled {
        export.name.clone()
    } else {
        format!("{} (disabled)", export.name)
    };
    let tls = if !export.destination.is_tls() {
        "none (loopback)".to_string()
    } else {
        let roots = if export.ca_file.is_some() {
            "CA file"
        } else {
            "system roots"
        };
        match export.client_cert {
            Some(super::ClientCertFiles::Pem { .. }) => format!("{roots}, client cert"),
            Some(super::ClientCertFiles::Pkcs12 { .. }) => format!("{roots}, keystore"),
            None => roots.to_string(),
        }
    };
    [
        name,
        export.destination.to_string(),
        types,
        export.level.to_string(),
        if export.filter.is_some() { "yes" } else { "-" }.to_string(),
        export.format.to_string(),
        match &export.destination {
            super::Target::Kafka(kafka) if kafka.gzip => "gzip",
            _ if export.gzip => "gzip",
            _ => "none",
        }
        .to_string(),
        format!(
            "{}/{}B/{}ms",
            export.batch_records,
            export.batch_bytes,
            export.batch_wait.as_millis()
        ),
        export.start.to_string(),
        tls,
        export
            .header_file
            .as_ref()
            .map_or("-".to_string(), |p| p.display().to_string()),
    ]
}

//! The effective routing as a fixed-width table, for `logward config check`:
//!
//! ```text
//! TYPE         LEVEL    SINK                        ROTATION  KEPT  OVERFLOW  SYNC
//! audit        info     /var/log/shop/audit.log     daily     30    block     always
//! web          warning  /var/log/shop/app.log       daily     all   drop      never
//! application  info     /var/log/shop/app.log       daily     all   block     never
//! analysis     info     /var/log/shop/analysis.log  none      -     block     never
//! tanium       info     journald                    -         -     block     never
//! ```
//!
//! A sealed file (`LOG_SEAL=true`) shows as `<path> (sealed)`.
//! `ROTATION` is `none`, `daily`, a size (`100M`: `LOG_ROTATE_SIZE`) or
//! both (`daily+100M`), followed by ` gzip` when rotated files are
//! compressed (`LOG_ROTATE_COMPRESS`).
//! `KEPT` is the number of files kept, the live file included: `all` for
//! rotation without `LOG_ROTATE_MAX`, `-` when there is no rotation.

use super::Config;
use super::route::Destination;

const HEADER: [&str; 7] = [
    "TYPE", "LEVEL", "SINK", "ROTATION", "KEPT", "OVERFLOW", "SYNC",
];

impl Config {
    /// The effective route of every log type as a table, one line per type
    /// under a header line, each line ending in a newline.
    pub fn render_table(&self) -> String {
        let mut rows = vec![HEADER.map(String::from)];
        for (log_type, route) in self.routes() {
            let (mut sink, rotation, kept) = match &route.destination {
                Destination::Journald => ("journald".to_string(), "-".to_string(), "-".to_string()),
                Destination::File {
                    path,
                    rotate_daily,
                    rotate_max,
                    rotate_size,
                    compress,
                    ..
                } => {
                    let mut rotation = match (rotate_daily, rotate_size) {
                        (false, None) => "none".to_string(),
                        (true, None) => "daily".to_string(),
                        (false, Some(size)) => format_size(size.get()),
                        (true, Some(size)) => format!("daily+{}", format_size(size.get())),
                    };
                    if let Some(compress) = compress {
                        rotation.push_str(&format!(" {compress}"));
                    }
                    let kept = if rotation == "none" {
                        "-".to_string()
                    } else {
                        rotate_max.map_or("all".to_string(), |n| n.to_string())
                    };
                    (path.display().to_string(), rotation, kept)
                }
            };
            if let Destination::File { seal: true, .. } = route.destination {
                sink.push_str(" (sealed)");
            }
            rows.push([
                log_type.to_string(),
                route.level.to_string(),
                sink,
                rotation,
                kept,
                route.overflow.to_string(),
                route.sync.to_string(),
            ]);
        }

        let mut widths = [0; 7];
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
        table
    }
}

/// `bytes` in the largest unit that divides it (`100M`, `1536K`, `10`),
/// as `LOG_ROTATE_SIZE` is written.
fn format_size(bytes: u64) -> String {
    for (unit, factor) in [("G", 1u64 << 30), ("M", 1 << 20), ("K", 1 << 10)] {
        if bytes % factor == 0 {
            return format!("{}{unit}", bytes / factor);
        }
    }
    bytes.to_string()
}

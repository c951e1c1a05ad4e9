//! `GET /status`: a small HTML page with one row per origin machine: its
//! last record's time, records per log type and errors (error or critical
//! records) of today (UTC, by the records' `created_at`), and the configuration fingerprint of its
//! latest `logging_started` record. Machines whose fingerprint differs
//! from the one most origins share are flagged, since the machines of one
//! high-availability setup should run identical settings.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::metrics::TYPES;
use super::origins::Origin;

/// The page for `origins` (by hostname), on UTC day `today`.
pub fn page(origins: &[(String, Origin)], today: &str) -> String {
    let common = most_common(origins);
    let mut rows = String::new();
    for (host, o) in origins {
        let day = o.days.get(today).copied().unwrap_or_default();
        let (counts, errors) = (day.per_type, day.errors);
        let (fingerprint, flag) = match (&o.fingerprint, &common) {
            (Some(f), Some(c)) if f != c => (f.as_str(), "differs"),
            (Some(f), _) => (f.as_str(), "same"),
            (None, _) => ("unknown", ""),
        };
        let _ = write!(
            rows,
            "<tr class=\"{flag}\" data-hostname=\"{h}\"><td>{h}</td><td>{last}</td>",
            h = escape(host),
            last = escape(&o.last_record)
        );
        for n in counts {
            let _ = write!(rows, "<td>{n}</td>");
        }
        let _ = writeln!(
            rows,
            "<td>{errors}</td><td><code>{}</code></td><td>{}</td></tr>",
            escape(fingerprint),
            if flag == "differs" {
                "fingerprint differs"
            } else {
                ""
            }
        );
    }
    let heads: String = TYPES.iter().map(|t| format!("<th>{t}</th>")).collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>logward receive</title>\
<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}\
td,th{{border:1px solid #999;padding:.3em .6em;text-align:left}}tr.differs{{background:#fdd}}</style></head>\
<body><h1>logward receive</h1><p>Origins: {n}. Counts are of the records created on {today} (UTC).</p>\
<table id=\"origins\"><thead><tr><th>hostname</th><th>last record</th>{heads}<th>errors</th>\
<th>configuration fingerprint</th><th>check</th></tr></thead><tbody>\n{rows}</tbody></table></body></html>\n",
        n = origins.len(),
    )
}

/// The fingerprint most origins report (the smallest among equals).
fn most_common(origins: &[(String, Origin)]) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, o) in origins {
        if let Some(f) = &o.fingerprint {
            *counts.entry(f).or_default() += 1;
        }
    }
    let max = counts.values().copied().max()?;
    counts
        .into_iter()
        .find(|&(_, n)| n == max)
        .map(|(f, _)| f.to_string())
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

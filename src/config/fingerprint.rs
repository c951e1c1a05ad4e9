//! A short fingerprint of the effective configuration, so operators can
//! compare settings across machines: two files that differ only in comments,
//! key order, quoting or redundant keys give the same fingerprint.
//!
//! The fingerprint is the first 16 hex digits of the SHA-256 of a canonical
//! rendering of every route, the queue size and the syslog identifier, one
//! line each, and the journal's trusted users and units when they are set
//! (`journal_users=…`, `journal_units=…`, sorted). A sealed file adds
//! ` seal=true` after its `rotate_max` (unsealed files render as before, so
//! their fingerprints did not change when sealing was added); likewise
//! ` rotate_size=<bytes>` and ` compress=gzip` follow `rotate_max` only when
//! set:
//!
//! ```text
//! logward-config-v1
//! audit level=info sink=file:"/var/log/shop/audit.log" rotate_daily=false rotate_max=- overflow=block sync=never
//! web level=info sink=journald overflow=drop sync=never
//! queue_size=65536
//! syslog_identifier=-
//! ```

use sha2::{Digest, Sha256};

use super::Config;
use super::route::Destination;

/// Hex digits of the SHA-256 that make up a fingerprint.
const FINGERPRINT_LEN: usize = 16;

impl Config {
    /// The fingerprint of the effective configuration: 16 hex digits, equal
    /// for configurations that route every type the same way.
    ///
    /// ```
    /// # use logward::Config;
    /// # use std::path::Path;
    /// let a = Config::from_str("LOG_LEVEL=info\n", Path::new("/a"))?;
    /// let b = Config::from_str("# same\nLOG_LEVEL='INFO'\nLOG_SYNC=never\n", Path::new("/b"))?;
    /// assert_eq!(a.fingerprint(), b.fingerprint());
    /// assert_eq!(a.fingerprint(), Config::builtin_default().fingerprint());
    /// # Ok::<(), logward::ConfigErrors>(())
    /// ```
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.canonical().as_bytes());
        let mut hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        hex.truncate(FINGERPRINT_LEN);
        hex
    }

    /// The canonical rendering the fingerprint is taken of.
    fn canonical(&self) -> String {
        let mut text = String::from("logward-config-v1\n");
        for (log_type, route) in self.routes() {
            let sink = match &route.destination {
                Destination::Journald => "journald".to_string(),
                Destination::File {
                    path,
                    rotate_daily,
                    rotate_max,
                    rotate_size,
                    compress,
                    seal,
                } => format!(
                    "file:{:?} rotate_daily={rotate_daily} rotate_max={}{}{}{}",
                    path,
                    rotate_max.map_or("-".to_string(), |n| n.to_string()),
                    rotate_size.map_or(String::new(), |n| format!(" rotate_size={n}")),
                    compress.map_or(String::new(), |c| format!(" compress={c}")),
                    if *seal { " seal=true" } else { "" }
                ),
            };
            text.push_str(&format!(
                "{log_type} level={} sink={sink} overflow={} sync={}\n",
                route.level, route.overflow, route.sync
            ));
        }
        text.push_str(&format!("queue_size={}\n", self.queue_size));
        text.push_str(&format!(
            "syslog_identifier={}\n",
            self.syslog_identifier
                .as_ref()
                .map_or("-".to_string(), |s| format!("{s:?}"))
        ));
        for (key, list) in [
            ("journal_users", &self.journal_users),
            ("journal_units", &self.journal_units),
        ] {
            if !list.is_empty() {
                let mut sorted = list.clone();
                sorted.sort();
                sorted.dedup();
                text.push_str(&format!("{key}={}\n", sorted.join(",")));
            }
        }
        text
    }
}

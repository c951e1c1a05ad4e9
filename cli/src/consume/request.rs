//! What `logward consume` is asked to do.

use std::path::PathBuf;
use std::time::Duration;

use crate::kafka::{Brokers, KafkaTls};

/// Where consumed records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsumeOutput {
    /// Through the routing of this configuration (the default one when
    /// `None`), like the collector's.
    Routed(Option<PathBuf>),
    /// Each record as one line to stdout.
    Stdout,
    /// Each record as one line to this file, rotated when it would pass
    /// `rotate_bytes` (like Filebeat's file output with `rotate_every_kb`).
    File {
        /// The live file.
        path: PathBuf,
        /// The size a file may reach.
        rotate_bytes: u64,
    },
}

/// A checked `logward consume` command line.
#[derive(Debug, Clone)]
pub struct ConsumeRequest {
    /// The brokers to bootstrap from.
    pub brokers: Brokers,
    /// The topic.
    pub topic: String,
    /// The consumer group.
    pub group: String,
    /// TLS: trust and the client certificate.
    pub tls: KafkaTls,
    /// Where records go.
    pub output: ConsumeOutput,
    /// Where the id index is kept (one per consumer: it is locked).
    pub index_dir: PathBuf,
    /// `session.timeout.ms`: how long the group waits for a silent member.
    pub session_timeout: Duration,
}

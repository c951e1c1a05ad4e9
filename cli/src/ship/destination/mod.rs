//! Where batches go: a small trait that every destination implements, so
//! that batching, retries, splitting refused batches, positions and health
//! are written once for all of them.
//!
//! - [`HttpsDestination`]: a POST to an `https://` URL (or `http://` to
//!   loopback), with the export's trust roots, client certificate and
//!   header file.
//! - [`KafkaDestination`]: each record a message of a Kafka topic, with
//!   `acks=all` and an idempotent producer.

mod https;
mod kafka;

pub use https::HttpsDestination;
pub use kafka::KafkaDestination;

use super::batch::Body;

/// What one attempt to deliver a body came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Accepted (the status, for HTTP; 0 for Kafka).
    Delivered(u16),
    /// Not accepted this time; the same body may be accepted later (a
    /// timeout, a broken connection, 408, 429, 5xx, an untrusted
    /// certificate the operator may fix).
    Retry {
        /// What to count the retry under: the status, or `connection`, `tls`.
        reason: String,
        /// What happened, for the health report.
        why: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<String>,
        /// The attempt ran out of time (the client's timeout, 408, a
        /// Kafka message timeout): a smaller body may go through.
        timed_out: bool,
    },
    /// Refused: this body will never be accepted (another 4xx; a message
    /// a Kafka broker will never take).
    Refused {
        /// The status (0 for Kafka).
        status: u16,
        /// The start of the answer, for the dead-letter file.
        why: String,
    },
}

/// A place batches are delivered to.
pub trait Destination: Send {
    /// The destination as it may be shown: no secrets.
    fn describe(&self) -> String;

    /// Tries once to deliver `body`.
    fn send(&mut self, body: &Body) -> Attempt;
}

//! The keys of a Kafka export:
//!
//! ```text
//! EXPORT_STREAM_KAFKA_BROKERS=kafka-1.example:9093,kafka-2.example:9093
//! EXPORT_STREAM_KAFKA_TOPIC=c83
//! EXPORT_STREAM_CA_FILE=/etc/logward/kafka-ca.pem
//! EXPORT_STREAM_KEYSTORE_FILE=/etc/logward/c83.p12
//! EXPORT_STREAM_KEYSTORE_PASSWORD_FILE=/etc/logward/c83.password
//! ```
//!
//! Each selected record is one message: its value the stored line byte for
//! byte, its key the record's `hostname`, so that one machine's records
//! stay in one partition, in order. `_FORMAT` can only be `ndjson` (the
//! stored line) and `_HEADER_FILE` does not apply; `_COMPRESS=gzip` has the
//! producer compress its message sets (`compression.type=gzip`). TLS is
//! used when any TLS key is set or a broker is not on loopback.

use super::{Format, Keys, Target};
use crate::kafka::{Brokers, KafkaTls, check_topic};

/// A Kafka export's brokers, topic and TLS.
#[derive(Debug, Clone)]
pub struct KafkaTarget {
    /// `_KAFKA_BROKERS`.
    pub brokers: Brokers,
    /// `_KAFKA_TOPIC`.
    pub topic: String,
    /// The export's TLS keys, and whether TLS is used.
    pub tls: KafkaTls,
    /// `_COMPRESS=gzip`: the producer compresses with gzip.
    pub gzip: bool,
}

impl Keys<'_> {
    /// `_KAFKA_BROKERS` and `_KAFKA_TOPIC` (and no HTTPS destination key).
    pub(super) fn kafka(&mut self) -> Option<Target> {
        for suffix in ["URL", "HOSTNAME", "PORT"] {
            if self.get(suffix).is_some() {
                self.fail(
                    suffix,
                    format!(
                        "{} is set too; allowed: an HTTPS destination or a Kafka one, not both",
                        self.key("KAFKA_BROKERS")
                    ),
                );
            }
        }
        let brokers = match self.get("KAFKA_BROKERS").map(|s| s.value.clone()) {
            Some(list) => match Brokers::parse(&list) {
                Ok(brokers) => Some(brokers),
                Err(e) => {
                    self.fail("KAFKA_BROKERS", e.0);
                    None
                }
            },
            None => {
                self.fail(
                    "KAFKA_TOPIC",
                    format!(
                        "{} is not set; a Kafka export needs both",
                        self.key("KAFKA_BROKERS")
                    ),
                );
                None
            }
        };
        let topic = match self.get("KAFKA_TOPIC").map(|s| s.value.clone()) {
            Some(topic) => match check_topic(&topic) {
                Ok(()) => Some(topic),
                Err(e) => {
                    self.fail("KAFKA_TOPIC", e.0);
                    None
                }
            },
            None => {
                self.fail(
                    "KAFKA_BROKERS",
                    format!(
                        "{} is not set; a Kafka export needs both",
                        self.key("KAFKA_TOPIC")
                    ),
                );
                None
            }
        };
        let brokers = brokers?;
        Some(Target::Kafka(KafkaTarget {
            tls: KafkaTls {
                enabled: !brokers.all_loopback(),
                ca_file: None,
                client_cert: None,
            },
            brokers,
            topic: topic?,
            gzip: false,
        }))
    }

    /// Refuses the keys that only HTTPS exports have.
    pub(super) fn kafka_only(
        &mut self,
        format: Option<&Format>,
        header_file: Option<&std::path::PathBuf>,
    ) {
        if format.is_some_and(|f| *f != Format::Ndjson) {
            self.fail(
                "FORMAT",
                "a Kafka message is the stored line; allowed for a Kafka export: ndjson",
            );
        }
        if header_file.is_some() {
            self.fail(
                "HEADER_FILE",
                "allowed only for HTTPS exports; a Kafka export authenticates with its client \
                 certificate",
            );
        }
    }
}

//! The consumer's context: partitions assigned and revoked are told, and
//! librdkafka's errors are kept for messages instead of printed.

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;

use crate::kafka::Errors;

/// Rebalances told through `say`; errors kept.
pub struct GroupContext {
    errors: Errors,
    say: super::Say,
}

impl GroupContext {
    /// A context telling `say`.
    pub fn new(say: super::Say) -> Self {
        GroupContext {
            errors: Errors::default(),
            say,
        }
    }
}

impl ClientContext for GroupContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        self.errors.log(level, fac, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.errors.error(error, reason);
    }
}

impl ConsumerContext for GroupContext {
    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                let partitions: Vec<String> = list
                    .elements()
                    .iter()
                    .map(|e| e.partition().to_string())
                    .collect();
                (self.say)(&format!("assigned partitions [{}]", partitions.join(",")));
            }
            Rebalance::Revoke(_) => (self.say)("partitions revoked"),
            Rebalance::Error(e) => (self.say)(&format!("warning: rebalance failed: {e}")),
        }
    }
}

//! A Kafka destination: each record of a batch is one message of the
//! export's topic, produced with `acks=all` by an idempotent producer, and
//! the batch counts as delivered only once the broker acknowledged every
//! message of it.
//!
//! The message's value is the stored line byte for byte; its key is the
//! record's `hostname` (the origin machine), so one machine's records land
//! in one partition, in order. A batch of which any message failed is
//! sent again whole (the messages acknowledged before are then in the topic
//! twice, with the same `id`: at least once, as everywhere in `ship`):
//!
//! - Retried: connection and TLS failures (librdkafka reconnects on its
//!   own; the attempt ends when its messages time out after the request
//!   timeout), a broker that is not the leader yet, an unknown topic; each
//!   is counted under `connection`, `tls` or `kafka` with the client's last
//!   error in the health. Each failed attempt replaces the producer, so the
//!   next one starts with a new producer id (a producer whose messages
//!   timed out bumps its epoch, which a broker may answer with
//!   `ProducerFenced` for ever).
//! - Refused (split down to the record, then dead-lettered with status 0
//!   and the broker's error): a message the broker will never take (too
//!   large, invalid).

use std::sync::Mutex;
use std::sync::PoisonError;
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use serde::Deserialize;

use super::{Attempt, Destination};
use crate::kafka::{Errors, explain, is_tls_failure};
use crate::ship::Export;
use crate::ship::batch::Body;
use crate::ship::config::{KafkaTarget, Target};

/// What the delivery reports of one attempt came to. Each message carries
/// its attempt's number, so a late report of an earlier attempt is not
/// counted for this one.
#[derive(Debug, Default)]
struct Reports {
    attempt: usize,
    acked: usize,
    first_error: Option<KafkaError>,
}

/// The producer's context: delivery reports and the last client error.
struct Context {
    errors: Errors,
    reports: Mutex<Reports>,
}

impl ClientContext for Context {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        self.errors.log(level, fac, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.errors.error(error, reason);
    }
}

impl ProducerContext for Context {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, attempt: usize) {
        let mut reports = self.reports.lock().unwrap_or_else(PoisonError::into_inner);
        if attempt != reports.attempt {
            return;
        }
        match result {
            Ok(_) => reports.acked += 1,
            Err((error, _)) => {
                reports.first_error.get_or_insert_with(|| error.clone());
            }
        }
    }
}

/// Produces one export's records into its topic.
pub struct KafkaDestination {
    target: KafkaTarget,
    timeout: Duration,
    producer: BaseProducer<Context>,
}

impl std::fmt::Debug for KafkaDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KafkaDestination({}/{})",
            self.target.brokers, self.target.topic
        )
    }
}

/// The one field of a record the message key needs.
#[derive(Deserialize)]
struct Origin<'a> {
    #[serde(borrow)]
    hostname: Option<&'a str>,
}

impl KafkaDestination {
    /// The destination of `export`, each attempt allowed `timeout` for
    /// its acknowledgements; the error names the file at fault.
    pub fn for_export(export: &Export, timeout: Duration) -> anyhow::Result<Self> {
        let Target::Kafka(target) = &export.destination else {
            anyhow::bail!("export {} is not a Kafka export", export.name);
        };
        let producer = producer(target, timeout)
            .map_err(|e| anyhow::anyhow!("export {}: {e:#}", export.name))?;
        Ok(KafkaDestination {
            target: target.clone(),
            timeout,
            producer,
        })
    }

    fn attempt(&mut self, body: &Body) -> Attempt {
        let lines: Vec<&[u8]> = body
            .bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let number = {
            let mut reports = self
                .producer
                .context()
                .reports
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *reports = Reports {
                attempt: reports.attempt + 1,
                ..Reports::default()
            };
            reports.attempt
        };
        for line in &lines {
            let key = serde_json::from_slice::<Origin<'_>>(line)
                .ok()
                .and_then(|o| o.hostname)
                .unwrap_or_default();
            let mut record = BaseRecord::with_opaque_to(&self.target.topic, number)
                .payload(*line)
                .key(key);
            loop {
                match self.producer.send(record) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        record = back;
                        self.producer.poll(Duration::from_millis(50));
                    }
                    Err((error, _)) => return self.failed(&error),
                }
            }
        }
        let _ = self.producer.flush(self.timeout + Duration::from_secs(5));
        let (acked, first_error) = {
            let mut reports = self
                .producer
                .context()
                .reports
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            (reports.acked, reports.first_error.take())
        };
        if acked == lines.len() {
            self.producer.context().errors.take();
            return Attempt::Delivered(0);
        }
        match first_error {
            Some(error) => self.failed(&error),
            None => self.failed(&KafkaError::Flush(RDKafkaErrorCode::OperationTimedOut)),
        }
    }

    /// What a failed attempt comes to; the producer is replaced.
    fn failed(&mut self, error: &KafkaError) -> Attempt {
        let code = error.rdkafka_error_code();
        if matches!(
            code,
            Some(
                RDKafkaErrorCode::MessageSizeTooLarge
                    | RDKafkaErrorCode::InvalidMessage
                    | RDKafkaErrorCode::InvalidMessageSize
                    | RDKafkaErrorCode::InvalidRecord
            )
        ) {
            return Attempt::Refused {
                status: 0,
                why: error.to_string(),
            };
        }
        let last = self.producer.context().errors.last();
        let fatal = self.producer.client().fatal_error();
        // A fresh producer (a new producer id) for the next attempt: after
        // a timeout an idempotent producer bumps its epoch, which brokers
        // may answer with ProducerFenced for ever.
        if let Ok(fresh) = producer(&self.target, self.timeout) {
            self.producer = fresh;
        }
        if let Some((_, why)) = fatal {
            return Attempt::Retry {
                reason: "kafka".to_string(),
                why: format!("the producer failed ({why}) and was started again"),
                retry_after: None,
                timed_out: false,
            };
        }
        let why = explain(
            &self.target.brokers,
            &self.target.tls,
            &error.to_string(),
            last.as_deref(),
        );
        let tls = last.as_deref().is_some_and(is_tls_failure);
        let reason = if tls {
            "tls"
        } else if matches!(
            code,
            Some(
                RDKafkaErrorCode::MessageTimedOut
                    | RDKafkaErrorCode::OperationTimedOut
                    | RDKafkaErrorCode::AllBrokersDown
                    | RDKafkaErrorCode::BrokerTransportFailure
            )
        ) {
            "connection"
        } else {
            "kafka"
        };
        let timed_out = matches!(
            code,
            Some(RDKafkaErrorCode::MessageTimedOut | RDKafkaErrorCode::OperationTimedOut)
        );
        Attempt::Retry {
            reason: reason.to_string(),
            why,
            retry_after: None,
            timed_out,
        }
    }
}

/// An idempotent producer with `acks=all` for `target`.
fn producer(target: &KafkaTarget, timeout: Duration) -> anyhow::Result<BaseProducer<Context>> {
    let mut config = crate::kafka::base_config(&target.brokers, &target.tls)?;
    config
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("message.timeout.ms", timeout.as_millis().to_string())
        .set("linger.ms", "5")
        .set(
            "compression.type",
            if target.gzip { "gzip" } else { "none" },
        );
    let context = Context {
        errors: Errors::default(),
        reports: Mutex::new(Reports::default()),
    };
    config
        .create_with_context(context)
        .map_err(|e| anyhow::anyhow!("cannot start the Kafka producer: {e}"))
}

impl Destination for KafkaDestination {
    fn describe(&self) -> String {
        format!("kafka://{}/{}", self.target.brokers, self.target.topic)
    }

    fn send(&mut self, body: &Body) -> Attempt {
        self.attempt(body)
    }
}

//! What every Kafka client of the tool shares: the base settings, the
//! context that keeps the last connection error, and the probe.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, DeliveryResult, Producer, ProducerContext};

use super::{Brokers, KafkaTls};

/// The last connection or broker error a client reported, shared with
/// whoever reports its health.
#[derive(Debug, Clone, Default)]
pub struct Errors(Arc<Mutex<Option<String>>>);

impl Errors {
    /// Notes `error`.
    pub fn note(&self, error: String) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
    }

    /// The last error since the last [`Errors::take`].
    pub fn take(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// The last error, kept.
    pub fn last(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// librdkafka's errors (and its log lines of level error or worse) are
/// kept, not printed: the tool reports them where they matter.
impl ClientContext for Errors {
    fn log(&self, level: RDKafkaLogLevel, _fac: &str, message: &str) {
        if (level as i32) <= (RDKafkaLogLevel::Error as i32) {
            self.note(message.to_string());
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.note(format!("{reason} ({error})"));
    }
}

/// A producer that only probes delivers nothing.
impl ProducerContext for Errors {
    type DeliveryOpaque = ();

    fn delivery(&self, _: &DeliveryResult<'_>, (): ()) {}
}

/// The settings of every client: the brokers, TLS, quiet logs.
pub(crate) fn base_config(brokers: &Brokers, tls: &KafkaTls) -> anyhow::Result<ClientConfig> {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers.to_string())
        .set("client.id", "logward")
        .set("reconnect.backoff.max.ms", "2000")
        .set_log_level(RDKafkaLogLevel::Error);
    tls.apply(&mut config)?;
    Ok(config)
}

/// Connects to `brokers` (completing the TLS handshake) and reads the
/// metadata of `topic`, within `timeout`: its partition count, or what
/// failed, with what was trusted and presented.
pub fn probe(
    brokers: &Brokers,
    tls: &KafkaTls,
    topic: &str,
    timeout: Duration,
) -> anyhow::Result<usize> {
    let errors = Errors::default();
    let producer: BaseProducer<Errors> = base_config(brokers, tls)?
        .create_with_context(errors.clone())
        .map_err(|e| anyhow::anyhow!("cannot start a Kafka client: {e}"))?;
    let metadata = producer.client().fetch_metadata(Some(topic), timeout);
    // The error callbacks run when the client is polled.
    producer.poll(Duration::from_millis(100));
    let failure = |what: String| {
        anyhow::anyhow!("{}", explain(brokers, tls, &what, errors.last().as_deref()))
    };
    let metadata = metadata.map_err(|e| failure(e.to_string()))?;
    let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else {
        return Err(failure(format!("no metadata for topic {topic}")));
    };
    if let Some(error) = found.error() {
        return Err(anyhow::anyhow!(
            "brokers {brokers}: topic {topic}: {}",
            RDKafkaErrorCode::from(error)
        ));
    }
    Ok(found.partitions().len())
}

/// A failure to reach `brokers`, with the client's last connection error
/// and, for TLS, what was trusted and presented.
pub fn explain(brokers: &Brokers, tls: &KafkaTls, what: &str, last: Option<&str>) -> String {
    let mut text = format!("brokers {brokers}: {what}");
    if let Some(last) = last {
        text.push_str(&format!(": {last}"));
    }
    if tls.enabled {
        let handshake = last.is_some_and(is_tls_failure);
        if handshake {
            text.push_str(&format!(
                "; the TLS handshake failed, {}, {}",
                tls.trusted(),
                tls.presented()
            ));
        } else {
            text.push_str(&format!("; {}, {}", tls.trusted(), tls.presented()));
        }
    }
    text
}

/// Whether librdkafka's error `text` is about TLS (a handshake, a
/// certificate, an alert), not merely about a broker named `ssl://…`.
pub fn is_tls_failure(text: &str) -> bool {
    ["SSL handshake", "SSL routines", "SSL alert", "certificate"]
        .iter()
        .any(|needle| text.contains(needle))
}

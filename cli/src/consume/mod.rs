//! `logward consume`: records of a Kafka topic, read in a consumer group,
//! into the local routing, stdout or a size-rotating file.
//!
//! The consumer joins `--group` (the classic group protocol; partitions
//! are shared with every other member and move when members come and go).
//! Messages are read in batches (what has been fetched, up to 100,000);
//! each batch is written,
//! de-duplicated by `id` through the collector's persistent id index (the
//! `receive` module's), and synced when the output asks for it, and only
//! then are the offsets after it committed. So a consumer killed at any
//! moment loses nothing: what it had not committed is read again by
//! whichever member owns the partition next, and the index drops what this
//! consumer had already written. Records read again by another member
//! (after a rebalance) are dropped by that member's own index only if it
//! wrote them before; downstream, ids tell them apart.
//!
//! - `request`: what to read and where to write.
//! - `output`: the three outputs, behind the id index.
//! - `out_file`: the size-rotating file of `--out-file`.
//! - `group`: the consumer's context: rebalances and errors.

mod group;
mod out_file;
mod output;
mod request;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

pub use request::{ConsumeOutput, ConsumeRequest};

use crate::kafka;
use crate::receive::parse::{self, Kind};

/// Messages read at most before a batch is written. A batch otherwise ends
/// where the messages fetched so far end (the first poll waits, the rest
/// take only what is already there), so records are written, and their
/// offsets committed, as soon as they arrive.
const BATCH: usize = 100_000;
/// How long to wait for the brokers before the consumer gives up starting.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the consumer's notes go (stderr, for the command).
pub type Say = Arc<dyn Fn(&str) + Send + Sync>;

/// What a consumer did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ConsumeSummary {
    /// Records written.
    pub written: u64,
    /// Records dropped as already written (by id).
    pub duplicates: u64,
    /// Messages that are not logward records, skipped.
    pub skipped: u64,
}

/// Reads `request.topic` in `request.group` until `stop` is set; `say`
/// gets the consumer's notes (partitions assigned, skipped messages,
/// commits that failed).
///
/// # Errors
///
/// The brokers cannot be reached or refuse the TLS handshake (the error
/// says what was trusted and presented), a file named cannot be read, or
/// the output cannot be written (nothing of that batch is committed).
pub fn consume(
    request: &ConsumeRequest,
    stop: &AtomicBool,
    say: &Say,
) -> anyhow::Result<ConsumeSummary> {
    kafka::probe(
        &request.brokers,
        &request.tls,
        &request.topic,
        PROBE_TIMEOUT,
    )?;
    let mut output = output::Output::open(request)?;
    let context = group::GroupContext::new(Arc::clone(say));
    let mut config = kafka::base_config(&request.brokers, &request.tls)?;
    config
        .set("group.id", &request.group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set(
            "session.timeout.ms",
            request.session_timeout.as_millis().to_string(),
        )
        .set(
            "heartbeat.interval.ms",
            (request.session_timeout.as_millis() / 4)
                .max(100)
                .to_string(),
        );
    let consumer: BaseConsumer<group::GroupContext> = config
        .create_with_context(context)
        .context("cannot start the Kafka consumer")?;
    consumer
        .subscribe(&[&request.topic])
        .with_context(|| format!("cannot subscribe to topic {}", request.topic))?;
    let mut summary = ConsumeSummary::default();
    let mut warned = None::<Instant>;
    while !stop.load(Ordering::Relaxed) {
        let mut items = Vec::new();
        let mut offsets: BTreeMap<i32, i64> = BTreeMap::new();
        let mut wait = Duration::from_millis(200);
        let mut read = 0;
        while read < BATCH {
            let Some(polled) = consumer.poll(wait) else {
                break;
            };
            wait = Duration::ZERO;
            read += 1;
            let message = match polled {
                Ok(message) => message,
                Err(e) => {
                    if warned.is_none_or(|at| at.elapsed() >= Duration::from_secs(10)) {
                        say(&format!("warning: {e}"));
                        warned = Some(Instant::now());
                    }
                    break;
                }
            };
            let next = offsets.entry(message.partition()).or_insert(0);
            *next = (*next).max(message.offset() + 1);
            let payload = message.payload().unwrap_or_default();
            match parse::parse(payload, true) {
                Ok(parsed) => {
                    for item in parsed {
                        if matches!(item.kind, Kind::Record(_)) {
                            items.push(item);
                        } else {
                            summary.skipped += 1;
                            say(&format!(
                                "warning: partition {} offset {}: not a logward record, skipped",
                                message.partition(),
                                message.offset()
                            ));
                        }
                    }
                }
                Err(refused) => {
                    summary.skipped += 1;
                    say(&format!(
                        "warning: partition {} offset {}: not a logward record ({refused}), skipped",
                        message.partition(),
                        message.offset()
                    ));
                }
            }
        }
        if offsets.is_empty() {
            continue;
        }
        let (written, duplicates) = output.write(&items)?;
        summary.written += written;
        summary.duplicates += duplicates;
        let mut list = TopicPartitionList::new();
        for (partition, next) in &offsets {
            list.add_partition_offset(&request.topic, *partition, Offset::Offset(*next))
                .context("cannot name the offsets to commit")?;
        }
        if let Err(e) = consumer.commit(&list, CommitMode::Sync) {
            say(&format!(
                "warning: offsets not committed ({e}); those records may be read again, and the \
                 id index drops what this consumer already wrote"
            ));
        }
    }
    Ok(summary)
}

//! Delivering one batch, whatever it takes: retries with backoff for what
//! may succeed later, and splitting for what the destination refuses.
//!
//! - Delivered (2xx): counted, and the alert state cleared.
//! - Retry (408, 429, 5xx, timeouts, connection and TLS failures): the
//!   same body again after [`Backoff`] (0.5 s doubling to 30 s, with
//!   jitter) or the server's `Retry-After` (up to 5 minutes), for as long as
//!   it takes; each is counted by reason and may raise `export_failing`.
//! - Refused (another 4xx): the batch is split in halves, each delivered
//!   on its own, down to single records; a single refused record goes to
//!   the dead-letter file (fsynced) with the status and the answer, and is
//!   counted. The rest of the batch is delivered.
//! - Timed out [`SPLIT_AFTER_TIMEOUTS`] times in a row (the client's
//!   timeout, 408, a Kafka message timeout): a batch of more than one
//!   record is split in halves, each delivered on its own (and split
//!   again if it times out too), since a body too large to be taken
//!   within the timeout would otherwise be sent again for ever. A single
//!   record is retried as long as it takes.
//!
//! Only a stop (SIGTERM) ends a delivery early; nothing of the batch is
//! then committed, so it is sent again on the next start.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::batch::Batch;
use super::destination::{Attempt, Destination};
use super::run::ExportContext;
use crate::http::Backoff;

/// The delivery was stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

/// The backoff of the shipper: retried for ever.
pub const BACKOFF: Backoff = Backoff {
    initial: Duration::from_millis(500),
    max: Duration::from_secs(30),
    attempts: u32::MAX,
};

/// Attempts of one body that time out in a row before it is split.
pub const SPLIT_AFTER_TIMEOUTS: u32 = 2;

/// Delivers `batch` to `destination`; `on_wait` runs before each wait to
/// retry (the sources keep looking for new files meanwhile).
pub fn deliver(
    ctx: &ExportContext,
    destination: &mut dyn Destination,
    batch: &Batch,
    stop: &AtomicBool,
    on_wait: &mut dyn FnMut(),
) -> Result<(), Stopped> {
    deliver_range(ctx, destination, batch, 0..batch.len(), stop, on_wait)
}

fn deliver_range(
    ctx: &ExportContext,
    destination: &mut dyn Destination,
    batch: &Batch,
    range: Range<usize>,
    stop: &AtomicBool,
    on_wait: &mut dyn FnMut(),
) -> Result<(), Stopped> {
    let body = batch.body(range.clone(), ctx.export.format, ctx.export.gzip);
    let mut retry = 0;
    let mut timeouts = 0;
    // Ends only to split the range; every other way out returns.
    loop {
        match destination.send(&body) {
            Attempt::Delivered(_) => {
                let now = ctx.now();
                ctx.with_health(|h| h.success(body.records, body.raw_len, body.bytes.len(), now));
                ctx.alert_tick();
                return Ok(());
            }
            Attempt::Retry {
                reason,
                why,
                retry_after,
                timed_out,
            } => {
                retry += 1;
                timeouts = if timed_out { timeouts + 1 } else { 0 };
                let now = ctx.now();
                ctx.with_health(|h| h.retry(&reason, &why, now));
                ctx.alert_tick();
                ctx.save_health_soon();
                if timeouts >= SPLIT_AFTER_TIMEOUTS && range.len() > 1 {
                    break;
                }
                on_wait();
                let wait = BACKOFF.delay_after(retry, retry_after.as_deref());
                sleep_unless_stopped(wait, stop)?;
            }
            Attempt::Refused { status, why } => {
                let now = ctx.now();
                ctx.with_health(|h| h.fail(&format!("status {status}: {why}"), now));
                if range.len() > 1 {
                    break;
                }
                return dead_letter(ctx, batch, range.start, status, &why, stop);
            }
        }
    }
    let mid = range.start + range.len() / 2;
    deliver_range(ctx, destination, batch, range.start..mid, stop, on_wait)?;
    deliver_range(ctx, destination, batch, mid..range.end, stop, on_wait)
}

/// Keeps record `i` in the dead-letter file, retrying a failed write.
fn dead_letter(
    ctx: &ExportContext,
    batch: &Batch,
    i: usize,
    status: u16,
    why: &str,
    stop: &AtomicBool,
) -> Result<(), Stopped> {
    let record: Value = serde_json::from_slice(batch.record(i)).unwrap_or(Value::Null);
    let mut line = json!({
        "refused_at": super::health::time_text(ctx.now()),
        "export": ctx.export.name,
        "status": status,
        "answer": why.chars().take(1024).collect::<String>(),
        "record": record,
    })
    .to_string();
    line.push('\n');
    let path = ctx.state.dead_letter_file(&ctx.export.name);
    let mut retry = 0;
    loop {
        match ctx.state.append(&path, line.as_bytes()) {
            Ok(()) => {
                ctx.with_health(|h| h.dead_lettered += 1);
                return Ok(());
            }
            Err(e) => {
                retry += 1;
                let now = ctx.now();
                ctx.with_health(|h| h.fail(&format!("{e:#}"), now));
                sleep_unless_stopped(BACKOFF.delay(retry), stop)?;
            }
        }
    }
}

/// Sleeps `wait` in short steps, ending early with [`Stopped`].
pub fn sleep_unless_stopped(wait: Duration, stop: &AtomicBool) -> Result<(), Stopped> {
    let end = Instant::now() + wait;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(Stopped);
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

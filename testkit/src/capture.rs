//! Capturing the records a closure logs, as parsed JSON.

use std::io::Write;
use std::sync::{Arc, Mutex};

use logward::{Builder, Level, Logward, ManualClock};
use serde_json::{Map, Value};

/// A `Write` whose bytes the test can read afterwards.
#[derive(Clone, Default)]
pub struct SharedBuf(pub Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.lock() {
            Ok(mut v) => v.extend_from_slice(buf),
            Err(p) => p.into_inner().extend_from_slice(buf),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    pub fn text(&self) -> String {
        let bytes = match self.0.lock() {
            Ok(v) => v.clone(),
            Err(p) => p.into_inner().clone(),
        };
        String::from_utf8(bytes).expect("records are UTF-8")
    }
}

/// 2026-11-22T04:30:00.123456Z
pub const FIXED_MICROS: i64 = 1_795_321_800_123_456;

/// Runs `f` under a logward subscriber at `level` with a fixed clock and
/// returns every line written, raw.
pub fn capture_raw(builder: Builder, f: impl FnOnce()) -> String {
    use tracing_subscriber::layer::SubscriberExt;
    let buf = SharedBuf::default();
    let logward = builder
        .with_writer(buf.clone())
        .with_clock(ManualClock::new(FIXED_MICROS))
        .with_panic_hook(false)
        .build()
        .expect("logward builds");
    let (layer, guard) = logward.into_parts();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, f);
    drop(guard);
    buf.text()
}

/// Parses every line as one JSON object, asserting that each is one.
pub fn parse_lines(text: &str) -> Vec<Map<String, Value>> {
    text.lines()
        .map(|line| match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => map,
            other => panic!("not a JSON object: {line:?} ({other:?})"),
        })
        .collect()
}

/// The records `f` logged at `level` and above, without the runtime's own
/// `logging_started` / `logging_stopped` records.
pub fn capture_at(level: Level, f: impl FnOnce()) -> Vec<Map<String, Value>> {
    let text = capture_raw(Logward::builder().with_level(level), f);
    parse_lines(&text)
        .into_iter()
        .filter(|r| {
            !matches!(
                r.get("action").and_then(Value::as_str),
                Some("logging_started" | "logging_stopped")
            )
        })
        .collect()
}

/// The records `f` logged at debug and above.
pub fn capture(f: impl FnOnce()) -> Vec<Map<String, Value>> {
    capture_at(Level::Debug, f)
}

/// The keys of a record, in order.
pub fn keys(record: &Map<String, Value>) -> Vec<&str> {
    record.keys().map(String::as_str).collect()
}

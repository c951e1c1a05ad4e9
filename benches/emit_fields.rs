//! Cost of a record with many fields written through `Guard::emit` (what
//! `logward emit key=value ...` does), against a peer measured in the same
//! run: the same fields collected into a `serde_json::Map`, whose hashing
//! also keeps one value per key. Each key is given twice, so the record
//! de-duplicates half of the fields.
//!
//! ```text
//! cargo bench --bench emit_fields
//! ```
//!
//! The table shows nanoseconds per field for growing counts; with linear
//! de-duplication logward's column stays flat as the peer's does, and the
//! ratio stays the same from the smallest count to the largest.

use std::hint::black_box;
use std::time::Instant;

use logward::{Level, LogType, Logward};
use serde_json::Value;

/// `count` fields of `count / 2` keys, each key twice.
fn fields(count: usize) -> Vec<(String, Value)> {
    (0..count)
        .map(|i| (format!("k{}", i % (count / 2)), Value::from(i)))
        .collect()
}

/// The fastest of `rounds` runs of `f`, in nanoseconds per field.
fn per_field(count: usize, rounds: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        f();
        best = best.min(start.elapsed().as_nanos() as f64 / count as f64);
    }
    best
}

fn main() {
    let logward = Logward::builder()
        .with_writer(std::io::sink())
        .with_lifecycle_records(false)
        .with_panic_hook(false)
        .build()
        .expect("logward builds");
    let (_layer, guard) = logward.into_parts::<tracing_subscriber::Registry>();
    println!("fields   logward ns/field   serde_json::Map ns/field   ratio");
    for count in [1_000, 4_000, 16_000, 64_000] {
        let fields = fields(count);
        let ours = per_field(count, 5, || {
            guard.emit(LogType::Application, Level::Info, &fields, None);
            guard.flush();
        });
        let peer = per_field(count, 5, || {
            let map: serde_json::Map<String, Value> = fields.iter().cloned().collect();
            black_box(serde_json::to_vec(&map).expect("serialises"));
        });
        println!(
            "{count:>6}   {ours:>16.1}   {peer:>24.1}   {:>5.2}",
            ours / peer
        );
    }
}

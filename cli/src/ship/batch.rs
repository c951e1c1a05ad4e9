//! A batch of records and its request body in the export's format.
//!
//! | `_FORMAT` | body | `Content-Type` |
//! |---|---|---|
//! | `ndjson` | the stored lines byte for byte, each ending in `\n` | `application/x-ndjson` |
//! | `json` | `[line,line,…]` | `application/json` |
//! | `hec` | one Splunk HEC envelope per line: `{"time":1764600130.123456,"host":"web-1","source":"logward","sourcetype":"logward:audit","event":{…the record…}}` | `application/json` |
//!
//! `time` is the record's `created_at` in epoch seconds with microseconds,
//! `host` its `hostname`. With `_COMPRESS=gzip` the body is gzip-compressed
//! and sent with `Content-Encoding: gzip`.

use std::io::Write;
use std::ops::Range;
use std::time::Instant;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Map, Value};

use super::Format;
use super::source::Mark;

/// Records read for one request, and how far each source was read.
#[derive(Debug)]
pub struct Batch {
    buf: Vec<u8>,
    records: Vec<Range<usize>>,
    /// The mark after the last line read from each source, selected or not.
    pub marks: Vec<Option<Mark>>,
    /// When the first record was added.
    pub started: Option<Instant>,
}

/// A request body.
#[derive(Debug, Clone)]
pub struct Body {
    /// What is sent.
    pub bytes: Vec<u8>,
    /// Its length before compression.
    pub raw_len: usize,
    /// How many records it holds.
    pub records: usize,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its `Content-Encoding`, when compressed.
    pub encoding: Option<&'static str>,
}

impl Batch {
    /// An empty batch over `sources` sources.
    pub fn new(sources: usize) -> Batch {
        Batch {
            buf: Vec::new(),
            records: Vec::new(),
            marks: vec![None; sources],
            started: None,
        }
    }

    /// Adds a record.
    pub fn push(&mut self, line: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(line);
        self.records.push(start..self.buf.len());
        self.started.get_or_insert_with(Instant::now);
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The bytes of its records, one newline each included.
    pub fn bytes(&self) -> usize {
        self.buf.len() + self.records.len()
    }

    /// Record `i`.
    pub fn record(&self, i: usize) -> &[u8] {
        &self.buf[self.records[i].clone()]
    }

    /// The body of records `range` in `format`, compressed if `gzip`.
    pub fn body(&self, range: Range<usize>, format: Format, gzip: bool) -> Body {
        let mut raw = Vec::with_capacity(self.buf.len() + 2 * self.records.len() + 2);
        let records = range.len();
        match format {
            Format::Ndjson => {
                for i in range {
                    raw.extend_from_slice(self.record(i));
                    raw.push(b'\n');
                }
            }
            Format::Json => {
                raw.push(b'[');
                for (n, i) in range.enumerate() {
                    if n > 0 {
                        raw.push(b',');
                    }
                    raw.extend_from_slice(self.record(i));
                }
                raw.push(b']');
            }
            Format::Hec => {
                for i in range {
                    hec_envelope(self.record(i), &mut raw);
                    raw.push(b'\n');
                }
            }
        }
        let content_type = match format {
            Format::Ndjson => "application/x-ndjson",
            Format::Json | Format::Hec => "application/json",
        };
        let raw_len = raw.len();
        if !gzip {
            return Body {
                bytes: raw,
                raw_len,
                records,
                content_type,
                encoding: None,
            };
        }
        let mut encoder = GzEncoder::new(Vec::with_capacity(raw_len / 4), Compression::new(3));
        // Writing to a Vec cannot fail.
        let bytes = encoder
            .write_all(&raw)
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        Body {
            bytes,
            raw_len,
            records,
            content_type,
            encoding: Some("gzip"),
        }
    }
}

/// Appends the HEC envelope of `record` (a JSON object) to `out`.
fn hec_envelope(record: &[u8], out: &mut Vec<u8>) {
    let fields: Map<String, Value> = serde_json::from_slice(record).unwrap_or_default();
    let text = |key: &str| fields.get(key).and_then(Value::as_str).unwrap_or_default();
    let time = crate::bundle::parse_created_at(text("created_at"))
        .map(|micros| Value::from(micros as f64 / 1e6))
        .unwrap_or(Value::Null);
    let head = serde_json::json!({
        "time": time,
        "host": text("hostname"),
        "source": "logward",
        "sourcetype": format!("logward:{}", text("log_type")),
    });
    let head = head.to_string();
    out.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
    out.extend_from_slice(b",\"event\":");
    out.extend_from_slice(record);
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    const A: &str = r#"{"id":"a","created_at":"2026-12-01T14:42:10.123456Z","hostname":"web-1","level":"info","log_type":"audit","pid":1}"#;
    const B: &str = r#"{"id":"b","created_at":"2026-12-01T14:42:11.000000Z","hostname":"web-1","level":"error","log_type":"web","pid":1}"#;

    fn batch() -> Batch {
        let mut batch = Batch::new(1);
        batch.push(A.as_bytes());
        batch.push(B.as_bytes());
        batch
    }

    #[test]
    fn ndjson_is_the_stored_lines_byte_for_byte() {
        let body = batch().body(0..2, Format::Ndjson, false);
        assert_eq!(body.bytes, format!("{A}\n{B}\n").as_bytes());
        assert_eq!((body.records, body.raw_len), (2, A.len() + B.len() + 2));
        let one = batch().body(1..2, Format::Ndjson, false);
        assert_eq!(one.bytes, format!("{B}\n").as_bytes());
    }

    #[test]
    fn json_is_an_array_and_hec_wraps_each_record() {
        let body = batch().body(0..2, Format::Json, false);
        let parsed: Value = serde_json::from_slice(&body.bytes).expect("json");
        assert_eq!(parsed[1]["id"], "b");
        let body = batch().body(0..2, Format::Hec, false);
        let text = String::from_utf8(body.bytes).expect("utf-8");
        let first: Value = serde_json::from_str(text.lines().next().expect("line")).expect("json");
        assert_eq!(first["time"], 1_796_136_130.123_456);
        assert_eq!(first["host"], "web-1");
        assert_eq!(first["sourcetype"], "logward:audit");
        assert_eq!(first["event"]["id"], "a");
    }

    #[test]
    fn gzip_bodies_decompress_to_the_raw_body() {
        let body = batch().body(0..2, Format::Ndjson, true);
        assert_eq!(body.encoding, Some("gzip"));
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&body.bytes[..])
            .read_to_end(&mut raw)
            .expect("gzip");
        assert_eq!(raw, format!("{A}\n{B}\n").as_bytes());
        assert_eq!(body.raw_len, raw.len());
    }
}

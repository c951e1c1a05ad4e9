//! What a record is and how it is rendered.
//!
//! A record is one flat JSON object on one line. Keys come in this order: the
//! required fields, then context fields (from enclosing spans), then the
//! event's own fields in the order given, then `message`, then `stacktrace`:
//!
//! ```text
//! {"id":"5b7c0f0e-8f3a-4b8e-9c1d-2a6f4e1b9d30","created_at":"2026-11-22T04:30:00.123456Z","hostname":"web-1","level":"info","log_type":"audit","pid":4242,"request_id":"0b1d…","user_name":"alice","action":"login_attempt","access_granted":true,"client_ip":"10.0.0.7","message":"login"}
//! ```
//!
//! Required fields always carry the runtime's values. A span or event field
//! with a required name (or `stacktrace`, or itself starting with `fields.`)
//! is kept under `fields.<name>`.

mod id;
pub(crate) mod json;
mod timestamp;

use std::collections::HashMap;
use std::sync::Arc;

use crate::{Clock, Level, LogType};

pub use id::new_uuid;
pub use timestamp::push_rfc3339;

/// Keys that only the runtime sets, in record order.
pub const REQUIRED_FIELDS: [&str; 6] = ["id", "created_at", "hostname", "level", "log_type", "pid"];

/// Prefix under which a field that collides with a runtime key is kept.
pub const RENAMED_PREFIX: &str = "fields.";

/// Whether a field named `key` is kept under [`RENAMED_PREFIX`]: a key the
/// runtime sets, or one that already starts with the prefix, so that a
/// renamed field can never meet a given field of the same name.
pub(crate) fn is_reserved(key: &str) -> bool {
    REQUIRED_FIELDS.contains(&key) || key == "stacktrace" || key.starts_with(RENAMED_PREFIX)
}

/// The text before a record's id.
const ID_KEY: &[u8] = b"{\"id\":\"";
/// The text between a record's id and its time.
const CREATED_AT_KEY: &[u8] = b"\",\"created_at\":\"";
/// Where a record's id, the key after it and its time begin.
const ID_AT: usize = ID_KEY.len();
const CREATED_AT: usize = ID_AT + id::UUID_LEN;
const TIME_AT: usize = CREATED_AT + CREATED_AT_KEY.len();

/// The `created_at` text of a line that begins as [`RecordContext::begin`]
/// begins a record, or nothing for any other line. Times written this way
/// all have one length and format, so their text sorts as they do: a
/// writer merging the records of several threads orders them by it.
pub(crate) fn created_at(line: &[u8]) -> &[u8] {
    match line.get(TIME_AT..TIME_AT + timestamp::RFC3339_LEN) {
        Some(time) if line.starts_with(ID_KEY) && &line[CREATED_AT..TIME_AT] == CREATED_AT_KEY => {
            time
        }
        _ => &[],
    }
}

/// What every record shares: host, process and clock, read once at init.
pub(crate) struct RecordContext {
    /// Per level and log type, the text from the end of `created_at` to
    /// the end of `pid`: the same for every record of that level and type,
    /// so it is made once.
    tails: [[Vec<u8>; 5]; 5],
    clock: Arc<dyn Clock>,
}

impl RecordContext {
    /// Captures the hostname and process id now.
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        let name = rustix::system::uname();
        let hostname = name.nodename().to_string_lossy().into_owned();
        Self::with_host(clock, &hostname, std::process::id())
    }

    /// A context with the given host and pid (tests render fixed records).
    pub(crate) fn with_host(clock: Arc<dyn Clock>, hostname: &str, pid: u32) -> Self {
        let tail = |level: Level, log_type: LogType| {
            let mut out = b"\",\"hostname\":".to_vec();
            json::push_str(&mut out, hostname);
            out.extend_from_slice(b",\"level\":\"");
            out.extend_from_slice(level.as_str().as_bytes());
            out.extend_from_slice(b"\",\"log_type\":\"");
            out.extend_from_slice(log_type.as_str().as_bytes());
            out.extend_from_slice(b"\",\"pid\":");
            json::push_int(&mut out, pid);
            out
        };
        RecordContext {
            tails: Level::ALL.map(|level| LogType::ALL.map(|log_type| tail(level, log_type))),
            clock,
        }
    }

    /// Starts a record in `out`: `{` and the required fields, without a
    /// trailing comma. Continue with [`push_key`] and finish with [`finish`].
    pub(crate) fn begin(&self, out: &mut Vec<u8>, level: Level, log_type: LogType) {
        // The id and the time are written into one fixed-size head, which
        // is appended with one copy.
        let mut head = [0u8; TIME_AT + timestamp::RFC3339_LEN];
        head[..ID_AT].copy_from_slice(ID_KEY);
        id::write_uuid(&mut head[ID_AT..CREATED_AT]);
        head[CREATED_AT..TIME_AT].copy_from_slice(CREATED_AT_KEY);
        timestamp::write_rfc3339(&mut head[TIME_AT..], self.clock.now_micros());
        out.extend_from_slice(&head);
        out.extend_from_slice(&self.tails[level.index()][log_type.index()]);
    }

    /// Renders a whole record that does not come from a `tracing` event
    /// (the runtime's own records, `logward emit`): its fields in order,
    /// then the message. Reserved keys are kept under `fields.<name>`; a
    /// key given twice keeps its last value.
    pub(crate) fn render<K: AsRef<str>>(
        &self,
        out: &mut Vec<u8>,
        level: Level,
        log_type: LogType,
        fields: &[(K, serde_json::Value)],
        message: Option<&str>,
    ) {
        self.begin(out, level, log_type);
        // The index of each key's last occurrence, so that a record of many
        // fields (`logward emit` with thousands of arguments) is rendered in
        // linear time.
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(fields.len());
        for (i, (key, _)) in fields.iter().enumerate() {
            last.insert(key.as_ref(), i);
        }
        for (i, (key, value)) in fields.iter().enumerate() {
            let key = key.as_ref();
            if last.get(key) != Some(&i) {
                continue;
            }
            if is_reserved(key) || key == "message" {
                push_key(out, &format!("{RENAMED_PREFIX}{key}"));
            } else {
                push_key(out, key);
            }
            // Serialising a `Value` into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, value);
        }
        if let Some(message) = message {
            push_key(out, "message");
            json::push_str(out, message);
        }
        finish(out);
    }
}

/// Appends `,"key":` (the key escaped).
pub(crate) fn push_key(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(b",\"");
    json::push_escaped(out, key);
    out.extend_from_slice(b"\":");
}

/// Closes the record: `}` and the newline.
pub(crate) fn finish(out: &mut Vec<u8>) {
    out.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;
    use serde_json::{Value, json};

    #[test]
    fn runtime_record_has_required_fields_in_order() {
        let clock = ManualClock::new(1_795_321_800_123_456);
        let ctx = RecordContext::with_host(Arc::new(clock), "host\"1", 42);
        let mut out = Vec::new();
        ctx.render(
            &mut out,
            Level::Critical,
            LogType::Audit,
            &[
                ("action", json!("logging_started")),
                ("n", json!(3)),
                ("pid", json!(1)),
            ],
            Some("started"),
        );
        assert_eq!(out.last(), Some(&b'\n'));
        let v: serde_json::Map<String, Value> = serde_json::from_slice(&out).expect("json");
        let keys: Vec<&str> = v.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "id",
                "created_at",
                "hostname",
                "level",
                "log_type",
                "pid",
                "action",
                "n",
                "fields.pid",
                "message"
            ]
        );
        assert_eq!(v["created_at"], "2026-11-22T04:30:00.123456Z");
        assert_eq!(v["hostname"], "host\"1");
        assert_eq!(v["level"], "critical");
        assert_eq!(v["log_type"], "audit");
        assert_eq!(v["pid"], 42);
        assert_eq!(v["n"], 3);
        assert_eq!(v["fields.pid"], 1);
    }

    #[test]
    fn created_at_is_read_from_its_place_and_only_there() {
        let clock = ManualClock::new(1_795_321_800_123_456);
        let ctx = RecordContext::with_host(Arc::new(clock), "h", 1);
        let mut out = Vec::new();
        ctx.render::<&str>(&mut out, Level::Info, LogType::Web, &[], None);
        assert_eq!(created_at(&out), b"2026-11-22T04:30:00.123456Z");
        let moved = String::from_utf8_lossy(&out).replacen("\"created_at\"", "\"created_by\"", 1);
        assert_eq!(created_at(moved.as_bytes()), b"");
        assert_eq!(created_at(b"{\"id\":\"short\"}\n"), b"");
        assert_eq!(created_at(b""), b"");
    }
}

//! The journald sink: one record per datagram in journald's native protocol.
//!
//! Each record becomes one datagram on `/run/systemd/journal/socket` with
//! these fields:
//!
//! - `MESSAGE`: the JSON record, exactly the line a file would get (without
//!   its newline);
//! - `PRIORITY`: from the level (debug 7, info 6, warning 4, error 3,
//!   critical 2);
//! - `SYSLOG_IDENTIFIER`: the identifier the sink was made with;
//! - one field per key of the record, its name upper-cased, except
//!   `message` (already in `MESSAGE`), the keys whose values journald has
//!   from its own trusted fields: `created_at` (journald keeps its own
//!   time), `hostname` (`_HOSTNAME`), `pid` (`_PID`) and `level` (as
//!   `PRIORITY`), and `id`. String values are sent as they are, other
//!   values as compact JSON text.
//!
//! The record in `MESSAGE` keeps every key, so what reads the journal back
//! (bundle, ship, verify) gets the whole record. The host, the process and
//! the level are queried with `journalctl _HOSTNAME=`, `_PID=` and
//! `PRIORITY=`: journald sets the first two itself, so no client can forge
//! them, and each saves journald a field to look up on every entry. The
//! `id` is not a field: unique to every record, it would cost journald a
//! new data object, and its hash table and index entries, on every entry
//! (the throughput bench's `logward + ID field` case measures what it
//! costs journald), while nothing reads the journal by id; a record is
//! found by its id in `MESSAGE` (`journalctl LOG_TYPE=audit -o cat | grep
//! <id>`), and `bundle` and `ship` read it there.
//!
//! So the record
//!
//! ```text
//! {"id":"…","created_at":"…","level":"info","log_type":"audit","action":"login_attempt","access_granted":true,"user_name":"alice"}
//! ```
//!
//! can be found with `journalctl LOG_TYPE=audit ACTION=login_attempt
//! USER_NAME=alice`, and carries `ACCESS_GRANTED=true`. Record keys are
//! sanitised (see the `fields` module): a record can never set a trusted
//! `_`-prefixed field, nor `PRIORITY`, `MESSAGE`, `SYSLOG_*`, `CODE_*` or the
//! other user journal fields of `systemd.journal-fields(7)`, nor a second
//! `LOG_TYPE`, nor any `ID`, `LEVEL`, `HOSTNAME` or `PID`; such keys
//! arrive prefixed with `F_` (`priority` becomes `F_PRIORITY`, `_pid`
//! becomes `F__PID`, `Log-Type` becomes `F_LOG_TYPE`, `Hostname` becomes
//! `F_HOSTNAME`). A line that is not a JSON object is still sent, as
//! `MESSAGE` with `PRIORITY` and `SYSLOG_IDENTIFIER` only.
//!
//! journald drops a whole entry, silently, when it has more than 1,024
//! fields ([`ENTRY_FIELDS_MAX`]) or more than 770 MiB
//! ([`ENTRY_BYTES_MAX`]). So the per-key fields are capped: at most
//! [`KEY_FIELDS_MAX`] of them, in record order, and at most
//! [`KEY_FIELD_BYTES_MAX`] of field bytes in all (a field that does not fit
//! is left out, later smaller ones still go). `MESSAGE` always holds the
//! whole record, so nothing of the record is lost; what was left out is
//! told by [`Sink::take_trimmed`] (the writer counts it in
//! [`Stats::trimmed`](super::Stats) and says so once in a
//! `journald_fields_omitted` record). A record whose `MESSAGE` alone is over
//! journald's 768 MiB field limit ([`MESSAGE_BYTES_MAX`]) is refused by
//! [`Sink::append`] with an error, so the writer re-routes it.
//!
//! A record too large for one datagram (the kernel answers `EMSGSIZE` or
//! `ENOBUFS`) is written to a sealed memfd whose descriptor is passed to
//! journald in an empty datagram, as the native protocol provides.
//!
//! The socket is never connected: every record is addressed to the socket
//! path anew, so records flow again as soon as a restarted journald is
//! listening. While none is, [`Sink::append`] returns the error (`ENOENT`,
//! `ECONNREFUSED`) and the writer thread re-routes the record.

mod fields;

use std::fs::File;
use std::io::{self, IoSlice, Write};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{MemfdFlags, SealFlags};
use rustix::io::Errno;
use rustix::net::{
    AddressFamily, SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketAddrUnix,
    SocketFlags, SocketType,
};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use super::{Entry, Sink, Trimmed};
use fields::FieldNames;

/// Most fields journald stores for one entry (`ENTRY_FIELD_COUNT_MAX`);
/// an entry with more is dropped whole.
pub const ENTRY_FIELDS_MAX: usize = 1024;

/// Most bytes journald takes for one entry (`ENTRY_SIZE_MAX`, 770 MiB);
/// a larger entry is dropped whole.
pub const ENTRY_BYTES_MAX: usize = 770 * 1024 * 1024;

/// Most bytes of one field journald takes (`DATA_SIZE_MAX`, 768 MiB): the
/// largest record the sink can send, as `MESSAGE`.
pub const MESSAGE_BYTES_MAX: usize = 768 * 1024 * 1024;

/// Most per-key fields sent for one record: journald's limit less
/// `MESSAGE`, `PRIORITY` and `SYSLOG_IDENTIFIER`.
pub const KEY_FIELDS_MAX: usize = ENTRY_FIELDS_MAX - 3;

/// Most bytes (names, values and separators) of a record's per-key fields
/// together (16 MiB): with `MESSAGE` at its limit the entry stays within
/// [`ENTRY_BYTES_MAX`].
pub const KEY_FIELD_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Path of journald's native protocol socket.
pub const JOURNALD_SOCKET: &str = "/run/systemd/journal/socket";

/// Whether journald is listening on [`JOURNALD_SOCKET`]: the socket exists
/// and a datagram can be addressed to it. Sends nothing.
pub fn journald_available() -> bool {
    journald_available_at(Path::new(JOURNALD_SOCKET))
}

/// Whether a journald is listening on the native protocol socket at
/// `socket_path` (a journald namespace listens on
/// `/run/systemd/journal.<namespace>/socket`). Sends nothing.
pub fn journald_available_at(socket_path: &Path) -> bool {
    let Ok(addr) = SocketAddrUnix::new(socket_path) else {
        return false;
    };
    unix_datagram_socket()
        .and_then(|socket| rustix::net::connect(&socket, &addr).map_err(io::Error::from))
        .is_ok()
}

/// A [`Sink`] that sends records to systemd-journald.
///
/// ```no_run
/// use logward::sink::{Entry, JournaldSink, Sink};
/// use logward::{Level, LogType};
///
/// let mut sink = JournaldSink::connect("my-service")?;
/// sink.append(&Entry {
///     line: b"{\"level\":\"info\",\"log_type\":\"application\",\"message\":\"hello\"}\n",
///     level: Level::Info,
///     log_type: LogType::Application,
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct JournaldSink {
    socket: OwnedFd,
    addr: SocketAddrUnix,
    path: PathBuf,
    identifier: String,
    /// The datagram being built; kept across records so its memory is reused.
    datagram: Vec<u8>,
    /// The field name being built; kept across records like `datagram`.
    name: String,
    /// The `id` of the record being encoded, empty when it has none; kept
    /// across records like `datagram`.
    id: String,
    /// What the last encoded record's entry left out, if anything.
    trimmed: Option<Trimmed>,
}

impl JournaldSink {
    /// A sink for journald's socket [`JOURNALD_SOCKET`], with `identifier` as
    /// `SYSLOG_IDENTIFIER` (usually the program name).
    ///
    /// journald need not be running yet: this only creates the socket, and
    /// each [`Sink::append`] addresses journald anew. Use
    /// [`journald_available`] to ask whether it is running now.
    pub fn connect(identifier: &str) -> io::Result<JournaldSink> {
        JournaldSink::connect_to(JOURNALD_SOCKET, identifier)
    }

    /// A sink that sends to the native protocol socket at `socket_path`
    /// instead of journald's usual one. Fails if the socket cannot be
    /// created or the path is too long for a unix socket address.
    pub fn connect_to(socket_path: impl AsRef<Path>, identifier: &str) -> io::Result<JournaldSink> {
        let path = socket_path.as_ref().to_path_buf();
        Ok(JournaldSink {
            socket: unix_datagram_socket()?,
            addr: SocketAddrUnix::new(path.as_path())?,
            path,
            identifier: identifier.to_owned(),
            datagram: Vec::new(),
            name: String::new(),
            id: String::new(),
            trimmed: None,
        })
    }

    /// Fills `self.datagram` with the fields for `entry`, and
    /// `self.trimmed` with what was left out. Fails for a record larger than
    /// journald takes.
    fn encode(&mut self, entry: &Entry<'_>) -> io::Result<()> {
        let datagram = &mut self.datagram;
        datagram.clear();
        self.id.clear();
        self.trimmed = None;
        let line = entry.line.strip_suffix(b"\n").unwrap_or(entry.line);
        if line.len() > MESSAGE_BYTES_MAX {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a record of {} bytes is larger than journald takes ({MESSAGE_BYTES_MAX} bytes)",
                    line.len()
                ),
            ));
        }
        put_field(datagram, "MESSAGE", line);
        let priority = [b'0' + entry.level.journald_priority()];
        put_field(datagram, "PRIORITY", &priority);
        put_field(datagram, "SYSLOG_IDENTIFIER", self.identifier.as_bytes());

        let fixed = datagram.len();
        let mut budget = Budget {
            fields_left: KEY_FIELDS_MAX,
            bytes_left: KEY_FIELD_BYTES_MAX,
            trimmed: Trimmed::default(),
        };
        let mut parser = serde_json::Deserializer::from_slice(line);
        let record = RecordFields {
            datagram: &mut *datagram,
            name: &mut self.name,
            id: &mut self.id,
            names: FieldNames::new(),
            budget: &mut budget,
        };
        if record
            .deserialize(&mut parser)
            .and_then(|()| parser.end())
            .is_err()
        {
            // Not one JSON object: the line alone is the record.
            datagram.truncate(fixed);
        } else if budget.trimmed.fields_omitted > 0 {
            let record_id = (!self.id.is_empty()).then(|| self.id.clone());
            self.trimmed = Some(Trimmed {
                record_id,
                ..budget.trimmed
            });
        }
        Ok(())
    }

    /// Sends the datagram through a sealed memfd, for records too large for
    /// one datagram.
    fn send_as_memfd(&self) -> io::Result<()> {
        let memfd = rustix::fs::memfd_create(
            "logward-journald",
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )?;
        let mut file = File::from(memfd);
        file.write_all(&self.datagram)?;
        rustix::fs::fcntl_add_seals(
            &file,
            SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE | SealFlags::SEAL,
        )?;
        let fds = [file.as_fd()];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
            return Err(io::Error::other("no room to pass the memfd to journald"));
        }
        let empty: [IoSlice<'_>; 0] = [];
        rustix::net::sendmsg_addr(
            &self.socket,
            &self.addr,
            &empty,
            &mut control,
            SendFlags::empty(),
        )?;
        Ok(())
    }
}

impl Sink for JournaldSink {
    fn append(&mut self, entry: &Entry<'_>) -> io::Result<()> {
        self.encode(entry)?;
        match rustix::net::sendto(&self.socket, &self.datagram, SendFlags::empty(), &self.addr) {
            Ok(_) => Ok(()),
            Err(Errno::MSGSIZE | Errno::NOBUFS) => self.send_as_memfd(),
            Err(errno) => Err(io::Error::from(errno)),
        }
    }

    /// Nothing to do: each record is handed to journald when appended.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// What the entry of the record last appended left out of its per-key
    /// fields (see the module docs), taken once.
    fn take_trimmed(&mut self) -> Option<Trimmed> {
        self.trimmed.take()
    }

    fn describe(&self) -> String {
        if self.path == Path::new(JOURNALD_SOCKET) {
            "journald".to_owned()
        } else {
            format!("journald {}", self.path.display())
        }
    }
}

/// An unbound, unconnected unix datagram socket.
fn unix_datagram_socket() -> io::Result<OwnedFd> {
    Ok(rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        None,
    )?)
}

/// Appends one field to a datagram: `NAME=value\n`, or, when the value has a
/// newline, the binary form `NAME\n`, the value's length as 64-bit little
/// endian, the value, `\n`.
fn put_field(datagram: &mut Vec<u8>, name: &str, value: &[u8]) {
    datagram.extend_from_slice(name.as_bytes());
    if value.contains(&b'\n') {
        datagram.push(b'\n');
        datagram.extend_from_slice(&(value.len() as u64).to_le_bytes());
    } else {
        datagram.push(b'=');
    }
    datagram.extend_from_slice(value);
    datagram.push(b'\n');
}

/// Appends a field whose value serde_json writes (numbers, nested values).
/// Compact JSON has no raw newline, so the text form always fits.
fn put_json_field(
    datagram: &mut Vec<u8>,
    name: &str,
    value: &impl serde::Serialize,
) -> serde_json::Result<()> {
    datagram.extend_from_slice(name.as_bytes());
    datagram.push(b'=');
    serde_json::to_writer(&mut *datagram, value)?;
    datagram.push(b'\n');
    Ok(())
}

/// Keys whose values are not sent as fields of their own: `message` is in
/// `MESSAGE`; journald has `created_at`, `hostname`, `pid` and `level`
/// already, from fields a client cannot forge (the entry's own timestamps,
/// `_HOSTNAME`, `_PID` and `PRIORITY`); and `id`, unique to every record,
/// would cost journald a new data object and index entry for every entry
/// (see the module docs). Each stays in the record in `MESSAGE`.
const SKIPPED_KEYS: [&str; 6] = ["message", "created_at", "hostname", "level", "pid", "id"];

/// What is left of a record's room for per-key fields, and what did not fit.
struct Budget {
    fields_left: usize,
    bytes_left: usize,
    trimmed: Trimmed,
}

impl Budget {
    /// Keeps the field just appended to `datagram` from `start` if it fits,
    /// else takes it out again and counts it.
    fn settle(&mut self, datagram: &mut Vec<u8>, start: usize) {
        let len = datagram.len() - start;
        if self.fields_left > 0 && len <= self.bytes_left {
            self.fields_left -= 1;
            self.bytes_left -= len;
            self.trimmed.fields_sent += 1;
        } else {
            datagram.truncate(start);
            self.trimmed.fields_omitted += 1;
            self.trimmed.bytes_omitted += len as u64;
        }
    }
}

/// Parses a record and appends a field for each of its keys, writing
/// straight into the datagram so that a record whose strings have no escapes
/// costs no allocation.
struct RecordFields<'a> {
    datagram: &'a mut Vec<u8>,
    name: &'a mut String,
    id: &'a mut String,
    names: FieldNames,
    budget: &'a mut Budget,
}

impl<'de> DeserializeSeed<'de> for RecordFields<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordFields<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(FieldName {
            name: &mut *self.name,
            names: &mut self.names,
        })? {
            match key {
                Key::Send => {
                    let start = self.datagram.len();
                    map.next_value_seed(FieldValue {
                        datagram: &mut *self.datagram,
                        name: self.name.as_str(),
                    })?;
                    self.budget.settle(self.datagram, start);
                }
                Key::RecordId => map.next_value_seed(RecordId(&mut *self.id))?,
                Key::Skip => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// What the sink does with one key of a record.
enum Key {
    /// Sends it as the field just named.
    Send,
    /// The record's own `id`: kept to name the record in a report of what
    /// its entry left out, not sent (see [`SKIPPED_KEYS`]).
    RecordId,
    /// Sends nothing for it.
    Skip,
}

/// Reads a key into the journald field name; yields what to do with it.
struct FieldName<'a> {
    name: &'a mut String,
    names: &'a mut FieldNames,
}

impl<'de> DeserializeSeed<'de> for FieldName<'_> {
    type Value = Key;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for FieldName<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        // Named even when skipped, so that the skipped keys claim their
        // names and a look-alike key is prefixed.
        let named = self.names.name(key, self.name);
        Ok(if key == "id" && self.name == "ID" {
            Key::RecordId
        } else if named && !SKIPPED_KEYS.contains(&key) {
            Key::Send
        } else {
            Key::Skip
        })
    }
}

/// Reads the record's `id` into the string it holds, when it is a string.
struct RecordId<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for RecordId<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecordId<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<(), E> {
        self.0.push_str(value);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        IgnoredAny.visit_seq(seq).map(drop)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        IgnoredAny.visit_map(map).map(drop)
    }
}

/// Reads one value and appends it as the field `name`.
struct FieldValue<'a> {
    datagram: &'a mut Vec<u8>,
    name: &'a str,
}

impl FieldValue<'_> {
    fn put_json<E: de::Error>(self, value: &impl serde::Serialize) -> Result<(), E> {
        put_json_field(self.datagram, self.name, value).map_err(E::custom)
    }
}

impl<'de> DeserializeSeed<'de> for FieldValue<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldValue<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<(), E> {
        put_field(self.datagram, self.name, value.as_bytes());
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<(), E> {
        self.put_json(&value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<(), E> {
        self.put_json(&value)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<(), E> {
        self.put_json(&value)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<(), E> {
        self.put_json(&value)
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.put_json(&())
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let value: serde_json::Value =
            serde::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        self.put_json(&value)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value: serde_json::Value =
            serde::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
        self.put_json(&value)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek};
    use std::os::unix::net::UnixDatagram;

    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};

    use super::*;
    use crate::{Level, LogType};

    /// Splits a native protocol datagram into its fields.
    fn decode(mut datagram: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut fields = Vec::new();
        while !datagram.is_empty() {
            let end = datagram.iter().position(|&b| b == b'\n').expect("newline");
            let head = &datagram[..end];
            if let Some(eq) = head.iter().position(|&b| b == b'=') {
                let name = String::from_utf8(head[..eq].to_vec()).expect("name");
                fields.push((name, head[eq + 1..].to_vec()));
                datagram = &datagram[end + 1..];
            } else {
                let name = String::from_utf8(head.to_vec()).expect("name");
                let rest = &datagram[end + 1..];
                let len = u64::from_le_bytes(rest[..8].try_into().expect("length")) as usize;
                fields.push((name, rest[8..8 + len].to_vec()));
                assert_eq!(rest[8 + len], b'\n');
                datagram = &rest[9 + len..];
            }
        }
        fields
    }

    fn value<'a>(fields: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a str> {
        let mut found = fields.iter().filter(|(n, _)| n == name);
        let (_, value) = found.next()?;
        assert!(found.next().is_none(), "{name} sent twice");
        Some(std::str::from_utf8(value).expect("utf-8"))
    }

    fn names(fields: &[(String, Vec<u8>)]) -> Vec<&str> {
        fields.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn encoded(line: &str, level: Level) -> Vec<(String, Vec<u8>)> {
        let mut sink = JournaldSink::connect_to("/nonexistent/socket", "svc").expect("sink");
        sink.encode(&Entry {
            line: line.as_bytes(),
            level,
            log_type: LogType::Audit,
        })
        .expect("encoded");
        decode(&sink.datagram)
    }

    #[test]
    fn record_keys_become_upper_cased_fields() {
        let line = concat!(
            r#"{"id":"i-1","created_at":"2026-11-22T04:30:00.123456Z","level":"info","#,
            r#""log_type":"audit","pid":42,"action":"login_attempt","access_granted":true,"#,
            r#""memory_mb":1.5,"client_ip":null,"tags":["a", "b"],"nested":{"k": 1},"#,
            r#""message":"hi \"there\""}"#,
            "\n"
        );
        let fields = encoded(line, Level::Info);
        assert_eq!(value(&fields, "MESSAGE"), Some(line.trim_end()));
        assert_eq!(value(&fields, "PRIORITY"), Some("6"));
        assert_eq!(value(&fields, "SYSLOG_IDENTIFIER"), Some("svc"));
        assert_eq!(value(&fields, "LOG_TYPE"), Some("audit"));
        assert_eq!(value(&fields, "ACTION"), Some("login_attempt"));
        assert_eq!(value(&fields, "ACCESS_GRANTED"), Some("true"));
        assert_eq!(value(&fields, "MEMORY_MB"), Some("1.5"));
        assert_eq!(value(&fields, "CLIENT_IP"), Some("null"));
        assert_eq!(value(&fields, "TAGS"), Some(r#"["a","b"]"#));
        assert_eq!(value(&fields, "NESTED"), Some(r#"{"k":1}"#));
        assert_eq!(
            names(&fields),
            [
                "MESSAGE",
                "PRIORITY",
                "SYSLOG_IDENTIFIER",
                "LOG_TYPE",
                "ACTION",
                "ACCESS_GRANTED",
                "MEMORY_MB",
                "CLIENT_IP",
                "TAGS",
                "NESTED"
            ]
        );
    }

    #[test]
    fn every_level_has_its_priority() {
        for (level, priority) in [
            (Level::Debug, "7"),
            (Level::Info, "6"),
            (Level::Warning, "4"),
            (Level::Error, "3"),
            (Level::Critical, "2"),
        ] {
            let fields = encoded("{}\n", level);
            assert_eq!(value(&fields, "PRIORITY"), Some(priority));
        }
    }

    #[test]
    fn hostile_keys_cannot_set_trusted_or_reserved_fields() {
        let line = r#"{"_PID":"1","priority":"0","MESSAGE":"x","a b":1,"1x":2,"é":3,"":4}"#;
        let fields = encoded(line, Level::Warning);
        assert_eq!(value(&fields, "PRIORITY"), Some("4"));
        assert_eq!(value(&fields, "MESSAGE"), Some(line));
        assert_eq!(value(&fields, "F__PID"), Some("1"));
        assert_eq!(value(&fields, "F_PRIORITY"), Some("0"));
        assert_eq!(value(&fields, "F_MESSAGE"), Some("x"));
        assert_eq!(value(&fields, "A_B"), Some("1"));
        assert_eq!(value(&fields, "F_1X"), Some("2"));
        assert_eq!(fields.len(), 8, "{:?}", names(&fields));
        assert!(fields.iter().all(|(n, _)| !n.starts_with('_')));
    }

    #[test]
    fn keys_that_look_like_the_records_own_fields_are_prefixed() {
        let line = concat!(
            r#"{"id":"i-1","created_at":"t","hostname":"h","level":"info","log_type":"audit","#,
            r#""pid":42,"Log-Type":"web","log.type":"web","LEVEL":"debug","Id":"i-2","#,
            r#""HOSTNAME":"other","Pid":1,"Created-At":"x","syslog_pid":"7","code_line":"9"}"#,
        );
        let fields = encoded(line, Level::Info);
        assert_eq!(value(&fields, "LOG_TYPE"), Some("audit"), "sent once");
        for name in ["ID", "HOSTNAME", "LEVEL", "PID"] {
            assert_eq!(value(&fields, name), None, "{name}: not sent");
        }
        assert_eq!(value(&fields, "F_LEVEL"), Some("debug"));
        assert_eq!(value(&fields, "F_HOSTNAME"), Some("other"));
        assert_eq!(value(&fields, "F_PID"), Some("1"));
        assert_eq!(value(&fields, "F_ID"), Some("i-2"));
        assert_eq!(value(&fields, "F_CREATED_AT"), Some("x"));
        assert_eq!(value(&fields, "F_SYSLOG_PID"), Some("7"));
        assert_eq!(value(&fields, "F_CODE_LINE"), Some("9"));
        assert_eq!(value(&fields, "CREATED_AT"), None);
    }

    /// A record with `n` keys `k0`, `k1`, … after its `id`.
    fn wide_record(n: usize) -> String {
        let mut record = serde_json::Map::new();
        record.insert("id".into(), "wide-1".into());
        for i in 0..n {
            record.insert(format!("k{i}"), i.into());
        }
        format!("{}\n", serde_json::Value::Object(record))
    }

    #[test]
    fn an_entry_keeps_to_journalds_field_limit_and_says_what_it_left_out() {
        let line = wide_record(1500);
        let mut sink = JournaldSink::connect_to("/nonexistent/socket", "svc").expect("sink");
        let entry = Entry {
            line: line.as_bytes(),
            level: Level::Info,
            log_type: LogType::Web,
        };
        sink.encode(&entry).expect("encoded");
        let fields = decode(&sink.datagram);
        assert_eq!(fields.len(), ENTRY_FIELDS_MAX);
        assert_eq!(value(&fields, "MESSAGE"), Some(line.trim_end()));
        assert_eq!(value(&fields, "K1020"), Some("1020"));
        assert_eq!(value(&fields, "K1021"), None);
        let trimmed = sink.take_trimmed().expect("trimmed");
        assert_eq!(trimmed.record_id.as_deref(), Some("wide-1"));
        assert_eq!(trimmed.fields_sent, KEY_FIELDS_MAX as u64);
        assert_eq!(trimmed.fields_omitted, 1500 - KEY_FIELDS_MAX as u64);
        assert_eq!(sink.take_trimmed(), None, "taken once");

        sink.encode(&Entry {
            line: wide_record(10).as_bytes(),
            ..entry
        })
        .expect("encoded");
        assert_eq!(sink.take_trimmed(), None, "a narrow record is sent whole");
    }

    #[test]
    fn a_field_over_the_byte_budget_is_left_out_and_later_ones_still_go() {
        let big = "x".repeat(KEY_FIELD_BYTES_MAX);
        let line = format!("{{\"id\":\"i-9\",\"big\":\"{big}\",\"small\":\"s\"}}\n");
        let mut sink = JournaldSink::connect_to("/nonexistent/socket", "svc").expect("sink");
        sink.encode(&Entry {
            line: line.as_bytes(),
            level: Level::Info,
            log_type: LogType::Web,
        })
        .expect("encoded");
        let fields = decode(&sink.datagram);
        assert!(value(&fields, "MESSAGE") == Some(line.trim_end()));
        assert_eq!(value(&fields, "BIG"), None);
        assert_eq!(value(&fields, "SMALL"), Some("s"));
        let trimmed = sink.take_trimmed().expect("trimmed");
        assert_eq!(trimmed.record_id.as_deref(), Some("i-9"));
        assert_eq!((trimmed.fields_sent, trimmed.fields_omitted), (1, 1));
        assert_eq!(trimmed.bytes_omitted, big.len() as u64 + 5);
    }

    #[test]
    fn values_with_newlines_use_the_binary_form() {
        let line = r#"{"stacktrace":"first\nsecond\n","plain":"a\tb"}"#;
        let mut sink = JournaldSink::connect_to("/nonexistent/socket", "svc").expect("sink");
        sink.encode(&Entry {
            line: line.as_bytes(),
            level: Level::Error,
            log_type: LogType::Application,
        })
        .expect("encoded");
        let mut expected = b"STACKTRACE\n".to_vec();
        expected.extend_from_slice(&13u64.to_le_bytes());
        expected.extend_from_slice(b"first\nsecond\n\n");
        assert!(
            sink.datagram
                .windows(expected.len())
                .any(|w| w == expected.as_slice())
        );
        let fields = decode(&sink.datagram);
        assert_eq!(value(&fields, "STACKTRACE"), Some("first\nsecond\n"));
        assert_eq!(value(&fields, "PLAIN"), Some("a\tb"));
    }

    #[test]
    fn a_line_that_is_not_an_object_is_sent_alone() {
        for line in [
            "plain text\n",
            "[1,2]\n",
            r#"{"a":1"#,
            r#"{"a":1} trailing"#,
            "multi\nline\n",
        ] {
            let fields = encoded(line, Level::Error);
            assert_eq!(
                names(&fields),
                ["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER"],
                "{line:?}"
            );
            assert_eq!(
                value(&fields, "MESSAGE"),
                line.strip_suffix('\n').or(Some(line))
            );
        }
    }

    #[test]
    fn append_fails_while_nobody_listens_and_recovers_after() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("socket");
        let mut sink = JournaldSink::connect_to(&path, "svc").expect("sink");
        let entry = Entry {
            line: b"{\"level\":\"info\"}\n",
            level: Level::Info,
            log_type: LogType::Web,
        };
        let err = sink.append(&entry).expect_err("no socket yet");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);

        let listener = UnixDatagram::bind(&path).expect("bind");
        sink.append(&entry).expect("append once listening");
        let mut buf = vec![0; 4096];
        let n = listener.recv(&mut buf).expect("recv");
        let fields = decode(&buf[..n]);
        assert_eq!(value(&fields, "PRIORITY"), Some("6"));
        assert_eq!(value(&fields, "MESSAGE"), Some("{\"level\":\"info\"}"));

        drop(listener);
        let err = sink.append(&entry).expect_err("listener gone");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        assert!(sink.describe().starts_with("journald "));
    }

    #[test]
    fn a_record_too_large_for_a_datagram_goes_through_a_sealed_memfd() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("socket");
        let listener = UnixDatagram::bind(&path).expect("bind");
        let mut sink = JournaldSink::connect_to(&path, "svc").expect("sink");
        let big = "x".repeat(2 << 20);
        let line = format!("{{\"big\":\"{big}\"}}\n");
        sink.append(&Entry {
            line: line.as_bytes(),
            level: Level::Info,
            log_type: LogType::Analysis,
        })
        .expect("append");

        let mut data = [0u8; 16];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let received = rustix::net::recvmsg(
            &listener,
            &mut [io::IoSliceMut::new(&mut data)],
            &mut control,
            RecvFlags::empty(),
        )
        .expect("recvmsg");
        assert_eq!(received.bytes, 0, "the datagram itself is empty");
        let mut fds = Vec::new();
        for message in control.drain() {
            if let RecvAncillaryMessage::ScmRights(rights) = message {
                fds.extend(rights);
            }
        }
        assert_eq!(fds.len(), 1);
        let memfd = fds.remove(0);
        let seals = rustix::fs::fcntl_get_seals(&memfd).expect("seals");
        assert!(
            seals
                .contains(SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE | SealFlags::SEAL)
        );
        // The descriptor shares the sender's file offset, which is at the end.
        let mut file = File::from(memfd);
        file.seek(io::SeekFrom::Start(0)).expect("seek");
        let mut contents = Vec::new();
        file.read_to_end(&mut contents).expect("read memfd");
        let fields = decode(&contents);
        assert!(value(&fields, "BIG") == Some(big.as_str()), "BIG differs");
        assert!(
            value(&fields, "MESSAGE") == Some(line.trim_end()),
            "MESSAGE differs"
        );
    }

    /// A record key as an attacker would pick it: journald's own and
    /// trusted names in any case, or anything at all.
    fn hostile_key() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            prop::sample::select(vec![
                "_PID",
                "__CURSOR",
                "_SYSTEMD_UNIT",
                "_",
                "priority",
                "PRIORITY",
                "Priority",
                "message",
                "MESSAGE",
                "message_id",
                "syslog_identifier",
                "SYSLOG_FACILITY",
                "code_file",
                "object_pid",
                "COREDUMP_UNIT",
                "1x",
                "",
                " ",
                "é",
                "a\nb",
            ])
            .prop_map(str::to_string),
            "[_a-zA-Z0-9 .=\n\u{0}é-]{0,80}",
            any::<String>(),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Whatever a record's keys, the datagram holds only valid journald
        /// field names, none of them trusted (`_`) or journald's own, and
        /// exactly one `MESSAGE`, `PRIORITY` and `SYSLOG_IDENTIFIER`.
        #[test]
        fn hostile_keys_make_valid_untrusted_field_names(
            keys in proptest::collection::vec(hostile_key(), 0..12),
        ) {
            let mut record = serde_json::Map::new();
            record.insert("level".into(), "error".into());
            for key in keys {
                record.insert(key, "forged".into());
            }
            let line = format!("{}\n", serde_json::Value::Object(record));
            let fields = encoded(&line, Level::Error);
            for name in names(&fields) {
                let valid = (1..=64).contains(&name.len())
                    && name.starts_with(|c: char| c.is_ascii_uppercase())
                    && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                proptest::prop_assert!(valid, "{name:?} is no journald field name");
            }
            for own in ["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER"] {
                let sent = names(&fields).iter().filter(|n| **n == own).count();
                proptest::prop_assert_eq!(sent, 1, "{}", own);
            }
            for name in names(&fields).iter().skip(3) {
                proptest::prop_assert!(
                    !fields::RESERVED.contains(name)
                        && !fields::RESERVED_PREFIXES.iter().any(|p| name.starts_with(p)),
                    "{name} is journald's own"
                );
            }
            proptest::prop_assert_eq!(value(&fields, "PRIORITY"), Some("3"));
            proptest::prop_assert_eq!(value(&fields, "SYSLOG_IDENTIFIER"), Some("svc"));
            proptest::prop_assert_eq!(value(&fields, "MESSAGE"), Some(line.trim_end()));
        }
    }
}

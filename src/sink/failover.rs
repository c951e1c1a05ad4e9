//! A sink with a fallback: when the primary fails, records go to the
//! fallback, one record says so, and the primary is retried until it works.
//!
//! File sinks fall back to journald (stderr when there is none), journald
//! falls back to stderr. Every re-routed record is counted.

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;

use super::writer::Counters;
use super::{ENTRY_FIELDS_MAX, Entry, KEY_FIELD_BYTES_MAX, Sink, StderrSink};
use crate::record::RecordContext;
use crate::{Level, LogType};

/// How long a failed primary rests before the next attempt.
const RETRY_AFTER: Duration = Duration::from_secs(1);

pub(crate) struct Failover {
    primary: Box<dyn Sink>,
    fallback: Box<dyn Sink>,
    ctx: Arc<RecordContext>,
    counters: Arc<Counters>,
    failed: Option<Failure>,
    notice: Vec<u8>,
    /// Whether a record trimmed by the primary was reported already.
    trim_reported: bool,
}

struct Failure {
    retry_at: Instant,
    rerouted: u64,
}

impl Failover {
    pub(crate) fn new(
        primary: Box<dyn Sink>,
        fallback: Box<dyn Sink>,
        ctx: Arc<RecordContext>,
        counters: Arc<Counters>,
    ) -> Self {
        Failover {
            primary,
            fallback,
            ctx,
            counters,
            failed: None,
            notice: Vec::new(),
            trim_reported: false,
        }
    }

    pub(crate) fn describe(&self) -> String {
        self.primary.describe()
    }

    /// Writes one record to the primary, or to the fallback while the
    /// primary is failing.
    pub(crate) fn append(&mut self, entry: &Entry<'_>) {
        if let Some(failure) = &self.failed {
            if Instant::now() < failure.retry_at {
                self.reroute(entry);
                return;
            }
            match self.primary.append(entry) {
                Err(_) => {
                    self.recover_unwritten(Some(entry));
                    self.retry_later();
                }
                Ok(()) => {
                    self.written();
                    match self.primary.flush() {
                        Ok(()) => self.recovered(),
                        Err(_) => {
                            self.recover_unwritten(None);
                            self.retry_later();
                        }
                    }
                }
            }
            return;
        }
        match self.primary.append(entry) {
            Ok(()) => self.written(),
            Err(e) => {
                self.fail(&e);
                self.recover_unwritten(Some(entry));
            }
        }
    }

    /// Counts a record the primary accepted, and what it left out of it:
    /// the first record with something left out is reported as a record.
    fn written(&mut self) {
        self.counters.written.fetch_add(1, Ordering::Relaxed);
        let Some(trimmed) = self.primary.take_trimmed() else {
            return;
        };
        self.counters.trimmed.fetch_add(1, Ordering::Relaxed);
        self.counters
            .fields_omitted
            .fetch_add(trimmed.fields_omitted, Ordering::Relaxed);
        if std::mem::replace(&mut self.trim_reported, true) {
            return;
        }
        let sink = self.primary.describe();
        let record_id = trimmed.record_id.as_deref().unwrap_or("(none)");
        let text = format!(
            "{sink}: record {record_id} is whole in MESSAGE, but {} of its fields ({} bytes) \
             were left out of its entry: journald drops an entry of more than \
             {ENTRY_FIELDS_MAX} fields, and per-key fields are kept to {KEY_FIELD_BYTES_MAX} \
             bytes; later such records are counted in the writer's stats, not reported",
            trimmed.fields_omitted, trimmed.bytes_omitted
        );
        let mut fields = vec![
            ("runtime_event", json!("journald_fields_omitted")),
            ("sink", json!(sink)),
            ("fields_sent", json!(trimmed.fields_sent)),
            ("fields_omitted", json!(trimmed.fields_omitted)),
            ("bytes_omitted", json!(trimmed.bytes_omitted)),
        ];
        if let Some(id) = trimmed.record_id {
            fields.push(("record_id", json!(id)));
        }
        self.notice(Level::Warning, &fields, &text, false);
    }

    /// Flushes the primary; when that fails, the records it could not
    /// write are re-routed.
    pub(crate) fn flush(&mut self) {
        self.flush_with(|sink| sink.flush());
    }

    /// [`Failover::flush`] without making the records durable (see
    /// [`Sink::flush_without_sync`]).
    pub(crate) fn flush_without_sync(&mut self) {
        self.flush_with(|sink| sink.flush_without_sync());
    }

    fn flush_with(&mut self, flush: impl Fn(&mut dyn Sink) -> io::Result<()>) {
        if self.failed.is_none()
            && let Err(e) = flush(self.primary.as_mut())
        {
            self.fail(&e);
            self.recover_unwritten(None);
        }
        let _ = flush(self.fallback.as_mut());
        while let Some(problem) = self.primary.take_problem() {
            let sink = self.primary.describe();
            self.notice(
                Level::Error,
                &[
                    ("runtime_event", json!("sink_problem")),
                    ("sink", json!(sink)),
                ],
                &format!("{sink}: {problem}"),
                false,
            );
        }
    }

    fn retry_later(&mut self) {
        if let Some(f) = &mut self.failed {
            f.retry_at = Instant::now() + RETRY_AFTER;
        }
    }

    fn fail(&mut self, error: &io::Error) {
        if self.failed.is_none() {
            self.failed = Some(Failure {
                retry_at: Instant::now() + RETRY_AFTER,
                rerouted: 0,
            });
            let primary = self.primary.describe();
            let fallback = self.fallback.describe();
            self.notice(
                Level::Warning,
                &[
                    ("runtime_event", json!("sink_failed")),
                    ("sink", json!(primary)),
                    ("fallback", json!(fallback)),
                    ("error", json!(error.to_string())),
                ],
                &format!("{primary} failed ({error}); records go to {fallback} until it recovers"),
                true,
            );
        }
    }

    /// Moves what the primary could not write to the fallback. `failed` is
    /// the record whose `append` just failed: a buffering sink hands it back
    /// with the rest (it is then the last line); otherwise it is re-routed
    /// here. Either way each record is re-routed exactly once.
    fn recover_unwritten(&mut self, failed: Option<&Entry<'_>>) {
        let unwritten = self.primary.take_unwritten();
        let failed_kept = failed.is_some_and(|e| unwritten.ends_with(e.line));
        let lines = unwritten
            .split_inclusive(|&b| b == b'\n')
            .filter(|line| !line.is_empty());
        let mut handed_back = 0u64;
        for line in lines {
            handed_back += 1;
            let (level, log_type) = level_and_type(line);
            self.reroute(&Entry {
                line,
                level,
                log_type,
            });
        }
        // Records counted as written when `append` accepted them.
        let was_counted = handed_back - u64::from(failed_kept);
        self.counters
            .written
            .fetch_sub(was_counted, Ordering::Relaxed);
        if let Some(entry) = failed.filter(|_| !failed_kept) {
            self.reroute(entry);
        }
    }

    fn recovered(&mut self) {
        let Some(failure) = self.failed.take() else {
            return;
        };
        let primary = self.primary.describe();
        let text = format!(
            "{primary} works again; {} records were re-routed while it failed",
            failure.rerouted
        );
        let fields = [
            ("runtime_event", json!("sink_recovered")),
            ("sink", json!(primary)),
            ("rerouted", json!(failure.rerouted)),
        ];
        self.notice(Level::Warning, &fields, &text, true);
        self.notice(Level::Warning, &fields, &text, false);
    }

    fn reroute(&mut self, entry: &Entry<'_>) {
        if let Some(f) = &mut self.failed {
            f.rerouted += 1;
        }
        self.counters.rerouted.fetch_add(1, Ordering::Relaxed);
        if self.fallback.append(entry).is_err() {
            // The fallback failed too: stderr is the last place left.
            let mut stderr = StderrSink::new();
            if stderr.append(entry).and_then(|()| stderr.flush()).is_err() {
                self.counters.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Writes a record made by the runtime, to the fallback or the primary.
    pub(crate) fn notice(
        &mut self,
        level: Level,
        fields: &[(&str, serde_json::Value)],
        message: &str,
        to_fallback: bool,
    ) {
        let mut line = std::mem::take(&mut self.notice);
        line.clear();
        self.ctx.render(
            &mut line,
            level,
            LogType::Application,
            fields,
            Some(message),
        );
        let entry = Entry {
            line: &line,
            level,
            log_type: LogType::Application,
        };
        let sink = if to_fallback || self.failed.is_some() {
            &mut self.fallback
        } else {
            &mut self.primary
        };
        if sink.append(&entry).is_err() {
            let mut stderr = StderrSink::new();
            let _ = stderr.append(&entry).and_then(|()| stderr.flush());
        }
        self.notice = line;
    }
}

/// The level and log type written in a rendered record (for re-routing
/// bytes a sink handed back); unknown values fall back to error/application.
fn level_and_type(line: &[u8]) -> (Level, LogType) {
    #[derive(serde::Deserialize)]
    struct Head<'a> {
        #[serde(borrow)]
        level: Option<&'a str>,
        #[serde(borrow)]
        log_type: Option<&'a str>,
    }
    match serde_json::from_slice::<Head<'_>>(line) {
        Ok(head) => (
            head.level
                .and_then(|l| l.parse().ok())
                .unwrap_or(Level::Error),
            head.log_type
                .and_then(|t| t.parse().ok())
                .unwrap_or(LogType::Application),
        ),
        Err(_) => (Level::Error, LogType::Application),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::net::UnixDatagram;
    use std::sync::Mutex;

    use super::*;
    use crate::ManualClock;
    use crate::sink::journald::JournaldSink;

    /// A buffer the test reads after handing a clone to a sink.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn lines(&self) -> Vec<serde_json::Value> {
            let bytes = self.0.lock().unwrap().clone();
            bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice(l).unwrap())
                .collect()
        }
    }

    /// A fallback that hands each record to its buffer at once, so a test
    /// reads what was re-routed without flushing.
    struct Direct(Shared);

    impl Sink for Direct {
        fn append(&mut self, entry: &Entry<'_>) -> io::Result<()> {
            self.0.write_all(entry.line)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }

        fn describe(&self) -> String {
            "fallback".to_string()
        }
    }

    /// The `n` of the test's records, and the `runtime_event` of the
    /// runtime's, in order.
    fn summary(lines: &[serde_json::Value]) -> Vec<String> {
        lines
            .iter()
            .map(|v| match v.get("n") {
                Some(n) => n.to_string(),
                None => v["runtime_event"].as_str().unwrap().to_string(),
            })
            .collect()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn line(n: usize) -> Vec<u8> {
        format!("{{\"level\":\"info\",\"log_type\":\"web\",\"n\":{n}}}\n").into_bytes()
    }

    fn append(failover: &mut Failover, n: usize) {
        failover.append(&Entry {
            line: &line(n),
            level: Level::Info,
            log_type: LogType::Web,
        });
    }

    fn with_primary(primary: impl Sink) -> (Failover, Shared, Arc<Counters>) {
        let fallback = Shared::default();
        let counters = Arc::new(Counters::default());
        let ctx = RecordContext::with_host(Arc::new(ManualClock::new(0)), "host", 1);
        let failover = Failover::new(
            Box::new(primary),
            Box::new(Direct(fallback.clone())),
            Arc::new(ctx),
            Arc::clone(&counters),
        );
        (failover, fallback, counters)
    }

    fn counts(counters: &Counters) -> (u64, u64, u64) {
        (
            counters.written.load(Ordering::Relaxed),
            counters.rerouted.load(Ordering::Relaxed),
            counters.lost.load(Ordering::Relaxed),
        )
    }

    /// Buffers every record; a failing `flush` delivers the first `deliver`
    /// buffered records, then fails keeping the rest.
    struct Buffering {
        buf: Vec<u8>,
        out: Shared,
        deliver: usize,
        failing: bool,
        /// Appends that succeed; later ones fail, keeping their record.
        accept: usize,
    }

    impl Buffering {
        fn new(out: Shared) -> Self {
            Buffering {
                buf: Vec::new(),
                out,
                deliver: 0,
                failing: false,
                accept: usize::MAX,
            }
        }
    }

    impl Sink for Buffering {
        fn append(&mut self, entry: &Entry<'_>) -> io::Result<()> {
            self.buf.extend_from_slice(entry.line);
            if self.accept == 0 {
                return Err(io::Error::from_raw_os_error(28));
            }
            self.accept -= 1;
            Ok(())
        }

        fn flush(&mut self) -> io::Result<()> {
            if !self.failing {
                self.out.write_all(&self.buf)?;
                self.buf.clear();
                return Ok(());
            }
            let mut end = 0;
            for _ in 0..self.deliver {
                match self.buf[end..].iter().position(|&b| b == b'\n') {
                    Some(i) => end += i + 1,
                    None => break,
                }
            }
            self.out.write_all(&self.buf[..end])?;
            self.buf.drain(..end);
            self.deliver = 0;
            Err(io::Error::from_raw_os_error(28))
        }

        fn take_unwritten(&mut self) -> Vec<u8> {
            std::mem::take(&mut self.buf)
        }

        fn describe(&self) -> String {
            "buffering test sink".to_string()
        }
    }

    #[test]
    fn a_failed_flush_hands_back_exactly_the_unwritten_records() {
        let out = Shared::default();
        let mut primary = Buffering::new(out.clone());
        primary.failing = true;
        primary.deliver = 4;
        let (mut failover, fallback, counters) = with_primary(primary);
        for n in 0..10 {
            append(&mut failover, n);
        }
        assert_eq!(counts(&counters), (10, 0, 0), "accepted while buffered");
        failover.flush();
        assert_eq!(summary(&out.lines()), strings(&["0", "1", "2", "3"]));
        assert_eq!(
            summary(&fallback.lines()),
            strings(&["sink_failed", "4", "5", "6", "7", "8", "9"]),
            "each record that did not reach the primary, once, in order"
        );
        assert_eq!(counts(&counters), (4, 6, 0));

        // While the primary rests, records go straight to the fallback.
        append(&mut failover, 10);
        failover.flush();
        assert_eq!(summary(&out.lines()).len(), 4);
        assert_eq!(
            summary(&fallback.lines()).last().map(String::as_str),
            Some("10")
        );
        assert_eq!(counts(&counters), (4, 7, 0));
    }

    #[test]
    fn a_failed_append_is_rerouted_once_whether_or_not_the_sink_kept_it() {
        // A buffering sink keeps the failed record and hands it back.
        let out = Shared::default();
        let mut primary = Buffering::new(out.clone());
        primary.accept = 3;
        let (mut failover, fallback, counters) = with_primary(primary);
        for n in 0..4 {
            append(&mut failover, n);
        }
        assert_eq!(
            summary(&fallback.lines()),
            strings(&["sink_failed", "0", "1", "2", "3"])
        );
        assert!(out.lines().is_empty());
        assert_eq!(counts(&counters), (0, 4, 0));

        // A sink that keeps nothing: the failed record is re-routed by the
        // failover itself.
        struct Refusing;
        impl Sink for Refusing {
            fn append(&mut self, _: &Entry<'_>) -> io::Result<()> {
                Err(io::Error::from_raw_os_error(32))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
            fn describe(&self) -> String {
                "refusing test sink".to_string()
            }
        }
        let (mut failover, fallback, counters) = with_primary(Refusing);
        append(&mut failover, 0);
        append(&mut failover, 1);
        assert_eq!(
            summary(&fallback.lines()),
            strings(&["sink_failed", "0", "1"])
        );
        assert_eq!(counts(&counters), (0, 2, 0));
    }

    /// The datagrams waiting at `socket`, as text.
    fn received(socket: &UnixDatagram) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = socket.recv(&mut buf) {
            out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        out
    }

    /// journald going away and coming back, with a real unix datagram
    /// socket bound at a temporary path standing in for journald's.
    #[test]
    fn a_journald_socket_that_disappears_is_rerouted_until_it_is_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("socket");
        let bind = || {
            let socket = UnixDatagram::bind(&path).unwrap();
            socket.set_nonblocking(true).unwrap();
            socket
        };
        let receiver = bind();
        let primary = JournaldSink::connect_to(&path, "stand-in").unwrap();
        let (mut failover, fallback, counters) = with_primary(primary);

        append(&mut failover, 0);
        failover.flush();
        let got = received(&receiver);
        assert_eq!(got.len(), 1);
        assert!(got[0].contains("MESSAGE={\"level\":\"info\",\"log_type\":\"web\",\"n\":0}"));

        drop(receiver);
        std::fs::remove_file(&path).unwrap();
        append(&mut failover, 1);
        append(&mut failover, 2);
        failover.flush();
        assert_eq!(
            summary(&fallback.lines()),
            strings(&["sink_failed", "1", "2"])
        );
        assert_eq!(counts(&counters), (1, 2, 0));

        let receiver = bind();
        std::thread::sleep(RETRY_AFTER + Duration::from_millis(100));
        append(&mut failover, 3);
        append(&mut failover, 4);
        failover.flush();
        let got = received(&receiver);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].contains("\"n\":3}"));
        assert!(got[1].contains("RUNTIME_EVENT=sink_recovered"));
        assert!(got[2].contains("\"n\":4}"));
        let fallback = fallback.lines();
        assert_eq!(
            summary(&fallback),
            strings(&["sink_failed", "1", "2", "sink_recovered"])
        );
        assert_eq!(fallback[3]["rerouted"], 2);
        assert_eq!(counts(&counters), (3, 2, 0));
    }
}

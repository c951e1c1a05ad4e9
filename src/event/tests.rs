//! Every typed record written through its pre-rendered fields is byte for
//! byte the record its fields visited one by one give.

use std::cell::Cell;
use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::layer::SubscriberExt;

use super::rendered::{Render, Writer, emit_rendered, key};
use super::{Emit, analysis, audit, emit_at, tanium, web};
use crate::{Level, Logward, ManualClock};

/// A writer into a buffer the test reads afterwards.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The lines `log` writes at `debug` and above inside a span, each with
/// its `id` value (unique to every record) blanked.
fn lines(log: impl FnOnce()) -> Vec<String> {
    let out = Shared::default();
    let logward = Logward::builder()
        .with_writer(out.clone())
        .with_level(Level::Debug)
        .with_clock(ManualClock::new(1_795_321_800_123_456))
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("logward builds");
    let (layer, guard) = logward.into_parts();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        let span = tracing::info_span!("request", request_id = "r-1", client_ip = "span ip");
        let _entered = span.enter();
        log();
    });
    drop(guard);
    let text = String::from_utf8(out.0.lock().expect("buffer lock").clone()).expect("UTF-8");
    text.lines()
        .map(|line| {
            assert!(line.starts_with("{\"id\":\""), "a record: {line}");
            format!("{}{}", &line[..7], &line[7 + 36..])
        })
        .collect()
}

/// Text that needs escaping, and text that does not.
const ODD: &str = "a \"quoted\"\n\\ tab\t é \u{1}";

/// Asserts that `record` written both ways gives the same line at every
/// level, and returns that line at `info`.
macro_rules! same_both_ways {
    ($record:expr) => {{
        let mut rendered = lines(|| {
            for level in Level::ALL {
                $record.log(level);
            }
        });
        let visited = lines(|| {
            for level in Level::ALL {
                $record.log_fields(level);
            }
        });
        assert_eq!(rendered.len(), Level::ALL.len());
        assert_eq!(rendered, visited);
        rendered.swap_remove(1)
    }};
}

#[test]
fn audit_records_are_the_same_both_ways() {
    same_both_ways!(audit::LoginAttempt::new(false, "10.0.0.7"));
    let line = same_both_ways!(
        audit::LoginAttempt::new(true, ODD)
            .forwarded_for("203.0.113.9")
            .message(ODD)
    );
    assert!(line.contains(r#","access_granted":true,"client_ip":"a \"quoted\"\n"#));
    same_both_ways!(audit::UserActivity::new(
        audit::Activity::ExportJira,
        true,
        "report",
        "10.0.0.7"
    ));
    same_both_ways!(
        audit::UserActivity::new(audit::Activity::Remove, false, ODD, "10.0.0.7")
            .denied_because("not the owner")
            .element_id("r-17")
            .forwarded_for("203.0.113.9")
            .message("refused")
    );
    same_both_ways!(audit::SettingChange::new(
        true, "timeout", "30", "15", "10.0.0.7"
    ));
    same_both_ways!(
        audit::SettingChange::new(false, "timeout", ODD, "", "10.0.0.7")
            .denied_because("read-only")
            .element_id("e-1")
            .forwarded_for("203.0.113.9")
            .message(ODD)
    );
    same_both_ways!(audit::ApiRequest::new(true, "10.0.0.7").invalid_api_key("secret"));
    let line = same_both_ways!(
        audit::ApiRequest::new(false, "10.0.0.7")
            .denied_because("expired")
            .invalid_api_key("k-1")
            .forwarded_for("203.0.113.9")
            .message("refused")
    );
    assert!(line.contains(r#","api_key":"k-1""#));
}

#[test]
fn other_records_are_the_same_both_ways() {
    same_both_ways!(web::Request::new("GET", "/", 200));
    let line = same_both_ways!(
        web::Request::new("POST", ODD, 503)
            .duration(std::time::Duration::from_micros(1_234_567))
            .message("slow")
    );
    assert!(line.contains(r#","status_code":503,"duration_ms":1234.567,"#));
    same_both_ways!(analysis::Analysis::new(512, "solver", ODD));
    same_both_ways!(tanium::Operation::new("sweep"));
    same_both_ways!(
        tanium::Operation::new(ODD)
            .computer_group("servers")
            .endpoint_id("e-9")
    );
    same_both_ways!(tanium::ApiRequest::new("tanium", "/api", "listed"));
    same_both_ways!(
        tanium::ApiRequest::new("tanium", "/api", ODD)
            .status_code(500)
            .with_error("timed out")
            .computer_group("servers")
            .endpoint_id("e-9")
    );
}

#[test]
fn the_event_field_wins_over_the_span_and_the_span_context_leads() {
    let line = &lines(|| audit::LoginAttempt::new(true, "10.0.0.7").info())[0];
    assert!(line.contains(r#","pid":"#));
    let context = line.split(r#","pid":"#).nth(1).expect("after pid");
    let fields = context.split_once(',').expect("fields").1;
    assert_eq!(
        fields,
        r#""request_id":"r-1","action":"login_attempt","access_granted":true,"client_ip":"10.0.0.7"}"#
    );
}

/// A record that counts how often it is rendered.
struct Counted(Cell<u32>);

impl Render for Counted {
    fn render(&self, out: &mut Writer<'_>) {
        self.0.set(self.0.get() + 1);
        out.uint(key!("renders"), u64::from(self.0.get()));
    }
}

impl Counted {
    fn log(&self, level: Level) {
        emit_rendered!(*self, level, "logward::audit", "counted");
    }

    fn log_fields(&self, level: Level) {
        emit_at!(
            level,
            "logward::audit",
            renders = self.0.get(),
            message = "counted"
        );
    }
}

#[test]
fn a_level_not_logged_renders_nothing() {
    let counted = Counted(Cell::new(0));
    let out = Shared::default();
    let logward = Logward::builder()
        .with_writer(out.clone())
        .with_level(Level::Warning)
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("logward builds");
    let (layer, guard) = logward.into_parts();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        counted.log(Level::Debug);
        counted.log(Level::Info);
        assert_eq!(counted.0.get(), 0);
        counted.log(Level::Error);
        assert_eq!(counted.0.get(), 1);
        counted.log_fields(Level::Error);
    });
    drop(guard);
    let text = String::from_utf8(out.0.lock().expect("buffer lock").clone()).expect("UTF-8");
    assert_eq!(
        text.matches(r#","renders":1,"message":"counted"}"#).count(),
        2
    );
}

#[test]
fn another_value_under_the_fields_name_is_an_ordinary_field() {
    let line = &lines(|| {
        tracing::event!(target: "logward::audit", tracing::Level::INFO, logward.fields = ?"not ours", "m");
        tracing::event!(target: "logward::audit", tracing::Level::INFO, logward.fields = "text", "m");
    });
    assert!(line[0].contains(r#","logward.fields":"\"not ours\"","message":"m"}"#));
    assert!(line[1].contains(r#","logward.fields":"text","message":"m"}"#));
}

/// A layer beside logward's that keeps what it sees of `logward.fields`.
#[derive(Clone, Default)]
struct Beside(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Beside {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Seen<'a>(&'a Mutex<Vec<String>>);
        impl tracing::field::Visit for Seen<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == super::rendered::FIELD {
                    self.0.lock().expect("seen lock").push(format!("{value:?}"));
                }
            }
        }
        event.record(&mut Seen(&self.0));
    }
}

#[test]
fn other_layers_see_the_fields_as_text_and_the_record_is_unchanged() {
    let out = Shared::default();
    let beside = Beside::default();
    let logward = Logward::builder()
        .with_writer(out.clone())
        .with_level(Level::Info)
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("logward builds");
    let (layer, guard) = logward.into_parts();
    let subscriber = tracing_subscriber::registry()
        .with(beside.clone())
        .with(layer)
        .with(beside.clone());
    tracing::subscriber::with_default(subscriber, || {
        audit::LoginAttempt::new(true, "10.0.0.7")
            .message("m")
            .info();
    });
    drop(guard);
    let text = String::from_utf8(out.0.lock().expect("buffer lock").clone()).expect("UTF-8");
    assert!(text.ends_with(
        r#","action":"login_attempt","access_granted":true,"client_ip":"10.0.0.7","message":"m"}
"#
    ));
    let fields = r#""action":"login_attempt","access_granted":true,"client_ip":"10.0.0.7""#;
    assert_eq!(*beside.0.lock().expect("seen lock"), [fields, fields]);
}

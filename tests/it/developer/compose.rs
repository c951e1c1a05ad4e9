//! Logward beside a developer's own `fmt` layer: every documented setup
//! keeps every record of logward's, with its span context, whatever
//! `RUST_LOG` says, and the `fmt` layer shows what `RUST_LOG` selects.

use logward::{Emit, Logward, audit};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer};

use super::{child_config, records, run, text};
use crate::util::child;

const REQUEST_ID: &str = "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d";

/// What every setup's service logs.
fn log_everything() {
    let span = tracing::debug_span!("request", request_id = REQUEST_ID);
    let _entered = span.enter();
    audit::LoginAttempt::new(true, "10.0.0.7").info();
    tracing::info!("info from the service");
    tracing::warn!("warning from the service");
}

/// The fmt layer to stderr filtered by `RUST_LOG`, as the README shows it.
fn fmt_layer<S>() -> impl Layer<S> + Send + Sync
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(EnvFilter::from_default_env())
}

/// The child side of each setup.
fn service(setup: &str) {
    let logward = Logward::builder()
        .with_config_path(child_config("info"))
        .with_panic_hook(false)
        .build()
        .expect("logward builds");
    let guard = match setup {
        "init_with_stderr_layer" => logward
            .init_with(logward::stderr_layer())
            .expect("installs"),
        "fmt_layer_then_logward" => {
            let (layer, guard) = logward.into_parts();
            let subscriber = tracing_subscriber::registry().with(fmt_layer()).with(layer);
            tracing::subscriber::set_global_default(subscriber).expect("installs");
            guard
        }
        "logward_then_fmt_layer" => {
            let (layer, guard) = logward.into_parts();
            let subscriber = tracing_subscriber::registry().with(layer).with(fmt_layer());
            tracing::subscriber::set_global_default(subscriber).expect("installs");
            guard
        }
        other => panic!("unknown setup {other}"),
    };
    log_everything();
    drop(guard);
}

/// Runs `setup` with each `RUST_LOG` and checks the file and stderr.
fn check(name: &str, setup: &str) {
    for rust_log in [None, Some("warn"), Some("trace"), Some("off")] {
        let dir = tempfile::tempdir().expect("tempdir");
        let env: Vec<(&str, &str)> = rust_log.map(|v| ("RUST_LOG", v)).into_iter().collect();
        let output = run(module_path!(), name, setup, dir.path(), &env);
        let records = records(dir.path());
        let got: Vec<(&str, &str, &str)> = records
            .iter()
            .map(|r| (text(r, "log_type"), text(r, "level"), text(r, "request_id")))
            .collect();
        assert_eq!(
            got,
            [
                ("audit", "info", REQUEST_ID),
                ("application", "info", REQUEST_ID),
                ("application", "warning", REQUEST_ID),
            ],
            "{setup} with RUST_LOG={rust_log:?}"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        let shown = |message: &str| stderr.contains(message);
        let (info, warning) = match rust_log {
            None | Some("off") => (false, false),
            Some("warn") => (false, true),
            _ => (true, true),
        };
        assert_eq!(
            (
                shown("info from the service"),
                shown("warning from the service")
            ),
            (info, warning),
            "{setup} with RUST_LOG={rust_log:?}, stderr: {stderr}"
        );
    }
}

#[test]
fn init_with_the_stderr_layer_keeps_every_record_whatever_rust_log_says() {
    let name = "init_with_the_stderr_layer_keeps_every_record_whatever_rust_log_says";
    if let Some(setup) = child::role() {
        return service(&setup);
    }
    check(name, "init_with_stderr_layer");
}

#[test]
fn an_env_filter_on_the_fmt_layer_keeps_every_record_in_either_layer_order() {
    let name = "an_env_filter_on_the_fmt_layer_keeps_every_record_in_either_layer_order";
    if let Some(setup) = child::role() {
        return service(&setup);
    }
    check(name, "fmt_layer_then_logward");
    check(name, "logward_then_fmt_layer");
}

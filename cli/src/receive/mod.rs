//! `logward receive`: the collector. Any HTTPS client (`logward ship` on
//! every machine, ExtraHop's API-log export, curl) posts JSON to
//! `POST /log`; records are validated, de-duplicated by `id` and written
//! byte for byte through the collector's own routing, and the answer is
//! 200 only once they are written (and synced with `LOG_SYNC=always`).
//!
//! - `request`: flags and ExtraHop's `LOGGER_*` environment.
//! - `tls`, `auth`: the certificate, client certificates, bearer token.
//! - `body`: body limit and `Content-Encoding`.
//! - `parse`: records told from foreign JSON, and validated.
//! - `dedupe`: the bounded, persistent id index.
//! - `store`, `settings`: where batches go, the raw file.
//! - `metrics`, `status`, `origins`: what operators see.
//! - `server`: the HTTPS server and its answers.

mod auth;
mod body;
pub(crate) mod dedupe;
pub(crate) mod metrics;
mod origins;
pub(crate) mod parse;
mod request;
mod server;
pub(crate) use server::today;
mod settings;
mod status;
pub(crate) mod store;
mod tls;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use anyhow::Context;
use logward::sink::FileSink;
use logward::{Config, Logward, SyncPolicy, SystemClock};

pub use request::{RawReceiveArgs, ReceiveRequest, ReceiveUsageError};
pub use settings::KEYS as RECEIVE_KEYS;

/// Runs the collector until SIGTERM or SIGINT; `ready` is told the address
/// it listens on.
///
/// # Errors
///
/// A configuration error (`logward::Error` of kind `Config`), or anything
/// that stops it from starting: the certificate, the key, the token file,
/// the state directory, the address.
pub fn receive(
    request: &ReceiveRequest,
    ready: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    let (tls_config, verifier) = tls::server_config(
        &request.cert,
        request.key.as_deref(),
        request.client_ca.as_deref(),
    )?;
    let token = request
        .token_file
        .as_deref()
        .map(auth::Token::read)
        .transpose()?;
    let (store, max_in_flight, page) = if request.stdout {
        (
            store::Store::Stdout(std::sync::Mutex::new(std::io::stdout())),
            logward::DEFAULT_QUEUE_SIZE,
            origins::Origins::default(),
        )
    } else {
        let config = Config::load(request.config.as_deref())?;
        let raw = settings::raw_file(&config)
            .map_err(|e| logward::Error::new(logward::ErrorKind::Config, format!("{e:#}")))?;
        let sync = config.routes().any(|(_, r)| r.sync == SyncPolicy::Always);
        let dir = request.state_dir.join("receive");
        let (index, page) = store::open_index(&dir, request.dedupe_window, sync, &server::today())?;
        let raw = match raw {
            Some(raw) => Some(
                FileSink::open(&raw.path, raw.rotation, raw.sync, Arc::new(SystemClock))
                    .context("cannot open the raw file")?,
            ),
            None => None,
        };
        let logward = Logward::builder().with_config(config.clone()).build()?;
        let (_layer, guard) = logward.into_parts::<tracing_subscriber::Registry>();
        // The collector's own logging_started record is on disk before it
        // takes any batch, so its files change only by what it is sent.
        guard.flush();
        let queue = config.queue_size();
        (
            store::Store::Routed(Box::new(std::sync::Mutex::new(store::Routed::new(
                guard,
                raw,
                index,
                (&dir, page.batch),
                &config,
            )))),
            queue,
            page,
        )
    };
    let listener = std::net::TcpListener::bind(request.listen)
        .with_context(|| format!("cannot listen on {}", request.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(server::Shared {
        store: Arc::new(store),
        metrics: Arc::new(metrics::Metrics::new(page)),
        token,
        verifier,
        max_body: request.max_body,
        timeout: request.timeout,
        validate: !request.stdout,
        in_flight: AtomicUsize::new(0),
        max_in_flight,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("logward receive")
        .build()
        .context("cannot start the server's threads")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        ready(addr);
        let acceptor = tokio_rustls::TlsAcceptor::from(tls_config);
        server::serve(listener, acceptor, Arc::clone(&shared), shutdown()).await;
        Ok::<_, anyhow::Error>(())
    })?;
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    // Dropping the store's guard writes `logging_stopped` and flushes.
    drop(shared);
    Ok(())
}

async fn shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

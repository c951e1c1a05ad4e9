//! A service that links logward from outside its workspace: tokio with
//! tasks moving between worker threads, logward's `tower` layer in an axum
//! service, records from the `log` crate, spans at every level, and the
//! developer's own `RUST_LOG` output through an `EnvFilter` on a `fmt`
//! layer, as logward's README documents.
//!
//! It serves on loopback, sends itself `CLIENTS` × `REQUESTS` requests,
//! each with a fresh `X-Request-Id`, and prints one line per request,
//! `request <id> <n>`, for the test to match the records against: every
//! request writes `RECORDS_PER_REQUEST` records, all with its id and user.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::{Extension, Router};
use logward::http::{RequestLayer, RequestSpan};
use logward::{Emit, audit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::{Instrument, instrument};
use tracing_subscriber::{EnvFilter, Layer};

const CLIENTS: usize = 8;
const REQUESTS: usize = 25;

/// A handler that moves between threads at every `.await`, logging in
/// spans from `trace` to `info` and through the `log` crate.
async fn work(Extension(request): Extension<RequestSpan>, Path(n): Path<usize>) -> &'static str {
    tokio::task::yield_now().await;
    request.set_user(&n.to_string(), &format!("user-{n}"));
    log::info!("log crate record {n}");
    async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        tracing::info!(step = "query", "queried");
    }
    .instrument(tracing::debug_span!("db", query = n))
    .await;
    let spawned = tokio::spawn(
        async move {
            tokio::task::yield_now().await;
            tracing::info!("from a spawned task");
        }
        .instrument(tracing::Span::current()),
    );
    let _ = spawned.await;
    render(n).await;
    audit::UserActivity::new(audit::Activity::Access, true, "report", "127.0.0.1").info();
    "done"
}

#[instrument(level = "trace", fields(phase = "render"))]
async fn render(n: usize) {
    tokio::time::sleep(Duration::from_millis(1)).await;
    tracing::info!("rendered");
}

/// One request over HTTP/1.1; returns the echoed `X-Request-Id`.
async fn send(addr: SocketAddr, n: usize, id: &str) -> std::io::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "GET /work/{n}?session=secret HTTP/1.1\r\nHost: consumer\r\nX-Request-Id: {id}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("x-request-id: ")
                .map(str::to_string)
        })
        .unwrap_or_default())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() -> ExitCode {
    let developer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(EnvFilter::from_default_env());
    let guard = match logward::init_with(developer) {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("consumer: {error:?}");
            return ExitCode::from(2);
        }
    };
    let app = Router::new()
        .route("/work/{n}", get(work))
        .layer(RequestLayer::new());
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("consumer: cannot listen: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(addr) = listener.local_addr() else {
        return ExitCode::FAILURE;
    };
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        clients.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            for i in 0..REQUESTS {
                let n = client * REQUESTS + i;
                let id = uuid::Uuid::new_v4().to_string();
                match send(addr, n, &id).await {
                    Ok(echoed) if echoed == id => sent.push((id, n)),
                    Ok(echoed) => eprintln!("consumer: sent {id}, echoed {echoed:?}"),
                    Err(error) => eprintln!("consumer: request {n}: {error}"),
                }
            }
            sent
        }));
    }
    let mut lines = String::new();
    for client in clients {
        if let Ok(sent) = client.await {
            for (id, n) in sent {
                lines.push_str(&format!("request {id} {n}\n"));
            }
        }
    }
    drop(guard);
    print!("{lines}");
    ExitCode::SUCCESS
}

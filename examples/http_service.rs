//! An axum service behind logward's `tower` layer.
//!
//! ```sh
//! LOGWARD_CONFIG=config/demo.conf RUST_LOG=info cargo run --example http_service
//! curl -H 'X-Request-Id: 0b1d6c1e-5f0a-4e2b-9a57-3c1f0e4d2a10' -H 'Authorization: Bearer alice' http://127.0.0.1:8080/me
//! ```
//!
//! Every request gets a span with its `request_id` (the caller's
//! `X-Request-Id` when it is a UUID, echoed back) and one `web` record;
//! `/me` authenticates the caller and adds `user_id`/`user_name` to the
//! span, so the audit record it writes, and the `web` record, carry them.
//! Records of the `log` crate become `application` records, and the
//! developer's own `RUST_LOG` output goes to stderr without changing what
//! logward writes. `LISTEN` sets the address (default `127.0.0.1:8080`);
//! Ctrl-C stops the service, and dropping the guard flushes every record.

use std::process::ExitCode;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Extension, Router};
use logward::http::{RequestLayer, RequestSpan};
use logward::{Emit, audit};

/// The user a bearer token stands for: here the token is the user's name.
fn authenticate(headers: &HeaderMap) -> Option<(String, String)> {
    let token = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    Some((format!("id-{token}"), token.to_string()))
}

async fn me(
    Extension(request): Extension<RequestSpan>,
    headers: HeaderMap,
) -> (StatusCode, String) {
    let Some((user_id, user_name)) = authenticate(&headers) else {
        audit::LoginAttempt::new(false, "127.0.0.1")
            .message("no bearer token")
            .warning();
        return (StatusCode::UNAUTHORIZED, "who are you?\n".into());
    };
    request.set_user(&user_id, &user_name);
    audit::LoginAttempt::new(true, "127.0.0.1").info();
    log::info!(target: "accounts", "profile of {user_name} loaded");
    (StatusCode::OK, format!("hello {user_name}\n"))
}

async fn health() -> &'static str {
    tracing::debug!("health checked");
    "ok\n"
}

#[tokio::main]
async fn main() -> ExitCode {
    let guard = match logward::init_with(logward::stderr_layer()) {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("http_service: {error:?}");
            return ExitCode::from(2);
        }
    };
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(listener) => listener,
        Err(error) => {
            logward::critical!("cannot listen on {listen}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let app = Router::new()
        .route("/me", get(me))
        .route("/health", get(health))
        .layer(RequestLayer::new());
    tracing::info!(listen = %listen, "listening");
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    if let Err(error) = served {
        tracing::error!(error = &error as &dyn std::error::Error, "server failed");
    }
    drop(guard);
    ExitCode::SUCCESS
}

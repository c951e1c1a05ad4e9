//! The HTTPS server: hyper's HTTP/1.1 on tokio-rustls, a task per
//! connection, and the answers of each path.
//!
//! - `POST /log`: 200 with `{"written":…,"duplicates":…,"foreign":…}` once
//!   the batch is stored; 400 naming the first bad line (nothing of the
//!   batch is written); 401/403 for a missing/wrong client certificate or
//!   bearer token; 408 when the body does not arrive within the timeout;
//!   413 over the body limit; 415 for an unknown `Content-Encoding`; 503
//!   with `Retry-After` when batches waiting to be written already hold a
//!   writer queue's worth of records (`LOG_QUEUE_SIZE`); 500 when writing
//!   failed (the client sends again).
//! - `GET /metrics` (Prometheus text) and `GET /status` (HTML) need no
//!   client certificate or token: they show counts and hostnames, never
//!   record content.
//!
//! Slow clients: the TLS handshake and each request's headers must arrive
//! within the timeout, and so must the body, else the connection is closed
//! (and 408 answered when the headers had come).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::server::danger::ClientCertVerifier;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::auth::{Presented, Token};
use super::body::{self, BodyError};
use super::metrics::{Metrics, Reason};
use super::parse;
use super::status;
use super::store::{Store, StoreError};
use super::tls::{Peer, check_peer};

/// What every connection shares.
pub struct Shared {
    /// Where batches go.
    pub store: Arc<Store>,
    /// The counts.
    pub metrics: Arc<Metrics>,
    /// The bearer token, with `--token-file`.
    pub token: Option<Token>,
    /// The client CA's verifier, with `--client-ca`.
    pub verifier: Option<Arc<dyn ClientCertVerifier>>,
    /// The body limit.
    pub max_body: usize,
    /// Time for the handshake, the headers, the body.
    pub timeout: Duration,
    /// Whether records are validated (not in `--stdout` mode).
    pub validate: bool,
    /// Records parsed and waiting to be stored.
    pub in_flight: AtomicUsize,
    /// The most records that may wait.
    pub max_in_flight: usize,
}

type Answer = Response<Full<Bytes>>;

/// Accepts connections until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let Ok((tcp, _)) = accepted else {
            // Out of file descriptors and the like: a moment, then go on.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let (acceptor, shared) = (acceptor.clone(), Arc::clone(&shared));
        tokio::spawn(async move {
            let Ok(Ok(tls)) = tokio::time::timeout(shared.timeout, acceptor.accept(tcp)).await
            else {
                return;
            };
            let peer = check_peer(
                shared.verifier.as_ref(),
                tls.get_ref().1.peer_certificates(),
            );
            let header_timeout = shared.timeout;
            let service = hyper::service::service_fn(move |req| {
                let (shared, peer) = (Arc::clone(&shared), peer.clone());
                async move { Ok::<_, Infallible>(answer(req, &shared, &peer).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Some(header_timeout))
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

fn text(status: StatusCode, body: impl Into<String>) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(body.into() + "\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn refuse(shared: &Shared, status: StatusCode, reason: Reason, why: impl Into<String>) -> Answer {
    shared.metrics.rejected(reason);
    text(status, why)
}

async fn answer(req: Request<Incoming>, shared: &Shared, peer: &Peer) -> Answer {
    match (req.method(), req.uri().path()) {
        (&Method::POST, "/log") => post_log(req, shared, peer).await,
        (&Method::GET, "/metrics") => {
            let mut r = text(StatusCode::OK, shared.metrics.prometheus());
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            r
        }
        (&Method::GET, "/status") => {
            let page = status::page(&shared.metrics.origins(), &today());
            let mut r = text(StatusCode::OK, page);
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            r
        }
        (_, "/log" | "/metrics" | "/status") => {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
            let allow = if req.uri().path() == "/log" {
                "POST"
            } else {
                "GET"
            };
            r.headers_mut()
                .insert(hyper::header::ALLOW, HeaderValue::from_static(allow));
            r
        }
        _ => text(
            StatusCode::NOT_FOUND,
            "not found; POST /log, GET /metrics or GET /status",
        ),
    }
}

/// The UTC day now, `YYYY-MM-DD`.
pub fn today() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%d").to_string()
}

fn authorize(req: &Request<Incoming>, shared: &Shared, peer: &Peer) -> Option<Answer> {
    match peer {
        Peer::Missing => {
            return Some(refuse(
                shared,
                StatusCode::UNAUTHORIZED,
                Reason::Unauthenticated,
                "a client certificate signed by the collector's client CA is required",
            ));
        }
        Peer::Refused(why) => {
            return Some(refuse(
                shared,
                StatusCode::FORBIDDEN,
                Reason::Forbidden,
                format!("the client certificate is not accepted: {why}"),
            ));
        }
        Peer::NotAsked | Peer::Verified => {}
    }
    let token = shared.token.as_ref()?;
    let header = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    match token.check(header) {
        Presented::Right => None,
        Presented::Missing => {
            let mut r = refuse(
                shared,
                StatusCode::UNAUTHORIZED,
                Reason::Unauthenticated,
                "an Authorization: Bearer token is required",
            );
            r.headers_mut().insert(
                hyper::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer"),
            );
            Some(r)
        }
        Presented::Wrong => Some(refuse(
            shared,
            StatusCode::FORBIDDEN,
            Reason::Forbidden,
            "the bearer token is not accepted",
        )),
    }
}

async fn post_log(req: Request<Incoming>, shared: &Shared, peer: &Peer) -> Answer {
    if let Some(refused) = authorize(&req, shared, peer) {
        return refused;
    }
    let encoding = match body::encoding(
        req.headers()
            .get(CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap_or("(not text)")),
    ) {
        Ok(e) => e,
        Err(e) => {
            return refuse(
                shared,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Reason::Encoding,
                e.to_string(),
            );
        }
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let drainable = shared.max_body.saturating_add(body::DRAIN_MAX) as u64;
    if declared.is_some_and(|n| n > drainable) {
        return too_large(shared, &BodyError::TooLarge(shared.max_body));
    }
    let read = tokio::time::timeout(shared.timeout, body::read(req.into_body(), shared.max_body));
    let raw = match read.await {
        Err(_) => {
            let mut r = refuse(
                shared,
                StatusCode::REQUEST_TIMEOUT,
                Reason::Timeout,
                format!(
                    "the body did not arrive within {} s",
                    shared.timeout.as_secs()
                ),
            );
            r.headers_mut()
                .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
        Ok(Err(e @ BodyError::TooLarge(_))) => return too_large(shared, &e),
        Ok(Err(e)) => {
            return refuse(
                shared,
                StatusCode::BAD_REQUEST,
                Reason::Invalid,
                e.to_string(),
            );
        }
        Ok(Ok(raw)) => raw,
    };
    let (max_body, validate) = (shared.max_body, shared.validate);
    let parsed = tokio::task::spawn_blocking(move || {
        let decoded = body::decode(raw, encoding, max_body)?;
        Ok::<_, BodyError>(parse::parse(&decoded, validate))
    })
    .await;
    let items = match parsed {
        Err(_) => {
            return refuse(
                shared,
                StatusCode::INTERNAL_SERVER_ERROR,
                Reason::Invalid,
                "the body could not be parsed",
            );
        }
        Ok(Err(e @ BodyError::TooLarge(_))) => return too_large(shared, &e),
        Ok(Err(e)) => {
            return refuse(
                shared,
                StatusCode::BAD_REQUEST,
                Reason::Invalid,
                e.to_string(),
            );
        }
        Ok(Ok(Err(refused))) => {
            return refuse(
                shared,
                StatusCode::BAD_REQUEST,
                Reason::Invalid,
                format!("{refused}; nothing of this batch was written"),
            );
        }
        Ok(Ok(Ok(items))) => items,
    };
    let n = items.len().max(1);
    let before = shared.in_flight.fetch_add(n, Ordering::SeqCst);
    if before > 0 && before + n > shared.max_in_flight {
        shared.in_flight.fetch_sub(n, Ordering::SeqCst);
        let mut r = refuse(
            shared,
            StatusCode::SERVICE_UNAVAILABLE,
            Reason::Busy,
            "the collector's writers are full; send again after Retry-After seconds",
        );
        r.headers_mut()
            .insert(hyper::header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    }
    let (store, metrics) = (Arc::clone(&shared.store), Arc::clone(&shared.metrics));
    let stored = tokio::task::spawn_blocking(move || store.store(&items, &metrics, &today())).await;
    shared.in_flight.fetch_sub(n, Ordering::SeqCst);
    match stored {
        Ok(Ok(o)) => {
            let mut r = text(
                StatusCode::OK,
                format!(
                    "{{\"written\":{},\"duplicates\":{},\"foreign\":{}}}",
                    o.written, o.duplicates, o.foreign
                ),
            );
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        Ok(Err(e @ StoreError::NoRawFile(_))) => refuse(
            shared,
            StatusCode::BAD_REQUEST,
            Reason::Invalid,
            format!("{e}; nothing of this batch was written"),
        ),
        Ok(Err(e)) => refuse(
            shared,
            StatusCode::INTERNAL_SERVER_ERROR,
            Reason::WriteFailed,
            e.to_string(),
        ),
        Err(_) => refuse(
            shared,
            StatusCode::INTERNAL_SERVER_ERROR,
            Reason::WriteFailed,
            "the batch could not be stored",
        ),
    }
}

fn too_large(shared: &Shared, e: &BodyError) -> Answer {
    let mut r = refuse(
        shared,
        StatusCode::PAYLOAD_TOO_LARGE,
        Reason::TooLarge,
        e.to_string(),
    );
    r.headers_mut()
        .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    r
}

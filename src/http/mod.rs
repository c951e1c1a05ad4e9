//! HTTP services: the request span and one `web` record per request.
//!
//! [`RequestLayer`] is a `tower` layer to put in front of an axum, hyper or
//! tonic service (the `http` cargo feature). For every request it:
//!
//! - opens the request span, with `request_id` taken from the request's
//!   `X-Request-Id` header when that is a UUID (any of its textual forms,
//!   written back hyphenated and lower-case), else a fresh UUIDv4; the
//!   response carries it in its own `X-Request-Id` header;
//! - runs the inner service inside that span, so every record the handler
//!   writes, on whichever thread its task is polled, carries the
//!   `request_id`;
//! - puts a [`RequestSpan`] into the request's extensions, through which a
//!   handler adds `user_id` and `user_name` once it knows who is asking;
//!   every record written in the request after that carries them;
//! - writes one `web` record when the response is ready: `method`, `path`
//!   (without the query string, which may carry a token), `status_code` and
//!   `duration_ms`; at `error` for a 5xx status, else at `info`. An inner
//!   service's error is a 500 at `error` with the error's text as
//!   `message`; a request dropped before it was answered (the client went
//!   away) is written with status 499 at `warning`, the code nginx uses.
//!
//! With axum (`examples/http_service.rs` is a whole service):
//!
//! ```
//! use axum::{Extension, Router, routing::get};
//! use logward::http::{RequestLayer, RequestSpan};
//!
//! async fn me(Extension(request): Extension<RequestSpan>) -> &'static str {
//!     request.set_user("42", "alice"); // after authentication
//!     tracing::info!("carries request_id, user_id and user_name");
//!     "hello"
//! }
//! let app: Router = Router::new().route("/me", get(me)).layer(RequestLayer::new());
//! # drop(app);
//! ```

mod request_id;
mod service;

use tracing::Span;
use uuid::Uuid;

pub use service::{RequestService, ResponseFuture};

/// The header carrying the request id, in and out.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The `tower` layer that wraps a service in [`RequestService`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestLayer {
    _private: (),
}

impl RequestLayer {
    /// The layer, for `Router::layer` or `ServiceBuilder::layer`.
    pub fn new() -> Self {
        RequestLayer { _private: () }
    }
}

impl<S> tower_layer::Layer<S> for RequestLayer {
    type Service = RequestService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestService::new(inner)
    }
}

/// The request's span, in the request's extensions: a handler takes it
/// (axum: `Extension<RequestSpan>`; else `request.extensions().get()`) to
/// add who is asking.
#[derive(Debug, Clone)]
pub struct RequestSpan {
    span: Span,
    request_id: Uuid,
}

impl RequestSpan {
    /// The request's id, as in its `request_id` field and response header.
    pub fn request_id(&self) -> Uuid {
        self.request_id
    }

    /// The span itself, e.g. to enter it in a task the handler spawns.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Adds `user_id` and `user_name` to the request's span: every record
    /// of the request written after this call carries them.
    pub fn set_user(&self, user_id: &str, user_name: &str) {
        self.span.record("user_id", user_id);
        self.span.record("user_name", user_name);
    }

    /// Adds `user_id` alone.
    pub fn set_user_id(&self, user_id: &str) {
        self.span.record("user_id", user_id);
    }

    /// Adds `user_name` alone.
    pub fn set_user_name(&self, user_name: &str) {
        self.span.record("user_name", user_name);
    }
}

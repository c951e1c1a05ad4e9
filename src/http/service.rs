//! The service that wraps each request in its span and writes its `web`
//! record.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use http::{Method, Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;
use tracing::Span;
use tracing::field::Empty;
use uuid::Uuid;

use super::{REQUEST_ID_HEADER, RequestSpan, request_id};
use crate::Level;
use crate::event::{Emit, web};

/// Status written for a request dropped before it was answered.
const CLIENT_CLOSED: u16 = 499;

/// Wraps a service: see the [module](super) documentation.
#[derive(Debug, Clone)]
pub struct RequestService<S> {
    inner: S,
}

impl<S> RequestService<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        RequestService { inner }
    }
}

impl<S, B, R> Service<Request<B>> for RequestService<S>
where
    S: Service<Request<B>, Response = Response<R>>,
    S::Error: Display,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let id = request_id::of(request.headers());
        let span = tracing::info_span!(
            "request",
            request_id = %id.hyphenated(),
            user_id = Empty,
            user_name = Empty,
        );
        request.extensions_mut().insert(RequestSpan {
            span: span.clone(),
            request_id: id,
        });
        let pending = Pending {
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
            start: Instant::now(),
            id,
        };
        let inner = span.in_scope(|| self.inner.call(request));
        ResponseFuture {
            inner,
            span,
            pending: Some(pending),
        }
    }
}

/// What the `web` record needs that the response does not say.
#[derive(Debug)]
struct Pending {
    method: Method,
    path: String,
    start: Instant,
    id: Uuid,
}

impl Pending {
    /// Writes the request's `web` record; called inside its span.
    fn write(self, status: u16, level: Level, message: Option<&str>) {
        let mut record = web::Request::new(self.method.as_str(), &self.path, status)
            .duration(self.start.elapsed());
        if let Some(message) = message {
            record = record.message(message);
        }
        record.log(level);
    }
}

pin_project! {
    /// The response of a [`RequestService`]: the inner service's, polled
    /// inside the request span, with `X-Request-Id` added.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        span: Span,
        // `None` once the record is written.
        pending: Option<Pending>,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(pending) = this.pending.take() {
                let _entered = this.span.enter();
                pending.write(CLIENT_CLOSED, Level::Warning, Some("the request was dropped before it was answered"));
            }
        }
    }
}

impl<F, R, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
    E: Display,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let result = ready!(this.inner.poll(cx));
        let Some(pending) = this.pending.take() else {
            return Poll::Ready(result);
        };
        let id = pending.id;
        match result {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let level = if status >= 500 {
                    Level::Error
                } else {
                    Level::Info
                };
                pending.write(status, level, None);
                response
                    .headers_mut()
                    .insert(REQUEST_ID_HEADER, request_id::header(id));
                Poll::Ready(Ok(response))
            }
            Err(error) => {
                pending.write(500, Level::Error, Some(&error.to_string()));
                Poll::Ready(Err(error))
            }
        }
    }
}

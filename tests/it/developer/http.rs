//! The `tower` layer in an axum service on loopback, driven by a real HTTP
//! client over TCP, on a multi-threaded tokio runtime whose tasks move
//! between threads: one `web` record per request, the request id taken
//! from the caller or made, echoed, and every record of a request carrying
//! its id and the user the handler set.

use std::collections::HashMap;
use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Router};
use logward::http::{RequestLayer, RequestService, RequestSpan};
use logward::{Emit, Level, Logward, web};
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower_service::Service;

use super::text;
use crate::util::capture::{SharedBuf, capture, parse_lines};

/// Requests sent, each on a connection of its own.
const REQUESTS: usize = 60;

async fn user(Extension(request): Extension<RequestSpan>, Path(id): Path<u32>) -> String {
    tracing::debug!("authenticating");
    tokio::task::yield_now().await;
    request.set_user(&id.to_string(), &format!("user-{id}"));
    for step in 0..3 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        tracing::info!(step, "working");
    }
    request.request_id().to_string()
}

async fn failing() -> StatusCode {
    tracing::warn!("giving up");
    StatusCode::SERVICE_UNAVAILABLE
}

/// One HTTP/1.1 request; returns the response's status and `X-Request-Id`.
async fn get_once(addr: std::net::SocketAddr, path: &str, id: Option<&str>) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let id_header = id
        .map(|id| format!("X-Request-Id: {id}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: test\r\n{id_header}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let echoed = response
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("x-request-id: ")
                .map(str::to_string)
        })
        .expect("the response carries x-request-id");
    (status, echoed)
}

#[test]
fn every_request_gets_one_web_record_and_its_records_carry_its_id_and_user() {
    let buf = SharedBuf::default();
    let (layer, guard) = Logward::builder()
        .with_writer(buf.clone())
        .with_level(Level::Info)
        .with_panic_hook(false)
        .with_lifecycle_records(false)
        .build()
        .expect("logward builds")
        .into_parts();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::layer::SubscriberExt::with(
        tracing_subscriber::registry(),
        layer,
    ));
    let runtime = {
        let dispatch = dispatch.clone();
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .on_thread_start(move || {
                // Each worker logs to this test's runtime for its lifetime.
                std::mem::forget(tracing::dispatcher::set_default(&dispatch));
            })
            .build()
            .expect("a tokio runtime")
    };
    let answers = runtime.block_on(async {
        let app = Router::new()
            .route("/users/{id}", get(user))
            .route("/failing", get(failing))
            .layer(RequestLayer::new());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut tasks = Vec::new();
        for i in 0..REQUESTS {
            tasks.push(tokio::spawn(async move {
                let given = uuid::Uuid::new_v4().to_string();
                let (path, id) = match i % 3 {
                    0 => (format!("/users/{i}?token=secret"), Some(given.as_str())),
                    1 => (format!("/users/{i}"), Some("not-a-uuid")),
                    _ => ("/failing".to_string(), None),
                };
                let (status, echoed) = get_once(addr, &path, id).await;
                (i, given, status, echoed)
            }));
        }
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("the client task"));
        }
        answers
    });
    drop(runtime);
    drop(guard);

    let records = parse_lines(&buf.text());
    let mut by_id: HashMap<String, Vec<&Map<String, Value>>> = HashMap::new();
    for record in &records {
        by_id
            .entry(text(record, "request_id").to_string())
            .or_default()
            .push(record);
    }
    assert_eq!(by_id.len(), REQUESTS, "every record belongs to one request");
    let mut mismatches = Vec::new();
    for (i, given, status, echoed) in &answers {
        assert_eq!(
            uuid::Uuid::parse_str(echoed)
                .map(|u| u.get_version_num())
                .ok(),
            Some(4)
        );
        if i % 3 == 0 {
            assert_eq!(echoed, given, "a caller's UUID is kept");
        }
        let records = by_id.get(echoed).map(Vec::as_slice).unwrap_or(&[]);
        let webs: Vec<_> = records
            .iter()
            .filter(|r| text(r, "log_type") == "web")
            .collect();
        let [web] = webs.as_slice() else {
            mismatches.push(format!("request {i}: {} web records", webs.len()));
            continue;
        };
        let expected_path = if i % 3 == 2 {
            "/failing".to_string()
        } else {
            format!("/users/{i}")
        };
        let (expected_status, level, others) = if i % 3 == 2 {
            (503, "error", 1)
        } else {
            (200, "info", 3)
        };
        if *status != expected_status
            || web["status_code"] != expected_status
            || text(web, "method") != "GET"
            || text(web, "path") != expected_path
            || text(web, "level") != level
            || !web["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0)
        {
            mismatches.push(format!("request {i}: {web:?}"));
        }
        let user = (i % 3 != 2).then(|| (i.to_string(), format!("user-{i}")));
        for record in records {
            let got = (!text(record, "user_id").is_empty()).then(|| {
                (
                    text(record, "user_id").to_string(),
                    text(record, "user_name").to_string(),
                )
            });
            if got != user {
                mismatches.push(format!("request {i}: user of {record:?}"));
            }
        }
        if records.len() != others + 1 {
            mismatches.push(format!("request {i}: {} records", records.len()));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches: {mismatches:#?}",
        mismatches.len()
    );
}

#[test]
fn a_request_dropped_before_its_answer_is_written_as_status_499() {
    let records = capture(|| {
        let mut service = RequestService::new(Never);
        let request = axum::http::Request::get("/slow?q=1")
            .body(())
            .expect("a request");
        let pending = service.call(request);
        drop(pending);
        web::Request::new("GET", "/after", 200).info();
    });
    assert_eq!(records.len(), 2, "{records:?}");
    let dropped = &records[0];
    assert_eq!(dropped["status_code"], 499);
    assert_eq!(text(dropped, "level"), "warning");
    assert_eq!(text(dropped, "path"), "/slow");
    assert!(!text(dropped, "request_id").is_empty());
    assert!(
        !records[1].contains_key("request_id"),
        "the span ended with the request"
    );
}

/// A service whose answer never comes.
#[derive(Clone)]
struct Never;

impl Service<axum::http::Request<()>> for Never {
    type Response = axum::http::Response<()>;
    type Error = Infallible;
    type Future = std::future::Pending<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: axum::http::Request<()>) -> Self::Future {
        std::future::pending()
    }
}

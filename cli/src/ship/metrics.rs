//! `logward ship --metrics ADDR`: the exports' health as Prometheus text,
//! at `GET /metrics` (any other path answers 404).
//!
//! A plain-HTTP endpoint with nothing secret in it: the destinations are
//! shown without credentials and the header files not at all. Bind it to
//! loopback (`127.0.0.1:9464`) unless a scraper elsewhere needs it.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use logward::Clock;

use super::health::{Health, render_metrics};

/// Serves `healths` on `addr` until `stop` is set.
pub fn serve(
    addr: SocketAddr,
    healths: Vec<Arc<Mutex<Health>>>,
    clock: Arc<dyn Clock>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<JoinHandle<()>> {
    let listener =
        TcpListener::bind(addr).with_context(|| format!("cannot listen for metrics on {addr}"))?;
    listener
        .set_nonblocking(true)
        .context("cannot set up the metrics listener")?;
    std::thread::Builder::new()
        .name("ship-metrics".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let snapshot: Vec<Health> = healths
                            .iter()
                            .map(|h| h.lock().unwrap_or_else(PoisonError::into_inner).clone())
                            .collect();
                        let text = render_metrics(&snapshot, clock.now_micros());
                        let _ = answer(stream, &text);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        })
        .context("cannot start the metrics thread")
}

fn answer(stream: TcpStream, text: &str) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let mut stream = stream;
    let path = request.split_whitespace().nth(1).unwrap_or("");
    if request.starts_with("GET ") && path == "/metrics" {
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        )
    } else {
        let body = "only GET /metrics is served\n";
        write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    }
}

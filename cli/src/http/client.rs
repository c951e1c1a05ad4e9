//! Posting a body to one destination, retrying what can be retried.
//!
//! | outcome | what happens |
//! |---|---|
//! | 2xx | delivered |
//! | 408, 429, 5xx | retried after [`Backoff`] or the server's `Retry-After` |
//! | timeout, refused or reset connection | retried likewise |
//! | other statuses (4xx, 3xx: redirects are not followed) | [`SendError::Rejected`] with the body's start |
//! | certificate not trusted, bad URL | [`SendError::Fatal`], no retry |
//! | attempts used up | [`SendError::GaveUp`] with the last reason |

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{Backoff, ClientIdentity, Destination, HeaderFile, TrustRoots};

/// How much of a response body is kept to show in an error.
const BODY_SHOWN: u64 = 4096;

/// A sender to one destination.
#[derive(Debug)]
pub struct Client {
    agent: ureq::Agent,
    destination: Destination,
    headers: Option<HeaderFile>,
    backoff: Backoff,
}

/// A body the destination accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// The 2xx status it answered.
    pub status: u16,
    /// How many attempts it took.
    pub attempts: u32,
}

/// A body that was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The destination refused it: retrying would not help.
    #[error("{destination} answered {status}: {body}")]
    Rejected {
        /// The destination, as shown.
        destination: String,
        /// The status it answered.
        status: u16,
        /// The start of the response body (up to 4 KiB, lossy UTF-8).
        body: String,
    },
    /// Every attempt failed with something worth retrying.
    #[error("{destination}: gave up after {attempts} attempts; the last: {last}")]
    GaveUp {
        /// The destination, as shown.
        destination: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last attempt's failure.
        last: String,
        /// The last status, when the last attempt got an answer.
        status: Option<u16>,
    },
    /// Something retrying cannot fix (an untrusted certificate, a bad URL).
    #[error("{destination}: {why}")]
    Fatal {
        /// The destination, as shown.
        destination: String,
        /// What went wrong.
        why: String,
    },
    /// A stop was asked for while waiting to retry.
    #[error("{destination}: stopped while waiting to retry")]
    Stopped {
        /// The destination, as shown.
        destination: String,
    },
}

impl SendError {
    /// The status of the last answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            SendError::Rejected { status, .. } => Some(*status),
            SendError::GaveUp { status, .. } => *status,
            _ => None,
        }
    }
}

/// One attempt's outcome, classified by what the sender should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered: the 2xx status.
    Done(u16),
    /// Worth retrying: 408, 429, 5xx, a timeout, a refused or reset
    /// connection.
    Retry {
        /// What happened, for a report.
        why: String,
        /// The status, when there was an answer.
        status: Option<u16>,
        /// The `Retry-After` header's value, when sent.
        retry_after: Option<String>,
        /// The attempt ran out of time: the client's timeout, or 408 from
        /// the server (it gave up waiting for the body).
        timed_out: bool,
    },
    /// Refused with another status: the same body would be refused again.
    Reject(u16, String),
    /// Something a retry cannot fix by itself (an untrusted certificate, a
    /// bad URL): the text says what.
    Fatal(String),
}

impl Client {
    /// A client for `destination`, trusting `roots` for `https://`,
    /// sending `headers` with every request, giving each attempt `timeout`
    /// in all and retrying as `backoff` says.
    pub fn new(
        destination: Destination,
        roots: TrustRoots,
        headers: Option<HeaderFile>,
        timeout: Duration,
        backoff: Backoff,
    ) -> Self {
        Client::with_identity(destination, roots, None, headers, timeout, backoff)
    }

    /// [`Client::new`], presenting `identity` to servers that ask for a
    /// client certificate (mutual TLS).
    pub fn with_identity(
        destination: Destination,
        roots: TrustRoots,
        identity: Option<ClientIdentity>,
        headers: Option<HeaderFile>,
        timeout: Duration,
        backoff: Backoff,
    ) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(timeout))
            .tls_config(roots.tls_config(identity.as_ref()))
            .user_agent(concat!("logward/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Client {
            agent,
            destination,
            headers,
            backoff,
        }
    }

    /// The destination, as it may be shown.
    pub fn destination(&self) -> &Destination {
        &self.destination
    }

    /// Posts `body` as `application/json` until it is delivered, refused,
    /// or the attempts are used up. `on_retry` hears of each failed attempt
    /// that will be retried, with the wait before the next; a set `stop`
    /// ends the wait early with [`SendError::Stopped`].
    pub fn post_json(
        &self,
        body: &[u8],
        stop: &AtomicBool,
        mut on_retry: impl FnMut(&str, Duration),
    ) -> Result<Delivered, SendError> {
        let destination = self.destination.to_string();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (why, status, retry_after) = match self.post_once(body, "application/json", None) {
                Outcome::Done(status) => {
                    return Ok(Delivered {
                        status,
                        attempts: attempt,
                    });
                }
                Outcome::Reject(status, body) => {
                    return Err(SendError::Rejected {
                        destination,
                        status,
                        body,
                    });
                }
                Outcome::Fatal(why) => return Err(SendError::Fatal { destination, why }),
                Outcome::Retry {
                    why,
                    status,
                    retry_after,
                    ..
                } => (why, status, retry_after),
            };
            if attempt >= self.backoff.attempts {
                return Err(SendError::GaveUp {
                    destination,
                    attempts: attempt,
                    last: why,
                    status,
                });
            }
            let wait = self.backoff.delay_after(attempt, retry_after.as_deref());
            on_retry(&why, wait);
            if !sleep_unless_stopped(wait, stop) {
                return Err(SendError::Stopped { destination });
            }
        }
    }

    /// Posts `body` once, as `content_type`, with a `Content-Encoding`
    /// header when `content_encoding` is given (`gzip` for a compressed
    /// body), and classifies the outcome; retrying is the caller's.
    pub fn post_once(
        &self,
        body: &[u8],
        content_type: &str,
        content_encoding: Option<&str>,
    ) -> Outcome {
        let mut request = self
            .agent
            .post(self.destination.uri())
            .content_type(content_type);
        if let Some(encoding) = content_encoding {
            request = request.header("Content-Encoding", encoding);
        }
        for (name, value) in self.headers.iter().flat_map(HeaderFile::headers) {
            request = request.header(name, value);
        }
        let response = match request.send(body) {
            Ok(response) => response,
            Err(error) => return classify_error(error),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = body_start(response.into_body());
        match status {
            200..=299 => Outcome::Done(status),
            408 | 429 | 500..=599 => Outcome::Retry {
                why: format!("status {status}: {text}"),
                status: Some(status),
                retry_after,
                timed_out: status == 408,
            },
            _ => Outcome::Reject(status, text),
        }
    }
}

fn classify_error(error: ureq::Error) -> Outcome {
    match error {
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            Outcome::Fatal(format!("TLS or protocol failure: {e}"))
        }
        ureq::Error::Tls(_)
        | ureq::Error::Rustls(_)
        | ureq::Error::BadUri(_)
        | ureq::Error::Pem(_) => Outcome::Fatal(error.to_string()),
        other => Outcome::Retry {
            timed_out: match &other {
                ureq::Error::Timeout(_) => true,
                ureq::Error::Io(e) => e.kind() == std::io::ErrorKind::TimedOut,
                _ => false,
            },
            why: other.to_string(),
            status: None,
            retry_after: None,
        },
    }
}

/// The start of a response body, as text for a message.
fn body_start(body: ureq::Body) -> String {
    let mut bytes = Vec::new();
    let _ = body.into_reader().take(BODY_SHOWN).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).trim().to_string()
}

/// Sleeps `wait` in short steps; `false` if `stop` was set meanwhile.
fn sleep_unless_stopped(wait: Duration, stop: &AtomicBool) -> bool {
    let end = Instant::now() + wait;
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

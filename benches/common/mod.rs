//! What the benches share: the event they all log and the span it sits in.

/// An audit login attempt with 8 fields and a message, the event every
/// bench logs; `i` varies two of its values.
pub fn login_attempt(i: u64) {
    tracing::info!(
        target: "logward::audit",
        action = "login_attempt",
        access_granted = i % 2 == 0,
        client_ip = "10.0.0.7",
        forwarded_for_client_ip = "203.0.113.9",
        user_agent = "curl/8.5.0",
        method = "password",
        attempt = i,
        tenant = "acme",
        "login attempt"
    );
}

/// The same login attempt as a typed record: `action`, `access_granted`,
/// `client_ip`, `forwarded_for_client_ip` and a message.
pub fn typed_login_attempt(i: u64) {
    use logward::Emit;
    logward::audit::LoginAttempt::new(i % 2 == 0, "10.0.0.7")
        .forwarded_for("203.0.113.9")
        .message("login attempt")
        .info();
}

/// The request span around every event.
pub fn request_span() -> tracing::Span {
    tracing::info_span!("request", request_id = REQUEST_ID, user_name = USER_NAME)
}

/// The span's `request_id`.
pub const REQUEST_ID: &str = "0b1d6c1e-5f0a-4e2b-9a57-3c1f0e4d2a10";
/// The span's `user_name`.
pub const USER_NAME: &str = "alice";

//! Where requests go: an `https://` URL, or plain `http://` to loopback.
//!
//! Plain HTTP is allowed only to `127.0.0.0/8`, `::1` and `localhost`,
//! where nothing crosses a network; anywhere else the URL must be
//! `https://`. Credentials in the URL (`https://user:pass@host`) are
//! refused: they would show in the process list and in audit records, so
//! they belong in a header file.

use std::fmt;
use std::net::IpAddr;

use ureq::http::Uri;

/// A URL that requests may be sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    uri: Uri,
    tls: bool,
}

/// Why a URL cannot be a destination.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DestinationError(String);

impl Destination {
    /// Parses and checks `url`.
    pub fn parse(url: &str) -> Result<Self, DestinationError> {
        let uri: Uri = url.parse().map_err(|e| {
            DestinationError(format!(
                "{url:?} is not a URL ({e}): write https://HOST[:PORT]/PATH"
            ))
        })?;
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => {
                return Err(DestinationError(format!(
                    "{url:?}: the URL must start with https:// (or http:// to a loopback address)"
                )));
            }
        };
        let Some(authority) = uri.authority() else {
            return Err(DestinationError(format!("{url:?} names no host")));
        };
        if authority.as_str().contains('@') {
            return Err(DestinationError(format!(
                "{}: credentials in the URL are refused; put them in a header file",
                redact_userinfo(url)
            )));
        }
        let dest = Destination { uri, tls };
        if !tls && !dest.is_loopback() {
            return Err(DestinationError(format!(
                "{url:?}: plain http:// is allowed only to a loopback address (127.0.0.1, ::1, localhost); use https://"
            )));
        }
        Ok(dest)
    }

    /// Whether the host is a loopback address or `localhost`.
    pub fn is_loopback(&self) -> bool {
        let host = self.uri.host().unwrap_or_default();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if bare.eq_ignore_ascii_case("localhost") {
            return true;
        }
        bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// Whether requests are sent over TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The URL to send to.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }
}

/// The URL as it may be shown and recorded: it carries no credentials
/// (they are refused), so this is the URL itself.
impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.uri)
    }
}

/// `url` with anything between `://` and `@` replaced, for an error message.
fn redact_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            format!("{}://***{}", &url[..start], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_loopback() {
        assert!(Destination::parse("https://extrahop.example/api").is_ok());
        for ok in [
            "http://127.0.0.1:8080/x",
            "http://127.1.2.3/x",
            "http://[::1]:9/x",
            "http://localhost/x",
        ] {
            assert!(Destination::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1/x",
            "http://example.org/x",
            "ftp://127.0.0.1/",
        ] {
            let err = Destination::parse(bad).unwrap_err().to_string();
            assert!(err.contains("https://"), "{bad}: {err}");
        }
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_echoing_them() {
        let err = Destination::parse("https://admin:hunter2@host/api")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("header file"), "{err}");
    }
}

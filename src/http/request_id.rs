//! The request id: the caller's `X-Request-Id` when it is a UUID, else a
//! fresh one.

use http::HeaderMap;
use http::header::HeaderValue;
use uuid::Uuid;

use super::REQUEST_ID_HEADER;

/// The id of a request with these headers: the first `X-Request-Id` when
/// it parses as a UUID, else a new UUIDv4. A caller's id in another form
/// (`{…}`, `urn:uuid:…`, no hyphens, upper case) is the same UUID.
pub(super) fn of(headers: &HeaderMap) -> Uuid {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| Uuid::try_parse(text.trim()).ok())
        .unwrap_or_else(crate::record::new_uuid)
}

/// The header value for `id`: hyphenated, lower case.
pub(super) fn header(id: Uuid) -> HeaderValue {
    let mut text = Uuid::encode_buffer();
    let text = id.hyphenated().encode_lower(&mut text);
    HeaderValue::from_str(text).expect("a hyphenated UUID is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            REQUEST_ID_HEADER,
            HeaderValue::from_str(value).expect("a header value"),
        );
        headers
    }

    #[test]
    fn a_uuid_in_any_form_is_kept_and_anything_else_replaced() {
        let id = Uuid::parse_str("0b1d6c1e-5f0a-4e2b-9a57-3c1f0e4d2a10").expect("a UUID");
        for form in [
            "0b1d6c1e-5f0a-4e2b-9a57-3c1f0e4d2a10",
            "0B1D6C1E-5F0A-4E2B-9A57-3C1F0E4D2A10",
            "0b1d6c1e5f0a4e2b9a573c1f0e4d2a10",
            "{0b1d6c1e-5f0a-4e2b-9a57-3c1f0e4d2a10}",
            " urn:uuid:0b1d6c1e-5f0a-4e2b-9a57-3c1f0e4d2a10 ",
        ] {
            assert_eq!(of(&with(form)), id, "{form}");
        }
        for bad in ["abc", "0b1d6c1e-5f0a-4e2b-9a57", "'; DROP TABLE", ""] {
            let fresh = of(&with(bad));
            assert_ne!(fresh, id);
            assert_eq!(fresh.get_version_num(), 4, "{bad}");
        }
        assert_eq!(of(&HeaderMap::new()).get_version_num(), 4);
    }

    #[test]
    fn the_header_is_the_hyphenated_lower_case_form() {
        let id = Uuid::parse_str("0B1D6C1E5F0A4E2B9A573C1F0E4D2A10").expect("a UUID");
        assert_eq!(header(id), "0b1d6c1e-5f0a-4e2b-9a57-3c1f0e4d2a10");
    }
}

//! Reading a request body within its limit, and undoing its
//! `Content-Encoding`.
//!
//! The body is read frame by frame and refused as soon as it passes the
//! limit, so a client cannot make the collector hold more than the limit:
//! the rest is read and thrown away (up to [`DRAIN_MAX`], within the
//! timeout) so that the client gets the 413, and a `Content-Length` past
//! that is refused before anything is read. A gzip
//! body may decompress to at most [`INFLATE_FACTOR`] times the limit.

use std::io::Read;

use http_body_util::BodyExt;
use hyper::body::Incoming;

/// Bytes of a body over the limit that are read and thrown away before the
/// 413 is sent, so that a client still writing its body reads the answer
/// instead of a reset connection; a body larger still is cut off.
pub const DRAIN_MAX: usize = 64 << 20;

/// How much larger than the limit a gzip body may decompress to.
pub const INFLATE_FACTOR: usize = 8;

/// Why a body was not taken.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Over the limit (413).
    #[error("the body is over the limit of {0} bytes")]
    TooLarge(usize),
    /// An encoding other than gzip or identity (415).
    #[error("Content-Encoding {0:?} is not supported; allowed: gzip or identity")]
    Encoding(String),
    /// The gzip data is broken (400).
    #[error("the body is not valid gzip: {0}")]
    Gzip(String),
    /// The connection failed while reading (400).
    #[error("the body could not be read: {0}")]
    Read(String),
}

/// How the body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// As is.
    Identity,
    /// gzip.
    Gzip,
}

/// The encoding a `Content-Encoding` value names.
pub fn encoding(header: Option<&str>) -> Result<Encoding, BodyError> {
    match header.map(str::trim) {
        None | Some("") => Ok(Encoding::Identity),
        Some(v) if v.eq_ignore_ascii_case("identity") => Ok(Encoding::Identity),
        Some(v) if v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip") => {
            Ok(Encoding::Gzip)
        }
        Some(v) => Err(BodyError::Encoding(v.to_string())),
    }
}

/// Reads `body`, at most `limit` bytes.
pub async fn read(mut body: Incoming, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Read(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                drain(body, DRAIN_MAX).await;
                return Err(BodyError::TooLarge(limit));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// Reads and drops at most `max` more bytes of `body`.
async fn drain(mut body: Incoming, max: usize) {
    let mut dropped = 0;
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            dropped += data.len();
            if dropped > max {
                return;
            }
        }
    }
}

/// Undoes `encoding`, refusing output over `limit` × [`INFLATE_FACTOR`].
pub fn decode(body: Vec<u8>, encoding: Encoding, limit: usize) -> Result<Vec<u8>, BodyError> {
    match encoding {
        Encoding::Identity => Ok(body),
        Encoding::Gzip => {
            let max = limit.saturating_mul(INFLATE_FACTOR);
            let mut out = Vec::new();
            let mut decoder = flate2::read::MultiGzDecoder::new(body.as_slice())
                .take(u64::try_from(max).unwrap_or(u64::MAX) + 1);
            decoder
                .read_to_end(&mut out)
                .map_err(|e| BodyError::Gzip(e.to_string()))?;
            if out.len() > max {
                return Err(BodyError::TooLarge(max));
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).expect("compress");
        enc.finish().expect("finish")
    }

    #[test]
    fn gzip_is_undone_within_its_limit_and_broken_gzip_is_refused() {
        assert_eq!(
            decode(gzip(b"{}\n"), Encoding::Gzip, 10).expect("decoded"),
            b"{}\n"
        );
        let bomb = gzip(&vec![b' '; 1000]);
        assert!(matches!(
            decode(bomb, Encoding::Gzip, 100),
            Err(BodyError::TooLarge(800))
        ));
        let mut cut = gzip(b"{\"a\":1}\n");
        cut.truncate(cut.len() - 4);
        assert!(matches!(
            decode(cut, Encoding::Gzip, 100),
            Err(BodyError::Gzip(_))
        ));
        assert!(matches!(encoding(Some("br")), Err(BodyError::Encoding(_))));
        assert_eq!(encoding(Some("GZIP")).ok(), Some(Encoding::Gzip));
    }
}

//! An HTTPS destination: the shared [`Client`](crate::http::Client), one
//! attempt per call.
//!
//! An untrusted or wrong server certificate is retried like a broken
//! connection (with backoff, reported in the health, counted under `tls`):
//! nothing is ever sent without verified TLS, and delivery resumes once
//! the operator fixes the certificate or the CA file.

use std::time::Duration;

use anyhow::Context;

use super::{Attempt, Destination};
use crate::http::{Backoff, Client, HeaderFile, Outcome, TrustRoots};
use crate::ship::Export;
use crate::ship::batch::Body;
use crate::ship::config::Target;

/// Posts to one export's URL.
#[derive(Debug)]
pub struct HttpsDestination {
    client: Client,
}

impl HttpsDestination {
    /// The destination of `export`, each attempt allowed `timeout`.
    pub fn new(export: &Export, timeout: Duration) -> anyhow::Result<Self> {
        let Target::Https(destination) = &export.destination else {
            anyhow::bail!("export {} is not an HTTPS export", export.name);
        };
        let roots = match &export.ca_file {
            Some(path) => TrustRoots::from_ca_file(path)?,
            None => TrustRoots::system()?,
        };
        let identity = match &export.client_cert {
            Some(files) => Some(files.load()?),
            None => None,
        };
        let headers = match &export.header_file {
            Some(path) => Some(HeaderFile::read(path)?),
            None => None,
        };
        let client = Client::with_identity(
            destination.clone(),
            roots,
            identity,
            headers,
            timeout,
            Backoff::default(),
        );
        Ok(HttpsDestination { client })
    }

    /// [`HttpsDestination::new`] with the export named in errors.
    pub fn for_export(export: &Export, timeout: Duration) -> anyhow::Result<Self> {
        Self::new(export, timeout).with_context(|| format!("export {}", export.name))
    }
}

impl Destination for HttpsDestination {
    fn describe(&self) -> String {
        self.client.destination().to_string()
    }

    fn send(&mut self, body: &Body) -> Attempt {
        match self
            .client
            .post_once(&body.bytes, body.content_type, body.encoding)
        {
            Outcome::Done(status) => Attempt::Delivered(status),
            Outcome::Retry {
                why,
                status,
                retry_after,
                timed_out,
            } => Attempt::Retry {
                reason: status.map_or_else(|| "connection".to_string(), |s| s.to_string()),
                why,
                retry_after,
                timed_out,
            },
            Outcome::Reject(status, why) => Attempt::Refused { status, why },
            Outcome::Fatal(why) => Attempt::Retry {
                reason: "tls".to_string(),
                why,
                retry_after: None,
                timed_out: false,
            },
        }
    }
}

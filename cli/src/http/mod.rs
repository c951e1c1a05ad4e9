//! HTTP delivery shared by the tool's senders (`import csv --post`,
//! `ship`): where a request goes, which roots its TLS trusts, the
//! secret headers it carries, and how failed attempts are retried.
//!
//! - [`Destination`]: an `https://` URL, or `http://` only to a loopback
//!   address. TLS certificates are always verified; there is no switch to
//!   turn verification off.
//! - [`TrustRoots`]: the system's root certificates, or the CA file an
//!   operator names instead.
//! - [`HeaderFile`]: request headers read from a file that only its owner
//!   may read (mode 0600 or 0400); values are never printed.
//! - [`Backoff`]: exponential backoff with jitter, overridden by the
//!   server's `Retry-After`.
//! - [`ClientIdentity`]: a client certificate and its key (mode 0600 or
//!   0400; an encrypted PKCS#8 key or a PKCS#12 keystore with its password
//!   file), for destinations that require mutual TLS.
//! - [`Client`]: one destination, its roots and headers, posting a body and
//!   retrying what can be retried.

mod client;
mod destination;
mod headers;
mod identity;
mod retry;
mod secret;
mod tls;

pub use client::{Client, Delivered, Outcome, SendError};
pub use destination::{Destination, DestinationError};
pub use headers::{HeaderError, HeaderFile};
pub use identity::{ClientIdentity, IdentityError};
pub use retry::{Backoff, retry_after};
pub use secret::check_private;
pub use tls::{TlsError, TrustRoots};

//! Kafka, on librdkafka (`rdkafka`): what the producer export of `logward
//! ship` and the consumer of `logward consume` share.
//!
//! - [`Brokers`]: the `host:port,…` list, checked.
//! - [`KafkaTls`]: trust roots and the client certificate, as librdkafka
//!   settings. TLS (`security.protocol=ssl`) is used whenever a TLS key is
//!   given or a broker is not on loopback: plaintext Kafka is allowed only
//!   to `127.0.0.0/8`, `::1` and `localhost`, like plain `http://`.
//!   librdkafka reads the CA as PEM; a PKCS#12 truststore is converted in
//!   memory, and the client certificate (PEM files, an encrypted PKCS#8
//!   key, or a PKCS#12 keystore with its password file) is read by the
//!   same code as the HTTPS exports' and handed over as PEM in memory, so
//!   keys and passwords are never written anywhere else.
//! - [`Errors`]: the client's last connection error, for health and
//!   messages (librdkafka retries connections on its own and reports why
//!   they fail only through its error callback).
//! - [`probe`]: connect, complete the TLS handshake and read the topic's
//!   metadata, saying what failed (`config check --connect`, and before
//!   `consume` joins its group).

mod brokers;
mod client;
mod tls;

pub use brokers::{Brokers, BrokersError, check_topic};
pub(crate) use client::base_config;
pub use client::{Errors, explain, is_tls_failure, probe};
pub use tls::KafkaTls;

//! `logward consume`: the flags, and running the consumer until SIGTERM.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Args;
use logward_cli::consume::{self, ConsumeOutput, ConsumeRequest, Say};
use logward_cli::kafka::{Brokers, KafkaTls, check_topic};
use logward_cli::ship::ClientCertFiles;

use super::{UsageError, out};

/// `session.timeout.ms` when `--session-timeout` is not given (librdkafka's).
const DEFAULT_SESSION_TIMEOUT_MS: u64 = 45_000;
/// `--rotate-every-kb` when not given (Filebeat's default).
const DEFAULT_ROTATE_KB: u64 = 10_240;

#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// Brokers to bootstrap from: HOST:PORT[,HOST:PORT...]
    #[arg(long, value_name = "LIST", required = true)]
    brokers: String,
    /// The topic to read (c<ID>)
    #[arg(long, value_name = "TOPIC", required = true)]
    topic: String,
    /// The consumer group to join; its name should start with the topic and _ (c<ID>_...)
    #[arg(long, value_name = "GROUP", required = true)]
    group: String,
    /// Trust the CA of this file (PEM, or a PKCS#12 truststore without password) instead of the system roots
    #[arg(long, value_name = "PATH")]
    ca_file: Option<PathBuf>,
    /// Client certificate (PEM chain), with --key-file
    #[arg(long, value_name = "PATH", requires = "key_file")]
    cert_file: Option<PathBuf>,
    /// The certificate's private key (PEM, mode 0600 or 0400)
    #[arg(long, value_name = "PATH", requires = "cert_file")]
    key_file: Option<PathBuf>,
    /// File holding the password of an encrypted --key-file (mode 0600 or 0400)
    #[arg(long, value_name = "PATH", requires = "key_file")]
    key_password_file: Option<PathBuf>,
    /// Client certificate and key from a PKCS#12 keystore (mode 0600 or 0400), with --keystore-password-file
    #[arg(long, value_name = "PATH", requires = "keystore_password_file", conflicts_with_all = ["cert_file", "key_file"])]
    keystore_file: Option<PathBuf>,
    /// File holding the keystore's password (mode 0600 or 0400)
    #[arg(long, value_name = "PATH", requires = "keystore_file")]
    keystore_password_file: Option<PathBuf>,
    /// Write each record as one line to stdout instead of through the routing
    #[arg(long, conflicts_with = "out_file")]
    stdout: bool,
    /// Write each record as one line to this file instead of through the routing, rotated by size
    #[arg(long, value_name = "PATH")]
    out_file: Option<PathBuf>,
    /// With --out-file: start a new file before one would pass this many KiB [default: 10240]
    #[arg(long, value_name = "KB", requires = "out_file")]
    rotate_every_kb: Option<u64>,
    /// Where the id index is kept, one per consumer [default: $STATE_DIRECTORY, else /var/lib/logward, then consume/TOPIC/GROUP]
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Milliseconds the group waits for a silent member before moving its partitions [default: 45000]
    #[arg(long, value_name = "MS")]
    session_timeout: Option<u64>,
}

/// Checks the flags and consumes until SIGTERM or SIGINT.
pub fn run(args: ConsumeArgs, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let request = check(args, config)?;
    let prefix = format!("{}_", request.topic);
    if !request.group.starts_with(&prefix) {
        out::stderr(&format!(
            "logward: warning: group {:?} does not start with {prefix:?}; brokers that name \
             groups after their topic refuse it",
            request.group
        ));
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let say: Say = Arc::new(|note: &str| out::stderr(&format!("logward consume: {note}")));
    let summary = consume::consume(&request, &stop, &say)?;
    out::stderr(&format!(
        "logward consume: {} records written, {} duplicates dropped, {} messages skipped",
        summary.written, summary.duplicates, summary.skipped
    ));
    Ok(ExitCode::SUCCESS)
}

fn check(args: ConsumeArgs, config: Option<&Path>) -> anyhow::Result<ConsumeRequest> {
    let usage = |m: String| anyhow::Error::from(UsageError(m));
    let brokers = Brokers::parse(&args.brokers).map_err(|e| usage(format!("--brokers: {e}")))?;
    check_topic(&args.topic).map_err(|e| usage(format!("--topic {:?}: {e}", args.topic)))?;
    if args.group.is_empty() {
        return Err(usage("--group: allowed: a non-empty group name".into()));
    }
    let output = match (config, args.stdout, args.out_file) {
        (Some(_), true, _) | (Some(_), _, Some(_)) => {
            return Err(usage(
                "--config writes through that configuration's routing; allowed: one of --config, \
                 --stdout or --out-file"
                    .into(),
            ));
        }
        (_, true, _) => ConsumeOutput::Stdout,
        (_, false, Some(path)) => {
            let kb = args.rotate_every_kb.unwrap_or(DEFAULT_ROTATE_KB);
            if kb == 0 {
                return Err(usage("--rotate-every-kb: allowed: at least 1".into()));
            }
            ConsumeOutput::File {
                path,
                rotate_bytes: kb.saturating_mul(1024),
            }
        }
        (config, false, None) => ConsumeOutput::Routed(config.map(Path::to_path_buf)),
    };
    let session_ms = args.session_timeout.unwrap_or(DEFAULT_SESSION_TIMEOUT_MS);
    if !(1_000..=3_600_000).contains(&session_ms) {
        return Err(usage(
            "--session-timeout: allowed: 1000 to 3600000 milliseconds".into(),
        ));
    }
    let client_cert = match (
        args.cert_file,
        args.key_file,
        args.keystore_file,
        args.keystore_password_file,
    ) {
        (Some(cert), Some(key), None, None) => Some(ClientCertFiles::Pem {
            cert,
            key,
            password: args.key_password_file,
        }),
        (None, None, Some(keystore), Some(password)) => {
            Some(ClientCertFiles::Pkcs12 { keystore, password })
        }
        _ => None,
    };
    let tls = KafkaTls {
        enabled: args.ca_file.is_some() || client_cert.is_some() || !brokers.all_loopback(),
        ca_file: args.ca_file,
        client_cert,
    };
    let index_dir = args.state_dir.unwrap_or_else(|| {
        logward_cli::state_dir(None)
            .join("consume")
            .join(&args.topic)
            .join(&args.group)
    });
    Ok(ConsumeRequest {
        brokers,
        topic: args.topic,
        group: args.group,
        tls,
        output,
        index_dir,
        session_timeout: Duration::from_millis(session_ms),
    })
}

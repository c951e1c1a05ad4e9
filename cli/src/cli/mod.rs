//! The `logward` command line: flags, validation and dispatch.
//!
//! Exit codes: 0 success, 1 a runtime failure (a sink, a file, journald),
//! 2 a usage or configuration error. Errors go to stderr, data to stdout.

mod bundle;
mod check;
mod consume;
mod emit;
mod generate;
mod import;
pub(crate) mod out;
mod receive;
mod reload;
mod select;
mod ship;
mod show;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use std::io::IsTerminal;

use clap::{Args, Parser, Subcommand};
use logward::{Level, LogType};

/// A usage error: the command line makes no sense (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

const AFTER_HELP: &str = "\
Examples:
  logward config check
  logward show --date-from -2h --user alice
  logward bundle --date-from 2026-11-20 --log-type audit \\
      --out-file /tmp/support.tar.gz --compress
  logward emit --log-type application --level info \\
      --message \"backup done\" job=backup
  logward import csv vpn.csv --column ipaddr=\"VPN IP\" \\
      --time-column \"Start Time\"
  logward ship --once

Exit codes:
  0  success
  1  runtime failure (a sink, a file or journald could not be used)
  2  usage or configuration error";

const CHECK_EXAMPLES: &str = "\
Examples:
  logward config check
  logward config check --strict --config /etc/logward/config
  logward config check --connect
  LOGWARD_LOG_LEVEL=debug logward --config ./staging.conf config check
  logward config reload --unit shop.service";

/// Structured audit logging for Linux services.
///
/// Services that link the logward library write every tracing event as one
/// flat JSON record, routed by log type (audit, web, application, analysis,
/// tanium) to systemd-journald or to a daily-rotating file. This command
/// checks that routing, writes records from scripts, imports CSV logs of
/// other systems, shows and follows records, and collects logs into a
/// support bundle.
///
/// The configuration is --config PATH, else $LOGWARD_CONFIG, else
/// /etc/logward/config; any key can be overridden by LOGWARD_<KEY> in the
/// environment.
#[derive(Debug, Parser)]
#[command(name = "logward", version, propagate_version = true, after_help = AFTER_HELP)]
pub struct Cli {
    /// Configuration file, before or after the command [default: $LOGWARD_CONFIG, else /etc/logward/config]
    #[arg(long, value_name = "PATH", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Collect logs by date, type and level into stdout, a file or a .tar.gz bundle.
    #[command(after_help = "\
Examples:
  logward bundle --date-from 2026-11-20 --log-type audit | less
  logward bundle --date-from \"2026-11-20 08:00:00\" --date-to 2026-11-21 \\
      --log-level error,critical --out-file errors.jsonl
  logward bundle --log-type audit,web --out-file /tmp/support.tar.gz --compress
  logward bundle --log-type web \\
      --filter '{\"where\":{\"key\":\"status_code\",\"operator\":\"geq\",\"value\":500}}'")]
    Bundle(BundleArgs),
    /// Print the selected records for reading, one line each, or follow them as they are written.
    ///
    /// Reads what bundle reads (the journal's trusted senders and the file
    /// sinks with their rotated files), merged in created_at order; writes
    /// nothing, not even an audit record.
    #[command(after_help = "\
Examples:
  logward show --date-from -2h --log-level warning,error,critical
  logward show --follow --log-type web --where status_code=500
  logward show --request-id 0c9e4c4d-6f1e-4f5e-9a57-3c1d2b7f8e90 -o json
  logward show --user alice --date-from yesterday --date-to today --local
  logward show -t shop-api -o cat | less")]
    Show(show::ShowArgs),
    /// Write one record (or one per JSON line on stdin) through the configured routing.
    #[command(after_help = "\
Examples:
  logward emit --log-type audit --level warning \\
      action=login_attempt access_granted:=false client_ip=10.0.0.7
  echo '{\"job\":\"backup\",\"bytes\":123,\"message\":\"done\"}' \\
      | logward emit --log-type application --level info --stdin")]
    Emit(EmitArgs),
    /// Check the configuration, or have a running service reload it.
    #[command(subcommand, after_help = CHECK_EXAMPLES)]
    Config(ConfigCommand),
    /// Import logs of other systems as records (and post them as observations).
    #[command(
        subcommand,
        after_help = "\
Examples:
  logward import csv vpn.csv --column ipaddr=\"VPN IP\" \\
      --column associated_ipaddr=\"Real IP\" --time-column \"Start Time\"
  logward import csv --help"
    )]
    Import(ImportCommand),
    /// Ship records to the configured exports (EXPORT_<NAME>_*), at least once.
    ///
    /// Reads the files the configuration routes each export's types to,
    /// following rotation, and posts the export's selection over HTTPS. A
    /// position is saved in the state directory only after the destination
    /// acknowledged everything before it; 408, 429, 5xx and connection
    /// failures are retried for as long as it takes, and records refused
    /// with another 4xx go to a dead-letter file.
    #[command(after_help = "\
Examples:
  logward ship --metrics 127.0.0.1:9464
  logward ship --once --config /etc/logward/config
  logward ship status --json")]
    Ship(ship::ShipArgs),
    /// Check sealed log files (LOG_SEAL=true) and bundles for changes; exit 0 intact, 1 not.
    #[command(after_help = "\
Examples:
  logward verify --verify-key /root/logward-verify.key
  logward verify --verify-key key --log-type audit --date-from 2026-11-20
  logward verify --bundle support.tar.gz --verify-key key

Exit codes:
  0  intact
  1  a change, deletion, reordering or missing seal was found (each is listed)
  2  usage error")]
    Verify(verify::VerifyArgs),
    /// Tamper-evident sealing of log files: start the seal chains.
    #[command(
        subcommand,
        after_help = "\
Examples:
  logward seal init --verify-key-out /root/logward-verify.key
  logward seal init --help"
    )]
    Seal(verify::SealCommand),
    /// Collect records from other machines over HTTPS (POST /log), exactly once by id.
    #[command(after_help = "\
Examples:
  logward receive --cert /etc/logward/receive.pem \\
      --key /etc/logward/receive.key \\
      --client-ca /etc/logward/shippers-ca.pem
  logward receive --stdout \\
      --cert trusted-server.pem > extrahop.json

Answers: 200 written; 400 a bad line (named, nothing written); 401/403 client
certificate or token; 408 slow body; 413 body over --max-body; 415 unknown
Content-Encoding (gzip is supported); 503 writers full (Retry-After).")]
    Receive(ReceiveArgs),
    /// Read records from a Kafka topic in a consumer group into the routing, stdout or a file.
    ///
    /// Joins --group and shares the topic's partitions with every other
    /// member. Records are de-duplicated by id (an index in the state
    /// directory) and written (synced when the output is), and only then
    /// are their offsets committed, so a consumer killed at any moment
    /// loses nothing.
    #[command(after_help = "\
Examples:
  logward consume --brokers kafka-1.example:9093 --topic c83 \\
      --group c83_logward --keystore-file /etc/logward/c83.p12 \\
      --keystore-password-file /etc/logward/c83.password
  logward consume --brokers kafka-1.example:9093 --topic c83 \\
      --group c83_archive --ca-file ca.pem --cert-file c83.pem \\
      --key-file c83.key --out-file /srv/c83.json --rotate-every-kb 10240")]
    Consume(consume::ConsumeArgs),
    /// Print a shell completion script for logward.
    #[command(after_help = "\
Examples:
  logward completions bash > /usr/share/bash-completion/completions/logward
  logward completions zsh > /usr/share/zsh/vendor-completions/_logward
  source <(logward completions bash)")]
    Completions(CompletionsArgs),
    /// Print the manual page, or write one page per command into a directory.
    #[command(after_help = "\
Examples:
  logward man | man -l -
  logward man --out-dir /usr/share/man/man1")]
    Man(ManArgs),
}

#[derive(Debug, Args)]
struct ReceiveArgs {
    /// Address and port to listen on [default: $LOGGER_IP:$LOGGER_PORT, else 0.0.0.0:8443]
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<String>,
    /// PEM certificate (chain); may also hold the key and CA [default: $LOGGER_CERT]
    #[arg(long, value_name = "PATH")]
    cert: Option<PathBuf>,
    /// PEM private key [default: $LOGGER_KEY, else the key in --cert]
    #[arg(long, value_name = "PATH")]
    key: Option<PathBuf>,
    /// Require client certificates signed by this CA (mutual TLS)
    #[arg(long, value_name = "PATH")]
    client_ca: Option<PathBuf>,
    /// Require "Authorization: Bearer <token>", the token read from this 0600 file
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// Write each received JSON value as one line to stdout (ExtraHop's ml_api_logger), no routing
    #[arg(long)]
    stdout: bool,
    /// State directory for the id index [default: $STATE_DIRECTORY, else /var/lib/logward]
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Largest request body in bytes, as sent [default: 8388608]
    #[arg(long, value_name = "BYTES")]
    max_body: Option<usize>,
    /// Ids remembered at least, for de-duplication [default: 1000000]
    #[arg(long, value_name = "IDS")]
    dedupe_window: Option<usize>,
    /// Seconds a client has for the TLS handshake, a request's headers, its body [default: 30]
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
}

#[derive(Debug, Args)]
struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_name = "SHELL")]
    shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
struct ManArgs {
    /// Write logward.1 and a page per subcommand (logward-bundle.1, ...) into this existing directory
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct BundleArgs {
    #[command(flatten)]
    select: select::SelectArgs,
    /// Write to this file instead of stdout
    #[arg(long, value_name = "PATH")]
    out_file: Option<PathBuf>,
    /// Write a .tar.gz with one file per log type and a manifest (needs --out-file)
    #[arg(long)]
    compress: bool,
    /// Replace an existing --out-file
    #[arg(long, requires = "out_file")]
    force: bool,
    /// Replace IP addresses, users and hostnames by pseudonyms; the mapping goes to OUT_FILE.redaction.json (0600), never into the bundle (needs --compress)
    #[arg(long)]
    redact: bool,
}

#[derive(Debug, Args)]
struct EmitArgs {
    /// Log type: audit, web, application, analysis or tanium
    #[arg(long, value_name = "TYPE", value_parser = parse_log_type)]
    log_type: LogType,
    /// Level: debug, info, warning, error or critical
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    level: Level,
    /// The record's message
    #[arg(long, value_name = "TEXT", conflicts_with = "stdin")]
    message: Option<String>,
    /// Read one JSON object of fields per line from stdin; emit a record for each
    #[arg(long, conflicts_with = "fields")]
    stdin: bool,
    /// The identifier of the record(s), like logger -t: journald's SYSLOG_IDENTIFIER and the record's identifier field [default: LOG_SYSLOG_IDENTIFIER, else logward]
    #[arg(short = 't', long, value_name = "TAG")]
    tag: Option<String>,
    /// Fields: key=value (a string) or key:=json (any JSON value)
    #[arg(value_name = "FIELD")]
    fields: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Import a CSV file's rows as records through the configured routing,
    /// or post them as ExtraHop observations.
    ///
    /// Each row becomes one record with the mapped columns, `timestamp`
    /// (the row's time in epoch seconds), `source`, `import_file` and
    /// `import_line`; the record's created_at is the time of the import.
    /// Bad rows are reported with their line and skipped (exit 2). The
    /// position is remembered in the state directory, so a re-run imports
    /// only what is new.
    #[command(after_help = IMPORT_CSV_HELP)]
    Csv(ImportCsvArgs),
}

const IMPORT_CSV_HELP: &str = "\
Examples:
  logward import csv /var/log/openvpn/vpn.csv --source OpenVPN \\
      --column ipaddr=\"VPN IP\" --column associated_ipaddr=\"Real IP\" \\
      --time-column \"Start Time\" --time-format \"%m/%d/%y %H:%M:%S\"
  logward import csv vpn.csv --column ipaddr=\"VPN IP\" \\
      --time-column Month,Day,Year,Time --time-join \"{0} {1} {2} {3}\" \\
      --time-format \"%B %d %Y %H:%M:%S\" --time-zone Europe/Madrid
  logward import csv /var/log/openvpn/vpn.csv --follow --source OpenVPN \\
      --column ipaddr=\"VPN IP\" --column associated_ipaddr=\"Real IP\" \\
      --time-column \"Start Time\" --header-file /etc/logward/extrahop.headers \\
      --post https://extrahop.example/api/v1/observations/associatedipaddrs

Exit codes:
  0  every row imported
  1  runtime failure (a sink, the input, a destination's refusal or silence)
  2  usage error, or some rows were skipped (each is reported with its line)";

#[derive(Debug, Args)]
struct ImportCsvArgs {
    /// The CSV file, or - for standard input (read once, not remembered)
    #[arg(value_name = "FILE")]
    input: String,
    /// A field from a column: KEY=COLUMN, the column by its header name (a number from 1 with --no-header); repeat for more
    #[arg(long, value_name = "KEY=COLUMN", required = true)]
    column: Vec<String>,
    /// The column holding each row's time, or a comma list of columns to join
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',', required = true)]
    time_column: Vec<String>,
    /// How several time columns are joined: {0}, {1}, ... stand for them [default: separated by spaces]
    #[arg(long, value_name = "TEMPLATE")]
    time_join: Option<String>,
    /// strptime pattern of the time; %y is 1969-2068 (POSIX) [default: %m/%d/%y %H:%M:%S]
    #[arg(long, value_name = "PATTERN")]
    time_format: Option<String>,
    /// Zone of times without an offset: UTC, local, an IANA name (Europe/Madrid) or +HH:MM [default: UTC]
    #[arg(long, value_name = "ZONE")]
    time_zone: Option<String>,
    /// The source named in every record and observations body [default: the file's name]
    #[arg(long, value_name = "NAME")]
    source: Option<String>,
    /// Log type of the records: audit, web, application, analysis or tanium [default: application]
    #[arg(long, value_name = "TYPE", value_parser = parse_log_type)]
    log_type: Option<LogType>,
    /// Level of the records: debug, info, warning, error or critical [default: info]
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    level: Option<Level>,
    /// The file has no header row: every line is a row and columns are numbers from 1
    #[arg(long)]
    no_header: bool,
    /// Keep reading as the file grows, following rotation, until SIGINT or SIGTERM
    #[arg(long)]
    follow: bool,
    /// Where the import position is kept [default: $STATE_DIRECTORY, else /var/lib/logward]
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Post the rows as ExtraHop observations to this https:// URL (http:// only to loopback) instead of writing records
    #[arg(long, value_name = "URL")]
    post: Option<String>,
    /// With --post: write the records as well
    #[arg(long)]
    also_log: bool,
    /// With --post: request headers (Name: value lines) from this file of mode 0600 or 0400
    #[arg(long, value_name = "PATH")]
    header_file: Option<PathBuf>,
    /// With --post: trust the PEM certificates of this file instead of the system roots
    #[arg(long, value_name = "PATH")]
    ca_file: Option<PathBuf>,
    /// With --post: observations per request [default: 1000]
    #[arg(long, value_name = "N")]
    batch: Option<usize>,
    /// With --post: seconds allowed per request attempt [default: 30]
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
    /// With --post: attempts per request before giving up (429, 5xx and timeouts are retried) [default: 10]
    #[arg(long, value_name = "N")]
    max_attempts: Option<u32>,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the effective routing per log type, the configuration's
    /// fingerprint and what a start would create; exit 2 when the
    /// configuration is invalid, 1 when a file sink cannot be used.
    ///
    /// Also lists every key set, with where its value came from (a file
    /// line or a LOGWARD_* variable), and the keys left at their defaults.
    #[command(after_help = CHECK_EXAMPLES)]
    Check {
        /// Unknown keys are errors (exit 1), for ExecStartPre=
        #[arg(long)]
        strict: bool,
        /// Also connect to every enabled Kafka export's brokers (TLS handshake included) and read its topic; exit 1 when one fails
        #[arg(long)]
        connect: bool,
    },
    /// Make a running service re-read its configuration: send it SIGHUP.
    ///
    /// The service must reload on SIGHUP (Builder::reload_on_sighup); its
    /// config_reloaded or config_reload_refused audit record tells the
    /// outcome. Exactly one of --pid and --unit.
    #[command(after_help = "\
Examples:
  logward config reload --unit shop.service
  logward config reload --pid \"$(pidof shop-api)\"")]
    Reload(ReloadArgs),
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct ReloadArgs {
    /// The service's process id
    #[arg(long, value_name = "PID", value_parser = clap::value_parser!(u32).range(1..))]
    pid: Option<u32>,
    /// The systemd unit whose main process to signal (its MainPID)
    #[arg(long, value_name = "UNIT")]
    unit: Option<String>,
}

fn parse_log_type(s: &str) -> Result<LogType, String> {
    s.parse()
        .map_err(|e: logward::ParseLogTypeError| e.to_string())
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse()
        .map_err(|e: logward::ParseLevelError| e.to_string())
}

/// Parses the command line. Help and version go to stdout through
/// [`out::stdout`] (so a closed or full stdout is handled like any other
/// output), usage errors to stderr with their exit code.
pub fn parse() -> anyhow::Result<Cli> {
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) if e.use_stderr() => {
            out::stderr(e.render().to_string().trim_end());
            Err(ParseFailed(e.exit_code()).into())
        }
        Err(e) if std::io::stdout().is_terminal() => {
            // Coloured, as clap prints it; a terminal is not full.
            let _ = e.print();
            Err(ParseFailed(0).into())
        }
        Err(e) => {
            out::stdout(e.render().to_string().as_bytes())?;
            Err(ParseFailed(0).into())
        }
    }
}

/// The command line was not run: clap printed help, a version or a usage
/// error, and the process exits with this code.
#[derive(Debug)]
struct ParseFailed(i32);

impl std::fmt::Display for ParseFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the command line was not run (exit {})", self.0)
    }
}

impl std::error::Error for ParseFailed {}

/// Runs the command; errors carry their exit code through [`exit_code`].
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Bundle(args) => bundle::run(args, cli.config.as_deref()),
        Command::Show(args) => show::run(args, cli.config.as_deref()),
        Command::Emit(args) => emit::run(args, cli.config),
        Command::Config(ConfigCommand::Check { strict, connect }) => {
            check::run(cli.config.as_deref(), strict, connect)
        }
        Command::Config(ConfigCommand::Reload(args)) => reload::run(args),
        Command::Import(ImportCommand::Csv(args)) => import::run(args, cli.config),
        Command::Ship(args) => ship::run(args, cli.config),
        Command::Verify(args) => verify::run(args, cli.config.as_deref()),
        Command::Seal(verify::SealCommand::Init { verify_key_out }) => {
            verify::init(&verify_key_out, cli.config.as_deref())
        }
        Command::Receive(args) => receive::run(args, cli.config.as_deref()),
        Command::Consume(args) => consume::run(args, cli.config.as_deref()),
        Command::Completions(args) => generate::completions(args.shell),
        Command::Man(args) => generate::man(args.out_dir.as_deref()),
    }
}

/// Prints `error` on stderr, unless there is nothing to say: stdout's
/// reader went away, or clap already printed help or its usage error.
pub fn report(error: &anyhow::Error) {
    if error.downcast_ref::<out::StdoutClosed>().is_none()
        && error.downcast_ref::<ParseFailed>().is_none()
    {
        out::stderr(&format!("logward: {error:#}"));
    }
}

/// The exit code for an error: 0 when stdout's reader went away or clap
/// printed help, clap's code for its usage errors, 2 for usage and
/// configuration errors, else 1.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<out::StdoutClosed>().is_some() {
        return 0;
    }
    if let Some(ParseFailed(code)) = error.downcast_ref::<ParseFailed>() {
        return u8::try_from(*code).unwrap_or(2);
    }
    if error.downcast_ref::<UsageError>().is_some()
        || error
            .downcast_ref::<logward_cli::ship::ExportErrors>()
            .is_some()
    {
        return 2;
    }
    match error.downcast_ref::<logward::Error>() {
        Some(e) if e.kind() == logward::ErrorKind::Config => 2,
        _ => 1,
    }
}

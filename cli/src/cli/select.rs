//! The selection flags `bundle` and `show` share: which records, by time,
//! type, level, sender and fields. Both commands flatten [`SelectArgs`], so
//! a selection means the same in both.

use clap::Args;
use logward_cli::RawBundleArgs;

/// Which records: the flags of `bundle` and `show` alike.
#[derive(Debug, Args)]
pub(crate) struct SelectArgs {
    /// First moment included: YYYY-MM-DD, "YYYY-MM-DD HH:MM:SS", a created_at (2026-11-22T04:30:00Z), today, yesterday, now, or -2h, -30m, -45s, -7d; UTC unless --local [default: no limit]
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    date_from: Option<String>,
    /// Last moment included, in the same forms; a date includes its whole day, a time its whole second [default: no limit]
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    date_to: Option<String>,
    /// Read dates and times without a zone (YYYY-MM-DD, "YYYY-MM-DD HH:MM:SS", today, yesterday) in the machine's time zone, not UTC
    #[arg(long)]
    local: bool,
    /// Comma list of audit, web, application, analysis, tanium (any case) [default: all]
    #[arg(long, value_name = "TYPES")]
    log_type: Option<String>,
    /// Comma list of exactly the levels to keep: debug, info, warning, error, critical [default: all]
    #[arg(long, value_name = "LEVELS")]
    log_level: Option<String>,
    /// Keep only records that pass this filter, in Cloudflare Logpush's language: {"where":{"key":"status_code","operator":"geq","value":500}}
    #[arg(long, value_name = "JSON")]
    filter: Option<String>,
    /// Comma list of origin host names (a collector's records by machine) [default: all]
    #[arg(long, value_name = "HOSTS")]
    hostname: Option<String>,
    /// Comma list of senders' identifiers: journald's SYSLOG_IDENTIFIER; file records when LOG_SYSLOG_IDENTIFIER is one of them [default: all]
    #[arg(long, short = 't', value_name = "NAMES")]
    identifier: Option<String>,
    /// Comma list of request ids (the request_id field) [default: all]
    #[arg(long, value_name = "IDS")]
    request_id: Option<String>,
    /// Comma list of users: records whose user_name or user_id is one of them [default: all]
    #[arg(long, value_name = "USERS")]
    user: Option<String>,
    /// Keep only records whose field KEY equals VALUE (a number also matches its text); repeat: all must hold
    #[arg(long = "where", value_name = "KEY=VALUE")]
    where_fields: Vec<String>,
}

impl SelectArgs {
    /// The selection as the request's raw options (no output options).
    pub(crate) fn into_raw(self) -> RawBundleArgs {
        RawBundleArgs {
            date_from: self.date_from,
            date_to: self.date_to,
            log_type: self.log_type,
            log_level: self.log_level,
            hostname: self.hostname,
            filter: self.filter,
            identifier: self.identifier,
            request_id: self.request_id,
            user: self.user,
            where_fields: self.where_fields,
            local: self.local,
            ..RawBundleArgs::default()
        }
    }
}

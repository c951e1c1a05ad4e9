//! The selectors by a record's fields and sender: `--identifier`,
//! `--request-id`, `--user` and `--where`, checked and turned into what the
//! sources and the filter apply.
//!
//! | option | accepted | a record is kept when |
//! |---|---|---|
//! | `--identifier` | comma list of identifiers | it was sent under one of them (see below) |
//! | `--request-id` | comma list of request ids | its `request_id` is one of them |
//! | `--user` | comma list of users | its `user_name` or its `user_id` is one of them |
//! | `--where` | `key=value`, repeatable | its field `key` equals `value`, for every `--where` given |
//!
//! Values compare exactly (case-sensitive), as Logpush's `eq` does: a
//! numeric field also equals its text (`--user 42` keeps `"user_id":42`,
//! `--where status_code=500` keeps `"status_code":500`), a boolean its
//! `true`/`false`; an absent field equals nothing. The tests are joined
//! with `and` to the `--filter`, into the one filter that
//! [`BundleRequest::filter`](super::BundleRequest::filter) gives.
//!
//! `--identifier` is about the sender, not a field of the record: in the
//! journal it matches `SYSLOG_IDENTIFIER` (what a service sends, its
//! program name unless `LOG_SYSLOG_IDENTIFIER` is set; `journalctl -t`).
//! A file record carries no identifier: a file sink's records are those of
//! the services writing with this configuration, so they are kept when
//! the configuration's `LOG_SYSLOG_IDENTIFIER` is one of the identifiers,
//! and not read at all otherwise (see [`selected_sources`](super::selected_sources)).

use super::request::{BundleUsageError, RawBundleArgs};
use crate::Filter;

/// The checked selectors.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Selectors {
    /// `--identifier`, de-duplicated; empty: every sender.
    pub(crate) identifiers: Vec<String>,
    /// The field tests, all of which must hold; `None`: no test.
    pub(crate) filter: Option<Filter>,
}

/// Checks the selectors of `raw`.
pub(crate) fn parse(raw: &RawBundleArgs) -> Result<Selectors, BundleUsageError> {
    let identifiers = match &raw.identifier {
        Some(text) => list("--identifier", text, "identifiers")?,
        None => Vec::new(),
    };
    let mut tests = Vec::new();
    if let Some(text) = &raw.request_id {
        tests.push(Filter::field_in(
            "request_id",
            &list("--request-id", text, "request ids")?,
        ));
    }
    if let Some(text) = &raw.user {
        let users = list("--user", text, "user names or ids")?;
        tests.push(Filter::any_of(vec![
            Filter::field_in("user_name", &users),
            Filter::field_in("user_id", &users),
        ]));
    }
    for test in &raw.where_fields {
        let invalid = |why: &str| {
            BundleUsageError::new(
                "--where",
                test,
                format!("{why}; allowed: KEY=VALUE, a record's field and the value it must equal"),
            )
        };
        let Some((key, value)) = test.split_once('=') else {
            return Err(invalid("no '='"));
        };
        if key.is_empty() {
            return Err(invalid("the field name is empty"));
        }
        if key.chars().chain(value.chars()).any(char::is_control) {
            return Err(invalid("control characters are not allowed"));
        }
        tests.push(Filter::field_in(key, &[value.to_string()]));
    }
    let filter = match tests.len() {
        0 => None,
        1 => tests.pop(),
        _ => Some(Filter::all_of(tests)),
    };
    Ok(Selectors {
        identifiers,
        filter,
    })
}

/// A comma list of non-empty names without control characters, de-duplicated.
fn list(flag: &'static str, text: &str, what: &str) -> Result<Vec<String>, BundleUsageError> {
    let mut out: Vec<String> = Vec::new();
    for item in text.split(',').map(str::trim) {
        if item.is_empty() || item.chars().any(char::is_control) {
            return Err(BundleUsageError::new(
                flag,
                text,
                format!(
                    "{item:?} is empty or holds control characters; allowed: a comma list of {what}"
                ),
            ));
        }
        if !out.iter().any(|o| o == item) {
            out.push(item.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    fn selectors(raw: RawBundleArgs) -> Result<Selectors, BundleUsageError> {
        parse(&raw)
    }

    fn keeps(s: &Selectors, record: Value) -> bool {
        let fields: Map<String, Value> = record.as_object().cloned().unwrap_or_default();
        s.filter.as_ref().is_none_or(|f| f.matches(&fields))
    }

    #[test]
    fn user_matches_name_or_id_and_where_tests_all_hold() {
        let s = selectors(RawBundleArgs {
            user: Some("alice, 42".into()),
            request_id: Some("r-1".into()),
            where_fields: vec!["status_code=500".into(), "path=/a=b".into()],
            ..Default::default()
        })
        .unwrap();
        let base = json!({"request_id":"r-1","status_code":500,"path":"/a=b"});
        let with = |k: &str, v: Value| {
            let mut r = base.clone();
            r[k] = v;
            r
        };
        assert!(keeps(&s, with("user_name", json!("alice"))));
        assert!(keeps(&s, with("user_id", json!(42))));
        assert!(!keeps(&s, with("user_name", json!("Alice"))));
        assert!(!keeps(&s, base.clone()));
        let mut other_request = with("user_id", json!("42"));
        other_request["request_id"] = json!("r-2");
        assert!(!keeps(&s, other_request));
        let mut other_status = with("user_id", json!("42"));
        other_status["status_code"] = json!(404);
        assert!(!keeps(&s, other_status));
    }

    #[test]
    fn identifiers_are_a_deduplicated_list_and_no_selector_means_no_filter() {
        let s = selectors(RawBundleArgs {
            identifier: Some("shop-api,cron,shop-api".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.identifiers, ["shop-api", "cron"]);
        assert_eq!(s.filter, None);
    }

    #[test]
    fn bad_selectors_name_the_flag_and_what_is_allowed() {
        for (raw, flag) in [
            (
                RawBundleArgs {
                    where_fields: vec!["status_code".into()],
                    ..Default::default()
                },
                "--where",
            ),
            (
                RawBundleArgs {
                    where_fields: vec!["=500".into()],
                    ..Default::default()
                },
                "--where",
            ),
            (
                RawBundleArgs {
                    user: Some("alice,".into()),
                    ..Default::default()
                },
                "--user",
            ),
            (
                RawBundleArgs {
                    identifier: Some("a\u{1b}b".into()),
                    ..Default::default()
                },
                "--identifier",
            ),
            (
                RawBundleArgs {
                    request_id: Some(String::new()),
                    ..Default::default()
                },
                "--request-id",
            ),
        ] {
            let err = selectors(raw).unwrap_err();
            assert_eq!(err.flag(), flag);
            assert!(err.to_string().contains("allowed"), "{err}");
        }
    }
}

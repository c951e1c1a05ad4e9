//! The `EXPORT_<NAME>_<KEY>` names: which keys an export has, how a name
//! splits into the export and the key, and the parsers of their values.
//!
//! An export's name is upper-case letters, digits and `_`; the key is the
//! longest known suffix (`EXPORT_EU_SIEM_KEY_FILE` is the key `KEY_FILE` of
//! the export `EU_SIEM`).

use std::time::Duration;

/// Every key an export may set, as the suffix after its name.
pub const SUFFIXES: [&str; 23] = [
    "URL",
    "HOSTNAME",
    "PORT",
    "ENABLED",
    "TYPES",
    "LEVEL",
    "FILTER",
    "CA_FILE",
    "CERT_FILE",
    "KEY_FILE",
    "KEY_PASSWORD_FILE",
    "KEYSTORE_FILE",
    "KEYSTORE_PASSWORD_FILE",
    "HEADER_FILE",
    "COMPRESS",
    "BATCH_MAX_RECORDS",
    "BATCH_MAX_BYTES",
    "BATCH_MAX_WAIT",
    "FORMAT",
    "START",
    "ALERT_AFTER",
    "KAFKA_BROKERS",
    "KAFKA_TOPIC",
];

/// Splits `EXPORT_<NAME>_<SUFFIX>` into the name and the suffix.
pub(crate) fn split(key: &str) -> Option<(&str, &'static str)> {
    let rest = key.strip_prefix("EXPORT_")?;
    SUFFIXES
        .iter()
        .filter_map(|suffix| {
            let name = rest.strip_suffix(suffix)?.strip_suffix('_')?;
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            valid.then_some((name, *suffix))
        })
        .max_by_key(|(_, suffix)| suffix.len())
}

/// The known key nearest to `key` among `names` (the exports configured),
/// for an unknown key's warning.
pub(crate) fn nearest(key: &str, names: &[String]) -> Option<String> {
    let candidates = names
        .iter()
        .flat_map(|name| SUFFIXES.iter().map(move |s| format!("EXPORT_{name}_{s}")));
    candidates
        .map(|c| (strsim::levenshtein(key, &c), c))
        .filter(|(distance, _)| *distance <= 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// `true`/`false` (also `yes`/`no`, `1`/`0`, any case).
pub(crate) fn boolean(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err("not a boolean; allowed: true or false".into()),
    }
}

/// A whole number in `min..=max`.
pub(crate) fn number(value: &str, min: u64, max: u64) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("allowed: a whole number from {min} to {max}")),
    }
}

/// A duration: a whole number and a unit, `ms`, `s`, `m`, `h` or `d`
/// (`500ms`, `30s`, `24h`).
pub(crate) fn duration(value: &str) -> Result<Duration, String> {
    let allowed = "allowed: a whole number with a unit ms, s, m, h or d, such as 500ms, 30s or 24h";
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("no unit; {allowed}"))?;
    let (digits, unit) = value.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("no number; {allowed}"))?;
    let millis = match unit {
        "ms" => Some(n),
        "s" => n.checked_mul(1_000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        _ => return Err(format!("unknown unit {unit:?}; {allowed}")),
    };
    millis
        .map(Duration::from_millis)
        .ok_or_else(|| format!("too long; {allowed}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_suffix_names_the_key() {
        assert_eq!(split("EXPORT_SIEM_URL"), Some(("SIEM", "URL")));
        assert_eq!(
            split("EXPORT_EU_SIEM_KEY_FILE"),
            Some(("EU_SIEM", "KEY_FILE"))
        );
        assert_eq!(
            split("EXPORT_A_KEY_PASSWORD_FILE"),
            Some(("A", "KEY_PASSWORD_FILE"))
        );
        assert_eq!(
            split("EXPORT_A_KEYSTORE_FILE"),
            Some(("A", "KEYSTORE_FILE"))
        );
        assert_eq!(
            split("EXPORT_B_BATCH_MAX_WAIT"),
            Some(("B", "BATCH_MAX_WAIT"))
        );
        for bad in [
            "EXPORT_URL",
            "EXPORT__URL",
            "EXPORT_siem_URL",
            "EXPORT_A_COLOR",
        ] {
            assert_eq!(split(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(duration("2d"), Ok(Duration::from_secs(172_800)));
        for bad in ["24", "h", "1.5h", "3w", ""] {
            assert!(duration(bad).unwrap_err().contains("allowed:"), "{bad}");
        }
    }

    #[test]
    fn a_misspelt_key_suggests_the_nearest() {
        let names = vec!["SIEM".to_string()];
        assert_eq!(
            nearest("EXPORT_SIEM_LEVL", &names).as_deref(),
            Some("EXPORT_SIEM_LEVEL")
        );
        assert_eq!(nearest("EXPORT_SIEM_WHATEVER_ELSE", &names), None);
    }
}

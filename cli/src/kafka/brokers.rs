//! The brokers a client bootstraps from: `host:port,host:port`, and the
//! rule for topic names.

use std::fmt;
use std::net::IpAddr;

/// A checked, non-empty broker list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brokers(Vec<(String, u16)>);

/// Why a broker list or a topic is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BrokersError(pub String);

impl Brokers {
    /// Parses `host:port[,host:port…]` (an IPv6 address in brackets).
    pub fn parse(list: &str) -> Result<Brokers, BrokersError> {
        let allowed = "allowed: HOST:PORT[,HOST:PORT…], such as kafka-1.example:9093";
        let mut brokers = Vec::new();
        for part in list.split(',').map(str::trim) {
            let Some((host, port)) = part.rsplit_once(':') else {
                return Err(BrokersError(format!("{part:?} has no port; {allowed}")));
            };
            let port = match port.parse::<u16>() {
                Ok(p) if p > 0 => p,
                _ => {
                    return Err(BrokersError(format!(
                        "{part:?}: the port must be a number from 1 to 65535; {allowed}"
                    )));
                }
            };
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            let valid = !bare.is_empty()
                && (bare.parse::<IpAddr>().is_ok()
                    || bare
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
            if !valid {
                return Err(BrokersError(format!(
                    "{part:?}: not a host name or IP address; {allowed}"
                )));
            }
            brokers.push((host.to_string(), port));
        }
        Ok(Brokers(brokers))
    }

    /// Whether every broker is on a loopback address.
    pub fn all_loopback(&self) -> bool {
        self.0.iter().all(|(host, _)| {
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            bare.eq_ignore_ascii_case("localhost")
                || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        })
    }
}

/// The list as `bootstrap.servers` takes it.
impl fmt::Display for Brokers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (host, port)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{host}:{port}")?;
        }
        Ok(())
    }
}

/// Kafka's rule for topic names: 1 to 249 of `a-z A-Z 0-9 . _ -`, not `.`
/// or `..`.
pub fn check_topic(topic: &str) -> Result<(), BrokersError> {
    let valid = (1..=249).contains(&topic.len())
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && topic != "."
        && topic != "..";
    if valid {
        Ok(())
    } else {
        Err(BrokersError(
            "not a Kafka topic name; allowed: 1 to 249 letters, digits, '.', '_' and '-'".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_lists_need_a_host_and_a_port_each() {
        let b = Brokers::parse("kafka-1.example:9093, 10.0.0.2:9093,[::1]:9092").expect("valid");
        assert_eq!(
            b.to_string(),
            "kafka-1.example:9093,10.0.0.2:9093,[::1]:9092"
        );
        assert!(!b.all_loopback());
        assert!(
            Brokers::parse("127.0.0.1:9092,localhost:1")
                .expect("valid")
                .all_loopback()
        );
        for bad in ["", "k", "k:", "k:0", "k:70000", "https://k:9093", "k:9093,"] {
            assert!(
                Brokers::parse(bad).unwrap_err().0.contains("allowed:"),
                "{bad}"
            );
        }
    }

    #[test]
    fn topic_names_follow_kafka() {
        assert!(check_topic("c83").is_ok());
        assert!(check_topic("logs.audit_v2-x").is_ok());
        for bad in ["", ".", "..", "a b", "c83/x", &"x".repeat(250)] {
            assert!(check_topic(bad).is_err(), "{bad}");
        }
    }
}

//! Which journal entries to trust: decided by the sender's `_UID` and
//! `_SYSTEMD_UNIT`, which journald sets, never by the entry's own fields.

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::users;
use logward::{Config, Error, ErrorKind, Result};

/// Who wrote a journal entry, from journald's trusted fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct Sender {
    /// `_UID`: the sending process's user id.
    pub uid: Option<u32>,
    /// `_PID`: the sending process.
    pub pid: Option<u32>,
    /// `_COMM`: its command name (missing when it exited before journald
    /// looked).
    pub comm: Option<String>,
    /// `_SYSTEMD_UNIT`: the unit it ran in.
    pub unit: Option<String>,
}

/// The senders whose entries are trusted.
///
/// ```
/// use logward_cli::{Sender, Trust};
///
/// let trust = Trust::root_only().with_user(998, "shop").with_unit("shop.service");
/// let mut sender = Sender::default();
/// sender.uid = Some(65534);
/// assert!(!trust.trusts(&sender));
/// sender.unit = Some("shop.service".into());
/// assert!(trust.trusts(&sender));
/// assert_eq!(trust.to_string(), "_UID=0 (root), _UID=998 (shop) or _SYSTEMD_UNIT=shop.service");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trust {
    users: Vec<(u32, String)>,
    units: Vec<String>,
}

impl Default for Trust {
    fn default() -> Self {
        Trust::root_only()
    }
}

impl Trust {
    /// Entries that root's processes wrote, and no others.
    pub fn root_only() -> Trust {
        Trust {
            users: vec![(0, "root".to_string())],
            units: Vec::new(),
        }
    }

    /// Root and the users and units of `LOG_JOURNAL_USERS` and
    /// `LOG_JOURNAL_UNITS`. A user name is looked up now.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Config`] error naming a user that does not exist.
    pub fn from_config(config: &Config) -> Result<Trust> {
        let mut trust = Trust::root_only();
        for user in config.journal_users() {
            let (uid, name) = match user.parse::<u32>() {
                Ok(uid) => (uid, users::name_of(uid).unwrap_or_else(|| user.clone())),
                Err(_) => match users::uid_of(user) {
                    Some(uid) => (uid, user.clone()),
                    None => {
                        return Err(Error::new(
                            ErrorKind::Config,
                            format!(
                                "LOG_JOURNAL_USERS: there is no user {user:?} on this system; \
                                 allowed: existing user names or numeric user ids"
                            ),
                        ));
                    }
                },
            };
            trust = trust.with_user(uid, name);
        }
        for unit in config.journal_units() {
            trust = trust.with_unit(unit.clone());
        }
        Ok(trust)
    }

    /// Also trusts the entries of user `uid`, called `name` in reports.
    #[must_use]
    pub fn with_user(mut self, uid: u32, name: impl Into<String>) -> Trust {
        if !self.users.iter().any(|(u, _)| *u == uid) {
            self.users.push((uid, name.into()));
        }
        self
    }

    /// Also trusts the entries of processes in systemd unit `unit`.
    #[must_use]
    pub fn with_unit(mut self, unit: impl Into<String>) -> Trust {
        let unit = unit.into();
        if !self.units.contains(&unit) {
            self.units.push(unit);
        }
        self
    }

    /// Whether an entry from `sender` is trusted.
    pub fn trusts(&self, sender: &Sender) -> bool {
        let by_user = sender
            .uid
            .is_some_and(|uid| self.users.iter().any(|(u, _)| *u == uid));
        let by_unit = sender
            .unit
            .as_ref()
            .is_some_and(|unit| self.units.contains(unit));
        by_user || by_unit
    }
}

impl fmt::Display for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self
            .users
            .iter()
            .map(|(uid, name)| format!("_UID={uid} ({name})"))
            .collect();
        parts.extend(
            self.units
                .iter()
                .map(|unit| format!("_SYSTEMD_UNIT={unit}")),
        );
        let last = parts.pop().unwrap_or_default();
        if parts.is_empty() {
            f.write_str(&last)
        } else {
            write!(f, "{} or {last}", parts.join(", "))
        }
    }
}

/// How many distinct senders [`Senders`] lists; the entries of any further
/// ones are counted together, so memory stays bounded.
pub const SENDERS_LISTED_MAX: usize = 1000;

/// Entries counted per sender, for a report.
///
/// Serialized as `{"listed":[{"uid":0,"user":"root","pid":4242,"comm":"shop-api","unit":"shop.service","records":12}],"not_listed":0}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Senders {
    counts: BTreeMap<Sender, u64>,
    not_listed: u64,
}

impl Senders {
    /// Counts one entry from `sender`.
    pub fn add(&mut self, sender: &Sender) {
        if let Some(n) = self.counts.get_mut(sender) {
            *n += 1;
        } else if self.counts.len() < SENDERS_LISTED_MAX {
            self.counts.insert(sender.clone(), 1);
        } else {
            self.not_listed += 1;
        }
    }

    /// Each listed sender with its count.
    pub fn listed(&self) -> impl Iterator<Item = (&Sender, u64)> {
        self.counts.iter().map(|(s, n)| (s, *n))
    }

    /// Entries of senders beyond [`SENDERS_LISTED_MAX`].
    pub fn not_listed(&self) -> u64 {
        self.not_listed
    }

    /// Entries counted in all.
    pub fn total(&self) -> u64 {
        self.counts.values().sum::<u64>() + self.not_listed
    }
}

impl Serialize for Senders {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        struct Listed<'a>(&'a BTreeMap<Sender, u64>);
        impl Serialize for Listed<'_> {
            fn serialize<S: Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
                for (sender, records) in self.0 {
                    seq.serialize_element(&serde_json::json!({
                        "uid": sender.uid,
                        "user": sender.uid.and_then(users::name_of),
                        "pid": sender.pid,
                        "comm": sender.comm,
                        "unit": sender.unit,
                        "records": records,
                    }))?;
                }
                seq.end()
            }
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("listed", &Listed(&self.counts))?;
        map.serialize_entry("not_listed", &self.not_listed)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender(uid: u32, pid: u32) -> Sender {
        Sender {
            uid: Some(uid),
            pid: Some(pid),
            comm: Some("x".into()),
            unit: None,
        }
    }

    #[test]
    fn an_entry_without_a_trusted_uid_or_unit_is_not_trusted() {
        let trust = Trust::root_only();
        assert!(trust.trusts(&sender(0, 1)));
        assert!(!trust.trusts(&sender(65534, 1)));
        assert!(!trust.trusts(&Sender::default()));
        assert_eq!(trust.to_string(), "_UID=0 (root)");
    }

    #[test]
    fn senders_are_counted_and_bounded() {
        let mut senders = Senders::default();
        senders.add(&sender(0, 1));
        senders.add(&sender(0, 1));
        for pid in 0..SENDERS_LISTED_MAX as u32 + 5 {
            senders.add(&sender(7, pid + 10));
        }
        assert_eq!(senders.listed().count(), SENDERS_LISTED_MAX);
        assert_eq!(senders.not_listed(), 6);
        assert_eq!(senders.total(), 2 + SENDERS_LISTED_MAX as u64 + 5);
        let json = serde_json::to_value(&senders).expect("serializes");
        assert_eq!(json["listed"][0]["user"], "root");
        assert_eq!(json["listed"][0]["records"], 2);
        assert_eq!(json["not_listed"], 6);
    }
}

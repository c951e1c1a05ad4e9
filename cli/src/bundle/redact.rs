//! `bundle --redact`: IP addresses, users and hostnames replaced by
//! pseudonyms before the records leave the machine, as `sos clean` does.
//!
//! - Fields `client_ip` and `forwarded_for_client_ip` (and every IPv4 or
//!   IPv6 address inside any string value) become `ip-<12 hex>`; `user_id`,
//!   `user_name` and `user`/`uid` (the journal senders of the manifest)
//!   become `user-<12 hex>`; `hostname` (and the machine's own name) becomes
//!   `host-<12 hex>`; so do the same names with a `fields.` prefix (a
//!   caller's field of a reserved name).
//! - A user or hostname seen in such a field is also replaced wherever it
//!   appears as a whole word (between characters that are not letters or
//!   digits) in any other string value, longest first, if it is at least
//!   three characters long. Record keys, and the values of `id`,
//!   `created_at`, `level` and `log_type`, are left as they are.
//! - The pseudonym is the first 12 hex digits of HMAC-SHA256 of the kind and
//!   the original, under a secret drawn for this bundle and never stored:
//!   the same input gives the same pseudonym throughout one bundle, and
//!   pseudonyms of two bundles cannot be linked.
//! - The mapping back (`{"ip":{original:pseudonym},…}`) goes to a separate
//!   file of mode 0600 beside the bundle (`<bundle>.redaction.json`); it
//!   never enters the bundle. The manifest records what was redacted.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use logward::sink::seal::{hex, hmac};
use serde_json::{Map, Value, json};

/// What a pseudonym stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Ip,
    User,
    Host,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Ip => "ip",
            Kind::User => "user",
            Kind::Host => "host",
        }
    }

    /// The kind of a field's value, by the field's name (a reserved name
    /// a caller used is kept as `fields.<name>`).
    fn of_field(key: &str) -> Option<Kind> {
        match key.strip_prefix("fields.").unwrap_or(key) {
            "client_ip" | "forwarded_for_client_ip" => Some(Kind::Ip),
            "user_id" | "user_name" | "user" | "uid" => Some(Kind::User),
            "hostname" => Some(Kind::Host),
            _ => None,
        }
    }
}

/// Fields whose values are never rewritten in text.
const KEPT: [&str; 4] = ["id", "created_at", "level", "log_type"];

/// Shortest user or hostname replaced inside other text.
const MIN_WORD: usize = 3;

/// Replaces originals by pseudonyms, consistently within one bundle.
pub(crate) struct Redactor {
    secret: [u8; 32],
    map: BTreeMap<(Kind, String), String>,
    /// Users and hostnames to find in text, longest first once sorted.
    words: Vec<String>,
    sorted: bool,
}

impl Redactor {
    /// A redactor with a fresh secret; `hostname` is the machine's name.
    pub(crate) fn new(hostname: &str) -> Redactor {
        let mut redactor = Redactor {
            secret: rand::random(),
            map: BTreeMap::new(),
            words: Vec::new(),
            sorted: false,
        };
        redactor.learn(Kind::Host, hostname);
        redactor
    }

    fn pseudonym(&mut self, kind: Kind, original: &str) -> String {
        if let Some(p) = self.map.get(&(kind, original.to_string())) {
            return p.clone();
        }
        let mut message = kind.name().as_bytes().to_vec();
        message.push(0);
        message.extend_from_slice(original.as_bytes());
        let mut digest = hex(&hmac(&self.secret, &message));
        digest.truncate(12);
        let pseudonym = format!("{}-{digest}", kind.name());
        self.map
            .insert((kind, original.to_string()), pseudonym.clone());
        pseudonym
    }

    fn learn(&mut self, kind: Kind, original: &str) {
        if original.is_empty() {
            return;
        }
        self.pseudonym(kind, original);
        if kind != Kind::Ip
            && original.chars().count() >= MIN_WORD
            && !self.words.iter().any(|w| w == original)
        {
            self.words.push(original.to_string());
            self.sorted = false;
        }
    }

    /// First pass: learns the users and hostnames in `value`'s fields.
    pub(crate) fn collect(&mut self, value: &Value) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match (Kind::of_field(key), v) {
                        (Some(kind), Value::String(s)) => self.learn(kind, s),
                        (Some(kind), Value::Number(n)) => self.learn(kind, &n.to_string()),
                        _ => self.collect(v),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.collect(v)),
            _ => {}
        }
    }

    /// Second pass: `value` with every original replaced.
    pub(crate) fn redact(&mut self, value: &mut Value) {
        match value {
            Value::Object(map) => self.redact_object(map),
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact(v)),
            Value::String(s) => *s = self.redact_text(s),
            _ => {}
        }
    }

    fn redact_object(&mut self, map: &mut Map<String, Value>) {
        for (key, v) in map.iter_mut() {
            if KEPT.contains(&key.as_str()) {
                continue;
            }
            match (Kind::of_field(key), &*v) {
                (Some(kind), Value::String(s)) => {
                    let s = s.clone();
                    *v = Value::String(self.pseudonym(kind, &s));
                }
                (Some(kind), Value::Number(n)) => {
                    let n = n.to_string();
                    *v = Value::String(self.pseudonym(kind, &n));
                }
                _ => self.redact(v),
            }
        }
    }

    /// `text` with IP addresses and known users and hostnames replaced.
    pub(crate) fn redact_text(&mut self, text: &str) -> String {
        let text = self.replace_ips(text);
        if !self.sorted {
            self.words
                .sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            self.sorted = true;
        }
        let mut text = text;
        for i in 0..self.words.len() {
            let word = self.words[i].clone();
            if !text.contains(&word) {
                continue;
            }
            let kind = if self.map.contains_key(&(Kind::User, word.clone())) {
                Kind::User
            } else {
                Kind::Host
            };
            let pseudonym = self.pseudonym(kind, &word);
            text = replace_word(&text, &word, &pseudonym);
        }
        text
    }

    fn replace_ips(&mut self, text: &str) -> String {
        let is_ip_char = |c: char| c.is_ascii_hexdigit() || c == ':' || c == '.';
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(is_ip_char) {
            out.push_str(&rest[..start]);
            let run_len = rest[start..]
                .find(|c: char| !is_ip_char(c))
                .unwrap_or(rest.len() - start);
            let run = &rest[start..start + run_len];
            out.push_str(&self.replace_in_run(run));
            rest = &rest[start + run_len..];
        }
        out.push_str(rest);
        out
    }

    /// A run of hex digits, colons and dots, with the addresses in it
    /// replaced.
    fn replace_in_run(&mut self, run: &str) -> String {
        let trimmed = run.trim_matches(['.', ':']);
        let lead = &run[..run.len() - run.trim_start_matches(['.', ':']).len()];
        let tail = &run[lead.len() + trimmed.len()..];
        if trimmed.contains(':') && trimmed.parse::<Ipv6Addr>().is_ok() {
            return format!("{lead}{}{tail}", self.pseudonym(Kind::Ip, trimmed));
        }
        // IPv4 addresses: maximal groups of digits and dots.
        let mut out = String::with_capacity(run.len());
        let mut rest = run;
        while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
            let (before, from) = rest.split_at(start);
            out.push_str(before);
            let len = from
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(from.len());
            let group = &from[..len];
            let candidate = group.trim_end_matches('.');
            let letters_before = before.ends_with(|c: char| c.is_ascii_alphabetic());
            if !letters_before
                && candidate.parse::<Ipv4Addr>().is_ok()
                && !from[len..].starts_with(|c: char| c.is_ascii_alphabetic())
            {
                out.push_str(&self.pseudonym(Kind::Ip, candidate));
                out.push_str(&group[candidate.len()..]);
            } else {
                out.push_str(group);
            }
            rest = &from[len..];
        }
        out.push_str(rest);
        out
    }

    /// The mapping file's content.
    pub(crate) fn mapping(&self) -> Value {
        let mut by_kind: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
        for ((kind, original), pseudonym) in &self.map {
            by_kind
                .entry(kind.name())
                .or_default()
                .insert(original.clone(), json!(pseudonym));
        }
        json!(by_kind)
    }

    /// What the manifest says about the redaction; `mapping` is the
    /// mapping file's name.
    pub(crate) fn summary(&self, mapping: &str) -> Value {
        let count = |k: Kind| self.map.keys().filter(|(kind, _)| *kind == k).count();
        json!({
            "redacted": true,
            "fields": {
                "ip": ["client_ip", "forwarded_for_client_ip", "IPv4 and IPv6 addresses in any string value"],
                "user": ["user_id", "user_name", "user", "uid"],
                "host": ["hostname", "the machine's hostname"],
                "words": "users and hostnames of 3 characters or more, as whole words in any string value",
            },
            "replaced": {
                "ip_addresses": count(Kind::Ip),
                "users": count(Kind::User),
                "hostnames": count(Kind::Host),
            },
            "pseudonyms": "<kind>-<first 12 hex digits of HMAC-SHA256(secret, kind, original)>, the secret drawn for this bundle and not kept",
            "mapping": format!("{mapping}, beside the bundle, mode 0600; not in the bundle"),
            "seals": "sealed files are not included, only their seals: the records were changed after verification",
        })
    }
}

/// `text` with each whole-word occurrence of `word` replaced.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut prev: Option<char> = None;
    while let Some(i) = rest.find(word) {
        let before = rest[..i]
            .chars()
            .next_back()
            .or(if i == 0 { prev } else { None });
        let after = rest[i + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        out.push_str(&rest[..i]);
        if boundary(before) && boundary(after) {
            out.push_str(with);
            prev = with.chars().next_back();
        } else {
            out.push_str(word);
            prev = word.chars().next_back();
        }
        rest = &rest[i + word.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_text_are_replaced_and_others_kept() {
        let mut r = Redactor::new("web-1");
        let text = r.redact_text(
            "from 10.1.2.3, [2001:db8::7]:443 and ::ffff:1.2.3.4 at 12:30:45 v1.2.3 on web-1",
        );
        assert!(
            !text.contains("10.1.2.3")
                && !text.contains("2001:db8::7")
                && !text.contains("1.2.3.4"),
            "{text}"
        );
        assert!(
            text.contains("12:30:45") && text.contains("v1.2.3"),
            "{text}"
        );
        assert!(!text.contains("web-1"), "{text}");
        assert_eq!(r.redact_text("10.1.2.3"), r.redact_text("10.1.2.3"));
    }
}

//! Merging the configuration sources with `figment`: the file, then the
//! `LOGWARD_<KEY>` environment overrides on top.
//!
//! Both sources are `figment` providers of our own. The file provider serves
//! the lines [`parse`](super::parse) read. The environment provider serves
//! `LOGWARD_*` variables from an iterator of pairs instead of reading the
//! process environment itself, so tests pass their own pairs and never touch
//! the real environment; it also keeps every value a literal string, where
//! `figment::providers::Env` would turn `007` into the number 7 and `[a]` into
//! an array. Each merged value keeps its figment tag, which leads back to the
//! provider that supplied it and so to its file line or variable name.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use figment::value::magic::Tagged;
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider, Source};

use super::error::{ConfigError, ConfigErrorKind, Diagnostics, Origin};
use super::parse::ParsedFile;

/// The prefix of environment overrides: `LOGWARD_LOG_LEVEL` overrides `LOG_LEVEL`.
pub(crate) const ENV_PREFIX: &str = "LOGWARD_";

/// The variable naming the configuration file; not a key.
pub(crate) const CONFIG_VAR: &str = "LOGWARD_CONFIG";

/// A configuration value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setting {
    /// The literal value.
    pub(crate) value: String,
    /// The file line or environment variable that supplied it.
    pub(crate) origin: Origin,
}

/// The `LOGWARD_*` variables of an environment.
#[derive(Debug, Clone, Default)]
pub(crate) struct EnvOverrides {
    /// `(KEY, value)` for each `LOGWARD_KEY` variable other than `LOGWARD_CONFIG`.
    vars: Vec<(String, String)>,
    /// The value of `LOGWARD_CONFIG`, when set and not empty.
    pub(crate) config_path: Option<PathBuf>,
}

impl EnvOverrides {
    /// Picks the `LOGWARD_*` variables out of `vars`. A value that is not
    /// UTF-8 is an error in `diagnostics`; other variables are ignored.
    pub(crate) fn from_vars<I, K, V>(vars: I, diagnostics: &mut Diagnostics) -> EnvOverrides
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<OsString>,
        V: Into<OsString>,
    {
        let mut overrides = EnvOverrides::default();
        for (name, value) in vars {
            let (name, value) = (name.into(), value.into());
            let Some(key) = name.to_str().and_then(|n| n.strip_prefix(ENV_PREFIX)) else {
                continue;
            };
            if name == CONFIG_VAR {
                overrides.config_path =
                    Some(PathBuf::from(value)).filter(|p| !p.as_os_str().is_empty());
                continue;
            }
            if key.is_empty() {
                continue;
            }
            match value.into_string() {
                Ok(value) => overrides.vars.push((key.to_string(), value)),
                Err(raw) => diagnostics.errors.push(
                    ConfigError::new(
                        ConfigErrorKind::InvalidValue,
                        "the value is not valid UTF-8; allowed: UTF-8 text",
                    )
                    .with_key(key)
                    .with_value(raw.to_string_lossy())
                    .with_origin(Origin::Env {
                        var: format!("{ENV_PREFIX}{key}"),
                    }),
                ),
            }
        }
        overrides
    }
}

/// The configuration file as a figment provider.
struct FileProvider<'a>(&'a ParsedFile);

impl Provider for FileProvider<'_> {
    fn metadata(&self) -> Metadata {
        Metadata::from(
            "logward configuration file",
            Source::File(self.0.path.clone()),
        )
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict = self
            .0
            .entries
            .iter()
            .map(|(key, entry)| (key.clone(), Value::from(entry.value.as_str())))
            .collect();
        Ok(Profile::Default.collect(dict))
    }
}

/// The `LOGWARD_*` environment overrides as a figment provider.
struct EnvProvider<'a>(&'a EnvOverrides);

impl Provider for EnvProvider<'_> {
    fn metadata(&self) -> Metadata {
        Metadata::named("`LOGWARD_` environment variables")
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict = self
            .0
            .vars
            .iter()
            .map(|(key, value)| (key.clone(), Value::from(value.as_str())))
            .collect();
        Ok(Profile::Default.collect(dict))
    }
}

/// Merges `file` (if any) and the environment overrides, the environment
/// winning, into each key's final value and origin.
pub(crate) fn merge(
    file: Option<&ParsedFile>,
    env: &EnvOverrides,
    diagnostics: &mut Diagnostics,
) -> BTreeMap<String, Setting> {
    let mut figment = Figment::new();
    if let Some(file) = file {
        figment = figment.merge(FileProvider(file));
    }
    figment = figment.merge(EnvProvider(env));

    let values: BTreeMap<String, Tagged<String>> = match figment.extract() {
        Ok(values) => values,
        Err(error) => {
            diagnostics.errors.push(ConfigError::new(
                ConfigErrorKind::Source,
                format!("the configuration sources could not be merged: {error}"),
            ));
            return BTreeMap::new();
        }
    };

    values
        .into_iter()
        .map(|(key, tagged)| {
            let from_file = figment
                .get_metadata(tagged.tag())
                .and_then(|m| m.source.as_ref())
                .and_then(Source::file_path)
                .is_some();
            let line = file
                .filter(|_| from_file)
                .and_then(|f| f.entries.get(&key).map(|e| (f, e.line)));
            let origin = match line {
                Some((f, line)) => Origin::line(&f.path, line),
                None => Origin::Env {
                    var: format!("{ENV_PREFIX}{key}"),
                },
            };
            let value = tagged.into_inner();
            (key, Setting { value, origin })
        })
        .collect()
}

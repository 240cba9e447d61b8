//! Settings: every option as a flag, a `HIPPO_*` environment variable and a
//! key of the TOML file named by `--config`/`HIPPO_CONFIG`; flag beats
//! environment beats file beats default. Each setting is declared once, in
//! `list.rs`; from that come the flags and their `--help`, the variables,
//! the keys, the defaults, docs/hippo.example.toml and
//! `hippo settings check`. Parsed once into a typed [`Config`]; any bad
//! value is one clear line naming the setting.

mod cli;
mod config;
mod declare;
mod list;
mod parse;
mod report;
#[cfg(test)]
mod tests;

pub use cli::{add_to_command, from_matches};
pub use config::{Config, WhatsappSettings};
pub use declare::{Fallback, Group, Kind, SettingDoc};
pub use list::{SETTINGS, SettingArgs, Settings};
pub use parse::{ClusterBus, LogFormat};
pub use report::{check_report, example_toml};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// A setting that could not be used. Its `Display` is the one line shown.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {0}")]
pub struct SettingError(pub String);

/// `invalid setting --key / HIPPO_KEY: why`.
pub(crate) fn bad(key: &str, why: impl std::fmt::Display) -> SettingError {
    SettingError(format!(
        "--{} / HIPPO_{}: {why}",
        key.replace('_', "-"),
        key.to_ascii_uppercase()
    ))
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env,
    /// A secret read from the file named by this variable.
    EnvFile(String),
    /// The TOML file.
    File(PathBuf),
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag => f.write_str("flag"),
            Source::Env => f.write_str("env"),
            Source::EnvFile(var) => write!(f, "env {var}"),
            Source::File(p) => write!(f, "file {}", p.display()),
            Source::Default => f.write_str("default"),
        }
    }
}

/// Every setting's winning text value (`None`: unset) and its source.
pub struct Resolved {
    values: Vec<(&'static SettingDoc, Option<Zeroizing<String>>, Source)>,
}

impl Resolved {
    /// The text value of `key`, default applied.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(s, _, _)| s.key == key)
            .and_then(|(_, v, _)| v.as_ref().map(|v| v.as_str()))
    }

    /// Where the value of `key` came from.
    pub fn source(&self, key: &str) -> Option<&Source> {
        self.values
            .iter()
            .find(|(s, _, _)| s.key == key)
            .map(|(_, _, src)| src)
    }

    /// Each setting in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static SettingDoc, Option<&str>, &Source)> {
        self.values
            .iter()
            .map(|(s, v, src)| (*s, v.as_ref().map(|v| v.as_str()), src))
    }
}

/// Reads the TOML file into key → string value.
fn read_file(path: &Path) -> Result<BTreeMap<String, String>, SettingError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        SettingError(format!(
            "--config / HIPPO_CONFIG: cannot read {}: {e}",
            path.display()
        ))
    })?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        SettingError(format!(
            "--config / HIPPO_CONFIG: {}: {}",
            path.display(),
            e.message()
        ))
    })?;
    let mut out = BTreeMap::new();
    for (k, v) in table {
        if !SETTINGS.iter().any(|s| s.key == k) {
            return Err(SettingError(format!(
                "--config / HIPPO_CONFIG: {}: unknown key `{k}`",
                path.display()
            )));
        }
        let s = match v {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(bad(
                    &k,
                    format!(
                        "unsupported {} value in {}",
                        other.type_str(),
                        path.display()
                    ),
                ));
            }
        };
        out.insert(k, s);
    }
    Ok(out)
}

/// A secret from the file named by `var`, trimmed; `None` if unset.
fn secret_file(var: &str) -> Result<Option<Zeroizing<String>>, SettingError> {
    let Some(p) = std::env::var_os(var) else {
        return Ok(None);
    };
    let text = Zeroizing::new(std::fs::read_to_string(&p).map_err(|e| {
        SettingError(format!(
            "{var}: cannot read {}: {e}",
            Path::new(&p).display()
        ))
    })?);
    let v = text.trim();
    if v.is_empty() {
        return Err(SettingError(format!(
            "{var}: {} is empty",
            Path::new(&p).display()
        )));
    }
    Ok(Some(Zeroizing::new(v.to_owned())))
}

impl SettingArgs {
    /// Layers flags/env over the file over defaults: each setting's winning
    /// text and where it came from. An empty value means unset (and still
    /// beats the layers below it).
    pub fn layer(&self) -> Result<Resolved, SettingError> {
        let file = match &self.config {
            Some(p) => read_file(p)?,
            None => BTreeMap::new(),
        };
        let mut values = Vec::with_capacity(SETTINGS.len());
        for s in SETTINGS {
            let given = self.given(s.key).and_then(Option::as_ref);
            let (value, source) = match (given, file.get(s.key)) {
                (Some(v), _) if self.from_env.contains(&s.key) => (Some(v.clone()), Source::Env),
                (Some(v), _) => (Some(v.clone()), Source::Flag),
                (None, Some(v)) => (
                    Some(v.clone()),
                    Source::File(self.config.clone().unwrap_or_default()),
                ),
                (None, None) => (None, Source::Default),
            };
            let mut value = value.filter(|v| !v.is_empty()).map(Zeroizing::new);
            let mut source = source;
            if value.is_none()
                && let Some(var) = s.env_file()
                && let Some(v) = secret_file(&var)?
            {
                value = Some(v);
                source = Source::EnvFile(var);
            }
            if value.is_none()
                && let Fallback::Value(d) = s.default
            {
                value = Some(Zeroizing::new(d.to_owned()));
                source = Source::Default;
            }
            values.push((s, value, source));
        }
        Ok(Resolved { values })
    }

    /// Layers the settings and parses them into a [`Config`].
    pub fn resolve(&self) -> Result<Config, SettingError> {
        self.resolve_with_sources().map(|(config, _)| config)
    }

    /// [`resolve`](Self::resolve), also returning each setting's text value
    /// and source (for `hippo settings check`).
    pub fn resolve_with_sources(&self) -> Result<(Config, Resolved), SettingError> {
        let resolved = self.layer()?;
        let config = Config::try_from(Settings::parse(&resolved)?)?;
        Ok((config, resolved))
    }
}

impl std::fmt::Debug for SettingArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("SettingArgs");
        d.field("config", &self.config);
        for s in SETTINGS {
            if let Some(Some(v)) = self.given(s.key) {
                if s.kind == Kind::Secret {
                    d.field(s.key, &"<redacted>");
                } else {
                    d.field(s.key, v);
                }
            }
        }
        d.finish_non_exhaustive()
    }
}

/// `HIPPO_*` variables this version does not know (likely typos).
pub fn unknown_env_vars() -> Vec<String> {
    let mut known: Vec<String> = SETTINGS
        .iter()
        .flat_map(|s| std::iter::once(s.env()).chain(s.env_file()))
        .collect();
    known.extend(["HIPPO_CONFIG"].map(String::from));
    std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| k.starts_with("HIPPO_") && !k.starts_with("HIPPO_TEST_") && !known.contains(k))
        .collect()
}

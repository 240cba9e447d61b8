//! The `settings!` macro and the types it fills in: one entry per setting
//! (see `list.rs`) yields the raw [`SettingArgs`](super::SettingArgs) that
//! flags and tests fill, the typed [`Settings`](super::Settings), and the
//! [`SETTINGS`](super::SETTINGS) table that the flags' `--help`, the
//! environment variables, the TOML keys, the example file and
//! `hippo settings check` are all made from.

/// Which `--help` section a setting is listed under, and which commands
/// show it (every command accepts every setting; see `cli.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Storage,
    Server,
    Cluster,
    Policy,
    Alerts,
    Backups,
    Whatsapp,
    Calls,
    Integrations,
    Logs,
}

impl Group {
    /// Every group, in the order of `--help` and the example file.
    pub const ALL: &'static [Group] = &[
        Group::Storage,
        Group::Server,
        Group::Cluster,
        Group::Policy,
        Group::Alerts,
        Group::Backups,
        Group::Whatsapp,
        Group::Calls,
        Group::Integrations,
        Group::Logs,
    ];

    /// The heading in `--help` and in the example file.
    pub fn title(self) -> &'static str {
        match self {
            Group::Storage => "Storage and keys",
            Group::Server => "Server and TLS",
            Group::Cluster => "Cluster",
            Group::Policy => "Sessions and policy",
            Group::Alerts => "Security alerts",
            Group::Backups => "Scheduled backups",
            Group::Whatsapp => "WhatsApp channel",
            Group::Calls => "Voice and video calls",
            Group::Integrations => "Integrations (browser apps of other origins, webhooks)",
            Group::Logs => "Logs and metrics",
        }
    }
}

/// How a setting's value is given and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `--flag VALUE`.
    Plain,
    /// `--flag` alone means true; `--flag false` also works.
    Switch,
    /// Never printed; also read from the file named by `HIPPO_…_FILE`.
    Secret,
}

/// What applies when no layer gives a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// This value, parsed like a given one.
    Value(&'static str),
    /// Worked out from other settings when `Config` is built; the text
    /// says how (it is only shown, never parsed).
    Derived(&'static str),
    /// No value: the feature is off.
    Unset,
}

/// One declared setting: everything but its type and parser.
#[derive(Debug)]
pub struct SettingDoc {
    /// The TOML key; the flag and environment variable are made from it.
    pub key: &'static str,
    pub group: Group,
    pub kind: Kind,
    /// The placeholder in `--help`, such as `DURATION`.
    pub value_name: &'static str,
    pub default: Fallback,
    /// The doc comment, one entry per line.
    pub doc: &'static [&'static str],
}

impl SettingDoc {
    /// `--data-dir`.
    pub fn flag(&self) -> String {
        format!("--{}", self.key.replace('_', "-"))
    }

    /// `HIPPO_DATA_DIR`.
    pub fn env(&self) -> String {
        format!("HIPPO_{}", self.key.to_ascii_uppercase())
    }

    /// `HIPPO_DATABASE_URL_FILE` for secrets.
    pub fn env_file(&self) -> Option<String> {
        (self.kind == Kind::Secret).then(|| format!("{}_FILE", self.env()))
    }

    /// The doc comment as one line.
    pub fn text(&self) -> String {
        self.doc
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The `--help` text: the doc, where secrets may also come from, and
    /// the default.
    pub fn help(&self) -> String {
        let mut help = self.text();
        if let Some(file) = self.env_file() {
            help.push_str(&format!(" Secret: never printed; prefer {file}."));
        }
        match self.default {
            Fallback::Value(v) => help.push_str(&format!(" [default: {v}]")),
            Fallback::Derived(v) => help.push_str(&format!(" [default: {v}]")),
            Fallback::Unset => {}
        }
        help
    }
}

/// Parses a setting that always has a value (it has a default).
pub fn required<T>(
    parse: fn(&str) -> Result<T, String>,
) -> impl Fn(Option<&str>) -> Result<T, String> {
    move |value| match value {
        Some(v) => parse(v),
        None => Err("a value is required".into()),
    }
}

/// Parses a setting that may be unset.
pub fn optional<T>(
    parse: fn(&str) -> Result<T, String>,
) -> impl Fn(Option<&str>) -> Result<Option<T>, String> {
    move |value| value.map(parse).transpose()
}

/// Declares every setting once. Each entry is the doc comment (the help
/// text and the example file's comment), the key, the typed value, and
/// where it is listed, how it is given, its default and its parser:
///
/// ```ignore
/// /// A session not used for this long ends (automatic logoff).
/// session_idle_timeout: Duration {
///     group: Policy, kind: Plain, value_name: "DURATION",
///     default: Value("15m"), parse: required(parse::duration),
/// }
/// ```
macro_rules! settings {
    ($(
        $(#[doc = $doc:literal])+
        $key:ident : $ty:ty {
            group: $group:ident,
            kind: $kind:ident,
            value_name: $value_name:literal,
            default: $default:expr,
            parse: $parse:expr $(,)?
        }
    )+) => {
        /// Every setting, in the order of `--help` and
        /// docs/hippo.example.toml.
        pub const SETTINGS: &[SettingDoc] = &[$(
            SettingDoc {
                key: stringify!($key),
                group: Group::$group,
                kind: Kind::$kind,
                value_name: $value_name,
                default: $default,
                doc: &[$($doc),+],
            },
        )+];

        /// Settings as given by flags or the environment (tests fill these
        /// directly). Every field is optional here; the file and the
        /// defaults apply in [`SettingArgs::resolve`].
        #[derive(Clone, Default)]
        pub struct SettingArgs {
            /// TOML settings file (`--config` / `HIPPO_CONFIG`).
            pub config: Option<std::path::PathBuf>,
            $(
                $(#[doc = $doc])+
                pub $key: Option<String>,
            )+
            /// Keys whose value above came from the environment rather
            /// than a flag (shown by `hippo settings check`).
            pub from_env: Vec<&'static str>,
        }

        impl SettingArgs {
            /// The given value of `key` (`None`: not a setting).
            pub fn given(&self, key: &str) -> Option<&Option<String>> {
                match key {
                    $(stringify!($key) => Some(&self.$key),)+
                    _ => None,
                }
            }

            /// The slot for `key` (`None`: not a setting).
            pub fn given_mut(&mut self, key: &str) -> Option<&mut Option<String>> {
                match key {
                    $(stringify!($key) => Some(&mut self.$key),)+
                    _ => None,
                }
            }
        }

        /// Every setting, typed, with its default applied (derived
        /// defaults are applied by [`Config`](super::Config)).
        pub struct Settings {
            $(
                $(#[doc = $doc])+
                pub $key: $ty,
            )+
        }

        impl Settings {
            /// Parses each resolved value with its setting's parser.
            pub(super) fn parse(
                values: &super::Resolved,
            ) -> Result<Self, super::SettingError> {
                Ok(Settings {$(
                    $key: {
                        let parse = $parse;
                        parse(values.value(stringify!($key)))
                            .map_err(|why| super::bad(stringify!($key), why))?
                    },
                )+})
            }
        }
    };
}

pub(super) use settings;

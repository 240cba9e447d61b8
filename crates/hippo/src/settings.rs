//! Settings: every option as a flag, a `HIPPO_*` environment variable and a
//! key of the TOML file named by `--config`/`HIPPO_CONFIG`; flag beats
//! environment beats file beats default. Parsed once into a typed [`Config`];
//! any bad value is one clear line naming the setting.

use clap::Args;
use hippo_core::units::{parse_duration, parse_size};

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zeroize::Zeroizing;

/// One documented setting: the single source for flags' help, the example
/// file and the checks.
pub struct SettingDoc {
    pub key: &'static str,
    pub default: &'static str,
    pub doc: &'static str,
}

/// Every setting, in the order of docs/hippo.example.toml.
pub const SETTINGS: &[SettingDoc] = &[
    SettingDoc {
        key: "data_dir",
        default: "./hippo-data",
        doc: "Directory for the SQLite database, generated TLS certificate and master key (created on first start, mode 0700).",
    },
    SettingDoc {
        key: "listen",
        default: "127.0.0.1:8443",
        doc: "Address and port to serve on.",
    },
    SettingDoc {
        key: "database_url",
        default: "",
        doc: "Empty: SQLite file inside data_dir. `postgres://user@host/db?sslmode=verify-full` selects PostgreSQL. Also HIPPO_DATABASE_URL_FILE.",
    },
    SettingDoc {
        key: "database_max_connections",
        default: "16",
        doc: "PostgreSQL: connections each node keeps (plus two for cluster events).",
    },
    SettingDoc {
        key: "tls_cert",
        default: "",
        doc: "PEM certificate chain. Empty (with tls_key empty): a self-signed localhost certificate is generated into data_dir/tls and its SHA-256 fingerprint printed.",
    },
    SettingDoc {
        key: "tls_key",
        default: "",
        doc: "PEM private key for tls_cert.",
    },
    SettingDoc {
        key: "tls_client_ca",
        default: "",
        doc: "PEM CA bundle. When set, every client must present a certificate signed by it (mutual TLS).",
    },
    SettingDoc {
        key: "insecure_http",
        default: "false",
        doc: "Serve plain HTTP, only behind a TLS-terminating proxy. Warned about at start.",
    },
    SettingDoc {
        key: "master_key_file",
        default: "<data_dir>/master.key",
        doc: "Master key file (mode 0600). Created on first start; keep it apart from the data and backups in production.",
    },
    SettingDoc {
        key: "audit_signing_key_file",
        default: "<data_dir>/audit-signing.key",
        doc: "Ed25519 key (mode 0600) that signs audit checkpoints. Created on first start; keep it apart from the database.",
    },
    SettingDoc {
        key: "break_glass_duration",
        default: "1h",
        doc: "How long emergency (break-glass) access to a conversation lasts.",
    },
    SettingDoc {
        key: "syslog_target",
        default: "",
        doc: "Forward security alerts to a SIEM as RFC 5424 syslog: tcp://host:port or tls://host:port. Empty: alerts are only stored and logged.",
    },
    SettingDoc {
        key: "syslog_ca_file",
        default: "",
        doc: "PEM CA certificate(s) that signed the syslog collector's certificate (required for tls://).",
    },
    SettingDoc {
        key: "session_idle_timeout",
        default: "15m",
        doc: "A session not used for this long ends (automatic logoff).",
    },
    SettingDoc {
        key: "session_max_lifetime",
        default: "12h",
        doc: "A session ends this long after sign-in, however active.",
    },
    SettingDoc {
        key: "login_max_failures",
        default: "5",
        doc: "Failed sign-ins in a row before the account is locked.",
    },
    SettingDoc {
        key: "login_lockout",
        default: "15m",
        doc: "How long a locked account stays locked.",
    },
    SettingDoc {
        key: "require_mfa",
        default: "true",
        doc: "Require TOTP for every account. Off: passwords must be at least 15 characters.",
    },
    SettingDoc {
        key: "max_upload",
        default: "100MiB",
        doc: "Largest accepted file upload; larger uploads get 413 payload_too_large.",
    },
    SettingDoc {
        key: "retention",
        default: "",
        doc: "Default message retention such as 7y (conversations may set their own); empty keeps messages until erased. Audit records are never purged.",
    },
    SettingDoc {
        key: "backup_dir",
        default: "",
        doc: "Directory for scheduled backups from serve (each also writes its key file NAME.keys); empty disables them. Keep it on another volume.",
    },
    SettingDoc {
        key: "backup_interval",
        default: "24h",
        doc: "Time between scheduled backups.",
    },
    SettingDoc {
        key: "backup_keep",
        default: "14",
        doc: "Scheduled backups to keep.",
    },
    SettingDoc {
        key: "whatsapp_api_base",
        default: "https://graph.facebook.com",
        doc: "WhatsApp Cloud API host (Meta's Graph API).",
    },
    SettingDoc {
        key: "whatsapp_api_version",
        default: "v25.0",
        doc: "Graph API version used for every call.",
    },
    SettingDoc {
        key: "whatsapp_phone_number_id",
        default: "",
        doc: "The business phone number's id. The WhatsApp channel is on when this, the business account id, access token, app secret and verify token are all set; otherwise its endpoints answer 503 channel_not_configured.",
    },
    SettingDoc {
        key: "whatsapp_business_account_id",
        default: "",
        doc: "The WhatsApp Business Account (WABA) id, for templates.",
    },
    SettingDoc {
        key: "whatsapp_access_token",
        default: "",
        doc: "System user access token (secret; prefer HIPPO_WHATSAPP_ACCESS_TOKEN_FILE).",
    },
    SettingDoc {
        key: "whatsapp_app_secret",
        default: "",
        doc: "App secret that signs webhooks (X-Hub-Signature-256) (secret; prefer HIPPO_WHATSAPP_APP_SECRET_FILE).",
    },
    SettingDoc {
        key: "whatsapp_verify_token",
        default: "",
        doc: "Token Meta echoes in the webhook verification handshake (secret; prefer HIPPO_WHATSAPP_VERIFY_TOKEN_FILE).",
    },
    SettingDoc {
        key: "whatsapp_phi_mode",
        default: "notify_only",
        doc: "notify_only: only templates marked PHI-free may be sent, no free text. patient_requested: free text too, for patients with a recorded request after the risk warning.",
    },
    SettingDoc {
        key: "whatsapp_rate",
        default: "80",
        doc: "Messages per second sent to the Cloud API (one sender per cluster, token bucket).",
    },
    SettingDoc {
        key: "whatsapp_in_doubt_after",
        default: "5m",
        doc: "A send that was in flight when its process stopped is sent again only after this long without a webhook proving Meta accepted it.",
    },
];

/// Settings given on the command line or in the environment. Every field is
/// optional here; defaults apply after the file.
#[derive(Debug, Default, Args, Clone)]
pub struct SettingArgs {
    /// TOML settings file.
    #[arg(long, env = "HIPPO_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, env = "HIPPO_DATA_DIR", global = true, value_name = "DIR")]
    pub data_dir: Option<String>,
    #[arg(long, env = "HIPPO_LISTEN", global = true, value_name = "ADDR")]
    pub listen: Option<String>,
    #[arg(
        long,
        env = "HIPPO_DATABASE_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    #[arg(
        long,
        env = "HIPPO_DATABASE_MAX_CONNECTIONS",
        global = true,
        value_name = "N"
    )]
    pub database_max_connections: Option<String>,
    #[arg(long, env = "HIPPO_TLS_CERT", global = true, value_name = "PEM")]
    pub tls_cert: Option<String>,
    #[arg(long, env = "HIPPO_TLS_KEY", global = true, value_name = "PEM")]
    pub tls_key: Option<String>,
    #[arg(long, env = "HIPPO_TLS_CLIENT_CA", global = true, value_name = "PEM")]
    pub tls_client_ca: Option<String>,
    #[arg(long, env = "HIPPO_INSECURE_HTTP", global = true, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub insecure_http: Option<String>,
    #[arg(
        long,
        env = "HIPPO_MASTER_KEY_FILE",
        global = true,
        value_name = "FILE"
    )]
    pub master_key_file: Option<String>,
    #[arg(
        long,
        env = "HIPPO_AUDIT_SIGNING_KEY_FILE",
        global = true,
        value_name = "FILE"
    )]
    pub audit_signing_key_file: Option<String>,
    #[arg(
        long,
        env = "HIPPO_BREAK_GLASS_DURATION",
        global = true,
        value_name = "DURATION"
    )]
    pub break_glass_duration: Option<String>,
    #[arg(long, env = "HIPPO_SYSLOG_TARGET", global = true, value_name = "URL")]
    pub syslog_target: Option<String>,
    #[arg(long, env = "HIPPO_SYSLOG_CA_FILE", global = true, value_name = "PEM")]
    pub syslog_ca_file: Option<String>,
    #[arg(
        long,
        env = "HIPPO_SESSION_IDLE_TIMEOUT",
        global = true,
        value_name = "DURATION"
    )]
    pub session_idle_timeout: Option<String>,
    #[arg(
        long,
        env = "HIPPO_SESSION_MAX_LIFETIME",
        global = true,
        value_name = "DURATION"
    )]
    pub session_max_lifetime: Option<String>,
    #[arg(
        long,
        env = "HIPPO_LOGIN_MAX_FAILURES",
        global = true,
        value_name = "N"
    )]
    pub login_max_failures: Option<String>,
    #[arg(
        long,
        env = "HIPPO_LOGIN_LOCKOUT",
        global = true,
        value_name = "DURATION"
    )]
    pub login_lockout: Option<String>,
    #[arg(long, env = "HIPPO_REQUIRE_MFA", global = true, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub require_mfa: Option<String>,
    #[arg(long, env = "HIPPO_MAX_UPLOAD", global = true, value_name = "SIZE")]
    pub max_upload: Option<String>,
    #[arg(long, env = "HIPPO_RETENTION", global = true, value_name = "DURATION")]
    pub retention: Option<String>,
    #[arg(long, env = "HIPPO_BACKUP_DIR", global = true, value_name = "DIR")]
    pub backup_dir: Option<String>,
    #[arg(
        long,
        env = "HIPPO_BACKUP_INTERVAL",
        global = true,
        value_name = "DURATION"
    )]
    pub backup_interval: Option<String>,
    #[arg(long, env = "HIPPO_BACKUP_KEEP", global = true, value_name = "N")]
    pub backup_keep: Option<String>,
    #[arg(
        long,
        env = "HIPPO_WHATSAPP_API_BASE",
        global = true,
        value_name = "URL"
    )]
    pub whatsapp_api_base: Option<String>,
    #[arg(
        long,
        env = "HIPPO_WHATSAPP_API_VERSION",
        global = true,
        value_name = "VERSION"
    )]
    pub whatsapp_api_version: Option<String>,
    #[arg(
        long,
        env = "HIPPO_WHATSAPP_PHONE_NUMBER_ID",
        global = true,
        value_name = "ID"
    )]
    pub whatsapp_phone_number_id: Option<String>,
    #[arg(
        long,
        env = "HIPPO_WHATSAPP_BUSINESS_ACCOUNT_ID",
        global = true,
        value_name = "ID"
    )]
    pub whatsapp_business_account_id: Option<String>,
    #[arg(
        long,
        env = "HIPPO_WHATSAPP_ACCESS_TOKEN",
        global = true,
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub whatsapp_access_token: Option<String>,
    #[arg(
        long,
        env = "HIPPO_WHATSAPP_APP_SECRET",
        global = true,
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub whatsapp_app_secret: Option<String>,
    #[arg(
        long,
        env = "HIPPO_WHATSAPP_VERIFY_TOKEN",
        global = true,
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub whatsapp_verify_token: Option<String>,
    #[arg(
        long,
        env = "HIPPO_WHATSAPP_PHI_MODE",
        global = true,
        value_name = "MODE"
    )]
    pub whatsapp_phi_mode: Option<String>,
    #[arg(long, env = "HIPPO_WHATSAPP_RATE", global = true, value_name = "N")]
    pub whatsapp_rate: Option<String>,
    #[arg(
        long,
        env = "HIPPO_WHATSAPP_IN_DOUBT_AFTER",
        global = true,
        value_name = "DURATION"
    )]
    pub whatsapp_in_doubt_after: Option<String>,
}

/// The WhatsApp channel's settings (all required ones given).
#[derive(Clone)]
pub struct WhatsappSettings {
    pub api_base: String,
    pub api_version: String,
    pub phone_number_id: String,
    pub business_account_id: String,
    pub access_token: Zeroizing<String>,
    pub app_secret: Zeroizing<String>,
    pub verify_token: Zeroizing<String>,
    pub phi_mode: hippo_core::PhiMode,
    pub rate: u32,
    pub in_doubt_after: Duration,
}

/// The typed configuration every command runs with.
#[derive(Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// May hold a password: never printed.
    pub database_url: Option<Zeroizing<String>>,
    /// PostgreSQL pool size per node.
    pub database_max_connections: u32,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_client_ca: Option<PathBuf>,
    pub insecure_http: bool,
    pub master_key_file: PathBuf,
    pub master_key_file_is_default: bool,
    pub audit_signing_key_file: PathBuf,
    pub break_glass_duration: Duration,
    pub syslog_target: Option<crate::syslog::Target>,
    pub syslog_ca_file: Option<PathBuf>,
    pub session_idle_timeout: Duration,
    pub session_max_lifetime: Duration,
    pub login_max_failures: u32,
    pub login_lockout: Duration,
    pub require_mfa: bool,
    pub max_upload: u64,
    pub retention: Option<Duration>,
    pub backup_dir: Option<PathBuf>,
    pub backup_interval: Duration,
    pub backup_keep: u32,
    /// `None`: the WhatsApp endpoints answer 503 `channel_not_configured`.
    pub whatsapp: Option<WhatsappSettings>,
    /// Settings given that this version accepts but does not act on yet.
    pub inactive: Vec<&'static str>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "<redacted>"),
            )
            .field("insecure_http", &self.insecure_http)
            .field("require_mfa", &self.require_mfa)
            .finish_non_exhaustive()
    }
}

/// A setting that could not be used. Its `Display` is the one line shown.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {0}")]
pub struct SettingError(pub String);

fn flag_env(key: &str) -> String {
    format!(
        "--{} / HIPPO_{}",
        key.replace('_', "-"),
        key.to_ascii_uppercase()
    )
}

fn bad(key: &str, why: impl std::fmt::Display) -> SettingError {
    SettingError(format!("{}: {why}", flag_env(key)))
}

fn parse_bool(key: &str, v: &str) -> Result<bool, SettingError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(bad(key, format!("`{other}` is not true or false"))),
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
    let known: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
    let mut out = BTreeMap::new();
    for (k, v) in table {
        if !known.contains(&k.as_str()) {
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

impl SettingArgs {
    /// Layers flags/env over the file over defaults and parses the result.
    pub fn resolve(&self) -> Result<Config, SettingError> {
        let file = match &self.config {
            Some(p) => read_file(p)?,
            None => BTreeMap::new(),
        };
        let pick = |key: &str, given: &Option<String>| -> Option<String> {
            given
                .clone()
                .or_else(|| file.get(key).cloned())
                .filter(|v| !v.is_empty())
        };
        let inactive = Vec::new();

        let data_dir = PathBuf::from(
            pick("data_dir", &self.data_dir).unwrap_or_else(|| "./hippo-data".into()),
        );
        let listen_s = pick("listen", &self.listen).unwrap_or_else(|| "127.0.0.1:8443".into());
        let listen: SocketAddr = listen_s.parse().map_err(|_| {
            bad(
                "listen",
                format!("`{listen_s}` is not an address like 127.0.0.1:8443"),
            )
        })?;

        let database_url = match pick("database_url", &self.database_url) {
            Some(v) => Some(Zeroizing::new(v)),
            None => match std::env::var_os("HIPPO_DATABASE_URL_FILE") {
                Some(p) => Some(Zeroizing::new(
                    std::fs::read_to_string(&p)
                        .map_err(|e| {
                            SettingError(format!(
                                "HIPPO_DATABASE_URL_FILE: cannot read {}: {e}",
                                Path::new(&p).display()
                            ))
                        })?
                        .trim()
                        .to_owned(),
                )),
                None => None,
            },
        };
        if let Some(url) = &database_url {
            let ok = url.starts_with("postgres://")
                || url.starts_with("postgresql://")
                || url.starts_with("sqlite:");
            if !ok {
                return Err(bad(
                    "database_url",
                    "must start with postgres://, postgresql:// or sqlite:",
                ));
            }
        }

        let path = |key: &str, given: &Option<String>| pick(key, given).map(PathBuf::from);
        let tls_cert = path("tls_cert", &self.tls_cert);
        let tls_key = path("tls_key", &self.tls_key);
        if tls_cert.is_some() != tls_key.is_some() {
            let missing = if tls_cert.is_none() {
                "tls_cert"
            } else {
                "tls_key"
            };
            return Err(bad(missing, "tls_cert and tls_key must be given together"));
        }
        let tls_client_ca = path("tls_client_ca", &self.tls_client_ca);
        let insecure_http = match pick("insecure_http", &self.insecure_http) {
            Some(v) => parse_bool("insecure_http", &v)?,
            None => false,
        };
        let (master_key_file, master_key_file_is_default) =
            match path("master_key_file", &self.master_key_file) {
                Some(p) => (p, false),
                None => (data_dir.join("master.key"), true),
            };
        let audit_signing_key_file = path("audit_signing_key_file", &self.audit_signing_key_file)
            .unwrap_or_else(|| data_dir.join("audit-signing.key"));
        let syslog_target = pick("syslog_target", &self.syslog_target)
            .map(|v| crate::syslog::Target::parse(&v).map_err(|e| bad("syslog_target", e)))
            .transpose()?;
        let syslog_ca_file = path("syslog_ca_file", &self.syslog_ca_file);
        if matches!(syslog_target, Some(crate::syslog::Target::Tls { .. }))
            && syslog_ca_file.is_none()
        {
            return Err(bad(
                "syslog_target",
                "tls:// needs --syslog-ca-file (HIPPO_SYSLOG_CA_FILE) naming the collector's CA",
            ));
        }

        let duration =
            |key: &str, given: &Option<String>, default: &str| -> Result<Duration, SettingError> {
                let v = pick(key, given).unwrap_or_else(|| default.to_owned());
                let d = parse_duration(&v).map_err(|e| bad(key, e))?;
                if d.is_zero() {
                    return Err(bad(key, "must be greater than zero"));
                }
                Ok(d)
            };
        let number = |key: &str,
                      given: &Option<String>,
                      default: u32,
                      min: u32|
         -> Result<u32, SettingError> {
            match pick(key, given) {
                None => Ok(default),
                Some(v) => match v.trim().parse::<u32>() {
                    Ok(n) if n >= min => Ok(n),
                    _ => Err(bad(
                        key,
                        format!("`{v}` is not a whole number of at least {min}"),
                    )),
                },
            }
        };
        let session_idle_timeout =
            duration("session_idle_timeout", &self.session_idle_timeout, "15m")?;
        let session_max_lifetime =
            duration("session_max_lifetime", &self.session_max_lifetime, "12h")?;
        let login_max_failures = number("login_max_failures", &self.login_max_failures, 5, 1)?;
        let login_lockout = duration("login_lockout", &self.login_lockout, "15m")?;
        let break_glass_duration =
            duration("break_glass_duration", &self.break_glass_duration, "1h")?;
        let require_mfa = match pick("require_mfa", &self.require_mfa) {
            Some(v) => parse_bool("require_mfa", &v)?,
            None => true,
        };
        let max_upload = match pick("max_upload", &self.max_upload) {
            Some(v) => match parse_size(&v).map_err(|e| bad("max_upload", e))? {
                0 => return Err(bad("max_upload", "must be more than 0 bytes")),
                n => n,
            },
            None => 100 * 1024 * 1024,
        };
        let retention = match pick("retention", &self.retention) {
            Some(v) => {
                let d = parse_duration(&v).map_err(|e| bad("retention", e))?;
                if d < std::time::Duration::from_secs(3600) {
                    return Err(bad("retention", "must be at least 1h"));
                }
                Some(d)
            }
            None => None,
        };
        let backup_dir = path("backup_dir", &self.backup_dir);
        let backup_interval = duration("backup_interval", &self.backup_interval, "24h")?;
        let backup_keep = number("backup_keep", &self.backup_keep, 14, 1)?;
        let database_max_connections = number(
            "database_max_connections",
            &self.database_max_connections,
            16,
            2,
        )?;

        // A secret: the value, or the file named by HIPPO_..._FILE.
        let secret = |key: &str,
                      given: &Option<String>|
         -> Result<Option<Zeroizing<String>>, SettingError> {
            if let Some(v) = pick(key, given) {
                return Ok(Some(Zeroizing::new(v)));
            }
            let var = format!("HIPPO_{}_FILE", key.to_ascii_uppercase());
            match std::env::var_os(&var) {
                Some(p) => {
                    let text = std::fs::read_to_string(&p).map_err(|e| {
                        SettingError(format!(
                            "{var}: cannot read {}: {e}",
                            Path::new(&p).display()
                        ))
                    })?;
                    let v = text.trim().to_owned();
                    if v.is_empty() {
                        return Err(SettingError(format!(
                            "{var}: {} is empty",
                            Path::new(&p).display()
                        )));
                    }
                    Ok(Some(Zeroizing::new(v)))
                }
                None => Ok(None),
            }
        };
        let phone_number_id = pick("whatsapp_phone_number_id", &self.whatsapp_phone_number_id);
        let business_account_id = pick(
            "whatsapp_business_account_id",
            &self.whatsapp_business_account_id,
        );
        let access_token = secret("whatsapp_access_token", &self.whatsapp_access_token)?;
        let app_secret = secret("whatsapp_app_secret", &self.whatsapp_app_secret)?;
        let verify_token = secret("whatsapp_verify_token", &self.whatsapp_verify_token)?;
        let given = [
            ("whatsapp_phone_number_id", phone_number_id.is_some()),
            (
                "whatsapp_business_account_id",
                business_account_id.is_some(),
            ),
            ("whatsapp_access_token", access_token.is_some()),
            ("whatsapp_app_secret", app_secret.is_some()),
            ("whatsapp_verify_token", verify_token.is_some()),
        ];
        let phi_mode = match pick("whatsapp_phi_mode", &self.whatsapp_phi_mode) {
            Some(v) => hippo_core::PhiMode::parse(v.trim()).ok_or_else(|| {
                bad(
                    "whatsapp_phi_mode",
                    format!("`{v}` is not notify_only or patient_requested"),
                )
            })?,
            None => hippo_core::PhiMode::NotifyOnly,
        };
        let whatsapp_rate = number("whatsapp_rate", &self.whatsapp_rate, 80, 1)?;
        let in_doubt_after = duration(
            "whatsapp_in_doubt_after",
            &self.whatsapp_in_doubt_after,
            "5m",
        )?;
        let api_base = pick("whatsapp_api_base", &self.whatsapp_api_base)
            .unwrap_or_else(|| "https://graph.facebook.com".into());
        if !(api_base.starts_with("https://")
            || api_base.starts_with("http://127.0.0.1")
            || api_base.starts_with("http://localhost"))
        {
            return Err(bad("whatsapp_api_base", "must be an https:// URL"));
        }
        let api_version = pick("whatsapp_api_version", &self.whatsapp_api_version)
            .unwrap_or_else(|| "v25.0".into());
        if !api_version.starts_with('v') || api_version.len() > 10 {
            return Err(bad(
                "whatsapp_api_version",
                format!("`{api_version}` is not a version like v25.0"),
            ));
        }
        let whatsapp = match (
            phone_number_id,
            business_account_id,
            access_token,
            app_secret,
            verify_token,
        ) {
            (
                Some(phone_number_id),
                Some(business_account_id),
                Some(access_token),
                Some(app_secret),
                Some(verify_token),
            ) => Some(WhatsappSettings {
                api_base,
                api_version,
                phone_number_id,
                business_account_id,
                access_token,
                app_secret,
                verify_token,
                phi_mode,
                rate: whatsapp_rate,
                in_doubt_after,
            }),
            _ if given.iter().any(|(_, g)| *g) => {
                let missing: Vec<&str> =
                    given.iter().filter(|(_, g)| !g).map(|(k, _)| *k).collect();
                return Err(bad(
                    missing
                        .first()
                        .copied()
                        .unwrap_or("whatsapp_phone_number_id"),
                    format!(
                        "the WhatsApp channel needs all of its settings; missing: {}",
                        missing.join(", ")
                    ),
                ));
            }
            _ => None,
        };

        Ok(Config {
            data_dir,
            listen,
            database_url,
            database_max_connections,
            tls_cert,
            tls_key,
            tls_client_ca,
            insecure_http,
            master_key_file,
            master_key_file_is_default,
            audit_signing_key_file,
            break_glass_duration,
            syslog_target,
            syslog_ca_file,
            session_idle_timeout,
            session_max_lifetime,
            login_max_failures,
            login_lockout,
            require_mfa,
            max_upload,
            retention,
            backup_dir,
            backup_interval,
            backup_keep,
            whatsapp,
            inactive,
        })
    }
}

/// `HIPPO_*` variables this version does not know (likely typos).
pub fn unknown_env_vars() -> Vec<String> {
    let mut known: Vec<String> = SETTINGS
        .iter()
        .map(|s| format!("HIPPO_{}", s.key.to_ascii_uppercase()))
        .collect();
    known.extend(
        [
            "HIPPO_CONFIG",
            "HIPPO_DATABASE_URL_FILE",
            "HIPPO_LOG",
            "HIPPO_LOG_FORMAT",
            "HIPPO_WHATSAPP_ACCESS_TOKEN_FILE",
            "HIPPO_WHATSAPP_APP_SECRET_FILE",
            "HIPPO_WHATSAPP_VERIFY_TOKEN_FILE",
        ]
        .map(String::from),
    );
    std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| k.starts_with("HIPPO_") && !k.starts_with("HIPPO_TEST_") && !known.contains(k))
        .collect()
}

/// docs/hippo.example.toml, generated from [`SETTINGS`].
pub fn example_toml() -> String {
    let mut out = String::from(
        "# hippo settings file (pass with --config or HIPPO_CONFIG).\n\
         # Generated by `hippo settings example`; every key is optional.\n\
         # Precedence: command-line flag > HIPPO_* environment variable > this file > default.\n\
         # Durations: 15m, 2s, 12h, 30d, 7y (a year is 365.25 days). Sizes: 100MiB, 2GB.\n",
    );
    for s in SETTINGS {
        out.push('\n');
        out.push_str(&format!("# {}\n", s.doc));
        out.push_str(&format!(
            "# flag --{}, environment HIPPO_{}\n",
            s.key.replace('_', "-"),
            s.key.to_ascii_uppercase()
        ));
        let value = match s.default {
            "true" | "false" => s.default.to_owned(),
            d if d.parse::<u64>().is_ok() => d.to_owned(),
            d => format!("\"{d}\""),
        };
        out.push_str(&format!("# {} = {value}\n", s.key));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> SettingArgs {
        SettingArgs::default()
    }

    #[test]
    fn defaults_match_the_contract() {
        let c = args().resolve().unwrap();
        assert_eq!(c.data_dir, PathBuf::from("./hippo-data"));
        assert_eq!(c.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(c.session_idle_timeout, Duration::from_secs(900));
        assert_eq!(c.session_max_lifetime, Duration::from_secs(43_200));
        assert_eq!(c.login_max_failures, 5);
        assert!(c.require_mfa);
        assert!(!c.insecure_http);
        assert_eq!(c.master_key_file, PathBuf::from("./hippo-data/master.key"));
        assert_eq!(c.max_upload, 100 * 1024 * 1024);
        assert!(c.inactive.is_empty());
    }

    #[test]
    fn flag_beats_file_and_file_beats_default() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hippo.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\nsession_idle_timeout = \"5m\"\nlogin_max_failures = 3\n",
        )
        .unwrap();
        let mut a = args();
        a.config = Some(file);
        a.session_idle_timeout = Some("2m".into());
        let c = a.resolve().unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(c.session_idle_timeout, Duration::from_secs(120));
        assert_eq!(c.login_max_failures, 3);
    }

    #[test]
    fn bad_values_name_the_setting() {
        let mut a = args();
        a.session_idle_timeout = Some("soon".into());
        let e = a.resolve().unwrap_err().to_string();
        assert!(
            e.contains("--session-idle-timeout / HIPPO_SESSION_IDLE_TIMEOUT"),
            "{e}"
        );
        let mut a = args();
        a.listen = Some("nowhere".into());
        assert!(a.resolve().unwrap_err().to_string().contains("--listen"));
        let mut a = args();
        a.tls_cert = Some("cert.pem".into());
        assert!(a.resolve().unwrap_err().to_string().contains("tls-key"));
        let mut a = args();
        a.database_url = Some("mysql://x".into());
        assert!(
            a.resolve()
                .unwrap_err()
                .to_string()
                .contains("--database-url")
        );
        let mut a = args();
        a.require_mfa = Some("perhaps".into());
        assert!(
            a.resolve()
                .unwrap_err()
                .to_string()
                .contains("--require-mfa")
        );
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hippo.toml");
        std::fs::write(&file, "lisen = \"0.0.0.0:9000\"\n").unwrap();
        let mut a = args();
        a.config = Some(file);
        assert!(
            a.resolve()
                .unwrap_err()
                .to_string()
                .contains("unknown key `lisen`")
        );
    }

    #[test]
    fn example_file_is_current() {
        let committed = include_str!("../../../docs/hippo.example.toml");
        assert_eq!(
            committed,
            example_toml(),
            "run: cargo run -- settings example > docs/hippo.example.toml"
        );
    }
}
